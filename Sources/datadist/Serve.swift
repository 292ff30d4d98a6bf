import ArgumentParser
import DataDistNode
import Dispatch
import HTTPServer
import Logging

#if canImport(Glibc)
import Glibc
#endif

/// `datadist serve`: one node. Every flag may also come from `DATADIST_<NAME>` (flag wins).
struct Serve: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Start one datadist node.",
        discussion: "Every flag can also be set by an environment variable DATADIST_<FLAG> (e.g. DATADIST_CLUSTER_ID)."
    )

    /// The flags, for `--help`; `serve(_:)` parses them itself (see `DataDistCommand.main`).
    @OptionGroup var flags: ServeFlags

    func run() throws {
        Self.serve(Array(CommandLine.arguments.drop { $0 != "serve" }.dropFirst()))
    }

    /// Parses `arguments` (what follows `serve`) and `DATADIST_*`, runs the node until SIGTERM/SIGINT, exits.
    static func serve(_ arguments: [String]) -> Never {
        let (configuration, level) = orFail { () throws(ServeSettings.Invalid) in
            let flags = try ServeSettings.parse(arguments, environment: ServeEnvironment.current)
            return (try flags.configuration(), flags.logLevel)
        }
        let tls = configuration.tls
        let tlsFlags = ServeTLSFlags(certificate: tls.certificate, key: tls.key, ca: tls.ca, clientCA: tls.clientCA)
        if let problem = tlsFlags.problem { fail(problem) }
        LoggingSystem.bootstrap { label in
            var handler = StreamLogHandler.standardError(label: label)
            handler.logLevel = level
            return handler
        }
        HTTPServer.ignoreSIGPIPE()
        let node: DataDistNode
        do throws(NodeStartError) {
            node = try DataDistNode(configuration: configuration, logger: Logger(label: "datadist"))
            try node.start()
        } catch {
            fail(error.message)
        }
        waitForTermination()
        node.stop()
        Glibc.exit(0)
    }

    private static func orFail<T>(_ body: () throws(ServeSettings.Invalid) -> T) -> T {
        do {
            return try body()
        } catch {
            fail(error.message)
        }
    }

    /// Blocks until SIGTERM or SIGINT.
    private static func waitForTermination() {
        signal(SIGTERM, SIG_IGN)
        signal(SIGINT, SIG_IGN)
        let stop = DispatchSemaphore(value: 0)
        let queue = DispatchQueue(label: "datadist.signals")
        let sources = [SIGTERM, SIGINT].map { sig in
            let source = DispatchSource.makeSignalSource(signal: sig, queue: queue)
            source.setEventHandler { stop.signal() }
            source.resume()
            return source
        }
        stop.wait()
        for source in sources { source.cancel() }
    }

    private static func fail(_ message: String) -> Never {
        var line = "datadist: \(message)\n"
        line.withUTF8 { _ = Glibc.write(2, $0.baseAddress, $0.count) }
        Glibc.exit(2)
    }
}

/// `DATADIST_*` environment variables.
enum ServeEnvironment {
    static var current: [String: String] {
        var out: [String: String] = [:]
        var p = environ
        while let entry = p.pointee {
            let text = String(cString: entry)
            if text.hasPrefix("DATADIST_"), let eq = text.firstIndex(of: "=") {
                out[String(text[text.index(text.startIndex, offsetBy: 9)..<eq])] = String(
                    text[text.index(after: eq)...]
                )
            }
            p += 1
        }
        return out
    }
}
