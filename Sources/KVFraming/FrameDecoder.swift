/// Checks a framed stream as it arrives and scatters its payload straight into destination regions, in order.
/// Chunks may end anywhere (mid-frame, mid-trailer) or span many frames. Each payload byte is copied and
/// checksummed in one pass while in cache. Hostile input never traps: it ends in a `FrameError`.
public struct FrameDecoder {
    private let layout: FrameLayout
    /// Non-empty destination regions, in payload order; together at least `payloadLength` bytes.
    private let destinations: [UnsafeMutableRawBufferPointer]
    private var regionIndex = 0
    private var regionOffset = 0
    private var frameIndex = 0
    /// Payload bytes of the current frame received so far.
    private var frameOffset = 0
    /// CRC32C of the current frame's payload received so far.
    private var runningCRC: UInt32 = 0
    /// Trailer bytes of the current frame received so far, little-endian, in the low bytes.
    private var trailer: UInt32 = 0
    private var trailerFilled = 0
    private var failure: FrameError?

    /// Encoded bytes accepted so far.
    public private(set) var receivedBytes = 0
    /// Payload bytes of the frames whose trailer matched so far.
    public private(set) var verifiedBytes = 0

    /// Decodes a stream of `payloadLength` payload bytes in frames of `frameSize`, writing the payload into
    /// `destinations` (concatenated in order; empty regions are skipped). Throws for a frame size below 1, a
    /// negative length or destinations smaller than the payload.
    public init(
        destinations: [UnsafeMutableRawBufferPointer],
        payloadLength: Int,
        frameSize: Int = FrameFormat.defaultFrameSize
    ) throws(FrameError) {
        layout = try FrameLayout(payloadLength: payloadLength, frameSize: frameSize)
        self.destinations = destinations.filter { $0.count > 0 }
        let capacity = self.destinations.reduce(0) { $0 &+ $1.count }
        guard capacity >= payloadLength else { throw .destinationTooSmall(capacity: capacity, payload: payloadLength) }
    }

    /// Bytes the whole encoded stream must have: the expected Content-Length.
    public var encodedLength: Int { layout.encodedLength }

    /// Accepts the next bytes of the stream. Returns false on the first checksum mismatch, on bytes beyond
    /// the encoded length, and for every call after a failure; `finish()` then tells which.
    public mutating func consume(_ chunk: UnsafeRawBufferPointer) -> Bool {
        guard failure == nil else { return false }
        guard let base = chunk.baseAddress, chunk.count > 0 else { return true }
        let accepted = min(chunk.count, layout.encodedLength - receivedBytes)
        var offset = 0
        while offset < accepted {
            let remaining = UnsafeRawBufferPointer(start: base + offset, count: accepted - offset)
            let frameLength = layout.frameLength(frameIndex)
            let taken =
                frameOffset < frameLength
                ? takePayload(remaining, frameLength: frameLength) : takeTrailer(remaining, frameLength: frameLength)
            offset += taken
            receivedBytes += taken
            if failure != nil { return false }
        }
        guard accepted == chunk.count else {
            failure = .overflow(expected: layout.encodedLength)
            return false
        }
        return true
    }

    /// The outcome once the stream has ended: the number of payload bytes verified, or why the transfer
    /// cannot be accepted (a checksum mismatch, a truncated stream, extra bytes).
    public func finish() throws(FrameError) -> Int {
        if let failure { throw failure }
        guard receivedBytes == layout.encodedLength else {
            throw .truncated(received: receivedBytes, expected: layout.encodedLength)
        }
        return verifiedBytes
    }

    /// Copies payload of the current frame into the current destination region, checksumming it on the way.
    private mutating func takePayload(_ bytes: UnsafeRawBufferPointer, frameLength: Int) -> Int {
        // The regions hold at least the payload, so a non-empty one remains while payload does.
        if regionOffset == destinations[regionIndex].count {
            regionIndex += 1
            regionOffset = 0
        }
        let region = destinations[regionIndex]
        let count = min(bytes.count, frameLength - frameOffset, region.count - regionOffset)
        runningCRC = CRC32C.copy(
            UnsafeRawBufferPointer(rebasing: bytes[..<count]),
            to: region.baseAddress! + regionOffset,
            continuing: runningCRC
        )
        regionOffset += count
        frameOffset += count
        return count
    }

    /// Collects trailer bytes of the current frame; with all four, checks them and moves to the next frame.
    private mutating func takeTrailer(_ bytes: UnsafeRawBufferPointer, frameLength: Int) -> Int {
        let count = min(bytes.count, FrameFormat.trailerSize - trailerFilled)
        var collected = trailer
        withUnsafeMutableBytes(of: &collected) { word in
            word.baseAddress!.advanced(by: trailerFilled).copyMemory(from: bytes.baseAddress!, byteCount: count)
        }
        trailer = collected
        trailerFilled += count
        guard trailerFilled == FrameFormat.trailerSize else { return count }
        guard UInt32(littleEndian: trailer) == runningCRC else {
            failure = .checksumMismatch(frame: frameIndex)
            return count
        }
        verifiedBytes += frameLength
        frameIndex += 1
        frameOffset = 0
        runningCRC = 0
        trailer = 0
        trailerFilled = 0
        return count
    }
}
