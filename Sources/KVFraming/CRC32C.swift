import CChecksum

/// CRC32C (Castagnoli; the iSCSI/ext4 CRC), continued from a previous value: start with 0, and the CRC of
/// `a` continued with `b` equals the CRC of `a + b`.
public enum CRC32C {
    /// True when `checksum` runs on the SSE4.2 instruction rather than the portable table path.
    public static var isHardwareAccelerated: Bool { dd_crc32c_hardware_available() }

    /// CRC32C of `bytes` continued from `crc`, on the fastest path this CPU has.
    public static func checksum(_ bytes: UnsafeRawBufferPointer, continuing crc: UInt32 = 0) -> UInt32 {
        dd_crc32c(crc, bytes.baseAddress, bytes.count)
    }

    /// CRC32C on the portable slice-by-8 path, whatever the CPU (for tests and measurements).
    public static func portableChecksum(_ bytes: UnsafeRawBufferPointer, continuing crc: UInt32 = 0) -> UInt32 {
        dd_crc32c_portable(crc, bytes.baseAddress, bytes.count)
    }

    /// Copies `source` to the start of `destination` (at least as large, not overlapping) and returns the
    /// CRC32C of the copied bytes continued from `crc`, reading each block once while it is in cache.
    static func copy(
        _ source: UnsafeRawBufferPointer,
        to destination: UnsafeMutableRawPointer,
        continuing crc: UInt32
    ) -> UInt32 {
        dd_crc32c_copy(crc, destination, source.baseAddress, source.count)
    }
}
