#ifndef CTLS_SHIM_H
#define CTLS_SHIM_H

#include <openssl/err.h>
#include <openssl/ssl.h>
#include <openssl/x509v3.h>
#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <string.h>
#include <sys/socket.h>

// OpenSSL configures contexts and sessions through macros over SSL_CTX_ctrl / SSL_ctrl, which Swift does not
// import; each one used gets a typed wrapper here. Nothing else lives in this header.

/// TLS 1.2 is the floor (CONTRACT §13); 1.3 is the ceiling OpenSSL 3.0 has.
static inline int ctls_ctx_set_tls12_floor(SSL_CTX *ctx) {
    return SSL_CTX_set_min_proto_version(ctx, TLS1_2_VERSION);
}

/// Pins one protocol version (tests: prove both 1.2 and 1.3 work).
static inline int ctls_ctx_pin_version(SSL_CTX *ctx, int version) {
    return SSL_CTX_set_min_proto_version(ctx, version) && SSL_CTX_set_max_proto_version(ctx, version);
}

/// Partial writes let a non-blocking writer learn how much of a span went out; a moving buffer lets the
/// retry after WANT_WRITE come from a fresh span value over the same bytes. Renegotiation is refused in both
/// directions (TLS 1.2 only; 1.3 has none), compression is off.
static inline void ctls_ctx_set_defaults(SSL_CTX *ctx) {
    SSL_CTX_set_mode(ctx, SSL_MODE_ENABLE_PARTIAL_WRITE | SSL_MODE_ACCEPT_MOVING_WRITE_BUFFER);
    SSL_CTX_set_options(ctx, SSL_OP_NO_RENEGOTIATION | SSL_OP_NO_COMPRESSION | SSL_OP_CIPHER_SERVER_PREFERENCE);
}

static inline int ctls_tls12_version(void) { return TLS1_2_VERSION; }
static inline int ctls_tls13_version(void) { return TLS1_3_VERSION; }

/// Server name indication for a DNS name (never for an IP literal, RFC 6066 §3).
static inline int ctls_set_sni(SSL *ssl, const char *name) {
    return (int)SSL_set_tlsext_host_name(ssl, name);
}

/// The peer certificate must name `host`: an IP literal against IP SANs, anything else against DNS SANs.
static inline int ctls_set_expected_peer(SSL *ssl, const char *host, int isIP) {
    if (isIP) return X509_VERIFY_PARAM_set1_ip_asc(SSL_get0_param(ssl), host);
    return SSL_set1_host(ssl, host);
}

/// The reason text of an OpenSSL error code ("certificate verify failed", "wrong version number", ...).
static inline const char *ctls_error_reason(unsigned long code) {
    const char *reason = ERR_reason_error_string(code);
    return reason ? reason : "unknown TLS error";
}

static inline int ctls_error_reason_code(unsigned long code) { return ERR_GET_REASON(code); }

static inline int ctls_reason_wrong_version_number(void) { return SSL_R_WRONG_VERSION_NUMBER; }
static inline int ctls_reason_http_request(void) { return SSL_R_HTTP_REQUEST; }
static inline int ctls_reason_packet_length_too_long(void) { return SSL_R_PACKET_LENGTH_TOO_LONG; }
static inline int ctls_reason_certificate_verify_failed(void) { return SSL_R_CERTIFICATE_VERIFY_FAILED; }
static inline int ctls_reason_no_renegotiation(void) { return SSL_R_NO_RENEGOTIATION; }
static inline int ctls_reason_peer_did_not_return_certificate(void) {
    return SSL_R_PEER_DID_NOT_RETURN_A_CERTIFICATE;
}

/// Whether the kernel accepts the "tls" upper-layer protocol on connected TCP socket `fd` (kernel TLS).
/// ENOENT means CONFIG_TLS is off; 0 means the ULP attached. Returns 0 on success or the errno.
static inline int ctls_try_attach_ktls_ulp(int fd) {
#ifdef TCP_ULP
    if (setsockopt(fd, IPPROTO_TCP, TCP_ULP, "tls", sizeof("tls")) == 0) return 0;
    return errno;
#else
    return ENOPROTOOPT;
#endif
}

#endif
