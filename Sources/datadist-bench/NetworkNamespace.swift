import Glibc

/// Network namespaces the bench makes with `ip netns` (root only), and the way a bench thread enters one.
enum NetworkNamespace {
    /// `ip` (Debian iproute2), or nil.
    static var ipPath: String? { findExecutable("ip") }

    /// Runs `ip ARGS…` to completion; throws with its output on a non-zero exit.
    @discardableResult
    static func ip(_ args: [String], log: String) throws(BenchError) -> String {
        guard let path = ipPath else { throw BenchError("`ip` not found (Debian iproute2)") }
        let (status, output) = try ChildProcess.run(path, args, outputPath: log)
        guard status == 0 else { throw BenchError("`ip \(args.joined(separator: " "))` exited \(status): \(output)") }
        return output
    }

    /// Moves the calling thread into namespace `name` (`/var/run/netns/NAME`); nil on success, else why not.
    /// Sockets the thread creates afterwards belong to that namespace, wherever they are used later.
    static func enter(_ name: String) -> String? {
        let path = "/var/run/netns/\(name)"
        let fd = open(path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { return "cannot open \(path): \(String(cString: strerror(errno)))" }
        defer { close(fd) }
        guard setns(fd, cloneNewNet) == 0 else { return "setns \(path): \(String(cString: strerror(errno)))" }
        return nil
    }

    /// `setns(2)`. Glibc declares it only under `_GNU_SOURCE`, which the Swift module does not see, so it is
    /// looked up in the C library at run time.
    private static let setns: @convention(c) (Int32, Int32) -> Int32 = {
        guard let symbol = dlsym(dlopen(nil, RTLD_NOW), "setns") else { fatalError("libc has no setns") }
        return unsafeBitCast(symbol, to: (@convention(c) (Int32, Int32) -> Int32).self)
    }()
    private static let cloneNewNet: Int32 = 0x4000_0000  // CLONE_NEWNET (linux/sched.h)
}

/// Blocking IPv4 TCP sockets on any address of the calling thread's namespace.
enum Socket {
    static func address(_ host: String, _ port: Int) -> sockaddr_in {
        var addr = sockaddr_in()
        addr.sin_family = sa_family_t(AF_INET)
        addr.sin_port = in_port_t(UInt16(port).bigEndian)
        addr.sin_addr.s_addr = inet_addr(host)
        return addr
    }

    /// A listening socket on `host`:0: (fd, port, ""), or (-1, 0, why).
    static func listen(_ host: String) -> (Int32, Int, String) {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
        var addr = address(host, 0)
        let size = socklen_t(MemoryLayout<sockaddr_in>.size)
        let bound = withUnsafePointer(to: &addr) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, size) }
        }
        guard fd >= 0, bound == 0, Glibc.listen(fd, 64) == 0 else {
            let why = "cannot listen on \(host): \(String(cString: strerror(errno)))"
            if fd >= 0 { close(fd) }
            return (-1, 0, why)
        }
        var len = size
        _ = withUnsafeMutablePointer(to: &addr) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(fd, $0, &len) }
        }
        return (fd, Int(UInt16(bigEndian: addr.sin_port)), "")
    }

    /// A connected socket, or -1.
    static func connect(_ host: String, _ port: Int) -> Int32 {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
        var addr = address(host, port)
        let rc = withUnsafePointer(to: &addr) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                Glibc.connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size))
            }
        }
        if rc != 0 {
            close(fd)
            return -1
        }
        return fd
    }

    static func set(_ fd: Int32, _ level: Int32, _ option: Int32, _ value: Int32) {
        var v = value
        setsockopt(fd, level, option, &v, socklen_t(MemoryLayout<Int32>.size))
    }

    /// Sends every byte (MSG_NOSIGNAL); false when the connection failed first.
    static func sendAll(_ fd: Int32, _ bytes: UnsafeRawBufferPointer) -> Bool {
        var off = 0
        while off < bytes.count {
            let w = send(fd, bytes.baseAddress! + off, bytes.count - off, Int32(MSG_NOSIGNAL))
            if w < 0 && errno == EINTR { continue }
            if w <= 0 { return false }
            off += w
        }
        return true
    }
}
