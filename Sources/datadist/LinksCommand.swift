import ArgumentParser
import DataDistModel

/// `datadist links [list|link|unlink|check]` (CONTRACT §5).
struct LinksCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "links",
        abstract: "List, make, remove or probe links.",
        subcommands: [LinksList.self, LinksLink.self, LinksUnlink.self, LinksCheck.self],
        defaultSubcommand: LinksList.self
    )

    static let columns = [
        "remote_cluster_id", "direction", "remote_ip_info", "linked_at", "bytes_pulled", "bytes_pushed",
    ]

    /// A batch answer: each cluster's result.
    static func results(_ answer: JSONValue) -> String {
        "\(TextTable.cell(answer["status"]))\n"
            + TextTable.list(
                answer["results"]?.arrayValue,
                columns: ["remote_cluster_id", "status", "code", "message"]
            )
    }
}

struct LinksList: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "list", abstract: "GET /v1/links.")
    @OptionGroup var options: AdminOptions

    func run() throws {
        try options.run("GET", "/v1/links") {
            TextTable.list($0["links"]?.arrayValue, columns: LinksCommand.columns)
        }
    }
}

struct LinksLink: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "link", abstract: "POST /v1/links (one cluster).")
    @Argument(help: "The remote cluster id.") var remoteClusterId: UInt64
    @Argument(help: "Its peer listener IP:PORT.") var remoteIpInfo: String
    @Option(help: "Local IP to link from.") var localIp: String?
    @Option(name: .customLong("link-timeout-ms"), help: "timeout_ms of the call. [default: 3000]") var linkTimeoutMs:
        Int?
    @OptionGroup var options: AdminOptions

    func run() throws {
        var cluster: JSONObject = [
            "remote_cluster_id": .uint(remoteClusterId), "remote_ip_info": .string(remoteIpInfo),
        ]
        if let localIp { cluster["local_ip_info"] = .string(localIp) }
        var body: JSONObject = ["clusters": .array([.object(cluster)])]
        if let linkTimeoutMs { body["timeout_ms"] = .int(Int64(linkTimeoutMs)) }
        let request = JSONValue.object(body)
        try options.run("POST", "/v1/links", body: request) {
            LinksCommand.results($0)
        }
    }
}

struct LinksUnlink: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "unlink",
        abstract: "DELETE /v1/links/{id}, or every link with --all."
    )
    @Argument(help: "The remote cluster id.") var remoteClusterId: UInt64?
    @Flag(help: "Unlink every link.") var all = false
    @Flag(help: "Drop the local link only, without telling the peer.") var force = false
    @Option(name: .customLong("link-timeout-ms"), help: "timeout_ms of the call. [default: 3000]") var linkTimeoutMs:
        Int?
    @OptionGroup var options: AdminOptions

    func validate() throws {
        if all == (remoteClusterId != nil) { throw ValidationError("give a remote cluster id or --all") }
    }

    func run() throws {
        var path = all ? "/v1/links" : "/v1/links/\(remoteClusterId ?? 0)"
        path += "?force=\(force)" + (linkTimeoutMs.map { "&timeout_ms=\($0)" } ?? "")
        try options.run("DELETE", path) {
            LinksCommand.results($0)
        }
    }
}

struct LinksCheck: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "check", abstract: "GET /v1/links/{id}.")
    @Argument(help: "The remote cluster id.") var remoteClusterId: UInt64
    @OptionGroup var options: AdminOptions

    func run() throws {
        let path = "/v1/links/\(remoteClusterId)"
        try options.run("GET", path) {
            TextTable.fields($0)
        }
    }
}
