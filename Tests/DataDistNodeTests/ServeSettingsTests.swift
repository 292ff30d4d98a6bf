import DataDistModel
import Testing

@testable import DataDistNode

@Suite struct ServeSettingsTests {
    @Test func defaultsFollowTheContract() throws {
        let c = try ServeSettings.parse([]).configuration()
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
        let c = try ServeSettings.parse([
            "--max-connections", "2048", "--max-json-body", "64KiB", "--max-header-bytes", "16KiB",
            "--max-header-count", "50", "--header-timeout-ms", "2000", "--body-timeout-ms", "3000",
            "--idle-timeout-ms", "4000",
        ]).configuration()
        #expect(c.maxConnections == 2048 && c.maxJSONBodyBytes == 65536)
        #expect(c.httpLimits.maxHeaderBytes == 16384 && c.httpLimits.maxHeaderCount == 50)
        #expect(c.headerTimeoutMs == 2000 && c.bodyTimeoutMs == 3000 && c.idleTimeoutMs == 4000)
    }

    @Test func decoderHasNoListenerByDefault() throws {
        let c = try ServeSettings.parse(["--role", "decoder"]).configuration()
        #expect(c.listen == nil)
    }

    @Test func valuesParse() throws {
        let c = try ServeSettings.parse(
            [
                "--cluster-id", "18446744073709551615", "--role", "MIX", "--admin", "[::1]:0", "--listen",
                "0.0.0.0:26001",
                "--device-ids", "0,1", "--device-pool", "512MiB", "--host-pool", "4GiB", "--page-shift", "20",
                "--sync-kv-timeout-ms", "250", "--max-links", "8", "--admin-token", "a", "--peer-token", "p",
            ],
            environment: ["ENABLE_SWITCH_ROLE": "1"]
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
        (["--cluster-id", "-1"], "--cluster-id"),
        (["--cluster-id", "18446744073709551616"], "--cluster-id"),
        (["--role", "leader"], "--role"),
        (["--admin", "localhost:9200"], "--admin"),
        (["--listen", "127.0.0.1:abc"], "--listen"),
        (["--role", "decoder", "--listen", "127.0.0.1:26000", "--compat", "legacy"], "--listen"),
        (["ENABLE_SWITCH_ROLE=maybe"], "--enable-switch-role"),
        (["--device-ids", "0,,1"], "--device-ids"),
        (["--device-ids", "0,0"], "--device-ids"),
        (["--device-pool", "lots"], "--device-pool"),
        (["--host-pool", "0"], "--host-pool"),
        (["--page-shift", "9"], "--page-shift"),
        (["--page-shift", "31"], "--page-shift"),
        (["--sync-kv-timeout-ms", "0"], "--sync-kv-timeout-ms"),
        (["--max-links", "x"], "--max-links"),
        (["--admin-token", ""], "--admin-token"),
        (["--max-connections", "0"], "--max-connections"),
        (["--max-json-body", "big"], "--max-json-body"),
        (["--header-timeout-ms", "-5"], "--header-timeout-ms"),
        (["--idle-timeout-ms", "x"], "--idle-timeout-ms"),
        (["--io-threads", "0"], "--io-threads"),
        (["--stripe-bytes", "wide"], "--stripe-bytes"),
        (["--streams-per-transfer", "0"], "--streams-per-transfer"),
        (["--transfer-history", "0"], "--transfer-history"),
        (["--kv-lease-ms", "-1"], "--kv-lease-ms"),
        (["--event-history", "x"], "--event-history"),
        (["--max-event-streams", "0"], "--max-event-streams"),
        (["MAX_LINKS=zero"], "--max-links"),
    ])
    func badValuesNameTheirFlag(arguments: [String], flag: String) {
        do {
            _ = try Self.settings(arguments).configuration()
            Issue.record("accepted bad \(flag)")
        } catch {
            #expect(error.message.hasPrefix(flag), "\(error.message)")
            #expect(!error.message.contains("\n"))
        }
    }

    @Test func dataPlaneFlagsHaveTheContractDefaults() throws {
        let c = try ServeSettings.parse([]).configuration()
        #expect((1...16).contains(c.ioThreads))
        #expect(c.stripeBytes == 64 << 20 && c.streamsPerTransfer == 4)
        #expect(c.transferHistory == 4096 && c.kvLeaseMs == 0 && c.eventHistory == 4096 && c.maxEventStreams == 64)
    }

    @Test func newFlagsParse() throws {
        let c = try ServeSettings.parse([
            "--io-threads", "3", "--stripe-bytes", "1MiB", "--streams-per-transfer", "8", "--transfer-history", "10",
            "--kv-lease-ms", "500", "--event-history", "7", "--max-event-streams", "2",
        ]).configuration()
        #expect(c.ioThreads == 3 && c.stripeBytes == 1 << 20 && c.streamsPerTransfer == 8)
        #expect(c.transferHistory == 10 && c.kvLeaseMs == 500 && c.eventHistory == 7 && c.maxEventStreams == 2)
    }

    /// One rule for every flag: `DATADIST_<NAME>` fills a flag the command line did not give.
    @Test func environmentFillsFlagsAndTheCommandLineWins() throws {
        let c = try ServeSettings.parse(
            ["--max-links", "9"],
            environment: ["MAX_LINKS": "3", "STRIPE_BYTES": "2MiB", "ROLE": "mix", "UNRELATED": "x"]
        ).configuration()
        #expect(c.maxLinks == 9 && c.stripeBytes == 2 << 20 && c.role == .mix)
    }

    /// `NAME=value` entries are environment values; the rest are arguments.
    private static func settings(_ items: [String]) throws(ServeSettings.Invalid) -> ServeFlags {
        var arguments: [String] = []
        var environment: [String: String] = [:]
        for item in items {
            if !item.hasPrefix("--"), let eq = item.firstIndex(of: "=") {
                environment[String(item[..<eq])] = String(item[item.index(after: eq)...])
            } else {
                arguments.append(item)
            }
        }
        return try ServeSettings.parse(arguments, environment: environment)
    }
}
