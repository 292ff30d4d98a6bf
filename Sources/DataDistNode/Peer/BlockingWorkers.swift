import CLinux
import Dispatch
import Glibc

/// Runs blocking peer I/O (libcurl handshakes, pulls, pushes, notices) on a dedicated thread per job.
///
/// Why not a concurrent DispatchQueue: libdispatch on Linux starts about one thread per CPU and adds threads slowly
/// while they block, so one slow or blackholed peer held up every other peer call, and a call's deadline started
/// only when a worker picked it up (measured: 16 link handshakes to a socket that never accepts, timeout 1 s, answered
/// after 4 s; a link to a live prompt meanwhile took 3 s). A thread per call starts at once, so every deadline runs
/// from the request's arrival and nothing queues behind a stalled peer. Jobs are few and long (milliseconds to
/// seconds), so a thread's start-up (tens of microseconds) does not matter. Asynchronous transfers, which come in
/// bursts of hundreds, do not get a thread each: `PeerLanes` starts at most a few workers per remote here and each
/// runs its remote's queued transfers one after another (a stalled peer still holds up only its own lanes).
struct BlockingWorkers: Sendable {
    let name: String

    /// Starts `work` on its own detached thread (1 MiB stack, named) now. A thread that cannot be created (the
    /// process is out of threads) runs the job on a Dispatch queue instead: late, never lost.
    func async(_ work: @escaping @Sendable () -> Void) {
        let job = Unmanaged.passRetained(Job(name: name, work: work)).toOpaque()
        var attributes = pthread_attr_t()
        pthread_attr_init(&attributes)
        defer { pthread_attr_destroy(&attributes) }
        pthread_attr_setstacksize(&attributes, 1 << 20)
        pthread_attr_setdetachstate(&attributes, Int32(PTHREAD_CREATE_DETACHED))
        var thread = pthread_t()
        let code = pthread_create(
            &thread,
            &attributes,
            { argument in
                let job = Unmanaged<Job>.fromOpaque(argument!).takeRetainedValue()
                clinux_set_thread_name(job.name)
                job.work()
                return nil
            },
            job
        )
        if code != 0 {
            let job = Unmanaged<Job>.fromOpaque(job).takeRetainedValue()
            DispatchQueue.global().async { job.work() }
        }
    }

    /// What a worker thread runs (passed through `pthread_create`'s one pointer).
    private final class Job: Sendable {
        let name: String
        let work: @Sendable () -> Void
        init(name: String, work: @escaping @Sendable () -> Void) {
            self.name = name
            self.work = work
        }
    }

    /// Starts `work` on its own thread as part of `group`.
    func async(group: DispatchGroup, _ work: @escaping @Sendable () -> Void) {
        group.enter()
        async {
            work()
            group.leave()
        }
    }
}
