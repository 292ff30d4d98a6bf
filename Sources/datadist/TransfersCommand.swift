import ArgumentParser
import DataDistModel

/// `datadist transfers`: the transfers that ended, or one transfer (CONTRACT §11).
struct TransfersCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "transfers",
        abstract: "List ended transfers (GET /v1/transfers), or show one with --id."
    )
    @Option(help: "Only those that ended after this sequence number. [default: 0]") var since: UInt64 = 0
    @Option(help: "done, failed or cancelled.") var state: String?
    @Option(help: "At most N.") var limit: Int?
    @Option(help: "Show this transfer (GET /v1/transfers/{id}).") var id: String?
    @OptionGroup var options: AdminOptions

    static let columns = [
        "transfer_id", "op", "cache_id", "state", "status", "bytes_done", "bytes_total", "duration_ms",
    ]

    func run() throws {
        if let id {
            let path = "/v1/transfers/\(id)"
            try options.run("GET", path) {
                TextTable.fields($0)
            }
            return
        }
        var path = "/v1/transfers?since=\(since)"
        if let state { path += "&state=\(state)" }
        if let limit { path += "&limit=\(limit)" }
        try options.run("GET", path) {
            TextTable.list($0["transfers"]?.arrayValue, columns: Self.columns) + "\nnext: \(TextTable.cell($0["next"]))"
        }
    }
}
