import CLinux
import Glibc
import Logging

/// The one place for syscall conventions: EINTR is retried, -1 becomes errno, errno becomes text.
enum Syscall {
    /// The outcome of a non-blocking read or write.
    enum IO {
        case done(Int)
        case wouldBlock
        case failed(Int32)
    }

    /// Runs `call` until it does not fail with EINTR; returns its non-negative result or throws its errno.
    static func run<T: FixedWidthInteger>(
        _ operation: @autoclosure () -> String,
        _ call: () -> T
    ) throws(SyscallError) -> T {
        while true {
            let result = call()
            if result >= 0 { return result }
            let code = clinux_errno()
            if code == EINTR { continue }
            throw SyscallError(operation: operation(), errno: code)
        }
    }

    /// Runs a non-blocking I/O call, retrying EINTR and mapping EAGAIN to `.wouldBlock`.
    @inline(__always)
    static func io(_ call: () -> Int) -> IO {
        while true {
            let result = call()
            if result >= 0 { return .done(result) }
            let code = clinux_errno()
            if code == EINTR { continue }
            if code == EAGAIN || code == EWOULDBLOCK { return .wouldBlock }
            return .failed(code)
        }
    }

    /// What one `accept` on a non-blocking listener gave.
    enum Accept {
        case accepted(Int32)
        /// Nothing waiting (EAGAIN).
        case empty
        /// A connection that died in the queue, or an interrupted call: try the next one.
        case retry
        /// Out of descriptors or memory: the listener must pause.
        case exhausted(Int32)
        case failed(Int32)
    }

    static func accept(_ listenFD: Int32) -> Accept {
        let fd = clinux_accept(listenFD)
        if fd >= 0 { return .accepted(fd) }
        let code = clinux_errno()
        switch code {
        case EINTR, ECONNABORTED, EPROTO: return .retry
        case EAGAIN, EWOULDBLOCK: return .empty
        case EMFILE, ENFILE, ENOBUFS, ENOMEM: return .exhausted(code)
        default: return .failed(code)
        }
    }

    /// Changes a registration; a failure (the descriptor is gone) is logged, the loop goes on.
    static func epollModify(_ epollFD: Int32, _ fd: Int32, events: UInt32, token: UInt64, logger: Logger?) {
        do {
            _ = try run("epoll_ctl mod") { clinux_epoll_ctl(epollFD, clinux_epoll_mod(), fd, events, token) }
        } catch {
            logger?.debug("\(error)")
        }
    }

    /// Waits for events (EINTR counts as none); returns how many were stored.
    static func epollWait(
        _ epollFD: Int32,
        _ events: UnsafeMutablePointer<clinux_event>,
        _ max: Int32,
        _ timeoutMs: Int32,
        logger: Logger?
    ) -> Int {
        let count = clinux_epoll_wait(epollFD, events, max, timeoutMs)
        if count >= 0 { return Int(count) }
        let code = clinux_errno()
        if code != EINTR { logger?.debug("epoll_wait: \(text(code))") }
        return 0
    }

    /// Shuts down the write side; false when the socket is already gone.
    static func shutdownWrite(_ fd: Int32) -> Bool {
        (try? run("shutdown") { clinux_shutdown_write(fd) }) != nil
    }

    /// The OS's sentence for `code` (strerror).
    static func text(_ code: Int32) -> String {
        withUnsafeTemporaryAllocation(of: CChar.self, capacity: 256) { buffer in
            clinux_strerror(code, buffer.baseAddress, buffer.count)
            return String(cString: buffer.baseAddress!)
        }
    }
}

/// A failed system call: its name (with the address where it helps) and errno.
struct SyscallError: Error, CustomStringConvertible {
    var operation: String
    var errno: Int32
    var description: String { "\(operation): \(Syscall.text(errno))" }
    /// The public error, e.g. operation "bind", message "bind 127.0.0.1:26000: Address already in use".
    func serverError(_ shortOperation: String) -> HTTPServerError {
        HTTPServerError(operation: shortOperation, errno: errno, message: description)
    }
}
