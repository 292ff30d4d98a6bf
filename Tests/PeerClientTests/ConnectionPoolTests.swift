import Foundation
import PeerClient
import Synchronization
import Testing

@Suite(.timeLimit(.minutes(1)))
struct ConnectionPoolTests {
    @Test func requestsToOnePeerReuseOneConnection() throws {
        let client = PeerClient()
        let server = try ScriptedServer { request in .send(httpResponse(body: Array(request.target.utf8))) }
        defer { server.stop() }
        for path in ["/a", "/b", "/c"] {
            let response = try client.perform(PeerRequest(url: server.url(path), totalTimeoutMs: 5000))
            #expect(response.body == Array(path.utf8))
        }
        #expect(server.acceptedConnections == 1)
        #expect(server.requests.map(\.connection) == [1, 1, 1])
        #expect(client.idleConnectionCount(peer: server.peer) == 1)
    }

    @Test func aFailedExchangeNeverLeavesItsConnectionForTheNextRequest() throws {
        let client = PeerClient()
        // The first answer announces 4 bytes and sends 12: a receiver that stops early (or a Content-Length that
        // lies) leaves bytes behind; the next request must not read them as its answer.
        let server = try ScriptedServer { request in
            if request.target == "/bad" {
                return .send(Array("HTTP/1.1 200 OK\r\nContent-Length: 4\r\n\r\nabcdEXTRABYTES!!".utf8))
            }
            return .send(httpResponse(body: Array("fine".utf8)))
        }
        defer { server.stop() }
        let failed = peerError { () throws(PeerError) in
            _ = try client.perform(PeerRequest(url: server.url("/bad"), totalTimeoutMs: 5000), expectedLength: nil) {
                _ in false
            }
        }
        #expect(failed?.kind == .aborted)
        #expect(client.idleConnectionCount(peer: server.peer) == 0)
        let next = try client.perform(PeerRequest(url: server.url("/good"), totalTimeoutMs: 5000))
        #expect(next.body == Array("fine".utf8))
        #expect(server.acceptedConnections == 2)
    }

    @Test func closeAllDropsThePeersConnections() throws {
        let client = PeerClient()
        let server = try ScriptedServer { _ in .send(httpResponse(body: Array("ok".utf8))) }
        defer { server.stop() }
        _ = try client.perform(PeerRequest(url: server.url("/1"), totalTimeoutMs: 5000))
        client.closeAll(peer: server.peer)
        #expect(client.idleConnectionCount(peer: server.peer) == 0)
        _ = try client.perform(PeerRequest(url: server.url("/2"), totalTimeoutMs: 5000))
        #expect(server.acceptedConnections == 2)
    }

    @Test func peerClosingAKeptConnectionIsRetriedTransparently() throws {
        let client = PeerClient()
        // The first answer closes its connection; the client must notice and open a fresh one.
        let server = try ScriptedServer { request in
            let bytes = httpResponse(headers: ["Connection: close"], body: Array(request.target.utf8))
            return .sendAndClose(bytes)
        }
        defer { server.stop() }
        let first = try client.perform(PeerRequest(url: server.url("/first"), totalTimeoutMs: 5000))
        let second = try client.perform(PeerRequest(url: server.url("/second"), totalTimeoutMs: 5000))
        #expect(first.body == Array("/first".utf8))
        #expect(second.body == Array("/second".utf8))
        #expect(server.acceptedConnections == 2)
    }

    @Test func eightThreadsShareOnePeer() throws {
        let client = PeerClient(configuration: .init(maxIdleHandlesPerPeer: 8))
        let threads = 8
        let perThread = 10
        let server = try ScriptedServer { request in .send(httpResponse(body: Array(request.target.utf8))) }
        defer { server.stop() }
        let outcomes = Mutex<[String: Result<[UInt8], PeerError>]>([:])
        let done = DispatchGroup()
        for thread in 0..<threads {
            done.enter()
            Thread.detachNewThread {
                defer { done.leave() }
                for index in 0..<perThread {
                    let path = "/t\(thread)/r\(index)"
                    let request = PeerRequest(url: server.url(path), totalTimeoutMs: 10_000)
                    let outcome = Result { () throws(PeerError) in try client.perform(request).body }
                    outcomes.withLock { $0[path] = outcome }
                }
            }
        }
        #expect(done.wait(timeout: .now() + 30) == .success)
        let results = outcomes.withLock { $0 }
        #expect(results.count == threads * perThread)
        for (path, outcome) in results {
            let body = try outcome.get()
            #expect(body == Array(path.utf8))
        }
        // At most one handle, hence one connection, per concurrently running thread.
        #expect(server.acceptedConnections <= threads)
        #expect(server.requests.count == threads * perThread)
    }

    @Test func idleHandlesPerPeerAreBounded() throws {
        let client = PeerClient(configuration: .init(maxIdleHandlesPerPeer: 0))
        let server = try ScriptedServer { _ in .send(httpResponse(body: [])) }
        defer { server.stop() }
        _ = try client.perform(PeerRequest(url: server.url("/1"), totalTimeoutMs: 5000))
        _ = try client.perform(PeerRequest(url: server.url("/2"), totalTimeoutMs: 5000))
        #expect(client.idleConnectionCount(peer: server.peer) == 0)
        #expect(server.acceptedConnections == 2)
    }
}
