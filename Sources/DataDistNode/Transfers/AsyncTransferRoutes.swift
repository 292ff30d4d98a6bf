import DataDistModel
import HTTPCore

/// `/v1/transfers` (CONTRACT §11): submit a pull or push and learn later how it ended.
struct AsyncTransferRoutes: Sendable {
    let core: NodeCore
    let sync: TransferRoutes

    static let maxWaitMs = 60_000

    var routes: [Route] {
        [
            Route("POST", "/v1/transfers", submit),
            Route("GET", "/v1/transfers", list),
            Route("GET", "/v1/transfers/{transfer_id}", deferred: get),
            Route("DELETE", "/v1/transfers/{transfer_id}", deferred: cancel),
        ]
    }

    /// `{"op", "cache_id", …the synchronous route's fields}` → 202 + Location; what the synchronous route
    /// rejects without the network is answered at once with the same status.
    private func submit(_ ctx: RouteContext) throws(APIError) -> HTTPResponse {
        let body = try ctx.request.jsonBody()
        guard case .object(var fields) = body else { throw .typeError("the body must be a JSON object") }
        guard let opValue = fields["op"] else {
            throw .typeError("'op' is required (pull, pull_blocks, push, push_blocks)")
        }
        guard case .string(let opName) = opValue else { throw .typeError("'op' must be a string") }
        guard let cacheValue = fields["cache_id"] else { throw .typeError("'cache_id' is required (an integer)") }
        let cacheID = try JSONInteger.int64(cacheValue, field: "cache_id", in: 1...Int64.max)
        guard let decode = TransferRoutes.operations[opName] else {
            throw .valueError("'op' must be pull, pull_blocks, push or push_blocks, got '\(opName)'")
        }
        fields["op"] = nil
        fields["cache_id"] = nil
        let transfers = core.asyncTransfers
        let (id, control) = transfers.begin(op: opName, cacheID: cacheID)
        let started = ContinuousClock.now
        do {
            try sync.start(cacheID: cacheID, .object(fields), decode, control: control) { result in
                let elapsed = ContinuousClock.now - started
                transfers.end(id, result, control: control, durationMs: (elapsed.seconds * 1e6).rounded() / 1000)
            }
        } catch {
            transfers.abandon(id)
            throw error
        }
        return .json(
            202,
            ["transfer_id": .string(id), "state": "running"],
            headers: ["Location": "/v1/transfers/\(id)"]
        )
    }

    /// `?wait_ms=N`: answers once the transfer is terminal, or after N ms with its state then.
    private func get(_ ctx: RouteContext, _ done: @escaping RouteCompletion) throws(APIError) {
        let id = ctx.param("transfer_id")
        let query = ctx.query
        try Self.onlyQuery(query, ["wait_ms"])
        let waitMs =
            try query["wait_ms"].map { text throws(APIError) in
                try Self.integer(text, "wait_ms", in: 0...Self.maxWaitMs)
            } ?? 0
        let known = core.asyncTransfers.wait(id, waitMs: waitMs) { record in done(.success(.json(200, record.json))) }
        if !known { throw Self.unknown(id) }
    }

    /// `?since=SEQ&state=…&limit=N`: transfers that ended after SEQ, in the order they ended.
    private func list(_ ctx: RouteContext) throws(APIError) -> HTTPResponse {
        let query = ctx.query
        try Self.onlyQuery(query, ["since", "state", "limit"])
        let since =
            try query["since"].map { text throws(APIError) -> UInt64 in
                guard let v = UInt64(text) else {
                    throw .typeError("'since' must be a sequence number, got '\(text)'")
                }
                return v
            } ?? 0
        var state: TransferRecord.State?
        if let text = query["state"] {
            guard let s = TransferRecord.State(rawValue: text.lowercased()), s.isTerminal else {
                throw .valueError("'state' must be done, failed or cancelled, got '\(text)'")
            }
            state = s
        }
        let limit =
            try query["limit"].map { text throws(APIError) in
                try Self.integer(text, "limit", in: 1...10_000)
            } ?? 1000
        return .json(200, core.asyncTransfers.ended(since: since, state: state, limit: limit))
    }

    /// Cancels a running transfer and answers once it has stopped (pins released, connections closed); a
    /// terminal one is answered unchanged.
    private func cancel(_ ctx: RouteContext, _ done: @escaping RouteCompletion) throws(APIError) {
        let id = ctx.param("transfer_id")
        guard core.asyncTransfers.cancel(id) else { throw Self.unknown(id) }
        _ = core.asyncTransfers.wait(id, waitMs: 10_000) { record in done(.success(.json(200, record.json))) }
    }

    private static func unknown(_ id: String) -> APIError {
        APIError(.NOT_FOUND, "no transfer '\(id)' (unknown, or no longer in the history)")
    }

    private static func onlyQuery(_ query: [String: String], _ known: Set<String>) throws(APIError) {
        if let unknown = query.keys.first(where: { !known.contains($0) }) {
            throw .paramInvalid(
                "unknown query parameter '\(unknown)' (known: \(known.sorted().joined(separator: ", ")))"
            )
        }
    }

    private static func integer(_ text: String, _ name: String, in range: ClosedRange<Int>) throws(APIError) -> Int {
        guard let v = Int(text) else { throw .typeError("'\(name)' must be an integer, got '\(text)'") }
        guard range.contains(v) else {
            throw .valueError("'\(name)' must be in \(range.lowerBound)...\(range.upperBound), got \(v)")
        }
        return v
    }
}
