import Testing

@testable import DataDistModel

/// Status names, numeric codes and HTTP statuses (facts §5, CONTRACT §3).
@Suite struct APIStatusTests {
    /// The facts table "Status codes", decimals spelled out as written there.
    static let llmCodes: [(name: String, code: Int64)] = [
        ("LLM_SUCCESS", 0),
        ("LLM_FAILED", 4_294_967_295),
        ("LLM_WAIT_PROCESS_TIMEOUT", 1_343_270_913),
        ("LLM_KV_CACHE_NOT_EXIST", 1_343_270_914),
        ("LLM_REPEAT_REQUEST", 1_343_270_915),
        ("LLM_REQUEST_ALREADY_COMPLETED", 1_343_270_916),
        ("LLM_PARAM_INVALID", 1_343_270_917),
        ("LLM_ENGINE_FINALIZED", 1_343_270_918),
        ("LLM_NOT_YET_LINK", 1_343_270_919),
        ("LLM_ALREADY_LINK", 1_343_270_920),
        ("LLM_LINK_FAILED", 1_343_270_921),
        ("LLM_UNLINK_FAILED", 1_343_270_922),
        ("LLM_NOTIFY_PROMPT_UNLINK_FAILED", 1_343_270_923),
        ("LLM_CLUSTER_NUM_EXCEED_LIMIT", 1_343_270_924),
        ("LLM_PROCESSING_LINK", 1_343_270_925),
        ("LLM_DEVICE_OUT_OF_MEMORY", 1_343_270_926),
        ("LLM_PREFIX_ALREADY_EXIST", 1_343_270_927),
        ("LLM_PREFIX_NOT_EXIST", 1_343_270_928),
        ("LLM_SEQ_LENOVERLIMIT", 1_343_270_929),
        ("LLM_NO_FREE_BLOCK", 1_343_270_930),
        ("LLM_BLOCKS_OUT_OF_MEMORY", 1_343_270_931),
        ("LLM_CACHE_INCOMPATIBLE", 1_343_270_932),
        ("LLM_CACHE_KEY_ALREADY_EXIST", 1_343_270_933),
        ("LLM_COPY_CACHE_FAILED", 1_343_270_934),
        ("LLM_CACHE_ID_ALREADY_EXIST", 1_343_270_935),
        ("LLM_EXIST_LINK", 1_343_270_936),
        ("LLM_FEATURE_NOT_ENABLED", 1_343_270_937),
        ("LLM_TIMEOUT", 1_343_270_938),
        ("LLM_LINK_BUSY", 1_343_270_939),
        ("LLM_OUT_OF_MEMORY", 1_343_270_940),
        ("LLM_DEVICE_MEM_ERROR", 507_053),
        ("LLM_SUSPECT_REMOTE_ERROR", 507_057),
        ("LLM_UNKNOWN_ERROR", -1),
    ]

    static let pseudoStatuses: [APIStatus] = [
        .TYPE_ERROR, .VALUE_ERROR, .EPOCH_MISMATCH, .IN_USE, .UNAUTHORIZED, .NOT_FOUND, .METHOD_NOT_ALLOWED,
        .BAD_REQUEST,
        .REQUEST_TIMEOUT, .LENGTH_REQUIRED, .PAYLOAD_TOO_LARGE, .URI_TOO_LONG, .UNSUPPORTED_MEDIA_TYPE,
        .EXPECTATION_FAILED, .HEADERS_TOO_LARGE, .NOT_IMPLEMENTED, .SERVICE_UNAVAILABLE, .VERSION_NOT_SUPPORTED,
        .NODE_DRAINING, .KV_LEASE_EXPIRED,
    ]

    @Test(arguments: llmCodes)
    func llmStatusHasTheLibraryCode(name: String, code: Int64) throws {
        let status = try #require(APIStatus(rawValue: name), "no status named \(name)")
        #expect(status.code == code)
    }

    @Test func everyStatusIsEitherFromTheTableOrPseudo() {
        let named = Set(Self.llmCodes.map(\.name))
        let pseudo = Set(Self.pseudoStatuses.map(\.rawValue))
        #expect(named.isDisjoint(with: pseudo))
        #expect(Set(APIStatus.allCases.map(\.rawValue)) == named.union(pseudo))
    }

    @Test(arguments: pseudoStatuses)
    func pseudoStatusHasCodeMinusOne(status: APIStatus) {
        #expect(status.code == -1)
        #expect(status.hex == nil)
    }

    @Test func codesFollowTheLibraryFormula() {
        // Every LLM-DataDist code except the special ones is 0x5010B000 | n with distinct n.
        let special: Set<APIStatus> = [
            .LLM_SUCCESS, .LLM_FAILED, .LLM_DEVICE_MEM_ERROR, .LLM_SUSPECT_REMOTE_ERROR, .LLM_UNKNOWN_ERROR,
        ]
        let formula = APIStatus.allCases.filter { $0.code > 0 && !special.contains($0) }
        #expect(formula.count == 28)
        #expect(formula.allSatisfy { $0.code & ~0xFF == 0x5010_B000 })
        #expect(Set(formula.map(\.code)).count == formula.count)
    }

    static let contractHTTP: [(APIStatus, Int)] = [
        (.LLM_SUCCESS, 200),
        (.TYPE_ERROR, 400), (.VALUE_ERROR, 400), (.LLM_PARAM_INVALID, 400), (.LLM_CLUSTER_NUM_EXCEED_LIMIT, 400),
        (.LLM_KV_CACHE_NOT_EXIST, 404), (.NOT_FOUND, 404),
        (.METHOD_NOT_ALLOWED, 405),
        (.LLM_EXIST_LINK, 409), (.LLM_ALREADY_LINK, 409), (.LLM_NOT_YET_LINK, 409), (.LLM_PROCESSING_LINK, 409),
        (.LLM_LINK_BUSY, 409), (.LLM_FEATURE_NOT_ENABLED, 409), (.EPOCH_MISMATCH, 409), (.IN_USE, 409),
        (.LLM_LINK_FAILED, 502), (.LLM_UNLINK_FAILED, 502), (.LLM_NOTIFY_PROMPT_UNLINK_FAILED, 502),
        (.LLM_TIMEOUT, 504), (.LLM_WAIT_PROCESS_TIMEOUT, 504),
        (.LLM_OUT_OF_MEMORY, 507), (.LLM_DEVICE_OUT_OF_MEMORY, 507),
        (.LLM_FAILED, 500),
        (.UNAUTHORIZED, 401),
        (.PAYLOAD_TOO_LARGE, 413),
        (.HEADERS_TOO_LARGE, 431),
    ]

    @Test(arguments: contractHTTP)
    func httpStatusFollowsTheContract(status: APIStatus, http: Int) {
        #expect(status.httpStatus == http)
    }

    @Test func onlySuccessAnswersTwoHundred() {
        for status in APIStatus.allCases where status != .LLM_SUCCESS {
            #expect((400...599).contains(status.httpStatus), "\(status) answers \(status.httpStatus)")
        }
    }

    @Test(arguments: [
        (APIStatus.LLM_SUCCESS, "0x00000000"),
        (.LLM_FAILED, "0xFFFFFFFF"),
        (.LLM_PARAM_INVALID, "0x5010B005"),
        (.LLM_EXIST_LINK, "0x5010B018"),
        (.LLM_OUT_OF_MEMORY, "0x5010B01C"),
        (.LLM_DEVICE_MEM_ERROR, "0x0007BCAD"),
        (.LLM_SUSPECT_REMOTE_ERROR, "0x0007BCB1"),
    ])
    func hexIsEightUpperCaseDigits(status: APIStatus, hex: String) {
        #expect(status.hex == hex)
    }

    @Test func unknownErrorHasNoHex() {
        #expect(APIStatus.LLM_UNKNOWN_ERROR.hex == nil)
    }

    @Test(arguments: [
        (400, APIStatus.BAD_REQUEST), (401, .UNAUTHORIZED), (404, .NOT_FOUND), (405, .METHOD_NOT_ALLOWED),
        (408, .REQUEST_TIMEOUT), (411, .LENGTH_REQUIRED), (413, .PAYLOAD_TOO_LARGE), (414, .URI_TOO_LONG),
        (415, .UNSUPPORTED_MEDIA_TYPE), (417, .EXPECTATION_FAILED), (431, .HEADERS_TOO_LARGE),
        (501, .NOT_IMPLEMENTED), (503, .SERVICE_UNAVAILABLE), (505, .VERSION_NOT_SUPPORTED),
    ])
    func forHTTPStatusRoundTrips(http: Int, status: APIStatus) {
        #expect(APIStatus.forHTTPStatus(http) == status)
        #expect(status.httpStatus == http)
    }

    @Test(arguments: [500, 418, 200, 0, 999])
    func unmappedHTTPStatusIsFailed(http: Int) {
        #expect(APIStatus.forHTTPStatus(http) == .LLM_FAILED)
    }
}
