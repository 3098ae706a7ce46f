/* SOCKS5 client (RFC 1928, username/password RFC 1929, Tor's extended
 * reply codes): a pure state machine over byte buffers, no I/O. */
#ifndef TORGATE_SOCKS5_H
#define TORGATE_SOCKS5_H

#include <stddef.h>
#include <stdint.h>

#define SOCKS5_ATYP_IPV4   1
#define SOCKS5_ATYP_DOMAIN 3
#define SOCKS5_ATYP_IPV6   4

#define SOCKS5_CMD_CONNECT     0x01
#define SOCKS5_CMD_RESOLVE     0xF0   /* Tor: hostname -> address in BND.ADDR */
#define SOCKS5_CMD_RESOLVE_PTR 0xF1   /* Tor: address -> hostname in BND.ADDR */

/* Largest message the client ever sends: with credentials, the greeting,
 * the auth request and the request in one (3 + 513 + 262). */
#define SOCKS5_MAX_REQUEST 778

/* Reply codes (REP). 0x01-0x08 are RFC 1928; 0xF0-0xF7 are Tor's
 * ExtendedErrors (onion service failures and a bad hostname). */
#define SOCKS5_REP_SUCCEEDED            0x00
#define SOCKS5_REP_GENERAL_FAILURE      0x01
#define SOCKS5_REP_NOT_ALLOWED          0x02
#define SOCKS5_REP_NET_UNREACHABLE      0x03
#define SOCKS5_REP_HOST_UNREACHABLE     0x04
#define SOCKS5_REP_CONN_REFUSED         0x05
#define SOCKS5_REP_TTL_EXPIRED          0x06
#define SOCKS5_REP_CMD_NOT_SUPPORTED    0x07
#define SOCKS5_REP_ATYP_NOT_SUPPORTED   0x08
#define SOCKS5_REP_TOR_HS_DESC_NOT_FOUND 0xF0
#define SOCKS5_REP_TOR_HS_DESC_INVALID  0xF1
#define SOCKS5_REP_TOR_HS_INTRO_FAILED  0xF2
#define SOCKS5_REP_TOR_HS_REND_FAILED   0xF3
#define SOCKS5_REP_TOR_HS_MISSING_AUTH  0xF4
#define SOCKS5_REP_TOR_HS_WRONG_AUTH    0xF5
#define SOCKS5_REP_TOR_HS_BAD_ADDRESS   0xF6
#define SOCKS5_REP_TOR_HS_INTRO_TIMEOUT 0xF7

enum socks5_state {
    SOCKS5_WANT_METHOD,     /* greeting sent, waiting for the method choice */
    SOCKS5_WANT_AUTH,       /* credentials sent, waiting for their verdict */
    SOCKS5_WANT_REPLY,      /* CONNECT sent, waiting for the reply */
    SOCKS5_CONNECTED,       /* reply 0x00 consumed: stream bytes follow */
    SOCKS5_FAILED,          /* see err and rep */
};

enum socks5_error {
    SOCKS5_OK = 0,
    SOCKS5_ERR_REPLY,        /* the server answered CONNECT with rep != 0 */
    SOCKS5_ERR_NO_METHOD,    /* server accepts none of the offered methods */
    SOCKS5_ERR_AUTH_REJECTED,/* username/password refused */
    SOCKS5_ERR_MALFORMED,    /* bytes that are not SOCKS5: bad version, an
                                unoffered method, bad reserved byte or ATYP */
};

struct socks5_dest {
    uint8_t atyp;            /* SOCKS5_ATYP_* */
    uint8_t addr[16];        /* IPv4 in the first 4 bytes */
    char host[256];          /* ATYP_DOMAIN: NUL-terminated, 1..255 bytes */
    uint16_t port;           /* host order */
};

struct socks5_client {
    enum socks5_state state;
    uint8_t cmd;             /* SOCKS5_CMD_* */
    enum socks5_error err;
    uint8_t rep;             /* REP of the CONNECT reply when err == REPLY */
    uint8_t method;          /* the method the server chose */
    char user[256], pass[256];
    uint8_t user_len, pass_len;
    struct socks5_dest dest;
    struct socks5_dest bound;/* BND.ADDR/PORT of the success reply: for
                                RESOLVE the address, for RESOLVE_PTR the name */
};

enum socks5_step {
    SOCKS5_STEP_NEED_MORE,   /* nothing consumed: feed more bytes */
    SOCKS5_STEP_SEND,        /* a message was consumed and *out_len bytes
                                (0 after a pipelined greeting) must be sent;
                                call again with what is left */
    SOCKS5_STEP_CONNECTED,   /* the reply was consumed; any bytes after it
                                are stream data */
    SOCKS5_STEP_FAILED,      /* see client->err, client->rep */
};

/* user/pass may be NULL (then only "no authentication" is offered); each at
 * most 255 bytes. Returns -1 for oversize credentials or destination. */
int socks5_client_init(struct socks5_client *c, const char *user, const char *pass,
                       const struct socks5_dest *dest);
/* The same for another command (SOCKS5_CMD_RESOLVE takes a domain dest,
 * SOCKS5_CMD_RESOLVE_PTR an address; the port is ignored by Tor). */
int socks5_client_init_cmd(struct socks5_client *c, const char *user, const char *pass,
                           uint8_t cmd, const struct socks5_dest *dest);

/* The greeting to send first. Returns its length (out needs SOCKS5_MAX_REQUEST).
 * With credentials it offers username/password only, and carries them and
 * the request too: the server's replies then need no answer. */
size_t socks5_client_greeting(const struct socks5_client *c, uint8_t *out);

/* Feeds bytes received from the server. *consumed is how many of them the
 * handshake used; out (SOCKS5_MAX_REQUEST bytes) receives the next message
 * to send when the result is SOCKS5_STEP_SEND. */
enum socks5_step socks5_client_feed(struct socks5_client *c, const uint8_t *in, size_t len,
                                    size_t *consumed, uint8_t *out, size_t *out_len);

/* A short English text for a REP code ("connection refused", ...). */
const char *socks5_rep_str(uint8_t rep);
const char *socks5_err_str(enum socks5_error err);

#endif
