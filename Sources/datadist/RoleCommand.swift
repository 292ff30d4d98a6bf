import ArgumentParser
import DataDistModel

/// `datadist role` and `datadist role set ROLE …` (CONTRACT §4, §12, §14).
struct RoleCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "role",
        abstract: "Show or switch a node's role.",
        subcommands: [RoleShow.self, RoleSet.self],
        defaultSubcommand: RoleShow.self
    )
}

struct RoleShow: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "show", abstract: "GET /v1/role.")
    @OptionGroup var options: AdminOptions

    func run() throws {
        try options.run("GET", "/v1/role") {
            TextTable.fields($0)
        }
    }
}

struct RoleSet: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "set", abstract: "PUT /v1/role.")
    @Argument(help: "prompt, decoder or mix.") var role: String
    @Option(help: "Peer listener IP:PORT (switch option llm.listenIpInfo).") var listen: String?
    @Option(help: "Refuse unless the node's role_epoch is N.") var expectedEpoch: UInt64?
    @Option(help: "Links that remain: refuse (default), graceful or force.") var unlink: String?
    @Option(help: "How long in-flight transfers may take to end while draining.") var drainTimeoutMs: Int?
    @OptionGroup var options: AdminOptions

    func run() throws {
        var body: JSONObject = ["role": .string(role)]
        if let listen { body["switch_options"] = ["llm.listenIpInfo": .string(listen)] }
        if let expectedEpoch { body["expected_epoch"] = .uint(expectedEpoch) }
        if let unlink { body["unlink"] = .string(unlink) }
        if let drainTimeoutMs { body["drain_timeout_ms"] = .int(Int64(drainTimeoutMs)) }
        let request = JSONValue.object(body)
        try options.run("PUT", "/v1/role", body: request) {
            TextTable.fields($0)
        }
    }
}

/// `datadist node`: GET /v1/node.
struct NodeCommand: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "node", abstract: "Show a node (GET /v1/node).")
    @OptionGroup var options: AdminOptions

    func run() throws {
        try options.run("GET", "/v1/node") {
            TextTable.fields($0)
        }
    }
}
