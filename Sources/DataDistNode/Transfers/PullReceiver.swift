import DataDistModel
import KVFraming

/// The puller's side of a pull response: reads the length-prefixed JSON preamble, asks `prepare` for the
/// frame decoder that scatters into the destination (planned from the preamble), then feeds it. Every
/// failure stops the transfer (the sink returns false) and is kept for `finish`.
struct PullReceiver {

    static let maxPreambleBytes = 1 << 20

    private var header: [UInt8] = []
    private var preambleLength: Int?
    private(set) var preamble: PullPreamble?
    private var decoder: FrameDecoder?
    private(set) var error: APIError?
    /// The answer's Content-Length: once the preamble is read it must be exactly the prefix and the frames
    /// of the payload (or of stream 0's share) — checked before any frame is consumed.
    private var announcedLength: Int?
    /// The cluster sending the pull (named when its preamble is malformed).
    private let owner: UInt64
    private let prepare: (PullPreamble) throws(APIError) -> FrameDecoder

    init(owner: UInt64, prepare: @escaping (PullPreamble) throws(APIError) -> FrameDecoder) {
        self.owner = owner
        self.prepare = prepare
    }

    /// Keeps the answer's announced length (from its head); always accepts it, the check needs the preamble.
    mutating func announce(contentLength: Int?) -> Bool {
        announcedLength = contentLength
        return true
    }

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
            guard let p = try? PullPreamble.decode(.object(o)) else {
                return fail(APIError(.LLM_FAILED, "cluster \(owner) sent a malformed transfer preamble"))
            }
            preamble = p
            do throws(APIError) {
                decoder = try prepare(p)
            } catch {
                return fail(error)
            }
            if let announced = announcedLength, announced != header.count + decoder!.encodedLength {
                return fail(
                    APIError(
                        .LLM_FAILED,
                        "cluster \(owner) announced a \(announced)-byte body, its preamble needs "
                            + "\(header.count + decoder!.encodedLength)"
                    )
                )
            }
        }
        guard !rest.isEmpty else { return true }
        if decoder!.consume(UnsafeRawBufferPointer(rebasing: rest)) { return true }
        do {
            _ = try decoder!.finish()
        } catch {
            return fail(APIError(.LLM_FAILED, "transfer rejected: \(error)"))
        }
        return fail(APIError(.LLM_FAILED, "transfer rejected"))
    }

    private mutating func fail(_ e: APIError) -> Bool {
        error = e
        return false
    }

    /// The verified payload length once the stream ended, or why it cannot be accepted.
    func finish() throws(APIError) -> Int {
        if let error { throw error }
        guard let decoder else { throw APIError(.LLM_FAILED, "the transfer ended before its preamble") }
        do {
            return try decoder.finish()
        } catch {
            throw APIError(.LLM_FAILED, "transfer rejected: \(error)")
        }
    }
}
