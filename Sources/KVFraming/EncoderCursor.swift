/// Position of a `FrameEncoder` in its encoded stream, and the work of moving it forward.
///
/// `@unchecked Sendable` invariant: a cursor lives only inside its encoder's Mutex; its pointers refer to
/// read-only source memory and to trailers that are written only through this cursor, under that lock.
struct EncoderCursor: @unchecked Sendable {
    let layout: FrameLayout
    /// Non-empty source regions, in payload order.
    let regions: [UnsafeRawBufferPointer]
    /// One 4-byte trailer per frame, owned by the encoder.
    let trailers: UnsafeMutableRawPointer

    private var regionIndex = 0
    private var regionOffset = 0
    private var frameIndex = 0
    /// Payload bytes of the current frame already handed out.
    private var frameOffset = 0
    /// Trailer bytes of the current frame already handed out (the frame's payload is all out).
    private var trailerOffset = 0
    /// CRC32C of the current frame's payload handed out so far.
    private var runningCRC: UInt32 = 0
    /// Frames `0..<checksummedFrames` have their trailer stored; they are not checksummed again after a rewind.
    private var checksummedFrames = 0

    init(layout: FrameLayout, regions: [UnsafeRawBufferPointer], trailers: UnsafeMutableRawPointer) {
        self.layout = layout
        self.regions = regions
        self.trailers = trailers
    }

    var isFinished: Bool { frameIndex == layout.frameCount }

    /// Back to the first byte; trailers already computed are kept.
    mutating func rewind() {
        regionIndex = 0
        regionOffset = 0
        frameIndex = 0
        frameOffset = 0
        trailerOffset = 0
        runningCRC = 0
    }

    /// Moves forward by up to `limit` encoded bytes and returns how many. Each piece of the stream (a slice of a
    /// source region or of a trailer) is copied to `copy` (consecutively) when given, else passed to `emit`.
    /// Payload is checksummed as it is handed out the first time: with a copy, in the same pass.
    mutating func advance(
        limit: Int,
        copyingTo copy: UnsafeMutableRawPointer?,
        emit: (UnsafeRawBufferPointer) -> Void
    ) -> Int {
        var moved = 0
        while moved < limit, !isFinished {
            let frameLength = layout.frameLength(frameIndex)
            if frameOffset < frameLength {
                // The regions add up to the payload, so a non-empty region remains while payload does.
                if regionOffset == regions[regionIndex].count {
                    regionIndex += 1
                    regionOffset = 0
                }
                let region = regions[regionIndex]
                let count = min(limit - moved, frameLength - frameOffset, region.count - regionOffset)
                let piece = UnsafeRawBufferPointer(rebasing: region[regionOffset..<regionOffset + count])
                let needsChecksum = frameIndex >= checksummedFrames
                if let copy {
                    if needsChecksum {
                        runningCRC = CRC32C.copy(piece, to: copy + moved, continuing: runningCRC)
                    } else {
                        (copy + moved).copyMemory(from: piece.baseAddress!, byteCount: count)
                    }
                } else {
                    if needsChecksum { runningCRC = CRC32C.checksum(piece, continuing: runningCRC) }
                    emit(piece)
                }
                regionOffset += count
                frameOffset += count
                moved += count
            } else {
                let trailer = trailers + FrameFormat.trailerSize * frameIndex
                if trailerOffset == 0, frameIndex >= checksummedFrames {
                    trailer.storeBytes(of: runningCRC.littleEndian, as: UInt32.self)
                    checksummedFrames = frameIndex + 1
                }
                let count = min(limit - moved, FrameFormat.trailerSize - trailerOffset)
                let piece = UnsafeRawBufferPointer(start: trailer + trailerOffset, count: count)
                if let copy {
                    (copy + moved).copyMemory(from: piece.baseAddress!, byteCount: count)
                } else {
                    emit(piece)
                }
                trailerOffset += count
                moved += count
                if trailerOffset == FrameFormat.trailerSize {
                    frameIndex += 1
                    frameOffset = 0
                    trailerOffset = 0
                    runningCRC = 0
                }
            }
        }
        return moved
    }
}
