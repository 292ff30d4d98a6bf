import Foundation
import KVFraming
import Testing

@Suite(.timeLimit(.minutes(1)))
struct CRC32CVectorTests {
    /// Known answers: the classic check value and the iSCSI vectors of RFC 3720 B.4.
    static let vectors: [(name: String, bytes: [UInt8], crc: UInt32)] = [
        ("123456789", Array("123456789".utf8), 0xE306_9283),
        ("32 zero bytes", [UInt8](repeating: 0, count: 32), 0x8A91_36AA),
        ("32 0xFF bytes", [UInt8](repeating: 0xFF, count: 32), 0x62A8_AB43),
        ("32 ascending bytes", (0..<32).map { UInt8($0) }, 0x46DD_794E),
        ("32 descending bytes", (0..<32).map { UInt8(31 - $0) }, 0x113F_DB5C),
        (
            "iSCSI read command PDU",
            [
                0x01, 0xC0, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
                0x14, 0x00, 0x00, 0x00, 0x00, 0x00, 0x04, 0x00, 0x00, 0x00, 0x00, 0x14, 0x00, 0x00, 0x00, 0x18,
                0x28, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x02, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
            ],
            0xD996_3A56
        ),
        ("empty", [], 0),
    ]

    @Test(arguments: 0..<vectors.count)
    func knownVectorOnBothPaths(index: Int) {
        let vector = Self.vectors[index]
        vector.bytes.withUnsafeBytes { bytes in
            #expect(CRC32C.checksum(bytes) == vector.crc, "\(vector.name)")
            #expect(CRC32C.portableChecksum(bytes) == vector.crc, "\(vector.name)")
        }
    }

    @Test func hardwarePathIsSelectedOnThisMachine() throws {
        let cpuinfo = try String(contentsOfFile: "/proc/cpuinfo", encoding: .utf8)
        let flags = cpuinfo.split(separator: "\n").first { $0.hasPrefix("flags") } ?? ""
        let words = flags.split(separator: " ")
        let expected = words.contains("sse4_2") && words.contains("pclmulqdq")
        #expect(CRC32C.isHardwareAccelerated == expected)
    }
}
