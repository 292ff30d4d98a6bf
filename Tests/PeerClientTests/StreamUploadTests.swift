import PeerClient
import Synchronization
import Testing

/// Hands out `bytes` through `read(into:)` in order, recording how the client pulled them.
private final class RecordingProducer: Sendable {
    private struct Progress {
        var offset = 0
        var reads = 0
        var largestRead = 0
        var rewinds = 0
    }

    let bytes: [UInt8]
    /// Bytes the producer claims to have before it stops early (to simulate a broken producer).
    private let available: Int
    private let progress = Mutex(Progress())

    init(_ bytes: [UInt8], stopAfter available: Int? = nil) {
        self.bytes = bytes
        self.available = available ?? bytes.count
    }

    var reads: Int { progress.withLock { $0.reads } }
    var largestRead: Int { progress.withLock { $0.largestRead } }
    var rewinds: Int { progress.withLock { $0.rewinds } }

    func read(into buffer: UnsafeMutableRawBufferPointer) -> Int {
        progress.withLock { progress in
            let count = min(buffer.count, available - progress.offset)
            bytes.withUnsafeBytes { source in
                buffer.copyMemory(
                    from: UnsafeRawBufferPointer(rebasing: source[progress.offset..<progress.offset + count])
                )
            }
            progress.offset += count
            progress.reads += 1
            progress.largestRead = max(progress.largestRead, count)
            return count
        }
    }

    func rewind() -> Bool {
        progress.withLock {
            $0.offset = 0
            $0.rewinds += 1
        }
        return true
    }

    var stream: PeerUploadStream {
        PeerUploadStream(length: bytes.count, rewind: { self.rewind() }, read: { self.read(into: $0) })
    }

    /// The same stream without a way to restart it.
    var oneShotStream: PeerUploadStream {
        PeerUploadStream(length: bytes.count) { self.read(into: $0) }
    }
}

@Suite(.timeLimit(.minutes(1)))
struct StreamUploadTests {
    let client = PeerClient()

    @Test func sixtyFourMiBStreamArrivesIntactWithAnExactContentLength() throws {
        let size = 64 << 20
        let producer = RecordingProducer(randomBytes(size))
        let server = try ScriptedServer { _ in .send(httpResponse(status: 201, reason: "Created", body: [])) }
        defer { server.stop() }
        let response = try client.perform(
            PeerRequest(
                method: "POST",
                url: server.url("/v1/peer/push"),
                body: .stream(producer.stream),
                totalTimeoutMs: 30_000
            )
        )
        #expect(response.status == 201)
        let received = try #require(server.requests.first)
        #expect(received.head.hasPrefix("POST /v1/peer/push HTTP/1.1\r\n"))
        #expect(received.head.contains("\r\nContent-Length: \(size)"))
        #expect(!received.headerNames.contains("expect"))
        #expect(!received.headerNames.contains("transfer-encoding"))
        #expect(received.body.count == size)
        #expect(received.body == producer.bytes)
        // Pulled piece by piece into libcurl's upload buffer, never as one buffered body.
        #expect(producer.largestRead <= 512 << 10)
        #expect(producer.reads >= size / (512 << 10))
    }

    @Test func streamUsesTheGivenMethodAndAnEmptyStreamSendsContentLengthZero() throws {
        let server = try ScriptedServer { _ in .send(httpResponse(body: Array("ok".utf8))) }
        defer { server.stop() }
        let small = RecordingProducer(randomBytes(100_000))
        let put = try client.perform(
            PeerRequest(
                method: "PUT",
                url: server.url("/v1/cache/1"),
                body: .stream(small.stream),
                totalTimeoutMs: 5000
            )
        )
        #expect(put.body == Array("ok".utf8))
        let empty = RecordingProducer([])
        _ = try client.perform(
            PeerRequest(method: "POST", url: server.url("/empty"), body: .stream(empty.stream), totalTimeoutMs: 5000)
        )
        let requests = server.requests
        try #require(requests.count == 2)
        #expect(requests[0].head.hasPrefix("PUT /v1/cache/1 HTTP/1.1\r\n"))
        #expect(requests[0].head.contains("\r\nContent-Length: 100000"))
        #expect(requests[0].body == small.bytes)
        #expect(requests[1].head.contains("\r\nContent-Length: 0"))
        #expect(requests[1].body.isEmpty)
        #expect(empty.reads == 0)
    }

    @Test func streamEndingBeforeItsLengthFailsTheRequest() throws {
        let server = try ScriptedServer { _ in .send(httpResponse(body: [])) }
        defer { server.stop() }
        let producer = RecordingProducer(randomBytes(2 << 20), stopAfter: 1 << 20)
        let error = peerError { () throws(PeerError) in
            try client.perform(
                PeerRequest(
                    method: "POST",
                    url: server.url("/short"),
                    body: .stream(producer.stream),
                    totalTimeoutMs: 5000
                )
            )
        }
        #expect(error?.kind == .aborted)
        #expect(server.requests.isEmpty)
    }

    /// A peer that closes a kept-alive connection instead of answering: libcurl retries on a new connection,
    /// which needs the stream rewound.
    private func serverDroppingTheSecondRequest() throws -> ScriptedServer {
        let answered = Mutex(0)
        return try ScriptedServer { _ in
            let number = answered.withLock { count in
                count += 1
                return count
            }
            return number == 2 ? .close : .send(httpResponse(body: []))
        }
    }

    @Test func rewindableStreamIsResentWhenAKeptAliveConnectionDies() throws {
        let server = try serverDroppingTheSecondRequest()
        defer { server.stop() }
        let first = RecordingProducer(randomBytes(1000))
        _ = try client.perform(PeerRequest(method: "POST", url: server.url("/a"), body: .stream(first.stream)))
        let second = RecordingProducer(randomBytes(3 << 20))
        let response = try client.perform(
            PeerRequest(method: "POST", url: server.url("/b"), body: .stream(second.stream), totalTimeoutMs: 10_000)
        )
        #expect(response.status == 200)
        let requests = server.requests
        try #require(requests.count == 3)
        #expect(requests.map(\.connection) == [1, 1, 2])
        #expect(requests[2].body == second.bytes)
        #expect(second.rewinds == 1)
    }

    @Test func oneShotStreamFailsInsteadOfResendingGarbage() throws {
        let server = try serverDroppingTheSecondRequest()
        defer { server.stop() }
        let first = RecordingProducer(randomBytes(1000))
        _ = try client.perform(PeerRequest(method: "POST", url: server.url("/a"), body: .stream(first.oneShotStream)))
        let second = RecordingProducer(randomBytes(3 << 20))
        let error = peerError { () throws(PeerError) in
            try client.perform(
                PeerRequest(method: "POST", url: server.url("/b"), body: .stream(second.oneShotStream))
            )
        }
        // libcurl's CURLE_SEND_FAIL_REWIND: the body cannot be resent.
        #expect(error?.kind == .other)
        #expect(error?.message.contains("curl error 65") == true, "\(String(describing: error))")
        #expect(server.requests.count == 2)
        #expect(second.rewinds == 0)
    }

    @Test func negativeStreamLengthIsRefusedBeforeSending() throws {
        let server = try ScriptedServer { _ in .send(httpResponse(body: [])) }
        defer { server.stop() }
        let stream = PeerUploadStream(length: -1) { _ in 0 }
        let error = peerError { () throws(PeerError) in
            try client.perform(PeerRequest(method: "POST", url: server.url("/n"), body: .stream(stream)))
        }
        #expect(error?.kind == .other)
        #expect(server.acceptedConnections == 0)
    }
}
