/* libFuzzer harness for the DNS stub (dns/): the bytes are one query, as a
 * client inside the sandbox could send it over UDP or TCP. Each input goes
 *   1. to dns_parse_query directly, checking what a parsed query promises;
 *   2. to dns_stub_answer in map mode, over UDP and over TCP, with a small
 *      map (64 names) so that LRU reuse happens across inputs;
 *   3. to dns_stub_answer in resolve mode, answering any PENDING from the
 *      cache and asking again, as the gateway does.
 * Every broken invariant is __builtin_trap(), so libFuzzer reports it. */
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "dns/rcache.h"
#include "dns/stub.h"
#include "dns/vmap.h"
#include "dns/wire.h"

#define CHECK(c) do { if (!(c)) __builtin_trap(); } while (0)

static uint8_t out[DNS_TCP_MAX], out2[DNS_TCP_MAX];

static int host_char(char c)
{
    return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' || c == '_';
}

/* What DNS_PARSE_OK promises about q. */
static void check_parsed(const struct dns_query *q)
{
    size_t n = strlen(q->qname);
    CHECK(n <= DNS_MAX_NAME_TEXT && strlen(q->name) == n);
    size_t label = 0;
    for (size_t i = 0; i < n; i++) {
        char c = q->name[i], o = q->qname[i];
        /* name is qname lower-cased, and nothing else changed */
        CHECK(c == ((o >= 'A' && o <= 'Z') ? o - 'A' + 'a' : o));
        if (c == '.') {
            CHECK(label > 0);          /* no empty labels, no leading dot */
            label = 0;
        } else {
            CHECK(host_char(c));
            CHECK(++label <= 63);
        }
    }
    CHECK(n == 0 || label > 0);        /* no trailing dot */
    CHECK(q->opcode == 0 && q->rd <= 1 && q->cd <= 1);
    if (q->has_edns) {
        CHECK(q->edns_udp_size >= DNS_UDP_MIN);
        CHECK(dns_udp_limit(q) == q->edns_udp_size);
    } else {
        CHECK(dns_udp_limit(q) == DNS_UDP_MIN);
    }

    /* A reverse name, read back as an address, is the same text again. */
    uint8_t a[16];
    char back[80];
    int fam = dns_reverse_name(q->name, a);
    if (fam == 4) {
        snprintf(back, sizeof(back), "%u.%u.%u.%u.in-addr.arpa", a[3], a[2], a[1], a[0]);
        CHECK(strcmp(back, q->name) == 0);
    } else if (fam == 6) {
        static const char hex[] = "0123456789abcdef";
        char *p = back;
        for (int i = 15; i >= 0; i--) {
            *p++ = hex[a[i] & 15];
            *p++ = '.';
            *p++ = hex[a[i] >> 4];
            *p++ = '.';
        }
        strcpy(p, "ip6.arpa");
        CHECK(strcmp(back, q->name) == 0);
    } else {
        CHECK(fam == 0);
    }

    /* What the builder writes for it parses back to the same question. */
    size_t len = dns_build_response(q, 1, DNS_R_NOERROR, NULL, 0, DNS_TCP_MAX, out, sizeof(out));
    CHECK(len >= DNS_HEADER_LEN);
    out[2] &= 0x7f;                    /* QR off: read it as a query */
    struct dns_query r;
    CHECK(dns_parse_query(out, len, &r) == DNS_PARSE_OK);
    CHECK(r.id == q->id && r.rd == q->rd && r.cd == q->cd);
    CHECK(r.qtype == q->qtype && r.qclass == q->qclass);
    CHECK(strcmp(r.qname, q->qname) == 0);
    CHECK(r.has_edns == q->has_edns);
}

/* What must hold for any response to the input. */
static void check_response(const uint8_t *in, size_t len, enum dns_parse_result pr,
                           const struct dns_query *q, size_t n, int tcp)
{
    CHECK(n <= sizeof(out));
    /* Nothing for a runt or a response; something for everything else. */
    if (len < DNS_HEADER_LEN || (in[2] & 0x80) || pr == DNS_PARSE_DROP) {
        CHECK(n == 0);
        return;
    }
    CHECK(n >= DNS_HEADER_LEN);
    CHECK(out[0] == in[0] && out[1] == in[1]);     /* the id */
    CHECK(out[2] & 0x80);                          /* QR */
    unsigned rcode = out[3] & 0x0f;
    if (pr == DNS_PARSE_FORMERR)
        CHECK(rcode == DNS_R_FORMERR && n <= DNS_UDP_MIN);
    if (pr == DNS_PARSE_NOTIMP)
        CHECK(rcode == DNS_R_NOTIMP && n == DNS_HEADER_LEN);
    if (pr != DNS_PARSE_OK)
        return;
    /* One question, at most one answer, no authority, OPT iff EDNS. */
    CHECK(out[4] == 0 && out[5] == 1);
    CHECK(out[6] == 0 && out[7] <= 1);
    CHECK(out[8] == 0 && out[9] == 0);
    CHECK(out[10] == 0 && out[11] == (q->has_edns ? 1 : 0));
    if (!tcp)
        CHECK(n <= dns_udp_limit(q));
    if (out[2] & 0x02)                             /* TC: no answer */
        CHECK(out[7] == 0);
    if (out[7] == 1)
        CHECK(rcode == DNS_R_NOERROR);
}

static struct vmap *map;
static struct rcache *cache;

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static struct dns_stub st, rst;
    if (map == NULL) {
        map = vmap_new(64);
        cache = rcache_new(64);
        CHECK(map != NULL && cache != NULL);
        st.map = map;
        st.mode = DNS_MODE_MAP;
        rst.map = map;
        rst.mode = DNS_MODE_RESOLVE;
        rst.cache = cache;
    }

    /* 1. the parser alone */
    struct dns_query q;
    enum dns_parse_result pr = dns_parse_query(data, size, &q);
    CHECK(pr == DNS_PARSE_OK || pr == DNS_PARSE_DROP || pr == DNS_PARSE_FORMERR ||
          pr == DNS_PARSE_NOTIMP);
    if (pr != DNS_PARSE_DROP && size >= 2)
        CHECK(q.id == (uint16_t)(data[0] << 8 | data[1]));
    if (pr == DNS_PARSE_OK)
        check_parsed(&q);

    /* 2. map mode, UDP then TCP */
    uint64_t before = st.stats.queries;
    size_t n = dns_stub_answer(&st, data, size, 0, out, sizeof(out));
    check_response(data, size, pr, &q, n, 0);
    CHECK(st.stats.queries == before + 1);
    size_t udp_n = n;
    memcpy(out2, out, n);
    n = dns_stub_answer(&st, data, size, 1, out, sizeof(out));
    check_response(data, size, pr, &q, n, 1);
    /* The name was just used, so it kept its address: an untruncated UDP
     * answer is the TCP answer. */
    if (udp_n > 0 && !(out2[2] & 0x02))
        CHECK(n == udp_n && memcmp(out, out2, n) == 0);

    /* 3. resolve mode: a PENDING is answered from the cache on the retry */
    rst.now_ms += 1000;
    n = dns_stub_answer(&rst, data, size, 0, out, sizeof(out));
    if (n == DNS_STUB_PENDING) {
        CHECK(pr == DNS_PARSE_OK);
        struct rcache_entry e;
        memset(&e, 0, sizeof(e));
        e.rcode = (q.id & 1) ? DNS_R_NOERROR : DNS_R_NXDOMAIN;
        if (rst.need.kind == DNS_NEED_NAME) {
            CHECK(strcmp(rst.need.name, q.name) == 0);
            e.family = (q.id & 2) ? 6 : 4;
            memset(e.addr, 0x5a, sizeof(e.addr));
            rcache_put_name(cache, rst.need.name, &e, rst.now_ms, RCACHE_TTL_S);
        } else {
            CHECK(rst.need.kind == DNS_NEED_ADDR);
            CHECK(rst.need.family == 4 || rst.need.family == 6);
            snprintf(e.name, sizeof(e.name), "%s", q.name[0] != '\0' ? q.name : "x");
            rcache_put_addr(cache, rst.need.family, rst.need.addr, &e, rst.now_ms,
                            RCACHE_TTL_S);
        }
        n = dns_stub_answer(&rst, data, size, 0, out, sizeof(out));
        CHECK(n != DNS_STUB_PENDING);
    }
    check_response(data, size, pr, &q, n, 0);
    return 0;
}
