#define _GNU_SOURCE
#include "log.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
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
