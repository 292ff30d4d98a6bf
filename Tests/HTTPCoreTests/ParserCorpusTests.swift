import HTTPCore
import Testing

/// Every corpus entry, fed whole, one byte at a time and in seeded random splits, must give the same events,
/// and those events must be the expected ones.
@Suite struct ParserCorpusTests {
    static let corpus =
        validRequestCorpus + bodyCorpus + syntaxErrorCorpus + framingErrorCorpus + rfc9112FixesCorpus

    @Test func corpusIsLargeAndNamesAreUnique() {
        #expect(Self.corpus.count >= 60)
        #expect(Set(Self.corpus.map(\.name)).count == Self.corpus.count)
    }

    /// Both entry points (`.body` events, and body slices to a closure) must give the same events.
    @Test(arguments: corpus, FeedEntry.allCases)
    func expectedEventsWhateverTheSplit(_ entry: ParserCase, _ feed: FeedEntry) {
        let whole = entry.run(.whole, entry: feed)
        #expect(render(whole) == entry.expected)
        #expect(entry.run(.byteByByte, entry: feed) == whole, "byte-by-byte differs")
        for seed: UInt64 in 1...4 {
            #expect(entry.run(.random(seed: seed), entry: feed) == whole, "random split \(seed) differs")
        }
    }
}
