import Foundation
import PeerClient
import TestSupport

/// The admin API of a TLS node (CONTRACT §13: every listener serves TLS) over real libcurl `https`, verified
/// against the test CA; answers in the raw client's `Response` so the live helpers work unchanged.
struct AdminHTTPS: Sendable {
    let client: PeerClient

    /// Both test CAs: a node may serve a certificate of either (the foreign one is from the other CA).
    static let bothCAs: String = {
        let certs = TestCertificates.shared
        let path = certs.directory + "/both-ca.pem"
        let text = [certs.caCertificate, certs.otherCACertificate].compactMap {
            try? String(contentsOfFile: $0, encoding: .utf8)
        }.joined()
        _ = FileManager.default.createFile(atPath: path, contents: Data(text.utf8))
        return path
    }()

    init(trustedCA: String = Self.bothCAs) {
        client = PeerClient(
            configuration: PeerClient.Configuration(maxBufferedBodyBytes: 64 << 20, tls: PeerTLS(caFile: trustedCA))
        )
    }

    /// `method path` on 127.0.0.1:`port`; nil when no HTTP answer came (connection or TLS failure).
    func request(
        host: String = "127.0.0.1",
        port: Int,
        _ method: String,
        _ path: String,
        body: [UInt8]?,
        binary: Bool = false
    ) -> RawHTTPConnection.Response? {
        var headers: [PeerHeader] = []
        if body != nil {
            headers.append(
                PeerHeader(name: "Content-Type", value: binary ? "application/octet-stream" : "application/json")
            )
        }
        let request = PeerRequest(
            method: method,
            url: "https://\(host):\(port)\(path)",
            headers: headers,
            body: body.map { .bytes($0) } ?? .none,
            totalTimeoutMs: 60_000
        )
        do {
            let answer = try client.perform(request)
            return RawHTTPConnection.Response(
                status: answer.status,
                headers: answer.headers.map { ($0.name, $0.value) },
                body: answer.body
            )
        } catch {
            guard case .httpStatus(let status) = error.kind else { return nil }
            return RawHTTPConnection.Response(status: status, headers: [], body: error.body)
        }
    }
}
