import Synchronization

/// Idle easy handles per peer, shared by all threads. A handle is checked out for one request and parked
/// again afterwards, keeping its kept-alive connection; at most `maxIdlePerPeer` idle handles per peer are
/// kept, the rest are closed.
final class PeerHandlePool: Sendable {
    private struct State: ~Copyable {
        var idle: [PeerKey: [CurlEasyHandle]] = [:]
        /// Bumped by `closeAll`, so handles in flight at that moment are closed when they come back.
        var generations: [PeerKey: UInt64] = [:]
    }

    private let maxIdlePerPeer: Int
    private let state = Mutex(State())

    init(maxIdlePerPeer: Int) {
        self.maxIdlePerPeer = max(0, maxIdlePerPeer)
    }

    /// An idle handle for `peer` (most recently used first, so its connection is the warmest), or a new one.
    /// Nil only if libcurl cannot create a handle.
    func checkOut(_ peer: PeerKey) -> CurlEasyHandle? {
        let (reused, generation) = state.withLock { state -> (CurlEasyHandle?, UInt64) in
            let generation = state.generations[peer, default: 0]
            state.generations[peer] = generation  // known to `closeAll()` even while every handle is out
            return (state.idle[peer]?.popLast(), generation)
        }
        return reused ?? CurlEasyHandle(peer: peer, generation: generation)
    }

    /// Parks a handle for reuse, or closes it if the peer was dropped meanwhile or enough are idle.
    func checkIn(_ handle: CurlEasyHandle) {
        // A handle that is not parked is released outside the lock: curl_easy_cleanup may close a socket.
        let rejected: CurlEasyHandle? = state.withLock { state in
            guard state.generations[handle.peer, default: 0] == handle.generation,
                state.idle[handle.peer, default: []].count < maxIdlePerPeer
            else { return handle }
            state.idle[handle.peer, default: []].append(handle)
            return nil
        }
        _ = rejected
    }

    /// Closes a handle instead of parking it (its connection is in an unknown state).
    func discard(_ handle: CurlEasyHandle) {
        _ = handle  // released here, outside the lock: curl_easy_cleanup closes its socket
    }

    /// Closes every idle handle of `peer`; handles in use are closed when they are checked in.
    func closeAll(_ peer: PeerKey) {
        let dropped = state.withLock { state -> [CurlEasyHandle] in
            state.generations[peer, default: 0] &+= 1
            return state.idle.removeValue(forKey: peer) ?? []
        }
        _ = dropped
    }

    /// Closes every idle handle of every peer; handles in use are closed when they are checked in.
    func closeAll() {
        let dropped = state.withLock { state -> [[CurlEasyHandle]] in
            for peer in state.generations.keys {
                state.generations[peer]! &+= 1
            }
            defer { state.idle.removeAll() }
            return Array(state.idle.values)
        }
        _ = dropped
    }

    /// Number of idle handles parked for `peer` (for tests and metrics).
    func idleCount(_ peer: PeerKey) -> Int {
        state.withLock { $0.idle[peer]?.count ?? 0 }
    }
}
