import Testing

@testable import DataDistModel

@Suite struct RFC3339Tests {
    @Test(arguments: [
        (Int64(0), "1970-01-01T00:00:00.000Z"),
        (951_782_400_000, "2000-02-29T00:00:00.000Z"),
        (1_795_838_879_123, "2026-11-28T04:07:59.123Z"),
        (-1, "1969-12-31T23:59:59.999Z"),
        (4_102_444_800_000, "2100-01-01T00:00:00.000Z"),
    ])
    func formats(ms: Int64, text: String) {
        #expect(RFC3339.format(unixMs: ms) == text)
    }
}
