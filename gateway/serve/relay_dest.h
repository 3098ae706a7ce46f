/* What a stream asks Tor for (relay_dest.c): the destination of an app's
 * connection, and the SOCKS credentials that choose its circuits. */
#ifndef TORGATE_RELAY_DEST_H
#define TORGATE_RELAY_DEST_H

#include <stddef.h>
#include <stdint.h>

#include "config/config.h"
#include "netstack/netstack.h"
#include "tor/socks5.h"

struct vmap;

/* The SOCKS destination of a flow, and a name for logs ("host:port"). A
 * virtual address (map: the stub's, or NULL) stands for the name the app
 * resolved, which goes to Tor as a hostname so that the exit resolves it
 * and .onion names work. -1 for a virtual address no name owns. */
int relay_dest_of_flow(struct vmap *map, const struct ns_flow *f, struct socks5_dest *d,
                       char *name, size_t namelen);

/* The password that goes with the instance's username (Tor isolates
 * streams by the pair), by --isolate: the instance's own for all, one per
 * destination host, or one per stream (*seq counts them). */
void relay_dest_password(enum tg_isolate isolate, const char *instance_pass, uint64_t *seq,
                         const struct socks5_dest *d, char *pass, size_t len);

/* A fresh random username, "torgate-" and 32 hex digits. 0, or -1 when no
 * random bytes can be had. */
int relay_dest_user(char *user, size_t len);

#endif
