import DataDistModel
import Dispatch
import HTTPCore
import HTTPServer
import Synchronization
import Testing

@testable import DataDistNode

/// `Route.invoke` is the one place a handler's `APIError` becomes the CONTRACT §3 error body, for handlers
/// answering at once and for deferred ones; typed path parameters throw TYPE_ERROR.
@Suite struct RouteInvokeTests {
    /// Invokes `route` for `GET path` with `params` and waits up to 10 s for its one answer.
    private func answer(_ route: Route, params: [String: String] = [:]) -> HTTPResponse {
        let box = Mutex<[HTTPResponse]>([])
        let done = DispatchSemaphore(value: 0)
        let head = HTTPRequestHead(method: route.method, target: "/", headers: ["Host": "test"], framing: .none)
        route.invoke(
            HTTPRequest(head: head, body: []),
            params: params,
            responder: HTTPResponder { r in
                box.withLock { $0.append(r) }
                done.signal()
            }
        )
        guard done.wait(timeout: .now() + 10) == .success else {
            Issue.record("no answer within 10 s")
            return HTTPResponse(status: 0)
        }
        let answers = box.withLock { $0 }
        #expect(answers.count == 1)
        return answers[0]
    }

    @Test func immediateHandlerAnswers() {
        let r = answer(Route("GET", "/x") { _ in .json(201, ["ok": true]) })
        #expect(r.status == 201)
        #expect(r.json?["ok"] == .bool(true))
    }

    @Test func thrownErrorBecomesTheErrorBody() {
        let r = answer(Route("GET", "/x") { _ throws(APIError) in throw APIError(.LLM_EXIST_LINK, "already") })
        #expect(r.status == 409)
        #expect(r.errorStatus == "LLM_EXIST_LINK")
        #expect(r.errorMessage == "already")
    }

    @Test func drainingErrorCarriesRetryAfter() {
        let r = answer(Route("GET", "/x") { _ throws(APIError) in throw APIError(.NODE_DRAINING, "later") })
        #expect(r.status == 503)
        #expect(r.headers["Retry-After"] == "1")
    }

    @Test func deferredHandlerCompletesFromAnotherThread() {
        let route = Route("GET", "/x") { _, done throws(APIError) in
            DispatchQueue.global().async { done(.success(.json(200, ["late": true]))) }
        }
        let r = answer(route)
        #expect(r.status == 200)
        #expect(r.json?["late"] == .bool(true))
    }

    @Test func deferredFailureBecomesTheErrorBody() {
        let route = Route("GET", "/x") { _, done throws(APIError) in
            DispatchQueue.global().async { done(.failure(APIError(.LLM_TIMEOUT, "slow"))) }
        }
        let r = answer(route)
        #expect(r.status == 504)
        #expect(r.errorStatus == "LLM_TIMEOUT")
    }

    @Test func deferredHandlerThrowingBeforeHandOffAnswersOnce() {
        let route = Route("GET", "/x") { _, _ throws(APIError) in throw .paramInvalid("bad") }
        let r = answer(route)
        #expect(r.status == 400)
        #expect(r.errorStatus == "LLM_PARAM_INVALID")
    }

    @Test func typedParameterConverts() {
        let route = Route("GET", "/x/{id}") { ctx throws(APIError) in
            .json(200, ["id": JSONValue(try ctx.param("id", as: Int64.self))])
        }
        #expect(answer(route, params: ["id": "42"]).json?["id"] == .int(42))
    }

    @Test func typedParameterRejectsTextAsTypeError() {
        let route = Route("GET", "/x/{id}") { ctx throws(APIError) in
            .json(200, ["id": JSONValue(try ctx.param("id", as: Int64.self))])
        }
        for bad in ["abc", "", "1.5", "99999999999999999999"] {
            let r = answer(route, params: ["id": bad])
            #expect(r.status == 400, "\(bad)")
            #expect(r.errorStatus == "TYPE_ERROR", "\(bad)")
        }
    }

    @Test func unsignedParameterTakesTheWholeRange() throws {
        let ctx = RouteContext(
            request: HTTPRequest(
                head: HTTPRequestHead(method: "GET", target: "/", headers: [:], framing: .none),
                body: []
            ),
            params: ["c": "18446744073709551615", "n": "-1"]
        )
        #expect(try ctx.param("c", as: UInt64.self) == UInt64.max)
        #expect(throws: APIError.self) { try ctx.param("n", as: UInt64.self) }
        #expect(throws: APIError.self) { try ctx.param("missing", as: UInt64.self) }
    }
}
