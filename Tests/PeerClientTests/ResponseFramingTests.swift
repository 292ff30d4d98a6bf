import Testing

@testable import PeerClient

@Suite(.timeLimit(.minutes(1)))
struct ResponseFramingTests {
    /// Feeds `lines` (each without CRLF) and returns the step after the last one.
    private func feed(_ framing: inout ResponseFraming, _ lines: [String]) -> ResponseFraming.Step {
        var step = ResponseFraming.Step.more
        for line in lines {
            let bytes = Array((line + "\r\n").utf8)
            step = bytes.withUnsafeBytes { framing.consume(line: $0) }
            if case .invalid = step { return step }
        }
        return step
    }

    @Test func repeatedIdenticalContentLengthIsOneLength() {
        var framing = ResponseFraming()
        let step = feed(&framing, ["HTTP/1.1 200 OK", "Content-Length: 7, 7", "content-length: 7", ""])
        #expect(step == .complete)
        #expect(framing.contentLength == 7)
        #expect(framing.isSuccess)
    }

    @Test func differingOrMalformedContentLengthsAreInvalid() {
        for values in [["5", "6"], ["5, 6"], ["-1"], ["+5"], [""], ["0x10"]] {
            var framing = ResponseFraming()
            let step = feed(&framing, ["HTTP/1.1 200 OK"] + values.map { "Content-Length: \($0)" } + [""])
            #expect(step != .complete, "\(values)")
        }
    }

    @Test func interimResponseIsReplacedByTheFinalOne() {
        var framing = ResponseFraming()
        let step = feed(
            &framing,
            ["HTTP/1.1 100 Continue", "X-Interim: 1", "", "HTTP/1.1 201 Created", "X-Final: 2", ""]
        )
        #expect(step == .complete)
        #expect(framing.status == 201)
        #expect(framing.headers == [PeerHeader(name: "x-final", value: "2")])
    }

    @Test func trailersAfterTheHeaderChangeNothing() {
        var framing = ResponseFraming()
        _ = feed(&framing, ["HTTP/1.1 200 OK", "Transfer-Encoding: chunked", ""])
        let step = feed(&framing, ["Content-Length: 99", ""])
        #expect(step == .more)
        #expect(framing.contentLength == nil)
        #expect(framing.headers.count == 1)
    }

    @Test func namesAreLowerCasedAndValuesTrimmedAndFoldedLinesJoined() {
        var framing = ResponseFraming()
        _ = feed(&framing, ["HTTP/1.1 503 Service Unavailable", "Retry-After: \t 3 ", "X-Long: a", " b", ""])
        #expect(
            framing.headers == [PeerHeader(name: "retry-after", value: "3"), PeerHeader(name: "x-long", value: "a b")]
        )
        #expect(!framing.isSuccess)
    }

    @Test func malformedStatusOrFieldIsInvalid() {
        for lines in [["HTTP/1.1 20 OK"], ["HTTP/1.1 200 OK", "no colon here"], ["HTTP/1.1 200 OK", "Bad Name: x"]] {
            var framing = ResponseFraming()
            let step = feed(&framing, lines)
            #expect(step != .more, "\(lines)")
        }
    }
}
