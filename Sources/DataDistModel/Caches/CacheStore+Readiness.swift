/// Progressive caches (CONTRACT §11): the engine writes a slot layer by layer and says how far it got; a pull of
/// the slot sends what is ready and the rest as it becomes ready. Readiness is kept in tensors (layers ×
/// `tensor_num_per_layer`), so a pull needs no layer geometry to know which bytes it may send.
extension CacheStore {
    /// Starts a freshly allocated cache with nothing ready on any slot (a blocks cache has one watermark).
    public mutating func makeProgressive(_ id: Int64) {
        guard var entry = entries[id] else { return }
        entry.readyTensors = [Int](repeating: 0, count: entry.info.kind == .blocks ? 1 : entry.info.slots)
        entries[id] = entry
    }

    /// `POST /v1/cache/{id}/ready`: layers `[0, layers)` of the slot are written. The watermark only rises (a
    /// lower value is a no-op). Returns the slot's ready tensors after the call.
    public mutating func markReady(
        _ id: Int64,
        batchIndex: Int?,
        layers: Int,
        tensorNumPerLayer: Int
    ) throws(APIError) -> Int {
        guard var entry = entries[id] else { throw Self.notExist("cache \(id) does not exist") }
        guard var ready = entry.readyTensors else {
            throw .paramInvalid("cache \(id) is not progressive (allocate it with \"progressive\": true)")
        }
        let numTensors = entry.info.desc.numTensors
        guard tensorNumPerLayer > 0, numTensors % tensorNumPerLayer == 0 else {
            throw .paramInvalid("tensor_num_per_layer \(tensorNumPerLayer) does not divide num_tensors \(numTensors)")
        }
        let layerCount = numTensors / tensorNumPerLayer
        guard (0...layerCount).contains(layers) else {
            throw .paramInvalid("layers must be in 0...\(layerCount), got \(layers)")
        }
        let slot: Int
        switch (entry.info.kind, batchIndex) {
        case (.blocks, nil): slot = 0
        case (.blocks, _?): throw .paramInvalid("a blocks cache has one watermark: give no batch_index")
        case (.cache, nil): slot = 0
        case (.cache, let i?):
            guard ready.indices.contains(i) else {
                throw .paramInvalid("batch_index \(i) is out of range (\(ready.count) slots)")
            }
            slot = i
        }
        ready[slot] = max(ready[slot], layers * tensorNumPerLayer)
        entry.readyTensors = ready
        entries[id] = entry
        return ready[slot]
    }

    /// Tensors `[0, n)` of the slot are ready; nil when the cache is not progressive (everything is ready) or gone.
    public func readyTensors(_ id: Int64, slot: Int) -> Int? {
        guard let ready = (entries[id] ?? retired[id])?.readyTensors else { return nil }
        return ready.indices.contains(slot) ? ready[slot] : ready.first
    }
}
