import KVFraming
import TestSupport

extension UnsafeMutableRawBufferPointer {
    /// Fills the buffer with random bytes, eight at a time.
    func fillRandom(using generator: inout SeededGenerator) {
        var offset = 0
        while offset < count {
            let word = generator.next()
            let take = Swift.min(8, count - offset)
            Swift.withUnsafeBytes(of: word) { bytes in
                (baseAddress! + offset).copyMemory(from: bytes.baseAddress!, byteCount: take)
            }
            offset += take
        }
    }
}

/// Page-aligned memory regions owned by a test (the shape of pool memory), freed on deinit.
final class TestRegions {
    let buffers: [UnsafeMutableRawBufferPointer]

    /// Regions of the given sizes, filled with random bytes.
    init(sizes: [Int], generator: inout SeededGenerator) {
        buffers = sizes.map { size in
            let buffer = UnsafeMutableRawBufferPointer.allocate(byteCount: size, alignment: 4096)
            buffer.fillRandom(using: &generator)
            return buffer
        }
    }

    deinit {
        for buffer in buffers { buffer.deallocate() }
    }

    /// Read-only views, as an encoder takes them.
    var sources: [UnsafeRawBufferPointer] { buffers.map { UnsafeRawBufferPointer($0) } }

    /// The concatenation of the regions.
    var bytes: [UInt8] { buffers.flatMap { Array($0) } }
}

/// Random sizes adding up to `total`, with some empty regions mixed in.
func randomSplit(total: Int, pieces: Int, generator: inout SeededGenerator) -> [Int] {
    guard pieces > 1, total > 0 else { return [total] }
    var cuts = (0..<pieces - 1).map { _ in Int.random(in: 0...total, using: &generator) }
    cuts.sort()
    var sizes: [Int] = []
    var previous = 0
    for cut in cuts + [total] {
        sizes.append(cut - previous)
        previous = cut
    }
    return sizes
}

/// The framed stream built the slow, obvious way: each frame followed by its CRC32C in little-endian order.
func referenceEncoding(_ payload: [UInt8], frameSize: Int) -> [UInt8] {
    var out: [UInt8] = []
    var start = 0
    while start < payload.count {
        let frame = Array(payload[start..<min(start + frameSize, payload.count)])
        let crc = frame.withUnsafeBytes { CRC32C.portableChecksum($0) }
        out += frame
        out += withUnsafeBytes(of: crc.littleEndian) { Array($0) }
        start += frameSize
    }
    return out
}

/// The whole stream of `encoder`, gathered through `next` with random slice budgets. Reads the slices only
/// after the last call, so trailer addresses must stay valid and unchanged meanwhile.
func streamBySlices(_ encoder: FrameEncoder, generator: inout SeededGenerator, maxBudget: Int) -> [UInt8] {
    var slices: [UnsafeRawBufferPointer] = []
    while encoder.next(maxBytes: Int.random(in: 1...maxBudget, using: &generator), into: &slices) {}
    return slices.flatMap { Array($0) }
}

/// The whole stream of `encoder`, pulled through `read(into:)` with buffers of random sizes.
func streamByReads(_ encoder: FrameEncoder, generator: inout SeededGenerator, maxBuffer: Int) -> [UInt8] {
    let buffer = UnsafeMutableRawBufferPointer.allocate(byteCount: maxBuffer, alignment: 16)
    defer { buffer.deallocate() }
    var out: [UInt8] = []
    while true {
        let size = Int.random(in: 1...maxBuffer, using: &generator)
        let count = encoder.read(into: UnsafeMutableRawBufferPointer(rebasing: buffer[..<size]))
        if count == 0 { return out }
        out += buffer[..<count]
    }
}

/// How a test cuts a stream into the chunks it feeds a decoder.
enum ChunkSplit: CaseIterable, Sendable {
    case oneByte
    case random
    case whole
}

/// Feeds `stream` to `decoder` in chunks cut as `split` says; returns the result of every `consume` call.
func feed(
    _ stream: [UInt8],
    to decoder: inout FrameDecoder,
    split: ChunkSplit,
    generator: inout SeededGenerator
) -> [Bool] {
    var results: [Bool] = []
    stream.withUnsafeBytes { all in
        var offset = 0
        while offset < all.count {
            let size =
                switch split {
                case .oneByte: 1
                case .random: Int.random(in: 1...(1 << Int.random(in: 0...18, using: &generator)), using: &generator)
                case .whole: all.count
                }
            let end = min(all.count, offset + size)
            results.append(decoder.consume(UnsafeRawBufferPointer(rebasing: all[offset..<end])))
            offset = end
        }
    }
    return results
}

extension FrameDecoder {
    /// `finish()`'s outcome as a value, so that one `#expect` compares a verified length or a failure.
    func finishOutcome() -> Result<Int, FrameError> { Result { () throws(FrameError) in try finish() } }
}
