/// How a transfer's payload is split over parallel connections (CONTRACT §9, docs/peer-protocol.md "Striped
/// transfers"): a payload larger than the stripe size travels as up to K contiguous shares, each a whole number of
/// frames (the last share ends where the payload ends), so every stream is framed and checksummed exactly as the
/// same bytes would be in a single stream. Pure arithmetic: both sides compute the same shares from the payload
/// length, the frame size and the announced stream count; ranges never come from the wire.
public struct TransferStripes: Hashable, Sendable {
    /// Payload byte ranges, in order, contiguous, covering the payload.
    public let shares: [Range<Int>]

    /// Number of streams (1: not striped).
    public var count: Int { shares.count }

    /// Payload bytes of the whole transfer.
    public var payloadBytes: Int { shares.last?.upperBound ?? 0 }

    /// How many streams a payload gets: one when it is at most `stripeBytes` (or striping is off, K = 1),
    /// else one per started `stripeBytes`, at most `maxStreams` and at most one per frame.
    public static func streamCount(payloadBytes: Int, frameSize: Int, stripeBytes: Int, maxStreams: Int) -> Int {
        guard maxStreams > 1, stripeBytes > 0, frameSize > 0, payloadBytes > stripeBytes else { return 1 }
        let frames = (payloadBytes + frameSize - 1) / frameSize
        let stripes = (payloadBytes + stripeBytes - 1) / stripeBytes
        return max(1, min(maxStreams, stripes, frames))
    }

    /// The shares of a transfer the sender split into `count` streams: its frames dealt out evenly, the first
    /// shares one frame longer when they do not divide. VALUE_ERROR-free: a count the payload cannot carry
    /// (below 1, above the frame count, or over `maxCount`) is a malformed peer message (LLM_FAILED).
    public init(payloadBytes: Int, frameSize: Int, count: Int, maxCount: Int = 64) throws(APIError) {
        guard payloadBytes >= 0, frameSize > 0 else {
            throw APIError(.LLM_FAILED, "a striped transfer needs a frame size and a payload length")
        }
        let frames = (payloadBytes + frameSize - 1) / frameSize
        guard count >= 1, count <= maxCount, count == 1 || count <= frames else {
            throw APIError(
                .LLM_FAILED,
                "a payload of \(payloadBytes) bytes (\(frames) frames) cannot travel as \(count) streams"
            )
        }
        let (base, extra) = frames.quotientAndRemainder(dividingBy: count)
        var shares: [Range<Int>] = []
        shares.reserveCapacity(count)
        var frame = 0
        for i in 0..<count {
            let next = frame + base + (i < extra ? 1 : 0)
            shares.append(min(frame * frameSize, payloadBytes)..<min(next * frameSize, payloadBytes))
            frame = next
        }
        self.shares = shares
    }

    /// The shares of a payload split by `streamCount`.
    public static func plan(payloadBytes: Int, frameSize: Int, stripeBytes: Int, maxStreams: Int) -> TransferStripes {
        let n = streamCount(
            payloadBytes: payloadBytes,
            frameSize: frameSize,
            stripeBytes: stripeBytes,
            maxStreams: maxStreams
        )
        // streamCount never exceeds the frame count, so this cannot fail.
        return (try? TransferStripes(payloadBytes: payloadBytes, frameSize: frameSize, count: n, maxCount: Int.max))
            ?? TransferStripes(unchecked: [0..<payloadBytes])
    }

    private init(unchecked shares: [Range<Int>]) { self.shares = shares }

    /// The pieces of a concatenation of regions (of `lengths` bytes each, in order) that hold the payload bytes
    /// `range`: (region index, byte range within that region), in order, empty pieces left out.
    public static func pieces(of lengths: [Int], covering range: Range<Int>) -> [(region: Int, range: Range<Int>)] {
        var out: [(region: Int, range: Range<Int>)] = []
        var start = 0
        for (i, length) in lengths.enumerated() {
            let end = start + length
            defer { start = end }
            if end <= range.lowerBound { continue }
            if start >= range.upperBound { break }
            let lower = max(range.lowerBound, start) - start
            let upper = min(range.upperBound, end) - start
            if upper > lower { out.append((i, lower..<upper)) }
        }
        return out
    }
}
