import DataDistModel
import Testing

@testable import DataDistNode

/// CONTRACT §4a at the node: the flag, the start-up rules, the switch answer, `/v1/node`, `/readyz`, the gates.
@Suite struct CompatProfileTests {
    @Test func flagDefaultsToDocumentedAndParsesEveryProfile() throws {
        #expect(try ServeSettings().configuration().compat == .documented)
        for profile in CompatProfile.allCases {
            var s = ServeSettings()
            s.compat = profile.rawValue
            #expect(try s.configuration().compat == profile)
        }
    }

    /// Rows 5 and 6: `--listen` for an initial DECODER; an initial PROMPT without `--listen`.
    @Test(arguments: CompatProfile.allCases)
    func startUpListenRules(profile: CompatProfile) throws {
        var decoder = ServeSettings(role: "decoder", listen: "127.0.0.1:26001")
        decoder.compat = profile.rawValue
        if profile == .legacy {
            #expect(throws: ServeSettings.Invalid.self) { try decoder.configuration() }
        } else {
            #expect(try decoder.configuration().listen == ListenAddress(host: "127.0.0.1", port: 26001))
        }
        var prompt = ServeSettings(role: "prompt")
        prompt.compat = profile.rawValue
        let listen = try prompt.configuration().listen
        #expect(listen == (profile == .cacheManager ? nil : ListenAddress(host: "127.0.0.1", port: 26000)))
    }

    @Test(arguments: CompatProfile.allCases)
    func nodeShowsTheProfileAndSwitchesListIgnoredOptions(profile: CompatProfile) {
        let (_, api) = makeAdmin { $0.compat = profile }
        #expect(call(api, "GET", "/v1/node").json?["compat"] == .string(profile.rawValue))
        let r = call(
            api,
            "PUT",
            "/v1/role",
            body: #"{"role":"MIX","switch_options":{"llm.MemoryUtilization":"0.95","llm.other":"1"}}"#
        )
        #expect(r.status == 200, "\(r.text)")
        #expect(r.json?["ignored_options"] == .array(["llm.MemoryUtilization", "llm.other"]))
        #expect(r.json?["role"] == "MIX")
        let bad = call(api, "PUT", "/v1/role", body: #"{"role":"DECODER","switch_options":{"llm.other":1}}"#)
        #expect(bad.status == 400)
        #expect(bad.errorStatus == "TYPE_ERROR")
    }

    @Test func cacheManagerSwitchesWithoutTheFlagAndToTheSameRole() {
        let (core, api) = makeAdmin { c in
            c.compat = .cacheManager
            c.enableSwitchRole = false
        }
        let same = call(api, "PUT", "/v1/role", body: #"{"role":"DECODER"}"#)
        #expect(same.status == 200, "\(same.text)")
        #expect(same.json?["role_epoch"] == .int(1))
        let prompt = call(api, "PUT", "/v1/role", body: #"{"role":"PROMPT"}"#)
        #expect(prompt.status == 200, "\(prompt.text)")
        #expect(prompt.json?["listen_ip_info"] == .null)
        // A PROMPT without a listener is ready in cache-manager.
        #expect(call(api, "GET", "/readyz").status == 200)
        #expect(core.state.withLock { $0.role.epoch } == 2)
    }

    @Test(arguments: [CompatProfile.documented, .legacy])
    func otherProfilesNeedTheFlagAndAPromptListener(profile: CompatProfile) {
        let (_, api) = makeAdmin { c in
            c.compat = profile
            c.enableSwitchRole = false
        }
        let r = call(api, "PUT", "/v1/role", body: #"{"role":"MIX"}"#)
        #expect(r.status == 409)
        #expect(r.errorStatus == "LLM_FEATURE_NOT_ENABLED")
        let (_, prompt) = makeAdmin { c in
            c.compat = profile
            c.role = .prompt
        }
        #expect(call(prompt, "GET", "/readyz").status == 503)
    }

    /// Row 8: a PROMPT links (and checks links) in every profile but legacy.
    @Test(arguments: CompatProfile.allCases)
    func linkGateOnlyInLegacy(profile: CompatProfile) {
        let (_, api) = makeAdmin { c in
            c.compat = profile
            c.role = .prompt
            c.listen = ListenAddress(host: "127.0.0.1", port: 0)
        }
        let nowhere = freePort()
        let r = call(
            api,
            "POST",
            "/v1/links",
            body: #"{"clusters":[{"remote_cluster_id":5,"remote_ip_info":"127.0.0.1:\#(nowhere)"}],"timeout_ms":2000}"#
        )
        if profile == .legacy {
            #expect(r.status == 400)
            #expect(r.errorMessage?.contains("PROMPT") == true, "\(r.text)")
        } else {
            #expect(r.status == 502, "\(r.text)")
            #expect(r.json?["results"]?.arrayValue?.first?["status"] == "LLM_LINK_FAILED")
        }
        let check = call(api, "GET", "/v1/links/5")
        #expect(check.status == (profile == .legacy ? 400 : 409), "\(check.text)")
    }

    /// Row 8: a DECODER binds keys and a PROMPT removes them in every profile but legacy.
    @Test(arguments: CompatProfile.allCases)
    func keyGatesOnlyInLegacy(profile: CompatProfile) {
        let node = CacheNode(role: .decoder, compat: profile)
        let r = node.allocate(
            #"{"cache_desc":{"num_tensors":1,"shape":[1,16],"data_type":"DT_UINT8"},"cache_keys":[{"prompt_cluster_id":0,"req_id":1}]}"#
        )
        #expect(r.status == (profile == .legacy ? 400 : 201), "\(r.text)")
        let removed = call(node.api, "DELETE", "/v1/cache/keys?req_id=1")
        #expect(removed.status == (profile == .legacy ? 400 : 200), "\(removed.text)")
    }
}
