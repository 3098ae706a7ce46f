/* The circuits one torgate instance uses, from Tor's own account
 * (circuits_view.h): Tor reports each circuit's SOCKS credentials, and
 * torgate's username is the instance's own, so those circuits are its
 * circuits. With --isolate host the password is "host-" and a hash of the
 * host (relay_dest_password): the host cannot be read back from it, so it
 * is taken from the circuit's streams, the one whose hash is the
 * password's; failing that (Tor shows a connected stream's target as the
 * address the exit resolved), what the streams target. */
#define _GNU_SOURCE
#include "control/circuits_view.h"
#include "control/info_reply.h"
#include "serve/relay_dest.h"

#include <arpa/inet.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

struct build {
    const char *user;
    struct circuits_view *v;
    size_t cap;
    int oom;
};

static void on_circuit(void *ctx, const char *line, size_t len)
{
    struct build *b = ctx;
    struct torctl_circuit c;
    if (b->oom)
        return;
    if (torctl_parse_circuit(line, len, &c) != 0) {
        b->v->skipped++;
        return;
    }
    if (!c.has_socks || strcmp(c.socks_username, b->user) != 0)
        return;
    if (b->v->ncircuits == b->cap) {
        size_t cap = b->cap ? b->cap * 2 : 8;
        struct cv_circuit *more = reallocarray(b->v->circuits, cap, sizeof(*more));
        if (more == NULL) {
            b->oom = 1;
            return;
        }
        b->v->circuits = more;
        b->cap = cap;
    }
    struct cv_circuit *cv = &b->v->circuits[b->v->ncircuits++];
    memset(cv, 0, sizeof(*cv));
    cv->id = c.id;
    memcpy(cv->status, c.status, sizeof(cv->status));
    memcpy(cv->purpose, c.purpose, sizeof(cv->purpose));
    memcpy(cv->build_flags, c.build_flags, sizeof(cv->build_flags));
    memcpy(cv->socks_password, c.socks_password, sizeof(cv->socks_password));
    cv->host_isolated = strncmp(c.socks_password, "host-", 5) == 0;
    cv->nrelays = c.nhops;
    for (int i = 0; i < c.nhops; i++) {
        memcpy(cv->relays[i].fingerprint, c.hops[i].fingerprint, sizeof(cv->relays[i].fingerprint));
        memcpy(cv->relays[i].nickname, c.hops[i].nickname, sizeof(cv->relays[i].nickname));
    }
}

static void on_stream(void *ctx, const char *line, size_t len)
{
    struct build *b = ctx;
    struct torctl_stream s;
    if (b->oom)
        return;
    if (torctl_parse_stream(line, len, &s) != 0) {
        b->v->skipped++;
        return;
    }
    for (size_t i = 0; i < b->v->ncircuits; i++) {
        struct cv_circuit *c = &b->v->circuits[i];
        if (c->id != s.circuit || s.circuit == 0)
            continue;
        struct cv_stream *more = reallocarray(c->streams, c->nstreams + 1, sizeof(*more));
        if (more == NULL) {
            b->oom = 1;
            return;
        }
        c->streams = more;
        struct cv_stream *cs = &c->streams[c->nstreams++];
        cs->id = s.id;
        memcpy(cs->status, s.status, sizeof(cs->status));
        memcpy(cs->target, s.target, sizeof(cs->target));
        return;
    }
}

/* Whether host, as the app named it or as an address, is what the
 * password hashes (relay_dest_password with --isolate host). */
static int host_matches(const char *host, const char *password)
{
    struct socks5_dest d;
    char pass[64];
    uint64_t seq = 0;
    size_t n = strlen(host);
    memset(&d, 0, sizeof(d));
    if (n == 0 || n >= sizeof(d.host))
        return 0;
    d.atyp = SOCKS5_ATYP_DOMAIN;
    memcpy(d.host, host, n + 1);
    relay_dest_password(TG_ISOLATE_HOST, "", &seq, &d, pass, sizeof(pass));
    if (strcmp(pass, password) == 0)
        return 1;
    if (inet_pton(AF_INET, host, d.addr) == 1)
        d.atyp = SOCKS5_ATYP_IPV4;
    else if (inet_pton(AF_INET6, host, d.addr) == 1)
        d.atyp = SOCKS5_ATYP_IPV6;
    else
        return 0;
    relay_dest_password(TG_ISOLATE_HOST, "", &seq, &d, pass, sizeof(pass));
    return strcmp(pass, password) == 0;
}

/* The host part of a stream's target ("[v6]:port" without its brackets). */
static void target_host(const char *target, char *host, size_t cap)
{
    const char *colon = strrchr(target, ':');
    size_t n = colon != NULL ? (size_t)(colon - target) : strlen(target);
    if (target[0] == '[' && n >= 2 && target[n - 1] == ']') {
        target++;
        n -= 2;
    }
    if (n >= cap)
        n = cap - 1;
    memcpy(host, target, n);
    host[n] = '\0';
}

static void check_host(struct cv_circuit *c)
{
    char host[sizeof(c->streams[0].target)];
    for (size_t i = 0; i < c->nstreams; i++) {
        target_host(c->streams[i].target, host, sizeof(host));
        size_t n = strlen(host);
        if (n < sizeof(c->host) && host_matches(host, c->socks_password)) {
            memcpy(c->host, host, n + 1);
            c->host_checked = 1;
            return;
        }
    }
}

/* A circuit whose own streams do not tell: another with the same password
 * serves the same host (an onion service's introduction circuit beside
 * its rendezvous circuit); else what its streams target, each host once. */
static void guess_host(struct cv_circuit *c, const struct circuits_view *v)
{
    char host[sizeof(c->streams[0].target)];
    for (size_t i = 0; i < v->ncircuits; i++)
        if (v->circuits[i].host_checked && strcmp(v->circuits[i].socks_password, c->socks_password) == 0) {
            memcpy(c->host, v->circuits[i].host, sizeof(c->host));
            c->host_checked = 1;
            return;
        }
    size_t used = 0;
    for (size_t i = 0; i < c->nstreams; i++) {
        target_host(c->streams[i].target, host, sizeof(host));
        size_t n = strlen(host);
        int seen = 0;
        for (size_t j = 0; j < i && !seen; j++) {
            char other[sizeof(host)];
            target_host(c->streams[j].target, other, sizeof(other));
            seen = strcmp(other, host) == 0;
        }
        if (seen || used + n + 3 > sizeof(c->host))
            continue;
        used += (size_t)snprintf(c->host + used, sizeof(c->host) - used, "%s%s", used ? ", " : "", host);
    }
}

int circuits_view_build(const char *circuit_reply, const char *stream_reply, const char *user,
                        struct circuits_view *v)
{
    struct build b = { user, v, 0, 0 };
    memset(v, 0, sizeof(*v));
    if (torctl_parse_getinfo(circuit_reply, "circuit-status", on_circuit, &b) < 0 ||
        (stream_reply != NULL && !b.oom &&
         torctl_parse_getinfo(stream_reply, "stream-status", on_stream, &b) < 0) || b.oom) {
        circuits_view_free(v);
        return -1;
    }
    for (size_t i = 0; i < v->ncircuits; i++)
        if (v->circuits[i].host_isolated)
            check_host(&v->circuits[i]);
    for (size_t i = 0; i < v->ncircuits; i++)
        if (v->circuits[i].host_isolated && !v->circuits[i].host_checked)
            guess_host(&v->circuits[i], v);
    return 0;
}

void circuits_view_free(struct circuits_view *v)
{
    for (size_t i = 0; i < v->ncircuits; i++)
        free(v->circuits[i].streams);
    free(v->circuits);
    memset(v, 0, sizeof(*v));
}

/* ---- text ---------------------------------------------------------------- */

static const char *or_dash(const char *s)
{
    return s[0] != '\0' ? s : "-";
}

void circuits_view_text(const struct circuits_view *v, const struct cv_owner *o, FILE *out)
{
    if (v->ncircuits == 0)
        fprintf(out, "%s: no circuits now (SOCKS user %s; Tor builds them as its streams need them; "
                "asked Tor at %s)\n", o->name, o->socks_user, o->tor_control);
    else
        fprintf(out, "%s: %zu circuit%s (SOCKS user %s; asked Tor at %s)\n", o->name, v->ncircuits,
                v->ncircuits == 1 ? "" : "s", o->socks_user, o->tor_control);
    for (size_t i = 0; i < v->ncircuits; i++) {
        const struct cv_circuit *c = &v->circuits[i];
        fprintf(out, "\ncircuit %lu  %s  %s%s%s\n", c->id, c->status, or_dash(c->purpose),
                c->build_flags[0] != '\0' ? "  " : "", c->build_flags);
        if (c->host_isolated && c->host_checked)
            fprintf(out, "  host %s\n", c->host);
        else if (c->host_isolated && c->host[0] != '\0')
            fprintf(out, "  host %s (as its streams target it now: its SOCKS password only hashes "
                    "the name)\n", c->host);
        else if (c->host_isolated)
            fprintf(out, "  host - (no open stream names it: its SOCKS password only hashes it)\n");
        for (int r = 0; r < c->nrelays; r++) {
            const struct cv_relay *rl = &c->relays[r];
            char addr[64] = "-";
            if (rl->address[0] != '\0')
                snprintf(addr, sizeof(addr), "%s:%u", rl->address, rl->or_port);
            fprintf(out, "    %-19s  %s  %-21s  %s\n", or_dash(rl->nickname), rl->fingerprint, addr,
                    or_dash(rl->country));
        }
        if (c->nstreams == 0)
            fprintf(out, "  no streams\n");
        for (size_t s = 0; s < c->nstreams; s++)
            fprintf(out, "  stream %lu  %s  %s\n", c->streams[s].id, c->streams[s].target,
                    c->streams[s].status);
    }
}

/* ---- JSON ---------------------------------------------------------------- */

/* "s" escaped, or null for "". */
static void json_value(FILE *out, const char *s)
{
    char esc[300 * 6 + 1];
    if (s[0] == '\0') {
        fputs("null", out);
        return;
    }
    info_reply_json_str(esc, sizeof(esc), s);
    fprintf(out, "\"%s\"", esc);
}

static void json_circuit(const struct cv_circuit *c, FILE *out)
{
    fprintf(out, "{\"id\":%lu,\"status\":", c->id);
    json_value(out, c->status);
    fputs(",\"purpose\":", out);
    json_value(out, c->purpose);
    if (c->build_flags[0] != '\0') {
        fputs(",\"build_flags\":[", out);
        for (const char *f = c->build_flags; *f != '\0';) {
            size_t n = strcspn(f, ",");
            char flag[sizeof(c->build_flags)];
            memcpy(flag, f, n);
            flag[n] = '\0';
            fputs(f != c->build_flags ? "," : "", out);
            json_value(out, flag);
            f += n + (f[n] == ',');
        }
        fputs("]", out);
    }
    if (c->host_isolated) {
        fputs(",\"host\":", out);
        json_value(out, c->host);
        fprintf(out, ",\"host_checked\":%s", c->host_checked ? "true" : "false");
    }
    fputs(",\"relays\":[", out);
    for (int r = 0; r < c->nrelays; r++) {
        const struct cv_relay *rl = &c->relays[r];
        fprintf(out, "%s{\"fingerprint\":\"%s\",\"nickname\":", r ? "," : "", rl->fingerprint);
        json_value(out, rl->nickname);
        fputs(",\"address\":", out);
        json_value(out, rl->address);
        if (rl->or_port != 0)
            fprintf(out, ",\"or_port\":%u,\"country\":", rl->or_port);
        else
            fputs(",\"or_port\":null,\"country\":", out);
        json_value(out, rl->country);
        fputs("}", out);
    }
    fputs("],\"streams\":[", out);
    for (size_t s = 0; s < c->nstreams; s++) {
        fprintf(out, "%s{\"id\":%lu,\"status\":", s ? "," : "", c->streams[s].id);
        json_value(out, c->streams[s].status);
        fputs(",\"target\":", out);
        json_value(out, c->streams[s].target);
        fputs("}", out);
    }
    fputs("]}", out);
}

void circuits_view_json(const struct circuits_view *v, const struct cv_owner *o, FILE *out)
{
    fputs("{\"name\":", out);
    json_value(out, o->name);
    fputs(",\"socks_user\":", out);
    json_value(out, o->socks_user);
    fputs(",\"tor_control\":", out);
    json_value(out, o->tor_control);
    fputs(",\"circuits\":[", out);
    for (size_t i = 0; i < v->ncircuits; i++) {
        fputs(i ? "," : "", out);
        json_circuit(&v->circuits[i], out);
    }
    fputs("]}\n", out);
}
