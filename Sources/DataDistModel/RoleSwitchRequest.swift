/// The body of `PUT /v1/role`, with its types checked (CONTRACT §4 step 1). Option values are kept as
/// text: they are validated later, in the contract's order.
public struct RoleSwitchRequest: Sendable, Equatable {
    public static let listenIpInfoKey = "llm.listenIpInfo"

    public var role: Role
    public var options: [(key: String, value: String)]
    public var expectedEpoch: UInt64?

    public init(role: Role, options: [(key: String, value: String)] = [], expectedEpoch: UInt64? = nil) {
        self.role = role
        self.options = options
        self.expectedEpoch = expectedEpoch
    }

    public static func == (a: RoleSwitchRequest, b: RoleSwitchRequest) -> Bool {
        a.role == b.role && a.expectedEpoch == b.expectedEpoch && a.options.map(\.key) == b.options.map(\.key)
            && a.options.map(\.value) == b.options.map(\.value)
    }

    /// Step 1: `role` missing or not a string, `switch_options` not an object of string → string,
    /// `expected_epoch` not an integer → TYPE_ERROR; `role` not a role name, `expected_epoch` negative →
    /// VALUE_ERROR; an unknown top-level field → LLM_PARAM_INVALID.
    public static func decode(_ body: JSONValue) -> Result<RoleSwitchRequest, APIError> {
        guard case .object(let object) = body else {
            return .failure(.typeError("the body must be a JSON object"))
        }
        guard let roleValue = object["role"] else {
            return .failure(.typeError("'role' is required (a string: PROMPT, DECODER or MIX)"))
        }
        guard case .string(let roleText) = roleValue else {
            return .failure(.typeError("'role' must be a string (PROMPT, DECODER or MIX)"))
        }
        var options: [(key: String, value: String)] = []
        switch object["switch_options"] {
        case nil, .null?:
            break
        case .object(let o)?:
            for (key, value) in o.members {
                guard case .string(let text) = value else {
                    return .failure(.typeError("'switch_options' values must be strings ('\(key)' is not)"))
                }
                options.append((key: key, value: text))
            }
        default:
            return .failure(.typeError("'switch_options' must be an object of string to string"))
        }
        var expectedEpoch: UInt64?
        switch object["expected_epoch"] {
        case nil, .null?:
            break
        case .int(let i)?:
            guard i >= 0 else { return .failure(.valueError("'expected_epoch' must be >= 0, got \(i)")) }
            expectedEpoch = UInt64(i)
        case .uint(let u)?:
            expectedEpoch = u
        default:
            return .failure(.typeError("'expected_epoch' must be an integer"))
        }
        guard let role = Role(parsing: roleText) else {
            return .failure(.valueError("'role' must be PROMPT, DECODER or MIX, got '\(roleText)'"))
        }
        let known: Set<String> = ["role", "switch_options", "expected_epoch"]
        if let unknown = object.keys.first(where: { !known.contains($0) }) {
            return .failure(.paramInvalid("unknown field '\(unknown)' (known: role, switch_options, expected_epoch)"))
        }
        return .success(RoleSwitchRequest(role: role, options: options, expectedEpoch: expectedEpoch))
    }
}
