import CLinux
import Glibc
import TLSTransport

/// Bytes waiting to be written to one connection: whole arrays (response heads and bodies, never copied) and
/// producer streams (written from the producer's memory), sent with one gathering write per call. Over TLS the
/// same spans go through `SSL_write` one after another, still from their own memory: the payload is encrypted
/// into OpenSSL's record buffer, never copied into a staging buffer first.
struct OutputQueue {
    /// Most iovecs gathered into one sendmsg (producer regions may be small).
    static let maxIOVecs = 64

    private enum Item {
        case bytes([UInt8])
        case stream(BodyStream)
    }

    /// What one `write` achieved.
    enum WriteResult {
        /// `count` bytes went out; `complete` = every byte offered was accepted (false: socket buffer full).
        case wrote(count: Int, complete: Bool)
        case wouldBlock
        /// TLS: nothing moved until the socket is readable (the session must read a handshake message first).
        case waitsForReadable
        case failed(Int32)
        /// TLS: the session failed (the reason is OpenSSL's).
        case tlsFailed(String)
        /// A producer handed out fewer or more bytes than it announced: the connection must close.
        case producerBroke
    }

    private var items: [Item] = []
    /// Index of the first item not fully sent.
    private var first = 0
    /// Bytes of `items[first]` already sent, when it is an array.
    private var offset = 0

    var isEmpty: Bool { first == items.count }

    /// Only an open-ended stream waiting for its producer remains: nothing to write until it wakes the loop.
    var awaitsProducer: Bool {
        guard first < items.count, offset == 0, case .stream(let stream) = items[first] else { return false }
        return stream.awaitsProducer
    }

    /// The open-ended stream queued, if any (for a graceful stop, which ends it).
    var hasOpenEndedStream: Bool {
        items[first...].contains { if case .stream(let s) = $0 { s.isOpenEnded } else { false } }
    }

    mutating func append(_ bytes: [UInt8]) {
        if !bytes.isEmpty { items.append(.bytes(bytes)) }
    }

    mutating func append(_ stream: BodyStream) {
        items.append(.stream(stream))
    }

    /// Drops everything not yet sent; every stream not yet finished is finished as incomplete.
    mutating func removeAll() {
        for case .stream(let stream) in items[first...] {
            stream.finish(completed: false)
        }
        items.removeAll()
        first = 0
        offset = 0
    }

    /// Writes as much as the socket takes in one call, gathering arrays up to and including the first stream.
    /// With `tls`, the gathered spans go through the session instead of `sendmsg`.
    mutating func write(to fd: Int32, tls: TLSSession? = nil, iovecs: UnsafeMutablePointer<iovec>) -> WriteResult {
        settle()
        guard !isEmpty else { return .wrote(count: 0, complete: true) }
        let end = min(items.count, first + Self.maxIOVecs)
        for case .stream(let stream) in items[first..<end] {
            guard stream.pull() else { return .producerBroke }
            break
        }
        settle()  // an open-ended stream may have just ended
        if isEmpty { return .wrote(count: 0, complete: true) }
        if awaitsProducer { return .wouldBlock }
        let result = Self.gathering(items[first..<end], offset: offset, iovecs, 0, 0) { count, attempted in
            guard attempted > 0 else { return WriteResult.producerBroke }
            if let tls { return Self.write(tls, iovecs, count: count, attempted: attempted) }
            switch Syscall.io({ clinux_sendv(fd, iovecs, Int32(count)) }) {
            case .done(let written): return .wrote(count: written, complete: written == attempted)
            case .wouldBlock: return .wouldBlock
            case .failed(let code): return .failed(code)
            }
        }
        if case .wrote(let written, _) = result { consume(written) }
        return result
    }

    /// Sends the gathered spans through `tls`, each straight from its memory. After a WANT_WRITE the next call
    /// starts with the same unsent bytes (the queue only moves past what was written), as OpenSSL requires.
    private static func write(
        _ tls: TLSSession,
        _ iovecs: UnsafeMutablePointer<iovec>,
        count: Int,
        attempted: Int
    ) -> WriteResult {
        let spans = (0..<count).lazy.map {
            UnsafeRawBufferPointer(start: iovecs[$0].iov_base, count: iovecs[$0].iov_len)
        }
        switch tls.write(spans: spans) {
        case .bytes(let written):
            return .wrote(count: written, complete: written == attempted && !tls.hasPendingOutput)
        case .wantWrite: return .wouldBlock
        case .wantRead: return .waitsForReadable
        case .closed: return .tlsFailed("peer closed the TLS stream")
        case .failed(_, let reason): return .tlsFailed(reason)
        }
    }

    private mutating func consume(_ written: Int) {
        var left = written
        while left > 0 {
            switch items[first] {
            case .bytes(let bytes):
                let available = bytes.count - offset
                if left < available {
                    offset += left
                    return
                }
                left -= available
                first += 1
                offset = 0
            case .stream(let stream):
                left -= stream.advance(left)
                guard stream.isComplete else { return }
            }
            settle()
        }
        settle()
    }

    /// Moves past finished streams (telling their producers) and frees the array once everything is sent.
    private mutating func settle() {
        while first < items.count, case .stream(let stream) = items[first], stream.isComplete {
            stream.finish(completed: true)
            first += 1
        }
        if first == items.count && first > 0 {
            items.removeAll(keepingCapacity: true)
            first = 0
            offset = 0
        }
    }

    /// Fills `iovecs` from `slice` (pinning each array with nested `withUnsafeBytes`) up to and including the
    /// first stream, then calls `body` with the iovec count and their byte total.
    private static func gathering<R>(
        _ slice: ArraySlice<Item>,
        offset: Int,
        _ iovecs: UnsafeMutablePointer<iovec>,
        _ count: Int,
        _ bytes: Int,
        _ body: (Int, Int) -> R
    ) -> R {
        guard count < maxIOVecs, let item = slice.first else { return body(count, bytes) }
        switch item {
        case .bytes(let array):
            return array.withUnsafeBytes { raw in
                let skip = count == 0 ? offset : 0
                iovecs[count] = iovec(
                    iov_base: UnsafeMutableRawPointer(mutating: raw.baseAddress! + skip),
                    iov_len: raw.count - skip
                )
                return gathering(slice.dropFirst(), offset: offset, iovecs, count + 1, bytes + raw.count - skip, body)
            }
        case .stream(let stream):
            let (added, streamBytes) = stream.gather(into: iovecs + count, capacity: maxIOVecs - count)
            return body(count + added, bytes + streamBytes)
        }
    }
}
