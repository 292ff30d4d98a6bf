import CLinux

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
