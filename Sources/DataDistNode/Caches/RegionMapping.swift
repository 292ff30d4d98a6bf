import DataDistModel
import Glibc
import Synchronization

/// An engine's registered memory (CONTRACT §10): `size` bytes of its file in `--shm-dir`, mapped
/// `MAP_SHARED`. Unmapped when the last reference goes (the region table lets it go only when no cache
/// uses it). The node never changes the file's size or removes it: the memory stays the engine's.
///
/// `@unchecked Sendable` invariant: `base` and `size` never change; the bytes are handed out by the cache
/// store as the tensors of region-backed caches, with the same no-overlap discipline as pool memory.
final class RegionMapping: @unchecked Sendable {
    let base: UnsafeMutableRawPointer
    let size: Int

    private init(base: UnsafeMutableRawPointer, size: Int) {
        self.base = base
        self.size = size
    }

    deinit { munmap(base, size) }

    func bytes(at offset: Int, count length: Int) -> UnsafeMutableRawBufferPointer {
        precondition(offset >= 0 && length >= 0 && offset <= size && length <= size - offset)
        return UnsafeMutableRawBufferPointer(start: base + offset, count: length)
    }

    /// Opens `components` below `shmDir` one component at a time with `openat` and `O_NOFOLLOW` (a symbolic
    /// link anywhere is refused, nothing outside the directory is reachable), checks that the last is a
    /// regular file owned by this process's user with `[offset, offset + size)` inside it and `offset`
    /// page aligned, and maps that range. Every refusal is LLM_PARAM_INVALID naming the reason.
    static func open(
        components: [String],
        shmDir: String,
        offset: Int,
        size: Int
    ) throws(APIError) -> RegionMapping {
        let path = ([shmDir] + components).joined(separator: "/")
        let page = Int(sysconf(Int32(_SC_PAGESIZE)))
        guard offset >= 0, offset % page == 0 else {
            throw .paramInvalid("'offset' \(offset) is not a multiple of the page size \(page)")
        }
        guard size > 0 else { throw .paramInvalid("'size' must be > 0") }
        var dirFD = Glibc.open(shmDir, O_RDONLY | O_DIRECTORY | O_CLOEXEC)
        guard dirFD >= 0 else { throw .paramInvalid("\(shmDir): \(SharedMemoryPool.errorText())") }
        defer { close(dirFD) }
        for name in components.dropLast() {
            let next = openat(dirFD, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC)
            guard next >= 0 else { throw refusal(path, in: dirFD, component: name, errno: errno) }
            close(dirFD)
            dirFD = next
        }
        let name = components.last!
        // Look before opening: a FIFO or a device must never be opened (opening has effects of its own).
        var seen = stat()
        guard fstatat(dirFD, name, &seen, AT_SYMLINK_NOFOLLOW) == 0 else {
            throw refusal(path, in: dirFD, component: name, errno: errno)
        }
        try checkFit(seen, path: path)
        let fd = openat(dirFD, name, O_RDWR | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC)
        guard fd >= 0 else { throw refusal(path, in: dirFD, component: name, errno: errno) }
        defer { close(fd) }
        var st = stat()
        guard fstat(fd, &st) == 0, st.st_dev == seen.st_dev, st.st_ino == seen.st_ino else {
            throw .paramInvalid("\(path) changed while it was being opened")
        }
        try checkFit(st, path: path)
        guard offset <= Int(st.st_size), size <= Int(st.st_size) - offset else {
            throw .paramInvalid("[\(offset), \(offset) + \(size)) does not lie inside \(path) of \(st.st_size) bytes")
        }
        let p = mmap(nil, size, PROT_READ | PROT_WRITE, MAP_SHARED, fd, off_t(offset))
        guard let p, p != MAP_FAILED else {
            throw APIError(.LLM_FAILED, "cannot map \(size) bytes of \(path): \(SharedMemoryPool.errorText())")
        }
        return RegionMapping(base: p, size: size)
    }

    /// A regular file owned by this user with one name, else LLM_PARAM_INVALID saying what it is.
    private static func checkFit(_ st: stat, path: String) throws(APIError) {
        guard st.st_mode & S_IFMT == S_IFREG else {
            let kind =
                switch st.st_mode & S_IFMT {
                case S_IFLNK: "a symbolic link"
                case S_IFIFO: "a FIFO"
                case S_IFDIR: "a directory"
                case S_IFSOCK: "a socket"
                case S_IFCHR, S_IFBLK: "a device"
                default: "not a regular file"
                }
            throw .paramInvalid("\(path) is \(kind), not a regular file")
        }
        guard st.st_uid == geteuid() else {
            throw .paramInvalid("\(path) is owned by uid \(st.st_uid), not by this node's user (uid \(geteuid()))")
        }
        // A second name could be a hard link from outside the directory: the file must have only this one.
        guard st.st_nlink == 1 else {
            throw .paramInvalid("\(path) has \(st.st_nlink) hard links; a region's file must have exactly one")
        }
    }

    private static func refusal(_ path: String, in dirFD: Int32, component: String, errno e: Int32) -> APIError {
        var st = stat()
        // O_DIRECTORY | O_NOFOLLOW on a link answers ENOTDIR: say what it really is.
        if e == ENOTDIR || e == ELOOP, fstatat(dirFD, component, &st, AT_SYMLINK_NOFOLLOW) == 0,
            st.st_mode & S_IFMT == S_IFLNK
        {
            return .paramInvalid("\(path): '\(component)' is a symbolic link")
        }
        return switch e {
        case ELOOP: .paramInvalid("\(path): '\(component)' is a symbolic link")
        case ENOTDIR: .paramInvalid("\(path): '\(component)' is not a directory")
        case ENOENT: .paramInvalid("\(path) does not exist")
        default: .paramInvalid("\(path): '\(component)': \(String(cString: strerror(e)))")
        }
    }
}

/// The mapped regions by id. Read on the data path (outside the node's state lock); changed only under it.
final class RegionMappings: Sendable {
    private let maps = Mutex<[Int64: RegionMapping]>([:])

    subscript(id: Int64) -> RegionMapping? { maps.withLock { $0[id] } }

    func insert(_ id: Int64, _ mapping: RegionMapping) { maps.withLock { $0[id] = mapping } }

    func remove(_ id: Int64) { _ = maps.withLock { $0.removeValue(forKey: id) } }
}
