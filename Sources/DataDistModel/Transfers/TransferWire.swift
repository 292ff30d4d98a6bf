/// Which source or destination a transfer names on the other node.
public enum TransferSelector: Sendable, Equatable {
    case key(CacheKey)
    case byID(CacheKeyByID)
    case blocks(BlocksCacheKey)

    /// The cluster that owns the cache (whose link the transfer uses).
    public var clusterID: UInt64 {
        switch self {
        case .key(let k): k.promptClusterID
        case .byID(let k): k.clusterID
        case .blocks(let k): k.promptClusterID
        }
    }

    public var json: JSONObject {
        switch self {
        case .key(let k): ["cache_key": k.json]
        case .byID(let k): ["cache_key_by_id": k.json]
        case .blocks(let k): ["blocks_cache_key": k.json]
        }
    }

    /// Exactly one of the `names` (mapped to their kinds) must be present.
    public static func read(_ f: RequestFields, names: [(String, Kind)]) throws(APIError) -> TransferSelector {
        let present = names.filter { f[$0.0] != nil }
        guard present.count == 1 else {
            throw .paramInvalid("give exactly one of \(names.map { "'\($0.0)'" }.joined(separator: ", "))")
        }
        let (name, kind) = present[0]
        let value = f[name]!
        switch kind {
        case .key:
            let key = try CacheKey.decode(value, field: name)
            try key.validateForPull()
            return .key(key)
        case .byID: return .byID(try CacheKeyByID.decode(value, field: name))
        case .blocks: return .blocks(try BlocksCacheKey.decode(value, field: name))
        }
    }

    public enum Kind { case key, byID, blocks }
}

/// The option fields of each transfer, shared by the admin bodies and the peer protocol.
extension LayerSelection {
    public var wire: JSONObject {
        var o: JSONObject = ["tensor_num_per_layer": JSONValue(Int64(tensorsPerLayer))]
        if let src { o["src_layer_range"] = src.json }
        if let dst { o["dst_layer_range"] = dst.json }
        return o
    }
}

/// The fields every block transfer carries.
private enum BlockFields {
    public static let names: Set<String> = [
        "src_blocks", "dst_blocks", "src_layer_range", "dst_layer_range", "tensor_num_per_layer",
    ]

    public static func wire(_ src: [Int], _ dst: [Int], _ layers: LayerSelection) -> JSONObject {
        var o = layers.wire
        o["src_blocks"] = .array(src.map { JSONValue(Int64($0)) })
        o["dst_blocks"] = .array(dst.map { JSONValue(Int64($0)) })
        return o
    }
}

extension PullCacheOptions {
    public static let fields: Set<String> = [
        "batch_index", "size", "src_layer_range", "dst_layer_range", "tensor_num_per_layer",
    ]

    public static func read(_ f: RequestFields) throws(APIError) -> PullCacheOptions {
        PullCacheOptions(
            batchIndex: try f.int("batch_index", default: 0),
            size: try f.int64("size", default: -1),
            layers: try f.layers()
        )
    }

    public var wire: JSONObject {
        var o = layers.wire
        o["batch_index"] = JSONValue(Int64(batchIndex))
        o["size"] = JSONValue(size)
        return o
    }
}

extension PullBlocksOptions {
    public static var fields: Set<String> { BlockFields.names }

    public static func read(_ f: RequestFields, byBlocksKey: Bool) throws(APIError) -> PullBlocksOptions {
        PullBlocksOptions(
            byBlocksKey: byBlocksKey,
            srcBlocks: try f.indices("src_blocks"),
            dstBlocks: try f.indices("dst_blocks"),
            layers: try f.layers()
        )
    }

    public var wire: JSONObject { BlockFields.wire(srcBlocks, dstBlocks, layers) }
}

extension PushCacheOptions {
    public static let fields: Set<String> = [
        "src_batch_index", "size", "src_layer_range", "dst_layer_range", "tensor_num_per_layer",
    ]

    public static func read(_ f: RequestFields) throws(APIError) -> PushCacheOptions {
        PushCacheOptions(
            srcBatchIndex: try f.int("src_batch_index", default: 0),
            size: try f.int64("size", default: -1),
            layers: try f.layers()
        )
    }

    public var wire: JSONObject {
        var o = layers.wire
        o["src_batch_index"] = JSONValue(Int64(srcBatchIndex))
        o["size"] = JSONValue(size)
        return o
    }
}

extension PushBlocksOptions {
    public static var fields: Set<String> { BlockFields.names }

    public static func read(_ f: RequestFields) throws(APIError) -> PushBlocksOptions {
        PushBlocksOptions(
            srcBlocks: try f.indices("src_blocks"),
            dstBlocks: try f.indices("dst_blocks"),
            layers: try f.layers()
        )
    }

    public var wire: JSONObject { BlockFields.wire(srcBlocks, dstBlocks, layers) }
}

/// A transfer as the other node is asked for it (peer protocol `POST /v1/peer/pull`, `/v1/peer/push/prepare`).
public enum TransferOperation: Sendable {
    case pullCache(PullCacheOptions)
    case pullBlocks(PullBlocksOptions)
    case pushCache(PushCacheOptions)
    case pushBlocks(PushBlocksOptions)

    public var name: String {
        switch self {
        case .pullCache: "pull_cache"
        case .pullBlocks: "pull_blocks"
        case .pushCache: "push_cache"
        case .pushBlocks: "push_blocks"
        }
    }

    public var isPull: Bool {
        switch self {
        case .pullCache, .pullBlocks: true
        case .pushCache, .pushBlocks: false
        }
    }

    public var optionsJSON: JSONObject {
        switch self {
        case .pullCache(let o): o.wire
        case .pullBlocks(let o): o.wire
        case .pushCache(let o): o.wire
        case .pushBlocks(let o): o.wire
        }
    }

    /// The plan, given both geometries and the slot the selector resolved to on the owner.
    public func plan(
        destination dst: CacheGeometry,
        source src: CacheGeometry,
        slot: Int
    ) throws(APIError) -> TransferPlan {
        switch self {
        case .pullCache(let o): try TransferPlanner.pullCache(dst: dst, src: src, srcSlot: slot, options: o)
        case .pullBlocks(let o): try TransferPlanner.pullBlocks(dst: dst, src: src, srcSlot: slot, options: o)
        case .pushCache(let o): try TransferPlanner.pushCache(src: src, dst: dst, dstSlot: slot, options: o)
        case .pushBlocks(let o): try TransferPlanner.pushBlocks(src: src, dst: dst, options: o)
        }
    }

    public static func decode(name: String, options: JSONValue) throws(APIError) -> TransferOperation {
        switch name {
        case "pull_cache":
            return .pullCache(try PullCacheOptions.read(RequestFields(options, known: PullCacheOptions.fields)))
        case "pull_blocks", "pull_blocks_by_key":
            return .pullBlocks(
                try PullBlocksOptions.read(
                    RequestFields(options, known: PullBlocksOptions.fields),
                    byBlocksKey: name == "pull_blocks_by_key"
                )
            )
        case "push_cache":
            return .pushCache(try PushCacheOptions.read(RequestFields(options, known: PushCacheOptions.fields)))
        case "push_blocks":
            return .pushBlocks(try PushBlocksOptions.read(RequestFields(options, known: PushBlocksOptions.fields)))
        default:
            throw .paramInvalid("unknown transfer operation '\(name)'")
        }
    }

    /// The name on the wire (a blocks pull by blocks key is told apart: the planner needs it).
    public var wireName: String {
        if case .pullBlocks(let o) = self, o.byBlocksKey { return "pull_blocks_by_key" }
        return name
    }
}

/// The `X-Datadist-Link` header: `<cluster id>:<link secret>` — who asks, over which link.
public enum LinkCredential {
    public static let header = "X-Datadist-Link"

    public static func value(clusterID: UInt64, secret: String) -> String { "\(clusterID):\(secret)" }

    public static func parse(_ text: String?) -> (UInt64, String)? {
        guard let text, let colon = text.firstIndex(of: ":"), let id = UInt64(text[..<colon]) else { return nil }
        return (id, String(text[text.index(after: colon)...]))
    }
}
