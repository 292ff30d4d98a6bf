import Testing

@testable import DataDistModel

/// The role state machine of CONTRACT §4 steps 2–8, without sockets, under `--compat legacy` (the revision-1
/// rules; the other profiles are `RoleStateProfileTests`).
@Suite struct RoleStateTests {
    static let a = ListenAddress(host: "127.0.0.1", port: 26000)
    static let b = ListenAddress(host: "127.0.0.1", port: 26001)

    private static func node(
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
            profile: .legacy
        )
    }

    private static func request(_ role: Role, listen: String? = nil, epoch: UInt64? = nil) -> RoleSwitchRequest {
        RoleSwitchRequest(
            role: role,
            options: listen.map { [(key: RoleSwitchRequest.listenIpInfoKey, value: $0)] } ?? [],
            expectedEpoch: epoch
        )
    }

    private static func error(
        _ state: RoleState,
        _ request: RoleSwitchRequest,
        links: [UInt64] = []
    ) -> APIError? {
        failure { try state.plan(request, linkedClusters: links) }
    }

    // MARK: each check alone

    @Test func staleEpochIsMismatchNamingBothEpochs() throws {
        var state = Self.node(.decoder)
        state.commit(RoleSwitchPlan(role: .mix, listen: nil, listener: .unchanged))
        state.commit(RoleSwitchPlan(role: .decoder, listen: nil, listener: .unchanged))
        #expect(state.epoch == 2)
        let e = try #require(Self.error(state, Self.request(.prompt, listen: "127.0.0.1:26000", epoch: 41)))
        #expect(e.status == .EPOCH_MISMATCH)
        #expect(e.status.code == -1)
        #expect(e.status.httpStatus == 409)
        #expect(e.message.contains("41"))
        #expect(e.message.contains("2"))
    }

    @Test func matchingEpochPasses() {
        let plan = outcome { try Self.node(.decoder).plan(Self.request(.mix, epoch: 0), linkedClusters: []) }
        #expect(plan == .success(RoleSwitchPlan(role: .mix, listen: nil, listener: .unchanged)))
    }

    @Test(arguments: Role.allCases)
    func sameRoleIsParamInvalid(role: Role) throws {
        let listen = role == .decoder ? nil : "127.0.0.1:26000"
        let e = try #require(Self.error(Self.node(role, listen: Self.a), Self.request(role, listen: listen)))
        #expect(e.status == .LLM_PARAM_INVALID)
        #expect(e.message.contains("already \(role.rawValue)"))
    }

    @Test(arguments: [Role.decoder, .mix])
    func promptWithoutListenIsParamInvalid(current: Role) throws {
        let e = try #require(Self.error(Self.node(current, listen: Self.a), Self.request(.prompt)))
        #expect(e.status == .LLM_PARAM_INVALID)
        #expect(e.message.contains("llm.listenIpInfo"))
    }

    @Test func decoderWithListenIsParamInvalid() throws {
        let e = try #require(
            Self.error(Self.node(.prompt, listen: Self.a), Self.request(.decoder, listen: "127.0.0.1:26000"))
        )
        #expect(e.status == .LLM_PARAM_INVALID)
        #expect(e.message.contains("DECODER"))
    }

    /// Revision 2 (CONTRACT §4a): unknown option keys are ignored and listed, in every profile, legacy included.
    @Test(arguments: [Role.prompt, .decoder, .mix])
    func unknownOptionKeyIsIgnoredAndListed(target: Role) throws {
        let current: Role = target == .mix ? .decoder : .mix
        var options: [(key: String, value: String)] = [(key: "llm.ListenIpInfo", value: "127.0.0.1:26000")]
        if target == .prompt { options.insert((key: "llm.listenIpInfo", value: "127.0.0.1:26000"), at: 0) }
        let plan = try Self.node(current).plan(RoleSwitchRequest(role: target, options: options), linkedClusters: [])
        #expect(plan.ignoredOptions == ["llm.ListenIpInfo"])
        #expect(plan.listen == (target == .prompt ? Self.a : nil))
    }

    @Test(arguments: [
        ("127.0.0.1", APIStatus.LLM_PARAM_INVALID), ("localhost:80", .LLM_PARAM_INVALID),
        ("127.0.0.1:abc", .VALUE_ERROR), ("127.0.0.1:0", .LLM_PARAM_INVALID), ("127.0.0.1:65536", .LLM_PARAM_INVALID),
    ])
    func badListenAddressKeepsItsClass(listen: String, status: APIStatus) throws {
        for target in [Role.prompt, .mix] {
            let e = try #require(Self.error(Self.node(.decoder), Self.request(target, listen: listen)))
            #expect(e.status == status)
        }
    }

    @Test func featureDisabledIsNotEnabled() throws {
        let e = try #require(Self.error(Self.node(.decoder, enabled: false), Self.request(.mix)))
        #expect(e.status == .LLM_FEATURE_NOT_ENABLED)
        #expect(e.message.contains("--enable-switch-role"))
    }

    @Test func multiDeviceIsNotEnabled() throws {
        let e = try #require(Self.error(Self.node(.decoder, devices: 2), Self.request(.mix)))
        #expect(e.status == .LLM_FEATURE_NOT_ENABLED)
        #expect(e.message.contains("multi-device"))
    }

    @Test func linksListSortedIDs() throws {
        let e = try #require(
            Self.error(Self.node(.decoder), Self.request(.mix), links: [UInt64.max, 5, 1, 30])
        )
        #expect(e.status == .LLM_EXIST_LINK)
        #expect(e.message.contains("[1, 5, 30, 18446744073709551615]"))
    }

    // MARK: order — each input fails two checks; the earlier one answers

    @Test func epochMismatchBeatsSameRole() throws {
        let e = try #require(Self.error(Self.node(.decoder), Self.request(.decoder, epoch: 9)))
        #expect(e.status == .EPOCH_MISMATCH)
    }

    @Test func epochMismatchBeatsEverythingElse() throws {
        let state = Self.node(.mix, enabled: false, devices: 4)
        let e = try #require(Self.error(state, Self.request(.prompt, listen: "nonsense", epoch: 1), links: [3]))
        #expect(e.status == .EPOCH_MISMATCH)
    }

    @Test func sameRoleBeatsBadListen() throws {
        let e = try #require(Self.error(Self.node(.mix), Self.request(.mix, listen: "127.0.0.1:abc")))
        #expect(e.status == .LLM_PARAM_INVALID)
        #expect(e.message.contains("already MIX"))
    }

    @Test func sameRoleBeatsFeatureDisabled() throws {
        let e = try #require(Self.error(Self.node(.decoder, enabled: false), Self.request(.decoder)))
        #expect(e.status == .LLM_PARAM_INVALID)
    }

    @Test func badListenBeatsFeatureDisabled() throws {
        let state = Self.node(.decoder, enabled: false)
        let invalid = try #require(Self.error(state, Self.request(.prompt, listen: "127.0.0.1")))
        #expect(invalid.status == .LLM_PARAM_INVALID)
        let valueError = try #require(Self.error(state, Self.request(.prompt, listen: "127.0.0.1:abc")))
        #expect(valueError.status == .VALUE_ERROR)
        let missing = try #require(Self.error(state, Self.request(.prompt)))
        #expect(missing.status == .LLM_PARAM_INVALID)
        let decoderListen = try #require(
            Self.error(Self.node(.mix, enabled: false), Self.request(.decoder, listen: "127.0.0.1:1"))
        )
        #expect(decoderListen.status == .LLM_PARAM_INVALID)
    }

    @Test func badListenBeatsLinks() throws {
        let e = try #require(Self.error(Self.node(.decoder), Self.request(.prompt, listen: "127.0.0.1"), links: [1]))
        #expect(e.status == .LLM_PARAM_INVALID)
    }

    @Test func featureDisabledBeatsMultiDevice() throws {
        let e = try #require(Self.error(Self.node(.decoder, enabled: false, devices: 2), Self.request(.mix)))
        #expect(e.status == .LLM_FEATURE_NOT_ENABLED)
        #expect(e.message.contains("enable"))
        #expect(!e.message.contains("multi-device"))
    }

    @Test func multiDeviceBeatsLinks() throws {
        let e = try #require(Self.error(Self.node(.decoder, devices: 2), Self.request(.mix), links: [1]))
        #expect(e.status == .LLM_FEATURE_NOT_ENABLED)
        #expect(e.message.contains("multi-device"))
    }

    // MARK: listener changes

    @Test func listenerChanges() {
        let cases: [(RoleState, RoleSwitchRequest, RoleSwitchPlan)] = [
            // Already listening on exactly that address: keep it.
            (
                Self.node(.mix, listen: Self.a), Self.request(.prompt, listen: "127.0.0.1:26000"),
                RoleSwitchPlan(role: .prompt, listen: Self.a, listener: .unchanged)
            ),
            (
                Self.node(.prompt, listen: Self.a), Self.request(.mix, listen: "127.0.0.1:26000"),
                RoleSwitchPlan(role: .mix, listen: Self.a, listener: .unchanged)
            ),
            // Another address (port or host differs): move.
            (
                Self.node(.mix, listen: Self.a), Self.request(.prompt, listen: "127.0.0.1:26001"),
                RoleSwitchPlan(role: .prompt, listen: Self.b, listener: .listen(Self.b))
            ),
            (
                Self.node(.mix, listen: Self.a), Self.request(.prompt, listen: "0.0.0.0:26000"),
                RoleSwitchPlan(
                    role: .prompt,
                    listen: ListenAddress(host: "0.0.0.0", port: 26000),
                    listener: .listen(ListenAddress(host: "0.0.0.0", port: 26000))
                )
            ),
            (
                Self.node(.decoder), Self.request(.prompt, listen: "[::1]:26000"),
                RoleSwitchPlan(
                    role: .prompt,
                    listen: ListenAddress(host: "::1", port: 26000),
                    listener: .listen(ListenAddress(host: "::1", port: 26000))
                )
            ),
            // DECODER stops listening.
            (
                Self.node(.prompt, listen: Self.a), Self.request(.decoder),
                RoleSwitchPlan(role: .decoder, listen: nil, listener: .stop)
            ),
            (
                Self.node(.mix), Self.request(.decoder),
                RoleSwitchPlan(role: .decoder, listen: nil, listener: .unchanged)
            ),
            // MIX listens when told, else stops.
            (
                Self.node(.decoder), Self.request(.mix, listen: "127.0.0.1:26001"),
                RoleSwitchPlan(role: .mix, listen: Self.b, listener: .listen(Self.b))
            ),
            (
                Self.node(.prompt, listen: Self.a), Self.request(.mix, listen: "127.0.0.1:26001"),
                RoleSwitchPlan(role: .mix, listen: Self.b, listener: .listen(Self.b))
            ),
            (
                Self.node(.prompt, listen: Self.a), Self.request(.mix),
                RoleSwitchPlan(role: .mix, listen: nil, listener: .stop)
            ),
            (
                Self.node(.decoder), Self.request(.mix),
                RoleSwitchPlan(role: .mix, listen: nil, listener: .unchanged)
            ),
        ]
        for (state, request, expected) in cases {
            #expect(
                outcome { try state.plan(request, linkedClusters: []) } == .success(expected),
                "\(state.role) → \(request.role)"
            )
        }
    }

    // MARK: commit and value semantics

    @Test func commitBumpsEpochByOneAndSetsRoleAndListen() throws {
        var state = Self.node(.decoder)
        let plan = try state.plan(Self.request(.prompt, listen: "127.0.0.1:26000", epoch: 0), linkedClusters: [])
        state.commit(plan)
        #expect(state.epoch == 1)
        #expect(state.role == .prompt)
        #expect(state.listen == Self.a)
        #expect(state.clusterID == 7)
        #expect(state.switchEnabled)
        #expect(state.deviceCount == 1)
    }

    @Test func failedPlansChangeNothing() {
        let state = Self.node(.prompt, listen: Self.a)
        let before = state
        let failing: [(RoleSwitchRequest, [UInt64])] = [
            (Self.request(.decoder, epoch: 5), []),
            (Self.request(.prompt, listen: "127.0.0.1:26001"), []),
            (Self.request(.mix, listen: "bad"), []),
            (Self.request(.decoder), [2]),
        ]
        for (request, links) in failing {
            guard case .failure = outcome({ try state.plan(request, linkedClusters: links) }) else {
                Issue.record("\(request.role) should fail")
                continue
            }
            #expect(state == before)
        }
        #expect(state.epoch == 0)
        #expect(state.role == .prompt)
        #expect(state.listen == Self.a)
    }

    @Test func planningAloneDoesNotSwitch() throws {
        let state = Self.node(.decoder)
        let before = state
        _ = try state.plan(Self.request(.prompt, listen: "127.0.0.1:26000"), linkedClusters: [])
        #expect(state == before)
    }

    @Test func seedFlowDecoderPromptDecoderMix() throws {
        var state = Self.node(.decoder)
        #expect(state.listen == nil)
        #expect(state.epoch == 0)

        let toPrompt = try state.plan(Self.request(.prompt, listen: "127.0.0.1:26000", epoch: 0), linkedClusters: [])
        #expect(toPrompt.listener == .listen(Self.a))
        state.commit(toPrompt)
        #expect(state.role == .prompt)
        #expect(state.listen == Self.a)
        #expect(state.epoch == 1)

        // The old epoch is now stale.
        let stale = try #require(Self.error(state, Self.request(.decoder, epoch: 0)))
        #expect(stale.status == .EPOCH_MISMATCH)

        let toDecoder = try state.plan(Self.request(.decoder, epoch: 1), linkedClusters: [])
        #expect(toDecoder.listener == .stop)
        state.commit(toDecoder)
        #expect(state.role == .decoder)
        #expect(state.listen == nil)
        #expect(state.epoch == 2)

        let toMix = try state.plan(Self.request(.mix, epoch: 2), linkedClusters: [])
        #expect(toMix.listener == .unchanged)
        state.commit(toMix)
        #expect(state.role == .mix)
        #expect(state.listen == nil)
        #expect(state.epoch == 3)
    }

    @Test func initialListenAndLostListenerDoNotBumpEpoch() {
        var state = Self.node(.prompt)
        state.commitInitialListen(ListenAddress(host: "127.0.0.1", port: 40123))
        #expect(state.listen == ListenAddress(host: "127.0.0.1", port: 40123))
        state.listenerClosed()
        #expect(state.listen == nil)
        #expect(state.epoch == 0)
        #expect(state.role == .prompt)
    }
}
