/* A running torgate's `info json` reply (control.c writes it, info_reply.c
 * reads it for `torgate ls` and `torgate circuits`). Pure. */
#ifndef TORGATE_INFO_REPLY_H
#define TORGATE_INFO_REPLY_H

#include <stddef.h>

struct info_reply {
    char name[80];
    long pid;
    char mode[16];                /* command, netns, pid, tun-fd */
    char target[512];             /* the command line or the namespace */
    unsigned long long streams, bytes_up, bytes_down;
    long uptime;                  /* seconds */
    char socks_user[128];         /* its SOCKS username; "" from a torgate before it was told */
    char tor_control[128];        /* its --tor-control; "" likewise */
};

/* reply: one flat JSON object (then whitespace). Unknown keys are skipped
 * (a newer torgate may add some); name and pid must be there; a value of
 * the wrong type, a string too long for its field (refused, not cut) or
 * anything that is not such an object: -1. 0 when read. */
int info_reply_parse(const char *reply, struct info_reply *r);

/* s as the inside of a JSON string ('"' and '\\' escaped, control
 * characters as \u00XX), cut to fit cap (6 times strlen(s) + 1 always
 * fits). What control.c and torgate circuits write goes through it. */
void info_reply_json_str(char *out, size_t cap, const char *s);

#endif
