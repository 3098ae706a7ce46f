/* The gateway's single-threaded libevent loop: it owns the TUN fd, lwIP's
 * timers, every stream, the signals and the sandbox's exit. */
#ifndef TORGATE_LOOP_H
#define TORGATE_LOOP_H

#include <sys/types.h>
#include "config/config.h"

struct loop;

struct sandbox;

/* sb: the sandbox, whose exit ends the loop and to which signals are
 * forwarded; NULL in --tun-fd mode, where SIGINT/SIGTERM/SIGHUP or the TUN
 * going away end it. The signals in loop_signals() must already be
 * blocked. NULL on failure (logged). */
struct loop *loop_new(const struct tg_config *cfg, int tun_fd, const struct sandbox *sb);
/* Runs until the end; returns torgate's exit code. */
int loop_run(struct loop *l);
void loop_free(struct loop *l);

struct stats_view;
struct relay;
struct event_base;

/* The counters, as they stand (stats.c formats them). */
void loop_stats_view(const struct loop *l, struct stats_view *v);
/* Stops as SIGTERM would: the command gets SIGTERM; with no command the
 * loop ends (exit 0). */
void loop_stop(struct loop *l);
/* New streams use a fresh SOCKS credential (relay and DNS stub); 0 or -1. */
int loop_new_identity(struct loop *l, int close_streams);
/* The SOCKS username new streams use ("torgate-" and 32 hex digits). */
const char *loop_socks_user(const struct loop *l);
struct event_base *loop_base(struct loop *l);

/* The signals the loop handles (to block before creating the sandbox). */
void loop_signals(sigset_t *set);

#endif
