import Testing

@testable import DataDistModel

/// Key leases (CONTRACT §11) on a hand-moved clock: grant, renew, release, expiry order, tombstones.
@Suite struct KeyLeasesTests {
    private let a = LeasedKey.key(.request(1))
    private let b = LeasedKey.key(.prefix(2))
    private let blocks = LeasedKey.blocks(modelID: 0)

    @Test func disabledLeasesGrantNothing() {
        var l = KeyLeases(durationMs: 0)
        #expect(l.grant(a, nowMs: 0) == nil)
        #expect(l.nextDeadline == nil)
        #expect(l.due(nowMs: .max).isEmpty)
    }

    @Test func keysExpireInDeadlineOrderAndOnlyWhenDue() {
        var l = KeyLeases(durationMs: 100)
        l.grant(a, nowMs: 50)
        l.grant(b, nowMs: 0)
        l.grant(blocks, nowMs: 20)
        #expect(l.nextDeadline == 100)
        #expect(l.due(nowMs: 99).isEmpty)
        #expect(l.due(nowMs: 120) == [b, blocks])
        #expect(l.due(nowMs: 150) == [a])
        #expect(l.count == 0)
    }

    @Test func renewAndReleaseMoveOrEndTheDeadline() {
        var l = KeyLeases(durationMs: 100)
        l.grant(a, nowMs: 0)
        l.grant(b, nowMs: 0)
        #expect(l.renew(a, extendMs: 1000, nowMs: 50) == 1050)
        l.release(b)
        #expect(l.due(nowMs: 200).isEmpty, "a was renewed, b released")
        #expect(l.due(nowMs: 1050) == [a])
        #expect(l.renew(b, extendMs: 10, nowMs: 0) == nil, "no lease, no renewal")
    }

    @Test func tombstonesLastTenMinutesAndARebindForgetsThem() {
        var l = KeyLeases(durationMs: 10)
        l.grant(a, nowMs: 0)
        for key in l.due(nowMs: 10) { l.markExpired(key, nowMs: 10) }
        #expect(l.expired(a, nowMs: 10))
        #expect(l.expired(a, nowMs: 10 + KeyLeases.tombstoneMs - 1))
        #expect(!l.expired(a, nowMs: 10 + KeyLeases.tombstoneMs))
        l.grant(a, nowMs: 20)
        #expect(!l.expired(a, nowMs: 21), "bound again: not expired")
        #expect(!l.expired(b, nowMs: 21))
    }

    @Test func holdPutsADueKeyOff() {
        var l = KeyLeases(durationMs: 10)
        l.grant(a, nowMs: 0)
        #expect(l.due(nowMs: 10) == [a])
        l.hold(a, untilMs: 110)
        #expect(l.due(nowMs: 100).isEmpty)
        #expect(l.due(nowMs: 110) == [a])
    }

    @Test func manyRenewalsKeepTheQueueSmallAndCorrect() {
        var l = KeyLeases(durationMs: 100)
        for i in 0..<500 { l.grant(.key(.request(UInt64(i))), nowMs: 0) }
        for round in 1...20 {
            for i in 0..<500 { _ = l.renew(.key(.request(UInt64(i))), extendMs: 100, nowMs: Int64(round)) }
        }
        #expect(l.due(nowMs: 119).isEmpty)
        #expect(l.due(nowMs: 120).count == 500)
    }
}
