import CCurl

extension CurlEasyHandle {
    /// Runs one exchange on this handle: resets it, applies the node-traffic options, performs, and checks
    /// status and body length. Returns the 2xx status.
    func transfer(
        _ request: PeerRequest,
        state: TransferState,
        transferBufferBytes: Int,
        tls: PeerTLS?
    ) throws(PeerError) -> Int {
        guard isToken(request.method) else {
            throw PeerError(kind: .other, message: "invalid HTTP method: \(request.method)")
        }
        if case .stream(let stream) = request.body, stream.length < 0 {
            // libcurl reads a negative size as "unknown" and would switch to chunked encoding.
            throw PeerError(kind: .other, message: "negative upload stream length: \(stream.length)")
        }
        let method = request.method.uppercased()
        let body = uploadBody(of: request, method: method)
        reset()
        var headerList: UnsafeMutablePointer<curl_slist>?
        defer { curl_slist_free_all(headerList) }
        for line in try headerLines(request, hasBody: body != nil) {
            guard let appended = curl_slist_append(headerList, line) else {
                throw PeerError(kind: .other, message: "out of memory building the header list")
            }
            headerList = appended
        }
        var options = OptionSetter(raw)
        options.applyNodeTrafficOptions(request, transferBufferBytes: transferBufferBytes, tls: tls)
        options.set(ccurl_easy_setopt_slist(raw, CURLOPT_HTTPHEADER, headerList))
        options.installCallbacks(context: Unmanaged.passUnretained(state).toOpaque())
        var uploadFailure: PeerError?

        let code: CURLcode = withExtendedLifetime(state) {
            switch body {
            case nil:
                options.setBodiless(method: request.method)
                return options.failure ?? curl_easy_perform(raw)
            case .bytes(let bytes)?:
                return bytes.withUnsafeBytes { bytes in
                    options.setUpload(bytes, method: request.method)
                    return options.failure ?? curl_easy_perform(raw)
                }
            case .region(let region)?:
                options.setUpload(region.bytes, method: request.method)
                return options.failure ?? curl_easy_perform(raw)
            case .stream(let stream)?:
                let upload = UploadStreamState(stream)
                return withExtendedLifetime(upload) {
                    let context = Unmanaged.passUnretained(upload).toOpaque()
                    options.setStreamUpload(length: stream.length, method: request.method, context: context)
                    let code = options.failure ?? curl_easy_perform(raw)
                    uploadFailure = upload.failure
                    return code
                }
            }
        }
        // The upload stream broke its promise: that, not libcurl's "aborted by callback", is the cause.
        if let uploadFailure { throw uploadFailure }
        return try outcome(code, state: state, tls: tls)
    }

    /// The body to upload, if any. POST, PUT and PATCH always send one (an empty one has Content-Length: 0).
    private func uploadBody(of request: PeerRequest, method: String) -> Upload? {
        switch request.body {
        case .none: ["POST", "PUT", "PATCH"].contains(method) ? .bytes([]) : nil
        case .bytes(let bytes): .bytes(bytes)
        case .region(let region): .region(region)
        case .stream(let stream): .stream(stream)
        }
    }

    private enum Upload {
        case bytes([UInt8])
        case region(PeerUploadRegion)
        case stream(PeerUploadStream)
    }

    private func headerLines(_ request: PeerRequest, hasBody: Bool) throws(PeerError) -> [String] {
        var lines: [String] = []
        for field in request.headers {
            guard isToken(field.name), !field.value.utf8.contains(where: { $0 == 0 || $0 == 10 || $0 == 13 }) else {
                throw PeerError(kind: .other, message: "invalid request header field: \(field.name)")
            }
            lines.append("\(field.name): \(field.value)")
        }
        if hasBody {
            // An empty Expect: stops libcurl from sending "Expect: 100-continue" and stalling up to 1 s on
            // large uploads waiting for an interim answer our server never sends.
            lines.append("Expect:")
            if request.headers.value(named: "content-type") == nil {
                // libcurl would otherwise label every POST application/x-www-form-urlencoded.
                lines.append("Content-Type: application/octet-stream")
            }
        }
        return lines
    }

    private func outcome(_ code: CURLcode, state: TransferState, tls: PeerTLS?) throws(PeerError) -> Int {
        if let failure = state.failure { throw failure }
        var status: CLong = 0
        _ = ccurl_easy_getinfo_long(raw, CURLINFO_RESPONSE_CODE, &status)
        if state.errorBodyTruncated {
            throw PeerError(
                kind: .httpStatus(status),
                message: "peer answered HTTP \(status) (body cut at \(state.errorBody.count) bytes)",
                body: state.errorBody
            )
        }
        guard code == CURLE_OK else {
            let detail = errorText.isEmpty ? String(cString: curl_easy_strerror(code)) : errorText
            if let failure = tlsFailure(code, detail: detail, tls: tls, answered: status != 0) { throw failure }
            throw PeerError(kind: PeerError.Kind(curlCode: code), message: "curl error \(code.rawValue): \(detail)")
        }
        guard (200..<300).contains(status) else {
            throw PeerError(kind: .httpStatus(status), message: "peer answered HTTP \(status)", body: state.errorBody)
        }
        try state.checkCompleteBody()
        return status
    }
}

/// RFC 9110 token: the characters allowed in methods and header names.
private func isToken(_ text: String) -> Bool {
    !text.isEmpty
        && text.utf8.allSatisfy { byte in
            switch byte {
            case UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "A")...UInt8(ascii: "Z"),
                UInt8(ascii: "0")...UInt8(ascii: "9"):
                true
            default:
                "!#$%&'*+-.^_`|~".utf8.contains(byte)
            }
        }
}
