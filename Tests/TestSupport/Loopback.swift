import Glibc

/// 127.0.0.1:`port` as a socket address.
func loopbackAddress(port: Int) -> sockaddr_in {
    var addr = sockaddr_in()
    addr.sin_family = sa_family_t(AF_INET)
    addr.sin_port = in_port_t(UInt16(port).bigEndian)
    addr.sin_addr.s_addr = inet_addr("127.0.0.1")
    return addr
}

/// A TCP port on 127.0.0.1 that was free a moment ago.
public func freePort() -> Int {
    let s = TCPSocketForTests.bound(port: 0)
    defer { close(s.fd) }
    return s.port
}

/// A socket bound to 127.0.0.1 (listening when asked) that keeps its port taken until closed.
public struct TCPSocketForTests {
    public let fd: Int32
    public let port: Int

    public static func bound(port: Int, listen doListen: Bool = false) -> TCPSocketForTests {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        var addr = loopbackAddress(port: port)
        _ = withUnsafePointer(to: &addr) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                bind(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size))
            }
        }
        if doListen { _ = Glibc.listen(fd, 16) }
        var len = socklen_t(MemoryLayout<sockaddr_in>.size)
        _ = withUnsafeMutablePointer(to: &addr) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(fd, $0, &len) }
        }
        return TCPSocketForTests(fd: fd, port: Int(UInt16(bigEndian: addr.sin_port)))
    }
}

/// True when something accepts TCP connections on 127.0.0.1:port.
public func isListening(_ port: Int) -> Bool {
    let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
    defer { close(fd) }
    var addr = loopbackAddress(port: port)
    let rc = withUnsafePointer(to: &addr) {
        $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
            connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size))
        }
    }
    return rc == 0
}
