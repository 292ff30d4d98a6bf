import CLinux
import TLSTransport

/// The TLS side of one accepted connection (CONTRACT §13): its OpenSSL session and what the session waits for.
///
/// A TLS read can need the socket writable and a write readable (a handshake message, a key update), so each
/// direction records which readiness lets it go on; the loop asks epoll for that instead of the usual one.
/// Used only on its loop's thread, like its `Connection`.
final class ConnectionTLS {
    let session: TLSSession
    /// Readiness the handshake waits for (EPOLLIN until the ClientHello is read).
    var handshakeWaitsFor: UInt32 = clinux_epollin()
    /// Readiness a read waits for when it is not EPOLLIN (0: the usual).
    var readWaitsFor: UInt32 = 0
    /// Readiness a write waits for when it is not EPOLLOUT (0: the usual).
    var writeWaitsFor: UInt32 = 0
    /// A fatal TLS error happened: OpenSSL must not be asked to send close_notify any more.
    var failed = false
    /// close_notify was sent (or cannot be any more).
    var closeNotified = false
    /// Decrypted bytes wait inside OpenSSL and the connection is queued to read them (epoll will not announce
    /// them: they are no longer in the socket).
    var bufferedReadQueued = false

    init(session: TLSSession) {
        self.session = session
    }

    var isHandshakeComplete: Bool { session.isHandshakeComplete }
}
