import Testing

@testable import DataDistModel

/// The drain → unlink → apply sequence of CONTRACT §12, every path, on a hand-moved clock.
@Suite struct RoleSwitchSequenceTests {
    @Test func idleNodeWithoutLinksAppliesAtOnce() {
        var s = RoleSwitchSequence(mode: .graceful, drainTimeoutMs: 0, nowMs: 100)
        #expect(s.phase == .draining)
        #expect(s.observe(transfersInFlight: 0, links: [], nowMs: 100) == .apply)
        #expect(s.phase == .applying)
        let end = s.applied(failure: nil, nowMs: 103)
        let report = RoleSwitchSequence.Report(transfersWaited: 0, unlinked: [], tookMs: 3)
        #expect(end == .finish(.init(report: report, error: nil)))
        #expect(s.phase == .idle)
    }

    @Test func waitsForTransfersThenUnlinksSortedThenApplies() {
        var s = RoleSwitchSequence(mode: .graceful, drainTimeoutMs: 500, nowMs: 1_000)
        #expect(s.observe(transfersInFlight: 2, links: [9, 3], nowMs: 1_000) == .waitForTransfers(untilMs: 1_500))
        #expect(s.observe(transfersInFlight: 1, links: [9, 3], nowMs: 1_200) == .waitForTransfers(untilMs: 1_500))
        #expect(s.observe(transfersInFlight: 0, links: [9, 3], nowMs: 1_300) == .unlink([3, 9], force: false))
        #expect(s.phase == .unlinking)
        #expect(s.unlinked([9, 3], failure: nil, nowMs: 1_310) == .apply)
        guard case .finish(let outcome) = s.applied(failure: nil, nowMs: 1_320) else {
            Issue.record("expected finish")
            return
        }
        #expect(outcome.error == nil)
        #expect(outcome.report == .init(transfersWaited: 2, unlinked: [3, 9], tookMs: 320))
        #expect(outcome.report.json.serialized == #"{"transfers_waited":2,"unlinked":[3,9],"took_ms":320}"#)
    }

    @Test func forceUnlinksLocally() {
        var s = RoleSwitchSequence(mode: .force, drainTimeoutMs: 0, nowMs: 0)
        #expect(s.observe(transfersInFlight: 0, links: [7], nowMs: 0) == .unlink([7], force: true))
    }

    @Test func drainDeadlineFailsWithTimeoutAndUnlinksNothing() {
        var s = RoleSwitchSequence(mode: .graceful, drainTimeoutMs: 50, nowMs: 10)
        #expect(s.observe(transfersInFlight: 3, links: [1], nowMs: 10) == .waitForTransfers(untilMs: 60))
        guard case .finish(let outcome) = s.observe(transfersInFlight: 1, links: [1], nowMs: 60) else {
            Issue.record("expected finish")
            return
        }
        #expect(outcome.error?.status == .LLM_TIMEOUT)
        #expect(outcome.error?.message.contains("1 transfer(s) still in flight") == true)
        #expect(outcome.report == .init(transfersWaited: 3, unlinked: [], tookMs: 50))
        #expect(s.phase == .idle)
    }

    @Test func zeroDrainTimeoutWithTransfersInFlightTimesOutAtOnce() {
        var s = RoleSwitchSequence(mode: .force, drainTimeoutMs: 0, nowMs: 5)
        guard case .finish(let outcome) = s.observe(transfersInFlight: 1, links: [], nowMs: 5) else {
            Issue.record("expected finish")
            return
        }
        #expect(outcome.error?.status == .LLM_TIMEOUT)
    }

    @Test func unlinkFailureEndsTheSwitchKeepingWhatIsLeft() {
        var s = RoleSwitchSequence(mode: .graceful, drainTimeoutMs: 0, nowMs: 0)
        #expect(s.observe(transfersInFlight: 0, links: [1, 2], nowMs: 0) == .unlink([1, 2], force: false))
        let failure = APIError(.LLM_UNLINK_FAILED, "cluster 2 could not be told")
        guard case .finish(let outcome) = s.unlinked([1], failure: failure, nowMs: 4) else {
            Issue.record("expected finish")
            return
        }
        #expect(outcome.error == failure)
        #expect(outcome.report.unlinked == [1])
    }

    @Test func applyFailureIsTheOutcome() {
        var s = RoleSwitchSequence(mode: .force, drainTimeoutMs: 0, nowMs: 0)
        _ = s.observe(transfersInFlight: 0, links: [], nowMs: 0)
        let failure = APIError(.LLM_FAILED, "bind: Address already in use")
        guard case .finish(let outcome) = s.applied(failure: failure, nowMs: 1) else {
            Issue.record("expected finish")
            return
        }
        #expect(outcome.error == failure)
    }
}

/// The bounded event ring of CONTRACT §12: sequence numbers, replay and reset.
@Suite struct EventLogTests {
    private static func log(capacity: Int, events: Int) -> EventLog {
        var log = EventLog(capacity: capacity)
        for i in 0..<events { log.append("e\(i)", atUnixMs: Int64(i)) }
        return log
    }

    @Test func numbersFromOneAndReplaysAfterASequence() {
        let log = Self.log(capacity: 8, events: 5)
        #expect(log.lastSeq == 5)
        let (reset, events) = log.events(after: 2)
        #expect(!reset)
        #expect(events.map(\.seq) == [3, 4, 5])
        #expect(log.events(after: 5).events.isEmpty)
        #expect(log.events(after: 0).events.map(\.seq) == [1, 2, 3, 4, 5])
    }

    @Test func aFullRingDropsTheOldestAndSaysReset() {
        let log = Self.log(capacity: 4, events: 10)
        #expect(log.firstHeld == 7)
        let (reset, events) = log.events(after: 2)
        #expect(reset)
        #expect(events.map(\.seq) == [7, 8, 9, 10])
        #expect(events.map(\.type) == ["e6", "e7", "e8", "e9"])
        let exact = log.events(after: 6)
        #expect(!exact.reset)
        #expect(exact.events.map(\.seq) == [7, 8, 9, 10])
    }

    @Test func limitBoundsOneRead() {
        let log = Self.log(capacity: 16, events: 10)
        #expect(log.events(after: 0, limit: 3).events.map(\.seq) == [1, 2, 3])
    }

    @Test func sseFramingCarriesIdTypeAndData() {
        var log = EventLog(capacity: 2)
        let e = log.append("link_up", atUnixMs: 0, [(key: "remote_cluster_id", value: .int(7))])
        #expect(
            e.sse(bootID: "b")
                == "id: 1\nevent: link_up\ndata: {\"seq\":1,\"type\":\"link_up\",\"at\":\"1970-01-01T00:00:00.000Z\",\"boot_id\":\"b\",\"remote_cluster_id\":7}\n\n"
        )
        #expect(e.framed.isEmpty, "a log without a boot id renders nothing ahead")
    }

    @Test func aLogWithItsBootIDRendersEachEventOnce() {
        var log = EventLog(capacity: 2, bootID: "b")
        let e = log.append("cache_freed", atUnixMs: 5, [(key: "cache_id", value: .int(3))])
        #expect(e.framed == Array(e.sse(bootID: "b").utf8))
        #expect(log.events(after: 0).events.map(\.framed) == [e.framed], "streams read the rendered bytes")
    }
}
