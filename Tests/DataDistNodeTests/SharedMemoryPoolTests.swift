import DataDistModel
import Glibc
import TestSupport
import Testing

@testable import DataDistNode

/// `--shm-dir` pools (CONTRACT §10): files of the pool's capacity with `--shm-mode`, named by cluster id,
/// placement and device; a live node's file refused, a dead node's replaced, all removed on exit.
@Suite struct SharedMemoryPoolTests {
    static func config(_ dir: String, cluster: UInt64 = 5, mode: UInt32 = 0o600) -> NodeConfiguration {
        var c = NodeConfiguration()
        c.role = .decoder
        c.clusterID = cluster
        c.deviceIDs = [0, 3]
        c.devicePoolBytes = 1 << 20
        c.hostPoolBytes = 2 << 20
        c.shmDir = dir
        c.shmMode = mode
        return c
    }

    @Test func poolsAreFilesOfTheirCapacityWithTheConfiguredMode() throws {
        let dir = ShmTestDir()
        defer { dir.remove() }
        let memory = try PoolMemorySet.reserve(Self.config(dir.path, mode: 0o640))
        for (placement, device, size) in [("device", 0, 1 << 20), ("host", 0, 2 << 20), ("device", 3, 1 << 20)] {
            let path = "\(dir.path)/datadist-5-\(placement)-\(device).pool"
            let facts = try #require(fileFacts(path), "\(path) missing")
            #expect(facts.mode == 0o640)
            #expect(facts.size == size)
        }
        #expect(memory.shmPath(.host, deviceIndex: 1) == "\(dir.path)/datadist-5-host-3.pool")
        memory.removeFiles()
        #expect(fileFacts("\(dir.path)/datadist-5-host-0.pool") == nil)
    }

    @Test func defaultModeIsOwnerOnly() throws {
        let dir = ShmTestDir()
        defer { dir.remove() }
        let memory = try PoolMemorySet.reserve(Self.config(dir.path))
        defer { memory.removeFiles() }
        #expect(fileFacts("\(dir.path)/datadist-5-device-0.pool")?.mode == 0o600)
    }

    @Test func aLiveNodesFileRefusesTheStartAndADeadNodesFileIsReplaced() throws {
        let dir = ShmTestDir()
        defer { dir.remove() }
        // A dead node's leftover: no lock, stale size and bytes.
        let stale = dir.file("datadist-5-device-0.pool", size: 12345, bytes: [7, 7, 7])
        let staleInode = try #require(fileFacts(stale)).inode
        let first = try PoolMemorySet.reserve(Self.config(dir.path))
        let fresh = try #require(fileFacts(stale))
        #expect(fresh.size == 1 << 20)
        #expect(fresh.inode != staleInode)
        #expect(readFile(stale, offset: 0, count: 3) == [0, 0, 0])

        // The same names while the first holds its locks.
        guard case .failure(let e) = Self.reserveOutcome(Self.config(dir.path)) else {
            Issue.record("a second node started on a live node's pool files")
            return
        }
        #expect(e.message.contains("--shm-dir"))
        #expect(e.message.contains("live node"))
        // Another cluster id is another set of files.
        let other = try PoolMemorySet.reserve(Self.config(dir.path, cluster: 6))
        other.removeFiles()
        first.removeFiles()
    }

    @Test func aMissingDirectoryFailsTheStartNamingTheFlag() {
        guard case .failure(let e) = Self.reserveOutcome(Self.config("/nonexistent/datadist-shm")) else {
            Issue.record("started without its --shm-dir")
            return
        }
        #expect(e.message.hasPrefix("--shm-dir"))
    }

    @Test func shmModeParsesOctal() throws {
        let args = ["--role", "decoder", "--shm-dir", "/dev/shm"]
        #expect(try ServeSettings.parse(args + ["--shm-mode", "0640"]).configuration().shmMode == 0o640)
        #expect(throws: ServeSettings.Invalid.self) { try ServeSettings.parse(args + ["--shm-mode", "0999"]) }
        #expect(throws: ServeSettings.Invalid.self) { try ServeSettings.parse(args + ["--shm-mode", "1777"]) }
    }
}

extension SharedMemoryPoolTests {
    /// A start's outcome as a value, so that a test can look at the refusal.
    static func reserveOutcome(_ config: NodeConfiguration) -> Result<PoolMemorySet, NodeStartError> {
        Result { () throws(NodeStartError) in try PoolMemorySet.reserve(config) }
    }

    @Test func aDirectoryWithoutRoomForThePoolsIsRefusedAtStart() {
        let dir = ShmTestDir()
        defer { dir.remove() }
        var c = Self.config(dir.path)
        c.devicePoolBytes = UInt64(1) << 62
        guard case .failure(let e) = Self.reserveOutcome(c) else {
            Issue.record("pools larger than the file system were accepted")
            return
        }
        #expect(e.message.hasPrefix("--shm-dir"))
        #expect(e.message.contains("free"))
    }
}
