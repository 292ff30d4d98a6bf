/// How much of a pool's resident memory sits in huge (PMD) pages, read from `/proc/PID/smaps`: does
/// `MADV_HUGEPAGE` take effect on a pool (anonymous: `AnonHugePages`; a shared file: `ShmemPmdMapped`)?
struct HugePageShare {
    /// Resident kB of the mapping(s) read.
    var rssKB = 0
    /// kB of them mapped with huge pages.
    var hugeKB = 0

    var percent: Double { rssKB > 0 ? 100 * Double(hugeKB) / Double(rssKB) : .nan }

    /// The mappings of file `path` in process `pid` (shared pool files: `ShmemPmdMapped` + `FilePmdMapped`).
    static func fileMapping(pid: Int32, path: String) -> HugePageShare? {
        sum(pid: pid, huge: ["ShmemPmdMapped", "FilePmdMapped"]) { $0.hasPrefix(path) }
    }

    /// The largest resident anonymous mapping of `pid` (an anonymous pool after a transfer: `AnonHugePages`).
    static func largestAnonymous(pid: Int32) -> HugePageShare? {
        var best: HugePageShare?
        for vma in mappings(pid: pid) ?? [] where vma.name.isEmpty {
            let share = HugePageShare(
                rssKB: vma.fields["Rss", default: 0],
                hugeKB: vma.fields["AnonHugePages", default: 0]
            )
            if share.rssKB > best?.rssKB ?? -1 { best = share }
        }
        return best
    }

    private static func sum(pid: Int32, huge: [String], _ matches: (String) -> Bool) -> HugePageShare? {
        guard let vmas = mappings(pid: pid) else { return nil }
        var share = HugePageShare()
        var found = false
        for vma in vmas where matches(vma.name) {
            found = true
            share.rssKB += vma.fields["Rss", default: 0]
            share.hugeKB += huge.reduce(0) { $0 + vma.fields[$1, default: 0] }
        }
        return found ? share : nil
    }

    private struct Mapping {
        var name: String
        var fields: [String: Int] = [:]
    }

    /// Each mapping of `/proc/PID/smaps`: its path name ("" when anonymous) and its `Key: N kB` fields.
    private static func mappings(pid: Int32) -> [Mapping]? {
        guard let text = ProcStats.readText("/proc/\(pid)/smaps") else { return nil }
        var out: [Mapping] = []
        for line in text.split(separator: "\n") {
            let parts = line.split(separator: " ", omittingEmptySubsequences: true)
            guard let key = parts.first else { continue }
            if key.hasSuffix(":") {
                if parts.count >= 2, let n = Int(parts[1]), !out.isEmpty {
                    out[out.count - 1].fields[String(key.dropLast())] = n
                }
            } else if key.contains("-") {
                // "start-end perms offset dev inode [path]": the path is everything after the 5th field.
                out.append(Mapping(name: parts.count > 5 ? parts[5...].joined(separator: " ") : ""))
            }
        }
        return out
    }
}
