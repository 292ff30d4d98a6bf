import DataDistModel
import Dispatch
import Foundation
import Synchronization
import Testing

/// A prompt process killed in the middle of a pull (CONTRACT §6: a transfer completes verified or fails
/// with a status; §8: nothing leaks).
@Suite struct PromptDeathLiveTests {
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

        let d = try LiveNode.decoder(1)
        #expect(d.link([(0, "127.0.0.1:\(listen)")])?.status == 200)
        let dst = try d.allocate(#"{"cache_desc":\#(uint8Desc(64, [1, mib4]))}"#)
        let answer = Mutex<RawHTTPConnection.Response?>(nil)
        let done = DispatchSemaphore(value: 0)
        DispatchQueue.global().async {
            let r = d.post("/v1/cache/\(dst)/pull", #"{"cache_key":\#(requestKey(0, 1)),"timeout_ms":30000}"#)
            answer.withLock { $0 = r }
            done.signal()
        }
        // Bytes are arriving once tensor 0's head matches: kill the prompt then, mid-pull.
        let head = Array(first.prefix(64))
        let arriving = eventually(within: 20) { d.readTensor(dst, 0, query: "size=64") == head }
        let finishedBeforeKill = answer.withLock { $0 != nil }
        kill(prompt.processIdentifier, SIGKILL)
        #expect(arriving, "the pull never started")
        #expect(!finishedBeforeKill, "the pull finished before the kill; the test did not exercise a broken pull")

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
        #expect(d.unlink([(0, "127.0.0.1:\(listen)")], force: true)?.status == 200)
    }
}
