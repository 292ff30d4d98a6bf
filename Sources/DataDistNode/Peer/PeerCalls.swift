import DataDistModel
import PeerClient

/// JSON calls to another node's `/v1/peer/...` routes, with failures turned into API errors.
/// Blocking (libcurl): call from worker threads only.
struct PeerCalls: Sendable {
    let client: PeerClient
    let peerToken: String?

    /// What went wrong talking to a peer; `PeerFailure.apiError(_:remote:)` gives it the operation's status.
    typealias Failure = PeerFailure

    /// The headers every peer call carries: the peer token, and the link it is about when there is one.
    func headers(link: String? = nil) -> [PeerHeader] {
        var headers: [PeerHeader] = []
        if let peerToken { headers.append(PeerHeader(name: "Authorization", value: "Bearer \(peerToken)")) }
        if let link { headers.append(PeerHeader(name: LinkCredential.header, value: link)) }
        return headers
    }

    func post(
        _ address: String,
        _ path: String,
        _ body: JSONValue,
        timeoutMs: Int,
        link: String? = nil
    ) throws(Failure) -> JSONValue {
        let headers = [PeerHeader(name: "Content-Type", value: "application/json")] + self.headers(link: link)
        let request = PeerRequest(
            method: "POST",
            url: "http://\(address)\(path)",
            headers: headers,
            body: .bytes(body.serializedBytes),
            connectTimeoutMs: timeoutMs,
            totalTimeoutMs: timeoutMs
        )
        let response: PeerResponse
        do {
            response = try client.perform(request)
        } catch {
            throw Self.classify(error, address: address, timeoutMs: timeoutMs)
        }
        guard let json = try? JSONValue.parse(response.body) else {
            throw .notDataDist(
                "\(address) is not a datadist peer listener: it answered HTTP \(response.status) with a body that is not JSON"
            )
        }
        return json
    }

    static func classify(_ error: PeerError, address: String, timeoutMs: Int) -> Failure {
        switch error.kind {
        case .connectFailed:
            return .unreachable("cannot connect to \(address): \(error.message)")
        case .timeout:
            return .timeout("no answer from \(address) within \(timeoutMs) ms")
        case .httpStatus(let status):
            if let json = try? JSONValue.parse(error.body), let e = json["error"]?.objectValue,
                let name = e["status"]?.stringValue, let status = APIStatus(rawValue: name)
            {
                return .refused(
                    APIError(status, e["message"]?.stringValue ?? name),
                    httpStatus: error.kind.httpCode ?? 0
                )
            }
            return .notDataDist("\(address) answered HTTP \(status) and is not a datadist peer listener")
        case .badResponse:
            return .notDataDist("\(address) is not a datadist peer listener (\(error.message))")
        case .tls:
            return .unreachable("TLS with \(address) failed: \(error.message)")
        case .aborted, .other:
            return .unreachable("request to \(address) failed: \(error.message)")
        }
    }
}

extension PeerError.Kind {
    fileprivate var httpCode: Int? {
        if case .httpStatus(let s) = self { return s }
        return nil
    }
}
