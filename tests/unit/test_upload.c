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

static void test_order_per_stream(void **state)
{
    (void)state;
    struct event_base *base = event_base_new();
    struct upload *u = upload_new(base, &ops);
    struct owner a, b;
    owner_init(&a);
    owner_init(&b);
    released = 0;
    stage(u, &a, "one ");
    stage(u, &b, "alpha ");
    stage(u, &a, "two ");
    stage(u, &b, "beta");
    stage(u, &a, "three");
    assert_int_equal(upload_staged(u), 4 + 6 + 4 + 4 + 5);
    /* Nothing is sent before the loop turns... */
    char buf[64];
    assert_int_equal(drain(&a, buf, sizeof(buf)), 0);
    /* ...and then all of it, each stream's in its order, by itself. */
    assert_true(event_base_loop(base, EVLOOP_NONBLOCK) >= 0);
    size_t n = drain(&a, buf, sizeof(buf));
    assert_int_equal(n, 13);
    assert_memory_equal(buf, "one two three", 13);
    n = drain(&b, buf, sizeof(buf));
    assert_int_equal(n, 10);
    assert_memory_equal(buf, "alpha beta", 10);
    assert_int_equal(a.sent, 13);
    assert_int_equal(b.sent, 10);
    assert_int_equal(released, 5);
    assert_int_equal(upload_staged(u), 0);
    upload_free(u);
    owner_fini(&a);
    owner_fini(&b);
    event_base_free(base);
}

static void test_full_socket_gives_back_the_rest(void **state)
{
    (void)state;
    struct event_base *base = event_base_new();
    struct upload *u = upload_new(base, &ops);
    struct owner a;
    owner_init(&a);
    int small = 4096;
    assert_int_equal(setsockopt(a.fd[0], SOL_SOCKET, SO_SNDBUF, &small, sizeof(small)), 0);
    released = 0;
    /* More than the socket takes, in segments of a known pattern. */
    static char text[64][1025];
    for (int i = 0; i < 64; i++) {
        for (int j = 0; j < 1024; j++)
            text[i][j] = (char)('a' + (i * 7 + j) % 26);
        text[i][1024] = 0;
        stage(u, &a, text[i]);
    }
    upload_flush(u);
    assert_true(a.sent > 0 && a.sent < 64 * 1024);
    assert_int_equal(a.sent + a.rest_len, 64 * 1024);
    assert_int_equal(released, 64);      /* sent ones released, the rest kept */
    /* What the socket has, then what came back, is the whole in order. */
    static char all[64 * 1024], got[64 * 1024];
    for (int i = 0; i < 64; i++)
        memcpy(all + i * 1024, text[i], 1024);
    size_t n = 0, k;
    while ((k = drain(&a, got + n, sizeof(got) - n)) > 0)
        n += k;
    assert_int_equal(n, a.sent);
    memcpy(got + n, a.rest, a.rest_len);
    assert_memory_equal(got, all, sizeof(all));
    upload_free(u);
    owner_fini(&a);
    event_base_free(base);
}

static void test_refused_rest_is_released(void **state)
{
    (void)state;
    struct event_base *base = event_base_new();
    struct upload *u = upload_new(base, &ops);
    struct owner a;
    owner_init(&a);
    a.refuse_rest = 1;
    close(a.fd[1]);                      /* the peer is gone: nothing is taken */
    a.fd[1] = -1;
    released = 0;
    stage(u, &a, "lost ");
    stage(u, &a, "bytes");
    upload_flush(u);
    /* The owner could not keep them: asked once, then every buffer freed. */
    assert_int_equal(a.rest_calls, 1);
    assert_int_equal(released, 2);
    assert_int_equal(a.sent, 0);
    upload_free(u);
    close(a.fd[0]);
    event_base_free(base);
}

static void test_drop_and_flush_owner(void **state)
{
    (void)state;
    struct event_base *base = event_base_new();
    struct upload *u = upload_new(base, &ops);
    struct owner a, b;
    owner_init(&a);
    owner_init(&b);
    released = 0;
    stage(u, &a, "keep");
    stage(u, &b, "gone");
    stage(u, &a, " this");
    upload_drop(u, &b);
    assert_int_equal(released, 1);
    assert_int_equal(upload_staged(u), 9);
    upload_flush_owner(u, &a);           /* before a FIN, say */
    char buf[32];
    assert_int_equal(drain(&a, buf, sizeof(buf)), 9);
    assert_memory_equal(buf, "keep this", 9);
    assert_true(event_base_loop(base, EVLOOP_NONBLOCK) >= 0);
    assert_int_equal(drain(&b, buf, sizeof(buf)), 0);
    assert_int_equal(released, 3);
    /* Staged and never flushed: freeing the stage releases it. */
    stage(u, &b, "left");
    upload_free(u);
    assert_int_equal(released, 4);
    owner_fini(&a);
    owner_fini(&b);
    event_base_free(base);
}

static void test_full_stage_sends_at_once(void **state)
{
    (void)state;
    struct event_base *base = event_base_new();
    struct upload *u = upload_new(base, &ops);
    struct owner a;
    owner_init(&a);
    released = 0;
    for (int i = 0; i < UPLOAD_SLOTS + 3; i++)
        stage(u, &a, "x");
    /* The stage holds UPLOAD_SLOTS segments: the first ones already left. */
    char buf[UPLOAD_SLOTS + 8];
    assert_int_equal(drain(&a, buf, sizeof(buf)), UPLOAD_SLOTS);
    assert_int_equal(upload_staged(u), 3);
    assert_true(event_base_loop(base, EVLOOP_NONBLOCK) >= 0);
    assert_int_equal(drain(&a, buf, sizeof(buf)), 3);
    assert_int_equal(released, UPLOAD_SLOTS + 3);
    upload_free(u);
    owner_fini(&a);
    event_base_free(base);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_order_per_stream),
        cmocka_unit_test(test_full_socket_gives_back_the_rest),
        cmocka_unit_test(test_refused_rest_is_released),
        cmocka_unit_test(test_drop_and_flush_owner),
        cmocka_unit_test(test_full_stage_sends_at_once),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
