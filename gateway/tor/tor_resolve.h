/* One SOCKS5 RESOLVE (0xF0) or RESOLVE_PTR (0xF1) to Tor: Tor's own
 * extensions, so names are resolved by the exit, never by the host. */
#ifndef TORGATE_TOR_RESOLVE_H
#define TORGATE_TOR_RESOLVE_H

#include <stdint.h>
#include "config/config.h"
#include "tor/socks5.h"

struct event_base;
struct tor_resolve;

/* ok: the reply's BND.ADDR is in *bound. Otherwise rep is Tor's REP code
 * (0 when Tor gave no SOCKS answer at all). The request is freed after. */
typedef void (*tor_resolve_cb)(void *arg, int ok, uint8_t rep, const struct socks5_dest *bound);

struct tor_resolve *tor_resolve_start(struct event_base *base, const struct tg_config *cfg,
                                      const char *user, const char *pass, uint8_t cmd,
                                      const struct socks5_dest *dest, tor_resolve_cb cb, void *arg);
/* Abandons a request: its callback will not run. */
void tor_resolve_cancel(struct tor_resolve *r);

#endif
