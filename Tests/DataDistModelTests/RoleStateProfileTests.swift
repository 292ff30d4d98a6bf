import Testing

@testable import DataDistModel

/// Every row of the CONTRACT §4a table, both ways: the profile that applies a rule and the ones that do not.
@Suite struct RoleStateProfileTests {
    static let a = ListenAddress(host: "127.0.0.1", port: 26000)
    static let b = ListenAddress(host: "127.0.0.1", port: 26001)

    private static func node(
        _ profile: CompatProfile,
        _ role: Role,
        listen: ListenAddress? = nil,
        enabled: Bool = true,
        devices: Int = 1
    ) -> RoleState {
        RoleState(
            clusterID: 7,
            role: role,
            listen: listen,
            switchEnabled: enabled,
            deviceCount: devices,
            profile: profile
        )
    }

    private static func request(_ role: Role, listen: String? = nil, extra: [String: String] = [:]) -> RoleSwitchRequest
    {
        var options = listen.map { [(key: RoleSwitchRequest.listenIpInfoKey, value: $0)] } ?? []
        for (k, v) in extra.sorted(by: { $0.key < $1.key }) { options.append((key: k, value: v)) }
        return RoleSwitchRequest(role: role, options: options)
    }

    private static func status(_ state: RoleState, _ request: RoleSwitchRequest, links: [UInt64] = []) -> APIStatus? {
        failure { try state.plan(request, linkedClusters: links) }?.status
    }

    @Test func parsingAcceptsTheFlagSpellings() {
        #expect(CompatProfile(parsing: "documented") == .documented)
        #expect(CompatProfile(parsing: "cache-manager") == .cacheManager)
        #expect(CompatProfile(parsing: "Cache_Manager") == .cacheManager)
        #expect(CompatProfile(parsing: "LEGACY") == .legacy)
        #expect(CompatProfile(parsing: "strict") == nil)
        #expect(CompatProfile(parsing: "") == nil)
    }

    // Row 1: `PUT /v1/role` needs `--enable-switch-role`.
    @Test(arguments: CompatProfile.allCases)
    func switchNeedsEnableExceptInCacheManager(profile: CompatProfile) {
        let got = Self.status(Self.node(profile, .decoder, enabled: false), Self.request(.mix))
        #expect(got == (profile == .cacheManager ? nil : .LLM_FEATURE_NOT_ENABLED))
        // Enabled: every profile lets it through.
        #expect(Self.status(Self.node(profile, .decoder, enabled: true), Self.request(.mix)) == nil)
    }

    // Row 2: target = current role.
    @Test(arguments: CompatProfile.allCases)
    func sameRole(profile: CompatProfile) throws {
        let state = Self.node(profile, .prompt, listen: Self.a)
        let result = outcome { try state.plan(Self.request(.prompt, listen: "127.0.0.1:26001"), linkedClusters: []) }
        switch profile {
        case .cacheManager:
            // Re-applies the listen options: move …
            var s = state
            let move = try result.get()
            #expect(move.listener == .listen(Self.b))
            s.commit(move)
            #expect(s.epoch == 1)
            #expect(s.role == .prompt)
            // … keep …
            #expect(
                try s.plan(Self.request(.prompt, listen: "127.0.0.1:26001"), linkedClusters: []).listener
                    == .unchanged
            )
            // … or stop.
            #expect(try s.plan(Self.request(.prompt), linkedClusters: []).listener == .stop)
        case .documented, .legacy:
            guard case .failure(let e) = result else {
                Issue.record("\(profile): a same-role switch must fail")
                return
            }
            #expect(e.status == .LLM_PARAM_INVALID)
            #expect(e.message.contains("already PROMPT"))
        }
    }

    // Row 3: target PROMPT without `llm.listenIpInfo`.
    @Test(arguments: CompatProfile.allCases)
    func promptWithoutListen(profile: CompatProfile) throws {
        let state = Self.node(profile, .mix, listen: Self.a)
        if profile == .cacheManager {
            let plan = try state.plan(Self.request(.prompt), linkedClusters: [])
            #expect(plan == RoleSwitchPlan(role: .prompt, listen: nil, listener: .stop))
        } else {
            #expect(Self.status(state, Self.request(.prompt)) == .LLM_PARAM_INVALID)
        }
        // With listen info every profile accepts it.
        #expect(Self.status(state, Self.request(.prompt, listen: "127.0.0.1:26001")) == nil)
    }

    // Row 4: `llm.listenIpInfo` with target DECODER.
    @Test(arguments: CompatProfile.allCases)
    func decoderWithListen(profile: CompatProfile) throws {
        let state = Self.node(profile, .prompt, listen: Self.a)
        let request = Self.request(.decoder, listen: "127.0.0.1:26001")
        if profile == .legacy {
            #expect(Self.status(state, request) == .LLM_PARAM_INVALID)
        } else {
            let plan = try state.plan(request, linkedClusters: [])
            #expect(plan == RoleSwitchPlan(role: .decoder, listen: Self.b, listener: .listen(Self.b)))
        }
        // Without listen info every profile accepts it, and the decoder stops listening.
        let plain = try state.plan(Self.request(.decoder), linkedClusters: [])
        #expect(plain.listener == .stop)
    }

    // Row 7 (which node listens): the listener follows the listen info in every non-legacy profile.
    @Test(arguments: CompatProfile.allCases, Role.allCases)
    func listenerFollowsListenInfo(profile: CompatProfile, target: Role) throws {
        let current: Role = target == .mix ? .decoder : .mix
        let state = Self.node(profile, current)
        let withListen = outcome { try state.plan(Self.request(target, listen: "127.0.0.1:26000"), linkedClusters: []) }
        if profile == .legacy && target == .decoder {
            #expect(Self.status(state, Self.request(target, listen: "127.0.0.1:26000")) == .LLM_PARAM_INVALID)
        } else {
            #expect(try withListen.get().listener == .listen(Self.a))
        }
        let without = outcome { try state.plan(Self.request(target), linkedClusters: []) }
        if target == .prompt && profile != .cacheManager {
            #expect(Self.status(state, Self.request(target)) == .LLM_PARAM_INVALID)
        } else {
            #expect(try without.get().listener == .unchanged)
            #expect(try without.get().listen == nil)
        }
    }

    // Row 8: role gates only in legacy.
    @Test(arguments: CompatProfile.allCases, Role.allCases)
    func roleGatesOnlyInLegacy(profile: CompatProfile, role: Role) {
        let state = Self.node(profile, role, listen: role == .decoder ? nil : Self.a)
        #expect(state.gateRole == (profile == .legacy ? role : nil))
        for gate in CacheRoleGate.allCases {
            let refused = failure { try CacheRoleGate.check(gate, role: state.gateRole) } != nil
            #expect(refused == (profile == .legacy && !gate.allowedRoles.contains(role)), "\(profile) \(role) \(gate)")
        }
    }

    // Rows 9 and 10: multi-device and remaining links refuse in every profile.
    @Test(arguments: CompatProfile.allCases)
    func multiDeviceAndLinksRefuseEverywhere(profile: CompatProfile) {
        #expect(Self.status(Self.node(profile, .decoder, devices: 2), Self.request(.mix)) == .LLM_FEATURE_NOT_ENABLED)
        #expect(Self.status(Self.node(profile, .decoder), Self.request(.mix), links: [3]) == .LLM_EXIST_LINK)
        #expect(Self.status(Self.node(profile, .decoder, devices: 1), Self.request(.mix), links: []) == nil)
    }

    // Every profile: unknown options ignored and listed; `llm.listenIpInfo` still read.
    @Test(arguments: CompatProfile.allCases)
    func unknownOptionsAreIgnoredAndListed(profile: CompatProfile) throws {
        let request = Self.request(
            .prompt,
            listen: "127.0.0.1:26000",
            extra: ["llm.MemoryUtilization": "0.95", "ge.exec.deviceId": "0"]
        )
        let plan = try Self.node(profile, .decoder).plan(request, linkedClusters: [])
        #expect(plan.ignoredOptions == ["ge.exec.deviceId", "llm.MemoryUtilization"])
        #expect(plan.listen == Self.a)
        let none = try Self.node(profile, .decoder).plan(Self.request(.mix), linkedClusters: [])
        #expect(none.ignoredOptions.isEmpty)
    }

    /// The official `switch_role` sample's flow in cache-manager: both nodes start without the switch enabled,
    /// the prompt becomes a decoder without listen info, the decoder a prompt that listens.
    @Test func officialSampleFlowInCacheManager() throws {
        var prompt = Self.node(.cacheManager, .prompt, listen: Self.a, enabled: false)
        var decoder = Self.node(.cacheManager, .decoder, enabled: false)
        let p = try prompt.plan(Self.request(.decoder), linkedClusters: [])
        prompt.commit(p)
        let d = try decoder.plan(
            Self.request(.prompt, listen: "127.0.0.1:26001", extra: ["llm.MemoryUtilization": "0.95"]),
            linkedClusters: []
        )
        decoder.commit(d)
        #expect(prompt.role == .decoder && prompt.listen == nil && prompt.epoch == 1)
        #expect(decoder.role == .prompt && decoder.listen == Self.b && decoder.epoch == 1)
        #expect(d.ignoredOptions == ["llm.MemoryUtilization"])
    }
}
