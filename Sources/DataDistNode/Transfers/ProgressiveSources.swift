import DataDistModel
import Dispatch
import HTTPCore
import Synchronization

/// How much of a progressive pull's payload may be sent now (CONTRACT §11): the payload runs device by device,
/// tensor by tensor in the plan's order; a tensor's bytes are ready once the slot's watermark passed it.
struct ReadinessGate: Sendable {
    let cacheID: Int64
    let slot: Int
    /// The source tensors in payload order (one device's worth) and the bytes each moves.
    let tensors: [Int]
    let bytesPerTensor: Int
    let payloadBytes: Int
    /// When the pull gives up (the node's monotonic clock).
    let deadlineMs: Int64

    /// Payload bytes ready, in stream order, given the slot's ready tensors.
    func readyBytes(readyTensors: Int?) -> Int {
        guard let readyTensors else { return payloadBytes }
        let prefix = tensors.prefix { $0 < readyTensors }.count
        return prefix == tensors.count ? payloadBytes : prefix * bytesPerTensor
    }
}

/// The pulls now streaming from progressive caches, woken when a watermark rises (`POST /v1/cache/{id}/ready`)
/// and at their deadline.
final class ProgressiveSources: Sendable {
    private let streams = Mutex<[Int64: [ObjectIdentifier: FramedResponseProducer]]>([:])

    func add(_ producer: FramedResponseProducer, cacheID: Int64) {
        streams.withLock { $0[cacheID, default: [:]][ObjectIdentifier(producer)] = producer }
    }

    func remove(_ producer: FramedResponseProducer, cacheID: Int64) {
        streams.withLock { all in
            all[cacheID]?[ObjectIdentifier(producer)] = nil
            if all[cacheID]?.isEmpty == true { all[cacheID] = nil }
        }
    }

    /// The cache's watermark rose: its streams may send more.
    func wake(cacheID: Int64) {
        for producer in streams.withLock({ Array(($0[cacheID] ?? [:]).values) }) { producer.wake() }
    }

    /// Pulls waiting for layers that are not ready yet (`transfers_waiting`).
    var waiting: Int { streams.withLock { $0.values.reduce(0) { $0 + $1.values.filter(\.isWaiting).count } } }
}
