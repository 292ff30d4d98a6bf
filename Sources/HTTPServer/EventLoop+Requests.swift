import HTTPCore

/// From bytes to requests: the parser, the handler's one decision per head, the body into its sink or buffer,
/// the completed request to the accepted handler.
extension EventLoop {
    func resumeUnread(_ connection: Connection) {
        guard !connection.unread.isEmpty, canFeed(connection) else { return }
        let input = connection.unread
        connection.unread = []
        input.withUnsafeBytes { feed(connection, $0) }
    }

    private func canFeed(_ connection: Connection) -> Bool {
        connection.inFlight == nil && !connection.closing && !connection.isClosed && !stopping
    }

    /// Feeds received bytes to the parser one request at a time: the parser stops after each head (so the
    /// handler accepts it before any of its body is handed out, as slices of the read buffer) and after each
    /// request (so a pipelined request waits, unread, while the one before it is in flight).
    func feed(_ connection: Connection, _ input: UnsafeRawBufferPointer) {
        var rest = input
        while !rest.isEmpty && canFeed(connection) {
            let (events, consumed) = connection.parser.feed(rest) { piece in
                store(connection, piece)
            }
            rest = UnsafeRawBufferPointer(rebasing: rest[consumed...])
            for event in events {
                guard handle(event, on: connection) else { return }
            }
        }
        if !rest.isEmpty && !connection.closing && !connection.isClosed {
            connection.unread.append(contentsOf: rest)
        }
    }

    /// Acts on one parser event; false once the connection will read no more.
    func handle(_ event: HTTPParserEvent, on connection: Connection) -> Bool {
        switch event {
        case .head(let head):
            return accept(head, on: connection)
        case .body(let bytes):
            bytes.withUnsafeBytes { store(connection, $0) }  // only from `finish`, never in practice
            return !connection.closing
        case .end:
            guard let receiving = connection.receiving else { return true }
            connection.receiving = nil
            var request = HTTPRequest(head: receiving.head, body: receiving.body)
            request.sink = receiving.accepted.sink
            connection.sequence &+= 1
            connection.inFlight = Connection.InFlight(
                sequence: connection.sequence,
                keepAlive: receiving.head.keepAlive && !connection.overCap,
                isHead: receiving.head.method == "HEAD"
            )
            connection.machine.requestDispatched()
            receiving.accepted.handle(request, responder(for: connection))
            return true
        case .error(let error):
            respondAndClose(connection, handler.errorResponse(status: error.status, reason: error.reason))
            return false
        }
    }

    /// The handler's one decision on a head; then the parser is told the body limit it chose.
    private func accept(_ head: HTTPRequestHead, on connection: Connection) -> Bool {
        if connection.overCap && !configuration.reservedPaths.contains(head.path) {
            respondAndClose(connection, overCapResponse())
            return false
        }
        switch handler.accept(head) {
        case .reject(let response):
            respondAndClose(connection, response)
            return false
        case .accept(let accepted):
            if connection.parser.awaitsBodyLimit {
                if let error = connection.parser.acceptBody(limit: accepted.bodyLimit) {
                    accepted.sink?.abandon()
                    respondAndClose(connection, handler.errorResponse(status: error.status, reason: error.reason))
                    return false
                }
                connection.machine.bodyStarted()
            }
            connection.receiving = Connection.Receiving(head: head, accepted: accepted)
            if head.expectContinue {
                connection.output.append(HTTPResponseSerializer.continueLine)
            }
            return true
        }
    }

    /// Hands body bytes of the current request to its sink, or gathers them for `request.body`.
    func store(_ connection: Connection, _ piece: UnsafeRawBufferPointer) {
        if connection.closing { return }  // a final answer is queued (e.g. the sink refused): discard the rest
        guard connection.receiving != nil else { return }
        guard let sink = connection.receiving?.accepted.sink else {
            connection.receiving?.body.append(contentsOf: piece)
            return
        }
        if !sink.write(piece) {
            connection.receiving = nil  // it asked to stop: `abandon` is not for it
            respondAndClose(connection, sink.failure())
        }
    }

    /// The request being received will never reach the handler: tell its sink.
    func abandonSink(_ connection: Connection) {
        guard let receiving = connection.receiving else { return }
        connection.receiving = nil
        receiving.accepted.sink?.abandon()
    }

    private func responder(for connection: Connection) -> HTTPResponder {
        let fd = connection.fd
        let id = connection.id
        let sequence = connection.sequence
        return HTTPResponder { [self] response in
            post(Delivery(fd: fd, connectionID: id, sequence: sequence, response: response))
        }
    }
}
