import Dispatch
import Glibc
import Synchronization

/// Runs jobs keyed by remote cluster with at most `limit` running per remote ("lanes"); further jobs of that remote
/// wait in a FIFO. A worker that finishes a job takes the next queued job of the same remote on the same thread; with
/// none queued it waits up to `linger` for the next job of its remote, then ends.
///
/// Why: asynchronous transfers arrive in bursts (an engine submits a whole batch at once). One thread per transfer
/// meant 1000 submitted pulls were 1000 threads, each checking out its own libcurl handle, and the pool keeps only a
/// few idle ones per peer, so nearly every pull dialled a new connection to the prompt and closed it after its ack.
/// A lane keeps its thread and, through the handle pool, its kept-alive connection for the next job; lingering keeps
/// a submitter that is slower than the pulls (each lane empties between submissions) from paying a thread start on
/// the admin loop per transfer. Lanes are per remote, so a stalled peer fills only its own lanes and never holds up
/// another peer's transfers (the reason `BlockingWorkers` starts a thread per job holds per remote).
final class PeerLanes<Remote: Hashable & Sendable>: Sendable {
    typealias Job = @Sendable () -> Void
    /// Names a submitted job, for `withdraw`.
    typealias Ticket = UInt64

    /// What `submit` did: `queued` when the job waits for a lane (only then can it be withdrawn).
    struct Submission: Sendable {
        let ticket: Ticket
        let queued: Bool
    }

    /// Jobs of one remote that may run at once.
    let limit: Int
    /// How long a worker with nothing queued waits for its remote's next job before its thread ends.
    let linger: Duration
    /// Starts a worker thread running its argument (`BlockingWorkers.async` in the node).
    private let start: @Sendable (@escaping Job) -> Void
    private let state = Mutex(State())

    private struct Entry {
        let ticket: Ticket
        let job: Job
    }

    /// A worker waiting for its remote's next job: `submit` puts the job in `handed` (under the lanes' lock) and
    /// signals `wake`.
    private final class Idle: @unchecked Sendable {
        // Invariant: `handed` is read and written only under `PeerLanes.state`'s lock.
        var handed: Job?
        let wake = DispatchSemaphore(value: 0)
    }

    private struct Lane {
        /// Workers alive for this remote, busy or idle.
        var workers = 0
        var idle: [Idle] = []
        /// FIFO: `queue[head...]` waits; the consumed prefix is dropped once it is the larger part.
        var queue: [Entry] = []
        var head = 0

        var waiting: Int { queue.count - head }

        mutating func pop() -> Entry? {
            guard head < queue.count else { return nil }
            let entry = queue[head]
            head += 1
            if head == queue.count {
                queue.removeAll(keepingCapacity: true)
                head = 0
            } else if head >= 64 && head * 2 >= queue.count {
                queue.removeFirst(head)
                head = 0
            }
            return entry
        }
    }

    /// Where `submit` put a job.
    private enum Placed {
        case handed(Idle)
        case newWorker
        case queued
    }

    /// What a worker that finished a job does next.
    private enum Next {
        case run(Job)
        case wait(Idle)
    }

    private struct State {
        var lanes: [Remote: Lane] = [:]
        var nextTicket: Ticket = 0
        /// Jobs waiting in every lane.
        var queued = 0
    }

    init(limit: Int, linger: Duration = .milliseconds(250), start: @escaping @Sendable (@escaping Job) -> Void) {
        precondition(limit > 0, "a lane limit must be positive")
        self.limit = limit
        self.linger = linger
        self.start = start
    }

    /// The default limit: max(8, 2 × online CPUs), at most 64. A remote's transfers spend most of their time waiting
    /// on the network and the peer (request, verification, ack), so a few per core keep a core busy; at least 8
    /// matches what 8 synchronous client threads already got, and the cap keeps a burst to a slow peer from holding
    /// more connections (and memory pins at the peer) than it can serve.
    static func defaultLimit(onlineCPUs: Int = Int(sysconf(Int32(_SC_NPROCESSORS_ONLN)))) -> Int {
        min(64, max(8, 2 * onlineCPUs))
    }

    /// Runs `job` now, on an idle worker of `remote` or a new one when it has a free lane, else queues it behind that
    /// remote's jobs.
    @discardableResult
    func submit(_ remote: Remote, _ job: @escaping Job) -> Submission {
        let (ticket, placed) = state.withLock { s -> (Ticket, Placed) in
            s.nextTicket += 1
            let ticket = s.nextTicket
            var lane = s.lanes[remote] ?? Lane()
            let placed: Placed
            if let idle = lane.idle.popLast() {
                idle.handed = job
                placed = .handed(idle)
            } else if lane.workers < limit {
                lane.workers += 1
                placed = .newWorker
            } else {
                lane.queue.append(Entry(ticket: ticket, job: job))
                s.queued += 1
                placed = .queued
            }
            s.lanes[remote] = lane
            return (ticket, placed)
        }
        switch placed {
        case .handed(let idle): idle.wake.signal()
        case .newWorker: start { self.work(remote, first: job) }
        case .queued: break
        }
        if case .queued = placed { return Submission(ticket: ticket, queued: true) }
        return Submission(ticket: ticket, queued: false)
    }

    /// Removes a job that is still queued: true when it was (it will never run), false when it has started or
    /// already ended. Exactly one of "the job runs" and "withdraw returns true" happens.
    func withdraw(_ ticket: Ticket, from remote: Remote) -> Bool {
        state.withLock { s in
            guard var lane = s.lanes[remote],
                let i = lane.queue[lane.head...].firstIndex(where: { $0.ticket == ticket })
            else { return false }
            lane.queue.remove(at: i)
            s.lanes[remote] = lane
            s.queued -= 1
            return true
        }
    }

    /// Jobs waiting for a lane, over every remote.
    var queued: Int { state.withLock { $0.queued } }

    /// Jobs of `remote` running now and waiting, and its workers waiting idle for the next job.
    func load(_ remote: Remote) -> (running: Int, waiting: Int, idle: Int) {
        state.withLock { s in
            guard let lane = s.lanes[remote] else { return (0, 0, 0) }
            return (lane.workers - lane.idle.count, lane.waiting, lane.idle.count)
        }
    }

    private func work(_ remote: Remote, first: @escaping Job) {
        var job = first
        while true {
            job()
            guard let next = nextJob(remote) else { return }
            job = next
        }
    }

    /// The remote's next job for a worker that finished one: the first queued, else one handed to it within
    /// `linger`; nil when the worker ends.
    private func nextJob(_ remote: Remote) -> Job? {
        let next = state.withLock { s -> Next in
            // A worker's lane exists until its last worker ends (below).
            var lane = s.lanes[remote] ?? Lane()
            if let entry = lane.pop() {
                s.lanes[remote] = lane
                s.queued -= 1
                return .run(entry.job)
            }
            let idle = Idle()
            lane.idle.append(idle)
            s.lanes[remote] = lane
            return .wait(idle)
        }
        guard case .wait(let idle) = next else {
            if case .run(let job) = next { return job }
            return nil
        }
        _ = idle.wake.wait(timeout: .now() + .nanoseconds(Int(linger.nanoseconds)))
        return state.withLock { s -> Job? in
            // Handed over (maybe just as the wait timed out: the job was set under this lock).
            if let job = idle.handed { return job }
            guard var lane = s.lanes[remote] else { return nil }
            lane.idle.removeAll { $0 === idle }
            lane.workers -= 1
            s.lanes[remote] = lane.workers == 0 ? nil : lane
            return nil
        }
    }
}

extension Duration {
    fileprivate var nanoseconds: Int64 { components.seconds * 1_000_000_000 + components.attoseconds / 1_000_000_000 }
}
