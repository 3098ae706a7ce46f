/* Unit tests for DNS query parsing (dns/wire.c). Queries are built by hand,
 * byte by byte (dns_msg.h), so the tests share no encoding code with the
 * unit under test. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "dns/wire.h"
#include "dns_msg.h"

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

int main(void)
{
#define T(f) cmocka_unit_test(f)
    const struct CMUnitTest tests[] = {
        T(test_parse_plain_a),
        T(test_parse_root),
        T(test_parse_drop),
        T(test_parse_notimp_opcodes),
        T(test_parse_qdcount),
        T(test_parse_truncated),
        T(test_parse_reserved_label_types),
        T(test_parse_name_lengths),
        T(test_parse_pointers),
        T(test_parse_bad_characters),
        T(test_parse_nul_label),
        T(test_parse_edns),
        T(test_parse_edns_malformed),
        T(test_parse_skips_answer_authority),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
