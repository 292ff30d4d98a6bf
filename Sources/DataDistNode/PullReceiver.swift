import DataDistModel
import KVFraming

/// The puller's side of a pull response: reads the length-prefixed JSON preamble, asks `prepare` for the
/// frame decoder that scatters into the destination (planned from the preamble), then feeds it. Every
/// failure stops the transfer (the sink returns false) and is kept for `finish`.
struct PullReceiver {
    struct Preamble {
        let json: JSONObject
        var transferID: String? { json["transfer_id"]?.stringValue }
    }

    static let maxPreambleBytes = 1 << 20

    private var header: [UInt8] = []
    private var preambleLength: Int?
    private(set) var preamble: Preamble?
    private var decoder: FrameDecoder?
    private(set) var error: APIError?
    private let prepare: (Preamble) -> Result<FrameDecoder, APIError>

    init(prepare: @escaping (Preamble) -> Result<FrameDecoder, APIError>) { self.prepare = prepare }

    mutating func consume(_ chunk: UnsafeRawBufferPointer) -> Bool {
        guard error == nil else { return false }
        var rest = chunk[...]
        if decoder == nil {
            let need = preambleLength.map { 4 + $0 } ?? 4
            let take = min(need - header.count, rest.count)
            header.append(contentsOf: rest.prefix(take))
            rest = rest.dropFirst(take)
            if preambleLength == nil, header.count == 4 {
                let n = Int(
                    UInt32(header[0]) | UInt32(header[1]) << 8 | UInt32(header[2]) << 16 | UInt32(header[3]) << 24
                )
                guard n <= Self.maxPreambleBytes else {
                    return fail(APIError(.LLM_FAILED, "the transfer preamble is \(n) bytes"))
                }
                preambleLength = n
                return rest.isEmpty ? true : consume(UnsafeRawBufferPointer(rebasing: rest))
            }
            guard let n = preambleLength, header.count == 4 + n else { return true }
            guard let json = try? JSONValue.parse(Array(header[4...])), case .object(let o) = json else {
                return fail(APIError(.LLM_FAILED, "the transfer preamble is not a JSON object"))
            }
            let p = Preamble(json: o)
            preamble = p
            switch prepare(p) {
            case .failure(let e): return fail(e)
            case .success(let d): decoder = d
            }
        }
        guard !rest.isEmpty else { return true }
        if decoder!.consume(UnsafeRawBufferPointer(rebasing: rest)) { return true }
        if case .failure(let e) = decoder!.finish() { return fail(APIError(.LLM_FAILED, "transfer rejected: \(e)")) }
        return fail(APIError(.LLM_FAILED, "transfer rejected"))
    }

    private mutating func fail(_ e: APIError) -> Bool {
        error = e
        return false
    }

    /// The verified payload length once the stream ended, or why it cannot be accepted.
    func finish() -> Result<Int, APIError> {
        if let error { return .failure(error) }
        guard let decoder else { return .failure(APIError(.LLM_FAILED, "the transfer ended before its preamble")) }
        switch decoder.finish() {
        case .success(let n): return .success(n)
        case .failure(let e): return .failure(APIError(.LLM_FAILED, "transfer rejected: \(e)"))
        }
    }
}
