import DataDistModel
import Dispatch
import HTTPCore
import Logging
import Synchronization

/// The open `/v1/events` streams (CONTRACT §12): admits at most `--max-event-streams`, wakes them when an event
/// is recorded, and asks each for a `: ping` every 15 s.
final class EventStreams: Sendable {
    static let pingIntervalMs = 15_000

    private let open = Mutex<[ObjectIdentifier: EventStreamProducer]>([:])
    private let timer = Mutex<(any DispatchSourceTimer)?>(nil)

    var count: Int { open.withLock { $0.count } }

    /// Registers a stream unless `limit` are open already.
    func admit(_ stream: EventStreamProducer, limit: Int) -> Bool {
        let admitted = open.withLock { streams in
            guard streams.count < limit else { return false }
            streams[ObjectIdentifier(stream)] = stream
            return true
        }
        if admitted { startPinging() }
        return admitted
    }

    func remove(_ stream: EventStreamProducer) {
        _ = open.withLock { $0.removeValue(forKey: ObjectIdentifier(stream)) }
    }

    func wakeAll() {
        for stream in open.withLock({ Array($0.values) }) { stream.wake(ping: false) }
    }

    /// One timer for every stream, started with the first.
    private func startPinging() {
        timer.withLock { timer in
            guard timer == nil else { return }
            let source = DispatchSource.makeTimerSource(queue: DispatchQueue(label: "datadist.event-pings"))
            let interval = DispatchTimeInterval.milliseconds(Self.pingIntervalMs)
            source.schedule(deadline: .now() + interval, repeating: interval)
            source.setEventHandler { [weak self] in
                guard let self else { return }
                for stream in self.open.withLock({ Array($0.values) }) { stream.wake(ping: true) }
            }
            source.resume()
            timer = source
        }
    }

    deinit {
        timer.withLock { $0?.cancel() }
    }
}

/// One `/v1/events` response: an open-ended body the server polls. Each `next` frames the events recorded since
/// the last one (read from the node's ring under its lock) into a buffer it owns until the following call.
/// A reader that stops reading costs the node its socket buffers and one batch: the server stops polling a full
/// socket (and closes it after the idle timeout); one that falls behind the ring is ended (CONTRACT §12).
///
/// `@unchecked Sendable`: `buffer` is touched only from the server loop's calls (`next`, `finish`), which the loop
/// makes one at a time and only once the previous regions were written; everything else sits behind `state`.
final class EventStreamProducer: HTTPBodyProducer, @unchecked Sendable {
    private struct State {
        /// The last sequence number sent.
        var cursor: UInt64
        /// Send `reset` first: events after the asked position are no longer held.
        var resetPending: Bool
        var pingDue = false
        var waker: HTTPWaker?
        var ended = false
    }

    private let core: NodeCore
    private let state: Mutex<State>
    private var buffer: UnsafeMutableRawBufferPointer?

    /// Starts after `since` (replaying what the ring still holds), or with the next event when nil.
    init(core: NodeCore, since: UInt64?) {
        self.core = core
        let (cursor, reset) = core.state.withLock { s -> (UInt64, Bool) in
            guard let since else { return (s.events.lastSeq, false) }
            return (min(since, s.events.lastSeq), since + 1 < s.events.firstHeld)
        }
        state = Mutex(State(cursor: cursor, resetPending: reset))
    }

    var contentLength: Int { -1 }

    func attach(waker: HTTPWaker) {
        let wakeNow = state.withLock { s in
            s.waker = waker
            return s.resetPending
        }
        if wakeNow { waker.wake() }
        // Events recorded between the route and the attach are found by the first `next`.
        waker.wake()
    }

    func wake(ping: Bool) {
        let waker = state.withLock { s -> HTTPWaker? in
            if ping { s.pingDue = true }
            return s.waker
        }
        waker?.wake()
    }

    func next(maxBytes: Int, into out: inout [UnsafeRawBufferPointer]) -> Bool {
        release()
        let (cursor, reset, ping, ended) = state.withLock { s in
            defer {
                s.resetPending = false
                s.pingDue = false
            }
            return (s.cursor, s.resetPending, s.pingDue, s.ended)
        }
        if ended { return false }
        let (bootID, firstHeld, events) = core.state.withLock { s in
            (core.bootID, s.events.firstHeld, s.events.events(after: cursor, limit: 256).events)
        }
        // The reader fell so far behind (its socket full while events were recorded) that the ring no longer
        // holds what it has not been sent: end the stream rather than skip events in silence. Its reconnect
        // with Last-Event-ID starts with `reset`. Memory per stream stays one batch, whatever the reader does.
        if !reset && cursor + 1 < firstHeld {
            core.logger.notice(
                "event stream ended: its reader fell behind the event history",
                metadata: ["sent_up_to": "\(cursor)", "first_held": "\(firstHeld)"]
            )
            return false
        }
        var text = ""
        if reset {
            let data: JSONValue = [
                "type": "reset", "boot_id": .string(bootID), "first_seq": JSONValue.uint(firstHeld).normalized,
            ]
            text += "event: reset\ndata: \(data.serialized)\n\n"
        }
        for event in events { text += event.sse(bootID: bootID) }
        if text.isEmpty && ping { text = ": ping\n\n" }
        if let last = events.last {
            state.withLock { $0.cursor = last.seq }
            if events.count == 256 { wake(ping: false) }  // more are waiting: come back after these
        }
        guard !text.isEmpty else { return true }
        let bytes = Array(text.utf8)
        let region = UnsafeMutableRawBufferPointer.allocate(byteCount: bytes.count, alignment: 1)
        bytes.withUnsafeBytes { region.copyMemory(from: $0) }
        buffer = region
        out.append(UnsafeRawBufferPointer(region))
        return true
    }

    func finish(completed: Bool) {
        state.withLock {
            $0.ended = true
            $0.waker = nil
        }
        release()
        core.eventStreams.remove(self)
    }

    private func release() {
        buffer?.deallocate()
        buffer = nil
    }
}
