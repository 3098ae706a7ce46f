/* The gateway's own confinement, after setup and before the first packet:
 * Landlock (no filesystem, TCP connect only to Tor's SOCKS port, no
 * abstract unix sockets) and a seccomp allow-list of what the event loop
 * does. Bytes from the app and from the network are parsed in this
 * process; if one of them ever takes it over, it can still only talk to
 * Tor and to the sandbox it already holds. */
#ifndef TORGATE_CONFINE_H
#define TORGATE_CONFINE_H

#include "config/config.h"
#include <stddef.h>
#include <sys/types.h>

/* What the kernel gave us; filled by confine_gateway(). */
struct confine_status {
    int landlock_abi;            /* 0: no Landlock */
    int fs_closed;               /* Landlock filesystem rules in force */
    int net_closed;              /* Landlock TCP rules in force (ABI >= 4) */
    int abstract_scoped;         /* abstract unix sockets scoped (ABI >= 6) */
    int seccomp;                 /* the allow-list is loaded */
};

#define CONFINE_LANDLOCK 1u
#define CONFINE_SECCOMP  2u
#define CONFINE_ALL      (CONFINE_LANDLOCK | CONFINE_SECCOMP)

/* Confines the calling process for good with the given layers (the
 * gateway always uses CONFINE_ALL; the check tests each alone). child is the sandbox's PID 1 (the
 * only process the gateway may signal), or -1 when there is none. Kernel
 * features that are missing are noted in st and logged once under -v;
 * anything else that fails is a setup error: -1 with err set, and the
 * caller must not go on. */
/* Before confine_gateway(): the directory of the control socket, where the
 * gateway may still remove files (its socket, when it ends). */
void confine_set_control_dir(const char *dir);
/* Whether unlink() is still allowed (before confinement, or Landlock
 * bounds it to that directory). */
int confine_unlink_allowed(void);

int confine_gateway(const struct tg_config *cfg, unsigned layers, pid_t child,
                    struct confine_status *st, char *err, size_t errlen);

/* A relay of torgate's (the sound filter), after it holds its listening
 * socket: no filesystem, no network but unix stream sockets, and the
 * system calls of a poll loop; a call outside them ends the process.
 * 0, or -1 with err set. */
int confine_relay(char *err, size_t errlen);

/* --check-confinement: in child processes confined as the gateway is
 * (each layer alone, then both), tries what the gateway must not be able
 * to do and what it must, and prints a table. Returns the exit status: 0
 * if every protection the kernel offers held, 1 otherwise. */
int confine_check(const struct tg_config *cfg);

#endif
