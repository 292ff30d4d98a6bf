import Foundation
import Testing

/// The `datadist` executable as an operator runs it.
@Suite struct ProcessTests {
    /// The binary built beside the test bundle.
    static var binary: URL {
        let exe = URL(fileURLWithPath: CommandLine.arguments[0]).resolvingSymlinksInPath()
        var dir = exe.deletingLastPathComponent()
        while !FileManager.default.fileExists(atPath: dir.appendingPathComponent("datadist").path), dir.path != "/" {
            dir = dir.deletingLastPathComponent()
        }
        return dir.appendingPathComponent("datadist")
    }

    static func launch(
        _ args: [String],
        env: [String: String] = [:],
        captureOutput: Bool = false
    ) throws -> (Process, Pipe) {
        let p = Process()
        p.executableURL = binary
        p.arguments = args
        var environment = ProcessInfo.processInfo.environment.filter { !$0.key.hasPrefix("DATADIST_") }
        environment.merge(env) { $1 }
        p.environment = environment
        let err = Pipe()
        p.standardError = err
        p.standardOutput = captureOutput ? Pipe() : FileHandle.nullDevice
        try p.run()
        return (p, err)
    }

    static func waitExit(_ p: Process, seconds: Double = 10) -> Bool {
        eventually(within: seconds) { !p.isRunning }
    }

    @Test(arguments: [
        (["serve", "--cluster-id", "x"], "--cluster-id"),
        (["serve", "--role", "boss"], "--role"),
        (["serve", "--page-shift", "40"], "--page-shift"),
        (["serve", "--device-pool", "many"], "--device-pool"),
        (["serve", "--role", "decoder", "--listen", "127.0.0.1:1", "--compat", "legacy"], "--listen"),
        (["serve", "--compat", "strict"], "--compat"),
    ])
    func badFlagExitsNonZeroWithOneLineNamingIt(args: [String], flag: String) throws {
        let (p, err) = try Self.launch(args)
        #expect(Self.waitExit(p))
        #expect(p.terminationStatus != 0)
        let text = String(decoding: err.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        let lines = text.split(separator: "\n")
        #expect(lines.count == 1, "\(text)")
        #expect(text.contains(flag), "\(text)")
    }

    @Test func badEnvironmentValueNamesTheFlag() throws {
        let (p, err) = try Self.launch(["serve"], env: ["DATADIST_MAX_LINKS": "zero"])
        #expect(Self.waitExit(p))
        #expect(p.terminationStatus != 0)
        let text = String(decoding: err.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        #expect(text.contains("--max-links"), "\(text)")
    }

    @Test func sigtermStopsGracefullyWithExitZero() throws {
        let admin = freePort()
        let (p, _) = try Self.launch(
            ["serve", "--role", "decoder", "--admin", "127.0.0.1:\(admin)", "--enable-switch-role"],
            env: ["DATADIST_CLUSTER_ID": "77"]
        )
        defer { if p.isRunning { p.terminate() } }
        #expect(eventually(within: 20) { RawHTTPConnection.request(port: admin, "GET", "/healthz")?.status == 200 })
        let role = RawHTTPConnection.request(port: admin, "GET", "/v1/role")
        #expect(role?.text.contains(#""cluster_id":77"#) == true)
        kill(p.processIdentifier, SIGTERM)
        #expect(Self.waitExit(p))
        #expect(p.terminationReason == .exit)
        #expect(p.terminationStatus == 0)
        #expect(RawHTTPConnection(port: admin) == nil)
    }

    @Test func takenAdminPortFailsToStartNamingTheFlag() throws {
        let holder = try LiveNode()
        let (p, err) = try Self.launch(["serve", "--role", "decoder", "--admin", "127.0.0.1:\(holder.port)"])
        #expect(Self.waitExit(p))
        #expect(p.terminationStatus != 0)
        let text = String(decoding: err.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        #expect(text.contains("--admin"), "\(text)")
    }
}
