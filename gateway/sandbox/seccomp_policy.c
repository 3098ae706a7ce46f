/* Parser of torgate's seccomp policy text. One directive per line:
 *
 *   mode enforce|audit
 *   include default
 *   deny SYSCALL [ERRNO|kill]
 *   deny socket FAMILY [ERRNO|kill]
 *   deny userns [ERRNO|kill]
 *   allow SYSCALL | allow socket FAMILY | allow userns
 *
 * "#" starts a comment. A later line about the same target replaces an
 * earlier one, so a file can include the default and then adjust it. The
 * format is documented in docs/seccomp.md; keep the two in step. */
#define _GNU_SOURCE
#include "sandbox/seccomp_policy.h"

#include <errno.h>
#include <sys/ioctl.h>
#include <linux/userfaultfd.h>
#include <sched.h>
#include <seccomp.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>

/* The default denies only what can serve nothing but an escape, a leak or
 * an attack on the kernel, and that no browser needs. The reasons, one by
 * one (docs/seccomp.md says the same to users):
 * - AF_PACKET: raw link-layer access. Without capabilities the kernel says
 *   EPERM already, but an app may gain CAP_NET_RAW in a user namespace of
 *   its own (allowed, below), and packet sockets are a classic route to
 *   kernel exploits (CVE-2017-7308, CVE-2020-14386). EAFNOSUPPORT is what a
 *   kernel without the family says, and what programs handle as such.
 * - AF_VSOCK: the hypervisor's socket family is not confined by network
 *   namespaces: inside a VM it reaches the host (CID 2) and local vsock
 *   listeners, around Tor. A real leak, so denied like a missing family.
 * - add_key, request_key, keyctl: the session keyring is inherited from the
 *   caller and may hold credentials (Kerberos, NFS, eCryptfs keys). ENOSYS is
 *   what a kernel without keys says; users of the keyring fall back.
 * - bpf, perf_event_open, userfaultfd (and /dev/userfaultfd's ioctl): kernel
 *   attack surface and exploit primitives (verifier bugs, side channels,
 *   stalling the kernel mid-copy); nothing a browser uses. ENOSYS, as on a
 *   kernel built without them, so probing programs fall back quietly.
 * - io_uring_setup/enter/register: the largest recent source of kernel
 *   exploits, and its requests (IORING_OP_SOCKET, ...) bypass seccomp, so
 *   every socket rule here would be moot. ENOSYS: libuv and others fall back
 *   to ordinary syscalls.
 * Nested user namespaces stay allowed: Chromium's and Firefox's sandboxes
 * build on them, and capabilities gained there do not reach torgate's network
 * namespace (owned by the parent namespace) or unlock its mounts.
 * "deny userns" denies them. */
static const char default_text[] =
    "deny socket AF_PACKET EAFNOSUPPORT\n"
    "deny socket AF_VSOCK EAFNOSUPPORT\n"
    "deny add_key ENOSYS\n"
    "deny request_key ENOSYS\n"
    "deny keyctl ENOSYS\n"
    "deny bpf ENOSYS\n"
    "deny perf_event_open ENOSYS\n"
    "deny userfaultfd ENOSYS\n"
    "deny io_uring_setup ENOSYS\n"
    "deny io_uring_enter ENOSYS\n"
    "deny io_uring_register ENOSYS\n";

struct name_value {
    const char *name;
    int value;
};

#define NV(x) { #x, x }
static const struct name_value errnos[] = {
    NV(EPERM), NV(ENOENT), NV(ESRCH), NV(EINTR), NV(EIO), NV(ENXIO), NV(E2BIG),
    NV(ENOEXEC), NV(EBADF), NV(ECHILD), NV(EAGAIN), NV(ENOMEM), NV(EACCES),
    NV(EFAULT), NV(EBUSY), NV(EEXIST), NV(EXDEV), NV(ENODEV), NV(ENOTDIR),
    NV(EISDIR), NV(EINVAL), NV(ENFILE), NV(EMFILE), NV(ENOTTY), NV(ETXTBSY),
    NV(EFBIG), NV(ENOSPC), NV(ESPIPE), NV(EROFS), NV(EMLINK), NV(EPIPE),
    NV(EDOM), NV(ERANGE), NV(ENOSYS), NV(ENOTSUP), NV(EOPNOTSUPP), NV(ENOPROTOOPT),
    NV(EPROTONOSUPPORT), NV(ESOCKTNOSUPPORT), NV(EPFNOSUPPORT),
    NV(EAFNOSUPPORT), NV(EADDRNOTAVAIL), NV(ENETDOWN), NV(ENETUNREACH),
    NV(ECONNREFUSED), NV(EHOSTUNREACH), NV(ENOTSOCK), NV(EOVERFLOW),
    NV(ENOKEY), NV(EKEYREVOKED), NV(ENOTCONN), NV(ETIMEDOUT), NV(EUSERS),
};

static const struct name_value families[] = {
    NV(AF_UNIX), NV(AF_INET), NV(AF_INET6), NV(AF_NETLINK), NV(AF_PACKET),
    NV(AF_VSOCK), NV(AF_ALG), NV(AF_BLUETOOTH), NV(AF_CAN), NV(AF_TIPC),
    NV(AF_RDS), NV(AF_KCM), NV(AF_XDP), NV(AF_QIPCRTR), NV(AF_SMC), NV(AF_MCTP),
    NV(AF_KEY), NV(AF_LLC), NV(AF_NFC), NV(AF_PPPOX), NV(AF_X25), NV(AF_AX25),
    NV(AF_APPLETALK), NV(AF_IPX), NV(AF_IEEE802154), NV(AF_PHONET), NV(AF_CAIF),
    NV(AF_RXRPC), NV(AF_IB), NV(AF_MPLS), NV(AF_ATMPVC), NV(AF_ATMSVC),
};
#undef NV

static int lookup(const struct name_value *t, size_t n, const char *name, int *out)
{
    for (size_t i = 0; i < n; i++)
        if (strcmp(t[i].name, name) == 0) {
            *out = t[i].value;
            return 0;
        }
    return -1;
}

static const char *reverse(const struct name_value *t, size_t n, int value)
{
    for (size_t i = 0; i < n; i++)
        if (t[i].value == value)
            return t[i].name;
    return NULL;
}

const char *seccomp_policy_errno_name(int err)
{
    return reverse(errnos, sizeof(errnos) / sizeof(errnos[0]), err);
}

const char *seccomp_policy_family_name(int family)
{
    return reverse(families, sizeof(families) / sizeof(families[0]), family);
}

const char *seccomp_policy_default_text(void)
{
    return default_text;
}

#define MAX_TOKENS 5     /* one more than any directive takes, to name the extra word */

struct parse {
    struct seccomp_policy *p;
    unsigned line;
    int mode_seen;
    int in_default;          /* parsing the default's own text */
    char *err;
    size_t errlen;
};

static int fail(struct parse *ps, const char *fmt, const char *arg)
{
    char msg[200];
    snprintf(msg, sizeof(msg), fmt, arg);
    snprintf(ps->err, ps->errlen, "line %u: %s", ps->line, msg);
    return -1;
}

static int same_target(const struct seccomp_rule *a, const struct seccomp_rule *b)
{
    if (a->kind != b->kind)
        return 0;
    if (a->kind == SECCOMP_RULE_SYSCALL)
        return a->syscall == b->syscall;
    if (a->kind == SECCOMP_RULE_SOCKET)
        return a->family == b->family;
    return 1;
}

static int add_rule(struct parse *ps, const struct seccomp_rule *r)
{
    struct seccomp_policy *p = ps->p;
    for (size_t i = 0; i < p->nrules; i++)
        if (same_target(&p->rules[i], r)) {
            p->rules[i] = *r;
            return 0;
        }
    if (p->nrules >= SECCOMP_POLICY_MAX_RULES)
        return fail(ps, "more than %s rules; merge or drop some", "256");
    p->rules[p->nrules++] = *r;
    return 0;
}

/* Removes every rule matching r's target; "allow socket" also lifts the
 * family rules, since it lets socket(2) through entirely. */
static size_t remove_rules(struct seccomp_policy *p, const struct seccomp_rule *r)
{
    size_t kept = 0, removed = 0;
    for (size_t i = 0; i < p->nrules; i++) {
        const struct seccomp_rule *c = &p->rules[i];
        int drop = same_target(c, r) ||
                   (r->kind == SECCOMP_RULE_SYSCALL && r->syscall == SCMP_SYS(socket) &&
                    c->kind == SECCOMP_RULE_SOCKET);
        if (drop)
            removed++;
        else
            p->rules[kept++] = *c;
    }
    p->nrules = kept;
    return removed;
}

static int valid_name(const char *s)
{
    if (*s == '\0' || strlen(s) > 63)
        return 0;
    for (; *s; s++)
        if (!((*s >= 'a' && *s <= 'z') || (*s >= '0' && *s <= '9') || *s == '_'))
            return 0;
    return 1;
}

/* The target of a deny/allow line: tok[1] (and tok[2] for socket).
 * Returns how many tokens it used, or -1. */
static int parse_target(struct parse *ps, char **tok, int ntok, struct seccomp_rule *r)
{
    memset(r, 0, sizeof(*r));
    if (ntok < 2)
        return fail(ps, "'%s' needs a syscall name, socket FAMILY or userns", tok[0]);
    if (strcmp(tok[1], "userns") == 0) {
        r->kind = SECCOMP_RULE_USERNS;
        return 2;
    }
    if (strcmp(tok[1], "socket") == 0 && ntok >= 3 && strncmp(tok[2], "AF_", 3) == 0) {
        if (lookup(families, sizeof(families) / sizeof(families[0]), tok[2], &r->family) != 0)
            return fail(ps, "unknown socket family '%s' (write it as in socket(2), e.g. AF_PACKET)",
                        tok[2]);
        r->kind = SECCOMP_RULE_SOCKET;
        return 3;
    }
    if (!valid_name(tok[1]))
        return fail(ps, "'%s' is not a syscall name (lower case, as in syscalls(2))", tok[1]);
    int nr = seccomp_syscall_resolve_name(tok[1]);
    if (nr == __NR_SCMP_ERROR)
        return fail(ps, "unknown syscall '%s' (names as in syscalls(2), e.g. bpf)", tok[1]);
    r->kind = SECCOMP_RULE_SYSCALL;
    r->syscall = nr;
    return 2;
}

static int parse_deny(struct parse *ps, char **tok, int ntok)
{
    struct seccomp_rule r;
    int used = parse_target(ps, tok, ntok, &r);
    if (used < 0)
        return -1;
    r.err = EPERM;
    if (ntok > used) {
        if (strcmp(tok[used], "kill") == 0)
            r.err = SECCOMP_POLICY_KILL;
        else if (lookup(errnos, sizeof(errnos) / sizeof(errnos[0]), tok[used], &r.err) != 0)
            return fail(ps, "unknown errno '%s' (give a name such as EPERM or ENOSYS, or kill)",
                        tok[used]);
        used++;
    }
    if (ntok > used)
        return fail(ps, "unexpected '%s' after the rule (deny TARGET [ERRNO|kill])", tok[used]);
    return add_rule(ps, &r);
}

static int parse_allow(struct parse *ps, char **tok, int ntok)
{
    struct seccomp_rule r;
    int used = parse_target(ps, tok, ntok, &r);
    if (used < 0)
        return -1;
    if (ntok > used)
        return fail(ps, "unexpected '%s' after the rule (allow takes no errno)", tok[used]);
    if (remove_rules(ps->p, &r) == 0)
        return fail(ps, "nothing denies '%s' at this point: allow only lifts an earlier deny "
                        "(or one from include default above it)", tok[used - 1]);
    return 0;
}

static int parse_text(struct parse *ps, const char *text, size_t len);

static int parse_line(struct parse *ps, char *s)
{
    char *tok[MAX_TOKENS + 1];
    int ntok = 0;
    char *hash = strchr(s, '#');
    if (hash != NULL)
        *hash = '\0';
    for (char *save = NULL, *t = strtok_r(s, " \t\r", &save); t != NULL;
         t = strtok_r(NULL, " \t\r", &save)) {
        if (ntok == MAX_TOKENS)
            return fail(ps, "%s", "too many words (a directive has at most 4)");
        tok[ntok++] = t;
    }
    if (ntok == 0)
        return 0;
    if (strcmp(tok[0], "deny") == 0)
        return parse_deny(ps, tok, ntok);
    if (strcmp(tok[0], "allow") == 0)
        return parse_allow(ps, tok, ntok);
    if (strcmp(tok[0], "mode") == 0) {
        if (ntok != 2 || (strcmp(tok[1], "enforce") != 0 && strcmp(tok[1], "audit") != 0))
            return fail(ps, "%s", "write 'mode enforce' or 'mode audit'");
        if (ps->mode_seen)
            return fail(ps, "%s", "mode is given twice; keep one");
        ps->mode_seen = 1;
        ps->p->audit = strcmp(tok[1], "audit") == 0;
        return 0;
    }
    if (strcmp(tok[0], "include") == 0) {
        if (ntok != 2 || strcmp(tok[1], "default") != 0)
            return fail(ps, "%s", "only 'include default' exists");
        if (ps->p->included_default || ps->in_default)
            return fail(ps, "%s", "'include default' is given twice");
        ps->p->included_default = 1;
        struct parse sub = *ps;
        sub.in_default = 1;
        if (parse_text(&sub, default_text, sizeof(default_text) - 1) != 0) {
            /* The built-in text is tested; name it if it ever breaks. */
            char inner[200];
            snprintf(inner, sizeof(inner), "%s", ps->err);
            snprintf(ps->err, ps->errlen, "line %u: in the default policy: %s", ps->line, inner);
            return -1;
        }
        return 0;
    }
    return fail(ps, "'%s' is not a policy line: use mode, include, deny or allow", tok[0]);
}

static int parse_text(struct parse *ps, const char *text, size_t len)
{
    char buf[SECCOMP_POLICY_MAX_LINE + 1];
    size_t pos = 0;
    unsigned line = 0;
    while (pos < len) {
        const char *nl = memchr(text + pos, '\n', len - pos);
        size_t n = nl != NULL ? (size_t)(nl - (text + pos)) : len - pos;
        ps->line = ++line;
        if (n > SECCOMP_POLICY_MAX_LINE)
            return fail(ps, "line longer than %s bytes", "256");
        if (memchr(text + pos, '\0', n) != NULL)
            return fail(ps, "%s", "NUL byte: a policy is text");
        memcpy(buf, text + pos, n);
        buf[n] = '\0';
        if (parse_line(ps, buf) != 0)
            return -1;
        pos += n + (nl != NULL);
    }
    return 0;
}

int seccomp_policy_parse(const char *text, size_t len, struct seccomp_policy *out,
                         char *err, size_t errlen)
{
    struct parse ps = { .p = out, .err = err, .errlen = errlen };
    memset(out, 0, sizeof(*out));
    if (errlen > 0)
        err[0] = '\0';
    if (len > SECCOMP_POLICY_MAX_TEXT) {
        snprintf(err, errlen, "the policy is larger than %d bytes", SECCOMP_POLICY_MAX_TEXT);
        return -1;
    }
    if (parse_text(&ps, text, len) != 0) {
        memset(out, 0, sizeof(*out));
        return -1;
    }
    return 0;
}

void seccomp_policy_default(struct seccomp_policy *out)
{
    static const char text[] = "include default\n";
    char err[16];
    if (seccomp_policy_parse(text, sizeof(text) - 1, out, err, sizeof(err)) != 0)
        memset(out, 0, sizeof(*out));
}

static const struct seccomp_rule *find(const struct seccomp_policy *p, enum seccomp_rule_kind kind,
                                       int syscall, int family)
{
    const struct seccomp_rule want = { .kind = kind, .syscall = syscall, .family = family };
    for (size_t i = 0; i < p->nrules; i++)
        if (same_target(&p->rules[i], &want))
            return &p->rules[i];
    return NULL;
}

const struct seccomp_rule *seccomp_policy_match(const struct seccomp_policy *p, int syscall,
                                                uint64_t arg0, uint64_t arg1)
{
    const struct seccomp_rule *r = find(p, SECCOMP_RULE_SYSCALL, syscall, 0);
    if (r != NULL)
        return r;
    if (syscall == SCMP_SYS(socket))
        return find(p, SECCOMP_RULE_SOCKET, 0, (int)(uint32_t)arg0);
    if (syscall == SCMP_SYS(clone3) ||
        ((syscall == SCMP_SYS(clone) || syscall == SCMP_SYS(unshare)) && (arg0 & CLONE_NEWUSER)))
        return find(p, SECCOMP_RULE_USERNS, 0, 0);
    /* /dev/userfaultfd hands out the same thing as the syscall. */
    if (syscall == SCMP_SYS(ioctl) && (uint32_t)arg1 == (uint32_t)USERFAULTFD_IOC_NEW)
        return find(p, SECCOMP_RULE_SYSCALL, SCMP_SYS(userfaultfd), 0);
    return NULL;
}
