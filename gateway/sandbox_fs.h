/* Filesystem set-up inside the sandbox's mount namespace. */
#ifndef TORGATE_SANDBOX_FS_H
#define TORGATE_SANDBOX_FS_H

#include <stddef.h>

/* Points /etc/resolv.conf at the DNS stub and hides the resolvers that
 * would bypass it (see sandbox_fs.c). 0, or -1 with err set. */
int sandbox_fs_setup(char *err, size_t errlen);

#endif
