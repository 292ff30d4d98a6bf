import ArgumentParser
import DataDistModel

/// `datadist events`: follows `/v1/events` (CONTRACT §12), one line per event.
struct EventsCommand: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "events", abstract: "Follow a node's events.")
    @Option(help: "Replay the events after this sequence number first.") var since: UInt64?
    @Option(help: "Stop after N events.") var count: Int?
    @Option(help: "Stop after this many ms. [default: 86400000]") var followMs = 86_400_000
    @OptionGroup var options: AdminOptions

    func run() throws {
        let client = try options.client()
        var parser = EventLines()
        var seen = 0
        let limit = count
        let asJSON = options.json
        let path = "/v1/events" + (since.map { "?since=\($0)" } ?? "")
        do {
            try client.stream(path, timeoutMs: followMs) { chunk in
                for data in parser.feed(chunk) {
                    print(asJSON ? data.serialized : Self.line(data))
                    seen += 1
                    if let limit, seen >= limit { return false }
                }
                return true
            }
        } catch {
            throw AdminOptions.fail(error)
        }
    }

    /// `seq  type  at  key=value …`.
    static func line(_ event: JSONValue) -> String {
        let fixed: Set<String> = ["seq", "type", "at", "boot_id"]
        let rest = (event.objectValue?.members ?? []).filter { !fixed.contains($0.key) }
        let tail = rest.map { "\($0.key)=\(TextTable.cell($0.value))" }.joined(separator: " ")
        return
            "\(TextTable.cell(event["seq"]))  \(TextTable.cell(event["type"]))  \(TextTable.cell(event["at"]))  \(tail)"
    }
}

/// Server-Sent Events framing: bytes in, each event's `data` JSON out.
struct EventLines {
    private var buffer: [UInt8] = []
    private var data: [String] = []

    mutating func feed(_ bytes: [UInt8]) -> [JSONValue] {
        buffer += bytes
        var out: [JSONValue] = []
        while let newline = buffer.firstIndex(of: UInt8(ascii: "\n")) {
            var line = String(decoding: buffer[..<newline], as: UTF8.self)
            buffer.removeSubrange(...newline)
            if line.hasSuffix("\r") { line.removeLast() }
            if line.isEmpty {
                if !data.isEmpty, let value = try? JSONValue.parse(data.joined(separator: "\n")) { out.append(value) }
                data = []
            } else if line.hasPrefix("data:") {
                data.append(String(line.dropFirst(5).drop { $0 == " " }))
            }
        }
        return out
    }
}
