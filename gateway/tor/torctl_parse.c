/* Tor control-protocol replies (control-spec.txt) that `torgate --check`
 * and `torgate circuits` read: pure functions over a reply, no I/O. */
#define _GNU_SOURCE
#include "tor/torctl_parse.h"

#include <arpa/inet.h>
#include <errno.h>
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

/* ---- circuit-status and stream-status lines ---------------------------- */

/* The next space-separated word of line[*pos..len) into out (cap bytes).
 * Returns its length, 0 at the end, or -1 if it does not fit. A quoted
 * value (KEY="...") keeps its quotes and may hold spaces. */
static long word(const char *line, size_t len, size_t *pos, char *out, size_t cap)
{
    size_t i = *pos;
    while (i < len && line[i] == ' ')
        i++;
    size_t start = i;
    int quoted = 0;
    for (; i < len && (quoted || line[i] != ' '); i++) {
        if (line[i] == '"')
            quoted = !quoted;
        else if (line[i] == '\\' && quoted && i + 1 < len)
            i++;
    }
    if (quoted || i - start >= cap)
        return -1;
    memcpy(out, line + start, i - start);
    out[i - start] = '\0';
    *pos = i;
    return (long)(i - start);
}

static int parse_id(const char *w, unsigned long *id)
{
    char *end;
    if (w[0] < '0' || w[0] > '9')
        return -1;
    errno = 0;
    *id = strtoul(w, &end, 10);
    return *end == '\0' && errno == 0 ? 0 : -1;
}

static int is_status(const char *w)
{
    if (w[0] == '\0')
        return 0;
    for (const char *p = w; *p != '\0'; p++)
        if (!((*p >= 'A' && *p <= 'Z') || *p == '_'))
            return 0;
    return 1;
}

/* "ID STATUS", the start of both kinds of line, into *id and status. */
static int parse_head(const char *line, size_t len, size_t *pos, unsigned long *id,
                      char *status, size_t cap)
{
    char w[32];
    if (word(line, len, pos, w, sizeof(w)) <= 0 || parse_id(w, id) != 0)
        return -1;
    long n = word(line, len, pos, w, sizeof(w));
    if (n <= 0 || !is_status(w) || (size_t)n >= cap)
        return -1;
    memcpy(status, w, (size_t)n + 1);
    return 0;
}

static int parse_hop(const char *h, size_t n, struct torctl_hop *hop)
{
    memset(hop, 0, sizeof(*hop));
    if (n < 41 || h[0] != '$')
        return -1;
    for (size_t i = 1; i <= 40; i++) {
        char ch = h[i];
        if (!((ch >= '0' && ch <= '9') || (ch >= 'A' && ch <= 'F') || (ch >= 'a' && ch <= 'f')))
            return -1;
        hop->fingerprint[i - 1] = ch >= 'a' ? (char)(ch - 'a' + 'A') : ch;
    }
    if (n == 41)
        return 0;
    /* ~Nickname (or = for a relay whose name is bound): 1-19 alphanumerics. */
    size_t nick = n - 42;
    if ((h[41] != '~' && h[41] != '=') || nick < 1 || nick >= sizeof(hop->nickname))
        return -1;
    for (size_t i = 42; i < n; i++)
        if (!((h[i] >= '0' && h[i] <= '9') || (h[i] >= 'A' && h[i] <= 'Z') || (h[i] >= 'a' && h[i] <= 'z')))
            return -1;
    memcpy(hop->nickname, h + 42, nick);
    return 0;
}

static int parse_path(const char *w, struct torctl_circuit *c)
{
    for (const char *p = w; *p != '\0';) {
        size_t n = strcspn(p, ",");
        if (c->nhops == TORCTL_HOPS_MAX || parse_hop(p, n, &c->hops[c->nhops]) != 0)
            return -1;
        c->nhops++;
        p += n;
        if (*p == ',' && *++p == '\0')
            return -1;           /* a trailing comma */
    }
    return 0;
}

/* KEY=VALUE: the value copied (unquoted if quoted) when key matches. */
static int keyval(const char *w, const char *key, char *out, size_t cap, int *found)
{
    size_t k = strlen(key);
    if (strncmp(w, key, k) != 0 || w[k] != '=')
        return 0;
    const char *v = w + k + 1;
    *found = 1;
    if (*v == '"') {
        const char *end = unquote(v + 1, out, cap);
        return end != NULL && *end == '\0' ? 0 : -1;
    }
    size_t n = strlen(v);
    if (n >= cap)
        return -1;
    memcpy(out, v, n + 1);
    return 0;
}

int torctl_parse_circuit(const char *line, size_t len, struct torctl_circuit *c)
{
    char w[1024];
    size_t pos = 0;
    memset(c, 0, sizeof(*c));
    if (parse_head(line, len, &pos, &c->id, c->status, sizeof(c->status)) != 0)
        return -1;
    long n;
    int first = 1;
    while ((n = word(line, len, &pos, w, sizeof(w))) > 0) {
        if (first && w[0] == '$') {
            if (parse_path(w, c) != 0)
                return -1;
            first = 0;
            continue;
        }
        first = 0;
        if (strchr(w, '=') == NULL)
            return -1;
        int seen = 0;
        if (keyval(w, "PURPOSE", c->purpose, sizeof(c->purpose), &seen) != 0 ||
            keyval(w, "BUILD_FLAGS", c->build_flags, sizeof(c->build_flags), &seen) != 0 ||
            keyval(w, "SOCKS_USERNAME", c->socks_username, sizeof(c->socks_username), &c->has_socks) != 0 ||
            keyval(w, "SOCKS_PASSWORD", c->socks_password, sizeof(c->socks_password), &seen) != 0)
            return -1;
    }
    return n < 0 ? -1 : 0;
}

int torctl_parse_stream(const char *line, size_t len, struct torctl_stream *s)
{
    char w[512];
    size_t pos = 0;
    memset(s, 0, sizeof(*s));
    if (parse_head(line, len, &pos, &s->id, s->status, sizeof(s->status)) != 0)
        return -1;
    if (word(line, len, &pos, w, sizeof(w)) <= 0 || parse_id(w, &s->circuit) != 0)
        return -1;
    /* host:port, the host an address ([v6] too) or a name. */
    long n = word(line, len, &pos, w, sizeof(w));
    const char *colon = n > 0 ? strrchr(w, ':') : NULL;
    unsigned long port;
    if (colon == NULL || colon == w || parse_id(colon + 1, &port) != 0 || port > 65535 ||
        (size_t)n >= sizeof(s->target))
        return -1;
    memcpy(s->target, w, (size_t)n + 1);
    /* Tor may append SOURCE_ADDR=, PURPOSE= and more: ignored. */
    while ((n = word(line, len, &pos, w, sizeof(w))) > 0)
        if (strchr(w, '=') == NULL)
            return -1;
    return n < 0 ? -1 : 0;
}

/* ---- whole replies and GETINFO values ---------------------------------- */

/* The line at buf[*pos..len) up to its LF: its start and length without
 * CR LF; *pos moves past it. NULL when no whole line is left. */
static const char *next_line(const char *buf, size_t len, size_t *pos, size_t *n)
{
    const char *l = buf + *pos;
    const char *nl = *pos < len ? memchr(l, '\n', len - *pos) : NULL;
    if (nl == NULL)
        return NULL;
    *n = (size_t)(nl - l);
    if (*n > 0 && l[*n - 1] == '\r')
        (*n)--;
    *pos = (size_t)(nl - buf) + 1;
    return l;
}

/* "NNN" and a separator ('-', '+' or ' '): the code, or -1. */
static int reply_code(const char *l, size_t n, char *sep)
{
    if (n < 4 || l[0] < '1' || l[0] > '9' || l[1] < '0' || l[1] > '9' || l[2] < '0' || l[2] > '9' ||
        (l[3] != '-' && l[3] != '+' && l[3] != ' '))
        return -1;
    *sep = l[3];
    return (l[0] - '0') * 100 + (l[1] - '0') * 10 + (l[2] - '0');
}

int torctl_parse_end(const char *buf, size_t len)
{
    size_t pos = 0, n;
    int data = 0;
    const char *l;
    while ((l = next_line(buf, len, &pos, &n)) != NULL) {
        char sep;
        if (data) {
            data = !(n == 1 && l[0] == '.');
            continue;
        }
        int code = reply_code(l, n, &sep);
        if (code < 0)
            return -1;
        if (sep == '+')
            data = 1;
        else if (sep == ' ')
            return code;
    }
    return 0;
}

int torctl_parse_getinfo(const char *reply, const char *key,
                         void (*fn)(void *ctx, const char *line, size_t len), void *ctx)
{
    size_t len = strlen(reply), klen = strlen(key), pos = 0, n;
    const char *l;
    while ((l = next_line(reply, len, &pos, &n)) != NULL) {
        char sep;
        int code = reply_code(l, n, &sep);
        if (code < 0)
            return -1;
        int ours = code == 250 && n > 4 + klen && memcmp(l + 4, key, klen) == 0 && l[4 + klen] == '=';
        const char *v = l + 5 + klen;
        size_t vlen = ours ? n - 5 - klen : 0;
        if (sep != '+') {
            if (ours && vlen > 0)
                fn(ctx, v, vlen);
            if (ours)
                return vlen > 0 ? 1 : 0;
            continue;
        }
        if (ours && vlen > 0)
            return -1;                   /* "250+key=" stands alone on its line */
        int count = 0;
        for (;;) {
            const char *d = next_line(reply, len, &pos, &n);
            if (d == NULL)
                return -1;               /* the block never ends */
            if (n == 1 && d[0] == '.')
                break;
            if (d[0] == '.') {           /* "..": a line that began with a dot */
                d++;
                n--;
            }
            if (ours) {
                fn(ctx, d, n);
                count++;
            }
        }
        if (ours)
            return count;
    }
    return -1;
}

struct ns_search {
    const char *line;
    size_t len;
};

static void ns_line(void *ctx, const char *line, size_t len)
{
    struct ns_search *s = ctx;
    if (s->line == NULL && len > 2 && line[0] == 'r' && line[1] == ' ') {
        s->line = line;
        s->len = len;
    }
}

static int all_digits(const char *w, unsigned long max, unsigned long *v)
{
    char *end;
    if (w[0] < '0' || w[0] > '9')
        return -1;
    errno = 0;
    *v = strtoul(w, &end, 10);
    return *end == '\0' && errno == 0 && *v <= max ? 0 : -1;
}

int torctl_parse_ns(const char *reply, const char *fingerprint, struct torctl_ns *ns)
{
    char key[64], words[9][64], extra[1];
    struct ns_search s = { NULL, 0 };
    memset(ns, 0, sizeof(*ns));
    if ((size_t)snprintf(key, sizeof(key), "ns/id/%s", fingerprint) >= sizeof(key) ||
        torctl_parse_getinfo(reply, key, ns_line, &s) <= 0 || s.line == NULL)
        return -1;
    /* r Nickname Identity [Digest] Date Time IP ORPort DirPort: 8 or 9 words. */
    size_t pos = 0;
    int nw = 0;
    long w;
    while (nw < 9 && (w = word(s.line, s.len, &pos, words[nw], sizeof(words[nw]))) > 0)
        nw++;
    if (nw < 8 || word(s.line, s.len, &pos, extra, sizeof(extra)) != 0)
        return -1;                       /* too few words, or one too many or too long */
    size_t nick = strlen(words[1]);
    if (nick < 1 || nick >= sizeof(ns->nickname))
        return -1;
    for (size_t i = 0; i < nick; i++)
        if (!((words[1][i] >= '0' && words[1][i] <= '9') || (words[1][i] >= 'A' && words[1][i] <= 'Z') ||
              (words[1][i] >= 'a' && words[1][i] <= 'z')))
            return -1;
    struct in_addr a;
    unsigned long orport, dirport;
    if (inet_pton(AF_INET, words[nw - 3], &a) != 1 || all_digits(words[nw - 2], 65535, &orport) != 0 ||
        orport == 0 || all_digits(words[nw - 1], 65535, &dirport) != 0)
        return -1;
    memcpy(ns->nickname, words[1], nick + 1);
    snprintf(ns->address, sizeof(ns->address), "%s", words[nw - 3]);
    ns->or_port = (unsigned)orport;
    return 0;
}

struct one_value {
    char text[8];
    int too_long;
};

static void country_line(void *ctx, const char *line, size_t len)
{
    struct one_value *v = ctx;
    if (len >= sizeof(v->text)) {
        v->too_long = 1;
        return;
    }
    memcpy(v->text, line, len);
    v->text[len] = '\0';
}

int torctl_parse_country(const char *reply, const char *ip, char cc[3])
{
    char key[80];
    struct one_value v = { "", 0 };
    cc[0] = '\0';
    if ((size_t)snprintf(key, sizeof(key), "ip-to-country/%s", ip) >= sizeof(key) ||
        torctl_parse_getinfo(reply, key, country_line, &v) != 1 || v.too_long || strlen(v.text) != 2)
        return -1;
    if (strcmp(v.text, "??") == 0)
        return 0;
    for (int i = 0; i < 2; i++) {
        char ch = v.text[i];
        if (!((ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') || (ch >= '0' && ch <= '9')))
            return -1;
        v.text[i] = ch >= 'A' && ch <= 'Z' ? (char)(ch - 'A' + 'a') : ch;
    }
    memcpy(cc, v.text, 3);
    return 0;
}
