import DataDistModel
import Dispatch
import Foundation
import Testing

/// The operator commands of the `datadist` executable (CONTRACT §14), run as child processes against live nodes.
/// Serialized: a few children at a time on a loaded machine.
@Suite(.serialized) struct OperatorCLILiveTests {
    struct Run {
        var status: Int32
        var out: String
        var err: String
        var json: JSONValue? { try? JSONValue.parse(out) }
    }

    /// Runs `datadist ARGS` to completion (bounded by 30 s) with `DATADIST_*` taken from `env` only, on a
    /// Dispatch thread: waiting for a child must not hold one of the test runner's few threads.
    static func cli(_ args: [String], env: [String: String] = [:]) async throws -> Run {
        try await withCheckedThrowingContinuation { continuation in
            DispatchQueue.global().async {
                continuation.resume(with: Result { try blockingCLI(args, env: env) })
            }
        }
    }

    private static func blockingCLI(_ args: [String], env: [String: String]) throws -> Run {
        let (p, err) = try ProcessTests.launch(args, env: env, captureOutput: true)
        let out = p.standardOutput as? Pipe
        // Read before waiting: a full pipe would block the child.
        let outText = String(decoding: out?.fileHandleForReading.readDataToEndOfFile() ?? Data(), as: UTF8.self)
        let errText = String(decoding: err.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        #expect(ProcessTests.waitExit(p, seconds: 30))
        return Run(status: p.terminationStatus, out: outText, err: errText)
    }

    @Test func roleShowsATableAndJSON() async throws {
        let node = try LiveNode { $0.clusterID = 42 }
        let table = try await Self.cli(["role", "--admin", "127.0.0.1:\(node.port)"])
        #expect(table.status == 0, "\(table.err)")
        #expect(table.out.contains("FIELD"))
        #expect(table.out.contains("DECODER"))
        // DATADIST_ADMIN, a URL, and 0.0.0.0 meaning this machine.
        let json = try await Self.cli(["role", "--json"], env: ["DATADIST_ADMIN": "http://0.0.0.0:\(node.port)"])
        #expect(json.status == 0, "\(json.err)")
        #expect(json.json?["cluster_id"] == .int(42))
        #expect(json.json?["role"] == "DECODER")
        let node2 = try await Self.cli(["node", "--json", "--admin", "127.0.0.1:\(node.port)"])
        #expect(node2.json?["compat"] == "documented")
    }

    @Test func roleSetSwitchesAndAFailurePrintsTheStatusLine() async throws {
        let node = try LiveNode()
        let admin = "127.0.0.1:\(node.port)"
        let port = freePort()
        let set = try await Self.cli(
            [
                "role", "set", "prompt", "--listen", "127.0.0.1:\(port)", "--expected-epoch", "0", "--admin", admin,
                "--json",
            ]
        )
        #expect(set.status == 0, "\(set.err)")
        #expect(set.json?["role"] == "PROMPT")
        #expect(set.json?["listen_ip_info"] == .string("127.0.0.1:\(port)"))
        let same = try await Self.cli(["role", "set", "prompt", "--listen", "127.0.0.1:\(port)", "--admin", admin])
        #expect(same.status != 0)
        #expect(same.err.contains("HTTP 400 LLM_PARAM_INVALID (1343270917)"), "\(same.err)")
        #expect(same.err.split(separator: "\n").count == 1)
        let stale = try await Self.cli(["role", "set", "mix", "--expected-epoch", "0", "--admin", admin])
        #expect(stale.status != 0)
        #expect(stale.err.contains("HTTP 409 EPOCH_MISMATCH (-1)"), "\(stale.err)")
        let unreachable = try await Self.cli(["role", "--admin", "127.0.0.1:\(freePort())"])
        #expect(unreachable.status != 0)
        #expect(unreachable.err.contains("cannot reach the node"), "\(unreachable.err)")
    }

    @Test func tokenFromFlagOrEnvironment() async throws {
        let node = try LiveNode { $0.adminToken = "s3cret" }
        let admin = "127.0.0.1:\(node.port)"
        let refused = try await Self.cli(["node", "--admin", admin])
        #expect(refused.status != 0)
        #expect(refused.err.contains("HTTP 401"), "\(refused.err)")
        #expect(try await Self.cli(["node", "--admin", admin, "--token", "s3cret"]).status == 0)
        #expect(try await Self.cli(["node", "--admin", admin], env: ["DATADIST_ADMIN_TOKEN": "s3cret"]).status == 0)
    }

    @Test func linksCacheAndTransfers() async throws {
        let p = try LiveNode.prompt(0)
        let d = try LiveNode.decoder(1)
        let dAdmin = "127.0.0.1:\(d.port)"
        let link = try await Self.cli(["links", "link", "0", p.peerAddress, "--admin", dAdmin])
        #expect(link.status == 0, "\(link.err)")
        #expect(link.out.contains("LLM_SUCCESS"))
        let again = try await Self.cli(["links", "link", "0", p.peerAddress, "--admin", dAdmin, "--json"])
        #expect(again.status != 0)
        #expect(again.err.contains("HTTP 409 LLM_ALREADY_LINK"), "\(again.err)")
        #expect(again.json?["results"]?.arrayValue?.count == 1)
        let list = try await Self.cli(["links", "--admin", dAdmin])
        #expect(list.out.contains("outbound") && list.out.contains(p.peerAddress), "\(list.out)")
        let check = try await Self.cli(["links", "check", "0", "--admin", dAdmin, "--json"])
        #expect(check.json?["status"] == "LLM_SUCCESS", "\(check.out) \(check.err)")

        let id = try d.allocate(#"{"cache_desc":{"num_tensors":1,"shape":[2,8],"data_type":"DT_UINT8"}}"#)
        let caches = try await Self.cli(["cache", "--admin", dAdmin])
        #expect(caches.out.contains("CACHE_ID") && caches.out.contains("DEVICE"), "\(caches.out)")
        let one = try await Self.cli(["cache", "get", "\(id)", "--admin", dAdmin, "--json"])
        #expect(one.json?["cache_id"] == .int(id))
        #expect(try await Self.cli(["cache", "free", "\(id)", "--admin", dAdmin]).status == 0)
        let gone = try await Self.cli(["cache", "get", "\(id)", "--admin", dAdmin])
        #expect(gone.err.contains("HTTP 404 LLM_KV_CACHE_NOT_EXIST"), "\(gone.err)")
        let transfers = try await Self.cli(["transfers", "--admin", dAdmin, "--json"])
        #expect(transfers.json?["transfers"] == .array([]))

        let unlink = try await Self.cli(["links", "unlink", "0", "--admin", dAdmin])
        #expect(unlink.status == 0, "\(unlink.err)")
        #expect(eventually { p.links.isEmpty })
    }

    @Test func eventsFollowsTheStream() async throws {
        let node = try LiveNode()
        let admin = "127.0.0.1:\(node.port)"
        #expect(node.switchRole(#"{"role":"MIX"}"#)?.status == 200)
        let events = try await Self.cli(["events", "--since", "0", "--count", "1", "--admin", admin, "--json"])
        #expect(events.status == 0, "\(events.err)")
        #expect(events.json?["type"] == "role_changed", "\(events.out)")
        let human = try await Self.cli(["events", "--since", "0", "--count", "1", "--admin", admin])
        #expect(human.out.contains("role_changed") && human.out.contains("role=MIX"), "\(human.out)")
    }
}
