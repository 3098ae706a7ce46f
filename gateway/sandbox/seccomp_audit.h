/* Audit mode: calls the policy would deny are let through and reported in
 * torgate's own log (seccomp_audit.c), from the thread of the sandbox's
 * PID 1 that answers the filter's user notifications (seccomp_notify.c). */
#ifndef TORGATE_SECCOMP_AUDIT_H
#define TORGATE_SECCOMP_AUDIT_H

#include "sandbox/seccomp_policy.h"

#include <linux/seccomp.h>

/* The policy whose calls are reported (before the filter is loaded). */
void seccomp_audit_use(const struct seccomp_policy *p);

/* Reports one call the policy matched (and tallies it); the caller lets it
 * through. */
void seccomp_audit_call(const struct seccomp_notif *req);

/* One line with what was let through, if anything was. */
void seccomp_audit_report(void);

#endif
