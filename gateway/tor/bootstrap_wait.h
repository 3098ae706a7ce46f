/* Waiting for Tor to finish bootstrapping (bootstrap_wait.c). */
#ifndef TORGATE_BOOTSTRAP_WAIT_H
#define TORGATE_BOOTSTRAP_WAIT_H

#include "config/config.h"

/* Returns once Tor is bootstrapped, or cannot tell (no control port), or
 * has taken too long (said), or at once with --no-wait. */
void bootstrap_wait(const struct tg_config *cfg);

#endif
