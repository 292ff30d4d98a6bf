import Dispatch
import Foundation
import Glibc
import Synchronization

/// A TCP relay on 127.0.0.1 in front of one upstream port that injects one fault, once, into one
/// direction's stream of one connection, at the first byte past `after` bytes: flip that byte (corruption
/// on the wire) or hold the stream there until `resume()` (a transfer caught in flight). Pumps are
/// dedicated blocking threads (not Dispatch workers, which the nodes need); they end when either side closes.
///
/// `@unchecked Sendable` invariant: the lets never change after init; mutable state is atomics and a semaphore.
final class FaultyRelay: @unchecked Sendable {
    /// `flip` a byte, `pause` the stream, or act on the answer to a `POST /v1/peer/pull/ack` that went through (the
    /// ack happened): `dropAckAnswer` closes its connection instead of relaying it, `garbleAckAnswer` relays it with
    /// its body bytes flipped (same length, no longer JSON), `lateAckAnswer` relays it `ms` later. Each hits the
    /// first ack only, or with `everyAck` (late answers) every ack.
    /// `cut` closes the connection (both ways) once `after` bytes went through: a stream killed mid-transfer.
    /// `shortenLength` lowers the announced `Content-Length` of the next answer that has one (its last non-zero
    /// digit, by one): the body then carries more than announced.
    enum Fault: Sendable, Equatable {
        case flip, pause, dropAckAnswer, garbleAckAnswer, cut, shortenLength
        case lateAckAnswer(ms: Int, everyAck: Bool)

        var isAckFault: Bool {
            switch self {
            case .flip, .pause, .cut, .shortenLength: false
            case .dropAckAnswer, .garbleAckAnswer, .lateAckAnswer: true
            }
        }

        var hitsEveryAck: Bool { if case .lateAckAnswer(_, true) = self { true } else { false } }
    }

    /// Per connection: an ack request went upstream and its answer must be acted on; and how many times the
    /// non-faulty direction relayed bytes (with `perRequest`, each answer starts a new count).
    private final class AckTrap: Sendable {
        let armed = Atomic<Bool>(false)
        let answers = Atomic<Int>(0)
    }

    let port: Int
    private let listener: Int32
    private let upstream: Int
    private let fault: Fault
    private let after: Int
    private let towardServer: Bool
    private let perRequest: Bool
    private let triggered = Atomic<Bool>(false)
    private let holding = Atomic<Bool>(false)
    private let armed = Atomic<Bool>(false)
    private let release = DispatchSemaphore(value: 0)

    /// Relays to `upstream`; the fault hits what the server sends (responses) or, with `towardServer`, what
    /// clients send (uploads). It starts disarmed (see `arm`), so links can be made through the relay first.
    /// With `perRequest`, `after` counts the bytes since the other direction last relayed something (one request
    /// or answer each, on a kept-alive connection: the fault hits a large request, not two small ones in turn).
    init(upstream: Int, fault: Fault, after: Int, towardServer: Bool = false, perRequest: Bool = false) {
        self.upstream = upstream
        self.fault = fault
        self.after = after
        self.towardServer = towardServer
        self.perRequest = perRequest
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        var addr = Self.loopback(port: 0)
        _ = withUnsafePointer(to: &addr) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                bind(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size))
            }
        }
        listen(fd, 64)
        var len = socklen_t(MemoryLayout<sockaddr_in>.size)
        _ = withUnsafeMutablePointer(to: &addr) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(fd, $0, &len) }
        }
        listener = fd
        port = Int(UInt16(bigEndian: addr.sin_port))
        Thread { [self] in
            while true {
                let client = accept(fd, nil, nil)
                if client < 0 { return }
                relay(client)
            }
        }.start()
    }

    /// From now on the next connection that streams more than `after` bytes gets the fault (again, when it already
    /// hit one: each `arm` is good for one more).
    func arm() {
        triggered.store(false, ordering: .sequentiallyConsistent)
        armed.store(true, ordering: .sequentiallyConsistent)
    }

    /// Whether the fault was injected.
    var didTrigger: Bool { triggered.load(ordering: .sequentiallyConsistent) }

    /// True while a paused stream is being held.
    var isHolding: Bool { holding.load(ordering: .sequentiallyConsistent) }

    /// Lets a paused stream go on.
    func resume() { release.signal() }

    var address: String { "127.0.0.1:\(port)" }

    /// Stops accepting (relayed connections end with their peers) and lets any held stream go.
    func stop() {
        shutdown(listener, Int32(SHUT_RDWR))
        if isHolding { release.signal() }
    }

    deinit {
        shutdown(listener, Int32(SHUT_RDWR))
        close(listener)
    }

    private static func loopback(port: Int) -> sockaddr_in {
        var addr = sockaddr_in()
        addr.sin_family = sa_family_t(AF_INET)
        addr.sin_port = in_port_t(UInt16(port).bigEndian)
        addr.sin_addr.s_addr = inet_addr("127.0.0.1")
        return addr
    }

    private func relay(_ client: Int32) {
        let server = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        var addr = Self.loopback(port: upstream)
        let rc = withUnsafePointer(to: &addr) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                connect(server, $0, socklen_t(MemoryLayout<sockaddr_in>.size))
            }
        }
        guard rc == 0 else {
            close(server)
            close(client)
            return
        }
        let done = Atomic<Int>(0)
        let finish: @Sendable () -> Void = {
            // The second pump to end closes both sockets.
            if done.add(1, ordering: .sequentiallyConsistent).newValue == 2 {
                close(client)
                close(server)
            }
        }
        let trap = AckTrap()
        Thread { [self] in
            pump(from: client, to: server, faulty: towardServer, trap: trap, watchesAcks: true)
            finish()
        }.start()
        Thread { [self] in
            pump(from: server, to: client, faulty: !towardServer, trap: trap, watchesAcks: false)
            finish()
        }.start()
    }

    private func pump(from: Int32, to: Int32, faulty: Bool, trap: AckTrap, watchesAcks: Bool) {
        var buffer = [UInt8](repeating: 0, count: 65536)
        var total = 0
        var answersSeen = 0
        let ackLine = Array("POST /v1/peer/pull/ack".utf8)
        while true {
            let n = buffer.withUnsafeMutableBytes { recv(from, $0.baseAddress, $0.count, 0) }
            if n < 0 && errno == EINTR { continue }
            if n <= 0 { break }
            if !faulty { trap.answers.add(1, ordering: .sequentiallyConsistent) }
            if faulty, perRequest, trap.answers.load(ordering: .sequentiallyConsistent) != answersSeen {
                answersSeen = trap.answers.load(ordering: .sequentiallyConsistent)
                total = 0
            }
            if fault.isAckFault {
                if watchesAcks, armed.load(ordering: .sequentiallyConsistent),
                    buffer[0..<n].firstRange(of: ackLine) != nil,
                    !triggered.exchange(true, ordering: .sequentiallyConsistent) || fault.hitsEveryAck
                {
                    trap.armed.store(true, ordering: .sequentiallyConsistent)
                } else if !watchesAcks, trap.armed.load(ordering: .sequentiallyConsistent) {
                    // The answer to the ack.
                    switch fault {
                    case .garbleAckAnswer:
                        // Flip the body's bytes (past the head; the whole chunk when the head does not end in it).
                        let body = buffer[0..<n].firstRange(of: Array("\r\n\r\n".utf8)).map { $0.upperBound } ?? 0
                        for i in body..<n { buffer[i] ^= 0x5A }
                        trap.armed.store(false, ordering: .sequentiallyConsistent)
                    case .lateAckAnswer(let ms, _):
                        trap.armed.store(false, ordering: .sequentiallyConsistent)
                        usleep(UInt32(ms) * 1000)  // the fault itself: the answer is held back this long
                    default:
                        // Swallow it and cut the client's connection.
                        shutdown(to, Int32(SHUT_RDWR))
                    }
                    if fault == .dropAckAnswer { break }
                }
                guard send(buffer[0..<n], to: to) else { break }
                total += n
                continue
            }
            if fault == .shortenLength {
                if faulty, armed.load(ordering: .sequentiallyConsistent),
                    let field = buffer[0..<n].firstRange(of: Array("Content-Length: ".utf8)),
                    let last = buffer[field.upperBound..<n].prefix(while: { (48...57).contains($0) }).lastIndex(where: {
                        $0 > UInt8(ascii: "0")
                    }),
                    !triggered.exchange(true, ordering: .sequentiallyConsistent)
                {
                    buffer[last] -= 1
                }
                guard send(buffer[0..<n], to: to) else { break }
                total += n
                continue
            }
            var split = n  // bytes to send before the fault acts
            if faulty, total + n > after, armed.load(ordering: .sequentiallyConsistent),
                !triggered.exchange(true, ordering: .sequentiallyConsistent)
            {
                split = max(0, after - total)
                if fault == .flip { buffer[split] ^= 0x5A }
            }
            guard send(buffer[0..<split], to: to) else { break }
            if split < n, fault == .cut {
                shutdown(to, Int32(SHUT_RDWR))
                shutdown(from, Int32(SHUT_RDWR))
                break
            }
            if split < n {
                if fault == .pause {
                    holding.store(true, ordering: .sequentiallyConsistent)
                    release.wait()
                    holding.store(false, ordering: .sequentiallyConsistent)
                }
                guard send(buffer[split..<n], to: to) else { break }
            }
            total += n
        }
        shutdown(from, Int32(SHUT_RD))
        shutdown(to, Int32(SHUT_WR))
    }

    private func send(_ bytes: ArraySlice<UInt8>, to fd: Int32) -> Bool {
        var off = bytes.startIndex
        while off < bytes.endIndex {
            let w = bytes[off...].withUnsafeBytes { Glibc.send(fd, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) }
            if w < 0 && errno == EINTR { continue }
            if w <= 0 { return false }
            off += w
        }
        return true
    }
}
