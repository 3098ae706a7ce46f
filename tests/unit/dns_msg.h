/* Hand-made DNS messages for the dns/ unit tests. */
#ifndef TORGATE_TEST_DNS_MSG_H
#define TORGATE_TEST_DNS_MSG_H

/* ---- a hand-made message ------------------------------------------------ */

struct msg {
    uint8_t b[1024];
    size_t n;
};

static inline void m_u8(struct msg *m, unsigned v)
{
    assert_true(m->n < sizeof(m->b));
    m->b[m->n++] = (uint8_t)v;
}

static inline void m_u16(struct msg *m, unsigned v)
{
    m_u8(m, (v >> 8) & 0xff);
    m_u8(m, v & 0xff);
}

static inline void m_raw(struct msg *m, const void *p, size_t n)
{
    assert_true(m->n + n <= sizeof(m->b));
    memcpy(m->b + m->n, p, n);
    m->n += n;
}

/* Dotted text to uncompressed labels; "" is the root. */
static inline void m_name(struct msg *m, const char *dotted)
{
    for (const char *p = dotted; *p != '\0';) {
        const char *dot = strchr(p, '.');
        size_t l = dot != NULL ? (size_t)(dot - p) : strlen(p);
        m_u8(m, (unsigned)l);
        m_raw(m, p, l);
        p += l + (dot != NULL);
    }
    m_u8(m, 0);
}

static inline void m_header(struct msg *m, unsigned id, unsigned flags, unsigned qd, unsigned an,
                     unsigned ns, unsigned ar)
{
    const unsigned f[6] = { id, flags, qd, an, ns, ar };
    m->n = 0;
    for (int i = 0; i < 6; i++)
        m_u16(m, f[i]);
}

/* A resource record: raw owner name, type, class, TTL, rdata. */
static inline void m_rr_ttl(struct msg *m, const void *owner, size_t on, unsigned type, unsigned cls,
                     unsigned long ttl, const void *rdata, size_t rdlen)
{
    m_raw(m, owner, on);
    m_u16(m, type);
    m_u16(m, cls);
    m_u16(m, (unsigned)(ttl >> 16));
    m_u16(m, (unsigned)(ttl & 0xffff));
    m_u16(m, (unsigned)rdlen);
    m_raw(m, rdata, rdlen);
}
#define m_rr(m, owner, on, type, cls, rdata, rdlen) m_rr_ttl(m, owner, on, type, cls, 60, rdata, rdlen)

/* An OPT record owned by the root: class = UDP size, TTL = ext-rcode 0 |
 * version | flags (DO is the top bit). */
static inline void m_opt(struct msg *m, unsigned size, unsigned version, unsigned flags)
{
    m_rr_ttl(m, "", 1, DNS_T_OPT, size, (unsigned long)version << 16 | flags, "", 0);
}

#define F_RD 0x0100
#define F_CD 0x0010
#define DO_BIT 0x8000

/* A one-question query, with an OPT record if edns_size != 0. */
static inline void query(struct msg *m, unsigned id, unsigned flags, const char *name, unsigned qtype,
                  unsigned qclass, unsigned edns_size)
{
    m_header(m, id, flags, 1, 0, 0, edns_size != 0);
    m_name(m, name);
    m_u16(m, qtype);
    m_u16(m, qclass);
    if (edns_size != 0)
        m_opt(m, edns_size, 0, 0);
}

/* Header with the given counts and the question "a.example" A IN. */
static inline void q_counts(struct msg *m, unsigned an, unsigned ns, unsigned ar)
{
    m_header(m, 3, 0, 1, an, ns, ar);
    m_name(m, "a.example");
    m_u16(m, DNS_T_A);
    m_u16(m, DNS_CLASS_IN);
}

/* A question A IN whose name is the raw wire bytes given. */
static inline void raw_question(struct msg *m, const void *name, size_t n)
{
    m_header(m, 0x5151, 0, 1, 0, 0, 0);
    m_raw(m, name, n);
    m_u16(m, DNS_T_A);
    m_u16(m, DNS_CLASS_IN);
}

/* Parses through a heap copy of exactly len bytes, so ASan flags any read
 * past the message. */
static inline enum dns_parse_result parse(const uint8_t *b, size_t len, struct dns_query *q)
{
    uint8_t *copy = malloc(len > 0 ? len : 1);
    assert_non_null(copy);
    if (len > 0)
        memcpy(copy, b, len);
    enum dns_parse_result r = dns_parse_query(copy, len, q);
    free(copy);
    return r;
}

static inline enum dns_parse_result parse_msg(const struct msg *m, struct dns_query *q)
{
    return parse(m->b, m->n, q);
}

/* Wire names from string literals (sizeof, since they may hold NULs). */
struct wire { const char *s; size_t n; };
#define W(lit) { lit, sizeof(lit) - 1 }

/* "aaa.bbb..." labels of the given lengths. */
static inline void long_name(char *out, const int *lens, int n)
{
    char *p = out;
    for (int i = 0; i < n; i++) {
        if (i > 0)
            *p++ = '.';
        memset(p, 'a' + i, (size_t)lens[i]);
        p += lens[i];
    }
    *p = '\0';
}


#endif
