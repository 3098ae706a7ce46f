/* Unit tests for the DNS wire layer (dns/wire.c): query parsing, response
 * building, reverse names. Queries are built by hand, byte by byte, so the
 * tests share no encoding code with the unit under test. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "wire.h"

/* ---- a hand-made message ------------------------------------------------ */

struct msg {
    uint8_t b[1024];
    size_t n;
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

static void m_raw(struct msg *m, const void *p, size_t n)
{
    assert_true(m->n + n <= sizeof(m->b));
    memcpy(m->b + m->n, p, n);
    m->n += n;
}

/* Dotted text to uncompressed labels; "" is the root. */
static void m_name(struct msg *m, const char *dotted)
{
    for (const char *p = dotted; *p != '\0';) {
        const char *dot = strchr(p, '.');
        size_t l = dot != NULL ? (size_t)(dot - p) : strlen(p);
        m_u8(m, (unsigned)l);
        m_raw(m, p, l);
        p += l + (dot != NULL);
    }
    m_u8(m, 0);
}

static void m_header(struct msg *m, unsigned id, unsigned flags, unsigned qd, unsigned an,
                     unsigned ns, unsigned ar)
{
    const unsigned f[6] = { id, flags, qd, an, ns, ar };
    m->n = 0;
    for (int i = 0; i < 6; i++)
        m_u16(m, f[i]);
}

/* A resource record: raw owner name, type, class, TTL, rdata. */
static void m_rr_ttl(struct msg *m, const void *owner, size_t on, unsigned type, unsigned cls,
                     unsigned long ttl, const void *rdata, size_t rdlen)
{
    m_raw(m, owner, on);
    m_u16(m, type);
    m_u16(m, cls);
    m_u16(m, (unsigned)(ttl >> 16));
    m_u16(m, (unsigned)(ttl & 0xffff));
    m_u16(m, (unsigned)rdlen);
    m_raw(m, rdata, rdlen);
}
#define m_rr(m, owner, on, type, cls, rdata, rdlen) m_rr_ttl(m, owner, on, type, cls, 60, rdata, rdlen)

/* An OPT record owned by the root: class = UDP size, TTL = ext-rcode 0 |
 * version | flags (DO is the top bit). */
static void m_opt(struct msg *m, unsigned size, unsigned version, unsigned flags)
{
    m_rr_ttl(m, "", 1, DNS_T_OPT, size, (unsigned long)version << 16 | flags, "", 0);
}

#define F_RD 0x0100
#define F_CD 0x0010
#define DO_BIT 0x8000

/* A one-question query, with an OPT record if edns_size != 0. */
static void query(struct msg *m, unsigned id, unsigned flags, const char *name, unsigned qtype,
                  unsigned qclass, unsigned edns_size)
{
    m_header(m, id, flags, 1, 0, 0, edns_size != 0);
    m_name(m, name);
    m_u16(m, qtype);
    m_u16(m, qclass);
    if (edns_size != 0)
        m_opt(m, edns_size, 0, 0);
}

/* Header with the given counts and the question "a.example" A IN. */
static void q_counts(struct msg *m, unsigned an, unsigned ns, unsigned ar)
{
    m_header(m, 3, 0, 1, an, ns, ar);
    m_name(m, "a.example");
    m_u16(m, DNS_T_A);
    m_u16(m, DNS_CLASS_IN);
}

/* A question A IN whose name is the raw wire bytes given. */
static void raw_question(struct msg *m, const void *name, size_t n)
{
    m_header(m, 0x5151, 0, 1, 0, 0, 0);
    m_raw(m, name, n);
    m_u16(m, DNS_T_A);
    m_u16(m, DNS_CLASS_IN);
}

/* Parses through a heap copy of exactly len bytes, so ASan flags any read
 * past the message. */
static enum dns_parse_result parse(const uint8_t *b, size_t len, struct dns_query *q)
{
    uint8_t *copy = malloc(len > 0 ? len : 1);
    assert_non_null(copy);
    if (len > 0)
        memcpy(copy, b, len);
    enum dns_parse_result r = dns_parse_query(copy, len, q);
    free(copy);
    return r;
}

static enum dns_parse_result parse_msg(const struct msg *m, struct dns_query *q)
{
    return parse(m->b, m->n, q);
}

/* Wire names from string literals (sizeof, since they may hold NULs). */
struct wire { const char *s; size_t n; };
#define W(lit) { lit, sizeof(lit) - 1 }

/* "aaa.bbb..." labels of the given lengths. */
static void long_name(char *out, const int *lens, int n)
{
    char *p = out;
    for (int i = 0; i < n; i++) {
        if (i > 0)
            *p++ = '.';
        memset(p, 'a' + i, (size_t)lens[i]);
        p += lens[i];
    }
    *p = '\0';
}

/* ---- parsing ------------------------------------------------------------ */

static void test_parse_plain_a(void **state)
{
    (void)state;
    struct msg m;
    struct dns_query q;
    query(&m, 0xbeef, F_RD | F_CD, "WeB.ExAmple", DNS_T_A, DNS_CLASS_IN, 0);
    assert_int_equal(parse_msg(&m, &q), DNS_PARSE_OK);
    assert_int_equal(q.id, 0xbeef);
    assert_int_equal(q.opcode, 0);
    assert_int_equal(q.rd, 1);
    assert_int_equal(q.cd, 1);
    assert_int_equal(q.qtype, DNS_T_A);
    assert_int_equal(q.qclass, DNS_CLASS_IN);
    assert_string_equal(q.name, "web.example");    /* lower case for lookups */
    assert_string_equal(q.qname, "WeB.ExAmple");   /* as asked, for the DNS 0x20 echo */
    assert_int_equal(q.has_edns, 0);

    /* Flags off read as off; '_' and '-' are hostname characters; other
     * types and classes are kept for the policy to judge. */
    query(&m, 1, 0, "x_y-z.example", DNS_T_HTTPS, 3, 0);
    assert_int_equal(parse_msg(&m, &q), DNS_PARSE_OK);
    assert_int_equal(q.rd, 0);
    assert_int_equal(q.cd, 0);
    assert_int_equal(q.qtype, DNS_T_HTTPS);
    assert_int_equal(q.qclass, 3);
    assert_string_equal(q.name, "x_y-z.example");
}

static void test_parse_root(void **state)
{
    (void)state;
    struct msg m;
    struct dns_query q;
    query(&m, 7, F_RD, "", DNS_T_NS, DNS_CLASS_IN, 0);
    assert_int_equal(m.n, 12 + 1 + 4);
    assert_int_equal(parse_msg(&m, &q), DNS_PARSE_OK);
    assert_string_equal(q.name, "");
    assert_string_equal(q.qname, "");
    assert_int_equal(q.qtype, DNS_T_NS);
}

static void test_parse_drop(void **state)
{
    (void)state;
    struct msg m;
    struct dns_query q;
    /* QR=1: a response; answering it could start a loop between resolvers. */
    query(&m, 9, 0x8000 | F_RD, "a.example", DNS_T_A, DNS_CLASS_IN, 0);
    assert_int_equal(parse_msg(&m, &q), DNS_PARSE_DROP);
    /* Shorter than a header: not even an id to answer with. */
    query(&m, 9, F_RD, "a.example", DNS_T_A, DNS_CLASS_IN, 0);
    assert_int_equal(parse(m.b, 11, &q), DNS_PARSE_DROP);
    assert_int_equal(parse(m.b, 0, &q), DNS_PARSE_DROP);
}

static void test_parse_notimp_opcodes(void **state)
{
    (void)state;
    struct msg m;
    struct dns_query q;
    static const unsigned opcodes[] = { 1, 2, 4, 5, 15 };
    for (size_t i = 0; i < sizeof(opcodes) / sizeof(opcodes[0]); i++) {
        query(&m, 0x4242, (opcodes[i] << 11) | F_RD, "a.example", DNS_T_A, DNS_CLASS_IN, 0);
        assert_int_equal(parse_msg(&m, &q), DNS_PARSE_NOTIMP);
        assert_int_equal(q.id, 0x4242);
        assert_int_equal(q.opcode, opcodes[i]);
    }
}

static void test_parse_qdcount(void **state)
{
    (void)state;
    struct msg m;
    struct dns_query q;
    m_header(&m, 0x1111, 0, 0, 0, 0, 0);
    assert_int_equal(parse_msg(&m, &q), DNS_PARSE_FORMERR);
    assert_int_equal(q.id, 0x1111);

    query(&m, 0x2222, 0, "a.example", DNS_T_A, DNS_CLASS_IN, 0);
    m.b[5] = 2;                                 /* and a second question */
    m_name(&m, "b.example");
    m_u16(&m, DNS_T_A);
    m_u16(&m, DNS_CLASS_IN);
    assert_int_equal(parse_msg(&m, &q), DNS_PARSE_FORMERR);
    assert_int_equal(q.id, 0x2222);
}

static void test_parse_truncated(void **state)
{
    (void)state;
    struct msg m;
    struct dns_query q;
    query(&m, 1, 0, "abc.example", DNS_T_A, DNS_CLASS_IN, 0);
    size_t full = m.n;                  /* 12 + 13 + 4 */
    assert_int_equal(full, 29);
    assert_int_equal(parse(m.b, full, &q), DNS_PARSE_OK);
    /* Every proper prefix that still has the header is malformed: inside a
     * label, before the root byte, inside qtype, inside qclass. */
    for (size_t len = DNS_HEADER_LEN; len < full; len++)
        assert_int_equal(parse(m.b, len, &q), DNS_PARSE_FORMERR);
}

static void test_parse_reserved_label_types(void **state)
{
    (void)state;
    static const uint8_t kinds[] = { 0x40, 0x80, 0x7f, 0xbf };
    uint8_t name[80];
    struct msg m;
    struct dns_query q;
    for (size_t i = 0; i < sizeof(kinds); i++) {
        /* As the first label, and after a good one; 70 octets follow, so a
         * length read as 64 or 63 would still find them. */
        for (size_t at = 0; at <= 4; at += 4) {
            memcpy(name, "\003abc", 4);
            name[at] = kinds[i];
            memset(name + at + 1, 'a', 70);
            name[at + 71] = 0;
            raw_question(&m, name, at + 72);
            assert_int_equal(parse_msg(&m, &q), DNS_PARSE_FORMERR);
        }
    }
}

static void test_parse_name_lengths(void **state)
{
    (void)state;
    struct msg m;
    struct dns_query q;
    char name[400];

    /* The longest label, 63 octets (a 64th is only expressible as 0x40). */
    static const int l63[] = { 63, 7 };
    long_name(name, l63, 2);
    query(&m, 1, 0, name, DNS_T_A, DNS_CLASS_IN, 0);
    assert_int_equal(parse_msg(&m, &q), DNS_PARSE_OK);
    assert_string_equal(q.name, name);

    /* 255 wire octets: 3 x (1+63) + (1+61) + 1; as text 253 characters. */
    static const int l255[] = { 63, 63, 63, 61 };
    long_name(name, l255, 4);
    query(&m, 1, 0, name, DNS_T_A, DNS_CLASS_IN, 0);
    assert_int_equal(m.n, 12 + 255 + 4);
    assert_int_equal(parse_msg(&m, &q), DNS_PARSE_OK);
    assert_int_equal(strlen(q.name), 253);
    assert_string_equal(q.name, name);

    /* 256 octets (RFC 1035 2.3.4: at most 255). */
    static const int l256[] = { 63, 63, 63, 62 };
    long_name(name, l256, 4);
    query(&m, 1, 0, name, DNS_T_A, DNS_CLASS_IN, 0);
    assert_int_equal(m.n, 12 + 256 + 4);
    assert_int_equal(parse_msg(&m, &q), DNS_PARSE_FORMERR);

    /* 257 and far more: 4 and 5 full labels. */
    static const int l5[] = { 63, 63, 63, 63, 63 };
    for (int k = 4; k <= 5; k++) {
        long_name(name, l5, k);
        query(&m, 1, 0, name, DNS_T_A, DNS_CLASS_IN, 0);
        assert_int_equal(parse_msg(&m, &q), DNS_PARSE_FORMERR);
    }

    /* Many short labels: 127 x "a" is 255 wire octets; 128 is 257. */
    for (int i = 0; i < 127; i++)
        memcpy(name + 2 * i, "a.", 2);
    name[253] = '\0';
    query(&m, 1, 0, name, DNS_T_A, DNS_CLASS_IN, 0);
    assert_int_equal(parse_msg(&m, &q), DNS_PARSE_OK);
    assert_int_equal(strlen(q.name), 253);
    strcat(name, ".a");
    query(&m, 1, 0, name, DNS_T_A, DNS_CLASS_IN, 0);
    assert_int_equal(parse_msg(&m, &q), DNS_PARSE_FORMERR);
}

static void test_parse_pointers(void **state)
{
    (void)state;
    static const struct wire bad[] = {
        W("\xc0\xff"), W("\xff\xff"),   /* forward, past the end */
        W("\xc0\x0c"),                  /* itself */
        W("\xc0\x0e\xc0\x0c"),          /* 12 -> 14 -> 12 (the second doubles as qtype) */
        W("\001a\xc0\x0c"),             /* a label, then back: "a.a.a..." for ever */
    };
    struct msg m;
    struct dns_query q;
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        raw_question(&m, bad[i].s, bad[i].n);
        assert_int_equal(parse_msg(&m, &q), DNS_PARSE_FORMERR);
    }
    /* A pointer as the very last byte, its second octet missing. */
    m_header(&m, 1, 0, 1, 0, 0, 0);
    m_u8(&m, 0xc0);
    assert_int_equal(parse_msg(&m, &q), DNS_PARSE_FORMERR);

    /* Into the header: offset 4 is QDCOUNT's high octet, 0: the root. */
    raw_question(&m, "\xc0\x04", 2);
    assert_int_equal(parse_msg(&m, &q), DNS_PARSE_OK);
    assert_string_equal(q.name, "");
    assert_int_equal(q.qtype, DNS_T_A);
    /* Offset 0: whatever the id and flags spell. Valid wire; only a defined
     * result is required. */
    for (unsigned id = 0; id < 0x400; id += 0x33) {
        raw_question(&m, "\xc0\x00", 2);
        m.b[0] = (uint8_t)(id >> 8);
        m.b[1] = (uint8_t)id;
        enum dns_parse_result r = parse_msg(&m, &q);
        assert_true(r == DNS_PARSE_OK || r == DNS_PARSE_FORMERR);
        if (r == DNS_PARSE_OK)
            assert_int_equal(q.qtype, DNS_T_A);
    }
}

static void test_parse_bad_characters(void **state)
{
    (void)state;
    static const struct wire bad[] = {
        W("\003a b\007example\0"), W("\001*\007example\0"), W("\003a\\b\007example\0"),
        W("\003a.b\007example\0"),        /* a dot inside one label */
        W("\003a\0b\007example\0"),       /* NUL inside a label */
        W("\003a\303b\007example\0"),     /* non-ASCII */
        W("\003a\"b\007example\0"), W("\003a@b\007example\0"), W("\001\n\007example\0"),
    };
    struct msg m;
    struct dns_query q;
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        raw_question(&m, bad[i].s, bad[i].n);
        assert_int_equal(parse_msg(&m, &q), DNS_PARSE_FORMERR);
    }
}

/* A one-octet label holding a NUL byte. c-ares 1.18 copies that byte into
 * its text unescaped (every other NUL is written "\000"), so the C string
 * ends there: "\001\000\007example" reads as the root "", and
 * "\001x\005local\001\000" as "x.local." (trailing dot), which escapes the
 * .local check in the stub. A NUL is not a hostname character: FORMERR. */
static void test_parse_nul_label(void **state)
{
    (void)state;
    static const struct wire bad[] = {
        W("\001\0\0"),                       /* alone: would read as the root */
        W("\001\0\007example\0"),            /* first: the rest is lost */
        W("\007example\001\0\0"),            /* last: "example." */
        W("\001a\001\0\001b\0"),             /* between: "a." */
        W("\001x\005local\001\0\0"),         /* "x.local." */
    };
    struct msg m;
    struct dns_query q;
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        raw_question(&m, bad[i].s, bad[i].n);
        enum dns_parse_result r = parse_msg(&m, &q);
        if (r != DNS_PARSE_FORMERR)
            fail_msg("case %zu: a NUL label parsed as %d, name \"%s\"; want FORMERR", i,
                     (int)r, q.name);
    }
}

static void test_parse_edns(void **state)
{
    (void)state;
    struct msg m;
    struct dns_query q;

    q_counts(&m, 0, 0, 1);
    m_opt(&m, 4096, 0, DO_BIT);
    assert_int_equal(parse_msg(&m, &q), DNS_PARSE_OK);
    assert_int_equal(q.has_edns, 1);
    assert_int_equal(q.edns_udp_size, 4096);
    assert_int_equal(q.edns_version, 0);
    assert_int_equal(q.edns_do, 1);
    assert_int_equal(dns_udp_limit(&q), 4096);

    /* Sizes below 512 are taken as 512 (RFC 6891 6.2.5); version kept. */
    q_counts(&m, 0, 0, 1);
    m_opt(&m, 100, 1, 0);
    assert_int_equal(parse_msg(&m, &q), DNS_PARSE_OK);
    assert_int_equal(q.has_edns, 1);
    assert_int_equal(q.edns_udp_size, 512);
    assert_int_equal(q.edns_version, 1);
    assert_int_equal(q.edns_do, 0);
    assert_int_equal(dns_udp_limit(&q), 512);

    /* An OPT with options (rdata) is still EDNS; the options are skipped. */
    q_counts(&m, 0, 0, 1);
    m_rr(&m, "", 1, DNS_T_OPT, 1232, "\000\012\000\004abcd", 8);   /* a COOKIE */
    assert_int_equal(parse_msg(&m, &q), DNS_PARSE_OK);
    assert_int_equal(q.edns_udp_size, 1232);

    query(&m, 3, 0, "a.example", DNS_T_A, DNS_CLASS_IN, 0);
    assert_int_equal(parse_msg(&m, &q), DNS_PARSE_OK);
    assert_int_equal(dns_udp_limit(&q), DNS_UDP_MIN);
}

static void test_parse_edns_malformed(void **state)
{
    (void)state;
    struct msg m;
    struct dns_query q;

    /* Two OPT records (RFC 6891 6.1.1). */
    q_counts(&m, 0, 0, 2);
    m_opt(&m, 1232, 0, 0);
    m_opt(&m, 1232, 0, 0);
    assert_int_equal(parse_msg(&m, &q), DNS_PARSE_FORMERR);
    assert_int_equal(q.id, 3);

    /* OPT owned by a name other than the root. */
    q_counts(&m, 0, 0, 1);
    m_rr(&m, "\001x\0", 3, DNS_T_OPT, 1232, "", 0);
    assert_int_equal(parse_msg(&m, &q), DNS_PARSE_FORMERR);

    /* An additional record whose rdata runs past the end ... */
    q_counts(&m, 0, 0, 1);
    m_rr(&m, "", 1, DNS_T_OPT, 1232, "abcde", 5);
    assert_int_equal(parse(m.b, m.n - 1, &q), DNS_PARSE_FORMERR);
    /* ... and one that ends exactly at the end is fine. */
    assert_int_equal(parse_msg(&m, &q), DNS_PARSE_OK);

    /* ARCOUNT promises a record that is not there, or only half there. */
    query(&m, 3, 0, "a.example", DNS_T_A, DNS_CLASS_IN, 1232);
    size_t full = m.n;
    m.b[11] = 2;
    assert_int_equal(parse_msg(&m, &q), DNS_PARSE_FORMERR);
    m.b[11] = 1;
    for (size_t len = full - 11; len < full; len++)
        assert_int_equal(parse(m.b, len, &q), DNS_PARSE_FORMERR);
}

static void test_parse_skips_answer_authority(void **state)
{
    (void)state;
    struct msg m;
    struct dns_query q;
    /* 1 answer (compressed owner), 1 authority (full owner, 6 octets of
     * rdata), then the OPT: found only if both were stepped over exactly. */
    q_counts(&m, 1, 1, 1);
    m_rr(&m, "\xc0\x0c", 2, DNS_T_A, DNS_CLASS_IN, "\001\002\003\004", 4);
    m_rr(&m, "\007example\0", 9, DNS_T_NS, DNS_CLASS_IN, "\002ns\xc0\x0e", 6);
    m_opt(&m, 2048, 0, DO_BIT);
    assert_int_equal(parse_msg(&m, &q), DNS_PARSE_OK);
    assert_string_equal(q.name, "a.example");
    assert_int_equal(q.has_edns, 1);
    assert_int_equal(q.edns_udp_size, 2048);
    assert_int_equal(q.edns_do, 1);

    /* An OPT type in the answer section is not the query's EDNS. */
    q_counts(&m, 1, 0, 0);
    m_opt(&m, 2048, 0, 0);
    assert_int_equal(parse_msg(&m, &q), DNS_PARSE_OK);
    assert_int_equal(q.has_edns, 0);
}

/* ---- building ----------------------------------------------------------- */

/* Parses a hand-made query for the builder, so q is what the stub has. */
static void parsed(struct dns_query *q, unsigned id, unsigned flags, const char *name,
                   unsigned qtype, unsigned edns_size)
{
    struct msg m;
    query(&m, id, flags, name, qtype, DNS_CLASS_IN, edns_size);
    assert_int_equal(parse_msg(&m, q), DNS_PARSE_OK);
}

/* Header + "WeB.ExAmple" question as the builder must echo it. */
static const uint8_t web_q[] = {
    0x03, 'W', 'e', 'B', 0x07, 'E', 'x', 'A', 'm', 'p', 'l', 'e', 0x00,
};

static void test_build_a(void **state)
{
    (void)state;
    struct dns_query q;
    parsed(&q, 0x1234, F_RD, "WeB.ExAmple", DNS_T_A, 0);
    struct dns_answer a = { .type = DNS_T_A, .ttl = 60, .addr = { 198, 18, 0, 1 } };
    uint8_t out[512];
    size_t n = dns_build_response(&q, 1, DNS_R_NOERROR, &a, 1, 512, out, sizeof(out));
    static const uint8_t want[] = {
        0x12, 0x34, 0x81, 0x80, 0, 1, 0, 1, 0, 0, 0, 0,   /* QR RD RA, NOERROR */
        0x03, 'W', 'e', 'B', 0x07, 'E', 'x', 'A', 'm', 'p', 'l', 'e', 0x00, 0, 1, 0, 1,
        0xc0, 0x0c, 0, 1, 0, 1, 0, 0, 0, 60, 0, 4, 198, 18, 0, 1,
    };
    assert_int_equal(n, sizeof(want));
    assert_memory_equal(out, want, sizeof(want));

    /* RD clear and CD set are echoed as such. */
    parsed(&q, 0x1234, F_CD, "WeB.ExAmple", DNS_T_A, 0);
    n = dns_build_response(&q, 1, DNS_R_NOERROR, &a, 1, 512, out, sizeof(out));
    assert_int_equal(n, sizeof(want));
    assert_int_equal(out[2], 0x80);
    assert_int_equal(out[3], 0x90);
}

static void test_build_aaaa_ptr(void **state)
{
    (void)state;
    struct dns_query q;
    uint8_t out[512];
    parsed(&q, 0xabcd, F_RD, "WeB.ExAmple", DNS_T_AAAA, 0);
    struct dns_answer a = { .type = DNS_T_AAAA, .ttl = 0x01020304,
                            .addr = { 0xfd, 0x74, 0x6f, 0x72, 0xff, [15] = 7 } };
    size_t n = dns_build_response(&q, 1, DNS_R_NOERROR, &a, 1, 512, out, sizeof(out));
    assert_int_equal(n, 12 + 17 + 12 + 16);
    assert_memory_equal(out, "\xab\xcd\x81\x80\0\1\0\1\0\0\0\0", 12);
    assert_memory_equal(out + 12, web_q, sizeof(web_q));
    assert_memory_equal(out + 25, "\0\x1c\0\1", 4);
    assert_memory_equal(out + 29, "\xc0\x0c\0\x1c\0\1\1\2\3\4\0\x10", 12);
    assert_memory_equal(out + 41, a.addr, 16);

    parsed(&q, 0xabcd, F_RD, "4.3.2.1.in-addr.arpa", DNS_T_PTR, 0);
    struct dns_answer p = { .type = DNS_T_PTR, .ttl = 60, .ptr_name = "host.example" };
    n = dns_build_response(&q, 1, DNS_R_NOERROR, &p, 1, 512, out, sizeof(out));
    assert_int_equal(n, 12 + 22 + 4 + 12 + 14);
    assert_int_equal(out[7], 1);
    assert_memory_equal(out + 38, "\xc0\x0c\0\x0c\0\1\0\0\0\x3c\0\x0e", 12);
    assert_memory_equal(out + 50, "\004host\007example\0", 14);
}

static void test_build_nodata_nxdomain(void **state)
{
    (void)state;
    struct dns_query q;
    uint8_t out[512];
    parsed(&q, 0x0102, F_RD, "WeB.ExAmple", DNS_T_HTTPS, 0);
    size_t n = dns_build_response(&q, 1, DNS_R_NOERROR, NULL, 0, 512, out, sizeof(out));
    assert_int_equal(n, 12 + 17);
    assert_memory_equal(out, "\x01\x02\x81\x80\0\1\0\0\0\0\0\0", 12);
    assert_memory_equal(out + 12, web_q, sizeof(web_q));
    assert_memory_equal(out + 25, "\0\x41\0\1", 4);

    n = dns_build_response(&q, 1, DNS_R_NXDOMAIN, NULL, 0, 512, out, sizeof(out));
    assert_int_equal(n, 12 + 17);
    assert_memory_equal(out, "\x01\x02\x81\x83\0\1\0\0\0\0\0\0", 12);
}

static void test_build_formerr_without_question(void **state)
{
    (void)state;
    struct dns_query q;
    memset(&q, 0, sizeof(q));
    q.id = 0xfeed;
    uint8_t out[512];
    size_t n = dns_build_response(&q, 0, DNS_R_FORMERR, NULL, 0, 512, out, sizeof(out));
    assert_int_equal(n, 12);
    assert_memory_equal(out, "\xfe\xed\x80\x81\0\0\0\0\0\0\0\0", 12);
}

static void test_build_edns(void **state)
{
    (void)state;
    struct dns_query q;
    uint8_t out[512];
    static const uint8_t opt[] = { 0, 0, 41, 0x04, 0xd0, 0, 0, 0, 0, 0, 0 };
    parsed(&q, 0x0102, F_RD, "WeB.ExAmple", DNS_T_A, 4096);
    struct dns_answer a = { .type = DNS_T_A, .ttl = 60, .addr = { 198, 18, 0, 1 } };
    size_t n = dns_build_response(&q, 1, DNS_R_NOERROR, &a, 1, 4096, out, sizeof(out));
    assert_int_equal(n, 12 + 17 + 16 + 11);
    assert_memory_equal(out + 4, "\0\1\0\1\0\0\0\1", 8);
    assert_memory_equal(out + 45, opt, sizeof(opt));

    /* BADVERS (16): low 4 bits in the header (0), the rest in the OPT TTL. */
    n = dns_build_response(&q, 1, DNS_R_BADVERS, NULL, 0, 4096, out, sizeof(out));
    assert_int_equal(n, 12 + 17 + 11);
    assert_int_equal(out[3] & 0x0f, 0);
    assert_memory_equal(out + 4, "\0\1\0\0\0\0\0\1", 8);
    assert_memory_equal(out + 29, "\0\0\x29\x04\xd0\x01\0\0\0\0\0", 11);

    /* No OPT in the query, none in the response. */
    parsed(&q, 0x0102, F_RD, "WeB.ExAmple", DNS_T_A, 0);
    n = dns_build_response(&q, 1, DNS_R_NOERROR, &a, 1, 512, out, sizeof(out));
    assert_int_equal(n, 12 + 17 + 16);
    assert_int_equal(out[11], 0);
}

static void test_build_truncation(void **state)
{
    (void)state;
    struct dns_query q;
    uint8_t out[512];
    struct dns_answer a = { .type = DNS_T_AAAA, .ttl = 60, .addr = { 1 } };
    parsed(&q, 0x0909, F_RD, "WeB.ExAmple", DNS_T_AAAA, 0);
    /* Full: 12 + 17 + 28 = 57. Limits 56 down to 29 give TC, no answer. */
    assert_int_equal(dns_build_response(&q, 1, 0, &a, 1, 57, out, sizeof(out)), 57);
    assert_int_equal(out[2] & 0x02, 0);
    for (size_t limit = 29; limit < 57; limit++) {
        memset(out, 0xaa, sizeof(out));
        size_t n = dns_build_response(&q, 1, 0, &a, 1, limit, out, sizeof(out));
        assert_int_equal(n, 29);
        assert_int_equal(out[2], 0x83);          /* QR, TC, RD */
        assert_memory_equal(out + 4, "\0\1\0\0\0\0\0\0", 8);
        assert_memory_equal(out + 12, web_q, sizeof(web_q));
    }
    /* Not even the question fits: nothing. */
    assert_int_equal(dns_build_response(&q, 1, 0, &a, 1, 28, out, sizeof(out)), 0);

    /* With EDNS the OPT stays in the truncated answer: 12 + 17 + 11 = 40. */
    parsed(&q, 0x0909, F_RD, "WeB.ExAmple", DNS_T_AAAA, 512);
    size_t n = dns_build_response(&q, 1, 0, &a, 1, 50, out, sizeof(out));
    assert_int_equal(n, 40);
    assert_int_equal(out[2] & 0x02, 0x02);
    assert_memory_equal(out + 4, "\0\1\0\0\0\0\0\1", 8);
    assert_int_equal(out[31], 41);

    /* outcap caps like the limit does; below a header nothing is written. */
    assert_int_equal(dns_build_response(&q, 1, 0, &a, 1, 4096, out, 11), 0);
    assert_int_equal(dns_build_response(&q, 0, DNS_R_FORMERR, NULL, 0, 4096, out, 11), 0);
    assert_int_equal(dns_build_response(&q, 1, 0, &a, 1, 4096, out, 20), 0);
    assert_int_equal(dns_build_response(&q, 1, 0, NULL, 0, 4096, out, 39), 0);
    assert_int_equal(dns_build_response(&q, 1, 0, NULL, 0, 4096, out, 40), 40);
}

/* ---- reverse names ------------------------------------------------------ */

static void test_reverse_v4(void **state)
{
    (void)state;
    uint8_t a[16];
    assert_int_equal(dns_reverse_name("4.3.2.1.in-addr.arpa", a), 4);
    assert_memory_equal(a, "\1\2\3\4", 4);
    assert_int_equal(dns_reverse_name("255.0.19.198.in-addr.arpa", a), 4);
    assert_memory_equal(a, "\306\023\000\377", 4);
    assert_int_equal(dns_reverse_name("0.0.0.0.in-addr.arpa", a), 4);
    assert_memory_equal(a, "\0\0\0\0", 4);

    static const char *const bad[] = {
        "256.1.1.1.in-addr.arpa", "01.1.1.1.in-addr.arpa", "1.1.1.00.in-addr.arpa",
        "1.1.1.in-addr.arpa", "1.1.1.1.1.in-addr.arpa", "a.1.1.1.in-addr.arpa",
        "1.1.1.-1.in-addr.arpa", "1..1.1.in-addr.arpa", ".1.1.1.in-addr.arpa",
        "1.1.1..in-addr.arpa", "1000.1.1.1.in-addr.arpa", "1.1.1.1.in-addr.arpa.x",
        "1.1.1.1in-addr.arpa", "in-addr.arpa", ".in-addr.arpa", "1.1.1.1.in-addr.arp",
        "1.1.1.1", "", "+1.1.1.1.in-addr.arpa", " 1.1.1.1.in-addr.arpa",
    };
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
        assert_int_equal(dns_reverse_name(bad[i], a), 0);
}

static void test_reverse_v6(void **state)
{
    (void)state;
    uint8_t a[16];
    /* 2001:db8::567:89ab, written out by hand. */
    static const char name[] =
        "b.a.9.8.7.6.5.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.8.b.d.0.1.0.0.2.ip6.arpa";
    static const uint8_t want[16] = { 0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0,
                                      0, 0, 0, 0, 0x05, 0x67, 0x89, 0xab };
    assert_int_equal(dns_reverse_name(name, a), 6);
    assert_memory_equal(a, want, 16);

    /* The pool's own form: fd74:6f72:ff00::c:ef01 */
    assert_int_equal(dns_reverse_name(
        "1.0.f.e.c.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.f.f.2.7.f.6.4.7.d.f.ip6.arpa", a), 6);
    assert_memory_equal(a, "\xfd\x74\x6f\x72\xff\0\0\0\0\0\0\0\0\x0c\xef\x01", 16);

    char buf[128];
    /* 31 and 33 nibbles. */
    strcpy(buf, name + 2);
    assert_int_equal(dns_reverse_name(buf, a), 0);
    strcpy(buf, "0.");
    strcat(buf, name);
    assert_int_equal(dns_reverse_name(buf, a), 0);
    /* 'g', and uppercase (names are lower-cased before this). */
    strcpy(buf, name);
    buf[0] = 'g';
    assert_int_equal(dns_reverse_name(buf, a), 0);
    buf[0] = 'B';
    assert_int_equal(dns_reverse_name(buf, a), 0);
    /* Two characters in one nibble label, one label fewer: same length. */
    strcpy(buf, name);
    buf[1] = 'a';
    assert_int_equal(dns_reverse_name(buf, a), 0);
    /* Empty label in place of a nibble, a dot for a nibble. */
    strcpy(buf, name);
    buf[2] = '.';
    assert_int_equal(dns_reverse_name(buf, a), 0);
    assert_int_equal(dns_reverse_name("ip6.arpa", a), 0);
    assert_int_equal(dns_reverse_name(".ip6.arpa", a), 0);
}

int main(void)
{
#define T(f) cmocka_unit_test(f)
    const struct CMUnitTest tests[] = {
        T(test_parse_plain_a), T(test_parse_root), T(test_parse_drop),
        T(test_parse_notimp_opcodes), T(test_parse_qdcount), T(test_parse_truncated),
        T(test_parse_reserved_label_types), T(test_parse_name_lengths), T(test_parse_pointers),
        T(test_parse_bad_characters), T(test_parse_nul_label), T(test_parse_edns),
        T(test_parse_edns_malformed), T(test_parse_skips_answer_authority), T(test_build_a),
        T(test_build_aaaa_ptr), T(test_build_nodata_nxdomain),
        T(test_build_formerr_without_question), T(test_build_edns), T(test_build_truncation),
        T(test_reverse_v4), T(test_reverse_v6),
    };
#undef T
    return cmocka_run_group_tests(tests, NULL, NULL);
}
