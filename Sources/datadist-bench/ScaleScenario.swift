import Glibc
import Synchronization

/// Issue 8 / CONTRACT §9: how the data plane uses the cores. One prompt serving N decoders at once against raw
/// loopback TCP with N streams and against N independent prompt→decoder pairs (same run, interleaved trials);
/// then one large pull carried over K = 1, 2, 4 streams against one raw TCP stream. Needs no nginx or wrk.
enum ScaleScenario {
    static let name = "scale"

    /// Fan-outs measured: 1, 2, 4, 8, 12 decoders, capped by the machine's cores (at least 2).
    static func fanOuts(cores: Int) -> [Int] { [1, 2, 4, 8, 12].filter { $0 <= max(2, cores) } }

    static func run(_ env: BenchEnvironment, keyBytes: Int, largeBytes: Int, report: inout Report) throws(BenchError) {
        let cores = Int(sysconf(Int32(_SC_NPROCESSORS_ONLN)))
        let counts = fanOuts(cores: cores)
        let most = counts.max() ?? 1
        print("\(name): 1 prompt → N decoders, N = \(counts) × \(sizeName(keyBytes)); \(cores) cores")
        let source = try PinnedBuffer(count: keyBytes)
        source.fillRandom(seed: 808)

        // One prompt holding a cache per decoder; N decoders; N independent pairs.
        let prompt = try NodeProcess(env, clusterID: 1, role: "prompt", pool: most * keyBytes + 64 * MiB)
        var nodes: [NodeProcess] = [prompt]
        defer { for n in nodes { n.stop() } }
        var fan: [Puller] = []
        for i in 0..<most {
            let d = try NodeProcess(env, clusterID: UInt64(100 + i), role: "decoder", pool: keyBytes + 16 * MiB)
            nodes.append(d)
            fan.append(try Puller(decoder: d, prompt: prompt, bytes: keyBytes, source: source))
        }
        var pairs: [Puller] = []
        for i in 0..<most {
            let p = try NodeProcess(env, clusterID: UInt64(200 + i), role: "prompt", pool: keyBytes + 16 * MiB)
            nodes.append(p)
            let d = try NodeProcess(env, clusterID: UInt64(300 + i), role: "decoder", pool: keyBytes + 16 * MiB)
            nodes.append(d)
            pairs.append(try Puller(decoder: d, prompt: p, bytes: keyBytes, source: source))
        }
        let raw = try (0..<most).map { _ throws(BenchError) in
            (try PinnedBuffer(count: keyBytes), try PinnedBuffer(count: keyBytes))
        }
        for p in fan + pairs { _ = try p.pull() }  // warm-up: faults every destination in
        _ = try concurrentRaw(raw)

        var busiest = ""
        var lockHolds = ""
        for n in counts {
            var fanOut = Samples()
            var tcp = Samples()
            var pairRate = Samples()
            for _ in 0..<env.trials {
                let before = LoopCPU.sample(prompt.pid)
                let locksBefore = n == most ? try LockHolds(prompt) : nil
                let wall = try concurrent(Array(fan[0..<n]))
                if n == most {
                    busiest = LoopCPU.summary(from: before, to: LoopCPU.sample(prompt.pid), wall: wall)
                    if let locksBefore { lockHolds = try LockHolds(prompt).since(locksBefore) }
                }
                fanOut.add(gbPerSecond(n * keyBytes, wall))
                tcp.add(gbPerSecond(n * keyBytes, try concurrentRaw(Array(raw[0..<n]))))
                pairRate.add(gbPerSecond(n * keyBytes, try concurrent(Array(pairs[0..<n]))))
            }
            let scale = n == 8 || (n == most && most < 8)
            report.add(
                Figure(
                    name,
                    "1 prompt → \(n) decoders, aggregate",
                    unit: "GB/s",
                    value: fanOut,
                    baseline: ("raw TCP, \(n) streams", tcp),
                    target: scale ? .atLeast(0.7) : nil,
                    note: "\(sizeName(keyBytes)) per decoder, by cache_key_by_id"
                )
            )
            report.add(
                Figure(
                    name,
                    "1 prompt → \(n) decoders vs \(n) independent pairs",
                    unit: "GB/s",
                    value: fanOut,
                    baseline: ("\(n) prompt→decoder pairs", pairRate),
                    target: scale ? .atLeast(0.9) : nil
                )
            )
        }
        if !busiest.isEmpty {
            print("  prompt threads at N = \(most) (CPU s / wall s): \(busiest)")
            report.notes.append("scale: prompt threads at N=\(most): \(busiest)")
        }
        if !lockHolds.isEmpty {
            print("  prompt node lock during the N = \(most) fan-out: \(lockHolds)")
            report.notes.append("scale: prompt node lock at N=\(most): \(lockHolds)")
        }
        for n in nodes { n.stop() }
        nodes = []
        try stripes(env, bytes: largeBytes, report: &report)
    }

    /// One pull of `bytes` by decoders started with `--streams-per-transfer` 1, 2 and 4, against one raw TCP
    /// stream moving the same bytes.
    private static func stripes(_ env: BenchEnvironment, bytes: Int, report: inout Report) throws(BenchError) {
        let ks = [1, 2, 4]
        print("\(name): one \(sizeName(bytes)) pull over K = \(ks) streams")
        let prompt = try NodeProcess(env, clusterID: 1, role: "prompt", pool: bytes + 64 * MiB)
        var nodes: [NodeProcess] = [prompt]
        defer { for n in nodes { n.stop() } }
        let source = try PinnedBuffer(count: bytes)
        source.fillRandom(seed: 809)
        let src = try prompt.allocate(tensors: 2, tensorBytes: bytes / 2)
        try prompt.fill(cache: src, tensors: 2, from: source)
        var pullers: [Puller] = []
        for k in ks {
            let d = try NodeProcess(
                env,
                clusterID: UInt64(400 + k),
                role: "decoder",
                pool: bytes + 16 * MiB,
                extraArgs: ["--streams-per-transfer", "\(k)"]
            )
            nodes.append(d)
            try d.link(to: prompt)
            pullers.append(
                Puller(decoder: d, prompt: prompt, src: src, dst: try d.allocate(tensors: 2, tensorBytes: bytes / 2))
            )
        }
        let rawSource = try PinnedBuffer(count: bytes)
        let rawDestination = try PinnedBuffer(count: bytes)
        for p in pullers { _ = try p.pull() }
        var rates = Array(repeating: Samples(), count: ks.count)
        var tcp = Samples()
        for _ in 0..<env.trials {
            tcp.add(gbPerSecond(bytes, try RawTCPBaseline.transfer(rawSource, into: rawDestination).seconds))
            for (i, p) in pullers.enumerated() { rates[i].add(gbPerSecond(bytes, try p.pull())) }
        }
        let check = try pullers[2].decoder.read(cache: pullers[2].dst, tensor: 1, offset: bytes / 2 - 4096, size: 4096)
        guard source.matches(check, at: bytes - 4096) else { throw BenchError("scale: striped pull bytes differ") }
        for (i, k) in ks.enumerated() {
            report.add(
                Figure(
                    name,
                    "one \(sizeName(bytes)) pull, \(k) stream\(k == 1 ? "" : "s")",
                    unit: "GB/s",
                    value: rates[i],
                    baseline: ("raw TCP, 1 stream", tcp),
                    target: k == 4 ? .atLeast(1.5) : nil,
                    note: k == 4 ? "--streams-per-transfer 4, --stripe-bytes 64MiB" : ""
                )
            )
        }
    }

    /// One decoder's repeatable pull (by cache id, so no key is consumed).
    struct Puller: Sendable {
        let decoder: NodeProcess
        let prompt: NodeProcess
        let src: Int64
        let dst: Int64
        func pull() throws(BenchError) -> Double { try decoder.pullByID(into: dst, from: prompt, cache: src) }

        init(decoder: NodeProcess, prompt: NodeProcess, src: Int64, dst: Int64) {
            self.decoder = decoder
            self.prompt = prompt
            self.src = src
            self.dst = dst
        }

        /// Links `decoder` to `prompt`, fills a source cache of `bytes` there and allocates the destination.
        init(decoder: NodeProcess, prompt: NodeProcess, bytes: Int, source: PinnedBuffer) throws(BenchError) {
            try decoder.link(to: prompt)
            let src = try prompt.allocate(tensors: 2, tensorBytes: bytes / 2)
            try prompt.fill(cache: src, tensors: 2, from: source)
            self.init(
                decoder: decoder,
                prompt: prompt,
                src: src,
                dst: try decoder.allocate(tensors: 2, tensorBytes: bytes / 2)
            )
        }
    }

    /// Every puller at once; wall seconds until the last is done.
    private static func concurrent(_ pullers: [Puller]) throws(BenchError) -> Double {
        let failure = Mutex<BenchError?>(nil)
        let started = monotonicSeconds()
        let threads = pullers.map { p in
            BenchThread {
                do throws(BenchError) { _ = try p.pull() } catch { failure.withLock { $0 = error } }
            }
        }
        for t in threads { t.join() }
        if let error = failure.withLock({ $0 }) { throw error }
        return monotonicSeconds() - started
    }

    /// N raw TCP streams at once (a sender and a receiver thread each); wall seconds.
    private static func concurrentRaw(_ buffers: [(PinnedBuffer, PinnedBuffer)]) throws(BenchError) -> Double {
        let failure = Mutex<BenchError?>(nil)
        let started = monotonicSeconds()
        let threads = buffers.map { b in
            BenchThread {
                do throws(BenchError) { _ = try RawTCPBaseline.transfer(b.0, into: b.1) } catch {
                    failure.withLock { $0 = error }
                }
            }
        }
        for t in threads { t.join() }
        if let error = failure.withLock({ $0 }) { throw error }
        return monotonicSeconds() - started
    }
}

/// Per-thread CPU of a node process from /proc/PID/task (perf is absent on the bench machines): which threads
/// carry a transfer, and how close each is to one core.
enum LoopCPU {
    /// Thread name → CPU seconds.
    static func sample(_ pid: pid_t) -> [String: Double] {
        var out: [String: Double] = [:]
        guard let dir = opendir("/proc/\(pid)/task") else { return out }
        defer { closedir(dir) }
        while let entry = readdir(dir) {
            let tid = withUnsafeBytes(of: entry.pointee.d_name) {
                String(decoding: $0.prefix { $0 != 0 }, as: UTF8.self)
            }
            guard Int(tid) != nil, let stat = ProcStats.readText("/proc/\(pid)/task/\(tid)/stat"),
                let open = stat.firstIndex(of: "("), let close = stat.lastIndex(of: ")")
            else { continue }
            let comm = String(stat[stat.index(after: open)..<close])
            let fields = stat[stat.index(after: close)...].split(separator: " ")
            guard fields.count > 13, let u = Double(fields[11]), let s = Double(fields[12]) else { continue }
            out["\(comm)#\(tid)"] = (u + s) / Double(sysconf(Int32(_SC_CLK_TCK)))
        }
        return out
    }

    /// The busiest threads between two samples: "name cpu/wall" for the top eight, and the total.
    static func summary(from before: [String: Double], to after: [String: Double], wall: Double) -> String {
        var used: [(String, Double)] = []
        for (key, cpu) in after {
            let delta = cpu - (before[key] ?? 0)
            if delta > 0 { used.append((String(key.prefix { $0 != "#" }), delta)) }
        }
        used.sort { $0.1 > $1.1 }
        let total = used.reduce(0) { $0 + $1.1 }
        let top = used.prefix(8).map { "\($0.0) \(format($0.1 / wall))" }.joined(separator: ", ")
        return "\(top); all threads \(format(total / wall)) cores over \(format(wall)) s"
    }
}

/// The prompt's node-lock hold histogram (`datadist_node_lock_hold_seconds` in /metrics), to say how long the
/// one lock is held while many pulls run (issue 8).
struct LockHolds {
    var buckets: [(bound: String, count: Double)] = []
    var count = 0.0
    var sum = 0.0
    var longest = 0.0

    init(_ node: NodeProcess) throws(BenchError) {
        let text = String(decoding: try node.admin.download("/metrics"), as: UTF8.self)
        for line in text.split(separator: "\n") where line.hasPrefix("datadist_node_lock_hold") {
            let parts = line.split(separator: " ")
            guard parts.count == 2, let value = Double(parts[1]) else { continue }
            let name = parts[0]
            if name.hasPrefix("datadist_node_lock_hold_seconds_bucket{le=\""), let end = name.lastIndex(of: "\"") {
                let start = name.index(name.startIndex, offsetBy: "datadist_node_lock_hold_seconds_bucket{le=\"".count)
                buckets.append((String(name[start..<end]), value))
            } else if name == "datadist_node_lock_hold_seconds_count" {
                count = value
            } else if name == "datadist_node_lock_hold_seconds_sum" {
                sum = value
            } else if name == "datadist_node_lock_hold_max_seconds" {
                longest = value
            }
        }
    }

    /// "holds, mean, share under each bound, longest since start" between `earlier` and this sample.
    func since(_ earlier: LockHolds) -> String {
        let n = count - earlier.count
        guard n > 0 else { return "no holds" }
        let mean = (sum - earlier.sum) / n * 1e6
        var shares: [String] = []
        for (i, b) in buckets.enumerated() where i < earlier.buckets.count && b.bound != "+Inf" {
            let within = b.count - earlier.buckets[i].count
            shares.append("≤\(format((Double(b.bound) ?? 0) * 1e6)) µs \(format(100 * within / n))%")
        }
        return "\(Int(n)) holds, mean \(format(mean)) µs; \(shares.joined(separator: ", ")); "
            + "longest since start \(format(longest * 1e6)) µs"
    }
}
