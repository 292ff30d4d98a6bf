import Testing

@testable import DataDistModel

/// `llm.listenIpInfo` parsing and its error classes (CONTRACT §4 step 4).
@Suite struct ListenAddressTests {
    private static func parse(_ text: String, allowPortZero: Bool = false) -> Result<ListenAddress, APIError> {
        outcome { try ListenAddress.parse(text, field: "llm.listenIpInfo", allowPortZero: allowPortZero) }
    }

    private static func status(_ text: String, allowPortZero: Bool = false) -> APIStatus? {
        if case .failure(let e) = parse(text, allowPortZero: allowPortZero) { e.status } else { nil }
    }

    @Test(arguments: [
        ("127.0.0.1:26000", "127.0.0.1", UInt16(26000)),
        ("0.0.0.0:1", "0.0.0.0", 1),
        ("255.255.255.255:65535", "255.255.255.255", 65535),
        ("10.0.0.10:80", "10.0.0.10", 80),
        ("[::1]:26000", "::1", 26000),
        ("[::]:8080", "::", 8080),
        ("[fe80::1]:9", "fe80::1", 9),
        ("[2001:db8::8a2e:370:7334]:443", "2001:db8::8a2e:370:7334", 443),
        ("[::ffff:1.2.3.4]:1", "::ffff:1.2.3.4", 1),
    ])
    func acceptsIPAndPort(text: String, host: String, port: UInt16) {
        #expect(Self.parse(text) == .success(ListenAddress(host: host, port: port)))
    }

    @Test(arguments: [
        "127.0.0.1", "localhost:80", "1.2.3:80", "256.1.1.1:80", "01.2.3.4:80", "[::1]80", "::1:80", "[::1", "",
        "1.2.3.4.5:80", "1.2.3.4:80:90", "[]:80", "[1.2.3.4]:80", "[fe80::1%eth0]:80", "[g::1]:80", ":80",
        "[::１]:80", "[fe80::ａ]:80", "１27.0.0.1:80",
    ])
    func notIPColonPortIsParamInvalid(text: String) {
        #expect(Self.status(text) == .LLM_PARAM_INVALID)
    }

    @Test(arguments: ["127.0.0.1:abc", "127.0.0.1:", "127.0.0.1:1.5", "[::1]:", "[::1]:x1"])
    func nonIntegerPortIsValueError(text: String) {
        #expect(Self.status(text) == .VALUE_ERROR)
    }

    @Test(arguments: [
        "127.0.0.1:0", "127.0.0.1:65536", "127.0.0.1:-1", "127.0.0.1:99999999999999999999999",
        "127.0.0.1:-99999999999999999999999", "[::1]:0", "[::1]:70000",
    ])
    func portOutsideRangeIsParamInvalid(text: String) {
        #expect(Self.status(text) == .LLM_PARAM_INVALID)
    }

    @Test func errorMessageNamesTheFieldAndTheValue() throws {
        guard case .failure(let e) = Self.parse("127.0.0.1:abc") else {
            Issue.record("expected a failure")
            return
        }
        #expect(e.message.contains("llm.listenIpInfo"))
        #expect(e.message.contains("127.0.0.1:abc"))
    }

    @Test func portZeroOnlyWhenAllowed() {
        #expect(Self.status("127.0.0.1:0") == .LLM_PARAM_INVALID)
        #expect(Self.parse("127.0.0.1:0", allowPortZero: true) == .success(ListenAddress(host: "127.0.0.1", port: 0)))
        #expect(Self.parse("[::1]:0", allowPortZero: true) == .success(ListenAddress(host: "::1", port: 0)))
        // Zero is the only extra port admitted.
        #expect(Self.status("127.0.0.1:-1", allowPortZero: true) == .LLM_PARAM_INVALID)
        #expect(Self.status("127.0.0.1:65536", allowPortZero: true) == .LLM_PARAM_INVALID)
    }

    @Test(arguments: [
        "::", "::1", "fe80::1", "2001:db8::8a2e:370:7334", "::ffff:1.2.3.4", "1:2:3:4:5:6:7:8", "1::",
        "1:2:3:4:5:6:7::", "::2:3:4:5:6:7:8", "1:2:3:4:5:6:1.2.3.4", "::1.2.3.4", "ABCD:ef01::", "0:0:0:0:0:0:0:0",
    ])
    func validIPv6(text: String) {
        #expect(IPAddressText.isIPv6(text[...]))
    }

    @Test(arguments: [
        "1:2:3:4:5:6:7:8:9", "1::2::3", "12345::", "g::1", "fe80::1%eth0", "", ":", ":::", "1:2:3:4:5:6:7",
        "1:2:3:4:5:6:7:8::", ":1", "1:", "1.2.3.4", "::1.2.3", "::256.1.1.1", "1:2:3:4:5:6:7:1.2.3.4",
        // Fullwidth digits and letters: `Character.isHexDigit` admits them, an IPv6 literal does not.
        "::１", "fe80::ａ", "ＦＥ80::1",
    ])
    func invalidIPv6(text: String) {
        #expect(!IPAddressText.isIPv6(text[...]))
    }

    @Test(arguments: ["0.0.0.0", "127.0.0.1", "255.255.255.255", "10.0.0.10"])
    func validIPv4(text: String) {
        #expect(IPAddressText.isIPv4(text[...]))
    }

    @Test(arguments: [
        "", "1.2.3", "1.2.3.4.5", "256.0.0.1", "01.2.3.4", "1.2.3.04", "1..3.4", "a.b.c.d", "+1.2.3.4", "1.2.3.4 ",
    ])
    func invalidIPv4(text: String) {
        #expect(!IPAddressText.isIPv4(text[...]))
    }

    @Test(arguments: ["127.0.0.1:26000", "[::1]:26000", "[2001:db8::8a2e:370:7334]:65535", "0.0.0.0:1"])
    func descriptionRoundTrips(text: String) throws {
        let address = try Self.parse(text).get()
        #expect(address.description == text)
        #expect(Self.parse(address.description) == .success(address))
    }

    @Test func ipv6IsDetectedFromTheHost() {
        #expect(ListenAddress(host: "::1", port: 1).isIPv6)
        #expect(!ListenAddress(host: "127.0.0.1", port: 1).isIPv6)
        #expect(ListenAddress(host: "::1", port: 26000).description == "[::1]:26000")
    }
}
