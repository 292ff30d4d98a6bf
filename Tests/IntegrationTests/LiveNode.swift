import DataDistModel
import DataDistNode
import Glibc
import Logging
import TestSupport

/// A real node on 127.0.0.1 with an ephemeral admin port (and peer port when listening).
final class LiveNode: Sendable {
    let node: DataDistNode
    /// The admin API over `https` when the node serves TLS (`--tls-cert`); nil: plaintext.
    let https: AdminHTTPS?

    init(_ configure: (inout NodeConfiguration) -> Void = { _ in }) throws {
        var c = NodeConfiguration()
        c.admin = ListenAddress(host: "127.0.0.1", port: 0)
        c.role = .decoder
        c.enableSwitchRole = true
        configure(&c)
        https = c.tls.certificate == nil ? nil : AdminHTTPS()
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
        if let https { return https.request(port: port, method, path, body: body.map { Array($0.utf8) }) }
        return RawHTTPConnection.request(port: port, method, path, body: body, headers: headers)
    }
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

extension LiveNode {
    /// `method path` with a binary body.
    func request(_ method: String, _ path: String, bytes: [UInt8]) -> RawHTTPConnection.Response? {
        if let https { return https.request(port: port, method, path, body: bytes, binary: true) }
        return RawHTTPConnection.request(port: port, method, path, bytes: bytes)
    }
}
