import Foundation
import Glibc
import Synchronization

/// A network namespace made by `ip netns add` for one test run, and the ways into it: child processes through
/// `ip netns exec`, and the test's own sockets, which are created on a thread that has entered the namespace
/// (a socket keeps the namespace it was created in, whichever thread later uses it).
struct NetworkNamespace: Sendable {
    let name: String

    /// `ip netns add NAME` with its loopback up.
    static func create(_ name: String) throws -> NetworkNamespace {
        try Command.run(["ip", "netns", "add", name])
        let ns = NetworkNamespace(name: name)
        try ns.ip("link", "set", "lo", "up")
        return ns
    }

    /// `ip netns del NAME`; errors are ignored (cleanup runs even after half a setup).
    func destroy() { _ = try? Command.run(["ip", "netns", "del", name]) }

    /// `ip -n NAME ARGS…`.
    @discardableResult
    func ip(_ args: String...) throws -> String { try Command.run(["ip", "-n", name] + args) }

    /// `ip netns exec NAME ARGS…` to completion; the output, or `Command.Failure` on a non-zero exit.
    @discardableResult
    func exec(_ args: [String]) throws -> String { try Command.run(["ip", "netns", "exec", name] + args) }

    /// Runs `body` on a fresh thread that has entered this namespace, and waits for its result. Sockets
    /// `body` creates belong to the namespace.
    func run<T: Sendable>(_ body: @escaping @Sendable () -> T) -> T {
        let result = Mutex<T?>(nil)
        let done = DispatchSemaphore(value: 0)
        let path = "/var/run/netns/\(name)"
        Thread {
            // The thread ends afterwards, so it never has to come back to the test's namespace.
            let fd = open(path, O_RDONLY | O_CLOEXEC)
            let entered = fd >= 0 && Self.setns(fd, Self.cloneNewNet) == 0
            if fd >= 0 { close(fd) }
            precondition(entered, "cannot enter network namespace \(path): errno \(errno)")
            let value = body()
            result.withLock { $0 = value }
            done.signal()
        }.start()
        done.wait()
        return result.withLock { $0! }
    }

    /// `setns(2)`. Glibc declares it only under `_GNU_SOURCE`, which the Swift module does not see, so it is
    /// looked up in the C library at run time.
    private static let setns: @convention(c) (Int32, Int32) -> Int32 = {
        guard let symbol = dlsym(dlopen(nil, RTLD_NOW), "setns") else { fatalError("libc has no setns") }
        return unsafeBitCast(symbol, to: (@convention(c) (Int32, Int32) -> Int32).self)
    }()
    private static let cloneNewNet: Int32 = 0x4000_0000  // CLONE_NEWNET (linux/sched.h)
}

/// A system command run to completion (`ip`, `iptables`).
enum Command {
    struct Failure: Error, CustomStringConvertible {
        var command: [String]
        var status: Int32
        var output: String
        var description: String { "`\(command.joined(separator: " "))` exited \(status): \(output)" }
    }

    /// The executable's path when it is on this machine's PATH (or the sbin directories root has).
    static func which(_ name: String) -> String? {
        let path = (ProcessInfo.processInfo.environment["PATH"] ?? "") + ":/usr/sbin:/sbin:/usr/bin:/bin"
        return path.split(separator: ":").map { "\($0)/\(name)" }.first {
            FileManager.default.isExecutableFile(atPath: $0)
        }
    }

    /// Runs `args` (the first found on PATH) and returns stdout and stderr together; throws on a non-zero exit.
    @discardableResult
    static func run(_ args: [String]) throws -> String {
        guard let exe = which(args[0]) else { throw Failure(command: args, status: 127, output: "not found") }
        let p = Process()
        p.executableURL = URL(fileURLWithPath: exe)
        p.arguments = Array(args.dropFirst())
        let out = Pipe()
        p.standardOutput = out
        p.standardError = out
        p.standardInput = FileHandle.nullDevice
        try p.run()
        let data = out.fileHandleForReading.readDataToEndOfFile()
        p.waitUntilExit()
        let text = String(decoding: data, as: UTF8.self)
        guard p.terminationStatus == 0 else { throw Failure(command: args, status: p.terminationStatus, output: text) }
        return text
    }
}
