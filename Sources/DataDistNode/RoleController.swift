import DataDistModel
import Dispatch
import HTTPServer

/// Runs `PUT /v1/role`: checks in the contract's order, then applies the listener change and commits,
/// one switch at a time (a serial queue), off the HTTP event loop (stopping a listener waits for its
/// in-flight requests).
final class RoleController: Sendable {
    private let core: NodeCore
    private let queue = DispatchQueue(label: "datadist.role-switch")

    init(core: NodeCore) { self.core = core }

    /// Decodes and applies a switch; completes on the role queue.
    func switchRole(body: JSONValue, completion: @escaping @Sendable (Result<JSONValue, APIError>) -> Void) {
        queue.async { completion(self.apply(body)) }
    }

    /// Synchronous form, for the queue and for tests.
    func apply(_ body: JSONValue) -> Result<JSONValue, APIError> {
        let request: RoleSwitchRequest
        switch RoleSwitchRequest.decode(body) {
        case .success(let r): request = r
        case .failure(let e): return .failure(e)
        }
        // Steps 2–7 and the in-progress mark, atomically with respect to links.
        let planned: Result<(RoleSwitchPlan, HTTPServer?), APIError> = core.state.withLock { s in
            switch s.role.plan(request, linkedClusters: s.links.busyClusterIDs) {
            case .failure(let e): return .failure(e)
            case .success(let plan):
                s.switchInProgress = true
                return .success((plan, s.peerServer))
            }
        }
        guard case .success(let (plan, current)) = planned else {
            if case .failure(let e) = planned { return .failure(e) }
            return .failure(APIError(.LLM_FAILED, "unreachable"))
        }
        // Step 8: apply, leaving everything as it was on failure.
        let next: HTTPServer?
        switch applyListener(plan.listener, current: current) {
        case .failure(let e):
            core.state.withLock { $0.switchInProgress = false }
            core.logger.warning("role switch failed", metadata: ["error": "\(e.message)"])
            return .failure(e)
        case .success(let server):
            next = server
        }
        let body = core.state.withLock { s in
            s.role.commit(plan)
            s.peerServer = next
            s.switchInProgress = false
            return NodeCore.roleBody(s.role)
        }
        core.logger.info(
            "role switched",
            metadata: ["role": "\(plan.role.rawValue)", "listen": "\(plan.listen.map { "\($0)" } ?? "none")"]
        )
        return .success(body)
    }

    /// The server that should run after the change (nil = not listening).
    private func applyListener(_ change: ListenerChange, current: HTTPServer?) -> Result<HTTPServer?, APIError> {
        let listener = PeerListener(core: core)
        switch change {
        case .unchanged:
            return .success(current)
        case .stop:
            current?.stop()
            return .success(nil)
        case .listen(let address):
            let oldAddress = core.state.withLock { $0.role.listen }
            if let current, let oldAddress, oldAddress.port == address.port {
                // Same port on another IP: the old socket would make the bind fail, so release it first
                // and put it back if the new bind fails.
                current.stop()
                switch listener.start(on: address) {
                case .success(let server): return .success(server)
                case .failure(let e):
                    switch listener.start(on: oldAddress) {
                    case .success(let restored):
                        core.state.withLock { $0.peerServer = restored }
                        return .failure(e)
                    case .failure(let restoreError):
                        core.logger.error(
                            "could not restore the peer listener",
                            metadata: ["error": "\(restoreError.message)"]
                        )
                        core.state.withLock { s in
                            s.peerServer = nil
                            s.role.listenerClosed()
                        }
                        return .failure(
                            APIError(
                                .LLM_FAILED,
                                "\(e.message); the previous listener on \(oldAddress) could not be restored (\(restoreError.message)), the node is not listening"
                            )
                        )
                    }
                }
            }
            switch listener.start(on: address) {
            case .failure(let e): return .failure(e)
            case .success(let server):
                current?.stop()
                return .success(server)
            }
        }
    }
}
