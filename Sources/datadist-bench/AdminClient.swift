import DataDistModel
import PeerClient

/// Blocking JSON calls to a node's admin API (libcurl via PeerClient, keep-alive).
struct AdminClient: Sendable {
    let port: Int
    let client: PeerClient
    /// Bound of every call; pulls of 1 GiB need seconds, not the node's 1 s default.
    var timeoutMs = 120_000

    init(port: Int, client: PeerClient) {
        self.port = port
        self.client = client
    }

    /// `method path` with an optional JSON body; the parsed 2xx answer, or an error naming the call.
    @discardableResult
    func call(_ method: String, _ path: String, _ json: String? = nil) throws(BenchError) -> JSONValue {
        let body: PeerRequestBody = json.map { .bytes(Array($0.utf8)) } ?? .none
        let response = try send(method, path, body: body, json: json != nil)
        guard let value = try? JSONValue.parse(response.body) else {
            throw BenchError("\(method) \(path): answer is not JSON")
        }
        return value
    }

    /// Uploads `bytes` to `path` (a tensor write) without copying.
    func upload(_ path: String, _ bytes: UnsafeRawBufferPointer) throws(BenchError) {
        _ = try send("PUT", path, body: .region(PeerUploadRegion(bytes)), json: false)
    }

    /// Raw GET of `path`; the (bounded) body.
    func download(_ path: String) throws(BenchError) -> [UInt8] {
        try send("GET", path, body: .none, json: false).body
    }

    private func send(
        _ method: String,
        _ path: String,
        body: PeerRequestBody,
        json: Bool
    ) throws(BenchError)
        -> PeerResponse
    {
        var headers: [PeerHeader] = []
        if json { headers.append(PeerHeader(name: "Content-Type", value: "application/json")) }
        let request = PeerRequest(
            method: method,
            url: "http://127.0.0.1:\(port)\(path)",
            headers: headers,
            body: body,
            connectTimeoutMs: 3000,
            totalTimeoutMs: timeoutMs
        )
        do {
            return try client.perform(request)
        } catch {
            let answer = error.body.isEmpty ? "" : ": " + String(decoding: error.body.prefix(512), as: UTF8.self)
            throw BenchError("\(method) 127.0.0.1:\(port)\(path) failed: \(error.message)\(answer)")
        }
    }

    /// True once `GET /healthz` answers 200.
    func healthy() -> Bool {
        let request = PeerRequest(
            url: "http://127.0.0.1:\(port)/healthz",
            connectTimeoutMs: 200,
            totalTimeoutMs: 1000
        )
        return (try? client.perform(request))?.status == 200
    }
}
