/* From a seccomp policy to a loaded filter. libseccomp writes the BPF;
 * torgate loads it itself with seccomp(2), so that in audit mode nothing
 * runs between the filter taking effect and the listener fd reaching the
 * thread that answers it (see seccomp_audit.c). */
#define _GNU_SOURCE
#include "sandbox/seccomp_app.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/audit.h>
#include <linux/seccomp.h>
#include <linux/userfaultfd.h>
#include <sched.h>
#include <seccomp.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

static int read_policy_file(const char *path, struct seccomp_policy *out, char *err, size_t errlen)
{
    static char text[SECCOMP_POLICY_MAX_TEXT + 1];
    int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY);
    if (fd < 0) {
        snprintf(err, errlen, "cannot open the seccomp policy %s: %s; give a readable policy "
                 "file, or --seccomp default|off (see docs/seccomp.md)", path, strerror(errno));
        return -1;
    }
    struct stat st;
    if (fstat(fd, &st) != 0 || S_ISDIR(st.st_mode)) {
        snprintf(err, errlen, "the seccomp policy %s is a directory; give a policy file", path);
        close(fd);
        return -1;
    }
    size_t len = 0;
    while (len < sizeof(text)) {
        ssize_t n = read(fd, text + len, sizeof(text) - len);
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0) {
            snprintf(err, errlen, "cannot read the seccomp policy %s: %s", path, strerror(errno));
            close(fd);
            return -1;
        }
        if (n == 0)
            break;
        len += (size_t)n;
    }
    close(fd);
    if (len > SECCOMP_POLICY_MAX_TEXT) {
        snprintf(err, errlen, "the seccomp policy %s is larger than %d bytes", path,
                 SECCOMP_POLICY_MAX_TEXT);
        return -1;
    }
    char inner[400];
    if (seccomp_policy_parse(text, len, out, inner, sizeof(inner)) != 0) {
        snprintf(err, errlen, "seccomp policy %s: %s; see docs/seccomp.md", path, inner);
        return -1;
    }
    return 0;
}

int seccomp_app_prepare(enum tg_seccomp mode, const char *file, struct seccomp_policy *out,
                       char *err, size_t errlen)
{
    switch (mode) {
    case TG_SECCOMP_OFF:
        memset(out, 0, sizeof(*out));
        return 0;
    case TG_SECCOMP_DEFAULT:
        seccomp_policy_default(out);
        if (out->nrules == 0) {
            snprintf(err, errlen, "the built-in seccomp policy does not parse: a torgate bug; "
                     "use --seccomp FILE meanwhile");
            return -1;
        }
        return 0;
    case TG_SECCOMP_FILE:
        return read_policy_file(file, out, err, errlen);
    }
    snprintf(err, errlen, "unknown --seccomp mode %d", (int)mode);
    return -1;
}

/* x86-64 also runs 32-bit (x86) and x32 programs: each ABI has its own
 * syscall numbers, and one missing from the filter would meet the
 * bad-architecture action (kill) instead of the rules. */
static int add_compat_arches(scmp_filter_ctx ctx, int with_x86)
{
#if defined(__x86_64__)
    int rc = seccomp_arch_add(ctx, SCMP_ARCH_X32);
    if (rc == 0 && with_x86)
        rc = seccomp_arch_add(ctx, SCMP_ARCH_X86);
    return rc == -EEXIST ? 0 : rc;
#else
    (void)ctx;
    (void)with_x86;
    return 0;
#endif
}

/* The command shares the caller's terminal (job control and Ctrl-C need
 * it), and TIOCSTI would let it type commands into the caller's shell,
 * which runs them outside the sandbox (bubblewrap's CVE-2017-5226);
 * TIOCLINUX can do the same on a virtual console. Both are refused in
 * every --seccomp mode, off included, and never merely audited: this is
 * the sandbox's integrity, not a policy choice. */
int seccomp_app_deny_tty(void)
{
    scmp_filter_ctx ctx = seccomp_init(SCMP_ACT_ALLOW);
    if (ctx == NULL)
        return -1;
    int rc = add_compat_arches(ctx, 1);
    const unsigned long reqs[] = { TIOCSTI, TIOCLINUX };
    for (size_t i = 0; i < sizeof(reqs) / sizeof(reqs[0]) && rc == 0; i++)
        rc = seccomp_rule_add(ctx, SCMP_ACT_ERRNO(EPERM), SCMP_SYS(ioctl), 1,
                              SCMP_A1(SCMP_CMP_MASKED_EQ, 0xffffffffu, reqs[i]));
    if (rc == 0)
        rc = seccomp_load(ctx);
    seccomp_release(ctx);
    if (rc != 0) {
        errno = -rc;
        return -1;
    }
    return 0;
}

static uint32_t action_of(const struct seccomp_policy *p, int err)
{
    if (p->audit)
        return SCMP_ACT_NOTIFY;
    return err == SECCOMP_POLICY_KILL ? SCMP_ACT_KILL_PROCESS : SCMP_ACT_ERRNO((uint32_t)err);
}

/* Whether the policy denies syscall nr outright: an argument rule for it
 * would then be redundant, and libseccomp refuses to mix the two. */
static int denied_whole(const struct seccomp_policy *p, int nr)
{
    for (size_t i = 0; i < p->nrules; i++)
        if (p->rules[i].kind == SECCOMP_RULE_SYSCALL && p->rules[i].syscall == nr)
            return 1;
    return 0;
}

static int add_rule(scmp_filter_ctx ctx, const struct seccomp_policy *p,
                    const struct seccomp_rule *r, int with_families)
{
    uint32_t act = action_of(p, r->err);
    int rc = 0;
    switch (r->kind) {
    case SECCOMP_RULE_SYSCALL:
        rc = seccomp_rule_add(ctx, act, r->syscall, 0);
        /* /dev/userfaultfd's ioctl makes the same object as the syscall
         * (root inside the sandbox can open the device). */
        if (rc == 0 && r->syscall == SCMP_SYS(userfaultfd) && !denied_whole(p, SCMP_SYS(ioctl)))
            rc = seccomp_rule_add(ctx, act, SCMP_SYS(ioctl), 1,
                                  SCMP_A1(SCMP_CMP_MASKED_EQ, 0xffffffffu, USERFAULTFD_IOC_NEW));
        break;
    case SECCOMP_RULE_SOCKET:
        if (with_families && !denied_whole(p, SCMP_SYS(socket)))
            rc = seccomp_rule_add(ctx, act, SCMP_SYS(socket), 1,
                                  SCMP_A0(SCMP_CMP_EQ, (scmp_datum_t)r->family));
        break;
    case SECCOMP_RULE_USERNS: {
        const int calls[] = { SCMP_SYS(clone), SCMP_SYS(unshare) };
        for (size_t i = 0; i < 2 && rc == 0; i++)
            if (!denied_whole(p, calls[i]))
                rc = seccomp_rule_add(ctx, act, calls[i], 1,
                                      SCMP_A0(SCMP_CMP_MASKED_EQ, CLONE_NEWUSER, CLONE_NEWUSER));
        /* clone3's flags sit in memory seccomp cannot read: ENOSYS makes
         * libc fall back to clone(2), where the flag is checked. Never
         * kill: every thread creation tries clone3 first. */
        if (rc == 0 && !denied_whole(p, SCMP_SYS(clone3)))
            rc = seccomp_rule_add(ctx, p->audit ? SCMP_ACT_NOTIFY : SCMP_ACT_ERRNO(ENOSYS),
                                  SCMP_SYS(clone3), 0);
        break;
    }
    }
    return rc;
}

/* The connect() broker's rules (unix_broker.c): every connect of the
 * 64-bit and x32 ABIs goes to the listener; 32-bit x86 programs may not
 * connect at all (EACCES), since the broker reads only the 64-bit layout
 * (libseccomp puts this rule on socketcall(SYS_CONNECT) as well). A
 * policy that denies connect outright keeps its own rule. */
static int add_broker(scmp_filter_ctx ctx, const struct seccomp_policy *p, int native)
{
    if (denied_whole(p, SCMP_SYS(connect)))
        return 0;
    return seccomp_rule_add(ctx, native ? SCMP_ACT_NOTIFY : SCMP_ACT_ERRNO(EACCES), SCMP_SYS(connect), 0);
}

static scmp_filter_ctx build(const struct seccomp_policy *p, int native, int broker, char *err,
                             size_t errlen)
{
    scmp_filter_ctx ctx = seccomp_init(SCMP_ACT_ALLOW);
    if (ctx == NULL) {
        snprintf(err, errlen, "libseccomp cannot create a filter");
        return NULL;
    }
    int rc = 0;
#if defined(__x86_64__)
    if (!native) {
        rc = seccomp_arch_remove(ctx, SCMP_ARCH_NATIVE);
        if (rc == 0)
            rc = seccomp_arch_add(ctx, SCMP_ARCH_X86);
    } else {
        rc = add_compat_arches(ctx, 0);
    }
#else
    (void)native;
#endif
    for (size_t i = 0; i < p->nrules && rc == 0; i++)
        rc = add_rule(ctx, p, &p->rules[i], native);
    if (rc == 0 && broker)
        rc = add_broker(ctx, p, native);
    if (rc != 0) {
        snprintf(err, errlen, "libseccomp refuses a rule: %s%s", strerror(-rc),
                 p->audit ? " (audit mode needs seccomp user notification, Linux 5.5 or later)" : "");
        seccomp_release(ctx);
        return NULL;
    }
    return ctx;
}

/* 32-bit x86 (int $0x80, which any program may use, 64-bit ones too) is
 * built apart and merged in: its connect cannot go to the broker, and its
 * family rules are not libseccomp's to write. libseccomp turns a family
 * rule on socket(2) into one on socketcall(2) too, whose arguments are in
 * memory that seccomp cannot read, and refuses two such rules with
 * different actions; so the x86 part is built without them, and
 * i386_families() puts them in front of the whole filter. */
static scmp_filter_ctx build_all(const struct seccomp_policy *p, int broker, char *err, size_t errlen)
{
    scmp_filter_ctx ctx = build(p, 1, broker, err, errlen);
#if defined(__x86_64__)
    if (ctx == NULL)
        return NULL;
    scmp_filter_ctx x86 = build(p, 0, broker, err, errlen);
    if (x86 == NULL) {
        seccomp_release(ctx);
        return NULL;
    }
    int rc = seccomp_merge(ctx, x86);
    if (rc != 0) {
        snprintf(err, errlen, "libseccomp cannot merge the x86 filter: %s", strerror(-rc));
        seccomp_release(x86);
        seccomp_release(ctx);
        return NULL;
    }
#endif
    return ctx;
}

#if defined(__x86_64__)
#define I386_SOCKETCALL 102
#define I386_SOCKET     359
#define I386_SOCKETPAIR 360
#define SOCKETCALL_SOCKET 1     /* SYS_SOCKET */

/* The family rules for 32-bit x86, as BPF to run before the rest: for
 * socket(2) and socketpair(2) by their own numbers each denied family
 * gets its action; socketcall(SYS_SOCKET), whose family cannot be read,
 * gets the first rule's action for every family. 32-bit glibc makes its
 * sockets that way, so while the policy names families, 32-bit programs
 * have no sockets but socketpair's (docs/seccomp.md). Anything else falls
 * through to the instruction after the block. The number of
 * instructions (0: no family rule), or -1 when max is too small. */
static int i386_families(const struct seccomp_policy *p, struct sock_filter *buf, int max)
{
    const struct seccomp_rule *fam[SECCOMP_POLICY_MAX_RULES];
    int nf = 0, n = 0, out[4 + 2], nout = 0, next = -1;
    if (denied_whole(p, SCMP_SYS(socket)))
        return 0;
    for (size_t i = 0; i < p->nrules && nf < SECCOMP_POLICY_MAX_RULES; i++)
        if (p->rules[i].kind == SECCOMP_RULE_SOCKET)
            fam[nf++] = &p->rules[i];
    if (nf == 0)
        return 0;
    if (max < 16 + 4 * nf)
        return -1;
    const uint32_t arch = offsetof(struct seccomp_data, arch), nr = offsetof(struct seccomp_data, nr);
    const uint32_t a0 = offsetof(struct seccomp_data, args[0]);    /* its low half: i386's whole */
#define EMIT(code, k, jt, jf) (buf[n++] = (struct sock_filter)BPF_JUMP(code, k, jt, jf))
    EMIT(BPF_LD | BPF_W | BPF_ABS, arch, 0, 0);
    EMIT(BPF_JMP | BPF_JEQ | BPF_K, AUDIT_ARCH_I386, 1, 0);
    out[nout++] = n;
    EMIT(BPF_JMP | BPF_JA, 0, 0, 0);
    EMIT(BPF_LD | BPF_W | BPF_ABS, nr, 0, 0);
    EMIT(BPF_JMP | BPF_JEQ | BPF_K, I386_SOCKETCALL, 0, 4);
    EMIT(BPF_LD | BPF_W | BPF_ABS, a0, 0, 0);
    EMIT(BPF_JMP | BPF_JEQ | BPF_K, SOCKETCALL_SOCKET, 1, 0);
    out[nout++] = n;
    EMIT(BPF_JMP | BPF_JA, 0, 0, 0);
    EMIT(BPF_RET | BPF_K, action_of(p, fam[0]->err), 0, 0);
    const uint32_t calls[2] = { I386_SOCKET, I386_SOCKETPAIR };
    for (int c = 0; c < 2; c++) {
        if (next >= 0)                 /* the first call's "not this one" lands here */
            buf[next].k = (uint32_t)(n - next - 1);
        EMIT(BPF_JMP | BPF_JEQ | BPF_K, calls[c], 1, 0);     /* A holds nr */
        if (c == 0)
            next = n;
        else
            out[nout++] = n;
        EMIT(BPF_JMP | BPF_JA, 0, 0, 0);
        EMIT(BPF_LD | BPF_W | BPF_ABS, a0, 0, 0);
        for (int f = 0; f < nf; f++) {
            EMIT(BPF_JMP | BPF_JEQ | BPF_K, (uint32_t)fam[f]->family, 0, 1);
            EMIT(BPF_RET | BPF_K, action_of(p, fam[f]->err), 0, 0);
        }
        out[nout++] = n;
        EMIT(BPF_JMP | BPF_JA, 0, 0, 0);
    }
#undef EMIT
    for (int i = 0; i < nout; i++)
        buf[out[i]].k = (uint32_t)(n - out[i] - 1);
    return n;
}
#endif

/* libseccomp 2.5 exports BPF only to an fd. */
static int export_bpf(scmp_filter_ctx ctx, struct sock_fprog *out, char *err, size_t errlen)
{
    int fd = memfd_create("torgate-seccomp", MFD_CLOEXEC);
    if (fd < 0) {
        snprintf(err, errlen, "memfd_create: %s", strerror(errno));
        return -1;
    }
    int rc = seccomp_export_bpf(ctx, fd);
    struct stat st;
    if (rc != 0 || fstat(fd, &st) != 0) {
        snprintf(err, errlen, "cannot export the filter: %s", strerror(rc != 0 ? -rc : errno));
        close(fd);
        return -1;
    }
    size_t size = (size_t)st.st_size;
    if (size == 0 || size % sizeof(struct sock_filter) != 0 ||
        size / sizeof(struct sock_filter) > BPF_MAXINSNS) {
        snprintf(err, errlen, "the filter has %zu bytes, more than the kernel's %d instructions "
                 "or not whole ones; use fewer rules", size, BPF_MAXINSNS);
        close(fd);
        return -1;
    }
    struct sock_filter *insns = malloc(size);
    ssize_t n = insns != NULL ? pread(fd, insns, size, 0) : -1;
    close(fd);
    if (n != (ssize_t)size) {
        snprintf(err, errlen, "cannot read the exported filter back");
        free(insns);
        return -1;
    }
    out->filter = insns;
    out->len = (unsigned short)(size / sizeof(struct sock_filter));
    return 0;
}

int seccomp_app_compile(const struct seccomp_policy *p, int broker, struct sock_fprog *out,
                        char *err, size_t errlen)
{
    out->filter = NULL;
    out->len = 0;
    if (p->nrules == 0 && !broker)
        return 0;
    scmp_filter_ctx ctx = build_all(p, broker, err, errlen);
    if (ctx == NULL)
        return -1;
    int rc = export_bpf(ctx, out, err, errlen);
    seccomp_release(ctx);
#if defined(__x86_64__)
    static struct sock_filter block[16 + 4 * SECCOMP_POLICY_MAX_RULES];
    int nb = rc == 0 ? i386_families(p, block, (int)(sizeof(block) / sizeof(block[0]))) : 0;
    if (nb > 0 && out->len + nb > BPF_MAXINSNS) {
        snprintf(err, errlen, "the filter has more than the kernel's %d instructions; use fewer rules",
                 BPF_MAXINSNS);
        rc = -1;
    } else if (nb > 0) {
        struct sock_filter *all = realloc(out->filter, (out->len + (size_t)nb) * sizeof(*all));
        if (all == NULL) {
            snprintf(err, errlen, "out of memory for the filter");
            rc = -1;
        } else {
            memmove(all + nb, all, out->len * sizeof(*all));
            memcpy(all, block, (size_t)nb * sizeof(*all));
            out->filter = all;
            out->len = (unsigned short)(out->len + nb);
        }
    }
    if (rc != 0) {
        free(out->filter);
        out->filter = NULL;
        out->len = 0;
    }
#endif
    return rc;
}

int seccomp_app_load(const struct sock_fprog *prog, int listener)
{
    unsigned long flags = listener ? SECCOMP_FILTER_FLAG_NEW_LISTENER : 0;
    long rc = syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER, flags, prog);
    return rc < 0 ? -1 : (int)rc;
}
