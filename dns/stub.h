/* The stub resolver's policy: what each query gets. Pure: a query buffer
 * in, a response buffer out; the map is the only state. */
#ifndef TORGATE_DNS_STUB_H
#define TORGATE_DNS_STUB_H

#include <stddef.h>
#include <stdint.h>

#include "vmap.h"

#define DNS_STUB_TTL 60    /* short: a name's address is stable, but apps re-ask */

struct dns_stub_stats {
    uint64_t queries, answered, dropped, formerr, notimp, nxdomain, nodata;
    uint64_t by_type[8];   /* A, AAAA, PTR, HTTPS/SVCB, MX, TXT, SRV, other */
    uint64_t truncated;
};

struct dns_stub {
    struct vmap *map;
    struct dns_stub_stats stats;
};

/* Answers one query. limit: 0 for TCP (a 2-byte length frame), else the
 * transport's UDP limit is derived from the query (512 or its EDNS size).
 * Returns the response length, or 0 to drop the query silently. */
size_t dns_stub_answer(struct dns_stub *st, const uint8_t *query, size_t len, int over_tcp,
                       uint8_t *out, size_t outcap);

/* Whether name is a well-formed v3 onion name (56 base32 characters and
 * version 3, optionally with subdomains), or ends in .onion but is not. */
int dns_onion_valid(const char *name);
int dns_is_onion(const char *name);

#endif
