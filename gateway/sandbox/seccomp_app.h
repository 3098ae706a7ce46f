/* The app's seccomp filter: the policy chosen with --seccomp, compiled
 * with libseccomp and loaded in the sandbox (sandbox_init.c). */
#ifndef TORGATE_SECCOMP_APP_H
#define TORGATE_SECCOMP_APP_H

#include <linux/filter.h>
#include <stddef.h>

#include "config/config.h"
#include "sandbox/seccomp_policy.h"

/* Fills *out for --seccomp: nothing for off, the built-in default, or FILE
 * read and parsed. 0, or -1 with one line in err (what failed and what to
 * do). Runs before the sandbox exists. */
int seccomp_app_prepare(enum tg_seccomp mode, const char *file, struct seccomp_policy *out,
                       char *err, size_t errlen);

/* Refuses TIOCSTI and TIOCLINUX to the caller and everything it starts, in
 * every mode: the sandbox's integrity, not policy. 0 or -1 (errno). */
int seccomp_app_deny_tty(void);

/* The BPF program for p (x86-64 with its x86 and x32 compat ABIs): denied
 * calls fail with the rule's errno or kill, or, in audit mode, go to the
 * listener. With broker, connect(2) goes to the listener too (the connect
 * broker, unix_broker.c). out->filter is malloc'd (free it); out->len is 0
 * for a policy without rules and no broker. 0, or -1 with err. */
int seccomp_app_compile(const struct seccomp_policy *p, int broker, struct sock_fprog *out,
                        char *err, size_t errlen);

/* Loads prog on the calling thread with no syscall after it (a listener's
 * owner may not be able to answer yet). Returns the listener fd if
 * listener is set, else 0; -1 with errno. */
int seccomp_app_load(const struct sock_fprog *prog, int listener);

#endif
