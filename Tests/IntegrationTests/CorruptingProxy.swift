import Foundation
import Glibc
import Synchronization

/// A TCP relay on 127.0.0.1 in front of one upstream port that flips one byte of one direction's stream
/// (the first byte past `flipAfter` bytes of one connection), once — to prove that corruption on the wire
/// is caught. Pumps are dedicated blocking threads (not Dispatch workers, which the nodes need); they end
/// when either side closes.
///
/// `@unchecked Sendable` invariant: `listener` and `upstream` never change after init; the counters are atomics.
final class CorruptingProxy: @unchecked Sendable {
    let port: Int
    private let listener: Int32
    private let upstream: Int
    private let flipAfter: Int
    private let towardServer: Bool
    private let flipped = Atomic<Bool>(false)
    private let armed = Atomic<Bool>(false)

    /// Relays to `upstream`; corrupts what the server sends (responses) or, with `towardServer`, what
    /// clients send (uploads). Corruption starts disarmed (see `arm`).
    init(upstream: Int, flipAfter: Int, towardServer: Bool = false) {
        self.upstream = upstream
        self.flipAfter = flipAfter
        self.towardServer = towardServer
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

    /// From now on the next connection that streams more than `flipAfter` bytes gets one byte flipped.
    func arm() { armed.store(true, ordering: .sequentiallyConsistent) }

    /// Whether a byte was flipped.
    var didFlip: Bool { flipped.load(ordering: .sequentiallyConsistent) }

    var address: String { "127.0.0.1:\(port)" }

    /// Stops accepting (relayed connections end with their peers).
    func stop() { shutdown(listener, Int32(SHUT_RDWR)) }

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
        Thread { [self] in
            pump(from: client, to: server, corrupt: towardServer)
            finish()
        }.start()
        Thread { [self] in
            pump(from: server, to: client, corrupt: !towardServer)
            finish()
        }.start()
    }

    private func pump(from: Int32, to: Int32, corrupt: Bool) {
        var buffer = [UInt8](repeating: 0, count: 65536)
        var total = 0
        while true {
            let n = buffer.withUnsafeMutableBytes { recv(from, $0.baseAddress, $0.count, 0) }
            if n <= 0 { break }
            if corrupt, total + n > flipAfter, armed.load(ordering: .sequentiallyConsistent),
                !flipped.exchange(true, ordering: .sequentiallyConsistent)
            {
                let at = max(0, flipAfter - total)
                buffer[at] ^= 0x5A
            }
            total += n
            var off = 0
            while off < n {
                let w = buffer[off..<n].withUnsafeBytes { send(to, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) }
                if w <= 0 { break }
                off += w
            }
            if off < n { break }
        }
        shutdown(from, Int32(SHUT_RD))
        shutdown(to, Int32(SHUT_WR))
    }
}
