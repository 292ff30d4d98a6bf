import DataDistModel
import DataDistNode
import TestSupport
import Testing

/// TLS between real nodes on 127.0.0.1 (CONTRACT §13): both listeners serve TLS, peers are dialled over
/// `https` verified against `--tls-ca`, mutual TLS with `--tls-client-ca`, and each failure answers the
/// operation's status with its reason while the node keeps serving.
@Suite struct TLSLiveTests {
    static let certs = TestCertificates.shared

    /// A node's TLS files: its own certificate (`identity`), the CA it trusts, and for mutual TLS the CA its
    /// peer listener requires client certificates from.
    static func files(
        certificate: String? = certs.nodeCertificate,
        key: String? = certs.nodeKey,
        ca: String? = certs.caCertificate,
        mutual: Bool = false
    ) -> TLSFiles {
        TLSFiles(certificate: certificate, key: key, ca: ca, clientCA: mutual ? certs.caCertificate : nil)
    }

    @Test(arguments: [false, true])
    func linkPullAndPushOverTLS(mutual: Bool) throws {
        let p = try LiveNode.prompt(0) { $0.tls = Self.files(mutual: mutual) }
        let d = try LiveNode.decoder(1) { $0.tls = Self.files(mutual: mutual) }
        let linked = try #require(d.link([(0, p.peerAddress)]))
        #expect(linked.status == 200, "\(linked.text)")

        let src = try p.allocate(#"{"cache_desc":\#(uint8Desc(4, [2, 4096])),"cache_keys":[\#(requestKey(0, 5))]}"#)
        let data = PullCacheLiveTests.fill(p, src, tensors: 4, bytes: 2 * 4096, seed: 1500)
        let dst = try d.allocate(#"{"cache_desc":\#(uint8Desc(4, [2, 4096]))}"#)
        let pulled = try #require(d.post("/v1/cache/\(dst)/pull", #"{"cache_key":\#(requestKey(0, 5))}"#))
        #expect(pulled.status == 200, "\(pulled.text)")
        for t in 0..<4 {
            let got = try #require(d.readTensor(dst, t))
            #expect(bytesDiffer(Array(got[0..<4096]), data[t][0..<4096]) == nil, "tensor \(t)")
        }

        // The decoder pushes its slot 0 back into the prompt's slot 1.
        let pushed = try #require(
            d.post(
                "/v1/cache/\(dst)/push",
                #"{"dst_cache_key_by_id":{"cluster_id":0,"cache_id":\#(src),"batch_index":1},"src_batch_index":0}"#
            )
        )
        #expect(pushed.status == 200, "\(pushed.text)")
        for t in 0..<4 {
            let got = try #require(p.readTensor(src, t))
            #expect(bytesDiffer(Array(got[4096..<8192]), data[t][0..<4096]) == nil, "pushed tensor \(t)")
        }
        #expect(d.unlink([(0, p.peerAddress)])?.status == 200)
        #expect(p.deallocate(src) == 200 && d.deallocate(dst) == 200)
        #expect(p.poolsDrain() && d.poolsDrain())
    }

    @Test func nodeReportsTLSAndKernelTLS() throws {
        let p = try LiveNode.prompt(0) { $0.tls = Self.files(mutual: true) }
        let node = try #require(p.request("GET", "/v1/node")?.json?.objectValue)
        let tls = try #require(node["tls"]?.objectValue)
        #expect(tls["enabled"] == .bool(true))
        #expect(tls["client_certificates_required"] == .bool(true))
        #expect(tls["outgoing"] == .bool(true))
        let kernel = try #require(node["kernel_tls"]?.objectValue)
        #expect(kernel["available"]?.boolValue != nil)
        #expect(kernel["in_use"] == .bool(false))
        let plain = try LiveNode.decoder(1)
        let plainTLS = try #require(plain.request("GET", "/v1/node")?.json?.objectValue?["tls"]?.objectValue)
        #expect(plainTLS["enabled"] == .bool(false))
    }

    /// The linker trusts another CA: the prompt's certificate does not verify.
    @Test func wrongCAFailsTheLinkWithTheReason() throws {
        let p = try LiveNode.prompt(0) { $0.tls = Self.files() }
        let d = try LiveNode.decoder(1) { $0.tls = Self.files(ca: Self.certs.otherCACertificate) }
        let r = try #require(d.link([(0, p.peerAddress)]))
        #expect(r.status == 502, "\(r.text)")
        #expect(r.results == ["LLM_LINK_FAILED"])
        #expect(r.text.contains("certificate verify failed"), "\(r.text)")
        #expect(p.request("GET", "/healthz")?.status == 200)
    }

    @Test func expiredCertificateFailsTheLink() throws {
        let p = try LiveNode.prompt(0) {
            $0.tls = Self.files(certificate: Self.certs.expiredCertificate, key: Self.certs.expiredKey)
        }
        let d = try LiveNode.decoder(1) { $0.tls = Self.files() }
        let r = try #require(d.link([(0, p.peerAddress)]))
        #expect(r.status == 502, "\(r.text)")
        #expect(r.results == ["LLM_LINK_FAILED"])
        #expect(r.text.contains("certificate verify failed"), "\(r.text)")
    }

    /// A TLS linker dialling a plaintext listener: the reason says the peer does not speak TLS.
    @Test func tlsClientAgainstAPlaintextListener() throws {
        let p = try LiveNode.prompt(0)
        let d = try LiveNode.decoder(1) { $0.tls = Self.files(certificate: nil, key: nil) }
        let r = try #require(d.link([(0, p.peerAddress)]))
        #expect(r.status == 502, "\(r.text)")
        #expect(r.results == ["LLM_LINK_FAILED"])
        #expect(r.text.contains("does not speak TLS"), "\(r.text)")
        #expect(p.request("GET", "/healthz")?.status == 200)
    }

    /// A plaintext linker dialling a TLS listener gets nothing but a closed connection; the listener serves on.
    @Test func plaintextClientAgainstATLSListener() throws {
        let p = try LiveNode.prompt(0) { $0.tls = Self.files() }
        let plain = try LiveNode.decoder(1)
        let r = try #require(plain.link([(0, p.peerAddress)], timeoutMs: 2000))
        #expect(r.status == 502, "\(r.text)")
        #expect(r.results == ["LLM_LINK_FAILED"])
        let raw = try RawHTTPConnection(port: p.node.peerPort ?? 0)
        try raw.send("GET /v1/peer/hello HTTP/1.1\r\nHost: a\r\n\r\n")
        #expect(try raw.readUntilClosed(timeoutMs: 3000).isEmpty)
        let d = try LiveNode.decoder(2) { $0.tls = Self.files() }
        #expect(d.link([(0, p.peerAddress)])?.status == 200)
    }

    /// Mutual TLS: a linker without a client certificate, or with one from another CA, is refused.
    @Test func mutualTLSRefusesLinkersWithoutAClientCertificateFromTheCA() throws {
        let p = try LiveNode.prompt(0) { $0.tls = Self.files(mutual: true) }
        let anonymous = try LiveNode.decoder(1) { $0.tls = Self.files(certificate: nil, key: nil) }
        let r = try #require(anonymous.link([(0, p.peerAddress)]))
        #expect(r.status == 502, "\(r.text)")
        #expect(r.results == ["LLM_LINK_FAILED"])
        #expect(r.text.contains("TLS"), "\(r.text)")
        let foreign = try LiveNode.decoder(2) {
            $0.tls = Self.files(certificate: Self.certs.foreignCertificate, key: Self.certs.foreignKey)
        }
        #expect(foreign.link([(0, p.peerAddress)])?.status == 502)
        let friend = try LiveNode.decoder(3) { $0.tls = Self.files(mutual: true) }
        #expect(friend.link([(0, p.peerAddress)])?.status == 200)
    }
}
