/* Addresses torgate is given: Tor's SOCKS and control ports, --publish's. */
#include "config/addr.h"
#include "config/config.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void set_err(char *err, size_t errlen, const char *fmt, const char *arg)
{
    snprintf(err, errlen, fmt, arg);
}

static int parse_port(const char *s, unsigned long *out)
{
    char *end;
    if (s == NULL || *s < '0' || *s > '9')
        return -1;
    errno = 0;
    unsigned long v = strtoul(s, &end, 10);
    if (errno != 0 || *end != '\0' || v < 1 || v > 65535)
        return -1;
    *out = v;
    return 0;
}

int addr_parse(const char *s, struct sockaddr_storage *ss, socklen_t *sslen, char *err, size_t errlen)
{
    char host[INET6_ADDRSTRLEN + 2];
    const char *port_s;
    size_t hlen;

    if (s == NULL || *s == '\0') {
        set_err(err, errlen, "--socks needs HOST:PORT, e.g. %s", TG_DEFAULT_SOCKS);
        return -1;
    }
    if (s[0] == '[') {
        const char *close = strchr(s, ']');
        if (close == NULL || close[1] != ':') {
            set_err(err, errlen, "bad SOCKS address '%s': write IPv6 as [ADDR]:PORT", s);
            return -1;
        }
        hlen = (size_t)(close - s - 1);
        if (hlen == 0 || hlen >= sizeof(host)) {
            set_err(err, errlen, "bad SOCKS address '%s': IPv6 address too long", s);
            return -1;
        }
        memcpy(host, s + 1, hlen);
        port_s = close + 2;
    } else {
        const char *colon = strrchr(s, ':');
        if (colon == NULL || strchr(s, ':') != colon) {
            set_err(err, errlen, "bad SOCKS address '%s': expected HOST:PORT", s);
            return -1;
        }
        hlen = (size_t)(colon - s);
        if (hlen == 0 || hlen >= sizeof(host)) {
            set_err(err, errlen, "bad SOCKS address '%s': expected HOST:PORT", s);
            return -1;
        }
        memcpy(host, s, hlen);
        port_s = colon + 1;
    }
    host[hlen] = '\0';

    unsigned long port;
    if (parse_port(port_s, &port) != 0) {
        set_err(err, errlen, "bad SOCKS address '%s': port must be 1-65535", s);
        return -1;
    }

    memset(ss, 0, sizeof(*ss));
    struct sockaddr_in *sin = (struct sockaddr_in *)ss;
    struct sockaddr_in6 *sin6 = (struct sockaddr_in6 *)ss;
    if (strcmp(host, "localhost") == 0)
        strcpy(host, "127.0.0.1");
    if (s[0] != '[' && inet_pton(AF_INET, host, &sin->sin_addr) == 1) {
        sin->sin_family = AF_INET;
        sin->sin_port = htons((uint16_t)port);
        *sslen = sizeof(*sin);
    } else if (s[0] == '[' && inet_pton(AF_INET6, host, &sin6->sin6_addr) == 1) {
        sin6->sin6_family = AF_INET6;
        sin6->sin6_port = htons((uint16_t)port);
        *sslen = sizeof(*sin6);
    } else {
        set_err(err, errlen, "bad SOCKS address '%s': the host must be an IP address or localhost", s);
        return -1;
    }
    return 0;
}

unsigned addr_port(const struct sockaddr_storage *ss)
{
    if (ss->ss_family == AF_INET6)
        return ntohs(((const struct sockaddr_in6 *)ss)->sin6_port);
    return ntohs(((const struct sockaddr_in *)ss)->sin_port);
}
