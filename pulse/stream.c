/* One client's bytes through the sound filter (stream.h). Audio from the
 * client passes as it comes, after its descriptor is checked; a command is
 * read whole (at most PULSE_CONTROL_MAX) and passed or answered here. */
#include "pulse/stream.h"

#include <stdlib.h>
#include <string.h>

static int buf_put(struct pulse_buf *b, const void *p, size_t n)
{
    if (b->cap - b->len < n) {
        size_t cap = b->cap > 0 ? b->cap : 4096;
        while (cap - b->len < n)
            cap *= 2;
        uint8_t *q = realloc(b->p, cap);
        if (q == NULL)
            return -1;
        b->p = q;
        b->cap = cap;
    }
    if (n > 0)
        memcpy(b->p + b->len, p, n);
    b->len += n;
    return 0;
}

void pulse_buf_consume(struct pulse_buf *b, size_t n)
{
    if (n >= b->len) {
        b->len = 0;
        return;
    }
    memmove(b->p, b->p + n, b->len - n);
    b->len -= n;
}

static int fail(struct pulse_stream *s, const char *why)
{
    s->why = why;
    return -1;
}

/* The answers to refused commands, once the server's side is between two
 * packets (never inside one of the server's). */
static int answer_waiting(struct pulse_stream *s)
{
    uint8_t e[PULSE_ERROR_LEN];
    if (s->down.dlen != 0)
        return 0;
    for (int i = 0; i < s->nwaiting; i++) {
        pulse_error_packet(e, s->waiting[i], PULSE_ERR_ACCESS);
        if (buf_put(&s->to_client, e, sizeof(e)) != 0)
            return fail(s, "out of memory");
    }
    s->nwaiting = 0;
    return 0;
}

static int command_done(struct pulse_stream *s)
{
    uint32_t cmd = 0, tag = 0;
    switch (pulse_control_check(s->up.cmd.p, s->up.cmd.len, &cmd, &tag)) {
    case PULSE_PASS:
        if (buf_put(&s->to_server, s->up.desc, PULSE_DESC_LEN) != 0 ||
            buf_put(&s->to_server, s->up.cmd.p, s->up.cmd.len) != 0)
            return fail(s, "out of memory");
        return 0;
    case PULSE_REFUSE:
        if (s->on_refuse != NULL)
            s->on_refuse(cmd, s->arg);
        if (s->nwaiting == PULSE_MAX_WAITING)
            return fail(s, "too many refused commands unanswered");
        s->waiting[s->nwaiting++] = tag;
        return answer_waiting(s);
    case PULSE_MALFORMED:
        break;
    }
    return fail(s, "a malformed command");
}

/* Takes descriptor bytes into f; 1 when it is complete. */
static int take_desc(struct pulse_framing *f, const uint8_t **p, size_t *n)
{
    size_t m = PULSE_DESC_LEN - f->dlen < *n ? PULSE_DESC_LEN - f->dlen : *n;
    memcpy(f->desc + f->dlen, *p, m);
    f->dlen += m;
    *p += m;
    *n -= m;
    return f->dlen == PULSE_DESC_LEN;
}

int pulse_stream_from_client(struct pulse_stream *s, const uint8_t *p, size_t n)
{
    struct pulse_framing *f = &s->up;
    while (n > 0) {
        if (f->dlen < PULSE_DESC_LEN) {
            if (!take_desc(f, &p, &n))
                return 0;
            struct pulse_desc d;
            pulse_desc_parse(f->desc, &d);
            if (d.kind == PULSE_BAD)
                return fail(s, d.why);
            f->left = d.length;
            f->control = d.kind == PULSE_CONTROL;
            f->cmd.len = 0;
            if (!f->control && buf_put(&s->to_server, f->desc, PULSE_DESC_LEN) != 0)
                return fail(s, "out of memory");
        } else {
            size_t m = f->left < n ? f->left : n;
            if (buf_put(f->control ? &f->cmd : &s->to_server, p, m) != 0)
                return fail(s, "out of memory");
            f->left -= (uint32_t)m;
            p += m;
            n -= m;
        }
        if (f->left == 0) {
            if (f->control && command_done(s) != 0)
                return -1;
            f->dlen = 0;
        }
    }
    return 0;
}

int pulse_stream_from_server(struct pulse_stream *s, const uint8_t *p, size_t n)
{
    struct pulse_framing *f = &s->down;
    if (buf_put(&s->to_client, p, n) != 0)
        return fail(s, "out of memory");
    while (n > 0) {
        if (f->dlen < PULSE_DESC_LEN) {
            if (!take_desc(f, &p, &n))
                return 0;
            struct pulse_desc d;
            pulse_desc_parse_server(f->desc, &d);
            if (d.kind == PULSE_BAD)
                return fail(s, d.why);
            f->left = d.length;
        } else {
            size_t m = f->left < n ? f->left : n;
            f->left -= (uint32_t)m;
            p += m;
            n -= m;
        }
        if (f->left == 0) {
            f->dlen = 0;
            if (answer_waiting(s) != 0)
                return -1;
        }
    }
    return 0;
}

void pulse_stream_free(struct pulse_stream *s)
{
    free(s->up.cmd.p);
    free(s->down.cmd.p);
    free(s->to_server.p);
    free(s->to_client.p);
    memset(s, 0, sizeof(*s));
}
