/// Peer protocol v1 messages (docs/peer-protocol.md). Pure encode/decode; the node does the I/O.
public enum PeerProtocol {
    public static let version = 1
}

/// `POST /v1/peer/link`: a linker asks a listener for a link.
public struct PeerLinkOffer: Sendable, Equatable {
    public var protocolVersion: Int
    public var linkerClusterID: UInt64
    /// The cluster id the linker expects to find at this address.
    public var listenerClusterID: UInt64
    public var linkerBootID: String
    /// Where the listener reaches the linker for callbacks (unlink, probes, push): `IP:PORT`, or nil.
    public var callbackIPInfo: String?
    /// A random per-link secret; every later message about this link carries it.
    public var linkSecret: String

    public init(
        protocolVersion: Int = PeerProtocol.version,
        linkerClusterID: UInt64,
        listenerClusterID: UInt64,
        linkerBootID: String,
        callbackIPInfo: String?,
        linkSecret: String
    ) {
        self.protocolVersion = protocolVersion
        self.linkerClusterID = linkerClusterID
        self.listenerClusterID = listenerClusterID
        self.linkerBootID = linkerBootID
        self.callbackIPInfo = callbackIPInfo
        self.linkSecret = linkSecret
    }

    public var json: JSONValue {
        [
            "protocol_version": JSONValue(protocolVersion),
            "linker_cluster_id": JSONValue(linkerClusterID),
            "listener_cluster_id": JSONValue(listenerClusterID),
            "linker_boot_id": .string(linkerBootID),
            "callback_ip_info": callbackIPInfo.map { .string($0) } ?? .null,
            "link_secret": .string(linkSecret),
        ]
    }

    /// A malformed offer is LLM_PARAM_INVALID; an unsupported protocol version is LLM_LINK_FAILED.
    public static func decode(_ v: JSONValue) throws(APIError) -> PeerLinkOffer {
        guard case .object(let o) = v else { throw .paramInvalid("link offer: not an object") }
        guard let version = o["protocol_version"]?.int64Value else {
            throw .paramInvalid("link offer: protocol_version missing")
        }
        guard version == PeerProtocol.version else {
            throw APIError(
                .LLM_LINK_FAILED,
                "peer protocol version \(version) is not supported (this node speaks \(PeerProtocol.version))"
            )
        }
        guard let linker = o["linker_cluster_id"]?.uint64Value, let listener = o["listener_cluster_id"]?.uint64Value,
            let boot = o["linker_boot_id"]?.stringValue, !boot.isEmpty,
            let secret = o["link_secret"]?.stringValue, secret.count >= 16
        else {
            throw .paramInvalid(
                "link offer: linker_cluster_id, listener_cluster_id, linker_boot_id and link_secret are required"
            )
        }
        var callback: String?
        switch o["callback_ip_info"] {
        case nil, .null?: break
        case .string(let s)?:
            guard (try? ListenAddress.parse(s, field: "callback_ip_info")) != nil else {
                throw .paramInvalid("link offer: callback_ip_info '\(s)' is not IP:PORT")
            }
            callback = s
        default: throw .paramInvalid("link offer: callback_ip_info must be a string")
        }
        return PeerLinkOffer(
            protocolVersion: Int(version),
            linkerClusterID: linker,
            listenerClusterID: listener,
            linkerBootID: boot,
            callbackIPInfo: callback,
            linkSecret: secret
        )
    }
}

/// The listener's answer to an accepted offer, and the body of `GET /v1/peer/hello`.
public struct PeerIdentity: Sendable, Equatable {
    public var protocolVersion: Int
    public var clusterID: UInt64
    public var bootID: String

    public init(protocolVersion: Int = PeerProtocol.version, clusterID: UInt64, bootID: String) {
        self.protocolVersion = protocolVersion
        self.clusterID = clusterID
        self.bootID = bootID
    }

    public var json: JSONValue {
        [
            "service": "datadist", "protocol_version": JSONValue(protocolVersion),
            "cluster_id": JSONValue(clusterID), "boot_id": .string(bootID),
        ]
    }

    /// Nil when the body is not a datadist identity (the address is something else).
    public static func decode(_ v: JSONValue) -> PeerIdentity? {
        guard case .object(let o) = v, o["service"] == "datadist", let version = o["protocol_version"]?.int64Value,
            let id = o["cluster_id"]?.uint64Value, let boot = o["boot_id"]?.stringValue
        else { return nil }
        return PeerIdentity(protocolVersion: Int(version), clusterID: id, bootID: boot)
    }
}

/// `POST /v1/peer/unlink` and the probe: "I am cluster X (boot B); about our link, here is its secret".
public struct PeerLinkNotice: Sendable, Equatable {
    public var clusterID: UInt64
    public var bootID: String
    public var linkSecret: String

    public init(clusterID: UInt64, bootID: String, linkSecret: String) {
        self.clusterID = clusterID
        self.bootID = bootID
        self.linkSecret = linkSecret
    }

    public var json: JSONValue {
        ["cluster_id": JSONValue(clusterID), "boot_id": .string(bootID), "link_secret": .string(linkSecret)]
    }

    public static func decode(_ v: JSONValue) throws(APIError) -> PeerLinkNotice {
        guard case .object(let o) = v, let id = o["cluster_id"]?.uint64Value, let boot = o["boot_id"]?.stringValue,
            let secret = o["link_secret"]?.stringValue
        else { throw .paramInvalid("link notice: cluster_id, boot_id and link_secret are required") }
        return PeerLinkNotice(clusterID: id, bootID: boot, linkSecret: secret)
    }
}
