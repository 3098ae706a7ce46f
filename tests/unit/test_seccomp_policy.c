/* Unit tests for the seccomp policy parser (gateway/sandbox/seccomp_policy.c). */
#define _GNU_SOURCE
#include <errno.h>
#include <sched.h>
#include <signal.h>
#include <stdlib.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <linux/userfaultfd.h>
#include <seccomp.h>
#include <cmocka.h>

#include "sandbox/seccomp_policy.h"

static struct seccomp_policy pol;
static char err[256];

static int parse_n(const char *text, size_t len)
{
    /* Poison, so a field the parser forgets cannot pass by luck. */
    memset(&pol, 0xA5, sizeof(pol));
    memset(err, 'Z', sizeof(err));
    err[sizeof(err) - 1] = '\0';
    return seccomp_policy_parse(text, len, &pol, err, sizeof(err));
}

static int parse(const char *text)
{
    return parse_n(text, strlen(text));
}

static const struct seccomp_rule *rule_for(enum seccomp_rule_kind kind, int syscall, int family)
{
    for (size_t i = 0; i < pol.nrules; i++) {
        const struct seccomp_rule *r = &pol.rules[i];
        if (r->kind == kind && (kind != SECCOMP_RULE_SYSCALL || r->syscall == syscall) &&
            (kind != SECCOMP_RULE_SOCKET || r->family == family))
            return r;
    }
    return NULL;
}

static void expect_syscall(int nr, int e)
{
    const struct seccomp_rule *r = rule_for(SECCOMP_RULE_SYSCALL, nr, 0);
    if (r == NULL)
        fail_msg("no rule for syscall %d", nr);
    assert_int_equal(r->err, e);
}

static void expect_family(int family, int e)
{
    const struct seccomp_rule *r = rule_for(SECCOMP_RULE_SOCKET, 0, family);
    if (r == NULL)
        fail_msg("no rule for family %d", family);
    assert_int_equal(r->err, e);
}

/* A refusal names the line and says what is wrong, and leaves nothing. */
static void expect_error(const char *text, const char *line, const char *what)
{
    if (parse(text) != -1)
        fail_msg("accepted: \"%s\"", text);
    assert_true(strlen(err) < sizeof(err) - 1);
    if (strstr(err, line) == NULL || strstr(err, what) == NULL)
        fail_msg("error \"%s\" for \"%s\" lacks \"%s\" or \"%s\"", err, text, line, what);
    assert_int_equal(pol.nrules, 0);
    assert_int_equal(pol.audit, 0);
}

static void test_empty_and_comments(void **state)
{
    (void)state;
    assert_int_equal(parse(""), 0);
    assert_int_equal(pol.nrules, 0);
    assert_int_equal(pol.audit, 0);
    assert_string_equal(err, "");
    assert_int_equal(parse("\n\n# only a comment\n   \t# another\n\n"), 0);
    assert_int_equal(pol.nrules, 0);
    assert_int_equal(pol.included_default, 0);
}

static void test_deny_forms(void **state)
{
    (void)state;
    assert_int_equal(parse("deny bpf\n"
                           "deny uname ENOSYS\n"
                           "deny ptrace kill\n"
                           "deny socket AF_PACKET\n"
                           "deny socket AF_ALG EAFNOSUPPORT\n"
                           "deny userns ENOSPC\n"), 0);
    assert_int_equal(pol.nrules, 6);
    expect_syscall(SCMP_SYS(bpf), EPERM);          /* EPERM unless told */
    expect_syscall(SCMP_SYS(uname), ENOSYS);
    expect_syscall(SCMP_SYS(ptrace), SECCOMP_POLICY_KILL);
    expect_family(AF_PACKET, EPERM);
    expect_family(AF_ALG, EAFNOSUPPORT);
    const struct seccomp_rule *u = rule_for(SECCOMP_RULE_USERNS, 0, 0);
    assert_non_null(u);
    assert_int_equal(u->err, ENOSPC);
    assert_int_equal(pol.audit, 0);

    /* "socket" alone, or with an errno, is the whole syscall. */
    assert_int_equal(parse("deny socket EACCES\n"), 0);
    assert_int_equal(pol.nrules, 1);
    expect_syscall(SCMP_SYS(socket), EACCES);
    assert_null(rule_for(SECCOMP_RULE_SOCKET, 0, AF_PACKET));
    assert_int_equal(parse("deny userns"), 0);      /* no final newline */
    assert_int_equal(rule_for(SECCOMP_RULE_USERNS, 0, 0)->err, EPERM);
}

static void test_layout_tolerance(void **state)
{
    (void)state;
    assert_int_equal(parse("  deny\tbpf   ENOSYS  # why: no eBPF\r\n"
                           "deny keyctl#comment right after\r\n"
                           "\t\r\n"), 0);
    assert_int_equal(pol.nrules, 2);
    expect_syscall(SCMP_SYS(bpf), ENOSYS);
    expect_syscall(SCMP_SYS(keyctl), EPERM);
}

static void test_mode(void **state)
{
    (void)state;
    assert_int_equal(parse("mode audit\ndeny bpf\n"), 0);
    assert_int_equal(pol.audit, 1);
    assert_int_equal(parse("deny bpf\nmode enforce\n"), 0);
    assert_int_equal(pol.audit, 0);
}

static void test_later_line_wins(void **state)
{
    (void)state;
    assert_int_equal(parse("deny bpf EPERM\ndeny socket AF_PACKET\ndeny bpf ENOSYS\n"
                           "deny socket AF_PACKET EACCES\n"), 0);
    assert_int_equal(pol.nrules, 2);
    expect_syscall(SCMP_SYS(bpf), ENOSYS);
    expect_family(AF_PACKET, EACCES);
}

static void test_default_policy(void **state)
{
    (void)state;
    seccomp_policy_default(&pol);
    /* Exactly what docs/seccomp.md lists, with the errnos it gives. */
    assert_int_equal(pol.nrules, 11);
    assert_int_equal(pol.audit, 0);
    expect_family(AF_PACKET, EAFNOSUPPORT);
    expect_family(AF_VSOCK, EAFNOSUPPORT);
    const int enosys[] = { SCMP_SYS(add_key), SCMP_SYS(request_key), SCMP_SYS(keyctl),
                           SCMP_SYS(bpf), SCMP_SYS(perf_event_open), SCMP_SYS(userfaultfd),
                           SCMP_SYS(io_uring_setup), SCMP_SYS(io_uring_enter),
                           SCMP_SYS(io_uring_register) };
    for (size_t i = 0; i < sizeof(enosys) / sizeof(enosys[0]); i++)
        expect_syscall(enosys[i], ENOSYS);
    /* Nested user namespaces stay allowed; sockets in general too. */
    assert_null(rule_for(SECCOMP_RULE_USERNS, 0, 0));
    assert_null(rule_for(SECCOMP_RULE_SYSCALL, SCMP_SYS(socket), 0));
    assert_null(rule_for(SECCOMP_RULE_SOCKET, 0, AF_INET));

    /* "include default" in a file is the same list. */
    struct seccomp_policy def = pol;
    assert_int_equal(parse("mode audit\ninclude default\n"), 0);
    assert_int_equal(pol.audit, 1);
    assert_int_equal(pol.included_default, 1);
    assert_int_equal(pol.nrules, def.nrules);
    assert_memory_equal(pol.rules, def.rules, def.nrules * sizeof(def.rules[0]));
    assert_non_null(strstr(seccomp_policy_default_text(), "deny bpf ENOSYS"));
}

static void test_allow_carves_exceptions(void **state)
{
    (void)state;
    assert_int_equal(parse("include default\nallow perf_event_open\nallow socket AF_VSOCK\n"
                           "deny userns\n"), 0);
    assert_int_equal(pol.nrules, 10);
    assert_null(rule_for(SECCOMP_RULE_SYSCALL, SCMP_SYS(perf_event_open), 0));
    assert_null(rule_for(SECCOMP_RULE_SOCKET, 0, AF_VSOCK));
    expect_family(AF_PACKET, EAFNOSUPPORT);
    expect_syscall(SCMP_SYS(bpf), ENOSYS);
    assert_non_null(rule_for(SECCOMP_RULE_USERNS, 0, 0));

    /* "allow socket" lets socket(2) through entirely: family rules go too. */
    assert_int_equal(parse("include default\nallow socket\n"), 0);
    assert_null(rule_for(SECCOMP_RULE_SOCKET, 0, AF_PACKET));
    assert_null(rule_for(SECCOMP_RULE_SOCKET, 0, AF_VSOCK));
    assert_int_equal(pol.nrules, 9);

    assert_int_equal(parse("deny userns\nallow userns\ndeny bpf\n"), 0);
    assert_int_equal(pol.nrules, 1);
    assert_null(rule_for(SECCOMP_RULE_USERNS, 0, 0));

    /* A deny after an allow brings the rule back. */
    assert_int_equal(parse("include default\nallow bpf\ndeny bpf EPERM\n"), 0);
    expect_syscall(SCMP_SYS(bpf), EPERM);
}

static void test_malformed_lines(void **state)
{
    (void)state;
    expect_error("frob bpf\n", "line 1", "'frob' is not a policy line");
    expect_error("# fine\n\ndeny nosuchcall\n", "line 3", "unknown syscall 'nosuchcall'");
    expect_error("deny\n", "line 1", "needs a syscall name");
    expect_error("allow\n", "line 1", "needs a syscall name");
    expect_error("deny BPF\n", "line 1", "'BPF' is not a syscall name");
    expect_error("deny ../bpf\n", "line 1", "not a syscall name");
    expect_error("deny bpf EFOO\n", "line 1", "unknown errno 'EFOO'");
    expect_error("deny bpf enosys\n", "line 1", "unknown errno 'enosys'");
    expect_error("deny bpf 38\n", "line 1", "unknown errno '38'");
    expect_error("deny bpf ENOSYS extra\n", "line 1", "unexpected 'extra'");
    expect_error("deny userns EPERM x\n", "line 1", "unexpected 'x'");
    expect_error("deny socket AF_FOO\n", "line 1", "unknown socket family 'AF_FOO'");
    expect_error("deny socket AF_PACKET EPERM x\n", "line 1", "unexpected 'x'");
    expect_error("deny socket AF_PACKET EPERM x y\n", "line 1", "too many words");
    expect_error("deny bpf\nallow bpf ENOSYS\n", "line 2", "allow takes no errno");
    expect_error("allow bpf\ninclude default\n", "line 1", "nothing denies 'bpf'");
    expect_error("include default\nallow uname\n", "line 2", "nothing denies 'uname'");
    expect_error("deny socket\nallow socket AF_PACKET\n", "line 2", "nothing denies 'AF_PACKET'");
    expect_error("allow userns\n", "line 1", "nothing denies 'userns'");
    expect_error("mode\n", "line 1", "mode enforce' or 'mode audit'");
    expect_error("mode strict\n", "line 1", "mode enforce' or 'mode audit'");
    expect_error("mode audit extra\n", "line 1", "mode enforce' or 'mode audit'");
    expect_error("mode audit\nmode enforce\n", "line 2", "mode is given twice");
    expect_error("include\n", "line 1", "only 'include default' exists");
    expect_error("include /etc/passwd\n", "line 1", "only 'include default' exists");
    expect_error("include default\n# x\ninclude default\n", "line 3", "given twice");
}

static void test_bounds(void **state)
{
    (void)state;
    /* 256 bytes is the longest line; a comment pads it. */
    char line[SECCOMP_POLICY_MAX_LINE + 1];
    strcpy(line, "deny bpf #");
    memset(line + strlen(line), 'x', SECCOMP_POLICY_MAX_LINE - strlen(line));
    line[SECCOMP_POLICY_MAX_LINE] = '\0';
    assert_int_equal(strlen(line), SECCOMP_POLICY_MAX_LINE);
    assert_int_equal(parse(line), 0);
    assert_int_equal(pol.nrules, 1);
    char longer[SECCOMP_POLICY_MAX_LINE + 20] = "\n\n";
    memcpy(longer + 2, line, SECCOMP_POLICY_MAX_LINE);
    strcpy(longer + 2 + SECCOMP_POLICY_MAX_LINE, "x\n");
    expect_error(longer, "line 3", "longer than 256 bytes");

    /* A NUL inside the text is refused, not read as its end. */
    static const char nul[] = "deny bpf\ndeny uname\0 ENOSYS\n";
    assert_int_equal(parse_n(nul, sizeof(nul) - 1), -1);
    assert_non_null(strstr(err, "line 2"));
    assert_non_null(strstr(err, "NUL"));

    /* The whole text is bounded, even if it is only blank lines. */
    static char text[SECCOMP_POLICY_MAX_TEXT + 1];
    memset(text, '\n', sizeof(text));
    assert_int_equal(parse_n(text, SECCOMP_POLICY_MAX_TEXT), 0);
    assert_int_equal(parse_n(text, SECCOMP_POLICY_MAX_TEXT + 1), -1);
    assert_non_null(strstr(err, "larger than 65536 bytes"));
    assert_int_equal(pol.nrules, 0);

    /* A tiny err buffer gets a truncated, terminated message. */
    char small[8];
    memset(small, 'Z', sizeof(small));
    assert_int_equal(seccomp_policy_parse("bogus\n", 6, &pol, small, sizeof(small)), -1);
    assert_int_equal(strlen(small), sizeof(small) - 1);
}

static void test_rule_limit(void **state)
{
    (void)state;
    /* Distinct syscall names from libseccomp's own table. */
    static char text[SECCOMP_POLICY_MAX_TEXT];
    size_t off = 0;
    int rules = 0;
    for (int nr = 0; nr < 1000 && rules <= SECCOMP_POLICY_MAX_RULES; nr++) {
        char *name = seccomp_syscall_resolve_num_arch(SCMP_ARCH_NATIVE, nr);
        if (name == NULL)
            continue;
        off += (size_t)snprintf(text + off, sizeof(text) - off, "deny %s\n", name);
        free(name);
        rules++;
        if (rules == SECCOMP_POLICY_MAX_RULES) {
            assert_int_equal(parse(text), 0);
            assert_int_equal(pol.nrules, SECCOMP_POLICY_MAX_RULES);
        }
    }
    assert_int_equal(rules, SECCOMP_POLICY_MAX_RULES + 1);
    expect_error(text, "line 257", "more than 256 rules");
    /* Repeating a target does not count twice. */
    assert_int_equal(parse("deny bpf\ndeny bpf\ndeny bpf ENOSYS\n"), 0);
    assert_int_equal(pol.nrules, 1);
}

static void test_match(void **state)
{
    (void)state;
    assert_int_equal(parse("include default\ndeny userns\ndeny uname ENOSYS\n"), 0);
    const struct seccomp_rule *r;
    r = seccomp_policy_match(&pol, SCMP_SYS(socket), AF_PACKET, SOCK_RAW);
    assert_non_null(r);
    assert_int_equal(r->family, AF_PACKET);
    assert_null(seccomp_policy_match(&pol, SCMP_SYS(socket), AF_INET, SOCK_STREAM));
    r = seccomp_policy_match(&pol, SCMP_SYS(uname), 0, 0);
    assert_non_null(r);
    assert_int_equal(r->err, ENOSYS);
    assert_null(seccomp_policy_match(&pol, SCMP_SYS(getpid), 0, 0));
    assert_int_equal(seccomp_policy_match(&pol, SCMP_SYS(unshare), CLONE_NEWUSER | CLONE_NEWNET, 0)->kind,
                     SECCOMP_RULE_USERNS);
    assert_int_equal(seccomp_policy_match(&pol, SCMP_SYS(clone), CLONE_NEWUSER | SIGCHLD, 0)->kind,
                     SECCOMP_RULE_USERNS);
    assert_null(seccomp_policy_match(&pol, SCMP_SYS(clone), SIGCHLD, 0));
    assert_int_equal(seccomp_policy_match(&pol, SCMP_SYS(clone3), 0, 0)->kind, SECCOMP_RULE_USERNS);
    r = seccomp_policy_match(&pol, SCMP_SYS(ioctl), 3, USERFAULTFD_IOC_NEW);
    assert_non_null(r);
    assert_int_equal(r->syscall, SCMP_SYS(userfaultfd));
    assert_null(seccomp_policy_match(&pol, SCMP_SYS(ioctl), 3, 0x5401));
}

static void test_names(void **state)
{
    (void)state;
    assert_string_equal(seccomp_policy_errno_name(ENOSYS), "ENOSYS");
    assert_string_equal(seccomp_policy_errno_name(EAFNOSUPPORT), "EAFNOSUPPORT");
    assert_null(seccomp_policy_errno_name(4095));
    assert_string_equal(seccomp_policy_family_name(AF_VSOCK), "AF_VSOCK");
    assert_null(seccomp_policy_family_name(200));
    /* Aliases parse to the same number. */
    assert_int_equal(parse("deny bpf EOPNOTSUPP\n"), 0);
    expect_syscall(SCMP_SYS(bpf), EOPNOTSUPP);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_empty_and_comments),
        cmocka_unit_test(test_deny_forms),
        cmocka_unit_test(test_layout_tolerance),
        cmocka_unit_test(test_mode),
        cmocka_unit_test(test_later_line_wins),
        cmocka_unit_test(test_default_policy),
        cmocka_unit_test(test_allow_carves_exceptions),
        cmocka_unit_test(test_malformed_lines),
        cmocka_unit_test(test_bounds),
        cmocka_unit_test(test_rule_limit),
        cmocka_unit_test(test_match),
        cmocka_unit_test(test_names),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
