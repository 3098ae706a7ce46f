/* torgate: run a command with Tor as its only network.
 *
 * Setup errors stop everything before the command runs (exit 125): nothing
 * ever runs half-sandboxed. Once running, an error ends one stream, never
 * the process. */
#define _GNU_SOURCE
#include "audio/pulse_filter.h"
#include "base/log.h"
#include "config/cli.h"
#include "config/config.h"
#include "confine/confine.h"
#include "control/check.h"
#include "control/control.h"
#include "control/exec_client.h"
#include "control/selftest.h"
#include "sandbox/sandbox.h"
#include "sandbox/sandbox_fs.h"
#include "sandbox/sandbox_ipc.h"
#include "sandbox/seccomp_app.h"
#include "sandbox/sidecar.h"
#include "sandbox/singleton.h"
#include "sandbox/tun.h"
#include "sandbox/x11_nested.h"
#include "serve/expose.h"
#include "serve/loop.h"
#include "serve/onion_watch.h"
#include "serve/publish.h"
#include "tor/bootstrap_wait.h"
#include "tor/probe.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/if.h>
#include <linux/if_tun.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <netinet/in.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <unistd.h>

#define PROBE_TIMEOUT_MS 5000

/* Every stream holds one socket: lift the soft limit to the hard one so the
 * number of streams is bounded by what the system allows, not by 1024. */
static void raise_nofile(struct rlimit *orig)
{
    struct rlimit rl;
    if (getrlimit(RLIMIT_NOFILE, orig) != 0) {
        orig->rlim_cur = orig->rlim_max = 1024;
        return;
    }
    rl = *orig;
    rl.rlim_cur = rl.rlim_max;
    if (setrlimit(RLIMIT_NOFILE, &rl) != 0)
        log_warn("cannot raise the open-file limit to %llu: %s; at most about %llu streams",
                 (unsigned long long)rl.rlim_max, strerror(errno),
                 (unsigned long long)orig->rlim_cur);
    else
        log_debug("open-file limit raised to %llu", (unsigned long long)rl.rlim_cur);
    /* A browser holds hundreds of streams, one socket each. */
    if (rl.rlim_max != RLIM_INFINITY && rl.rlim_max < 4096)
        log_warn("the open-file hard limit is %llu, so at most about %llu streams can be open "
                 "at once; raise it (ulimit -Hn, or LimitNOFILE= in a systemd unit)",
                 (unsigned long long)rl.rlim_max, (unsigned long long)rl.rlim_max - 16);
}

static int check_tun_fd(int fd)
{
    struct ifreq ifr;
    if (fcntl(fd, F_GETFD) < 0) {
        log_error("--tun-fd %d: no such open file descriptor; pass the TUN's fd to torgate", fd);
        return -1;
    }
    memset(&ifr, 0, sizeof(ifr));
    if (ioctl(fd, TUNGETIFF, &ifr) != 0) {
        log_error("--tun-fd %d is not a TUN device (TUNGETIFF: %s)", fd, strerror(errno));
        return -1;
    }
    if (!(ifr.ifr_flags & IFF_TUN) || !(ifr.ifr_flags & IFF_NO_PI)) {
        log_error("--tun-fd %d (%s) must be opened with IFF_TUN|IFF_NO_PI", fd, ifr.ifr_name);
        return -1;
    }
    char err[300];
    int was = tun_fit_vnet_hdr(fd, err, sizeof(err));
    if (was < 0) {
        log_error("--tun-fd %d (%s): %s", fd, ifr.ifr_name, err);
        return -1;
    }
    if (was > 0)
        log_info("--tun-fd %d (%s): its virtio_net_hdr was %d bytes; now %d, as torgate reads it",
                 fd, ifr.ifr_name, was, TUN_VNET_HDR_LEN);
    log_info("serving the TUN device %s (fd %d)", ifr.ifr_name, fd);
    return 0;
}

/* Everything the gateway will ever open is open: from here on it can
 * talk to Tor and to what it already holds, nothing else. */
static int confine(const struct tg_config *cfg, pid_t child)
{
    struct confine_status st;
    char err[512];
    if (confine_gateway(cfg, CONFINE_ALL, child, &st, err, sizeof(err)) != 0) {
        log_error("cannot confine the gateway: %s; refusing to run", err);
        return -1;
    }
    return 0;
}

/* The control socket, before confinement (which then lets the gateway
 * remove its socket and nothing else). Fails only for a --name that cannot
 * be had; without a runtime directory torgate runs on, unlisted. */
static int control_up(const struct tg_config *cfg, struct loop *l, struct control **out)
{
    char err[512];
    *out = control_open(cfg, err, sizeof(err));
    if (*out == NULL) {
        if (err[0] == '\0')
            return 0;
        log_error("%s", err);
        return -1;
    }
    confine_set_control_dir(control_path_dir(*out));
    return control_start(*out, l);
}

static int run_tun_fd(const struct tg_config *cfg)
{
    if (check_tun_fd(cfg->tun_fd) != 0)
        return TG_EXIT_FAILURE;
    struct loop *l = loop_new(cfg, cfg->tun_fd, NULL);
    struct control *ctl = NULL;
    if (l == NULL)
        return TG_EXIT_FAILURE;
    if (control_up(cfg, l, &ctl) != 0 || confine(cfg, -1) != 0) {
        control_close(ctl);
        loop_free(l);
        return TG_EXIT_FAILURE;
    }
    int code = loop_run(l);
    control_close(ctl);
    loop_free(l);
    return code;
}

/* No command: the namespace's own programs come and go; serve until
 * SIGTERM/SIGINT or until the keeper says the namespace is gone. */
static int run_sidecar(const struct tg_config *cfg)
{
    struct sidecar sc;
    if (sidecar_start(cfg, &sc) != 0)
        return TG_EXIT_FAILURE;
    int code = TG_EXIT_FAILURE;
    struct control *ctl = NULL;
    struct loop *l = loop_new(cfg, sc.tun_fd, NULL);
    if (l != NULL && control_up(cfg, l, &ctl) == 0 && confine(cfg, -1) == 0) {
        log_info("serving %s: Tor at %s is its only network", sc.what, cfg->socks_name);
        code = loop_run(l);
    }
    control_close(ctl);
    if (l != NULL)
        loop_free(l);
    /* The TUN goes with its last fd: the namespace is left with no route. */
    close(sc.tun_fd);
    sidecar_stop(&sc);
    return code;
}

/* --socket pulseaudio: the command's sound goes through the filter; with
 * no server to filter, it runs without sound, as with any socket asked
 * for and missing. */
static void sound_filter_up(void)
{
    char server[108], sock[108], err[300];
    int rc;
    if (sandbox_ipc_pulse_server(server, sizeof(server)) != 0)
        log_warn("--socket pulseaudio: PULSE_SERVER=%s is not a local socket; the command gets no sound",
                 getenv("PULSE_SERVER"));
    else if ((rc = pulse_filter_start(server, sock, sizeof(sock), err, sizeof(err))) != 0)
        log_msg(rc > 0 ? LOG_INFO : LOG_WARN, "%s", err);     /* none running: no news */
    else
        sandbox_ipc_pulse_via(sock, server);
}

/* --onion-service: Tor's service, led to the listeners --publish made for
 * it; before confinement (the control port is reached once, and kept). */
static struct onion_watch *onion_up(const struct tg_config *cfg, struct loop *l, const int *pfd)
{
    unsigned short hp[TG_MAX_ONION];
    for (int i = 0; i < cfg->nonion; i++) {
        struct sockaddr_in sin;
        socklen_t sl = sizeof(sin);
        if (getsockname(pfd[cfg->onion_first + i], (struct sockaddr *)&sin, &sl) != 0) {
            log_error("--onion-service: cannot tell the port torgate listens on: %s", strerror(errno));
            return NULL;
        }
        hp[i] = ntohs(sin.sin_port);
    }
    struct onion_service svc;
    if (onion_publish(cfg, hp, &svc) != 0)
        return NULL;
    struct onion_watch *w = onion_watch_start(loop_base(l), cfg, &svc);
    if (w == NULL)
        log_error("--onion-service: out of memory");
    return w;
}

static int run_command(const struct tg_config *cfg, const struct rlimit *app_nofile,
                       const struct seccomp_policy *policy)
{
    struct sandbox sb;
    char cdir[108];
    if (control_prepare_dir(cdir, sizeof(cdir)) == 0)
        sandbox_fs_mask_control_dir(cdir);
    if (cfg->sockets & TG_SOCKET_X11_NESTED) {
        char err[300], title[96];
        snprintf(title, sizeof(title), "torgate: %s", cfg->cmd[0]);
        if (x11_nested_start(title, err, sizeof(err)) != 0) {
            log_error("%s", err);
            return TG_EXIT_FAILURE;
        }
    }
    if (cfg->sockets & TG_SOCKET_PULSEAUDIO)
        sound_filter_up();
    int started = sandbox_start(cfg, app_nofile, policy, &sb);
    /* The sandbox holds the X cookie and the sound socket now (or never will). */
    x11_nested_forget();
    pulse_filter_forget();
    if (started != 0) {
        x11_nested_stop();
        pulse_filter_stop();
        return TG_EXIT_FAILURE;
    }
    struct loop *l = loop_new(cfg, sb.tun_fd, &sb);
    struct control *ctl = NULL;
    /* Before the command runs, so not one of its packets meets an
     * unconfined gateway. */
    struct expose *xp = NULL;
    struct publish *pb = NULL;
    struct onion_watch *ow = NULL;
    int pfd[TG_MAX_PUBLISH];
    if (l != NULL && cfg->nexpose > 0 &&
        (xp = expose_start(loop_base(l), cfg, sb.expose_fd)) == NULL)
        log_error("cannot serve --expose");
    if (l != NULL && cfg->npublish > 0 && publish_listen(cfg, pfd) == 0 &&
        (pb = publish_start(loop_base(l), cfg, pfd)) == NULL)
        log_error("cannot serve --publish");
    if (l != NULL && pb != NULL && cfg->nonion > 0)
        ow = onion_up(cfg, l, pfd);
    if (l == NULL || (cfg->nexpose > 0 && xp == NULL) || (cfg->npublish > 0 && pb == NULL) ||
        (cfg->nonion > 0 && ow == NULL) || control_up(cfg, l, &ctl) != 0 ||
        confine(cfg, sb.pid) != 0 || sandbox_release(&sb) != 0) {
        onion_watch_free(ow);
        expose_free(xp);
        publish_free(pb);
        control_close(ctl);
        if (l != NULL)
            loop_free(l);
        sandbox_abort(&sb);
        close(sb.tun_fd);
        return TG_EXIT_FAILURE;
    }
    /* The socketpair to the sandbox's PID 1 stays, for torgate exec. */
    if (ctl != NULL)
        (void)control_exec_attach(ctl, sb.ctl);
    else
        close(sb.ctl);
    sb.ctl = -1;
    log_info("running %s with Tor at %s as its only network", cfg->cmd[0], cfg->socks_name);
    int code = loop_run(l);
    onion_watch_free(ow);
    expose_free(xp);
    publish_free(pb);
    control_close(ctl);
    loop_free(l);
    close(sb.tun_fd);
    return code;
}

/* With fd 0, 1 or 2 closed, the next open() would take its place and log
 * lines would land in a socket or in the TUN. */
static int ensure_stdio(void)
{
    for (int fd = 0; fd <= 2; fd++) {
        if (fcntl(fd, F_GETFD) >= 0)
            continue;
        int n = open("/dev/null", O_RDWR);
        if (n < 0)
            return -1;
        if (n != fd) {
            close(n);
            return -1;
        }
    }
    return 0;
}

int main(int argc, char **argv)
{
    struct tg_config cfg;
    static struct seccomp_policy policy;    /* what the command gets */
    static char self_exe[4096];
    static char probe_flag[] = "--selftest-probe";
    static char *selftest_argv[] = { self_exe, probe_flag, NULL };
    char err[512];

    if (ensure_stdio() != 0)
        return TG_EXIT_FAILURE;
    if (argc >= 2 && control_is_verb(argv[1]))
        return control_client_main(argc - 1, argv + 1);
    if (argc >= 2 && strcmp(argv[1], "exec") == 0)
        return exec_client_main(argc - 1, argv + 1);
    if (argc == 2 && strcmp(argv[1], "--selftest-probe") == 0)
        return selftest_probe_main();
    sandbox_set_argv(argc, argv);

    struct conf_sources src;
    conffile_sources(&src);
    switch (cli_parse(argc, argv, getenv("TORGATE_SOCKS"), &src, &cfg, err, sizeof(err))) {
    case CLI_HELP:
        fputs(cli_usage(), stdout);
        return fflush(stdout) == 0 ? 0 : TG_EXIT_FAILURE;
    case CLI_VERSION:
        printf("torgate %s\n", TORGATE_VERSION);
        return fflush(stdout) == 0 ? 0 : TG_EXIT_FAILURE;
    case CLI_ERROR:
        log_error("%s", err);
        return TG_EXIT_FAILURE;
    case CLI_CHECK:
        log_set_level(cfg.log_level);
        return check_run(&cfg);
    case CLI_CHECK_CONFINEMENT:
        log_set_level(cfg.log_level);
        return confine_check(&cfg);
    case CLI_SELFTEST:
        /* This very binary, as the command: what it sees is what a command
         * run with these settings would. */
        if (readlink("/proc/self/exe", self_exe, sizeof(self_exe) - 1) <= 0) {
            log_error("--selftest: cannot find torgate's own binary: %s", strerror(errno));
            return TG_EXIT_FAILURE;
        }
        cfg.cmd = selftest_argv;
        break;
    case CLI_RUN:
        break;
    }
    log_set_level(cfg.log_level);
    if (cfg.profile_path[0] != '\0') {
        /* A profile changes what the command sees (a private home, say):
         * say so where someone is watching. */
        if (isatty(STDERR_FILENO) && cfg.log_level == LOG_WARN)
            fprintf(stderr, "torgate: profile %s (--profile none for none)\n", cfg.profile_path);
        log_info("profile %s", cfg.profile_path);
    } else if (cfg.cmd != NULL && cfg.profile_for[0] != '\0') {
        log_info("no profile: none is called %s.conf (torgate looks through env, nice, nohup, "
                 "setsid, stdbuf, timeout and ionice for the command's name; --profile NAME "
                 "chooses one)", cfg.profile_for);
    }

    /* A policy file that cannot be used stops everything here, before Tor
     * is even asked: nothing runs under a policy other than the one asked. */
    if (cfg.cmd != NULL) {
        if (seccomp_app_prepare(cfg.seccomp, cfg.seccomp_file, &policy,
                               err, sizeof(err)) != 0) {
            log_error("%s", err);
            return TG_EXIT_FAILURE;
        }
        log_info("seccomp: %s%s, %zu rule%s", cfg.seccomp == TG_SECCOMP_OFF ? "off" :
                 cfg.seccomp == TG_SECCOMP_FILE ? cfg.seccomp_file : "default policy",
                 policy.audit ? " (audit mode)" : "", policy.nrules,
                 policy.nrules == 1 ? "" : "s");
    }

    struct rlimit app_nofile;
    raise_nofile(&app_nofile);

    /* Fail closed: no Tor, no command. */
    if (probe_socks(&cfg, PROBE_TIMEOUT_MS) != 0)
        return TG_EXIT_FAILURE;

    /* The command's first connections should find a Tor that can carry them. */
    if (cfg.cmd != NULL)
        bootstrap_wait(&cfg);

    /* Before the sandbox exists, while the host's filesystem is in view: a
     * browser already running outside would take the command's window. */
    if (cfg.cmd != NULL)
        singleton_check(cfg.cmd);

    /* Signals are read from a signalfd in the loop; block them before the
     * sandbox exists so none is lost or acted on by default in between. */
    sigset_t set;
    loop_signals(&set);
    if (sigprocmask(SIG_BLOCK, &set, NULL) != 0 || signal(SIGPIPE, SIG_IGN) == SIG_ERR) {
        log_error("cannot set up signal handling: %s", strerror(errno));
        return TG_EXIT_FAILURE;
    }

    if (cfg.tun_fd >= 0)
        return run_tun_fd(&cfg);
    if (cfg.netns_path != NULL || cfg.netns_pid > 0)
        return run_sidecar(&cfg);
    return run_command(&cfg, &app_nofile, &policy);
}
