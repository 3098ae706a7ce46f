#define _GNU_SOURCE
#include "base/log.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

static int current_level = LOG_WARN;

void log_set_level(int level)
{
    current_level = level;
}

int log_enabled(enum log_level level)
{
    return (int)level <= current_level;
}

void log_msg(enum log_level level, const char *fmt, ...)
{
    static const char *const names[] = { "error", "warning", "info", "debug" };
    char line[1024];
    int saved = errno;

    if (!log_enabled(level))
        return;
    int n = snprintf(line, sizeof(line), "torgate: %s: ", names[level]);
    va_list ap;
    va_start(ap, fmt);
    if (n > 0 && (size_t)n < sizeof(line))
        (void)vsnprintf(line + n, sizeof(line) - (size_t)n, fmt, ap);
    va_end(ap);
    size_t len = strnlen(line, sizeof(line) - 2);
    line[len++] = '\n';
    /* One write per line so lines from the gateway and the sandbox's init
     * never interleave mid-line. */
    ssize_t w = write(STDERR_FILENO, line, len);
    (void)w;
    errno = saved;
}

/* Seconds on the monotonic clock, offset so that a zeroed "last" is always
 * long enough ago. */
static long now_s(void)
{
    struct timespec ts;
    if (clock_gettime(CLOCK_MONOTONIC, &ts) != 0)
        return 0;
    return (long)ts.tv_sec + LOG_LIMIT_S + 1;
}

void log_warn_limited(long *last, const char *fmt, ...)
{
    char msg[900];
    long now = now_s();
    if (*last != 0 && now - *last < LOG_LIMIT_S)
        return;
    *last = now;
    va_list ap;
    va_start(ap, fmt);
    (void)vsnprintf(msg, sizeof(msg), fmt, ap);
    va_end(ap);
    log_warn("%s", msg);
}

int log_limit_allow(struct log_limit *l, const char *key)
{
    long now = now_s();
    for (unsigned i = 0; i < LOG_LIMIT_KEYS; i++) {
        if (l->when[i] != 0 && strncmp(l->key[i], key, LOG_LIMIT_KEY_LEN - 1) == 0) {
            if (now - l->when[i] < LOG_LIMIT_S)
                return 0;
            l->when[i] = now;
            return 1;
        }
    }
    unsigned slot = l->next++ % LOG_LIMIT_KEYS;
    snprintf(l->key[slot], sizeof(l->key[slot]), "%s", key);
    l->when[slot] = now;
    return 1;
}
