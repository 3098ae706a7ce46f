#define _GNU_SOURCE
#include "tor/probe.h"
#include "base/log.h"
#include "tor/socks5.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <poll.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>

static long now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec * 1000L + ts.tv_nsec / 1000000L;
}

/* Waits for fd to become ready for events until deadline. 1 ready, 0 timeout. */
static int wait_fd(int fd, short events, long deadline)
{
    for (;;) {
        long left = deadline - now_ms();
        if (left <= 0)
            return 0;
        struct pollfd p = { .fd = fd, .events = events };
        int r = poll(&p, 1, (int)left);
        if (r > 0)
            return 1;
        if (r == 0)
            return 0;
        if (errno != EINTR)
            return -1;
    }
}

/* Why the last probe failed (probe_reason()). */
static char reason[512];

static void failed(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

static void failed(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(reason, sizeof(reason), fmt, ap);
    va_end(ap);
}

const char *probe_reason(void)
{
    return reason;
}

static void unreachable(const struct tg_config *cfg, const char *why)
{
    failed("Tor is not reachable at %s (%s): start Tor (e.g. sudo systemctl start tor) "
              "or point --socks at its SocksPort", cfg->socks_name, why);
}

int probe_socks(const struct tg_config *cfg, int timeout_ms)
{
    if (probe_socks_quiet(cfg, timeout_ms) == 0)
        return 0;
    log_error("%s", reason);
    return -1;
}

int probe_socks_quiet(const struct tg_config *cfg, int timeout_ms)
{
    long deadline = now_ms() + timeout_ms;
    int fd = socket(cfg->socks_addr.ss_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (fd < 0) {
        failed("cannot create a socket to reach Tor at %s: %s", cfg->socks_name, strerror(errno));
        return -1;
    }
    int rc = -1;
    if (connect(fd, (const struct sockaddr *)&cfg->socks_addr, cfg->socks_addrlen) != 0 &&
        errno != EINPROGRESS) {
        unreachable(cfg, strerror(errno));
        goto out;
    }
    if (wait_fd(fd, POLLOUT, deadline) != 1) {
        unreachable(cfg, "no answer");
        goto out;
    }
    int soerr = 0;
    socklen_t sl = sizeof(soerr);
    if (getsockopt(fd, SOL_SOCKET, SO_ERROR, &soerr, &sl) != 0 || soerr != 0) {
        unreachable(cfg, strerror(soerr != 0 ? soerr : errno));
        goto out;
    }
    /* Username/password only, as every stream will offer (socks5.c). */
    static const unsigned char greeting[] = { 5, 1, 0x02 };
    if (send(fd, greeting, sizeof(greeting), MSG_NOSIGNAL) != (ssize_t)sizeof(greeting)) {
        unreachable(cfg, strerror(errno));
        goto out;
    }
    unsigned char reply[2];
    size_t got = 0;
    /* A text protocol (Tor's ControlPort) says nothing until a line ends:
     * if no answer comes soon, end one, and a text answer shows at once. */
    long nudge = now_ms() + (timeout_ms > 2000 ? 1000 : timeout_ms / 2);
    int nudged = 0;
    while (got < sizeof(reply)) {
        if (!nudged && got == 0 && wait_fd(fd, POLLIN, nudge) != 1) {
            nudged = 1;
            (void)send(fd, "\r\n", 2, MSG_NOSIGNAL);
            continue;
        }
        if (wait_fd(fd, POLLIN, deadline) != 1) {
            failed("%s accepted a connection but gave no SOCKS5 answer within %d ms: point "
                      "--socks at Tor's SocksPort", cfg->socks_name, timeout_ms);
            goto out;
        }
        ssize_t n = recv(fd, reply + got, sizeof(reply) - got, 0);
        if (n == 0) {
            failed("%s closed the connection without a SOCKS5 answer: point --socks at "
                      "Tor's SocksPort (not its ControlPort or DNSPort)", cfg->socks_name);
            goto out;
        }
        if (n < 0) {
            if (errno == EINTR || errno == EAGAIN)
                continue;
            unreachable(cfg, strerror(errno));
            goto out;
        }
        got += (size_t)n;
    }
    if (reply[0] != 5) {
        int text = reply[0] >= '0' && reply[0] <= '9' && reply[1] >= '0' && reply[1] <= '9';
        failed("%s answered, but not as a SOCKS5 server%s: point --socks at Tor's SocksPort "
                  "(not an HTTP proxy or ControlPort)", cfg->socks_name,
                  text ? " (a text reply, as Tor's ControlPort gives)" : "");
        goto out;
    }
    if (reply[1] == 0xff) {
        failed("the SOCKS5 server at %s does not accept username/password authentication "
                  "(RFC 1929), which torgate needs so that each sandbox gets circuits of its "
                  "own: point --socks at Tor's SocksPort", cfg->socks_name);
        goto out;
    }
    if (reply[1] != 0x02) {
        failed("the SOCKS5 server at %s chose an authentication method it was not offered "
                  "(0x%02x): point --socks at Tor's SocksPort", cfg->socks_name, reply[1]);
        goto out;
    }
    rc = 0;
out:
    close(fd);
    return rc;
}

/* An address literal from TEST-NET-1 (RFC 5737): Tor answers a RESOLVE
 * of an address with the address itself, at once and without a circuit;
 * a SOCKS5 server that is not Tor knows no RESOLVE command. */
#define TOR_PROBE_LITERAL "192.0.2.44"

int probe_tor_like(const struct tg_config *cfg, int timeout_ms, char *why, size_t whylen)
{
    struct socks5_client c;
    struct socks5_dest d = { .atyp = SOCKS5_ATYP_DOMAIN, .port = 0 };
    uint8_t out[SOCKS5_MAX_REQUEST], in[512];
    size_t inlen = 0, outlen;
    long deadline = now_ms() + timeout_ms;
    int rc = -1;
    snprintf(d.host, sizeof(d.host), "%s", TOR_PROBE_LITERAL);
    snprintf(why, whylen, "no answer to Tor's RESOLVE within %d ms", timeout_ms);
    if (socks5_client_init_cmd(&c, "torgate-check", "x", SOCKS5_CMD_RESOLVE, &d) != 0)
        return -1;
    int fd = socket(cfg->socks_addr.ss_family, SOCK_STREAM | SOCK_CLOEXEC, 0);
    struct timeval tv = { timeout_ms / 1000, (timeout_ms % 1000) * 1000 };
    if (fd < 0 || setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv)) != 0 ||
        connect(fd, (const struct sockaddr *)&cfg->socks_addr, cfg->socks_addrlen) != 0) {
        snprintf(why, whylen, "cannot connect again: %s", strerror(errno));
        goto out;
    }
    outlen = socks5_client_greeting(&c, out);
    if (send(fd, out, outlen, MSG_NOSIGNAL) != (ssize_t)outlen)
        goto out;
    for (;;) {
        size_t used = 0;
        enum socks5_step st = socks5_client_feed(&c, in, inlen, &used, out, &outlen);
        memmove(in, in + used, inlen - used);
        inlen -= used;
        if (st == SOCKS5_STEP_SEND) {
            if (outlen > 0 && send(fd, out, outlen, MSG_NOSIGNAL) != (ssize_t)outlen)
                goto out;
            continue;
        }
        if (st == SOCKS5_STEP_CONNECTED) {
            int echoed = c.bound.atyp == SOCKS5_ATYP_IPV4 && memcmp(c.bound.addr, "\xc0\x00\x02\x2c", 4) == 0;
            snprintf(why, whylen, echoed ? "it answers Tor's RESOLVE as Tor does"
                                         : "it answers Tor's RESOLVE of an address with another one");
            rc = echoed;
            goto out;
        }
        if (st == SOCKS5_STEP_FAILED) {
            if (c.err == SOCKS5_ERR_REPLY && c.rep == SOCKS5_REP_CMD_NOT_SUPPORTED) {
                snprintf(why, whylen, "it does not know Tor's RESOLVE command");
                rc = 0;
            } else {
                snprintf(why, whylen, "Tor's RESOLVE failed: %s", c.err == SOCKS5_ERR_REPLY ?
                         socks5_rep_str(c.rep) : socks5_err_str(c.err));
            }
            goto out;
        }
        if (inlen == sizeof(in) || wait_fd(fd, POLLIN, deadline) != 1)
            goto out;
        ssize_t n = recv(fd, in + inlen, sizeof(in) - inlen, 0);
        if (n <= 0) {
            if (n < 0 && (errno == EINTR || errno == EAGAIN))
                continue;
            snprintf(why, whylen, "it closed the connection at Tor's RESOLVE");
            rc = 0;
            goto out;
        }
        inlen += (size_t)n;
    }
out:
    if (fd >= 0)
        close(fd);
    return rc;
}
