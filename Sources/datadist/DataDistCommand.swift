import ArgumentParser

@main
struct DataDistCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "datadist",
        abstract: "KV-cache transfer node for prefill/decode disaggregated LLM inference.",
        subcommands: [Serve.self],
        defaultSubcommand: nil
    )
}
