/* Filesystem set-up inside the sandbox's mount namespace. */
#ifndef TORGATE_SANDBOX_FS_H
#define TORGATE_SANDBOX_FS_H

#include <stddef.h>

/* Points /etc/resolv.conf at the DNS stub and hides the resolvers that
 * would bypass it (see sandbox_fs.c). 0, or -1 with err set. */
int sandbox_fs_setup(char *err, size_t errlen);

/* Before the sandbox is made: the directory of torgate's control sockets,
 * hidden in it too (NULL or "": none). */
void sandbox_fs_mask_control_dir(const char *dir);

/* The resolv.conf that names the stub (also a sidecar's, sidecar.c). */
extern const char sandbox_resolv_text[];

#endif
