#ifndef CTLS_SHIM_H
#define CTLS_SHIM_H

#include <openssl/bio.h>
#include <openssl/err.h>
#include <openssl/ssl.h>
#include <openssl/x509v3.h>
#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

// OpenSSL configures contexts and sessions through macros over SSL_CTX_ctrl / SSL_ctrl, which Swift does not
// import; each one used gets a typed wrapper here. The one other thing here is the output BIO below (OpenSSL
// calls its methods through C function pointers).

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

// MARK: - Output BIO

/// Where a session's records go instead of straight to the socket: a buffer the session drains with one `send(2)`
/// of many records. OpenSSL writes every record (at most 16 KiB of plaintext) to its write BIO with its own call;
/// on a socket BIO that is one system call per record, and on the receiving side one wake-up per record (measured:
/// 34 000 `write(2)`s per 512 MiB pull on the server, and 67 000 `recvfrom(2)` + 34 000 `poll(2)` in libcurl).
/// The buffer is allocated on the first write and freed by `ctls_outbuf_release_if_empty` (an idle connection
/// keeps none). A full buffer makes the write retry (WANT_WRITE) until the session has drained it.
typedef struct ctls_outbuf {
    unsigned char *buf;
    size_t capacity;
    size_t start;
    size_t end;
    int fd;
} ctls_outbuf;

/// Sends what the buffer holds: 1 when all of it went out, 0 when the socket is full (EAGAIN), or -errno.
/// Never raises SIGPIPE (a peer that reset must not kill the process).
static inline int ctls_outbuf_send(ctls_outbuf *out) {
    while (out->start < out->end) {
        ssize_t sent = send(out->fd, out->buf + out->start, out->end - out->start, MSG_NOSIGNAL);
        if (sent > 0) {
            out->start += (size_t)sent;
            continue;
        }
        if (sent < 0 && errno == EINTR) continue;
        if (sent < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) return 0;
        return sent < 0 ? -errno : -EPIPE;
    }
    out->start = out->end = 0;
    return 1;
}

static inline int ctls_outbuf_write(BIO *bio, const char *data, int length) {
    ctls_outbuf *out = (ctls_outbuf *)BIO_get_data(bio);
    BIO_clear_retry_flags(bio);
    if (out == NULL || length < 0) return -1;
    if (length == 0) return 0;
    if (out->buf == NULL) {
        out->buf = (unsigned char *)malloc(out->capacity);
        if (out->buf == NULL) return -1;
    }
    if (out->start == out->end) {
        out->start = out->end = 0;
    } else if (out->end == out->capacity && out->start > 0) {
        memmove(out->buf, out->buf + out->start, out->end - out->start);
        out->end -= out->start;
        out->start = 0;
    }
    size_t space = out->capacity - out->end;
    if (space == 0) {
        BIO_set_retry_write(bio);
        return -1;
    }
    size_t count = (size_t)length < space ? (size_t)length : space;
    memcpy(out->buf + out->end, data, count);
    out->end += count;
    return (int)count;
}

static inline long ctls_outbuf_ctrl(BIO *bio, int command, long number, void *pointer) {
    (void)number;
    (void)pointer;
    ctls_outbuf *out = (ctls_outbuf *)BIO_get_data(bio);
    switch (command) {
    case BIO_CTRL_FLUSH: {  // OpenSSL flushes after each handshake flight: it must be on the wire before a read
        if (out == NULL) return 1;
        BIO_clear_retry_flags(bio);
        int sent = ctls_outbuf_send(out);
        if (sent == 0) BIO_set_retry_write(bio);
        return sent;
    }
    case BIO_CTRL_WPENDING:
    case BIO_CTRL_PENDING: return out ? (long)(out->end - out->start) : 0;
    default: return 0;
    }
}

static inline int ctls_outbuf_create(BIO *bio) {
    BIO_set_data(bio, NULL);
    BIO_set_init(bio, 1);
    return 1;
}

static inline int ctls_outbuf_destroy(BIO *bio) {
    ctls_outbuf *out = (ctls_outbuf *)BIO_get_data(bio);
    if (out != NULL) {
        free(out->buf);
        free(out);
    }
    BIO_set_data(bio, NULL);
    return 1;
}

/// The output BIO's method table, made once per process (a racing second one is freed); it lives as long as the
/// process.
static inline BIO_METHOD *ctls_outbuf_method(void) {
    static BIO_METHOD *_Atomic shared;
    BIO_METHOD *current = atomic_load(&shared);
    if (current != NULL) return current;
    BIO_METHOD *made = BIO_meth_new(BIO_get_new_index() | BIO_TYPE_SOURCE_SINK, "datadist output buffer");
    if (made == NULL) return NULL;
    BIO_meth_set_write(made, ctls_outbuf_write);
    BIO_meth_set_ctrl(made, ctls_outbuf_ctrl);
    BIO_meth_set_create(made, ctls_outbuf_create);
    BIO_meth_set_destroy(made, ctls_outbuf_destroy);
    BIO_METHOD *expected = NULL;
    if (atomic_compare_exchange_strong(&shared, &expected, made)) return made;
    BIO_meth_free(made);
    return expected;
}

/// A new output BIO for socket `fd` holding at most `capacity` bytes of records; NULL when OpenSSL or malloc
/// fails.
static inline BIO *ctls_outbuf_new(size_t capacity, int fd) {
    BIO_METHOD *method = ctls_outbuf_method();
    if (method == NULL) return NULL;
    BIO *bio = BIO_new(method);
    if (bio == NULL) return NULL;
    ctls_outbuf *out = (ctls_outbuf *)calloc(1, sizeof(ctls_outbuf));
    if (out == NULL) {
        BIO_free(bio);
        return NULL;
    }
    out->capacity = capacity;
    out->fd = fd;
    BIO_set_data(bio, out);
    return bio;
}

/// Sends the buffered records: 1 when none is left, 0 when the socket is full, or -errno.
static inline int ctls_outbuf_flush(BIO *bio) {
    return ctls_outbuf_send((ctls_outbuf *)BIO_get_data(bio));
}

/// How many buffered bytes wait to be sent.
static inline size_t ctls_outbuf_pending(BIO *bio) {
    ctls_outbuf *out = (ctls_outbuf *)BIO_get_data(bio);
    return out->end - out->start;
}

/// Frees the buffer when nothing waits in it (the next record allocates it again).
static inline void ctls_outbuf_release_if_empty(BIO *bio) {
    ctls_outbuf *out = (ctls_outbuf *)BIO_get_data(bio);
    if (out->buf != NULL && out->start == out->end) {
        free(out->buf);
        out->buf = NULL;
        out->start = out->end = 0;
    }
}

#endif
