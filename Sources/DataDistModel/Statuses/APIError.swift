/// A failed API call: a status and a human sentence. Rendered as
/// `{"error": {"status": "…", "code": …, "message": "…"}}` with `status.httpStatus`.
public struct APIError: Error, Sendable, Equatable, CustomStringConvertible {
    public var status: APIStatus
    public var message: String

    public init(_ status: APIStatus, _ message: String) {
        self.status = status
        self.message = message
    }

    public var json: JSONValue {
        .object([
            "error": .object([
                "status": .string(status.rawValue), "code": .int(status.code), "message": .string(message),
            ])
        ])
    }
    public var description: String { "\(status.rawValue): \(message)" }

    public static func typeError(_ message: String) -> APIError { APIError(.TYPE_ERROR, message) }
    public static func valueError(_ message: String) -> APIError { APIError(.VALUE_ERROR, message) }
    public static func paramInvalid(_ message: String) -> APIError { APIError(.LLM_PARAM_INVALID, message) }
}
