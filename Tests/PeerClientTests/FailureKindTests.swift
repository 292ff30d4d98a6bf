import Glibc
import PeerClient
import Testing

@Suite(.timeLimit(.minutes(1)))
struct FailureKindTests {
    let client = PeerClient()

    @Test func refusedPortIsConnectFailedQuickly() throws {
        // A bound but not listening port refuses connections.
        let (socket, port) = try bindLoopback(listen: false)
        close(socket)
        let request = PeerRequest(url: "http://127.0.0.1:\(port)/v1/peer/hello", totalTimeoutMs: 5000)
        let (error, seconds) = measure { peerError { () throws(PeerError) in try client.perform(request) } }
        #expect(error?.kind == .connectFailed)
        #expect(seconds < 1)
    }

    @Test func silentPeerTimesOutWithinTheDeadline() throws {
        let server = try ScriptedServer { _ in .silence }
        defer { server.stop() }
        let request = PeerRequest(url: server.url("/stall"), totalTimeoutMs: 500)
        let (error, seconds) = measure { peerError { () throws(PeerError) in try client.perform(request) } }
        #expect(error?.kind == .timeout)
        // libcurl checks its deadline with millisecond timers, so it may fire a fraction of a millisecond early.
        #expect(seconds >= 0.49)
        #expect(seconds <= 2.0)
    }

    @Test func stalledBodyHitsTheLowSpeedLimit() throws {
        // Headers promise 1000 bytes, 10 arrive, then nothing: the low-speed limit fires before the deadline.
        let partial = Array("HTTP/1.1 200 OK\r\nContent-Length: 1000\r\n\r\n0123456789".utf8)
        let server = try ScriptedServer { _ in .send(partial) }
        defer { server.stop() }
        let request = PeerRequest(
            url: server.url("/slow"),
            totalTimeoutMs: 20_000,
            lowSpeedLimit: PeerLowSpeedLimit(bytesPerSecond: 100, seconds: 1)
        )
        let (error, seconds) = measure { peerError { () throws(PeerError) in try client.perform(request) } }
        #expect(error?.kind == .timeout)
        #expect(seconds < 5)
    }

    @Test func bodyCutShortByCloseIsBadResponse() throws {
        let cut = Array("HTTP/1.1 200 OK\r\nContent-Length: 100\r\nConnection: close\r\n\r\nonly-part".utf8)
        let server = try ScriptedServer { _ in .sendAndClose(cut) }
        defer { server.stop() }
        let error = peerError { () throws(PeerError) in try client.perform(PeerRequest(url: server.url("/cut"))) }
        #expect(error?.kind == .badResponse)
    }

    @Test func conflictingContentLengthsAreRefused() throws {
        let conflicting = Array("HTTP/1.1 200 OK\r\nContent-Length: 5\r\nContent-Length: 10\r\n\r\nhello".utf8)
        let server = try ScriptedServer { _ in .sendAndClose(conflicting) }
        defer { server.stop() }
        let error = peerError { () throws(PeerError) in try client.perform(PeerRequest(url: server.url("/two"))) }
        #expect(error?.kind == .badResponse)
    }

    @Test func contentLengthWithTransferEncodingIsRefused() throws {
        let ambiguous = Array(
            "HTTP/1.1 200 OK\r\nContent-Length: 5\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n0\r\n\r\n".utf8
        )
        let server = try ScriptedServer { _ in .sendAndClose(ambiguous) }
        defer { server.stop() }
        let error = peerError { () throws(PeerError) in try client.perform(PeerRequest(url: server.url("/te"))) }
        #expect(error?.kind == .badResponse)
    }

    @Test func nonHTTPResponderIsBadResponse() throws {
        let server = try ScriptedServer { _ in .sendAndClose(Array("garbage\r\n\r\n".utf8)) }
        defer { server.stop() }
        let error = peerError { () throws(PeerError) in try client.perform(PeerRequest(url: server.url("/"))) }
        #expect(error?.kind == .badResponse)
    }

    @Test func nonHTTPURLIsRefusedBeforeAnyNetwork() {
        for url in ["https://127.0.0.1:1/x", "ftp://127.0.0.1/x", "http://user@127.0.0.1:1/", "127.0.0.1:1/x"] {
            let error = peerError { () throws(PeerError) in try client.perform(PeerRequest(url: url)) }
            #expect(error?.kind == .other, "\(url)")
        }
    }

    @Test func headerInjectionIsRefused() throws {
        let server = try ScriptedServer { _ in .send(httpResponse(body: [])) }
        defer { server.stop() }
        let request = PeerRequest(
            url: server.url("/"),
            headers: [PeerHeader(name: "X-A", value: "1\r\nX-Injected: 2")]
        )
        let error = peerError { () throws(PeerError) in try client.perform(request) }
        #expect(error?.kind == .other)
        #expect(server.requests.isEmpty)
    }
}
