/* torgate --check (check.c). */
#ifndef TORGATE_CHECK_H
#define TORGATE_CHECK_H

#include "config/config.h"

/* Prints one line per check to stdout; returns 0 when torgate will work
 * here, 1 when not (a line says the fix), TG_EXIT_FAILURE on an error. */
int check_run(const struct tg_config *cfg);

#endif
