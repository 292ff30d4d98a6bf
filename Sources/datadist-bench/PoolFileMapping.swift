import DataDistModel
import Glibc

/// A cache's tensors as a co-located engine sees them (CONTRACT §10): the node's pool file, named by the cache's
/// `memory.shm_path`, mapped `MAP_SHARED` in this process from the page holding the first tensor to the end of the
/// last one. Writes through it land in the node's pool pages with no copy by the node.
///
/// Not Sendable: the bench uses a mapping on the thread that made it.
final class PoolFileMapping {
    let path: String
    private let base: UnsafeMutableRawPointer
    private let length: Int
    /// Each tensor's bytes inside the mapping, in tensor order.
    let tensors: [UnsafeMutableRawBufferPointer]

    /// Maps the tensors of `cache` (a `GET /v1/cache/{id}` answer); fails when the cache is not in shared memory.
    init(cache: JSONValue) throws(BenchError) {
        guard let memory = cache["memory"], let path = memory["shm_path"]?.stringValue else {
            throw BenchError("cache is not in shared memory (no memory.shm_path): \(cache.serialized)")
        }
        var ranges: [(offset: Int, size: Int)] = []
        for t in memory["tensors"]?.arrayValue ?? [] {
            guard let o = t["offset"]?.int64Value, let s = t["size"]?.int64Value else {
                throw BenchError("memory.tensors without offset/size: \(cache.serialized)")
            }
            ranges.append((Int(o), Int(s)))
        }
        guard let first = ranges.map(\.offset).min(), let end = ranges.map({ $0.offset + $0.size }).max() else {
            throw BenchError("cache has no tensors: \(cache.serialized)")
        }
        // mmap's file offset must be a multiple of the page size; the node's pool pages are, the tensors need not be.
        let page = Int(sysconf(Int32(_SC_PAGESIZE)))
        let start = first / page * page
        let fd = open(path, O_RDWR | O_CLOEXEC | O_NOFOLLOW)
        guard fd >= 0 else { throw BenchError("cannot open \(path): \(String(cString: strerror(errno)))") }
        defer { close(fd) }  // the mapping keeps the file's pages; the descriptor is no longer needed
        let p = mmap(nil, end - start, PROT_READ | PROT_WRITE, MAP_SHARED, fd, off_t(start))
        guard let p, p != MAP_FAILED else {
            throw BenchError("cannot map \(path) [\(start), \(end)): \(String(cString: strerror(errno)))")
        }
        self.path = path
        base = p
        length = end - start
        tensors = ranges.map { UnsafeMutableRawBufferPointer(start: p + ($0.offset - start), count: $0.size) }
    }

    deinit { munmap(base, length) }

    /// Copies `source` into the tensors in order (tensor t gets `source[t * size ..< (t + 1) * size]`), as an
    /// engine's `memcpy` from its own memory; the source must hold every tensor's bytes.
    func write(from source: PinnedBuffer) {
        var offset = 0
        for t in tensors {
            memcpy(t.baseAddress!, source.base + offset, t.count)
            offset += t.count
        }
    }

    /// True when the tensors, in order, equal `source`'s first bytes.
    func matches(_ source: PinnedBuffer) -> Bool {
        var offset = 0
        for t in tensors {
            guard offset + t.count <= source.count, memcmp(t.baseAddress!, source.base + offset, t.count) == 0 else {
                return false
            }
            offset += t.count
        }
        return true
    }
}
