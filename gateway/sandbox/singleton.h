/* The single-instance escape: Firefox or Chromium started inside torgate
 * while the same browser (same profile) runs outside hands its command line
 * to that process over a path-named socket, X11 or D-Bus, and the page loads
 * outside, without Tor (firejail#1960). */
#ifndef TORGATE_SINGLETON_H
#define TORGATE_SINGLETON_H

/* Before the sandbox exists, in the host's view of the filesystem: if CMD
 * is a browser whose running instance would take its window, says so in one
 * warning line with the way out. Only reads (the caller's $HOME, the
 * profile's lock); whatever it cannot read means no warning, never a failed
 * run. */
void singleton_check(char *const *cmd);

#endif
