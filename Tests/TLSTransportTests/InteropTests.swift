import Foundation
import TLSTransport
import TestSupport
import Testing

#if canImport(Glibc)
import Glibc
#endif

/// Our server side against the real `openssl s_client` and `curl` (OpenSSL's and libcurl's client code).
@Suite struct InteropTests {
    let certificates = TestCertificates.shared

    /// Serves one connection: handshake, read until `terminator`, answer `reply`, close_notify. Returns the
    /// handshake outcome and whether the client presented a certificate.
    func serveOne(
        _ context: TLSContext,
        listener: borrowing LoopbackListener,
        terminator: String,
        reply: String
    ) -> Background<String> {
        let fd = listener.fd
        return Background {
            let connection = accept(fd, nil, nil)
            makeNonBlocking(connection)
            defer { close(connection) }
            guard let session = try? TLSSession(serverContext: context, fd: connection) else { return "no session" }
            let end = completeHandshake(session, fd: connection)
            guard end == .done else { return "\(end)" }
            var received: [UInt8] = []
            while !String(decoding: received, as: UTF8.self).contains(terminator) {
                let (bytes, stop) = readAll(session, fd: connection, count: 1)
                received += bytes
                if stop != nil { return "read ended: \(String(describing: stop))" }
            }
            let answer = Array(reply.utf8)
            guard answer.withUnsafeBytes({ writeAll(session, fd: connection, spans: [$0]) }) else {
                return "write failed"
            }
            _ = session.shutdown()
            return "done \(session.protocolVersion) clientCert=\(session.peerPresentedCertificate)"
        }
    }

    @Test(arguments: ["-tls1_2", "-tls1_3"])
    func opensslSClientVerifiesUsAndExchangesData(versionFlag: String) throws {
        let context = try TLSContext.server(certificate: certificates.nodeCertificate, key: certificates.nodeKey)
        let listener = LoopbackListener()
        let server = serveOne(context, listener: listener, terminator: "\n", reply: "pong from datadist\n")
        let (status, output) = try runTool(
            "/usr/bin/openssl",
            [
                "s_client", "-connect", "127.0.0.1:\(listener.port)", versionFlag, "-CAfile",
                certificates.caCertificate, "-verify_return_error", "-verify_ip", "127.0.0.1", "-quiet",
            ],
            input: "ping\n"
        )
        let outcome = server.join()
        #expect(outcome.hasPrefix("done TLSv1.\(versionFlag.last!)"), "\(outcome)")
        #expect(status == 0, "\(output)")
        #expect(output.contains("pong from datadist"))
    }

    @Test func curlWithAClientCertificatePassesMutualTLS() throws {
        let context = try TLSContext.server(
            certificate: certificates.nodeCertificate,
            key: certificates.nodeKey,
            clientCA: certificates.caCertificate
        )
        let listener = LoopbackListener()
        let body = "{\"ok\":true}"
        let server = serveOne(
            context,
            listener: listener,
            terminator: "\r\n\r\n",
            reply: "HTTP/1.1 200 OK\r\nContent-Length: \(body.utf8.count)\r\nConnection: close\r\n\r\n\(body)"
        )
        let (status, output) = try runTool(
            "/usr/bin/curl",
            [
                "-sS", "--noproxy", "*", "--cacert", certificates.caCertificate, "--cert",
                certificates.clientCertificate, "--key", certificates.clientKey,
                "https://127.0.0.1:\(listener.port)/v1/node",
            ]
        )
        #expect(server.join() == "done TLSv1.3 clientCert=true")
        #expect(status == 0, "\(output)")
        #expect(output == body)
    }

    @Test func curlWithoutAClientCertificateIsRefused() throws {
        let context = try TLSContext.server(
            certificate: certificates.nodeCertificate,
            key: certificates.nodeKey,
            clientCA: certificates.caCertificate
        )
        let listener = LoopbackListener()
        let server = serveOne(context, listener: listener, terminator: "\r\n\r\n", reply: "HTTP/1.1 200 OK\r\n\r\n")
        let (status, _) = try runTool(
            "/usr/bin/curl",
            ["-sS", "--noproxy", "*", "--cacert", certificates.caCertificate, "https://127.0.0.1:\(listener.port)/"]
        )
        #expect(server.join().contains("protocolError"))
        #expect(status != 0)
    }

    @Test func clientInitiatedRenegotiationIsRefused() throws {
        let context = try TLSContext.server(
            certificate: certificates.nodeCertificate,
            key: certificates.nodeKey,
            pinnedVersion: .tls12
        )
        let listener = LoopbackListener()
        let fd = listener.fd
        // The server only reads: a renegotiation attempt must not turn into a second handshake.
        let server = Background { () -> String in
            let connection = accept(fd, nil, nil)
            makeNonBlocking(connection)
            defer { close(connection) }
            guard let session = try? TLSSession(serverContext: context, fd: connection) else { return "no session" }
            guard completeHandshake(session, fd: connection) == .done else { return "handshake failed" }
            return "\(String(describing: readAll(session, fd: connection, count: 1 << 20).end))"
        }
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/openssl")
        process.arguments = [
            "s_client", "-connect", "127.0.0.1:\(listener.port)", "-tls1_2", "-CAfile", certificates.caCertificate,
        ]
        let stdin = Pipe()
        let stdout = Pipe()
        process.standardInput = stdin
        process.standardOutput = stdout
        process.standardError = stdout
        try process.run()
        // "R" asks s_client to renegotiate; stdin stays open so s_client does not leave on its own.
        stdin.fileHandleForWriting.write(Data("R\n".utf8))
        let serverEnd = server.join()
        try stdin.fileHandleForWriting.close()
        let output = String(decoding: stdout.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        process.waitUntilExit()
        #expect(output.contains("RENEGOTIATING"))
        #expect(output.contains("no renegotiation"), "\(output)")
        #expect(serverEnd != "nil", "the server read timed out: \(serverEnd)")
    }
}
