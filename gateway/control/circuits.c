/* torgate circuits NAME [--json] [--tor-control HOST:PORT]: the circuits a
 * running torgate's streams use, asked of Tor's control port, since the
 * gateway itself is confined and never talks to it. The instance says its
 * SOCKS username and its --tor-control (control.c, `info json`); Tor's
 * circuit-status names each circuit's SOCKS username, so the circuits with
 * the instance's are its own (circuits_view.c). Then each relay's address
 * (ns/id) and country (ip-to-country, when Tor has GeoIP data). */
#define _GNU_SOURCE
#include "control/circuits.h"
#include "config/addr.h"
#include "config/config.h"
#include "control/circuits_view.h"
#include "tor/torctl.h"
#include "tor/torctl_parse.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#define STATUS_MAX (1024 * 1024)   /* circuit-status of a busy Tor: a few hundred bytes a circuit */
#define SMALL_MAX  8192

/* An authenticated connection to the control port at tor_control, or -1
 * with why: one line, what failed and the fix. */
static int open_tor(const char *tor_control, char *why, size_t whylen)
{
    struct sockaddr_storage ss;
    socklen_t len;
    char err[256], scratch[SMALL_MAX];
    if (addr_parse(tor_control, &ss, &len, err, sizeof(err)) != 0) {
        snprintf(why, whylen, "Tor's control port '%s' is no HOST:PORT (%s); give --tor-control "
                 "HOST:PORT", tor_control, err);
        return -1;
    }
    return torctl_open(&ss, len, tor_control, scratch, sizeof(scratch), why, whylen);
}

/* GETINFO key's whole reply into a new buffer, or NULL. */
static char *getinfo(int fd, const char *key)
{
    char cmd[64];
    char *reply = malloc(STATUS_MAX);
    snprintf(cmd, sizeof(cmd), "GETINFO %s\r\n", key);
    if (reply != NULL && torctl_cmd(fd, cmd, reply, STATUS_MAX) == 250)
        return reply;
    free(reply);
    return NULL;
}

/* What the consensus says of each relay (address, ORPort, a nickname the
 * path left out) and, while Tor has GeoIP data, its country. A relay Tor
 * does not list stays as it was: those fields are shown unknown. */
static void describe_relays(int fd, struct circuits_view *v)
{
    char reply[SMALL_MAX], cmd[128];
    int geoip = 1;
    for (size_t i = 0; i < v->ncircuits; i++) {
        for (int h = 0; h < v->circuits[i].nrelays; h++) {
            struct cv_relay *rl = &v->circuits[i].relays[h];
            const struct cv_relay *known = NULL;
            for (size_t j = 0; j <= i && known == NULL; j++)
                for (int k = 0; k < v->circuits[j].nrelays && (j < i || k < h); k++)
                    if (strcmp(v->circuits[j].relays[k].fingerprint, rl->fingerprint) == 0) {
                        known = &v->circuits[j].relays[k];
                        break;
                    }
            if (known != NULL) {
                *rl = *known;
                continue;
            }
            struct torctl_ns ns;
            snprintf(cmd, sizeof(cmd), "GETINFO ns/id/%s\r\n", rl->fingerprint);
            if (torctl_cmd(fd, cmd, reply, sizeof(reply)) != 250 ||
                torctl_parse_ns(reply, rl->fingerprint, &ns) != 0)
                continue;
            memcpy(rl->address, ns.address, sizeof(rl->address));
            rl->or_port = ns.or_port;
            if (rl->nickname[0] == '\0')
                memcpy(rl->nickname, ns.nickname, sizeof(rl->nickname));
            if (!geoip)
                continue;
            snprintf(cmd, sizeof(cmd), "GETINFO ip-to-country/%s\r\n", rl->address);
            int code = torctl_cmd(fd, cmd, reply, sizeof(reply));
            if (code == 250)
                (void)torctl_parse_country(reply, rl->address, rl->country);   /* else unknown */
            else
                geoip = 0;               /* 551 GeoIP data not loaded: none will be known */
        }
    }
}

int circuits_show(const struct info_reply *info, const char *tor_control, int json)
{
    char why[1024];
    if (info->socks_user[0] == '\0') {
        fprintf(stderr, "torgate: circuits: %s does not say which SOCKS username it uses (a torgate "
                "older than this one); restart it with this torgate\n", info->name);
        return 1;
    }
    const char *ctl = tor_control != NULL ? tor_control
                    : info->tor_control[0] != '\0' ? info->tor_control : TG_DEFAULT_CONTROL;
    int fd = open_tor(ctl, why, sizeof(why));
    if (fd < 0) {
        fprintf(stderr, "torgate: circuits: %s\n", why);
        return 1;
    }
    struct circuits_view v;
    char *circ = getinfo(fd, "circuit-status");
    char *streams = circ != NULL ? getinfo(fd, "stream-status") : NULL;
    int built = streams != NULL ? circuits_view_build(circ, streams, info->socks_user, &v) : -1;
    free(circ);
    free(streams);
    if (built != 0) {
        close(fd);
        fprintf(stderr, "torgate: circuits: the control port %s did not answer GETINFO circuit-status "
                "and stream-status as Tor does; point --tor-control at Tor's ControlPort\n", ctl);
        return 1;
    }
    describe_relays(fd, &v);
    close(fd);
    if (v.skipped > 0)
        fprintf(stderr, "torgate: circuits: %zu line%s of Tor's circuit-status and stream-status could "
                "not be read and %s left out\n", v.skipped, v.skipped == 1 ? "" : "s",
                v.skipped == 1 ? "is" : "are");
    const struct cv_owner o = { info->name, info->socks_user, ctl };
    if (json)
        circuits_view_json(&v, &o, stdout);
    else
        circuits_view_text(&v, &o, stdout);
    circuits_view_free(&v);
    return fflush(stdout) == 0 && !ferror(stdout) ? 0 : 1;
}

/* ---- torgate ls ------------------------------------------------------------ */

/* The circuit-status of the control port at tor_control, asked once. */
static const char *tally_reply(struct circuits_tally *t, const char *tor_control)
{
    for (int i = 0; i < t->nports; i++)
        if (strcmp(t->port[i].tor_control, tor_control) == 0)
            return t->port[i].reply;
    char why[1024];
    char *reply = NULL;
    int fd = open_tor(tor_control, why, sizeof(why));
    if (fd >= 0) {
        reply = getinfo(fd, "circuit-status");
        close(fd);
    }
    if (t->nports == CIRCUITS_TALLY_PORTS) {
        /* More control ports than anyone runs: the oldest one is asked again if needed. */
        free(t->port[0].reply);
        memmove(&t->port[0], &t->port[1], sizeof(t->port[0]) * (CIRCUITS_TALLY_PORTS - 1));
        t->nports--;
    }
    snprintf(t->port[t->nports].tor_control, sizeof(t->port[t->nports].tor_control), "%s", tor_control);
    t->port[t->nports].reply = reply;
    t->nports++;
    return reply;
}

long circuits_tally_count(struct circuits_tally *t, const struct info_reply *info)
{
    if (info->socks_user[0] == '\0')
        return -1;
    const char *reply = tally_reply(t, info->tor_control[0] != '\0' ? info->tor_control : TG_DEFAULT_CONTROL);
    struct circuits_view v;
    if (reply == NULL || circuits_view_build(reply, NULL, info->socks_user, &v) != 0)
        return -1;
    long n = (long)v.ncircuits;
    circuits_view_free(&v);
    return n;
}

void circuits_tally_free(struct circuits_tally *t)
{
    for (int i = 0; i < t->nports; i++)
        free(t->port[i].reply);
    t->nports = 0;
}
