import Glibc

extension TLSScenario {
    /// CPU seconds a node pair spent over some pulls, and the bytes pulled.
    struct CPUUse {
        var prompt = 0.0
        var decoder = 0.0
        var bytes = 0

        mutating func add(prompt p: Double, decoder d: Double, _ size: Int) {
            prompt += p
            decoder += d
            bytes += size
        }

        var promptPerGB: Double { prompt / (Double(bytes) / 1e9) }
        var decoderPerGB: Double { decoder / (Double(bytes) / 1e9) }
    }

    /// How close a one-stream TLS pull could come to plaintext on this machine if TLS cost nothing but the cipher:
    /// each node does its plaintext work plus AES-256-GCM on every byte (sealing on the prompt, opening on the
    /// decoder, measured here through the same libcrypto), one connection is one thread on each side, and both
    /// nodes share this machine's cores. The TLS pull's time per GB is then at least
    /// max(plaintext's, prompt + seal, decoder + open, (prompt + decoder + seal + open) / cores); the ceiling is
    /// plaintext's time over that. Reported with the measured TLS CPU per side, so the overhead above the cipher
    /// (record copies, the client's per-record reads and polls, extra TCP segments) is visible.
    static func ceiling(
        _ env: BenchEnvironment,
        size: Int,
        plain: Samples,
        cpu: [CPUUse],
        report: inout Report
    ) throws(BenchError) {
        let aead = try AEADCost.measure()
        let cores = Double(max(1, sysconf(Int32(_SC_NPROCESSORS_ONLN))))
        let (p, t) = (cpu[0], cpu[1])
        let wall = 1 / plain.median
        let floor = max(
            wall,
            p.promptPerGB + aead.seal,
            p.decoderPerGB + aead.open,
            (p.promptPerGB + p.decoderPerGB + aead.seal + aead.open) / cores
        )
        let perGB = { (x: Double) in "\(format(x)) s/GB" }
        let line =
            "CPU per GB, one stream: plaintext prompt \(perGB(p.promptPerGB)), decoder \(perGB(p.decoderPerGB)); "
            + "TLS prompt \(perGB(t.promptPerGB)), decoder \(perGB(t.decoderPerGB)); AES-256-GCM on one core: "
            + "seal \(perGB(aead.seal)), open \(perGB(aead.open)); TLS above plaintext + cipher: prompt "
            + "\(perGB(t.promptPerGB - p.promptPerGB - aead.seal)), decoder "
            + "\(perGB(t.decoderPerGB - p.decoderPerGB - aead.open))"
        print("  \(line)")
        report.add(
            Figure(
                name,
                "TLS one-stream ceiling: plaintext + AES-GCM only, both nodes on \(Int(cores)) cores (model)",
                unit: "×",
                value: Samples([wall / floor]),
                note: "ratio a TLS pull would reach if TLS cost only the cipher; \(line)"
            )
        )
    }
}
