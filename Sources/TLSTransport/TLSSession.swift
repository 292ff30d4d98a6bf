import CTLS

#if canImport(Glibc)
import Glibc
#endif

/// One TLS connection over a caller-owned, non-blocking socket: handshake, read, write and shutdown each
/// return at once with what the socket allows, so an epoll loop can drive many sessions. The session never
/// closes the descriptor. Reads come straight from the socket; records to send collect in an output buffer
/// that leaves in one `send(2)` per flush (`hasPendingOutput`, `flush()`).
///
/// Not Sendable: a session belongs to the loop (thread) that owns its socket.
public final class TLSSession {
    /// The outcome of a handshake or shutdown step.
    public enum Progress: Equatable, Sendable {
        /// The step is complete.
        case done
        /// Call again when the socket is readable.
        case wantRead
        /// Call again when the socket is writable.
        case wantWrite
        /// The connection is unusable; close the socket.
        case failed(TLSError.Kind, String)
    }

    /// The outcome of a read or write.
    public enum IOResult: Equatable, Sendable {
        /// This many plaintext bytes were read or written (never 0).
        case bytes(Int)
        /// Nothing moved; call again when the socket is readable (also possible for a write).
        case wantRead
        /// Nothing moved; call again when the socket is writable (also possible for a read).
        case wantWrite
        /// The peer ended the TLS stream cleanly (close_notify).
        case closed
        /// The connection is unusable; close the socket.
        case failed(TLSError.Kind, String)
    }

    private let ssl: OpaquePointer
    private let context: TLSContext
    /// The write BIO: records collect here and leave in one `send(2)` per flush (owned by `ssl`).
    private let output: OpaquePointer

    /// Records gathered before one `send(2)`: 16 records of 16 KiB. Large enough that a bulk response costs one
    /// system call (and one wake-up of the reader) per 256 KiB instead of per record; allocated only while a
    /// connection has records to send.
    public static let outputBufferBytes = 256 * 1024

    /// A server-side session on accepted socket `fd`.
    public convenience init(serverContext context: TLSContext, fd: Int32) throws(TLSError) {
        try self.init(context: context, fd: fd)
        SSL_set_accept_state(ssl)
    }

    /// A client-side session on connected (or connecting) socket `fd` that requires the server's
    /// certificate to name `peerHost`: an IP literal is matched against IP SANs, anything else against DNS
    /// SANs (and sent as SNI).
    public convenience init(clientContext context: TLSContext, fd: Int32, peerHost: String) throws(TLSError) {
        try self.init(context: context, fd: fd)
        let host =
            peerHost.hasPrefix("[") && peerHost.hasSuffix("]") ? String(peerHost.dropFirst().dropLast()) : peerHost
        let isIP = TLSSession.isIPLiteral(host)
        guard ctls_set_expected_peer(ssl, host, isIP ? 1 : 0) == 1, isIP || ctls_set_sni(ssl, host) == 1 else {
            ERR_clear_error()
            throw TLSError(kind: .configuration, reason: "cannot verify a peer named \(peerHost)")
        }
        SSL_set_connect_state(ssl)
    }

    private init(context: TLSContext, fd: Int32) throws(TLSError) {
        guard let ssl = SSL_new(context.raw) else {
            ERR_clear_error()
            throw TLSError(kind: .configuration, reason: "OpenSSL could not create a TLS session")
        }
        guard let input = BIO_new_socket(fd, BIO_NOCLOSE) else {
            SSL_free(ssl)
            ERR_clear_error()
            throw TLSError(kind: .configuration, reason: "OpenSSL could not attach socket \(fd)")
        }
        guard let output = ctls_outbuf_new(Self.outputBufferBytes, fd) else {
            BIO_free(input)
            SSL_free(ssl)
            ERR_clear_error()
            throw TLSError(kind: .configuration, reason: "OpenSSL could not make an output buffer for socket \(fd)")
        }
        SSL_set_bio(ssl, input, output)  // the session owns both from here
        self.ssl = ssl
        self.context = context
        self.output = output
    }

    deinit {
        SSL_free(ssl)
    }

    /// Whether the handshake has completed.
    public var isHandshakeComplete: Bool { SSL_is_init_finished(ssl) == 1 }

    /// Plaintext already decrypted and buffered inside OpenSSL: an edge-triggered reader must read it before
    /// waiting for the socket again, because no readiness event will announce it.
    public var bufferedPlaintextBytes: Int { Int(SSL_pending(ssl)) }

    /// The negotiated protocol ("TLSv1.2", "TLSv1.3").
    public var protocolVersion: String { String(cString: SSL_get_version(ssl)) }

    /// Whether the peer presented a certificate (that verified, since verification failures end the handshake).
    public var peerPresentedCertificate: Bool {
        guard let certificate = SSL_get1_peer_certificate(ssl) else { return false }
        X509_free(certificate)
        return true
    }

    /// Records sealed but not yet handed to the socket: the connection is not done writing while there are any
    /// (wait for writability and call `flush()`).
    public var hasPendingOutput: Bool { pendingOutputBytes > 0 }

    /// Bytes of sealed records waiting in the output buffer.
    public var pendingOutputBytes: Int { ctls_outbuf_pending(output) }

    /// Sends buffered records until none is left (`.done`) or the socket is full (`.wantWrite`).
    public func flush() -> Progress {
        let sent = ctls_outbuf_flush(output)
        if sent > 0 { return .done }
        if sent == 0 { return .wantWrite }
        let code = -sent
        if code == EPIPE || code == ECONNRESET {
            return .failed(.peerClosed, "peer closed the connection (\(String(cString: strerror(code))))")
        }
        return .failed(.socket, String(cString: strerror(code)))
    }

    /// Frees the output buffer if it is empty (call when the connection has nothing more to send for now).
    public func releaseIdleOutputBuffer() {
        ctls_outbuf_release_if_empty(output)
    }

    /// Advances the handshake as far as the socket allows (sending each flight as soon as it is sealed).
    public func handshake() -> Progress {
        while true {
            ERR_clear_error()
            let result = SSL_do_handshake(ssl)
            let outcome: IOResult = result == 1 ? .bytes(1) : classify(result)
            let flushed = flush()
            if case .failed = flushed { return flushed }
            switch outcome {
            case .bytes: return .done  // records still buffered go out with the next flush
            case .closed: return .failed(.peerClosed, "peer closed the connection during the TLS handshake")
            case .wantRead: return flushed == .done ? .wantRead : .wantWrite
            case .wantWrite: if flushed != .done { return .wantWrite }  // else: room again, go on
            case .failed(let kind, let reason): return .failed(kind, reason)
            }
        }
    }

    /// Reads decrypted bytes into `buffer` (handshaking first if needed). Records the read makes OpenSSL send
    /// (a key update's answer) are flushed as far as the socket allows; what remains is `hasPendingOutput`.
    public func read(into buffer: UnsafeMutableRawBufferPointer) -> IOResult {
        guard let base = buffer.baseAddress, buffer.count > 0 else { return .bytes(0) }
        while true {
            ERR_clear_error()
            var count = 0
            let outcome: IOResult = SSL_read_ex(ssl, base, buffer.count, &count) == 1 ? .bytes(count) : classify(0)
            guard hasPendingOutput else { return outcome }
            let flushed = flush()
            if case .failed(let kind, let reason) = flushed { return .failed(kind, reason) }
            if outcome == .wantWrite && flushed == .done { continue }
            return outcome
        }
    }

    /// Encrypts and sends from `span` in place (OpenSSL reads the caller's memory into its record; no copy of
    /// the payload is made on this side). Returns how much of `span` was sealed into records; the records may
    /// still wait in the output buffer (`hasPendingOutput`) when the socket is full.
    ///
    /// After `.wantWrite`/`.wantRead` the next write must start with the same bytes at least as long (the
    /// caller's unsent remainder): OpenSSL has already sealed a record from them.
    public func write(_ span: UnsafeRawBufferPointer) -> IOResult {
        let result = seal(span)
        if case .bytes = result, case .failed(let kind, let reason) = flush() { return .failed(kind, reason) }
        return result
    }

    /// Seals one record (or, after a retry, finishes the one pending) into the output buffer, sending the
    /// buffer when it is full. Does not flush what it sealed.
    private func seal(_ span: UnsafeRawBufferPointer) -> IOResult {
        guard let base = span.baseAddress, span.count > 0 else { return .bytes(0) }
        while true {
            ERR_clear_error()
            var count = 0
            if SSL_write_ex(ssl, base, span.count, &count) == 1 { return .bytes(count) }
            let outcome = classify(0)
            guard outcome == .wantWrite else { return outcome }
            switch flush() {  // the buffer is full: send it, then OpenSSL finishes the record it holds
            case .done: continue
            case .failed(let kind, let reason): return .failed(kind, reason)
            case .wantRead, .wantWrite: return .wantWrite
            }
        }
    }

    /// Writes `spans` in order, each straight from its memory, until all are sealed or the socket is full, then
    /// sends the buffered records as far as the socket allows. Returns the total sealed (`.bytes`) if anything
    /// was, else what stopped the first span.
    public func write<Spans: Sequence<UnsafeRawBufferPointer>>(spans: Spans) -> IOResult {
        var total = 0
        var stopped: IOResult?
        outer: for span in spans {
            var offset = 0
            while offset < span.count {
                switch seal(UnsafeRawBufferPointer(rebasing: span[offset...])) {
                case .bytes(let count): offset += count
                case let other:
                    stopped = other
                    total += offset
                    break outer
                }
            }
            total += offset
        }
        if case .failed = stopped { return stopped! }
        if case .failed(let kind, let reason) = flush() { return .failed(kind, reason) }
        if let stopped, total == 0 { return stopped }
        return .bytes(total)
    }

    /// Sends close_notify. `.done` once it is on the wire (the peer's own close_notify is not awaited: the
    /// socket is closed next); call again on `.wantWrite`/`.wantRead`.
    public func shutdown() -> Progress {
        guard isHandshakeComplete else { return .done }
        ERR_clear_error()
        let result = SSL_shutdown(ssl)
        let outcome: IOResult? = result >= 0 ? nil : classify(result)
        let flushed = flush()
        if flushed != .done { return flushed }
        switch outcome {
        case nil, .bytes, .closed: return .done
        case .wantRead: return .wantRead
        case .wantWrite: return .wantWrite
        case .failed(let kind, let reason): return .failed(kind, reason)
        }
    }

    /// Maps OpenSSL's view of the last call's `result` to an outcome with a reason the node can show.
    private func classify(_ result: Int32) -> IOResult {
        let error = SSL_get_error(ssl, result)
        let savedErrno = errno
        defer { ERR_clear_error() }
        switch error {
        case SSL_ERROR_WANT_READ: return .wantRead
        case SSL_ERROR_WANT_WRITE: return .wantWrite
        case SSL_ERROR_ZERO_RETURN: return .closed
        case SSL_ERROR_SYSCALL:
            if ERR_peek_last_error() == 0, savedErrno != 0 {
                return .failed(.socket, String(cString: strerror(savedErrno)))
            }
            return .failed(.peerClosed, "peer closed the connection without a TLS close_notify")
        default:
            let (kind, reason) = describe(ERR_peek_last_error())
            return .failed(kind, reason)
        }
    }

    private func describe(_ code: UInt) -> (TLSError.Kind, String) {
        let reasonCode = ctls_error_reason_code(code)
        let text = String(cString: ctls_error_reason(code))
        switch reasonCode {
        case ctls_reason_certificate_verify_failed():
            let detail = String(cString: X509_verify_cert_error_string(SSL_get_verify_result(ssl)))
            return (.verifyFailed, "certificate verify failed: \(detail)")
        case ctls_reason_wrong_version_number(), ctls_reason_http_request(), ctls_reason_packet_length_too_long():
            return (.notTLS, "peer does not speak TLS (\(text))")
        case SSL_R_UNEXPECTED_EOF_WHILE_READING:
            return (.peerClosed, "peer closed the connection without a TLS close_notify")
        default:
            return (.protocolError, text)
        }
    }

    /// Whether `host` is an IPv4 or IPv6 literal.
    static func isIPLiteral(_ host: String) -> Bool {
        var v4 = in_addr()
        var v6 = in6_addr()
        return inet_pton(AF_INET, host, &v4) == 1 || inet_pton(AF_INET6, host, &v6) == 1
    }
}
