/// Scenario 7: CPU seconds per GB pulled, prompt and decoder separately, against the processes doing the
/// same job in the baselines (nginx sendfile for the sender, the libcurl client for the receiver).
enum CPUScenario {
    static let name = "cpu"

    static func report(_ cost: LargePullScenario.CPUCost, report: inout Report) {
        print("\(name) (from the \(sizeName(cost.bytes)) pulls):")
        let raw =
            "raw TCP sender \(format(cost.rawSender.median)) s/GB, receiver \(format(cost.rawReceiver.median)) s/GB"
        report.add(
            Figure(
                name,
                "prompt CPU per GB pulled (\(sizeName(cost.bytes)))",
                unit: "s/GB",
                value: cost.prompt,
                baseline: ("nginx sendfile process", cost.nginx),
                note: "utime+stime from /proc; \(raw)"
            )
        )
        report.add(
            Figure(
                name,
                "decoder CPU per GB pulled (\(sizeName(cost.bytes)))",
                unit: "s/GB",
                value: cost.decoder,
                baseline: ("libcurl client thread (copy into memory)", cost.curlClient),
                note: "utime+stime from /proc; the decoder also verifies CRC32C; \(raw)"
            )
        )
    }
}
