import DataDistModel
import Dispatch
import Synchronization

/// One timer for every key lease: armed for the earliest deadline, it fires `NodeCore.expireLeases`, which pops
/// only the leases that are due (CONTRACT §11). Deadlines are on the node's monotonic clock.
final class LeaseTimer: Sendable {
    private let source = Mutex<(any DispatchSourceTimer)?>(nil)
    /// The deadline the timer is armed for (monotonic ms), if any.
    private let armedFor = Mutex<Int64?>(nil)

    /// Arms (or re-arms earlier) for `deadline`; `fire` runs on the timer's queue.
    func arm(for deadline: Int64?, nowMs: Int64, fire: @escaping @Sendable () -> Void) {
        guard let deadline else { return }
        let earlier = armedFor.withLock { armed -> Bool in
            guard armed == nil || deadline < armed! else { return false }
            armed = deadline
            return true
        }
        guard earlier else { return }
        source.withLock { timer in
            if timer == nil {
                let t = DispatchSource.makeTimerSource(queue: DispatchQueue(label: "datadist.key-leases"))
                t.setEventHandler { [weak self] in
                    self?.armedFor.withLock { $0 = nil }
                    fire()
                }
                t.resume()
                timer = t
            }
            timer?.schedule(deadline: .now() + .milliseconds(Int(max(0, deadline - nowMs))))
        }
    }

    func cancel() {
        source.withLock { $0?.cancel() }
    }

    deinit { cancel() }
}

extension NodeCore {
    /// Grants leases to every key `cacheID` binds (a no-op without `--kv-lease-ms`). Under the state lock.
    static func grantLeases(_ s: inout NodeState, cacheID: Int64, nowMs: Int64) {
        guard s.leases.enabled else { return }
        for key in s.caches.leasedKeys(cacheID: cacheID) { s.leases.grant(key, nowMs: nowMs) }
    }

    /// Re-arms the timer for the earliest lease deadline.
    func armLeaseTimer() {
        let next = state.withLock { $0.leases.nextDeadline }
        leaseTimer.arm(for: next, nowMs: clock.nowMs) { [weak self] in self?.expireLeases() }
    }

    /// How often a due key held by an in-flight pull is looked at again.
    static let inFlightHoldMs: Int64 = 100

    /// Expires the leases that are due: their keys go as by `remove_cache_key` and are remembered for 10 minutes.
    func expireLeases() {
        let now = clock.nowMs
        let expired = state.withLock { s -> [LeasedKey] in
            var expired: [LeasedKey] = []
            for key in s.leases.due(nowMs: now) {
                // A pull of this key in flight finishes first: its acknowledgement consumes the key, or it fails
                // and the key expires shortly after.
                if case .key(let identity) = key, s.transfers.pulls.values.contains(where: { $0.identity == identity })
                {
                    s.leases.hold(key, untilMs: now + Self.inFlightHoldMs)
                    continue
                }
                guard s.caches.expire(key) else { continue }
                s.leases.markExpired(key, nowMs: now)
                expired.append(key)
            }
            return expired
        }
        for key in expired {
            leasesExpired.add(1, ordering: .relaxed)
            logger.info("key lease expired", metadata: ["key": "\(key)"])
            emit("key_expired", [(key: "key", value: .string(key.description))])
        }
        armLeaseTimer()
    }

    /// `lease_expires_at` (RFC 3339) of a key holding a lease, for listings.
    static func leaseExpiry(_ s: NodeState, nowMs: Int64) -> (LeasedKey) -> JSONValue? {
        let wallNow = nowUnixMs()
        return { key in
            guard let deadline = s.leases.deadline(key) else { return nil }
            return .string(RFC3339.format(unixMs: wallNow + (deadline - nowMs)))
        }
    }
}
