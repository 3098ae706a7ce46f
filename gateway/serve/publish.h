/* --publish: a service inside the sandbox reachable from the host (publish.c). */
#ifndef TORGATE_PUBLISH_H
#define TORGATE_PUBLISH_H

#include "config/config.h"

struct event_base;
struct publish;

/* Before confinement: the host listeners, into fds. 0, or -1 (said). */
int publish_listen(const struct tg_config *cfg, int *fds);
/* Serves them. NULL with none, or on failure. */
struct publish *publish_start(struct event_base *base, const struct tg_config *cfg, const int *fds);
void publish_free(struct publish *pb);

#endif
