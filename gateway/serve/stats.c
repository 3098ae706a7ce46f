#define _GNU_SOURCE
#include "serve/stats.h"
#include "tor/socks5.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#define LINE_MAX_LEN 1024

static uint64_t refused_total(const struct relay_stats *s)
{
    uint64_t n = 0;
    for (int i = 0; i < 256; i++)
        n += s->socks_rep[i];
    return n;
}

static void line(void (*fn)(void *, const char *), void *ctx, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static void line(void (*fn)(void *, const char *), void *ctx, const char *fmt, ...)
{
    char buf[LINE_MAX_LEN];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(buf, sizeof(buf), fmt, ap);
    va_end(ap);
    fn(ctx, buf);
}

void stats_lines(const struct stats_view *v, void (*fn)(void *ctx, const char *line), void *ctx)
{
    const struct relay_stats *s = v->relay;
    const struct netstack_stats *n = v->ns;
    line(fn, ctx, "streams: %llu open, %llu opened, %llu connected, %llu closed cleanly, %llu refused "
         "by Tor, %llu SOCKS port unreachable, %llu malformed SOCKS replies, %llu reset by the app, "
         "%llu failed mid-stream; %llu bytes up, %llu down",
         (unsigned long long)v->streams_open, (unsigned long long)s->opened, (unsigned long long)s->connected,
         (unsigned long long)s->closed, (unsigned long long)refused_total(s),
         (unsigned long long)s->socks_unreachable, (unsigned long long)s->socks_malformed,
         (unsigned long long)s->app_reset, (unsigned long long)s->socks_reset,
         (unsigned long long)s->bytes_up, (unsigned long long)s->bytes_down);
    char ports[NS_UDP_PORT_SLOTS * 32 + 16] = "";
    size_t used = 0;
    uint64_t listed = 0;
    for (int i = 0; i < NS_UDP_PORT_SLOTS && n->udp_refused_ports[i].n > 0; i++) {
        int w = snprintf(ports + used, sizeof(ports) - used, "%s%u: %llu", i ? ", " : " (port ",
                         n->udp_refused_ports[i].port, (unsigned long long)n->udp_refused_ports[i].n);
        if (w < 0 || (size_t)w >= sizeof(ports) - used)
            break;
        used += (size_t)w;
        listed += n->udp_refused_ports[i].n;
    }
    if (used > 0)
        snprintf(ports + used, sizeof(ports) - used, "%s)", listed < n->udp_refused ? ", others" : "");
    line(fn, ctx, "packets: %llu in, %llu malformed, %llu duplicate SYNs, %llu UDP refused%s, "
         "%llu pings refused, %llu pings answered locally, %llu IPv6 link signalling "
         "ignored, %llu TUN writes dropped, %llu TUN writes failed, %llu packets dropped "
         "for want of memory, %llu ACKs merged into a later one",
         (unsigned long long)n->rx_packets, (unsigned long long)n->rx_malformed,
         (unsigned long long)n->syn_duplicate, (unsigned long long)n->udp_refused, ports,
         (unsigned long long)n->echo_refused, (unsigned long long)n->echo_answered,
         (unsigned long long)n->link_ignored, (unsigned long long)v->tun_tx_dropped,
         (unsigned long long)v->tun_tx_errors, (unsigned long long)v->rx_dropped,
         (unsigned long long)n->tx_acks_merged);
    if (v->offload)
        line(fn, ctx, "offloads: %llu of the packets in and %llu of %llu out were TCP "
             "super-segments (larger than the MTU)",
             (unsigned long long)n->rx_super, (unsigned long long)n->tx_super,
             (unsigned long long)n->tx_packets);
    char codes[512] = "";
    used = 0;
    for (int i = 1; i < 256; i++) {
        if (s->socks_rep[i] == 0)
            continue;
        int w = snprintf(codes + used, sizeof(codes) - used, "%s0x%02x %s: %llu", used ? ", " : "", i,
                         socks5_rep_str((uint8_t)i), (unsigned long long)s->socks_rep[i]);
        if (w < 0 || (size_t)w >= sizeof(codes) - used)
            break;
        used += (size_t)w;
    }
    if (used > 0)
        line(fn, ctx, "refused by Tor, by SOCKS reply: %s", codes);
    if (v->dns != NULL) {
        const struct dns_stub_stats *d = v->dns;
        static const char *const types[8] = { "A", "AAAA", "PTR", "HTTPS/SVCB", "MX", "TXT", "SRV",
                                              "other" };
        char by[256] = "";
        size_t bu = 0;
        for (int i = 0; i < 8; i++) {
            if (d->by_type[i] == 0)
                continue;
            int w = snprintf(by + bu, sizeof(by) - bu, "%s%s %llu", bu ? ", " : "; by type: ", types[i],
                             (unsigned long long)d->by_type[i]);
            if (w < 0 || (size_t)w >= sizeof(by) - bu)
                break;
            bu += (size_t)w;
        }
        line(fn, ctx, "dns: %llu queries, %llu answered (%llu NXDOMAIN, %llu empty), %llu FORMERR, "
             "%llu NOTIMP, %llu dropped, %llu truncated%s",
             (unsigned long long)d->queries, (unsigned long long)d->answered,
             (unsigned long long)d->nxdomain, (unsigned long long)d->nodata,
             (unsigned long long)d->formerr, (unsigned long long)d->notimp,
             (unsigned long long)d->dropped, (unsigned long long)d->truncated, by);
    }
}

/* ---- JSON ------------------------------------------------------------ */

struct out {
    char *buf;
    size_t cap, len;
    int overflow;
};

static void put(struct out *o, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static void put(struct out *o, const char *fmt, ...)
{
    if (o->overflow)
        return;
    va_list ap;
    va_start(ap, fmt);
    int w = vsnprintf(o->buf + o->len, o->cap - o->len, fmt, ap);
    va_end(ap);
    if (w < 0 || (size_t)w >= o->cap - o->len)
        o->overflow = 1;
    else
        o->len += (size_t)w;
}

#define U(x) ((unsigned long long)(x))

size_t stats_json(const struct stats_view *v, char *buf, size_t cap)
{
    const struct relay_stats *s = v->relay;
    const struct netstack_stats *n = v->ns;
    struct out o = { .buf = buf, .cap = cap };
    put(&o, "{\"streams\":{\"open\":%llu,\"opened\":%llu,\"connected\":%llu,\"closed\":%llu,"
        "\"failed\":{\"refused_by_tor\":%llu,\"socks_unreachable\":%llu,\"socks_timeout\":%llu,"
        "\"socks_eof\":%llu,\"socks_malformed\":%llu,\"socks_auth\":%llu,\"no_socket\":%llu,"
        "\"syn_lost\":%llu,\"unknown_virtual\":%llu,\"app_reset\":%llu,\"socks_reset\":%llu}},"
        "\"bytes\":{\"up\":%llu,\"down\":%llu},\"socks_errors\":{",
        U(v->streams_open), U(s->opened), U(s->connected), U(s->closed), U(refused_total(s)),
        U(s->socks_unreachable), U(s->socks_timeout), U(s->socks_eof), U(s->socks_malformed),
        U(s->socks_auth), U(s->open_failed), U(s->syn_lost), U(s->unknown_virtual),
        U(s->app_reset), U(s->socks_reset), U(s->bytes_up), U(s->bytes_down));
    int first = 1;
    for (int i = 1; i < 256; i++) {
        if (s->socks_rep[i] == 0)
            continue;
        put(&o, "%s\"0x%02x\":{\"count\":%llu,\"meaning\":\"%s\"}", first ? "" : ",", i,
            U(s->socks_rep[i]), socks5_rep_str((uint8_t)i));
        first = 0;
    }
    put(&o, "},\"packets\":{\"in\":%llu,\"malformed\":%llu,\"oversize\":%llu,\"duplicate_syns\":%llu,"
        "\"pings_refused\":%llu,\"pings_answered\":%llu,\"link_signalling_ignored\":%llu,"
        "\"tun_writes_dropped\":%llu,\"tun_writes_failed\":%llu,\"dropped_no_memory\":%llu,"
        "\"out\":%llu,\"super_in\":%llu,\"super_out\":%llu,\"acks_merged\":%llu},\"udp_refused\":{\"total\":%llu,\"by_port\":{",
        U(n->rx_packets), U(n->rx_malformed), U(n->rx_oversize), U(n->syn_duplicate),
        U(n->echo_refused), U(n->echo_answered), U(n->link_ignored), U(v->tun_tx_dropped),
        U(v->tun_tx_errors), U(v->rx_dropped), U(n->tx_packets), U(n->rx_super), U(n->tx_super),
        U(n->tx_acks_merged), U(n->udp_refused));
    for (int i = 0; i < NS_UDP_PORT_SLOTS && n->udp_refused_ports[i].n > 0; i++)
        put(&o, "%s\"%u\":%llu", i ? "," : "", n->udp_refused_ports[i].port, U(n->udp_refused_ports[i].n));
    put(&o, "}}");
    if (v->dns != NULL) {
        const struct dns_stub_stats *d = v->dns;
        static const char *const types[8] = { "A", "AAAA", "PTR", "HTTPS", "MX", "TXT", "SRV", "other" };
        put(&o, ",\"dns\":{\"queries\":%llu,\"answered\":%llu,\"nxdomain\":%llu,\"empty\":%llu,"
            "\"formerr\":%llu,\"notimp\":%llu,\"dropped\":%llu,\"truncated\":%llu,\"by_type\":{",
            U(d->queries), U(d->answered), U(d->nxdomain), U(d->nodata), U(d->formerr),
            U(d->notimp), U(d->dropped), U(d->truncated));
        for (int i = 0; i < 8; i++)
            put(&o, "%s\"%s\":%llu", i ? "," : "", types[i], U(d->by_type[i]));
        put(&o, "}}");
    }
    put(&o, "}");
    return o.overflow ? 0 : o.len;
}
