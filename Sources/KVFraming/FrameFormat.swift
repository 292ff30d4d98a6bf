/// The transfer stream format: the payload (the concatenation of a list of memory regions) cut into frames
/// of `frameSize` bytes — the last may be shorter, an empty payload has no frame — each followed by the
/// CRC32C of its bytes as a 4-byte little-endian trailer.
public enum FrameFormat {
    /// Frame size used unless a transfer says otherwise: 1 MiB.
    public static let defaultFrameSize = 1 << 20
    /// Size of the CRC32C trailer after each frame.
    public static let trailerSize = 4

    /// True for a usable frame size (at least one byte).
    public static func isValid(frameSize: Int) -> Bool { frameSize >= 1 }

    /// Number of frames for `payload` bytes. Requires `payload >= 0` and `frameSize >= 1`.
    public static func frameCount(payload: Int, frameSize: Int) -> Int {
        precondition(payload >= 0 && frameSize >= 1, "payload must be >= 0 and frameSize >= 1")
        return payload / frameSize + (payload % frameSize == 0 ? 0 : 1)
    }

    /// Bytes on the wire for `payload` bytes: the payload plus one trailer per frame.
    /// Requires `payload >= 0` and `frameSize >= 1`.
    public static func encodedLength(payload: Int, frameSize: Int) -> Int {
        payload + trailerSize * frameCount(payload: payload, frameSize: frameSize)
    }
}

/// Frame arithmetic of one transfer, validated once.
struct FrameLayout: Sendable {
    let payloadLength: Int
    let frameSize: Int
    let frameCount: Int
    let encodedLength: Int

    init(payloadLength: Int, frameSize: Int) throws(FrameError) {
        guard FrameFormat.isValid(frameSize: frameSize) else { throw .invalidFrameSize(frameSize) }
        guard payloadLength >= 0 else { throw .invalidPayloadLength(payloadLength) }
        let frameCount = FrameFormat.frameCount(payload: payloadLength, frameSize: frameSize)
        let (trailers, overflow1) = frameCount.multipliedReportingOverflow(by: FrameFormat.trailerSize)
        let (encoded, overflow2) = payloadLength.addingReportingOverflow(trailers)
        guard !overflow1, !overflow2 else { throw .invalidPayloadLength(payloadLength) }
        self.payloadLength = payloadLength
        self.frameSize = frameSize
        self.frameCount = frameCount
        encodedLength = encoded
    }

    /// Payload bytes of frame `index` (0-based, `index < frameCount`).
    func frameLength(_ index: Int) -> Int {
        min(frameSize, payloadLength - index * frameSize)
    }
}
