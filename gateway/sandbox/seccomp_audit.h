/* Audit mode: calls the policy would deny are let through and reported in
 * torgate's own log, by a thread of the sandbox's PID 1 that answers the
 * filter's user notifications. */
#ifndef TORGATE_SECCOMP_AUDIT_H
#define TORGATE_SECCOMP_AUDIT_H

#include "sandbox/seccomp_policy.h"

/* Starts the answering thread before the filter is loaded: a thread made
 * later would be under the filter and could end up waiting on itself.
 * The thread waits for seccomp_audit_attach(). 0, or -1 with errno. */
int seccomp_audit_start(const struct seccomp_policy *p);

/* Hands the listener fd to the thread (a plain memory store: no syscall,
 * since the caller is already under the filter). fd < 0 stops the thread. */
void seccomp_audit_attach(int fd);

/* One line with what was let through, if anything was. */
void seccomp_audit_report(void);

#endif
