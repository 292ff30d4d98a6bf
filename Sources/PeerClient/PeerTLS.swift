import CCurl

/// How a TLS node dials its peers (CONTRACT §13): the CA bundle the peer's certificate must chain to
/// (`--tls-ca`, and nothing else: no system trust store), and the client certificate and key presented to
/// peers that require mutual TLS (`--tls-cert`, `--tls-key`). The certificate must name the address dialled
/// (an IP or DNS subject alternative name).
public struct PeerTLS: Sendable, Hashable {
    /// PEM bundle of the CAs peers are verified against.
    public var caFile: String
    /// PEM client certificate chain, presented when a peer asks for one.
    public var certificateFile: String?
    /// PEM private key of `certificateFile`.
    public var keyFile: String?

    /// Creates a TLS configuration; certificate and key are both given or both nil.
    public init(caFile: String, certificateFile: String? = nil, keyFile: String? = nil) {
        self.caFile = caFile
        self.certificateFile = certificateFile
        self.keyFile = keyFile
    }

    /// `url` with an `http://` scheme turned into `https://`: the node composes peer URLs without knowing
    /// whether TLS is on, and a TLS node must never send a plaintext request.
    static func httpsURL(_ url: String) -> String {
        url.prefix(7).lowercased() == "http://" ? "https://" + url.dropFirst(7) : url
    }
}

extension OptionSetter {
    /// Verification of the peer's chain and name, TLS 1.2 or later, and the client identity.
    mutating func applyTLSOptions(_ tls: PeerTLS) {
        set(ccurl_easy_restrict_to_https(raw))
        set(ccurl_easy_require_tls12(raw))
        set(ccurl_easy_setopt_string(raw, CURLOPT_CAINFO, tls.caFile))
        // Only --tls-ca is trusted: no CA directory (Debian's libcurl defaults to /etc/ssl/certs).
        set(ccurl_easy_setopt_string(raw, CURLOPT_CAPATH, nil))
        set(ccurl_easy_setopt_long(raw, CURLOPT_SSL_VERIFYPEER, 1))
        // 2: the certificate must name the host in the URL; libcurl matches IP literals against IP SANs.
        set(ccurl_easy_setopt_long(raw, CURLOPT_SSL_VERIFYHOST, 2))
        if let certificate = tls.certificateFile, let key = tls.keyFile {
            set(ccurl_easy_setopt_string(raw, CURLOPT_SSLCERT, certificate))
            set(ccurl_easy_setopt_string(raw, CURLOPT_SSLKEY, key))
        }
    }
}

extension CurlEasyHandle {
    /// A TLS failure as a `.tls` error with the reason a node shows (CONTRACT §13), or nil when `code` is not
    /// one. Record-level failures after the handshake (a TLS 1.3 server refusing the client certificate
    /// answers with an alert on the first read) come back from libcurl as receive/send errors; when the alert
    /// lost the race with the request (the peer closed before it answered a byte: `answered` false) there is
    /// no alert text, and the reason says what a TLS peer closing at once most likely means.
    func tlsFailure(_ code: CURLcode, detail: String, tls: PeerTLS?, answered: Bool = true) -> PeerError? {
        guard tls != nil else { return nil }
        let lowered = detail.lowercased()
        let mentionsTLS = lowered.contains("ssl") || lowered.contains("alert")
        let reason: String
        switch code {
        case CURLE_PEER_FAILED_VERIFICATION:
            reason = "certificate verify failed: \(detail)"
        case CURLE_SSL_CONNECT_ERROR
        where ["wrong version number", "packet length too long", "record layer failure", "http request"]
            .contains(where: lowered.contains):
            reason = "peer does not speak TLS: \(detail)"
        case CURLE_SSL_CONNECT_ERROR, CURLE_SSL_CERTPROBLEM, CURLE_SSL_CIPHER, CURLE_SSL_CACERT_BADFILE,
            CURLE_SSL_ISSUER_ERROR, CURLE_SSL_CLIENTCERT, CURLE_SSL_ENGINE_INITFAILED, CURLE_SSL_SHUTDOWN_FAILED:
            reason = "TLS handshake failed: \(detail)"
        case CURLE_RECV_ERROR where mentionsTLS, CURLE_SEND_ERROR where mentionsTLS:
            reason = "TLS failed: \(detail)"
        case CURLE_RECV_ERROR where !answered, CURLE_SEND_ERROR where !answered, CURLE_GOT_NOTHING where !answered:
            reason =
                "TLS peer closed the connection before answering (it may refuse this node's client certificate): \(detail)"
        default:
            return nil
        }
        return PeerError(kind: .tls, message: reason)
    }
}
