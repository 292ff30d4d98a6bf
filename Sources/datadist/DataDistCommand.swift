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

    /// `serve` is parsed by `ServeSettings` (flags and `DATADIST_*` by one rule, one-line complaints, exit 2);
    /// help and everything else by ArgumentParser.
    static func main() {
        let arguments = Array(CommandLine.arguments.dropFirst())
        let wantsHelp = arguments.contains { ["-h", "--help", "help", "--version"].contains($0) }
        if arguments.first == "serve", !wantsHelp {
            Serve.serve(Array(arguments.dropFirst()))
        }
        main(arguments)
    }
}
