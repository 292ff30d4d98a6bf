import HTTPCore
import Testing

/// `feed(_:body:)`: body bytes as slices of the fed buffer, a pause after each head, progress reporting.
@Suite struct ParserBodySliceTests {
    /// Feeds `text` once; returns the events, consumed count, and the body slices as offsets into the input.
    private func feedOnce(
        _ parser: inout HTTPRequestParser,
        _ bytes: [UInt8]
    ) -> (events: [HTTPParserEvent], consumed: Int, slices: [Range<Int>]) {
        bytes.withUnsafeBytes { raw in
            var slices: [Range<Int>] = []
            let (events, consumed) = parser.feed(raw) { piece in
                let start = piece.baseAddress! - raw.baseAddress!
                slices.append(start..<start + piece.count)
            }
            return (events, consumed, slices)
        }
    }

    @Test func pausesAfterTheHeadThenHandsTheBodyAsSlicesOfTheInput() {
        let head = "PUT /kv HTTP/1.1\r\nHost: h\r\nContent-Length: 10\r\n\r\n"
        let bytes = Array((head + "0123456789GET /n HTTP/1.1\r\nHost: h\r\n\r\n").utf8)
        var parser = HTTPRequestParser()

        let first = feedOnce(&parser, bytes)
        #expect(render(first.events) == ["head PUT /kv 1.1 cl=10 ka | Host: h | Content-Length: 10"])
        #expect(first.consumed == head.utf8.count)
        #expect(first.slices.isEmpty)
        #expect(parser.isInBody)

        let rest = Array(bytes[first.consumed...])
        let second = feedOnce(&parser, rest)
        // The slice points into the buffer that was fed: no copy was made.
        #expect(second.slices == [0..<10])
        #expect(render(second.events) == ["end", "head GET /n 1.1 none ka | Host: h", "end"])
        #expect(second.consumed == rest.count)
        #expect(parser.isIdle)
    }

    @Test func chunkedBodySlicesLeaveOutTheFraming() {
        let head = "POST /c HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\n\r\n"
        let chunks = "3\r\nabc\r\n5;x=y\r\ndefgh\r\n0\r\nT: 1\r\n\r\n"
        var parser = HTTPRequestParser()
        let first = feedOnce(&parser, Array((head + chunks).utf8))
        #expect(first.events.count == 1)
        let rest = Array(chunks.utf8)
        let second = feedOnce(&parser, rest)
        #expect(second.slices.map { String(decoding: rest[$0], as: UTF8.self) } == ["abc", "defgh"])
        #expect(second.events == [.end])
        #expect(second.consumed == rest.count)
    }

    @Test func aHeadWithoutBodyReturnsItsEndInTheSameCall() {
        var parser = HTTPRequestParser()
        let bytes = Array("GET /a HTTP/1.1\r\nHost: h\r\n\r\nGET /b HTTP/1.1\r\nHost: h\r\n\r\n".utf8)
        let first = feedOnce(&parser, bytes)
        #expect(render(first.events) == ["head GET /a 1.1 none ka | Host: h", "end"])
        #expect(first.consumed == bytes.count / 2)
    }

    @Test func anErrorConsumesTheWholeInput() {
        var parser = HTTPRequestParser(bodyLimit: { _ in 4 })
        let bytes = Array("PUT / HTTP/1.1\r\nHost: h\r\nContent-Length: 5\r\n\r\nhello".utf8)
        let result = feedOnce(&parser, bytes)
        #expect(result.events == [.error(HTTPParseError(.payloadTooLarge, "request body too large"))])
        #expect(result.consumed == bytes.count)
        #expect(result.slices.isEmpty)
        #expect(parser.hasFailed)
    }

    @Test func largeBodyIsHandedOutWithoutCopies() {
        let size = 4 << 20
        var parser = HTTPRequestParser(bodyLimit: { _ in size })
        _ = feedOnce(&parser, Array("PUT /kv HTTP/1.1\r\nHost: h\r\nContent-Length: \(size)\r\n\r\n".utf8))
        let payload = (0..<size).map { UInt8(truncatingIfNeeded: $0 &* 31) }
        var received = 0
        var matches = true
        var events: [HTTPParserEvent] = []
        payload.withUnsafeBytes { raw in
            var offset = 0
            while offset < size {
                let piece = UnsafeRawBufferPointer(rebasing: raw[offset..<min(size, offset + (300 << 10))])
                let (produced, consumed) = parser.feed(piece) { slice in
                    // Each slice is the very memory fed, at the position the body has reached.
                    matches = matches && slice.baseAddress == raw.baseAddress! + received
                    received += slice.count
                }
                events += produced
                offset += consumed
            }
        }
        #expect(received == size)
        #expect(matches)
        #expect(events == [.end])
    }
}
