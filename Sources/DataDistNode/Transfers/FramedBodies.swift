import DataDistModel
import Dispatch
import HTTPCore
import HTTPServer
import KVFraming
import Synchronization

/// A pull's response body: a 4-byte little-endian length, a JSON preamble, then the framed payload read
/// straight from pinned cache memory. The pin ends with `finish`. A striped pull's later streams have no
/// preamble (`preamble: nil`): only frames.
///
/// From a progressive cache (CONTRACT §11) only whole frames of ready bytes go out; the producer then waits
/// (the server stops polling it) until a watermark rises or its deadline passes, when it ends the body short —
/// the puller sees a broken transfer and consumes nothing.
///
/// Sendable: the encoder's regions stay valid under the pin; the prefix is immutable; the cursor is guarded.
final class FramedResponseProducer: HTTPBodyProducer, @unchecked Sendable {
    /// What a progressive source needs: the gate, the slot's readiness, the clock.
    struct Progressive: Sendable {
        let gate: ReadinessGate
        let readyTensors: @Sendable () -> Int?
        let clock: MonotonicClock
    }

    let contentLength: Int
    private let prefix: UnsafeMutableRawBufferPointer
    private let encoder: FrameEncoder
    private let prefixSent = Atomic<Bool>(false)
    private let release: @Sendable (Bool) -> Void
    private let released = Atomic<Bool>(false)
    private let progressive: Progressive?
    /// Encoded bytes handed out so far (prefix included).
    private let handedOut = Atomic<Int>(0)
    private let waker = Mutex<HTTPWaker?>(nil)
    private let waiting = Atomic<Bool>(false)

    var mayStall: Bool { progressive != nil }
    var isWaiting: Bool { waiting.load(ordering: .relaxed) }

    init(
        preamble: JSONValue?,
        encoder: FrameEncoder,
        progressive: Progressive? = nil,
        release: @escaping @Sendable (Bool) -> Void
    ) {
        self.progressive = progressive
        if let preamble {
            let json = preamble.serializedBytes
            let bytes = UnsafeMutableRawBufferPointer.allocate(byteCount: 4 + json.count, alignment: 4)
            bytes.storeBytes(of: UInt32(json.count).littleEndian, as: UInt32.self)
            json.withUnsafeBytes {
                bytes.baseAddress!.advanced(by: 4).copyMemory(from: $0.baseAddress!, byteCount: $0.count)
            }
            prefix = bytes
        } else {
            prefix = UnsafeMutableRawBufferPointer.allocate(byteCount: 0, alignment: 4)
        }
        let bytes = prefix
        self.encoder = encoder
        self.contentLength = bytes.count + encoder.contentLength
        self.release = release
    }

    deinit {
        if !released.load(ordering: .acquiring) { release(false) }
        prefix.deallocate()
    }

    func next(maxBytes: Int, into out: inout [UnsafeRawBufferPointer]) -> Bool {
        var budget = maxBytes
        if !prefixSent.exchange(true, ordering: .acquiringAndReleasing), prefix.count > 0 {
            out.append(UnsafeRawBufferPointer(prefix))
            handedOut.add(prefix.count, ordering: .relaxed)
            budget = max(1, maxBytes - prefix.count)
        }
        if let progressive {
            let sent = handedOut.load(ordering: .relaxed)
            let allowed = allowedBytes(progressive)
            guard allowed > sent else {
                if sent == contentLength { return false }
                if progressive.clock.nowMs >= progressive.gate.deadlineMs { return false }  // give up: ends short
                waiting.store(true, ordering: .relaxed)
                return true  // nothing ready yet: `wake` brings the loop back
            }
            waiting.store(false, ordering: .relaxed)
            budget = min(budget, allowed - sent)
        }
        let before = out.reduce(0) { $0 + $1.count }
        let more = encoder.next(maxBytes: budget, into: &out)
        handedOut.add(out.reduce(0) { $0 + $1.count } - before, ordering: .relaxed)
        return more || !out.isEmpty
    }

    /// Encoded bytes that may go out now: the prefix and every frame whose payload is entirely ready.
    private func allowedBytes(_ p: Progressive) -> Int {
        let ready = p.gate.readyBytes(readyTensors: p.readyTensors())
        if ready >= encoder.payloadLength { return contentLength }
        let frames = ready / encoder.frameSize
        return prefix.count + frames * (encoder.frameSize + FrameFormat.trailerSize)
    }

    func attach(waker: HTTPWaker) {
        self.waker.withLock { $0 = waker }
        guard let progressive else { return }
        // Wake once at the deadline so a pull whose layers never come ends instead of hanging.
        let delay = max(0, progressive.gate.deadlineMs - progressive.clock.nowMs) + 5
        DispatchQueue.global().asyncAfter(deadline: .now() + .milliseconds(Int(delay))) { [weak self] in
            self?.wake()
        }
    }

    /// Asks the server to poll again (a watermark rose, or the deadline passed).
    func wake() {
        waker.withLock { $0 }?.wake()
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
    func finish() throws(FrameError) -> Int {
        do {
            let verified = try box.withLock { b throws(FrameError) in try b.decoder.finish() }
            close(verified: true)
            return verified
        } catch {
            close(verified: false)
            throw error
        }
    }

    func failure() -> HTTPResponse {
        let reason: String
        do {
            _ = try box.withLock { b throws(FrameError) in try b.decoder.finish() }
            reason = "the body does not match the transfer"
        } catch {
            reason = "\(error)"
        }
        close(verified: false)
        return .error(APIError(.LLM_FAILED, "pushed data rejected: \(reason)"))
    }

    func abandon() { close(verified: false) }

    private func close(verified: Bool) {
        if !ended.exchange(true, ordering: .acquiringAndReleasing) { end(verified) }
    }

    deinit { close(verified: false) }
}
