import CLinux
import Synchronization

/// The one clock every deadline in the node runs on: milliseconds on `CLOCK_MONOTONIC` (never steps with the
/// wall clock). Injected so timeout logic can be tested on a `ManualClock` without sleeping.
public struct MonotonicClock: Sendable {
    private let read: @Sendable () -> Int64

    public init(_ read: @escaping @Sendable () -> Int64) { self.read = read }

    /// Milliseconds since an arbitrary fixed origin.
    public var nowMs: Int64 { read() }

    /// `CLOCK_MONOTONIC`.
    public static let system = MonotonicClock { clinux_monotonic_ms() }
}

/// A clock that moves only when told to: for socket-free tests of timeouts and expiry.
public final class ManualClock: Sendable {
    private let now: Atomic<Int64>

    public init(startMs: Int64 = 1_000_000) { now = Atomic(startMs) }

    public var nowMs: Int64 { now.load(ordering: .acquiring) }
    public func advance(by ms: Int64) { now.add(ms, ordering: .acquiringAndReleasing) }
    public var clock: MonotonicClock { MonotonicClock { [self] in nowMs } }
}
