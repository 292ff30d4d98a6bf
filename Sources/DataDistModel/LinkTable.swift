/// Which side opened a link: `outbound` = this node linked to a listener; `inbound` = a node linked to us.
public enum LinkDirection: String, Sendable, Equatable {
    case outbound
    case inbound
}

/// One link with a remote cluster (at most one per remote cluster, whatever the direction).
public struct Link: Sendable, Equatable {
    public var remoteClusterID: UInt64
    public var direction: LinkDirection
    /// The remote's peer-listener address (outbound) or its callback address (inbound), as text.
    public var remoteIPInfo: String
    public var remoteBootID: String
    /// Unix time in milliseconds.
    public var linkedAtMs: Int64
    public var bytesPulled: UInt64 = 0
    public var bytesPushed: UInt64 = 0

    public init(
        remoteClusterID: UInt64,
        direction: LinkDirection,
        remoteIPInfo: String,
        remoteBootID: String,
        linkedAtMs: Int64
    ) {
        self.remoteClusterID = remoteClusterID
        self.direction = direction
        self.remoteIPInfo = remoteIPInfo
        self.remoteBootID = remoteBootID
        self.linkedAtMs = linkedAtMs
    }
}

/// The links of one node, keyed by remote cluster id. Pure value; the runtime guards it with the node lock.
public struct LinkTable: Sendable, Equatable {
    public private(set) var links: [UInt64: Link] = [:]

    public init() {}

    public var count: Int { links.count }
    public var isEmpty: Bool { links.isEmpty }
    /// Remote cluster ids of every link, inbound and outbound, ascending.
    public var remoteClusterIDs: [UInt64] { links.keys.sorted() }
    public subscript(_ remote: UInt64) -> Link? { links[remote] }

    /// Adds or replaces the link with `link.remoteClusterID`.
    public mutating func insert(_ link: Link) { links[link.remoteClusterID] = link }
    /// Removes the link; returns it if there was one.
    @discardableResult
    public mutating func remove(_ remote: UInt64) -> Link? { links.removeValue(forKey: remote) }
}
