import Testing

@testable import DataDistModel

/// Link and unlink reservations, the listener's accept rules and the max-links limit.
@Suite struct LinkReservationTests {
    private static func link(_ remote: UInt64, _ direction: LinkDirection = .outbound, boot: String = "b1") -> Link {
        Link(
            remoteClusterID: remote,
            direction: direction,
            remoteIPInfo: "127.0.0.1:1",
            remoteBootID: boot,
            linkedAtMs: 0
        )
    }

    @Test func beginLinkReservesAndFinishRecords() {
        var t = LinkTable()
        #expect(failure { try t.beginLink(1, maxLinks: 4) } == nil)
        #expect(t.pending == [1])
        #expect(t.busyClusterIDs == [1])
        #expect(failure { try t.beginLink(1, maxLinks: 4) }?.status == .LLM_PROCESSING_LINK)
        t.finishLink(1, Self.link(1))
        #expect(t.pending.isEmpty)
        #expect(t[1]?.direction == .outbound)
        #expect(failure { try t.beginLink(1, maxLinks: 4) }?.status == .LLM_ALREADY_LINK)
    }

    @Test func failedLinkReleasesTheReservation() {
        var t = LinkTable()
        #expect(failure { try t.beginLink(2, maxLinks: 4) } == nil)
        t.finishLink(2, nil)
        #expect(t.pending.isEmpty && t.isEmpty)
        #expect(failure { try t.beginLink(2, maxLinks: 4) } == nil)
    }

    @Test func alreadyLinkedInEitherDirection() {
        var t = LinkTable()
        t.insert(Self.link(3, .inbound))
        #expect(failure { try t.beginLink(3, maxLinks: 4) }?.status == .LLM_ALREADY_LINK)
    }

    @Test func maxLinksCountsLinksAndReservations() {
        var t = LinkTable()
        t.insert(Self.link(1))
        #expect(failure { try t.beginLink(2, maxLinks: 2) } == nil)
        #expect(failure { try t.beginLink(3, maxLinks: 2) }?.status == .LLM_CLUSTER_NUM_EXCEED_LIMIT)
        #expect(outcome { try t.acceptInbound(Self.link(4, .inbound), maxLinks: 2) } == .failure(t.exceeded(2)))
    }

    @Test func unlinkReservation() {
        var t = LinkTable()
        #expect(outcome { try t.beginUnlink(9) } == .success(nil))
        t.insert(Self.link(9))
        #expect(outcome { try t.beginUnlink(9) } == .success(Self.link(9)))
        if case .failure(let e) = outcome({ try t.beginUnlink(9) }) {
            #expect(e.status == .LLM_PROCESSING_LINK)
        } else {
            Issue.record("second unlink should be refused while the first is in flight")
        }
        t.finishUnlink(9, removed: false)
        #expect(t[9] != nil && t.pending.isEmpty)
        _ = outcome { try t.beginUnlink(9) }
        t.finishUnlink(9, removed: true)
        #expect(t[9] == nil)
    }

    @Test func listenerReplacesAStaleInboundEntryFromARestartedLinker() {
        var t = LinkTable()
        #expect(outcome { try t.acceptInbound(Self.link(5, .inbound, boot: "old"), maxLinks: 4) } == .success(false))
        #expect(outcome { try t.acceptInbound(Self.link(5, .inbound, boot: "new"), maxLinks: 4) } == .success(true))
        #expect(t[5]?.remoteBootID == "new")
        #expect(t.count == 1)
        // Replacing does not count against the limit.
        t.insert(Self.link(6, .inbound))
        #expect(outcome { try t.acceptInbound(Self.link(5, .inbound, boot: "newer"), maxLinks: 2) } == .success(true))
    }

    @Test func listenerRefusesWhileItsOwnUnlinkIsInFlight() {
        var t = LinkTable()
        t.insert(Self.link(5, .inbound))
        _ = outcome { try t.beginUnlink(5) }
        if case .failure(let e) = outcome({ try t.acceptInbound(Self.link(5, .inbound, boot: "x"), maxLinks: 4) }) {
            #expect(e.status == .LLM_PROCESSING_LINK)
        } else {
            Issue.record("expected PROCESSING_LINK")
        }
    }

    @Test func listenerRefusesAClusterItLinkedToItself() {
        var t = LinkTable()
        t.insert(Self.link(6, .outbound, boot: "x"))
        if case .failure(let e) = outcome({ try t.acceptInbound(Self.link(6, .inbound, boot: "y"), maxLinks: 4) }) {
            #expect(e.status == .LLM_ALREADY_LINK)
        } else {
            Issue.record("an outbound link blocks the reverse direction")
        }
    }

    @Test func byteCounters() {
        var t = LinkTable()
        t.insert(Self.link(1))
        t.count(1, pulled: 10, pushed: 3)
        t.count(1, pulled: 5)
        t.count(2, pulled: 5)
        #expect(t[1]?.bytesPulled == 15 && t[1]?.bytesPushed == 3)
    }
}

extension LinkTable {
    fileprivate func exceeded(_ max: Int) -> APIError {
        APIError(.LLM_CLUSTER_NUM_EXCEED_LIMIT, "the listener already holds its maximum of \(max) links")
    }
}
