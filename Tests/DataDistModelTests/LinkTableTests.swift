import Testing

@testable import DataDistModel

/// The per-node link table: one link per remote cluster, whatever the direction.
@Suite struct LinkTableTests {
    private static func link(_ remote: UInt64, _ direction: LinkDirection = .outbound, boot: String = "b1") -> Link {
        Link(
            remoteClusterID: remote,
            direction: direction,
            remoteIPInfo: "127.0.0.1:26000",
            remoteBootID: boot,
            linkedAtMs: 1_700_000_000_000
        )
    }

    @Test func startsEmpty() {
        let table = LinkTable()
        #expect(table.isEmpty)
        #expect(table.count == 0)
        #expect(table.remoteClusterIDs == [])
        #expect(table[0] == nil)
    }

    @Test func insertAndLookUp() {
        var table = LinkTable()
        table.insert(Self.link(3, .inbound))
        #expect(!table.isEmpty)
        #expect(table.count == 1)
        #expect(table[3] == Self.link(3, .inbound))
        #expect(table[3]?.bytesPulled == 0)
        #expect(table[3]?.bytesPushed == 0)
        #expect(table[4] == nil)
    }

    @Test func idsAreAscendingAcrossDirections() {
        var table = LinkTable()
        for (id, direction) in [
            (UInt64.max, LinkDirection.inbound), (9, .outbound), (0, .inbound), (1 << 53 + 1, .outbound),
        ] {
            table.insert(Self.link(id, direction))
        }
        #expect(table.remoteClusterIDs == [0, 9, 1 << 53 + 1, UInt64.max])
        #expect(table.count == 4)
    }

    @Test func insertReplacesTheSameRemote() {
        var table = LinkTable()
        table.insert(Self.link(5, .inbound, boot: "old"))
        table.insert(Self.link(5, .inbound, boot: "new"))
        #expect(table.count == 1)
        #expect(table[5]?.remoteBootID == "new")
    }

    @Test func removeReturnsTheLinkOnce() {
        var table = LinkTable()
        table.insert(Self.link(5))
        table.insert(Self.link(6))
        #expect(table.remove(5) == Self.link(5))
        #expect(table.remove(5) == nil)
        #expect(table.remoteClusterIDs == [6])
        #expect(table.remove(6) != nil)
        #expect(table.isEmpty)
    }

    @Test func tableIsAValue() {
        var table = LinkTable()
        table.insert(Self.link(1))
        let copy = table
        table.remove(1)
        #expect(copy.count == 1)
        #expect(table.isEmpty)
        #expect(copy != table)
    }

    @Test func directionNamesOnTheWire() {
        #expect(LinkDirection.outbound.rawValue == "outbound")
        #expect(LinkDirection.inbound.rawValue == "inbound")
    }
}
