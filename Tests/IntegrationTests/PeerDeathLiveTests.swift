import DataDistModel
import Dispatch
import Foundation
import Synchronization
import TestSupport
import Testing

/// A peer process killed in the middle of a pull, on either side (CONTRACT §6: a transfer completes
/// verified or fails with a status, and a failed pull leaves the key bound; §8: nothing leaks).
@Suite struct PeerDeathLiveTests {
    @Test(.timeLimit(.minutes(1)))
    func sigkilledPromptFailsThePullAndTheDecoderStaysHealthy() throws {
        let admin = freePort()
        let listen = freePort()
        let (prompt, _) = try ProcessTests.launch([
            "serve", "--cluster-id", "0", "--role", "prompt", "--listen", "127.0.0.1:\(listen)",
            "--admin", "127.0.0.1:\(admin)", "--host-pool", "512MiB",
        ])
        defer {
            if prompt.isRunning { kill(prompt.processIdentifier, SIGKILL) }
            prompt.waitUntilExit()
        }
        #expect(eventually(within: 20) { RawHTTPConnection.request(port: admin, "GET", "/healthz")?.status == 200 })

        // 256 MiB: 64 tensors of 4 MiB; tensor 0 carries known bytes (the rest are zero pages).
        let mib4 = 4 << 20
        let allocated = try #require(
            RawHTTPConnection.request(
                port: admin,
                "POST",
                "/v1/cache",
                body: #"{"cache_desc":\#(uint8Desc(64, [1, mib4])),"cache_keys":[\#(requestKey(0, 1))]}"#
            )
        )
        #expect(allocated.status == 201, "\(allocated.text)")
        let src = try #require(allocated.json?.objectValue?["cache_id"]?.int64Value)
        let first = seededBytes(mib4, seed: 8000)
        #expect(
            RawHTTPConnection.request(port: admin, "PUT", "/v1/cache/\(src)/tensors/0", bytes: first)?.status == 200
        )

        // The decoder reaches the prompt through a relay that holds the stream after 8 MiB, so the kill
        // lands mid-pull for certain (the prompt is then blocked writing the rest).
        let relay = FaultyRelay(upstream: listen, fault: .pause, after: 8 << 20)
        defer { relay.stop() }
        let d = try LiveNode.decoder(1)
        #expect(d.link([(0, relay.address)])?.status == 200)
        let dst = try d.allocate(#"{"cache_desc":\#(uint8Desc(64, [1, mib4]))}"#)
        relay.arm()
        let answer = Mutex<RawHTTPConnection.Response?>(nil)
        let done = DispatchSemaphore(value: 0)
        DispatchQueue.global().async {
            let r = d.post("/v1/cache/\(dst)/pull", #"{"cache_key":\#(requestKey(0, 1)),"timeout_ms":30000}"#)
            answer.withLock { $0 = r }
            done.signal()
        }
        // Bytes have arrived (tensor 0 is there) and the rest is held: kill the prompt, then let the relay
        // pass on what it holds and the prompt's end of the connection.
        #expect(eventually(within: 20) { relay.isHolding }, "the pull never reached the hold point")
        #expect(byteMismatch(d.readTensor(dst, 0, query: "size=64"), first.prefix(64)) == nil, "bytes arrived")
        #expect(answer.withLock { $0 == nil }, "the pull answered before the kill")
        kill(prompt.processIdentifier, SIGKILL)
        prompt.waitUntilExit()
        relay.resume()

        #expect(done.wait(timeout: .now() + 35) == .success, "the pull never answered")
        let r = try #require(answer.withLock { $0 })
        #expect(r.status != 200, "\(r.text)")
        #expect([502, 504, 500].contains(r.status), "\(r.status) \(r.text)")
        #expect(["LLM_LINK_FAILED", "LLM_TIMEOUT", "LLM_FAILED"].contains(r.status_ ?? ""), "\(r.text)")

        // The decoder serves on: health, allocate and deallocate, and its pools drain completely.
        #expect(d.request("GET", "/healthz")?.status == 200)
        let probe = try d.allocate(#"{"cache_desc":\#(uint8Desc(2, [1, 4096]))}"#)
        #expect(d.writeTensor(probe, 0, seededBytes(4096, seed: 1)) == 200)
        #expect(d.deallocate(probe) == 200)
        #expect(d.deallocate(dst) == 200)
        #expect(d.poolsDrain(), "the destination pin was not released: \(d.poolsUsed ?? [])")
        #expect(d.unlink([(0, relay.address)], force: true)?.status == 200)
    }

    @Test(.timeLimit(.minutes(1)))
    func sigkilledDecoderLeavesTheKeyBoundAndReleasesThePromptsPin() throws {
        let p = try LiveNode.prompt(0)
        let admin = freePort()
        let (decoder, _) = try ProcessTests.launch([
            "serve", "--cluster-id", "1", "--role", "decoder", "--admin", "127.0.0.1:\(admin)", "--host-pool", "512MiB",
        ])
        defer {
            if decoder.isRunning { kill(decoder.processIdentifier, SIGKILL) }
            decoder.waitUntilExit()
        }
        #expect(eventually(within: 20) { RawHTTPConnection.request(port: admin, "GET", "/healthz")?.status == 200 })
        let mib4 = 4 << 20
        let src = try p.allocate(#"{"cache_desc":\#(uint8Desc(64, [1, mib4])),"cache_keys":[\#(requestKey(0, 1))]}"#)
        let first = seededBytes(mib4, seed: 8100)
        #expect(p.writeTensor(src, 0, first) == 200)
        // Through a relay that holds the stream after 8 MiB: the decoder dies with the pull surely unfinished.
        let relay = FaultyRelay(upstream: try #require(p.node.peerPort), fault: .pause, after: 8 << 20)
        defer { relay.stop() }
        let link = #"{"clusters":[{"remote_cluster_id":0,"remote_ip_info":"\#(relay.address)"}]}"#
        #expect(RawHTTPConnection.request(port: admin, "POST", "/v1/links", body: link)?.status == 200)
        let allocated = try #require(
            RawHTTPConnection.request(
                port: admin,
                "POST",
                "/v1/cache",
                body: #"{"cache_desc":\#(uint8Desc(64, [1, mib4]))}"#
            )
        )
        let dst = try #require(allocated.json?.objectValue?["cache_id"]?.int64Value, "\(allocated.text)")
        relay.arm()
        DispatchQueue.global().async {
            _ = RawHTTPConnection.request(
                port: admin,
                "POST",
                "/v1/cache/\(dst)/pull",
                body: #"{"cache_key":\#(requestKey(0, 1)),"timeout_ms":30000}"#
            )
        }
        #expect(eventually(within: 20) { relay.isHolding }, "the pull never reached the hold point")
        kill(decoder.processIdentifier, SIGKILL)
        decoder.waitUntilExit()
        relay.resume()

        // The prompt serves on; the key was never acknowledged, so it is still bound and pullable.
        #expect(p.request("GET", "/healthz")?.status == 200)
        let listed = try #require(p.request("GET", "/v1/cache/\(src)")?.json?.objectValue)
        #expect(listed["cache_keys"]?.arrayValue?.count == 1, "\(listed)")
        let d = try LiveNode.decoder(2)
        #expect(d.link([(0, p.peerAddress)])?.status == 200)
        let again = try d.allocate(#"{"cache_desc":\#(uint8Desc(1, [1, mib4]))}"#)
        let r = try #require(
            d.post(
                "/v1/cache/\(again)/pull",
                #"{"cache_key":\#(requestKey(0, 1)),"src_layer_range":[0,1],"tensor_num_per_layer":1}"#
            )
        )
        #expect(r.status == 200, "\(r.text)")
        #expect(byteMismatch(d.readTensor(again, 0), first) == nil)
        // Releasing everything returns the prompt's pool to zero: the dead pull's pin is gone.
        #expect(p.deallocate(src) == 200)
        #expect(p.request("DELETE", "/v1/cache/keys?req_id=1")?.status == 200)
        #expect(p.poolsDrain(), "\(p.poolsUsed ?? [])")
        #expect(d.deallocate(again) == 200)
        #expect(d.poolsDrain())
    }
}
