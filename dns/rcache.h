/* Results of Tor's RESOLVE and RESOLVE_PTR for --dns resolve: bounded in
 * size, each entry valid for a TTL (Tor's reply carries none). */
#ifndef TORGATE_DNS_RCACHE_H
#define TORGATE_DNS_RCACHE_H

#include <stddef.h>
#include <stdint.h>

#define RCACHE_TTL_S      60
#define RCACHE_NEG_TTL_S  10
#define RCACHE_MAX        4096

struct rcache;

struct rcache_entry {
    int rcode;               /* 0: found; else the DNS rcode to answer */
    int family;              /* address results: 4 or 6 */
    uint8_t addr[16];
    char name[256];          /* PTR results */
};

struct rcache *rcache_new(size_t max);
void rcache_free(struct rcache *c);

/* Lookups return 1 and fill *out on a live hit, 0 otherwise. now in ms. */
int rcache_get_name(struct rcache *c, const char *name, uint64_t now, struct rcache_entry *out);
int rcache_get_addr(struct rcache *c, int family, const uint8_t *addr, uint64_t now,
                    struct rcache_entry *out);
void rcache_put_name(struct rcache *c, const char *name, const struct rcache_entry *e,
                     uint64_t now, unsigned ttl_s);
void rcache_put_addr(struct rcache *c, int family, const uint8_t *addr,
                     const struct rcache_entry *e, uint64_t now, unsigned ttl_s);
size_t rcache_count(const struct rcache *c);

/* The cache key of a reverse lookup ("p4:1.2.3.4"), for the gateway's
 * table of lookups in flight. */
void rcache_addr_key(int family, const uint8_t *addr, char *key, size_t keylen);

#endif
