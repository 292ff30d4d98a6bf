/// The bytes of one tensor that `GET`/`PUT /v1/cache/{id}/tensors/{t}` address: the whole tensor, or one
/// slot (`batch_index`) / block (`block`), narrowed by `offset` and `size`; on device `device_id`.
public struct TensorRange: Sendable, Equatable {
    public var tensor: Int
    public var deviceIndex: Int
    public var offset: Int
    public var length: Int

    public init(tensor: Int, deviceIndex: Int, offset: Int, length: Int) {
        self.tensor = tensor
        self.deviceIndex = deviceIndex
        self.offset = offset
        self.length = length
    }

    public static func parse(
        tensorText: String,
        query: [String: String],
        cache: CacheInfo,
        devices: [Int]
    ) throws(APIError) -> TensorRange {
        guard let t = Int(tensorText), t >= 0, t < cache.desc.numTensors else {
            throw .paramInvalid("tensor '\(tensorText)' is out of range [0, \(cache.desc.numTensors))")
        }
        let known: Set<String> = ["batch_index", "block", "offset", "size", "device_id"]
        if let unknown = query.keys.sorted().first(where: { !known.contains($0) }) {
            throw .paramInvalid(
                "unknown query parameter '\(unknown)' (known: \(known.sorted().joined(separator: ", ")))"
            )
        }
        func integer(_ name: String) throws(APIError) -> Int? {
            guard let text = query[name] else { return nil }
            guard let v = Int(text) else { throw .typeError("'\(name)' must be an integer, got '\(text)'") }
            guard v >= 0 else { throw .paramInvalid("'\(name)' must be >= 0, got \(v)") }
            return v
        }
        var values: [String: Int] = [:]
        for name in known.sorted() { values[name] = try integer(name) }
        var deviceIndex = 0
        if let device = values["device_id"] {
            guard let i = devices.firstIndex(of: device) else {
                throw .paramInvalid("device_id \(device) is not served by this node (\(devices))")
            }
            deviceIndex = i
        }
        var base = 0
        var span = cache.tensorSize
        switch (values["batch_index"], values["block"]) {
        case (.some, .some):
            throw .paramInvalid("give batch_index or block, not both")
        case (let slot?, nil), (nil, let slot?):
            let word = cache.kind == .blocks ? "block" : "batch_index"
            guard values[word] != nil else {
                throw .paramInvalid("a \(cache.kind.rawValue) cache is addressed with '\(word)'")
            }
            guard slot < cache.slots else {
                throw .paramInvalid("\(word) \(slot) is out of range [0, \(cache.slots))")
            }
            base = slot * cache.stride
            span = cache.stride
        case (nil, nil):
            break
        }
        let offset = values["offset"] ?? 0
        guard offset <= span else {
            throw .paramInvalid("offset \(offset) is beyond the \(span) bytes addressed")
        }
        let length = values["size"] ?? (span - offset)
        guard length <= span - offset else {
            throw .paramInvalid("offset \(offset) + size \(length) exceeds the \(span) bytes addressed")
        }
        return TensorRange(tensor: t, deviceIndex: deviceIndex, offset: base + offset, length: length)
    }
}
