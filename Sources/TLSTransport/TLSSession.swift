import CTLS

#if canImport(Glibc)
import Glibc
#endif

/// One TLS connection over a caller-owned, non-blocking socket: handshake, read, write and shutdown each
/// return at once with what the socket allows, so an epoll loop can drive many sessions. The session never
/// closes the descriptor.
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
        guard SSL_set_fd(ssl, fd) == 1 else {
            SSL_free(ssl)
            ERR_clear_error()
            throw TLSError(kind: .configuration, reason: "OpenSSL could not attach socket \(fd)")
        }
        self.ssl = ssl
        self.context = context
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

    /// Advances the handshake as far as the socket allows.
    public func handshake() -> Progress {
        ERR_clear_error()
        let result = SSL_do_handshake(ssl)
        if result == 1 { return .done }
        switch classify(result) {
        case .bytes, .closed: return .failed(.peerClosed, "peer closed the connection during the TLS handshake")
        case .wantRead: return .wantRead
        case .wantWrite: return .wantWrite
        case .failed(let kind, let reason): return .failed(kind, reason)
        }
    }

    /// Reads decrypted bytes into `buffer` (handshaking first if needed).
    public func read(into buffer: UnsafeMutableRawBufferPointer) -> IOResult {
        guard let base = buffer.baseAddress, buffer.count > 0 else { return .bytes(0) }
        ERR_clear_error()
        var count = 0
        if SSL_read_ex(ssl, base, buffer.count, &count) == 1 { return .bytes(count) }
        return classify(0)
    }

    /// Encrypts and sends from `span` in place (OpenSSL reads the caller's memory into its record; no copy of
    /// the payload is made on this side). Returns how much of `span` went out.
    ///
    /// After `.wantWrite`/`.wantRead` the next write must start with the same bytes at least as long (the
    /// caller's unsent remainder): OpenSSL has already sealed a record from them.
    public func write(_ span: UnsafeRawBufferPointer) -> IOResult {
        guard let base = span.baseAddress, span.count > 0 else { return .bytes(0) }
        ERR_clear_error()
        var count = 0
        if SSL_write_ex(ssl, base, span.count, &count) == 1 { return .bytes(count) }
        return classify(0)
    }

    /// Writes `spans` in order, each straight from its memory, until all are sent or the socket is full.
    /// Returns the total written (`.bytes`) if anything went out, else what stopped the first span.
    public func write<Spans: Sequence<UnsafeRawBufferPointer>>(spans: Spans) -> IOResult {
        var total = 0
        for span in spans {
            var offset = 0
            while offset < span.count {
                switch write(UnsafeRawBufferPointer(rebasing: span[offset...])) {
                case .bytes(let count): offset += count
                case let stopped: return total + offset > 0 ? .bytes(total + offset) : stopped
                }
            }
            total += offset
        }
        return .bytes(total)
    }

    /// Sends close_notify. `.done` once it is on the wire (the peer's own close_notify is not awaited: the
    /// socket is closed next); call again on `.wantWrite`/`.wantRead`.
    public func shutdown() -> Progress {
        guard isHandshakeComplete else { return .done }
        ERR_clear_error()
        let result = SSL_shutdown(ssl)
        if result >= 0 { return .done }
        switch classify(result) {
        case .wantRead: return .wantRead
        case .wantWrite: return .wantWrite
        case .failed(let kind, let reason): return .failed(kind, reason)
        case .bytes, .closed: return .done
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
