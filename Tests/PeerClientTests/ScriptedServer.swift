import Foundation
import Glibc
import Synchronization

/// What the scripted server does after reading one request.
enum ScriptedReply: Sendable {
    /// Write these bytes and wait for the next request on the same connection.
    case send([UInt8])
    /// Write these bytes, then close the connection.
    case sendAndClose([UInt8])
    /// Never answer; hold the connection open until the server stops.
    case silence
    /// Close the connection without answering (a kept-alive peer that went away).
    case close
}

/// One request as the server read it off the wire.
struct ReceivedRequest: Sendable {
    /// Request line and header fields, CRLF separated, without the blank line.
    let head: String
    /// Body bytes (Content-Length framed).
    let body: [UInt8]
    /// 1-based number of the connection it arrived on.
    let connection: Int

    /// The request line, e.g. `GET /path HTTP/1.1`.
    var requestLine: String {
        String(head.split(separator: "\r\n").first ?? "")
    }

    /// The request target of the request line.
    var target: String {
        String(head.split(separator: " ", maxSplits: 2).dropFirst().first ?? "")
    }

    /// Lower-cased names of the header fields.
    var headerNames: [String] {
        head.split(separator: "\r\n").dropFirst().compactMap { line in
            line.split(separator: ":", maxSplits: 1).first.map { $0.lowercased() }
        }
    }
}

/// A tiny HTTP/1.1 test peer on 127.0.0.1 (ephemeral port) over blocking POSIX sockets: one accept thread,
/// one thread per connection. Each test scripts the raw bytes it answers; the server records accepted
/// connections and the requests it read.
///
/// `@unchecked Sendable` invariant: mutable state lives in `state` (a Mutex); `listener` and `port` are
/// immutable after `init`.
final class ScriptedServer: @unchecked Sendable {
    private struct State {
        var accepted = 0
        var requests: [ReceivedRequest] = []
        var openSockets: Set<Int32> = []
        var runningThreads = 0
        var stopping = false
    }

    let port: Int
    private let listener: Int32
    private let reply: @Sendable (ReceivedRequest) -> ScriptedReply
    private let state = Mutex(State())

    /// Starts listening; `reply` decides the answer to each request.
    init(reply: @escaping @Sendable (ReceivedRequest) -> ScriptedReply) throws {
        self.reply = reply
        let (socket, port) = try bindLoopback(listen: true)
        listener = socket
        self.port = port
        state.withLock { $0.runningThreads = 1 }
        Thread.detachNewThread { [self] in acceptLoop() }
    }

    /// `http://127.0.0.1:<port><path>`.
    func url(_ path: String) -> String { "http://127.0.0.1:\(port)\(path)" }

    /// `127.0.0.1:<port>`, the pool key of this peer.
    var peer: String { "127.0.0.1:\(port)" }

    /// Connections accepted so far.
    var acceptedConnections: Int { state.withLock { $0.accepted } }

    /// Requests read so far, in arrival order.
    var requests: [ReceivedRequest] { state.withLock { $0.requests } }

    /// Stops accepting, cuts every connection and waits (bounded) for the server threads to end.
    func stop() {
        let sockets = state.withLock { state -> [Int32] in
            state.stopping = true
            return Array(state.openSockets)
        }
        _ = shutdown(listener, Int32(SHUT_RDWR))
        for socket in sockets {
            _ = shutdown(socket, Int32(SHUT_RDWR))
        }
        let deadline = ContinuousClock.now + .seconds(5)
        while state.withLock({ $0.runningThreads }) > 0, ContinuousClock.now < deadline {
            Thread.sleep(forTimeInterval: 0.002)
        }
    }

    private func acceptLoop() {
        defer {
            close(listener)
            state.withLock { $0.runningThreads -= 1 }
        }
        while true {
            let socket = accept(listener, nil, nil)
            if socket < 0 {
                if errno == EINTR { continue }
                return
            }
            let number = state.withLock { state -> Int? in
                guard !state.stopping else { return nil }
                state.accepted += 1
                state.openSockets.insert(socket)
                state.runningThreads += 1
                return state.accepted
            }
            guard let number else {
                close(socket)
                return
            }
            Thread.detachNewThread { [self] in serve(socket, connection: number) }
        }
    }

    private func serve(_ socket: Int32, connection: Int) {
        defer {
            state.withLock {
                $0.openSockets.remove(socket)
                $0.runningThreads -= 1
            }
            close(socket)
        }
        var reader = SocketReader(socket: socket)
        while let (head, body) = reader.readRequest() {
            let request = ReceivedRequest(head: head, body: body, connection: connection)
            state.withLock { $0.requests.append(request) }
            switch reply(request) {
            case .send(let bytes):
                guard sendAll(socket, bytes) else { return }
            case .sendAndClose(let bytes):
                _ = sendAll(socket, bytes)
                return
            case .silence:
                reader.drainUntilClosed()
                return
            case .close:
                return
            }
        }
    }
}

/// Reads Content-Length framed requests from a blocking socket.
private struct SocketReader {
    let socket: Int32
    private var buffer: [UInt8] = []
    private var chunk = [UInt8](repeating: 0, count: 64 << 10)

    init(socket: Int32) {
        self.socket = socket
    }

    /// The next request's head and body, or nil at end of stream.
    mutating func readRequest() -> (String, [UInt8])? {
        let terminator: [UInt8] = Array("\r\n\r\n".utf8)
        var headEnd = buffer.firstRange(of: terminator)?.lowerBound
        while headEnd == nil {
            guard fill() else { return nil }
            headEnd = buffer.firstRange(of: terminator)?.lowerBound
        }
        guard let headEnd else { return nil }
        let head = String(decoding: buffer[..<headEnd], as: UTF8.self)
        buffer.removeFirst(headEnd + terminator.count)
        let length = contentLength(of: head)
        while buffer.count < length {
            guard fill() else { return nil }
        }
        let body = Array(buffer[..<length])
        buffer.removeFirst(length)
        return (head, body)
    }

    /// Reads and discards until the peer closes or the socket is shut down.
    mutating func drainUntilClosed() {
        while fill() {
            buffer.removeAll(keepingCapacity: true)
        }
    }

    private mutating func fill() -> Bool {
        while true {
            let count = chunk.withUnsafeMutableBytes { recv(socket, $0.baseAddress, $0.count, 0) }
            if count > 0 {
                buffer.append(contentsOf: chunk[..<count])
                return true
            }
            if count < 0, errno == EINTR { continue }
            return false
        }
    }

    private func contentLength(of head: String) -> Int {
        for line in head.split(separator: "\r\n") {
            let parts = line.split(separator: ":", maxSplits: 1)
            if parts.count == 2, parts[0].lowercased() == "content-length" {
                return Int(parts[1].trimmingCharacters(in: .whitespaces)) ?? 0
            }
        }
        return 0
    }
}

/// Writes all of `bytes`; false if the peer went away.
private func sendAll(_ socket: Int32, _ bytes: [UInt8]) -> Bool {
    bytes.withUnsafeBytes { raw in
        var offset = 0
        while offset < raw.count {
            let sent = send(socket, raw.baseAddress! + offset, raw.count - offset, Int32(MSG_NOSIGNAL))
            if sent < 0 {
                if errno == EINTR { continue }
                return false
            }
            offset += sent
        }
        return true
    }
}

struct SocketSetupError: Error {
    let call: String
    let code: Int32
}

/// A TCP socket bound to 127.0.0.1 on an ephemeral port (listening if asked), and that port.
func bindLoopback(listen shouldListen: Bool) throws -> (Int32, Int) {
    let socket = Glibc.socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
    guard socket >= 0 else { throw SocketSetupError(call: "socket", code: errno) }
    var address = sockaddr_in()
    address.sin_family = sa_family_t(AF_INET)
    address.sin_port = 0
    address.sin_addr.s_addr = inet_addr("127.0.0.1")
    let bound = withUnsafePointer(to: &address) {
        $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
            bind(socket, $0, socklen_t(MemoryLayout<sockaddr_in>.size))
        }
    }
    guard bound == 0 else {
        close(socket)
        throw SocketSetupError(call: "bind", code: errno)
    }
    if shouldListen, listen(socket, 128) != 0 {
        close(socket)
        throw SocketSetupError(call: "listen", code: errno)
    }
    var length = socklen_t(MemoryLayout<sockaddr_in>.size)
    _ = withUnsafeMutablePointer(to: &address) {
        $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(socket, $0, &length) }
    }
    return (socket, Int(UInt16(bigEndian: address.sin_port)))
}

/// Raw bytes of an HTTP/1.1 response with a correct Content-Length.
func httpResponse(
    status: Int = 200,
    reason: String = "OK",
    headers: [String] = [],
    body: [UInt8]
) -> [UInt8] {
    var head = "HTTP/1.1 \(status) \(reason)\r\n"
    for line in headers + ["Content-Length: \(body.count)"] {
        head += line + "\r\n"
    }
    head += "\r\n"
    return Array(head.utf8) + body
}
