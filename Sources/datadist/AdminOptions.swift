import ArgumentParser
import DataDistModel
import Glibc

/// The options every operator command shares: which node, which token, JSON or tables.
struct AdminOptions: ParsableArguments {
    @Option(help: "Admin API: URL or HOST:PORT; 0.0.0.0 = this machine (env DATADIST_ADMIN). [default: 127.0.0.1:9200]")
    var admin: String?
    @Option(help: "Admin bearer token (env DATADIST_ADMIN_TOKEN).") var token: String?
    @Flag(help: "Print the node's JSON answer instead of a table.") var json = false
    @Option(help: "Bound of each call in ms. [default: 30000]") var timeoutMs = 30_000

    /// The client for the node named by `--admin` or `DATADIST_ADMIN` (the variable `serve` reads).
    func client() throws -> AdminClient {
        let env = ServeEnvironment.current
        let address = admin ?? env["ADMIN"] ?? "127.0.0.1:9200"
        switch AdminClient.baseURL(address) {
        case .success(let base):
            return AdminClient(base: base, token: token ?? env["ADMIN_TOKEN"], timeoutMs: timeoutMs)
        case .failure(let f): throw Self.fail(f)
        }
    }

    /// Runs a call and prints its answer (JSON, or the table `render` makes); a failure prints its status line
    /// on stderr and exits 1.
    func run(_ method: String, _ path: String, body: JSONValue? = nil, render: (JSONValue) -> String) throws {
        let client = try client()
        do {
            let answer = try client.call(method, path, body: body)
            print(json ? answer.serialized : render(answer))
        } catch {
            if json, let body = error.body { print(body.serialized) }
            throw Self.fail(error)
        }
    }

    static func fail(_ failure: AdminCallFailure) -> ExitCode {
        var line = "datadist: \(failure.line)\n"
        line.withUTF8 { _ = Glibc.write(2, $0.baseAddress, $0.count) }
        return ExitCode(1)
    }
}
