import Glibc
import Synchronization

/// Runs jobs keyed by remote cluster with at most `limit` running per remote ("lanes"); further jobs of that remote
/// wait in a FIFO. A worker that finishes a job takes the next queued job of the same remote on the same thread, and
/// ends when that queue is empty.
///
/// Why: asynchronous transfers arrive in bursts (an engine submits a whole batch at once). One thread per transfer
/// meant 1000 submitted pulls were 1000 threads, each checking out its own libcurl handle, and the pool keeps only a
/// few idle ones per peer, so nearly every pull dialled a new connection to the prompt and closed it after its ack.
/// A lane keeps its thread and, through the handle pool, its kept-alive connection for the next job. Lanes are per
/// remote, so a stalled peer fills only its own lanes and never holds up another peer's transfers (the reason
/// `BlockingWorkers` starts a thread per job holds per remote).
final class PeerLanes<Remote: Hashable & Sendable>: Sendable {
    typealias Job = @Sendable () -> Void
    /// Names a submitted job, for `withdraw`.
    typealias Ticket = UInt64

    /// Jobs of one remote that may run at once.
    let limit: Int
    /// Starts a worker thread running its argument (`BlockingWorkers.async` in the node).
    private let start: @Sendable (@escaping Job) -> Void
    private let state = Mutex(State())

    private struct Entry {
        let ticket: Ticket
        let job: Job
    }

    private struct Lane {
        var running = 0
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

    private struct State {
        var lanes: [Remote: Lane] = [:]
        var nextTicket: Ticket = 0
    }

    init(limit: Int, start: @escaping @Sendable (@escaping Job) -> Void) {
        precondition(limit > 0, "a lane limit must be positive")
        self.limit = limit
        self.start = start
    }

    /// The default limit: max(8, 2 × online CPUs), at most 64. A remote's transfers spend most of their time waiting
    /// on the network and the peer (request, verification, ack), so a few per core keep a core busy; at least 8
    /// matches what 8 synchronous client threads already got, and the cap keeps a burst to a slow peer from holding
    /// more connections (and memory pins at the peer) than it can serve.
    static func defaultLimit(onlineCPUs: Int = Int(sysconf(Int32(_SC_NPROCESSORS_ONLN)))) -> Int {
        min(64, max(8, 2 * onlineCPUs))
    }

    /// Runs `job` now on a new worker when `remote` has a free lane, else queues it behind that remote's jobs.
    @discardableResult
    func submit(_ remote: Remote, _ job: @escaping Job) -> Ticket {
        let (ticket, runNow) = state.withLock { s -> (Ticket, Bool) in
            s.nextTicket += 1
            let ticket = s.nextTicket
            var lane = s.lanes[remote] ?? Lane()
            let runNow = lane.running < limit
            if runNow { lane.running += 1 } else { lane.queue.append(Entry(ticket: ticket, job: job)) }
            s.lanes[remote] = lane
            return (ticket, runNow)
        }
        if runNow { start { self.work(remote, first: job) } }
        return ticket
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
            return true
        }
    }

    /// Jobs of `remote` running now and waiting.
    func load(_ remote: Remote) -> (running: Int, waiting: Int) {
        state.withLock { s in
            guard let lane = s.lanes[remote] else { return (0, 0) }
            return (lane.running, lane.waiting)
        }
    }

    private func work(_ remote: Remote, first: @escaping Job) {
        var job = first
        while true {
            job()
            let next = state.withLock { s -> Job? in
                guard var lane = s.lanes[remote] else { return nil }
                if let entry = lane.pop() {
                    s.lanes[remote] = lane
                    return entry.job
                }
                lane.running -= 1
                s.lanes[remote] = lane.running == 0 ? nil : lane
                return nil
            }
            guard let next else { return }
            job = next
        }
    }
}
