import Glibc

/// The memory behind one pool: reserved once with `mmap` (page aligned, `MAP_NORESERVE`, faulted in on
/// first use and then kept), owned for the node's lifetime, handed out only as raw views by offset.
///
/// `@unchecked Sendable` invariant: `base` and `capacity` never change after init; the bytes are shared
/// memory whose ranges are handed out by the cache store, which guarantees that live ranges never overlap,
/// so concurrent readers and writers of different caches never touch the same bytes.
final class PoolMemory: @unchecked Sendable {
    let base: UnsafeMutableRawPointer
    let capacity: Int

    /// Nil when the address space cannot be reserved.
    init?(capacity: Int) {
        guard capacity > 0 else { return nil }
        let p = mmap(nil, capacity, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0)
        guard let p, p != MAP_FAILED else { return nil }
        // Transparent huge pages where the kernel offers them: first-touch faults and TLB misses of large
        // and scattered transfers drop by 512×. Advice only; failure changes nothing.
        _ = madvise(p, capacity, MADV_HUGEPAGE)
        base = p
        self.capacity = capacity
    }

    deinit { munmap(base, capacity) }

    /// A writable view of `[offset, offset + length)`; the range must lie inside the pool.
    func bytes(at offset: Int, count length: Int) -> UnsafeMutableRawBufferPointer {
        precondition(offset >= 0 && length >= 0 && offset <= capacity && length <= capacity - offset)
        return UnsafeMutableRawBufferPointer(start: base + offset, count: length)
    }
}
