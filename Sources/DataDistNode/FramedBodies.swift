import DataDistModel
import HTTPCore
import KVFraming
import Synchronization

/// A pull's response body: a 4-byte little-endian length, a JSON preamble, then the framed payload read
/// straight from pinned cache memory. The pin ends with `finish`.
///
/// Sendable: the encoder's regions stay valid under the pin; the prefix is immutable; the cursor is guarded.
final class FramedResponseProducer: HTTPBodyProducer, @unchecked Sendable {
    let contentLength: Int
    private let prefix: UnsafeMutableRawBufferPointer
    private let encoder: FrameEncoder
    private let prefixSent = Atomic<Bool>(false)
    private let release: @Sendable (Bool) -> Void
    private let released = Atomic<Bool>(false)

    init(preamble: JSONValue, encoder: FrameEncoder, release: @escaping @Sendable (Bool) -> Void) {
        let json = preamble.serializedBytes
        let bytes = UnsafeMutableRawBufferPointer.allocate(byteCount: 4 + json.count, alignment: 4)
        bytes.storeBytes(of: UInt32(json.count).littleEndian, as: UInt32.self)
        json.withUnsafeBytes {
            bytes.baseAddress!.advanced(by: 4).copyMemory(from: $0.baseAddress!, byteCount: $0.count)
        }
        prefix = bytes
        self.encoder = encoder
        self.contentLength = bytes.count + encoder.contentLength
        self.release = release
    }

    deinit {
        if !released.load(ordering: .acquiring) { release(false) }
        prefix.deallocate()
    }

    func next(maxBytes: Int, into out: inout [UnsafeRawBufferPointer]) -> Bool {
        if !prefixSent.exchange(true, ordering: .acquiringAndReleasing) {
            out.append(UnsafeRawBufferPointer(prefix))
            _ = encoder.next(maxBytes: max(1, maxBytes - prefix.count), into: &out)
            return true
        }
        return encoder.next(maxBytes: maxBytes, into: &out)
    }

    func finish(completed: Bool) {
        if !released.exchange(true, ordering: .acquiringAndReleasing) { release(completed) }
    }
}

/// A pushed request body decoded and verified frame by frame, straight into pinned cache memory.
///
/// Sendable: the destination regions stay valid under the pin (released by `end`); the decoder is guarded.
final class FramedRequestSink: HTTPBodySink, @unchecked Sendable {
    /// FrameDecoder holds raw destination pointers; they are valid under the pin and used under the lock.
    private struct Box: @unchecked Sendable { var decoder: FrameDecoder }
    private let box: Mutex<Box>
    private let end: @Sendable (_ verified: Bool) -> Void
    private let ended = Atomic<Bool>(false)

    init(decoder: FrameDecoder, end: @escaping @Sendable (Bool) -> Void) {
        self.box = Mutex(Box(decoder: decoder))
        self.end = end
    }

    func write(_ bytes: UnsafeRawBufferPointer) -> Bool { box.withLock { $0.decoder.consume(bytes) } }

    /// The verified payload length, or why the body cannot be accepted. Ends the transfer either way.
    func finish() -> Result<Int, FrameError> {
        let result = box.withLock { $0.decoder.finish() }
        close(verified: (try? result.get()) != nil)
        return result
    }

    func failure() -> HTTPResponse {
        let result = box.withLock { $0.decoder.finish() }
        close(verified: false)
        let reason: String
        if case .failure(let e) = result { reason = "\(e)" } else { reason = "the body does not match the transfer" }
        return .error(APIError(.LLM_FAILED, "pushed data rejected: \(reason)"))
    }

    func abandon() { close(verified: false) }

    private func close(verified: Bool) {
        if !ended.exchange(true, ordering: .acquiringAndReleasing) { end(verified) }
    }

    deinit { close(verified: false) }
}
