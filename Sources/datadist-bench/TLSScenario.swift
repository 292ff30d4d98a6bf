import Glibc
import PeerClient

/// Issue 15 item 5: a TLS pull against a plaintext pull of the same size, in the same run, trials interleaved
/// (one stream, CRC on). Two node pairs: one plaintext, one with `--tls-cert/--tls-key/--tls-ca` on both nodes;
/// certificates are made here with the openssl CLI (a CA and one node certificate naming 127.0.0.1).
enum TLSScenario {
    static let name = "tls"

    static func run(_ env: BenchEnvironment, size: Int, report: inout Report) throws(BenchError) {
        print("\(name) \(sizeName(size)):")
        let files = try makeCertificates(in: env.workDir)
        let tlsFlags = ["--tls-cert", files.certificate, "--tls-key", files.key, "--tls-ca", files.ca]
        let https = PeerClient(configuration: PeerClient.Configuration(tls: PeerTLS(caFile: files.ca)))
        let source = try PinnedBuffer(count: size)
        source.fillRandom(seed: 15)

        let pool = size + 64 * MiB
        let plainPrompt = try NodeProcess(env, clusterID: 1, role: "prompt", pool: pool)
        defer { plainPrompt.stop() }
        let plainDecoder = try NodeProcess(env, clusterID: 2, role: "decoder", pool: pool)
        defer { plainDecoder.stop() }
        let tlsPrompt = try NodeProcess(
            env,
            clusterID: 3,
            role: "prompt",
            pool: pool,
            extraArgs: tlsFlags,
            adminClient: https
        )
        defer { tlsPrompt.stop() }
        let tlsDecoder = try NodeProcess(
            env,
            clusterID: 4,
            role: "decoder",
            pool: pool,
            extraArgs: tlsFlags,
            adminClient: https
        )
        defer { tlsDecoder.stop() }

        var caches: [(NodeProcess, NodeProcess, Int64, Int64)] = []
        for (prompt, decoder) in [(plainPrompt, plainDecoder), (tlsPrompt, tlsDecoder)] {
            try decoder.link(to: prompt)
            let src = try prompt.allocate(tensors: 2, tensorBytes: size / 2)
            try prompt.fill(cache: src, tensors: 2, from: source)
            let dst = try decoder.allocate(tensors: 2, tensorBytes: size / 2)
            _ = try decoder.pullByID(into: dst, from: prompt, cache: src)  // warm: destination pages faulted in
            try LargePullScenario.verify(decoder, cache: dst, size: size, source: source)
            caches.append((prompt, decoder, src, dst))
        }
        var plain = Samples()
        var tls = Samples()
        for _ in 0..<env.trials {
            let (p, d, src, dst) = caches[0]
            plain.add(gbPerSecond(size, try d.pullByID(into: dst, from: p, cache: src)))
            let (tp, td, tsrc, tdst) = caches[1]
            tls.add(gbPerSecond(size, try td.pullByID(into: tdst, from: tp, cache: tsrc)))
        }
        report.add(
            Figure(
                name,
                "TLS pull \(sizeName(size)), 2 tensors, one stream (warm)",
                unit: "GB/s",
                value: tls,
                baseline: ("plaintext pull, same size, interleaved", plain),
                target: .atLeast(0.5),
                note: "TLS 1.3 AES-GCM in user space (no kernel TLS here); CRC32C on in both"
            )
        )
    }

    struct Files {
        var ca: String
        var certificate: String
        var key: String
    }

    /// A P-256 CA and a node certificate for IP 127.0.0.1, made with `openssl` in `directory`.
    private static func makeCertificates(in directory: String) throws(BenchError) -> Files {
        let d = directory
        let ext = "\(d)/node.ext"
        let extensions = "subjectAltName=IP:127.0.0.1\n"
        guard let f = fopen(ext, "w") else { throw BenchError("cannot write \(ext)") }
        fputs(extensions, f)
        fclose(f)
        let steps: [[String]] = [
            [
                "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes", "-keyout",
                "\(d)/ca.key", "-out", "\(d)/ca.pem", "-subj", "/CN=bench CA", "-days", "2",
            ],
            [
                "req", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes", "-keyout", "\(d)/node.key",
                "-out", "\(d)/node.csr", "-subj", "/CN=node",
            ],
            [
                "x509", "-req", "-in", "\(d)/node.csr", "-CA", "\(d)/ca.pem", "-CAkey", "\(d)/ca.key",
                "-CAcreateserial", "-out", "\(d)/node.pem", "-days", "2", "-extfile", ext,
            ],
        ]
        for step in steps {
            let openssl = try ChildProcess("/usr/bin/openssl", step, outputPath: "\(d)/openssl.log")
            guard openssl.wait() == 0 else { throw BenchError("openssl \(step[0]) failed: \(openssl.output)") }
        }
        return Files(ca: "\(d)/ca.pem", certificate: "\(d)/node.pem", key: "\(d)/node.key")
    }
}
