/* The wire between the gateway and PID 1 for `torgate exec` (see
 * sandbox_exec.h). Pure functions over buffers: both ends check every
 * message, and a message that fails a check is dropped. */
#define _GNU_SOURCE
#include "sandbox/sandbox_exec.h"

#include <string.h>

void sandbox_exec_pack(uint8_t *out, uint8_t tag, uint32_t id, int32_t value)
{
    memset(out, 0, SANDBOX_EXEC_HEAD);
    out[0] = tag;
    memcpy(out + 4, &id, sizeof(id));
    memcpy(out + 8, &value, sizeof(value));
}

int sandbox_exec_head(const uint8_t *msg, size_t len, struct sandbox_exec_head *h)
{
    if (len < SANDBOX_EXEC_HEAD || msg[1] != 0 || msg[2] != 0 || msg[3] != 0)
        return -1;
    h->tag = msg[0];
    memcpy(&h->id, msg + 4, sizeof(h->id));
    memcpy(&h->value, msg + 8, sizeof(h->value));
    switch (h->tag) {
    case SANDBOX_EXEC_RUN:
        return len > SANDBOX_EXEC_HEAD && len - SANDBOX_EXEC_HEAD <= SANDBOX_EXEC_ARGV_MAX &&
               (h->value == 0 || h->value == 1) ? 0 : -1;
    case SANDBOX_EXEC_SIGNAL:
        return len == SANDBOX_EXEC_HEAD && h->value > 0 && h->value < 65 ? 0 : -1;
    case SANDBOX_EXEC_EXITED:
        return len == SANDBOX_EXEC_HEAD && h->value >= 0 && h->value <= 255 ? 0 : -1;
    default:
        return -1;
    }
}

int sandbox_exec_argv(const char *blob, size_t len, const char **argv, size_t cap)
{
    if (len < 2 || len > SANDBOX_EXEC_ARGV_MAX || blob[len - 1] != '\0' || blob[0] == '\0' || cap < 2)
        return -1;
    size_t argc = 0;
    for (size_t at = 0; at < len;) {
        if (argc + 1 >= cap || argc >= SANDBOX_EXEC_ARGC_MAX)
            return -1;
        argv[argc++] = blob + at;
        at += strlen(blob + at) + 1;       /* the last byte is a NUL: stays inside */
    }
    argv[argc] = NULL;
    return (int)argc;
}

size_t sandbox_exec_blob(char *const *argv, char *out, size_t cap)
{
    size_t used = 0, argc = 0;
    if (argv == NULL || argv[0] == NULL || argv[0][0] == '\0')
        return 0;
    for (; argv[argc] != NULL; argc++) {
        size_t n = strlen(argv[argc]) + 1;
        if (argc >= SANDBOX_EXEC_ARGC_MAX || n > cap - used || used + n > SANDBOX_EXEC_ARGV_MAX)
            return 0;
        memcpy(out + used, argv[argc], n);
        used += n;
    }
    return used;
}
