/* The app's seccomp policy: torgate's policy text (docs/seccomp.md) parsed
 * into a bounded list of rules. Pure: nothing here touches the kernel; the
 * installer (seccomp_app.c) turns the rules into a filter. */
#ifndef TORGATE_SECCOMP_POLICY_H
#define TORGATE_SECCOMP_POLICY_H

#include <stddef.h>
#include <stdint.h>

#define SECCOMP_POLICY_MAX_RULES 256
#define SECCOMP_POLICY_MAX_LINE  256      /* bytes, without the newline */
#define SECCOMP_POLICY_MAX_TEXT  65536    /* bytes of a whole policy file */
#define SECCOMP_POLICY_KILL      (-1)     /* rule.err: kill the process */

enum seccomp_rule_kind {
    SECCOMP_RULE_SYSCALL,   /* deny SYSCALL: every call of it */
    SECCOMP_RULE_SOCKET,    /* deny socket FAMILY: socket(2) of that family */
    SECCOMP_RULE_USERNS,    /* deny userns: clone/unshare with CLONE_NEWUSER,
                               and clone3 (its flags are out of seccomp's reach) */
};

struct seccomp_rule {
    enum seccomp_rule_kind kind;
    int syscall;            /* SYSCALL: libseccomp's number for the name */
    int family;             /* SOCKET: AF_* */
    int err;                /* errno the call fails with, or SECCOMP_POLICY_KILL */
};

struct seccomp_policy {
    int audit;              /* mode audit: log what a rule matches, deny nothing */
    int included_default;   /* "include default" was given */
    size_t nrules;
    struct seccomp_rule rules[SECCOMP_POLICY_MAX_RULES];
};

/* Parses LEN bytes of policy text into *out (which is left empty on error).
 * Returns 0, or -1 with one line in err naming the line number and the
 * problem. */
int seccomp_policy_parse(const char *text, size_t len, struct seccomp_policy *out,
                         char *err, size_t errlen);

/* The default policy ("include default" alone). */
void seccomp_policy_default(struct seccomp_policy *out);

/* The text "include default" stands for. */
const char *seccomp_policy_default_text(void);

/* The rule that decides a call of libseccomp syscall number SYSCALL with
 * these first two arguments, or NULL: what audit mode reports. */
const struct seccomp_rule *seccomp_policy_match(const struct seccomp_policy *p, int syscall,
                                                uint64_t arg0, uint64_t arg1);

/* Names for messages: "ENOSYS", "AF_PACKET"; NULL if unknown. */
const char *seccomp_policy_errno_name(int err);
const char *seccomp_policy_family_name(int family);

#endif
