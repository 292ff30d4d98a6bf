import Testing

@testable import DataDistModel

@Suite struct LinkRequestTests {
    static func decode(_ text: String, unlink: Bool = false) -> Result<LinkRequest, APIError> {
        outcome { try LinkRequest.decode(try! JSONValue.parse(text), unlink: unlink) }
    }

    @Test func defaultsAndFields() throws {
        let r = try Self.decode(
            #"{"clusters":[{"remote_cluster_id":18446744073709551615,"remote_ip_info":"127.0.0.1:1","local_ip_info":"127.0.0.1"}]}"#
        ).get()
        #expect(r.timeoutMs == 3000)
        #expect(!r.force)
        #expect(
            r.clusters == [ClusterSpec(remoteClusterID: .max, remoteIPInfo: "127.0.0.1:1", localIPInfo: "127.0.0.1")]
        )
        #expect(try Self.decode(#"{"clusters":[{"remote_cluster_id":1}],"force":true}"#, unlink: true).get().force)
    }

    @Test(arguments: [
        (#"[]"#, APIStatus.TYPE_ERROR),
        (#"{}"#, .TYPE_ERROR),
        (#"{"clusters":{}}"#, .TYPE_ERROR),
        (#"{"clusters":[1]}"#, .TYPE_ERROR),
        (#"{"clusters":[{"remote_ip_info":"127.0.0.1:1"}]}"#, .TYPE_ERROR),
        (#"{"clusters":[{"remote_cluster_id":1.5}]}"#, .VALUE_ERROR),
        (#"{"clusters":[{"remote_cluster_id":-2}]}"#, .VALUE_ERROR),
        (#"{"clusters":[{"remote_cluster_id":1,"remote_ip_info":5}]}"#, .TYPE_ERROR),
        (#"{"clusters":[{"remote_cluster_id":1,"extra":5}]}"#, .LLM_PARAM_INVALID),
        (#"{"clusters":[{"remote_cluster_id":1}],"timeout_ms":"5"}"#, .TYPE_ERROR),
        (#"{"clusters":[{"remote_cluster_id":1}],"timeout_ms":0}"#, .LLM_PARAM_INVALID),
        (#"{"clusters":[{"remote_cluster_id":1}],"timeout_ms":-1}"#, .LLM_PARAM_INVALID),
        (#"{"clusters":[{"remote_cluster_id":1}],"force":true}"#, .LLM_PARAM_INVALID),
        (#"{"clusters":[]}"#, .LLM_PARAM_INVALID),
    ])
    func wholeCallErrors(body: String, status: APIStatus) {
        guard case .failure(let e) = Self.decode(body) else {
            Issue.record("accepted \(body)")
            return
        }
        #expect(e.status == status, "\(body): \(e)")
    }

    @Test func forceMustBeABoolean() {
        guard case .failure(let e) = Self.decode(#"{"clusters":[{"remote_cluster_id":1}],"force":"yes"}"#, unlink: true)
        else {
            Issue.record("accepted")
            return
        }
        #expect(e.status == .TYPE_ERROR)
    }

    @Test func seventeenClustersExceedTheLimit() {
        let items = (0..<17).map { #"{"remote_cluster_id":\#($0)}"# }.joined(separator: ",")
        guard case .failure(let e) = Self.decode(#"{"clusters":[\#(items)]}"#) else {
            Issue.record("accepted 17")
            return
        }
        #expect(e.status == .LLM_CLUSTER_NUM_EXCEED_LIMIT)
    }

    @Test func perClusterAddressProblemsAreParamInvalid() {
        for text in ["127.0.0.1", "127.0.0.1:abc", "host:80", "127.0.0.1:0"] {
            let spec = ClusterSpec(remoteClusterID: 1, remoteIPInfo: text)
            guard case .failure(let e) = outcome({ try spec.remoteAddress() }) else {
                Issue.record("accepted \(text)")
                continue
            }
            #expect(e.status == .LLM_PARAM_INVALID, "\(text)")
        }
        guard case .failure(let e) = outcome({ try ClusterSpec(remoteClusterID: 1).remoteAddress() }) else {
            Issue.record("missing address accepted")
            return
        }
        #expect(e.status == .LLM_PARAM_INVALID)
        #expect(outcome { try ClusterSpec(remoteClusterID: 1, localIPInfo: "10.0.0.1:5").localAddress() }.isFailure)
        #expect(outcome { try ClusterSpec(remoteClusterID: 1, localIPInfo: "::1").localAddress() } == .success("::1"))
    }

    @Test func batchAggregationIsTheLastFailureInListOrder() {
        let r = LinkBatchResult(entries: [
            .init(remoteClusterID: 1, error: APIError(.LLM_TIMEOUT, "t")),
            .init(remoteClusterID: 2, error: nil),
            .init(remoteClusterID: 3, error: APIError(.LLM_LINK_FAILED, "f")),
            .init(remoteClusterID: 4, error: nil),
        ])
        #expect(r.overall == .LLM_LINK_FAILED)
        #expect(
            r.json.serialized.hasPrefix(#"{"status":"LLM_LINK_FAILED","code":1343270921,"message":"f","results":["#)
        )
        #expect(LinkBatchResult(entries: [.init(remoteClusterID: 1, error: nil)]).overall == .LLM_SUCCESS)
    }
}

extension Result {
    fileprivate var isFailure: Bool {
        if case .failure = self { return true }
        return false
    }
}
