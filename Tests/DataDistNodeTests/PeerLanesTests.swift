import Dispatch
import Glibc
import Synchronization
import Testing

@testable import DataDistNode

/// `PeerLanes` on real worker threads: jobs that block on gates stand in for transfers held by a peer.
@Suite struct PeerLanesTests {
    /// Jobs that record when they start and finish, each held until its gate opens.
    final class Jobs: Sendable {
        private let log = Mutex<(started: [Int], finished: [Int], threads: [Int: pthread_t])>(([], [], [:]))
        private let gates = Mutex<[Int: DispatchSemaphore]>([:])

        func job(_ n: Int, held: Bool = false) -> @Sendable () -> Void {
            let gate = DispatchSemaphore(value: 0)
            if held { gates.withLock { $0[n] = gate } }
            return {
                self.log.withLock {
                    $0.started.append(n)
                    $0.threads[n] = pthread_self()
                }
                if held { gate.wait() }
                self.log.withLock { $0.finished.append(n) }
            }
        }

        func release(_ n: Int) { gates.withLock { $0[n] }?.signal() }
        var started: [Int] { log.withLock { $0.started } }
        var finished: [Int] { log.withLock { $0.finished } }
        func thread(_ n: Int) -> pthread_t? { log.withLock { $0.threads[n] } }
    }

    /// Threads as the node starts them.
    static func lanes(limit: Int, linger: Duration = .milliseconds(20)) -> PeerLanes<Int> {
        let workers = BlockingWorkers(name: "lanes-test")
        return PeerLanes(limit: limit, linger: linger) { workers.async($0) }
    }

    /// Polls `condition` until it holds or `seconds` pass.
    static func eventually(within seconds: Double = 5, _ condition: () -> Bool) -> Bool {
        let end = ContinuousClock.now + .milliseconds(Int(seconds * 1000))
        while ContinuousClock.now < end {
            if condition() { return true }
            usleep(1000)
        }
        return condition()
    }

    @Test func atMostLimitRunPerRemoteAndTheRestStartInOrder() {
        let lanes = Self.lanes(limit: 2)
        let jobs = Jobs()
        for n in 0..<6 { lanes.submit(7, jobs.job(n, held: true)) }
        #expect(Self.eventually { jobs.started.count == 2 })
        #expect(Set(jobs.started) == [0, 1])
        #expect(lanes.load(7) == (2, 4, 0))
        #expect(lanes.queued == 4)
        // Each finished job hands its lane to the next queued one, first in first out.
        for n in 0..<6 {
            jobs.release(n)
            let expected = min(6, n + 3)
            #expect(Self.eventually { jobs.started.count == expected }, "after releasing \(n)")
        }
        #expect(Array(jobs.started[2...]) == [2, 3, 4, 5])
        #expect(Self.eventually { jobs.finished.count == 6 })
        #expect(Self.eventually { lanes.load(7) == (0, 0, 0) }, "an idle remote leaves no lane behind")
        #expect(lanes.queued == 0)
    }

    @Test func aFinishedWorkerRunsItsRemotesNextJobOnTheSameThread() {
        let lanes = Self.lanes(limit: 1)
        let jobs = Jobs()
        lanes.submit(1, jobs.job(0, held: true))
        lanes.submit(1, jobs.job(1))
        lanes.submit(1, jobs.job(2))
        #expect(Self.eventually { jobs.started == [0] })
        jobs.release(0)
        #expect(Self.eventually { jobs.finished == [0, 1, 2] })
        let (a, b, c) = (jobs.thread(0), jobs.thread(1), jobs.thread(2))
        #expect(a != nil && pthread_equal(a!, b!) != 0 && pthread_equal(b!, c!) != 0)
    }

    @Test func anIdleWorkerTakesItsRemotesNextJobWithinItsLingerThenEnds() {
        let starts = Atomic<Int>(0)
        let workers = BlockingWorkers(name: "lanes-test")
        let lanes = PeerLanes<Int>(limit: 4, linger: .milliseconds(300)) { job in
            starts.add(1, ordering: .relaxed)
            workers.async(job)
        }
        let jobs = Jobs()
        // A submitter slower than its jobs: each lane has emptied before the next job arrives.
        for n in 0..<5 {
            #expect(!lanes.submit(1, jobs.job(n)).queued)
            #expect(Self.eventually { jobs.finished.count == n + 1 })
            #expect(Self.eventually { lanes.load(1) == (0, 0, 1) }, "the worker waits for the next job")
        }
        #expect(starts.load(ordering: .relaxed) == 1, "one thread ran all five")
        let first = jobs.thread(0)
        #expect((1..<5).allSatisfy { n in jobs.thread(n).map { pthread_equal($0, first!) != 0 } == true })
        #expect(Self.eventually { lanes.load(1) == (0, 0, 0) }, "after its linger the worker ends")
        lanes.submit(1, jobs.job(5))
        #expect(Self.eventually { jobs.finished.count == 6 })
        #expect(starts.load(ordering: .relaxed) == 2, "a new worker after the old one ended")
    }

    @Test func aRemoteWhoseJobsAreHeldDoesNotDelayAnother() {
        let lanes = Self.lanes(limit: 2)
        let jobs = Jobs()
        for n in 0..<4 { lanes.submit(1, jobs.job(n, held: true)) }
        #expect(Self.eventually { jobs.started.count == 2 })
        for n in 10..<14 { lanes.submit(2, jobs.job(n)) }
        #expect(Self.eventually { Set(jobs.finished) == [10, 11, 12, 13] }, "remote 2 waited for remote 1")
        #expect(lanes.load(1) == (2, 2, 0))
        for n in 0..<4 { jobs.release(n) }
        #expect(Self.eventually { jobs.finished.count == 8 })
    }

    @Test func aWithdrawnJobNeverRunsAndAStartedOneCannotBeWithdrawn() {
        let lanes = Self.lanes(limit: 1)
        let jobs = Jobs()
        let running = lanes.submit(3, jobs.job(0, held: true))
        #expect(!running.queued)
        let queued = lanes.submit(3, jobs.job(1))
        #expect(queued.queued)
        lanes.submit(3, jobs.job(2))
        #expect(Self.eventually { jobs.started == [0] })
        #expect(!lanes.withdraw(running.ticket, from: 3), "a running job is not withdrawn")
        #expect(lanes.withdraw(queued.ticket, from: 3))
        #expect(!lanes.withdraw(queued.ticket, from: 3), "withdrawn once")
        #expect(!lanes.withdraw(queued.ticket, from: 4), "tickets belong to their remote")
        #expect(lanes.load(3) == (1, 1, 0))
        #expect(lanes.queued == 1, "a withdrawn job is no longer counted")
        jobs.release(0)
        #expect(Self.eventually { jobs.finished == [0, 2] })
        #expect(!jobs.started.contains(1))
        #expect(lanes.queued == 0)
    }

    /// Withdrawals racing the workers: every job either runs or is withdrawn, never both, never neither.
    @Test func eachJobRunsOrIsWithdrawnExactlyOnce() {
        let lanes = Self.lanes(limit: 2)
        let count = 3000
        let ran = Mutex<[Int]>([])
        // The first job of each lane waits here, so the queues are full when the race starts.
        let gate = DispatchSemaphore(value: 0)
        var tickets: [(ticket: UInt64, remote: Int)] = []
        for n in 0..<count {
            let remote = n % 3
            let ticket = lanes.submit(remote) {
                if n < 6 { gate.wait() }
                ran.withLock { $0.append(n) }
            }.ticket
            tickets.append((ticket, remote))
        }
        #expect(lanes.withdraw(tickets[count - 1].ticket, from: tickets[count - 1].remote), "queued behind the gate")
        let withdrawn = Mutex<[Int]>([count - 1])
        let all = tickets
        let raced = DispatchSemaphore(value: 0)
        DispatchQueue.global().async {
            for n in stride(from: count - 3, through: 0, by: -2)
            where lanes.withdraw(all[n].ticket, from: all[n].remote) {
                withdrawn.withLock { $0.append(n) }
            }
            raced.signal()
        }
        for _ in 0..<6 { gate.signal() }
        raced.wait()
        let out = withdrawn.withLock { $0 }
        #expect(Self.eventually { ran.withLock { $0.count } + out.count == count })
        let done = ran.withLock { $0 }
        #expect(Set(done).count == done.count, "no job ran twice")
        #expect(Set(done).isDisjoint(with: out), "no withdrawn job ran")
        #expect(Set(done).union(out) == Set(0..<count))
        #expect(Self.eventually { (0..<3).allSatisfy { lanes.load($0) == (0, 0, 0) } })
    }

    @Test func theDefaultLimitFollowsTheMachineWithinBounds() {
        #expect(PeerLanes<Int>.defaultLimit(onlineCPUs: 1) == 8)
        #expect(PeerLanes<Int>.defaultLimit(onlineCPUs: 2) == 8)
        #expect(PeerLanes<Int>.defaultLimit(onlineCPUs: 16) == 32)
        #expect(PeerLanes<Int>.defaultLimit(onlineCPUs: 128) == 64)
    }

    @Test func manyJobsOfManyRemotesAllRunOnce() {
        let lanes = Self.lanes(limit: 3)
        let count = Atomic<Int>(0)
        let perRemote = Mutex<[Int: Int]>([:])
        for n in 0..<600 {
            lanes.submit(n % 5) {
                count.add(1, ordering: .relaxed)
                perRemote.withLock { $0[n % 5, default: 0] += 1 }
            }
        }
        #expect(Self.eventually { count.load(ordering: .relaxed) == 600 })
        #expect(perRemote.withLock { $0 } == [0: 120, 1: 120, 2: 120, 3: 120, 4: 120])
        #expect(Self.eventually { (0..<5).allSatisfy { lanes.load($0) == (0, 0, 0) } })
    }
}
