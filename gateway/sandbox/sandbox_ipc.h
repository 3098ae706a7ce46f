/* The sandbox's boundary for IPC (sandbox_ipc.c): the places where the
 * host's sockets live are private to the command, and only the sockets
 * named by --socket are shared. */
#ifndef TORGATE_SANDBOX_IPC_H
#define TORGATE_SANDBOX_IPC_H

#include <stddef.h>
#include "config/config.h"

/* In the sandbox's mount namespace, before resolv.conf is placed and
 * before the user's binds (which then cannot reopen what is covered). 0,
 * or -1 with err set (and the command must not run). */
int sandbox_ipc_setup(const struct tg_config *cfg, char *err, size_t errlen);

/* Where the host's PulseAudio (or PipeWire pulse) server listens and the
 * command will look for it: PULSE_SERVER's unix path, else the runtime
 * directory's pulse/native. 0, or -1 when it is not a local socket. */
int sandbox_ipc_pulse_server(char *out, size_t len);

/* Before sandbox_start(): --socket pulseaudio gives the command sock (the
 * filter's) at server, where it looks for its sound server. */
void sandbox_ipc_pulse_via(const char *sock, const char *server);

#endif
