import Foundation

/// Certificates made at test time with the openssl CLI (CONTRACT §13 tests): a CA, a node certificate naming
/// 127.0.0.1 and localhost, a client certificate from the same CA, an expired node certificate, and a second
/// CA with a node certificate of its own. EC P-256 keys keep generation fast.
public struct TestCertificates: Sendable {
    public let directory: String
    public var caCertificate: String { directory + "/ca.pem" }
    public var nodeCertificate: String { directory + "/node.pem" }
    public var nodeKey: String { directory + "/node.key" }
    public var clientCertificate: String { directory + "/client.pem" }
    public var clientKey: String { directory + "/client.key" }
    public var expiredCertificate: String { directory + "/expired.pem" }
    public var expiredKey: String { directory + "/expired.key" }
    public var otherCACertificate: String { directory + "/other-ca.pem" }
    public var foreignCertificate: String { directory + "/foreign.pem" }
    public var foreignKey: String { directory + "/foreign.key" }
    /// A node certificate naming the multi-host test network's addresses (10.213.0.1 to .3, from the CA).
    public var hostsCertificate: String { directory + "/hosts.pem" }
    public var hostsKey: String { directory + "/hosts.key" }

    /// Made once per test process.
    public static let shared: TestCertificates = {
        do {
            return try TestCertificates()
        } catch {
            fatalError("cannot generate test certificates: \(error)")
        }
    }()

    private init() throws {
        directory = NSTemporaryDirectory() + "datadist-tls-\(getpid())-\(UInt32.random(in: 0...UInt32.max))"
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        try makeCA("ca", subject: "/CN=datadist test CA")
        try makeCA("other-ca", subject: "/CN=another CA")
        try makeLeaf("node", ca: "ca", days: "30", extensions: "subjectAltName=IP:127.0.0.1,DNS:localhost")
        try makeLeaf("client", ca: "ca", days: "30", extensions: "extendedKeyUsage=clientAuth")
        try makeLeaf("expired", ca: "ca", days: "-1", extensions: "subjectAltName=IP:127.0.0.1,DNS:localhost")
        try makeLeaf("foreign", ca: "other-ca", days: "30", extensions: "subjectAltName=IP:127.0.0.1,DNS:localhost")
        try makeLeaf(
            "hosts",
            ca: "ca",
            days: "30",
            extensions: "subjectAltName=IP:10.213.0.1,IP:10.213.0.2,IP:10.213.0.3"
        )
    }

    private func makeCA(_ name: String, subject: String) throws {
        try openssl([
            "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes",
            "-keyout", "\(directory)/\(name).key", "-out", "\(directory)/\(name).pem", "-subj", subject, "-days", "30",
        ])
    }

    /// A leaf signed by `ca`; a negative `days` makes a certificate that expired at once.
    private func makeLeaf(_ name: String, ca: String, days: String, extensions: String) throws {
        let extFile = "\(directory)/\(name).ext"
        try (extensions + "\n").write(toFile: extFile, atomically: true, encoding: .utf8)
        try openssl([
            "req", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes",
            "-keyout", "\(directory)/\(name).key", "-out", "\(directory)/\(name).csr", "-subj", "/CN=\(name)",
        ])
        try openssl([
            "x509", "-req", "-in", "\(directory)/\(name).csr", "-CA", "\(directory)/\(ca).pem",
            "-CAkey", "\(directory)/\(ca).key", "-CAcreateserial", "-out", "\(directory)/\(name).pem",
            "-days", days, "-extfile", extFile,
        ])
    }

    private func openssl(_ arguments: [String]) throws {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/openssl")
        process.arguments = arguments
        process.standardOutput = FileHandle.nullDevice
        process.standardError = FileHandle.nullDevice
        try process.run()
        process.waitUntilExit()
        guard process.terminationStatus == 0 else {
            throw CocoaError(.fileWriteUnknown, userInfo: ["openssl": arguments.joined(separator: " ")])
        }
    }
}
