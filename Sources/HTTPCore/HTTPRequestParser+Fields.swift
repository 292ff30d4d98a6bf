extension HTTPRequestParser {
    /// Header (or trailer) field lines `name ":" OWS value OWS CRLF`, then the empty line.
    mutating func stepFields(_ p: UnsafeRawBufferPointer, _ i: Int, _ sink: inout HTTPEventSink) -> Int {
        switch state {
        case .fieldStart:
            let b = p[i]
            if b == HTTPByte.cr {
                guard countHead(1) else { return fail(.headerFieldsTooLarge, sectionTooLarge, at: i, &sink) }
                state = .headEndLF
                return i + 1
            }
            if HTTPByte.isToken(b) {
                guard fieldCount < limits.maxHeaderCount else {
                    return fail(.headerFieldsTooLarge, "too many header fields", at: i, &sink)
                }
                fieldCount += 1
                fieldName.removeAll(keepingCapacity: true)
                state = .fieldName
                return i
            }
            if HTTPByte.isWhitespace(b) {
                return fail(.badRequest, "obsolete line folding is not allowed", at: i, &sink)
            }
            if b == HTTPByte.lf { return fail(.badRequest, "line ending must be CRLF", at: i, &sink) }
            return fail(.badRequest, "invalid header field name", at: i, &sink)
        case .fieldName:
            let j = p.scan(from: i, while: HTTPByte.isToken)
            fieldName.append(contentsOf: p.slice(i, j))
            guard countHead(j - i) else { return fail(.headerFieldsTooLarge, sectionTooLarge, at: j, &sink) }
            guard j < p.count else { return j }
            let b = p[j]
            if b == HTTPByte.colon {
                guard countHead(1) else { return fail(.headerFieldsTooLarge, sectionTooLarge, at: j, &sink) }
                fieldValue.removeAll(keepingCapacity: true)
                state = .fieldValueStart
                return j + 1
            }
            if HTTPByte.isWhitespace(b) {
                return fail(.badRequest, "whitespace before colon in header field", at: j, &sink)
            }
            return fail(.badRequest, "invalid header field name", at: j, &sink)
        case .fieldValueStart:
            let j = p.scan(from: i, while: HTTPByte.isWhitespace)
            guard countHead(j - i) else { return fail(.headerFieldsTooLarge, sectionTooLarge, at: j, &sink) }
            if j < p.count { state = .fieldValue }
            return j
        case .fieldValue:
            let j = p.scan(from: i, while: HTTPByte.isFieldValue)
            fieldValue.append(contentsOf: p.slice(i, j))
            guard countHead(j - i) else { return fail(.headerFieldsTooLarge, sectionTooLarge, at: j, &sink) }
            guard j < p.count else { return j }
            let b = p[j]
            if b == HTTPByte.cr {
                guard countHead(1) else { return fail(.headerFieldsTooLarge, sectionTooLarge, at: j, &sink) }
                state = .fieldLF
                return j + 1
            }
            if b == HTTPByte.lf { return fail(.badRequest, "line ending must be CRLF", at: j, &sink) }
            return fail(.badRequest, "invalid character in header field value", at: j, &sink)
        case .fieldLF:
            guard p[i] == HTTPByte.lf else { return fail(.badRequest, "CR not followed by LF", at: i, &sink) }
            guard countHead(1) else { return fail(.headerFieldsTooLarge, sectionTooLarge, at: i, &sink) }
            completeField()
            state = .fieldStart
            return i + 1
        case .headEndLF:
            guard p[i] == HTTPByte.lf else { return fail(.badRequest, "CR not followed by LF", at: i, &sink) }
            guard countHead(1) else { return fail(.headerFieldsTooLarge, sectionTooLarge, at: i, &sink) }
            if inTrailers {
                sink.emit(.end)
                resetForNextRequest()
            } else {
                completeHead(&sink)
            }
            return i + 1
        default:
            preconditionFailure("stepFields called outside a field section")
        }
    }

    private var sectionTooLarge: String { inTrailers ? "trailer section too large" : "header section too large" }

    /// Trims trailing OWS and records the field (trailer fields are validated but discarded).
    private mutating func completeField() {
        var end = fieldValue.count
        while end > 0 && HTTPByte.isWhitespace(fieldValue[end - 1]) { end -= 1 }
        guard !inTrailers else { return }
        let value = fieldValue[0..<end]
        facts.note(name: fieldName, value: value)
        // One allocation covers typical heads instead of growing 1, 2, 4, 8.
        if fields.isEmpty { fields.reserveCapacity(8) }
        fields.append((name: String(decoding: fieldName, as: UTF8.self), value: String(decoding: value, as: UTF8.self)))
    }

    /// Validates the head, applies the body limit, and emits `.head` (plus `.end` when there is no body).
    private mutating func completeHead(_ sink: inout HTTPEventSink) {
        let decision: HTTPHeadFacts.Decision
        do {
            decision = try facts.decide(version: version)
        } catch {
            state = .failed
            sink.emit(.error(error))
            return
        }
        let head = HTTPRequestHead(
            method: method,
            target: target,
            version: version,
            headers: HTTPHeaders(fields),
            framing: decision.framing,
            keepAlive: decision.keepAlive,
            expectContinue: decision.expectContinue
        )
        let tooLarge = HTTPParseError(.payloadTooLarge, "request body too large")
        if decision.lengthOverflow {
            state = .failed
            sink.emit(.error(tooLarge))
            return
        }
        switch decision.framing {
        case .none, .contentLength(0):
            sink.emit(.head(head))
            sink.emit(.end)
            resetForNextRequest()
            return
        case .contentLength(let length) where waitsForBodyLimit:
            sink.emit(.head(head))
            remaining = length
            state = .awaitingBodyLimit
            return
        case .chunked where waitsForBodyLimit:
            sink.emit(.head(head))
            remaining = 0
            state = .awaitingBodyLimit
            return
        default:
            break
        }
        let limit = bodyLimit?(head) ?? limits.maxBodyBytes
        switch decision.framing {
        case .none:
            break
        case .contentLength(let length):
            guard length <= limit else {
                state = .failed
                sink.emit(.error(tooLarge))
                return
            }
            sink.emit(.head(head))
            remaining = length
            state = .fixedBody
        case .chunked:
            sink.emit(.head(head))
            currentBodyLimit = max(limit, 0)
            bodyReceived = 0
            state = .chunkSizeStart
        }
    }
}
