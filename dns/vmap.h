/* The virtual address map: each name the app resolves gets one address
 * from a pool that is never routed on the Internet, and a connection to
 * that address reaches Tor as the name. One stable address pair per name
 * for the sandbox's lifetime; when the pool is full the least recently used
 * name gives up its addresses. */
#ifndef TORGATE_DNS_VMAP_H
#define TORGATE_DNS_VMAP_H

#include <stddef.h>
#include <stdint.h>

/* IPv4: 198.18.0.0/15 (RFC 2544, reserved for benchmarking: never routed on
 * the Internet, and unlike 240/4 every stack treats it as ordinary unicast).
 * IPv6: fd74:6f72:ff00::/40 inside torgate's own ULA prefix (RFC 4193:
 * never routed on the Internet), outside the TUN's on-link /64. */
#define VMAP_V4_BASE   "198.18.0.0"
#define VMAP_V4_PREFIX 15
#define VMAP_V6_BASE   "fd74:6f72:ff00::"
#define VMAP_V6_PREFIX 40
#define VMAP_DEFAULT_CAPACITY 65536

struct vmap;

/* capacity: how many names at once (at most the IPv4 pool's usable size). */
struct vmap *vmap_new(size_t capacity);
void vmap_free(struct vmap *m);

/* A full map recycles only slots unused for at least this long: an app may
 * still hold an address it was given (its TTL is 60 s, caches keep longer),
 * and a recycled address would connect it to another name. Default 0. */
void vmap_set_min_idle(struct vmap *m, unsigned seconds);

/* The addresses of name (lower case, no trailing dot), assigning them if
 * the name is new. Marks the name recently used. Returns 0, or -1 if name
 * is empty or too long, or the map is full of recently used names. */
int vmap_assign(struct vmap *m, const char *name, uint8_t v4[4], uint8_t v6[16]);

/* The name an address stands for (NULL if none), marking it recently used.
 * family 4 reads addr[0..3], family 6 addr[0..15]. */
const char *vmap_lookup(struct vmap *m, int family, const uint8_t *addr);

/* Whether addr lies in the pool at all (assigned or not). */
int vmap_in_pool(int family, const uint8_t *addr);

size_t vmap_count(const struct vmap *m);

#endif
