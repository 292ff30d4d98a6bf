import CLinux
import Glibc

/// A bound, listening, non-blocking TCP socket.
struct ListeningSocket {
    let fd: Int32
    let port: Int

    /// Listen queue length (≥ 511; the kernel caps it at somaxconn).
    static let backlog: Int32 = 1024

    /// Opens `host:port`. Throws `HTTPServerError` and leaves no descriptor open on failure.
    static func open(host: String, port: Int) throws(HTTPServerError) -> ListeningSocket {
        let label = host.contains(":") ? "[\(host)]:\(port)" : "\(host):\(port)"
        var address = sockaddr_storage()
        var length = socklen_t(0)
        let family = (0...65_535).contains(port) ? clinux_parse_address(host, Int32(port), &address, &length) : -1
        guard family >= 0 else {
            throw HTTPServerError(
                operation: "address",
                errno: EINVAL,
                message: "address \(label): not an IPv4 or IPv6 literal with a port in 0...65535"
            )
        }
        let fd: Int32
        do {
            fd = try Syscall.run("socket \(label)") { clinux_tcp_socket(family) }
        } catch {
            throw error.serverError("socket")
        }
        do {
            _ = try Syscall.run("setsockopt SO_REUSEADDR \(label)") { clinux_set_reuseaddr(fd) }
            _ = try withUnsafePointer(to: &address) { pointer throws(SyscallError) in
                try pointer.withMemoryRebound(to: sockaddr.self, capacity: 1) { sa throws(SyscallError) in
                    try Syscall.run("bind \(label)") { bind(fd, sa, length) }
                }
            }
            _ = try Syscall.run("listen \(label)") { listen(fd, backlog) }
            let bound = try Syscall.run("getsockname \(label)") { clinux_local_port(fd) }
            return ListeningSocket(fd: fd, port: Int(bound))
        } catch {
            Glibc.close(fd)
            throw error.serverError(String(error.operation.prefix { $0 != " " }))
        }
    }
}
