import Glibc
import PeerClient

/// What every scenario shares: binaries, scratch directories, the HTTP client, trial counts.
final class BenchEnvironment: Sendable {
    let datadistPath: String
    /// Logs and configs (removed at the end).
    let workDir: String
    /// Files nginx serves from memory (/dev/shm).
    let shmDir: String
    let client: PeerClient
    let quick: Bool
    let trials: Int

    init(datadistPath: String, quick: Bool, trials: Int) throws(BenchError) {
        guard access(datadistPath, X_OK) == 0 else {
            throw BenchError("no datadist binary at \(datadistPath) (build it: swift build -c release)")
        }
        self.datadistPath = datadistPath
        self.quick = quick
        self.trials = trials
        workDir = try Self.makeDirectory("/tmp/datadist-bench-XXXXXX")
        shmDir = try Self.makeDirectory("/dev/shm/datadist-bench-XXXXXX")
        client = PeerClient(configuration: .init(maxIdleHandlesPerPeer: 16, maxBufferedBodyBytes: 4 << 20))
    }

    private static func makeDirectory(_ template: String) throws(BenchError) -> String {
        var t = Array(template.utf8CString)
        guard let p = t.withUnsafeMutableBufferPointer({ mkdtemp($0.baseAddress!) }) else {
            throw BenchError("cannot create \(template): \(String(cString: strerror(errno)))")
        }
        return String(cString: p)
    }

    /// Removes the scratch directories.
    func cleanUp() {
        for dir in [workDir, shmDir] {
            _ = try? ChildProcess.run("/bin/rm", ["-rf", dir], outputPath: "/dev/null")
        }
    }

    /// The nginx binary, or an error telling how to get it.
    func nginxPath() throws(BenchError) -> String {
        guard let p = findExecutable("nginx") else {
            throw BenchError("nginx not found (make bench installs nginx-light)")
        }
        return p
    }

    func wrkPath() throws(BenchError) -> String {
        guard let p = findExecutable("wrk") else { throw BenchError("wrk not found (make bench installs wrk)") }
        return p
    }
}
