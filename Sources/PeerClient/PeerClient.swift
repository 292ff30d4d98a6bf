/// HTTP/1.1 client for node-to-node traffic, over pooled libcurl easy handles (keep-alive per peer).
///
/// Every `perform` blocks the calling thread until the exchange ends (bounded by the request's total
/// timeout). Call it from worker threads only — never from an HTTP event loop.
/// Safe to use from many threads at once; each request uses its own handle.
public final class PeerClient: Sendable {
    /// Client-wide limits.
    public struct Configuration: Sendable {
        /// Idle kept-alive handles (one connection each) kept per peer; more are closed when returned.
        public var maxIdleHandlesPerPeer: Int
        /// Largest body the buffering `perform` accepts; larger answers fail with `.badResponse`.
        public var maxBufferedBodyBytes: Int
        /// Largest part of a non-2xx body kept in `PeerError.body`; the rest is not read.
        public var maxErrorBodyBytes: Int
        /// libcurl receive and upload buffer size (CURLOPT_BUFFERSIZE, capped by libcurl at 512 KiB).
        public var transferBufferBytes: Int
        /// With a value, every request goes over TLS (an `http://` URL is dialled as `https://`).
        public var tls: PeerTLS?

        /// Creates a configuration; the defaults suit both control calls and bulk pulls.
        public init(
            maxIdleHandlesPerPeer: Int = 8,
            maxBufferedBodyBytes: Int = 1 << 20,
            maxErrorBodyBytes: Int = 64 << 10,
            transferBufferBytes: Int = 512 << 10,
            tls: PeerTLS? = nil
        ) {
            self.tls = tls
            self.maxIdleHandlesPerPeer = maxIdleHandlesPerPeer
            self.maxBufferedBodyBytes = maxBufferedBodyBytes
            self.maxErrorBodyBytes = maxErrorBodyBytes
            self.transferBufferBytes = transferBufferBytes
        }
    }

    /// The limits this client runs with.
    public let configuration: Configuration
    private let pool: PeerHandlePool

    /// Creates a client with its own connection pool.
    public init(configuration: Configuration = Configuration()) {
        self.configuration = configuration
        pool = PeerHandlePool(maxIdlePerPeer: configuration.maxIdleHandlesPerPeer)
    }

    /// Sends `request` and returns the whole 2xx answer. Blocking: never call on an event loop.
    /// Throws `.httpStatus` (with the peer's body) for any other status, `.badResponse` for a body over
    /// `maxBufferedBodyBytes` or not matching its Content-Length.
    public func perform(_ request: PeerRequest) throws(PeerError) -> PeerResponse {
        let state = TransferState(
            destination: .buffer(limit: configuration.maxBufferedBodyBytes),
            expectedLength: nil,
            expectsBody: request.method.uppercased() != "HEAD",
            errorBodyLimit: configuration.maxErrorBodyBytes
        )
        let status = try run(request, state: state)
        return PeerResponse(status: status, headers: state.framing.headers, body: state.body)
    }

    /// Sends `request` and hands each received body chunk of a 2xx answer straight to `sink`, from libcurl's
    /// receive buffer, without buffering. Blocking: never call on an event loop.
    ///
    /// With `expectedLength`, the body must be exactly that long (a different Content-Length is refused
    /// before any byte reaches the sink, and the sink never gets more than `expectedLength` bytes in total);
    /// a chunked or close-delimited body of another length fails with `.badResponse`. `sink` returning false
    /// stops the transfer with `.aborted`. Bytes already given to the sink stay there on failure.
    ///
    /// `onHead` sees a 2xx answer's announced Content-Length (nil when none) before any body byte: returning false
    /// refuses the answer (`.aborted`), e.g. when the length cannot carry what the caller expects.
    public func perform(
        _ request: PeerRequest,
        expectedLength: Int?,
        onHead: (_ contentLength: Int?) -> Bool = { _ in true },
        sink: (UnsafeRawBufferPointer) -> Bool
    ) throws(PeerError) -> (status: Int, headers: [PeerHeader]) {
        let outcome = withoutActuallyEscaping(onHead) { onHead in
            withoutActuallyEscaping(sink) { sink -> Result<(Int, [PeerHeader]), PeerError> in
                let state = TransferState(
                    destination: .sink(sink),
                    expectedLength: expectedLength,
                    expectsBody: request.method.uppercased() != "HEAD",
                    errorBodyLimit: configuration.maxErrorBodyBytes,
                    onHead: onHead
                )
                do throws(PeerError) {
                    let status = try run(request, state: state)
                    return .success((status, state.framing.headers))
                } catch {
                    return .failure(error)
                }
            }
        }
        let (status, headers) = try outcome.get()
        return (status: status, headers: headers)
    }

    /// Closes the kept-alive connections to `peer` (`host:port`), e.g. on unlink. Handles in use at this
    /// moment finish their request and are closed afterwards.
    public func closeAll(peer: String) {
        pool.closeAll(PeerKey(peer: peer))
    }

    /// Closes every kept-alive connection of this client.
    public func closeAll() {
        pool.closeAll()
    }

    /// Number of idle kept-alive handles for `peer` (`host:port`), for tests and metrics.
    public func idleConnectionCount(peer: String) -> Int {
        pool.idleCount(PeerKey(peer: peer))
    }

    /// One exchange on a pooled handle; returns the 2xx status or throws.
    private func run(_ request: PeerRequest, state: TransferState) throws(PeerError) -> Int {
        guard let peer = PeerKey(url: request.url) else {
            throw PeerError(kind: .other, message: "not an http(s)://host:port/path URL: \(request.url)")
        }
        if configuration.tls == nil, request.url.lowercased().hasPrefix("https://") {
            throw PeerError(kind: .other, message: "https needs a CA to verify the peer (--tls-ca)")
        }
        guard let handle = pool.checkOut(peer) else {
            throw PeerError(kind: .other, message: "libcurl could not create a handle")
        }
        do {
            let status = try handle.transfer(
                request,
                state: state,
                transferBufferBytes: configuration.transferBufferBytes,
                tls: configuration.tls
            )
            pool.checkIn(handle)
            return status
        } catch {
            // A failed exchange (stopped by the receiver, cut short, timed out…) may leave unread bytes on the
            // connection; reusing it would read them as the next answer ("Received HTTP/0.9"). Close it.
            pool.discard(handle)
            throw error
        }
    }

    /// Closes the kept-alive connection a request used, after the caller found its answer unusable although
    /// libcurl completed it (e.g. the payload failed verification): the peer may still be writing.
    public func discardConnections(peer: String) {
        pool.closeAll(PeerKey(peer: peer))
    }
}
