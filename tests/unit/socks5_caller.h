/* A caller of the SOCKS5 client, as the gateway would be one, for the
 * unit tests: every feed goes through a heap copy of exactly its bytes
 * (ASan flags a read past them) and is checked against the invariants
 * that hold whatever the bytes were (socks5_caller.c). */
#ifndef TORGATE_SOCKS5_CALLER_H
#define TORGATE_SOCKS5_CALLER_H

#include <stddef.h>
#include <stdint.h>

#include "tor/socks5.h"

struct run {
    enum socks5_step step;          /* last step returned */
    enum socks5_state state;
    enum socks5_error err;
    uint8_t rep;
    uint8_t sent[4 * SOCKS5_MAX_REQUEST]; /* the greeting, then every SEND message */
    size_t sent_len;
    size_t consumed;                /* total bytes the handshake used */
    size_t left;                    /* received but not consumed: stream data */
};

int is_want(enum socks5_state s);

/* One checked feed. */
enum socks5_step feed(struct socks5_client *c, const uint8_t *in, size_t len,
                      size_t *consumed, uint8_t *out, size_t *out_len);

/* Delivers srv[0..n) in chunks of `chunk` bytes (0: all at once), keeping
 * unconsumed bytes and re-feeding them as a real reader would. */
void drive(struct run *r, struct socks5_client *c, const uint8_t *srv, size_t n, size_t chunk);

/* Two runs ended the same way, byte for byte. */
void run_eq(const struct run *a, const struct run *b);

/* The handshake all at once, byte by byte and in 3-byte chunks: the same
 * outcome each time. *r is the all-at-once run. */
void handshake(struct run *r, const char *user, const char *pass,
               const struct socks5_dest *d, const uint8_t *srv, size_t n);

struct socks5_dest dest_v4(uint8_t a, uint8_t b, uint8_t c, uint8_t d, uint16_t port);
struct socks5_dest dest_domain(const char *host, uint16_t port);

/* Expects a run to end with FAILED and err. */
void expect_fail(const char *user, const char *pass, const uint8_t *srv, size_t n,
                 enum socks5_error err);

#endif
