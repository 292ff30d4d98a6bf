import CTLS

#if canImport(Glibc)
import Glibc
#endif

/// One configured OpenSSL `SSL_CTX`: a server side (certificate, key, optionally a client CA for mutual TLS)
/// or a client side (trusted CA, optionally a client certificate and key). Sessions are made from it.
///
/// `@unchecked Sendable` invariant: the `SSL_CTX` is configured only inside the initialiser and never changed
/// afterwards; OpenSSL locks the context itself when `SSL_new` takes a reference from any thread.
public final class TLSContext: @unchecked Sendable {
    /// Which end of a connection the sessions of this context play.
    public enum Side: Sendable { case server, client }

    let raw: OpaquePointer
    /// Which end of a connection the sessions of this context play.
    public let side: Side
    /// Whether a server context requires a client certificate (mutual TLS).
    public let requiresClientCertificate: Bool

    /// A server context: `certificate` (PEM chain, leaf first) and `key` (PEM); with `clientCA`, every
    /// client must present a certificate signed by it. TLS 1.2 and 1.3 unless `pinnedVersion` is set.
    public static func server(
        certificate: String,
        key: String,
        clientCA: String? = nil,
        pinnedVersion: TLSVersion? = nil
    ) throws(TLSError) -> TLSContext {
        let context = try TLSContext(side: .server, mutual: clientCA != nil, pinnedVersion: pinnedVersion)
        try context.useIdentity(certificate: certificate, key: key, certificateFlag: "--tls-cert", keyFlag: "--tls-key")
        if let clientCA {
            try checkReadable(clientCA, flag: "--tls-client-ca")
            guard SSL_CTX_load_verify_locations(context.raw, clientCA, nil) == 1,
                let names = SSL_load_client_CA_file(clientCA)
            else { throw configurationError("--tls-client-ca \(clientCA)") }
            SSL_CTX_set_client_CA_list(context.raw, names)
            SSL_CTX_set_verify(context.raw, SSL_VERIFY_PEER | SSL_VERIFY_FAIL_IF_NO_PEER_CERT, nil)
        }
        return context
    }

    /// A client context that trusts only `trustedCA` (PEM bundle) and, with `certificate` and `key`,
    /// presents that identity to servers that ask for one (mutual TLS).
    public static func client(
        trustedCA: String,
        certificate: String? = nil,
        key: String? = nil,
        pinnedVersion: TLSVersion? = nil
    ) throws(TLSError) -> TLSContext {
        try checkReadable(trustedCA, flag: "--tls-ca")
        let context = try TLSContext(side: .client, mutual: false, pinnedVersion: pinnedVersion)
        guard SSL_CTX_load_verify_locations(context.raw, trustedCA, nil) == 1 else {
            throw configurationError("--tls-ca \(trustedCA)")
        }
        SSL_CTX_set_verify(context.raw, SSL_VERIFY_PEER, nil)
        if let certificate, let key {
            try context.useIdentity(
                certificate: certificate,
                key: key,
                certificateFlag: "--tls-cert",
                keyFlag: "--tls-key"
            )
        }
        return context
    }

    private init(side: Side, mutual: Bool, pinnedVersion: TLSVersion?) throws(TLSError) {
        guard let raw = SSL_CTX_new(side == .server ? TLS_server_method() : TLS_client_method()) else {
            throw configurationError("OpenSSL could not create a TLS context")
        }
        self.raw = raw
        self.side = side
        requiresClientCertificate = mutual
        ctls_ctx_set_defaults(raw)
        let versioned =
            if let pinnedVersion { ctls_ctx_pin_version(raw, pinnedVersion.openSSLValue) } else {
                ctls_ctx_set_tls12_floor(raw)
            }
        guard versioned == 1 else { throw configurationError("OpenSSL refused the TLS version range") }
    }

    deinit {
        SSL_CTX_free(raw)
    }

    private func useIdentity(
        certificate: String,
        key: String,
        certificateFlag: String,
        keyFlag: String
    ) throws(TLSError) {
        try checkReadable(certificate, flag: certificateFlag)
        try checkReadable(key, flag: keyFlag)
        guard SSL_CTX_use_certificate_chain_file(raw, certificate) == 1 else {
            throw configurationError("\(certificateFlag) \(certificate)")
        }
        guard SSL_CTX_use_PrivateKey_file(raw, key, SSL_FILETYPE_PEM) == 1 else {
            throw configurationError("\(keyFlag) \(key)")
        }
        guard SSL_CTX_check_private_key(raw) == 1 else {
            throw configurationError("\(keyFlag) \(key) does not match \(certificateFlag) \(certificate)")
        }
    }
}

/// A protocol version a context can be pinned to (tests prove each one works on its own).
public enum TLSVersion: Sendable {
    case tls12, tls13

    var openSSLValue: Int32 {
        switch self {
        case .tls12: ctls_tls12_version()
        case .tls13: ctls_tls13_version()
        }
    }
}

/// A configuration failure with OpenSSL's reason appended (file not found, no PEM start line, ...); clears
/// the thread's OpenSSL error queue.
private func configurationError(_ what: String) -> TLSError {
    let code = ERR_peek_last_error()
    ERR_clear_error()
    let reason = code == 0 ? "" : ": " + String(cString: ctls_error_reason(code))
    return TLSError(kind: .configuration, reason: what + reason)
}

/// OpenSSL reports a missing file as "system lib"; the errno text is what an operator needs.
private func checkReadable(_ path: String, flag: String) throws(TLSError) {
    guard access(path, R_OK) == 0 else {
        throw TLSError(kind: .configuration, reason: "\(flag) \(path): \(String(cString: strerror(errno)))")
    }
}
