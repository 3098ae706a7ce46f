/* Unit tests for command-line parsing (gateway/config/cli.c). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <cmocka.h>

#include "config/cli.h"
#include "config/config.h"
#include "base/log.h"

/* getopt may permute argv, and cfg.cmd points into it, so the strings live
 * in writable storage that outlasts each parse. */
#define MAXARGS 32
static char arg_store[MAXARGS][160];
static char *argv_store[MAXARGS + 1];
static struct tg_config cfg;
static char err[256];

#define PARSE(env, ...) parse_args((env), (const char *[]){ "torgate", __VA_ARGS__, NULL })
#define PARSE0(env) parse_args((env), (const char *[]){ "torgate", NULL })

static enum cli_action parse_args(const char *env, const char **args)
{
    int argc = 0;
    for (; args[argc] != NULL; argc++) {
        assert_true(argc < MAXARGS);
        assert_true(strlen(args[argc]) < sizeof(arg_store[0]));
        strcpy(arg_store[argc], args[argc]);
        argv_store[argc] = arg_store[argc];
    }
    argv_store[argc] = NULL;
    /* Poison, so a field the parser forgets to set cannot pass by luck. */
    memset(&cfg, 0xA5, sizeof(cfg));
    memset(err, 'Z', sizeof(err));
    err[sizeof(err) - 1] = '\0';
    return cli_parse(argc, argv_store, env, NULL, &cfg, err, sizeof(err));
}

static void assert_socks_v4(const char *ip, uint16_t port)
{
    const struct sockaddr_in *sin = (const struct sockaddr_in *)&cfg.socks_addr;
    struct in_addr want;
    assert_int_equal(inet_pton(AF_INET, ip, &want), 1);
    assert_int_equal(sin->sin_family, AF_INET);
    assert_int_equal(ntohs(sin->sin_port), port);
    assert_int_equal(sin->sin_addr.s_addr, want.s_addr);
    assert_int_equal(cfg.socks_addrlen, sizeof(struct sockaddr_in));
}

static void expect_error_mentioning(enum cli_action a, const char *text)
{
    assert_int_equal(a, CLI_ERROR);
    assert_true(err[0] != '\0');
    assert_true(strlen(err) < sizeof(err) - 1);   /* not the poison */
    if (strstr(err, text) == NULL)
        fail_msg("error \"%s\" does not mention \"%s\"", err, text);
}

static void test_defaults(void **state)
{
    (void)state;
    assert_int_equal(PARSE(NULL, "--", "true"), CLI_RUN);
    assert_socks_v4("127.0.0.1", 9050);
    assert_string_equal(cfg.socks_name, "127.0.0.1:9050");
    assert_int_equal(cfg.mtu, 1500);
    assert_int_equal(cfg.log_level, LOG_WARN);
    assert_int_equal(cfg.tun_fd, -1);
    assert_ptr_equal(cfg.cmd, &argv_store[2]);
    assert_string_equal(cfg.cmd[0], "true");
    assert_null(cfg.cmd[1]);
    assert_string_equal(err, "");
}

static void test_command_forms(void **state)
{
    (void)state;
    assert_int_equal(PARSE(NULL, "--", "curl", "-s", "x"), CLI_RUN);
    assert_string_equal(cfg.cmd[0], "curl");
    assert_string_equal(cfg.cmd[1], "-s");
    assert_string_equal(cfg.cmd[2], "x");
    assert_null(cfg.cmd[3]);

    /* Without "--", the first non-option starts CMD. */
    assert_int_equal(PARSE(NULL, "curl", "-s", "x"), CLI_RUN);
    assert_ptr_equal(cfg.cmd, &argv_store[1]);
    assert_string_equal(cfg.cmd[0], "curl");
    assert_string_equal(cfg.cmd[1], "-s");
    assert_string_equal(cfg.cmd[2], "x");
    assert_null(cfg.cmd[3]);
    assert_int_equal(cfg.log_level, LOG_WARN);
}

static void test_options_after_command(void **state)
{
    (void)state;
    assert_int_equal(PARSE(NULL, "--", "curl", "-v"), CLI_RUN);
    assert_int_equal(cfg.log_level, LOG_WARN);
    assert_string_equal(cfg.cmd[0], "curl");
    assert_string_equal(cfg.cmd[1], "-v");
    assert_null(cfg.cmd[2]);

    /* torgate's own options are not picked out of CMD's arguments. */
    assert_int_equal(PARSE(NULL, "-q", "curl", "-v", "--socks", "bad", "--tun-fd", "3"), CLI_RUN);
    assert_int_equal(cfg.log_level, LOG_ERROR);
    assert_int_equal(cfg.tun_fd, -1);
    assert_socks_v4("127.0.0.1", 9050);
    assert_string_equal(cfg.cmd[0], "curl");
    assert_string_equal(cfg.cmd[5], "3");
    assert_null(cfg.cmd[6]);

    /* A second "--" is CMD's. */
    assert_int_equal(PARSE(NULL, "--", "--", "x"), CLI_RUN);
    assert_string_equal(cfg.cmd[0], "--");
    assert_string_equal(cfg.cmd[1], "x");
}

static void test_socks_good(void **state)
{
    (void)state;
    assert_int_equal(PARSE(NULL, "--socks", "127.0.0.1:19050", "--", "true"), CLI_RUN);
    assert_socks_v4("127.0.0.1", 19050);
    assert_string_equal(cfg.socks_name, "127.0.0.1:19050");

    assert_int_equal(PARSE(NULL, "--socks=10.1.2.3:1", "--", "true"), CLI_RUN);
    assert_socks_v4("10.1.2.3", 1);

    assert_int_equal(PARSE(NULL, "--socks", "127.0.0.1:65535", "--", "true"), CLI_RUN);
    assert_socks_v4("127.0.0.1", 65535);

    assert_int_equal(PARSE(NULL, "--socks", "localhost:9050", "--", "true"), CLI_RUN);
    assert_socks_v4("127.0.0.1", 9050);
    assert_string_equal(cfg.socks_name, "localhost:9050");

    assert_int_equal(PARSE(NULL, "--socks", "[::1]:9150", "--", "true"), CLI_RUN);
    const struct sockaddr_in6 *sin6 = (const struct sockaddr_in6 *)&cfg.socks_addr;
    assert_int_equal(sin6->sin6_family, AF_INET6);
    assert_int_equal(ntohs(sin6->sin6_port), 9150);
    assert_memory_equal(&sin6->sin6_addr, &in6addr_loopback, sizeof(struct in6_addr));
    assert_int_equal(cfg.socks_addrlen, sizeof(struct sockaddr_in6));
    assert_string_equal(cfg.socks_name, "[::1]:9150");
}

static void test_socks_env(void **state)
{
    (void)state;
    assert_int_equal(PARSE("127.0.0.2:9999", "--", "true"), CLI_RUN);
    assert_socks_v4("127.0.0.2", 9999);

    assert_int_equal(PARSE("127.0.0.2:9999", "--socks", "127.0.0.3:7777", "--", "true"), CLI_RUN);
    assert_socks_v4("127.0.0.3", 7777);

    /* --socks wins even over an env value that would not parse. */
    assert_int_equal(PARSE("garbage", "--socks", "127.0.0.3:7777", "--", "true"), CLI_RUN);
    assert_socks_v4("127.0.0.3", 7777);
    expect_error_mentioning(PARSE("garbage", "--", "true"), "garbage");

    /* An empty $TORGATE_SOCKS is unset, as shells usually mean it. */
    assert_int_equal(PARSE("", "--", "true"), CLI_RUN);
    assert_socks_v4("127.0.0.1", 9050);
}

static void test_socks_bad(void **state)
{
    (void)state;
    static const char *const bad[] = {
        "", "127.0.0.1", "127.0.0.1:", "127.0.0.1:0", "127.0.0.1:65536", "127.0.0.1:abc",
        "127.0.0.1:-1", "127.0.0.1:+80", "127.0.0.1:80x", "127.0.0.1:99999999999999999999",
        ":9050", "::1:9050", "[::1]9050", "[::1]", "[]:9050", "[::1:9050", "example.com:9050",
        "[127.0.0.1]:9050", "[localhost]:9050", "256.0.0.1:9050", "[::1]:0",
    };
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        expect_error_mentioning(PARSE(NULL, "--socks", bad[i], "--", "true"), bad[i]);
        if (bad[i][0] != '\0')
            expect_error_mentioning(PARSE(bad[i], "--", "true"), bad[i]);
    }
    /* "--socks" with nothing after it. */
    expect_error_mentioning(PARSE(NULL, "--socks"), "--socks");
}

static void test_hostport_direct(void **state)
{
    (void)state;
    memset(&cfg, 0, sizeof(cfg));
    assert_int_equal(cli_parse_hostport("[::1]:1", &cfg, err, sizeof(err)), 0);
    assert_int_equal(cfg.socks_addr.ss_family, AF_INET6);
    assert_int_equal(cli_parse_hostport("192.168.0.1:8", &cfg, err, sizeof(err)), 0);
    assert_socks_v4("192.168.0.1", 8);
    err[0] = '\0';
    assert_int_equal(cli_parse_hostport(NULL, &cfg, err, sizeof(err)), -1);
    assert_true(err[0] != '\0');
    /* A too-small err buffer truncates rather than overflows. */
    char small[8];
    memset(small, 'Z', sizeof(small));
    assert_int_equal(cli_parse_hostport("nope", &cfg, small, sizeof(small)), -1);
    assert_int_equal(strlen(small), sizeof(small) - 1);
}

static void test_verbosity(void **state)
{
    (void)state;
    assert_int_equal(PARSE(NULL, "-v", "--", "true"), CLI_RUN);
    assert_int_equal(cfg.log_level, LOG_INFO);
    assert_int_equal(PARSE(NULL, "--verbose", "--", "true"), CLI_RUN);
    assert_int_equal(cfg.log_level, LOG_INFO);
    assert_int_equal(PARSE(NULL, "-vv", "--", "true"), CLI_RUN);
    assert_int_equal(cfg.log_level, LOG_DEBUG);
    assert_int_equal(PARSE(NULL, "-v", "--verbose", "--", "true"), CLI_RUN);
    assert_int_equal(cfg.log_level, LOG_DEBUG);
    assert_int_equal(PARSE(NULL, "-vvvv", "--", "true"), CLI_RUN);
    assert_int_equal(cfg.log_level, LOG_DEBUG);
    assert_int_equal(PARSE(NULL, "-q", "--", "true"), CLI_RUN);
    assert_int_equal(cfg.log_level, LOG_ERROR);
    assert_int_equal(PARSE(NULL, "--quiet", "--", "true"), CLI_RUN);
    assert_int_equal(cfg.log_level, LOG_ERROR);

    expect_error_mentioning(PARSE(NULL, "-q", "-v", "--", "true"), "-q");
    expect_error_mentioning(PARSE(NULL, "-v", "-q", "--", "true"), "-v");
    expect_error_mentioning(PARSE(NULL, "-qv", "--", "true"), "-q");
}

static void test_help_version(void **state)
{
    (void)state;
    assert_int_equal(PARSE(NULL, "-h"), CLI_HELP);
    assert_int_equal(PARSE(NULL, "--help"), CLI_HELP);
    assert_int_equal(PARSE(NULL, "-V"), CLI_VERSION);
    assert_int_equal(PARSE(NULL, "--version"), CLI_VERSION);
    /* Help wins over anything still missing, like the command. */
    assert_int_equal(PARSE(NULL, "-v", "--help"), CLI_HELP);

    const char *u = cli_usage();
    assert_non_null(u);
    assert_non_null(strstr(u, "--socks"));
    assert_non_null(strstr(u, "--tun-fd"));
    assert_non_null(strstr(u, "--mtu"));
}

static void test_mtu(void **state)
{
    (void)state;
    static const unsigned good[] = { 1280, 1500, 9000, 65535 };
    char buf[32];
    for (size_t i = 0; i < sizeof(good) / sizeof(good[0]); i++) {
        snprintf(buf, sizeof(buf), "%u", good[i]);
        assert_int_equal(PARSE(NULL, "--mtu", buf, "--", "true"), CLI_RUN);
        assert_int_equal(cfg.mtu, good[i]);
    }
    assert_int_equal(PARSE(NULL, "--mtu=9000", "--", "true"), CLI_RUN);
    assert_int_equal(cfg.mtu, 9000);

    static const char *const bad[] = {
        "1279", "65536", "abc", "-5", "", "0", "1500x", "+1500", "4294968796",
    };
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
        expect_error_mentioning(PARSE(NULL, "--mtu", bad[i], "--", "true"), "--mtu");
    expect_error_mentioning(PARSE(NULL, "--mtu", "1279", "--", "true"), "1279");
}

static void test_tun_fd(void **state)
{
    (void)state;
    assert_int_equal(PARSE(NULL, "--tun-fd", "3"), CLI_RUN);
    assert_int_equal(cfg.tun_fd, 3);
    assert_null(cfg.cmd);
    assert_int_equal(cfg.log_level, LOG_WARN);
    assert_socks_v4("127.0.0.1", 9050);

    assert_int_equal(PARSE(NULL, "--tun-fd=0"), CLI_RUN);
    assert_int_equal(cfg.tun_fd, 0);
    assert_null(cfg.cmd);

    expect_error_mentioning(PARSE(NULL, "--tun-fd", "3", "--", "true"), "--tun-fd");
    expect_error_mentioning(PARSE(NULL, "--tun-fd", "3", "true"), "--tun-fd");
    expect_error_mentioning(PARSE(NULL, "--tun-fd", "-1"), "-1");
    expect_error_mentioning(PARSE(NULL, "--tun-fd", "x"), "x");
    expect_error_mentioning(PARSE(NULL, "--tun-fd", "2147483648"), "2147483648");

    /* Neither CMD nor --tun-fd. */
    expect_error_mentioning(PARSE0(NULL), "command");
    expect_error_mentioning(PARSE(NULL, "--"), "command");
    expect_error_mentioning(PARSE(NULL, "-v"), "command");
}

static void test_ping(void **state)
{
    (void)state;
    /* Refusing is the default: a local answer says a host is up when Tor,
     * which carries no ICMP, was never asked. (The poison in parse_args
     * would leave a forgotten default non-zero.) */
    assert_int_equal(PARSE(NULL, "--", "true"), CLI_RUN);
    assert_int_equal(cfg.ping_local, 0);
    assert_int_equal(PARSE(NULL, "--tun-fd", "3"), CLI_RUN);
    assert_int_equal(cfg.ping_local, 0);

    assert_int_equal(PARSE(NULL, "--ping", "local", "--", "true"), CLI_RUN);
    assert_int_equal(cfg.ping_local, 1);
    assert_int_equal(PARSE(NULL, "--ping=local", "--", "true"), CLI_RUN);
    assert_int_equal(cfg.ping_local, 1);
    assert_int_equal(PARSE(NULL, "--ping", "refuse", "--", "true"), CLI_RUN);
    assert_int_equal(cfg.ping_local, 0);
    assert_string_equal(cfg.cmd[0], "true");

    /* Anything else is an error naming both the option and the value;
     * the words are matched exactly, not by case or prefix. */
    expect_error_mentioning(PARSE(NULL, "--ping", "loud", "--", "true"), "--ping");
    expect_error_mentioning(PARSE(NULL, "--ping", "loud", "--", "true"), "loud");
    static const char *const bad[] = { "", "Local", "REFUSE", "loc", "localhost", "refused", "1" };
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
        expect_error_mentioning(PARSE(NULL, "--ping", bad[i], "--", "true"), "--ping");
    expect_error_mentioning(PARSE(NULL, "--ping"), "--ping");

    assert_non_null(strstr(cli_usage(), "--ping"));
}

static void test_onion_service(void **state)
{
    (void)state;
    assert_int_equal(PARSE(NULL, "--publish", "8000:80", "--onion-service", "80:8080", "--onion-service",
                           "443", "--onion-key", "k", "--", "true"), CLI_RUN);
    assert_int_equal(cfg.nonion, 2);
    assert_int_equal(cfg.onion[0].vport, 80);
    assert_int_equal(cfg.onion[0].port, 8080);
    assert_int_equal(cfg.onion[1].vport, 443);
    assert_int_equal(cfg.onion[1].port, 443);          /* PORT defaults to VPORT */
    assert_string_equal(cfg.onion_key, "k");
    /* Each a --publish of its own after the user's, on 127.0.0.1, port 0. */
    assert_int_equal(cfg.npublish, 3);
    assert_int_equal(cfg.onion_first, 1);
    const struct sockaddr_in *sin = (const struct sockaddr_in *)&cfg.publish[2].addr;
    assert_int_equal(sin->sin_family, AF_INET);
    assert_int_equal(ntohl(sin->sin_addr.s_addr), INADDR_LOOPBACK);
    assert_int_equal(sin->sin_port, 0);
    assert_int_equal(cfg.publish[2].ns_port, 443);

    static const char *const bad[] = { "", "0", "65536", "x", "80:", ":80", "80:0", "80:x", "80:8080:1",
                                       "-1", "1234567:1" };
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
        expect_error_mentioning(PARSE(NULL, "--onion-service", bad[i], "--", "true"), "--onion-service");
    expect_error_mentioning(PARSE(NULL, "--onion-service", "80", "--onion-service", "80:81", "--", "true"),
                            "twice");
    expect_error_mentioning(PARSE(NULL, "--onion-key", "k", "--", "true"), "--onion-service");
    expect_error_mentioning(PARSE(NULL, "--onion-auth", "a.auth", "--", "true"), "--onion-service");
    assert_int_equal(PARSE(NULL, "--onion-service", "80", "--onion-auth", "a.auth", "--onion-auth", "b.auth",
                           "--", "true"), CLI_RUN);
    assert_int_equal(cfg.nonion_auth, 2);
    assert_string_equal(cfg.onion_auth[1], "b.auth");
    expect_error_mentioning(PARSE(NULL, "--onion-service", "80", "--onion-key", "", "--", "true"),
                            "--onion-key");
    expect_error_mentioning(PARSE(NULL, "--onion-service", "80", "--tun-fd", "3"), "--onion-service");
    /* Together with --publish, no more listeners than --publish may have. */
    expect_error_mentioning(PARSE(NULL, "--publish", "1:1", "--publish", "2:2", "--publish", "3:3",
                                  "--publish", "4:4", "--publish", "5:5", "--onion-service", "1",
                                  "--onion-service", "2", "--onion-service", "3", "--onion-service", "4",
                                  "--", "true"), "at most");
}

static void test_seccomp(void **state)
{
    (void)state;
    /* The default policy unless told (the poison would show a forgotten
     * default), and no file. */
    assert_int_equal(PARSE(NULL, "--", "true"), CLI_RUN);
    assert_int_equal(cfg.seccomp, TG_SECCOMP_DEFAULT);
    assert_null(cfg.seccomp_file);

    assert_int_equal(PARSE(NULL, "--seccomp", "off", "--", "true"), CLI_RUN);
    assert_int_equal(cfg.seccomp, TG_SECCOMP_OFF);
    assert_null(cfg.seccomp_file);
    assert_int_equal(PARSE(NULL, "--seccomp=default", "--", "true"), CLI_RUN);
    assert_int_equal(cfg.seccomp, TG_SECCOMP_DEFAULT);
    assert_null(cfg.seccomp_file);

    /* Anything else is a file, read later (main.c) so the CLI stays pure. */
    assert_int_equal(PARSE(NULL, "--seccomp", "/etc/torgate/browser.policy", "--", "true"), CLI_RUN);
    assert_int_equal(cfg.seccomp, TG_SECCOMP_FILE);
    assert_string_equal(cfg.seccomp_file, "/etc/torgate/browser.policy");
    assert_string_equal(cfg.cmd[0], "true");
    /* A file called "off" is ./off; the words are matched exactly. */
    assert_int_equal(PARSE(NULL, "--seccomp", "./off", "--", "true"), CLI_RUN);
    assert_int_equal(cfg.seccomp, TG_SECCOMP_FILE);
    assert_string_equal(cfg.seccomp_file, "./off");
    assert_int_equal(PARSE(NULL, "--seccomp", "OFF", "--", "true"), CLI_RUN);
    assert_int_equal(cfg.seccomp, TG_SECCOMP_FILE);

    /* The last one counts; a file given earlier is forgotten. */
    assert_int_equal(PARSE(NULL, "--seccomp", "p.policy", "--seccomp", "off", "--", "true"), CLI_RUN);
    assert_int_equal(cfg.seccomp, TG_SECCOMP_OFF);
    assert_null(cfg.seccomp_file);

    expect_error_mentioning(PARSE(NULL, "--seccomp", "", "--", "true"), "--seccomp");
    expect_error_mentioning(PARSE(NULL, "--seccomp"), "--seccomp");
    /* --tun-fd confines nothing: a policy there would be a silent no-op. */
    expect_error_mentioning(PARSE(NULL, "--seccomp", "off", "--tun-fd", "3"), "--tun-fd");

    const char *u = cli_usage();
    assert_non_null(strstr(u, "--seccomp off|default|FILE"));
    assert_non_null(strstr(u, "TIOCSTI"));
}

static void test_check_confinement(void **state)
{
    (void)state;
    assert_int_equal(PARSE(NULL, "--check-confinement"), CLI_CHECK_CONFINEMENT);
    assert_socks_v4("127.0.0.1", 9050);
    assert_int_equal(PARSE(NULL, "--socks", "127.0.0.1:9150", "--check-confinement"), CLI_CHECK_CONFINEMENT);
    assert_socks_v4("127.0.0.1", 9150);
    expect_error_mentioning(PARSE(NULL, "--check-confinement", "--", "true"), "runs no command");
    expect_error_mentioning(PARSE(NULL, "--check-confinement", "--tun-fd", "3"), "runs no command");
    expect_error_mentioning(PARSE(NULL, "--check-confinement", "--socks", "bad"), "bad SOCKS address");
}

static void test_unknown_options(void **state)
{
    (void)state;
    expect_error_mentioning(PARSE(NULL, "--bogus", "--", "true"), "--bogus");
    expect_error_mentioning(PARSE(NULL, "--bogus=1", "--", "true"), "--bogus");
    expect_error_mentioning(PARSE(NULL, "-x", "--", "true"), "-x");
    expect_error_mentioning(PARSE(NULL, "-vx", "--", "true"), "-x");
    /* --help does not take an argument. */
    expect_error_mentioning(PARSE(NULL, "--help=1"), "--help");
}

static void test_unknown_option_leading_a_cluster(void **state)
{
    (void)state;
    /* getopt has not moved optind past "-xv" when it rejects the 'x', so
     * argv[optind - 1] is the element before it; the message must still
     * name -x, not "torgate" or a previous argument. */
    expect_error_mentioning(PARSE(NULL, "-xv", "--", "true"), "-x");
    expect_error_mentioning(PARSE(NULL, "-q", "-xv", "--", "true"), "-x");
}

static void test_reparse(void **state)
{
    (void)state;
    struct tg_config first;
    char first_err[sizeof(err)];

    assert_int_equal(PARSE(NULL, "-v", "--mtu", "9000", "--", "true"), CLI_RUN);
    first = cfg;
    assert_int_equal(PARSE(NULL, "-v", "--mtu", "9000", "--", "true"), CLI_RUN);
    assert_int_equal(cfg.log_level, first.log_level);
    assert_int_equal(cfg.log_level, LOG_INFO);
    assert_int_equal(cfg.mtu, 9000);
    assert_ptr_equal(cfg.cmd, first.cmd);
    assert_ptr_equal(cfg.cmd, &argv_store[5]);
    assert_int_equal(cfg.socks_addrlen, first.socks_addrlen);
    assert_memory_equal(&cfg.socks_addr, &first.socks_addr, first.socks_addrlen);

    expect_error_mentioning(PARSE(NULL, "--bogus", "--", "true"), "--bogus");
    strcpy(first_err, err);
    expect_error_mentioning(PARSE(NULL, "--bogus", "--", "true"), "--bogus");
    assert_string_equal(err, first_err);

    /* An error in the middle of "-xv" leaves getopt halfway through a
     * cluster; the next parse must not resume there and see that 'v'. */
    assert_int_equal(PARSE(NULL, "-xv", "--", "true"), CLI_ERROR);
    assert_int_equal(PARSE(NULL, "--", "true"), CLI_RUN);
    assert_int_equal(cfg.log_level, LOG_WARN);
    assert_string_equal(cfg.cmd[0], "true");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_defaults),
        cmocka_unit_test(test_command_forms),
        cmocka_unit_test(test_options_after_command),
        cmocka_unit_test(test_socks_good),
        cmocka_unit_test(test_socks_env),
        cmocka_unit_test(test_socks_bad),
        cmocka_unit_test(test_hostport_direct),
        cmocka_unit_test(test_verbosity),
        cmocka_unit_test(test_help_version),
        cmocka_unit_test(test_mtu),
        cmocka_unit_test(test_tun_fd),
        cmocka_unit_test(test_ping),
        cmocka_unit_test(test_onion_service),
        cmocka_unit_test(test_seccomp),
        cmocka_unit_test(test_check_confinement),
        cmocka_unit_test(test_unknown_options),
        cmocka_unit_test(test_unknown_option_leading_a_cluster),
        cmocka_unit_test(test_reparse),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
