/* Sidecar mode (--netns, --pid): a TUN in a namespace someone else made,
 * served by the gateway from outside (sidecar.c). */
#ifndef TORGATE_SIDECAR_H
#define TORGATE_SIDECAR_H

#include <sys/types.h>

#include "config/config.h"

struct sidecar {
    pid_t keeper;            /* the process that made the TUN and keeps watch */
    int ctl;                 /* socketpair to it: closing it lets it clean up */
    int tun_fd;
    char what[128];          /* the namespace, for messages */
};

/* Makes the TUN in cfg's namespace (refusing one with other links up
 * unless cfg->force). Returns 0 with sc filled, or -1 after one error line. */
int sidecar_start(const struct tg_config *cfg, struct sidecar *sc);

/* After the gateway has closed the TUN: the keeper puts resolv.conf back
 * and exits; waits for it. */
void sidecar_stop(struct sidecar *sc);

#endif
