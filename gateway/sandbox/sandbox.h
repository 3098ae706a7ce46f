/* The sandbox: CMD in new user, network, mount, PID, UTS and IPC
 * namespaces, whose only network is the TUN the gateway serves. */
#ifndef TORGATE_SANDBOX_H
#define TORGATE_SANDBOX_H

#include <sys/resource.h>
#include <sys/types.h>
#include <signal.h>

#include "config.h"

struct sandbox {
    pid_t pid;      /* the sandbox's init (PID 1 inside), seen from here */
    int ctl;        /* socketpair to it; closing it before release aborts */
    int tun_fd;     /* received from the sandbox */
    int expose_fd[TG_MAX_EXPOSE];  /* listening on the sandbox's loopback (--expose) */
    int cookie;     /* marks the signals the gateway forwards (sigqueue) */
    int own_pgrp;   /* no terminal: the sandbox has its own process group,
                       so only the gateway's forwarding reaches CMD */
};

/* Signals the gateway forwards to CMD. */
void sandbox_forwarded_signals(sigset_t *set);

/* Creates the namespaces and the TUN; on return 0 the sandbox waits, TUN
 * configured, for sandbox_release(). On -1 the reason was logged and
 * nothing of CMD ran. app_nofile: the RLIMIT_NOFILE CMD gets. */
int sandbox_start(const struct tg_config *cfg, const struct rlimit *app_nofile, struct sandbox *sb);

/* Lets the sandbox exec CMD. 0 or -1. */
int sandbox_release(struct sandbox *sb);

/* Kills and reaps a sandbox that must not run CMD. */
void sandbox_abort(struct sandbox *sb);

/* torgate's exit code for the sandbox init's wait status. */
int sandbox_exit_code(int wstatus);

/* In the TUN's namespace, after tun_open() and before tun_configure(): no
 * router solicitations on it, no advertisements taken from it. */
void sandbox_quiet_router_discovery(void);

/* Inside the sandbox (sandbox_init.c): run CMD as PID 1's only child,
 * forward signals, reap orphans; returns CMD's exit code for PID 1. CMD
 * runs under policy (the --seccomp choice) and, always, without TIOCSTI
 * and TIOCLINUX. */
int sandbox_init_run(char **cmd, const struct rlimit *app_nofile, int cookie,
                     const struct seccomp_policy *policy);

/* Drops every capability of the calling process, for good. 0 or -1. */
int sandbox_drop_caps(void);

#endif
