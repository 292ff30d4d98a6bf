import Testing

@testable import DataDistModel

/// The bounded history of asynchronous transfers (CONTRACT §11).
@Suite struct TransferHistoryTests {
    private static func started(_ ids: [String], capacity: Int = 8) -> TransferHistory {
        var h = TransferHistory(capacity: capacity)
        for id in ids { h.start(TransferRecord(id: id, op: "pull", cacheID: 1, createdAtUnixMs: 0)) }
        return h
    }

    @Test func seqFollowsTheOrderTransfersEnd() {
        var h = Self.started(["a", "b", "c"])
        h.finish("b", state: .done, error: nil, bytesDone: 10, atUnixMs: 5, durationMs: 1)
        h.finish("a", state: .failed, error: APIError(.LLM_TIMEOUT, "slow"), bytesDone: 3, atUnixMs: 6, durationMs: 2)
        #expect(h.record("b")?.seq == 1)
        #expect(h.record("a")?.seq == 2)
        #expect(h.record("c")?.state == .running)
        #expect(h.runningCount == 1)
        let (records, next) = h.ended(since: 0, limit: 10)
        #expect(records.map(\.id) == ["b", "a"])
        #expect(next == 2)
        #expect(h.ended(since: 1, limit: 10).records.map(\.id) == ["a"])
        #expect(h.ended(since: 0, state: .failed, limit: 10).records.map(\.id) == ["a"])
        #expect(h.ended(since: 0, state: .failed, limit: 10).next == 2, "skipped records still move the cursor")
    }

    @Test func aTransferEndsOnce() {
        var h = Self.started(["a"])
        #expect(h.finish("a", state: .cancelled, error: nil, bytesDone: nil, atUnixMs: 1, durationMs: 0) != nil)
        #expect(h.finish("a", state: .done, error: nil, bytesDone: nil, atUnixMs: 2, durationMs: 0) == nil)
        #expect(h.record("a")?.state == .cancelled)
        h.update("a") { $0.bytesDone = 99 }
        #expect(h.record("a")?.bytesDone == 0, "terminal records do not change")
    }

    @Test func onlyTheLastCapacityEndedAreKeptAndLimitPages() {
        var h = Self.started((0..<5).map(String.init), capacity: 3)
        for i in 0..<5 { h.finish("\(i)", state: .done, error: nil, bytesDone: i, atUnixMs: 0, durationMs: 0) }
        #expect(h.record("0") == nil)
        #expect(h.record("1") == nil)
        #expect(h.record("4")?.seq == 5)
        let page = h.ended(since: 0, limit: 2)
        #expect(page.records.map(\.seq) == [3, 4])
        #expect(h.ended(since: page.next, limit: 2).records.map(\.seq) == [5])
    }

    @Test func aDiscardedTransferLeavesNoTrace() {
        var h = Self.started(["a"])
        h.discard("a")
        #expect(h.record("a") == nil)
        #expect(h.runningCount == 0)
    }

    @Test func jsonCarriesTheContractFields() {
        var h = Self.started(["a"])
        let r = h.finish("a", state: .done, error: nil, bytesDone: 7, atUnixMs: 0, durationMs: 1.5)
        let keys = r?.json.objectValue?.keys.sorted()
        #expect(
            keys == [
                "bytes_done", "bytes_total", "cache_id", "code", "created_at", "duration_ms", "finished_at", "message",
                "op", "seq", "state", "status", "transfer_id",
            ]
        )
        #expect(r?.json["status"] == "LLM_SUCCESS")
        #expect(r?.json["code"] == 0)
    }
}
