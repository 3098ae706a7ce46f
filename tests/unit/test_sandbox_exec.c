/* Unit tests for torgate exec's wire between the gateway and the
 * sandbox's PID 1 (gateway/sandbox/sandbox_exec.c): every message either
 * side may get, well-formed and not. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "sandbox/sandbox_exec.h"

static void test_head_round_trip(void **state)
{
    (void)state;
    uint8_t m[SANDBOX_EXEC_HEAD + 4];
    struct sandbox_exec_head h;
    sandbox_exec_pack(m, SANDBOX_EXEC_SIGNAL, 7, 15);
    assert_int_equal(sandbox_exec_head(m, SANDBOX_EXEC_HEAD, &h), 0);
    assert_int_equal(h.tag, SANDBOX_EXEC_SIGNAL);
    assert_int_equal(h.id, 7);
    assert_int_equal(h.value, 15);
    sandbox_exec_pack(m, SANDBOX_EXEC_EXITED, 0xffffffffu, 255);
    assert_int_equal(sandbox_exec_head(m, SANDBOX_EXEC_HEAD, &h), 0);
    assert_int_equal(h.id, 0xffffffffu);
    assert_int_equal(h.value, 255);
    sandbox_exec_pack(m, SANDBOX_EXEC_RUN, 3, 0);
    memcpy(m + SANDBOX_EXEC_HEAD, "ls\0", 3);
    assert_int_equal(sandbox_exec_head(m, SANDBOX_EXEC_HEAD + 3, &h), 0);
    assert_int_equal(h.tag, SANDBOX_EXEC_RUN);
}

static void test_head_malformed(void **state)
{
    (void)state;
    uint8_t m[SANDBOX_EXEC_HEAD + 8];
    struct sandbox_exec_head h;
    sandbox_exec_pack(m, SANDBOX_EXEC_SIGNAL, 1, 9);
    for (size_t len = 0; len < SANDBOX_EXEC_HEAD; len++)
        assert_int_equal(sandbox_exec_head(m, len, &h), -1);          /* short */
    assert_int_equal(sandbox_exec_head(m, SANDBOX_EXEC_HEAD + 1, &h), -1);  /* a tail */
    m[2] = 1;
    assert_int_equal(sandbox_exec_head(m, SANDBOX_EXEC_HEAD, &h), -1);     /* padding set */
    static const int32_t bad_signals[] = { 0, -1, 65, 1 << 30 };
    for (size_t i = 0; i < sizeof(bad_signals) / sizeof(bad_signals[0]); i++) {
        sandbox_exec_pack(m, SANDBOX_EXEC_SIGNAL, 1, bad_signals[i]);
        assert_int_equal(sandbox_exec_head(m, SANDBOX_EXEC_HEAD, &h), -1);
    }
    static const int32_t bad_codes[] = { -1, 256, 1000 };
    for (size_t i = 0; i < sizeof(bad_codes) / sizeof(bad_codes[0]); i++) {
        sandbox_exec_pack(m, SANDBOX_EXEC_EXITED, 1, bad_codes[i]);
        assert_int_equal(sandbox_exec_head(m, SANDBOX_EXEC_HEAD, &h), -1);
    }
    sandbox_exec_pack(m, 'Z', 1, 0);                                     /* unknown tag */
    assert_int_equal(sandbox_exec_head(m, SANDBOX_EXEC_HEAD, &h), -1);
    sandbox_exec_pack(m, SANDBOX_EXEC_RUN, 1, 0);                        /* RUN, no line */
    assert_int_equal(sandbox_exec_head(m, SANDBOX_EXEC_HEAD, &h), -1);
    sandbox_exec_pack(m, SANDBOX_EXEC_RUN, 1, 1);                        /* RUN on a tty */
    memcpy(m + SANDBOX_EXEC_HEAD, "sh\0", 3);
    assert_int_equal(sandbox_exec_head(m, SANDBOX_EXEC_HEAD + 3, &h), 0);
    assert_int_equal(h.value, 1);
    sandbox_exec_pack(m, SANDBOX_EXEC_RUN, 1, 2);                        /* RUN, what else? */
    assert_int_equal(sandbox_exec_head(m, SANDBOX_EXEC_HEAD + 3, &h), -1);
    /* RUN with more than a command line may hold. */
    uint8_t *big = calloc(1, SANDBOX_EXEC_HEAD + SANDBOX_EXEC_ARGV_MAX + 1);
    assert_non_null(big);
    sandbox_exec_pack(big, SANDBOX_EXEC_RUN, 1, 0);
    assert_int_equal(sandbox_exec_head(big, SANDBOX_EXEC_HEAD + SANDBOX_EXEC_ARGV_MAX + 1, &h), -1);
    assert_int_equal(sandbox_exec_head(big, SANDBOX_EXEC_HEAD + SANDBOX_EXEC_ARGV_MAX, &h), 0);
    free(big);
}

static void test_argv(void **state)
{
    (void)state;
    const char *argv[8];
    static const char line[] = "sh\0-c\0\0echo hi";     /* an empty argument is one */
    assert_int_equal(sandbox_exec_argv(line, sizeof(line), argv, 8), 4);
    assert_string_equal(argv[0], "sh");
    assert_string_equal(argv[1], "-c");
    assert_string_equal(argv[2], "");
    assert_string_equal(argv[3], "echo hi");
    assert_null(argv[4]);
    assert_int_equal(sandbox_exec_argv("true", 5, argv, 8), 1);
    assert_null(argv[1]);
}

static void test_argv_malformed(void **state)
{
    (void)state;
    const char *argv[4];
    assert_int_equal(sandbox_exec_argv("", 0, argv, 4), -1);
    assert_int_equal(sandbox_exec_argv("", 1, argv, 4), -1);             /* no command */
    assert_int_equal(sandbox_exec_argv("\0ls", 4, argv, 4), -1);         /* argv[0] empty */
    assert_int_equal(sandbox_exec_argv("ls", 2, argv, 4), -1);           /* no final NUL */
    assert_int_equal(sandbox_exec_argv("a\0b\0c\0d", 8, argv, 4), -1);   /* more than fit */
    assert_int_equal(sandbox_exec_argv("a\0b\0c", 6, argv, 4), 3);       /* just fits */
    assert_int_equal(sandbox_exec_argv("ls", 3, argv, 1), -1);           /* no room for NULL */
    /* More arguments than any command line may have. */
    size_t n = 2 * (SANDBOX_EXEC_ARGC_MAX + 1);
    char *many = malloc(n);
    const char **v = calloc(SANDBOX_EXEC_ARGC_MAX + 8, sizeof(*v));
    assert_non_null(many);
    assert_non_null(v);
    for (size_t i = 0; i < n; i += 2) {
        many[i] = 'x';
        many[i + 1] = '\0';
    }
    assert_int_equal(sandbox_exec_argv(many, n, v, SANDBOX_EXEC_ARGC_MAX + 8), -1);
    assert_int_equal(sandbox_exec_argv(many, n - 2, v, SANDBOX_EXEC_ARGC_MAX + 8), SANDBOX_EXEC_ARGC_MAX);
    free(many);
    free(v);
}

static void test_blob(void **state)
{
    (void)state;
    char out[64];
    const char *argv[8];
    char *cmd[] = { "sh", "-c", "", "echo hi", NULL };
    size_t n = sandbox_exec_blob(cmd, out, sizeof(out));
    assert_int_equal(n, 3 + 3 + 1 + 8);
    assert_int_equal(sandbox_exec_argv(out, n, argv, 8), 4);
    assert_string_equal(argv[3], "echo hi");
    assert_int_equal(sandbox_exec_blob(cmd, out, 10), 0);               /* does not fit */
    char *empty[] = { NULL };
    assert_int_equal(sandbox_exec_blob(empty, out, sizeof(out)), 0);
    char *blank[] = { "", NULL };
    assert_int_equal(sandbox_exec_blob(blank, out, sizeof(out)), 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_head_round_trip),
        cmocka_unit_test(test_head_malformed),
        cmocka_unit_test(test_argv),
        cmocka_unit_test(test_argv_malformed),
        cmocka_unit_test(test_blob),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
