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

#endif
