import CLinux
import Glibc
import TLSTransport
import TestSupport

/// A blocking HTTPS/1.1 client over the real `TLSSession` (OpenSSL), for the TLS server tests: one connection,
/// requests answered with a Content-Length.
final class TLSTestClient {
    let connection: RawHTTPConnection
    let session: TLSSession
    private var buffer: [UInt8] = []

    struct Failure: Error, CustomStringConvertible {
        var description: String
    }

    /// Connects to 127.0.0.1:`port` and completes the handshake (the socket's 10 s receive timeout bounds it).
    init(port: Int, context: TLSContext) throws {
        connection = try RawHTTPConnection(port: port)
        session = try TLSSession(clientContext: context, fd: connection.fd, peerHost: "127.0.0.1")
        while true {
            switch session.handshake() {
            case .done: return
            case .wantRead, .wantWrite: continue
            case .failed(_, let reason): throw Failure(description: reason)
            }
        }
    }

    deinit { connection.close() }

    func send(_ bytes: [UInt8]) throws {
        var sent = 0
        while sent < bytes.count {
            let result = bytes[sent...].withUnsafeBytes { session.write($0) }
            switch result {
            case .bytes(let count): sent += count
            case .wantRead, .wantWrite: continue
            case .closed: throw Failure(description: "closed while sending")
            case .failed(_, let reason): throw Failure(description: reason)
            }
        }
    }

    /// Reads one response with a Content-Length body.
    func readResponse() throws -> RawHTTPConnection.Response {
        while true {
            if let headEnd = buffer.firstRange(of: [13, 10, 13, 10])?.upperBound {
                let head = String(decoding: buffer[0..<headEnd], as: UTF8.self)
                let lines = head.split(separator: "\r\n").map(String.init)
                let status = Int(lines[0].split(separator: " ")[1]) ?? 0
                var headers: [(name: String, value: String)] = []
                for line in lines.dropFirst() {
                    guard let colon = line.firstIndex(of: ":") else { continue }
                    headers.append(
                        (String(line[..<colon]), String(line[line.index(after: colon)...].drop { $0 == " " }))
                    )
                }
                let length = Int(headers.first { $0.name.lowercased() == "content-length" }?.value ?? "0") ?? 0
                if buffer.count - headEnd >= length {
                    let body = Array(buffer[headEnd..<headEnd + length])
                    buffer.removeFirst(headEnd + length)
                    return RawHTTPConnection.Response(status: status, headers: headers, body: body)
                }
            }
            guard try fill() else { throw Failure(description: "closed before a whole response") }
        }
    }

    /// One request and its response.
    func request(_ method: String, _ target: String, body: [UInt8] = []) throws -> RawHTTPConnection.Response {
        let head = "\(method) \(target) HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Length: \(body.count)\r\n\r\n"
        try send(Array(head.utf8) + body)
        return try readResponse()
    }

    /// Reads until at least `count` bytes (head and body) arrived, pausing between reads of at most 64 KiB (a slow
    /// reader); returns them (for bodies without a length).
    func read(atLeast count: Int, pauseMicroseconds: UInt32 = 0) throws -> [UInt8] {
        while buffer.count < count {
            guard try fill() else { throw Failure(description: "closed after \(buffer.count) of \(count) bytes") }
            if pauseMicroseconds > 0 { usleep(pauseMicroseconds) }
        }
        defer { buffer.removeAll() }
        return buffer
    }

    /// Reads until close_notify or EOF; true when the server sent close_notify.
    func readsCloseNotify() -> Bool {
        while true {
            var chunk = [UInt8](repeating: 0, count: 16 * 1024)
            let result = chunk.withUnsafeMutableBytes { session.read(into: $0) }
            switch result {
            case .bytes: continue
            case .wantRead, .wantWrite: return false  // the receive timeout passed
            case .closed: return true
            case .failed: return false
            }
        }
    }

    private func fill() throws -> Bool {
        var chunk = [UInt8](repeating: 0, count: 64 * 1024)
        let result = chunk.withUnsafeMutableBytes { session.read(into: $0) }
        switch result {
        case .bytes(let count):
            buffer.append(contentsOf: chunk[0..<count])
            return true
        case .wantRead, .wantWrite:
            throw Failure(description: "no answer within the receive timeout")
        case .closed:
            return false
        case .failed(_, let reason):
            throw Failure(description: reason)
        }
    }
}
