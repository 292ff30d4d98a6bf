import DataDistModel
import PeerClient

/// A failed operator call: the line printed on stderr (`HTTP 409 LLM_EXIST_LINK (1343270936): …`) and the
/// node's JSON answer when there was one.
struct AdminCallFailure: Error {
    var line: String
    var body: JSONValue?
}

/// The admin API of one node over libcurl (PeerClient), for the operator commands.
struct AdminClient {
    /// `http://host:port`, no trailing slash.
    let base: String
    let token: String?
    let timeoutMs: Int
    private let peers = PeerClient()

    init(base: String, token: String?, timeoutMs: Int) {
        self.base = base
        self.token = token
        self.timeoutMs = timeoutMs
    }

    /// `http://host:port` from a URL or `HOST:PORT`; a `0.0.0.0` (or `::`) host — a node serving every
    /// interface — means this machine.
    static func baseURL(_ text: String) -> Result<String, AdminCallFailure> {
        var rest = Substring(text.trimmingSpaces)
        if rest.hasPrefix("https://") {
            return .failure(AdminCallFailure(line: "--admin: https is not supported by the operator commands"))
        }
        if rest.hasPrefix("http://") { rest = rest.dropFirst(7) }
        if let slash = rest.firstIndex(of: "/") { rest = rest[..<slash] }
        guard !rest.isEmpty else { return .failure(AdminCallFailure(line: "--admin: '\(text)' names no host")) }
        var authority = String(rest)
        if authority.hasPrefix("0.0.0.0") { authority = "127.0.0.1" + authority.dropFirst(7) }
        if authority.hasPrefix("[::]") { authority = "[::1]" + authority.dropFirst(4) }
        let hasPort = authority.hasPrefix("[") ? authority.contains("]:") : authority.contains(":")
        return .success("http://" + authority + (hasPort ? "" : ":80"))
    }

    private func request(_ method: String, _ path: String, _ body: JSONValue?, timeoutMs: Int? = nil) -> PeerRequest {
        var headers = [PeerHeader(name: "Accept", value: "application/json")]
        if let token { headers.append(PeerHeader(name: "Authorization", value: "Bearer \(token)")) }
        var payload = PeerRequestBody.none
        if let body {
            headers.append(PeerHeader(name: "Content-Type", value: "application/json"))
            payload = .bytes(body.serializedBytes)
        }
        return PeerRequest(
            method: method,
            url: base + path,
            headers: headers,
            body: payload,
            totalTimeoutMs: timeoutMs ?? self.timeoutMs
        )
    }

    /// One call; a non-2xx answer or a transport failure is an `AdminCallFailure` naming the status.
    func call(_ method: String, _ path: String, body: JSONValue? = nil) throws(AdminCallFailure) -> JSONValue {
        do {
            let response = try peers.perform(request(method, path, body))
            if response.body.isEmpty { return .object(JSONObject()) }
            return try JSONValue.parse(response.body)
        } catch let error as PeerError {
            throw Self.failure(error)
        } catch {
            throw AdminCallFailure(line: "the node's answer is not JSON: \(error)")
        }
    }

    /// A streamed GET (event streams): each received chunk goes to `sink` until it returns false.
    func stream(_ path: String, timeoutMs: Int, sink: ([UInt8]) -> Bool) throws(AdminCallFailure) {
        var req = request("GET", path, nil, timeoutMs: timeoutMs)
        req.headers[0] = PeerHeader(name: "Accept", value: "text/event-stream")
        do {
            _ = try peers.perform(req, expectedLength: nil) { chunk in sink(Array(chunk)) }
        } catch {
            if case .aborted = error.kind { return }
            throw Self.failure(error)
        }
    }

    private static func failure(_ error: PeerError) -> AdminCallFailure {
        guard case .httpStatus(let status) = error.kind else {
            return AdminCallFailure(line: "cannot reach the node: \(error.message)")
        }
        let json = try? JSONValue.parse(error.body)
        let fields = json?["error"] ?? json
        let name = fields?["status"]?.stringValue ?? "HTTP_ERROR"
        let code = fields?["code"].map { $0.serialized } ?? "-1"
        var message = fields?["message"]?.stringValue ?? String(decoding: error.body, as: UTF8.self)
        if let results = json?["results"]?.arrayValue {
            let failed = results.filter { $0["code"] != .int(0) }.map {
                "cluster \($0["remote_cluster_id"]?.serialized ?? "?"): \($0["status"]?.stringValue ?? "?")"
                    + ($0["message"]?.stringValue.map { " \($0)" } ?? "")
            }
            message = failed.joined(separator: "; ")
        }
        return AdminCallFailure(line: "HTTP \(status) \(name) (\(code)): \(message)", body: json)
    }
}

extension String {
    fileprivate var trimmingSpaces: String {
        var s = Substring(self)
        while s.first == " " { s = s.dropFirst() }
        while s.last == " " { s = s.dropLast() }
        return String(s)
    }
}
