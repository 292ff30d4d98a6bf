import Foundation
import Testing

/// `datadist serve --shm-dir` as an operator runs it (CONTRACT §10): a second node on a live node's pool files
/// exits non-zero with one line; a graceful stop removes the files; SIGKILL leaves them to be replaced.
@Suite struct SharedMemoryProcessTests {
    static func serve(_ dir: String, admin: Int) throws -> (Process, Pipe) {
        try ProcessTests.launch([
            "serve", "--role", "decoder", "--cluster-id", "9", "--admin", "127.0.0.1:\(admin)", "--shm-dir", dir,
            "--device-pool", "1MiB", "--host-pool", "1MiB", "--shm-mode", "0640",
        ])
    }

    static func poolFiles(_ dir: String) -> [String] {
        ((try? FileManager.default.contentsOfDirectory(atPath: dir)) ?? []).filter { $0.hasSuffix(".pool") }.sorted()
    }

    @Test func aLiveNodesFilesRefuseASecondStartAndAGracefulStopRemovesThem() throws {
        let dir = ShmTestDir()
        defer { dir.remove() }
        let admin = freePort()
        let (first, _) = try Self.serve(dir.path, admin: admin)
        defer { if first.isRunning { first.terminate() } }
        #expect(eventually(within: 20) { RawHTTPConnection.request(port: admin, "GET", "/healthz")?.status == 200 })
        #expect(Self.poolFiles(dir.path) == ["datadist-9-device-0.pool", "datadist-9-host-0.pool"])
        #expect(fileFacts(dir.path + "/datadist-9-host-0.pool")?.mode == 0o640)

        let (second, err) = try Self.serve(dir.path, admin: freePort())
        #expect(ProcessTests.waitExit(second))
        #expect(second.terminationStatus != 0)
        let text = String(decoding: err.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        #expect(text.split(separator: "\n").count == 1, "\(text)")
        #expect(text.contains("--shm-dir") && text.contains("live node"), "\(text)")
        // The refused node touched nothing of the live one's.
        #expect(Self.poolFiles(dir.path).count == 2)

        kill(first.processIdentifier, SIGTERM)
        #expect(ProcessTests.waitExit(first))
        #expect(first.terminationStatus == 0)
        #expect(Self.poolFiles(dir.path).isEmpty)
    }

    @Test func aKilledNodesFilesAreReplacedByTheNextStart() throws {
        let dir = ShmTestDir()
        defer { dir.remove() }
        let admin = freePort()
        let (first, _) = try Self.serve(dir.path, admin: admin)
        #expect(eventually(within: 20) { RawHTTPConnection.request(port: admin, "GET", "/healthz")?.status == 200 })
        let before = try #require(fileFacts(dir.path + "/datadist-9-host-0.pool"))
        kill(first.processIdentifier, SIGKILL)
        #expect(ProcessTests.waitExit(first))
        #expect(Self.poolFiles(dir.path).count == 2)

        let again = freePort()
        let (second, _) = try Self.serve(dir.path, admin: again)
        defer { if second.isRunning { second.terminate() } }
        #expect(eventually(within: 20) { RawHTTPConnection.request(port: again, "GET", "/healthz")?.status == 200 })
        let after = try #require(fileFacts(dir.path + "/datadist-9-host-0.pool"))
        #expect(after.inode != before.inode)
        #expect(after.size == 1 << 20)
    }
}
