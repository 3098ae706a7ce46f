/* Drives the pure SOCKS5 client (socks5.c) over a bufferevent. */
#ifndef TORGATE_SOCKS_IO_H
#define TORGATE_SOCKS_IO_H

#include "tor/socks5.h"

struct bufferevent;

/* Sends the greeting. 0 or -1. */
int socks_io_greet(const struct socks5_client *c, struct bufferevent *bev);

/* Consumes what bev has received, sending each message the handshake asks
 * for. Returns NEED_MORE, CONNECTED (stream bytes may follow in the input)
 * or FAILED (c->err says why; SOCKS5_OK there means the write failed). */
enum socks5_step socks_io_read(struct socks5_client *c, struct bufferevent *bev);

#endif
