/* Audit mode, by seccomp user notification rather than SECCOMP_RET_LOG:
 * the kernel's log needs root to read and is rate-limited, while here the
 * user reads "python3 (pid 7) called bpf(2) ..." in torgate's own output.
 *
 * The notifications reach the thread of the sandbox's PID 1 that serves the
 * filter's listener (seccomp_notify.c), which hands every call but connect
 * here and then answers it with SECCOMP_USER_NOTIF_FLAG_CONTINUE (the call
 * proceeds as if no filter were there); that flag is unsafe for decisions,
 * but audit mode decides nothing. */
#define _GNU_SOURCE
#include "sandbox/seccomp_audit.h"
#include "base/log.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/seccomp.h>
#include <poll.h>
#include <pthread.h>
#include <seccomp.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <time.h>
#include <unistd.h>

#define MAX_TALLIES 16

static const struct seccomp_policy *policy;

static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static struct {
    char what[80];
    unsigned long n;
} tallies[MAX_TALLIES];
static size_t ntallies;
static unsigned long untallied;
static struct log_limit limit;

static void comm_of(pid_t pid, char *out, size_t len)
{
    char path[64];
    snprintf(out, len, "?");
    snprintf(path, sizeof(path), "/proc/%d/comm", (int)pid);
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return;
    ssize_t n = read(fd, out, len - 1);
    close(fd);
    if (n <= 0) {
        snprintf(out, len, "?");
        return;
    }
    out[n] = '\0';
    out[strcspn(out, "\n")] = '\0';
}

/* "bpf(2)", "socket(AF_PACKET)", "clone(CLONE_NEWUSER)", and the rule;
 * *is_clone3 since the userns rule answers clone3 with ENOSYS whatever it
 * says for clone and unshare. */
static const struct seccomp_rule *describe(const struct seccomp_notif *req, char *what, size_t len,
                                           int *is_clone3)
{
    char *name = seccomp_syscall_resolve_num_arch(req->data.arch, req->data.nr);
    int nr = name != NULL ? seccomp_syscall_resolve_name(name) : __NR_SCMP_ERROR;
    const struct seccomp_rule *r = seccomp_policy_match(policy, nr, req->data.args[0],
                                                        req->data.args[1]);
    const char *detail = "2";
    *is_clone3 = nr == SCMP_SYS(clone3);
    const char *fam = NULL;
    if (r != NULL && r->kind == SECCOMP_RULE_SOCKET)
        fam = seccomp_policy_family_name(r->family);
    if (fam != NULL)
        detail = fam;
    else if (r != NULL && r->kind == SECCOMP_RULE_USERNS && nr != SCMP_SYS(clone3))
        detail = "CLONE_NEWUSER";
    else if (nr == SCMP_SYS(ioctl))
        detail = "USERFAULTFD_IOC_NEW";
    if (name != NULL)
        snprintf(what, len, "%s(%s)", name, detail);
    else
        snprintf(what, len, "syscall %d (arch 0x%x)", req->data.nr, req->data.arch);
    free(name);
    return r;
}

static void tally(const char *what, int *first)
{
    size_t i;
    *first = 0;
    for (i = 0; i < ntallies; i++)
        if (strcmp(tallies[i].what, what) == 0)
            break;
    if (i == ntallies) {
        if (ntallies == MAX_TALLIES) {
            untallied++;
            *first = log_limit_allow(&limit, what);
            return;
        }
        snprintf(tallies[ntallies].what, sizeof(tallies[0].what), "%s", what);
        ntallies++;
    }
    tallies[i].n++;
    *first = log_limit_allow(&limit, what);
}

static void report_call(const struct seccomp_notif *req)
{
    char what[80], comm[32], verdict[24];
    int show, is_clone3;
    const struct seccomp_rule *r = describe(req, what, sizeof(what), &is_clone3);
    (void)pthread_mutex_lock(&lock);
    tally(what, &show);
    (void)pthread_mutex_unlock(&lock);
    if (!show)
        return;
    comm_of((pid_t)req->pid, comm, sizeof(comm));
    if (r == NULL)
        snprintf(verdict, sizeof(verdict), "denies");
    else if (r->kind == SECCOMP_RULE_USERNS && is_clone3)
        snprintf(verdict, sizeof(verdict), "denies (ENOSYS)");
    else if (r->err == SECCOMP_POLICY_KILL)
        snprintf(verdict, sizeof(verdict), "kills");
    else if (seccomp_policy_errno_name(r->err) != NULL)
        snprintf(verdict, sizeof(verdict), "denies (%s)", seccomp_policy_errno_name(r->err));
    else
        snprintf(verdict, sizeof(verdict), "denies (errno %d)", r->err);
    log_warn("seccomp audit: %s (pid %u) called %s, which the policy %s; let through "
             "(audit mode)", comm, (unsigned)req->pid, what, verdict);
}

void seccomp_audit_use(const struct seccomp_policy *p)
{
    policy = p;
}

void seccomp_audit_call(const struct seccomp_notif *req)
{
    if (policy != NULL)
        report_call(req);
}

void seccomp_audit_report(void)
{
    char line[700] = "";
    size_t off = 0;
    unsigned long total = 0;
    (void)pthread_mutex_lock(&lock);
    for (size_t i = 0; i < ntallies; i++) {
        total += tallies[i].n;
        int n = snprintf(line + off, sizeof(line) - off, "%s%s x%lu", i ? ", " : "",
                         tallies[i].what, tallies[i].n);
        if (n > 0 && (size_t)n < sizeof(line) - off)
            off += (size_t)n;
    }
    total += untallied;
    if (untallied > 0 && off < sizeof(line))
        snprintf(line + off, sizeof(line) - off, ", others x%lu", untallied);
    (void)pthread_mutex_unlock(&lock);
    if (total == 0)
        log_info("seccomp audit: no call matched the policy");
    else
        log_warn("seccomp audit: the policy would have denied %lu call%s: %s", total,
                 total == 1 ? "" : "s", line);
}
