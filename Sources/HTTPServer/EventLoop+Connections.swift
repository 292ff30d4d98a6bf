import CLinux
import Glibc
import HTTPCore

extension EventLoop {
    // MARK: - Accepting

    func acceptConnections() {
        for _ in 0..<64 {
            guard listenFD >= 0 else { return }
            let fd: Int32
            switch Syscall.accept(listenFD) {
            case .accepted(let accepted):
                fd = accepted
            case .retry:
                continue
            case .exhausted(let code):
                // Out of descriptors: stop listening for a tick instead of spinning on a ready listener.
                log("accept paused for \(tickMs) ms", code)
                listenerPausedUntil = now + tickMs
                Syscall.epollModify(epollFD, listenFD, events: 0, token: Self.listenerToken, logger: logger)
                return
            case .empty:
                return
            case .failed(let code):
                log("accept failed", code)
                return
            }
            do {
                _ = try Syscall.run("setsockopt TCP_NODELAY") { clinux_set_nodelay(fd) }
            } catch {
                log("\(error)", nil)  // served anyway, only with Nagle's delay
            }
            let overCap = stats.active.load(ordering: .relaxed) >= configuration.maxConnections
            if !overCap {
                stats.active.add(1, ordering: .relaxed)
                handOff(fd)
                continue
            }
            if live.count - localActive >= max(16, min(configuration.maxConnections, 256)) {
                Glibc.close(fd)  // too many 503s already lingering: just drop it
                continue
            }
            let reserved = !configuration.reservedPaths.isEmpty
            if reserved { makeRoomForReserved() }
            guard let connection = register(fd: fd, countsTowardCap: false, reserved: reserved) else { continue }
            if !reserved {
                respondAndClose(connection, overCapResponse())
                service(connection)
            }
        }
    }

    /// Gives a connection (already counted in `stats.active`) to the next loop in turn, this one included.
    private func handOff(_ fd: Int32) {
        let target = group.isEmpty ? self : group[nextInGroup % group.count]
        nextInGroup &+= 1
        if target === self || !target.adopt(fd) {
            adoptAccepted(fd)  // the target has stopped (the server is stopping): serve it here
        }
    }

    /// Registers a connection the acceptor counted toward the cap.
    func adoptAccepted(_ fd: Int32) {
        guard !stopping else { return dropAccepted(fd) }
        if register(fd: fd, countsTowardCap: true, reserved: false) == nil {
            stats.active.subtract(1, ordering: .relaxed)
        }
    }

    /// Closes a handed-over connection this loop will never serve (it exited first).
    func dropAccepted(_ fd: Int32) {
        Glibc.close(fd)
        stats.active.subtract(1, ordering: .relaxed)
    }

    func overCapResponse() -> HTTPResponse {
        handler.errorResponse(status: 503, reason: "too many open connections (limit \(configuration.maxConnections))")
    }

    /// Keeps at most `reservedSlots` over-cap connections waiting for their first byte: the oldest silent one is
    /// answered 503, so a flood of silent connections cannot lock a health probe out.
    private func makeRoomForReserved() {
        reservedWaiting.removeAll { $0.isClosed || $0.closing || $0.sentAnything }
        guard reservedWaiting.count >= max(1, configuration.reservedSlots) else { return }
        let oldest = reservedWaiting.removeFirst()
        respondAndClose(oldest, overCapResponse())
        service(oldest)
    }

    private func register(fd: Int32, countsTowardCap: Bool, reserved: Bool) -> Connection? {
        nextID &+= 1
        let connection = Connection(
            fd: fd,
            id: nextID,
            countsTowardCap: countsTowardCap,
            overCap: reserved,
            parser: HTTPRequestParser(limits: configuration.limits, waitsForBodyLimit: true),
            registered: clinux_epollin(),
            // A TLS handshake runs on the header clock from accept (a client that never finishes it is closed).
            machine: ConnectionStateMachine(
                now: now,
                timeouts: timeouts,
                headerClockAtAccept: reserved || configuration.tls != nil
            )
        )
        guard attachTLS(connection) else {
            Glibc.close(fd)
            return nil
        }
        do {
            _ = try Syscall.run("epoll_ctl add") {
                clinux_epoll_ctl(epollFD, clinux_epoll_add(), fd, clinux_epollin(), connection.token)
            }
        } catch {
            log("\(error)", nil)
            Glibc.close(fd)
            return nil
        }
        if Int(fd) >= slots.count {
            slots.append(contentsOf: repeatElement(nil, count: Int(fd) + 1 - slots.count))
        }
        slots[Int(fd)] = connection
        connection.index = live.count
        live.append(connection)
        if countsTowardCap { localActive += 1 }
        if reserved { reservedWaiting.append(connection) }
        stats.connections.add(1, ordering: .relaxed)
        return connection
    }

    // MARK: - I/O readiness

    func handleIO(_ connection: Connection, events: UInt32) {
        if events & (clinux_epollerr() | clinux_epollhup()) != 0 {
            close(connection)  // reset or fully closed: nothing can be delivered any more
            return
        }
        guard let events = tlsEvents(connection, events) else {
            if !connection.isClosed { service(connection) }  // handshake under way
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
            // A TLS connection also gets EPOLLIN for a write that waits for readability: read only when it may.
            if connection.tls == nil || connection.wantsRead { read(connection) }
        }
        service(connection)
    }

    func read(_ connection: Connection) {
        // A body gets the whole buffer (fewer syscalls per MiB); a head gets a small read so one busy
        // connection's pipelined requests cannot crowd out the others.
        let size = connection.parser.isInBody ? readBuffer.count : Self.headReadSize
        let (count, end) = receive(connection, size: size)
        if count > 0 {
            connection.sentAnything = true
            feed(connection, UnsafeRawBufferPointer(rebasing: readBuffer[0..<count]))
            connection.machine.bytesReceived(
                now: now,
                inHead: !connection.parser.isIdle && !connection.parser.isInBody,
                inBody: connection.parser.isInBody
            )
        }
        guard !connection.isClosed else { return }
        switch end {
        case .open:
            return
        case .closed:
            connection.readClosed = true
            for event in connection.parser.finish() {
                guard handle(event, on: connection) else { break }
            }
        case .failed:
            close(connection)
        }
    }

    /// Reads and discards input of a lingering connection (a TLS one's records undecrypted: they are discarded) until EOF, error, or the byte bound.
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

    /// Feeds what a response left unread, writes what is queued, moves the connection towards close,
    /// updates epoll.
    func service(_ connection: Connection) {
        guard !connection.isClosed else { return }
        readBufferedPlaintext(connection)
        guard !connection.isClosed else { return }
        resumeUnread(connection)
        guard !connection.isClosed else { return }
        flush(connection)
        guard !connection.isClosed else { return }
        if !connection.outputPending && !connection.lingering {
            connection.tls?.session.releaseIdleOutputBuffer()
            let action = connection.machine.outputDrained(
                now: now,
                inHead: !connection.parser.isIdle && !connection.parser.isInBody,
                inBody: connection.parser.isInBody
            )
            if case .linger = action {
                startLingering(connection)
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
        connection.machine.responseQueued(now: now, closeAfter: close)
        dirty.append(connection)
    }

    /// Queues a final response (with `Connection: close`); nothing after it is read or answered.
    func respondAndClose(_ connection: Connection, _ response: HTTPResponse) {
        if let tls = connection.tls, !tls.isHandshakeComplete {
            close(connection)  // no TLS yet to answer through (a handshake that timed out, or over the cap)
            return
        }
        abandonSink(connection)
        connection.unread = []
        queue(response, on: connection, close: true, isHead: false)
        connection.inFlight = nil
        connection.machine.responseQueued(now: now, closeAfter: true)
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
            log("handler response refused: \(reason)", nil)
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
    func flush(_ connection: Connection) {
        if let tls = connection.tls {
            guard tls.isHandshakeComplete else { return }
            tls.writeWaitsFor = 0
        }
        // Records sealed earlier go first: the queue may have nothing to write now (a stream waiting for its
        // producer) while they still wait for the socket.
        if connection.tls?.session.hasPendingOutput == true {
            guard flushRecords(connection) else { return }
        }
        var budget = Self.writeBudget
        while !connection.output.isEmpty && budget > 0 {
            switch connection.output.write(to: connection.fd, tls: connection.tls?.session, iovecs: iovecs) {
            case .wrote(let count, let complete):
                connection.machine.wrote(now: now)
                budget -= count
                if !complete { return }
            case .wouldBlock:
                return
            case .waitsForReadable:
                connection.tls?.writeWaitsFor = clinux_epollin()
                return
            case .failed(let code):
                log("write failed", code)
                close(connection)
                return
            case .tlsFailed(let reason):
                log("TLS write failed: \(reason)", nil)
                connection.tls?.failed = true
                close(connection)
                return
            case .producerBroke:
                log("a response producer broke its length", nil)
                close(connection)  // a short or overlong producer body must never look complete
                return
            }
        }
    }

    /// Everything owed is written: half-close and linger so the client reads the last response, not a reset.
    private func startLingering(_ connection: Connection) {
        sendCloseNotify(connection)
        if connection.readClosed || !Syscall.shutdownWrite(connection.fd) {
            close(connection)
            return
        }
        if connection.countsTowardCap {  // it can do no more work: free its slot under the cap
            connection.countsTowardCap = false
            localActive -= 1
            stats.active.subtract(1, ordering: .relaxed)
        }
    }

    private func updateInterest(_ connection: Connection) {
        var wanted: UInt32 = 0
        if connection.lingering || connection.wantsRead { wanted |= clinux_epollin() }
        if connection.recordsPending || !connection.output.isEmpty && !connection.output.awaitsProducer {
            wanted |= clinux_epollout()
        }
        wanted = tlsInterest(connection, wanted: wanted)
        if wanted != connection.registered {
            connection.registered = wanted
            Syscall.epollModify(epollFD, connection.fd, events: wanted, token: connection.token, logger: logger)
        }
    }

    func close(_ connection: Connection) {
        guard !connection.isClosed else { return }
        connection.isClosed = true
        connection.machine.closed()
        sendCloseNotify(connection)
        Glibc.close(connection.fd)
        slots[Int(connection.fd)] = nil
        let last = live.removeLast()
        if last !== connection {
            live[connection.index] = last
            last.index = connection.index
        }
        if connection.countsTowardCap {
            localActive -= 1
            stats.active.subtract(1, ordering: .relaxed)
        }
        abandonSink(connection)
        connection.output.removeAll()
        stats.connections.subtract(1, ordering: .relaxed)
    }
}
