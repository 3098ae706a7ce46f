#define _GNU_SOURCE
#include "tor/socks5.h"

#include <string.h>

int socks5_client_init(struct socks5_client *c, const char *user, const char *pass,
                       const struct socks5_dest *dest)
{
    return socks5_client_init_cmd(c, user, pass, SOCKS5_CMD_CONNECT, dest);
}

int socks5_client_init_cmd(struct socks5_client *c, const char *user, const char *pass,
                           uint8_t cmd, const struct socks5_dest *dest)
{
    memset(c, 0, sizeof(*c));
    c->state = SOCKS5_WANT_METHOD;
    if (cmd != SOCKS5_CMD_CONNECT && cmd != SOCKS5_CMD_RESOLVE && cmd != SOCKS5_CMD_RESOLVE_PTR)
        return -1;
    if ((cmd == SOCKS5_CMD_RESOLVE) != (dest->atyp == SOCKS5_ATYP_DOMAIN) &&
        cmd != SOCKS5_CMD_CONNECT)
        return -1;
    c->cmd = cmd;
    if ((user == NULL) != (pass == NULL))
        return -1;
    if (user != NULL) {
        size_t ul = strlen(user), pl = strlen(pass);
        if (ul == 0 || ul > 255 || pl == 0 || pl > 255)
            return -1;
        memcpy(c->user, user, ul);
        memcpy(c->pass, pass, pl);
        c->user_len = (uint8_t)ul;
        c->pass_len = (uint8_t)pl;
    }
    switch (dest->atyp) {
    case SOCKS5_ATYP_IPV4:
    case SOCKS5_ATYP_IPV6:
        break;
    case SOCKS5_ATYP_DOMAIN: {
        size_t hl = strnlen(dest->host, sizeof(dest->host));
        if (hl == 0 || hl > 255)
            return -1;
        break;
    }
    default:
        return -1;
    }
    c->dest = *dest;
    return 0;
}

static size_t build_auth(const struct socks5_client *c, uint8_t *out)
{
    size_t n = 0;
    out[n++] = 1;                       /* RFC 1929 sub-negotiation version */
    out[n++] = c->user_len;
    memcpy(out + n, c->user, c->user_len);
    n += c->user_len;
    out[n++] = c->pass_len;
    memcpy(out + n, c->pass, c->pass_len);
    n += c->pass_len;
    return n;
}

static size_t build_connect(const struct socks5_client *c, uint8_t *out)
{
    size_t n = 0;
    out[n++] = 5;
    out[n++] = c->cmd;
    out[n++] = 0;
    out[n++] = c->dest.atyp;
    switch (c->dest.atyp) {
    case SOCKS5_ATYP_IPV4:
        memcpy(out + n, c->dest.addr, 4);
        n += 4;
        break;
    case SOCKS5_ATYP_IPV6:
        memcpy(out + n, c->dest.addr, 16);
        n += 16;
        break;
    default: {
        size_t hl = strnlen(c->dest.host, sizeof(c->dest.host));
        out[n++] = (uint8_t)hl;
        memcpy(out + n, c->dest.host, hl);
        n += hl;
        break;
    }
    }
    out[n++] = (uint8_t)(c->dest.port >> 8);
    out[n++] = (uint8_t)(c->dest.port & 0xff);
    return n;
}

size_t socks5_client_greeting(const struct socks5_client *c, uint8_t *out)
{
    out[0] = 5;
    if (c->user_len > 0) {
        /* Username/password only (it is what gives each sandbox its own
         * circuits), so the server has no choice to make and the
         * credentials and the request can follow at once: one round trip
         * instead of three. Tor reads them in one go. */
        out[1] = 1;
        out[2] = 0x02;
        size_t n = 3;
        n += build_auth(c, out + n);
        n += build_connect(c, out + n);
        return n;
    }
    out[1] = 1;
    out[2] = 0x00;
    return 3;
}

static enum socks5_step fail(struct socks5_client *c, enum socks5_error err)
{
    c->state = SOCKS5_FAILED;
    c->err = err;
    return SOCKS5_STEP_FAILED;
}

/* Length of a complete CONNECT reply starting at in, 0 if more bytes are
 * needed, or -1 if the address type is unknown. in[0..3] are present. */
static long reply_length(const uint8_t *in, size_t len)
{
    switch (in[3]) {
    case SOCKS5_ATYP_IPV4:
        return 4 + 4 + 2;
    case SOCKS5_ATYP_IPV6:
        return 4 + 16 + 2;
    case SOCKS5_ATYP_DOMAIN:
        if (len < 5)
            return 0;
        if (in[4] == 0)
            return -1;
        return 4 + 1 + in[4] + 2;
    default:
        return -1;
    }
}

/* Copies BND.ADDR and BND.PORT of a complete reply of length len. */
static void read_bound(const uint8_t *in, size_t len, struct socks5_dest *b)
{
    memset(b, 0, sizeof(*b));
    b->atyp = in[3];
    switch (in[3]) {
    case SOCKS5_ATYP_IPV4:
        memcpy(b->addr, in + 4, 4);
        break;
    case SOCKS5_ATYP_IPV6:
        memcpy(b->addr, in + 4, 16);
        break;
    default:
        memcpy(b->host, in + 5, in[4]);
        b->host[in[4]] = '\0';
        break;
    }
    b->port = (uint16_t)((in[len - 2] << 8) | in[len - 1]);
}

enum socks5_step socks5_client_feed(struct socks5_client *c, const uint8_t *in, size_t len,
                                    size_t *consumed, uint8_t *out, size_t *out_len)
{
    *consumed = 0;
    *out_len = 0;

    switch (c->state) {
    case SOCKS5_WANT_METHOD:
        if (len < 2)
            return SOCKS5_STEP_NEED_MORE;
        if (in[0] == 1 && c->user_len > 0) {
            /* Tor (0.4.7) answers a pipelined greeting with the verdict on
             * the credentials alone: it makes one reply per read, and the
             * method choice is overwritten. The verdict stands for it (only
             * username/password was offered). */
            c->method = 0x02;
            c->state = SOCKS5_WANT_AUTH;
            return socks5_client_feed(c, in, len, consumed, out, out_len);
        }
        if (in[0] != 5)
            return fail(c, SOCKS5_ERR_MALFORMED);
        *consumed = 2;
        c->method = in[1];
        if (in[1] == 0xff)
            return fail(c, SOCKS5_ERR_NO_METHOD);
        if (in[1] == 0x02 && c->user_len > 0) {
            c->state = SOCKS5_WANT_AUTH;     /* the credentials went with the greeting */
            return SOCKS5_STEP_SEND;
        }
        if (in[1] == 0x00 && c->user_len == 0) {
            *out_len = build_connect(c, out);
            c->state = SOCKS5_WANT_REPLY;
            return SOCKS5_STEP_SEND;
        }
        return fail(c, SOCKS5_ERR_MALFORMED);

    case SOCKS5_WANT_AUTH:
        if (len < 2)
            return SOCKS5_STEP_NEED_MORE;
        if (in[0] != 1)
            return fail(c, SOCKS5_ERR_MALFORMED);
        *consumed = 2;
        if (in[1] != 0)
            return fail(c, SOCKS5_ERR_AUTH_REJECTED);
        c->state = SOCKS5_WANT_REPLY;        /* the request went with the greeting */
        return SOCKS5_STEP_SEND;

    case SOCKS5_WANT_REPLY: {
        if (len < 2)
            return SOCKS5_STEP_NEED_MORE;
        if (in[0] != 5)
            return fail(c, SOCKS5_ERR_MALFORMED);
        if (in[1] != SOCKS5_REP_SUCCEEDED) {
            /* A failure ends the stream; the rest of the reply is moot. */
            c->rep = in[1];
            *consumed = 2;
            return fail(c, SOCKS5_ERR_REPLY);
        }
        if (len < 4)
            return SOCKS5_STEP_NEED_MORE;
        if (in[2] != 0)
            return fail(c, SOCKS5_ERR_MALFORMED);
        long need = reply_length(in, len);
        if (need < 0)
            return fail(c, SOCKS5_ERR_MALFORMED);
        if (need == 0 || (size_t)need > len)
            return SOCKS5_STEP_NEED_MORE;
        read_bound(in, (size_t)need, &c->bound);
        *consumed = (size_t)need;
        c->state = SOCKS5_CONNECTED;
        return SOCKS5_STEP_CONNECTED;
    }

    case SOCKS5_CONNECTED:
        return SOCKS5_STEP_CONNECTED;
    case SOCKS5_FAILED:
    default:
        return SOCKS5_STEP_FAILED;
    }
}

const char *socks5_rep_str(uint8_t rep)
{
    switch (rep) {
    case SOCKS5_REP_SUCCEEDED:            return "succeeded";
    case SOCKS5_REP_GENERAL_FAILURE:      return "general failure";
    case SOCKS5_REP_NOT_ALLOWED:          return "not allowed by the exit's policy";
    case SOCKS5_REP_NET_UNREACHABLE:      return "network unreachable";
    case SOCKS5_REP_HOST_UNREACHABLE:     return "host unreachable";
    case SOCKS5_REP_CONN_REFUSED:         return "connection refused";
    case SOCKS5_REP_TTL_EXPIRED:          return "TTL expired (timed out)";
    case SOCKS5_REP_CMD_NOT_SUPPORTED:    return "command not supported";
    case SOCKS5_REP_ATYP_NOT_SUPPORTED:   return "address type not supported";
    case SOCKS5_REP_TOR_HS_DESC_NOT_FOUND: return "onion service descriptor not found";
    case SOCKS5_REP_TOR_HS_DESC_INVALID:  return "onion service descriptor invalid";
    case SOCKS5_REP_TOR_HS_INTRO_FAILED:  return "onion service introduction failed";
    case SOCKS5_REP_TOR_HS_REND_FAILED:   return "onion service rendezvous failed";
    case SOCKS5_REP_TOR_HS_MISSING_AUTH:  return "onion service needs client authorization";
    case SOCKS5_REP_TOR_HS_WRONG_AUTH:    return "onion service client authorization wrong";
    case SOCKS5_REP_TOR_HS_BAD_ADDRESS:   return "bad onion address";
    case SOCKS5_REP_TOR_HS_INTRO_TIMEOUT: return "onion service introduction timed out";
    default:                              return "unknown reply code";
    }
}

const char *socks5_err_str(enum socks5_error err)
{
    switch (err) {
    case SOCKS5_OK:                return "no error";
    case SOCKS5_ERR_REPLY:         return "request refused";
    case SOCKS5_ERR_NO_METHOD:     return "no acceptable authentication method";
    case SOCKS5_ERR_AUTH_REJECTED: return "username/password rejected";
    case SOCKS5_ERR_MALFORMED:     return "malformed SOCKS5 reply";
    default:                       return "unknown error";
    }
}
