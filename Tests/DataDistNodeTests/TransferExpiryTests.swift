import DataDistModel
import HTTPServer
import Testing

@testable import DataDistNode

/// Pending peer transfers expire on the node's monotonic clock (a wall-clock step moves nothing): driven
/// here on a `ManualClock`, without sockets or sleeps.
@Suite struct TransferExpiryTests {
    /// A node core on `clock` holding one device cache, pinned as a prepared push and a served pull would pin it.
    private static func core(on clock: ManualClock) -> (NodeCore, Int64) {
        var config = NodeConfiguration()
        config.role = .decoder
        guard let memory = try? PoolMemorySet.reserve(config) else { fatalError("cannot reserve test pools") }
        let core = NodeCore(config: config, logger: .init(label: "test"), memory: memory, clock: clock.clock)
        let id = core.state.withLock { s -> Int64 in
            guard let desc = try? CacheDesc.make(numTensors: 1, shape: [4, 256], dataType: .int8),
                let info = try? s.caches.allocate(desc: desc, blocks: false, role: .decoder)
            else { fatalError("cannot allocate the test cache") }
            return info.id
        }
        return (core, id)
    }

    private static func pushPending(_ core: NodeCore, _ cacheID: Int64, expiresInMs: Int64) {
        let deadline = core.clock.nowMs + expiresInMs
        core.state.withLock { s in
            do throws(APIError) {
                try s.caches.pin(cacheID)
            } catch {
                fatalError("cannot pin the test cache: \(error)")
            }
            s.transfers.addPush(
                "push-1",
                .init(
                    requester: 7,
                    cacheID: cacheID,
                    destination: TransferSide(tensors: [], runs: [])!,
                    payloadBytes: 0,
                    expiresAtMs: deadline
                )
            )
        }
    }

    @Test func preparedPushKeepsItsPinUntilTheMonotonicDeadline() {
        let clock = ManualClock()
        let (core, id) = Self.core(on: clock)
        Self.pushPending(core, id, expiresInMs: 1000)

        clock.advance(by: 999)
        core.expireTransfers()
        #expect(core.state.withLock { $0.transfers.push("push-1") } != nil)

        clock.advance(by: 1)
        core.expireTransfers()
        #expect(core.state.withLock { $0.transfers.push("push-1") } == nil)
        // The expiry released the push's pin: nothing is left to unpin.
        #expect(core.state.withLock { $0.caches.unpin(id) } == false)
    }

    @Test func pushAlreadyReceivingOutlivesItsDeadline() {
        let clock = ManualClock()
        let (core, id) = Self.core(on: clock)
        Self.pushPending(core, id, expiresInMs: 10)
        _ = core.state.withLock { $0.transfers.startReceiving("push-1") }

        clock.advance(by: 60_000)
        core.expireTransfers()
        // The data request's sink owns the pin now; expiry must not release it.
        #expect(core.state.withLock { $0.caches.unpin(id) } == true)
    }

    @Test func unacknowledgedPullIsForgottenAtItsDeadline() {
        let clock = ManualClock()
        let (core, id) = Self.core(on: clock)
        let deadline = clock.nowMs + 500
        core.state.withLock { s in
            s.transfers.addPull(
                "pull-1",
                .init(
                    requester: 7,
                    identity: KeyIdentity(isPrefix: false, id: 1, modelID: 0),
                    cacheID: id,
                    slot: 0,
                    tensors: [0],
                    expiresAtMs: deadline
                )
            )
        }
        clock.advance(by: 499)
        core.expireTransfers()
        #expect(core.state.withLock { $0.transfers.pulls["pull-1"] } != nil)
        clock.advance(by: 1)
        core.expireTransfers()
        #expect(core.state.withLock { $0.transfers.pulls["pull-1"] } == nil)
    }
}
