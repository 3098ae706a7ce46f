/* libFuzzer harness for the seccomp policy parser (gateway/sandbox/seccomp_policy.c):
 * the bytes are a policy file. Checked: a refusal is one terminated line
 * naming a line number (or the size) and leaves the policy empty; an
 * accepted policy is within its bounds, uses only known errnos and
 * families, has no two rules for one target, and written back out as text
 * parses to exactly the same rules. */
#include <seccomp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sandbox/seccomp_policy.h"

#define CHECK(c) do { if (!(c)) __builtin_trap(); } while (0)

static struct seccomp_policy pol, again;
static char text[SECCOMP_POLICY_MAX_RULES * 64 + 32];

static int same_target(const struct seccomp_rule *a, const struct seccomp_rule *b)
{
    return a->kind == b->kind &&
           (a->kind != SECCOMP_RULE_SYSCALL || a->syscall == b->syscall) &&
           (a->kind != SECCOMP_RULE_SOCKET || a->family == b->family);
}

/* The policy as text, or 0 if a rule names a syscall this architecture
 * has no name for (an x86-only one such as socketcall). */
static size_t write_back(const struct seccomp_policy *p)
{
    size_t off = (size_t)snprintf(text, sizeof(text), "mode %s\n", p->audit ? "audit" : "enforce");
    for (size_t i = 0; i < p->nrules; i++) {
        const struct seccomp_rule *r = &p->rules[i];
        const char *e = r->err == SECCOMP_POLICY_KILL ? "kill" : seccomp_policy_errno_name(r->err);
        char *name = NULL;
        if (r->kind == SECCOMP_RULE_SYSCALL) {
            name = seccomp_syscall_resolve_num_arch(SCMP_ARCH_NATIVE, r->syscall);
            if (name == NULL)
                return 0;
            off += (size_t)snprintf(text + off, sizeof(text) - off, "deny %s %s\n", name, e);
            free(name);
        } else if (r->kind == SECCOMP_RULE_SOCKET) {
            off += (size_t)snprintf(text + off, sizeof(text) - off, "deny socket %s %s\n",
                                    seccomp_policy_family_name(r->family), e);
        } else {
            off += (size_t)snprintf(text + off, sizeof(text) - off, "deny userns %s\n", e);
        }
        CHECK(off < sizeof(text));
    }
    return off;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char err[256];
    memset(err, 'Z', sizeof(err));
    if (seccomp_policy_parse((const char *)data, size, &pol, err, sizeof(err)) != 0) {
        CHECK(memchr(err, '\0', sizeof(err)) != NULL);
        CHECK(strncmp(err, "line ", 5) == 0 || strstr(err, "larger than") != NULL);
        CHECK(strchr(err, '\n') == NULL);
        CHECK(pol.nrules == 0 && pol.audit == 0);
        return 0;
    }
    CHECK(err[0] == '\0');
    CHECK(pol.nrules <= SECCOMP_POLICY_MAX_RULES);
    for (size_t i = 0; i < pol.nrules; i++) {
        const struct seccomp_rule *r = &pol.rules[i];
        CHECK(r->kind == SECCOMP_RULE_SYSCALL || r->kind == SECCOMP_RULE_SOCKET ||
              r->kind == SECCOMP_RULE_USERNS);
        CHECK(r->err == SECCOMP_POLICY_KILL || seccomp_policy_errno_name(r->err) != NULL);
        if (r->kind == SECCOMP_RULE_SOCKET)
            CHECK(seccomp_policy_family_name(r->family) != NULL);
        if (r->kind == SECCOMP_RULE_SYSCALL)
            CHECK(r->syscall != __NR_SCMP_ERROR);
        for (size_t j = 0; j < i; j++)
            CHECK(!same_target(&pol.rules[j], r));
    }
    size_t len = write_back(&pol);
    if (len == 0)
        return 0;
    CHECK(seccomp_policy_parse(text, len, &again, err, sizeof(err)) == 0);
    CHECK(again.audit == pol.audit && again.nrules == pol.nrules);
    for (size_t i = 0; i < pol.nrules; i++) {
        CHECK(same_target(&again.rules[i], &pol.rules[i]));
        CHECK(again.rules[i].err == pol.rules[i].err);
    }
    return 0;
}
