/* Unit tests for the single-instance check's parsers (gateway/
 * singleton_parse.c): which browser a command is, which profile it would
 * start on, whether its command line turns remoting off, and the lock
 * formats a running Firefox or Chromium leaves behind. The inputs are other
 * programs' files: malformed ones must give no answer, never a crash. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "sandbox/singleton_parse.h"

#define ROOT "/home/u/.mozilla/firefox"

/* ---- which browser -------------------------------------------------- */

static void test_app_by_basename(void **state)
{
    (void)state;
    const struct singleton_app *a = singleton_parse_app("/usr/lib/firefox-esr/firefox-esr");
    assert_non_null(a);
    assert_int_equal(a->family, SINGLETON_MOZILLA);
    assert_string_equal(a->dir, ".mozilla/firefox");
    a = singleton_parse_app("google-chrome-stable");
    assert_non_null(a);
    assert_int_equal(a->family, SINGLETON_CHROMIUM);
    assert_string_equal(a->dir, "google-chrome");
    a = singleton_parse_app("/usr/bin/brave-browser");
    assert_non_null(a);
    assert_string_equal(a->dir, "BraveSoftware/Brave-Browser");
    assert_string_equal(singleton_parse_app("thunderbird")->dir, ".thunderbird");
}

static void test_app_unknown(void **state)
{
    (void)state;
    assert_null(singleton_parse_app("curl"));
    assert_null(singleton_parse_app("firefox.sh"));   /* a wrapper is not followed */
    assert_null(singleton_parse_app("/usr/bin/"));
    assert_null(singleton_parse_app(""));
    assert_null(singleton_parse_app(NULL));
}

/* ---- command lines -------------------------------------------------- */

static struct singleton_args moz(char **argv)
{
    struct singleton_args a;
    singleton_parse_args(SINGLETON_MOZILLA, argv, &a);
    return a;
}

static struct singleton_args chrome(char **argv)
{
    struct singleton_args a;
    singleton_parse_args(SINGLETON_CHROMIUM, argv, &a);
    return a;
}

static void test_moz_new_instance_forms(void **state)
{
    (void)state;
    char *a1[] = { "firefox", "--new-instance", "https://example.org/", NULL };
    char *a2[] = { "firefox", "https://example.org/", "-new-instance", NULL };
    char *a3[] = { "firefox", "-NEW-INSTANCE", NULL };
    char *a4[] = { "firefox", "https://example.org/", NULL };
    char *a5[] = { "firefox", "--no-remote", NULL };        /* ignored since Firefox 131 */
    char *a6[] = { "firefox", "new-instance", NULL };       /* not an option */
    char *a7[] = { "firefox", "---new-instance", NULL };    /* three dashes: not Gecko's */
    assert_int_equal(moz(a1).new_instance, 1);
    assert_int_equal(moz(a2).new_instance, 1);
    assert_int_equal(moz(a3).new_instance, 1);
    assert_int_equal(moz(a4).new_instance, 0);
    assert_int_equal(moz(a5).new_instance, 0);
    assert_int_equal(moz(a6).new_instance, 0);
    assert_int_equal(moz(a7).new_instance, 0);
}

static void test_moz_profile_forms(void **state)
{
    (void)state;
    char *a1[] = { "firefox", "--profile", "/tmp/p1", NULL };
    char *a2[] = { "firefox", "-profile", "/tmp/p2", "URL", NULL };
    char *a3[] = { "firefox", "--profile=/tmp/p3", NULL };
    char *a4[] = { "firefox", "--profile", "--new-instance", NULL };  /* no value */
    char *a5[] = { "firefox", "--profile", NULL };
    char *a6[] = { "firefox", "--profile=/tmp/first", "--profile", "/tmp/second", NULL };
    char *a7[] = { "firefox", "--profile=", NULL };
    assert_string_equal(moz(a1).profile_path, "/tmp/p1");
    assert_string_equal(moz(a2).profile_path, "/tmp/p2");
    assert_string_equal(moz(a3).profile_path, "/tmp/p3");
    assert_null(moz(a4).profile_path);
    assert_int_equal(moz(a4).new_instance, 1);
    assert_null(moz(a5).profile_path);
    assert_string_equal(moz(a6).profile_path, "/tmp/first");
    assert_null(moz(a7).profile_path);
}

static void test_moz_profile_name_and_manager(void **state)
{
    (void)state;
    char *a1[] = { "firefox", "-P", "work", NULL };
    char *a2[] = { "firefox", "-p", "work", NULL };
    char *a3[] = { "firefox", "--P=work", NULL };
    char *a4[] = { "firefox", "-P", NULL };
    char *a5[] = { "firefox", "-P", "-new-instance", NULL };
    char *a6[] = { "firefox", "--ProfileManager", NULL };
    char *a7[] = { "firefox", "-Pwork", NULL };             /* not an option Gecko knows */
    assert_string_equal(moz(a1).profile_name, "work");
    assert_string_equal(moz(a2).profile_name, "work");
    assert_string_equal(moz(a3).profile_name, "work");
    assert_null(moz(a4).profile_name);
    assert_int_equal(moz(a4).profile_manager, 1);
    assert_int_equal(moz(a5).profile_manager, 1);
    assert_int_equal(moz(a5).new_instance, 1);
    assert_int_equal(moz(a6).profile_manager, 1);
    assert_null(moz(a7).profile_name);
    assert_int_equal(moz(a7).profile_manager, 0);
}

static void test_chrome_user_data_dir(void **state)
{
    (void)state;
    char *a1[] = { "chromium", "--user-data-dir=/tmp/u1", "URL", NULL };
    char *a2[] = { "chromium", "-user-data-dir=/tmp/u2", NULL };
    char *a3[] = { "chromium", "--user-data-dir", "/tmp/u3", NULL };   /* a URL to Chromium */
    char *a4[] = { "chromium", "--user-data-dir=/a", "--user-data-dir=/b", NULL };
    char *a5[] = { "chromium", "--", "--user-data-dir=/tmp/u5", NULL };
    char *a6[] = { "chromium", "--USER-DATA-DIR=/tmp/u6", NULL };      /* case matters */
    char *a7[] = { "chromium", "--user-data-dir=", NULL };
    char *a8[] = { "chromium", "--user-data-directory=/x", NULL };
    assert_string_equal(chrome(a1).user_data_dir, "/tmp/u1");
    assert_string_equal(chrome(a2).user_data_dir, "/tmp/u2");
    assert_null(chrome(a3).user_data_dir);
    assert_string_equal(chrome(a4).user_data_dir, "/b");
    assert_null(chrome(a5).user_data_dir);
    assert_null(chrome(a6).user_data_dir);
    assert_null(chrome(a7).user_data_dir);
    assert_null(chrome(a8).user_data_dir);
}

static void test_chrome_headless(void **state)
{
    (void)state;
    char *a1[] = { "chromium", "--headless", "--dump-dom", "URL", NULL };
    char *a2[] = { "chromium", "--headless=new", NULL };
    char *a3[] = { "chromium", "--headlessly", NULL };
    char *a4[] = { "chromium", NULL };
    assert_int_equal(chrome(a1).headless, 1);
    assert_int_equal(chrome(a2).headless, 1);
    assert_int_equal(chrome(a3).headless, 0);
    assert_int_equal(chrome(a4).headless, 0);
}

static void test_args_empty(void **state)
{
    (void)state;
    char *a[] = { NULL };
    struct singleton_args r = moz(a);
    assert_int_equal(r.new_instance, 0);
    assert_null(r.profile_path);
    singleton_parse_args(SINGLETON_MOZILLA, NULL, &r);
    assert_null(r.profile_name);
}

/* ---- lock symlinks -------------------------------------------------- */

static void test_moz_lock(void **state)
{
    (void)state;
    long pid = 0;
    assert_int_equal(singleton_parse_moz_lock("127.0.1.1:+4242", &pid), 0);
    assert_int_equal(pid, 4242);
    assert_int_equal(singleton_parse_moz_lock("192.168.1.7:17", &pid), 0);
    assert_int_equal(pid, 17);
}

static void test_moz_lock_malformed(void **state)
{
    (void)state;
    static const char *const bad[] = {
        "", "4242", "127.0.0.1", "127.0.0.1:", "127.0.0.1:+", ":+4242",
        "127.0.0.1:+0", "127.0.0.1:+-5", "127.0.0.1:-5", "127.0.0.1:+42x",
        "127.0.0.1:+ 42", "127.0.0.1:++42", "127.0.0.1:+2147483648",
        "127.0.0.1:+99999999999999999999999",
    };
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        long pid = 77;
        assert_int_equal(singleton_parse_moz_lock(bad[i], &pid), -1);
        assert_int_equal(pid, 77);
    }
    long pid;
    assert_int_equal(singleton_parse_moz_lock("h:+2147483647", &pid), 0);
    assert_int_equal(pid, 2147483647);
}

static void test_chrome_lock(void **state)
{
    (void)state;
    char host[SINGLETON_HOST_MAX];
    long pid = 0;
    assert_int_equal(singleton_parse_chrome_lock("my-laptop-31337", host, sizeof(host), &pid), 0);
    assert_string_equal(host, "my-laptop");
    assert_int_equal(pid, 31337);
    assert_int_equal(singleton_parse_chrome_lock("h-1", host, sizeof(host), &pid), 0);
    assert_string_equal(host, "h");
}

static void test_chrome_lock_malformed(void **state)
{
    (void)state;
    static const char *const bad[] = {
        "", "host", "host-", "-42", "host-0", "host-x1", "host-1x", "host-+1",
        "host- 1", "host-4294967297",
    };
    char host[SINGLETON_HOST_MAX];
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        long pid = 77;
        assert_int_equal(singleton_parse_chrome_lock(bad[i], host, sizeof(host), &pid), -1);
        assert_int_equal(pid, 77);
    }
    /* A host name that does not fit is refused, not cut to a wrong one. */
    char small[5];
    long pid = 0;
    assert_int_equal(singleton_parse_chrome_lock("abcde-9", small, sizeof(small), &pid), -1);
    assert_int_equal(singleton_parse_chrome_lock("abcd-9", small, sizeof(small), &pid), 0);
    assert_string_equal(small, "abcd");
    assert_int_equal(singleton_parse_chrome_lock("a-9", small, 0, &pid), -1);
}

/* ---- profiles.ini --------------------------------------------------- */

static struct singleton_profiles profs(const char *p, const char *i, const char *name)
{
    static struct singleton_profiles out;
    singleton_parse_profiles(p, p != NULL ? strlen(p) : 0, i, i != NULL ? strlen(i) : 0, ROOT,
                             name, &out);
    return out;
}

/* What Firefox 67+ writes: the install's default wins over Default=1. */
static const char modern_ini[] =
    "[Profile1]\n"
    "Name=default\n"
    "IsRelative=1\n"
    "Path=old1.default\n"
    "Default=1\n"
    "\n"
    "[Profile0]\n"
    "Name=default-release\n"
    "IsRelative=1\n"
    "Path=abcd1234.default-release\n"
    "\n"
    "[Profile2]\n"
    "Name=work\n"
    "IsRelative=0\n"
    "Path=/srv/profiles/work\n"
    "\n"
    "[General]\n"
    "StartWithLastProfile=1\n"
    "Version=2\n"
    "\n"
    "[Install4F96D1932A9F858E]\n"
    "Default=abcd1234.default-release\n"
    "Locked=1\n";

static void test_profiles_install_default(void **state)
{
    (void)state;
    struct singleton_profiles r = profs(modern_ini, NULL, NULL);
    assert_int_equal(r.n, 1);
    assert_string_equal(r.path[0], ROOT "/abcd1234.default-release");
}

static void test_profiles_installs_ini_and_duplicates(void **state)
{
    (void)state;
    const char *installs =
        "[4F96D1932A9F858E]\r\n"
        "Default=abcd1234.default-release\r\n"
        "Locked=1\r\n"
        "\r\n"
        "[ABCDEF0123456789]\r\n"
        "Default=/srv/profiles/esr\r\n";
    struct singleton_profiles r = profs(modern_ini, installs, NULL);
    assert_int_equal(r.n, 2);   /* the same default twice is one candidate */
    assert_string_equal(r.path[0], ROOT "/abcd1234.default-release");
    assert_string_equal(r.path[1], "/srv/profiles/esr");
}

static void test_profiles_legacy_default(void **state)
{
    (void)state;
    const char *ini =
        "[General]\nStartWithLastProfile=1\n\n"
        "[Profile0]\nName=a\nIsRelative=1\nPath=a.a\n\n"
        "[Profile1]\nName=b\nIsRelative=1\nPath=b.b\nDefault=1\n";
    struct singleton_profiles r = profs(ini, NULL, NULL);
    assert_int_equal(r.n, 1);
    assert_string_equal(r.path[0], ROOT "/b.b");
}

static void test_profiles_only_profile(void **state)
{
    (void)state;
    struct singleton_profiles r = profs("[Profile0]\nName=x\nPath=only.x\n", NULL, NULL);
    assert_int_equal(r.n, 1);
    assert_string_equal(r.path[0], ROOT "/only.x");
    /* Two profiles, none the default: Firefox asks, nothing to guess. */
    r = profs("[Profile0]\nName=x\nPath=x\n[Profile1]\nName=y\nPath=y\n", NULL, NULL);
    assert_int_equal(r.n, 0);
}

static void test_profiles_by_name(void **state)
{
    (void)state;
    struct singleton_profiles r = profs(modern_ini, NULL, "work");
    assert_int_equal(r.n, 1);
    assert_string_equal(r.path[0], "/srv/profiles/work");
    r = profs(modern_ini, NULL, "default");
    assert_int_equal(r.n, 1);
    assert_string_equal(r.path[0], ROOT "/old1.default");
    assert_int_equal(profs(modern_ini, NULL, "Work").n, 0);   /* names are case-sensitive */
    assert_int_equal(profs(modern_ini, NULL, "nosuch").n, 0);
}

static void test_profiles_whitespace_and_comments(void **state)
{
    (void)state;
    const char *ini =
        "; written by hand\n"
        "# another comment\n"
        "  [Profile0]  \n"
        "Name = spaced \n"
        "Path =\tsp.ace\t\r\n"
        "Default = 1\n";
    struct singleton_profiles r = profs(ini, NULL, NULL);
    assert_int_equal(r.n, 1);
    assert_string_equal(r.path[0], ROOT "/sp.ace");
    r = profs(ini, NULL, "spaced");
    assert_int_equal(r.n, 1);
}

static void test_profiles_malformed(void **state)
{
    (void)state;
    static const char *const bad[] = {
        "", "\n\n\n", "[", "[Profile0", "[Profile0]\nPath\n", "[Profile0]\n=x\nName=\n",
        "Path=outside.section\nDefault=1\n", "[Install]\nDefault=\n",
        "[Profile0]\nName=nopath\nDefault=1\n",
    };
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
        assert_int_equal(profs(bad[i], NULL, NULL).n, 0);
    /* installs.ini: a Default= outside any section, or empty. */
    assert_int_equal(profs(NULL, "Default=x\n", NULL).n, 0);
    assert_int_equal(profs(NULL, "[ABC]\nDefault=\n[", NULL).n, 0);
    assert_int_equal(profs(NULL, NULL, NULL).n, 0);
    assert_int_equal(profs(NULL, NULL, "x").n, 0);
}

/* A value longer than a path is left out whole, never cut short into a
 * different path; so is a relative path that overflows once joined. */
static void test_profiles_long_values(void **state)
{
    (void)state;
    size_t n = SINGLETON_PATH_MAX * 3;
    char *ini = malloc(n + 64);
    assert_non_null(ini);
    int k = snprintf(ini, 64, "[Install1]\nDefault=");
    memset(ini + k, 'a', n);
    memcpy(ini + k + n, "\n[Install2]\nDefault=short\n", 27);
    struct singleton_profiles r = profs(ini, NULL, NULL);
    assert_int_equal(r.n, 1);
    assert_string_equal(r.path[0], ROOT "/short");

    /* Fits as a line, not once ROOT is put in front. */
    size_t m = SINGLETON_PATH_MAX - 8;
    k = snprintf(ini, 64, "[Install1]\nDefault=");
    memset(ini + k, 'b', m);
    ini[k + m] = '\0';
    assert_int_equal(profs(ini, NULL, NULL).n, 0);
    free(ini);
}

/* Only SINGLETON_MAX_PROFILES installs are looked at: a bounded list. */
static void test_profiles_many_installs(void **state)
{
    (void)state;
    char ini[4096];
    size_t off = 0;
    for (int i = 0; i < SINGLETON_MAX_PROFILES * 2; i++) {
        int k = snprintf(ini + off, sizeof(ini) - off, "[Install%d]\nDefault=p%d\n", i, i);
        assert_true(k > 0 && (size_t)k < sizeof(ini) - off);
        off += (size_t)k;
    }
    struct singleton_profiles r = profs(ini, NULL, NULL);
    assert_int_equal(r.n, SINGLETON_MAX_PROFILES);
    assert_string_equal(r.path[0], ROOT "/p0");
}

/* The length given is obeyed: text after it (and a NUL inside) is not read. */
static void test_profiles_length_bound(void **state)
{
    (void)state;
    const char text[] = "[Install1]\nDefault=aaa\n[Install2]\nDefault=bbb\n";
    struct singleton_profiles r;
    size_t cut = strlen("[Install1]\nDefault=aaa\n");
    singleton_parse_profiles(text, cut, NULL, 0, ROOT, NULL, &r);
    assert_int_equal(r.n, 1);
    assert_string_equal(r.path[0], ROOT "/aaa");
    const char nul[] = "[Install1]\nDefault=x\0yz\n";
    singleton_parse_profiles(nul, sizeof(nul) - 1, NULL, 0, ROOT, NULL, &r);
    assert_int_equal(r.n, 1);
    assert_string_equal(r.path[0], ROOT "/x");
}

/* Arbitrary bytes through every parser: under ASan+UBSan, no overrun and
 * no crash; any answer given is well-formed. */
static void test_random_inputs(void **state)
{
    (void)state;
    static const char alphabet[] = "[]=:+-\n\r\t ;#/.0123456789ProfileInstalDefaultNamePath\0x";
    char buf[512];
    char host[16];
    unsigned seed = 12345;
    for (int round = 0; round < 20000; round++) {
        size_t len = (seed = seed * 1103515245u + 12345u) % (sizeof(buf) - 1);
        for (size_t i = 0; i < len; i++) {
            seed = seed * 1103515245u + 12345u;
            buf[i] = alphabet[(seed >> 16) % (sizeof(alphabet) - 1)];
        }
        struct singleton_profiles r;
        singleton_parse_profiles(buf, len, buf, len / 2, ROOT, round % 3 ? NULL : "x", &r);
        assert_true(r.n <= SINGLETON_MAX_PROFILES);
        for (size_t i = 0; i < r.n; i++)
            assert_true(strlen(r.path[i]) > 0 && strlen(r.path[i]) < SINGLETON_PATH_MAX);
        buf[len] = '\0';
        long pid = 0;
        if (singleton_parse_moz_lock(buf, &pid) == 0)
            assert_true(pid > 0);
        if (singleton_parse_chrome_lock(buf, host, sizeof(host), &pid) == 0)
            assert_true(pid > 0 && strlen(host) < sizeof(host));
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_app_by_basename),
        cmocka_unit_test(test_app_unknown),
        cmocka_unit_test(test_moz_new_instance_forms),
        cmocka_unit_test(test_moz_profile_forms),
        cmocka_unit_test(test_moz_profile_name_and_manager),
        cmocka_unit_test(test_chrome_user_data_dir),
        cmocka_unit_test(test_chrome_headless),
        cmocka_unit_test(test_args_empty),
        cmocka_unit_test(test_moz_lock),
        cmocka_unit_test(test_moz_lock_malformed),
        cmocka_unit_test(test_chrome_lock),
        cmocka_unit_test(test_chrome_lock_malformed),
        cmocka_unit_test(test_profiles_install_default),
        cmocka_unit_test(test_profiles_installs_ini_and_duplicates),
        cmocka_unit_test(test_profiles_legacy_default),
        cmocka_unit_test(test_profiles_only_profile),
        cmocka_unit_test(test_profiles_by_name),
        cmocka_unit_test(test_profiles_whitespace_and_comments),
        cmocka_unit_test(test_profiles_malformed),
        cmocka_unit_test(test_profiles_long_values),
        cmocka_unit_test(test_profiles_many_installs),
        cmocka_unit_test(test_profiles_length_bound),
        cmocka_unit_test(test_random_inputs),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
