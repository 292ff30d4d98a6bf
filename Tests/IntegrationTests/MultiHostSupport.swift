import Dispatch
import Foundation
import Synchronization
import Testing

/// The multi-host tests, one at a time (each builds its own network of three hosts; run side by side on two
/// cores their timing assertions would measure each other).
@Suite(.serialized, MultiHostGate.enabled) enum MultiHostTests {}

/// When the multi-host tests run. Not root or no `ip` → skipped, with the reason as the skip message; but with
/// `NETNS_TESTS=require` in the environment (`make test` sets it when it runs as root, as CI does) they run
/// anyway and fail loudly instead of skipping silently.
enum MultiHostGate {
    static var required: Bool { ProcessInfo.processInfo.environment["NETNS_TESTS"] == "require" }

    static let enabled: ConditionTrait = .enabled(
        if: required || MultiHostNetwork.unavailableReason == nil,
        Comment(rawValue: MultiHostNetwork.unavailableReason ?? "")
    )

    static let iptablesEnabled: ConditionTrait = .enabled(
        if: required || MultiHostNetwork.iptablesUnavailableReason == nil,
        Comment(rawValue: MultiHostNetwork.iptablesUnavailableReason ?? "")
    )

    /// The standard three hosts, or a failure naming what this machine lacks. `options` carries extra node flags
    /// (a TLS variant of these tests passes its certificate flags there).
    static func network(
        needsIptables: Bool = false,
        _ options: MultiHostNetwork.Options = MultiHostNetwork.Options()
    ) throws -> MultiHostNetwork {
        let reason = needsIptables ? MultiHostNetwork.iptablesUnavailableReason : MultiHostNetwork.unavailableReason
        try #require(reason == nil, Comment(rawValue: reason ?? ""))
        return try MultiHostNetwork.standard(options)
    }
}

/// Runs the blocks concurrently on dedicated threads and returns their results in order (two pulls at once from
/// two hosts).
func concurrently<T: Sendable>(_ blocks: [@Sendable () -> T]) -> [T] {
    let results = Mutex<[Int: T]>([:])
    DispatchQueue.concurrentPerform(iterations: blocks.count) { i in
        let value = blocks[i]()
        results.withLock { $0[i] = value }
    }
    return results.withLock { r in blocks.indices.map { r[$0]! } }
}

/// A pull by request key from `prompt` into local cache `dst`; the answer.
func pullByKey(
    _ node: HostNode,
    into dst: Int64,
    from prompt: UInt64,
    req: UInt64,
    timeoutMs: Int = 5000
) -> RawHTTPConnection.Response? {
    node.post("/v1/cache/\(dst)/pull", #"{"cache_key":\#(requestKey(prompt, req)),"timeout_ms":\#(timeoutMs)}"#)
}

/// nil when `got` holds exactly `want`, else where they differ. Equal bytes are found with one `memcmp` (the
/// element-by-element search of `byteMismatch` costs seconds per MiB-sized tensor in a debug build); only a
/// difference is searched for.
func bytesDiffer(_ got: [UInt8]?, _ want: some Collection<UInt8>) -> String? {
    let want = Array(want)
    if let got, got.count == want.count,
        got.withUnsafeBytes({ g in
            want.withUnsafeBytes { w in g.count == 0 || memcmp(g.baseAddress!, w.baseAddress!, g.count) == 0 }
        })
    {
        return nil
    }
    return byteMismatch(got, want)
}
