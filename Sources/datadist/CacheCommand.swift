import ArgumentParser
import DataDistModel

/// `datadist cache [list|get|free]` (CONTRACT §6).
struct CacheCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "cache",
        abstract: "List, show or free caches.",
        subcommands: [CacheList.self, CacheGet.self, CacheFree.self],
        defaultSubcommand: CacheList.self
    )
}

struct CacheList: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "list", abstract: "GET /v1/cache.")
    @OptionGroup var options: AdminOptions

    func run() throws {
        try options.run("GET", "/v1/cache") { answer in
            let caches = TextTable.list(
                answer["caches"]?.arrayValue,
                columns: ["cache_id", "kind", "tensor_size", "stride", "released"]
            )
            let pools = TextTable.list(
                answer["pools"]?.arrayValue,
                columns: ["placement", "device_id", "capacity", "used", "free"]
            )
            return caches + "\n\n" + pools
        }
    }
}

struct CacheGet: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "get", abstract: "GET /v1/cache/{id}.")
    @Argument(help: "The cache id.") var cacheId: Int64
    @OptionGroup var options: AdminOptions

    func run() throws {
        let path = "/v1/cache/\(cacheId)"
        try options.run("GET", path) {
            TextTable.fields($0)
        }
    }
}

struct CacheFree: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "free", abstract: "DELETE /v1/cache/{id}.")
    @Argument(help: "The cache id.") var cacheId: Int64
    @OptionGroup var options: AdminOptions

    func run() throws {
        let path = "/v1/cache/\(cacheId)"
        try options.run("DELETE", path) {
            TextTable.fields($0)
        }
    }
}
