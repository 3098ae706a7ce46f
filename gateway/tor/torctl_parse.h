/* Parsers of the Tor control-port replies torgate reads (torctl_parse.c). */
#ifndef TORGATE_TORCTL_PARSE_H
#define TORGATE_TORCTL_PARSE_H

#include <stddef.h>

#define TORCTL_AUTH_NULL       1
#define TORCTL_AUTH_COOKIE     2
#define TORCTL_AUTH_SAFECOOKIE 4
#define TORCTL_AUTH_PASSWORD   8

struct torctl_auth {
    unsigned methods;         /* TORCTL_AUTH_* */
    char cookie_file[512];    /* "" if none given */
};

struct torctl_socksport {
    int found;                /* a SocksPort line for the port asked */
    int extended_errors;      /* its ExtendedErrors flag */
    int isolate_auth;         /* IsolateSOCKSAuth (on unless NoIsolateSOCKSAuth) */
};

/* PROTOCOLINFO's reply: the AUTH line. 0, or -1 if there is none usable. */
int torctl_parse_protocolinfo(const char *reply, struct torctl_auth *a);

/* GETINFO status/bootstrap-phase: PROGRESS (0-100) and SUMMARY (may be
 * cut to cap). 0, or -1 if malformed. */
int torctl_parse_bootstrap(const char *reply, int *progress, char *summary, size_t cap);

/* GETCONF SocksPort: the line for port (found stays 0 if none). 0. */
int torctl_parse_socksport(const char *reply, unsigned port, struct torctl_socksport *sp);

/* One line of GETINFO circuit-status (or a CIRC event after "650 CIRC "):
 * CircuitID SP CircStatus [SP Path] *(SP Key=Value), the path's relays in
 * order ($FINGERPRINT[~|=Nickname]). Keys torgate does not use are skipped;
 * an unknown key is not an error (Tor adds keys), a malformed known one is. */
#define TORCTL_HOPS_MAX 8

struct torctl_hop {
    char fingerprint[41];     /* 40 hex digits, upper case as Tor writes them */
    char nickname[20];        /* "" if the path did not name it */
};

struct torctl_circuit {
    unsigned long id;
    char status[16];          /* LAUNCHED, BUILT, EXTENDED, FAILED, CLOSED, ... */
    struct torctl_hop hops[TORCTL_HOPS_MAX];
    int nhops;
    char purpose[32];         /* "" if not given */
    int has_socks;            /* SOCKS_USERNAME was given */
    char socks_username[256], socks_password[256];
};

/* line[0..len): one line without its CRLF. 0, or -1 if malformed. */
int torctl_parse_circuit(const char *line, size_t len, struct torctl_circuit *c);

/* One line of GETINFO stream-status: StreamID SP StreamStatus SP CircuitID
 * SP Target (host:port; the circuit is 0 while unattached). */
struct torctl_stream {
    unsigned long id, circuit;
    char status[20];
    char target[300];
};
int torctl_parse_stream(const char *line, size_t len, struct torctl_stream *s);

#endif
