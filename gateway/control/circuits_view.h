/* What `torgate circuits NAME` shows (circuits_view.c): the circuits of
 * Tor's circuit-status that carry one SOCKS username, the streams on them,
 * their relays; as text or JSON. Pure: built from Tor's replies, written
 * to a stream; the relays' addresses and countries are filled in by the
 * caller, who asks Tor (circuits.c). */
#ifndef TORGATE_CIRCUITS_VIEW_H
#define TORGATE_CIRCUITS_VIEW_H

#include <stdio.h>

#include "tor/torctl_parse.h"

struct cv_relay {
    char fingerprint[41];
    char nickname[20];        /* "" when neither the path nor the consensus named it */
    char address[46];         /* "" when the consensus does not list it */
    unsigned or_port;         /* 0 likewise */
    char country[3];          /* "" when Tor does not know (no GeoIP data) */
};

struct cv_stream {
    unsigned long id;
    char status[20];
    char target[300];         /* host:port as Tor has it */
};

struct cv_circuit {
    unsigned long id;
    char status[16], purpose[32], build_flags[96];
    char socks_password[256]; /* how torgate isolated it: "torgate", "host-HASH", "stream-N" */
    int host_isolated;        /* that password is --isolate host's */
    /* Then the host it serves: a stream's host that hashes to the password,
     * on it or on another circuit with that password (host_checked); else,
     * the password being only a hash, the hosts its streams target as Tor
     * has them now (once connected, Tor replaces a name by the address the
     * exit resolved it to); "" with no streams. */
    char host[256];
    int host_checked;
    struct cv_relay relays[TORCTL_HOPS_MAX];
    int nrelays;
    struct cv_stream *streams;
    size_t nstreams;
};

struct circuits_view {
    struct cv_circuit *circuits;
    size_t ncircuits;
    size_t skipped;           /* lines of Tor's that could not be read (left out) */
};

/* Who the view is of, for its header. */
struct cv_owner {
    const char *name;         /* the torgate instance */
    const char *socks_user;
    const char *tor_control;  /* where Tor was asked */
};

/* circuit_reply and stream_reply: Tor's answers to GETINFO circuit-status
 * and GETINFO stream-status (stream_reply may be NULL: no streams). Keeps
 * the circuits whose SOCKS_USERNAME is user, in Tor's order, each with the
 * streams attached to it. 0, or -1 (a reply without its key, or no memory)
 * with v empty. */
int circuits_view_build(const char *circuit_reply, const char *stream_reply, const char *user,
                        struct circuits_view *v);
void circuits_view_free(struct circuits_view *v);

/* One block per circuit: its line, the host it serves (--isolate host),
 * its relays indented, then its streams. */
void circuits_view_text(const struct circuits_view *v, const struct cv_owner *o, FILE *out);
/* One JSON object and a newline: name, socks_user, tor_control, circuits
 * [{id, status, purpose, build_flags?, host?, relays [{fingerprint,
 * nickname, address, or_port, country}], streams [{id, status, target}]}];
 * what is not known is null. */
void circuits_view_json(const struct circuits_view *v, const struct cv_owner *o, FILE *out);

#endif
