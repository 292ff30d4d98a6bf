/// The drain → unlink → apply sequence of a role switch that may remove links (CONTRACT §12). Pure: the runtime
/// feeds it what it observes and executes the action it returns, so every path is tested without sockets.
///
/// Order: checks 1–6 of §4 have passed and admission is closed (new links, transfers and key bindings answer
/// NODE_DRAINING) before the first event. In-flight transfers get until the drain deadline; then every link is
/// unlinked (graceful: the peer is told; force: dropped locally); then the switch applies. Any failure ends the
/// sequence: the runtime reopens admission and reports the outcome.
public struct RoleSwitchSequence: Sendable, Equatable {
    public enum Phase: String, Sendable, Equatable {
        case idle, draining, unlinking, applying
    }

    public enum Action: Sendable, Equatable {
        /// Observe again later (no later than `untilMs`): transfers are still in flight.
        case waitForTransfers(untilMs: Int64)
        /// Unlink these clusters (`force`: locally only) and report with `unlinked(_:failure:)`.
        case unlink([UInt64], force: Bool)
        /// Apply the planned switch and report with `applied(failure:nowMs:)`.
        case apply
        /// Done: reopen admission and answer.
        case finish(Outcome)
    }

    /// What the switch did, shown as `drain` in the answer and in `last_switch`.
    public struct Report: Sendable, Equatable {
        /// Transfers in flight when the drain began.
        public var transfersWaited: Int
        public var unlinked: [UInt64]
        public var tookMs: Int64

        public var json: JSONValue {
            .object([
                "transfers_waited": .int(Int64(transfersWaited)),
                "unlinked": .array(unlinked.map { JSONValue.uint($0).normalized }),
                "took_ms": .int(tookMs),
            ])
        }
    }

    public struct Outcome: Sendable, Equatable {
        public var report: Report
        /// Nil when the switch applied.
        public var error: APIError?
    }

    public private(set) var phase: Phase = .draining
    public let mode: UnlinkMode
    private let startMs: Int64
    private let deadlineMs: Int64
    private var report = Report(transfersWaited: 0, unlinked: [], tookMs: 0)
    private var observed = false

    public init(mode: UnlinkMode, drainTimeoutMs: Int, nowMs: Int64) {
        self.mode = mode
        self.startMs = nowMs
        self.deadlineMs = nowMs + Int64(drainTimeoutMs)
    }

    /// What the runtime sees while draining: transfers still in flight and the links that remain.
    public mutating func observe(transfersInFlight: Int, links: [UInt64], nowMs: Int64) -> Action {
        precondition(phase == .draining, "observe is for the draining phase")
        if !observed {
            observed = true
            report.transfersWaited = transfersInFlight
        }
        if transfersInFlight == 0 {
            if links.isEmpty || mode == .refuse {
                phase = .applying
                return .apply
            }
            phase = .unlinking
            return .unlink(links.sorted(), force: mode == .force)
        }
        if nowMs >= deadlineMs {
            return finish(
                nowMs: nowMs,
                APIError(
                    .LLM_TIMEOUT,
                    "\(transfersInFlight) transfer(s) still in flight after drain_timeout_ms "
                        + "\(deadlineMs - startMs); nothing unlinked, role unchanged"
                )
            )
        }
        return .waitForTransfers(untilMs: deadlineMs)
    }

    /// The unlink step ended: `unlinked` are the clusters now gone; `failure` the first that could not be.
    public mutating func unlinked(_ ids: [UInt64], failure: APIError?, nowMs: Int64) -> Action {
        precondition(phase == .unlinking, "unlinked is for the unlinking phase")
        report.unlinked = ids.sorted()
        if let failure { return finish(nowMs: nowMs, failure) }
        phase = .applying
        return .apply
    }

    /// The switch itself ended.
    public mutating func applied(failure: APIError?, nowMs: Int64) -> Action {
        precondition(phase == .applying, "applied is for the applying phase")
        return finish(nowMs: nowMs, failure)
    }

    private mutating func finish(nowMs: Int64, _ error: APIError?) -> Action {
        phase = .idle
        report.tookMs = max(0, nowMs - startMs)
        return .finish(Outcome(report: report, error: error))
    }
}

extension JSONValue {
    /// `.uint` values that fit Int64 as `.int`, so equal numbers compare equal after a round trip.
    public var normalized: JSONValue {
        if case .uint(let u) = self, u <= UInt64(Int64.max) { return .int(Int64(u)) }
        return self
    }
}
