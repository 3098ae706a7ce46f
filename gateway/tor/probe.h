/* Before anything runs: does the SOCKS port answer as a SOCKS5 server? */
#ifndef TORGATE_PROBE_H
#define TORGATE_PROBE_H

#include "config/config.h"

/* Returns 0 if cfg's SOCKS port answered a SOCKS5 greeting; otherwise
 * logs one line saying what is wrong and how to fix it, and returns -1. */
int probe_socks(const struct tg_config *cfg, int timeout_ms);
/* The same, saying nothing: probe_reason() has the line. */
int probe_socks_quiet(const struct tg_config *cfg, int timeout_ms);
const char *probe_reason(void);

#endif
