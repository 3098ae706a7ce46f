/* The stub resolver's policy: what each query gets. Pure: a query buffer
 * in, a response buffer out; the map is the only state. */
#ifndef TORGATE_DNS_STUB_H
#define TORGATE_DNS_STUB_H

#include <stddef.h>
#include <stdint.h>

#include "dns/rcache.h"
#include "dns/vmap.h"
#include "dns/wire.h"

#define DNS_STUB_TTL 60    /* short: a name's address is stable, but apps re-ask */

struct dns_stub_stats {
    uint64_t queries, answered, dropped, formerr, notimp, nxdomain, nodata;
    uint64_t by_type[8];   /* A, AAAA, PTR, HTTPS/SVCB, MX, TXT, SRV, other */
    uint64_t truncated;
};

enum dns_mode {
    DNS_MODE_MAP = 0,        /* virtual addresses; the exit resolves at CONNECT */
    DNS_MODE_RESOLVE,        /* real addresses from Tor's RESOLVE / RESOLVE_PTR */
};

/* What a query in resolve mode waits for. */
struct dns_stub_need {
    enum { DNS_NEED_NAME = 1, DNS_NEED_ADDR = 2 } kind;
    char name[DNS_MAX_NAME_TEXT + 1];
    int family;
    uint8_t addr[16];
};

struct dns_stub {
    struct vmap *map;        /* map mode, and .onion names in every mode */
    enum dns_mode mode;
    struct rcache *cache;    /* resolve mode */
    uint64_t now_ms;         /* set by the caller before each answer */
    char self[DNS_MAX_NAME_TEXT + 1];  /* the sandbox's hostname, lower case:
                                          answered like localhost, never asked
                                          of Tor (it names the host) */
    struct dns_stub_need need;
    struct dns_stub_stats stats;
};

/* dns_stub_answer's result when, in resolve mode, Tor must be asked first:
 * st->need says what; answer the query again once the cache has it. */
#define DNS_STUB_PENDING ((size_t)-1)

/* Answers one query. over_tcp: the response may be up to 65535 bytes (a
 * TCP frame); otherwise the query's UDP limit (512 or its EDNS size).
 * Returns the response length, 0 to drop the query, or DNS_STUB_PENDING. */
size_t dns_stub_answer(struct dns_stub *st, const uint8_t *query, size_t len, int over_tcp,
                       uint8_t *out, size_t outcap);

/* Whether name is a well-formed v3 onion name (56 base32 characters and
 * version 3, optionally with subdomains), or ends in .onion but is not. */
int dns_onion_valid(const char *name);
int dns_is_onion(const char *name);

#endif
