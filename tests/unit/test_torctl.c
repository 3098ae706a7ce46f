/* Unit tests for the Tor control-reply parsers (gateway/tor/torctl_parse.c). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include "tor/torctl_parse.h"

static void test_protocolinfo(void **state)
{
    (void)state;
    struct torctl_auth a;
    assert_int_equal(torctl_parse_protocolinfo(
        "250-PROTOCOLINFO 1\r\n250-AUTH METHODS=COOKIE,SAFECOOKIE COOKIEFILE=\"/run/tor/control.authcookie\"\r\n"
        "250-VERSION Tor=\"0.4.7.16\"\r\n250 OK\r\n", &a), 0);
    assert_int_equal(a.methods, TORCTL_AUTH_COOKIE | TORCTL_AUTH_SAFECOOKIE);
    assert_string_equal(a.cookie_file, "/run/tor/control.authcookie");

    assert_int_equal(torctl_parse_protocolinfo("250-AUTH METHODS=NULL\r\n250 OK\r\n", &a), 0);
    assert_int_equal(a.methods, TORCTL_AUTH_NULL);
    assert_string_equal(a.cookie_file, "");

    /* Escapes in the QuotedString. */
    assert_int_equal(torctl_parse_protocolinfo(
        "250-AUTH METHODS=COOKIE COOKIEFILE=\"/a \\\"b\\\"\\\\c\"\r\n250 OK\r\n", &a), 0);
    assert_string_equal(a.cookie_file, "/a \"b\"\\c");
}

static void test_protocolinfo_malformed(void **state)
{
    (void)state;
    struct torctl_auth a;
    static const char *const bad[] = {
        "",
        "250 OK\r\n",
        "250-AUTH METHODS=\r\n250 OK\r\n",
        "250-AUTH METHODS=FOO,BAR\r\n250 OK\r\n",             /* nothing usable */
        "250-AUTH METHODS=COOKIE COOKIEFILE=\"/unterminated\r\n",
        "250-AUTH METHODS=COOKIE COOKIEFILE=\"/trailing\\",
    };
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
        assert_int_equal(torctl_parse_protocolinfo(bad[i], &a), -1);
    /* A cookie path longer than the buffer is refused, not cut. */
    char big[1200] = "250-AUTH METHODS=COOKIE COOKIEFILE=\"";
    memset(big + strlen(big), 'a', 700);
    strcat(big, "\"\r\n");
    assert_int_equal(torctl_parse_protocolinfo(big, &a), -1);
}

static void test_bootstrap(void **state)
{
    (void)state;
    int p = -1;
    char sum[64];
    assert_int_equal(torctl_parse_bootstrap("250-status/bootstrap-phase=NOTICE BOOTSTRAP PROGRESS=100 "
                                            "TAG=done SUMMARY=\"Done\"\r\n250 OK\r\n", &p, sum, sizeof(sum)), 0);
    assert_int_equal(p, 100);
    assert_string_equal(sum, "Done");
    assert_int_equal(torctl_parse_bootstrap("250-status/bootstrap-phase=NOTICE BOOTSTRAP PROGRESS=45 "
                                            "TAG=loading_descriptors SUMMARY=\"Loading relay descriptors\"\r\n",
                                            &p, sum, 8), 0);
    assert_int_equal(p, 45);
    assert_int_equal(strlen(sum), 0);         /* did not fit: left empty, not cut mid-way */
    static const char *const bad[] = {
        "250 OK\r\n",
        "250-status/bootstrap-phase=NOTICE BOOTSTRAP TAG=done\r\n",
        "250-status/bootstrap-phase=NOTICE BOOTSTRAP PROGRESS=x\r\n",
        "250-status/bootstrap-phase=NOTICE BOOTSTRAP PROGRESS=101\r\n",
        "250-status/bootstrap-phase=NOTICE BOOTSTRAP PROGRESS=-1\r\n",
        "250-status/bootstrap-phase=NOTICE\r\n250 OK PROGRESS=100\r\n",  /* not on its line */
    };
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
        assert_int_equal(torctl_parse_bootstrap(bad[i], &p, sum, sizeof(sum)), -1);
}

static void test_socksport(void **state)
{
    (void)state;
    struct torctl_socksport sp;
    const char *r = "250-SocksPort=127.0.0.1:9050 ExtendedErrors\r\n"
                    "250-SocksPort=[::1]:9150 NoIsolateSOCKSAuth IsolateDestAddr\r\n"
                    "250-SocksPort=unix:/run/tor/socks\r\n"
                    "250 SocksPort=9250\r\n";
    assert_int_equal(torctl_parse_socksport(r, 9050, &sp), 0);
    assert_true(sp.found && sp.extended_errors && sp.isolate_auth);
    assert_int_equal(torctl_parse_socksport(r, 9150, &sp), 0);
    assert_true(sp.found && !sp.extended_errors && !sp.isolate_auth);
    assert_int_equal(torctl_parse_socksport(r, 9250, &sp), 0);
    assert_true(sp.found && !sp.extended_errors && sp.isolate_auth);
    assert_int_equal(torctl_parse_socksport(r, 9999, &sp), 0);
    assert_false(sp.found);
    /* Not SocksPort lines, or broken ones. */
    assert_int_equal(torctl_parse_socksport("250-DNSPort=9050\r\n250 SocksPortX=9050\r\n", 9050, &sp), 0);
    assert_false(sp.found);
    assert_int_equal(torctl_parse_socksport("250 SocksPort=auto\r\n250 SocksPort=:\r\n250 SocksPort=", 9050, &sp), 0);
    assert_false(sp.found);
}

#define FP1 "0123456789ABCDEF0123456789ABCDEF01234567"
#define FP2 "89ABCDEF0123456789ABCDEF0123456789ABCDEF"
#define FP3 "FEDCBA9876543210FEDCBA9876543210FEDCBA98"

static int circ(const char *line, struct torctl_circuit *c)
{
    return torctl_parse_circuit(line, strlen(line), c);
}

static void test_circuit(void **state)
{
    (void)state;
    struct torctl_circuit c;
    /* As Tor 0.4.7 writes it for a stream's circuit of torgate's. */
    assert_int_equal(circ("17 BUILT $" FP1 "~guard1,$" FP2 "~middle,$" FP3 "~exit3 "
                          "BUILD_FLAGS=NEED_CAPACITY PURPOSE=GENERAL TIME_CREATED=2026-12-07T14:00:00.123456 "
                          "SOCKS_USERNAME=\"torgate-1a2b3c\" SOCKS_PASSWORD=\"torgate\"", &c), 0);
    assert_int_equal(c.id, 17);
    assert_string_equal(c.status, "BUILT");
    assert_int_equal(c.nhops, 3);
    assert_string_equal(c.hops[0].fingerprint, FP1);
    assert_string_equal(c.hops[0].nickname, "guard1");
    assert_string_equal(c.hops[2].fingerprint, FP3);
    assert_string_equal(c.hops[2].nickname, "exit3");
    assert_string_equal(c.purpose, "GENERAL");
    assert_string_equal(c.build_flags, "NEED_CAPACITY");
    assert_true(c.has_socks);
    assert_string_equal(c.socks_username, "torgate-1a2b3c");
    assert_string_equal(c.socks_password, "torgate");

    /* A launched circuit has no path yet; a path of bare fingerprints (no
     * names), in lower case, "=" for a named relay; keys Tor adds later. */
    assert_int_equal(circ("3 LAUNCHED BUILD_FLAGS=IS_INTERNAL,NEED_CAPACITY PURPOSE=HS_CLIENT_HSDIR", &c), 0);
    assert_int_equal(c.nhops, 0);
    assert_string_equal(c.build_flags, "IS_INTERNAL,NEED_CAPACITY");
    assert_false(c.has_socks);
    assert_string_equal(c.purpose, "HS_CLIENT_HSDIR");
    assert_int_equal(circ("4 EXTENDED $0123456789abcdef0123456789abcdef01234567,$" FP2 "=named "
                          "CONFLUX_ID=AAAA FUTURE_KEY=\"with space\"", &c), 0);
    assert_int_equal(c.nhops, 2);
    assert_string_equal(c.hops[0].fingerprint, FP1);
    assert_string_equal(c.hops[0].nickname, "");
    assert_string_equal(c.hops[1].nickname, "named");
    /* Verbatim from Tor 0.4.7 (the private network): an onion service's
     * rendezvous circuit, four hops, REND_QUERY before the credentials. */
    assert_int_equal(circ("13 BUILT $F5E63FBAE863E9D66D1605C595DBFD1985A51987~tornetauth5,"
                          "$277A3D9D3831517B6A45B977673973240B5FDF1F~tornetauth4,"
                          "$15FB7C9F5FBB157E182A09CA8F3E11D33D4C7EB3~tornetauth0,"
                          "$111BECA3D7E8125C4D8524FE05E207E321D9F6EC~tornetauth3 "
                          "BUILD_FLAGS=IS_INTERNAL,NEED_CAPACITY PURPOSE=CIRCUIT_PADDING "
                          "REND_QUERY=77uxcqijm3eo5tkcxaetxg2uef4y65hxb3hxt2x5l4ev7kwjqfjfruad "
                          "TIME_CREATED=2026-12-07T14:16:03.632472 SOCKS_USERNAME=\"torgate-abc123\" "
                          "SOCKS_PASSWORD=\"torgate\"", &c), 0);
    assert_int_equal(c.nhops, 4);
    assert_string_equal(c.hops[3].nickname, "tornetauth3");
    assert_string_equal(c.purpose, "CIRCUIT_PADDING");
    assert_string_equal(c.socks_username, "torgate-abc123");
    /* An escaped quote in the username, and a space. */
    assert_int_equal(circ("5 BUILT $" FP1 " SOCKS_USERNAME=\"a \\\"b\\\"\"", &c), 0);
    assert_string_equal(c.socks_username, "a \"b\"");
}

static void test_circuit_malformed(void **state)
{
    (void)state;
    struct torctl_circuit c;
    static const char *const bad[] = {
        "",
        "17",                                          /* no status */
        "x BUILT",                                     /* id not a number */
        "-1 BUILT",
        "17 built",                                    /* status in lower case */
        "17 BUILT $" FP1 "~",                          /* empty nickname */
        "17 BUILT $" FP1 "~nick_with_underscore",
        "17 BUILT $" FP1 "~nicknamewaytoolongforTor",  /* 20+ characters */
        "17 BUILT $0123",                              /* short fingerprint */
        "17 BUILT $0123456789ABCDEF0123456789ABCDEF0123456G",
        "17 BUILT $" FP1 ",",                          /* trailing comma */
        "17 BUILT $" FP1 ",,$" FP2,
        "17 BUILT $" FP1 "," FP2,                      /* a hop without its $ */
        "17 BUILT $" FP1 " stray",                     /* a word that is no KEY=VALUE */
        "17 BUILT SOCKS_USERNAME=\"unterminated",
        "17 BUILT SOCKS_USERNAME=\"a\"b",              /* junk after the quote */
        "17 BUILT BUILD_FLAGS=IS_INTERNAL,NEED_CAPACITY,NEED_UPTIME,ONEHOP_TUNNEL,"
        "NEED_CAPACITY,NEED_UPTIME,IS_INTERNAL,NEED_CAPACITY",   /* longer than any Tor writes */
        "17 BUILT $" FP1 ",$" FP1 ",$" FP1 ",$" FP1 ",$" FP1 ",$" FP1 ",$" FP1 ",$" FP1 ",$" FP1,
    };
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        if (circ(bad[i], &c) != -1)
            fail_msg("accepted: %s", bad[i]);
    }
    /* A length that stops inside the line is honoured (no reading past it). */
    const char *l = "9 BUILT $" FP1 "~abc";
    assert_int_equal(torctl_parse_circuit(l, strlen(l) - 2, &c), 0);
    assert_string_equal(c.hops[0].nickname, "a");
}

static void test_stream(void **state)
{
    (void)state;
    struct torctl_stream s;
    const char *l = "42 SUCCEEDED 17 example.com:443";
    assert_int_equal(torctl_parse_stream(l, strlen(l), &s), 0);
    assert_int_equal(s.id, 42);
    assert_string_equal(s.status, "SUCCEEDED");
    assert_int_equal(s.circuit, 17);
    assert_string_equal(s.target, "example.com:443");
    l = "43 SENTCONNECT 0 [2001:db8::1]:80 SOURCE_ADDR=127.0.0.1:4321 PURPOSE=USER";
    assert_int_equal(torctl_parse_stream(l, strlen(l), &s), 0);
    assert_int_equal(s.circuit, 0);
    assert_string_equal(s.target, "[2001:db8::1]:80");

    static const char *const bad[] = {
        "", "42", "42 SUCCEEDED", "42 SUCCEEDED 17", "42 SUCCEEDED x example.com:443",
        "42 SUCCEEDED 17 example.com", "42 SUCCEEDED 17 :443", "42 SUCCEEDED 17 example.com:",
        "42 SUCCEEDED 17 example.com:65536", "42 SUCCEEDED 17 example.com:4x3",
        "42 succeeded 17 example.com:443", "42 SUCCEEDED 17 example.com:443 junk",
    };
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        if (torctl_parse_stream(bad[i], strlen(bad[i]), &s) != -1)
            fail_msg("accepted: %s", bad[i]);
    }
}


static void test_end(void **state)
{
    (void)state;
    static const struct { const char *reply; int code; } cases[] = {
        { "", 0 },
        { "250 OK\r\n", 250 },
        { "250 OK", 0 },                                   /* the line is not whole yet */
        { "250-AUTH METHODS=NULL\r\n", 0 },
        { "250-AUTH METHODS=NULL\r\n250 OK\r\n", 250 },
        { "552 Unrecognized key \"x\"\r\n", 552 },
        { "250 OK\n", 250 },                                /* LF alone is a line end too */
        /* A data block: circuit 250's line looks like a final line. */
        { "250+circuit-status=\r\n250 BUILT $" "0123456789ABCDEF0123456789ABCDEF01234567\r\n", 0 },
        { "250+circuit-status=\r\n250 BUILT $" "0123456789ABCDEF0123456789ABCDEF01234567\r\n.\r\n", 0 },
        { "250+circuit-status=\r\n250 BUILT $" "0123456789ABCDEF0123456789ABCDEF01234567\r\n.\r\n250 OK\r\n", 250 },
        { "250+x=\r\n..\r\n.\r\n250 OK\r\n", 250 },          /* a dot-stuffed line is no end */
        /* Not control-port replies. */
        { "HTTP/1.0 200 OK\r\n", -1 },
        { "25 OK\r\n", -1 },
        { "250OK\r\n", -1 },
        { "250*OK\r\n", -1 },
        { "\r\n", -1 },
        { "050 OK\r\n", -1 },
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        int got = torctl_parse_end(cases[i].reply, strlen(cases[i].reply));
        if (got != cases[i].code)
            fail_msg("%s: %d, not %d", cases[i].reply, got, cases[i].code);
    }
}

struct lines {
    int n;
    char text[8][128];
};

static void collect(void *ctx, const char *line, size_t len)
{
    struct lines *l = ctx;
    assert_true(l->n < 8 && len < sizeof(l->text[0]));
    memcpy(l->text[l->n], line, len);
    l->text[l->n][len] = '\0';
    l->n++;
}

static void test_getinfo(void **state)
{
    (void)state;
    struct lines l = { 0 };
    /* One line. */
    assert_int_equal(torctl_parse_getinfo("250-stream-status=42 SUCCEEDED 17 example.com:443\r\n250 OK\r\n",
                                          "stream-status", collect, &l), 1);
    assert_string_equal(l.text[0], "42 SUCCEEDED 17 example.com:443");
    /* Empty: no lines. */
    memset(&l, 0, sizeof(l));
    assert_int_equal(torctl_parse_getinfo("250-stream-status=\r\n250 OK\r\n", "stream-status", collect, &l), 0);
    assert_int_equal(l.n, 0);
    /* A data block, dot-stuffing undone, a line "250 ..." inside. */
    memset(&l, 0, sizeof(l));
    assert_int_equal(torctl_parse_getinfo("250+circuit-status=\r\n1 BUILT\r\n250 LAUNCHED\r\n..dot\r\n"
                                          ".\r\n250 OK\r\n", "circuit-status", collect, &l), 3);
    assert_string_equal(l.text[0], "1 BUILT");
    assert_string_equal(l.text[1], "250 LAUNCHED");
    assert_string_equal(l.text[2], ".dot");
    /* Several keys in one reply: only the one asked; a key that is a
     * prefix of another is not it. */
    memset(&l, 0, sizeof(l));
    const char *two = "250+ns/id/AA=\r\nr a\r\n.\r\n250-ns/id/A=r b\r\n250 OK\r\n";
    assert_int_equal(torctl_parse_getinfo(two, "ns/id/A", collect, &l), 1);
    assert_string_equal(l.text[0], "r b");
    memset(&l, 0, sizeof(l));
    assert_int_equal(torctl_parse_getinfo(two, "ns/id/AA", collect, &l), 1);
    assert_string_equal(l.text[0], "r a");
    /* The final line may carry it. */
    memset(&l, 0, sizeof(l));
    assert_int_equal(torctl_parse_getinfo("250 version=0.4.9.11\r\n", "version", collect, &l), 1);
    assert_string_equal(l.text[0], "0.4.9.11");

    static const char *const bad[] = {
        "",
        "250 OK\r\n",                                    /* the key is not there */
        "552 Unrecognized key \"stream-status\"\r\n",
        "250-stream-statusx=1\r\n250 OK\r\n",
        "250-stream-status\r\n250 OK\r\n",                /* no '=' */
        "250+stream-status=\r\n1 SUCCEEDED 2 a:1\r\n",      /* the block never ends */
        "250+stream-status=1 SUCCEEDED 2 a:1\r\n.\r\n250 OK\r\n",  /* a value on the "+" line */
        "251-stream-status=1 SUCCEEDED 2 a:1\r\n250 OK\r\n", /* not a 250 line */
        "garbage\r\n250-stream-status=\r\n",
        "250-stream-status=1 SUCCEEDED 2 a:1",              /* the line is not whole */
    };
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        memset(&l, 0, sizeof(l));
        if (torctl_parse_getinfo(bad[i], "stream-status", collect, &l) != -1)
            fail_msg("accepted: %s", bad[i]);
    }
}

#define NS_HEAD "250+ns/id/" FP1 "=\r\n"
#define NS_TAIL "s Exit Fast Guard Running Stable Valid\r\nw Bandwidth=12\r\n.\r\n250 OK\r\n"

static void test_ns(void **state)
{
    (void)state;
    struct torctl_ns ns;
    /* Verbatim from the private network's Tor 0.4.9. */
    assert_int_equal(torctl_parse_ns("250+ns/id/B703E47E8EA52F30EC9FE6BDA9B42DE9DF35526B=\r\n"
                                     "r tornetauth4 twPkfo6lLzDsn+a9qbQt6d81Ums 6uw2doepj0FiGyLZaU00WAEbccc "
                                     "2038-01-01 00:00:00 127.0.0.1 51081 47667\r\n"
                                     "s Authority Exit Fast Guard HSDir Running Stable V2Dir Valid\r\n"
                                     "w Bandwidth=12\r\np reject 1-65535\r\n.\r\n250 OK\r\n",
                                     "B703E47E8EA52F30EC9FE6BDA9B42DE9DF35526B", &ns), 0);
    assert_string_equal(ns.nickname, "tornetauth4");
    assert_string_equal(ns.address, "127.0.0.1");
    assert_int_equal(ns.or_port, 51081);
    /* Without the descriptor digest (a microdescriptor consensus's form),
     * an "a" line before it, no DirPort. */
    assert_int_equal(torctl_parse_ns(NS_HEAD "a [2001:db8::1]:9001\r\n"
                                     "r relay1 AAAA 2026-12-07 14:00:00 203.0.113.5 9001 0\r\n" NS_TAIL,
                                     FP1, &ns), 0);
    assert_string_equal(ns.nickname, "relay1");
    assert_string_equal(ns.address, "203.0.113.5");
    assert_int_equal(ns.or_port, 9001);

    static const char *const bad[] = {
        "552 Unrecognized key \"ns/id/" FP1 "\"\r\n",       /* a relay not in the consensus */
        NS_HEAD NS_TAIL,                                   /* no "r" line */
        NS_HEAD "r relay1 AAAA 2026-12-07 14:00:00 203.0.113.5 9001\r\n" NS_TAIL,          /* 7 words */
        NS_HEAD "r relay1 AAAA BBBB x 2026-12-07 14:00:00 203.0.113.5 9001 0\r\n" NS_TAIL,  /* 10 */
        NS_HEAD "r relay1 AAAA BBBB 2026-12-07 14:00:00 203.0.113 9001 0\r\n" NS_TAIL,
        NS_HEAD "r relay1 AAAA BBBB 2026-12-07 14:00:00 2001:db8::1 9001 0\r\n" NS_TAIL,
        NS_HEAD "r relay1 AAAA BBBB 2026-12-07 14:00:00 203.0.113.5 0 0\r\n" NS_TAIL,
        NS_HEAD "r relay1 AAAA BBBB 2026-12-07 14:00:00 203.0.113.5 65536 0\r\n" NS_TAIL,
        NS_HEAD "r relay1 AAAA BBBB 2026-12-07 14:00:00 203.0.113.5 9001 x\r\n" NS_TAIL,
        NS_HEAD "r relay_1 AAAA BBBB 2026-12-07 14:00:00 203.0.113.5 9001 0\r\n" NS_TAIL,
        NS_HEAD "r nicknamewaytoolongforTor AAAA BBBB 2026-12-07 14:00:00 203.0.113.5 9001 0\r\n" NS_TAIL,
        NS_HEAD "r relay1 AAAA BBBB 2026-12-07 14:00:00 203.0.113.5 9001 0\r\n",           /* no end */
        /* Another relay's answer. */
        "250+ns/id/" FP2 "=\r\nr relay1 AAAA BBBB 2026-12-07 14:00:00 203.0.113.5 9001 0\r\n.\r\n250 OK\r\n",
    };
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        if (torctl_parse_ns(bad[i], FP1, &ns) != -1)
            fail_msg("accepted: %s", bad[i]);
    }
    /* A word too long for its buffer is refused, not cut. */
    char big[600] = NS_HEAD "r relay1 AAAA ";
    memset(big + strlen(big), 'B', 100);
    strcat(big, " 2026-12-07 14:00:00 203.0.113.5 9001 0\r\n" NS_TAIL);
    assert_int_equal(torctl_parse_ns(big, FP1, &ns), -1);
}

static void test_country(void **state)
{
    (void)state;
    char cc[3] = "x";
    assert_int_equal(torctl_parse_country("250-ip-to-country/203.0.113.5=de\r\n250 OK\r\n", "203.0.113.5", cc), 0);
    assert_string_equal(cc, "de");
    assert_int_equal(torctl_parse_country("250-ip-to-country/203.0.113.5=US\r\n250 OK\r\n", "203.0.113.5", cc), 0);
    assert_string_equal(cc, "us");
    /* Tor has GeoIP data but not this address. */
    assert_int_equal(torctl_parse_country("250-ip-to-country/127.0.0.1=??\r\n250 OK\r\n", "127.0.0.1", cc), 0);
    assert_string_equal(cc, "");
    static const char *const bad[] = {
        "551 GeoIP data not loaded\r\n",                   /* as the private network answers */
        "250-ip-to-country/203.0.113.5=\r\n250 OK\r\n",
        "250-ip-to-country/203.0.113.5=d\r\n250 OK\r\n",
        "250-ip-to-country/203.0.113.5=deu\r\n250 OK\r\n",
        "250-ip-to-country/203.0.113.5=d-\r\n250 OK\r\n",
        "250-ip-to-country/203.0.113.5=a very long answer\r\n250 OK\r\n",
        "250-ip-to-country/203.0.113.6=de\r\n250 OK\r\n",   /* another address's */
    };
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        if (torctl_parse_country(bad[i], "203.0.113.5", cc) != -1)
            fail_msg("accepted: %s", bad[i]);
        assert_string_equal(cc, "");
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_protocolinfo),
        cmocka_unit_test(test_protocolinfo_malformed),
        cmocka_unit_test(test_bootstrap),
        cmocka_unit_test(test_socksport),
        cmocka_unit_test(test_circuit),
        cmocka_unit_test(test_circuit_malformed),
        cmocka_unit_test(test_stream),
        cmocka_unit_test(test_end),
        cmocka_unit_test(test_getinfo),
        cmocka_unit_test(test_ns),
        cmocka_unit_test(test_country),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
