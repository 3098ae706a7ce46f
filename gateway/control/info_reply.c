/* The control socket's `info json` reply, read back (info_reply.h): one
 * flat object of strings and non-negative integers, as reply_info in
 * control.c writes it. Just enough JSON for that, and strict about it;
 * and the string escaping every JSON torgate writes uses. */
#define _GNU_SOURCE
#include "control/info_reply.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char *skip_ws(const char *p)
{
    while (*p == ' ' || *p == '\t' || *p == '\n' || *p == '\r')
        p++;
    return p;
}

static int hex4(const char *p, unsigned *v)
{
    *v = 0;
    for (int i = 0; i < 4; i++) {
        char ch = p[i];
        unsigned d = ch >= '0' && ch <= '9' ? (unsigned)(ch - '0')
                   : ch >= 'a' && ch <= 'f' ? (unsigned)(ch - 'a' + 10)
                   : ch >= 'A' && ch <= 'F' ? (unsigned)(ch - 'A' + 10) : 16;
        if (d == 16)
            return -1;
        *v = *v * 16 + d;
    }
    return 0;
}

/* Appends k bytes to out (cap bytes, a NUL to follow); out NULL: skips them. */
static int put(const char *b, size_t k, char *out, size_t cap, size_t *n)
{
    if (out == NULL)
        return 0;
    if (*n + k >= cap)
        return -1;
    memcpy(out + *n, b, k);
    *n += k;
    return 0;
}

/* Appends code point u (no NUL, no surrogate) as UTF-8. */
static int put_utf8(unsigned u, char *out, size_t cap, size_t *n)
{
    char b[3];
    size_t k;
    if (u == 0 || (u >= 0xd800 && u <= 0xdfff))
        return -1;
    if (u < 0x80) {
        b[0] = (char)u;
        k = 1;
    } else if (u < 0x800) {
        b[0] = (char)(0xc0 | (u >> 6));
        b[1] = (char)(0x80 | (u & 0x3f));
        k = 2;
    } else {
        b[0] = (char)(0xe0 | (u >> 12));
        b[1] = (char)(0x80 | ((u >> 6) & 0x3f));
        b[2] = (char)(0x80 | (u & 0x3f));
        k = 3;
    }
    return put(b, k, out, cap, n);
}

/* A string at p (its opening quote), unescaped into out (NULL: skipped).
 * The position after its closing quote, or NULL. */
static const char *string_at(const char *p, char *out, size_t cap)
{
    size_t n = 0;
    if (*p++ != '"')
        return NULL;
    for (; *p != '"'; p++) {
        unsigned char ch = (unsigned char)*p;
        if (ch == '\0' || ch < 0x20)
            return NULL;                 /* unterminated, or a raw control character */
        if (ch == '\\') {
            p++;
            const char *simple = strchr("\"\\/bfnrt", *p);
            if (*p == 'u') {
                unsigned u;
                if (hex4(p + 1, &u) != 0 || put_utf8(u, out, cap, &n) != 0)
                    return NULL;
                p += 4;
                continue;
            }
            if (*p == '\0' || simple == NULL)
                return NULL;
            ch = (unsigned char)"\"\\/\b\f\n\r\t"[simple - "\"\\/bfnrt"];
        }
        char c1 = (char)ch;
        if (put(&c1, 1, out, cap, &n) != 0)
            return NULL;
    }
    if (out != NULL)
        out[n] = '\0';
    return p + 1;
}

/* A non-negative integer at p; the position after it, or NULL. */
static const char *count_at(const char *p, unsigned long long max, unsigned long long *v)
{
    char *end;
    if (*p < '0' || *p > '9' || (p[0] == '0' && p[1] >= '0' && p[1] <= '9'))
        return NULL;
    errno = 0;
    *v = strtoull(p, &end, 10);
    if (errno != 0 || *v > max || *end == '.' || *end == 'e' || *end == 'E')
        return NULL;
    return end;
}

/* Any value this object may hold that torgate does not know: a string, a
 * number, true, false or null. */
static const char *skip_value(const char *p)
{
    if (*p == '"')
        return string_at(p, NULL, 0);
    static const char *const words[] = { "true", "false", "null" };
    for (size_t i = 0; i < sizeof(words) / sizeof(words[0]); i++)
        if (strncmp(p, words[i], strlen(words[i])) == 0)
            return p + strlen(words[i]);
    const char *q = p + (*p == '-');
    if (*q < '0' || *q > '9')
        return NULL;                     /* an object or an array: not in this reply */
    while ((*q >= '0' && *q <= '9') || *q == '.' || *q == 'e' || *q == 'E' || *q == '+' || *q == '-')
        q++;
    return q;
}

struct field {
    const char *key;
    char *str;                   /* a string field, or NULL */
    size_t cap;
    unsigned long long *num;     /* an integer field, or NULL */
    unsigned long long max;
};

int info_reply_parse(const char *reply, struct info_reply *r)
{
    unsigned long long pid = 0, uptime = 0;
    int seen_name = 0, seen_pid = 0;
    memset(r, 0, sizeof(*r));
    const struct field fields[] = {
        { "name", r->name, sizeof(r->name), NULL, 0 },
        { "pid", NULL, 0, &pid, 0x7fffffff },
        { "mode", r->mode, sizeof(r->mode), NULL, 0 },
        { "target", r->target, sizeof(r->target), NULL, 0 },
        { "streams", NULL, 0, &r->streams, ~0ULL },
        { "bytes_up", NULL, 0, &r->bytes_up, ~0ULL },
        { "bytes_down", NULL, 0, &r->bytes_down, ~0ULL },
        { "uptime", NULL, 0, &uptime, 0x7fffffff },
        { "socks_user", r->socks_user, sizeof(r->socks_user), NULL, 0 },
        { "tor_control", r->tor_control, sizeof(r->tor_control), NULL, 0 },
    };
    const char *p = skip_ws(reply);
    if (*p++ != '{')
        return -1;
    p = skip_ws(p);
    if (*p == '}')
        return -1;                       /* name and pid are missing */
    for (;;) {
        char key[64];
        p = string_at(p, key, sizeof(key));
        if (p == NULL)
            return -1;
        p = skip_ws(p);
        if (*p++ != ':')
            return -1;
        p = skip_ws(p);
        const struct field *f = NULL;
        for (size_t i = 0; i < sizeof(fields) / sizeof(fields[0]); i++)
            if (strcmp(key, fields[i].key) == 0)
                f = &fields[i];
        if (f == NULL)
            p = skip_value(p);
        else if (f->str != NULL)
            p = *p == '"' ? string_at(p, f->str, f->cap) : NULL;
        else
            p = count_at(p, f->max, f->num);
        if (p == NULL)
            return -1;
        seen_name |= f == &fields[0];
        seen_pid |= f == &fields[1];
        p = skip_ws(p);
        if (*p == '}')
            break;
        if (*p++ != ',')
            return -1;
        p = skip_ws(p);
    }
    if (*skip_ws(p + 1) != '\0' || !seen_name || !seen_pid || pid == 0)
        return -1;
    r->pid = (long)pid;
    r->uptime = (long)uptime;
    return 0;
}

void info_reply_json_str(char *out, size_t cap, const char *s)
{
    size_t n = 0;
    for (; *s != '\0' && n + 7 < cap; s++) {
        unsigned char ch = (unsigned char)*s;
        if (ch == '"' || ch == '\\') {
            out[n++] = '\\';
            out[n++] = (char)ch;
        } else if (ch < 0x20) {
            n += (size_t)snprintf(out + n, cap - n, "\\u%04x", ch);
        } else {
            out[n++] = (char)ch;
        }
    }
    out[n] = '\0';
}
