import HTTPCore
import Testing

/// Every corpus entry, fed whole, one byte at a time and in seeded random splits, must give the same events,
/// and those events must be the expected ones.
@Suite struct ParserCorpusTests {
    static let corpus = validRequestCorpus + bodyCorpus + syntaxErrorCorpus + framingErrorCorpus

    @Test func corpusIsLargeAndNamesAreUnique() {
        #expect(Self.corpus.count >= 60)
        #expect(Set(Self.corpus.map(\.name)).count == Self.corpus.count)
    }

    @Test(arguments: corpus)
    func expectedEventsWhateverTheSplit(_ entry: ParserCase) {
        let whole = entry.run(.whole)
        #expect(render(whole) == entry.expected)
        #expect(entry.run(.byteByByte) == whole, "byte-by-byte differs")
        for seed: UInt64 in 1...4 {
            #expect(entry.run(.random(seed: seed)) == whole, "random split \(seed) differs")
        }
    }
}
