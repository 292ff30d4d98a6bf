import DataDistModel
import HTTPCore
import Testing

@testable import DataDistNode

/// The listener side of the peer protocol, through the peer handler (no sockets).
@Suite struct PeerLinkServiceTests {
    static func listener(_ configure: (inout NodeConfiguration) -> Void = { _ in }) -> (NodeCore, PeerAPI) {
        var c = NodeConfiguration()
        c.clusterID = 5
        c.role = .prompt
        configure(&c)
        let core = makeCore(c)
        return (core, PeerAPI(core: core))
    }

    static func offer(linker: UInt64 = 9, listener: UInt64 = 5, version: Int = 1, boot: String = "boot-a") -> String {
        PeerLinkOffer(
            protocolVersion: version,
            linkerClusterID: linker,
            listenerClusterID: listener,
            linkerBootID: boot,
            callbackIPInfo: "127.0.0.1:9201",
            linkSecret: "0123456789abcdef0123"
        ).json.serialized
    }

    @Test func acceptedOfferRecordsAnInboundLinkAndAnswersTheIdentity() throws {
        let (core, api) = Self.listener()
        let r = call(api, "POST", "/v1/peer/link", body: Self.offer())
        #expect(r.status == 200, "\(r.text)")
        let identity = try #require(r.json.flatMap(PeerIdentity.decode))
        #expect(identity.clusterID == 5)
        #expect(identity.bootID == core.bootID)
        let link = try #require(core.state.withLock { $0.links[9] })
        #expect(link.direction == .inbound)
        #expect(link.remoteIPInfo == "127.0.0.1:9201")
    }

    @Test func wrongListenerIdOtherVersionAndSameIdAreLinkFailed() {
        let (core, api) = Self.listener()
        let wrong = call(api, "POST", "/v1/peer/link", body: Self.offer(listener: 6))
        #expect(wrong.status == 502)
        #expect(wrong.errorMessage?.contains("cluster 5") == true)
        let version = call(api, "POST", "/v1/peer/link", body: Self.offer(version: 2))
        #expect(version.errorStatus == "LLM_LINK_FAILED")
        #expect(version.errorMessage?.contains("version 2") == true)
        #expect(call(api, "POST", "/v1/peer/link", body: Self.offer(linker: 5)).errorStatus == "LLM_LINK_FAILED")
        #expect(call(api, "POST", "/v1/peer/link", body: #"{"protocol_version":1}"#).errorStatus == "LLM_PARAM_INVALID")
        #expect(core.state.withLock { $0.links.isEmpty })
    }

    @Test func listenerMaxLinksAndSwitchInProgress() {
        let (core, api) = Self.listener { $0.maxLinks = 1 }
        #expect(call(api, "POST", "/v1/peer/link", body: Self.offer(linker: 1)).status == 200)
        #expect(
            call(api, "POST", "/v1/peer/link", body: Self.offer(linker: 2)).errorStatus
                == "LLM_CLUSTER_NUM_EXCEED_LIMIT"
        )
        // A relink of the same linker replaces its entry even at the limit.
        #expect(call(api, "POST", "/v1/peer/link", body: Self.offer(linker: 1, boot: "boot-b")).status == 200)
        core.state.withLock { $0.switchInProgress = true }
        #expect(call(api, "POST", "/v1/peer/link", body: Self.offer(linker: 1)).errorStatus == "LLM_PROCESSING_LINK")
    }

    @Test func unlinkAndProbeNeedTheLinkSecret() {
        let (core, api) = Self.listener()
        #expect(call(api, "POST", "/v1/peer/link", body: Self.offer()).status == 200)
        let good = PeerLinkNotice(clusterID: 9, bootID: "boot-a", linkSecret: "0123456789abcdef0123").json.serialized
        let bad = PeerLinkNotice(clusterID: 9, bootID: "boot-a", linkSecret: "nope").json.serialized
        #expect(call(api, "POST", "/v1/peer/probe", body: good).status == 200)
        #expect(call(api, "POST", "/v1/peer/probe", body: bad).errorStatus == "LLM_NOT_YET_LINK")
        #expect(call(api, "POST", "/v1/peer/unlink", body: bad).errorStatus == "LLM_NOT_YET_LINK")
        #expect(core.state.withLock { $0.links.count } == 1)
        #expect(call(api, "POST", "/v1/peer/unlink", body: good).status == 200)
        #expect(core.state.withLock { $0.links.isEmpty })
        // Unknown link: success (idempotent); probe: not linked.
        #expect(call(api, "POST", "/v1/peer/unlink", body: good).status == 200)
        #expect(call(api, "POST", "/v1/peer/probe", body: good).errorStatus == "LLM_NOT_YET_LINK")
    }

    @Test func peerTokenIsCheckedBeforeAnyRoute() {
        let (_, api) = Self.listener { $0.peerToken = "tok" }
        #expect(call(api, "POST", "/v1/peer/link", body: Self.offer()).status == 401)
        #expect(call(api, "GET", "/v1/peer/hello").status == 401)
        let ok = call(
            api,
            "POST",
            "/v1/peer/link",
            body: Self.offer(),
            headers: ["Host": "x", "Authorization": "Bearer tok"]
        )
        #expect(ok.status == 200)
    }
}
