/// libFuzzer target: the KV frame decoder (KVFraming). Byte 0 picks the frame size (1...64), byte 1 the
/// payload length (0...255), the rest is a hostile stream fed in random splits: the decoder must never trap
/// and never write past its destination. Then the same payload bytes, encoded by FrameEncoder, must decode to
/// themselves in any split.
@_cdecl("LLVMFuzzerTestOneInput")
public func frameDecoderFuzz(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    guard size >= 2 else { return 0 }
    let input = UnsafeRawBufferPointer(start: data, count: size)
    let frameSize = Int(input[0] % 64) + 1
    let payloadLength = Int(input[1])
    let stream = UnsafeRawBufferPointer(rebasing: input[2...])
    var splits = FuzzSplits(input)

    // Two destination regions, exactly the payload in all, so ASan sees any overrun.
    let first = payloadLength / 3
    let a = UnsafeMutableRawBufferPointer.allocate(byteCount: first, alignment: 1)
    let b = UnsafeMutableRawBufferPointer.allocate(byteCount: payloadLength - first, alignment: 1)
    defer {
        a.deallocate()
        b.deallocate()
    }
    guard var decoder = try? FrameDecoder(destinations: [a, b], payloadLength: payloadLength, frameSize: frameSize)
    else { fuzzFail("valid layout refused") }
    var offset = 0
    for n in splits.pieces(of: stream.count) {
        _ = decoder.consume(UnsafeRawBufferPointer(rebasing: stream[offset..<offset + n]))
        offset += n
    }
    _ = try? decoder.finish()

    // Round trip of the payload taken from the stream.
    let payload = Array(stream.prefix(payloadLength))
    payload.withUnsafeBytes { src in
        guard let encoder = try? FrameEncoder(regions: [src], frameSize: frameSize) else {
            fuzzFail("encoder refused a valid frame size")
        }
        var encoded = [UInt8](repeating: 0, count: encoder.contentLength)
        let written = encoded.withUnsafeMutableBytes { encoder.read(into: $0) }
        if written != encoder.contentLength { fuzzFail("encoder wrote \(written) of \(encoder.contentLength)") }
        let out = UnsafeMutableRawBufferPointer.allocate(byteCount: payload.count, alignment: 1)
        defer { out.deallocate() }
        guard var rt = try? FrameDecoder(destinations: [out], payloadLength: payload.count, frameSize: frameSize)
        else { fuzzFail("valid layout refused") }
        encoded.withUnsafeBytes { enc in
            var at = 0
            for n in splits.pieces(of: enc.count) {
                if !rt.consume(UnsafeRawBufferPointer(rebasing: enc[at..<at + n])) { fuzzFail("clean stream refused") }
                at += n
            }
        }
        guard let verified = try? rt.finish(), verified == payload.count else {
            fuzzFail("clean stream did not verify")
        }
        if Array(UnsafeRawBufferPointer(out)) != payload { fuzzFail("payload changed in the round trip") }
    }
    return 0
}
