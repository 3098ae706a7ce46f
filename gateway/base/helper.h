/* Helper processes of torgate's own, started before the sandbox and
 * living as long as torgate does: Xephyr (--x11 nested), the sound
 * filter (--socket pulseaudio). */
#ifndef TORGATE_HELPER_H
#define TORGATE_HELPER_H

#include <sys/types.h>

/* fork(), and in the child: the signals torgate blocks or ignores given
 * back (a helper must die of them as a program would), death by
 * deathsig when torgate ends however it ends, and a process group of its
 * own, so that the terminal's Ctrl-C (torgate forwards it to the command,
 * which may ignore it) does not take the helper away. Returns as fork()
 * does; a child that cannot be set up exits 127. */
pid_t helper_fork(int deathsig);

/* Ends *pid with sig and reaps it; *pid becomes -1. Nothing when <= 0. */
void helper_stop(pid_t *pid, int sig);

/* Removes file and then dir (a helper's scratch, once the sandbox holds
 * what was in it) and empties both names; empty names are skipped. */
void helper_forget(char *file, char *dir);

#endif
