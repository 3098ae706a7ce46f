/* The sandbox: CMD in new user, network, mount, PID, UTS and IPC
 * namespaces, whose only network is the TUN the gateway serves. */
#ifndef TORGATE_SANDBOX_H
#define TORGATE_SANDBOX_H

#include <sys/resource.h>
#include <sys/types.h>
#include <signal.h>

#include "config/config.h"
#include "sandbox/seccomp_policy.h"

struct sandbox {
    pid_t pid;      /* the sandbox's init (PID 1 inside), seen from here */
    int ctl;        /* socketpair to it; closing it before release aborts;
                       after, torgate exec's requests go over it */
    int tun_fd;     /* received from the sandbox */
    int expose_fd[TG_MAX_EXPOSE];  /* listening on the sandbox's loopback (--expose) */
    int cookie;     /* marks the signals the gateway forwards (sigqueue) */
    int own_pgrp;   /* no terminal: the sandbox has its own process group,
                       so only the gateway's forwarding reaches CMD */
};

/* Creates the namespaces and the TUN; on return 0 the sandbox waits, TUN
 * configured, for sandbox_release(). On -1 the reason was logged and
 * nothing of CMD ran. app_nofile: the RLIMIT_NOFILE CMD gets; policy: its
 * seccomp policy (seccomp_app_prepare()), which must outlive the call. */
int sandbox_start(const struct tg_config *cfg, const struct rlimit *app_nofile,
                  const struct seccomp_policy *policy, struct sandbox *sb);

/* torgate's own argv, which the sandbox's PID 1 overwrites with a name of
 * its own ("torgate-init: CMD"): a signal sent by name (pkill -f, kill
 * $(pgrep -f ...)) then reaches the gateway. Before sandbox_start(). */
void sandbox_set_argv(int argc, char **argv);

/* Lets the sandbox exec CMD. 0 or -1. sb->ctl stays open, the caller's
 * to close (control_exec_attach takes it). */
int sandbox_release(struct sandbox *sb);

/* Kills and reaps a sandbox that must not run CMD. */
void sandbox_abort(struct sandbox *sb);

/* In the TUN's namespace, after tun_open() and before tun_configure(): no
 * router solicitations on it, no advertisements taken from it. */
void sandbox_quiet_router_discovery(void);

#endif
