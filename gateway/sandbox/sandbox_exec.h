/* `torgate exec`: the messages between the gateway and the sandbox's PID 1
 * (sandbox_exec.c, pure), over the socketpair that made the sandbox.
 *
 * The gateway asks PID 1 to run a command (RUN, with its argv and three
 * descriptors, the caller's stdin, stdout and stderr) or to signal one it
 * runs (SIGNAL); PID 1 says when one has ended (EXITED, its exit code).
 * PID 1 forks it as it forked CMD: it is CMD's sibling, with everything CMD
 * has (namespaces, seccomp filter and connect broker, no capabilities,
 * no_new_privs, environment, working directory) and nothing more. */
#ifndef TORGATE_SANDBOX_EXEC_H
#define TORGATE_SANDBOX_EXEC_H

#include <stddef.h>
#include <stdint.h>

#define SANDBOX_EXEC_ARGV_MAX 32768   /* bytes of a command line, NULs included */
#define SANDBOX_EXEC_ARGC_MAX 1024
#define SANDBOX_EXEC_SESSIONS 16      /* commands run at once by torgate exec */
#define SANDBOX_EXEC_HEAD 12

enum sandbox_exec_tag {
    SANDBOX_EXEC_RUN = 'R',       /* gateway -> PID 1: argv follows; value 1: stdin
                                     is a terminal to be the command's controlling
                                     one, else 0 */
    SANDBOX_EXEC_SIGNAL = 'K',    /* gateway -> PID 1: value is the signal */
    SANDBOX_EXEC_EXITED = 'X',    /* PID 1 -> gateway: value is the exit code */
};

struct sandbox_exec_head {
    uint8_t tag;
    uint32_t id;                  /* the gateway's number for the session */
    int32_t value;
};

/* Writes a message's head (SANDBOX_EXEC_HEAD bytes) into out. */
void sandbox_exec_pack(uint8_t *out, uint8_t tag, uint32_t id, int32_t value);

/* Reads a message's head: 0, or -1 when msg is not a message of this
 * protocol (short, an unknown tag, a RUN without a command line, another
 * message with bytes after its head). */
int sandbox_exec_head(const uint8_t *msg, size_t len, struct sandbox_exec_head *h);

/* Splits a command line: len bytes of NUL-terminated strings, the first
 * non-empty. argv (cap entries) gets pointers into blob and a NULL after
 * them. Returns argc, or -1 for a malformed or oversized line. */
int sandbox_exec_argv(const char *blob, size_t len, const char **argv, size_t cap);

/* The command line of argv as such a blob. Returns its length, or 0 when
 * it does not fit in cap (or argv is empty). */
size_t sandbox_exec_blob(char *const *argv, char *out, size_t cap);

#endif
