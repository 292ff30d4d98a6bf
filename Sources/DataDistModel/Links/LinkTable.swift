/// Which side opened a link: `outbound` = this node linked to a listener; `inbound` = a node linked to us.
public enum LinkDirection: String, Sendable, Equatable {
    case outbound
    case inbound
}

/// One link with a remote cluster (at most one per remote cluster, whatever the direction).
public struct Link: Sendable, Equatable {
    public var remoteClusterID: UInt64
    public var direction: LinkDirection
    /// Outbound: the remote's peer-listener address. Inbound: the linker's callback address.
    public var remoteIPInfo: String
    public var remoteBootID: String
    /// The secret both sides present for this link (callbacks, unlink, probes).
    public var secret: String
    /// Unix time in milliseconds.
    public var linkedAtMs: Int64
    public var bytesPulled: UInt64 = 0
    public var bytesPushed: UInt64 = 0

    public init(
        remoteClusterID: UInt64,
        direction: LinkDirection,
        remoteIPInfo: String,
        remoteBootID: String,
        secret: String = "",
        linkedAtMs: Int64
    ) {
        self.remoteClusterID = remoteClusterID
        self.direction = direction
        self.remoteIPInfo = remoteIPInfo
        self.remoteBootID = remoteBootID
        self.secret = secret
        self.linkedAtMs = linkedAtMs
    }
}

/// The links of one node, keyed by remote cluster id, plus the clusters with a link or unlink in progress.
/// Pure value; the runtime guards it with the node lock and never holds that lock across I/O.
public struct LinkTable: Sendable, Equatable {
    public private(set) var links: [UInt64: Link] = [:]
    /// Remote clusters with a link or unlink in flight (their handshake runs outside the lock).
    public private(set) var pending: Set<UInt64> = []

    public init() {}

    public var count: Int { links.count }
    public var isEmpty: Bool { links.isEmpty }
    /// Remote cluster ids of every link, inbound and outbound, ascending.
    public var remoteClusterIDs: [UInt64] { links.keys.sorted() }
    /// Links plus clusters being linked or unlinked: what a role switch must not leave behind.
    public var busyClusterIDs: [UInt64] { Set(links.keys).union(pending).sorted() }
    public subscript(_ remote: UInt64) -> Link? { links[remote] }

    /// Adds or replaces the link with `link.remoteClusterID`.
    public mutating func insert(_ link: Link) { links[link.remoteClusterID] = link }
    /// Removes the link; returns it if there was one.
    @discardableResult
    public mutating func remove(_ remote: UInt64) -> Link? { links.removeValue(forKey: remote) }

    /// Reserves `remote` for an outbound link: already linked either way → LLM_ALREADY_LINK, another
    /// link/unlink in flight → LLM_PROCESSING_LINK, `maxLinks` reached (counting reservations) →
    /// LLM_CLUSTER_NUM_EXCEED_LIMIT.
    public mutating func beginLink(_ remote: UInt64, maxLinks: Int) throws(APIError) {
        if pending.contains(remote) {
            throw APIError(.LLM_PROCESSING_LINK, "a link or unlink with cluster \(remote) is in progress")
        }
        if let existing = links[remote] {
            throw APIError(.LLM_ALREADY_LINK, "already linked with cluster \(remote) (\(existing.direction.rawValue))")
        }
        if links.count + pending.count >= maxLinks {
            throw APIError(.LLM_CLUSTER_NUM_EXCEED_LIMIT, "this node already holds its maximum of \(maxLinks) links")
        }
        pending.insert(remote)
    }

    /// Ends a `beginLink`: records the link on success, releases the reservation either way.
    public mutating func finishLink(_ remote: UInt64, _ link: Link?) {
        pending.remove(remote)
        if let link { links[remote] = link }
    }

    /// Reserves `remote` for an unlink. Returns the link (nil when not linked: nothing to do), or
    /// LLM_PROCESSING_LINK when another link/unlink of it is in flight.
    public mutating func beginUnlink(_ remote: UInt64) throws(APIError) -> Link? {
        if pending.contains(remote) {
            throw APIError(.LLM_PROCESSING_LINK, "a link or unlink with cluster \(remote) is in progress")
        }
        guard let link = links[remote] else { return nil }
        pending.insert(remote)
        return link
    }

    /// Ends a `beginUnlink`: drops the link when `removed`, releases the reservation.
    public mutating func finishUnlink(_ remote: UInt64, removed: Bool) {
        pending.remove(remote)
        if removed { links.removeValue(forKey: remote) }
    }

    /// The listener side of a handshake. The linker asserts it holds no link with us (it checked before
    /// calling), so an inbound entry from it is stale — left by a restart (new boot id), a force unlink or
    /// a handshake whose answer never arrived — and is replaced. An outbound link to the linker is a real
    /// link in the other direction: LLM_ALREADY_LINK. Returns true when an entry was replaced.
    public mutating func acceptInbound(_ link: Link, maxLinks: Int) throws(APIError) -> Bool {
        let remote = link.remoteClusterID
        if pending.contains(remote) {
            throw APIError(.LLM_PROCESSING_LINK, "a link or unlink with cluster \(remote) is in progress")
        }
        if let existing = links[remote] {
            guard existing.direction == .inbound else {
                throw APIError(.LLM_ALREADY_LINK, "this node already linked to cluster \(remote) (outbound)")
            }
            links[remote] = link
            return true
        }
        if links.count + pending.count >= maxLinks {
            throw APIError(.LLM_CLUSTER_NUM_EXCEED_LIMIT, "the listener already holds its maximum of \(maxLinks) links")
        }
        links[remote] = link
        return false
    }

    /// Adds transferred bytes to a link's counters (no-op when the link is gone).
    public mutating func count(_ remote: UInt64, pulled: UInt64 = 0, pushed: UInt64 = 0) {
        links[remote]?.bytesPulled &+= pulled
        links[remote]?.bytesPushed &+= pushed
    }
}
