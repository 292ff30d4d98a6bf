import CLinux
import Glibc
import HTTPCore

extension EventLoop {
    // MARK: - Accepting

    func acceptConnections() {
        for _ in 0..<64 {
            guard listenFD >= 0 else { return }
            let fd = clinux_accept(listenFD)
            if fd < 0 {
                let code = clinux_errno()
                switch code {
                case EINTR, ECONNABORTED, EPROTO:
                    continue
                case EMFILE, ENFILE, ENOBUFS, ENOMEM:
                    // Out of descriptors: stop listening for a tick instead of spinning on a ready listener.
                    listenerPausedUntil = now + tickMs
                    _ = clinux_epoll_ctl(epollFD, clinux_epoll_mod(), listenFD, 0, Self.listenerToken)
                    return
                default:
                    return
                }
            }
            _ = clinux_set_nodelay(fd)
            let overCap = activeCount >= configuration.maxConnections
            if overCap && live.count - activeCount >= max(16, min(configuration.maxConnections, 256)) {
                Glibc.close(fd)  // too many 503s already lingering: just drop it
                continue
            }
            guard let connection = register(fd: fd, countsTowardCap: !overCap) else { continue }
            if overCap {
                let reason = "too many open connections (limit \(configuration.maxConnections))"
                respondAndClose(connection, handler.errorResponse(status: 503, reason: reason))
                service(connection)
            }
        }
    }

    private func register(fd: Int32, countsTowardCap: Bool) -> Connection? {
        nextID &+= 1
        let connection = Connection(
            fd: fd,
            id: nextID,
            countsTowardCap: countsTowardCap,
            parser: HTTPRequestParser(limits: configuration.limits, bodyLimit: bodyLimit),
            registered: clinux_epollin(),
            now: now
        )
        guard clinux_epoll_ctl(epollFD, clinux_epoll_add(), fd, clinux_epollin(), connection.token) == 0 else {
            Glibc.close(fd)
            return nil
        }
        if Int(fd) >= slots.count {
            slots.append(contentsOf: repeatElement(nil, count: Int(fd) + 1 - slots.count))
        }
        slots[Int(fd)] = connection
        connection.index = live.count
        live.append(connection)
        if countsTowardCap { activeCount += 1 }
        stats.connections.store(live.count, ordering: .relaxed)
        return connection
    }

    // MARK: - I/O readiness

    func handleIO(_ connection: Connection, events: UInt32) {
        if events & (clinux_epollerr() | clinux_epollhup()) != 0 {
            close(connection)  // reset or fully closed: nothing can be delivered any more
            return
        }
        if events & clinux_epollout() != 0 {
            flush(connection)
        }
        if events & clinux_epollin() != 0 && !connection.isClosed {
            if connection.lingering {
                drain(connection)
                return
            }
            read(connection)
        }
        service(connection)
    }

    private func read(_ connection: Connection) {
        // A body gets the whole buffer (fewer syscalls per MiB); a head gets a small read so one busy
        // connection's pipelined requests cannot crowd out the others.
        let size = connection.parser.isInBody ? readBuffer.count : Self.headReadSize
        let result = Syscall.io { Glibc.read(connection.fd, readBuffer.baseAddress, size) }
        switch result {
        case .done(0):
            connection.readClosed = true
            connection.appendEvents(connection.parser.finish())
        case .done(let count):
            connection.lastActivity = now
            feed(connection, UnsafeRawBufferPointer(rebasing: readBuffer[0..<count]))
        case .wouldBlock:
            return
        case .failed:
            close(connection)
        }
    }

    /// Reads and discards input of a lingering connection until EOF, error, or the byte bound.
    private func drain(_ connection: Connection) {
        let result = Syscall.io { Glibc.read(connection.fd, readBuffer.baseAddress, readBuffer.count) }
        switch result {
        case .done(let count) where count > 0:
            connection.lingerBytes += count
            if connection.lingerBytes > Self.maxLingerBytes { close(connection) }
        case .wouldBlock:
            return
        default:
            close(connection)
        }
    }

    // MARK: - Requests and responses

    /// Acts on parsed events, writes what is queued, moves the connection towards close, updates epoll.
    func service(_ connection: Connection) {
        guard !connection.isClosed else { return }
        process(connection)
        guard !connection.isClosed else { return }
        flush(connection)
        guard !connection.isClosed else { return }
        if connection.output.isEmpty && !connection.lingering {
            if connection.closing {
                startClosing(connection)
            } else if connection.inFlight == nil && (stopping || connection.readClosed) {
                close(connection)  // stopping, or the peer is gone: nothing is owed
            }
        }
        guard !connection.isClosed else { return }
        updateInterest(connection)
    }

    /// Services connections that got a response since the last pass (and any they produce in turn).
    func serviceDirty() {
        while let connection = dirty.popLast() {
            service(connection)
        }
    }

    /// Handles parsed events in order until a request is in flight, the connection is closing, or none remain.
    func process(_ connection: Connection) {
        while connection.inFlight == nil && !connection.closing && !stopping, let event = connection.nextEvent() {
            switch event {
            case .head(let head):
                if let rejection = handler.preflight(head) {
                    respondAndClose(connection, rejection)
                    return
                }
                connection.sink = handler.bodySink(for: head)
                if head.expectContinue {
                    connection.output.append(HTTPResponseSerializer.continueLine)
                }
                connection.head = head
                connection.body = []
            case .body(let bytes):
                // Only body bytes that arrived while their head waited (see `receiveBody`) come as events.
                if connection.sink == nil && connection.body.isEmpty {
                    connection.body = bytes
                } else {
                    bytes.withUnsafeBytes { store(connection, $0) }
                }
            case .end:
                guard let head = connection.head else { continue }
                var request = HTTPRequest(head: head, body: connection.body)
                request.sink = connection.sink
                connection.head = nil
                connection.body = []
                connection.sink = nil
                connection.sequence &+= 1
                connection.inFlight = Connection.InFlight(
                    sequence: connection.sequence,
                    keepAlive: head.keepAlive,
                    isHead: head.method == "HEAD"
                )
                handler.handle(request, responder: responder(for: connection))
            case .error(let error):
                respondAndClose(connection, handler.errorResponse(status: error.status, reason: error.reason))
                return
            }
        }
    }

    private func responder(for connection: Connection) -> HTTPResponder {
        let fd = connection.fd
        let id = connection.id
        let sequence = connection.sequence
        return HTTPResponder { [self] response in
            post(Delivery(fd: fd, connectionID: id, sequence: sequence, response: response))
        }
    }

    /// Queues the response of the in-flight request it answers; anything else (second call, closed or
    /// reused connection) is dropped. Loop thread only.
    func deliver(_ delivery: Delivery) {
        let fd = Int(delivery.fd)
        guard fd < slots.count, let connection = slots[fd], connection.id == delivery.connectionID,
            let inFlight = connection.inFlight, inFlight.sequence == delivery.sequence
        else {
            delivery.response.producer?.finish(completed: false)
            return
        }
        connection.inFlight = nil
        let openEnded = delivery.response.producer.map { $0.contentLength < 0 } ?? false
        let close = !inFlight.keepAlive || stopping || connection.readClosed || openEnded
        queue(delivery.response, on: connection, close: close, isHead: inFlight.isHead)
        connection.closing = connection.closing || close
        connection.lastActivity = now
        let inHead = !connection.parser.isIdle && !connection.parser.isInBody
        connection.headStart = inHead ? now : nil
        dirty.append(connection)
    }

    /// Queues a final response (with `Connection: close`); nothing after it is read or answered.
    func respondAndClose(_ connection: Connection, _ response: HTTPResponse) {
        abandonSink(connection)
        connection.head = nil
        queue(response, on: connection, close: true, isHead: false)
        connection.closing = true
        connection.inFlight = nil
    }

    /// Queues a response head and its body: the array, or a stream from the producer's memory.
    /// A HEAD answer carries the body's Content-Length but not the body (its producer is finished unsent).
    private func queue(_ response: HTTPResponse, on connection: Connection, close: Bool, isHead: Bool) {
        guard let producer = response.producer else {
            connection.output.append(HTTPResponseSerializer.head(response, close: close))
            if !isHead { connection.output.append(response.body) }
            return
        }
        guard response.body.isEmpty && producer.contentLength >= -1 && (producer.contentLength >= 0 || close) else {
            producer.finish(completed: false)
            let reason = response.body.isEmpty ? "bad producer length" : "response has a body and a producer"
            queue(handler.errorResponse(status: 500, reason: reason), on: connection, close: close, isHead: isHead)
            return
        }
        connection.output.append(HTTPResponseSerializer.head(response, close: close))
        if isHead {
            producer.finish(completed: false)
        } else {
            if producer.contentLength < 0 || producer.mayStall {
                let (fd, id) = (connection.fd, connection.id)
                producer.attach(waker: HTTPWaker { [self] in wake(fd: fd, connectionID: id) })
            }
            connection.output.append(BodyStream(producer))
        }
    }

    /// Writes until the socket is full, the queue is empty, or this pass's byte budget is spent (a large
    /// body must not hold the loop: level-triggered EPOLLOUT brings the connection back next pass).
    private func flush(_ connection: Connection) {
        var budget = Self.writeBudget
        while !connection.output.isEmpty && budget > 0 {
            switch connection.output.write(to: connection.fd, iovecs: iovecs) {
            case .wrote(let count, let complete):
                connection.lastActivity = now
                budget -= count
                if !complete { return }
            case .wouldBlock:
                return
            case .failed, .producerBroke:
                close(connection)  // a short or overlong producer body must never look complete
                return
            }
        }
    }

    /// Everything owed is written: half-close and linger so the client reads the last response, not a reset.
    private func startClosing(_ connection: Connection) {
        if connection.readClosed || clinux_shutdown_write(connection.fd) != 0 {
            close(connection)
            return
        }
        connection.lingering = true
        connection.lingerDeadline = now + Self.lingerMs
        if connection.countsTowardCap {  // it can do no more work: free its slot under the cap
            connection.countsTowardCap = false
            activeCount -= 1
        }
    }

    private func updateInterest(_ connection: Connection) {
        var wanted: UInt32 = 0
        let reading = connection.inFlight == nil && !connection.closing && !connection.readClosed
        if connection.lingering || reading { wanted |= clinux_epollin() }
        if !connection.output.isEmpty && !connection.output.awaitsProducer { wanted |= clinux_epollout() }
        if wanted != connection.registered {
            connection.registered = wanted
            _ = clinux_epoll_ctl(epollFD, clinux_epoll_mod(), connection.fd, wanted, connection.token)
        }
    }

    func close(_ connection: Connection) {
        guard !connection.isClosed else { return }
        connection.isClosed = true
        Glibc.close(connection.fd)
        slots[Int(connection.fd)] = nil
        let last = live.removeLast()
        if last !== connection {
            live[connection.index] = last
            last.index = connection.index
        }
        if connection.countsTowardCap { activeCount -= 1 }
        abandonSink(connection)
        connection.output.removeAll()
        stats.connections.store(live.count, ordering: .relaxed)
    }
}
