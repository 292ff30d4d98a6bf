import Foundation
import Synchronization
import TLSTransport

#if canImport(Glibc)
import Glibc
#endif

/// A listening TCP socket on 127.0.0.1 with an ephemeral port.
struct LoopbackListener: ~Copyable {
    let fd: Int32
    let port: UInt16

    init() {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        var address = loopbackAddress(port: 0)
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        let ok = withUnsafeMutablePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                bind(fd, $0, length) == 0 && listen(fd, 16) == 0 && getsockname(fd, $0, &length) == 0
            }
        }
        precondition(ok, "loopback listener: \(errno)")
        self.fd = fd
        port = UInt16(bigEndian: address.sin_port)
    }

    /// Accepts one connection and makes it non-blocking.
    func acceptNonBlocking() -> Int32 {
        let connection = accept(fd, nil, nil)
        precondition(connection >= 0, "accept: \(errno)")
        makeNonBlocking(connection)
        return connection
    }

    deinit { close(fd) }
}

func loopbackAddress(port: UInt16) -> sockaddr_in {
    var address = sockaddr_in()
    address.sin_family = sa_family_t(AF_INET)
    address.sin_port = port.bigEndian
    address.sin_addr.s_addr = UInt32(0x7F00_0001).bigEndian
    return address
}

/// A blocking connect to 127.0.0.1:`port`, then non-blocking.
func connectNonBlocking(port: UInt16) -> Int32 {
    let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
    var address = loopbackAddress(port: port)
    let ok = withUnsafePointer(to: &address) {
        $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
            connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) == 0
        }
    }
    precondition(ok, "connect: \(errno)")
    makeNonBlocking(fd)
    return fd
}

func makeNonBlocking(_ fd: Int32) {
    _ = fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK)
}

/// Waits (bounded) until `fd` is ready for what a session asked for.
func waitFor(_ fd: Int32, readable: Bool, milliseconds: Int32 = 50) {
    var entry = pollfd(fd: fd, events: Int16(readable ? POLLIN : POLLOUT), revents: 0)
    _ = poll(&entry, 1, milliseconds)
}

/// Drives one session's handshake to an end (bounded by 10 s).
func completeHandshake(_ session: TLSSession, fd: Int32) -> TLSSession.Progress {
    let deadline = ContinuousClock.now + .seconds(10)
    while ContinuousClock.now < deadline {
        let step = session.handshake()
        switch step {
        case .wantRead: waitFor(fd, readable: true)
        case .wantWrite: waitFor(fd, readable: false)
        default: return step
        }
    }
    return .failed(.socket, "handshake deadline")
}

/// Drives two sessions' handshakes in one thread until both have ended.
func completeHandshakes(
    _ first: TLSSession,
    fd firstFD: Int32,
    _ second: TLSSession,
    fd secondFD: Int32
) -> (TLSSession.Progress, TLSSession.Progress) {
    var results: [TLSSession.Progress?] = [nil, nil]
    let deadline = ContinuousClock.now + .seconds(10)
    while results.contains(where: { $0 == nil }), ContinuousClock.now < deadline {
        for (index, (session, fd)) in [(first, firstFD), (second, secondFD)].enumerated() where results[index] == nil {
            switch session.handshake() {
            case .wantRead, .wantWrite: waitFor(fd, readable: true, milliseconds: 5)
            case let ended: results[index] = ended
            }
        }
    }
    return (results[0] ?? .failed(.socket, "deadline"), results[1] ?? .failed(.socket, "deadline"))
}

/// Reads until `count` bytes arrived, the stream closed, or it failed (bounded by 10 s).
func readAll(_ session: TLSSession, fd: Int32, count: Int) -> (bytes: [UInt8], end: TLSSession.IOResult?) {
    var received: [UInt8] = []
    var buffer = [UInt8](repeating: 0, count: 64 << 10)
    let deadline = ContinuousClock.now + .seconds(10)
    while received.count < count, ContinuousClock.now < deadline {
        let result = buffer.withUnsafeMutableBytes { session.read(into: $0) }
        switch result {
        case .bytes(let n): received += buffer[0..<n]
        case .wantRead: waitFor(fd, readable: true)
        case .wantWrite: waitFor(fd, readable: false)
        default: return (received, result)
        }
    }
    return (received, nil)
}

/// Writes every span and sends every record sealed from them (bounded by 10 s); false if the session failed.
func writeAll(_ session: TLSSession, fd: Int32, spans: [UnsafeRawBufferPointer]) -> Bool {
    var remaining = spans
    let deadline = ContinuousClock.now + .seconds(10)
    while !remaining.isEmpty || session.hasPendingOutput, ContinuousClock.now < deadline {
        if remaining.isEmpty {
            switch session.flush() {
            case .done: continue
            case .wantRead, .wantWrite: waitFor(fd, readable: false)
            case .failed: return false
            }
            continue
        }
        switch session.write(spans: remaining) {
        case .bytes(var written):
            while written > 0 {
                if written >= remaining[0].count {
                    written -= remaining[0].count
                    remaining.removeFirst()
                } else {
                    remaining[0] = UnsafeRawBufferPointer(rebasing: remaining[0][written...])
                    written = 0
                }
            }
            while let first = remaining.first, first.isEmpty { remaining.removeFirst() }
        case .wantRead: waitFor(fd, readable: true)
        case .wantWrite: waitFor(fd, readable: false)
        default: return false
        }
    }
    return remaining.isEmpty && !session.hasPendingOutput
}

/// Runs `body` on its own thread; `join()` waits for its result.
final class Background<Value: Sendable>: Sendable {
    private let result = Mutex<Value?>(nil)
    private let done = DispatchSemaphore(value: 0)

    init(_ body: @escaping @Sendable () -> Value) {
        let thread = Thread { [self] in
            let value = body()
            result.withLock { $0 = value }
            done.signal()
        }
        thread.start()
    }

    func join() -> Value {
        done.wait()
        return result.withLock { $0! }
    }
}

/// Runs a command to its end with `input` on stdin; returns its exit status and stdout+stderr.
func runTool(_ path: String, _ arguments: [String], input: String = "") throws -> (status: Int32, output: String) {
    let process = Process()
    process.executableURL = URL(fileURLWithPath: path)
    process.arguments = arguments
    let stdin = Pipe()
    let stdout = Pipe()
    process.standardInput = stdin
    process.standardOutput = stdout
    process.standardError = stdout
    try process.run()
    stdin.fileHandleForWriting.write(Data(input.utf8))
    try stdin.fileHandleForWriting.close()
    let output = stdout.fileHandleForReading.readDataToEndOfFile()
    process.waitUntilExit()
    return (process.terminationStatus, String(decoding: output, as: UTF8.self))
}
