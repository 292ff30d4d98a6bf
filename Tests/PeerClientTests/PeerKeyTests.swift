import Testing

@testable import PeerClient

@Suite(.timeLimit(.minutes(1)))
struct PeerKeyTests {
    @Test func urlsOfOnePeerShareOneKey() {
        let keys = [
            "http://127.0.0.1:26000/v1/peer/hello", "HTTP://127.0.0.1:26000", "http://127.0.0.1:26000?x=1",
        ].map { PeerKey(url: $0) }
        #expect(keys.allSatisfy { $0 == PeerKey(peer: "127.0.0.1:26000") })
    }

    @Test func defaultPortAndIPv6Literals() {
        #expect(PeerKey(url: "http://Node-A/x") == PeerKey(peer: "node-a:80"))
        #expect(PeerKey(url: "http://[::1]:9/x") == PeerKey(peer: "[::1]:9"))
        #expect(PeerKey(url: "http://[::1]/x") == PeerKey(peer: "[::1]:80"))
        // A client speaks TLS to all its peers or to none, so https shares the key space (default port 443).
        #expect(PeerKey(url: "https://a:1/") == PeerKey(peer: "a:1"))
        #expect(PeerKey(url: "HTTPS://Node-A/x") == PeerKey(peer: "node-a:443"))
    }

    @Test func otherSchemesCredentialsAndEmptyHostsHaveNoKey() {
        for url in ["ftp://a:1/", "a:1/x", "http://", "http:///x", "http://u:p@a:1/", "http://a b:1/"] {
            #expect(PeerKey(url: url) == nil, "\(url)")
        }
    }
}
