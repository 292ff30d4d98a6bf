/// CONTRACT §4 role gates of the cache operations (`--compat legacy` only, §4a): a role not allowed answers
/// LLM_PARAM_INVALID naming it.
public enum CacheRoleGate: String, Sendable, CaseIterable {
    case pullCache = "pull_cache"
    case pullBlocks = "pull_blocks"
    case allocateWithCacheKeys = "allocate with cache_keys"
    case allocateWithBlocksKey = "allocate with blocks_cache_key"
    case removeCacheKey = "remove_cache_key"

    /// The roles that may perform the operation.
    public var allowedRoles: [Role] {
        switch self {
        case .pullCache, .pullBlocks: [.decoder, .mix]
        case .allocateWithCacheKeys, .allocateWithBlocksKey, .removeCacheKey: [.prompt, .mix]
        }
    }

    /// Returns when `role` may perform `operation`, else throws the LLM_PARAM_INVALID naming the role. A nil
    /// `role` is a node whose profile has no role gates (`RoleState.gateRole`, CONTRACT §4a): everything is
    /// allowed.
    public static func check(_ operation: CacheRoleGate, role: Role?) throws(APIError) {
        guard let role, !operation.allowedRoles.contains(role) else { return }
        let allowed = operation.allowedRoles.map(\.rawValue).joined(separator: ", ")
        throw .paramInvalid("\(operation.rawValue) is not allowed for \(role.rawValue) (allowed roles: \(allowed))")
    }
}
