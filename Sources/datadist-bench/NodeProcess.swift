import Glibc
import PeerClient

/// Where a node runs when not on the bench's own 127.0.0.1: inside network namespace `namespace` (started with
/// `ip netns exec`), admin on 0.0.0.0:9200 there, reached by the bench through a forwarder at 127.0.0.1:`adminPort`,
/// a prompt's peer listener on `address`:26000.
struct NodePlacement: Sendable {
    var namespace: String
    var address: String
    var adminPort: Int
}

/// One `datadist serve` process on 127.0.0.1 (or in a network namespace), driven over its admin API.
final class NodeProcess: Sendable {
    let clusterID: UInt64
    let process: ChildProcess
    let admin: AdminClient
    /// The peer listener address (prompt nodes).
    let listen: String?
    /// Seconds from spawn to the first `/healthz` 200.
    let startupSeconds: Double

    /// Starts a node and waits (at most 20 s) for `/healthz` 200.
    init(
        _ env: BenchEnvironment,
        clusterID: UInt64,
        role: String,
        pool: Int,
        switchRole: Bool = false,
        extraArgs: [String] = [],
        adminClient: PeerClient? = nil,
        placement: NodePlacement? = nil
    ) throws(BenchError) {
        var adminPort = placement?.adminPort ?? 0
        if placement == nil { adminPort = try Loopback.freePort() }
        var args = [
            "serve", "--cluster-id", "\(clusterID)", "--role", role, "--admin",
            placement == nil ? "127.0.0.1:\(adminPort)" : "0.0.0.0:9200",
            "--device-pool", "\(pool)", "--host-pool", "\(1 << 20)", "--log-level", "warning",
            "--sync-kv-timeout-ms", "120000",
        ]
        if role == "prompt" {
            var l = placement.map { "\($0.address):26000" } ?? ""
            if placement == nil { l = "127.0.0.1:\(try Loopback.freePort())" }
            args += ["--listen", l]
            listen = l
        } else {
            listen = nil
        }
        if switchRole { args.append("--enable-switch-role") }
        args += extraArgs
        self.clusterID = clusterID
        var path = env.datadistPath
        if let placement {
            guard let ip = NetworkNamespace.ipPath else { throw BenchError("`ip` not found (Debian iproute2)") }
            args = ["netns", "exec", placement.namespace, path] + args
            path = ip
        }
        process = try ChildProcess(
            path,
            args,
            outputPath: "\(env.workDir)/node-\(clusterID)-\(adminPort).log"
        )
        // A TLS node's admin API needs an https client (`adminClient`, with the CA).
        admin = AdminClient(port: adminPort, client: adminClient ?? env.client)
        let deadline = monotonicSeconds() + 20
        while !admin.healthy() {
            guard process.isRunning, monotonicSeconds() < deadline else {
                process.stop()
                throw BenchError("node \(clusterID) did not become healthy: \(process.output)")
            }
            usleep(500)
        }
        startupSeconds = monotonicSeconds() - process.startedAt
    }

    var pid: pid_t { process.pid }
    var cpuSeconds: Double { ProcStats.cpuSeconds(pid) ?? .nan }
    var rssBytes: Int { ProcStats.rssBytes(pid) ?? 0 }

    func stop() { process.stop() }

    /// Links this (decoder) node to `prompt`.
    func link(to prompt: NodeProcess) throws(BenchError) {
        let answer = try admin.call(
            "POST",
            "/v1/links",
            #"{"clusters":[{"remote_cluster_id":\#(prompt.clusterID),"remote_ip_info":"\#(prompt.listen ?? "")"}],"timeout_ms":10000}"#
        )
        guard answer["status"]?.stringValue == "LLM_SUCCESS" else {
            throw BenchError("link \(clusterID) → \(prompt.clusterID) failed: \(answer.serialized)")
        }
    }

    /// Allocates a normal cache of `tensors` × `tensorBytes` (one slot); returns its id.
    func allocate(tensors: Int, tensorBytes: Int, reqID: UInt64? = nil) throws(BenchError) -> Int64 {
        let keys = reqID.map { #","cache_keys":[{"prompt_cluster_id":\#(clusterID),"req_id":\#($0)}]"# } ?? ""
        let answer = try admin.call(
            "POST",
            "/v1/cache",
            #"{"cache_desc":{"num_tensors":\#(tensors),"shape":[1,\#(tensorBytes)],"data_type":"DT_UINT8","placement":"DEVICE"}\#(keys)}"#
        )
        guard let id = answer["cache_id"]?.int64Value else { throw BenchError("allocate: \(answer.serialized)") }
        return id
    }

    /// Allocates a blocks cache of `tensors` × `blocks` × `blockBytes`; with `key`, binds the blocks key.
    func allocateBlocks(tensors: Int, blocks: Int, blockBytes: Int, key: Bool) throws(BenchError) -> Int64 {
        let k = key ? #","blocks_cache_key":{"prompt_cluster_id":\#(clusterID),"model_id":0}"# : ""
        let answer = try admin.call(
            "POST",
            "/v1/cache",
            #"{"cache_desc":{"num_tensors":\#(tensors),"shape":[\#(blocks),\#(blockBytes)],"data_type":"DT_UINT8","placement":"DEVICE"},"blocks":true\#(k)}"#
        )
        guard let id = answer["cache_id"]?.int64Value else { throw BenchError("allocate blocks: \(answer.serialized)") }
        return id
    }

    /// Writes `source` into the cache's tensors in order (tensor t gets bytes [t*size, (t+1)*size)).
    func fill(cache: Int64, tensors: Int, from source: PinnedBuffer, offset: Int = 0) throws(BenchError) {
        let size = (source.count - offset) / tensors
        for t in 0..<tensors {
            try admin.upload(
                "/v1/cache/\(cache)/tensors/\(t)",
                UnsafeRawBufferPointer(start: source.base + offset + t * size, count: size)
            )
        }
    }

    /// `POST /v1/cache/{dst}/pull` by cache id (does not consume keys); wall seconds of the call.
    func pullByID(into dst: Int64, from prompt: NodeProcess, cache src: Int64) throws(BenchError) -> Double {
        let started = monotonicSeconds()
        let answer = try admin.call(
            "POST",
            "/v1/cache/\(dst)/pull",
            #"{"cache_key_by_id":{"cluster_id":\#(prompt.clusterID),"cache_id":\#(src),"batch_index":0},"timeout_ms":120000}"#
        )
        let elapsed = monotonicSeconds() - started
        guard answer["status"]?.stringValue == "LLM_SUCCESS" else { throw BenchError("pull: \(answer.serialized)") }
        return elapsed
    }

    /// Bytes of tensor `t` of `cache` in `[offset, offset+size)`, read back through the admin API.
    func read(cache: Int64, tensor: Int, offset: Int, size: Int) throws(BenchError) -> [UInt8] {
        try admin.download("/v1/cache/\(cache)/tensors/\(tensor)?offset=\(offset)&size=\(size)")
    }
}
