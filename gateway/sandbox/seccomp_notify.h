/* The thread of the sandbox's PID 1 that answers the command's seccomp
 * user notifications (seccomp_notify.c): connect(2) through the broker,
 * and audit mode's reports. */
#ifndef TORGATE_SECCOMP_NOTIFY_H
#define TORGATE_SECCOMP_NOTIFY_H

/* Starts the thread before the filter is loaded: a thread made later would
 * be under the filter and could end up waiting on itself. audit: calls
 * other than connect are audit mode's (reported, let through). The thread
 * waits for seccomp_notify_attach(). 0, or -1 with errno. */
int seccomp_notify_start(int audit);

/* Hands the listener fd to the thread (a plain memory store: no syscall,
 * since the caller is already under the filter). fd < 0 stops the thread. */
void seccomp_notify_attach(int fd);

#endif
