import Testing

@testable import HTTPServer

/// Every timeout of the server, socket-free, on a `ManualClock`: the loop asks the machine at each tick.
@Suite struct ConnectionStateMachineTests {
    static let timeouts = ConnectionStateMachine.Timeouts(headerMs: 2_000, bodyMs: 3_000, idleMs: 60_000, lingerMs: 500)

    private func tick(
        _ machine: ConnectionStateMachine,
        _ clock: ManualClock,
        output: Bool = false
    )
        -> ConnectionStateMachine.Action
    {
        machine.tick(now: clock.nowMs, outputPending: output, producerWaiting: false)
    }

    @Test func aSilentConnectionIsGovernedByTheIdleTimeoutNotTheHeaderTimeout() {
        let clock = ManualClock()
        let machine = ConnectionStateMachine(now: clock.nowMs, timeouts: Self.timeouts)
        clock.advance(by: 2_000)
        #expect(tick(machine, clock) == .none)  // the header clock has not started: no byte of a head yet
        clock.advance(by: 57_999)
        #expect(tick(machine, clock) == .none)
        clock.advance(by: 1)
        #expect(tick(machine, clock) == .close)  // closed without a word, like an idle keep-alive connection
    }

    @Test func theHeaderClockStartsAtTheFirstByteOfAHead() {
        let clock = ManualClock()
        var machine = ConnectionStateMachine(now: clock.nowMs, timeouts: Self.timeouts)
        clock.advance(by: 30_000)
        machine.bytesReceived(now: clock.nowMs, inHead: true, inBody: false)
        clock.advance(by: 1_000)
        machine.bytesReceived(now: clock.nowMs, inHead: true, inBody: false)  // more of the same head
        clock.advance(by: 999)
        #expect(tick(machine, clock) == .none)
        clock.advance(by: 1)
        #expect(tick(machine, clock) == .timeOut("request head not received within 2000 ms"))
    }

    @Test func aConnectionOverTheCapStartsItsHeaderClockAtAccept() {
        let clock = ManualClock()
        let machine = ConnectionStateMachine(now: clock.nowMs, timeouts: Self.timeouts, headerClockAtAccept: true)
        clock.advance(by: 1_999)
        #expect(tick(machine, clock) == .none)
        clock.advance(by: 1)
        #expect(tick(machine, clock) == .timeOut("request head not received within 2000 ms"))
    }

    @Test func theBodyTimeoutCountsThePauseBetweenBodyBytes() {
        let clock = ManualClock()
        var machine = ConnectionStateMachine(now: clock.nowMs, timeouts: Self.timeouts)
        machine.bytesReceived(now: clock.nowMs, inHead: true, inBody: false)
        machine.bodyStarted()
        #expect(machine.state == .readingBody)
        clock.advance(by: 2_500)
        machine.bytesReceived(now: clock.nowMs, inHead: false, inBody: true)
        clock.advance(by: 2_999)
        #expect(tick(machine, clock) == .none)  // 5.5 s since the head, but never 3 s without a byte
        clock.advance(by: 1)
        #expect(tick(machine, clock) == .timeOut("no request body bytes received for 3000 ms"))
    }

    @Test func aRequestWithTheHandlerHasNoTimeout() {
        let clock = ManualClock()
        var machine = ConnectionStateMachine(now: clock.nowMs, timeouts: Self.timeouts)
        machine.bytesReceived(now: clock.nowMs, inHead: false, inBody: false)
        machine.requestDispatched()
        clock.advance(by: 10 * 60_000)
        #expect(tick(machine, clock) == .none)
    }

    @Test func anIdleKeepAliveConnectionClosesAfterTheIdleTimeout() {
        let clock = ManualClock()
        var machine = ConnectionStateMachine(now: clock.nowMs, timeouts: Self.timeouts)
        machine.requestDispatched()
        clock.advance(by: 100)
        machine.responseQueued(now: clock.nowMs, closeAfter: false)
        #expect(machine.outputDrained(now: clock.nowMs, inHead: false, inBody: false) == .none)
        #expect(machine.state == .readingHead(start: nil))
        clock.advance(by: 59_999)
        #expect(tick(machine, clock) == .none)
        clock.advance(by: 1)
        #expect(tick(machine, clock) == .close)
    }

    @Test func aStalledWriteCountsAsIdle() {
        let clock = ManualClock()
        var machine = ConnectionStateMachine(now: clock.nowMs, timeouts: Self.timeouts)
        machine.requestDispatched()
        machine.responseQueued(now: clock.nowMs, closeAfter: false)
        clock.advance(by: 30_000)
        machine.wrote(now: clock.nowMs)  // progress resets the clock
        clock.advance(by: 59_999)
        #expect(tick(machine, clock, output: true) == .none)
        clock.advance(by: 1)
        #expect(tick(machine, clock, output: true) == .close)
    }

    @Test func anEventStreamWaitingForItsProducerIsNeverTimedOut() {
        let clock = ManualClock()
        var machine = ConnectionStateMachine(now: clock.nowMs, timeouts: Self.timeouts)
        machine.requestDispatched()
        machine.responseQueued(now: clock.nowMs, closeAfter: true)
        clock.advance(by: 10 * 60_000)
        #expect(machine.tick(now: clock.nowMs, outputPending: true, producerWaiting: true) == .none)
    }

    @Test func aFinalResponseLingersThenCloses() {
        let clock = ManualClock()
        var machine = ConnectionStateMachine(now: clock.nowMs, timeouts: Self.timeouts)
        machine.responseQueued(now: clock.nowMs, closeAfter: true)
        #expect(machine.isClosing)
        machine.requestDispatched()  // nothing is dispatched after a final response
        #expect(machine.state == .writing(closeAfter: true))
        clock.advance(by: 10)
        let deadline = clock.nowMs + 500
        #expect(machine.outputDrained(now: clock.nowMs, inHead: false, inBody: false) == .linger(deadline: deadline))
        #expect(machine.state == .lingering(deadline: deadline))
        clock.advance(by: 499)
        #expect(tick(machine, clock) == .none)
        clock.advance(by: 1)
        #expect(tick(machine, clock) == .close)
    }

    @Test func aGracefulStopEndsWhenEverythingIsClosedOrTheGraceRunsOut() {
        let clock = ManualClock()
        let stop = GracefulStop(now: clock.nowMs, graceMs: 5_000)
        #expect(!stop.isOver(now: clock.nowMs, openConnections: 2))
        #expect(stop.isOver(now: clock.nowMs, openConnections: 0))
        clock.advance(by: 4_999)
        #expect(!stop.isOver(now: clock.nowMs, openConnections: 1))
        clock.advance(by: 1)
        #expect(stop.isOver(now: clock.nowMs, openConnections: 1))
    }

    @Test func aPipelinedRequestArrivingWhileWritingKeepsItsState() {
        let clock = ManualClock()
        var machine = ConnectionStateMachine(now: clock.nowMs, timeouts: Self.timeouts)
        machine.requestDispatched()
        machine.responseQueued(now: clock.nowMs, closeAfter: false)
        #expect(machine.outputDrained(now: clock.nowMs, inHead: false, inBody: true) == .none)
        #expect(machine.state == .readingBody)
    }
}
