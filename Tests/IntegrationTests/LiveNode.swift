import DataDistModel
import DataDistNode
import Glibc
import Logging

/// A real node on 127.0.0.1 with an ephemeral admin port (and peer port when listening).
final class LiveNode {
    let node: DataDistNode

    init(_ configure: (inout NodeConfiguration) -> Void = { _ in }) throws {
        var c = NodeConfiguration()
        c.admin = ListenAddress(host: "127.0.0.1", port: 0)
        c.role = .decoder
        c.enableSwitchRole = true
        configure(&c)
        var logger = Logger(label: "live")
        logger.logLevel = .warning
        node = DataDistNode(configuration: c, logger: logger)
        try node.start()
    }

    deinit { node.stop() }

    var port: Int { node.adminPort }

    func request(
        _ method: String,
        _ path: String,
        body: String? = nil,
        headers: [String] = []
    ) -> RawHTTPConnection.Response? {
        RawHTTPConnection.request(port: port, method, path, body: body, headers: headers)
    }
}

/// A TCP port on 127.0.0.1 that was free a moment ago.
func freePort() -> Int {
    let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
    defer { close(fd) }
    var addr = sockaddr_in()
    addr.sin_family = sa_family_t(AF_INET)
    addr.sin_addr.s_addr = inet_addr("127.0.0.1")
    _ = withUnsafePointer(to: &addr) {
        $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
    }
    var len = socklen_t(MemoryLayout<sockaddr_in>.size)
    _ = withUnsafeMutablePointer(to: &addr) {
        $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(fd, $0, &len) }
    }
    return Int(UInt16(bigEndian: addr.sin_port))
}

/// Polls `condition` every 10 ms until it holds or `seconds` pass.
func eventually(within seconds: Double = 5, _ condition: () -> Bool) -> Bool {
    let deadline = ContinuousClock.now + .milliseconds(Int(seconds * 1000))
    while ContinuousClock.now < deadline {
        if condition() { return true }
        usleep(10_000)
    }
    return condition()
}
