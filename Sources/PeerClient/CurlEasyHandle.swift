import CCurl

/// One libcurl easy handle and its error buffer. The handle keeps its own connection cache, so reusing it
/// for the same peer reuses the kept-alive TCP connection.
///
/// `@unchecked Sendable` invariant: a handle is used by one thread at a time — it is either parked in
/// `PeerHandlePool`'s free list (under its lock) or checked out by exactly one `perform` call.
final class CurlEasyHandle: @unchecked Sendable {
    let raw: UnsafeMutableRawPointer
    let peer: PeerKey
    /// The pool generation of `peer` when this handle was created; stale handles are not parked again.
    let generation: UInt64
    private let errorBuffer: UnsafeMutablePointer<CChar>
    private let errorBufferSize: Int

    init?(peer: PeerKey, generation: UInt64) {
        guard ensureCurlGlobalInit(), let raw = curl_easy_init() else { return nil }
        self.raw = raw
        self.peer = peer
        self.generation = generation
        errorBufferSize = Int(ccurl_error_size())
        errorBuffer = .allocate(capacity: errorBufferSize)
        errorBuffer.initialize(repeating: 0, count: errorBufferSize)
    }

    deinit {
        curl_easy_cleanup(raw)
        errorBuffer.deallocate()
    }

    /// Clears every option from the previous request (the connection and DNS caches survive) and points
    /// CURLOPT_ERRORBUFFER at a cleared buffer.
    func reset() {
        curl_easy_reset(raw)
        errorBuffer.update(repeating: 0, count: errorBufferSize)
        _ = ccurl_easy_setopt_pointer(raw, CURLOPT_ERRORBUFFER, errorBuffer)
    }

    /// libcurl's detail text for the last failure (empty if none).
    var errorText: String {
        String(cString: errorBuffer)
    }
}
