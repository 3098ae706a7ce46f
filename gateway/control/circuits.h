/* `torgate circuits NAME` and the CIRCUITS column of `torgate ls`
 * (circuits.c): what Tor's control port says of one instance's circuits. */
#ifndef TORGATE_CIRCUITS_H
#define TORGATE_CIRCUITS_H

#include "control/info_reply.h"

/* Prints the circuits of the instance info describes (its SOCKS username),
 * as Tor at tor_control (NULL: the instance's own --tor-control) reports
 * them: text, or JSON when json. Returns the exit status; a failure is one
 * line on stderr that says what failed and the fix. */
int circuits_show(const struct info_reply *info, const char *tor_control, int json);

/* For `torgate ls`: each control port asked once, however many instances
 * use it. Zero it before use; circuits_tally_free after. */
#define CIRCUITS_TALLY_PORTS 8
struct circuits_tally {
    struct {
        char tor_control[128];
        char *reply;              /* its GETINFO circuit-status, or NULL: could not be had */
    } port[CIRCUITS_TALLY_PORTS];
    int nports;
};
/* How many circuits the instance has, or -1 when that cannot be told (no
 * control port, a cookie it may not read, a torgate that does not say its
 * SOCKS username). Never prints. */
long circuits_tally_count(struct circuits_tally *t, const struct info_reply *info);
void circuits_tally_free(struct circuits_tally *t);

#endif
