import Synchronization

/// Produces the framed stream of a payload held in source regions, without copying the payload: `next` hands
/// out slices of the regions and of 4-byte CRC trailers it owns; `read` copies for pull-style consumers.
/// Frames span region boundaries. Each frame's CRC is computed when the frame is first handed out.
///
/// `@unchecked Sendable` invariant: the source regions are read-only memory the creator keeps alive and
/// unchanged until the encoder is deinitialized; every cursor lives in `cursor` (a Mutex); each trailer is
/// written once, under that lock, before its address is handed out, and never changes afterwards.
public final class FrameEncoder: @unchecked Sendable {
    /// Bytes of the encoded stream (payload plus trailers): the HTTP Content-Length.
    public let contentLength: Int
    /// Bytes of payload (the sum of the source regions).
    public let payloadLength: Int
    /// Payload bytes per frame.
    public let frameSize: Int
    private let trailers: UnsafeMutableRawPointer
    private let cursor: Mutex<EncoderCursor>

    /// Encodes the concatenation of `regions` in frames of `frameSize` bytes. Throws `.invalidFrameSize` for
    /// a frame size below 1. The regions must stay valid and unchanged until the encoder is gone.
    public init(
        regions: [UnsafeRawBufferPointer],
        frameSize: Int = FrameFormat.defaultFrameSize
    ) throws(FrameError) {
        let sources = regions.filter { $0.count > 0 }
        let payload = sources.reduce(0) { $0 + $1.count }
        let layout = try FrameLayout(payloadLength: payload, frameSize: frameSize)
        contentLength = layout.encodedLength
        payloadLength = payload
        self.frameSize = frameSize
        trailers = .allocate(
            byteCount: max(1, layout.frameCount) * FrameFormat.trailerSize,
            alignment: MemoryLayout<UInt32>.alignment
        )
        cursor = Mutex(EncoderCursor(layout: layout, regions: sources, trailers: trailers))
    }

    deinit {
        trailers.deallocate()
    }

    /// True once every byte of the stream has been handed out.
    public var isFinished: Bool { cursor.withLock { $0.isFinished } }

    /// Appends to `out` the next up to `maxBytes` (at least 1) bytes of the stream as zero-copy slices of the
    /// source regions and of trailers owned by this encoder (valid until it is deinitialized). Returns false,
    /// appending nothing, once the whole stream has been handed out.
    public func next(maxBytes: Int, into out: inout [UnsafeRawBufferPointer]) -> Bool {
        cursor.withLock { cursor in
            cursor.advance(limit: max(1, maxBytes), copyingTo: nil) { out.append($0) } > 0
        }
    }

    /// Copies the next bytes of the stream into `buffer` (as many as fit) and returns how many; 0 once the
    /// whole stream has been handed out (or for an empty buffer).
    public func read(into buffer: UnsafeMutableRawBufferPointer) -> Int {
        guard let base = buffer.baseAddress, buffer.count > 0 else { return 0 }
        return cursor.withLock { cursor in
            cursor.advance(limit: buffer.count, copyingTo: base) { _ in }
        }
    }

    /// Restarts the stream from its first byte (e.g. when a client must resend a request); trailers already
    /// computed are reused, not recomputed.
    public func rewind() {
        cursor.withLock { $0.rewind() }
    }
}
