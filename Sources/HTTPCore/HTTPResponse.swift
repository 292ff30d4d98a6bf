/// A response value. The serializer adds `Content-Length` (and `Connection: close` when asked).
public struct HTTPResponse: Sendable, Equatable {
    public var status: Int
    public var headers: HTTPHeaders
    public var body: [UInt8]
    /// Streams the body from the producer's memory instead of `body` (which must then be empty).
    public var producer: (any HTTPBodyProducer)?

    public init(status: Int, headers: HTTPHeaders = [:], body: [UInt8] = []) {
        self.status = status
        self.headers = headers
        self.body = body
    }

    /// A response whose body is streamed by `producer` (Content-Length is `producer.contentLength`).
    public init(status: Int, headers: HTTPHeaders = [:], producer: any HTTPBodyProducer) {
        self.status = status
        self.headers = headers
        self.body = []
        self.producer = producer
    }

    /// The length announced in Content-Length: the producer's when there is one, else `body.count`.
    public var contentLength: Int { producer?.contentLength ?? body.count }

    /// Producers compare by identity.
    public static func == (lhs: HTTPResponse, rhs: HTTPResponse) -> Bool {
        lhs.status == rhs.status && lhs.headers == rhs.headers && lhs.body == rhs.body
            && lhs.producer === rhs.producer
    }

    /// A JSON response from already-encoded UTF-8 text.
    public static func json(_ status: Int, _ text: String, headers: HTTPHeaders = [:]) -> HTTPResponse {
        var h = headers
        h.replace("Content-Type", "application/json")
        return HTTPResponse(status: status, headers: h, body: Array(text.utf8))
    }
}

/// The standard reason phrase for a status code ("" for unknown codes).
public func httpReasonPhrase(_ status: Int) -> String {
    switch status {
    case 100: "Continue"
    case 200: "OK"
    case 201: "Created"
    case 202: "Accepted"
    case 204: "No Content"
    case 400: "Bad Request"
    case 401: "Unauthorized"
    case 403: "Forbidden"
    case 404: "Not Found"
    case 405: "Method Not Allowed"
    case 408: "Request Timeout"
    case 409: "Conflict"
    case 410: "Gone"
    case 411: "Length Required"
    case 413: "Content Too Large"
    case 414: "URI Too Long"
    case 415: "Unsupported Media Type"
    case 417: "Expectation Failed"
    case 431: "Request Header Fields Too Large"
    case 500: "Internal Server Error"
    case 501: "Not Implemented"
    case 502: "Bad Gateway"
    case 503: "Service Unavailable"
    case 504: "Gateway Timeout"
    case 505: "HTTP Version Not Supported"
    case 507: "Insufficient Storage"
    default: ""
    }
}
