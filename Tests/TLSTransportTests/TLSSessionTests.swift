import TLSTransport
import TestSupport
import Testing

#if canImport(Glibc)
import Glibc
#endif

/// Our server side against our client side over real loopback sockets.
@Suite struct TLSSessionTests {
    let certificates = TestCertificates.shared

    /// A connected pair: (server session, server fd, client session, client fd).
    func pair(
        server: TLSContext,
        client: TLSContext,
        peerHost: String = "127.0.0.1"
    ) throws -> (TLSSession, Int32, TLSSession, Int32) {
        let listener = LoopbackListener()
        let clientFD = connectNonBlocking(port: listener.port)
        let serverFD = listener.acceptNonBlocking()
        return (
            try TLSSession(serverContext: server, fd: serverFD), serverFD,
            try TLSSession(clientContext: client, fd: clientFD, peerHost: peerHost), clientFD
        )
    }

    @Test(arguments: [TLSVersion.tls12, .tls13])
    func handshakeThenDataBothWaysThenCleanClose(version: TLSVersion) throws {
        let server = try TLSContext.server(
            certificate: certificates.nodeCertificate,
            key: certificates.nodeKey,
            pinnedVersion: version
        )
        let client = try TLSContext.client(trustedCA: certificates.caCertificate)
        let (serverSession, serverFD, clientSession, clientFD) = try pair(server: server, client: client)
        defer {
            close(serverFD)
            close(clientFD)
        }
        let (serverEnd, clientEnd) = completeHandshakes(serverSession, fd: serverFD, clientSession, fd: clientFD)
        #expect(serverEnd == .done)
        #expect(clientEnd == .done)
        #expect(clientSession.protocolVersion == (version == .tls12 ? "TLSv1.2" : "TLSv1.3"))

        // 3 MiB in three spans of caller memory (written in place), read on a second thread.
        let payload = (0..<(3 << 20)).map { UInt8(truncatingIfNeeded: $0 &* 31 &+ 7) }
        let expected = payload
        let reader = Background { [clientSession = UnsafeTransfer(clientSession)] in
            let (bytes, end) = readAll(clientSession.value, fd: clientFD, count: expected.count + 1)
            return bytes == expected && end == .closed
        }
        let sent = payload.withUnsafeBytes { all in
            writeAll(
                serverSession,
                fd: serverFD,
                spans: [
                    UnsafeRawBufferPointer(rebasing: all[0..<1000]),
                    UnsafeRawBufferPointer(rebasing: all[1000..<(2 << 20)]),
                    UnsafeRawBufferPointer(rebasing: all[(2 << 20)...]),
                ]
            )
        }
        #expect(sent)
        #expect(serverSession.shutdown() == .done)
        #expect(reader.join())

    }

    /// Records are sealed into the session's output buffer and leave in large sends: while the peer reads
    /// nothing, a write stops with records still buffered (`hasPendingOutput`), nothing is lost or reordered,
    /// and `flush()` sends them once the peer reads.
    @Test func recordsWaitInTheOutputBufferUntilTheSocketTakesThem() throws {
        let server = try TLSContext.server(certificate: certificates.nodeCertificate, key: certificates.nodeKey)
        let client = try TLSContext.client(trustedCA: certificates.caCertificate)
        let (serverSession, serverFD, clientSession, clientFD) = try pair(server: server, client: client)
        defer {
            close(serverFD)
            close(clientFD)
        }
        let (serverEnd, clientEnd) = completeHandshakes(serverSession, fd: serverFD, clientSession, fd: clientFD)
        #expect(serverEnd == .done && clientEnd == .done)

        let payload = (0..<(16 << 20)).map { UInt8(truncatingIfNeeded: $0 &* 131 &+ 3) }
        // Nobody reads yet: the socket fills, then the buffer; the write reports only what it sealed.
        let sealed = payload.withUnsafeBytes { all -> Int in
            var total = 0
            while total < all.count {
                guard case .bytes(let n) = serverSession.write(spans: [UnsafeRawBufferPointer(rebasing: all[total...])])
                else { break }
                total += n
            }
            return total
        }
        #expect(sealed > 0 && sealed < payload.count)
        #expect(serverSession.hasPendingOutput)
        #expect(serverSession.pendingOutputBytes <= TLSSession.outputBufferBytes)
        #expect(serverSession.flush() == .wantWrite)
        serverSession.releaseIdleOutputBuffer()  // not idle: the records stay
        #expect(serverSession.hasPendingOutput)

        let expected = payload
        let reader = Background { [clientSession = UnsafeTransfer(clientSession)] in
            readAll(clientSession.value, fd: clientFD, count: expected.count).bytes == expected
        }
        let rest = payload.withUnsafeBytes { all in
            writeAll(serverSession, fd: serverFD, spans: [UnsafeRawBufferPointer(rebasing: all[sealed...])])
        }
        #expect(rest)
        #expect(!serverSession.hasPendingOutput)
        #expect(reader.join())
        serverSession.releaseIdleOutputBuffer()
        #expect(serverSession.pendingOutputBytes == 0)
    }

    @Test func serverFromAnotherCAFailsVerification() throws {
        let server = try TLSContext.server(certificate: certificates.foreignCertificate, key: certificates.foreignKey)
        let client = try TLSContext.client(trustedCA: certificates.caCertificate)
        let (serverSession, serverFD, clientSession, clientFD) = try pair(server: server, client: client)
        defer {
            close(serverFD)
            close(clientFD)
        }
        let (_, clientEnd) = completeHandshakes(serverSession, fd: serverFD, clientSession, fd: clientFD)
        guard case .failed(.verifyFailed, let reason) = clientEnd else {
            Issue.record("expected a verify failure, got \(clientEnd)")
            return
        }
        #expect(reason.hasPrefix("certificate verify failed"))
    }

    @Test func expiredServerCertificateFailsVerification() throws {
        let server = try TLSContext.server(certificate: certificates.expiredCertificate, key: certificates.expiredKey)
        let client = try TLSContext.client(trustedCA: certificates.caCertificate)
        let (serverSession, serverFD, clientSession, clientFD) = try pair(server: server, client: client)
        defer {
            close(serverFD)
            close(clientFD)
        }
        let (_, clientEnd) = completeHandshakes(serverSession, fd: serverFD, clientSession, fd: clientFD)
        guard case .failed(.verifyFailed, let reason) = clientEnd else {
            Issue.record("expected a verify failure, got \(clientEnd)")
            return
        }
        #expect(reason.contains("expired"))
    }

    @Test func certificateThatDoesNotNameTheDialledAddressFails() throws {
        let server = try TLSContext.server(certificate: certificates.nodeCertificate, key: certificates.nodeKey)
        let client = try TLSContext.client(trustedCA: certificates.caCertificate)
        for name in ["10.1.2.3", "node.example"] {
            let (serverSession, serverFD, clientSession, clientFD) = try pair(
                server: server,
                client: client,
                peerHost: name
            )
            defer {
                close(serverFD)
                close(clientFD)
            }
            let (_, clientEnd) = completeHandshakes(serverSession, fd: serverFD, clientSession, fd: clientFD)
            guard case .failed(.verifyFailed, _) = clientEnd else {
                Issue.record("\(name): expected a verify failure, got \(clientEnd)")
                continue
            }
        }
        // A DNS SAN matches too.
        let (serverSession, serverFD, clientSession, clientFD) = try pair(
            server: server,
            client: client,
            peerHost: "localhost"
        )
        defer {
            close(serverFD)
            close(clientFD)
        }
        #expect(completeHandshakes(serverSession, fd: serverFD, clientSession, fd: clientFD) == (.done, .done))
    }

    @Test func plaintextClientOnATLSPortGetsOnlyAClosedConnection() throws {
        let server = try TLSContext.server(certificate: certificates.nodeCertificate, key: certificates.nodeKey)
        let listener = LoopbackListener()
        let clientFD = connectNonBlocking(port: listener.port)
        let serverFD = listener.acceptNonBlocking()
        defer { close(clientFD) }
        let request = Array("GET /v1/node HTTP/1.1\r\nHost: x\r\n\r\n".utf8)
        #expect(request.withUnsafeBytes { write(clientFD, $0.baseAddress, $0.count) } == request.count)
        let session = try TLSSession(serverContext: server, fd: serverFD)
        let end = completeHandshake(session, fd: serverFD)
        guard case .failed(.notTLS, let reason) = end else {
            Issue.record("expected notTLS, got \(end)")
            close(serverFD)
            return
        }
        #expect(reason.contains("peer does not speak TLS"))
        close(serverFD)
        // The plaintext client sees the connection end and not one byte.
        var received: [UInt8] = []
        var buffer = [UInt8](repeating: 0, count: 4096)
        let deadline = ContinuousClock.now + .seconds(10)
        while ContinuousClock.now < deadline {
            let n = buffer.withUnsafeMutableBytes { recv(clientFD, $0.baseAddress, $0.count, 0) }
            if n > 0 {
                received += buffer[0..<n]
            } else if n == 0 || (errno != EAGAIN && errno != EWOULDBLOCK) {
                break
            } else {
                waitFor(clientFD, readable: true)
            }
        }
        #expect(received.isEmpty)
    }

    @Test func tlsClientAtAPlaintextServerSaysPeerDoesNotSpeakTLS() throws {
        let client = try TLSContext.client(trustedCA: certificates.caCertificate)
        let listener = LoopbackListener()
        let clientFD = connectNonBlocking(port: listener.port)
        let serverFD = listener.acceptNonBlocking()
        defer {
            close(clientFD)
            close(serverFD)
        }
        // A plaintext HTTP server answers anything with a 400.
        let answer = Array("HTTP/1.1 400 Bad Request\r\nContent-Length: 0\r\nConnection: close\r\n\r\n".utf8)
        let session = try TLSSession(clientContext: client, fd: clientFD, peerHost: "127.0.0.1")
        #expect(session.handshake() == .wantRead)
        #expect(answer.withUnsafeBytes { write(serverFD, $0.baseAddress, $0.count) } == answer.count)
        let end = completeHandshake(session, fd: clientFD)
        guard case .failed(.notTLS, let reason) = end else {
            Issue.record("expected notTLS, got \(end)")
            return
        }
        #expect(reason.hasPrefix("peer does not speak TLS"))
    }

    @Test(arguments: [TLSVersion.tls12, .tls13])
    func mutualTLSRequiresAClientCertificateFromTheClientCA(version: TLSVersion) throws {
        let server = try TLSContext.server(
            certificate: certificates.nodeCertificate,
            key: certificates.nodeKey,
            clientCA: certificates.caCertificate,
            pinnedVersion: version
        )
        #expect(server.requiresClientCertificate)

        // With a certificate from the client CA: accepted, and the server saw it.
        let withCertificate = try TLSContext.client(
            trustedCA: certificates.caCertificate,
            certificate: certificates.clientCertificate,
            key: certificates.clientKey
        )
        do {
            let (serverSession, serverFD, clientSession, clientFD) = try pair(server: server, client: withCertificate)
            defer {
                close(serverFD)
                close(clientFD)
            }
            #expect(completeHandshakes(serverSession, fd: serverFD, clientSession, fd: clientFD) == (.done, .done))
            #expect(serverSession.peerPresentedCertificate)
        }

        // Without one, or with one from another CA: the server refuses the handshake.
        let without = try TLSContext.client(trustedCA: certificates.caCertificate)
        let foreign = try TLSContext.client(
            trustedCA: certificates.caCertificate,
            certificate: certificates.foreignCertificate,
            key: certificates.foreignKey
        )
        for (client, expectedKind) in [(without, TLSError.Kind.protocolError), (foreign, .verifyFailed)] {
            let (serverSession, serverFD, clientSession, clientFD) = try pair(server: server, client: client)
            defer {
                close(serverFD)
                close(clientFD)
            }
            let (serverEnd, clientEnd) = completeHandshakes(serverSession, fd: serverFD, clientSession, fd: clientFD)
            guard case .failed(let kind, _) = serverEnd else {
                Issue.record("server accepted a client it should refuse: \(serverEnd)")
                continue
            }
            #expect(kind == expectedKind)
            close(serverFD)
            // The client learns at the latest on its first read (TLS 1.3 finishes the client's side first).
            if clientEnd == .done {
                let end = readAll(clientSession, fd: clientFD, count: 1).end
                guard case .failed = end else {
                    Issue.record("client read after refusal: \(String(describing: end))")
                    continue
                }
            }
        }
    }

    @Test func badFilesAreConfigurationErrorsNamingTheFlag() throws {
        do {
            _ = try TLSContext.server(certificate: "/nonexistent.pem", key: certificates.nodeKey)
            Issue.record("a missing certificate was accepted")
        } catch {
            #expect(error.reason == "--tls-cert /nonexistent.pem: No such file or directory")
        }
        do {
            _ = try TLSContext.server(certificate: certificates.nodeCertificate, key: certificates.clientKey)
            Issue.record("a key that does not match was accepted")
        } catch {
            #expect(error.kind == .configuration)
            #expect(error.reason.contains("--tls-key"))
        }
        do {
            _ = try TLSContext.client(trustedCA: certificates.nodeKey)
            Issue.record("a key file was accepted as a CA bundle")
        } catch {
            #expect(error.reason.hasPrefix("--tls-ca"))
        }
    }

    @Test func kernelTLSProbeAnswersConsistently() {
        #expect(KernelTLS.isAvailable == (KernelTLS.detail == "available"))
    }
}

/// Moves a non-Sendable session to the reader thread; the test thread does not touch it until `join()`.
struct UnsafeTransfer<Value>: @unchecked Sendable {
    let value: Value
    init(_ value: Value) { self.value = value }
}
