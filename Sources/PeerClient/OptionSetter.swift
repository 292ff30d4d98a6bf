import CCurl

/// Applies options to one easy handle and remembers the first one libcurl refused, so a request never runs
/// with a half-applied configuration.
struct OptionSetter {
    let raw: UnsafeMutableRawPointer
    /// The first non-OK result of a setopt call, if any.
    private(set) var failure: CURLcode?

    init(_ raw: UnsafeMutableRawPointer) {
        self.raw = raw
    }

    mutating func set(_ code: CURLcode) {
        if failure == nil, code != CURLE_OK { failure = code }
    }

    /// The options every node-to-node request carries (DESIGN §2, §3).
    mutating func applyNodeTrafficOptions(_ request: PeerRequest, transferBufferBytes: Int, tls: PeerTLS?) {
        if let tls {
            set(ccurl_easy_setopt_string(raw, CURLOPT_URL, PeerTLS.httpsURL(request.url)))
            applyTLSOptions(tls)
        } else {
            set(ccurl_easy_setopt_string(raw, CURLOPT_URL, request.url))
            set(ccurl_easy_restrict_to_http(raw))
        }
        // No signals: libcurl runs on many threads and must not use SIGALRM for DNS timeouts.
        set(ccurl_easy_setopt_long(raw, CURLOPT_NOSIGNAL, 1))
        // Zero means "no timeout" to libcurl; a peer request is always bounded.
        set(ccurl_easy_setopt_long(raw, CURLOPT_CONNECTTIMEOUT_MS, max(1, request.connectTimeoutMs)))
        set(ccurl_easy_setopt_long(raw, CURLOPT_TIMEOUT_MS, max(1, request.totalTimeoutMs)))
        if let low = request.lowSpeedLimit {
            set(ccurl_easy_setopt_long(raw, CURLOPT_LOW_SPEED_LIMIT, max(1, low.bytesPerSecond)))
            set(ccurl_easy_setopt_long(raw, CURLOPT_LOW_SPEED_TIME, max(1, low.seconds)))
        }
        // A 512 KiB receive buffer doubles loopback throughput over the 16 KiB default (DESIGN §2).
        set(ccurl_easy_setopt_long(raw, CURLOPT_BUFFERSIZE, transferBufferBytes))
        set(ccurl_easy_setopt_long(raw, CURLOPT_UPLOAD_BUFFERSIZE, transferBufferBytes))
        set(ccurl_easy_setopt_long(raw, CURLOPT_FOLLOWLOCATION, 0))
        set(ccurl_easy_setopt_long(raw, CURLOPT_TCP_NODELAY, 1))
        set(ccurl_easy_setopt_long(raw, CURLOPT_HTTP_VERSION, CLong(CURL_HTTP_VERSION_1_1)))
        // Environment proxies (http_proxy, ...) must never reroute node traffic.
        set(ccurl_easy_setopt_string(raw, CURLOPT_NOPROXY, "*"))
        // One handle serves one request at a time: one cached connection is all it can reuse.
        set(ccurl_easy_setopt_long(raw, CURLOPT_MAXCONNECTS, 1))
        if let cancellation = request.cancellation {
            set(ccurl_easy_setopt_long(raw, CURLOPT_NOPROGRESS, 0))
            set(
                ccurl_easy_setopt_xferinfo_callback(raw, CURLOPT_XFERINFOFUNCTION) { context, _, _, _, _ in
                    let token = Unmanaged<PeerCancellation>.fromOpaque(context!).takeUnretainedValue()
                    return token.isCancelled ? 1 : 0
                }
            )
            // The request (and so the token) outlives the perform call that uses this pointer.
            set(ccurl_easy_setopt_pointer(raw, CURLOPT_XFERINFODATA, Unmanaged.passUnretained(cancellation).toOpaque()))
        }
    }

    /// Routes header lines and body chunks to the `TransferState` behind `context`.
    mutating func installCallbacks(context: UnsafeMutableRawPointer) {
        set(
            ccurl_easy_setopt_write_callback(raw, CURLOPT_HEADERFUNCTION) { data, size, count, context in
                let state = Unmanaged<TransferState>.fromOpaque(context!).takeUnretainedValue()
                let line = UnsafeRawBufferPointer(start: data, count: size * count)
                return state.receiveHeaderLine(line) ? size * count : 0
            }
        )
        set(ccurl_easy_setopt_pointer(raw, CURLOPT_HEADERDATA, context))
        set(
            ccurl_easy_setopt_write_callback(raw, CURLOPT_WRITEFUNCTION) { data, size, count, context in
                let state = Unmanaged<TransferState>.fromOpaque(context!).takeUnretainedValue()
                let chunk = UnsafeRawBufferPointer(start: data, count: size * count)
                return state.receiveBody(chunk) ? size * count : 0
            }
        )
        set(ccurl_easy_setopt_pointer(raw, CURLOPT_WRITEDATA, context))
    }

    /// A request without a body; HEAD asks for headers only.
    mutating func setBodiless(method: String) {
        if method.uppercased() == "HEAD" {
            set(ccurl_easy_setopt_long(raw, CURLOPT_NOBODY, 1))
        } else {
            set(ccurl_easy_setopt_long(raw, CURLOPT_HTTPGET, 1))
        }
        if method != "GET", method != "HEAD" {
            set(ccurl_easy_setopt_string(raw, CURLOPT_CUSTOMREQUEST, method))
        }
    }

    /// Sends `bytes` as the body, read in place by libcurl (CURLOPT_POSTFIELDS does not copy; the memory
    /// must outlive `curl_easy_perform`). libcurl can resend it when a kept-alive connection turns out dead.
    mutating func setUpload(_ bytes: UnsafeRawBufferPointer, method: String) {
        set(ccurl_easy_setopt_long(raw, CURLOPT_POST, 1))
        set(ccurl_easy_setopt_off_t(raw, CURLOPT_POSTFIELDSIZE_LARGE, curl_off_t(bytes.count)))
        if let base = bytes.baseAddress, bytes.count > 0 {
            set(ccurl_easy_setopt_pointer(raw, CURLOPT_POSTFIELDS, UnsafeMutableRawPointer(mutating: base)))
        } else {
            // A NULL CURLOPT_POSTFIELDS would make libcurl read the body from stdin-style callbacks.
            set(ccurl_easy_setopt_string(raw, CURLOPT_COPYPOSTFIELDS, ""))
        }
        if method != "POST" {
            set(ccurl_easy_setopt_string(raw, CURLOPT_CUSTOMREQUEST, method))
        }
    }

    /// Sends a body of exactly `length` bytes pulled through libcurl's read callback from the
    /// `UploadStreamState` behind `context`, announced with Content-Length (a known size is never chunked).
    mutating func setStreamUpload(length: Int, method: String, context: UnsafeMutableRawPointer) {
        set(ccurl_easy_setopt_long(raw, CURLOPT_POST, 1))
        set(ccurl_easy_setopt_off_t(raw, CURLOPT_POSTFIELDSIZE_LARGE, curl_off_t(length)))
        set(
            ccurl_easy_setopt_read_callback(raw, CURLOPT_READFUNCTION) { buffer, size, count, context in
                let upload = Unmanaged<UploadStreamState>.fromOpaque(context!).takeUnretainedValue()
                return upload.fill(UnsafeMutableRawBufferPointer(start: buffer, count: size * count))
            }
        )
        set(ccurl_easy_setopt_pointer(raw, CURLOPT_READDATA, context))
        set(
            ccurl_easy_setopt_seek_callback(raw, CURLOPT_SEEKFUNCTION) { context, offset, origin in
                let upload = Unmanaged<UploadStreamState>.fromOpaque(context!).takeUnretainedValue()
                return upload.seek(offset: Int(offset), origin: origin)
            }
        )
        set(ccurl_easy_setopt_pointer(raw, CURLOPT_SEEKDATA, context))
        if method != "POST" {
            set(ccurl_easy_setopt_string(raw, CURLOPT_CUSTOMREQUEST, method))
        }
    }
}
