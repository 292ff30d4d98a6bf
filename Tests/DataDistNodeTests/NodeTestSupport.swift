import DataDistModel
import Dispatch
import Glibc
import HTTPCore
import HTTPServer
import Synchronization
import TestSupport
import Testing

@testable import DataDistNode

/// Drives an `HTTPHandler` the way the server does (one `accept`, the body into the accepted sink or buffer,
/// then the accepted handler), without sockets.
func call(
    _ api: some HTTPHandler,
    _ method: String,
    _ target: String,
    body: String? = nil,
    headers: HTTPHeaders = ["Host": "test"]
) -> HTTPResponse {
    let bytes = body.map { Array($0.utf8) } ?? []
    let head = HTTPRequestHead(
        method: method,
        target: target,
        headers: headers,
        framing: body == nil ? .none : .contentLength(bytes.count)
    )
    return drive(api, head, bytes)
}

/// The server's path for one request: `accept` once; a rejection is the answer; a body over the accepted limit
/// is 413 (before any byte reaches a sink); the body goes to the accepted sink in pieces (as reads deliver it)
/// or into `request.body`; a sink that refuses a piece answers its failure; then the accepted handler runs.
/// Waits up to 10 s for the answer.
func drive(_ api: some HTTPHandler, _ head: HTTPRequestHead, _ bytes: [UInt8]) -> HTTPResponse {
    let accepted: HTTPAcceptedRequest
    switch api.accept(head) {
    case .reject(let response): return response
    case .accept(let a): accepted = a
    }
    guard bytes.count <= accepted.bodyLimit else {
        accepted.sink?.abandon()
        return api.errorResponse(status: 413, reason: "request body too large")
    }
    var request = HTTPRequest(head: head, body: bytes)
    if let sink = accepted.sink {
        request = HTTPRequest(head: head, sink: sink)
        let pieceSize = 64 << 10
        var offset = 0
        var refused = false
        bytes.withUnsafeBytes { raw in
            while offset < raw.count && !refused {
                let end = min(raw.count, offset + pieceSize)
                refused = !sink.write(UnsafeRawBufferPointer(rebasing: raw[offset..<end]))
                offset = end
            }
        }
        if refused { return sink.failure() }
    }
    let box = Mutex<HTTPResponse?>(nil)
    let done = DispatchSemaphore(value: 0)
    accepted.handle(
        request,
        HTTPResponder { r in
            box.withLock { $0 = r }
            done.signal()
        }
    )
    guard done.wait(timeout: .now() + 10) == .success, let response = box.withLock({ $0 }) else {
        Issue.record("no response to \(head.method) \(head.target) within 10 s")
        return HTTPResponse(status: 0)
    }
    return response
}

extension HTTPResponse {
    var json: JSONValue? { try? JSONValue.parse(body) }
    var errorStatus: String? { json?.objectValue?["error"]?.objectValue?["status"]?.stringValue }
    var errorMessage: String? { json?.objectValue?["error"]?.objectValue?["message"]?.stringValue }
    var text: String { String(decoding: body, as: UTF8.self) }
}

extension JSONValue {
    subscript(_ key: String) -> JSONValue? { objectValue?[key] }
}

/// A node core and its admin API for handler tests (nothing bound).
func makeAdmin(_ configure: (inout NodeConfiguration) -> Void = { _ in }) -> (NodeCore, AdminAPI) {
    var config = NodeConfiguration()
    config.role = .decoder
    config.enableSwitchRole = true
    configure(&config)
    let core = makeCore(config)
    let links = LinkController(core: core)
    return (
        core,
        AdminAPI(
            core: core,
            roles: RoleController(core: core, links: links),
            links: links,
            transfers: TransferController(core: core)
        )
    )
}

/// A node core with its pools reserved (address space only), nothing bound.
func makeCore(_ config: NodeConfiguration) -> NodeCore {
    guard let memory = try? PoolMemorySet.reserve(config) else { fatalError("cannot reserve test pools") }
    return NodeCore(config: config, logger: .init(label: "test"), memory: memory)
}
