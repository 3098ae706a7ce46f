/* Before anything runs: does the SOCKS port answer as a SOCKS5 server? */
#ifndef TORGATE_PROBE_H
#define TORGATE_PROBE_H

#include "config/config.h"

#include <stddef.h>

/* Returns 0 if cfg's SOCKS port answered a SOCKS5 greeting; otherwise
 * logs one line saying what is wrong and how to fix it, and returns -1. */
int probe_socks(const struct tg_config *cfg, int timeout_ms);
/* The same, saying nothing: probe_reason() has the line. */
int probe_socks_quiet(const struct tg_config *cfg, int timeout_ms);
const char *probe_reason(void);

/* Whether the SOCKS5 server at cfg looks like Tor: 1 when it answers
 * Tor's RESOLVE of an address literal with that address (Tor does, at
 * once, with no circuit), 0 when it plainly is something else (no such
 * command), -1 when it cannot be told. why says what was seen. */
int probe_tor_like(const struct tg_config *cfg, int timeout_ms, char *why, size_t whylen);

#endif
