/// Every status an API answer can carry: LLM-DataDist's status codes (names and numeric values from
/// `reference/llm_datadist_facts.md` §5) plus the pseudo statuses of the HTTP API (code -1).
/// The HTTP status of each is defined here and nowhere else.
public enum APIStatus: String, Sendable, CaseIterable, Equatable {
    case LLM_SUCCESS
    case LLM_FAILED
    case LLM_WAIT_PROCESS_TIMEOUT
    case LLM_KV_CACHE_NOT_EXIST
    case LLM_REPEAT_REQUEST
    case LLM_REQUEST_ALREADY_COMPLETED
    case LLM_PARAM_INVALID
    case LLM_ENGINE_FINALIZED
    case LLM_NOT_YET_LINK
    case LLM_ALREADY_LINK
    case LLM_LINK_FAILED
    case LLM_UNLINK_FAILED
    case LLM_NOTIFY_PROMPT_UNLINK_FAILED
    case LLM_CLUSTER_NUM_EXCEED_LIMIT
    case LLM_PROCESSING_LINK
    case LLM_DEVICE_OUT_OF_MEMORY
    case LLM_PREFIX_ALREADY_EXIST
    case LLM_PREFIX_NOT_EXIST
    /// Python `LLMStatusCode` spelling (C++ writes LLM_SEQ_LEN_OVER_LIMIT); the wire uses Python names.
    case LLM_SEQ_LENOVERLIMIT
    case LLM_NO_FREE_BLOCK
    case LLM_BLOCKS_OUT_OF_MEMORY
    case LLM_CACHE_INCOMPATIBLE
    case LLM_CACHE_KEY_ALREADY_EXIST
    case LLM_COPY_CACHE_FAILED
    case LLM_CACHE_ID_ALREADY_EXIST
    case LLM_EXIST_LINK
    case LLM_FEATURE_NOT_ENABLED
    case LLM_TIMEOUT
    case LLM_LINK_BUSY
    case LLM_OUT_OF_MEMORY
    case LLM_DEVICE_MEM_ERROR
    case LLM_SUSPECT_REMOTE_ERROR
    case LLM_UNKNOWN_ERROR

    // Pseudo statuses of the HTTP API (code -1).
    /// Python's TypeError: a field of the wrong JSON type.
    case TYPE_ERROR
    /// Python's ValueError: a field of the right type with a value out of range.
    case VALUE_ERROR
    /// `expected_epoch` differs from the node's `role_epoch`.
    case EPOCH_MISMATCH
    /// The node is draining for a role switch (CONTRACT §12): new links, transfers and key bindings wait.
    case NODE_DRAINING
    /// The key's lease ran out before it was pulled (CONTRACT §11); remembered for 10 minutes.
    case KV_LEASE_EXPIRED
    /// A registered region still backs caches (`DELETE /v1/regions/{id}`, CONTRACT §10).
    case IN_USE
    /// Missing or wrong bearer token.
    case UNAUTHORIZED
    case NOT_FOUND
    case METHOD_NOT_ALLOWED
    /// HTTP-level problems found by the server before any route ran.
    case BAD_REQUEST
    case REQUEST_TIMEOUT
    case LENGTH_REQUIRED
    case PAYLOAD_TOO_LARGE
    case URI_TOO_LONG
    case UNSUPPORTED_MEDIA_TYPE
    case EXPECTATION_FAILED
    case HEADERS_TOO_LARGE
    case NOT_IMPLEMENTED
    case SERVICE_UNAVAILABLE
    case VERSION_NOT_SUPPORTED

    /// The numeric value: LLM-DataDist's (`0x5010B000 | n`) for LLM statuses, -1 for pseudo statuses.
    public var code: Int64 {
        switch self {
        case .LLM_SUCCESS: 0
        case .LLM_FAILED: 0xFFFF_FFFF
        case .LLM_WAIT_PROCESS_TIMEOUT: 0x5010_B001
        case .LLM_KV_CACHE_NOT_EXIST: 0x5010_B002
        case .LLM_REPEAT_REQUEST: 0x5010_B003
        case .LLM_REQUEST_ALREADY_COMPLETED: 0x5010_B004
        case .LLM_PARAM_INVALID: 0x5010_B005
        case .LLM_ENGINE_FINALIZED: 0x5010_B006
        case .LLM_NOT_YET_LINK: 0x5010_B007
        case .LLM_ALREADY_LINK: 0x5010_B008
        case .LLM_LINK_FAILED: 0x5010_B009
        case .LLM_UNLINK_FAILED: 0x5010_B00A
        case .LLM_NOTIFY_PROMPT_UNLINK_FAILED: 0x5010_B00B
        case .LLM_CLUSTER_NUM_EXCEED_LIMIT: 0x5010_B00C
        case .LLM_PROCESSING_LINK: 0x5010_B00D
        case .LLM_DEVICE_OUT_OF_MEMORY: 0x5010_B00E
        case .LLM_PREFIX_ALREADY_EXIST: 0x5010_B00F
        case .LLM_PREFIX_NOT_EXIST: 0x5010_B010
        case .LLM_SEQ_LENOVERLIMIT: 0x5010_B011
        case .LLM_NO_FREE_BLOCK: 0x5010_B012
        case .LLM_BLOCKS_OUT_OF_MEMORY: 0x5010_B013
        case .LLM_CACHE_INCOMPATIBLE: 0x5010_B014
        case .LLM_CACHE_KEY_ALREADY_EXIST: 0x5010_B015
        case .LLM_COPY_CACHE_FAILED: 0x5010_B016
        case .LLM_CACHE_ID_ALREADY_EXIST: 0x5010_B017
        case .LLM_EXIST_LINK: 0x5010_B018
        case .LLM_FEATURE_NOT_ENABLED: 0x5010_B019
        case .LLM_TIMEOUT: 0x5010_B01A
        case .LLM_LINK_BUSY: 0x5010_B01B
        case .LLM_OUT_OF_MEMORY: 0x5010_B01C
        case .LLM_DEVICE_MEM_ERROR: 0x0007_BCAD
        case .LLM_SUSPECT_REMOTE_ERROR: 0x0007_BCB1
        case .LLM_UNKNOWN_ERROR: -1
        case .TYPE_ERROR, .VALUE_ERROR, .EPOCH_MISMATCH, .IN_USE, .UNAUTHORIZED, .NOT_FOUND, .METHOD_NOT_ALLOWED,
            .BAD_REQUEST, .REQUEST_TIMEOUT, .LENGTH_REQUIRED, .PAYLOAD_TOO_LARGE, .URI_TOO_LONG,
            .UNSUPPORTED_MEDIA_TYPE, .EXPECTATION_FAILED, .HEADERS_TOO_LARGE, .NOT_IMPLEMENTED,
            .SERVICE_UNAVAILABLE, .VERSION_NOT_SUPPORTED, .NODE_DRAINING, .KV_LEASE_EXPIRED:
            -1
        }
    }

    /// The HTTP status an answer with this status carries (CONTRACT §3).
    public var httpStatus: Int {
        switch self {
        case .LLM_SUCCESS: 200
        case .TYPE_ERROR, .VALUE_ERROR, .LLM_PARAM_INVALID, .LLM_CLUSTER_NUM_EXCEED_LIMIT, .BAD_REQUEST: 400
        case .UNAUTHORIZED: 401
        case .LLM_KV_CACHE_NOT_EXIST, .NOT_FOUND: 404
        case .METHOD_NOT_ALLOWED: 405
        case .REQUEST_TIMEOUT: 408
        case .LLM_EXIST_LINK, .LLM_ALREADY_LINK, .LLM_NOT_YET_LINK, .LLM_PROCESSING_LINK, .LLM_LINK_BUSY,
            .LLM_FEATURE_NOT_ENABLED, .EPOCH_MISMATCH, .IN_USE, .LLM_REPEAT_REQUEST, .LLM_REQUEST_ALREADY_COMPLETED,
            .LLM_PREFIX_ALREADY_EXIST, .LLM_CACHE_KEY_ALREADY_EXIST, .LLM_CACHE_ID_ALREADY_EXIST:
            409
        case .KV_LEASE_EXPIRED: 410
        case .LENGTH_REQUIRED: 411
        case .PAYLOAD_TOO_LARGE: 413
        case .URI_TOO_LONG: 414
        case .UNSUPPORTED_MEDIA_TYPE: 415
        case .EXPECTATION_FAILED: 417
        case .HEADERS_TOO_LARGE: 431
        case .NOT_IMPLEMENTED: 501
        case .LLM_LINK_FAILED, .LLM_UNLINK_FAILED, .LLM_NOTIFY_PROMPT_UNLINK_FAILED, .LLM_SUSPECT_REMOTE_ERROR: 502
        case .SERVICE_UNAVAILABLE, .NODE_DRAINING: 503
        case .LLM_TIMEOUT, .LLM_WAIT_PROCESS_TIMEOUT: 504
        case .VERSION_NOT_SUPPORTED: 505
        case .LLM_OUT_OF_MEMORY, .LLM_DEVICE_OUT_OF_MEMORY, .LLM_BLOCKS_OUT_OF_MEMORY, .LLM_NO_FREE_BLOCK: 507
        case .LLM_FAILED, .LLM_ENGINE_FINALIZED, .LLM_PREFIX_NOT_EXIST, .LLM_SEQ_LENOVERLIMIT,
            .LLM_CACHE_INCOMPATIBLE, .LLM_COPY_CACHE_FAILED, .LLM_DEVICE_MEM_ERROR, .LLM_UNKNOWN_ERROR:
            500
        }
    }

    /// `0x5010B005` style text of `code` (LLM statuses only).
    public var hex: String? {
        guard code >= 0 else { return nil }
        let digits = String(UInt64(code), radix: 16, uppercase: true)
        return "0x" + String(repeating: "0", count: max(0, 8 - digits.count)) + digits
    }

    /// The status an HTTP-level error status maps to (for errors produced before any route ran).
    public static func forHTTPStatus(_ status: Int) -> APIStatus {
        switch status {
        case 400: .BAD_REQUEST
        case 401: .UNAUTHORIZED
        case 404: .NOT_FOUND
        case 405: .METHOD_NOT_ALLOWED
        case 408: .REQUEST_TIMEOUT
        case 411: .LENGTH_REQUIRED
        case 413: .PAYLOAD_TOO_LARGE
        case 414: .URI_TOO_LONG
        case 415: .UNSUPPORTED_MEDIA_TYPE
        case 417: .EXPECTATION_FAILED
        case 431: .HEADERS_TOO_LARGE
        case 501: .NOT_IMPLEMENTED
        case 503: .SERVICE_UNAVAILABLE
        case 505: .VERSION_NOT_SUPPORTED
        default: .LLM_FAILED
        }
    }
}
