import TLSTransport

/// `--tls-cert`, `--tls-key`, `--tls-ca`, `--tls-client-ca` (CONTRACT §13), checked at start: every file must
/// exist and parse (key matching certificate) before the node binds anything. With them the listeners serve
/// TLS and the node dials its peers over `https` (the node builds its contexts from the same files).
struct ServeTLSFlags {
    var certificate: String?
    var key: String?
    var ca: String?
    var clientCA: String?

    /// The one-line reason the flags cannot be used, or nil when they are valid (or absent).
    var problem: String? {
        if (certificate == nil) != (key == nil) { return "--tls-cert and --tls-key go together" }
        if clientCA != nil, certificate == nil { return "--tls-client-ca needs --tls-cert and --tls-key" }
        do throws(TLSError) {
            if let certificate, let key {
                _ = try TLSContext.server(certificate: certificate, key: key, clientCA: clientCA)
            }
            if let ca {
                _ = try TLSContext.client(trustedCA: ca, certificate: certificate, key: key)
            }
        } catch {
            return error.reason
        }
        return nil
    }
}
