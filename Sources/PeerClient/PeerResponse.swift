/// A buffered 2xx answer from a peer.
public struct PeerResponse: Sendable {
    /// HTTP status code (always 2xx: other statuses are thrown as `PeerError.Kind.httpStatus`).
    public var status: Int
    /// Header fields of the final response, names lower-cased, in received order.
    public var headers: [PeerHeader]
    /// The whole body (bounded by `PeerClient.Configuration.maxBufferedBodyBytes`).
    public var body: [UInt8]

    /// Creates a response value.
    public init(status: Int, headers: [PeerHeader], body: [UInt8]) {
        self.status = status
        self.headers = headers
        self.body = body
    }
}
