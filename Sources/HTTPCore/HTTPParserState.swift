/// Where the request parser stands. Every byte moves it along exactly one path, which is what makes the
/// events independent of how the input is split.
enum HTTPParserState: Sendable, Equatable {
    /// Before a request line; empty lines (CRLF) are skipped here.
    case idle
    /// Saw the CR of an empty line before the request line.
    case leadingLF
    case method
    /// Just after the SP that ends the method.
    case targetStart
    case target
    /// Position inside the fixed shape `HTTP/D.D\r\n`.
    case version(Int)
    /// At the start of a field line, or of the empty line that ends the section.
    case fieldStart
    case fieldName
    /// Optional whitespace after the colon.
    case fieldValueStart
    case fieldValue
    /// Saw the CR that ends a field line.
    case fieldLF
    /// Saw the CR of the empty line that ends the header (or trailer) section.
    case headEndLF
    /// A head with a body was emitted and the caller has not yet said how large a body it accepts
    /// (`acceptBody(limit:)`). Only in a parser made with `waitsForBodyLimit`.
    case awaitingBodyLimit
    /// Inside a Content-Length body.
    case fixedBody
    case chunkSizeStart
    case chunkSize
    /// Whitespace after the chunk size; only `;` (an extension) may follow.
    case chunkSizeWhitespace
    case chunkExtension
    case chunkSizeLF
    case chunkData
    case chunkDataCR
    case chunkDataLF
    /// An error was emitted; nothing more is produced.
    case failed
}

/// Collects the events of one `feed` call. Body pieces are either coalesced into one `.body` event or, when a
/// body receiver is set, handed to it as slices of the input; in that mode a `.head` also pauses the feed.
struct HTTPEventSink {
    var events: [HTTPParserEvent] = []
    private var pendingBody: [UInt8] = []
    /// Receives body slices instead of `.body` events (only for the duration of one feed call).
    private let bodyReceiver: ((UnsafeRawBufferPointer) -> Void)?
    /// A `.head` was emitted while body slices go to a receiver: the feed stops so the caller can route the body.
    private(set) var pausedAfterHead = false
    /// Also stop after `.end` (a parser that waits for body limits: one request per call, so the caller never
    /// receives a head it cannot act on yet).
    var pausesAfterEnd = false

    init(bodyReceiver: ((UnsafeRawBufferPointer) -> Void)? = nil) {
        self.bodyReceiver = bodyReceiver
    }

    mutating func appendBody(_ bytes: UnsafeRawBufferPointer) {
        guard !bytes.isEmpty else { return }
        if let bodyReceiver {
            bodyReceiver(bytes)
        } else {
            pendingBody.append(contentsOf: bytes)
        }
    }

    mutating func emit(_ event: HTTPParserEvent) {
        flushBody()
        events.append(event)
        if bodyReceiver != nil, case .head = event { pausedAfterHead = true }
        if pausesAfterEnd, bodyReceiver != nil, case .end = event { pausedAfterHead = true }
    }

    mutating func flushBody() {
        guard !pendingBody.isEmpty else { return }
        events.append(.body(pendingBody))
        pendingBody = []
    }
}
