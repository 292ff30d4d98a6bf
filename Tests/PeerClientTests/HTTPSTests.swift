import Glibc
import PeerClient
import TLSTransport
import TestSupport
import Testing

/// PeerClient over TLS (CONTRACT §13) against a server built from our own TLS component.
@Suite(.timeLimit(.minutes(1)))
struct HTTPSTests {
    let certificates = TestCertificates.shared

    func server(
        certificate: String? = nil,
        key: String? = nil,
        clientCA: String? = nil,
        version: TLSVersion? = nil
    ) throws -> TLSTestServer {
        let context = try TLSContext.server(
            certificate: certificate ?? certificates.nodeCertificate,
            key: key ?? certificates.nodeKey,
            clientCA: clientCA,
            pinnedVersion: version
        )
        return try TLSTestServer(context: context, body: randomBytes(300_000))
    }

    func client(_ tls: PeerTLS?) -> PeerClient {
        PeerClient(configuration: PeerClient.Configuration(tls: tls))
    }

    @Test func httpsRequestVerifiesTheServerAndGetsTheWholeBody() throws {
        let server = try server()
        defer { server.stop() }
        let client = client(PeerTLS(caFile: certificates.caCertificate))
        let response = try client.perform(PeerRequest(url: server.url("/v1/peer/hello"), totalTimeoutMs: 10_000))
        #expect(response.status == 200)
        #expect(response.body == server.body)
        // An http:// URL from a TLS client is dialled as https, never in plaintext; a DNS SAN matches too.
        let upgraded = try client.perform(
            PeerRequest(url: "http://localhost:\(server.port)/x", totalTimeoutMs: 10_000)
        )
        #expect(upgraded.body == server.body)
    }

    @Test func serverFromAnotherCAIsCertificateVerifyFailed() throws {
        let server = try server(certificate: certificates.foreignCertificate, key: certificates.foreignKey)
        defer { server.stop() }
        let error = peerError { () throws(PeerError) in
            try client(PeerTLS(caFile: certificates.caCertificate))
                .perform(PeerRequest(url: server.url("/"), totalTimeoutMs: 10_000))
        }
        #expect(error?.kind == .tls)
        #expect(error?.message.hasPrefix("certificate verify failed") == true)
    }

    @Test func expiredServerCertificateIsCertificateVerifyFailed() throws {
        let server = try server(certificate: certificates.expiredCertificate, key: certificates.expiredKey)
        defer { server.stop() }
        let error = peerError { () throws(PeerError) in
            try client(PeerTLS(caFile: certificates.caCertificate))
                .perform(PeerRequest(url: server.url("/"), totalTimeoutMs: 10_000))
        }
        #expect(error?.kind == .tls)
        #expect(error?.message.hasPrefix("certificate verify failed") == true)
        #expect(error?.message.contains("expired") == true)
    }

    @Test func certificateNotNamingTheDialledAddressIsRefused() throws {
        // The client certificate chains to the CA but names no address: dialling 127.0.0.1 must fail.
        let unnamed = try self.server(certificate: certificates.clientCertificate, key: certificates.clientKey)
        defer { unnamed.stop() }
        let error = peerError { () throws(PeerError) in
            try client(PeerTLS(caFile: certificates.caCertificate))
                .perform(PeerRequest(url: unnamed.url("/"), totalTimeoutMs: 10_000))
        }
        #expect(error?.kind == .tls)
        #expect(error?.message.hasPrefix("certificate verify failed") == true)
    }

    @Test func plaintextPeerIsPeerDoesNotSpeakTLS() throws {
        // A plaintext HTTP server answers the ClientHello (not HTTP) with a 400 and closes.
        let (listener, port) = try bindLoopback(listen: true)
        defer { close(listener) }
        let plain = Background {
            let connection = accept(listener, nil, nil)
            var buffer = [UInt8](repeating: 0, count: 4096)
            _ = buffer.withUnsafeMutableBytes { recv(connection, $0.baseAddress, $0.count, 0) }
            let answer = httpResponse(status: 400, reason: "Bad Request", headers: ["Connection: close"], body: [])
            _ = answer.withUnsafeBytes { send(connection, $0.baseAddress, $0.count, 0) }
            close(connection)
            return true
        }
        defer { _ = plain.join() }
        let error = peerError { () throws(PeerError) in
            try client(PeerTLS(caFile: certificates.caCertificate))
                .perform(PeerRequest(url: "https://127.0.0.1:\(port)/", totalTimeoutMs: 10_000))
        }
        #expect(error?.kind == .tls)
        #expect(error?.message.hasPrefix("peer does not speak TLS") == true)
    }

    @Test(arguments: [TLSVersion.tls12, .tls13])
    func mutualTLSPresentsTheClientCertificate(version: TLSVersion) throws {
        let server = try server(clientCA: certificates.caCertificate, version: version)
        defer { server.stop() }
        let withIdentity = client(
            PeerTLS(
                caFile: certificates.caCertificate,
                certificateFile: certificates.clientCertificate,
                keyFile: certificates.clientKey
            )
        )
        let response = try withIdentity.perform(PeerRequest(url: server.url("/"), totalTimeoutMs: 10_000))
        #expect(response.body == server.body)

        let error = peerError { () throws(PeerError) in
            try client(PeerTLS(caFile: certificates.caCertificate))
                .perform(PeerRequest(url: server.url("/"), totalTimeoutMs: 10_000))
        }
        #expect(error?.kind == .tls, "\(String(describing: error))")
        // The server sends its alert before it records the refusal: the client may see it first.
        let deadline = ContinuousClock.now + .seconds(5)
        while server.handshakeFailures.isEmpty && ContinuousClock.now < deadline { usleep(5_000) }
        #expect(server.handshakeFailures.count == 1)
    }

    @Test func httpsWithoutACAIsRefusedBeforeDialling() {
        let error = peerError { () throws(PeerError) in
            try client(nil).perform(PeerRequest(url: "https://127.0.0.1:1/", totalTimeoutMs: 1000))
        }
        #expect(error?.kind == .other)
    }
}
