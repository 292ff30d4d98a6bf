import Foundation
import Glibc

/// `tcpdump` capturing whole packets on one interface of a test namespace into a pcap file, for a test that
/// searches the wire for bytes that must (or must not) be there.
final class PacketCapture: Sendable {
    private let process: Process
    private let path: String
    private let logPath: String

    struct Failure: Error, CustomStringConvertible {
        var description: String
    }

    /// Why captures cannot run here; nil when they can.
    static var unavailableReason: String? {
        Command.which("tcpdump") == nil
            ? "the capture test needs tcpdump (Debian tcpdump; `make test` installs it)" : nil
    }

    /// Starts capturing TCP on `interface` in `namespace`; returns once tcpdump says it is listening.
    init(namespace: NetworkNamespace, interface: String, directory: String) throws {
        path = directory + "/capture-\(interface).pcap"
        logPath = directory + "/capture-\(interface).log"
        guard let tcpdump = Command.which("tcpdump") else { throw Failure(description: Self.unavailableReason!) }
        let p = Process()
        p.executableURL = URL(fileURLWithPath: Command.which("ip") ?? "/usr/sbin/ip")
        // -Z root: Debian's tcpdump would otherwise drop to its own user before opening the file; -U: each
        // packet is written as it comes, so stopping loses nothing.
        p.arguments = [
            "netns", "exec", namespace.name, tcpdump, "-i", interface, "-n", "-s", "0", "-U", "-Z", "root", "-w", path,
            "tcp",
        ]
        _ = FileManager.default.createFile(atPath: logPath, contents: nil)
        let log = try FileHandle(forWritingTo: URL(fileURLWithPath: logPath))
        p.standardOutput = log
        p.standardError = log
        p.standardInput = FileHandle.nullDevice
        try p.run()
        process = p
        let deadline = ContinuousClock.now + .seconds(10)
        while ContinuousClock.now < deadline {
            if (try? String(contentsOfFile: logPath, encoding: .utf8))?.contains("listening on") == true { return }
            guard p.isRunning else { break }
            usleep(20_000)
        }
        if p.isRunning { kill(p.processIdentifier, SIGKILL) }
        throw Failure(
            description: "tcpdump did not start: \((try? String(contentsOfFile: logPath, encoding: .utf8)) ?? "")"
        )
    }

    /// Stops the capture and returns the pcap file's bytes (headers and packets). SIGKILL: tcpdump inherits the
    /// test thread's blocked signal mask, so SIGINT would never reach it; with -U every packet is already written.
    func stop() throws -> [UInt8] {
        // tcpdump writes what the kernel handed it a little after the packets crossed: wait until the file has
        // stopped growing (bounded) so the capture holds the whole exchange.
        var last = -1
        let deadline = ContinuousClock.now + .seconds(3)
        while ContinuousClock.now < deadline {
            let size = (try? FileManager.default.attributesOfItem(atPath: path)[.size] as? Int) ?? 0
            if size == last { break }
            last = size
            usleep(200_000)
        }
        if process.isRunning { kill(process.processIdentifier, SIGKILL) }
        process.waitUntilExit()
        return Array(try Data(contentsOf: URL(fileURLWithPath: path)))
    }
}

extension Array where Element == UInt8 {
    /// Whether `pattern` occurs in these bytes (memchr to each candidate first byte, memcmp there: fast in a
    /// debug build over megabytes).
    func containsBytes(_ pattern: [UInt8]) -> Bool {
        guard let first = pattern.first, pattern.count <= count else { return false }
        return withUnsafeBytes { hay in
            pattern.withUnsafeBytes { needle in
                let base = hay.baseAddress!
                var offset = 0
                while offset + needle.count <= hay.count {
                    guard let hit = memchr(base + offset, Int32(first), hay.count - offset - needle.count + 1) else {
                        return false
                    }
                    let at = base.distance(to: UnsafeRawPointer(hit))
                    if memcmp(base + at, needle.baseAddress!, needle.count) == 0 { return true }
                    offset = at + 1
                }
                return false
            }
        }
    }
}
