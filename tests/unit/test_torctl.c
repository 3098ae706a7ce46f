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

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_protocolinfo),
        cmocka_unit_test(test_protocolinfo_malformed),
        cmocka_unit_test(test_bootstrap),
        cmocka_unit_test(test_socksport),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
