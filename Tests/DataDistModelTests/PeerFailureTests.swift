import Testing

@testable import DataDistModel

/// The one table from a peer failure to each operation's error (CONTRACT §5, §6).
@Suite struct PeerFailureTests {
    private let refusedToken = PeerFailure.refused(APIError(.UNAUTHORIZED, "no"), httpStatus: 401)
    private let notLinked = PeerFailure.refused(APIError(.LLM_NOT_YET_LINK, "none"), httpStatus: 409)
    private let busy = PeerFailure.refused(APIError(.LLM_LINK_BUSY, "busy"), httpStatus: 409)

    @Test(arguments: PeerOperation.allCases) func timeoutIsAlwaysLLMTimeout(op: PeerOperation) {
        #expect(PeerFailure.timeout("slow").apiError(op, remote: 9).status == .LLM_TIMEOUT)
    }

    @Test func unreachableStatusPerOperation() {
        let f = PeerFailure.unreachable("refused")
        #expect(f.apiError(.link, remote: 9).status == .LLM_LINK_FAILED)
        #expect(f.apiError(.unlink, remote: 9).status == .LLM_UNLINK_FAILED)
        #expect(f.apiError(.probe, remote: 9).status == .LLM_LINK_FAILED)
        #expect(f.apiError(.transfer, remote: 9).status == .LLM_LINK_FAILED)
    }

    @Test func aWrongPeerTokenIsALinkFailure() {
        #expect(refusedToken.apiError(.link, remote: 9).status == .LLM_LINK_FAILED)
        #expect(refusedToken.apiError(.transfer, remote: 9).status == .LLM_LINK_FAILED)
        #expect(refusedToken.apiError(.unlink, remote: 9).status == .LLM_UNLINK_FAILED)
    }

    @Test func linkAndTransferKeepThePeersStatus() {
        #expect(busy.apiError(.link, remote: 9) == APIError(.LLM_LINK_BUSY, "cluster 9: busy"))
        #expect(busy.apiError(.transfer, remote: 9) == APIError(.LLM_LINK_BUSY, "cluster 9: busy"))
    }

    @Test func unlinkAndProbeReportTheirOwnFailure() {
        #expect(busy.apiError(.unlink, remote: 9).status == .LLM_UNLINK_FAILED)
        #expect(busy.apiError(.unlink, remote: 9).message.contains("the link is kept"))
        #expect(busy.apiError(.probe, remote: 9).status == .LLM_LINK_FAILED)
        #expect(notLinked.apiError(.probe, remote: 9).message.contains("no longer holds this link"))
    }

    @Test func onlyANotYetLinkRefusalMeansThePeerHoldsNoLink() {
        #expect(notLinked.peerHoldsNoLink)
        #expect(!busy.peerHoldsNoLink)
        #expect(!PeerFailure.timeout("t").peerHoldsNoLink)
    }

    @Test func aTransferThatBrokeOffSaysSo() {
        let e = PeerFailure.notDataDist("short body").apiError(.transfer, remote: 4)
        #expect(e == APIError(.LLM_LINK_FAILED, "the transfer with cluster 4 broke off: short body"))
    }
}
