import ArgumentParser

@main
struct DataDistCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "datadist",
        abstract: "KV-cache transfer node for prefill/decode disaggregated LLM inference.",
        subcommands: [
            Serve.self, RoleCommand.self, LinksCommand.self, CacheCommand.self, TransfersCommand.self, NodeCommand.self,
            EventsCommand.self,
        ],
        defaultSubcommand: nil
    )
}
