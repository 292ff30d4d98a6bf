import DataDistModel
import Logging

/// The flags of `datadist serve` as text (from the command line or `DATADIST_*`), turned into a
/// validated `NodeConfiguration`. Every complaint is one line that names the flag.
public struct ServeSettings: Sendable {
    public struct Invalid: Error, Sendable, Equatable {
        public var message: String
    }

    public var clusterID, role, admin, listen, enableSwitchRole, deviceIDs, devicePool, hostPool: String?
    public var pageShift, syncKVTimeoutMs, maxLinks, adminToken, peerToken: String?
    /// HTTP limits (CONTRACT §8): connections, JSON body, head bytes, header fields, timeouts.
    public var maxConnections, maxJSONBody, maxHeaderBytes, maxHeaderCount: String?
    public var headerTimeoutMs, bodyTimeoutMs, idleTimeoutMs: String?
    /// Events (CONTRACT §12): replay ring size, open streams.
    public var eventHistory, maxEventStreams: String?
    /// Asynchronous transfers (CONTRACT §11): terminal ones kept.
    public var transferHistory, kvLeaseMs: String?
    /// Shared-memory pools and regions (CONTRACT §10).
    public var shmDir, shmMode: String?
    /// Compatibility profile (CONTRACT §4a): documented, cache-manager or legacy.
    public var compat: String?

    public init(
        clusterID: String? = nil,
        role: String? = nil,
        admin: String? = nil,
        listen: String? = nil,
        enableSwitchRole: String? = nil,
        deviceIDs: String? = nil,
        devicePool: String? = nil,
        hostPool: String? = nil,
        pageShift: String? = nil,
        syncKVTimeoutMs: String? = nil,
        maxLinks: String? = nil,
        adminToken: String? = nil,
        peerToken: String? = nil
    ) {
        self.clusterID = clusterID
        self.role = role
        self.admin = admin
        self.listen = listen
        self.enableSwitchRole = enableSwitchRole
        self.deviceIDs = deviceIDs
        self.devicePool = devicePool
        self.hostPool = hostPool
        self.pageShift = pageShift
        self.syncKVTimeoutMs = syncKVTimeoutMs
        self.maxLinks = maxLinks
        self.adminToken = adminToken
        self.peerToken = peerToken
    }

    public func configuration() throws(Invalid) -> NodeConfiguration {
        var c = NodeConfiguration()
        if let clusterID {
            guard let v = UInt64(clusterID) else {
                throw Invalid(message: "--cluster-id: '\(clusterID)' is not an integer in 0...18446744073709551615")
            }
            c.clusterID = v
        }
        if let role {
            guard let r = Role(parsing: role) else {
                throw Invalid(message: "--role: '\(role)' is not prompt, decoder or mix")
            }
            c.role = r
        }
        if let admin { c.admin = try Self.address(admin, flag: "--admin") }
        if let compat {
            guard let p = CompatProfile(parsing: compat) else {
                throw Invalid(message: "--compat: '\(compat)' is not documented, cache-manager or legacy")
            }
            c.compat = p
        }
        if let listen {
            c.listen = try Self.address(listen, flag: "--listen")
        } else if c.role == .prompt && c.compat.promptListensByDefault {
            c.listen = ListenAddress(host: "127.0.0.1", port: 26000)
        }
        if let enableSwitchRole {
            switch enableSwitchRole.lowercased() {
            case "1", "true", "yes", "on": c.enableSwitchRole = true
            case "0", "false", "no", "off", "": c.enableSwitchRole = false
            default: throw Invalid(message: "--enable-switch-role: '\(enableSwitchRole)' is not a boolean (true/false)")
            }
        }
        if let deviceIDs {
            var ids: [Int] = []
            for part in deviceIDs.split(separator: ",", omittingEmptySubsequences: false) {
                guard let id = Int(part.trimmingCharacters), (0...65535).contains(id) else {
                    throw Invalid(message: "--device-ids: '\(deviceIDs)' is not a comma-separated list of device ids")
                }
                ids.append(id)
            }
            c.deviceIDs = ids
        }
        if let devicePool { c.devicePoolBytes = try Self.bytes(devicePool, flag: "--device-pool") }
        if let hostPool { c.hostPoolBytes = try Self.bytes(hostPool, flag: "--host-pool") }
        if let pageShift {
            guard let v = Int(pageShift) else {
                throw Invalid(message: "--page-shift: '\(pageShift)' is not an integer")
            }
            c.pageShift = v
        }
        if let syncKVTimeoutMs {
            guard let v = Int(syncKVTimeoutMs), v > 0 else {
                throw Invalid(message: "--sync-kv-timeout-ms: '\(syncKVTimeoutMs)' is not a positive integer")
            }
            c.syncKVTimeoutMs = v
        }
        if let maxLinks {
            guard let v = Int(maxLinks), v > 0 else {
                throw Invalid(message: "--max-links: '\(maxLinks)' is not a positive integer")
            }
            c.maxLinks = v
        }
        c.adminToken = adminToken
        c.peerToken = peerToken
        try applyHTTPLimits(to: &c)
        c.shmDir = shmDir
        if let shmMode {
            guard let v = UInt32(shmMode, radix: 8), v <= 0o777 else {
                throw Invalid(message: "--shm-mode: '\(shmMode)' is not an octal mode in 0...0777 (e.g. 0600)")
            }
            c.shmMode = v
        }
        if let complaint = c.validate() { throw Invalid(message: complaint) }
        return c
    }

    private func applyHTTPLimits(to c: inout NodeConfiguration) throws(Invalid) {
        if let maxConnections {
            c.maxConnections = try Self.count(maxConnections, flag: "--max-connections", in: 1...1_000_000)
        }
        if let maxJSONBody { c.maxJSONBodyBytes = Int(try Self.bytes(maxJSONBody, flag: "--max-json-body")) }
        if let maxHeaderBytes {
            c.httpLimits.maxHeaderBytes = Int(try Self.bytes(maxHeaderBytes, flag: "--max-header-bytes"))
        }
        if let maxHeaderCount {
            c.httpLimits.maxHeaderCount = try Self.count(maxHeaderCount, flag: "--max-header-count", in: 1...10_000)
        }
        let ms = 1...86_400_000
        if let headerTimeoutMs {
            c.headerTimeoutMs = try Self.count(headerTimeoutMs, flag: "--header-timeout-ms", in: ms)
        }
        if let bodyTimeoutMs { c.bodyTimeoutMs = try Self.count(bodyTimeoutMs, flag: "--body-timeout-ms", in: ms) }
        if let idleTimeoutMs { c.idleTimeoutMs = try Self.count(idleTimeoutMs, flag: "--idle-timeout-ms", in: ms) }
        if let kvLeaseMs { c.kvLeaseMs = try Self.count(kvLeaseMs, flag: "--kv-lease-ms", in: 0...86_400_000) }
        if let transferHistory {
            c.transferHistory = try Self.count(transferHistory, flag: "--transfer-history", in: 1...1_000_000)
        }
        if let eventHistory {
            c.eventHistory = try Self.count(eventHistory, flag: "--event-history", in: 1...1_000_000)
        }
        if let maxEventStreams {
            c.maxEventStreams = try Self.count(maxEventStreams, flag: "--max-event-streams", in: 1...10_000)
        }
    }

    static func count(_ text: String, flag: String, in range: ClosedRange<Int>) throws(Invalid) -> Int {
        guard let v = Int(text), range.contains(v) else {
            throw Invalid(message: "\(flag): '\(text)' is not an integer in \(range.lowerBound)...\(range.upperBound)")
        }
        return v
    }

    /// `IP:PORT` for a flag; port 0 (ephemeral) is allowed on the command line.
    static func address(_ text: String, flag: String) throws(Invalid) -> ListenAddress {
        switch ListenAddress.parse(text, field: flag, allowPortZero: true) {
        case .success(let a): return a
        case .failure(let e): throw Invalid(message: e.message)
        }
    }

    static func bytes(_ text: String, flag: String) throws(Invalid) -> UInt64 {
        guard let v = ByteSize.parse(text), v > 0 else {
            throw Invalid(message: "\(flag): '\(text)' is not a byte size (e.g. 1073741824, 512MiB, 4GiB)")
        }
        return v
    }

    public static func logLevel(_ text: String?) throws(Invalid) -> Logger.Level {
        guard let text else { return .info }
        guard let level = Logger.Level(rawValue: text.lowercased()) else {
            throw Invalid(
                message: "--log-level: '\(text)' is not one of trace, debug, info, notice, warning, error, critical"
            )
        }
        return level
    }
}

extension Substring {
    fileprivate var trimmingCharacters: Substring {
        var s = self
        while s.first == " " { s = s.dropFirst() }
        while s.last == " " { s = s.dropLast() }
        return s
    }
}
