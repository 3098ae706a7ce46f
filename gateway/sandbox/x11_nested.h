/* --x11 nested (x11_nested.c): an X server of the command's own, Xephyr,
 * shown as one window on the user's display. */
#ifndef TORGATE_X11_NESTED_H
#define TORGATE_X11_NESTED_H

#include <stddef.h>

/* Before the sandbox: starts Xephyr (its window titled title) and points
 * DISPLAY and XAUTHORITY at it. 0, or -1 with err set (one line: what and
 * the fix). */
int x11_nested_start(const char *title, char *err, size_t errlen);

/* Once the sandbox holds the cookie: its file and directory go. */
void x11_nested_forget(void);

/* Before confinement, when the command will not run: Xephyr goes. */
void x11_nested_stop(void);

#endif
