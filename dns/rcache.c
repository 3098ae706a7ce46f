/* A string-keyed table with expiry; when full, the oldest insertion goes. */
#define _GNU_SOURCE
#include "dns/rcache.h"

#include <arpa/inet.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct item {
    struct item *hnext;            /* hash chain */
    struct item *older, *newer;    /* insertion order */
    uint64_t expires;
    struct rcache_entry e;
    char key[264];
};

struct rcache {
    struct item **buckets;
    size_t nbuckets, count, max;
    struct item *oldest, *newest;
};

static size_t key_hash(const char *s, size_t n)
{
    uint32_t h = 2166136261u;
    for (; *s != '\0'; s++)
        h = (h ^ (uint8_t)*s) * 16777619u;
    return h % n;
}

struct rcache *rcache_new(size_t max)
{
    struct rcache *c = calloc(1, sizeof(*c));
    if (c == NULL || max == 0) {
        free(c);
        return NULL;
    }
    c->max = max;
    c->nbuckets = max;
    c->buckets = calloc(c->nbuckets, sizeof(*c->buckets));
    if (c->buckets == NULL) {
        free(c);
        return NULL;
    }
    return c;
}

static void unlink_item(struct rcache *c, struct item *it)
{
    struct item **pp = &c->buckets[key_hash(it->key, c->nbuckets)];
    while (*pp != NULL && *pp != it)
        pp = &(*pp)->hnext;
    if (*pp == it)
        *pp = it->hnext;
    if (it->older != NULL)
        it->older->newer = it->newer;
    else
        c->oldest = it->newer;
    if (it->newer != NULL)
        it->newer->older = it->older;
    else
        c->newest = it->older;
    c->count--;
    free(it);
}

void rcache_free(struct rcache *c)
{
    if (c == NULL)
        return;
    while (c->oldest != NULL)
        unlink_item(c, c->oldest);
    free(c->buckets);
    free(c);
}

static struct item *find(struct rcache *c, const char *key)
{
    for (struct item *it = c->buckets[key_hash(key, c->nbuckets)]; it != NULL; it = it->hnext)
        if (strcmp(it->key, key) == 0)
            return it;
    return NULL;
}

static int get(struct rcache *c, const char *key, uint64_t now, struct rcache_entry *out)
{
    struct item *it = find(c, key);
    if (it == NULL)
        return 0;
    if (it->expires <= now) {
        unlink_item(c, it);
        return 0;
    }
    *out = it->e;
    return 1;
}

static void put(struct rcache *c, const char *key, const struct rcache_entry *e, uint64_t now,
                unsigned ttl_s)
{
    struct item *it = find(c, key);
    if (it != NULL)
        unlink_item(c, it);
    if (c->count >= c->max)
        unlink_item(c, c->oldest);
    it = calloc(1, sizeof(*it));
    if (it == NULL)
        return;                 /* a cache may forget */
    snprintf(it->key, sizeof(it->key), "%s", key);
    it->e = *e;
    it->expires = now + (uint64_t)ttl_s * 1000u;
    size_t h = key_hash(it->key, c->nbuckets);
    it->hnext = c->buckets[h];
    c->buckets[h] = it;
    it->older = c->newest;
    if (c->newest != NULL)
        c->newest->newer = it;
    c->newest = it;
    if (c->oldest == NULL)
        c->oldest = it;
    c->count++;
}

void rcache_addr_key(int family, const uint8_t *addr, char *key, size_t keylen)
{
    char text[INET6_ADDRSTRLEN] = "";
    inet_ntop(family == 4 ? AF_INET : AF_INET6, addr, text, sizeof(text));
    snprintf(key, keylen, "p%d:%s", family, text);
}

int rcache_get_name(struct rcache *c, const char *name, uint64_t now, struct rcache_entry *out)
{
    char key[264];
    snprintf(key, sizeof(key), "n:%s", name);
    return get(c, key, now, out);
}

int rcache_get_addr(struct rcache *c, int family, const uint8_t *addr, uint64_t now,
                    struct rcache_entry *out)
{
    char key[64];
    rcache_addr_key(family, addr, key, sizeof(key));
    return get(c, key, now, out);
}

void rcache_put_name(struct rcache *c, const char *name, const struct rcache_entry *e,
                     uint64_t now, unsigned ttl_s)
{
    char key[264];
    snprintf(key, sizeof(key), "n:%s", name);
    put(c, key, e, now, ttl_s);
}

void rcache_put_addr(struct rcache *c, int family, const uint8_t *addr,
                     const struct rcache_entry *e, uint64_t now, unsigned ttl_s)
{
    char key[64];
    rcache_addr_key(family, addr, key, sizeof(key));
    put(c, key, e, now, ttl_s);
}

size_t rcache_count(const struct rcache *c)
{
    return c->count;
}
