/* What a stream asks Tor for (relay_dest.h). */
#define _GNU_SOURCE
#include "serve/relay_dest.h"
#include "dns/vmap.h"

#include <arpa/inet.h>
#include <ctype.h>
#include <stdio.h>
#include <string.h>
#include <sys/random.h>
#include <sys/socket.h>

int relay_dest_of_flow(struct vmap *map, const struct ns_flow *f, struct socks5_dest *d,
                       char *name, size_t namelen)
{
    char addr[INET6_ADDRSTRLEN];
    int fam = f->family == 4 ? AF_INET : AF_INET6;

    memset(d, 0, sizeof(*d));
    d->port = f->dport;
    inet_ntop(fam, f->dst, addr, sizeof(addr));
    snprintf(name, namelen, fam == AF_INET ? "%s:%u" : "[%s]:%u", addr, f->dport);
    if (map != NULL && vmap_in_pool(f->family, f->dst)) {
        const char *host = vmap_lookup(map, f->family, f->dst);
        if (host == NULL)
            return -1;
        d->atyp = SOCKS5_ATYP_DOMAIN;
        snprintf(d->host, sizeof(d->host), "%s", host);
        snprintf(name, namelen, "%s:%u", host, f->dport);
        return 0;
    }
    d->atyp = fam == AF_INET ? SOCKS5_ATYP_IPV4 : SOCKS5_ATYP_IPV6;
    memcpy(d->addr, f->dst, fam == AF_INET ? 4 : 16);
    return 0;
}

void relay_dest_password(enum tg_isolate isolate, const char *instance_pass, uint64_t *seq,
                         const struct socks5_dest *d, char *pass, size_t len)
{
    switch (isolate) {
    case TG_ISOLATE_HOST: {
        /* The name the app used (any case), or the address: each site gets
         * circuits of its own. */
        uint32_t h = 2166136261u;
        const uint8_t *k = d->atyp == SOCKS5_ATYP_DOMAIN ? (const uint8_t *)d->host : d->addr;
        size_t n = d->atyp == SOCKS5_ATYP_DOMAIN ? strlen(d->host) : d->atyp == SOCKS5_ATYP_IPV4 ? 4 : 16;
        for (size_t i = 0; i < n; i++)
            h = (h ^ (d->atyp == SOCKS5_ATYP_DOMAIN ? (uint8_t)tolower(k[i]) : k[i])) * 16777619u;
        snprintf(pass, len, "host-%08x", h);
        return;
    }
    case TG_ISOLATE_STREAM:
        snprintf(pass, len, "stream-%llu", (unsigned long long)++*seq);
        return;
    default:
        snprintf(pass, len, "%s", instance_pass);
        return;
    }
}

/* A credential Tor has never seen, so (with IsolateSOCKSAuth, its
 * default) streams under it share no circuit with anything before. */
int relay_dest_user(char *user, size_t len)
{
    uint8_t rnd[16];
    if (len < 8 + 2 * sizeof(rnd) + 1 || getrandom(rnd, sizeof(rnd), 0) != (ssize_t)sizeof(rnd))
        return -1;
    int n = snprintf(user, len, "torgate-");
    for (size_t i = 0; i < sizeof(rnd); i++)
        n += snprintf(user + n, len - (size_t)n, "%02x", rnd[i]);
    return 0;
}
