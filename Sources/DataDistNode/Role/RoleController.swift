import DataDistModel
import Dispatch
import Glibc
import HTTPServer

/// Runs `PUT /v1/role`: checks in the contract's order, then applies the listener change and commits,
/// one switch at a time (a serial queue), off the HTTP event loop (stopping a listener waits for its
/// in-flight requests).
final class RoleController: Sendable {
    private let core: NodeCore
    private let links: LinkController
    private let queue = DispatchQueue(label: "datadist.role-switch")

    init(core: NodeCore, links: LinkController) {
        self.core = core
        self.links = links
    }

    /// Decodes and applies a switch; completes on the role queue with the answer's HTTP status and body.
    /// `respondAsync` (`Prefer: respond-async`): once the checks pass, complete at once with 202 and finish
    /// the switch in the background (its outcome is `last_switch` in `GET /v1/role`).
    func switchRole(
        body: JSONValue,
        respondAsync: Bool = false,
        completion: @escaping @Sendable (Result<(Int, JSONValue), APIError>) -> Void
    ) {
        queue.async {
            if respondAsync {
                var answered = false
                let result = Result { () throws(APIError) in
                    try self.apply(body) { accepted in
                        answered = true
                        completion(.success((202, accepted)))
                    }
                }
                if !answered { completion(result.map { (200, $0) }) }
            } else {
                completion(Result { () throws(APIError) in (200, try self.apply(body)) })
            }
        }
    }

    /// Synchronous form, for the queue and for tests. `accepted` is called once the checks of §4 passed and the
    /// switch is under way (with the `GET` body showing its phase); the result is the switch's outcome.
    func apply(_ body: JSONValue, accepted: ((JSONValue) -> Void)? = nil) throws(APIError) -> JSONValue {
        let request = try RoleSwitchRequest.decode(body)
        // Steps 2–7 (7 only when refusing to unlink), then the in-progress mark or the drain, atomically with
        // respect to links.
        let (plan, current) = try core.state.withLock { s throws(APIError) -> (RoleSwitchPlan, HTTPServer?) in
            let plan = try s.role.plan(request, linkedClusters: s.links.busyClusterIDs)
            if request.unlink == .refuse {
                s.switchInProgress = true
                // Only an asynchronous switch shows its phase; a plain one keeps the revision-1 body.
                if accepted != nil { s.switchPhase = .applying }
            } else {
                s.draining = true
                s.switchPhase = .draining
            }
            return (plan, s.peerServer)
        }
        accepted?(core.roleBody())
        guard request.unlink != .refuse else {
            let outcome = Result { () throws(APIError) in try commit(plan, current: current) }
            core.state.withLock { s in
                s.switchPhase = .idle
                // An asynchronous caller learns the outcome here; a synchronous one from the answer.
                if accepted != nil { s.lastSwitch = Self.lastSwitchJSON(plan.role, outcome, drain: nil) }
            }
            return try outcome.get()
        }
        core.emit(
            "draining",
            [
                (key: "role", value: .string(plan.role.rawValue)),
                (key: "unlink", value: .string(request.unlink.rawValue)),
                (key: "drain_timeout_ms", value: .int(Int64(request.drainTimeoutMs))),
            ]
        )
        return try drainAndSwitch(request, plan, current: current)
    }

    /// Runs the drain → unlink → apply sequence (CONTRACT §12) of a switch that passed its checks.
    private func drainAndSwitch(
        _ request: RoleSwitchRequest,
        _ plan: RoleSwitchPlan,
        current: HTTPServer?
    ) throws(APIError) -> JSONValue {
        let clock = core.clock
        var sequence = RoleSwitchSequence(
            mode: request.unlink,
            drainTimeoutMs: request.drainTimeoutMs,
            nowMs: clock.nowMs
        )
        var applied: Result<JSONValue, APIError>?
        var action = observe(&sequence)
        while true {
            switch action {
            case .waitForTransfers(let untilMs):
                // Transfers end on their own threads; look again shortly (bounded by the drain deadline).
                let pause = max(0, min(5, untilMs - clock.nowMs))
                if pause > 0 { usleep(useconds_t(pause * 1000)) }
                action = observe(&sequence)
            case .unlink(let ids, let force):
                core.state.withLock { $0.switchPhase = .unlinking }
                let (gone, failure) = links.unlinkAll(ids, force: force, timeoutMs: LinkRequest.defaultTimeoutMs)
                action = sequence.unlinked(gone, failure: failure, nowMs: clock.nowMs)
            case .apply:
                core.state.withLock { s in
                    s.switchPhase = .applying
                    s.switchInProgress = true
                }
                let result = Result { () throws(APIError) in try commit(plan, current: current) }
                applied = result
                if case .failure(let e) = result {
                    action = sequence.applied(failure: e, nowMs: clock.nowMs)
                } else {
                    action = sequence.applied(failure: nil, nowMs: clock.nowMs)
                }
            case .finish(let outcome):
                let drain = outcome.report.json
                let result: Result<JSONValue, APIError> = outcome.error.map { .failure($0) } ?? .success(.null)
                // The answer is the GET body once the switch is over (phase idle, last_switch set), plus `drain`.
                let body = core.state.withLock { s in
                    s.draining = false
                    s.switchPhase = .idle
                    s.lastSwitch = Self.lastSwitchJSON(plan.role, result, drain: drain)
                    return NodeCore.roleBody(s)
                }
                if let error = outcome.error {
                    if applied == nil { emitFailure(plan.role, error) }
                    throw error
                }
                guard case .object(var members) = body else {
                    throw APIError(.LLM_FAILED, "the switch ended without an answer")
                }
                members["drain"] = drain
                return .object(members)
            }
        }
    }

    /// Feeds the sequence what the node holds now: transfers in flight (and link handshakes still running, which
    /// must end before links can be removed) and the links that remain.
    private func observe(_ sequence: inout RoleSwitchSequence) -> RoleSwitchSequence.Action {
        let (inFlight, linked) = core.state.withLock { s in
            (s.transfersInFlight + s.links.pending.count, Array(s.links.links.keys))
        }
        return sequence.observe(transfersInFlight: inFlight, links: linked, nowMs: core.clock.nowMs)
    }

    /// Step 8: applies the listener change and commits; on failure nothing changed.
    private func commit(_ plan: RoleSwitchPlan, current: HTTPServer?) throws(APIError) -> JSONValue {
        let next: HTTPServer?
        do throws(APIError) {
            next = try applyListener(plan.listener, current: current)
        } catch {
            core.state.withLock { $0.switchInProgress = false }
            core.logger.warning("role switch failed", metadata: ["error": "\(error.message)"])
            emitFailure(plan.role, error)
            throw error
        }
        var body = core.state.withLock { s in
            s.role.commit(plan)
            s.peerServer = next
            s.switchInProgress = false
            return NodeCore.roleBody(s)
        }
        if case .object(var members) = body {
            members["ignored_options"] = .array(plan.ignoredOptions.map { .string($0) })
            body = .object(members)
        }
        core.logger.info(
            "role switched",
            metadata: ["role": "\(plan.role.rawValue)", "listen": "\(plan.listen.map { "\($0)" } ?? "none")"]
        )
        core.emit(
            "role_changed",
            [
                (key: "role", value: .string(plan.role.rawValue)),
                (key: "role_epoch", value: body.objectValue?["role_epoch"] ?? .null),
                (key: "listen_ip_info", value: plan.listen.map { .string($0.description) } ?? .null),
            ]
        )
        return body
    }

    private func emitFailure(_ role: Role, _ error: APIError) {
        core.emit(
            "role_switch_failed",
            [
                (key: "role", value: .string(role.rawValue)), (key: "status", value: .string(error.status.rawValue)),
                (key: "code", value: .int(error.status.code)), (key: "message", value: .string(error.message)),
            ]
        )
    }

    /// `last_switch` of `GET /v1/role`: the target, the outcome and the drain report.
    private static func lastSwitchJSON(
        _ role: Role,
        _ outcome: Result<JSONValue, APIError>,
        drain: JSONValue?
    )
        -> JSONValue
    {
        var members: JSONObject = [
            "role": .string(role.rawValue), "finished_at": .string(RFC3339.format(unixMs: NodeCore.nowUnixMs())),
        ]
        switch outcome {
        case .success:
            members["status"] = "LLM_SUCCESS"
            members["code"] = 0
        case .failure(let e):
            members["status"] = .string(e.status.rawValue)
            members["code"] = .int(e.status.code)
            members["message"] = .string(e.message)
        }
        if let drain { members["drain"] = drain }
        return .object(members)
    }

    /// The server that should run after the change (nil = not listening).
    private func applyListener(_ change: ListenerChange, current: HTTPServer?) throws(APIError) -> HTTPServer? {
        let listener = PeerListener(core: core)
        switch change {
        case .unchanged:
            return current
        case .stop:
            current?.stop()
            return nil
        case .listen(let address):
            let oldAddress = core.state.withLock { $0.role.listen }
            if let current, let oldAddress, oldAddress.port == address.port {
                // Same port on another IP: the old socket would make the bind fail, so release it first
                // and put it back if the new bind fails.
                current.stop()
                let failure: APIError
                do throws(APIError) {
                    return try listener.start(on: address)
                } catch {
                    failure = error
                }
                let restored: HTTPServer
                do throws(APIError) {
                    restored = try listener.start(on: oldAddress)
                } catch {
                    core.logger.error("could not restore the peer listener", metadata: ["error": "\(error.message)"])
                    core.state.withLock { s in
                        s.peerServer = nil
                        s.role.listenerClosed()
                    }
                    throw APIError(
                        .LLM_FAILED,
                        "\(failure.message); the previous listener on \(oldAddress) could not be restored (\(error.message)), the node is not listening"
                    )
                }
                core.state.withLock { $0.peerServer = restored }
                throw failure
            }
            let server = try listener.start(on: address)
            current?.stop()
            return server
        }
    }
}
