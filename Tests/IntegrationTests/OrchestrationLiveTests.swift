import DataDistModel
import DataDistNode
import Dispatch
import Glibc
import Testing

/// CONTRACT §12 on real nodes: drain-aware role switches, the event stream, load signals, unlink-all.
@Suite struct OrchestrationLiveTests {
    // MARK: drain-aware switch

    @Test func gracefulSwitchUnlinksEveryPeerAndReportsTheDrain() throws {
        let p = try LiveNode.prompt(1)
        let d = try LiveNode.decoder(2)
        #expect(d.link([(1, p.peerAddress)])?.status == 200)
        let r = try #require(p.switchRole(#"{"role": "DECODER", "unlink": "graceful", "drain_timeout_ms": 1000}"#))
        #expect(r.status == 200, "\(r.text)")
        #expect(r.json?["role"] == "DECODER")
        #expect(r.json?["listen_ip_info"] == .null)
        #expect(r.json?["drain"]?["unlinked"] == [2])
        #expect(r.json?["drain"]?["transfers_waited"] == 0)
        #expect(r.json?["phase"] == "idle", "the answer is the state after the switch")
        #expect(r.json?["last_switch"]?["status"] == "LLM_SUCCESS")
        #expect(p.links.isEmpty)
        #expect(eventually { d.links.isEmpty }, "the peer was told and dropped its side")
        let role = try #require(p.request("GET", "/v1/role")?.json)
        #expect(role["phase"] == "idle")
        #expect(role["last_switch"]?["status"] == "LLM_SUCCESS")
        #expect(role["role_epoch"] == 1)
    }

    @Test func forceSwitchDropsLinksLocallyOnly() throws {
        let p = try LiveNode.prompt(1)
        let d = try LiveNode.decoder(2)
        #expect(d.link([(1, p.peerAddress)])?.status == 200)
        let r = try #require(d.switchRole(#"{"role": "MIX", "unlink": "force"}"#))
        #expect(r.status == 200, "\(r.text)")
        #expect(r.json?["drain"]?["unlinked"] == [1])
        #expect(d.links.isEmpty)
        #expect(p.links.map(\.0) == [2], "force tells nobody: the prompt keeps its inbound entry")
    }

    @Test func refuseStaysTheDefault() throws {
        let p = try LiveNode.prompt(1)
        let d = try LiveNode.decoder(2)
        #expect(d.link([(1, p.peerAddress)])?.status == 200)
        let r = try #require(d.switchRole(#"{"role": "MIX"}"#))
        #expect(r.status == 409)
        #expect(r.status_ == "LLM_EXIST_LINK")
        #expect(d.request("GET", "/v1/role")?.json?["phase"] == nil, "a plain switch keeps the revision-1 body")
        #expect(d.request("DELETE", "/v1/links")?.status == 200)
        let plain = try #require(d.switchRole(#"{"role": "MIX"}"#))
        #expect(plain.status == 200)
        #expect(
            plain.json?.objectValue?.keys.sorted() == [
                "cluster_id", "listen_ip_info", "role", "role_epoch", "switch_role_enabled",
            ]
        )
    }

    @Test func checksRunBeforeAnyDrain() throws {
        let p = try LiveNode.prompt(1)
        let d = try LiveNode.decoder(2)
        #expect(d.link([(1, p.peerAddress)])?.status == 200)
        // Step 2 (stale epoch) fails first: nothing drains, nothing is unlinked.
        let r = try #require(d.switchRole(#"{"role": "MIX", "unlink": "graceful", "expected_epoch": 7}"#))
        #expect(r.status == 409)
        #expect(r.status_ == "EPOCH_MISMATCH")
        #expect(d.links.map(\.0) == [1])
        #expect(d.request("GET", "/v1/node/load")?.json?["draining"] == false)
    }

    @Test func aTransferStillRunningAtTheDrainDeadlineFailsTheSwitchAndChangesNothing() throws {
        let s = try PullInFlightLiveTests.setUp()
        defer { s.relay.stop() }
        let answer = PullInFlightLiveTests.startPull(s)
        #expect(eventually(within: 10) { s.relay.isHolding }, "the pull never reached the relay's hold point")
        let load = try #require(s.d.request("GET", "/v1/node/load")?.json)
        #expect(load["transfers_in_flight"] == 1)

        // Asynchronous: 202 at once, draining while the pull is held.
        let accepted = try #require(
            s.d.request(
                "PUT",
                "/v1/role",
                body: #"{"role": "MIX", "unlink": "graceful", "drain_timeout_ms": 1500}"#,
                headers: ["Prefer: respond-async"]
            )
        )
        #expect(accepted.status == 202, "\(accepted.text)")
        #expect(accepted.json?["phase"] == "draining")
        #expect(accepted.json?["role"] == "DECODER")

        // New work is refused while draining, with Retry-After.
        let link = try #require(s.d.link([(9, "127.0.0.1:1")]))
        #expect(link.status == 503)
        #expect(link.status_ == "NODE_DRAINING")
        #expect(link.header("Retry-After") == "1")
        let bind = try #require(s.d.post("/v1/cache", #"{"cache_desc":\#(uint8Desc(1, [1, 16]))}"#))
        #expect(bind.status == 201, "allocation without keys is not a key binding")
        let keyed = try #require(
            s.d.post("/v1/cache", #"{"cache_desc":\#(uint8Desc(1, [1, 16])),"cache_keys":[\#(requestKey(2, 5))]}"#)
        )
        #expect(keyed.status == 503)
        #expect(keyed.status_ == "NODE_DRAINING")
        #expect(s.d.request("GET", "/v1/node/load")?.json?["draining"] == true)

        // The deadline passes with the pull still held: LLM_TIMEOUT, nothing unlinked, admission reopened.
        #expect(
            eventually(within: 10) { s.d.request("GET", "/v1/role")?.json?["last_switch"]?["status"] == "LLM_TIMEOUT" }
        )
        let role = try #require(s.d.request("GET", "/v1/role")?.json)
        #expect(role["role"] == "DECODER")
        #expect(role["phase"] == "idle")
        #expect(role["last_switch"]?["drain"]?["unlinked"] == [])
        #expect(role["last_switch"]?["drain"]?["transfers_waited"] == 1)
        #expect(s.d.links.map(\.0) == [0])
        #expect(s.d.request("GET", "/v1/node/load")?.json?["draining"] == false)
        let again = try #require(s.d.link([(9, "127.0.0.1:1")], timeoutMs: 500))
        #expect(again.status_ == "LLM_LINK_FAILED", "admission reopened: \(again.text)")

        s.relay.resume()
        #expect(try #require(answer()).status == 200, "the pull that held the drain completes")
        #expect(eventually { s.d.request("GET", "/v1/node/load")?.json?["transfers_in_flight"] == 0 })
    }

    // MARK: load and unlink-all

    @Test func loadCountsUnpulledKeysAndPoolUse() throws {
        let p = try LiveNode.prompt(1)
        let empty = try #require(p.request("GET", "/v1/node/load")?.json)
        #expect(empty["unpulled_keys"] == 0)
        #expect(empty["unpulled_bytes"] == 0)
        #expect(empty["links"] == 0)
        #expect(empty["pools"]?.arrayValue?.count == 2)
        // 4 tensors of 2 slots × 1024 bytes; two keys bound → 2 × 4 × 1024 bytes wait to be pulled.
        _ = try p.allocate(
            #"{"cache_desc":\#(uint8Desc(4, [2, 1024])),"cache_keys":[\#(requestKey(1, 1)),\#(requestKey(1, 2))]}"#
        )
        let load = try #require(p.request("GET", "/v1/node/load")?.json)
        #expect(load["unpulled_keys"] == 2)
        #expect(load["unpulled_bytes"] == 8192)
        let used = load["pools"]?.arrayValue?.compactMap { pool -> Double? in
            if case .double(let u)? = pool["utilization"] { u } else { nil }
        }
        #expect(used?.count == 2)
        #expect(used?.contains { $0 > 0 && $0 < 1 } == true, "\(load)")
        let metrics = try #require(p.request("GET", "/metrics")?.text)
        #expect(metrics.contains("datadist_unpulled_kv_bytes 8192\n"))
        #expect(metrics.contains("datadist_transfers_in_flight 0\n"))
        #expect(metrics.contains("datadist_pool_utilization_ratio{placement=\"DEVICE\",device_id=\"0\"}"))
    }

    @Test func deleteLinksUnlinksEveryLink() throws {
        let p1 = try LiveNode.prompt(1)
        let p2 = try LiveNode.prompt(2)
        let d = try LiveNode.decoder(3)
        let none = try #require(d.request("DELETE", "/v1/links"))
        #expect(none.status == 200)
        #expect(none.json?["results"] == [])
        #expect(d.link([(1, p1.peerAddress), (2, p2.peerAddress)])?.status == 200)
        let r = try #require(d.request("DELETE", "/v1/links?timeout_ms=2000"))
        #expect(r.status == 200, "\(r.text)")
        #expect(r.results == ["LLM_SUCCESS", "LLM_SUCCESS"])
        #expect(d.links.isEmpty)
        #expect(eventually { p1.links.isEmpty && p2.links.isEmpty })
        #expect(d.request("DELETE", "/v1/links?force=maybe")?.status_ == "TYPE_ERROR")
        #expect(d.request("DELETE", "/v1/links?bogus=1")?.status_ == "LLM_PARAM_INVALID")
    }

    // MARK: events

    @Test func aStreamDeliversEventsAsTheyHappen() throws {
        let p = try LiveNode.prompt(1)
        let d = try LiveNode.decoder(2)
        let stream = try #require(EventStreamClient(port: d.port))
        #expect(stream.status == 200)
        #expect(stream.header("Content-Type") == "text/event-stream")
        #expect(stream.header("Content-Length") == nil)
        #expect(d.link([(1, p.peerAddress)])?.status == 200)
        let up = try #require(stream.next(), "no event after a link")
        #expect(up.type == "link_up")
        #expect(up.data["remote_cluster_id"] == 1)
        #expect(up.data["direction"] == "outbound")
        #expect(up.data["boot_id"]?.stringValue?.isEmpty == false)
        _ = try d.allocate(#"{"cache_desc":\#(uint8Desc(1, [1, 64]))}"#)
        let allocated = try #require(stream.next())
        #expect(allocated.type == "cache_allocated")
        #expect(allocated.id == up.id + 1)
        #expect(d.switchRole(#"{"role": "MIX", "unlink": "graceful"}"#)?.status == 200)
        let types = (0..<3).compactMap { _ in stream.next()?.type }
        #expect(types == ["draining", "link_down", "role_changed"])
    }

    @Test func replayFromASequenceAndResetWhenTheRingMovedOn() throws {
        let d = try LiveNode.decoder(2) { $0.eventHistory = 3 }
        for _ in 0..<5 { _ = try d.allocate(#"{"cache_desc":\#(uint8Desc(1, [1, 64]))}"#) }
        // Events 1…5 happened; the ring holds 3…5.
        let held = try #require(EventStreamClient(port: d.port, query: "?since=2"))
        #expect((0..<3).compactMap { _ in held.next()?.id } == [3, 4, 5])
        let resumed = try #require(EventStreamClient(port: d.port, headers: ["Last-Event-ID: 4"]))
        #expect(resumed.next()?.id == 5)
        let late = try #require(EventStreamClient(port: d.port, query: "?since=0"))
        let first = try #require(late.next())
        #expect(first.type == "reset")
        #expect(first.data["first_seq"] == 3)
        #expect(late.next()?.id == 3)
        #expect(d.request("GET", "/v1/events?since=x")?.status_ == "TYPE_ERROR")
        #expect(d.request("GET", "/v1/events?after=1")?.status_ == "LLM_PARAM_INVALID")
    }

    @Test func streamsAreCappedAndEndAtGracefulStop() throws {
        let d = try LiveNode.decoder(2) { $0.maxEventStreams = 1 }
        let stream = try #require(EventStreamClient(port: d.port))
        #expect(stream.status == 200)
        let refused = try #require(d.request("GET", "/v1/events"))
        #expect(refused.status == 503)
        #expect(refused.header("Retry-After") != nil)
        // Ordinary requests are not held up by the open stream.
        #expect(d.request("GET", "/healthz")?.status == 200)
        let started = ContinuousClock.now
        d.node.stop()
        #expect(ContinuousClock.now - started < .seconds(3), "an open event stream must not hold up a graceful stop")
        #expect(stream.waitForEnd(), "the stream ends with the node")
    }
}

/// Reads `/v1/events` on a raw connection: the head, then one event at a time.
final class EventStreamClient {
    struct Event {
        var id: UInt64
        var type: String
        var data: JSONValue
    }

    private let connection: RawHTTPConnection
    private var buffer: [UInt8] = []
    private(set) var status = 0
    private var headers: [(String, String)] = []

    init?(port: Int, query: String = "", headers extra: [String] = []) {
        guard let c = RawHTTPConnection(port: port) else { return nil }
        connection = c
        var text = "GET /v1/events\(query) HTTP/1.1\r\nHost: 127.0.0.1\r\n"
        for h in extra { text += h + "\r\n" }
        c.send(text + "\r\n")
        guard let headEnd = readUntil([13, 10, 13, 10]) else { return nil }
        let head = String(decoding: buffer[0..<headEnd], as: UTF8.self)
        buffer.removeFirst(headEnd + 4)
        var lines = head.split(separator: "\r\n")
        let statusLine = lines.removeFirst().split(separator: " ")
        status = statusLine.count > 1 ? Int(statusLine[1]) ?? 0 : 0
        self.headers = lines.compactMap { line in
            guard let colon = line.firstIndex(of: ":") else { return nil }
            return (String(line[..<colon]), String(line[line.index(after: colon)...]).drop { $0 == " " }.description)
        }
    }

    func header(_ name: String) -> String? { headers.first { $0.0.lowercased() == name.lowercased() }?.1 }

    /// The next event (pings skipped), or nil on EOF or the 10 s receive timeout.
    func next() -> Event? {
        while let end = readUntil([10, 10]) {
            let block = String(decoding: buffer[0..<end], as: UTF8.self)
            buffer.removeFirst(end + 2)
            var event = Event(id: 0, type: "message", data: .null)
            var sawField = false
            for line in block.split(separator: "\n") where !line.hasPrefix(":") {
                sawField = true
                if line.hasPrefix("id: ") { event.id = UInt64(line.dropFirst(4)) ?? 0 }
                if line.hasPrefix("event: ") { event.type = String(line.dropFirst(7)) }
                if line.hasPrefix("data: ") {
                    event.data = (try? JSONValue.parse(Array(line.dropFirst(6).utf8))) ?? .null
                }
            }
            if sawField { return event }
        }
        return nil
    }

    /// True when the server closes the stream (EOF) within the receive timeout.
    func waitForEnd() -> Bool {
        while true {
            var chunk = [UInt8](repeating: 0, count: 4096)
            let n = chunk.withUnsafeMutableBytes { recv(connection.fd, $0.baseAddress, $0.count, 0) }
            if n == 0 { return true }
            if n < 0 && errno == EINTR { continue }
            if n < 0 { return false }
        }
    }

    private func readUntil(_ marker: [UInt8]) -> Int? {
        while true {
            if buffer.count >= marker.count {
                for i in 0...(buffer.count - marker.count) where buffer[i..<(i + marker.count)].elementsEqual(marker) {
                    return i
                }
            }
            var chunk = [UInt8](repeating: 0, count: 4096)
            let n = chunk.withUnsafeMutableBytes { recv(connection.fd, $0.baseAddress, $0.count, 0) }
            if n < 0 && errno == EINTR { continue }
            if n <= 0 { return nil }
            buffer.append(contentsOf: chunk[0..<n])
        }
    }
}
