/// The textual rules for a registered region's path (CONTRACT §10), before any file is touched: the path
/// must name something strictly inside `--shm-dir`, as plain components that the node then opens one by one
/// with `openat` under the directory (no `..`, no `.`, no empty component, no NUL). Symbolic links, file
/// types and owners are checked on the file system by the node.
public enum RegionPath {
    /// The components of `path` below `shmDir`. `path` is either absolute and starts with `shmDir/`, or
    /// relative to `shmDir`. `shmDir` is absolute without a trailing slash.
    public static func components(_ path: String, shmDir: String) throws(APIError) -> [String] {
        if path.isEmpty { throw .paramInvalid("'path' is empty") }
        if path.utf8.contains(0) { throw .paramInvalid("'path' contains a NUL byte") }
        var relative = Substring(path)
        if path.hasPrefix("/") {
            let prefix = shmDir.hasSuffix("/") ? shmDir : shmDir + "/"
            guard path.hasPrefix(prefix) else {
                throw .paramInvalid("'path' \(path) is not inside the shared-memory directory \(shmDir)")
            }
            relative = path.dropFirst(prefix.count)
        }
        let parts = relative.split(separator: "/", omittingEmptySubsequences: false).map(String.init)
        for part in parts {
            switch part {
            case "": throw .paramInvalid("'path' \(path) has an empty component (a '//' or a trailing '/')")
            case ".": throw .paramInvalid("'path' \(path) has a '.' component")
            case "..": throw .paramInvalid("'path' \(path) has a '..' component")
            default: continue
            }
        }
        return parts
    }
}
