/* Virtual address map. Slot i of the map owns one IPv4 and one IPv6 address
 * computed from i, so an address leads back to its slot by arithmetic and a
 * name to its slot by a hash. Slots form an LRU list: a full map gives the
 * least recently used slot to the next new name. */
#define _GNU_SOURCE
#include "dns/vmap.h"

#include <arpa/inet.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define NO_SLOT UINT32_MAX
/* IPv4 addresses ending in .0 or .255 are skipped: some software still
 * takes them for network or broadcast addresses. */
#define V4_PER_BLOCK 254u
#define V4_BLOCKS    (1u << (32 - VMAP_V4_PREFIX - 8))

struct slot {
    char *name;              /* NULL: free */
    uint64_t used;           /* last use, monotonic seconds */
    uint32_t hnext;          /* hash chain */
    uint32_t prev, next;     /* LRU list, most recent at the head */
};

struct vmap {
    struct slot *slots;
    uint32_t *buckets;
    uint32_t nbuckets, capacity, used;
    uint32_t head, tail;     /* LRU ends */
    unsigned min_idle;       /* seconds a slot must be unused to be recycled */
    uint32_t v4_base;        /* host order */
    uint8_t v6_base[16];
};

static uint64_t now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec;
}

static uint32_t name_hash(const char *s)
{
    uint32_t h = 2166136261u;
    for (; *s != '\0'; s++)
        h = (h ^ (uint8_t)*s) * 16777619u;
    return h;
}

static void slot_addrs(const struct vmap *m, uint32_t i, uint8_t v4[4], uint8_t v6[16])
{
    uint32_t off = (i / V4_PER_BLOCK) * 256u + (i % V4_PER_BLOCK) + 1u;
    uint32_t a = htonl(m->v4_base + off);
    memcpy(v4, &a, 4);
    memcpy(v6, m->v6_base, 16);
    uint32_t low = htonl(i + 1u);
    memcpy(v6 + 12, &low, 4);
}

/* Slot of an address in the pool, or NO_SLOT. */
static uint32_t addr_slot(const struct vmap *m, int family, const uint8_t *addr)
{
    if (family == 4) {
        uint32_t a;
        memcpy(&a, addr, 4);
        uint32_t off = ntohl(a) - m->v4_base;
        if ((ntohl(a) >> (32 - VMAP_V4_PREFIX)) != (m->v4_base >> (32 - VMAP_V4_PREFIX)))
            return NO_SLOT;
        uint32_t low = off & 0xffu;
        if (low == 0 || low == 255)
            return NO_SLOT;
        return (off >> 8) * V4_PER_BLOCK + low - 1u;
    }
    if (family == 6) {
        /* The /40 prefix, then zeros up to the 32-bit slot number. */
        if (memcmp(addr, m->v6_base, 5) != 0)
            return NO_SLOT;
        for (int k = 5; k < 12; k++)
            if (addr[k] != 0)
                return NO_SLOT;
        uint32_t low;
        memcpy(&low, addr + 12, 4);
        low = ntohl(low);
        return low == 0 ? NO_SLOT : low - 1u;
    }
    return NO_SLOT;
}

/* The whole prefix is the pool, including the addresses no slot uses
 * (x.x.x.0 and x.x.x.255): none of it may go to Tor as an address. */
int vmap_in_pool(int family, const uint8_t *addr)
{
    static uint8_t v4[4], v6[16];
    static int ready;
    if (!ready) {
        inet_pton(AF_INET, VMAP_V4_BASE, v4);
        inet_pton(AF_INET6, VMAP_V6_BASE, v6);
        ready = 1;
    }
    if (family == 4)     /* /15: the first octet and the top 7 bits of the second */
        return addr[0] == v4[0] && (addr[1] & 0xfe) == v4[1];
    if (family == 6)     /* /40: five whole octets */
        return memcmp(addr, v6, 5) == 0;
    return 0;
}

static void lru_unlink(struct vmap *m, uint32_t i)
{
    struct slot *s = &m->slots[i];
    if (s->prev != NO_SLOT)
        m->slots[s->prev].next = s->next;
    else
        m->head = s->next;
    if (s->next != NO_SLOT)
        m->slots[s->next].prev = s->prev;
    else
        m->tail = s->prev;
    s->prev = s->next = NO_SLOT;
}

static void lru_push_front(struct vmap *m, uint32_t i)
{
    struct slot *s = &m->slots[i];
    s->prev = NO_SLOT;
    s->next = m->head;
    if (m->head != NO_SLOT)
        m->slots[m->head].prev = i;
    m->head = i;
    if (m->tail == NO_SLOT)
        m->tail = i;
}

static void lru_touch(struct vmap *m, uint32_t i)
{
    m->slots[i].used = now_s();
    if (m->head == i)
        return;
    lru_unlink(m, i);
    lru_push_front(m, i);
}

/* Buckets hold slot + 1, so that 0 is an empty bucket and a fresh table
 * needs no initialising: untouched, its pages cost no memory (the table and
 * the slots are 2.3 MB for VMAP_DEFAULT_CAPACITY). Slots past m->used are
 * never read. */
static uint32_t bucket_head(const struct vmap *m, uint32_t h)
{
    uint32_t v = m->buckets[h % m->nbuckets];
    return v == 0 ? NO_SLOT : v - 1u;
}

static void bucket_set(struct vmap *m, uint32_t h, uint32_t i)
{
    m->buckets[h % m->nbuckets] = i == NO_SLOT ? 0 : i + 1u;
}

static uint32_t find(const struct vmap *m, const char *name, uint32_t h)
{
    for (uint32_t i = bucket_head(m, h); i != NO_SLOT; i = m->slots[i].hnext)
        if (strcmp(m->slots[i].name, name) == 0)
            return i;
    return NO_SLOT;
}

static void hash_remove(struct vmap *m, uint32_t i)
{
    uint32_t h = name_hash(m->slots[i].name);
    uint32_t prev = NO_SLOT, cur = bucket_head(m, h);
    while (cur != NO_SLOT && cur != i) {
        prev = cur;
        cur = m->slots[cur].hnext;
    }
    if (cur == i) {
        if (prev == NO_SLOT)
            bucket_set(m, h, m->slots[i].hnext);
        else
            m->slots[prev].hnext = m->slots[i].hnext;
    }
    m->slots[i].hnext = NO_SLOT;
}

struct vmap *vmap_new(size_t capacity)
{
    if (capacity == 0 || capacity > (size_t)V4_BLOCKS * V4_PER_BLOCK)
        return NULL;
    struct vmap *m = calloc(1, sizeof(*m));
    if (m == NULL)
        return NULL;
    m->capacity = (uint32_t)capacity;
    m->nbuckets = m->capacity;
    m->slots = calloc(m->capacity, sizeof(*m->slots));
    m->buckets = calloc(m->nbuckets, sizeof(*m->buckets));
    if (m->slots == NULL || m->buckets == NULL) {
        vmap_free(m);
        return NULL;
    }
    m->head = m->tail = NO_SLOT;
    struct in_addr a4;
    inet_pton(AF_INET, VMAP_V4_BASE, &a4);
    m->v4_base = ntohl(a4.s_addr);
    inet_pton(AF_INET6, VMAP_V6_BASE, m->v6_base);
    return m;
}

void vmap_free(struct vmap *m)
{
    if (m == NULL)
        return;
    if (m->slots != NULL)
        for (uint32_t i = 0; i < m->used; i++)
            free(m->slots[i].name);
    free(m->slots);
    free(m->buckets);
    free(m);
}

int vmap_assign(struct vmap *m, const char *name, uint8_t v4[4], uint8_t v6[16])
{
    size_t len = strlen(name);
    if (len == 0 || len > 253)
        return -1;
    uint32_t h = name_hash(name);
    uint32_t i = find(m, name, h);
    if (i == NO_SLOT) {
        char *copy = strdup(name);
        if (copy == NULL)
            return -1;
        if (m->used < m->capacity) {
            i = m->used++;
        } else {
            i = m->tail;                 /* the least recently used name */
            if (now_s() - m->slots[i].used < m->min_idle) {
                free(copy);              /* every name is still in use */
                return -1;
            }
            hash_remove(m, i);
            lru_unlink(m, i);
            free(m->slots[i].name);
        }
        m->slots[i].name = copy;
        m->slots[i].used = now_s();
        m->slots[i].hnext = bucket_head(m, h);
        bucket_set(m, h, i);
        lru_push_front(m, i);
    } else {
        lru_touch(m, i);
    }
    slot_addrs(m, i, v4, v6);
    return 0;
}

const char *vmap_lookup(struct vmap *m, int family, const uint8_t *addr)
{
    uint32_t i = addr_slot(m, family, addr);
    if (i == NO_SLOT || i >= m->used || m->slots[i].name == NULL)
        return NULL;
    lru_touch(m, i);
    return m->slots[i].name;
}

void vmap_set_min_idle(struct vmap *m, unsigned seconds)
{
    m->min_idle = seconds;
}

size_t vmap_count(const struct vmap *m)
{
    return m->used;
}
