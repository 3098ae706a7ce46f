/* One way to log: stderr, one line per event, "torgate: LEVEL: message".
 * Nothing ever goes to stdout, which belongs to the app. */
#ifndef TORGATE_LOG_H
#define TORGATE_LOG_H

enum log_level { LOG_ERROR = 0, LOG_WARN = 1, LOG_INFO = 2, LOG_DEBUG = 3 };

void log_set_level(int level);
int  log_enabled(enum log_level level);
void log_msg(enum log_level level, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* Failures that repeat per connection or per query must reach the user
 * without flooding: at most one message per LOG_LIMIT_S. */
#define LOG_LIMIT_S 10
#define LOG_LIMIT_KEYS 8
#define LOG_LIMIT_KEY_LEN 96

/* One message per LOG_LIMIT_S for everything sharing *last (0 initially). */
void log_warn_limited(long *last, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* The same per key (e.g. a host name), for the last LOG_LIMIT_KEYS keys. */
struct log_limit {
    char key[LOG_LIMIT_KEYS][LOG_LIMIT_KEY_LEN];
    long when[LOG_LIMIT_KEYS];
    unsigned next;
};
/* 1 if KEY was not let through in the last LOG_LIMIT_S (and notes it now). */
int log_limit_allow(struct log_limit *l, const char *key);

#define log_error(...) log_msg(LOG_ERROR, __VA_ARGS__)
#define log_warn(...)  log_msg(LOG_WARN, __VA_ARGS__)
#define log_info(...)  log_msg(LOG_INFO, __VA_ARGS__)
#define log_debug(...) do { if (log_enabled(LOG_DEBUG)) log_msg(LOG_DEBUG, __VA_ARGS__); } while (0)

#endif
