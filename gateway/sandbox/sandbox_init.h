/* PID 1 of the sandbox (sandbox_init.c), and what the gateway must agree
 * with it on: which signals are forwarded to CMD, and what its wait status
 * means as torgate's exit code. */
#ifndef TORGATE_SANDBOX_INIT_H
#define TORGATE_SANDBOX_INIT_H

#include <signal.h>
#include <sys/resource.h>

#include "sandbox/seccomp_policy.h"

/* The signals the gateway forwards to CMD (and PID 1 passes on). */
void sandbox_init_signals(sigset_t *set);

/* torgate's exit code for a wait status of CMD or of the sandbox's init:
 * the exit code, 128+N for signal N, else TG_EXIT_FAILURE. */
int sandbox_init_exit_code(int wstatus);

/* Inside the sandbox: run CMD as PID 1's child, forward signals, reap
 * orphans, run what torgate exec asks for over ctl (the gateway's end of
 * the socketpair, sandbox_exec.h); returns CMD's exit code for PID 1. CMD
 * runs under policy (the --seccomp choice) and, always, without TIOCSTI
 * and TIOCLINUX. */
int sandbox_init_run(char **cmd, const struct rlimit *app_nofile, int cookie,
                     const struct seccomp_policy *policy, int ctl);

#endif
