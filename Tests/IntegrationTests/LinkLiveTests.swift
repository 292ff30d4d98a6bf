import DataDistModel
import Dispatch
import Glibc
import HTTPCore
import HTTPServer
import Synchronization
import Testing

/// Links between real nodes on 127.0.0.1 (CONTRACT §5 and the role interplay of §4).
@Suite struct LinkLiveTests {
    @Test func decoderLinksChecksAndUnlinksAndBothSidesSeeIt() throws {
        let p = try LiveNode.prompt(0)
        let d = try LiveNode.decoder(1)
        let r = try #require(d.link([(0, p.peerAddress)]))
        #expect(r.status == 200, "\(r.text)")
        #expect(r.status_ == "LLM_SUCCESS")
        #expect(r.results == ["LLM_SUCCESS"])
        #expect(d.links.map(\.1) == ["outbound"])
        #expect(p.links.map(\.0) == [UInt64(1)])
        #expect(p.links.map(\.1) == ["inbound"])
        let listed = try #require(
            d.request("GET", "/v1/links")?.json?.objectValue?["links"]?.arrayValue?.first?.objectValue
        )
        #expect(listed["remote_ip_info"] == .string(p.peerAddress))
        #expect(listed["remote_boot_id"] == .string(p.node.bootID))
        #expect(listed["linked_at"]?.stringValue?.hasSuffix("Z") == true)
        #expect(listed["bytes_pulled"] == 0)
        // Both sides refuse to switch while linked.
        let dSwitch = try #require(d.switchRole(#"{"role":"MIX"}"#))
        #expect(dSwitch.status == 409)
        #expect(dSwitch.status_ == "LLM_EXIST_LINK")
        #expect(dSwitch.text.contains("[0]"))
        #expect(p.switchRole(#"{"role":"DECODER"}"#)?.status_ == "LLM_EXIST_LINK")
        // check_link_status.
        let check = try #require(d.request("GET", "/v1/links/0") as RawHTTPConnection.Response?)
        #expect(check.status == 200, "\(check.text)")
        #expect(check.status_ == "LLM_SUCCESS")
        #expect(d.request("GET", "/v1/links/5")?.status == 409)
        #expect(d.request("GET", "/v1/links/5")?.status_ == "LLM_NOT_YET_LINK")
        // Repeat → already linked.
        let again = try #require(d.link([(0, p.peerAddress)]))
        #expect(again.status == 409)
        #expect(again.results == ["LLM_ALREADY_LINK"])
        // Non-force unlink: both sides clean, both may switch.
        let u = try #require(d.unlink([(0, p.peerAddress)]))
        #expect(u.status == 200, "\(u.text)")
        #expect(d.links.isEmpty)
        #expect(p.links.isEmpty)
        #expect(p.switchRole(#"{"role":"DECODER"}"#)?.status == 200)
    }

    /// Under `--compat legacy`, whose role gates the end of the flow asserts (CONTRACT §4a).
    @Test func seedFlowRolesReverseAndTheOldPromptLinksToTheNewOne() throws {
        let p = try LiveNode.prompt(0) { $0.compat = .legacy }
        let d = try LiveNode.decoder(1) { $0.compat = .legacy }
        #expect(d.link([(0, p.peerAddress)])?.status == 200)
        #expect(d.unlink([(0, p.peerAddress)])?.status == 200)
        #expect(p.switchRole(#"{"role":"DECODER"}"#)?.status == 200)
        let port = freePort()
        let toPrompt = try #require(
            d.switchRole(#"{"role":"PROMPT","switch_options":{"llm.listenIpInfo":"127.0.0.1:\#(port)"}}"#)
        )
        #expect(toPrompt.status == 200, "\(toPrompt.text)")
        let relink = try #require(p.link([(1, "127.0.0.1:\(port)")]))
        #expect(relink.status == 200, "\(relink.text)")
        #expect(p.links.map(\.1) == ["outbound"])
        #expect(d.links.map(\.1) == ["inbound"])
        // A PROMPT may not link.
        let gated = try #require(d.link([(0, "127.0.0.1:1")]))
        #expect(gated.status == 400)
        #expect(gated.status_ == "LLM_PARAM_INVALID")
        #expect(gated.results.isEmpty)
    }

    @Test func reverseDirectionIsAlreadyLinked() throws {
        let a = try LiveNode.prompt(10) { $0.role = .mix }
        let b = try LiveNode.prompt(11) { $0.role = .mix }
        #expect(a.link([(11, b.peerAddress)])?.status == 200)
        let reverse = try #require(b.link([(10, a.peerAddress)]))
        #expect(reverse.status == 409)
        #expect(reverse.results == ["LLM_ALREADY_LINK"])
    }

    @Test func listenerUnlinksItsInboundLinkThroughTheCallback() throws {
        let p = try LiveNode.prompt(0)
        let d = try LiveNode.decoder(1)
        #expect(d.link([(1 - 1, p.peerAddress)])?.status == 200)
        let r = try #require(p.request("DELETE", "/v1/links/1"))
        #expect(r.status == 200, "\(r.text)")
        #expect(p.links.isEmpty)
        #expect(d.links.isEmpty)
    }

    @Test func twelveDecodersLinkToOnePromptConcurrentlyAndUnlink() throws {
        let p = try LiveNode.prompt(0)
        let decoders = try (1...12).map { try LiveNode.decoder(UInt64($0)) }
        let address = p.peerAddress
        let statuses = Mutex<[Int]>([])
        DispatchQueue.concurrentPerform(iterations: decoders.count) { i in
            let s = decoders[i].link([(0, address)])?.status ?? 0
            statuses.withLock { $0.append(s) }
        }
        #expect(statuses.withLock { $0 } == Array(repeating: 200, count: 12))
        #expect(p.links.map(\.0) == (1...12).map { UInt64($0) })
        statuses.withLock { $0 = [] }
        DispatchQueue.concurrentPerform(iterations: decoders.count) { i in
            let s = decoders[i].unlink([(0, address)])?.status ?? 0
            statuses.withLock { $0.append(s) }
        }
        #expect(statuses.withLock { $0 } == Array(repeating: 200, count: 12))
        #expect(p.links.isEmpty)
        #expect(decoders.allSatisfy { $0.links.isEmpty })
    }

    @Test func killedPromptKeepsTheLinkUntilForceUnlink() throws {
        var p: LiveNode? = try LiveNode.prompt(0)
        let address = p!.peerAddress
        let d = try LiveNode.decoder(1)
        #expect(d.link([(0, address)])?.status == 200)
        p = nil  // the prompt goes away
        let check = try #require(d.request("GET", "/v1/links/0") as RawHTTPConnection.Response?)
        #expect(check.status == 502)
        #expect(check.status_ == "LLM_LINK_FAILED")
        let u = try #require(d.unlink([(0, address)], timeoutMs: 500))
        #expect(u.status == 502, "\(u.text)")
        #expect(u.results == ["LLM_UNLINK_FAILED"])
        #expect(d.links.map(\.0) == [UInt64(0)])
        #expect(d.switchRole(#"{"role":"MIX"}"#)?.status_ == "LLM_EXIST_LINK")
        let forced = try #require(d.unlink([(0, address)], force: true))
        #expect(forced.status == 200)
        #expect(d.links.isEmpty)
        #expect(d.switchRole(#"{"role":"MIX"}"#)?.status == 200)
        // Force unlink of an unknown cluster is a success.
        #expect(d.unlink([(42, address)], force: true)?.results == ["LLM_SUCCESS"])
    }

    @Test func blackholedAddressTimesOutWithinTheTimeout() throws {
        let d = try LiveNode.decoder(1)
        let hole = Blackhole()
        let start = ContinuousClock.now
        let r = try #require(d.link([(0, "127.0.0.1:\(hole.port)")], timeoutMs: 500))
        let elapsed = ContinuousClock.now - start
        #expect(r.status == 504, "\(r.text)")
        #expect(r.results == ["LLM_TIMEOUT"])
        #expect(elapsed < .seconds(3))
        #expect(elapsed >= .milliseconds(450))
        #expect(d.links.isEmpty)
    }

    @Test func aPlainHTTPServerIsNotADataDistPeer() throws {
        let d = try LiveNode.decoder(1)
        let plain = HTTPServer(
            configuration: HTTPServerConfiguration(host: "127.0.0.1", port: 0),
            handler: PlainHandler()
        )
        try plain.start()
        defer { plain.stop() }
        let r = try #require(d.link([(0, "127.0.0.1:\(plain.port)")]))
        #expect(r.status == 502)
        #expect(r.results == ["LLM_LINK_FAILED"])
        #expect(r.text.contains("not a datadist peer listener"), "\(r.text)")
    }

    @Test func wrongClusterIdIsRefusedSayingWhatWasFound() throws {
        let p = try LiveNode.prompt(7)
        let d = try LiveNode.decoder(1)
        let r = try #require(d.link([(8, p.peerAddress)]))
        #expect(r.status == 502)
        #expect(r.results == ["LLM_LINK_FAILED"])
        #expect(r.text.contains("cluster 7"), "\(r.text)")
        #expect(p.links.isEmpty)
    }

    @Test func partialBatchKeepsTheGoodLinkAndReportsTheLastFailure() throws {
        let p = try LiveNode.prompt(0)
        let d = try LiveNode.decoder(1)
        let refused = freePort()
        let r = try #require(d.link([(0, p.peerAddress), (2, "127.0.0.1:\(refused)"), (3, "not-an-address")]))
        #expect(r.results == ["LLM_SUCCESS", "LLM_LINK_FAILED", "LLM_PARAM_INVALID"])
        #expect(r.status_ == "LLM_PARAM_INVALID")
        #expect(r.status == 400)
        #expect(d.links.map(\.0) == [UInt64(0)])
        #expect(d.request("GET", "/v1/links/0")?.status == 200)
    }

    @Test func wholeCallProblemsAnswerTheStandardErrorBody() throws {
        let d = try LiveNode.decoder(1)
        let seventeen = (0..<17).map { #"{"remote_cluster_id":\#($0 + 100),"remote_ip_info":"127.0.0.1:1"}"# }
        let cases: [(String, Int, String)] = [
            (#"{"clusters":[]}"#, 400, "LLM_PARAM_INVALID"),
            (#"{"clusters":[\#(seventeen.joined(separator: ","))]}"#, 400, "LLM_CLUSTER_NUM_EXCEED_LIMIT"),
            (
                #"{"clusters":[{"remote_cluster_id":0,"remote_ip_info":"127.0.0.1:1"}],"timeout_ms":0}"#, 400,
                "LLM_PARAM_INVALID"
            ),
            (#"{"clusters":"x"}"#, 400, "TYPE_ERROR"),
            (#"{"clusters":[{"remote_cluster_id":"0"}]}"#, 400, "TYPE_ERROR"),
            (#"{"clusters":[{"remote_cluster_id":-1}]}"#, 400, "VALUE_ERROR"),
        ]
        for (body, http, status) in cases {
            let r = try #require(d.request("POST", "/v1/links", body: body))
            #expect(r.status == http, "\(body) → \(r.text)")
            #expect(r.json?.objectValue?["error"]?.objectValue?["status"]?.stringValue == status, "\(body) → \(r.text)")
        }
        #expect(d.links.isEmpty)
    }

    @Test func maxLinksLimitsTheClustersOverIt() throws {
        let p1 = try LiveNode.prompt(0)
        let p2 = try LiveNode.prompt(2)
        let d = try LiveNode.decoder(1) { $0.maxLinks = 1 }
        let r = try #require(d.link([(0, p1.peerAddress), (2, p2.peerAddress)]))
        #expect(r.results == ["LLM_SUCCESS", "LLM_CLUSTER_NUM_EXCEED_LIMIT"])
        #expect(r.status == 400)
        #expect(d.links.map(\.0) == [UInt64(0)])
        #expect(p2.links.isEmpty)
    }

    @Test func peerTokenIsRequiredByAListenerThatHasOne() throws {
        let p = try LiveNode.prompt(0) { $0.peerToken = "shared-secret" }
        let stranger = try LiveNode.decoder(1)
        let r = try #require(stranger.link([(0, p.peerAddress)]))
        #expect(r.status == 502)
        #expect(r.results == ["LLM_LINK_FAILED"])
        #expect(r.text.contains("peer token"))
        #expect(!r.text.contains("shared-secret"))
        let friend = try LiveNode.decoder(2) { $0.peerToken = "shared-secret" }
        #expect(friend.link([(0, p.peerAddress)])?.status == 200)
    }

    @Test func restartedLinkerReplacesItsStaleInboundEntry() throws {
        let p = try LiveNode.prompt(0)
        var d: LiveNode? = try LiveNode.decoder(1)
        #expect(d!.link([(0, p.peerAddress)])?.status == 200)
        d = nil  // gone without unlinking
        let reborn = try LiveNode.decoder(1)
        let r = try #require(reborn.link([(0, p.peerAddress)]))
        #expect(r.status == 200, "\(r.text)")
        #expect(p.links.map(\.0) == [UInt64(1)])
        #expect(reborn.unlink([(0, p.peerAddress)])?.status == 200)
        #expect(p.links.isEmpty)
    }

    @Test func concurrentLinkOfTheSameClusterIsProcessingLink() throws {
        let d = try LiveNode.decoder(1)
        let hole = Blackhole()
        let first = Mutex<RawHTTPConnection.Response?>(nil)
        let done = DispatchSemaphore(value: 0)
        DispatchQueue.global().async {
            let r = d.link([(0, "127.0.0.1:\(hole.port)")], timeoutMs: 1500)
            first.withLock { $0 = r }
            done.signal()
        }
        // Wait until the first call holds its reservation, then race it; a switch must see it too.
        #expect(eventually { d.request("GET", "/v1/node")?.json?.objectValue?["links_in_progress"] == 1 })
        #expect(d.switchRole(#"{"role":"MIX"}"#)?.status_ == "LLM_EXIST_LINK")
        let second = try #require(d.link([(0, "127.0.0.1:\(hole.port)")], timeoutMs: 500))
        #expect(second.results == ["LLM_PROCESSING_LINK"])
        #expect(second.status == 409)
        _ = done.wait(timeout: .now() + 10)
        #expect(first.withLock { $0?.results } == ["LLM_TIMEOUT"])
    }

    @Test func unlinkQueryParametersAreValidated() throws {
        let d = try LiveNode.decoder(1)
        #expect(d.request("DELETE", "/v1/links/0?force=maybe")?.status_ == "TYPE_ERROR")
        #expect(d.request("DELETE", "/v1/links/0?timeout_ms=0")?.status_ == "LLM_PARAM_INVALID")
        #expect(d.request("DELETE", "/v1/links/0?verbose=1")?.status_ == "LLM_PARAM_INVALID")
        #expect(d.request("DELETE", "/v1/links/abc")?.status_ == "TYPE_ERROR")
        #expect(d.request("DELETE", "/v1/links/0?force=true")?.results == ["LLM_SUCCESS"])
    }
}

/// A listening socket that never accepts: connections complete in the kernel and are never answered.
final class Blackhole: Sendable {
    let fd: Int32
    let port: Int
    init() {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        self.fd = fd
        var addr = sockaddr_in()
        addr.sin_family = sa_family_t(AF_INET)
        addr.sin_addr.s_addr = inet_addr("127.0.0.1")
        _ = withUnsafePointer(to: &addr) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                bind(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size))
            }
        }
        listen(fd, 64)
        var len = socklen_t(MemoryLayout<sockaddr_in>.size)
        _ = withUnsafeMutablePointer(to: &addr) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(fd, $0, &len) }
        }
        self.port = Int(UInt16(bigEndian: addr.sin_port))
    }
    deinit { close(fd) }
}

/// An HTTP server that is not datadist: answers every request with a small HTML page.
struct PlainHandler: HTTPHandler {
    func accept(_ head: HTTPRequestHead) -> HTTPAcceptance {
        .accept(
            HTTPAcceptedRequest(bodyLimit: 1 << 20) { _, responder in
                responder.respond(
                    HTTPResponse(
                        status: 200,
                        headers: ["Content-Type": "text/html"],
                        body: Array("<html>hi</html>".utf8)
                    )
                )
            }
        )
    }
    func errorResponse(status: Int, reason: String) -> HTTPResponse { HTTPResponse(status: status) }
}
