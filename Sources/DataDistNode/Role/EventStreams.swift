import DataDistModel
import Dispatch
import HTTPCore
import Logging
import Synchronization

/// The open `/v1/events` streams (CONTRACT §12): admits at most `--max-event-streams`, wakes them when events
/// are recorded, and asks each for a `: ping` every 15 s.
///
/// Wakes are coalesced over `wakeDelayMs`: each stream then writes the events of that window at once instead of
/// one write per event (measured on 2 cores, 64 streams at 1000 events/s: one write per event per stream costs the
/// loop enough to move `/healthz` p99 from 1.5 to 4 ms). The delay stays far below the 50 ms an orchestrator
/// may wait for `role_changed` (issue 12).
final class EventStreams: Sendable {
    static let pingIntervalMs = 15_000
    static let wakeDelayMs = 5

    private let open = Mutex<[ObjectIdentifier: EventStreamProducer]>([:])
    private let timer = Mutex<(any DispatchSourceTimer)?>(nil)
    /// A coalesced wake is scheduled and has not started waking the streams yet.
    private let wakeScheduled = Atomic<Bool>(false)
    private let wakeQueue = DispatchQueue(label: "datadist.event-wakes")

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

    /// Called after an event was recorded: the streams read it at the latest `wakeDelayMs` later. An event
    /// recorded while a wake is scheduled is covered by it: the flag drops before the streams are woken, and
    /// each stream reads everything recorded up to its next poll.
    func wakeAll() {
        guard open.withLock({ !$0.isEmpty }) else { return }
        guard !wakeScheduled.exchange(true, ordering: .acquiringAndReleasing) else { return }
        wakeQueue.asyncAfter(deadline: .now() + .milliseconds(Self.wakeDelayMs)) { [weak self] in
            guard let self else { return }
            self.wakeScheduled.store(false, ordering: .releasing)
            for stream in self.open.withLock({ Array($0.values) }) { stream.wake(ping: false) }
        }
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
        var bytes: [UInt8] = []
        if reset {
            let data: JSONValue = [
                "type": "reset", "boot_id": .string(bootID), "first_seq": JSONValue.uint(firstHeld).normalized,
            ]
            bytes += Array("event: reset\ndata: \(data.serialized)\n\n".utf8)
        }
        for event in events {
            if event.framed.isEmpty {
                bytes += Array(event.sse(bootID: bootID).utf8)
            } else {
                bytes += event.framed
            }
        }
        if bytes.isEmpty && ping { bytes = Array(": ping\n\n".utf8) }
        if let last = events.last {
            state.withLock { $0.cursor = last.seq }
            if events.count == 256 { wake(ping: false) }  // more are waiting: come back after these
        }
        guard !bytes.isEmpty else { return true }
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
