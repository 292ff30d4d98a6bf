import DataDistModel
import Foundation
import Testing

/// `/metrics` follows the Prometheus exposition conventions, checked by the real `promtool check metrics`
/// (Debian `prometheus`, installed by `make test`) on a node that has done a bit of everything.
@Suite struct MetricsLintLiveTests {
    @Test func promtoolFindsNothingToComplainAbout() throws {
        let promtool = ["/usr/bin/promtool", "/usr/local/bin/promtool"].first {
            FileManager.default.isExecutableFile(atPath: $0)
        }
        let path = try #require(promtool, "promtool is missing: `make test` installs it (Debian package prometheus)")
        let p = try LiveNode.prompt(1)
        let d = try LiveNode.decoder(2)
        #expect(d.link([(1, p.peerAddress)])?.status == 200)
        let desc = uint8Desc(2, [1, 4096])
        let src = try p.allocate(#"{"cache_desc":\#(desc),"cache_keys":[\#(requestKey(1, 1))]}"#)
        #expect(p.writeTensor(src, 0, [UInt8](repeating: 7, count: 4096)) == 200)
        let dst = try d.allocate(#"{"cache_desc":\#(desc)}"#)
        #expect(d.post("/v1/cache/\(dst)/pull", #"{"cache_key":\#(requestKey(1, 1))}"#)?.status == 200)
        for node in [p, d] {
            let text = try #require(node.request("GET", "/metrics")?.text)
            let (status, output) = try Self.run(path, ["check", "metrics"], stdin: text)
            #expect(status == 0, "promtool: \(output)")
        }
    }

    private static func run(_ path: String, _ args: [String], stdin: String) throws -> (Int32, String) {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: path)
        process.arguments = args
        let input = Pipe()
        let output = Pipe()
        process.standardInput = input
        process.standardOutput = output
        process.standardError = output
        try process.run()
        input.fileHandleForWriting.write(Data(stdin.utf8))
        try input.fileHandleForWriting.close()
        let data = output.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        return (process.terminationStatus, String(decoding: data, as: UTF8.self))
    }
}
