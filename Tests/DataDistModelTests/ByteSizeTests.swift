import Testing

@testable import DataDistModel

/// Byte counts as operators write them (`--device-pool`, `--host-pool`).
@Suite struct ByteSizeTests {
    @Test(arguments: [
        ("512MiB", UInt64(536_870_912)), ("4GiB", 4_294_967_296), ("1073741824", 1_073_741_824), ("1KB", 1000),
        ("0", 0), ("1GiB", 1_073_741_824), ("64KiB", 65536), ("1TiB", 1_099_511_627_776), ("1MB", 1_000_000),
        ("2GB", 2_000_000_000), ("3TB", 3_000_000_000_000), ("7B", 7), ("1k", 1024), ("2m", 2_097_152),
        ("1g", 1_073_741_824), ("1t", 1_099_511_627_776), ("4gib", 4_294_967_296), (" 8MiB ", 8_388_608),
        ("0GiB", 0), ("18446744073709551615", UInt64.max), ("16777215TiB", 16_777_215 << 40),
    ])
    func parses(text: String, bytes: UInt64) {
        #expect(ByteSize.parse(text) == bytes)
    }

    @Test(arguments: [
        "-1", "1.5GiB", "GiB", "", " ", "99999999999TiB", "16777216TiB", "18446744073709551616", "1 GiB", "1PiB",
        "1GiBs", "+1", "1e9", "0x10", "MiB1",
    ])
    func rejects(text: String) {
        #expect(ByteSize.parse(text) == nil)
    }

    static let formatted: [(UInt64, String)] = [
        (0, "0"), (1, "1"), (1023, "1023"), (1024, "1KiB"), (1536, "1536"), (536_870_912, "512MiB"),
        (1_073_741_824, "1GiB"), (4_294_967_296, "4GiB"), (1_099_511_627_776, "1TiB"), (1 << 50, "1024TiB"),
        (1_000_000, "1000000"), (3 << 20 | 1 << 10, "3073KiB"), (UInt64.max, "18446744073709551615"),
    ]

    @Test(arguments: formatted)
    func formats(bytes: UInt64, text: String) {
        #expect(ByteSize.format(bytes) == text)
    }

    @Test(arguments: [UInt64(0), 1, 1024, 1536, 536_870_912, 4_294_967_296, 1 << 50, UInt64.max])
    func formatParsesBack(bytes: UInt64) {
        #expect(ByteSize.parse(ByteSize.format(bytes)) == bytes)
    }
}
