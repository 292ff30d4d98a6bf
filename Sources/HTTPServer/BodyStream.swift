import CLinux
import HTTPCore

/// A producer's response body on its way to the socket: regions are pulled a little ahead of the socket and
/// written straight from the producer's memory, never copied. Used only on its loop's thread.
final class BodyStream {
    /// Unsent bytes kept pulled ahead of the socket; more are pulled once fewer than half remain.
    static let pullAhead = 2 << 20

    let producer: any HTTPBodyProducer
    let contentLength: Int
    /// Pulled regions not yet fully written; `regions[firstRegion]` is written up to `regionOffset`.
    private var regions: [UnsafeRawBufferPointer] = []
    private var firstRegion = 0
    private var regionOffset = 0
    /// Scratch list handed to the producer (reused).
    private var incoming: [UnsafeRawBufferPointer] = []
    private var pulled = 0
    private var written = 0
    /// The producer said every byte has been handed out.
    private var exhausted = false
    private var finished = false

    /// The producer may hand out nothing for now (it wakes the loop when it has more).
    let mayStall: Bool
    /// The producer's last answer was "nothing for now". Only then does the body wait for a wake: a pass that ran
    /// out of write budget just as everything pulled was written must come back by EPOLLOUT, not wait for a wake
    /// that never comes (a progressive pull whose layers were all ready hung so until its timeout).
    private var producerIdle = false

    init(_ producer: any HTTPBodyProducer) {
        self.producer = producer
        self.contentLength = producer.contentLength
        self.mayStall = producer.mayStall
    }

    /// An open-ended body (contentLength -1): it ends when the producer says so (or the connection closes).
    var isOpenEnded: Bool { contentLength < 0 }

    /// Every byte has been written.
    var isComplete: Bool { isOpenEnded ? exhausted && written == pulled : written == contentLength }

    /// Nothing to write until the producer wakes the loop (an open-ended or stalling body caught up with it).
    var awaitsProducer: Bool {
        (isOpenEnded || mayStall) && producerIdle && !exhausted && written == pulled && !isComplete
    }

    /// Tops up the pulled regions. False when the producer broke its contract: fewer bytes than announced,
    /// more, or none while claiming more are coming.
    func pull() -> Bool {
        if isOpenEnded { return pullOpenEnded() }
        while pulled - written < Self.pullAhead / 2 && pulled < contentLength && !exhausted {
            incoming.removeAll(keepingCapacity: true)
            let wanted = min(Self.pullAhead - (pulled - written), contentLength - pulled)
            let more = producer.next(maxBytes: wanted, into: &incoming)
            var added = 0
            for region in incoming where region.count > 0 {
                regions.append(region)
                added += region.count
            }
            pulled += added
            producerIdle = more && added == 0
            if pulled > contentLength { return false }
            if more && added == 0 {
                if mayStall { break }  // nothing ready yet: the producer wakes the loop
                return false
            }
            exhausted = !more
        }
        return !(exhausted && pulled < contentLength)
    }

    /// An open-ended producer may hand out nothing for now; it never breaks a length. It is asked again only
    /// once every byte it handed out was written, so it may release earlier regions at its next call.
    private func pullOpenEnded() -> Bool {
        guard written == pulled && !exhausted else { return true }
        incoming.removeAll(keepingCapacity: true)
        let more = producer.next(maxBytes: Self.pullAhead, into: &incoming)
        var added = 0
        for region in incoming where region.count > 0 {
            regions.append(region)
            added += region.count
        }
        pulled += added
        producerIdle = more && added == 0
        exhausted = !more
        return true
    }

    /// Describes unsent pulled bytes in up to `capacity` iovecs; returns how many were filled and their bytes.
    func gather(into iovecs: UnsafeMutablePointer<iovec>, capacity: Int) -> (count: Int, bytes: Int) {
        var count = 0
        var bytes = 0
        var index = firstRegion
        while count < capacity && index < regions.count {
            let skip = index == firstRegion ? regionOffset : 0
            let region = regions[index]
            iovecs[count] = iovec(
                iov_base: UnsafeMutableRawPointer(mutating: region.baseAddress! + skip),
                iov_len: region.count - skip
            )
            bytes += region.count - skip
            count += 1
            index += 1
        }
        return (count, bytes)
    }

    /// Records up to `count` bytes as written; returns how many of them belonged to this body.
    func advance(_ count: Int) -> Int {
        var left = count
        while left > 0 && firstRegion < regions.count {
            let available = regions[firstRegion].count - regionOffset
            if left < available {
                regionOffset += left
                left = 0
            } else {
                left -= available
                firstRegion += 1
                regionOffset = 0
            }
        }
        if firstRegion == regions.count {
            regions.removeAll(keepingCapacity: true)
            firstRegion = 0
        }
        written += count - left
        return count - left
    }

    /// Tells the producer how it ended; only the first call reaches it.
    func finish(completed: Bool) {
        guard !finished else { return }
        finished = true
        producer.finish(completed: completed)
    }
}
