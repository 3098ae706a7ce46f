/* Unit tests for the stub resolver's policy (dns/stub.c, whose top comment
 * is the spec), through dns_stub_answer with a real map and wire layer.
 * Queries are hand-encoded; every response is decoded and checked for
 * structure before the test looks at its values. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "dns/stub.h"
#include "dns/wire.h"

/* ---- queries -------------------------------------------------------------- */

struct msg {
    uint8_t b[1024];
    size_t n;
    size_t qlen;                    /* question bytes after the header */
};

static void m_u8(struct msg *m, unsigned v)
{
    assert_true(m->n < sizeof(m->b));
    m->b[m->n++] = (uint8_t)v;
}

static void m_u16(struct msg *m, unsigned v)
{
    m_u8(m, (v >> 8) & 0xff);
    m_u8(m, v & 0xff);
}

/* A one-question query; OPT (version edns_ver) if edns_size != 0. */
static void query(struct msg *m, unsigned id, unsigned flags, const char *name, unsigned qtype,
                  unsigned qclass, unsigned edns_size, unsigned edns_ver)
{
    m->n = 0;
    m_u16(m, id);
    m_u16(m, flags);
    m_u16(m, 1);
    m_u16(m, 0);
    m_u16(m, 0);
    m_u16(m, edns_size != 0);
    for (const char *p = name; *p != '\0';) {
        const char *dot = strchr(p, '.');
        size_t l = dot != NULL ? (size_t)(dot - p) : strlen(p);
        m_u8(m, (unsigned)l);
        for (size_t i = 0; i < l; i++)
            m_u8(m, (uint8_t)p[i]);
        p += l + (dot != NULL);
    }
    m_u8(m, 0);
    m_u16(m, qtype);
    m_u16(m, qclass);
    m->qlen = m->n - DNS_HEADER_LEN;
    if (edns_size != 0) {
        m_u8(m, 0);
        m_u16(m, DNS_T_OPT);
        m_u16(m, edns_size);
        m_u8(m, 0);
        m_u8(m, edns_ver);
        m_u16(m, 0);
        m_u16(m, 0);
    }
}

/* ---- responses ------------------------------------------------------------ */

struct resp {
    uint8_t b[70000];
    size_t len;
    unsigned id, rcode, qd, an, ar;   /* rcode: the 12-bit one, OPT included */
    int qr, tc, rd;
    unsigned atype, aclass, ttl, rdlen;
    uint8_t rdata[256];
    char ptr[256];                    /* PTR target as text */
    unsigned opt_size;
};

static unsigned rd16(const uint8_t *p) { return (unsigned)(p[0] << 8 | p[1]); }

/* Decodes the response to m, checking the shape every response must have:
 * the question echoed byte for byte, answers pointing at it, an OPT record
 * exactly when the query had one, nothing after. */
static void decode(struct resp *r, const struct msg *m)
{
    const uint8_t *b = r->b;
    size_t off = DNS_HEADER_LEN;
    assert_true(r->len >= DNS_HEADER_LEN);
    r->id = rd16(b);
    r->qr = b[2] >> 7;
    r->tc = (b[2] >> 1) & 1;
    r->rd = b[2] & 1;
    r->rcode = b[3] & 0x0f;
    r->qd = rd16(b + 4);
    r->an = rd16(b + 6);
    assert_int_equal(rd16(b + 8), 0);
    r->ar = rd16(b + 10);
    assert_int_equal(r->id, rd16(m->b));
    assert_int_equal(r->qr, 1);
    assert_int_equal(b[3] & 0x80, 0x80);     /* RA */
    if (r->qd == 1) {
        assert_true(r->len >= off + m->qlen);
        assert_memory_equal(b + off, m->b + off, m->qlen);
        off += m->qlen;
    } else {
        assert_int_equal(r->qd, 0);
    }
    for (unsigned i = 0; i < r->an; i++) {
        assert_true(r->len >= off + 12);
        assert_int_equal(rd16(b + off), 0xc00c);
        r->atype = rd16(b + off + 2);
        r->aclass = rd16(b + off + 4);
        r->ttl = (unsigned)b[off + 6] << 24 | (unsigned)b[off + 7] << 16 | rd16(b + off + 8);
        r->rdlen = rd16(b + off + 10);
        off += 12;
        assert_true(r->rdlen <= sizeof(r->rdata) && r->len >= off + r->rdlen);
        memcpy(r->rdata, b + off, r->rdlen);
        off += r->rdlen;
    }
    if (r->an > 0 && r->atype == DNS_T_PTR) {
        size_t k = 0, t = 0;
        while (k < r->rdlen && r->rdata[k] != 0) {
            size_t l = r->rdata[k++];
            assert_true(l <= 63 && k + l < r->rdlen);
            if (t > 0)
                r->ptr[t++] = '.';
            memcpy(r->ptr + t, r->rdata + k, l);
            t += l;
            k += l;
        }
        assert_int_equal(k + 1, r->rdlen);
        r->ptr[t] = '\0';
    }
    if (r->ar == 1) {
        assert_true(r->len >= off + 11);
        assert_int_equal(b[off], 0);
        assert_int_equal(rd16(b + off + 1), DNS_T_OPT);
        r->opt_size = rd16(b + off + 3);
        r->rcode |= (unsigned)b[off + 5] << 4;
        assert_int_equal(b[off + 6], 0);       /* version 0 */
        assert_int_equal(rd16(b + off + 9), 0);
        off += 11;
    } else {
        assert_int_equal(r->ar, 0);
    }
    assert_int_equal(off, r->len);
    if (r->qd == 1)     /* a parsed query: OPT iff it had one */
        assert_int_equal(r->ar, rd16(m->b + 10) != 0 && m->n > DNS_HEADER_LEN + m->qlen);
}

/* Sends m through a heap copy of exactly its length; 0 if dropped. */
static size_t send_msg(struct dns_stub *st, const struct msg *m, int tcp, struct resp *r)
{
    uint8_t *copy = malloc(m->n > 0 ? m->n : 1);
    assert_non_null(copy);
    memcpy(copy, m->b, m->n);
    memset(r, 0, sizeof(*r));
    r->len = dns_stub_answer(st, copy, m->n, tcp, r->b, sizeof(r->b));
    free(copy);
    if (r->len > 0)
        decode(r, m);
    return r->len;
}

static unsigned next_id = 0x3000;

/* Asks one question (RD set) and expects a response that carries it. */
static void ask_ex(struct dns_stub *st, const char *name, unsigned qtype, unsigned qclass,
                   unsigned edns_size, unsigned edns_ver, int tcp, struct resp *r)
{
    struct msg m;
    query(&m, next_id++, 0x0100, name, qtype, qclass, edns_size, edns_ver);
    assert_true(send_msg(st, &m, tcp, r) > 0);
    assert_int_equal(r->qd, 1);
    assert_int_equal(r->rd, 1);
}

/* The common case: class IN, no EDNS, over UDP. */
static void ask(struct dns_stub *st, const char *name, unsigned qtype, struct resp *r)
{
    ask_ex(st, name, qtype, DNS_CLASS_IN, 0, 0, 0, r);
}

/* One answer of the type asked, with the stub's TTL. */
static void expect_one(const struct resp *r, unsigned type)
{
    assert_int_equal(r->rcode, DNS_R_NOERROR);
    assert_int_equal(r->an, 1);
    assert_int_equal(r->atype, type);
    assert_int_equal(r->aclass, DNS_CLASS_IN);
    assert_int_equal(r->ttl, DNS_STUB_TTL);
    assert_int_equal(r->rdlen, type == DNS_T_A ? 4 : type == DNS_T_AAAA ? 16 : r->rdlen);
}

static void expect_none(const struct resp *r, unsigned rcode)
{
    assert_int_equal(r->rcode, rcode);
    assert_int_equal(r->an, 0);
}

/* The reverse names of an address. */
static void rev4(char *out, const uint8_t a[4])
{
    sprintf(out, "%u.%u.%u.%u.in-addr.arpa", a[3], a[2], a[1], a[0]);
}

static void rev6(char *out, const uint8_t a[16])
{
    static const char hex[] = "0123456789abcdef";
    for (int i = 15; i >= 0; i--) {
        *out++ = hex[a[i] & 15];
        *out++ = '.';
        *out++ = hex[a[i] >> 4];
        *out++ = '.';
    }
    strcpy(out, "ip6.arpa");
}

/* A fresh stub and map for each test. */
static int setup(void **state)
{
    struct dns_stub *st = calloc(1, sizeof(*st));
    assert_non_null(st);
    st->map = vmap_new(1000);
    assert_non_null(st->map);
    *state = st;
    return 0;
}

static int teardown(void **state)
{
    struct dns_stub *st = *state;
    vmap_free(st->map);
    free(st);
    return 0;
}

/* ---- tests ---------------------------------------------------------------- */

static void test_a_aaaa(void **state)
{
    struct dns_stub *st = *state;
    struct resp r;
    uint8_t v4[4], v6[16];

    ask(st, "web.example", DNS_T_A, &r);
    expect_one(&r, DNS_T_A);
    assert_true(vmap_in_pool(4, r.rdata));
    memcpy(v4, r.rdata, 4);
    ask(st, "web.example", DNS_T_AAAA, &r);
    expect_one(&r, DNS_T_AAAA);
    assert_true(vmap_in_pool(6, r.rdata));
    memcpy(v6, r.rdata, 16);

    /* Another case, same name (DNS 0x20): same addresses, its own case
     * echoed (decode() compares the question bytes). */
    ask(st, "Web.Example", DNS_T_A, &r);
    expect_one(&r, DNS_T_A);
    assert_memory_equal(r.rdata, v4, 4);
    ask(st, "WEB.EXAMPLE", DNS_T_AAAA, &r);
    assert_memory_equal(r.rdata, v6, 16);
    assert_int_equal(vmap_count(st->map), 1);

    /* Another name, other addresses. */
    ask(st, "other.example", DNS_T_A, &r);
    expect_one(&r, DNS_T_A);
    assert_memory_not_equal(r.rdata, v4, 4);
    assert_int_equal(vmap_count(st->map), 2);
    assert_int_equal(st->stats.answered, 5);
}

static void test_ptr(void **state)
{
    struct dns_stub *st = *state;
    struct resp r;
    char rn[128];
    uint8_t v4[4], v6[16];

    ask(st, "Web.Example", DNS_T_A, &r);
    memcpy(v4, r.rdata, 4);
    ask(st, "web.example", DNS_T_AAAA, &r);
    memcpy(v6, r.rdata, 16);

    rev4(rn, v4);
    ask(st, rn, DNS_T_PTR, &r);
    expect_one(&r, DNS_T_PTR);
    assert_string_equal(r.ptr, "web.example");
    rev6(rn, v6);
    ask(st, rn, DNS_T_PTR, &r);
    expect_one(&r, DNS_T_PTR);
    assert_string_equal(r.ptr, "web.example");

    /* Any other address: nothing can be looked up without leaving Tor. */
    ask(st, "8.8.8.8.in-addr.arpa", DNS_T_PTR, &r);
    expect_none(&r, DNS_R_NXDOMAIN);
    static const uint8_t unused[4] = { 198, 19, 1, 1 };
    rev4(rn, unused);
    ask(st, rn, DNS_T_PTR, &r);
    expect_none(&r, DNS_R_NXDOMAIN);

    /* Loopback: localhost. */
    ask(st, "1.0.0.127.in-addr.arpa", DNS_T_PTR, &r);
    expect_one(&r, DNS_T_PTR);
    assert_string_equal(r.ptr, "localhost");
    static const uint8_t lo6[16] = { [15] = 1 };
    rev6(rn, lo6);
    ask(st, rn, DNS_T_PTR, &r);
    expect_one(&r, DNS_T_PTR);
    assert_string_equal(r.ptr, "localhost");
    assert_int_equal(vmap_count(st->map), 1);    /* PTR never assigns */
}

static void test_localhost(void **state)
{
    struct dns_stub *st = *state;
    struct resp r;
    static const char *const names[] = { "localhost", "foo.localhost", "LocalHost",
                                         "a.b.LOCALHOST" };
    static const uint8_t lo6[16] = { [15] = 1 };
    for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
        ask(st, names[i], DNS_T_A, &r);
        expect_one(&r, DNS_T_A);
        assert_memory_equal(r.rdata, "\177\0\0\1", 4);
        ask(st, names[i], DNS_T_AAAA, &r);
        expect_one(&r, DNS_T_AAAA);
        assert_memory_equal(r.rdata, lo6, 16);
    }
    /* Never a trip to Tor, so never a virtual address. */
    assert_int_equal(vmap_count(st->map), 0);
    /* Not localhost: a name merely ending in the letters. */
    ask(st, "notlocalhost", DNS_T_A, &r);
    expect_one(&r, DNS_T_A);
    assert_true(vmap_in_pool(4, r.rdata));
}

static void test_nodata_types(void **state)
{
    struct dns_stub *st = *state;
    struct resp r;
    static const unsigned types[] = { DNS_T_HTTPS, DNS_T_SVCB, DNS_T_MX, DNS_T_TXT, DNS_T_SRV,
                                      DNS_T_NS, DNS_T_SOA, DNS_T_CNAME, 257 /* CAA */, 99 };
    for (size_t i = 0; i < sizeof(types) / sizeof(types[0]); i++) {
        ask(st, "web.example", types[i], &r);
        expect_none(&r, DNS_R_NOERROR);
        /* And so for localhost (it exists; it just has no such data). */
        ask(st, "localhost", types[i], &r);
        expect_none(&r, DNS_R_NOERROR);
    }
    assert_int_equal(st->stats.nodata, 20);
    assert_int_equal(st->stats.nxdomain, 0);
    assert_int_equal(vmap_count(st->map), 0);
}

static void test_notimp(void **state)
{
    struct dns_stub *st = *state;
    struct resp r;
    static const unsigned types[] = { DNS_T_ANY, DNS_T_AXFR, DNS_T_IXFR };
    for (size_t i = 0; i < 3; i++) {
        ask(st, "web.example", types[i], &r);
        expect_none(&r, DNS_R_NOTIMP);
    }
    /* Class CH (version.bind and the like), and HS. */
    ask_ex(st, "version.bind", DNS_T_TXT, 3, 0, 0, 0, &r);
    expect_none(&r, DNS_R_NOTIMP);
    ask_ex(st, "web.example", DNS_T_A, 4, 0, 0, 0, &r);
    expect_none(&r, DNS_R_NOTIMP);
    assert_int_equal(st->stats.notimp, 5);
    assert_int_equal(vmap_count(st->map), 0);

    /* Opcode STATUS: NOTIMP without a question, the opcode echoed. */
    struct msg m;
    query(&m, 0x5555, 2 << 11, "web.example", DNS_T_A, DNS_CLASS_IN, 0, 0);
    assert_true(send_msg(st, &m, 0, &r) > 0);
    assert_int_equal(r.rcode, DNS_R_NOTIMP);
    assert_int_equal(r.qd, 0);
    assert_int_equal((r.b[2] >> 3) & 0x0f, 2);
    assert_int_equal(st->stats.notimp, 6);
}

static void test_badvers(void **state)
{
    struct dns_stub *st = *state;
    struct resp r;
    ask_ex(st, "web.example", DNS_T_A, DNS_CLASS_IN, 1232, 1, 0, &r);
    expect_none(&r, DNS_R_BADVERS);       /* 16: 0 in the header, 1 in the OPT */
    assert_int_equal(r.b[3] & 0x0f, 0);
    assert_int_equal(r.ar, 1);
    assert_int_equal(vmap_count(st->map), 0);

    /* Version 0 gets the answer and an OPT advertising 1232. */
    ask_ex(st, "web.example", DNS_T_A, DNS_CLASS_IN, 4096, 0, 0, &r);
    expect_one(&r, DNS_T_A);
    assert_int_equal(r.ar, 1);
    assert_int_equal(r.opt_size, DNS_EDNS_UDP_SIZE);
}

/* A real v3 address: base32(pubkey 00..1f | SHA3 checksum | 0x03). */
#define ONION "aaaqeayeaudaocajbifqydiob4ibceqtcqkrmfyydenbwha5dyp3kead"
/* The same key with version 2 (checksum recomputed for it). */
#define ONION_V2BYTE "aaaqeayeaudaocajbifqydiob4ibceqtcqkrmfyydenbwha5dyprozyc"

static void test_onion(void **state)
{
    struct dns_stub *st = *state;
    struct resp r;
    uint8_t bare[4];
    assert_int_equal(strlen(ONION), 56);

    ask(st, ONION ".onion", DNS_T_A, &r);
    expect_one(&r, DNS_T_A);
    assert_true(vmap_in_pool(4, r.rdata));
    memcpy(bare, r.rdata, 4);
    ask(st, "www." ONION ".onion", DNS_T_AAAA, &r);
    expect_one(&r, DNS_T_AAAA);
    ask(st, "2gzyxa5ihm7nsggfxnu52rck2vv4rvmdlkiu3zzui5du4xyclen53wid.onion", DNS_T_A, &r);
    expect_one(&r, DNS_T_A);
    /* Names are lower-cased, so an upper-case onion is the same one. */
    char upper[80];
    snprintf(upper, sizeof(upper), "%s.ONION", ONION);
    for (char *p = upper; *p != '.'; p++)
        if (*p >= 'a' && *p <= 'z')
            *p = (char)(*p - 'a' + 'A');
    ask(st, upper, DNS_T_A, &r);
    expect_one(&r, DNS_T_A);
    assert_memory_equal(r.rdata, bare, 4);
    ask(st, ONION ".onion", DNS_T_MX, &r);     /* well-formed: NODATA */
    expect_none(&r, DNS_R_NOERROR);
    size_t mapped = vmap_count(st->map);
    assert_int_equal(mapped, 3);

    /* Malformed: Tor could only refuse them. */
    char bad[8][80];
    snprintf(bad[0], 80, "%.55s.onion", ONION);                     /* 55 chars */
    snprintf(bad[1], 80, "%sa.onion", ONION);                       /* 57 chars */
    snprintf(bad[2], 80, "%s.onion", ONION_V2BYTE);                 /* version 2 */
    snprintf(bad[3], 80, "expyuzz4wqqyqhjn.onion");                 /* a v2 name */
    snprintf(bad[4], 80, "www.%.20s1%s.onion", ONION, ONION + 21);  /* '1' */
    snprintf(bad[5], 80, "%.30s8%s.onion", ONION, ONION + 31);      /* '8' */
    snprintf(bad[6], 80, "onion");
    snprintf(bad[7], 80, "%.30s-%s.onion", ONION, ONION + 31);      /* '-' */
    for (size_t i = 0; i < 8; i++) {
        ask(st, bad[i], DNS_T_A, &r);
        expect_none(&r, DNS_R_NXDOMAIN);
        ask(st, bad[i], DNS_T_AAAA, &r);
        expect_none(&r, DNS_R_NXDOMAIN);
        ask(st, bad[i], DNS_T_MX, &r);
        expect_none(&r, DNS_R_NXDOMAIN);
    }
    assert_int_equal(vmap_count(st->map), mapped);
    assert_int_equal(st->stats.nxdomain, 24);

    assert_int_equal(dns_onion_valid(ONION ".onion"), 1);
    assert_int_equal(dns_onion_valid(bad[2]), 0);
    assert_int_equal(dns_is_onion("x.onion"), 1);
    assert_int_equal(dns_is_onion("xonion"), 0);
}

static void test_unresolvable(void **state)
{
    struct dns_stub *st = *state;
    struct resp r;
    static const char *const names[] = { "local", "x.local", "a.b.local", "invalid",
                                         "x.invalid" };
    for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
        ask(st, names[i], DNS_T_A, &r);
        expect_none(&r, DNS_R_NXDOMAIN);
        ask(st, names[i], DNS_T_AAAA, &r);
        expect_none(&r, DNS_R_NXDOMAIN);
        ask(st, names[i], DNS_T_HTTPS, &r);
        expect_none(&r, DNS_R_NXDOMAIN);
    }
    assert_int_equal(vmap_count(st->map), 0);
    /* Names that only look alike are ordinary names. */
    ask(st, "notlocal", DNS_T_A, &r);
    expect_one(&r, DNS_T_A);
    ask(st, "local.example", DNS_T_A, &r);
    expect_one(&r, DNS_T_A);
}

/* "x.local" with a one-octet NUL label after it: the parser must refuse it
 * (FORMERR). Read as "x.local." it escapes the .local check and is mapped,
 * so the name would go to Tor at connect time (see test_dns_wire.c). */
static void test_nul_label(void **state)
{
    struct dns_stub *st = *state;
    static const uint8_t q[] = { 0x44, 0x44, 0x01, 0x00, 0, 1, 0, 0, 0, 0, 0, 0,
                                 1, 'x', 5, 'l', 'o', 'c', 'a', 'l', 1, 0, 0, 0, 1, 0, 1 };
    static uint8_t out[512];
    /* Not through send_msg(): its echo check would fail first, and less
     * clearly (the echo drops the NUL label). */
    size_t n = dns_stub_answer(st, q, sizeof(q), 0, out, sizeof(out));
    assert_true(n >= DNS_HEADER_LEN);
    assert_int_equal(out[0], 0x44);
    if ((out[3] & 0x0f) != DNS_R_FORMERR)
        fail_msg("NUL label: rcode %u, %u answers, %zu names mapped; want FORMERR",
                 out[3] & 0x0f, out[7], vmap_count(st->map));
    assert_int_equal(vmap_count(st->map), 0);
}

static void test_counters(void **state)
{
    struct dns_stub *st = *state;
    struct msg m;
    struct resp r;

    /* A response (QR=1) and a runt: no answer at all. */
    query(&m, 1, 0x8100, "web.example", DNS_T_A, DNS_CLASS_IN, 0, 0);
    assert_int_equal(send_msg(st, &m, 0, &r), 0);
    query(&m, 2, 0x0100, "web.example", DNS_T_A, DNS_CLASS_IN, 0, 0);
    m.n = 11;
    assert_int_equal(send_msg(st, &m, 0, &r), 0);
    assert_int_equal(send_msg(st, &m, 1, &r), 0);
    assert_int_equal(st->stats.dropped, 3);

    /* Malformed: FORMERR without a question, the id echoed. */
    query(&m, 0x0bad, 0x0100, "web.example", DNS_T_A, DNS_CLASS_IN, 0, 0);
    m.n -= 1;                                   /* qclass cut short */
    assert_true(send_msg(st, &m, 0, &r) > 0);
    assert_int_equal(r.rcode, DNS_R_FORMERR);
    assert_int_equal(r.qd, 0);
    assert_int_equal(r.an, 0);
    assert_int_equal(r.id, 0x0bad);
    m.b[5] = 0;                                 /* QDCOUNT 0 */
    assert_true(send_msg(st, &m, 1, &r) > 0);
    assert_int_equal(r.rcode, DNS_R_FORMERR);
    assert_int_equal(st->stats.formerr, 2);

    query(&m, 3, 5 << 11, "web.example", DNS_T_A, DNS_CLASS_IN, 0, 0);  /* UPDATE */
    assert_true(send_msg(st, &m, 0, &r) > 0);
    assert_int_equal(st->stats.notimp, 1);

    assert_int_equal(st->stats.queries, 6);
    assert_int_equal(st->stats.dropped, 3);
    assert_int_equal(st->stats.formerr, 2);
    assert_int_equal(st->stats.nxdomain + st->stats.nodata, 0);
    /* None of those had a parsed question: no type counted. */
    for (int k = 0; k < 8; k++)
        assert_int_equal(st->stats.by_type[k], 0);
    assert_int_equal(vmap_count(st->map), 0);
}

static void test_by_type(void **state)
{
    struct dns_stub *st = *state;
    struct resp r;
    static const struct { unsigned type; int slot; } asks[] = {
        { DNS_T_A, 0 }, { DNS_T_A, 0 }, { DNS_T_AAAA, 1 }, { DNS_T_PTR, 2 },
        { DNS_T_HTTPS, 3 }, { DNS_T_SVCB, 3 }, { DNS_T_HTTPS, 3 }, { DNS_T_MX, 4 },
        { DNS_T_TXT, 5 }, { DNS_T_SRV, 6 }, { DNS_T_NS, 7 }, { DNS_T_ANY, 7 }, { 257, 7 },
    };
    uint64_t want[8] = { 0 };
    for (size_t i = 0; i < sizeof(asks) / sizeof(asks[0]); i++) {
        ask(st, asks[i].type == DNS_T_PTR ? "8.8.8.8.in-addr.arpa" : "web.example",
            asks[i].type, &r);
        want[asks[i].slot]++;
    }
    assert_memory_equal(st->stats.by_type, want, sizeof(want));
    assert_int_equal(st->stats.queries, sizeof(asks) / sizeof(asks[0]));
}

/* The longest name (253 characters) and its PTR answer, the largest
 * response the stub can give: 12 + 74 + 4 + 12 + 255 + 11 = 368 octets.
 * It fits the smallest UDP limit, so neither transport truncates. */
static void test_udp_tcp_limits(void **state)
{
    struct dns_stub *st = *state;
    struct resp r, rt;
    char name[256], rn[128];
    memset(name, 'a', 253);
    name[63] = name[127] = name[191] = '.';
    name[253] = '\0';

    ask_ex(st, name, DNS_T_AAAA, DNS_CLASS_IN, 512, 0, 0, &r);
    expect_one(&r, DNS_T_AAAA);
    assert_int_equal(r.len, 12 + 259 + 28 + 11);
    assert_int_equal(r.tc, 0);
    rev6(rn, r.rdata);

    for (int edns = 0; edns < 2; edns++) {
        struct msg m;
        query(&m, 0x7777, 0x0100, rn, DNS_T_PTR, DNS_CLASS_IN, edns ? 512 : 0, 0);
        assert_true(send_msg(st, &m, 0, &r) > 0);
        expect_one(&r, DNS_T_PTR);
        assert_string_equal(r.ptr, name);
        assert_int_equal(r.tc, 0);
        assert_int_equal(r.len, 12 + 78 + 12 + 255 + (edns ? 11 : 0));
        assert_true(r.len <= DNS_UDP_MIN);
        /* Over TCP: the same bytes. */
        assert_true(send_msg(st, &m, 1, &rt) > 0);
        assert_int_equal(rt.len, r.len);
        assert_memory_equal(rt.b, r.b, r.len);
    }
    assert_int_equal(st->stats.truncated, 0);
}

int main(void)
{
#define T(f) cmocka_unit_test_setup_teardown(f, setup, teardown)
    const struct CMUnitTest tests[] = {
        T(test_a_aaaa),     T(test_ptr),      T(test_localhost), T(test_nodata_types),
        T(test_notimp),     T(test_badvers),  T(test_onion),     T(test_unresolvable),
        T(test_nul_label),  T(test_counters),   T(test_by_type),  T(test_udp_tcp_limits),
    };
#undef T
    return cmocka_run_group_tests(tests, NULL, NULL);
}
