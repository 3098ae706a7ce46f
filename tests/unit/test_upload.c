/* Unit tests for the upload stage (gateway/serve/upload.c): each stream's
 * bytes reach its socket in order in one sendmsg, streams staged between
 * each other stay apart, what a full socket does not take goes back to the
 * stream in order (the first piece cut where the socket stopped), a
 * dropped stream's buffers are released unsent, and the flush runs by
 * itself in the loop turn after the first segment is staged. Real sockets
 * (socketpairs), a real event base. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <event2/event.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "serve/upload.h"

struct owner {
    int fd[2];                  /* [0] staged for, [1] read here */
    size_t sent;
    char rest[1 << 16];
    size_t rest_len;
    int rest_calls, refuse_rest;
};

static int released;

static void on_sent(void *o, size_t n) { ((struct owner *)o)->sent += n; }

static int on_rest(void *o, const void *data, size_t len, void *hold)
{
    struct owner *w = o;
    w->rest_calls++;
    if (w->refuse_rest)
        return -1;
    assert_true(w->rest_len + len <= sizeof(w->rest));
    memcpy(w->rest + w->rest_len, data, len);
    w->rest_len += len;
    free(hold);                 /* the owner keeps it: here, done with it */
    released++;
    return 0;
}

static void on_release(void *hold)
{
    free(hold);
    released++;
}

static const struct upload_ops ops = { on_sent, on_rest, on_release };

static void owner_init(struct owner *w)
{
    memset(w, 0, sizeof(*w));
    assert_int_equal(socketpair(AF_UNIX, SOCK_STREAM, 0, w->fd), 0);
}

static void owner_fini(struct owner *w)
{
    close(w->fd[0]);
    close(w->fd[1]);
}

/* A segment in a buffer of its own (the hold), as lwIP's pbufs are. */
static void stage(struct upload *u, struct owner *w, const char *text)
{
    size_t n = strlen(text);
    char *seg = malloc(n);
    assert_non_null(seg);
    memcpy(seg, text, n);
    upload_add(u, w, w->fd[0], seg, n, seg);
}

static size_t drain(struct owner *w, char *buf, size_t cap)
{
    ssize_t n = recv(w->fd[1], buf, cap, MSG_DONTWAIT);
    return n > 0 ? (size_t)n : 0;
}

/* Each test: a fresh event base and stage, two streams with sockets. */
struct fixture {
    struct event_base *base;
    struct upload *u;
    struct owner a, b;
};

static int setup(void **state)
{
    struct fixture *f = calloc(1, sizeof(*f));
    if (f == NULL || (f->base = event_base_new()) == NULL ||
        (f->u = upload_new(f->base, &ops)) == NULL)
        return -1;
    owner_init(&f->a);
    owner_init(&f->b);
    released = 0;
    *state = f;
    return 0;
}

static int teardown(void **state)
{
    struct fixture *f = *state;
    upload_free(f->u);
    owner_fini(&f->a);
    owner_fini(&f->b);
    event_base_free(f->base);
    free(f);
    return 0;
}

static void test_order_per_stream(void **state)
{
    struct fixture *f = *state;
    struct upload *u = f->u;
    stage(u, &f->a, "one ");
    stage(u, &f->b, "alpha ");
    stage(u, &f->a, "two ");
    stage(u, &f->b, "beta");
    stage(u, &f->a, "three");
    assert_int_equal(upload_staged(u), 4 + 6 + 4 + 4 + 5);
    /* Nothing is sent before the loop turns... */
    char buf[64];
    assert_int_equal(drain(&f->a, buf, sizeof(buf)), 0);
    /* ...and then all of it, each stream's in its order, by itself. */
    assert_true(event_base_loop(f->base, EVLOOP_NONBLOCK) >= 0);
    size_t n = drain(&f->a, buf, sizeof(buf));
    assert_int_equal(n, 13);
    assert_memory_equal(buf, "one two three", 13);
    n = drain(&f->b, buf, sizeof(buf));
    assert_int_equal(n, 10);
    assert_memory_equal(buf, "alpha beta", 10);
    assert_int_equal(f->a.sent, 13);
    assert_int_equal(f->b.sent, 10);
    assert_int_equal(released, 5);
    assert_int_equal(upload_staged(u), 0);
}

static void test_full_socket_gives_back_the_rest(void **state)
{
    struct fixture *f = *state;
    struct upload *u = f->u;
    int small = 4096;
    assert_int_equal(setsockopt(f->a.fd[0], SOL_SOCKET, SO_SNDBUF, &small, sizeof(small)), 0);
    /* More than the socket takes, in segments of a known pattern. */
    static char text[64][1025];
    for (int i = 0; i < 64; i++) {
        for (int j = 0; j < 1024; j++)
            text[i][j] = (char)('a' + (i * 7 + j) % 26);
        text[i][1024] = 0;
        stage(u, &f->a, text[i]);
    }
    upload_flush(u);
    assert_true(f->a.sent > 0 && f->a.sent < 64 * 1024);
    assert_int_equal(f->a.sent + f->a.rest_len, 64 * 1024);
    assert_int_equal(released, 64);      /* sent ones released, the rest kept */
    /* What the socket has, then what came back, is the whole in order. */
    static char all[64 * 1024], got[64 * 1024];
    for (int i = 0; i < 64; i++)
        memcpy(all + i * 1024, text[i], 1024);
    size_t n = 0, k;
    while ((k = drain(&f->a, got + n, sizeof(got) - n)) > 0)
        n += k;
    assert_int_equal(n, f->a.sent);
    memcpy(got + n, f->a.rest, f->a.rest_len);
    assert_memory_equal(got, all, sizeof(all));
}

static void test_refused_rest_is_released(void **state)
{
    struct fixture *f = *state;
    struct upload *u = f->u;
    f->a.refuse_rest = 1;
    close(f->a.fd[1]);                      /* the peer is gone: nothing is taken */
    f->a.fd[1] = -1;
    stage(u, &f->a, "lost ");
    stage(u, &f->a, "bytes");
    upload_flush(u);
    /* The owner could not keep them: asked once, then every buffer freed. */
    assert_int_equal(f->a.rest_calls, 1);
    assert_int_equal(released, 2);
    assert_int_equal(f->a.sent, 0);
}

static void test_drop_and_flush_owner(void **state)
{
    struct fixture *f = *state;
    struct upload *u = f->u;
    stage(u, &f->a, "keep");
    stage(u, &f->b, "gone");
    stage(u, &f->a, " this");
    upload_drop(u, &f->b);
    assert_int_equal(released, 1);
    assert_int_equal(upload_staged(u), 9);
    upload_flush_owner(u, &f->a);           /* before a FIN, say */
    char buf[32];
    assert_int_equal(drain(&f->a, buf, sizeof(buf)), 9);
    assert_memory_equal(buf, "keep this", 9);
    assert_true(event_base_loop(f->base, EVLOOP_NONBLOCK) >= 0);
    assert_int_equal(drain(&f->b, buf, sizeof(buf)), 0);
    assert_int_equal(released, 3);
    /* Staged and never flushed: freeing the stage releases it. */
    stage(u, &f->b, "left");
    upload_free(u);
    f->u = NULL;
    assert_int_equal(released, 4);
}

static void test_full_stage_sends_at_once(void **state)
{
    struct fixture *f = *state;
    struct upload *u = f->u;
    for (int i = 0; i < UPLOAD_SLOTS + 3; i++)
        stage(u, &f->a, "x");
    /* The stage holds UPLOAD_SLOTS segments: the first ones already left. */
    char buf[UPLOAD_SLOTS + 8];
    assert_int_equal(drain(&f->a, buf, sizeof(buf)), UPLOAD_SLOTS);
    assert_int_equal(upload_staged(u), 3);
    assert_true(event_base_loop(f->base, EVLOOP_NONBLOCK) >= 0);
    assert_int_equal(drain(&f->a, buf, sizeof(buf)), 3);
    assert_int_equal(released, UPLOAD_SLOTS + 3);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_order_per_stream, setup, teardown),
        cmocka_unit_test_setup_teardown(test_full_socket_gives_back_the_rest, setup, teardown),
        cmocka_unit_test_setup_teardown(test_refused_rest_is_released, setup, teardown),
        cmocka_unit_test_setup_teardown(test_drop_and_flush_owner, setup, teardown),
        cmocka_unit_test_setup_teardown(test_full_stage_sends_at_once, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
