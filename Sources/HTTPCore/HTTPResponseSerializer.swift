/// Serializes a response head to bytes. The body is written separately (one `writev` of head + body).
public enum HTTPResponseSerializer {
    /// `HTTP/1.1 <status> <reason>\r\n` + headers + `Content-Length` (always, from `body.count`) +
    /// `Connection: close` when `close` is true + `\r\n`. Header names/values are written as given;
    /// a caller-supplied Content-Length or Connection header is replaced.
    public static func head(_ response: HTTPResponse, close: Bool) -> [UInt8] {
        fatalError("not implemented")
    }
    /// The interim `HTTP/1.1 100 Continue\r\n\r\n`.
    public static let continueLine: [UInt8] = Array("HTTP/1.1 100 Continue\r\n\r\n".utf8)
}
