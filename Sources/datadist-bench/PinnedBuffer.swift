import Glibc

/// Page-aligned memory reserved with mmap and faulted in at once, so measurements never pay first-touch
/// page faults (the destination side of every baseline, and the source bytes the bench uploads).
///
/// `@unchecked Sendable` invariant: `base`/`count` never change; threads that share a buffer write
/// disjoint ranges or only read, and the owner keeps it alive until they are joined.
final class PinnedBuffer: @unchecked Sendable {
    let base: UnsafeMutableRawPointer
    let count: Int

    /// With `prefault` false the pages stay untouched (the first write faults each one in, like a fresh pool).
    init(count: Int, prefault: Bool = true) throws(BenchError) {
        let p = mmap(nil, count, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0)
        guard let p, p != MAP_FAILED else { throw BenchError("cannot map \(count) bytes") }
        base = p
        self.count = count
        if prefault { memset(base, 0, count) }
    }

    deinit { munmap(base, count) }

    var bytes: UnsafeRawBufferPointer { UnsafeRawBufferPointer(start: base, count: count) }

    /// Fills with a xorshift64 stream from `seed` (random-looking, cheap, reproducible).
    func fillRandom(seed: UInt64) {
        var x = seed | 1
        let words = base.bindMemory(to: UInt64.self, capacity: count / 8)
        for i in 0..<(count / 8) {
            x ^= x << 13
            x ^= x >> 7
            x ^= x << 17
            words[i] = x
        }
    }

    /// True when `[offset, offset+length)` of `self` equals `other`.
    func matches(_ other: [UInt8], at offset: Int) -> Bool {
        guard offset + other.count <= count else { return false }
        return other.withUnsafeBytes { memcmp(base + offset, $0.baseAddress!, other.count) == 0 }
    }
}
