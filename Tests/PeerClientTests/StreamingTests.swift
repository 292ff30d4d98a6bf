import PeerClient
import Testing

@Suite(.timeLimit(.minutes(1)))
struct StreamingTests {
    let client = PeerClient()

    @Test func eightMiBLandInPreallocatedMemoryChunkByChunk() throws {
        let size = 8 << 20
        let payload = randomBytes(size)
        let destination = UnsafeMutableRawBufferPointer.allocate(byteCount: size, alignment: 4096)
        defer { destination.deallocate() }
        destination.initializeMemory(as: UInt8.self, repeating: 0)
        let server = try ScriptedServer { _ in .send(httpResponse(body: payload)) }
        defer { server.stop() }
        var offset = 0
        var chunks = 0
        var largestChunk = 0
        let head = try client.perform(
            PeerRequest(url: server.url("/v1/peer/pull"), totalTimeoutMs: 20_000),
            expectedLength: size
        ) { chunk in
            UnsafeMutableRawBufferPointer(rebasing: destination[offset..<offset + chunk.count]).copyMemory(
                from: chunk
            )
            offset += chunk.count
            chunks += 1
            largestChunk = max(largestChunk, chunk.count)
            return true
        }
        #expect(head.status == 200)
        #expect(head.headers.value(named: "content-length") == "\(size)")
        #expect(offset == size)
        #expect(payload.withUnsafeBytes { fnv1a($0) } == fnv1a(UnsafeRawBufferPointer(destination)))
        #expect(payload.withUnsafeBytes { $0.elementsEqual(destination) })
        // Delivered from libcurl's receive buffer as it fills, never as one buffered body.
        #expect(largestChunk <= 512 << 10)
        #expect(chunks >= 16)
    }

    @Test func sinkReturningFalseAbortsTheTransfer() throws {
        let server = try ScriptedServer { _ in .send(httpResponse(body: randomBytes(4 << 20))) }
        defer { server.stop() }
        var calls = 0
        let error = peerError { () throws(PeerError) in
            try client.perform(PeerRequest(url: server.url("/pull")), expectedLength: 4 << 20) { _ in
                calls += 1
                return false
            }
        }
        #expect(error?.kind == .aborted)
        #expect(calls == 1)
    }

    @Test func announcedLengthOtherThanExpectedIsRefusedBeforeTheSink() throws {
        let server = try ScriptedServer { _ in .send(httpResponse(body: randomBytes(100))) }
        defer { server.stop() }
        var delivered = 0
        let error = peerError { () throws(PeerError) in
            try client.perform(PeerRequest(url: server.url("/pull")), expectedLength: 200) { chunk in
                delivered += chunk.count
                return true
            }
        }
        #expect(error?.kind == .badResponse)
        #expect(delivered == 0)
    }

    @Test func closeDelimitedBodyMustHaveTheExpectedLength() throws {
        let head = Array("HTTP/1.1 200 OK\r\nConnection: close\r\n\r\n".utf8)
        let body = randomBytes(100)
        let server = try ScriptedServer { request in
            .sendAndClose(head + (request.target == "/short" ? Array(body[..<60]) : body))
        }
        defer { server.stop() }
        var delivered: [UInt8] = []
        let short = peerError { () throws(PeerError) in
            try client.perform(PeerRequest(url: server.url("/short")), expectedLength: 100) { chunk in
                delivered += chunk
                return true
            }
        }
        #expect(short?.kind == .badResponse)
        delivered = []
        let full = try client.perform(PeerRequest(url: server.url("/full")), expectedLength: 100) { chunk in
            delivered += chunk
            return true
        }
        #expect(full.status == 200)
        #expect(delivered == body)
    }

    @Test func chunkedBodyIsCheckedAgainstExpectedLengthAndNeverOverflowsTheSink() throws {
        let chunked = Array(
            "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n6\r\n world\r\n0\r\n\r\n".utf8
        )
        let server = try ScriptedServer { _ in .send(chunked) }
        defer { server.stop() }
        var delivered: [UInt8] = []
        let exact = try client.perform(PeerRequest(url: server.url("/exact")), expectedLength: 11) { chunk in
            delivered += chunk
            return true
        }
        #expect(exact.status == 200)
        #expect(delivered == Array("hello world".utf8))

        delivered = []
        let tooLong = peerError { () throws(PeerError) in
            try client.perform(PeerRequest(url: server.url("/long")), expectedLength: 8) { chunk in
                delivered += chunk
                return true
            }
        }
        #expect(tooLong?.kind == .badResponse)
        #expect(delivered.count <= 8)

        let tooShort = peerError { () throws(PeerError) in
            try client.perform(PeerRequest(url: server.url("/short")), expectedLength: 20) { _ in true }
        }
        #expect(tooShort?.kind == .badResponse)
    }

    @Test func errorStatusKeepsItsBodyAwayFromTheSink() throws {
        let json = Array(#"{"error": {"status": "LLM_KV_CACHE_NOT_EXIST"}}"#.utf8)
        let server = try ScriptedServer { _ in .send(httpResponse(status: 404, reason: "Not Found", body: json))
        }
        defer { server.stop() }
        var delivered = 0
        let error = peerError { () throws(PeerError) in
            try client.perform(PeerRequest(url: server.url("/pull")), expectedLength: 1 << 20) { chunk in
                delivered += chunk.count
                return true
            }
        }
        #expect(error?.kind == .httpStatus(404))
        #expect(error?.body == json)
        #expect(delivered == 0)
    }
}
