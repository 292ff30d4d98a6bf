import Glibc

/// A fresh directory for shared-memory files (under /dev/shm when there is one), removed with its files by
/// `remove()`.
public struct ShmTestDir {
    public let path: String

    public init() {
        let base = access("/dev/shm", W_OK) == 0 ? "/dev/shm" : "/tmp"
        var template = Array("\(base)/datadist-test.XXXXXX".utf8CString)
        let made = template.withUnsafeMutableBufferPointer { mkdtemp($0.baseAddress!) }
        precondition(made != nil, "mkdtemp failed")
        path = String(cString: made!)
    }

    /// Removes everything below (one level of subdirectories is enough for these tests).
    public func remove() {
        guard let dir = opendir(path) else { return }
        while let entry = readdir(dir) {
            let name = withUnsafeBytes(of: entry.pointee.d_name) {
                String(cString: $0.bindMemory(to: CChar.self).baseAddress!)
            }
            if name == "." || name == ".." { continue }
            let full = path + "/" + name
            if unlink(full) != 0 { _ = ShmTestDir.removeTree(full) }
        }
        closedir(dir)
        rmdir(path)
    }

    private static func removeTree(_ path: String) -> Int32 {
        guard let dir = opendir(path) else { return rmdir(path) }
        while let entry = readdir(dir) {
            let name = withUnsafeBytes(of: entry.pointee.d_name) {
                String(cString: $0.bindMemory(to: CChar.self).baseAddress!)
            }
            if name != "." && name != ".." { unlink(path + "/" + name) }
        }
        closedir(dir)
        return rmdir(path)
    }

    /// Creates `name` (mode 0600) of `size` bytes; returns its path.
    @discardableResult
    public func file(
        _ name: String,
        size: Int,
        bytes: [UInt8] = [],
        at offset: Int = 0,
        truncate: Bool = true
    ) -> String {
        let full = path + "/" + name
        let fd = open(full, O_RDWR | O_CREAT | (truncate ? O_TRUNC : 0), 0o600)
        precondition(fd >= 0, "cannot create \(full)")
        defer { close(fd) }
        precondition(ftruncate(fd, off_t(size)) == 0)
        if !bytes.isEmpty { precondition(pwrite(fd, bytes, bytes.count, off_t(offset)) == bytes.count) }
        return full
    }
}

/// `count` bytes of the file at `path` from `offset` (nil when it cannot be read).
public func readFile(_ path: String, offset: Int, count: Int) -> [UInt8]? {
    let fd = open(path, O_RDONLY)
    guard fd >= 0 else { return nil }
    defer { close(fd) }
    var out = [UInt8](repeating: 0, count: count)
    guard pread(fd, &out, count, off_t(offset)) == count else { return nil }
    return out
}

/// The `st_mode & 0o777` and size of `path`, or nil.
public func fileFacts(_ path: String) -> (mode: UInt32, size: Int, inode: UInt)? {
    var st = stat()
    guard lstat(path, &st) == 0 else { return nil }
    return (UInt32(st.st_mode) & 0o777, Int(st.st_size), UInt(st.st_ino))
}
