import Foundation
import Glibc
import Synchronization
import TestSupport
import Testing

/// Several "hosts" on one private network, each a network namespace of its own with a `datadist serve` process
/// (the binary `swift build` made) started by `ip netns exec`:
///
///     ctl 10.213.0.100 ─┐
///     p   10.213.0.1   ─┼─ br0 (in namespace sw)
///     d1  10.213.0.2   ─┤
///     d2  10.213.0.3   ─┘
///
/// Each host's `eth0` is one end of a veth pair whose other end is a port of the bridge; the bridge lives in a
/// namespace made for it, so nothing of this network touches the test machine's own namespace or routes. The
/// test reaches the nodes' admin ports (bound on 0.0.0.0) from `ctl`, an orchestrator host, with sockets made in
/// that namespace. Namespace names carry the test process's pid and a counter; `destroy()` removes everything
/// (call it from `defer`), and namespaces left by a test process that died are removed on the next run.
final class MultiHostNetwork: Sendable {
    /// What one host runs.
    struct HostSpec: Sendable {
        var name: String
        var clusterID: UInt64
        var role: String
        /// Whether `--listen <address>:26000` is given (a prompt's peer listener).
        var listens: Bool
    }

    static let subnet = "10.213.0"
    static let adminPort = 9200
    static let peerPort = 26000
    /// Extra `datadist serve` flags for every node (a TLS variant adds its certificate flags here).
    struct Options: Sendable {
        var serveArguments: [String] = []
        /// Extra flags for one host only, by host name (one TLS host among plaintext ones, a host trusting
        /// another CA).
        var hostArguments: [String: [String]] = [:]
    }

    let prefix: String
    let bridge: NetworkNamespace
    let ctl: NetworkNamespace
    let hosts: [String: HostNode]
    private let namespaces: [NetworkNamespace]
    private let logDirectory: String

    private static let counter = Atomic<Int>(0)

    /// Why a test cannot build its network here; nil when it can.
    static var unavailableReason: String? {
        if getuid() != 0 { return "multi-host tests need root (ip netns); they run as root in CI" }
        if Command.which("ip") == nil { return "multi-host tests need `ip` (Debian iproute2; `make test` installs it)" }
        return nil
    }

    /// Why a test that injects loss or partitions cannot run here; nil when it can.
    static var iptablesUnavailableReason: String? {
        unavailableReason
            ?? (Command.which("iptables") == nil
                ? "loss and partition tests need iptables (Debian iptables; `make test` installs it)" : nil)
    }

    /// The standard three hosts: one prompt (cluster 1) and two decoders (2, 3).
    static func standard(_ options: Options = Options()) throws -> MultiHostNetwork {
        try MultiHostNetwork(
            hosts: [
                HostSpec(name: "p", clusterID: 1, role: "prompt", listens: true),
                HostSpec(name: "d1", clusterID: 2, role: "decoder", listens: false),
                HostSpec(name: "d2", clusterID: 3, role: "decoder", listens: false),
            ],
            options: options
        )
    }

    init(hosts specs: [HostSpec], options: Options = Options()) throws {
        Self.removeStale()
        let pid = getpid()
        prefix = "ddnet\(pid)x\(Self.counter.add(1, ordering: .sequentiallyConsistent).newValue)"
        logDirectory = NSTemporaryDirectory() + prefix
        try? FileManager.default.createDirectory(atPath: logDirectory, withIntermediateDirectories: true)
        var made: [NetworkNamespace] = []
        var started: [HostNode] = []
        do {
            let sw = try NetworkNamespace.create("\(prefix)-sw")
            made.append(sw)
            try sw.ip("link", "add", "br0", "type", "bridge")
            try sw.ip("link", "set", "br0", "up")
            var attach: [(NetworkNamespace, String)] = []
            for (i, spec) in specs.enumerated() {
                let ns = try NetworkNamespace.create("\(prefix)-\(spec.name)")
                made.append(ns)
                attach.append((ns, "\(Self.subnet).\(i + 1)"))
            }
            let control = try NetworkNamespace.create("\(prefix)-ctl")
            made.append(control)
            attach.append((control, "\(Self.subnet).100"))
            for (i, (ns, address)) in attach.enumerated() {
                let port = "port\(i)"
                try sw.ip("link", "add", port, "type", "veth", "peer", "name", "eth0", "netns", ns.name)
                try sw.ip("link", "set", port, "master", "br0")
                try sw.ip("link", "set", port, "up")
                try ns.ip("addr", "add", "\(address)/24", "dev", "eth0")
                // No segmentation offload: every packet on this wire is MTU-sized, as on a NIC, so a random-loss
                // rule drops packets, not 64 KiB super-packets (about 45 times fewer).
                try ns.ip("link", "set", "eth0", "gso_max_segs", "1", "gso_max_size", "1500")
                try ns.ip("link", "set", "eth0", "up")
            }
            for (i, spec) in specs.enumerated() {
                let node = try HostNode(
                    spec: spec,
                    namespace: attach[i].0,
                    address: attach[i].1,
                    control: control,
                    log: "\(logDirectory)/\(spec.name).log",
                    extra: options.serveArguments + (options.hostArguments[spec.name] ?? [])
                )
                started.append(node)
            }
            for node in started { try node.waitUntilServing() }
            bridge = sw
            ctl = control
        } catch {
            for node in started { node.stop() }
            for ns in made.reversed() { ns.destroy() }
            throw error
        }
        namespaces = made
        hosts = Dictionary(uniqueKeysWithValues: started.map { ($0.spec.name, $0) })
    }

    subscript(_ name: String) -> HostNode { hosts[name]! }

    /// Stops every node and removes every namespace (with the veths and the bridge in them).
    func destroy() {
        for node in hosts.values { node.stop() }
        for ns in namespaces.reversed() { ns.destroy() }
        try? FileManager.default.removeItem(atPath: logDirectory)
    }

    /// The last lines of every node's log, for failure messages.
    var logs: String {
        hosts.keys.sorted().map { "--- \($0):\n" + hosts[$0]!.logTail }.joined(separator: "\n")
    }

    /// Removes `ddnet<pid>…` namespaces whose test process is gone (a run that was killed), with their processes.
    private static func removeStale() {
        guard let list = try? Command.run(["ip", "netns", "list"]) else { return }
        for line in list.split(separator: "\n") {
            let name = String(line.split(separator: " ").first ?? "")
            guard name.hasPrefix("ddnet"), let x = name.firstIndex(of: "x"),
                let pid = Int32(name[name.index(name.startIndex, offsetBy: 5)..<x]),
                kill(pid, 0) != 0, errno == ESRCH
            else { continue }
            if let pids = try? Command.run(["ip", "netns", "pids", name]) {
                for p in pids.split(separator: "\n").compactMap({ Int32($0) }) { kill(p, SIGKILL) }
            }
            _ = try? Command.run(["ip", "netns", "del", name])
        }
    }
}

/// One host's `datadist serve` process, driven over its admin port from the control namespace.
final class HostNode: Sendable {
    let spec: MultiHostNetwork.HostSpec
    let namespace: NetworkNamespace
    /// This host's address on the test network.
    let address: String
    let control: NetworkNamespace
    private let process: Process
    private let logPath: String
    /// The admin API over `https` when this host serves TLS (`--tls-cert`); nil: plaintext.
    private let https: AdminHTTPS?

    var clusterID: UInt64 { spec.clusterID }
    var peerAddress: String { "\(address):\(MultiHostNetwork.peerPort)" }

    init(
        spec: MultiHostNetwork.HostSpec,
        namespace: NetworkNamespace,
        address: String,
        control: NetworkNamespace,
        log: String,
        extra: [String]
    ) throws {
        self.spec = spec
        self.namespace = namespace
        self.address = address
        self.control = control
        logPath = log
        var args = [
            "netns", "exec", namespace.name, ProcessTests.binary.path, "serve",
            "--cluster-id", "\(spec.clusterID)", "--role", spec.role,
            "--admin", "0.0.0.0:\(MultiHostNetwork.adminPort)", "--enable-switch-role",
            "--host-pool", "128MiB", "--device-pool", "16MiB", "--log-level", "warning",
        ]
        if spec.listens { args += ["--listen", "\(address):\(MultiHostNetwork.peerPort)"] }
        args += extra
        https = extra.contains("--tls-cert") ? AdminHTTPS() : nil
        let p = Process()
        p.executableURL = URL(fileURLWithPath: Command.which("ip") ?? "/usr/sbin/ip")
        p.arguments = args
        // The nodes read DATADIST_* settings: only the flags above may configure them.
        p.environment = ProcessInfo.processInfo.environment.filter { !$0.key.hasPrefix("DATADIST_") }
        _ = FileManager.default.createFile(atPath: log, contents: nil)
        let handle = try FileHandle(forWritingTo: URL(fileURLWithPath: log))
        p.standardOutput = handle
        p.standardError = handle
        p.standardInput = FileHandle.nullDevice
        try p.run()
        process = p
    }

    struct NotServing: Error, CustomStringConvertible {
        var description: String
    }

    /// Polls `/healthz` (and `/readyz` for a listener) from the control host until both answer 200.
    func waitUntilServing(within seconds: Double = 30) throws {
        let ok = eventually(within: seconds) {
            guard process.isRunning else { return false }
            return request("GET", "/healthz")?.status == 200
                && (!spec.listens || request("GET", "/readyz")?.status == 200)
        }
        if !ok {
            throw NotServing(description: "node \(spec.name) at \(address) did not come up: \(logTail)")
        }
    }

    /// SIGTERM, then SIGKILL when it has not exited within 5 s.
    func stop() {
        guard process.isRunning else { return }
        kill(process.processIdentifier, SIGTERM)
        if !eventually(within: 5, { !process.isRunning }) { kill(process.processIdentifier, SIGKILL) }
        process.waitUntilExit()
    }

    var logTail: String {
        let text = (try? String(contentsOfFile: logPath, encoding: .utf8)) ?? ""
        return text.split(separator: "\n").suffix(20).joined(separator: "\n")
    }

    /// One admin request from the control host over the test network (a fresh connection), with a JSON or a
    /// binary body; nil when the connection fails.
    func request(
        _ method: String,
        _ path: String,
        body: String? = nil,
        bytes: [UInt8]? = nil
    ) -> RawHTTPConnection.Response? {
        let host = address
        if let https {
            return control.run {
                https.request(
                    host: host,
                    port: MultiHostNetwork.adminPort,
                    method,
                    path,
                    body: body.map { Array($0.utf8) } ?? bytes,
                    binary: body == nil
                )
            }
        }
        return control.run {
            guard let c = try? RawHTTPConnection(host: host, port: MultiHostNetwork.adminPort) else { return nil }
            var head = "\(method) \(path) HTTP/1.1\r\nHost: \(host):\(MultiHostNetwork.adminPort)\r\n"
            var payload: [UInt8] = []
            if let body {
                head += "Content-Type: application/json\r\nContent-Length: \(body.utf8.count)\r\n"
                payload = Array(body.utf8)
            } else if let bytes {
                head += "Content-Type: application/octet-stream\r\nContent-Length: \(bytes.count)\r\n"
                payload = bytes
            }
            try? c.send(Array((head + "\r\n").utf8) + payload)
            return try? c.readResponse(timeoutMs: 10_000)
        }
    }

    func post(_ path: String, _ json: String) -> RawHTTPConnection.Response? { request("POST", path, body: json) }

    /// `POST /v1/links` to `target`'s peer listener, naming this host's address as `local_ip_info` (the
    /// address the listener calls back on, since the admin port is bound on 0.0.0.0).
    func link(to target: HostNode, via address: String? = nil, timeoutMs: Int = 3000) -> RawHTTPConnection.Response? {
        post(
            "/v1/links",
            #"{"clusters":[{"remote_cluster_id":\#(target.clusterID),"remote_ip_info":"\#(address ?? target.peerAddress)","local_ip_info":"\#(self.address)"}],"timeout_ms":\#(timeoutMs)}"#
        )
    }

    /// `POST /v1/cache`; the new cache id (nil unless 201).
    func allocate(_ body: String) -> Int64? {
        guard let r = post("/v1/cache", body), r.status == 201 else { return nil }
        return r.json?.objectValue?["cache_id"]?.int64Value
    }

    @discardableResult
    func writeTensor(_ id: Int64, _ t: Int, _ bytes: [UInt8], query: String = "") -> Int {
        request("PUT", "/v1/cache/\(id)/tensors/\(t)\(query.isEmpty ? "" : "?" + query)", bytes: bytes)?.status ?? 0
    }

    func readTensor(_ id: Int64, _ t: Int, query: String = "") -> [UInt8]? {
        guard let r = request("GET", "/v1/cache/\(id)/tensors/\(t)\(query.isEmpty ? "" : "?" + query)"),
            r.status == 200
        else { return nil }
        return r.body
    }

    /// `used` of every pool (nil when the listing cannot be read).
    var poolsUsed: [Int64]? {
        guard let pools = request("GET", "/v1/cache")?.json?.objectValue?["pools"]?.arrayValue else { return nil }
        return pools.map { $0.objectValue?["used"]?.int64Value ?? -1 }
    }

    /// Whether `req_id` is bound to some cache of this node (`GET /v1/cache`).
    func hasKey(req: UInt64) -> Bool {
        guard let caches = request("GET", "/v1/cache")?.json?.objectValue?["caches"]?.arrayValue else { return false }
        return caches.contains { cache in
            cache.objectValue?["cache_keys"]?.arrayValue?.contains { $0.objectValue?["req_id"]?.uint64Value == req }
                == true
        }
    }

    /// (remote cluster id, direction) of every link.
    var links: [(UInt64, String)] {
        guard let items = request("GET", "/v1/links")?.json?.objectValue?["links"]?.arrayValue else { return [] }
        return items.compactMap { item in
            guard let id = item.objectValue?["remote_cluster_id"]?.uint64Value,
                let d = item.objectValue?["direction"]?.stringValue
            else { return nil }
            return (id, d)
        }
    }

    /// `iptables ARGS…` inside this host's namespace.
    func iptables(_ args: String...) throws { try namespace.exec(["iptables", "-w"] + args) }

    /// Drops every packet arriving from `peer` (one half of a partition).
    func dropEverything(from peer: HostNode) throws { try iptables("-I", "INPUT", "-s", peer.address, "-j", "DROP") }

    func heal(from peer: HostNode) throws { try iptables("-D", "INPUT", "-s", peer.address, "-j", "DROP") }

    /// Drops each packet from `peer` with probability `p` (independently: random loss).
    func dropRandomly(from peer: HostNode, probability p: Double) throws {
        try iptables(
            "-I",
            "INPUT",
            "-s",
            peer.address,
            "-m",
            "statistic",
            "--mode",
            "random",
            "--probability",
            "\(p)",
            "-j",
            "DROP"
        )
    }

    /// Packets the INPUT chain's DROP rules have dropped so far.
    func droppedPackets() throws -> Int {
        let text = try namespace.exec(["iptables", "-w", "-L", "INPUT", "-n", "-v", "-x"])
        return text.split(separator: "\n").filter { $0.contains("DROP") }.compactMap {
            Int($0.split(separator: " ").first ?? "")
        }.reduce(0, +)
    }
}

/// `cache_desc` of `tensors` DT_UINT8 tensors of `slots` slots of `stride` bytes each.
func multiHostDesc(_ stride: Int, tensors: Int = 2, slots: Int = 1) -> String {
    uint8Desc(tensors, [slots, stride])
}

extension Duration {
    var milliseconds: Double {
        Double(components.seconds) * 1000 + Double(components.attoseconds) / 1e15
    }
}
