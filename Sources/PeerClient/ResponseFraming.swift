/// Reads the response header lines libcurl hands over and decides how the body is delimited.
/// Strict on purpose: a peer announcing two different lengths, or both a length and a transfer coding,
/// is refused rather than guessed at (libcurl itself accepts such answers).
struct ResponseFraming {
    enum Step: Equatable {
        case more
        case complete
        case invalid(String)
    }

    /// Status of the current (final, once complete) response.
    private(set) var status = 0
    /// Header fields of the current response, names lower-cased.
    private(set) var headers: [PeerHeader] = []
    /// True once the blank line ending a final (non-1xx) response header was seen.
    private(set) var isComplete = false
    /// The agreed Content-Length, when announced.
    private(set) var contentLength: Int?

    /// A complete 2xx header.
    var isSuccess: Bool { isComplete && (200..<300).contains(status) }

    /// Consumes one header line (CRLF included).
    mutating func consume(line bytes: UnsafeRawBufferPointer) -> Step {
        // Trailer fields after a chunked body come through the same callback; they carry no framing.
        if isComplete { return .more }
        // Strip CR LF as bytes: as a String, "\r\n" is one Character.
        var end = bytes.count
        while end > 0, bytes[end - 1] == UInt8(ascii: "\n") || bytes[end - 1] == UInt8(ascii: "\r") {
            end -= 1
        }
        let line = String(decoding: UnsafeRawBufferPointer(rebasing: bytes[..<end]), as: UTF8.self)
        if line.hasPrefix("HTTP/") { return startResponse(statusLine: line) }
        if line.isEmpty { return finishHeader() }
        guard status != 0 else { return .invalid("header field before the status line") }
        if line.first == " " || line.first == "\t" {
            // Obsolete line folding: continue the previous value.
            guard !headers.isEmpty else { return .invalid("folded line without a field") }
            headers[headers.count - 1].value += " " + trimmed(Substring(line))
            return .more
        }
        guard let colon = line.firstIndex(of: ":") else { return .invalid("header line without a colon: \(line)") }
        let name = line[..<colon].lowercased()
        guard !name.isEmpty, !name.contains(where: { $0 == " " || $0 == "\t" }) else {
            return .invalid("malformed header field name")
        }
        headers.append(PeerHeader(name: name, value: trimmed(line[line.index(after: colon)...])))
        return .more
    }

    private mutating func startResponse(statusLine: String) -> Step {
        let parts = statusLine.split(separator: " ", maxSplits: 2, omittingEmptySubsequences: false)
        guard parts.count >= 2, parts[1].count == 3, let code = Int(parts[1]), (100..<600).contains(code) else {
            return .invalid("malformed status line: \(statusLine)")
        }
        // A new response (after a 1xx) replaces everything seen so far.
        self = ResponseFraming()
        status = code
        return .more
    }

    private mutating func finishHeader() -> Step {
        guard status != 0 else { return .invalid("empty header") }
        if (100..<200).contains(status) { return .more }  // informational: the real answer follows
        var lengths = Set<String>()
        for field in headers where field.name == "content-length" {
            for item in field.value.split(separator: ",", omittingEmptySubsequences: false) {
                lengths.insert(trimmed(item))
            }
        }
        if !lengths.isEmpty {
            guard lengths.count == 1, let only = lengths.first, !only.isEmpty,
                only.utf8.allSatisfy({ $0 >= UInt8(ascii: "0") && $0 <= UInt8(ascii: "9") }),
                let length = Int(only)
            else {
                return .invalid("conflicting or malformed Content-Length: \(lengths.sorted())")
            }
            contentLength = length
        }
        if contentLength != nil, headers.contains(where: { $0.name == "transfer-encoding" }) {
            return .invalid("both Content-Length and Transfer-Encoding")
        }
        isComplete = true
        return .complete
    }

    private func trimmed(_ text: Substring) -> String {
        var text = text
        while text.first == " " || text.first == "\t" {
            text.removeFirst()
        }
        while text.last == " " || text.last == "\t" {
            text.removeLast()
        }
        return String(text)
    }
}
