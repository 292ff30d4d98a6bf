/// One entry of `clusters` in a link or unlink call (LLM-DataDist `LLMClusterInfo`).
public struct ClusterSpec: Sendable, Equatable {
    public var remoteClusterID: UInt64
    /// `IP:PORT` text as given (validated per cluster: a bad one fails only that cluster).
    public var remoteIPInfo: String?
    /// Local IP literal as given (validated per cluster).
    public var localIPInfo: String?

    public init(remoteClusterID: UInt64, remoteIPInfo: String? = nil, localIPInfo: String? = nil) {
        self.remoteClusterID = remoteClusterID
        self.remoteIPInfo = remoteIPInfo
        self.localIPInfo = localIPInfo
    }

    /// The remote peer-listener address; any defect is this cluster's LLM_PARAM_INVALID.
    public func remoteAddress() throws(APIError) -> ListenAddress {
        guard let text = remoteIPInfo else {
            throw .paramInvalid("cluster \(remoteClusterID): remote_ip_info is required")
        }
        do {
            return try ListenAddress.parse(text, field: "remote_ip_info")
        } catch {
            throw .paramInvalid("cluster \(remoteClusterID): \(error.message)")
        }
    }

    /// The local IP literal, or nil when absent; a value that is not an IP literal is LLM_PARAM_INVALID.
    public func localAddress() throws(APIError) -> String? {
        guard let text = localIPInfo else { return nil }
        if IPAddressText.isIPv4(text[...]) || IPAddressText.isIPv6(text[...]) { return text }
        throw .paramInvalid("cluster \(remoteClusterID): local_ip_info '\(text)' is not an IP address")
    }
}

/// The body of `POST /v1/links` and `POST /v1/links/unlink` (CONTRACT §5), with whole-call problems found.
public struct LinkRequest: Sendable, Equatable {
    public static let maxClustersPerCall = 16
    public static let defaultTimeoutMs = 3000
    /// A bound on `timeout_ms` so that a typo cannot hold a worker for days.
    public static let maxTimeoutMs = 3_600_000

    public var clusters: [ClusterSpec]
    public var timeoutMs: Int
    public var force: Bool

    public init(clusters: [ClusterSpec], timeoutMs: Int = LinkRequest.defaultTimeoutMs, force: Bool = false) {
        self.clusters = clusters
        self.timeoutMs = timeoutMs
        self.force = force
    }

    /// Types first (TYPE_ERROR / VALUE_ERROR), then an empty list (LLM_PARAM_INVALID), more than 16
    /// clusters (LLM_CLUSTER_NUM_EXCEED_LIMIT), a `timeout_ms` ≤ 0 or over an hour (LLM_PARAM_INVALID),
    /// unknown fields (LLM_PARAM_INVALID). `force` is accepted only when `unlink`.
    public static func decode(_ body: JSONValue, unlink: Bool) throws(APIError) -> LinkRequest {
        guard case .object(let object) = body else { throw .typeError("the body must be a JSON object") }
        guard let clustersValue = object["clusters"] else {
            throw .typeError("'clusters' is required (an array of cluster objects)")
        }
        guard case .array(let items) = clustersValue else { throw .typeError("'clusters' must be an array") }
        var clusters: [ClusterSpec] = []
        for (i, item) in items.enumerated() {
            clusters.append(try decodeCluster(item, index: i))
        }
        var timeoutMs = defaultTimeoutMs
        switch object["timeout_ms"] {
        case nil, .null?: break
        case .int(let t)?:
            guard t > 0, t <= maxTimeoutMs else {
                throw .paramInvalid("'timeout_ms' must be in 1...\(maxTimeoutMs), got \(t)")
            }
            timeoutMs = Int(t)
        case .uint?: throw .paramInvalid("'timeout_ms' must be in 1...\(maxTimeoutMs)")
        default: throw .typeError("'timeout_ms' must be an integer (milliseconds)")
        }
        var force = false
        if unlink {
            switch object["force"] {
            case nil, .null?: break
            case .bool(let f)?: force = f
            default: throw .typeError("'force' must be a boolean")
            }
        }
        let known: Set<String> = unlink ? ["clusters", "timeout_ms", "force"] : ["clusters", "timeout_ms"]
        if let unknown = object.keys.first(where: { !known.contains($0) }) {
            throw .paramInvalid("unknown field '\(unknown)' (known: \(known.sorted().joined(separator: ", ")))")
        }
        if clusters.isEmpty { throw .paramInvalid("'clusters' is empty") }
        if clusters.count > maxClustersPerCall {
            throw APIError(
                .LLM_CLUSTER_NUM_EXCEED_LIMIT,
                "\(clusters.count) clusters in one call; at most \(maxClustersPerCall) are allowed"
            )
        }
        return LinkRequest(clusters: clusters, timeoutMs: timeoutMs, force: force)
    }

    private static func decodeCluster(_ item: JSONValue, index i: Int) throws(APIError) -> ClusterSpec {
        guard case .object(let o) = item else { throw .typeError("clusters[\(i)] must be an object") }
        let id: UInt64
        switch o["remote_cluster_id"] {
        case nil: throw .typeError("clusters[\(i)].remote_cluster_id is required")
        case .int(let v)?:
            guard v >= 0 else { throw .valueError("clusters[\(i)].remote_cluster_id must be >= 0") }
            id = UInt64(v)
        case .uint(let v)?: id = v
        case .double?: throw .valueError("clusters[\(i)].remote_cluster_id must be an integer in 0...2^64-1")
        default: throw .typeError("clusters[\(i)].remote_cluster_id must be an integer")
        }
        var spec = ClusterSpec(remoteClusterID: id)
        for field in ["remote_ip_info", "local_ip_info"] {
            switch o[field] {
            case nil, .null?: break
            case .string(let s)?:
                if field == "remote_ip_info" { spec.remoteIPInfo = s } else { spec.localIPInfo = s }
            default: throw .typeError("clusters[\(i)].\(field) must be a string")
            }
        }
        let known: Set<String> = ["remote_cluster_id", "remote_ip_info", "local_ip_info"]
        if let unknown = o.keys.first(where: { !known.contains($0) }) {
            throw .paramInvalid("clusters[\(i)]: unknown field '\(unknown)'")
        }
        return spec
    }
}

/// Per-cluster outcomes of a link or unlink call and their aggregate (CONTRACT §5): the overall status
/// is LLM_SUCCESS iff every cluster succeeded, else the status of the last failing cluster in list order.
public struct LinkBatchResult: Sendable, Equatable {
    public struct Entry: Sendable, Equatable {
        public var remoteClusterID: UInt64
        /// nil = success.
        public var error: APIError?
        public init(remoteClusterID: UInt64, error: APIError?) {
            self.remoteClusterID = remoteClusterID
            self.error = error
        }
    }

    public var entries: [Entry]
    public init(entries: [Entry]) { self.entries = entries }

    public var overall: APIStatus { entries.last(where: { $0.error != nil })?.error?.status ?? .LLM_SUCCESS }

    public var json: JSONValue {
        let results: [JSONValue] = entries.map { e in
            var o: JSONObject = [
                "remote_cluster_id": JSONValue(e.remoteClusterID),
                "status": .string((e.error?.status ?? .LLM_SUCCESS).rawValue),
                "code": .int((e.error?.status ?? .LLM_SUCCESS).code),
            ]
            if let e = e.error { o["message"] = .string(e.message) }
            return .object(o)
        }
        var top: JSONObject = ["status": .string(overall.rawValue), "code": .int(overall.code)]
        if let last = entries.last(where: { $0.error != nil })?.error { top["message"] = .string(last.message) }
        top["results"] = .array(results)
        return .object(top)
    }
}
