/* --onion-service at run time (onion_watch.c): Tor's control connection
 * that owns the service, watched from the loop. */
#ifndef TORGATE_ONION_WATCH_H
#define TORGATE_ONION_WATCH_H

#include "config/config.h"
#include "tor/onion.h"

struct event_base;
struct onion_watch;

/* Takes svc->fd. Says on stderr, once, when Tor has published the service;
 * says if Tor drops the connection (and with it the service). NULL when
 * out of memory (svc->fd is closed then). */
struct onion_watch *onion_watch_start(struct event_base *base, const struct tg_config *cfg,
                                      const struct onion_service *svc);

/* Removes the service (DEL_ONION) and closes the connection. */
void onion_watch_free(struct onion_watch *w);

#endif
