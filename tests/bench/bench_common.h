/* Helpers shared by the bench tools (tests/bench/): address parsing, the
 * clock, file limits, the SOCKS5 client bytes. Not part of torgate. */
#ifndef BENCH_COMMON_H
#define BENCH_COMMON_H

#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>

/* Large enough that one read or write moves a whole socket buffer's worth. */
#define BENCH_CHUNK (1024 * 1024)
/* The short-connection workload: a request of this many bytes is answered
 * with a response of BENCH_RESP_LEN bytes and the server closes. */
#define BENCH_REQ_LEN 100
#define BENCH_RESP_LEN 1024

/* "A.B.C.D:PORT", "[V6]:PORT" or "localhost:PORT"; 0 on success. */
int bench_parse_hostport(const char *s, struct sockaddr_storage *ss, socklen_t *len);
uint64_t bench_now_ns(void);
/* Soft RLIMIT_NOFILE up to the hard limit: the idle-stream workload holds
 * thousands of sockets. Returns the new soft limit. */
unsigned long bench_raise_nofile(void);
int bench_nonblock(int fd);
/* Listens on HOST:PORT (non-blocking), makes an epoll set *ep with the
 * listener in it (data.ptr NULL) and prints "ready PORT". Returns the
 * listening fd, -2 for a bad address, -1 for other errors (said on stderr). */
int bench_listen(const char *prog, const char *listen_at, int *ep);
void bench_nodelay(int fd);
/* A server's life: SIGPIPE ignored, the open-file limit raised, listening
 * as bench_listen() does (the epoll set in *ep), then each epoll event goes
 * to on_accept (the listener) or on_event (data.ptr, events), and
 * after_batch (if not NULL) runs after each batch. Returns only on an
 * error: the exit status (2 for a bad address). */
int bench_serve(const char *prog, const char *listen_at, int *ep, void (*on_accept)(int lfd),
                void (*on_event)(void *ptr, uint32_t events), void (*after_batch)(void));
/* A SOCKS5 greeting (no auth) and CONNECT to ss, pipelined; returns length
 * written into out (at most 32 bytes). */
size_t bench_socks_request(const struct sockaddr_storage *ss, unsigned char *out);
/* Given the first n bytes the SOCKS server sent back for that request:
 * 0 when more bytes are needed, the total reply length once complete,
 * -1 if the server refused. */
long bench_socks_reply_len(const unsigned char *b, size_t n);
/* Blocking: send the request, read the whole reply; 0 on success. */
int bench_socks_connect(int fd, const struct sockaddr_storage *target);

#endif
