import Glibc

/// A process the bench started (a node, nginx, wrk). Output goes to a file; `stop` ends it by its pid.
final class ChildProcess: Sendable {
    let pid: pid_t
    let outputPath: String
    /// Monotonic time just before the spawn call.
    let startedAt: Double

    /// Starts `path` with `arguments`; stdout and stderr go to `outputPath`.
    init(_ path: String, _ arguments: [String], outputPath: String) throws(BenchError) {
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_addopen(&actions, 1, outputPath, O_WRONLY | O_CREAT | O_TRUNC, 0o644)
        posix_spawn_file_actions_adddup2(&actions, 1, 2)
        let argv: [UnsafeMutablePointer<CChar>?] = ([path] + arguments).map { strdup($0) } + [nil]
        defer { for a in argv { free(a) } }
        var child: pid_t = 0
        startedAt = monotonicSeconds()
        let rc = posix_spawn(&child, path, &actions, nil, argv, environ)
        guard rc == 0 else { throw BenchError("cannot start \(path): \(String(cString: strerror(rc)))") }
        pid = child
        self.outputPath = outputPath
    }

    /// True while the process has not exited (it is reaped here when it has).
    var isRunning: Bool {
        var status: Int32 = 0
        return waitpid(pid, &status, WNOHANG) == 0
    }

    /// Waits for exit; returns the exit status (or 128 + signal).
    @discardableResult
    func wait() -> Int32 {
        var status: Int32 = 0
        while waitpid(pid, &status, 0) < 0 && errno == EINTR {}
        if status & 0x7f == 0 { return (status >> 8) & 0xff }
        return 128 + (status & 0x7f)
    }

    /// SIGTERM, then SIGKILL after `graceSeconds`; reaps the process.
    func stop(graceSeconds: Double = 3) {
        guard kill(pid, SIGTERM) == 0 else { return }
        let deadline = monotonicSeconds() + graceSeconds
        while monotonicSeconds() < deadline {
            if !isRunning { return }
            usleep(2000)
        }
        kill(pid, SIGKILL)
        wait()
    }

    /// The captured output so far.
    var output: String { ProcStats.readText(outputPath) ?? "" }

    /// Runs a command to completion and returns (exit status, output).
    static func run(_ path: String, _ arguments: [String], outputPath: String) throws(BenchError) -> (Int32, String) {
        let p = try ChildProcess(path, arguments, outputPath: outputPath)
        let status = p.wait()
        return (status, p.output)
    }
}

/// An absolute path for `name` from PATH (plus the sbin directories nginx lives in), or nil.
func findExecutable(_ name: String) -> String? {
    let path = (getenv("PATH").map { String(cString: $0) } ?? "") + ":/usr/sbin:/sbin:/usr/local/sbin"
    for dir in path.split(separator: ":") {
        let candidate = "\(dir)/\(name)"
        if access(candidate, X_OK) == 0 { return candidate }
    }
    return nil
}
