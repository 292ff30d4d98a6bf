import Glibc
import PeerClient

/// Issue 15 item 5: a TLS pull against a plaintext pull of the same size, in the same run, trials interleaved
/// (one stream, CRC on). Two node pairs: one plaintext, one with `--tls-cert/--tls-key/--tls-ca` on both nodes;
/// certificates are made here with the openssl CLI (a CA and one node certificate naming 127.0.0.1).
enum TLSScenario {
    static let name = "tls"

    static func run(_ env: BenchEnvironment, size: Int, report: inout Report) throws(BenchError) {
        print("\(name) \(sizeName(size)):")
        let files = try certificates(in: env.workDir)
        let tlsFlags = ["--tls-cert", files.certificate, "--tls-key", files.key, "--tls-ca", files.ca]
        let https = PeerClient(configuration: PeerClient.Configuration(tls: PeerTLS(caFile: files.ca)))
        let source = try PinnedBuffer(count: size)
        source.fillRandom(seed: 15)

        // Each prompt serves two decoders: one pulling over one connection, one striping over 4 (its
        // --stripe-bytes a quarter of the pull); the TLS prompt a third striping over 12 (TLS costs about three
        // times plaintext's CPU per byte on each connection: what do three times the stripes buy where cores are
        // free?).
        let pool = 2 * size + 64 * MiB
        let oneStream = ["--streams-per-transfer", "1"]
        let striped = ["--streams-per-transfer", "4", "--stripe-bytes", "\(size / 4)"]
        let wide = ["--streams-per-transfer", "12", "--stripe-bytes", "\(size / 12)"]
        var nodes: [NodeProcess] = []
        defer { for n in nodes { n.stop() } }
        var pairs: [[(NodeProcess, NodeProcess, Int64, Int64)]] = []
        for (i, secure) in [false, true].enumerated() {
            let flags = secure ? tlsFlags : []
            let client = secure ? https : nil
            let id = UInt64(10 * (i + 1))
            let prompt = try NodeProcess(
                env,
                clusterID: id,
                role: "prompt",
                pool: pool,
                extraArgs: flags,
                adminClient: client
            )
            nodes.append(prompt)
            let src = try prompt.allocate(tensors: 2, tensorBytes: size / 2)
            try prompt.fill(cache: src, tensors: 2, from: source)
            var row: [(NodeProcess, NodeProcess, Int64, Int64)] = []
            let rows: [[String]] = secure ? [oneStream, striped, wide] : [oneStream, striped]
            for (j, streams) in rows.enumerated() {
                let decoder = try NodeProcess(
                    env,
                    clusterID: id + UInt64(j + 1),
                    role: "decoder",
                    pool: size + 64 * MiB,
                    extraArgs: flags + streams,
                    adminClient: client
                )
                nodes.append(decoder)
                try decoder.link(to: prompt)
                let dst = try decoder.allocate(tensors: 2, tensorBytes: size / 2)
                _ = try decoder.pullByID(into: dst, from: prompt, cache: src)  // warm: destination pages faulted in
                try LargePullScenario.verify(decoder, cache: dst, size: size, source: source)
                row.append((prompt, decoder, src, dst))
            }
            pairs.append(row)
        }
        // CPU of each node over the one-stream trials (the prompts serve only that decoder meanwhile).
        var cpu = [CPUUse(), CPUUse()]
        for (j, label) in ["one stream", "4 streams"].enumerated() {
            var plain = Samples()
            var tls = Samples()
            var tlsWide = Samples()
            for _ in 0..<env.trials {
                for (i, secure) in [false, true].enumerated() {
                    let (p, d, src, dst) = pairs[i][j]
                    let before = (p.cpuSeconds, d.cpuSeconds)
                    let rate = gbPerSecond(size, try d.pullByID(into: dst, from: p, cache: src))
                    if secure { tls.add(rate) } else { plain.add(rate) }
                    if j == 0 { cpu[i].add(prompt: p.cpuSeconds - before.0, decoder: d.cpuSeconds - before.1, size) }
                }
                if j == 1 {
                    let (wp, wd, wsrc, wdst) = pairs[1][2]
                    tlsWide.add(gbPerSecond(size, try wd.pullByID(into: wdst, from: wp, cache: wsrc)))
                }
            }
            report.add(
                Figure(
                    name,
                    "TLS pull \(sizeName(size)), 2 tensors, \(label) (warm)",
                    unit: "GB/s",
                    value: tls,
                    baseline: ("plaintext pull, same size and streams, interleaved", plain),
                    target: .atLeast(j == 0 ? 0.5 : 0.8),
                    note: j == 0
                        ? "TLS 1.3 AES-256-GCM in user space (no kernel TLS here); CRC32C on in both"
                        : "target for 16 cores (CONTRACT §13); on 2 cores the streams share the same two cores"
                )
            )
            if j == 0 {
                try ceiling(env, size: size, plain: plain, cpu: cpu, report: &report)
            }
            if j == 1 {
                report.add(
                    Figure(
                        name,
                        "TLS pull \(sizeName(size)), 2 tensors, 12 streams (warm; reference)",
                        unit: "GB/s",
                        value: tlsWide,
                        baseline: ("plaintext pull over 4 streams, interleaved", plain),
                        note: "an operator's --streams-per-transfer 12 on a TLS node; only where cores are free"
                    )
                )
            }
        }
        // The device machine has no nginx (nothing can be installed there): the reference is skipped, said so.
        guard findExecutable("nginx") != nil else {
            print("  (no nginx here: the libcurl-from-nginx reference is skipped)")
            return
        }
        try libcurlCeiling(env, size: size, source: source, files: files, https: https, report: &report)
    }

    /// What TLS costs libcurl + OpenSSL themselves on this machine, without datadist: the same bytes fetched by
    /// libcurl (the node's peer client, one connection) from nginx over HTTPS and over HTTP, interleaved. No
    /// target: it tells how far the node's ratio is from what the same two libraries reach here.
    private static func libcurlCeiling(
        _ env: BenchEnvironment,
        size: Int,
        source: PinnedBuffer,
        files: Files,
        https: PeerClient,
        report: inout Report
    ) throws(BenchError) {
        let nginx = try NginxServer(env, tls: (files.certificate, files.key))
        defer { nginx.stop() }
        let file = "tls-ceiling.bin"
        try CurlPullBaseline.publish(UnsafeRawBufferPointer(start: source.base, count: size), as: file, env: env)
        let destination = try PinnedBuffer(count: size)
        var plain = Samples()
        var tls = Samples()
        for trial in 0..<env.trials + 1 {  // trial 0 warms both up
            let p = try CurlPullBaseline.pull(file, port: nginx.port, into: destination, env: env)
            let t = try CurlPullBaseline.pull(file, port: nginx.tlsPort!, into: destination, env: env, https: https)
            guard trial > 0 else { continue }
            plain.add(gbPerSecond(size, p.seconds))
            tls.add(gbPerSecond(size, t.seconds))
        }
        report.add(
            Figure(
                name,
                "libcurl GET \(sizeName(size)) from nginx over HTTPS (no datadist; reference)",
                unit: "GB/s",
                value: tls,
                baseline: ("the same GET over HTTP, interleaved", plain),
                note: "the TLS cost of libcurl + OpenSSL alone (one connection, sendfile on the HTTP side)"
            )
        )
    }

    /// Certificates from `DATADIST_BENCH_TLS_DIR` (ca.pem, node.pem, node.key for IP 127.0.0.1: for a machine
    /// without the openssl CLI), else made here.
    private static func certificates(in directory: String) throws(BenchError) -> Files {
        if let given = getenv("DATADIST_BENCH_TLS_DIR").map({ String(cString: $0) }), !given.isEmpty {
            // Absolute: nginx reads relative paths from its own prefix directory.
            guard let resolved = realpath(given, nil) else {
                throw BenchError("DATADIST_BENCH_TLS_DIR \(given): \(String(cString: strerror(errno)))")
            }
            defer { free(resolved) }
            let dir = String(cString: resolved)
            return Files(ca: "\(dir)/ca.pem", certificate: "\(dir)/node.pem", key: "\(dir)/node.key")
        }
        return try makeCertificates(in: directory)
    }

    struct Files {
        var ca: String
        var certificate: String
        var key: String
    }

    /// A P-256 CA and a node certificate for IP 127.0.0.1, made with `openssl` in `directory`.
    static func makeCertificates(in directory: String) throws(BenchError) -> Files {
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
