import DataDistModel
import DataDistNode
import Glibc
import Logging

/// A real node on 127.0.0.1 with an ephemeral admin port (and peer port when listening).
final class LiveNode: Sendable {
    let node: DataDistNode

    init(_ configure: (inout NodeConfiguration) -> Void = { _ in }) throws {
        var c = NodeConfiguration()
        c.admin = ListenAddress(host: "127.0.0.1", port: 0)
        c.role = .decoder
        c.enableSwitchRole = true
        configure(&c)
        var logger = Logger(label: "live")
        logger.logLevel = .warning
        node = try DataDistNode(configuration: c, logger: logger)
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

extension LiveNode {
    /// A PROMPT node listening on an ephemeral peer port.
    static func prompt(_ id: UInt64, _ configure: (inout NodeConfiguration) -> Void = { _ in }) throws -> LiveNode {
        try LiveNode { c in
            c.clusterID = id
            c.role = .prompt
            c.listen = ListenAddress(host: "127.0.0.1", port: 0)
            configure(&c)
        }
    }

    static func decoder(_ id: UInt64, _ configure: (inout NodeConfiguration) -> Void = { _ in }) throws -> LiveNode {
        try LiveNode { c in
            c.clusterID = id
            configure(&c)
        }
    }

    var peerAddress: String { "127.0.0.1:\(node.peerPort ?? 0)" }

    /// `POST /v1/links` for (cluster id, address) pairs.
    func link(_ targets: [(Int, String)], timeoutMs: Int = 3000) -> RawHTTPConnection.Response? {
        let clusters = targets.map { #"{"remote_cluster_id":\#($0.0),"remote_ip_info":"\#($0.1)"}"# }
        return request(
            "POST",
            "/v1/links",
            body: #"{"clusters":[\#(clusters.joined(separator: ","))],"timeout_ms":\#(timeoutMs)}"#
        )
    }

    func unlink(_ targets: [(Int, String)], force: Bool = false, timeoutMs: Int = 3000) -> RawHTTPConnection.Response? {
        let clusters = targets.map { #"{"remote_cluster_id":\#($0.0),"remote_ip_info":"\#($0.1)"}"# }
        return request(
            "POST",
            "/v1/links/unlink",
            body: #"{"clusters":[\#(clusters.joined(separator: ","))],"timeout_ms":\#(timeoutMs),"force":\#(force)}"#
        )
    }

    /// (remote cluster id, direction) of every link, from `GET /v1/links`.
    var links: [(UInt64, String)] {
        guard let r = request("GET", "/v1/links"), let json = try? JSONValue.parse(r.body),
            let items = json.objectValue?["links"]?.arrayValue
        else { return [] }
        return items.compactMap { item in
            guard let id = item.objectValue?["remote_cluster_id"]?.uint64Value,
                let d = item.objectValue?["direction"]?.stringValue
            else { return nil }
            return (id, d)
        }
    }

    func switchRole(_ body: String) -> RawHTTPConnection.Response? { request("PUT", "/v1/role", body: body) }
}

extension RawHTTPConnection.Response {
    var json: JSONValue? { try? JSONValue.parse(body) }
    /// The overall or error status name.
    var status_: String? {
        json?.objectValue?["status"]?.stringValue ?? json?.objectValue?["error"]?.objectValue?["status"]?.stringValue
    }
    /// Per-cluster statuses of a batch answer.
    var results: [String] {
        json?.objectValue?["results"]?.arrayValue?.compactMap { $0.objectValue?["status"]?.stringValue } ?? []
    }
}

extension RawHTTPConnection {
    /// One request with a binary body (`application/octet-stream`) on a fresh connection; the response
    /// body comes back as raw bytes.
    static func request(
        port: Int,
        _ method: String,
        _ path: String,
        bytes: [UInt8],
        headers: [String] = []
    ) -> Response? {
        guard let c = RawHTTPConnection(port: port) else { return nil }
        var head = "\(method) \(path) HTTP/1.1\r\nHost: 127.0.0.1\r\n"
        for h in headers { head += h + "\r\n" }
        head += "Content-Type: application/octet-stream\r\nContent-Length: \(bytes.count)\r\n\r\n"
        c.send(Array(head.utf8) + bytes)
        return c.readResponse()
    }
}

extension LiveNode {
    /// `method path` with a binary body.
    func request(_ method: String, _ path: String, bytes: [UInt8]) -> RawHTTPConnection.Response? {
        RawHTTPConnection.request(port: port, method, path, bytes: bytes)
    }
}
