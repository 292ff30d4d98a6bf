/// The body of `PUT /v1/role`, with its types checked (CONTRACT §4 step 1). Option values are kept as
/// text: they are validated later, in the contract's order.
public struct RoleSwitchRequest: Sendable, Equatable {
    public static let listenIpInfoKey = "llm.listenIpInfo"

    public var role: Role
    public var options: [(key: String, value: String)]
    public var expectedEpoch: UInt64?
    /// What to do with links that remain (CONTRACT §12); `.refuse` is §4 step 7.
    public var unlink: UnlinkMode
    /// How long in-flight transfers may take to end while draining.
    public var drainTimeoutMs: Int

    /// The longest drain a switch may ask for (10 minutes).
    public static let maxDrainTimeoutMs = 600_000

    public init(
        role: Role,
        options: [(key: String, value: String)] = [],
        expectedEpoch: UInt64? = nil,
        unlink: UnlinkMode = .refuse,
        drainTimeoutMs: Int = 0
    ) {
        self.role = role
        self.options = options
        self.expectedEpoch = expectedEpoch
        self.unlink = unlink
        self.drainTimeoutMs = drainTimeoutMs
    }

    public static func == (a: RoleSwitchRequest, b: RoleSwitchRequest) -> Bool {
        a.role == b.role && a.expectedEpoch == b.expectedEpoch && a.options.map(\.key) == b.options.map(\.key)
            && a.options.map(\.value) == b.options.map(\.value) && a.unlink == b.unlink
            && a.drainTimeoutMs == b.drainTimeoutMs
    }

    /// Step 1: `role` missing or not a string, `switch_options` not an object of string → string,
    /// `expected_epoch` not an integer → TYPE_ERROR; `role` not a role name, `expected_epoch` negative →
    /// VALUE_ERROR; an unknown top-level field → LLM_PARAM_INVALID.
    public static func decode(_ body: JSONValue) throws(APIError) -> RoleSwitchRequest {
        guard case .object(let object) = body else {
            throw .typeError("the body must be a JSON object")
        }
        guard let roleValue = object["role"] else {
            throw .typeError("'role' is required (a string: PROMPT, DECODER or MIX)")
        }
        guard case .string(let roleText) = roleValue else {
            throw .typeError("'role' must be a string (PROMPT, DECODER or MIX)")
        }
        var options: [(key: String, value: String)] = []
        switch object["switch_options"] {
        case nil, .null?:
            break
        case .object(let o)?:
            for (key, value) in o.members {
                guard case .string(let text) = value else {
                    throw .typeError("'switch_options' values must be strings ('\(key)' is not)")
                }
                options.append((key: key, value: text))
            }
        default:
            throw .typeError("'switch_options' must be an object of string to string")
        }
        var expectedEpoch: UInt64?
        switch object["expected_epoch"] {
        case nil, .null?:
            break
        case .int(let i)?:
            guard i >= 0 else { throw .valueError("'expected_epoch' must be >= 0, got \(i)") }
            expectedEpoch = UInt64(i)
        case .uint(let u)?:
            expectedEpoch = u
        default:
            throw .typeError("'expected_epoch' must be an integer")
        }
        var unlinkText: String?
        switch object["unlink"] {
        case nil, .null?: break
        case .string(let text)?: unlinkText = text
        default: throw .typeError("'unlink' must be a string (refuse, graceful or force)")
        }
        var drainTimeoutMs = 0
        if let value = object["drain_timeout_ms"], value != .null {
            drainTimeoutMs = Int(
                try JSONInteger.int64(value, field: "drain_timeout_ms", in: 0...Int64(maxDrainTimeoutMs))
            )
        }
        guard let role = Role(parsing: roleText) else {
            throw .valueError("'role' must be PROMPT, DECODER or MIX, got '\(roleText)'")
        }
        var unlink = UnlinkMode.refuse
        if let unlinkText {
            guard let mode = UnlinkMode(rawValue: unlinkText.lowercased()) else {
                throw .valueError("'unlink' must be refuse, graceful or force, got '\(unlinkText)'")
            }
            unlink = mode
        }
        let known: Set<String> = ["role", "switch_options", "expected_epoch", "unlink", "drain_timeout_ms"]
        if let unknown = object.keys.first(where: { !known.contains($0) }) {
            throw .paramInvalid(
                "unknown field '\(unknown)' (known: role, switch_options, expected_epoch, unlink, drain_timeout_ms)"
            )
        }
        return RoleSwitchRequest(
            role: role,
            options: options,
            expectedEpoch: expectedEpoch,
            unlink: unlink,
            drainTimeoutMs: drainTimeoutMs
        )
    }
}

/// What a role switch does with links that remain (CONTRACT §12).
public enum UnlinkMode: String, Sendable, Equatable {
    /// Links remain → LLM_EXIST_LINK (§4 step 7).
    case refuse
    /// Drain, tell each peer, then switch; a peer that cannot be told fails the switch.
    case graceful
    /// Drain, drop every link locally, then switch.
    case force
}
