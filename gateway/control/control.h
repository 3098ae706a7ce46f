/* The control socket of a running torgate (control.c) and the commands
 * that talk to it (control_client.c): ls, stats, stop, new-identity. */
#ifndef TORGATE_CONTROL_H
#define TORGATE_CONTROL_H

#include <stddef.h>

#include "config/config.h"

struct control;
struct loop;

/* Where control sockets live: /run/torgate for root, else
 * $XDG_RUNTIME_DIR/torgate. -1 (err says why) when there is no such place. */
int control_dir(char *dir, size_t cap, char *err, size_t errlen);

/* Makes that directory now (mode 0700), so that a sandbox made next can
 * hide it. 0 and its path, or -1 (no control sockets here). */
int control_prepare_dir(char *dir, size_t cap);

/* Before confinement: makes the control socket (mode 0600 in a 0700
 * directory) named after cfg->name or what torgate serves. Returns NULL
 * with err set when that must stop torgate (a --name already running),
 * NULL with err empty when there can be no control socket (said once). */
struct control *control_open(const struct tg_config *cfg, char *err, size_t errlen);
const char *control_name(const struct control *c);
const char *control_path_dir(const struct control *c);
/* Serves it from the loop. */
int control_start(struct control *c, struct loop *l);
/* After control_start, for a sandbox torgate made: ctl, the gateway's end
 * of the socketpair to its PID 1, which `torgate exec` requests go over;
 * taken (closed by control_close) even on failure. 0, or -1 (said: exec
 * will not work, nothing else is lost). */
int control_exec_attach(struct control *c, int ctl);
/* Removes the socket (the confined gateway may remove files there only). */
void control_close(struct control *c);

/* `torgate ls|stats|stop|new-identity ...`: argv[0] is the verb. Returns
 * the exit status. */
int control_client_main(int argc, char **argv);
/* Whether argv[1] names one of those verbs. */
int control_is_verb(const char *arg);
/* The socket of the torgate called name, into path; 0, or the exit status
 * for a bad name or no control directory (said on stderr). */
int control_client_path(const char *verb, const char *name, char *path, size_t cap);
/* A connection to the control socket at path: the fd, -2 when no torgate
 * answers there (a stale socket is removed), -1 on another error (errno). */
int control_client_connect(const char *path);

#endif
