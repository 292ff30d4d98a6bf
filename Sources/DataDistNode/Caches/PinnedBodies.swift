import DataDistModel
import HTTPCore
import Synchronization

/// A response body read straight from pinned cache memory; the pin ends when the server is done with it.
///
/// Sendable: the regions are pool memory kept valid by the pin until `finish`; the cursor is only touched
/// by the server's loop thread (the protocol's contract) and guarded anyway.
final class PinnedRegionProducer: HTTPBodyProducer, @unchecked Sendable {
    let contentLength: Int
    private let regions: [UnsafeRawBufferPointer]
    private let cursor = Mutex<(index: Int, offset: Int)>((0, 0))
    private let release: @Sendable () -> Void
    private let released = Atomic<Bool>(false)

    init(regions: [UnsafeRawBufferPointer], release: @escaping @Sendable () -> Void) {
        self.regions = regions.filter { $0.count > 0 }
        self.contentLength = self.regions.reduce(0) { $0 + $1.count }
        self.release = release
    }

    func next(maxBytes: Int, into out: inout [UnsafeRawBufferPointer]) -> Bool {
        cursor.withLock { c in
            var budget = max(1, maxBytes)
            var produced = false
            while budget > 0, c.index < regions.count {
                let r = regions[c.index]
                let n = min(budget, r.count - c.offset)
                out.append(UnsafeRawBufferPointer(rebasing: r[c.offset..<(c.offset + n)]))
                produced = true
                budget -= n
                c.offset += n
                if c.offset == r.count {
                    c.index += 1
                    c.offset = 0
                }
            }
            return produced
        }
    }

    func finish(completed: Bool) {
        if !released.exchange(true, ordering: .acquiringAndReleasing) { release() }
    }

    deinit { if !released.load(ordering: .acquiring) { release() } }
}

/// A request body written straight into one pinned cache region. The handler checks `received` against
/// the region length and then calls `close()`; `abandon()` (request died) closes too.
///
/// Sendable: writes happen on the server's loop thread in order; counters are guarded.
final class PinnedRegionSink: HTTPBodySink, @unchecked Sendable {
    private let region: UnsafeMutableRawBufferPointer
    private let state = Mutex<(received: Int, overflow: Bool)>((0, false))
    private let release: @Sendable () -> Void
    private let released = Atomic<Bool>(false)

    init(region: UnsafeMutableRawBufferPointer, release: @escaping @Sendable () -> Void) {
        self.region = region
        self.release = release
    }

    var received: Int { state.withLock { $0.received } }

    func write(_ bytes: UnsafeRawBufferPointer) -> Bool {
        state.withLock { s in
            guard bytes.count <= region.count - s.received else {
                s.overflow = true
                return false
            }
            if let src = bytes.baseAddress, let dst = region.baseAddress, bytes.count > 0 {
                (dst + s.received).copyMemory(from: src, byteCount: bytes.count)
            }
            s.received += bytes.count
            return true
        }
    }

    func failure() -> HTTPResponse {
        close()
        return .error(.paramInvalid("the body is longer than the \(region.count) bytes addressed"))
    }

    func abandon() { close() }

    func close() {
        if !released.exchange(true, ordering: .acquiringAndReleasing) { release() }
    }

    deinit { close() }
}
