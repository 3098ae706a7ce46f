/* --socket pulseaudio: the command's sound server is a filter of torgate's
 * (pulse_filter.c), which relays to the user's real one what playing,
 * recording and volume need, and refuses the rest. */
#ifndef TORGATE_PULSE_FILTER_H
#define TORGATE_PULSE_FILTER_H

#include <stddef.h>

/* Before the sandbox: listens on a fresh socket (a 0700 directory of the
 * user's) and starts the filter process, which serves it and connects to
 * the real server at server (a path) for each client. *sock gets the
 * socket's path, for the sandbox to share. 0; 1 when nothing is at
 * server (no sound server runs: err says so); -1 with err set. */
int pulse_filter_start(const char *server, char *sock, size_t socklen, char *err, size_t errlen);

/* Once the sandbox holds the socket: its name outside goes. */
void pulse_filter_forget(void);

/* When the command will not run: the filter goes. */
void pulse_filter_stop(void);

#endif
