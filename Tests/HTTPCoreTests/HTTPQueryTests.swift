import HTTPCore
import Testing

@Suite struct HTTPQueryTests {
    @Test func parsesPairsInOrder() {
        let pairs = HTTPQuery.parse("force=false&timeout_ms=3000")
        #expect(pairs.map(\.0) == ["force", "timeout_ms"])
        #expect(pairs.map(\.1) == ["false", "3000"])
        #expect(HTTPQuery.value("timeout_ms", in: "force=false&timeout_ms=3000") == "3000")
        #expect(HTTPQuery.value("missing", in: "a=1") == nil)
    }

    @Test func decodesPercentAndPlus() {
        let pairs = HTTPQuery.parse("key=a%2Fb+c%20d&na%6De=%C3%A9&flag&&x=")
        #expect(pairs.map(\.0) == ["key", "name", "flag", "x"])
        #expect(pairs.map(\.1) == ["a/b c d", "é", "", ""])
    }

    @Test func valueMayContainEquals() {
        #expect(HTTPQuery.parse("a=b=c").map(\.1) == ["b=c"])
    }

    @Test func malformedEscapesStayRawOrFailStrictly() {
        #expect(HTTPQuery.parse("a=%zz&b=%4").map(\.1) == ["%zz", "%4"])
        #expect(HTTPQuery.parseStrict("a=%zz") == nil)
        #expect(HTTPQuery.parseStrict("a=%FF") == nil, "invalid UTF-8")
        #expect(HTTPQuery.parseStrict("a=%41")?.map(\.1) == ["A"])
    }

    @Test func percentDecodeKeepsPlus() {
        #expect(HTTPQuery.percentDecode("a+b%2Bc%20") == "a+b+c ")
        #expect(HTTPQuery.percentDecode("plain") == "plain")
        #expect(HTTPQuery.percentDecode("%") == nil)
        #expect(HTTPQuery.percentDecode("%4") == nil)
        #expect(HTTPQuery.percentDecode("%E2%82") == nil)
        #expect(HTTPQuery.percentDecode("%E2%82%AC") == "€")
    }
}
