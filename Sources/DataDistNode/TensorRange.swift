import DataDistModel

/// The bytes of one tensor that `GET`/`PUT /v1/cache/{id}/tensors/{t}` address: the whole tensor, or one
/// slot (`batch_index`) / block (`block`), narrowed by `offset` and `size`; on device `device_id`.
struct TensorRange: Sendable, Equatable {
    var tensor: Int
    var deviceIndex: Int
    var offset: Int
    var length: Int

    static func parse(
        tensorText: String,
        query: [String: String],
        cache: CacheInfo,
        devices: [Int]
    ) -> Result<TensorRange, APIError> {
        guard let t = Int(tensorText), t >= 0, t < cache.desc.numTensors else {
            return .failure(.paramInvalid("tensor '\(tensorText)' is out of range [0, \(cache.desc.numTensors))"))
        }
        let known: Set<String> = ["batch_index", "block", "offset", "size", "device_id"]
        if let unknown = query.keys.sorted().first(where: { !known.contains($0) }) {
            return .failure(
                .paramInvalid("unknown query parameter '\(unknown)' (known: \(known.sorted().joined(separator: ", ")))")
            )
        }
        func integer(_ name: String) -> Result<Int?, APIError> {
            guard let text = query[name] else { return .success(nil) }
            guard let v = Int(text) else { return .failure(.typeError("'\(name)' must be an integer, got '\(text)'")) }
            guard v >= 0 else { return .failure(.paramInvalid("'\(name)' must be >= 0, got \(v)")) }
            return .success(v)
        }
        var values: [String: Int] = [:]
        for name in known.sorted() {
            switch integer(name) {
            case .failure(let e): return .failure(e)
            case .success(let v): values[name] = v
            }
        }
        var deviceIndex = 0
        if let device = values["device_id"] {
            guard let i = devices.firstIndex(of: device) else {
                return .failure(.paramInvalid("device_id \(device) is not served by this node (\(devices))"))
            }
            deviceIndex = i
        }
        var base = 0
        var span = cache.tensorSize
        switch (values["batch_index"], values["block"]) {
        case (.some, .some):
            return .failure(.paramInvalid("give batch_index or block, not both"))
        case (let slot?, nil), (nil, let slot?):
            let word = cache.kind == .blocks ? "block" : "batch_index"
            guard values[word] != nil else {
                return .failure(.paramInvalid("a \(cache.kind.rawValue) cache is addressed with '\(word)'"))
            }
            guard slot < cache.slots else {
                return .failure(.paramInvalid("\(word) \(slot) is out of range [0, \(cache.slots))"))
            }
            base = slot * cache.stride
            span = cache.stride
        case (nil, nil):
            break
        }
        let offset = values["offset"] ?? 0
        guard offset <= span else {
            return .failure(.paramInvalid("offset \(offset) is beyond the \(span) bytes addressed"))
        }
        let length = values["size"] ?? (span - offset)
        guard length <= span - offset else {
            return .failure(.paramInvalid("offset \(offset) + size \(length) exceeds the \(span) bytes addressed"))
        }
        return .success(TensorRange(tensor: t, deviceIndex: deviceIndex, offset: base + offset, length: length))
    }
}
