import HTTPCore
import Testing

/// `path` and `query` of each request-target form (RFC 9112 §3.2).
@Suite struct RequestTargetTests {
    private func head(_ target: String) -> HTTPRequestHead { HTTPRequestHead(method: "GET", target: target) }

    @Test func originFormIsSplitAtTheQuestionMark() {
        #expect(head("/v1/role?x=1").path == "/v1/role")
        #expect(head("/v1/role?x=1").query == "x=1")
        #expect(head("/v1/role").query == "")
    }

    @Test func absoluteFormIsServedByItsPathAndQuery() {
        #expect(head("http://x/v1/role").path == "/v1/role")
        #expect(head("http://x/v1/role").query == "")
        #expect(head("HTTP://node:9200/v1/caches?limit=2").path == "/v1/caches")
        #expect(head("http://node:9200/v1/caches?limit=2").query == "limit=2")
        #expect(head("https://x").path == "/")
        #expect(head("http://x?a=b").path == "/")
        #expect(head("http://x?a=b").query == "a=b")
        #expect(head("http://x/v1/role").target == "http://x/v1/role")  // the raw target is kept
    }

    @Test func otherFormsAreLeftAlone() {
        #expect(head("*").path == "*")
        #expect(head("/a:b//c").path == "/a:b//c")
        #expect(head("//x/y").path == "//x/y")
    }
}
