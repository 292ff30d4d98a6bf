import CTLS

#if canImport(Glibc)
import Glibc
#endif

/// Whether this kernel offers kernel TLS (the "tls" TCP upper-layer protocol, CONFIG_TLS), for `GET /v1/node`
/// (CONTRACT §13). Kernel TLS is only ever an option: without it the node encrypts in user space.
public enum KernelTLS {
    /// Probed once per process: attaching the ULP needs an established TCP connection, so the probe opens one
    /// on loopback, tries `setsockopt(TCP_ULP, "tls")`, and closes it.
    public static let isAvailable: Bool = probe()

    /// Why the probe answered as it did (for logs): "available", or the errno text of the refusal.
    public static var detail: String { probeDetail() }

    private static func probe() -> Bool { probeDetail() == "available" }

    private static func probeDetail() -> String {
        let listener = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard listener >= 0 else { return "socket: " + String(cString: strerror(errno)) }
        defer { close(listener) }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_addr.s_addr = UInt32(0x7F00_0001).bigEndian
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        let bound = withUnsafeMutablePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                bind(listener, $0, length) == 0 && listen(listener, 1) == 0 && getsockname(listener, $0, &length) == 0
            }
        }
        guard bound else { return "loopback listener: " + String(cString: strerror(errno)) }
        let client = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard client >= 0 else { return "socket: " + String(cString: strerror(errno)) }
        defer { close(client) }
        let connected = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(client, $0, length) == 0 }
        }
        guard connected else { return "loopback connect: " + String(cString: strerror(errno)) }
        let accepted = accept(listener, nil, nil)
        if accepted >= 0 { close(accepted) }
        let result = ctls_try_attach_ktls_ulp(client)
        return result == 0 ? "available" : "TCP_ULP tls: " + String(cString: strerror(result))
    }
}
