/* Tor control-protocol replies (control-spec.txt) that `torgate --check`
 * reads: pure functions over a NUL-terminated reply, no I/O. */
#define _GNU_SOURCE
#include "tor/torctl_parse.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* A QuotedString at s (after its opening quote): copies it unescaped into
 * out; returns the position after the closing quote, or NULL. */
static const char *unquote(const char *s, char *out, size_t cap)
{
    size_t n = 0;
    for (; *s != '\0' && *s != '"'; s++) {
        char ch = *s;
        if (ch == '\\') {
            s++;
            if (*s == '\0')
                return NULL;
            ch = *s == 'n' ? '\n' : *s == 't' ? '\t' : *s;
        }
        if (n + 1 >= cap)
            return NULL;
        out[n++] = ch;
    }
    if (*s != '"')
        return NULL;
    out[n] = '\0';
    return s + 1;
}

int torctl_parse_protocolinfo(const char *reply, struct torctl_auth *a)
{
    memset(a, 0, sizeof(*a));
    const char *p = strstr(reply, "250-AUTH METHODS=");
    if (p == NULL)
        return -1;
    p += strlen("250-AUTH METHODS=");
    size_t len = strcspn(p, " \r\n");
    char methods[128];
    if (len == 0 || len >= sizeof(methods))
        return -1;
    memcpy(methods, p, len);
    methods[len] = '\0';
    for (char *save = NULL, *m = strtok_r(methods, ",", &save); m != NULL; m = strtok_r(NULL, ",", &save)) {
        if (strcmp(m, "NULL") == 0)
            a->methods |= TORCTL_AUTH_NULL;
        else if (strcmp(m, "COOKIE") == 0)
            a->methods |= TORCTL_AUTH_COOKIE;
        else if (strcmp(m, "SAFECOOKIE") == 0)
            a->methods |= TORCTL_AUTH_SAFECOOKIE;
        else if (strcmp(m, "HASHEDPASSWORD") == 0)
            a->methods |= TORCTL_AUTH_PASSWORD;
    }
    const char *eol = p + strcspn(p, "\r\n");
    const char *cf = strstr(p, " COOKIEFILE=\"");
    if (cf != NULL && cf < eol &&
        unquote(cf + strlen(" COOKIEFILE=\""), a->cookie_file, sizeof(a->cookie_file)) == NULL)
        return -1;
    return a->methods == 0 ? -1 : 0;
}

int torctl_parse_bootstrap(const char *reply, int *progress, char *summary, size_t cap)
{
    const char *p = strstr(reply, "status/bootstrap-phase=");
    if (p == NULL)
        return -1;
    const char *eol = p + strcspn(p, "\r\n");
    const char *pr = strstr(p, " PROGRESS=");
    if (pr == NULL || pr > eol)
        return -1;
    char *end;
    long v = strtol(pr + strlen(" PROGRESS="), &end, 10);
    if (end == pr + strlen(" PROGRESS=") || v < 0 || v > 100)
        return -1;
    *progress = (int)v;
    if (cap > 0) {
        summary[0] = '\0';
        const char *sm = strstr(p, " SUMMARY=\"");
        if (sm != NULL && sm < eol && unquote(sm + strlen(" SUMMARY=\""), summary, cap) == NULL)
            summary[0] = '\0';
    }
    return 0;
}

/* The port of a SocksPort value's first word: "9050", "127.0.0.1:9050",
 * "[::1]:9050", "unix:..." (0), "auto" (0). */
static unsigned word_port(const char *w, size_t len)
{
    char buf[128];
    if (len == 0 || len >= sizeof(buf))
        return 0;
    memcpy(buf, w, len);
    buf[len] = '\0';
    if (strncmp(buf, "unix:", 5) == 0)
        return 0;
    const char *colon = strrchr(buf, ':');
    const char *num = colon != NULL ? colon + 1 : buf;
    char *end;
    long v = strtol(num, &end, 10);
    return *num != '\0' && *end == '\0' && v > 0 && v < 65536 ? (unsigned)v : 0;
}

int torctl_parse_socksport(const char *reply, unsigned port, struct torctl_socksport *sp)
{
    memset(sp, 0, sizeof(*sp));
    for (const char *line = reply; *line != '\0';) {
        const char *eol = line + strcspn(line, "\r\n");
        const char *v = NULL;
        if (eol - line > 4 && strncmp(line, "250", 3) == 0 && (line[3] == '-' || line[3] == ' ') &&
            strncmp(line + 4, "SocksPort=", 10) == 0)
            v = line + 14;
        if (v != NULL && word_port(v, strcspn(v, " \r\n")) == port) {
            sp->found = 1;
            sp->isolate_auth = 1;            /* Tor's default */
            for (const char *f = v + strcspn(v, " \r\n"); f < eol;) {
                f += strspn(f, " ");
                size_t n = strcspn(f, " \r\n");
                if (n == 14 && strncmp(f, "ExtendedErrors", 14) == 0)
                    sp->extended_errors = 1;
                else if (n == 18 && strncmp(f, "NoIsolateSOCKSAuth", 18) == 0)
                    sp->isolate_auth = 0;
                f += n;
            }
            return 0;
        }
        line = eol + strspn(eol, "\r\n");
    }
    return 0;
}
