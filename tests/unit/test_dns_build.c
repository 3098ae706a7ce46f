/* Unit tests for DNS response building and reverse names (dns/wire.c).
 * Expected responses are spelled out byte by byte. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "dns/wire.h"
#include "dns_msg.h"

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
        T(test_build_a),
        T(test_build_aaaa_ptr),
        T(test_build_nodata_nxdomain),
        T(test_build_formerr_without_question),
        T(test_build_edns),
        T(test_build_truncation),
        T(test_reverse_v4),
        T(test_reverse_v6),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
