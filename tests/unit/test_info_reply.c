/* Unit tests for the reader of a torgate's `info json` reply
 * (gateway/control/info_reply.c). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <cmocka.h>

#include "control/info_reply.h"

/* As control.c writes it. */
#define REPLY "{\"name\":\"web\",\"pid\":4242,\"mode\":\"command\",\"target\":\"sh -c \\\"curl\\\\x\\\"\"," \
              "\"streams\":3,\"bytes_up\":1200,\"bytes_down\":18446744073709551615,\"uptime\":61," \
              "\"socks_user\":\"torgate-0123456789abcdef0123456789abcdef\"," \
              "\"tor_control\":\"127.0.0.1:9051\"}\n"

static void test_reply(void **state)
{
    (void)state;
    struct info_reply r;
    assert_int_equal(info_reply_parse(REPLY, &r), 0);
    assert_string_equal(r.name, "web");
    assert_int_equal(r.pid, 4242);
    assert_string_equal(r.mode, "command");
    assert_string_equal(r.target, "sh -c \"curl\\x\"");
    assert_int_equal(r.streams, 3);
    assert_int_equal(r.bytes_up, 1200);
    assert_true(r.bytes_down == 18446744073709551615ULL);
    assert_int_equal(r.uptime, 61);
    assert_string_equal(r.socks_user, "torgate-0123456789abcdef0123456789abcdef");
    assert_string_equal(r.tor_control, "127.0.0.1:9051");
}

static void test_older_and_newer(void **state)
{
    (void)state;
    struct info_reply r;
    /* A torgate from before socks_user and tor_control: they stay empty. */
    assert_int_equal(info_reply_parse("{\"name\":\"a\",\"pid\":1,\"mode\":\"netns\",\"target\":\"/run/netns/x\","
                                      "\"streams\":0,\"bytes_up\":0,\"bytes_down\":0,\"uptime\":0}", &r), 0);
    assert_string_equal(r.socks_user, "");
    assert_string_equal(r.tor_control, "");
    /* A newer one's keys, of every kind JSON has but containers, skipped;
     * whitespace anywhere JSON allows it; the order does not matter. */
    assert_int_equal(info_reply_parse(" {\n \"future\" : \"x\\\"}\" , \"pid\" : 7 , \"f\":-1.5e3, \"t\":true,"
                                      "\"n\":null,\"b\":false, \"name\":\"b\" }\r\n", &r), 0);
    assert_string_equal(r.name, "b");
    assert_int_equal(r.pid, 7);
    /* Escapes: control characters as control.c writes them, and the rest. */
    assert_int_equal(info_reply_parse("{\"name\":\"n\",\"pid\":1,\"target\":\"a\\u0009b\\n\\/\\u00e9\\u20ac\"}", &r), 0);
    assert_string_equal(r.target, "a\tb\n/\xc3\xa9\xe2\x82\xac");
}

static void test_malformed(void **state)
{
    (void)state;
    struct info_reply r;
    static const char *const bad[] = {
        "",
        "[]",
        "{}",
        "{",
        "{\"name\":\"a\"}",                                   /* no pid */
        "{\"pid\":1}",                                        /* no name */
        "{\"name\":\"a\",\"pid\":0}",                          /* pid 0 */
        "{\"name\":\"a\",\"pid\":1",                           /* unterminated object */
        "{\"name\":\"a\",\"pid\":1,}",                         /* trailing comma */
        "{\"name\":\"a\" \"pid\":1}",                          /* no comma */
        "{\"name\" \"a\",\"pid\":1}",                          /* no colon */
        "{name:\"a\",\"pid\":1}",                              /* a bare key */
        "{\"name\":\"a,\"pid\":1}",                            /* unterminated string */
        "{\"name\":\"a\tb\",\"pid\":1}",                       /* a raw control character */
        "{\"name\":\"a\\qb\",\"pid\":1}",                      /* an unknown escape */
        "{\"name\":\"a\\u00\",\"pid\":1}",                     /* a short \u */
        "{\"name\":\"a\\u0000\",\"pid\":1}",                   /* NUL */
        "{\"name\":\"a\\ud800\",\"pid\":1}",                   /* a lone surrogate */
        "{\"name\":\"a\\",                                    /* a backslash at the end */
        "{\"name\":1,\"pid\":1}",                             /* wrong types */
        "{\"name\":\"a\",\"pid\":\"1\"}",
        "{\"name\":\"a\",\"pid\":-1}",
        "{\"name\":\"a\",\"pid\":1.5}",
        "{\"name\":\"a\",\"pid\":01}",
        "{\"name\":\"a\",\"pid\":2147483648}",
        "{\"name\":\"a\",\"pid\":1,\"streams\":18446744073709551616}",
        "{\"name\":\"a\",\"pid\":1,\"x\":{}}",                 /* containers */
        "{\"name\":\"a\",\"pid\":1,\"x\":[1]}",
        "{\"name\":\"a\",\"pid\":1,\"x\":nul}",
        "{\"name\":\"a\",\"pid\":1} x",                        /* junk after it */
        "{\"name\":\"a\",\"pid\":1}{}",
        "{\"name\":\"a\",\"pid\":1,\"mode\":\"much-too-long-a-mode\"}",  /* too long: refused, not cut */
    };
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        if (info_reply_parse(bad[i], &r) != -1)
            fail_msg("accepted: %s", bad[i]);
    }
    /* A name just too long for its field, and one that fits. */
    char big[200] = "{\"pid\":1,\"name\":\"";
    memset(big + strlen(big), 'n', 80);
    strcat(big, "\"}");
    assert_int_equal(info_reply_parse(big, &r), -1);
    memcpy(strstr(big, "\"}") - 1, "\"}", 3);
    assert_int_equal(info_reply_parse(big, &r), 0);
    assert_int_equal(strlen(r.name), 79);
}

/* What control.c writes with info_reply_json_str reads back the same. */
static void test_round_trip(void **state)
{
    (void)state;
    const char *target = "sh -c \"printf '\\t%s\\n' x\"\x01\x1f\t\n end";
    char esc[512], reply[1024];
    struct info_reply r;
    info_reply_json_str(esc, sizeof(esc), target);
    assert_string_equal(esc, "sh -c \\\"printf '\\\\t%s\\\\n' x\\\"\\u0001\\u001f\\u0009\\u000a end");
    snprintf(reply, sizeof(reply), "{\"name\":\"a\",\"pid\":1,\"target\":\"%s\"}\n", esc);
    assert_int_equal(info_reply_parse(reply, &r), 0);
    assert_string_equal(r.target, target);
    /* Cut to fit, never mid-escape. */
    info_reply_json_str(esc, 10, "\"\"\"\"\"");
    assert_string_equal(esc, "\\\"\\\"");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_reply),
        cmocka_unit_test(test_older_and_newer),
        cmocka_unit_test(test_malformed),
        cmocka_unit_test(test_round_trip),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
