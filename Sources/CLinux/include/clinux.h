#ifndef CLINUX_H
#define CLINUX_H
// Linux syscalls for the HTTP server. Things Swift imports badly (errno, enum-typed constants, the packed
// epoll_event with its union, GNU-only calls) get tiny typed wrappers here.
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <sys/uio.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <arpa/inet.h>
#include <fcntl.h>
#include <unistd.h>
#include <errno.h>
#include <string.h>
#include <signal.h>
#include <stdint.h>
#include <pthread.h>
#include <time.h>

/// One ready event, copied out of the packed `struct epoll_event`.
typedef struct {
    uint32_t events;
    uint64_t data;
} clinux_event;

static inline int clinux_errno(void) { return errno; }

static inline uint32_t clinux_epollin(void) { return EPOLLIN; }
static inline uint32_t clinux_epollout(void) { return EPOLLOUT; }
static inline uint32_t clinux_epollerr(void) { return EPOLLERR; }
static inline uint32_t clinux_epollhup(void) { return EPOLLHUP; }

static inline int clinux_epoll_create(void) { return epoll_create1(EPOLL_CLOEXEC); }

/// epoll_ctl with the event built here (`op` is EPOLL_CTL_ADD / MOD / DEL).
static inline int clinux_epoll_ctl(int epfd, int op, int fd, uint32_t events, uint64_t data) {
    struct epoll_event ev;
    memset(&ev, 0, sizeof ev);
    ev.events = events;
    ev.data.u64 = data;
    return epoll_ctl(epfd, op, fd, &ev);
}
static inline int clinux_epoll_add(void) { return EPOLL_CTL_ADD; }
static inline int clinux_epoll_mod(void) { return EPOLL_CTL_MOD; }

/// epoll_wait into `out` (at most 256 events per call).
int clinux_epoll_wait(int epfd, clinux_event *out, int max, int timeout_ms);

static inline int clinux_eventfd(void) { return eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC); }
static inline int clinux_eventfd_signal(int fd) {
    uint64_t one = 1;
    return (int)write(fd, &one, sizeof one);
}
static inline int clinux_eventfd_drain(int fd) {
    uint64_t value;
    return (int)read(fd, &value, sizeof value);
}

/// A non-blocking, close-on-exec TCP socket of `family` (AF_INET / AF_INET6).
static inline int clinux_tcp_socket(int family) {
    return socket(family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
}
static inline int clinux_set_reuseaddr(int fd) {
    int one = 1;
    return setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
}
static inline int clinux_set_nodelay(int fd) {
    int one = 1;
    return setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
}
/// Makes close() send RST instead of FIN (tests use it to simulate a client crash).
static inline int clinux_set_linger_zero(int fd) {
    struct linger l = {1, 0};
    return setsockopt(fd, SOL_SOCKET, SO_LINGER, &l, sizeof l);
}
static inline int clinux_shutdown_write(int fd) { return shutdown(fd, SHUT_WR); }

/// Accepts one connection as non-blocking + close-on-exec (accept4); -1 with errno on failure.
int clinux_accept(int listen_fd);

/// Parses an IPv4 or IPv6 literal into `out`. Returns the family, or -1 when `host` is not a literal.
int clinux_parse_address(const char *host, int port, struct sockaddr_storage *out, socklen_t *len);
/// The local port of a bound socket, or -1 with errno.
int clinux_local_port(int fd);
/// Connects a blocking TCP socket to host:port (literal). Returns the fd or -1 with errno (tests use it).
int clinux_connect(const char *host, int port);

/// writev that never raises SIGPIPE (sendmsg with MSG_NOSIGNAL).
ssize_t clinux_sendv(int fd, const struct iovec *iov, int count);
/// send with MSG_NOSIGNAL.
static inline ssize_t clinux_send(int fd, const void *bytes, size_t count) {
    return send(fd, bytes, count, MSG_NOSIGNAL);
}

/// Milliseconds on the monotonic clock.
static inline int64_t clinux_monotonic_ms(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/// Thread-safe strerror into `buf`.
void clinux_strerror(int err, char *buf, size_t len);
/// Names the calling thread (at most 15 bytes are kept).
void clinux_set_thread_name(const char *name);
static inline uint64_t clinux_thread_self(void) { return (uint64_t)pthread_self(); }
/// Sets SIGPIPE to SIG_IGN for the whole process.
static inline void clinux_ignore_sigpipe(void) { signal(SIGPIPE, SIG_IGN); }

#endif
