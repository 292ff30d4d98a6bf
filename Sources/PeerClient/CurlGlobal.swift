import CCurl

/// `curl_global_init` runs exactly once, on first use: Swift initialises globals lazily under `swift_once`,
/// which is thread-safe, so no request ever races it.
private let curlGlobalInitCode: CURLcode = ccurl_global_init_default()

/// Makes sure libcurl is initialised; returns false if `curl_global_init` failed.
func ensureCurlGlobalInit() -> Bool {
    curlGlobalInitCode == CURLE_OK
}
