/// What went wrong talking to a peer (classified from the client's failure kind), before the operation at hand
/// gives it its status.
public enum PeerFailure: Error, Sendable, Equatable {
    /// Refused, unreachable, reset.
    case unreachable(String)
    case timeout(String)
    /// The peer is a datadist node and refused with this error.
    case refused(APIError, httpStatus: Int)
    /// Something answered that is not a datadist peer listener.
    case notDataDist(String)

    /// The peer answered that it holds no such link (for an unlink: both sides are clean once ours goes).
    public var peerHoldsNoLink: Bool {
        if case .refused(let e, _) = self, e.status == .LLM_NOT_YET_LINK { return true }
        return false
    }
}

/// The calls a node makes to a peer whose failures the API reports (CONTRACT §5, §6).
public enum PeerOperation: Sendable, CaseIterable {
    /// The link handshake (`/v1/peer/link`).
    case link
    /// The unlink notice (`/v1/peer/unlink`); a failure keeps the link.
    case unlink
    /// `check_link_status`'s probe (`/v1/peer/probe`).
    case probe
    /// Pull, push and their acknowledgements (`/v1/peer/pull`, `/v1/peer/push/...`).
    case transfer
}

extension PeerFailure {
    /// The one table from a peer failure to the error an operation answers. Statuses per CONTRACT §5/§6: a
    /// timeout is LLM_TIMEOUT everywhere; an unreachable or foreign peer is LLM_LINK_FAILED (LLM_UNLINK_FAILED
    /// for an unlink); a refusal keeps the peer's status on link and transfer calls (a wrong peer token is
    /// LLM_LINK_FAILED), and is the operation's own failure on unlink and probe.
    public func apiError(_ operation: PeerOperation, remote: UInt64) -> APIError {
        let kept = "the link is kept"
        switch (operation, self) {
        case (_, .timeout(let m)) where operation == .unlink:
            return APIError(.LLM_TIMEOUT, "\(m); \(kept) (retry, or use force)")
        case (_, .timeout(let m)): return APIError(.LLM_TIMEOUT, m)

        case (.unlink, .unreachable(let m)), (.unlink, .notDataDist(let m)):
            return APIError(.LLM_UNLINK_FAILED, "\(m); \(kept) (retry, or use force)")
        case (.transfer, .notDataDist(let m)):
            return APIError(.LLM_LINK_FAILED, "the transfer with cluster \(remote) broke off: \(m)")
        case (_, .unreachable(let m)), (_, .notDataDist(let m)): return APIError(.LLM_LINK_FAILED, m)

        case (.link, .refused(let e, _)) where e.status == .UNAUTHORIZED:
            return APIError(
                .LLM_LINK_FAILED,
                "cluster \(remote)'s peer listener refused the link: peer token missing or wrong"
            )
        case (.transfer, .refused(let e, _)) where e.status == .UNAUTHORIZED:
            return APIError(.LLM_LINK_FAILED, "cluster \(remote) refused the peer token")
        case (.link, .refused(let e, _)), (.transfer, .refused(let e, _)):
            return APIError(e.status, "cluster \(remote): \(e.message)")
        case (.unlink, .refused(let e, _)):
            return APIError(.LLM_UNLINK_FAILED, "cluster \(remote) refused the unlink: \(e.message); \(kept)")
        case (.probe, .refused(let e, _)) where e.status == .LLM_NOT_YET_LINK:
            return APIError(
                .LLM_LINK_FAILED,
                "cluster \(remote) no longer holds this link (it restarted or unlinked); unlink with force"
            )
        case (.probe, .refused(let e, _)): return APIError(.LLM_LINK_FAILED, "cluster \(remote): \(e.message)")
        }
    }
}
