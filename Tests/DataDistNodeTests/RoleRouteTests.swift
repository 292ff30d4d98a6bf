import DataDistModel
import Glibc
import HTTPCore
import Testing

@testable import DataDistNode

/// `GET`/`PUT /v1/role` through the admin handler, with real peer listeners bound on 127.0.0.1.
@Suite struct RoleRouteTests {
    @Test func getRoleShape() throws {
        let (_, api) = makeAdmin { $0.clusterID = 18_446_744_073_709_551_615 }
        let r = call(api, "GET", "/v1/role")
        #expect(r.status == 200)
        #expect(r.headers["Content-Type"] == "application/json")
        #expect(
            r.text
                == #"{"cluster_id":18446744073709551615,"role":"DECODER","role_epoch":0,"listen_ip_info":null,"switch_role_enabled":true}"#
        )
    }

    @Test func decoderToPromptStartsListenerAndBack() throws {
        let (core, api) = makeAdmin()
        let port = freePort()
        let r = call(
            api,
            "PUT",
            "/v1/role",
            body: #"{"role":"prompt","switch_options":{"llm.listenIpInfo":"127.0.0.1:\#(port)"}}"#
        )
        #expect(r.status == 200, "\(r.text)")
        #expect(r.json?["role"] == "PROMPT")
        #expect(r.json?["role_epoch"] == 1)
        #expect(r.json?["listen_ip_info"] == .string("127.0.0.1:\(port)"))
        #expect(isListening(port))
        let back = call(api, "PUT", "/v1/role", body: #"{"role":"DECODER","expected_epoch":1}"#)
        #expect(back.status == 200, "\(back.text)")
        #expect(back.json?["listen_ip_info"] == .null)
        #expect(back.json?["role_epoch"] == 2)
        #expect(!isListening(port))
        #expect(core.state.withLock { $0.peerServer == nil })
    }

    @Test func bindFailureChangesNothing() throws {
        let (core, api) = makeAdmin()
        let taken = TCPSocketForTests.bound(port: 0, listen: true)
        defer { _ = Glibc.close(taken.fd) }
        let before = core.state.withLock { $0.role }
        let r = call(
            api,
            "PUT",
            "/v1/role",
            body: #"{"role":"PROMPT","switch_options":{"llm.listenIpInfo":"127.0.0.1:\#(taken.port)"}}"#
        )
        #expect(r.status == 500)
        #expect(r.errorStatus == "LLM_FAILED")
        #expect(r.errorMessage?.contains("in use") == true, "\(r.text)")
        #expect(core.state.withLock { $0.role } == before)
        #expect(core.state.withLock { $0.peerServer == nil })
        #expect(call(api, "GET", "/v1/role").json?["role"] == "DECODER")
    }

    @Test func promptMovesListenerToNewPortAndKeepsSameAddress() throws {
        let (_, api) = makeAdmin { $0.role = .mix }
        let p1 = freePort()
        let p2 = freePort()
        #expect(
            call(
                api,
                "PUT",
                "/v1/role",
                body: #"{"role":"PROMPT","switch_options":{"llm.listenIpInfo":"127.0.0.1:\#(p1)"}}"#
            ).status == 200
        )
        #expect(isListening(p1))
        let toMix = call(
            api,
            "PUT",
            "/v1/role",
            body: #"{"role":"MIX","switch_options":{"llm.listenIpInfo":"127.0.0.1:\#(p2)"}}"#
        )
        #expect(toMix.status == 200, "\(toMix.text)")
        #expect(isListening(p2))
        #expect(!isListening(p1))
        // Same exact address: listener kept.
        #expect(
            call(
                api,
                "PUT",
                "/v1/role",
                body: #"{"role":"PROMPT","switch_options":{"llm.listenIpInfo":"127.0.0.1:\#(p2)"}}"#
            ).status == 200
        )
        #expect(isListening(p2))
        // MIX without listen info stops listening.
        #expect(call(api, "PUT", "/v1/role", body: #"{"role":"MIX"}"#).json?["listen_ip_info"] == .null)
        #expect(!isListening(p2))
    }

    @Test(arguments: [
        (#"not json"#, "TYPE_ERROR", 400),
        (#"[]"#, "TYPE_ERROR", 400),
        (#"{"role":1}"#, "TYPE_ERROR", 400),
        (#"{"role":"PROMPT","switch_options":"x"}"#, "TYPE_ERROR", 400),
        (#"{"role":"PROMPT","switch_options":{"llm.listenIpInfo":1}}"#, "TYPE_ERROR", 400),
        (#"{"role":"LEADER"}"#, "VALUE_ERROR", 400),
        (#"{"role":"PROMPT","expected_epoch":7}"#, "EPOCH_MISMATCH", 409),
        (#"{"role":"decoder"}"#, "LLM_PARAM_INVALID", 400),
        (#"{"role":"PROMPT"}"#, "LLM_PARAM_INVALID", 400),
        (#"{"role":"PROMPT","switch_options":{"llm.listenIpInfo":"127.0.0.1"}}"#, "LLM_PARAM_INVALID", 400),
        (#"{"role":"PROMPT","switch_options":{"llm.listenIpInfo":"127.0.0.1:abc"}}"#, "VALUE_ERROR", 400),
        (#"{"role":"PROMPT","switch_options":{"llm.listenIpInfo":"127.0.0.1:70000"}}"#, "LLM_PARAM_INVALID", 400),
    ])
    func rejectedSwitchesAnswerTheirStatus(body: String, status: String, http: Int) {
        let (core, api) = makeAdmin()
        let before = core.state.withLock { $0.role }
        let r = call(api, "PUT", "/v1/role", body: body)
        #expect(r.status == http, "\(body) → \(r.text)")
        #expect(r.errorStatus == status, "\(body) → \(r.text)")
        #expect(
            r.json?["error"]?["code"] == (status.hasPrefix("LLM_") ? .int(APIStatus(rawValue: status)!.code) : .int(-1))
        )
        #expect(core.state.withLock { $0.role } == before)
    }

    @Test func switchDisabledAnswersFeatureNotEnabled() {
        let (_, api) = makeAdmin { $0.enableSwitchRole = false }
        let r = call(api, "PUT", "/v1/role", body: #"{"role":"MIX"}"#)
        #expect(r.status == 409)
        #expect(r.errorStatus == "LLM_FEATURE_NOT_ENABLED")
    }

    @Test func multiDeviceAnswersFeatureNotEnabled() {
        let (_, api) = makeAdmin { $0.deviceIDs = [0, 1] }
        let r = call(api, "PUT", "/v1/role", body: #"{"role":"MIX"}"#)
        #expect(r.status == 409)
        #expect(r.errorStatus == "LLM_FEATURE_NOT_ENABLED")
        #expect(r.errorMessage?.contains("multi-device") == true)
    }

    @Test func remainingLinksAnswerExistLinkWithIds() {
        let (core, api) = makeAdmin()
        core.state.withLock { s in
            s.links.insert(
                Link(
                    remoteClusterID: 7,
                    direction: .inbound,
                    remoteIPInfo: "127.0.0.1:1",
                    remoteBootID: "b",
                    linkedAtMs: 0
                )
            )
            s.links.insert(
                Link(
                    remoteClusterID: 3,
                    direction: .outbound,
                    remoteIPInfo: "127.0.0.1:2",
                    remoteBootID: "c",
                    linkedAtMs: 0
                )
            )
        }
        let r = call(api, "PUT", "/v1/role", body: #"{"role":"MIX"}"#)
        #expect(r.status == 409)
        #expect(r.errorStatus == "LLM_EXIST_LINK")
        #expect(r.json?["error"]?["code"] == 1_343_270_936)
        #expect(r.errorMessage?.contains("[3, 7]") == true, "\(r.text)")
    }

    @Test func concurrentSwitchesAreSerialized() async throws {
        let (core, api) = makeAdmin()
        let ports = (0..<6).map { _ in freePort() }
        // Each PUT names the epoch it expects; serialized, exactly one per epoch can win, and the
        // final epoch equals the number of successes.
        let results = await withTaskGroup(of: Int.self) { group in
            for (i, port) in ports.enumerated() {
                group.addTask {
                    let body =
                        i % 2 == 0
                        ? #"{"role":"PROMPT","switch_options":{"llm.listenIpInfo":"127.0.0.1:\#(port)"}}"#
                        : #"{"role":"DECODER"}"#
                    return call(api, "PUT", "/v1/role", body: body).status
                }
            }
            var statuses: [Int] = []
            for await s in group { statuses.append(s) }
            return statuses
        }
        let ok = results.filter { $0 == 200 }.count
        #expect(ok >= 1)
        #expect(results.allSatisfy { $0 == 200 || $0 == 400 })
        #expect(core.state.withLock { $0.role.epoch } == UInt64(ok))
        let s = core.state.withLock { ($0.role.role, $0.role.listen, $0.peerServer) }
        #expect((s.0 == .prompt) == (s.1 != nil))
        #expect((s.2 != nil) == (s.1 != nil))
        if let listen = s.1 { #expect(isListening(Int(listen.port))) }
        _ = call(api, "PUT", "/v1/role", body: #"{"role":"DECODER"}"#)
    }
}
