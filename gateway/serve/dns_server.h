/* The DNS stub as a service inside the sandbox's network: UDP and TCP port
 * 53 on the gateway's addresses on the TUN (TUN_GATEWAY4/6). Answers come
 * from dns/stub.c; nothing here ever sends a query anywhere. */
#ifndef TORGATE_DNS_SERVER_H
#define TORGATE_DNS_SERVER_H

#include "config/config.h"
#include "netstack/netstack.h"

struct event_base;
struct dns_server;
struct dns_stub_stats;
struct vmap;

/* In resolve mode, A/AAAA/PTR are asked of Tor at cfg's SOCKS port with
 * the instance's credential (dns_server_set_auth). */
struct dns_server *dns_server_new(struct event_base *base, const struct tg_config *cfg);
void dns_server_set_auth(struct dns_server *d, const char *user, const char *pass);
void dns_server_free(struct dns_server *d);

/* Is flow addressed to the stub's IP (any port)? */
int dns_server_is_stub_addr(const struct dns_server *d, const struct ns_flow *flow);

/* A SYN to the stub's address: DNS over TCP on port 53, refused otherwise.
 * Same contract as netstack's tcp_open. */
void *dns_server_tcp_open(struct dns_server *d, struct ns_pending *pend, const struct ns_flow *flow);

struct vmap *dns_server_map(struct dns_server *d);
const struct dns_stub_stats *dns_server_stats(const struct dns_server *d);

#endif
