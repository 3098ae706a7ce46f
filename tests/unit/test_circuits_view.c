/* Unit tests for what `torgate circuits` shows (gateway/control/circuits_view.c):
 * an instance's circuits picked from Tor's circuit-status by its SOCKS
 * username, the streams on each, the host each serves under --isolate
 * host, and the text and JSON written from them. */
#define _GNU_SOURCE
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include <arpa/inet.h>

#include "control/circuits_view.h"
#include "serve/relay_dest.h"

#define FP1 "6AE6EEFFA50B28F1AA37FA266ECD178FC54C99EF"
#define FP2 "E6D10D722205D303110B605C99B7FA973C8A849D"
#define FP3 "B703E47E8EA52F30EC9FE6BDA9B42DE9DF35526B"
#define ME "torgate-0123456789abcdef0123456789abcdef"
#define PATH3 "$" FP1 "~tornetauth0,$" FP2 "~tornetauth5,$" FP3 "~tornetauth4"

/* Tor 0.4.9's circuit-status as the private network wrote it, with
 * circuits of this instance, of another, and Tor's own. */
static const char *const circuits =
    "250+circuit-status=\r\n"
    "1 BUILT $" FP3 "~tornetauth4 BUILD_FLAGS=ONEHOP_TUNNEL,IS_INTERNAL,NEED_CAPACITY PURPOSE=GENERAL "
    "TIME_CREATED=2026-12-07T15:38:57.179219\r\n"
    "7 BUILT " PATH3 " BUILD_FLAGS=NEED_CAPACITY PURPOSE=GENERAL TIME_CREATED=2026-12-07T15:39:01.183818 "
    "SOCKS_USERNAME=\"" ME "\" SOCKS_PASSWORD=\"torgate\"\r\n"
    "8 BUILT " PATH3 " BUILD_FLAGS=NEED_CAPACITY PURPOSE=GENERAL "
    "SOCKS_USERNAME=\"torgate-ffffffffffffffffffffffffffffffff\" SOCKS_PASSWORD=\"torgate\"\r\n"
    "this line is not one Tor writes\r\n"
    "250 EXTENDED $" FP2 " PURPOSE=GENERAL SOCKS_USERNAME=\"" ME "\" SOCKS_PASSWORD=\"torgate\"\r\n"
    ".\r\n250 OK\r\n";

static const char *const streams =
    "250+stream-status=\r\n"
    "31 SUCCEEDED 7 web.tornet.test:80\r\n"
    "32 SUCCEEDED 8 web.tornet.test:80\r\n"            /* the other instance's */
    "33 SENTCONNECT 7 web.tornet.test:8080\r\n"
    "34 NEW 0 other.tornet.test:80\r\n"                /* not attached yet */
    "35 broken\r\n"
    ".\r\n250 OK\r\n";

static void test_build(void **state)
{
    (void)state;
    struct circuits_view v;
    assert_int_equal(circuits_view_build(circuits, streams, ME, &v), 0);
    assert_int_equal(v.ncircuits, 2);
    assert_int_equal(v.skipped, 2);                    /* one circuit line, one stream line */
    const struct cv_circuit *c = &v.circuits[0];
    assert_int_equal(c->id, 7);
    assert_string_equal(c->status, "BUILT");
    assert_string_equal(c->purpose, "GENERAL");
    assert_string_equal(c->build_flags, "NEED_CAPACITY");
    assert_false(c->host_isolated);
    assert_int_equal(c->nrelays, 3);
    assert_string_equal(c->relays[0].fingerprint, FP1);
    assert_string_equal(c->relays[0].nickname, "tornetauth0");
    assert_string_equal(c->relays[2].fingerprint, FP3);
    assert_string_equal(c->relays[2].address, "");
    assert_int_equal(c->nstreams, 2);
    assert_int_equal(c->streams[0].id, 31);
    assert_string_equal(c->streams[0].target, "web.tornet.test:80");
    assert_int_equal(c->streams[1].id, 33);
    assert_string_equal(c->streams[1].status, "SENTCONNECT");
    /* Circuit 250, whose line looks like the end of a reply. */
    assert_int_equal(v.circuits[1].id, 250);
    assert_int_equal(v.circuits[1].nrelays, 1);
    assert_int_equal(v.circuits[1].nstreams, 0);
    circuits_view_free(&v);
    assert_int_equal(v.ncircuits, 0);

    /* Nobody's: no circuits; no stream reply at all; one-line replies. */
    assert_int_equal(circuits_view_build(circuits, NULL, "torgate-nobody", &v), 0);
    assert_int_equal(v.ncircuits, 0);
    circuits_view_free(&v);
    assert_int_equal(circuits_view_build("250-circuit-status=7 BUILT " PATH3 " SOCKS_USERNAME=\"" ME "\"\r\n"
                                         "250 OK\r\n", "250-stream-status=31 SUCCEEDED 7 a.test:443\r\n250 OK\r\n",
                                         ME, &v), 0);
    assert_int_equal(v.ncircuits, 1);
    assert_int_equal(v.circuits[0].nstreams, 1);
    circuits_view_free(&v);
    assert_int_equal(circuits_view_build("250-circuit-status=\r\n250 OK\r\n", NULL, ME, &v), 0);
    assert_int_equal(v.ncircuits, 0);
    circuits_view_free(&v);

    /* Replies that are not what was asked. */
    assert_int_equal(circuits_view_build("552 Unrecognized key \"circuit-status\"\r\n", streams, ME, &v), -1);
    assert_int_equal(circuits_view_build(circuits, "250 OK\r\n", ME, &v), -1);
    assert_int_equal(circuits_view_build("250+circuit-status=\r\n7 BUILT\r\n", NULL, ME, &v), -1);
    assert_null(v.circuits);
}

/* The password torgate gives streams to host with --isolate host. */
static void host_password(const char *host, int atyp, char *pass, size_t len)
{
    struct socks5_dest d;
    uint64_t seq = 0;
    memset(&d, 0, sizeof(d));
    d.atyp = (uint8_t)atyp;
    if (atyp == SOCKS5_ATYP_DOMAIN)
        snprintf(d.host, sizeof(d.host), "%s", host);
    else
        assert_int_equal(inet_pton(atyp == SOCKS5_ATYP_IPV4 ? AF_INET : AF_INET6, host, d.addr), 1);
    relay_dest_password(TG_ISOLATE_HOST, "torgate", &seq, &d, pass, len);
}

static void test_isolate_host(void **state)
{
    (void)state;
    char p1[64], p2[64], p3[64], p4[64], p5[64], reply[4096];
    host_password("web.tornet.test", SOCKS5_ATYP_DOMAIN, p1, sizeof(p1));
    host_password("203.0.113.5", SOCKS5_ATYP_IPV4, p2, sizeof(p2));
    host_password("2001:db8::1", SOCKS5_ATYP_IPV6, p3, sizeof(p3));
    host_password("gone.tornet.test", SOCKS5_ATYP_DOMAIN, p4, sizeof(p4));
    host_password("remapped.tornet.test", SOCKS5_ATYP_DOMAIN, p5, sizeof(p5));
    snprintf(reply, sizeof(reply), "250+circuit-status=\r\n"
             "1 BUILT " PATH3 " SOCKS_USERNAME=\"" ME "\" SOCKS_PASSWORD=\"%s\"\r\n"
             "2 BUILT " PATH3 " SOCKS_USERNAME=\"" ME "\" SOCKS_PASSWORD=\"%s\"\r\n"
             "3 BUILT " PATH3 " SOCKS_USERNAME=\"" ME "\" SOCKS_PASSWORD=\"%s\"\r\n"
             "4 BUILT " PATH3 " SOCKS_USERNAME=\"" ME "\" SOCKS_PASSWORD=\"%s\"\r\n"
             "5 BUILT " PATH3 " SOCKS_USERNAME=\"" ME "\" SOCKS_PASSWORD=\"stream-3\"\r\n"
             "6 BUILT " PATH3 " SOCKS_USERNAME=\"" ME "\" SOCKS_PASSWORD=\"%s\"\r\n"
             "7 BUILT " PATH3 " PURPOSE=CIRCUIT_PADDING SOCKS_USERNAME=\"" ME "\" SOCKS_PASSWORD=\"%s\"\r\n"
             ".\r\n250 OK\r\n", p1, p2, p3, p4, p5, p1);
    struct circuits_view v;
    /* The name in another case hashes the same (the app's spelling is
     * kept); a stream on circuit 1 to another host (which --isolate host
     * never puts there) is not taken for its host. */
    assert_int_equal(circuits_view_build(reply, "250+stream-status=\r\n"
                                         "10 SUCCEEDED 1 other.tornet.test:80\r\n"
                                         "11 SUCCEEDED 1 Web.Tornet.TEST:443\r\n"
                                         "12 SUCCEEDED 2 203.0.113.5:80\r\n"
                                         "13 SUCCEEDED 3 [2001:db8::1]:80\r\n"
                                         "14 SUCCEEDED 5 web.tornet.test:80\r\n"
                                         /* Connected streams to remapped.tornet.test, their
                                          * targets as Tor remapped them (REMAP): the name
                                          * is gone, the addresses are what is left. */
                                         "15 SUCCEEDED 6 127.0.0.1:80\r\n"
                                         "16 SUCCEEDED 6 127.0.0.1:443\r\n"
                                         "17 SUCCEEDED 6 [::1]:80\r\n"
                                         ".\r\n250 OK\r\n", ME, &v), 0);
    assert_int_equal(v.ncircuits, 7);
    assert_true(v.circuits[0].host_isolated);
    assert_string_equal(v.circuits[0].host, "Web.Tornet.TEST");
    assert_true(v.circuits[0].host_checked);
    assert_string_equal(v.circuits[1].host, "203.0.113.5");
    assert_true(v.circuits[1].host_checked);
    assert_string_equal(v.circuits[2].host, "2001:db8::1");
    assert_true(v.circuits[2].host_checked);
    assert_true(v.circuits[3].host_isolated);
    assert_string_equal(v.circuits[3].host, "");        /* no stream left to tell */
    assert_false(v.circuits[3].host_checked);
    assert_false(v.circuits[4].host_isolated);
    assert_string_equal(v.circuits[4].host, "");
    assert_true(v.circuits[5].host_isolated);
    assert_string_equal(v.circuits[5].host, "127.0.0.1, ::1");
    assert_false(v.circuits[5].host_checked);
    /* No stream of its own, but circuit 1's password: circuit 1's host. */
    assert_string_equal(v.circuits[6].host, "Web.Tornet.TEST");
    assert_true(v.circuits[6].host_checked);
    circuits_view_free(&v);
}

static char *render(const struct circuits_view *v, int json)
{
    char *buf = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&buf, &len);
    assert_non_null(f);
    const struct cv_owner o = { "web", ME, "127.0.0.1:9051" };
    if (json)
        circuits_view_json(v, &o, f);
    else
        circuits_view_text(v, &o, f);
    assert_int_equal(fclose(f), 0);
    return buf;
}

static void test_text_and_json(void **state)
{
    (void)state;
    char pass[64], reply[2048];
    host_password("web.tornet.test", SOCKS5_ATYP_DOMAIN, pass, sizeof(pass));
    snprintf(reply, sizeof(reply), "250+circuit-status=\r\n"
             "7 BUILT " PATH3 " BUILD_FLAGS=IS_INTERNAL,NEED_CAPACITY PURPOSE=GENERAL "
             "SOCKS_USERNAME=\"" ME "\" SOCKS_PASSWORD=\"%s\"\r\n"
             "9 LAUNCHED SOCKS_USERNAME=\"" ME "\" SOCKS_PASSWORD=\"torgate\"\r\n"
             ".\r\n250 OK\r\n", pass);
    struct circuits_view v;
    assert_int_equal(circuits_view_build(reply, "250-stream-status=31 SUCCEEDED 7 web.tornet.test:80\r\n"
                                         "250 OK\r\n", ME, &v), 0);
    /* What the caller learns from Tor: two relays' addresses, one's country. */
    snprintf(v.circuits[0].relays[0].address, sizeof(v.circuits[0].relays[0].address), "127.0.0.1");
    v.circuits[0].relays[0].or_port = 51081;
    snprintf(v.circuits[0].relays[0].country, sizeof(v.circuits[0].relays[0].country), "de");
    snprintf(v.circuits[0].relays[1].address, sizeof(v.circuits[0].relays[1].address), "127.0.0.1");
    v.circuits[0].relays[1].or_port = 52211;
    v.circuits[0].relays[2].nickname[0] = '\0';

    char *text = render(&v, 0);
    assert_string_equal(text,
        "web: 2 circuits (SOCKS user " ME "; asked Tor at 127.0.0.1:9051)\n"
        "\n"
        "circuit 7  BUILT  GENERAL  IS_INTERNAL,NEED_CAPACITY\n"
        "  host web.tornet.test\n"
        "    tornetauth0          " FP1 "  127.0.0.1:51081        de\n"
        "    tornetauth5          " FP2 "  127.0.0.1:52211        -\n"
        "    -                    " FP3 "  -                      -\n"
        "  stream 31  web.tornet.test:80  SUCCEEDED\n"
        "\n"
        "circuit 9  LAUNCHED  -\n"
        "  no streams\n");
    free(text);
    char *json = render(&v, 1);
    assert_string_equal(json,
        "{\"name\":\"web\",\"socks_user\":\"" ME "\",\"tor_control\":\"127.0.0.1:9051\",\"circuits\":["
        "{\"id\":7,\"status\":\"BUILT\",\"purpose\":\"GENERAL\",\"build_flags\":[\"IS_INTERNAL\",\"NEED_CAPACITY\"],"
        "\"host\":\"web.tornet.test\",\"host_checked\":true,\"relays\":["
        "{\"fingerprint\":\"" FP1 "\",\"nickname\":\"tornetauth0\",\"address\":\"127.0.0.1\",\"or_port\":51081,\"country\":\"de\"},"
        "{\"fingerprint\":\"" FP2 "\",\"nickname\":\"tornetauth5\",\"address\":\"127.0.0.1\",\"or_port\":52211,\"country\":null},"
        "{\"fingerprint\":\"" FP3 "\",\"nickname\":null,\"address\":null,\"or_port\":null,\"country\":null}],"
        "\"streams\":[{\"id\":31,\"status\":\"SUCCEEDED\",\"target\":\"web.tornet.test:80\"}]},"
        "{\"id\":9,\"status\":\"LAUNCHED\",\"purpose\":null,\"relays\":[],\"streams\":[]}]}\n");
    free(json);
    circuits_view_free(&v);

    /* None; and a host no stream names, a target that needs escaping. */
    text = render(&v, 0);
    assert_string_equal(text, "web: no circuits now (SOCKS user " ME "; Tor builds them as its streams "
                              "need them; asked Tor at 127.0.0.1:9051)\n");
    free(text);
    json = render(&v, 1);
    assert_string_equal(json, "{\"name\":\"web\",\"socks_user\":\"" ME "\",\"tor_control\":\"127.0.0.1:9051\","
                              "\"circuits\":[]}\n");
    free(json);
    assert_int_equal(circuits_view_build("250-circuit-status=4 BUILT SOCKS_USERNAME=\"" ME "\" "
                                         "SOCKS_PASSWORD=\"host-00000000\"\r\n250 OK\r\n",
                                         "250-stream-status=5 SUCCEEDED 4 a\\b:80\r\n250 OK\r\n", ME, &v), 0);
    text = render(&v, 0);
    assert_non_null(strstr(text, "  host a\\b (as its streams target it now: its SOCKS password only "
                                 "hashes the name)\n"));
    assert_non_null(strstr(text, "  stream 5  a\\b:80  SUCCEEDED\n"));
    free(text);
    json = render(&v, 1);
    assert_non_null(strstr(json, "\"host\":\"a\\\\b\",\"host_checked\":false,"));
    assert_non_null(strstr(json, "\"target\":\"a\\\\b:80\""));
    free(json);
    circuits_view_free(&v);
    assert_int_equal(circuits_view_build("250-circuit-status=4 BUILT SOCKS_USERNAME=\"" ME "\" "
                                         "SOCKS_PASSWORD=\"host-00000000\"\r\n250 OK\r\n", NULL, ME, &v), 0);
    text = render(&v, 0);
    assert_non_null(strstr(text, "  host - (no open stream names it: its SOCKS password only hashes it)\n"));
    free(text);
    json = render(&v, 1);
    assert_non_null(strstr(json, "\"host\":null,\"host_checked\":false,"));
    free(json);
    circuits_view_free(&v);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_build),
        cmocka_unit_test(test_isolate_host),
        cmocka_unit_test(test_text_and_json),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
