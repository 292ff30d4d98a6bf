import DataDistModel
import DataDistNode
import Glibc
import Testing

/// Asynchronous transfers in per-remote lanes on real nodes (CONTRACT §11): a burst of pulls to one prompt shares a
/// few kept-alive connections, and a transfer still waiting for its lane is cancelled, timed out or failed at once,
/// consuming nothing.
@Suite struct AsyncLanesLiveTests {
    /// Peer connections seen on this host with `port` at one end (the prompt's peer port), each named by its other
    /// port: established ones and those closed within the last minute (TIME_WAIT and the other closing states).
    static func connections(toPort port: Int) -> Set<Int> {
        // Read to the end: procfs files report size 0, so readers that trust the size see nothing.
        let fd = open("/proc/net/tcp", O_RDONLY)
        guard fd >= 0 else { return [] }
        defer { close(fd) }
        var bytes: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 65536)
        while true {
            let n = chunk.withUnsafeMutableBytes { read(fd, $0.baseAddress, $0.count) }
            if n <= 0 { break }
            bytes += chunk[0..<n]
        }
        let table = String(decoding: bytes, as: UTF8.self)
        var others = Set<Int>()
        for line in table.split(separator: "\n").dropFirst() {
            let fields = line.split(separator: " ")
            guard fields.count > 3, fields[3] != "0A" else { continue }  // 0A: a listening socket
            func portOf(_ field: Substring) -> Int? { field.split(separator: ":").last.flatMap { Int($0, radix: 16) } }
            guard let local = portOf(fields[1]), let remote = portOf(fields[2]) else { continue }
            if local == port { others.insert(remote) } else if remote == port { others.insert(local) }
        }
        return others
    }

    /// Decoder `/v1/node/load` transfers in flight.
    static func inFlight(_ node: LiveNode) -> Int64? {
        node.request("GET", "/v1/node/load")?.json?["transfers_in_flight"]?.int64Value
    }

    @Test func aBurstOfPullsToOnePromptIsServedOverTheLanesConnections() throws {
        let (pulls, half, limit) = (240, 2048, 4)
        let p = try LiveNode.prompt(0)
        let d = try LiveNode.decoder(1) { $0.asyncTransfersPerPeer = limit }
        // Every connection to the prompt from its start on (a socket closed by an earlier test may linger).
        let peerPort = try #require(p.node.peerPort)
        let before = Self.connections(toPort: peerPort)
        #expect(d.link([(0, p.peerAddress)])?.status == 200)
        let keys = (0..<pulls).map { requestKey(0, UInt64(1000 + $0)) }
        let src = try p.allocate(
            #"{"cache_desc":\#(uint8Desc(2, [pulls, half])),"cache_keys":[\#(keys.joined(separator: ","))]}"#
        )
        let data = PullCacheLiveTests.fill(p, src, tensors: 2, bytes: pulls * half, seed: 8100)
        let dst = try d.allocate(#"{"cache_desc":\#(uint8Desc(2, [pulls, half]))}"#)

        var ids = Set<String>()
        for i in 0..<pulls {
            let r = try #require(
                d.post(
                    "/v1/transfers",
                    #"{"op":"pull","cache_id":\#(dst),"cache_key":\#(keys[i]),"batch_index":\#(i),"timeout_ms":60000}"#
                )
            )
            #expect(r.status == 202, "\(r.text)")
            ids.insert(try #require(r.json?["transfer_id"]?.stringValue))
        }
        var ended: [String: JSONValue] = [:]
        var cursor: Int64 = 0
        #expect(
            eventually(within: 60) {
                let page = d.request("GET", "/v1/transfers?since=\(cursor)&limit=1000")?.json
                for t in page?["transfers"]?.arrayValue ?? [] {
                    if let id = t["transfer_id"]?.stringValue { ended[id] = t }
                }
                cursor = page?["next"]?.int64Value ?? cursor
                return ended.count == pulls
            },
            "only \(ended.count) of \(pulls) ended"
        )
        #expect(Set(ended.keys) == ids)
        let notDone = ended.values.filter { $0["state"] != "done" }
        #expect(notDone.isEmpty, "\(notDone.prefix(3).map(\.serialized))")
        for t in 0..<2 { #expect(byteMismatch(d.readTensor(dst, t), data[t]) == nil, "tensor \(t)") }
        #expect(PullInFlightLiveTests.boundKeys(p, src) == 0, "every pull consumed its key")
        // One kept-alive connection per lane carries its pulls and acks (one more may be the link's own).
        let dialled = Self.connections(toPort: peerPort).subtracting(before)
        #expect(dialled.count <= limit + 2, "\(pulls) pulls in \(limit) lanes dialled \(dialled.count) connections")
        #expect(Self.inFlight(d) == 0)
    }

    /// A prompt with req 1 bound to 1 MiB (held mid-stream by the relay) and req 2 bound to 4 KiB; a decoder with one
    /// lane per remote, linked through the relay, and a destination for each.
    struct Setup {
        let p: LiveNode
        let d: LiveNode
        let relay: FaultyRelay
        let (src1, src2, dst1, dst2): (Int64, Int64, Int64, Int64)
        let small: [[UInt8]]

        init() throws {
            p = try LiveNode.prompt(0)
            d = try LiveNode.decoder(1) { $0.asyncTransfersPerPeer = 1 }
            relay = FaultyRelay(upstream: p.node.peerPort ?? 0, fault: .pause, after: 300_000)
            #expect(d.link([(0, relay.address)])?.status == 200)
            let (big, little) = (uint8Desc(4, [1, 256 * 1024]), uint8Desc(2, [1, 2048]))
            src1 = try p.allocate(#"{"cache_desc":\#(big),"cache_keys":[\#(requestKey(0, 1))]}"#)
            _ = PullCacheLiveTests.fill(p, src1, tensors: 4, bytes: 256 * 1024, seed: 8200)
            src2 = try p.allocate(#"{"cache_desc":\#(little),"cache_keys":[\#(requestKey(0, 2))]}"#)
            small = PullCacheLiveTests.fill(p, src2, tensors: 2, bytes: 2048, seed: 8300)
            dst1 = try d.allocate(#"{"cache_desc":\#(big)}"#)
            dst2 = try d.allocate(#"{"cache_desc":\#(little)}"#)
            relay.arm()
        }

        /// Submits an async pull of req `req` into `dst`; its id.
        func submit(_ req: UInt64, into dst: Int64, timeoutMs: Int) throws -> String {
            let r = try #require(
                d.post(
                    "/v1/transfers",
                    #"{"op":"pull","cache_id":\#(dst),"cache_key":\#(requestKey(0, req)),"timeout_ms":\#(timeoutMs)}"#
                )
            )
            #expect(r.status == 202, "\(r.text)")
            #expect(r.json?["state"] == "running")
            return try #require(r.json?["transfer_id"]?.stringValue)
        }

        /// Starts the 1 MiB pull and waits until the relay holds it: the lane is taken.
        func holdTheLane() throws -> String {
            let id = try submit(1, into: dst1, timeoutMs: 30000)
            #expect(eventually(within: 10) { relay.isHolding }, "the pull never reached the relay's hold point")
            return id
        }
    }

    /// Decoder `/metrics` gauge `datadist_transfers_queued`.
    static func queuedGauge(_ node: LiveNode) -> Int? {
        let prefix = "datadist_transfers_queued "
        guard let text = node.request("GET", "/metrics")?.text,
            let line = text.split(separator: "\n").first(where: { $0.hasPrefix(prefix) })
        else { return nil }
        return Int(line.dropFirst(prefix.count))
    }

    @Test func aQueuedTransferIsCancelledAtOnceAndConsumesNothing() throws {
        let s = try Setup()
        defer { s.relay.stop() }
        let held = try s.holdTheLane()
        let queued = try s.submit(2, into: s.dst2, timeoutMs: 30000)
        let polled = try #require(s.d.request("GET", "/v1/transfers/\(queued)?wait_ms=200")?.json)
        #expect(polled["state"] == "running", "a queued transfer reports running: \(polled)")
        #expect(Self.inFlight(s.d) == 2, "a queued transfer is in flight (drain waits for it)")
        #expect(Self.queuedGauge(s.d) == 1, "and counted as queued in /metrics")
        let started = ContinuousClock.now
        let cancelled = try #require(s.d.request("DELETE", "/v1/transfers/\(queued)"))
        #expect(ContinuousClock.now - started < .seconds(1), "a queued transfer does not wait for its turn to end")
        #expect(cancelled.status == 200, "\(cancelled.text)")
        #expect(cancelled.json?["state"] == "cancelled")
        #expect(s.relay.isHolding, "the running pull is untouched")
        #expect(PullInFlightLiveTests.boundKeys(s.p, s.src2) == 1, "a cancelled queued pull consumes nothing")
        #expect(Self.inFlight(s.d) == 1, "its pin and its count were released")
        #expect(Self.queuedGauge(s.d) == 0)
        #expect(s.d.deallocate(s.dst2) == 200)
        // The lane goes on with the held pull.
        s.relay.resume()
        #expect(s.d.request("GET", "/v1/transfers/\(held)?wait_ms=20000")?.json?["state"] == "done")
        #expect(eventually { Self.inFlight(s.d) == 0 })
        #expect(s.d.request("DELETE", "/v1/transfers/\(queued)")?.json?["state"] == "cancelled", "unchanged")
    }

    @Test func aQueuedTransferPastItsBoundFailsWithTheKeyStillBound() throws {
        let s = try Setup()
        defer { s.relay.stop() }
        let held = try s.holdTheLane()
        let started = ContinuousClock.now
        let late = try s.submit(2, into: s.dst2, timeoutMs: 300)
        let r = try #require(s.d.request("GET", "/v1/transfers/\(late)?wait_ms=10000")?.json)
        #expect(ContinuousClock.now - started < .seconds(5), "the bound runs from submission, not from its turn")
        #expect(r["state"] == "failed")
        #expect(r["status"] == "LLM_TIMEOUT")
        #expect(r["message"]?.stringValue?.contains("the key stays bound") == true, "\(r)")
        #expect(s.relay.isHolding, "the running pull is untouched")
        #expect(PullInFlightLiveTests.boundKeys(s.p, s.src2) == 1)
        s.relay.resume()
        #expect(s.d.request("GET", "/v1/transfers/\(held)?wait_ms=20000")?.json?["state"] == "done")
        // The key that timed out in the queue is pulled afterwards, whole.
        let again = try s.submit(2, into: s.dst2, timeoutMs: 10000)
        #expect(s.d.request("GET", "/v1/transfers/\(again)?wait_ms=10000")?.json?["state"] == "done")
        for t in 0..<2 { #expect(byteMismatch(s.d.readTensor(s.dst2, t), s.small[t]) == nil, "tensor \(t)") }
        #expect(PullInFlightLiveTests.boundKeys(s.p, s.src2) == 0)
    }

    @Test func aTransferThatQueuedAndThenRanOutOfTimeQuotesTheBoundItWasGiven() throws {
        let s = try Setup()
        defer {
            s.relay.stop()
            s.relay.resume()  // two streams are held by the end
        }
        // A third key, as large as the first, so that the relay holds its stream too.
        let big = uint8Desc(4, [1, 256 * 1024])
        let src3 = try s.p.allocate(#"{"cache_desc":\#(big),"cache_keys":[\#(requestKey(0, 3))]}"#)
        _ = PullCacheLiveTests.fill(s.p, src3, tensors: 4, bytes: 256 * 1024, seed: 8400)
        let dst3 = try s.d.allocate(#"{"cache_desc":\#(big)}"#)
        // The lane is held by a pull bounded at 1500 ms; the second waits for it with a 4000 ms bound, gets its
        // turn with about 2500 ms left, and is held in turn.
        let first = try s.submit(1, into: s.dst1, timeoutMs: 1500)
        #expect(eventually(within: 10) { s.relay.isHolding }, "the first pull never reached the relay's hold point")
        s.relay.arm()
        let second = try s.submit(3, into: dst3, timeoutMs: 4000)
        let a = try #require(s.d.request("GET", "/v1/transfers/\(first)?wait_ms=10000")?.json)
        #expect(a["status"] == "LLM_TIMEOUT", "\(a)")
        #expect(a["message"]?.stringValue?.contains("1500 ms") == true, "\(a)")
        let b = try #require(s.d.request("GET", "/v1/transfers/\(second)?wait_ms=10000")?.json)
        #expect(s.relay.didTrigger, "the second pull ran and was held")
        #expect(b["state"] == "failed")
        #expect(b["status"] == "LLM_TIMEOUT", "\(b)")
        let message = b["message"]?.stringValue ?? ""
        #expect(message.contains("4000 ms"), "the message quotes the caller's timeout_ms, not what was left: \(b)")
        #expect(!message.contains("waited for its turn"), "it timed out running, not in the queue: \(b)")
        #expect(message.contains("the key stays bound"), "\(b)")
        #expect(PullInFlightLiveTests.boundKeys(s.p, src3) == 1)
        #expect(eventually { Self.inFlight(s.d) == 0 })
    }

    @Test func aRemoteWhoseLaneIsHeldDoesNotDelayAnotherRemote() throws {
        let s = try Setup()
        defer { s.relay.stop() }
        let other = try LiveNode.prompt(2)
        #expect(s.d.link([(2, other.peerAddress)])?.status == 200)
        let desc = uint8Desc(2, [1, 2048])
        let src = try other.allocate(#"{"cache_desc":\#(desc),"cache_keys":[\#(requestKey(2, 1))]}"#)
        let data = PullCacheLiveTests.fill(other, src, tensors: 2, bytes: 2048, seed: 8400)
        let dst = try s.d.allocate(#"{"cache_desc":\#(desc)}"#)
        let held = try s.holdTheLane()
        let queued = try s.submit(2, into: s.dst2, timeoutMs: 30000)
        let r = try #require(
            s.d.post(
                "/v1/transfers",
                #"{"op":"pull","cache_id":\#(dst),"cache_key":\#(requestKey(2, 1)),"timeout_ms":10000}"#
            )
        )
        let id = try #require(r.json?["transfer_id"]?.stringValue, "\(r.text)")
        #expect(s.d.request("GET", "/v1/transfers/\(id)?wait_ms=10000")?.json?["state"] == "done")
        for t in 0..<2 { #expect(byteMismatch(s.d.readTensor(dst, t), data[t]) == nil, "tensor \(t)") }
        #expect(s.relay.isHolding, "cluster 0's lane is still held")
        #expect(s.d.request("GET", "/v1/transfers/\(queued)")?.json?["state"] == "running", "and its queue waits")
        s.relay.resume()
        #expect(s.d.request("GET", "/v1/transfers/\(held)?wait_ms=20000")?.json?["state"] == "done")
        #expect(s.d.request("GET", "/v1/transfers/\(queued)?wait_ms=20000")?.json?["state"] == "done")
        for t in 0..<2 { #expect(byteMismatch(s.d.readTensor(s.dst2, t), s.small[t]) == nil, "tensor \(t)") }
    }

    @Test func aDrainWaitsForQueuedTransfersBeforeItUnlinks() throws {
        let s = try Setup()
        defer { s.relay.stop() }
        let held = try s.holdTheLane()
        let queued = try s.submit(2, into: s.dst2, timeoutMs: 30000)
        let accepted = try #require(
            s.d.request(
                "PUT",
                "/v1/role",
                body: #"{"role": "MIX", "unlink": "graceful", "drain_timeout_ms": 20000}"#,
                headers: ["Prefer: respond-async"]
            )
        )
        #expect(accepted.status == 202, "\(accepted.text)")
        s.relay.resume()
        #expect(
            eventually(within: 20) {
                s.d.request("GET", "/v1/role")?.json?["last_switch"]?["status"] == "LLM_SUCCESS"
            }
        )
        let role = try #require(s.d.request("GET", "/v1/role")?.json)
        #expect(role["last_switch"]?["drain"]?["transfers_waited"] == 2, "the queued transfer counts: \(role)")
        #expect(role["last_switch"]?["drain"]?["unlinked"] == [0])
        // Both ended before the graceful unlink: the queued one was not cut off by it.
        #expect(s.d.request("GET", "/v1/transfers/\(held)")?.json?["state"] == "done")
        #expect(s.d.request("GET", "/v1/transfers/\(queued)")?.json?["state"] == "done")
        for t in 0..<2 { #expect(byteMismatch(s.d.readTensor(s.dst2, t), s.small[t]) == nil, "tensor \(t)") }
    }

    @Test func aTransferQueuedForAnUnlinkedPeerFailsAsNotLinked() throws {
        let s = try Setup()
        defer { s.relay.stop() }
        let held = try s.holdTheLane()
        let queued = try s.submit(2, into: s.dst2, timeoutMs: 30000)
        #expect(s.d.unlink([(0, s.relay.address)], force: true)?.status == 200)
        #expect(s.d.request("DELETE", "/v1/transfers/\(held)")?.json?["state"] == "cancelled")
        let r = try #require(s.d.request("GET", "/v1/transfers/\(queued)?wait_ms=10000")?.json)
        #expect(r["state"] == "failed")
        #expect(r["status"] == "LLM_NOT_YET_LINK", "\(r)")
        #expect(PullInFlightLiveTests.boundKeys(s.p, s.src2) == 1)
        #expect(eventually { Self.inFlight(s.d) == 0 })
    }
}
