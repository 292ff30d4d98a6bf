import DataDistModel
import Glibc

/// Issue 15 item 5: a pull across a namespaced link with 1 ms of added round-trip time against `iperf3` over the
/// same path, in the same run, trials interleaved.
///
///     namespace A 10.214.0.1                                   namespace B 10.214.0.2
///     prompt :26000 ◀─ delay relay (0.5 ms each way) ◀─ veth ─▶ decoder (one stream)
///     iperf3 -s :5201 ◀─ delay relay (0.5 ms each way) ◀─ veth ─▶ iperf3 -c -R (server sends, as a prompt does)
///
/// The relays run in this process (threads entered into A). This kernel has no netem, so the delay is added in user
/// space; both candidates cross the same relay code with the same settings, so its cost is in both figures. Needs
/// root and `ip netns`; without them the scenario says why and reports nothing.
enum RTTScenario {
    static let name = "rtt"
    static let oneWayDelayNanos = 500_000
    /// SO_SNDBUF/SO_RCVBUF forced on the relay's sockets: above the path's bandwidth-delay product, so the relay's
    /// own buffers never limit the window (net.core.*mem_max is global, not per namespace: left alone).
    static let relaySocketBuffer = 4 << 20

    static func run(_ env: BenchEnvironment, size: Int, report: inout Report) throws(BenchError) {
        print("\(name) \(sizeName(size)) across a veth link with +1 ms RTT:")
        if let why = unavailableReason {
            print("  skipped: \(why)")
            return
        }
        let log = "\(env.workDir)/rtt-ip.log"
        let link: NamespacedLink
        do {
            link = try NamespacedLink(log: log)
        } catch {
            print("  skipped: network namespaces cannot be made here: \(error)")
            return
        }
        defer { link.destroy() }
        try measure(env, link: link, size: size, report: &report)
    }

    /// Why the scenario cannot run on this machine; nil when it can.
    static var unavailableReason: String? {
        if getuid() != 0 { return "needs root (ip netns, setns)" }
        if NetworkNamespace.ipPath == nil { return "needs `ip` (Debian iproute2)" }
        if findExecutable("iperf3") == nil { return "needs iperf3 (make bench installs it)" }
        return nil
    }

    private static func measure(
        _ env: BenchEnvironment,
        link: NamespacedLink,
        size: Int,
        report: inout Report
    ) throws(BenchError) {
        let (a, b) = (link.a, link.b)
        guard let iperf3 = findExecutable("iperf3"), let ip = NetworkNamespace.ipPath else { return }

        // Baseline path: iperf3's server in A behind a delay relay.
        let server = try ChildProcess(
            ip,
            ["netns", "exec", a, iperf3, "-s", "-B", NamespacedLink.addressA, "-p", "5201"],
            outputPath: "\(env.workDir)/iperf3-server.log"
        )
        defer { server.stop() }
        try waitForListener(ip, namespace: a, port: 5201, log: "\(env.workDir)/rtt-ss.log", process: server)
        let iperfRelay = try delayRelay(in: a, upstreamPort: 5201)
        defer { iperfRelay.stop() }

        // Candidate path: a prompt in A behind the same kind of relay, a decoder in B; the bench reaches both
        // admin APIs through zero-delay forwarders into the namespaces' loopback.
        let adminA = try adminForwarder(into: a)
        defer { adminA.stop() }
        let adminB = try adminForwarder(into: b)
        defer { adminB.stop() }
        let pool = size + 64 * MiB
        let prompt = try NodeProcess(
            env,
            clusterID: 1,
            role: "prompt",
            pool: pool,
            placement: NodePlacement(namespace: a, address: NamespacedLink.addressA, adminPort: adminA.port)
        )
        defer { prompt.stop() }
        let decoder = try NodeProcess(
            env,
            clusterID: 2,
            role: "decoder",
            pool: pool,
            extraArgs: ["--streams-per-transfer", "1"],
            placement: NodePlacement(namespace: b, address: NamespacedLink.addressB, adminPort: adminB.port)
        )
        defer { decoder.stop() }
        let peerRelay = try delayRelay(in: a, upstreamPort: 26000)
        defer { peerRelay.stop() }
        let answer = try decoder.admin.call(
            "POST",
            "/v1/links",
            #"{"clusters":[{"remote_cluster_id":1,"remote_ip_info":"\#(peerRelay.address)","local_ip_info":"\#(NamespacedLink.addressB)"}],"timeout_ms":10000}"#
        )
        guard answer["status"]?.stringValue == "LLM_SUCCESS" else {
            throw BenchError("link through the delay relay failed: \(answer.serialized)")
        }

        let source = try PinnedBuffer(count: size)
        source.fillRandom(seed: 1015)
        let src = try prompt.allocate(tensors: 2, tensorBytes: size / 2)
        try prompt.fill(cache: src, tensors: 2, from: source)
        let dst = try decoder.allocate(tensors: 2, tensorBytes: size / 2)
        _ = try decoder.pullByID(into: dst, from: prompt, cache: src)  // warm: destination pages faulted in
        try LargePullScenario.verify(decoder, cache: dst, size: size, source: source)
        _ = try iperf(ip, iperf3, link: link, relay: iperfRelay, bytes: size, log: "\(env.workDir)/iperf3.json")

        // The delay the path adds: requests on one kept-alive connection from B to the prompt's peer listener,
        // through the relay and straight to the listener, interleaved.
        var relayed = Samples()
        var direct = Samples()
        let viaRelay = try RoundTripProbe(in: b, host: peerRelay.host, port: peerRelay.port)
        let straight = try RoundTripProbe(in: b, host: NamespacedLink.addressA, port: 26000)
        defer {
            viaRelay.close()
            straight.close()
        }
        for _ in 0..<20 {
            relayed.add(try viaRelay.milliseconds())
            direct.add(try straight.milliseconds())
        }
        report.add(
            Figure(
                name,
                "request round trip B → A through the delay relay (kept-alive connection, GET to the peer listener)",
                unit: "ms",
                value: relayed,
                baseline: ("the same request straight to the listener", direct),
                paired: false,
                note: "the added round-trip time is the difference of the medians (1 ms intended)"
            )
        )

        var pull = Samples()
        var baseline = Samples()
        for _ in 0..<env.trials {
            baseline.add(
                try iperf(ip, iperf3, link: link, relay: iperfRelay, bytes: size, log: "\(env.workDir)/iperf3.json")
            )
            pull.add(gbPerSecond(size, try decoder.pullByID(into: dst, from: prompt, cache: src)))
        }
        try LargePullScenario.verify(decoder, cache: dst, size: size, source: source)
        report.add(
            Figure(
                name,
                "pull \(sizeName(size)), 2 tensors, one stream, veth + 1 ms RTT (warm)",
                unit: "GB/s",
                value: pull,
                baseline: ("iperf3 -R -n \(sizeName(size)), one stream, same relay, interleaved", baseline),
                target: .atLeast(0.8),
                note: "delay relay in user space (no netem), 0.5 ms each way, SO_SND/RCVBUFFORCE "
                    + "\(relaySocketBuffer >> 20) MiB on its sockets; the pull's figure is the admin call's wall "
                    + "time (request round trips included), iperf3's its own receiver figure"
            )
        )
    }

    /// A relay in namespace `ns` on A's address in front of `upstreamPort` there, 0.5 ms each way.
    private static func delayRelay(in ns: String, upstreamPort: Int) throws(BenchError) -> DelayRelay {
        try DelayRelay(
            listenNamespace: ns,
            host: NamespacedLink.addressA,
            upstreamNamespace: ns,
            upstreamHost: NamespacedLink.addressA,
            upstreamPort: upstreamPort,
            delayNanos: oneWayDelayNanos,
            socketBuffer: relaySocketBuffer
        )
    }

    /// 127.0.0.1:ephemeral here → 127.0.0.1:9200 inside `ns` (a node's admin port), no delay.
    private static func adminForwarder(into ns: String) throws(BenchError) -> DelayRelay {
        try DelayRelay(
            listenNamespace: nil,
            host: "127.0.0.1",
            upstreamNamespace: ns,
            upstreamHost: "127.0.0.1",
            upstreamPort: 9200,
            delayNanos: 0
        )
    }

    /// One `iperf3 -c RELAY -R -n BYTES -J` from B (the server sends, like a prompt); its receiver's GB/s.
    private static func iperf(
        _ ip: String,
        _ iperf3: String,
        link: NamespacedLink,
        relay: DelayRelay,
        bytes: Int,
        log: String
    ) throws(BenchError) -> Double {
        let (status, output) = try ChildProcess.run(
            ip,
            [
                "netns", "exec", link.b, iperf3, "-c", relay.host, "-p", "\(relay.port)", "-R", "-n", "\(bytes)", "-J",
            ],
            outputPath: log
        )
        guard status == 0, let json = try? JSONValue.parse(output),
            let bits = json["end"]?["sum_received"]?["bits_per_second"]?.doubleValue
        else { throw BenchError("iperf3 through the relay failed (\(status)): \(output.suffix(500))") }
        return bits / 8 / 1e9
    }

    /// Polls `ss` in `namespace` (at most 10 s) until something listens on `port`.
    private static func waitForListener(
        _ ip: String,
        namespace: String,
        port: Int,
        log: String,
        process: ChildProcess
    ) throws(BenchError) {
        let deadline = monotonicSeconds() + 10
        while monotonicSeconds() < deadline {
            guard process.isRunning else { throw BenchError("iperf3 -s exited: \(process.output)") }
            let (_, out) = try ChildProcess.run(ip, ["netns", "exec", namespace, "ss", "-Hltn"], outputPath: log)
            if out.contains(":\(port) ") { return }
            usleep(20_000)
        }
        throw BenchError("nothing listens on port \(port) in \(namespace) after 10 s")
    }
}

/// Two network namespaces of this bench run joined by a veth pair: A (10.214.0.1/24) and B (10.214.0.2/24).
/// Names carry the bench's pid; namespaces left by a bench that was killed are removed (with their processes)
/// the next time. `destroy()` removes both, the veth with them.
struct NamespacedLink: Sendable {
    static let addressA = "10.214.0.1"
    static let addressB = "10.214.0.2"
    let a: String
    let b: String
    let log: String

    init(log: String) throws(BenchError) {
        self.log = log
        Self.removeStale(log: log)
        a = "ddrtt\(getpid())a"
        b = "ddrtt\(getpid())b"
        do {
            for ns in [a, b] {
                try NetworkNamespace.ip(["netns", "add", ns], log: log)
                try NetworkNamespace.ip(["-n", ns, "link", "set", "lo", "up"], log: log)
            }
            try NetworkNamespace.ip(
                ["-n", a, "link", "add", "eth0", "type", "veth", "peer", "name", "eth0", "netns", b],
                log: log
            )
            for (ns, address) in [(a, Self.addressA), (b, Self.addressB)] {
                try NetworkNamespace.ip(["-n", ns, "addr", "add", "\(address)/24", "dev", "eth0"], log: log)
                try NetworkNamespace.ip(["-n", ns, "link", "set", "eth0", "up"], log: log)
            }
        } catch {
            destroy()
            throw error
        }
    }

    func destroy() {
        for ns in [a, b] { _ = try? NetworkNamespace.ip(["netns", "del", ns], log: log) }
    }

    /// Removes `ddrtt<pid>…` namespaces whose bench process is gone, killing what still runs in them.
    private static func removeStale(log: String) {
        guard let list = try? NetworkNamespace.ip(["netns", "list"], log: log) else { return }
        for line in list.split(separator: "\n") {
            let name = String(line.split(separator: " ").first ?? "")
            guard name.hasPrefix("ddrtt"), let pid = Int32(name.dropFirst(5).dropLast()),
                kill(pid, 0) != 0, errno == ESRCH
            else { continue }
            if let pids = try? NetworkNamespace.ip(["netns", "pids", name], log: log) {
                for p in pids.split(separator: "\n").compactMap({ Int32($0) }) { kill(p, SIGKILL) }
            }
            _ = try? NetworkNamespace.ip(["netns", "del", name], log: log)
        }
    }
}
