/* Socket addresses as torgate's options give them: HOST:PORT with a
 * numeric host (IPv6 in brackets) or localhost. Pure. */
#ifndef TORGATE_ADDR_H
#define TORGATE_ADDR_H

#include <stddef.h>
#include <sys/socket.h>

/* "127.0.0.1:9050", "[::1]:9050", "localhost:9050". Numeric only otherwise:
 * resolving a name here could itself leak. 0, or -1 with err set. */
int addr_parse(const char *s, struct sockaddr_storage *ss, socklen_t *sslen, char *err, size_t errlen);

/* The port of an AF_INET or AF_INET6 address (host order). */
unsigned addr_port(const struct sockaddr_storage *ss);

#endif
