import DataDistModel
import Testing

@testable import DataDistNode

@Suite struct ServeSettingsTests {
    @Test func defaultsFollowTheContract() throws {
        let c = try ServeSettings().configuration()
        #expect(c.clusterID == 0)
        #expect(c.role == .prompt)
        #expect(c.admin == ListenAddress(host: "127.0.0.1", port: 9200))
        #expect(c.listen == ListenAddress(host: "127.0.0.1", port: 26000))
        #expect(!c.enableSwitchRole)
        #expect(c.deviceIDs == [0])
        #expect(c.devicePoolBytes == 1 << 30 && c.hostPoolBytes == 1 << 30)
        #expect(c.pageShift == 16 && c.syncKVTimeoutMs == 1000 && c.maxLinks == 512)
    }

    @Test func httpLimitsAreConfigurable() throws {
        let c = try ServeSettings.with { s in
            s.maxConnections = "2048"
            s.maxJSONBody = "64KiB"
            s.maxHeaderBytes = "16KiB"
            s.maxHeaderCount = "50"
            s.headerTimeoutMs = "2000"
            s.bodyTimeoutMs = "3000"
            s.idleTimeoutMs = "4000"
        }.configuration()
        #expect(c.maxConnections == 2048 && c.maxJSONBodyBytes == 65536)
        #expect(c.httpLimits.maxHeaderBytes == 16384 && c.httpLimits.maxHeaderCount == 50)
        #expect(c.headerTimeoutMs == 2000 && c.bodyTimeoutMs == 3000 && c.idleTimeoutMs == 4000)
    }

    @Test func decoderHasNoListenerByDefault() throws {
        let c = try ServeSettings(role: "decoder").configuration()
        #expect(c.listen == nil)
    }

    @Test func valuesParse() throws {
        let c = try ServeSettings(
            clusterID: "18446744073709551615",
            role: "MIX",
            admin: "[::1]:0",
            listen: "0.0.0.0:26001",
            enableSwitchRole: "1",
            deviceIDs: "0,1",
            devicePool: "512MiB",
            hostPool: "4GiB",
            pageShift: "20",
            syncKVTimeoutMs: "250",
            maxLinks: "8",
            adminToken: "a",
            peerToken: "p"
        ).configuration()
        #expect(c.clusterID == UInt64.max)
        #expect(c.role == .mix)
        #expect(c.admin.isIPv6)
        #expect(c.enableSwitchRole)
        #expect(c.deviceIDs == [0, 1])
        #expect(c.devicePoolBytes == 512 << 20 && c.hostPoolBytes == 4 << 30)
        #expect(c.pageShift == 20 && c.syncKVTimeoutMs == 250 && c.maxLinks == 8)
    }

    @Test(arguments: [
        (ServeSettings(clusterID: "-1"), "--cluster-id"),
        (ServeSettings(clusterID: "18446744073709551616"), "--cluster-id"),
        (ServeSettings(role: "leader"), "--role"),
        (ServeSettings(admin: "localhost:9200"), "--admin"),
        (ServeSettings(listen: "127.0.0.1:abc"), "--listen"),
        (ServeSettings.with { ($0.role, $0.listen, $0.compat) = ("decoder", "127.0.0.1:26000", "legacy") }, "--listen"),
        (ServeSettings.with { $0.compat = "strict" }, "--compat"),
        (ServeSettings(enableSwitchRole: "maybe"), "--enable-switch-role"),
        (ServeSettings(deviceIDs: "0,,1"), "--device-ids"),
        (ServeSettings(deviceIDs: "0,0"), "--device-ids"),
        (ServeSettings(devicePool: "lots"), "--device-pool"),
        (ServeSettings(hostPool: "0"), "--host-pool"),
        (ServeSettings(pageShift: "9"), "--page-shift"),
        (ServeSettings(pageShift: "31"), "--page-shift"),
        (ServeSettings(syncKVTimeoutMs: "0"), "--sync-kv-timeout-ms"),
        (ServeSettings(maxLinks: "x"), "--max-links"),
        (ServeSettings(adminToken: ""), "--admin-token"),
        (ServeSettings.with { $0.maxConnections = "0" }, "--max-connections"),
        (ServeSettings.with { $0.maxJSONBody = "big" }, "--max-json-body"),
        (ServeSettings.with { $0.headerTimeoutMs = "-5" }, "--header-timeout-ms"),
        (ServeSettings.with { $0.idleTimeoutMs = "x" }, "--idle-timeout-ms"),
    ])
    func badValuesNameTheirFlag(settings: ServeSettings, flag: String) {
        do {
            _ = try settings.configuration()
            Issue.record("accepted bad \(flag)")
        } catch {
            #expect(error.message.hasPrefix(flag), "\(error.message)")
            #expect(!error.message.contains("\n"))
        }
    }
}

extension ServeSettings {
    fileprivate static func with(_ change: (inout ServeSettings) -> Void) -> ServeSettings {
        var s = ServeSettings()
        change(&s)
        return s
    }
}
