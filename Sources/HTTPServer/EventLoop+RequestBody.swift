import HTTPCore

extension EventLoop {
    /// Feeds received bytes to the parser, acting on each head before any of its body is handed out, so a body
    /// reaches its sink (or `request.body`) as slices of the read buffer rather than one array per event.
    func feed(_ connection: Connection, _ input: UnsafeRawBufferPointer) {
        var rest = input
        while !rest.isEmpty && !connection.closing && !connection.isClosed {
            let (events, consumed) = connection.parser.feed(rest) { piece in
                receiveBody(connection, piece)
            }
            if events.contains(where: { if case .head = $0 { true } else { false } }) {
                connection.headStart = nil
            }
            if connection.headStart == nil && !connection.parser.isIdle && !connection.parser.isInBody {
                connection.headStart = now
            }
            connection.appendEvents(events)
            process(connection)  // routes the head just parsed (sink or buffer) before its body is fed
            rest = UnsafeRawBufferPointer(rebasing: rest[consumed...])
        }
    }

    /// One piece of body, a slice of the read buffer valid only during this call.
    private func receiveBody(_ connection: Connection, _ piece: UnsafeRawBufferPointer) {
        if connection.closing { return }  // a final answer is queued (e.g. the sink refused): discard the rest
        if connection.hasPendingEvents || connection.head == nil {
            // Its head waits behind a request in flight, so its route is not chosen yet: keep a copy (bounded
            // by one read, since a connection with a request in flight is not read).
            connection.appendEvents([.body(Array(piece))])
            return
        }
        store(connection, piece)
    }

    /// Hands body bytes of the current request to its sink, or gathers them for `request.body`.
    func store(_ connection: Connection, _ piece: UnsafeRawBufferPointer) {
        guard let sink = connection.sink else {
            connection.body.append(contentsOf: piece)
            return
        }
        if !sink.write(piece) {
            connection.sink = nil  // it asked to stop: `abandon` is not for it
            respondAndClose(connection, sink.failure())
        }
    }

    /// The request being received will never reach the handler: tell its sink.
    func abandonSink(_ connection: Connection) {
        guard let sink = connection.sink else { return }
        connection.sink = nil
        sink.abandon()
    }
}
