import DataDistModel
import Glibc
import Synchronization

extension AsyncScenario {
    static let leaseMs = 50

    /// (c) `keys` keys, each renewed to a 50 ms lease one after another (so deadlines are spread and exact: the renewal
    /// answers each key's `lease_expires_at`): how late each expires (its `key_expired` event's `at` minus its
    /// deadline), and the pool back to zero once all have gone.
    static func leases(_ env: BenchEnvironment, keys: Int, report: inout Report) throws(BenchError) {
        print("\(name) leases: \(keys) keys, \(leaseMs) ms each:")
        // The flags reach the node through its environment (DATADIST_<FLAG>), so NodeProcess keeps its arguments.
        setenv("DATADIST_KV_LEASE_MS", "600000", 1)
        setenv("DATADIST_EVENT_HISTORY", "\(keys + 1024)", 1)
        let node = try NodeProcess(env, clusterID: 1, role: "prompt", pool: 64 * MiB)
        unsetenv("DATADIST_KV_LEASE_MS")
        unsetenv("DATADIST_EVENT_HISTORY")
        defer { node.stop() }
        let bound = (1...keys).map { #"{"prompt_cluster_id":1,"req_id":\#($0)}"# }
        let answer = try node.admin.call(
            "POST",
            "/v1/cache",
            #"{"cache_desc":{"num_tensors":2,"shape":[\#(keys),64],"data_type":"DT_UINT8","placement":"DEVICE"},"cache_keys":[\#(bound.joined(separator: ","))]}"#
        )
        guard let cache = answer["cache_id"]?.int64Value else { throw BenchError("allocate: \(answer.serialized)") }
        try node.admin.call("DELETE", "/v1/cache/\(cache)")  // only the keys hold it now
        guard try poolUsed(node) > 0 else { throw BenchError("the keys do not hold the cache") }

        // Same-run baseline: how late a plain 5 ms sleep on a bench thread wakes while the leases run (what the
        // machine's scheduler alone costs a timer under this load).
        let oversleep = Mutex(Samples())
        let measuring = Atomic<Bool>(true)
        let sleeper = BenchThread {
            while measuring.load(ordering: .relaxed) {
                let before = monotonicSeconds()
                usleep(5000)
                let late = (monotonicSeconds() - before) * 1000 - 5
                oversleep.withLock { $0.add(late) }
            }
        }
        var deadlines: [UInt64: Int64] = [:]
        for req in 1...keys {
            let renewed = try node.admin.call(
                "POST",
                "/v1/cache/keys/lease",
                #"{"cache_key":{"prompt_cluster_id":1,"req_id":\#(req)},"extend_ms":\#(leaseMs)}"#
            )
            guard let text = renewed["lease_expires_at"]?.stringValue, let at = unixMs(rfc3339: text) else {
                throw BenchError("renew req \(req): \(renewed.serialized)")
            }
            deadlines[UInt64(req)] = at
        }
        let renewedAll = monotonicSeconds()
        let limit = renewedAll + 30
        while try poolUsed(node) > 0 {
            guard monotonicSeconds() < limit else { throw BenchError("the pool did not drain after the leases") }
            usleep(1000)
        }
        let drained = (monotonicSeconds() - renewedAll) * 1000
        measuring.store(false, ordering: .relaxed)
        sleeper.join()
        let slept = oversleep.withLock { $0 }

        var lateness = Samples()
        for (req, at) in try expiryEvents(node, count: keys) {
            guard let deadline = deadlines[req] else { throw BenchError("an expiry of a key never renewed: \(req)") }
            lateness.add(Double(at - deadline))
        }
        guard lateness.values.count == keys else {
            throw BenchError("\(lateness.values.count) of \(keys) keys expired")
        }
        for (label, p) in [("p50", 50.0), ("p99", 99.0), ("max", 100.0)] {
            report.add(
                Figure(
                    name,
                    "lease expiry lateness \(label) (\(keys) keys, \(leaseMs) ms leases)",
                    unit: "ms",
                    value: Samples([lateness.percentile(p)]),
                    baseline: ("5 ms sleep's oversleep \(label), same time", Samples([slept.percentile(p)])),
                    target: .atMost(20),
                    judgesValue: true,
                    note:
                        "key_expired event `at` − lease_expires_at, both ms resolution; min \(format(lateness.min)) ms"
                )
            )
        }
        report.add(
            Figure(
                name,
                "pool back to zero after the last renewal",
                unit: "ms",
                value: Samples([drained]),
                note: "the \(keys) keys were renewed over \(keys) sequential requests; the pool reached 0 bytes used"
            )
        )
    }

    /// Bytes used in every pool of `node`.
    private static func poolUsed(_ node: NodeProcess) throws(BenchError) -> Int64 {
        let listing = try node.admin.call("GET", "/v1/cache")
        return (listing["pools"]?.arrayValue ?? []).reduce(0) { $0 + ($1["used"]?.int64Value ?? 0) }
    }

    /// (req_id, `at` in Unix ms) of the first `count` `key_expired` events, read from `GET /v1/events?since=0`.
    private static func expiryEvents(_ node: NodeProcess, count: Int) throws(BenchError) -> [(UInt64, Int64)] {
        let fd = Loopback.connect(port: node.admin.port)
        guard fd >= 0 else { throw BenchError("cannot connect to the event stream") }
        defer { close(fd) }
        let request = Array("GET /v1/events?since=0 HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n".utf8)
        guard request.withUnsafeBytes({ send(fd, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) }) == request.count
        else { throw BenchError("cannot ask for the event stream") }
        var pending: [UInt8] = []
        var found: [(UInt64, Int64)] = []
        var chunk = [UInt8](repeating: 0, count: 256 * 1024)
        let deadline = monotonicSeconds() + 30
        while found.count < count {
            let left = Int32(max(0, (deadline - monotonicSeconds()) * 1000))
            var entry = pollfd(fd: fd, events: Int16(POLLIN), revents: 0)
            guard left > 0, poll(&entry, 1, left) > 0 else { throw BenchError("\(found.count) of \(count) events") }
            let n = chunk.withUnsafeMutableBytes { recv(fd, $0.baseAddress, $0.count, 0) }
            guard n > 0 else { throw BenchError("the event stream ended after \(found.count) expiries") }
            pending += chunk[0..<n]
            var start = 0
            while let newline = pending[start...].firstIndex(of: 10) {
                let line = pending[start..<newline]
                start = newline + 1
                guard line.starts(with: Array("data: ".utf8)),
                    let event = try? JSONValue.parse(Array(line.dropFirst(6))),
                    event["type"]?.stringValue == "key_expired", let key = event["key"]?.stringValue,
                    let at = event["at"]?.stringValue.flatMap(unixMs(rfc3339:)), let req = requestID(key)
                else { continue }
                found.append((req, at))
            }
            pending.removeFirst(start)
        }
        return found
    }

    /// The `req_id` of a key's description (`req_id 5, model_id 0`).
    private static func requestID(_ key: String) -> UInt64? {
        guard key.hasPrefix("req_id ") else { return nil }
        return UInt64(key.dropFirst(7).prefix { $0 != "," })
    }

    /// Unix milliseconds of `2026-11-28T04:07:59.123Z` (what the node writes), nil for anything else.
    static func unixMs(rfc3339 text: String) -> Int64? {
        let b = Array(text.utf8)
        guard b.count == 24, b[23] == UInt8(ascii: "Z") else { return nil }
        func number(_ range: Range<Int>) -> Int64? {
            var v: Int64 = 0
            for c in b[range] {
                guard c >= 48 && c <= 57 else { return nil }
                v = v * 10 + Int64(c - 48)
            }
            return v
        }
        guard var y = number(0..<4), let m = number(5..<7), let d = number(8..<10), let h = number(11..<13),
            let mi = number(14..<16), let s = number(17..<19), let ms = number(20..<23)
        else { return nil }
        // Howard Hinnant's days_from_civil.
        y -= m <= 2 ? 1 : 0
        let era = (y >= 0 ? y : y - 399) / 400
        let yoe = y - era * 400
        let doy = (153 * (m > 2 ? m - 3 : m + 9) + 2) / 5 + d - 1
        let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy
        let days = era * 146_097 + doe - 719_468
        return ((days * 86_400 + h * 3600 + mi * 60 + s) * 1000) + ms
    }
}
