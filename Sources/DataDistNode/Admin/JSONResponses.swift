import DataDistModel
import HTTPCore

extension HTTPResponse {
    /// A JSON answer with the given HTTP status.
    static func json(_ status: Int, _ value: JSONValue, headers: HTTPHeaders = [:]) -> HTTPResponse {
        .json(status, value.serialized, headers: headers)
    }

    /// The standard error body of CONTRACT §3 with the status's HTTP code.
    static func error(_ error: APIError, headers: HTTPHeaders = [:]) -> HTTPResponse {
        var h = headers
        if error.status == .NODE_DRAINING { h.replace("Retry-After", "1") }
        return .json(error.status.httpStatus, error.json, headers: h)
    }
}

extension HTTPRequest {
    /// The body as a JSON value; a body that is not JSON is a TYPE_ERROR (Python would raise TypeError).
    func jsonBody() throws(APIError) -> JSONValue {
        if body.isEmpty { throw .typeError("a JSON body is required") }
        do {
            return try JSONValue.parse(body)
        } catch {
            throw .typeError("the body is not valid JSON: \(error)")
        }
    }
}
