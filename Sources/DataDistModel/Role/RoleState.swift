/// What the runtime must do to the peer listener for a planned switch.
public enum ListenerChange: Sendable, Equatable {
    /// Leave the listener as it is (already listening on exactly this address, or not listening and none wanted).
    case unchanged
    /// Listen on this address (stopping any listener on another address).
    case listen(ListenAddress)
    /// Stop listening.
    case stop
}

/// A switch that passed every check; the runtime applies `listener`, then calls `RoleState.commit`.
public struct RoleSwitchPlan: Sendable, Equatable {
    public var role: Role
    public var listen: ListenAddress?
    public var listener: ListenerChange
    /// `switch_options` keys other than `llm.listenIpInfo`, ignored (CONTRACT §4a) and listed in the answer.
    public var ignoredOptions: [String] = []
}

/// The role state machine of one node (CONTRACT §4). Pure: the runtime owns sockets and serialization.
public struct RoleState: Sendable, Equatable {
    public private(set) var clusterID: UInt64
    public private(set) var role: Role
    public private(set) var epoch: UInt64
    /// The address the peer listener is bound to, or nil when not listening.
    public private(set) var listen: ListenAddress?
    public let switchEnabled: Bool
    public let deviceCount: Int
    /// How strictly the role limits the node (CONTRACT §4a).
    public let profile: CompatProfile

    public init(
        clusterID: UInt64,
        role: Role,
        listen: ListenAddress?,
        switchEnabled: Bool,
        deviceCount: Int,
        profile: CompatProfile = .documented
    ) {
        self.profile = profile
        self.clusterID = clusterID
        self.role = role
        self.epoch = 0
        self.listen = listen
        self.switchEnabled = switchEnabled
        self.deviceCount = deviceCount
    }

    /// The role the §4 role gates check, or nil when the profile has none (roles are labels, CONTRACT §4a).
    public var gateRole: Role? { profile.roleGates ? role : nil }

    /// Steps 2–7 of CONTRACT §4, in order, with the rules of the node's profile (§4a). `linkedClusters` are the remote cluster ids of every link,
    /// inbound and outbound.
    public func plan(_ request: RoleSwitchRequest, linkedClusters: [UInt64]) throws(APIError) -> RoleSwitchPlan {
        // 2. Stale view.
        if let expected = request.expectedEpoch, expected != epoch {
            throw APIError(.EPOCH_MISMATCH, "expected_epoch is \(expected) but the node's role_epoch is \(epoch)")
        }
        // 3. No-op switch (cache-manager: re-applies the listen options).
        if request.role == role && !profile.allowsSameRoleSwitch {
            throw .paramInvalid("the node is already \(role.rawValue); role not changed")
        }
        // 4. Options.
        // The library reads only the listen address; any other key is ignored and listed (§4a).
        var listenText: String?
        var ignored: [String] = []
        for (key, value) in request.options {
            if key == RoleSwitchRequest.listenIpInfoKey { listenText = value } else { ignored.append(key) }
        }
        var address: ListenAddress?
        if let listenText {
            address = try ListenAddress.parse(listenText, field: RoleSwitchRequest.listenIpInfoKey)
        }
        switch request.role {
        case .prompt where address == nil && profile.promptNeedsListen:
            throw .paramInvalid("switching to PROMPT needs switch_options.\(RoleSwitchRequest.listenIpInfoKey)")
        case .decoder where address != nil && !profile.decoderMayListen:
            throw .paramInvalid(
                "\(RoleSwitchRequest.listenIpInfoKey) is not allowed with DECODER: a decoder does not listen"
            )
        default:
            break
        }
        // 5. Feature switch.
        guard switchEnabled || !profile.switchNeedsEnable else {
            throw APIError(
                .LLM_FEATURE_NOT_ENABLED,
                "switch_role is not enabled on this node (start it with --enable-switch-role)"
            )
        }
        // 6. Single-process multi-device mode.
        guard deviceCount <= 1 else {
            throw APIError(
                .LLM_FEATURE_NOT_ENABLED,
                "switch_role is not supported in multi-device mode (\(deviceCount) devices)"
            )
        }
        // 7. Residual links (a draining switch unlinks them itself, CONTRACT §12).
        if request.unlink == .refuse && !linkedClusters.isEmpty {
            let ids = linkedClusters.sorted().map(String.init).joined(separator: ", ")
            throw APIError(.LLM_EXIST_LINK, "links remain with clusters [\(ids)]; unlink them before switching")
        }
        let change: ListenerChange
        if let address {
            change = address == listen ? .unchanged : .listen(address)
        } else {
            change = listen == nil ? .unchanged : .stop
        }
        return RoleSwitchPlan(role: request.role, listen: address, listener: change, ignoredOptions: ignored)
    }

    /// Records the listener bound at start (`--listen`, possibly port 0 resolved to the bound port).
    public mutating func commitInitialListen(_ address: ListenAddress) { listen = address }

    /// The listener was lost outside a switch (it could not be restored after a failed rebind).
    public mutating func listenerClosed() { listen = nil }

    /// Records an applied plan: the new role and listener, `epoch` + 1.
    public mutating func commit(_ plan: RoleSwitchPlan) {
        role = plan.role
        listen = plan.listen
        epoch &+= 1
    }
}
