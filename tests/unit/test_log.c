/* Unit tests for the log rate limiters (gateway/base/log.c): a failure that
 * repeats per connection must reach the user once, not flood the terminal,
 * and one noisy key must not silence another. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>

#include "base/log.h"

static void test_limit_same_key_once(void **state)
{
    (void)state;
    struct log_limit l;
    memset(&l, 0, sizeof(l));
    assert_int_equal(log_limit_allow(&l, "a.onion"), 1);
    for (int i = 0; i < 100; i++)
        assert_int_equal(log_limit_allow(&l, "a.onion"), 0);
}

static void test_limit_keys_independent(void **state)
{
    (void)state;
    struct log_limit l;
    memset(&l, 0, sizeof(l));
    assert_int_equal(log_limit_allow(&l, "a.onion"), 1);
    assert_int_equal(log_limit_allow(&l, "b.onion"), 1);
    assert_int_equal(log_limit_allow(&l, "a.onion"), 0);
    assert_int_equal(log_limit_allow(&l, "b.onion"), 0);
}

/* Only the last LOG_LIMIT_KEYS keys are remembered: an evicted key may be
 * warned about again (a bounded table, never a growing one). */
static void test_limit_evicts_oldest(void **state)
{
    (void)state;
    struct log_limit l;
    char key[32];
    memset(&l, 0, sizeof(l));
    for (int i = 0; i <= LOG_LIMIT_KEYS; i++) {
        snprintf(key, sizeof(key), "k%d", i);
        assert_int_equal(log_limit_allow(&l, key), 1);
    }
    assert_int_equal(log_limit_allow(&l, "k0"), 1);
    snprintf(key, sizeof(key), "k%d", LOG_LIMIT_KEYS);
    assert_int_equal(log_limit_allow(&l, key), 0);
}

/* Keys longer than a slot are compared on what fits, never overflowing. */
static void test_limit_long_key(void **state)
{
    (void)state;
    struct log_limit l;
    char key[LOG_LIMIT_KEY_LEN * 2];
    memset(&l, 0, sizeof(l));
    memset(key, 'x', sizeof(key) - 1);
    key[sizeof(key) - 1] = '\0';
    assert_int_equal(log_limit_allow(&l, key), 1);
    assert_int_equal(log_limit_allow(&l, key), 0);
}

/* log_warn_limited writes the first message and swallows the repeats. */
static void test_warn_limited_once(void **state)
{
    (void)state;
    int fds[2];
    char buf[4096];
    long last = 0;
    assert_int_equal(pipe(fds), 0);
    int saved = dup(STDERR_FILENO);
    assert_true(saved >= 0);
    assert_true(dup2(fds[1], STDERR_FILENO) >= 0);
    for (int i = 0; i < 5; i++)
        log_warn_limited(&last, "Tor is gone (%d)", i);
    assert_true(dup2(saved, STDERR_FILENO) >= 0);
    close(saved);
    close(fds[1]);
    ssize_t n = read(fds[0], buf, sizeof(buf) - 1);
    close(fds[0]);
    assert_true(n > 0);
    buf[n] = '\0';
    assert_string_equal(buf, "torgate: warning: Tor is gone (0)\n");
    assert_true(last != 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_limit_same_key_once),
        cmocka_unit_test(test_limit_keys_independent),
        cmocka_unit_test(test_limit_evicts_oldest),
        cmocka_unit_test(test_limit_long_key),
        cmocka_unit_test(test_warn_limited_once),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
