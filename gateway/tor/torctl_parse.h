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
    char build_flags[96];     /* BUILD_FLAGS, comma-separated as Tor gives them; "" if none */
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

/* Whether buf[0..len) holds a whole reply: its status code (from its last
 * "NNN " line), 0 while more is to come, -1 if it is no control-port reply.
 * A data block ("NNN+" up to a "." line) may hold lines that look like a
 * final one ("250 BUILT ..." is circuit 250's line). */
int torctl_parse_end(const char *buf, size_t len);

/* The value of key in a GETINFO reply: fn is called once per line of it,
 * without its CRLF and with a data block's dot-stuffing undone (a one-line
 * "250-key=value" gives one line, an empty value none). Returns the number
 * of lines, or -1 if the reply does not hold key. */
int torctl_parse_getinfo(const char *reply, const char *key,
                         void (*fn)(void *ctx, const char *line, size_t len), void *ctx);

/* GETINFO ns/id/FINGERPRINT: the relay's router status "r" line, "r
 * Nickname Identity Digest YYYY-MM-DD HH:MM:SS IP ORPort DirPort". 0, or -1
 * if the reply holds no well-formed one for that fingerprint. */
struct torctl_ns {
    char nickname[20];
    char address[46];         /* the IPv4 address, as Tor wrote it */
    unsigned or_port;
};
int torctl_parse_ns(const char *reply, const char *fingerprint, struct torctl_ns *ns);

/* GETINFO ip-to-country/IP: the country code in lower case into cc (3
 * bytes), "" when Tor does not know it ("??"). 0, or -1 if malformed. */
int torctl_parse_country(const char *reply, const char *ip, char cc[3]);

#endif
