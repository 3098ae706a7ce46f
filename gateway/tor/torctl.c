/* A client of Tor's control port (control-spec.txt), just enough for
 * --check, for waiting on Tor's bootstrap and for `torgate circuits`:
 * connect, authenticate (none or cookie), one command at a time. Blocking,
 * with a timeout. */
#define _GNU_SOURCE
#include "tor/torctl.h"
#include "tor/torctl_parse.h"

#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <sys/stat.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#define CTL_TIMEOUT_MS 3000

static long now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec * 1000L + ts.tv_nsec / 1000000L;
}


/* Why the cookie could not be read, and the fix that fits what is there:
 * a group that may read it, or a cookie only its owner may read. */
static void cookie_advice(const char *path, int e, char *why, size_t whylen)
{
    struct stat st;
    if (e == 0) {
        snprintf(why, whylen, "its cookie %s is shorter than 32 bytes; restart Tor", path);
        return;
    }
    if (stat(path, &st) != 0) {
        snprintf(why, whylen, "its cookie %s cannot be reached (%s): its directory is closed to you; "
                 "add yourself to Tor's group (Debian: sudo adduser $USER debian-tor, then log in "
                 "again)", path, strerror(errno));
        return;
    }
    const struct group *g = getgrgid(st.st_gid);
    char gname[64];
    if (g != NULL)
        snprintf(gname, sizeof(gname), "%s", g->gr_name);
    else
        snprintf(gname, sizeof(gname), "%u", (unsigned)st.st_gid);
    if (st.st_mode & S_IRGRP)
        snprintf(why, whylen, "its cookie %s cannot be read (%s); it is readable by the group %s: "
                 "sudo adduser $USER %s, then log in again", path, strerror(e), gname, gname);
    else
        snprintf(why, whylen, "its cookie %s cannot be read (%s); only its owner may read it (mode "
                 "%04o): set CookieAuthFileGroupReadable 1 in torrc and add yourself to the group "
                 "%s, or run torgate --check as Tor's user", path, strerror(e),
                 (unsigned)(st.st_mode & 07777), gname);
}

int torctl_connect_addr(const struct sockaddr_storage *addr, socklen_t len)
{
    int fd = socket(addr->ss_family, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd < 0)
        return -1;
    struct timeval tmo = { CTL_TIMEOUT_MS / 1000, 0 };
    (void)setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tmo, sizeof(tmo));
    (void)setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tmo, sizeof(tmo));
    if (connect(fd, (const struct sockaddr *)addr, len) != 0) {
        int e = errno;
        close(fd);
        errno = e;
        return -1;
    }
    return fd;
}

int torctl_connect(const struct tg_config *cfg)
{
    return torctl_connect_addr(&cfg->tor_control_addr, cfg->tor_control_len);
}

/* Sends cmd, reads the reply up to its final "NNN " line (data blocks
 * read whole). Returns the status code (250 ok), or -1. */
int torctl_cmd(int fd, const char *cmd, char *reply, size_t cap)
{
    size_t len = strlen(cmd);
    if (write(fd, cmd, len) != (ssize_t)len)
        return -1;
    size_t got = 0;
    long deadline = now_ms() + CTL_TIMEOUT_MS;
    reply[0] = '\0';
    while (got + 1 < cap && now_ms() < deadline) {
        ssize_t n = read(fd, reply + got, cap - 1 - got);
        if (n <= 0)
            return -1;
        got += (size_t)n;
        reply[got] = '\0';
        int code = torctl_parse_end(reply, got);
        if (code != 0)
            return code;
    }
    return -1;
}

int torctl_auth(int fd, char *reply, size_t cap, char *why, size_t whylen)
{
    struct torctl_auth a;
    if (torctl_cmd(fd, "PROTOCOLINFO 1\r\n", reply, cap) != 250 || torctl_parse_protocolinfo(reply, &a) != 0) {
        snprintf(why, whylen, "its PROTOCOLINFO answer could not be read");
        return -1;
    }
    char cmd[160] = "AUTHENTICATE\r\n";
    if (!(a.methods & TORCTL_AUTH_NULL)) {
        if (!(a.methods & (TORCTL_AUTH_COOKIE | TORCTL_AUTH_SAFECOOKIE)) || a.cookie_file[0] == '\0') {
            snprintf(why, whylen, "it wants a password; set CookieAuthentication 1 in torrc");
            return -1;
        }
        unsigned char cookie[32];
        int cfd = open(a.cookie_file, O_RDONLY | O_CLOEXEC);
        ssize_t n = cfd >= 0 ? read(cfd, cookie, sizeof(cookie)) : -1;
        int e = errno;
        if (cfd >= 0)
            close(cfd);
        if (n != (ssize_t)sizeof(cookie)) {
            cookie_advice(a.cookie_file, n < 0 ? e : 0, why, whylen);
            return -1;
        }
        size_t k = (size_t)snprintf(cmd, sizeof(cmd), "AUTHENTICATE ");
        for (size_t i = 0; i < sizeof(cookie); i++)
            k += (size_t)snprintf(cmd + k, sizeof(cmd) - k, "%02x", cookie[i]);
        snprintf(cmd + k, sizeof(cmd) - k, "\r\n");
    }
    if (torctl_cmd(fd, cmd, reply, cap) != 250) {
        snprintf(why, whylen, "it refused our authentication");
        return -1;
    }
    return 0;
}


int torctl_open(const struct sockaddr_storage *addr, socklen_t len, const char *name, char *reply,
                size_t cap, char *why, size_t whylen)
{
    char inner[600];
    int fd = torctl_connect_addr(addr, len);
    if (fd < 0) {
        snprintf(why, whylen, "Tor's control port %s does not answer (%s); set ControlPort %s and "
                 "CookieAuthentication 1 in torrc, or give --tor-control HOST:PORT", name,
                 strerror(errno), name);
        return -1;
    }
    if (torctl_auth(fd, reply, cap, inner, sizeof(inner)) != 0) {
        snprintf(why, whylen, "Tor's control port %s: %s", name, inner);
        close(fd);
        return -1;
    }
    return fd;
}
