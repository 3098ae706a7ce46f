/* Unit tests for config files and profiles (gateway/config/conffile.c,
 * profile.c, options*.c) and how cli_parse layers them. */
#define _GNU_SOURCE
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <fcntl.h>
#include <ftw.h>
#include <unistd.h>
#include <sys/stat.h>
#include <cmocka.h>

#include "config/addr.h"
#include "config/cli.h"
#include "config/conffile.h"
#include "config/config.h"
#include "base/log.h"
#include "config/options.h"

static struct tg_config cfg;
static struct opt_state st;
static char err[512];

static void poison_err(void)
{
    memset(err, 'Z', sizeof(err));
    err[sizeof(err) - 1] = '\0';
}

static void expect_mentions(const char *text)
{
    assert_true(strlen(err) < sizeof(err) - 1);     /* not the poison */
    if (strstr(err, text) == NULL)
        fail_msg("error \"%s\" does not mention \"%s\"", err, text);
}

/* ---- conffile_parse ------------------------------------------------------ */

/* Every call of the callback as "[key|value]", and how many. */
static char calls[4096];
static int ncalls, fail_at;

static int record(void *ctx, const char *key, const char *value, char *e, size_t elen)
{
    assert_ptr_equal(ctx, &ncalls);
    size_t used = strlen(calls);
    snprintf(calls + used, sizeof(calls) - used, "[%s|%s]", key, value);
    if (++ncalls == fail_at) {
        snprintf(e, elen, "callback says no to %s", key);
        return -1;
    }
    return 0;
}

static int parse_len(const char *buf, size_t len, unsigned *line)
{
    calls[0] = '\0';
    ncalls = 0;
    poison_err();
    return conffile_parse(buf, len, record, &ncalls, line, err, sizeof(err));
}

static void expect_parse_error(const char *buf, size_t len, unsigned want_line, int want_calls,
                               const char *text)
{
    unsigned line = 0;
    assert_int_equal(parse_len(buf, len, &line), -1);
    assert_int_equal(line, want_line);
    assert_int_equal(ncalls, want_calls);
    expect_mentions(text);
}

#define PARSE_ERR(buf, line, ncalls, text) expect_parse_error((buf), strlen(buf), (line), (ncalls), (text))

static void test_parse_good(void **state)
{
    (void)state;
    unsigned line = 99;
    const char *buf = "\n# a comment = with an equals sign\n   \t# an indented comment\nmtu=1400\n"
                      "  \tsocks \t=\t 127.0.0.1:9150 \t \n\t\ndns = resolve\r\nsetenv = A=B=C\n"
                      "name =\nkeepenv = LANG";
    assert_int_equal(parse_len(buf, strlen(buf), &line), 0);
    assert_int_equal(line, 10);
    assert_int_equal(ncalls, 6);
    assert_string_equal(calls, "[mtu|1400][socks|127.0.0.1:9150][dns|resolve][setenv|A=B=C][name|]"
                        "[keepenv|LANG]");
    assert_string_equal(err, "");
    /* Empty, and only blank lines: nothing called, no error. */
    assert_int_equal(parse_len("", 0, &line), 0);
    assert_int_equal(line, 0);
    assert_int_equal(parse_len("\n\r\n  \n# x = 1\n", 14, &line), 0);
    assert_int_equal(ncalls, 0);
    assert_int_equal(line, 4);
    /* Only len bytes are read. */
    assert_int_equal(parse_len("mtu = 1400\ndns = map\n", 11, &line), 0);
    assert_string_equal(calls, "[mtu|1400]");
}

static void test_parse_errors(void **state)
{
    (void)state;
    PARSE_ERR("mtu = 1400\n\njust words\nmtu = 1500\n", 3, 1, "KEY = VALUE, got 'just words'");
    PARSE_ERR("= x\n", 1, 0, "no key");
    PARSE_ERR("# c\n  \t=x\n", 2, 0, "no key");
    PARSE_ERR("dns = map\nMtu = 1400\n", 2, 1, "bad key 'Mtu'");
    PARSE_ERR("no_wait = yes\n", 1, 0, "bad key 'no_wait'");
    PARSE_ERR("\n\nmy key = 1\n", 3, 0, "bad key 'my key'");
    /* 63 characters is the longest key; 64 is too long. */
    char key[65], buf[200];
    unsigned line;
    memset(key, 'k', 63);
    key[63] = '\0';
    snprintf(buf, sizeof(buf), "%s = 1\n", key);
    assert_int_equal(parse_len(buf, strlen(buf), &line), 0);
    assert_int_equal(ncalls, 1);
    assert_int_equal(strlen(calls), 63 + strlen("[|1]"));
    key[63] = 'k';
    key[64] = '\0';
    snprintf(buf, sizeof(buf), "mtu = 1\n%s = 1\n", key);
    PARSE_ERR(buf, 2, 1, "overlong key");
    /* A NUL inside a line: the length is given, so it is seen. */
    static const char nul[] = "mtu = 1400\nna\0me = x\n";
    expect_parse_error(nul, sizeof(nul) - 1, 2, 1, "NUL");
    /* CONF_MAX_LINE characters pass; one more does not. */
    static char big[CONF_MAX_LINE + 64];
    memset(big, 'x', sizeof(big));
    memcpy(big, "name = ", 7);
    big[CONF_MAX_LINE] = '\n';
    assert_int_equal(parse_len(big, CONF_MAX_LINE + 1, &line), 0);
    assert_int_equal(ncalls, 1);
    assert_int_equal(strlen(calls), strlen("[name|]") + CONF_MAX_LINE - 7);
    big[CONF_MAX_LINE] = 'x';
    memcpy(big, "mtu = 1\nname = ", 15);
    big[8 + CONF_MAX_LINE + 1] = '\n';
    expect_parse_error(big, 8 + CONF_MAX_LINE + 2, 2, 1, "longer than 1024");
    /* The limit is the same with CRLF endings. */
    memset(big, 'x', sizeof(big));
    memcpy(big, "name = ", 7);
    big[CONF_MAX_LINE] = '\r';
    big[CONF_MAX_LINE + 1] = '\n';
    assert_int_equal(parse_len(big, CONF_MAX_LINE + 2, &line), 0);
    assert_int_equal(strlen(calls), strlen("[name|]") + CONF_MAX_LINE - 7);
    /* The callback's error stops the parse at its line. */
    fail_at = 2;
    PARSE_ERR("a = 1\n# skip\nb = 2\nc = 3\n", 3, 2, "callback says no to b");
    fail_at = 0;
    assert_string_equal(calls, "[a|1][b|2]");
}

/* ---- options_apply_key --------------------------------------------------- */

static void fresh(void)
{
    options_defaults(&cfg, &st);
    st.file = "/etc/torgate/torgate.conf";
    poison_err();
}

static int apply(const char *key, const char *value)
{
    return options_apply_key(&cfg, &st, key, value, err, sizeof(err));
}

#define OK(key, value) assert_int_equal(apply((key), (value)), 0)

static void expect_apply_error(const char *key, const char *value, const char *text)
{
    fresh();
    if (apply(key, value) != -1)
        fail_msg("%s = %s was accepted", key, value);
    expect_mentions(text);
}

/* cfg->env as "NAME=V -UNSET +KEEP", cfg->mounts as "bind:SRC>DST ro:-SRC>DST hide:P>P". */
static const char *envs(void)
{
    static char out[2048];
    size_t n = 0;
    out[0] = '\0';
    for (int i = 0; i < cfg.nenv; i++)
        n += (size_t)snprintf(out + n, sizeof(out) - n, "%s%s%s", i ? " " : "",
                              cfg.env[i].op == TG_ENV_UNSET ? "-" : cfg.env[i].op == TG_ENV_KEEP ? "+" : "",
                              cfg.env[i].text);
    return out;
}

static const char *mounts(void)
{
    static const char *const kinds[] = { "bind", "ro", "hide" };
    static char out[2048];
    size_t n = 0;
    out[0] = '\0';
    for (int i = 0; i < cfg.nmounts; i++)
        n += (size_t)snprintf(out + n, sizeof(out) - n, "%s%s:%s%s>%s", i ? " " : "",
                              kinds[cfg.mounts[i].kind], cfg.mounts[i].optional ? "-" : "",
                              cfg.mounts[i].src, cfg.mounts[i].dst);
    return out;
}

static void test_apply_rejects(void **state)
{
    (void)state;
    static const char *const cli_only[] = {
        "check", "netns", "pid", "tun-fd", "force", "help", "version", "check-confinement",
    };
    expect_apply_error("colour", "red", "unknown key 'colour'");
    expect_apply_error("include", "x", "unknown key");   /* only in profiles */
    for (size_t i = 0; i < sizeof(cli_only) / sizeof(cli_only[0]); i++)
        expect_apply_error(cli_only[i], "1", "command line");
    expect_apply_error("mtu", "", "'mtu' needs a value");
    expect_apply_error("setenv", "", "'setenv' needs a value");

    fresh();
    OK("profile", "web");       /* fine in a config file */
    assert_string_equal(st.profile, "web");
    fresh();
    st.file_is_profile = 1;
    assert_int_equal(apply("profile", "web"), -1);
    expect_mentions("include");
    assert_null(st.profile);

    static const char *const bad[][3] = {
        { "mtu", "1279", "--mtu '1279'" }, { "mtu", "65536", "--mtu '65536'" },
        { "mtu", "abc", "--mtu 'abc'" }, { "mtu", "-1500", "--mtu" },
        { "dns", "google", "map or resolve" }, { "ping", "yes", "refuse or local" },
        { "isolate", "circuit", "instance, host or stream" }, { "offload", "yes", "on or off" },
        { "dbus", "maybe", "--dbus 'maybe'" }, { "private-home", "2", "yes or no" },
        { "verbose", "3", "yes or no" }, { "setenv", "NOEQUALS", "NAME=VALUE" },
        { "setenv", "1A=x", "--setenv '1A=x'" }, { "setenv", "A-B=x", "--setenv 'A-B=x'" },
        { "setenv", "=x", "--setenv" }, { "unsetenv", "A=B", "--unsetenv 'A=B'" },
        { "keepenv", "A=B", "--keepenv" }, { "expose", "0", "--expose" },
        { "expose", "9051:70000", "--expose" }, { "bind", "relative/dir", "absolute path" },
        { "bind", "/srv:relative", "absolute path" }, { "bind", "/srv:", "absolute path" },
        { "bind", "/", "root directory" }, { "bind", "-/", "root directory" },
        { "bind-ro", "/srv:/", "root directory" }, { "hide", "${FOO}/x", "unknown variable" },
        { "socket", "docker", "bad --socket 'docker'" }, { "socket", "X11", "bad --socket" },
        { "socket", "x11-nested", "bad --socket" }, { "x11", "yes", "bad --x11 'yes': use nested, shared or none" },
        { "bind", "${HOME", "unknown variable" }, { "setenv", "X=${FOO}", "unknown variable" },
    };
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        expect_apply_error(bad[i][0], bad[i][1], bad[i][2]);
        assert_int_equal(cfg.mtu, TG_DEFAULT_MTU);
        assert_int_equal(cfg.nenv + cfg.nexpose + cfg.nmounts, 0);
    }
}

#define F(field) offsetof(struct tg_config, field)

static void test_apply_good_values(void **state)
{
    (void)state;
    /* Each row changes its field from what the rows before left there. */
    static const struct { const char *key, *value; size_t off; int want; } good[] = {
        { "mtu", "1280", F(mtu), 1280 }, { "mtu", "65535", F(mtu), 65535 },
        { "dns", "resolve", F(dns_mode), TG_DNS_RESOLVE }, { "dns", "map", F(dns_mode), TG_DNS_MAP },
        { "ping", "local", F(ping_local), 1 }, { "ping", "refuse", F(ping_local), 0 },
        { "offload", "off", F(offload), 0 }, { "offload", "on", F(offload), 1 },
        { "isolate", "stream", F(isolate), TG_ISOLATE_STREAM },
        { "isolate", "host", F(isolate), TG_ISOLATE_HOST },
        { "isolate", "instance", F(isolate), TG_ISOLATE_INSTANCE },
        { "dbus", "yes", F(sockets), TG_SOCKET_SESSION_BUS }, { "dbus", "no", F(sockets), 0 },
        { "socket", "x11", F(sockets), TG_SOCKET_X11 },
        { "socket", "wayland", F(sockets), TG_SOCKET_X11 | TG_SOCKET_WAYLAND },
        { "dbus", "yes", F(sockets), TG_SOCKET_X11 | TG_SOCKET_WAYLAND | TG_SOCKET_SESSION_BUS },
        { "socket", "none", F(sockets), 0 },
        { "utc", "yes", F(utc), 1 }, { "utc", "no", F(utc), 0 },
        { "generic-user", "yes", F(generic_user), 1 }, { "generic-user", "no", F(generic_user), 0 },
        { "x11", "nested", F(sockets), TG_SOCKET_X11_NESTED }, { "x11", "shared", F(sockets), TG_SOCKET_X11 },
        { "x11", "none", F(sockets), 0 },
        { "private-home", "on", F(private_home), 1 }, { "private-home", "off", F(private_home), 0 },
        { "clearenv", "true", F(clearenv), 1 }, { "clearenv", "false", F(clearenv), 0 },
        { "no-wait", "1", F(no_wait), 1 }, { "no-wait", "0", F(no_wait), 0 },
    };
    fresh();
    for (size_t i = 0; i < sizeof(good) / sizeof(good[0]); i++) {
        int before, after;
        memcpy(&before, (char *)&cfg + good[i].off, sizeof(int));
        assert_int_not_equal(before, good[i].want);
        OK(good[i].key, good[i].value);
        memcpy(&after, (char *)&cfg + good[i].off, sizeof(int));
        if (after != good[i].want)
            fail_msg("%s = %s gave %d, not %d", good[i].key, good[i].value, after, good[i].want);
    }

    OK("expose", "9051");
    OK("expose", "8080:80");
    assert_int_equal(cfg.nexpose, 2);
    assert_true(cfg.expose[0].host_port == 9051 && cfg.expose[0].ns_port == 9051);
    assert_true(cfg.expose[1].host_port == 8080 && cfg.expose[1].ns_port == 80);
    OK("setenv", "A=B=C");
    OK("unsetenv", "DISPLAY");
    OK("keepenv", "LANG");
    OK("setenv", "EMPTY=");
    assert_string_equal(envs(), "A=B=C -DISPLAY +LANG EMPTY=");
    OK("bind", "/srv/data");
    OK("bind-ro", "-/opt/x:/mnt/x");
    OK("hide", "/home/u/.ssh");
    assert_string_equal(mounts(), "bind:/srv/data>/srv/data ro:-/opt/x>/mnt/x hide:/home/u/.ssh>/home/u/.ssh");
    assert_null(st.cli_cmd_only);       /* files never count as the command line */
}

static void test_apply_paths(void **state)
{
    (void)state;
    char want[256];
    unsigned uid = (unsigned)getuid();
    setenv("HOME", "/home/tester", 1);
    setenv("USER", "tester", 1);
    fresh();
    OK("bind", "~/x");
    OK("bind-ro", "${HOME}/a:/data/${USER}");
    OK("hide", "/run/user/${UID}/bus");
    OK("bind", "~");
    snprintf(want, sizeof(want), "bind:/home/tester/x>/home/tester/x ro:/home/tester/a>/data/tester "
             "hide:/run/user/%u/bus>/run/user/%u/bus bind:/home/tester>/home/tester", uid, uid);
    assert_string_equal(mounts(), want);
    OK("setenv", "CACHE=~/cache");
    OK("setenv", "WHO=${USER}@${UID}");
    snprintf(want, sizeof(want), "CACHE=/home/tester/cache WHO=tester@%u", uid);
    assert_string_equal(envs(), want);
}

#define IN_ARENA(p) ((p) >= cfg.strings && (p) < cfg.strings + sizeof(cfg.strings))

static void test_apply_strings(void **state)
{
    (void)state;
    char line[] = "A=one\0/srv/one\0" "10.0.0.1:9050\0myname";
    fresh();
    OK("setenv", line);
    OK("bind", line + 6);
    OK("socks", line + 15);
    OK("name", line + 29);
    assert_true(IN_ARENA(cfg.env[0].text) && IN_ARENA(cfg.mounts[0].src));
    assert_true(IN_ARENA(st.socks) && IN_ARENA(cfg.name));
    memset(line, 'X', sizeof(line));    /* the buffer goes, as a file's does */
    assert_string_equal(cfg.env[0].text, "A=one");
    assert_string_equal(cfg.mounts[0].src, "/srv/one");
    assert_string_equal(st.socks, "10.0.0.1:9050");
    assert_string_equal(cfg.name, "myname");
    /* Filling the arena is an error, not an overflow. */
    static char v[1000], path[2000];
    fresh();
    int i, rc = 0;
    for (i = 0; i < TG_MAX_ENV && rc == 0; i++) {
        snprintf(v, sizeof(v), "V%02d=", i);
        memset(v + 4, 'a' + i % 26, sizeof(v) - 5);
        rc = apply("setenv", v);
    }
    assert_int_equal(rc, -1);
    assert_true(i < TG_MAX_ENV);        /* the arena, not the count, ran out */
    expect_mentions("bytes");
    assert_int_equal(cfg.nenv, i - 1);
    assert_int_equal(strlen(cfg.env[cfg.nenv - 1].text), sizeof(v) - 1);
    memset(path, 'p', sizeof(path) - 1);
    path[0] = '/';
    assert_int_equal(apply("bind", path), -1);
    expect_mentions("bytes");
    assert_int_equal(cfg.nmounts, 0);
    /* The last byte: a value as long as the room left has no room for its NUL. */
    size_t room = sizeof(cfg.strings) - cfg.strings_used;
    assert_true(room > 1 && room < sizeof(path));
    path[room] = '\0';
    assert_int_equal(apply("name", path), -1);
    path[room - 1] = '\0';
    OK("name", path);
    assert_int_equal(cfg.strings_used, sizeof(cfg.strings));
}

/* ---- cli_parse with files ------------------------------------------------ */

static char tmp[64];
static struct conf_sources src;
#define MAXARGS 16
static char arg_store[MAXARGS][160];
static char *argv_store[MAXARGS + 1];

/* tmp/rel, as a path. */
static const char *at(const char *rel)
{
    static char p[4][128];
    static int next;
    next = (next + 1) % 4;
    snprintf(p[next], sizeof(p[0]), "%s/%s", tmp, rel);
    return p[next];
}

static int setup_dir(void **state)
{
    (void)state;
    snprintf(tmp, sizeof(tmp), "/tmp/tg-conffile-XXXXXX");
    assert_non_null(mkdtemp(tmp));
    assert_int_equal(mkdir(at("uprof"), 0755), 0);
    assert_int_equal(mkdir(at("sprof"), 0755), 0);
    memset(&src, 0, sizeof(src));
    snprintf(src.conf[0], sizeof(src.conf[0]), "%s/sys.conf", tmp);
    snprintf(src.conf[1], sizeof(src.conf[1]), "%s/user.conf", tmp);
    snprintf(src.profile_dirs[0], sizeof(src.profile_dirs[0]), "%s/uprof", tmp);
    snprintf(src.profile_dirs[1], sizeof(src.profile_dirs[1]), "%s/sprof", tmp);
    return 0;
}

static int rm_one(const char *path, const struct stat *sb, int flag, struct FTW *ftw)
{
    (void)sb, (void)flag, (void)ftw;
    return remove(path);
}

static int teardown_dir(void **state)
{
    (void)state;
    return nftw(tmp, rm_one, 16, FTW_DEPTH | FTW_PHYS);
}

/* Writes tmp/rel, mode 0644 whatever the umask. */
static void put(const char *rel, const char *text)
{
    int fd = open(at(rel), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    assert_true(fd >= 0);
    assert_int_equal(write(fd, text, strlen(text)), (ssize_t)strlen(text));
    assert_int_equal(fchmod(fd, 0644), 0);
    close(fd);
}

static enum cli_action cli_args(const char *env, const char **args)
{
    int argc = 0;
    for (; args[argc] != NULL; argc++) {
        assert_true(argc < MAXARGS);
        assert_true(strlen(args[argc]) < sizeof(arg_store[0]));
        strcpy(arg_store[argc], args[argc]);
        argv_store[argc] = arg_store[argc];
    }
    argv_store[argc] = NULL;
    memset(&cfg, 0xA5, sizeof(cfg));
    poison_err();
    return cli_parse(argc, argv_store, env, &src, &cfg, err, sizeof(err));
}

#define CLI(env, ...) cli_args((env), (const char *[]){ "torgate", __VA_ARGS__, NULL })
#define RUN(...) assert_int_equal(CLI(NULL, __VA_ARGS__), CLI_RUN)
#define RUN_EQ(field, want, ...) do { RUN(__VA_ARGS__); assert_int_equal(cfg.field, (want)); } while (0)
#define RUN_MTU(want, ...) RUN_EQ(mtu, want, __VA_ARGS__)
#define SOCKS(env, want, ...) do { assert_int_equal(CLI((env), __VA_ARGS__), CLI_RUN); \
                                   assert_string_equal(cfg.socks_name, (want)); } while (0)
#define FAILS(text, ...) do { assert_int_equal(CLI(NULL, __VA_ARGS__), CLI_ERROR); \
                              expect_mentions(text); } while (0)

/* err begins "tmp/rel:LINE: ". */
static void expect_err_at(const char *rel, unsigned line)
{
    char want[160];
    snprintf(want, sizeof(want), "%s:%u: ", at(rel), line);
    if (strncmp(err, want, strlen(want)) != 0)
        fail_msg("error \"%s\" does not begin \"%s\"", err, want);
}

static void test_cli_precedence(void **state)
{
    (void)state;
    RUN_MTU(TG_DEFAULT_MTU, "--", "/usr/bin/sh");       /* no files at all */
    assert_string_equal(cfg.profile_path, "");
    put("sys.conf", "mtu = 1400\nisolate = host\n");
    RUN_MTU(1400, "--", "/usr/bin/sh");
    assert_int_equal(cfg.isolate, TG_ISOLATE_HOST);
    put("user.conf", "mtu = 1401\n");
    RUN_MTU(1401, "--", "/usr/bin/sh");
    assert_int_equal(cfg.isolate, TG_ISOLATE_HOST);
    put("uprof/sh.conf", "mtu = 1402\nisolate = stream\n");
    RUN_MTU(1402, "--", "/usr/bin/sh");
    assert_int_equal(cfg.isolate, TG_ISOLATE_STREAM);
    assert_string_equal(cfg.profile_path, at("uprof/sh.conf"));
    RUN_MTU(1403, "--mtu", "1403", "--isolate", "instance", "--", "/usr/bin/sh");
    assert_int_equal(cfg.isolate, TG_ISOLATE_INSTANCE);
    /* The profile goes by the command's name: none for another command. */
    RUN_MTU(1401, "--", "/bin/true");
    assert_string_equal(cfg.profile_path, "");
    RUN_MTU(1401, "--profile", "none", "--", "/usr/bin/sh");
    assert_string_equal(cfg.profile_path, "");
    RUN_MTU(1402, "--", "sh", "-c", "x");
    RUN_MTU(1402, "--", "timeout", "5", "env", "A=1", "/usr/bin/sh");   /* through wrappers */
    assert_string_equal(cfg.profile_for, "sh");
    /* The system's profile directory when the user's has none. */
    assert_int_equal(unlink(at("uprof/sh.conf")), 0);
    put("sprof/sh.conf", "mtu = 1404\n");
    RUN_MTU(1404, "--", "/usr/bin/sh");
    assert_string_equal(cfg.profile_path, at("sprof/sh.conf"));
    /* Lists add up: system, user, profile, command line. */
    put("sys.conf", "setenv = S=1\nbind = /srv/sys\n");
    put("user.conf", "setenv = U=1\nunsetenv = GONE\n");
    put("sprof/sh.conf", "keepenv = P\nbind-ro = /srv/prof\n");
    RUN("--setenv", "C=1", "--bind", "/srv/cli", "--", "/usr/bin/sh");
    assert_string_equal(envs(), "S=1 U=1 -GONE +P C=1");
    assert_ptr_equal(cfg.env[4].text, argv_store[2]);      /* argv's own string */
    assert_string_equal(mounts(), "bind:/srv/sys>/srv/sys ro:/srv/prof>/srv/prof bind:/srv/cli>/srv/cli");
}

static void test_cli_profile_choice(void **state)
{
    (void)state;
    put("uprof/sh.conf", "mtu = 1402\n");
    FAILS("no profile 'ghost'", "--profile", "ghost", "--", "/usr/bin/sh");
    FAILS("bad --profile '.hidden'", "--profile", ".hidden", "--", "/usr/bin/sh");
    put("sprof/web.conf", "mtu = 1300\n");
    RUN_MTU(1300, "--profile", "web", "--", "/usr/bin/sh");
    put("user.conf", "profile = web\n");
    RUN_MTU(1300, "--", "/usr/bin/sh");
    RUN_MTU(1402, "--profile", "sh", "--", "/usr/bin/true");
    put("user.conf", "profile = nosuch\n");
    FAILS("no profile 'nosuch'", "--", "/usr/bin/sh");
    expect_mentions(at("user.conf"));   /* the file that chose it */
    /* A profile given by path. */
    put("user.conf", "");
    put("mine.conf", "mtu = 1310\n");
    RUN_MTU(1310, "--profile", at("mine.conf"), "--", "/usr/bin/sh");
    assert_string_equal(cfg.profile_path, at("mine.conf"));
}

static void test_cli_include(void **state)
{
    (void)state;
    put("uprof/app.conf", "setenv = P1=1\ninclude = base\nsetenv = P2=1\nmtu = 1350\n");
    put("uprof/base.conf", "setenv = B=1\nmtu = 1340\n");
    RUN_MTU(1350, "--profile", "app", "--", "/usr/bin/x");
    assert_string_equal(envs(), "P1=1 B=1 P2=1");
    /* A user's profile builds on the system's of the same name. */
    put("uprof/sh.conf", "include = sh\nsetenv = USERS=1\n");
    put("sprof/sh.conf", "setenv = SYSTEMS=1\nmtu = 1360\n");
    RUN_MTU(1360, "--", "/usr/bin/sh");
    assert_string_equal(envs(), "SYSTEMS=1 USERS=1");
    /* The including file's siblings come first. */
    assert_int_equal(mkdir(at("set"), 0755), 0);
    put("set/top.conf", "include = base\n");
    put("set/base.conf", "mtu = 1370\n");
    RUN_MTU(1370, "--profile", at("set/top.conf"), "--", "/usr/bin/x");
    assert_string_equal(envs(), "");
    /* Loops are errors, directly or through another profile. */
    char text[160];
    put("uprof/a.conf", "include = a\n");
    FAILS("include 'a': an include loop", "--profile", "a", "--", "/usr/bin/x");
    expect_err_at("uprof/a.conf", 1);
    put("uprof/a.conf", "mtu = 1300\ninclude = b\n");
    put("uprof/b.conf", "include = a\n");
    FAILS("include 'a': an include loop", "--profile", "a", "--", "/usr/bin/x");
    expect_err_at("uprof/a.conf", 2);
    snprintf(text, sizeof(text), "%s:1: ", at("uprof/b.conf"));
    expect_mentions(text);
    snprintf(text, sizeof(text), "include = %s\n", at("uprof/a.conf"));
    put("uprof/b.conf", text);
    FAILS("includes itself", "--profile", "a", "--", "/usr/bin/x");
    /* A chain deeper than PROFILE_MAX_DEPTH ends in an error too. */
    for (int i = 0; i < 12; i++) {
        char name[32];
        snprintf(name, sizeof(name), "uprof/d%d.conf", i);
        snprintf(text, sizeof(text), "include = d%d\n", i + 1);
        put(name, text);
    }
    FAILS("nested more than", "--profile", "d0", "--", "/usr/bin/x");
}

static void test_cli_file_errors(void **state)
{
    (void)state;
    put("user.conf", "# mine\n\nmtu = 5\n");
    FAILS("--mtu '5'", "--", "/usr/bin/sh");
    expect_err_at("user.conf", 3);
    put("user.conf", "");
    put("sys.conf", "dns = map\nbogus = 1\n");
    FAILS("unknown key 'bogus'", "--", "/usr/bin/sh");
    expect_err_at("sys.conf", 2);
    put("sys.conf", "");
    put("uprof/sh.conf", "\n\n\nbind = relative\n");
    FAILS("absolute path", "--", "/usr/bin/sh");
    expect_err_at("uprof/sh.conf", 4);
    put("uprof/sh.conf", "profile = x\n");
    FAILS("include = NAME", "--", "/usr/bin/sh");
    /* Who may write a config file or a profile. */
    put("user.conf", "mtu = 1400\n");
    assert_int_equal(chmod(at("user.conf"), 0664), 0);
    FAILS("writable by others", "--", "/usr/bin/sh");
    expect_mentions(at("user.conf"));
    assert_int_equal(chmod(at("user.conf"), 0646), 0);
    FAILS("writable by others", "--", "/usr/bin/sh");
    assert_int_equal(chmod(at("user.conf"), 0600), 0);
    if (chown(at("user.conf"), 4242, (gid_t)-1) == 0) {     /* only root can test this */
        FAILS("owned by uid 4242", "--", "/usr/bin/sh");
        assert_int_equal(chown(at("user.conf"), getuid(), (gid_t)-1), 0);
    }
    put("uprof/sh.conf", "mtu = 1300\n");
    RUN_MTU(1300, "--", "/usr/bin/sh");
    assert_int_equal(chmod(at("uprof/sh.conf"), 0666), 0);
    FAILS("writable by others", "--", "/usr/bin/sh");
    RUN_MTU(1400, "--", "/usr/bin/true");
    /* --help and --version read no file, so a broken one cannot stop them. */
    put("user.conf", "this is not a config file\n");
    FAILS("KEY = VALUE", "--", "/usr/bin/true");
    assert_int_equal(CLI(NULL, "--help"), CLI_HELP);
    assert_int_equal(CLI(NULL, "--mtu", "1400", "-h", "--", "/usr/bin/true"), CLI_HELP);
    assert_int_equal(CLI(NULL, "--version"), CLI_VERSION);
}

static void test_cli_socks_and_verbosity(void **state)
{
    (void)state;
    put("sys.conf", "socks = 127.0.0.1:1111\n");
    SOCKS(NULL, "127.0.0.1:1111", "--", "/usr/bin/true");
    put("user.conf", "socks = 127.0.0.1:2222\n");
    SOCKS(NULL, "127.0.0.1:2222", "--", "/usr/bin/true");
    assert_int_equal(addr_port(&cfg.socks_addr), 2222);
    SOCKS("", "127.0.0.1:2222", "--", "/usr/bin/true");
    SOCKS("127.0.0.1:3333", "127.0.0.1:3333", "--", "/usr/bin/true");
    SOCKS("127.0.0.1:3333", "127.0.0.1:4444", "--socks", "127.0.0.1:4444", "--", "/bin/true");
    assert_int_equal(addr_port(&cfg.socks_addr), 4444);
    put("user.conf", "socks = nowhere\n");
    FAILS("nowhere", "--", "/usr/bin/true");
    SOCKS(NULL, "127.0.0.1:5555", "--socks", "127.0.0.1:5555", "--", "/usr/bin/true");

    put("sys.conf", "");
    put("user.conf", "verbose = yes\n");
    RUN_EQ(log_level, LOG_INFO, "--", "/usr/bin/true");
    RUN_EQ(log_level, LOG_ERROR, "-q", "--", "/usr/bin/true");
    put("sys.conf", "verbose = 2\n");
    put("user.conf", "verbose = no\n");
    RUN_EQ(log_level, LOG_WARN, "--", "/usr/bin/true");
    put("user.conf", "quiet = yes\n");
    RUN_EQ(log_level, LOG_ERROR, "--", "/usr/bin/true");
    RUN_EQ(log_level, LOG_INFO, "-v", "--", "/usr/bin/true");
}

static void test_cli_sidecar_drops_cmd_only(void **state)
{
    (void)state;
    put("user.conf", "setenv = A=1\nbind = /srv\nseccomp = off\nexpose = 9051\ndbus = yes\n"
        "private-home = yes\nclearenv = yes\nmtu = 1400\nsocket = x11\n");
    RUN_MTU(1400, "--", "/usr/bin/true");
    assert_int_equal(cfg.nenv + cfg.nmounts + cfg.nexpose, 3);
    assert_int_equal(cfg.seccomp, TG_SECCOMP_OFF);
    assert_int_equal(cfg.sockets, TG_SOCKET_SESSION_BUS | TG_SOCKET_X11);
    assert_int_equal(cfg.private_home + cfg.clearenv, 2);

    RUN_MTU(1400, "--netns", "/run/netns/x");  /* mtu is not cmd-only: kept */
    assert_string_equal(cfg.netns_path, "/run/netns/x");
    assert_int_equal(cfg.nenv + cfg.nmounts + cfg.nexpose, 0);
    assert_int_equal(cfg.seccomp, TG_SECCOMP_DEFAULT);
    assert_null(cfg.seccomp_file);
    assert_int_equal(cfg.sockets + cfg.private_home + cfg.clearenv, 0);
    FAILS("--setenv", "--netns", "/run/netns/x", "--setenv", "B=2");
    FAILS("--bind", "--netns", "/run/netns/x", "--bind", "/srv");
    FAILS("--expose", "--tun-fd", "3", "--expose", "9051");
    FAILS("--socket", "--netns", "/run/netns/x", "--socket", "wayland");
    /* The place inside a bind is absolute on the command line too: "~b"
     * is no home and there is no working directory inside. */
    FAILS("absolute path", "--bind", "/srv:~b", "--", "/usr/bin/true");
    FAILS("absolute path", "--bind", "/srv:rel", "--", "/usr/bin/true");
    /* A profile is for a command: "profile =" in a file is dropped too. */
    put("user.conf", "profile = nosuch\n");
    RUN("--netns", "/run/netns/x");
    FAILS("nosuch", "--", "/usr/bin/true");
}

#define DIR_TEST(f) cmocka_unit_test_setup_teardown(f, setup_dir, teardown_dir)

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_parse_good),
        cmocka_unit_test(test_parse_errors),
        cmocka_unit_test(test_apply_rejects),
        cmocka_unit_test(test_apply_good_values),
        cmocka_unit_test(test_apply_paths),
        cmocka_unit_test(test_apply_strings),
        DIR_TEST(test_cli_precedence),
        DIR_TEST(test_cli_profile_choice),
        DIR_TEST(test_cli_include),
        DIR_TEST(test_cli_file_errors),
        DIR_TEST(test_cli_socks_and_verbosity),
        DIR_TEST(test_cli_sidecar_drops_cmd_only),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
