import Glibc

/// The memory behind one pool: reserved once with `mmap` (page aligned, faulted in on first use and then
/// kept), owned for the node's lifetime, handed out only as raw views by offset. Anonymous memory
/// (`MAP_PRIVATE | MAP_NORESERVE`), or with `--shm-dir` a locked file mapped `MAP_SHARED` (`SharedMemoryPool`).
///
/// `@unchecked Sendable` invariant: `base`, `capacity`, `shmPath` and `fd` never change after init; the bytes
/// are shared memory whose ranges are handed out by the cache store, which guarantees that live ranges never
/// overlap, so concurrent readers and writers of different caches never touch the same bytes.
final class PoolMemory: @unchecked Sendable {
    let base: UnsafeMutableRawPointer
    let capacity: Int
    /// The pool's file, when it is one (CONTRACT §10).
    let shmPath: String?
    /// The open, `flock`ed pool file (-1 for anonymous memory): the lock marks this node as alive.
    private let fd: Int32

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
        shmPath = nil
        fd = -1
    }

    /// Adopts a shared mapping of `capacity` bytes of the locked file `fd` at `path`.
    init(shared base: UnsafeMutableRawPointer, capacity: Int, path: String, fd: Int32) {
        self.base = base
        self.capacity = capacity
        self.shmPath = path
        self.fd = fd
    }

    deinit {
        munmap(base, capacity)
        if fd >= 0 { close(fd) }
    }

    /// Graceful exit: the pool file goes away (the mapping and the lock stay until the process ends).
    func removeFile() {
        if let shmPath { unlink(shmPath) }
    }

    /// A writable view of `[offset, offset + length)`; the range must lie inside the pool.
    func bytes(at offset: Int, count length: Int) -> UnsafeMutableRawBufferPointer {
        precondition(offset >= 0 && length >= 0 && offset <= capacity && length <= capacity - offset)
        return UnsafeMutableRawBufferPointer(start: base + offset, count: length)
    }
}
