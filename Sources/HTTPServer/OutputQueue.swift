import CLinux
import Glibc

/// Bytes waiting to be written to one connection: whole arrays (response heads and bodies, never copied),
/// sent with one gathering write per call.
struct OutputQueue {
    /// Most arrays gathered into one sendmsg.
    static let maxIOVecs = 16

    private var chunks: [[UInt8]] = []
    /// Index of the first chunk not fully sent.
    private var first = 0
    /// Bytes of `chunks[first]` already sent.
    private var offset = 0

    var isEmpty: Bool { first == chunks.count }

    mutating func append(_ bytes: [UInt8]) {
        if !bytes.isEmpty { chunks.append(bytes) }
    }

    /// Drops everything not yet sent.
    mutating func removeAll() {
        chunks.removeAll()
        first = 0
        offset = 0
    }

    /// Writes as much as the socket takes in one call. Returns the outcome and whether every queued byte in
    /// this call was accepted (false means the socket buffer is full: wait for EPOLLOUT).
    mutating func write(to fd: Int32, iovecs: UnsafeMutablePointer<iovec>) -> (Syscall.IO, complete: Bool) {
        let end = min(chunks.count, first + Self.maxIOVecs)
        var attempted = 0
        let result = Self.withIOVecs(chunks[first..<end], offset: offset, iovecs, 0) { count in
            for i in 0..<count { attempted += iovecs[i].iov_len }
            return Syscall.io { clinux_sendv(fd, iovecs, Int32(count)) }
        }
        if case .done(let written) = result {
            consume(written)
            return (result, written == attempted)
        }
        return (result, false)
    }

    private mutating func consume(_ written: Int) {
        var left = written
        while left > 0 {
            let available = chunks[first].count - offset
            if left < available {
                offset += left
                return
            }
            left -= available
            first += 1
            offset = 0
        }
        if first == chunks.count {
            chunks.removeAll(keepingCapacity: true)
            first = 0
        }
    }

    /// Pins each array of `slice` (nested `withUnsafeBytes`) and fills `iovecs` before calling `body`.
    private static func withIOVecs<R>(
        _ slice: ArraySlice<[UInt8]>,
        offset: Int,
        _ iovecs: UnsafeMutablePointer<iovec>,
        _ index: Int,
        _ body: (Int) -> R
    ) -> R {
        guard let chunk = slice.first else { return body(index) }
        return chunk.withUnsafeBytes { raw in
            let skip = index == 0 ? offset : 0
            iovecs[index] = iovec(
                iov_base: UnsafeMutableRawPointer(mutating: raw.baseAddress! + skip),
                iov_len: raw.count - skip
            )
            return withIOVecs(slice.dropFirst(), offset: offset, iovecs, index + 1, body)
        }
    }
}
