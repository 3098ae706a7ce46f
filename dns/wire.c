/* DNS messages: parsing the stub's queries, building its answers.
 *
 * Names in queries are expanded by c-ares (ares_expand_name: compression
 * pointers, loop detection, reserved label types refused); the checks c-ares
 * does not make (255-octet names, hostname characters) are made here.
 * c-ares 1.18 has no reply builder, so responses are encoded here: they are
 * small and always of the same shape (the question, at most a few records
 * pointing back at it, an OPT record when the query had one). */
#define _GNU_SOURCE
#include "dns/wire.h"

#include <ares.h>
#include <ctype.h>
#include <string.h>

static uint16_t rd16(const uint8_t *p) { return (uint16_t)((p[0] << 8) | p[1]); }

static void wr16(uint8_t *p, uint16_t v)
{
    p[0] = (uint8_t)(v >> 8);
    p[1] = (uint8_t)v;
}

static void wr32(uint8_t *p, uint32_t v)
{
    p[0] = (uint8_t)(v >> 24);
    p[1] = (uint8_t)(v >> 16);
    p[2] = (uint8_t)(v >> 8);
    p[3] = (uint8_t)v;
}

static int host_char(unsigned char c)
{
    return isalnum(c) || c == '-' || c == '_';
}

/* Every label byte of the name at off is a hostname character. c-ares
 * hands back a C string, so a NUL inside a label would otherwise cut the
 * name short instead of being refused. Runs before c-ares expands the name,
 * so it bounds its own walk (pointer hops) rather than trusting c-ares's. */
static int labels_are_host_chars(const uint8_t *buf, size_t len, size_t off)
{
    for (int hops = 0; off < len && hops < 128;) {
        uint8_t l = buf[off];
        if ((l & 0xc0) == 0xc0) {
            if (off + 1 >= len)
                return 0;
            off = ((size_t)(l & 0x3f) << 8) | buf[off + 1];
            hops++;
            continue;
        }
        if (l == 0)
            return 1;
        if (l > 63 || off + 1 + l > len)
            return 0;
        for (size_t i = off + 1; i <= off + l; i++)
            if (!host_char(buf[i]))
                return 0;
        off += 1u + l;
    }
    return 0;
}

/* Expands the name at buf[off] into text (at most DNS_MAX_NAME_TEXT chars).
 * Returns the octets it occupies at off, or -1. */
static long read_name(const uint8_t *buf, size_t len, size_t off, char *text)
{
    char *s = NULL;
    long enclen = 0;

    if (off >= len || len > 65535)
        return -1;
    if (!labels_are_host_chars(buf, len, off))
        return -1;
    if (ares_expand_name(buf + off, buf, (int)len, &s, &enclen) != ARES_SUCCESS)
        return -1;
    size_t n = strlen(s);
    int ok = n <= DNS_MAX_NAME_TEXT && enclen > 0;
    /* Only hostname characters: this also refuses c-ares's escapes ("\." for
     * a dot inside a label, "\032" for other bytes), which no hostname has. */
    for (size_t i = 0; ok && i < n; i++)
        if (!host_char((unsigned char)s[i]) && s[i] != '.')
            ok = 0;
    if (ok)
        memcpy(text, s, n + 1);
    ares_free_string(s);
    return ok ? enclen : -1;
}

/* Steps over a name without expanding it (records after the question). */
static long skip_name(const uint8_t *buf, size_t len, size_t off)
{
    size_t start = off;
    while (off < len) {
        uint8_t l = buf[off];
        if ((l & 0xc0) == 0xc0)
            return off + 2 <= len ? (long)(off + 2 - start) : -1;
        if (l & 0xc0)
            return -1;
        if (l == 0)
            return (long)(off + 1 - start);
        off += 1u + l;
    }
    return -1;
}

enum dns_parse_result dns_parse_query(const uint8_t *buf, size_t len, struct dns_query *q)
{
    memset(q, 0, sizeof(*q));
    if (len < DNS_HEADER_LEN)
        return DNS_PARSE_DROP;
    q->id = rd16(buf);
    uint16_t flags = rd16(buf + 2);
    if (flags & 0x8000)
        return DNS_PARSE_DROP;      /* a response: answering it could start a loop */
    q->opcode = (uint8_t)((flags >> 11) & 0x0f);
    q->rd = (uint8_t)((flags >> 8) & 1);
    q->cd = (uint8_t)((flags >> 4) & 1);
    if (q->opcode != 0)
        return DNS_PARSE_NOTIMP;
    unsigned qd = rd16(buf + 4), an = rd16(buf + 6), ns = rd16(buf + 8), ar = rd16(buf + 10);
    if (qd != 1)
        return DNS_PARSE_FORMERR;

    size_t off = DNS_HEADER_LEN;
    long n = read_name(buf, len, off, q->qname);
    if (n < 0)
        return DNS_PARSE_FORMERR;
    off += (size_t)n;
    if (len - off < 4)
        return DNS_PARSE_FORMERR;
    q->qtype = rd16(buf + off);
    q->qclass = rd16(buf + off + 2);
    off += 4;
    for (size_t i = 0; q->qname[i] != '\0'; i++)
        q->name[i] = (char)tolower((unsigned char)q->qname[i]);

    /* Answer and authority records have no business in a query, but are
     * legal; step over them to reach the OPT record. */
    for (unsigned i = 0; i < an + ns + ar; i++) {
        long nl = skip_name(buf, len, off);
        if (nl < 0 || len - off - (size_t)nl < 10)
            return DNS_PARSE_FORMERR;
        const uint8_t *rr = buf + off + nl;
        uint16_t type = rd16(rr), rdlen = rd16(rr + 8);
        if (len - off - (size_t)nl - 10 < rdlen)
            return DNS_PARSE_FORMERR;
        if (i >= an + ns && type == DNS_T_OPT) {
            /* RFC 6891 6.1.1: one OPT, owned by the root. */
            if (q->has_edns || nl != 1)
                return DNS_PARSE_FORMERR;
            q->has_edns = 1;
            uint16_t size = rd16(rr + 2);
            q->edns_udp_size = size < DNS_UDP_MIN ? DNS_UDP_MIN : size;
            q->edns_version = rr[5];
            q->edns_do = (rr[6] & 0x80) != 0;
        }
        off += (size_t)nl + 10 + rdlen;
    }
    return DNS_PARSE_OK;
}

size_t dns_udp_limit(const struct dns_query *q)
{
    return q->has_edns ? q->edns_udp_size : DNS_UDP_MIN;
}

/* Writes name as wire labels at out; returns the length or 0 if it does not fit. */
static size_t put_name(const char *name, uint8_t *out, size_t cap)
{
    size_t n = 0;
    const char *p = name;
    while (*p != '\0') {
        const char *dot = strchr(p, '.');
        size_t l = dot != NULL ? (size_t)(dot - p) : strlen(p);
        if (l == 0 || l > 63 || n + 1 + l >= cap)
            return 0;
        out[n++] = (uint8_t)l;
        memcpy(out + n, p, l);
        n += l;
        p += l;
        if (*p == '.')
            p++;
    }
    if (n + 1 > cap)
        return 0;
    out[n++] = 0;
    return n;
}

static size_t build(const struct dns_query *q, int with_question, int rcode,
                    const struct dns_answer *answers, int nanswers, int truncated,
                    uint8_t *out, size_t cap)
{
    size_t n = DNS_HEADER_LEN;
    if (cap < DNS_HEADER_LEN)
        return 0;
    uint16_t flags = 0x8000 | (uint16_t)(q->opcode << 11) | (uint16_t)(q->rd << 8) | 0x0080 |
                     (uint16_t)(q->cd << 4) | (uint16_t)(rcode & 0x0f);
    if (truncated)
        flags |= 0x0200;
    wr16(out, q->id);
    wr16(out + 2, flags);
    wr16(out + 4, with_question ? 1 : 0);
    wr16(out + 6, (uint16_t)nanswers);
    wr16(out + 8, 0);
    wr16(out + 10, q->has_edns ? 1 : 0);

    if (with_question) {
        size_t l = put_name(q->qname, out + n, cap - n);
        if (l == 0 || cap - n - l < 4)
            return 0;
        n += l;
        wr16(out + n, q->qtype);
        wr16(out + n + 2, q->qclass);
        n += 4;
    }
    for (int i = 0; i < nanswers; i++) {
        const struct dns_answer *a = &answers[i];
        if (cap - n < 12)
            return 0;
        wr16(out + n, 0xc000 | DNS_HEADER_LEN);    /* the question's name */
        wr16(out + n + 2, a->type);
        wr16(out + n + 4, DNS_CLASS_IN);
        wr32(out + n + 6, a->ttl);
        size_t rdlen;
        if (a->type == DNS_T_A) {
            rdlen = 4;
            if (cap - n - 12 < rdlen)
                return 0;
            memcpy(out + n + 12, a->addr, 4);
        } else if (a->type == DNS_T_AAAA) {
            rdlen = 16;
            if (cap - n - 12 < rdlen)
                return 0;
            memcpy(out + n + 12, a->addr, 16);
        } else {
            rdlen = put_name(a->ptr_name, out + n + 12, cap - n - 12);
            if (rdlen == 0)
                return 0;
        }
        wr16(out + n + 10, (uint16_t)rdlen);
        n += 12 + rdlen;
    }
    if (q->has_edns) {
        if (cap - n < 11)
            return 0;
        out[n] = 0;                                   /* root */
        wr16(out + n + 1, DNS_T_OPT);
        wr16(out + n + 3, DNS_EDNS_UDP_SIZE);
        /* extended rcode, version 0; DO is copied back (RFC 3225 3) even
         * though no DNSSEC records are ever sent */
        wr32(out + n + 5, ((uint32_t)(rcode >> 4) << 24) | (q->edns_do ? 0x8000u : 0));
        wr16(out + n + 9, 0);
        n += 11;
    }
    return n;
}

size_t dns_build_response(const struct dns_query *q, int with_question, int rcode,
                          const struct dns_answer *answers, int nanswers, size_t limit,
                          uint8_t *out, size_t outcap)
{
    size_t cap = outcap < limit ? outcap : limit;
    size_t n = build(q, with_question, rcode, answers, nanswers, 0, out, cap);
    if (n == 0 && nanswers > 0)
        /* RFC 1035 4.2.1 / RFC 2181 9: what does not fit is not sent; TC
         * tells the client to ask again over TCP. */
        n = build(q, with_question, rcode, NULL, 0, 1, out, cap);
    return n;
}

static int parse_dec_octet(const char *s, size_t len, uint8_t *out)
{
    unsigned v = 0;
    if (len == 0 || len > 3 || (len > 1 && s[0] == '0'))
        return -1;
    for (size_t i = 0; i < len; i++) {
        if (!isdigit((unsigned char)s[i]))
            return -1;
        v = v * 10 + (unsigned)(s[i] - '0');
    }
    if (v > 255)
        return -1;
    *out = (uint8_t)v;
    return 0;
}

int dns_reverse_name(const char *name, uint8_t addr[16])
{
    static const char v4sfx[] = ".in-addr.arpa", v6sfx[] = ".ip6.arpa";
    size_t len = strlen(name);

    if (len > sizeof(v4sfx) - 1 && strcmp(name + len - (sizeof(v4sfx) - 1), v4sfx) == 0) {
        const char *p = name;
        const char *end = name + len - (sizeof(v4sfx) - 1);
        for (int i = 3; i >= 0; i--) {
            const char *dot = memchr(p, '.', (size_t)(end - p));
            const char *lend = i > 0 ? dot : end;
            if (lend == NULL || (i == 0 && dot != NULL))
                return 0;
            if (parse_dec_octet(p, (size_t)(lend - p), &addr[i]) != 0)
                return 0;
            p = lend + 1;
        }
        return 4;
    }
    /* 32 nibbles and 31 dots, then ".ip6.arpa". */
    if (len == 63 + sizeof(v6sfx) - 1 && strcmp(name + 63, v6sfx) == 0) {
        memset(addr, 0, 16);
        for (int i = 0; i < 32; i++) {
            char c = name[i * 2];
            if (i < 31 && name[i * 2 + 1] != '.')
                return 0;
            int v = isdigit((unsigned char)c) ? c - '0' : (c >= 'a' && c <= 'f') ? c - 'a' + 10 : -1;
            if (v < 0)
                return 0;
            /* nibbles come least significant first */
            int nib = 31 - i;
            addr[nib / 2] |= (uint8_t)(nib % 2 == 0 ? v << 4 : v);
        }
        return 6;
    }
    return 0;
}
