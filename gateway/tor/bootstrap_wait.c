/* Before the command starts: when Tor's control port answers and Tor has
 * not finished bootstrapping, wait for it, so that the command's first
 * connections do not fail or hang. On a terminal one line shows the
 * progress and is rewritten in place; without one, nothing is drawn (a log
 * line under -v). --no-wait skips all of it; a Tor with no reachable
 * control port is not waited for. */
#define _GNU_SOURCE
#include "tor/bootstrap_wait.h"
#include "base/log.h"
#include "tor/torctl.h"
#include "tor/torctl_parse.h"

#include <stdio.h>
#include <time.h>
#include <unistd.h>

#define POLL_MS   250
#define WAIT_MAX_S 300

static void pause_ms(long ms)
{
    struct timespec ts = { ms / 1000, (ms % 1000) * 1000000L };
    while (nanosleep(&ts, &ts) != 0)
        ;
}

void bootstrap_wait(const struct tg_config *cfg)
{
    if (cfg->no_wait)
        return;
    char reply[4096], why[900], summary[96];
    int fd = torctl_open(&cfg->tor_control_addr, cfg->tor_control_len, cfg->tor_control_name, reply,
                         sizeof(reply), why, sizeof(why));
    if (fd < 0) {
        log_debug("%s; not waiting for its bootstrap", why);
        return;
    }
    int tty = isatty(STDERR_FILENO) && log_enabled(LOG_WARN);
    int drawn = 0, said = 0, progress = 0;
    time_t start = time(NULL);
    for (;;) {
        if (torctl_cmd(fd, "GETINFO status/bootstrap-phase\r\n", reply, sizeof(reply)) != 250 ||
            torctl_parse_bootstrap(reply, &progress, summary, sizeof(summary)) != 0)
            break;                       /* cannot tell: go on */
        if (progress >= 100)
            break;
        if (time(NULL) - start >= WAIT_MAX_S) {
            if (drawn)
                fputc('\n', stderr);
            drawn = 0;
            log_warn("Tor is still bootstrapping after %d s (%d%%: %s); starting anyway: the "
                     "command's connections wait or fail until Tor is ready", WAIT_MAX_S, progress,
                     summary);
            break;
        }
        if (tty) {
            fprintf(stderr, "\rtorgate: waiting for Tor to bootstrap: %3d%% (%.60s)\033[K", progress,
                    summary);
            fflush(stderr);
            drawn = 1;
        } else if (!said) {
            log_info("waiting for Tor to bootstrap (%d%%: %s)", progress, summary);
            said = 1;
        }
        pause_ms(POLL_MS);
    }
    if (drawn) {
        fprintf(stderr, "\rtorgate: waiting for Tor to bootstrap: %3d%%\033[K\n", progress);
        fflush(stderr);
    }
    close(fd);
}
