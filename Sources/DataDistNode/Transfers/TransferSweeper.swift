import Dispatch

/// Expires abandoned transfers every two seconds so their pins never outlive them.
///
/// `@unchecked Sendable` invariant: the timer is configured and resumed once in `init`; afterwards it is
/// only cancelled, and Dispatch sources are safe to cancel from any thread (cancelling twice is harmless).
final class TransferSweeper: @unchecked Sendable {
    private let timer: any DispatchSourceTimer

    init(core: NodeCore) {
        timer = DispatchSource.makeTimerSource(queue: DispatchQueue(label: "datadist.sweeper"))
        timer.schedule(deadline: .now() + 2, repeating: 2)
        timer.setEventHandler { core.expireTransfers() }
        timer.resume()
    }

    func cancel() { timer.cancel() }
}
