import Testing

@testable import DataDistNode

/// Transfer ids of `POST /v1/transfers` are random (version 4) UUIDs in lower case (CONTRACT §11).
@Suite struct TransferIDTests {
    @Test func idsAreLowerCaseVersion4UUIDsAndDistinct() {
        let ids = (0..<2000).map { _ in AsyncTransfers.randomUUID() }
        #expect(Set(ids).count == ids.count)
        let hex = Set("0123456789abcdef")
        for id in ids {
            let chars = Array(id)
            #expect(chars.count == 36, "\(id)")
            for (i, c) in chars.enumerated() {
                if [8, 13, 18, 23].contains(i) {
                    #expect(c == "-", "\(id)")
                } else {
                    #expect(hex.contains(c), "\(id)")
                }
            }
            #expect(chars[14] == "4", "version nibble: \(id)")
            #expect("89ab".contains(chars[19]), "variant bits: \(id)")
        }
        // Every nibble position varies (the bytes come from both random words).
        for i in 0..<36 where ![8, 13, 14, 18, 23].contains(i) {
            #expect(Set(ids.map { Array($0)[i] }).count > 1, "position \(i)")
        }
    }
}
