/* --expose: chosen host loopback ports on the command's loopback (expose.c). */
#ifndef TORGATE_EXPOSE_H
#define TORGATE_EXPOSE_H

#include "config/config.h"

struct event_base;
struct expose;

/* Serves cfg->nexpose listeners fds (made in the sandbox). NULL with none
 * asked for, or on failure (when cfg->nexpose > 0). */
struct expose *expose_start(struct event_base *base, const struct tg_config *cfg, const int *fds);
void expose_free(struct expose *x);

#endif
