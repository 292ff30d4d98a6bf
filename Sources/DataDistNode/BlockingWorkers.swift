import Dispatch
import Foundation

/// Runs blocking peer I/O (libcurl handshakes, pulls, pushes, notices) on a dedicated thread per job.
///
/// Why not a concurrent DispatchQueue: libdispatch on Linux starts about one thread per CPU and adds threads slowly
/// while they block, so one slow or blackholed peer held up every other peer call, and a call's deadline started
/// only when a worker picked it up (measured: 16 link handshakes to a socket that never accepts, timeout 1 s, answered
/// after 4 s; a link to a live prompt meanwhile took 3 s). A thread per call starts at once, so every deadline runs
/// from the request's arrival and nothing queues behind a stalled peer. Jobs are few and long (milliseconds to
/// seconds), so a thread's start-up (tens of microseconds) does not matter.
struct BlockingWorkers: Sendable {
    let name: String

    /// Starts `work` on its own thread now.
    func async(_ work: @escaping @Sendable () -> Void) {
        let thread = Thread { work() }
        thread.name = name
        thread.stackSize = 1 << 20
        thread.start()
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
