/// Per-request state that libcurl's header and write callbacks update, reached through an `Unmanaged`
/// context pointer (no global state). Lives on the stack of one `perform` call, on the calling thread:
/// `curl_easy_perform` runs the callbacks synchronously on that thread.
final class TransferState {
    /// Where a 2xx body goes.
    enum Destination {
        /// Collected into `body`, up to `limit` bytes.
        case buffer(limit: Int)
        /// Handed chunk by chunk to the caller, straight from libcurl's receive buffer.
        case sink((UnsafeRawBufferPointer) -> Bool)
    }

    private let destination: Destination
    /// Exact body length the caller requires (streaming path); also a hard cap on what reaches the sink.
    private let expectedLength: Int?
    /// False for HEAD, whose response announces a length it does not send.
    let expectsBody: Bool
    private let errorBodyLimit: Int

    private(set) var framing = ResponseFraming()
    private(set) var body: [UInt8] = []
    /// The body of a non-2xx answer, up to `errorBodyLimit` bytes.
    private(set) var errorBody: [UInt8] = []
    /// True when the error body was cut at `errorBodyLimit` (the transfer was stopped there on purpose).
    private(set) var errorBodyTruncated = false
    /// Bytes of the 2xx body received so far.
    private(set) var received = 0
    /// A failure detected by this client's own checks; it explains a CURLE_WRITE_ERROR.
    private(set) var failure: PeerError?

    /// Sees a 2xx answer's announced length before its body; false refuses it.
    private let onHead: ((Int?) -> Bool)?

    init(
        destination: Destination,
        expectedLength: Int?,
        expectsBody: Bool,
        errorBodyLimit: Int,
        onHead: ((Int?) -> Bool)? = nil
    ) {
        self.onHead = onHead
        self.destination = destination
        self.expectedLength = expectedLength
        self.expectsBody = expectsBody
        self.errorBodyLimit = errorBodyLimit
    }

    /// Handles one header line from libcurl (CRLF included); false stops the transfer.
    func receiveHeaderLine(_ line: UnsafeRawBufferPointer) -> Bool {
        guard failure == nil else { return false }
        switch framing.consume(line: line) {
        case .more:
            return true
        case .invalid(let reason):
            return fail(.badResponse, reason)
        case .complete:
            return checkAnnouncedLength()
        }
    }

    /// Handles one chunk of body from libcurl; false stops the transfer.
    func receiveBody(_ chunk: UnsafeRawBufferPointer) -> Bool {
        guard failure == nil else { return false }
        guard framing.isComplete else { return fail(.badResponse, "body bytes before the end of the header") }
        guard framing.isSuccess else { return keepErrorBody(chunk) }
        switch destination {
        case .buffer(let limit):
            guard received + chunk.count <= limit else {
                return fail(.badResponse, "response body exceeds the \(limit)-byte buffer limit")
            }
            body.append(contentsOf: chunk)
        case .sink(let sink):
            // The sink typically writes into fixed-size destination memory: never hand it a byte too many.
            if let expected = expectedLength, received + chunk.count > expected {
                return fail(.badResponse, "response body longer than the expected \(expected) bytes")
            }
            guard sink(chunk) else { return fail(.aborted, "the receiver stopped the transfer") }
        }
        received += chunk.count
        return true
    }

    /// Checks the finished transfer: the body must have exactly the announced and the expected length.
    func checkCompleteBody() throws(PeerError) {
        guard expectsBody else { return }
        if let announced = framing.contentLength, received != announced {
            throw PeerError(
                kind: .badResponse,
                message: "received \(received) body bytes, Content-Length announced \(announced)"
            )
        }
        if let expected = expectedLength, received != expected {
            throw PeerError(kind: .badResponse, message: "received \(received) body bytes, expected \(expected)")
        }
    }

    /// Rejects, as soon as the header is complete, a 2xx answer whose announced length cannot be right.
    private func checkAnnouncedLength() -> Bool {
        guard framing.isSuccess, expectsBody else { return true }
        if let onHead, !onHead(framing.contentLength) {
            return fail(.aborted, "the receiver refused the answer's announced length")
        }
        guard let announced = framing.contentLength else { return true }
        if let expected = expectedLength, announced != expected {
            return fail(.badResponse, "Content-Length \(announced) differs from the expected \(expected) bytes")
        }
        if case .buffer(let limit) = destination, announced > limit {
            return fail(.badResponse, "Content-Length \(announced) exceeds the \(limit)-byte buffer limit")
        }
        return true
    }

    private func keepErrorBody(_ chunk: UnsafeRawBufferPointer) -> Bool {
        let room = errorBodyLimit - errorBody.count
        guard chunk.count <= room else {
            errorBody.append(contentsOf: chunk.prefix(room))
            errorBodyTruncated = true
            return false
        }
        errorBody.append(contentsOf: chunk)
        return true
    }

    private func fail(_ kind: PeerError.Kind, _ message: String) -> Bool {
        failure = PeerError(kind: kind, message: message)
        return false
    }
}
