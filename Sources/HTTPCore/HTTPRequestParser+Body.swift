extension HTTPRequestParser {
    /// Content-Length bodies and the chunked coding (RFC 9112 §7.1). Data is copied in bulk slices.
    mutating func stepBody(_ p: UnsafeRawBufferPointer, _ i: Int, _ sink: inout HTTPEventSink) -> Int {
        switch state {
        case .fixedBody:
            let take = min(remaining, p.count - i)
            sink.appendBody(p.slice(i, i + take))
            remaining -= take
            if remaining == 0 {
                sink.emit(.end)
                resetForNextRequest()
            }
            return i + take
        case .chunkSizeStart:
            guard let digit = HTTPByte.hexValue(p[i]) else {
                return fail(.badRequest, "invalid chunk size", at: i, &sink)
            }
            chunkSize = digit
            chunkLineBytes = 1
            state = .chunkSize
            return i + 1
        case .chunkSize:
            return stepChunkSize(p, i, &sink)
        case .chunkSizeWhitespace:
            let b = p[i]
            guard countChunkLine(1) else { return fail(.badRequest, "chunk size line too long", at: i, &sink) }
            if b == HTTPByte.semicolon {
                state = .chunkExtension
            } else if !HTTPByte.isWhitespace(b) {
                return fail(.badRequest, "invalid chunk extension", at: i, &sink)
            }
            return i + 1
        case .chunkExtension:
            // Extensions are accepted and ignored; only their bytes are checked.
            let j = p.scan(from: i, while: HTTPByte.isFieldValue)
            guard countChunkLine(j - i) else {
                return fail(.badRequest, "chunk size line too long", at: j, &sink)
            }
            guard j < p.count else { return j }
            guard p[j] == HTTPByte.cr else { return fail(.badRequest, "invalid chunk extension", at: j, &sink) }
            guard countChunkLine(1) else { return fail(.badRequest, "chunk size line too long", at: j, &sink) }
            state = .chunkSizeLF
            return j + 1
        case .chunkSizeLF:
            guard p[i] == HTTPByte.lf else { return fail(.badRequest, "CR not followed by LF", at: i, &sink) }
            if chunkSize == 0 {
                inTrailers = true
                state = .fieldStart
            } else {
                remaining = chunkSize
                state = .chunkData
            }
            return i + 1
        case .chunkData:
            let take = min(remaining, p.count - i)
            sink.appendBody(p.slice(i, i + take))
            remaining -= take
            bodyReceived += take
            if remaining == 0 { state = .chunkDataCR }
            return i + take
        case .chunkDataCR:
            guard p[i] == HTTPByte.cr else {
                return fail(.badRequest, "chunk data not followed by CRLF", at: i, &sink)
            }
            state = .chunkDataLF
            return i + 1
        case .chunkDataLF:
            guard p[i] == HTTPByte.lf else {
                return fail(.badRequest, "chunk data not followed by CRLF", at: i, &sink)
            }
            state = .chunkSizeStart
            return i + 1
        default:
            preconditionFailure("stepBody called outside a body")
        }
    }

    /// Hex digits of a chunk size, then its terminator. Checked byte by byte (the line is short) so that the
    /// overflow and line-length checks happen in a split-independent order.
    private mutating func stepChunkSize(_ p: UnsafeRawBufferPointer, _ i: Int, _ sink: inout HTTPEventSink) -> Int {
        var j = i
        while j < p.count, let digit = HTTPByte.hexValue(p[j]) {
            guard chunkSize <= (Int.max - digit) / 16 else {
                return fail(.badRequest, "chunk size too large", at: j, &sink)
            }
            chunkSize = chunkSize * 16 + digit
            guard countChunkLine(1) else { return fail(.badRequest, "chunk size line too long", at: j, &sink) }
            j += 1
        }
        guard j < p.count else { return j }
        let b = p[j]
        guard b == HTTPByte.cr || b == HTTPByte.semicolon || HTTPByte.isWhitespace(b) else {
            return fail(.badRequest, "invalid chunk size", at: j, &sink)
        }
        // The size line announces the body is over the limit: answer now, before any of its data.
        guard chunkSize <= currentBodyLimit - bodyReceived else {
            return fail(.payloadTooLarge, "request body too large", at: j, &sink)
        }
        guard countChunkLine(1) else { return fail(.badRequest, "chunk size line too long", at: j, &sink) }
        state =
            b == HTTPByte.cr ? .chunkSizeLF : b == HTTPByte.semicolon ? .chunkExtension : .chunkSizeWhitespace
        return j + 1
    }

    @inline(__always)
    private mutating func countChunkLine(_ n: Int) -> Bool {
        chunkLineBytes += n
        return chunkLineBytes <= Self.maxChunkLineBytes
    }
}
