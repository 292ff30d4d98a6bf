/// The compatibility profile of a node (CONTRACT §4a, `--compat`): how strictly a role limits what the node
/// may do. LLM-DataDist has two behaviours behind one API — its published `switch_role` page (`documented`), its
/// CacheManager mode where roles are labels (`cache-manager`), and its legacy KvCacheManager (`legacy`, the
/// revision-1 behaviour of this node). Each rule of the §4a table is one property here, so the role state machine
/// and the node ask the profile, never the profile's name.
public enum CompatProfile: String, Sendable, CaseIterable, Equatable {
    case documented
    case cacheManager = "cache-manager"
    case legacy

    /// Accepts the flag's spelling in any letter case (`cache_manager` too).
    public init?(parsing text: String) {
        let t = text.lowercased().replacingUnderscores
        guard let p = CompatProfile(rawValue: t) else { return nil }
        self = p
    }

    /// `PUT /v1/role` needs `--enable-switch-role` (§4 step 5).
    public var switchNeedsEnable: Bool { self != .cacheManager }

    /// A switch to the current role re-applies the listen options instead of answering LLM_PARAM_INVALID (§4 step 3).
    public var allowsSameRoleSwitch: Bool { self == .cacheManager }

    /// A switch to PROMPT must carry `llm.listenIpInfo` (§4 step 4).
    public var promptNeedsListen: Bool { self != .cacheManager }

    /// A DECODER may listen (switch option or `--listen` at start).
    public var decoderMayListen: Bool { self != .legacy }

    /// An initial PROMPT without `--listen` listens on the default address (else it does not listen).
    public var promptListensByDefault: Bool { self != .cacheManager }

    /// The role gates of §4's table apply (link only as DECODER/MIX, keys only as PROMPT/MIX, …).
    public var roleGates: Bool { self == .legacy }

    /// `GET /readyz` needs a bound listener on a PROMPT.
    public var readyNeedsPromptListener: Bool { self != .cacheManager }
}

extension String {
    fileprivate var replacingUnderscores: String { String(map { $0 == "_" ? "-" : $0 }) }
}
