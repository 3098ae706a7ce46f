/* What the stub answers, query type by query type (map mode).
 *
 * A, AAAA: a virtual address from the map; the name itself goes to Tor when
 *   the app connects, so the exit resolves it and .onion works.
 * PTR: the name behind a virtual address; NXDOMAIN for any other address
 *   (nothing else can be looked up without asking outside Tor).
 * HTTPS, SVCB, MX, TXT, SRV, NS, SOA, CNAME and other data types: NOERROR
 *   with no records (NODATA). Browsers send HTTPS/SVCB queries beside A and
 *   AAAA; NODATA lets them go on with the addresses at once. NOTIMP or
 *   SERVFAIL would make glibc and browsers retry the next nameserver or wait
 *   out timeouts, and NXDOMAIN would be cached as "this name does not exist"
 *   and spoil the A answer for the same name.
 * ANY, AXFR, IXFR and opcodes other than QUERY: NOTIMP (RFC 8482 lets a
 *   server decline ANY; zone transfers are meaningless here).
 * A malformed .onion name: NXDOMAIN for every type (Tor could only refuse it).
 * localhost, and the sandbox's own hostname: the loopback addresses (RFC
 *   6761), never a trip to Tor (the hostname would tell the exit who asks).
 *
 * In resolve mode A/AAAA/PTR come from Tor's RESOLVE/RESOLVE_PTR through
 * a cache; Tor resolves a name to one address, so the other family gets
 * NODATA. .onion names still get virtual addresses: only a CONNECT can
 * reach an onion service. */
#define _GNU_SOURCE
#include "dns/stub.h"
#include "dns/wire.h"

#include <string.h>

static int ends_with(const char *s, const char *suffix)
{
    size_t ls = strlen(s), lx = strlen(suffix);
    return ls >= lx && strcmp(s + ls - lx, suffix) == 0;
}

int dns_is_onion(const char *name)
{
    return strcmp(name, "onion") == 0 || ends_with(name, ".onion");
}

/* v3 onion label: base32 of pubkey(32) | checksum(2) | version(1 = 3). */
int dns_onion_valid(const char *name)
{
    if (!ends_with(name, ".onion"))
        return 0;
    size_t end = strlen(name) - 6;
    size_t start = end;
    while (start > 0 && name[start - 1] != '.')
        start--;
    if (end - start != 56)
        return 0;
    uint8_t bits[35];
    unsigned acc = 0, nbits = 0, n = 0;
    for (size_t i = start; i < end; i++) {
        char c = name[i];
        unsigned v;
        if (c >= 'a' && c <= 'z')
            v = (unsigned)(c - 'a');
        else if (c >= '2' && c <= '7')
            v = (unsigned)(c - '2') + 26;
        else
            return 0;
        acc = (acc << 5) | v;
        nbits += 5;
        if (nbits >= 8) {
            nbits -= 8;
            bits[n++] = (uint8_t)(acc >> nbits);
            acc &= (1u << nbits) - 1;
        }
    }
    return n == 35 && bits[34] == 3;
}

/* The sandbox's own hostname, full or first label. */
static int is_self(const struct dns_stub *st, const char *name)
{
    size_t first = strcspn(st->self, ".");
    return st->self[0] != '\0' &&
           (strcmp(name, st->self) == 0 ||
            (strlen(name) == first && strncmp(name, st->self, first) == 0));
}

static int is_localhost(const struct dns_stub *st, const char *name)
{
    return strcmp(name, "localhost") == 0 || ends_with(name, ".localhost") || is_self(st, name);
}

/* Names that must never be sent to Tor: mDNS, reserved and reverse names. */
static int is_unresolvable(const char *name)
{
    return strcmp(name, "local") == 0 || ends_with(name, ".local") ||
           strcmp(name, "invalid") == 0 || ends_with(name, ".invalid") ||
           strcmp(name, "arpa") == 0 || ends_with(name, ".arpa");
}

static void count_type(struct dns_stub_stats *s, uint16_t t)
{
    int k;
    switch (t) {
    case DNS_T_A:     k = 0; break;
    case DNS_T_AAAA:  k = 1; break;
    case DNS_T_PTR:   k = 2; break;
    case DNS_T_HTTPS:
    case DNS_T_SVCB:  k = 3; break;
    case DNS_T_MX:    k = 4; break;
    case DNS_T_TXT:   k = 5; break;
    case DNS_T_SRV:   k = 6; break;
    default:          k = 7; break;
    }
    s->by_type[k]++;
}

static size_t reply(struct dns_stub *st, const struct dns_query *q, int rcode,
                    const struct dns_answer *a, int n, size_t limit, uint8_t *out, size_t cap)
{
    if (rcode == DNS_R_NXDOMAIN)
        st->stats.nxdomain++;
    else if (rcode == DNS_R_NOTIMP)
        st->stats.notimp++;
    else if (rcode == DNS_R_NOERROR && n == 0)
        st->stats.nodata++;
    size_t len = dns_build_response(q, 1, rcode, a, n, limit, out, cap);
    if (len >= DNS_HEADER_LEN && (out[2] & 0x02))
        st->stats.truncated++;
    if (len > 0)
        st->stats.answered++;
    return len;
}

/* Resolve mode: the cached result for the question, or a need. */
static size_t answer_from_cache(struct dns_stub *st, const struct dns_query *q, int ptr_family,
                                const uint8_t *ptr_addr, size_t limit, uint8_t *out, size_t cap)
{
    struct rcache_entry e;
    int hit = ptr_family ? rcache_get_addr(st->cache, ptr_family, ptr_addr, st->now_ms, &e)
                         : rcache_get_name(st->cache, q->name, st->now_ms, &e);
    if (!hit) {
        memset(&st->need, 0, sizeof(st->need));
        if (ptr_family) {
            st->need.kind = DNS_NEED_ADDR;
            st->need.family = ptr_family;
            memcpy(st->need.addr, ptr_addr, ptr_family == 4 ? 4 : 16);
        } else {
            st->need.kind = DNS_NEED_NAME;
            memcpy(st->need.name, q->name, strlen(q->name) + 1);
        }
        return DNS_STUB_PENDING;
    }
    if (e.rcode != DNS_R_NOERROR)
        return reply(st, q, e.rcode, NULL, 0, limit, out, cap);
    struct dns_answer a;
    memset(&a, 0, sizeof(a));
    a.ttl = DNS_STUB_TTL;
    if (ptr_family) {
        a.type = DNS_T_PTR;
        a.ptr_name = e.name;
        return reply(st, q, DNS_R_NOERROR, &a, 1, limit, out, cap);
    }
    if ((q->qtype == DNS_T_A) != (e.family == 4))
        return reply(st, q, DNS_R_NOERROR, NULL, 0, limit, out, cap);
    a.type = q->qtype;
    memcpy(a.addr, e.addr, e.family == 4 ? 4 : 16);
    return reply(st, q, DNS_R_NOERROR, &a, 1, limit, out, cap);
}

static size_t answer_address(struct dns_stub *st, const struct dns_query *q, size_t limit,
                             uint8_t *out, size_t cap)
{
    struct dns_answer a;
    memset(&a, 0, sizeof(a));
    a.type = q->qtype;
    a.ttl = DNS_STUB_TTL;
    if (is_localhost(st, q->name)) {
        if (q->qtype == DNS_T_A) {
            a.addr[0] = 127;
            a.addr[3] = 1;
        } else {
            a.addr[15] = 1;
        }
        return reply(st, q, DNS_R_NOERROR, &a, 1, limit, out, cap);
    }
    if (is_unresolvable(q->name))
        return reply(st, q, DNS_R_NXDOMAIN, NULL, 0, limit, out, cap);
    if (st->mode == DNS_MODE_RESOLVE && !dns_is_onion(q->name))
        return answer_from_cache(st, q, 0, NULL, limit, out, cap);
    uint8_t v4[4], v6[16];
    if (vmap_assign(st->map, q->name, v4, v6) != 0)
        return reply(st, q, DNS_R_SERVFAIL, NULL, 0, limit, out, cap);
    if (q->qtype == DNS_T_A)
        memcpy(a.addr, v4, 4);
    else
        memcpy(a.addr, v6, 16);
    return reply(st, q, DNS_R_NOERROR, &a, 1, limit, out, cap);
}

static size_t answer_ptr(struct dns_stub *st, const struct dns_query *q, size_t limit,
                         uint8_t *out, size_t cap)
{
    uint8_t addr[16];
    int fam = dns_reverse_name(q->name, addr);
    if (fam == 0)
        return reply(st, q, is_unresolvable(q->name) ? DNS_R_NXDOMAIN : DNS_R_NOERROR,
                     NULL, 0, limit, out, cap);
    static const uint8_t loop6[16] = { [15] = 1 };
    const char *name = vmap_lookup(st->map, fam, addr);
    if (name == NULL && ((fam == 4 && addr[0] == 127) || (fam == 6 && memcmp(addr, loop6, 16) == 0)))
        name = "localhost";
    if (name == NULL && st->mode == DNS_MODE_RESOLVE && !vmap_in_pool(fam, addr))
        return answer_from_cache(st, q, fam, addr, limit, out, cap);
    if (name == NULL)
        return reply(st, q, DNS_R_NXDOMAIN, NULL, 0, limit, out, cap);
    struct dns_answer a = { .type = DNS_T_PTR, .ttl = DNS_STUB_TTL, .ptr_name = name };
    return reply(st, q, DNS_R_NOERROR, &a, 1, limit, out, cap);
}

size_t dns_stub_answer(struct dns_stub *st, const uint8_t *query, size_t len, int over_tcp,
                       uint8_t *out, size_t outcap)
{
    struct dns_query q;
    st->stats.queries++;

    enum dns_parse_result r = dns_parse_query(query, len, &q);
    switch (r) {
    case DNS_PARSE_DROP:
        st->stats.dropped++;
        return 0;
    case DNS_PARSE_FORMERR:
    case DNS_PARSE_NOTIMP: {
        int formerr = r == DNS_PARSE_FORMERR;
        if (formerr)
            st->stats.formerr++;
        else
            st->stats.notimp++;
        size_t n = dns_build_response(&q, 0, formerr ? DNS_R_FORMERR : DNS_R_NOTIMP, NULL, 0,
                                      DNS_UDP_MIN, out, outcap);
        if (n > 0)
            st->stats.answered++;
        return n;
    }
    case DNS_PARSE_OK:
        break;
    }
    count_type(&st->stats, q.qtype);
    size_t limit = over_tcp ? DNS_TCP_MAX : dns_udp_limit(&q);

    if (q.has_edns && q.edns_version != 0)
        return reply(st, &q, DNS_R_BADVERS, NULL, 0, limit, out, outcap);
    if (q.qclass != DNS_CLASS_IN)
        return reply(st, &q, DNS_R_NOTIMP, NULL, 0, limit, out, outcap);
    if (dns_is_onion(q.name) && !dns_onion_valid(q.name))
        return reply(st, &q, DNS_R_NXDOMAIN, NULL, 0, limit, out, outcap);

    if (q.name[0] == '\0')        /* the root exists, and has no address */
        return reply(st, &q, DNS_R_NOERROR, NULL, 0, limit, out, outcap);
    switch (q.qtype) {
    case DNS_T_A:
    case DNS_T_AAAA:
        return answer_address(st, &q, limit, out, outcap);
    case DNS_T_PTR:
        return answer_ptr(st, &q, limit, out, outcap);
    case DNS_T_ANY:
    case DNS_T_AXFR:
    case DNS_T_IXFR:
        return reply(st, &q, DNS_R_NOTIMP, NULL, 0, limit, out, outcap);
    default:
        if (is_unresolvable(q.name) && !is_localhost(st, q.name))
            return reply(st, &q, DNS_R_NXDOMAIN, NULL, 0, limit, out, outcap);
        return reply(st, &q, DNS_R_NOERROR, NULL, 0, limit, out, outcap);
    }
}
