/// Identifies a peer (`host:port`, lower case) for connection pooling; derived from an `http://` URL.
struct PeerKey: Hashable, Sendable {
    let authority: String

    /// The peer of a `host:port` string (as given to `closeAll(peer:)`).
    init(peer: String) {
        authority = peer.lowercased()
    }

    /// The peer of an absolute `http://host[:port]/...` or `https://` URL; nil for any other scheme or a
    /// malformed URL. A client speaks either plaintext or TLS to every peer, so the scheme is not part of the key.
    init?(url: String) {
        let lowered = url.prefix(8).lowercased()
        let scheme = lowered.hasPrefix("https://") ? "https://" : "http://"
        guard url.count > scheme.count, lowered.hasPrefix(scheme) else { return nil }
        let rest = url.dropFirst(scheme.count)
        let authorityEnd = rest.firstIndex { $0 == "/" || $0 == "?" || $0 == "#" } ?? rest.endIndex
        let authority = rest[..<authorityEnd].lowercased()
        // No userinfo (credentials never travel in URLs) and no whitespace.
        guard !authority.isEmpty, !authority.contains("@"), !authority.contains(where: \.isWhitespace) else {
            return nil
        }
        let hasPort: Bool
        if let bracketEnd = authority.lastIndex(of: "]") {
            hasPort = authority[bracketEnd...].contains(":")
        } else {
            hasPort = authority.contains(":")
        }
        self.authority = hasPort ? authority : authority + (scheme == "https://" ? ":443" : ":80")
    }
}
