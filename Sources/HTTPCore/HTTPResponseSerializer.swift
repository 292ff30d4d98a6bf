/// Serializes a response head to bytes. The body is written separately (one `writev` of head + body).
public enum HTTPResponseSerializer {
    /// `HTTP/1.1 <status> <reason>\r\n` + headers + `Content-Length` (always, from `contentLength`) +
    /// `Connection: close` when `close` is true + `\r\n`. Header names/values are written as given;
    /// a caller-supplied Content-Length or Connection header is replaced. A field whose name is not a token
    /// or whose value holds CR, LF or NUL is dropped (it would split the response).
    public static func head(_ response: HTTPResponse, close: Bool) -> [UInt8] {
        head(response, close: close, announceKeepAlive: false)
    }

    /// Like `head(_:close:)`; when `announceKeepAlive` is true and `close` is false it also writes
    /// `Connection: keep-alive`, which an HTTP/1.0 client needs to keep the connection open.
    public static func head(_ response: HTTPResponse, close: Bool, announceKeepAlive: Bool) -> [UInt8] {
        var out: [UInt8] = []
        out.reserveCapacity(128 + response.headers.count * 48)
        out.append(contentsOf: "HTTP/1.1 ".utf8)
        out.append(contentsOf: String(response.status).utf8)
        out.append(HTTPByte.sp)
        out.append(contentsOf: httpReasonPhrase(response.status).utf8)
        out.append(contentsOf: crlf)
        for field in response.headers {
            guard isWritable(field.name, field.value) else { continue }
            let name = field.name.utf8
            if HTTPByte.equalsIgnoringCase(name, "content-length") || HTTPByte.equalsIgnoringCase(name, "connection") {
                continue
            }
            out.append(contentsOf: name)
            out.append(contentsOf: ": ".utf8)
            out.append(contentsOf: field.value.utf8)
            out.append(contentsOf: crlf)
        }
        if response.contentLength >= 0 {  // an open-ended body (event stream) ends with the connection
            out.append(contentsOf: "Content-Length: ".utf8)
            out.append(contentsOf: String(response.contentLength).utf8)
            out.append(contentsOf: crlf)
        }
        if close {
            out.append(contentsOf: "Connection: close\r\n".utf8)
        } else if announceKeepAlive {
            out.append(contentsOf: "Connection: keep-alive\r\n".utf8)
        }
        out.append(contentsOf: crlf)
        return out
    }

    /// The interim `HTTP/1.1 100 Continue\r\n\r\n`.
    public static let continueLine: [UInt8] = Array("HTTP/1.1 100 Continue\r\n\r\n".utf8)

    private static let crlf: [UInt8] = [HTTPByte.cr, HTTPByte.lf]

    /// A name must be a non-empty token; a value must not contain CR, LF or NUL.
    private static func isWritable(_ name: String, _ value: String) -> Bool {
        !name.isEmpty && name.utf8.allSatisfy(HTTPByte.isToken)
            && !value.utf8.contains { $0 == HTTPByte.cr || $0 == HTTPByte.lf || $0 == 0 }
    }
}
