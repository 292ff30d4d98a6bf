/// One pool's usage as `GET /v1/cache` and `/v1/node` show it.
public struct PoolUsage: Sendable, Equatable {
    public let placement: Placement
    public let deviceID: Int
    public let capacity: Int
    public let used: Int
    public let pageSize: Int

    public var free: Int { capacity - used }

    public var json: JSONValue {
        [
            "placement": .string(placement.rawValue), "device_id": JSONValue(deviceID),
            "capacity": JSONValue(capacity), "used": JSONValue(used), "free": JSONValue(free),
            "page_size": JSONValue(pageSize),
        ]
    }
}

extension CacheStore {
    /// Every pool: the DEVICE pools in device order, then the HOST pools.
    public var poolUsage: [PoolUsage] {
        [Placement.device, .host].flatMap { placement in
            devices.indices.map { i in
                let p = pool(placement, deviceIndex: i)
                return PoolUsage(
                    placement: placement,
                    deviceID: devices[i],
                    capacity: p.capacity,
                    used: p.used,
                    pageSize: p.pageSize
                )
            }
        }
    }

    /// `{"cache_id", "cache_desc", "kind", "tensor_size", "batch_size"|"num_blocks", "stride",
    /// "cache_keys"|"blocks_cache_key", "released"}` for a visible cache; nil when absent.
    /// `lease` gives a key's `lease_expires_at`, when it holds a lease (CONTRACT §11); `memory` adds the
    /// `"memory"` field (CONTRACT §10), which only the node can describe.
    public func json(
        cacheID id: Int64,
        lease: (LeasedKey) -> JSONValue? = { _ in nil },
        memory: ((CacheInfo) -> JSONValue)? = nil
    ) -> JSONValue? {
        guard let entry = entries[id] else { return nil }
        let info = entry.info
        var o: JSONObject = [
            "cache_id": JSONValue(id), "cache_desc": info.desc.json, "kind": .string(info.kind.rawValue),
            "tensor_size": JSONValue(info.tensorSize),
        ]
        switch info.kind {
        case .cache:
            o["batch_size"] = JSONValue(info.slots)
            o["stride"] = JSONValue(info.stride)
            o["cache_keys"] = .array(
                entry.slotKeys.enumerated().compactMap { slot, key in
                    guard let key, case .object(var k) = key.json else { return nil }
                    k["batch_index"] = JSONValue(slot)
                    if let expiry = lease(.key(key.identity)) { k["lease_expires_at"] = expiry }
                    return .object(k)
                }
            )
        case .blocks:
            o["num_blocks"] = JSONValue(info.slots)
            o["stride"] = JSONValue(info.stride)
            o["blocks_cache_key"] =
                entry.blocksKey.map { key in
                    guard case .object(var k) = key.json, let expiry = lease(.blocks(modelID: key.modelID)) else {
                        return key.json
                    }
                    k["lease_expires_at"] = expiry
                    return .object(k)
                } ?? .null
        }
        if let ready = entry.readyTensors {
            o["progressive"] = true
            o["ready_tensors"] = .array(ready.map { JSONValue($0) })
        }
        o["released"] = .bool(entry.released)
        if let memory { o["memory"] = memory(info) }
        return .object(o)
    }

    /// The body of `GET /v1/cache`: caches in id order and pool usage.
    public var json: JSONValue { json(lease: { _ in nil }) }

    public func json(lease: (LeasedKey) -> JSONValue?, memory: ((CacheInfo) -> JSONValue)? = nil) -> JSONValue {
        [
            "caches": .array(cacheIDs.compactMap { json(cacheID: $0, lease: lease, memory: memory) }),
            "pools": .array(poolUsage.map(\.json)),
        ]
    }
}
