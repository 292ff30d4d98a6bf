import HTTPCore
import Testing

@testable import DataDistNode

@Suite struct RouterTests {
    let router = Router([
        Route("GET", "/v1/links") { _ in HTTPResponse(status: 200) },
        Route("POST", "/v1/links") { _ in HTTPResponse(status: 200) },
        Route("POST", "/v1/links/unlink") { _ in HTTPResponse(status: 200) },
        Route("GET", "/v1/links/{id}") { _ in HTTPResponse(status: 200) },
        Route("DELETE", "/v1/links/{id}") { _ in HTTPResponse(status: 200) },
    ])

    @Test func literalRouteFound() {
        guard case .found(let r, let p) = router.match(method: "POST", path: "/v1/links") else {
            Issue.record("not found")
            return
        }
        #expect(r.pattern == "/v1/links")
        #expect(p.isEmpty)
    }

    @Test func parameterIsBoundAndPercentDecoded() {
        guard case .found(let r, let p) = router.match(method: "DELETE", path: "/v1/links/1%32") else {
            Issue.record("not found")
            return
        }
        #expect(r.pattern == "/v1/links/{id}")
        #expect(p["id"] == "12")
    }

    @Test func literalBeatsParameterAndWrongMethodIs405() {
        guard case .methodNotAllowed(let allow) = router.match(method: "GET", path: "/v1/links/unlink") else {
            Issue.record("expected 405")
            return
        }
        #expect(allow == ["POST"])
    }

    @Test func wrongMethodListsAllowed() {
        guard case .methodNotAllowed(let allow) = router.match(method: "PUT", path: "/v1/links") else {
            Issue.record("expected 405")
            return
        }
        #expect(Set(allow) == ["GET", "POST"])
    }

    @Test(arguments: ["/", "/v1", "/v1/links/", "/v1/links/1/2", "/v1/linksx", "/v1/links/%zz"])
    func unknownPathsAre404(path: String) {
        guard case .notFound = router.match(method: "GET", path: path) else {
            Issue.record("expected 404 for \(path)")
            return
        }
    }
}
