/* Unit tests for the profile lookup's view of a command line
 * (gateway/config/profile.c): the program a command runs, through the
 * wrappers that run the rest of their command line. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "config/profile.h"

static void test_profile_command_name(void **state)
{
    (void)state;
    static const struct { const char *argv[10]; const char *want; } cases[] = {
        { { "firefox-esr", NULL }, "firefox-esr" },
        { { "/usr/bin/timeout", "180", "firefox-esr", "--headless", NULL }, "firefox-esr" },
        { { "timeout", "-s", "KILL", "-k", "5", "10", "chromium", NULL }, "chromium" },
        { { "env", "-u", "X", "A=1", "B=2", "/usr/bin/ssh", "host", NULL }, "ssh" },
        { { "nice", "-n", "5", "ionice", "-c", "3", "nohup", "wget", "x", NULL }, "wget" },
        { { "nice", "-5", "stdbuf", "-oL", "curl", NULL }, "curl" },
        { { "setsid", "--", "git", "fetch", NULL }, "git" },
        { { "env", NULL }, "env" },                   /* nothing to run: its own name */
        { { "timeout", "5", NULL }, "timeout" },
        { { "sh", "-c", "firefox", NULL }, "sh" },    /* a shell is not looked into */
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
        assert_string_equal(profile_command_name((char *const *)cases[i].argv), cases[i].want);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_profile_command_name),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
