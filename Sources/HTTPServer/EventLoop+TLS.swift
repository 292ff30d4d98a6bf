import CLinux
import Glibc
import TLSTransport

/// TLS on accepted connections (CONTRACT §13): the handshake runs inside the loop (WANT_READ / WANT_WRITE pick
/// the events epoll waits for), reads and writes go through the session, close_notify goes out before the
/// socket closes. Renegotiation is refused by the context (`SSL_OP_NO_RENEGOTIATION`).
extension EventLoop {
    /// The first byte of every TLS connection: a handshake record.
    private static let handshakeRecordType: UInt8 = 0x16

    /// OpenSSL writes through `write(2)`, which raises SIGPIPE on a socket the peer reset; a server process must
    /// not die of a client that went away. Set once, when the first TLS session is made.
    private static let sigpipeIgnored: Void = clinux_ignore_sigpipe()

    /// Wraps an accepted socket in a server session when the listener serves TLS. False: the socket must be
    /// closed (OpenSSL could not make a session).
    func attachTLS(_ connection: Connection) -> Bool {
        guard let context = configuration.tls else { return true }
        _ = Self.sigpipeIgnored
        do throws(TLSError) {
            connection.tls = ConnectionTLS(session: try TLSSession(serverContext: context, fd: connection.fd))
            return true
        } catch {
            log("TLS session: \(error.reason)", nil)
            return false
        }
    }

    /// What the connection can do now that epoll reported `events`: the handshake first (nil while it is not
    /// complete; a failed one has closed the connection), then a read that waits for writability runs on
    /// EPOLLOUT and a write that waits for readability on EPOLLIN.
    func tlsEvents(_ connection: Connection, _ events: UInt32) -> UInt32? {
        guard let tls = connection.tls else { return events }
        if !tls.isHandshakeComplete {
            guard advanceHandshake(connection, tls) else { return nil }
            // The client's first request may already wait, and an answer may be queued (over the cap).
            return clinux_epollin() | clinux_epollout()
        }
        var ready = events
        if tls.readWaitsFor != 0 && events & tls.readWaitsFor != 0 { ready |= clinux_epollin() }
        if tls.writeWaitsFor != 0 && events & tls.writeWaitsFor != 0 { ready |= clinux_epollout() }
        return ready
    }

    /// Advances the handshake as far as the socket allows; true once it is complete. A client whose first byte
    /// is not a TLS handshake record (a plaintext HTTP client) is closed without a word: it gets nothing but a
    /// closed connection (CONTRACT §13), not an alert it could not read anyway.
    private func advanceHandshake(_ connection: Connection, _ tls: ConnectionTLS) -> Bool {
        if !connection.sentAnything {
            var first: UInt8 = 0
            let peeked = recv(connection.fd, &first, 1, Int32(MSG_PEEK | MSG_DONTWAIT))
            if peeked < 0 && (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR) {
                tls.handshakeWaitsFor = clinux_epollin()
                return false
            }
            guard peeked == 1, first == Self.handshakeRecordType else {
                if peeked == 1 { log("a client that does not speak TLS was closed", nil) }
                tls.failed = true
                close(connection)
                return false
            }
            connection.sentAnything = true
        }
        switch tls.session.handshake() {
        case .done:
            tls.handshakeWaitsFor = 0
            return true
        case .wantRead:
            tls.handshakeWaitsFor = clinux_epollin()
        case .wantWrite:
            tls.handshakeWaitsFor = clinux_epollout()
        case .failed(_, let reason):
            log("TLS handshake failed: \(reason)", nil)
            tls.failed = true
            close(connection)
        }
        return false
    }

    /// How a read ended.
    enum ReadEnd {
        /// The connection stays readable later (the socket is empty, or the buffer is full).
        case open
        /// The peer closed its side (EOF or close_notify).
        case closed
        /// The connection is unusable.
        case failed
    }

    /// Reads up to `size` bytes of plaintext into the read buffer: one `read(2)` on a plaintext socket; TLS
    /// records until the buffer is full or the socket has no more (one record is at most 16 KiB, a body read
    /// wants more per pass).
    func receive(_ connection: Connection, size: Int) -> (count: Int, end: ReadEnd) {
        guard let tls = connection.tls else {
            switch Syscall.io({ Glibc.read(connection.fd, readBuffer.baseAddress, size) }) {
            case .done(0): return (0, .closed)
            case .done(let count): return (count, .open)
            case .wouldBlock: return (0, .open)
            case .failed: return (0, .failed)
            }
        }
        var filled = 0
        tls.readWaitsFor = 0
        while filled < size {
            let space = UnsafeMutableRawBufferPointer(rebasing: readBuffer[filled..<size])
            switch tls.session.read(into: space) {
            case .bytes(let count):
                filled += count
            case .wantRead:
                return (filled, .open)
            case .wantWrite:
                tls.readWaitsFor = clinux_epollout()
                return (filled, .open)
            case .closed:
                return (filled, .closed)
            case .failed(_, let reason):
                log("TLS read failed: \(reason)", nil)
                tls.failed = true
                return (filled, .failed)
            }
        }
        return (filled, .open)
    }

    /// The events epoll must report for a TLS connection, given the usual `wanted` (EPOLLIN to read, EPOLLOUT
    /// to write): the handshake's, or each direction's replacement. Also queues a read of plaintext OpenSSL
    /// already holds when the connection may read: epoll will not report it.
    func tlsInterest(_ connection: Connection, wanted: UInt32) -> UInt32 {
        guard let tls = connection.tls else { return wanted }
        guard tls.isHandshakeComplete else { return tls.handshakeWaitsFor }
        var events: UInt32 = 0
        if wanted & clinux_epollin() != 0 {
            events |= connection.lingering || tls.readWaitsFor == 0 ? clinux_epollin() : tls.readWaitsFor
        }
        if wanted & clinux_epollout() != 0 {
            events |= tls.writeWaitsFor == 0 ? clinux_epollout() : tls.writeWaitsFor
        }
        if connection.wantsRead && !connection.lingering && !tls.bufferedReadQueued
            && tls.session.bufferedPlaintextBytes > 0
        {
            tls.bufferedReadQueued = true
            dirty.append(connection)
        }
        return events
    }

    /// Reads plaintext that waited inside OpenSSL (queued by `tlsInterest`), when the connection still may.
    func readBufferedPlaintext(_ connection: Connection) {
        guard let tls = connection.tls, tls.bufferedReadQueued else { return }
        tls.bufferedReadQueued = false
        if connection.wantsRead && !connection.lingering { read(connection) }
    }

    /// Sends the TLS records waiting in the session's output buffer; true when none is left.
    @discardableResult
    func flushRecords(_ connection: Connection) -> Bool {
        guard let tls = connection.tls else { return true }
        let before = tls.session.pendingOutputBytes
        switch tls.session.flush() {
        case .done, .wantWrite, .wantRead:
            if tls.session.pendingOutputBytes < before { connection.machine.wrote(now: now) }
            return !tls.session.hasPendingOutput
        case .failed(_, let reason):
            log("TLS write failed: \(reason)", nil)
            tls.failed = true
            close(connection)
            return false
        }
    }

    /// Sends close_notify once, best effort (one non-blocking attempt), unless the session failed or never
    /// finished its handshake.
    func sendCloseNotify(_ connection: Connection) {
        guard let tls = connection.tls, !tls.closeNotified else { return }
        tls.closeNotified = true
        guard !tls.failed, tls.isHandshakeComplete else { return }
        _ = tls.session.shutdown()
    }
}
