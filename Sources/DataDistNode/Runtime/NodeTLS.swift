import DataDistModel
import PeerClient
import TLSTransport

/// A node's TLS (CONTRACT §13), made once at start from `--tls-cert`, `--tls-key`, `--tls-ca`,
/// `--tls-client-ca`: the server contexts its listeners serve with, and how its peer client dials.
struct NodeTLS: Sendable {
    /// The admin listener's context (TLS without client certificates: operators and callbacks use it).
    var admin: TLSContext?
    /// The peer listener's context; with `--tls-client-ca` it requires a client certificate (mutual TLS).
    var peer: TLSContext?
    /// How the node dials other nodes: `https` verified against `--tls-ca`, presenting its own certificate.
    var client: PeerTLS?

    /// Plaintext everywhere.
    init() {}

    /// Builds every context; a file that is missing or does not parse throws, naming its flag.
    init(_ files: TLSFiles) throws(NodeStartError) {
        if (files.certificate == nil) != (files.key == nil) {
            throw NodeStartError(message: "--tls-cert and --tls-key go together")
        }
        if files.clientCA != nil && files.certificate == nil {
            throw NodeStartError(message: "--tls-client-ca needs --tls-cert and --tls-key")
        }
        do throws(TLSError) {
            if let certificate = files.certificate, let key = files.key {
                admin = try TLSContext.server(certificate: certificate, key: key)
                peer = try TLSContext.server(certificate: certificate, key: key, clientCA: files.clientCA)
            }
            if let ca = files.ca {
                _ = try TLSContext.client(trustedCA: ca, certificate: files.certificate, key: files.key)
                client = PeerTLS(caFile: ca, certificateFile: files.certificate, keyFile: files.key)
            }
        } catch {
            throw NodeStartError(message: error.reason)
        }
    }

    /// `GET /v1/node`'s `tls` object.
    var json: JSONValue {
        [
            "enabled": .bool(admin != nil),
            "client_certificates_required": .bool(peer?.requiresClientCertificate ?? false),
            "outgoing": .bool(client != nil),
            "protocols": admin == nil ? .array([]) : .array(["TLSv1.2", "TLSv1.3"]),
        ]
    }

    /// `GET /v1/node`'s `kernel_tls` object: whether this kernel offers kernel TLS, and whether the node uses it
    /// (it does not: records are sealed in user space by OpenSSL either way).
    static var kernelJSON: JSONValue {
        [
            "available": .bool(KernelTLS.isAvailable),
            "in_use": .bool(false),
            "detail": .string(KernelTLS.detail),
        ]
    }
}
