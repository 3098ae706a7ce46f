/* --generic-user (sandbox_user.c): the command's user is "user", at
 * /home/user, in generic /etc/passwd and /etc/group. */
#ifndef TORGATE_SANDBOX_USER_H
#define TORGATE_SANDBOX_USER_H

#include <stddef.h>
#include "config/config.h"

/* After the user's binds and the private home (the home moves with them).
 * Nothing without --generic-user. 0, or -1 with err set. */
int sandbox_user_setup(const struct tg_config *cfg, char *err, size_t errlen);

#endif
