import CCurl

/// Per-request state of a streamed upload, reached from libcurl's read and seek callbacks through an
/// `Unmanaged` context pointer. Lives for one `perform` call on its thread (callbacks run synchronously).
final class UploadStreamState {
    private let stream: PeerUploadStream
    /// Bytes handed to libcurl since the (last) start of the stream.
    private(set) var sent = 0
    /// Why the upload was stopped, if this client stopped it.
    private(set) var failure: PeerError?

    init(_ stream: PeerUploadStream) {
        self.stream = stream
    }

    /// Fills libcurl's buffer; returns the byte count, 0 at the end, or CURL_READFUNC_ABORT.
    func fill(_ buffer: UnsafeMutableRawBufferPointer) -> Int {
        guard failure == nil else { return Int(CURL_READFUNC_ABORT) }
        let due = stream.length - sent
        guard due > 0, buffer.count > 0 else { return 0 }
        // Never offer more room than is due, so the body cannot outgrow its Content-Length.
        let room = UnsafeMutableRawBufferPointer(rebasing: buffer[..<min(buffer.count, due)])
        let count = stream.read(room)
        guard count > 0, count <= room.count else {
            failure = PeerError(
                kind: .aborted,
                message: "upload stream gave \(count) bytes after \(sent) of \(stream.length) (room \(room.count))"
            )
            return Int(CURL_READFUNC_ABORT)
        }
        sent += count
        return count
    }

    /// Rewinds to the start when libcurl must resend the body; any other seek is refused.
    func seek(offset: Int, origin: Int32) -> Int32 {
        guard offset == 0, origin == SEEK_SET else { return CURL_SEEKFUNC_CANTSEEK }
        if sent == 0 { return CURL_SEEKFUNC_OK }
        guard let rewind = stream.rewind, rewind() else { return CURL_SEEKFUNC_CANTSEEK }
        sent = 0
        return CURL_SEEKFUNC_OK
    }
}
