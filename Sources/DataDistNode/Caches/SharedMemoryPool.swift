import DataDistModel
import Glibc

/// Pools as files in `--shm-dir` (CONTRACT §10): `datadist-<cluster_id>-<placement>-<device_id>.pool`, the
/// pool's capacity, mapped `MAP_SHARED` so that a co-located engine maps the same pages. An exclusive `flock`
/// held for the node's life tells a live node's file from a dead node's.
enum SharedMemoryPool {
    static func fileName(clusterID: UInt64, placement: Placement, deviceID: Int) -> String {
        "datadist-\(clusterID)-\(placement.rawValue.lowercased())-\(deviceID).pool"
    }

    /// Creates (or replaces a dead node's) pool file `name` in `dir`, locks it, sizes it and maps it.
    static func map(dir: String, name: String, capacity: Int, mode: UInt32) throws(NodeStartError) -> PoolMemory {
        let path = dir + "/" + name
        func refusal(_ why: String) -> NodeStartError { NodeStartError(message: "--shm-dir: \(path): \(why)") }
        let dirFD = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC)
        guard dirFD >= 0 else { throw NodeStartError(message: "--shm-dir: \(dir): \(errorText())") }
        defer { close(dirFD) }
        // A few rounds: a replaced file, or a file another starting node swapped under us, is opened again.
        for _ in 0..<4 {
            let fd = openat(dirFD, name, O_RDWR | O_CREAT | O_NOFOLLOW | O_CLOEXEC | O_NONBLOCK, mode_t(mode))
            guard fd >= 0 else { throw refusal(errorText()) }
            if flock(fd, LOCK_EX | LOCK_NB) != 0 {
                let e = errno
                close(fd)
                if e == EWOULDBLOCK {
                    throw refusal(
                        "held by a live node (advisory lock); stop it or use another --cluster-id or --shm-dir"
                    )
                }
                throw refusal("cannot lock: \(String(cString: strerror(e)))")
            }
            var opened = stat()
            var named = stat()
            guard fstat(fd, &opened) == 0, fstatat(dirFD, name, &named, AT_SYMLINK_NOFOLLOW) == 0,
                opened.st_dev == named.st_dev, opened.st_ino == named.st_ino
            else {
                close(fd)  // the name moved on while we locked: try again
                continue
            }
            guard opened.st_mode & S_IFMT == S_IFREG else {
                close(fd)
                throw refusal("not a regular file")
            }
            guard opened.st_uid == geteuid() else {
                close(fd)
                throw refusal("owned by uid \(opened.st_uid), not this node's user \(geteuid())")
            }
            if opened.st_size != 0 {
                // A dead node's file (nobody holds its lock): a fresh file replaces it, so that an engine
                // still mapping the old one keeps its pages and never sees them shrink.
                unlinkat(dirFD, name, 0)
                close(fd)
                continue
            }
            // The umask may have narrowed the mode given to open.
            guard fchmod(fd, mode_t(mode)) == 0, ftruncate(fd, off_t(capacity)) == 0 else {
                let why = errorText()
                unlinkat(dirFD, name, 0)
                close(fd)
                throw refusal(why)
            }
            let p = mmap(nil, capacity, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0)
            guard let p, p != MAP_FAILED else {
                let why = errorText()
                unlinkat(dirFD, name, 0)
                close(fd)
                throw refusal("cannot map \(capacity) bytes: \(why)")
            }
            // Huge pages for shmem follow /sys/kernel/mm/transparent_hugepage/shmem_enabled ("advise" honours
            // this); the file is sparse, so pages are taken on first touch and then kept, as for anonymous pools.
            _ = madvise(p, capacity, MADV_HUGEPAGE)
            return PoolMemory(shared: p, capacity: capacity, path: path, fd: fd)
        }
        throw refusal("the file kept changing while it was being opened")
    }

    /// A tmpfs that runs out of pages answers a write into a sparse mapping with SIGBUS, so a directory
    /// without room for every pool is refused at start, with the numbers (pages are still taken lazily).
    static func roomCheck(dir: String, config: NodeConfiguration) -> String? {
        var fs = statvfs()
        guard statvfs(dir, &fs) == 0 else { return "--shm-dir: \(dir): \(errorText())" }
        let free = UInt64(fs.f_bavail).multipliedReportingOverflow(by: UInt64(fs.f_frsize))
        let perDevice = config.devicePoolBytes.addingReportingOverflow(config.hostPoolBytes)
        let need = perDevice.partialValue.multipliedReportingOverflow(by: UInt64(config.deviceIDs.count))
        if free.overflow { return nil }
        if perDevice.overflow || need.overflow || need.partialValue > free.partialValue {
            return "--shm-dir: \(dir) has \(free.partialValue) bytes free; the pools (--device-pool, --host-pool per "
                + "device) need \(perDevice.overflow || need.overflow ? "more than 2^64" : "\(need.partialValue)")"
        }
        return nil
    }

    static func errorText() -> String { String(cString: strerror(errno)) }
}
