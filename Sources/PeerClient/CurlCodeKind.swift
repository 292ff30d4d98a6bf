import CCurl

extension PeerError.Kind {
    /// The failure class of a libcurl result code, for failures this client did not detect itself.
    init(curlCode code: CURLcode) {
        switch code {
        case CURLE_COULDNT_CONNECT, CURLE_COULDNT_RESOLVE_HOST, CURLE_COULDNT_RESOLVE_PROXY:
            self = .connectFailed
        case CURLE_OPERATION_TIMEDOUT:
            self = .timeout
        case CURLE_PARTIAL_FILE, CURLE_RECV_ERROR, CURLE_SEND_ERROR, CURLE_GOT_NOTHING,
            CURLE_WEIRD_SERVER_REPLY, CURLE_UNSUPPORTED_PROTOCOL, CURLE_BAD_CONTENT_ENCODING,
            CURLE_FILESIZE_EXCEEDED, CURLE_HTTP2, CURLE_HTTP2_STREAM, CURLE_TOO_MANY_REDIRECTS,
            CURLE_WRITE_ERROR:
            // UNSUPPORTED_PROTOCOL: the URL scheme is checked before libcurl runs, so here it means the peer
            // answered with something that is not HTTP/1.x (HTTP/0.9 is refused by libcurl).
            self = .badResponse
        case CURLE_ABORTED_BY_CALLBACK:
            self = .aborted
        default:
            self = .other
        }
    }
}
