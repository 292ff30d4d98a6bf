extension HTTPRequestParser {
    /// `method SP request-target SP HTTP-version CRLF`, after any empty lines.
    mutating func stepRequestLine(_ p: UnsafeRawBufferPointer, _ i: Int, _ sink: inout HTTPEventSink) -> Int {
        switch state {
        case .idle:
            let b = p[i]
            if b == HTTPByte.cr {
                // A few empty lines are tolerated (RFC 9112 §2.2); a client that keeps sending them is not
                // making a request and must not hold the connection forever.
                emptyLines += 1
                guard emptyLines <= Self.maxEmptyLines else {
                    return fail(.badRequest, "too many empty lines before the request line", at: i, &sink)
                }
                guard countHead(1) else {
                    return fail(.badRequest, "too many empty lines before the request line", at: i, &sink)
                }
                state = .leadingLF
                return i + 1
            }
            guard HTTPByte.isToken(b) else { return fail(.badRequest, "invalid request line", at: i, &sink) }
            state = .method
            return i
        case .leadingLF:
            guard p[i] == HTTPByte.lf else { return fail(.badRequest, "CR not followed by LF", at: i, &sink) }
            guard countHead(1) else {
                return fail(.badRequest, "too many empty lines before the request line", at: i, &sink)
            }
            state = .idle
            return i + 1
        case .method:
            let j = p.scan(from: i, while: HTTPByte.isToken)
            scratch.append(contentsOf: p.slice(i, j))
            guard countHead(j - i) else { return fail(.badRequest, "request line too long", at: j, &sink) }
            guard j < p.count else { return j }
            guard p[j] == HTTPByte.sp else { return fail(.badRequest, "invalid method", at: j, &sink) }
            guard countHead(1) else { return fail(.badRequest, "request line too long", at: j, &sink) }
            method = String(decoding: scratch, as: UTF8.self)
            scratch.removeAll(keepingCapacity: true)
            state = .targetStart
            return j + 1
        case .targetStart:
            guard p[i] != HTTPByte.sp else { return fail(.badRequest, "empty request target", at: i, &sink) }
            state = .target
            return i
        case .target:
            return stepTarget(p, i, &sink)
        case .version(let position):
            return stepVersion(p, i, position, &sink)
        default:
            preconditionFailure("stepRequestLine called outside the request line")
        }
    }

    private mutating func stepTarget(_ p: UnsafeRawBufferPointer, _ i: Int, _ sink: inout HTTPEventSink) -> Int {
        let j = p.scan(from: i, while: HTTPByte.isTarget)
        scratch.append(contentsOf: p.slice(i, j))
        targetBytes += j - i
        // One reason for both budgets, so the answer cannot depend on where the input was split.
        guard targetBytes <= limits.maxTargetBytes, countHead(j - i) else {
            return fail(.uriTooLong, "request target too long", at: j, &sink)
        }
        guard j < p.count else { return j }
        guard p[j] == HTTPByte.sp else {
            return fail(.badRequest, "invalid character in request target", at: j, &sink)
        }
        guard countHead(1) else { return fail(.uriTooLong, "request target too long", at: j, &sink) }
        target = String(decoding: scratch, as: UTF8.self)
        scratch.removeAll(keepingCapacity: true)
        state = .version(0)
        return j + 1
    }

    /// One byte of `HTTP/D.D\r\n`: the shape is fixed, so a position index replaces a buffer.
    private mutating func stepVersion(
        _ p: UnsafeRawBufferPointer,
        _ i: Int,
        _ position: Int,
        _ sink: inout HTTPEventSink
    ) -> Int {
        let b = p[i]
        switch position {
        case 0...4:
            let expected: UInt8 =
                switch position {
                case 0: 0x48  // H
                case 1, 2: 0x54  // T
                case 3: 0x50  // P
                default: 0x2F  // /
                }
            guard b == expected else { return fail(.badRequest, "invalid HTTP version", at: i, &sink) }
        case 5:
            guard b >= 0x30 && b <= 0x39 else { return fail(.badRequest, "invalid HTTP version", at: i, &sink) }
            guard b == 0x31 else { return fail(.versionNotSupported, "HTTP version not supported", at: i, &sink) }
        case 6:
            guard b == 0x2E else { return fail(.badRequest, "invalid HTTP version", at: i, &sink) }
        case 7:
            guard b >= 0x30 && b <= 0x39 else { return fail(.badRequest, "invalid HTTP version", at: i, &sink) }
            version = HTTPVersion(major: 1, minor: Int(b &- 0x30))
        case 8:
            if b == HTTPByte.lf { return fail(.badRequest, "line ending must be CRLF", at: i, &sink) }
            guard b == HTTPByte.cr else { return fail(.badRequest, "invalid HTTP version", at: i, &sink) }
        default:
            guard b == HTTPByte.lf else { return fail(.badRequest, "CR not followed by LF", at: i, &sink) }
        }
        guard countHead(1) else { return fail(.badRequest, "request line too long", at: i, &sink) }
        state = position == 9 ? .fieldStart : .version(position + 1)
        return i + 1
    }
}
