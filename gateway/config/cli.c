#define _GNU_SOURCE
#include "config/cli.h"
#include "config/addr.h"
#include "base/log.h"
#include "config/options.h"
#include "config/profile.h"

#include <arpa/inet.h>
#include <errno.h>
#include <getopt.h>
#include <limits.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

const char *cli_usage(void)
{
    return "Usage: torgate [OPTIONS] -- CMD [ARGS...]\n"
           "       torgate [OPTIONS] --netns PATH | --pid PID\n"
           "       torgate [OPTIONS] --tun-fd N\n"
           "Run CMD with Tor as its only network: every TCP stream it opens leaves\n"
           "through Tor's SOCKS port, and nothing else leaves at all.\n"
           "\n"
           "Options:\n"
           "  --socks HOST:PORT  Tor's SocksPort (default " TG_DEFAULT_SOCKS ",\n"
           "                     or $TORGATE_SOCKS)\n"
           "  --dns map|resolve  map (default): each name gets a private address and\n"
           "                     Tor resolves it when connecting (.onion works);\n"
           "                     resolve: answer with real addresses from Tor\n"
           "  --ping refuse|local  refuse (default): pings are answered \"administratively\n"
           "                     prohibited\" (Tor carries no ICMP); local: the gateway\n"
           "                     itself answers every ping (says nothing of the host)\n"
           "  --mtu N            MTU of the sandbox's TUN device (default 1500)\n"
           "  --offload on|off   on (default): the TUN hands over TCP in segments of up\n"
           "                     to 64 KiB and leaves checksums to whoever needs them\n"
           "                     (IFF_VNET_HDR); off: one packet per MTU, as on a wire\n"
           "  --seccomp off|default|FILE  the command's syscall filter. default: no\n"
           "                     AF_PACKET/AF_VSOCK sockets, kernel keyring, bpf,\n"
           "                     perf_event_open, userfaultfd or io_uring; FILE: a\n"
           "                     policy of deny/allow lines (docs/seccomp.md), e.g.\n"
           "                     'include default' plus 'mode audit' to log what it\n"
           "                     would deny; off: none. TIOCSTI/TIOCLINUX are always\n"
           "                     refused\n"
           "  --netns PATH       sidecar: give the network namespace at PATH (e.g.\n"
           "                     /run/netns/NAME) Tor as its only network, until\n"
           "                     SIGTERM/SIGINT or the namespace goes; runs no command\n"
           "  --pid PID          sidecar for the network namespace of process PID (and\n"
           "                     its user namespace, so a namespace of your own from\n"
           "                     unshare -rn needs no root)\n"
           "  --force            sidecar: serve a namespace that has other links up\n"
           "                     (its default routes are replaced; other routes stay)\n"
           "  --tun-fd N         serve an already configured TUN passed as fd N\n"
           "  --name NAME        what torgate ls/stats/stop/new-identity/circuits call it\n"
           "                     (default: the command's name or the namespace's)\n"
           "  --isolate instance|host|stream  which streams share Tor circuits: all of\n"
           "                     this instance's (default), those to one host, none\n"
           "  --connect optimistic|confirmed  optimistic (default): the app's connection\n"
           "                     is accepted at once and its first bytes go with the\n"
           "                     CONNECT, a circuit round trip sooner (a refusal then\n"
           "                     comes as a reset); confirmed: once Tor has connected\n"
           "  --check            say whether torgate will work here (Tor, namespaces,\n"
           "                     /dev/net/tun, confinement), one line each with the fix\n"
           "  --selftest         run a probe in a sandbox made with your options and\n"
           "                     config: what a command there can reach, one line each\n"
           "  --tor-control HOST:PORT  Tor's ControlPort (default " TG_DEFAULT_CONTROL ";\n"
           "                     cookie authentication): --check reads it, CMD\n"
           "                     starts once Tor has bootstrapped, torgate circuits\n"
           "                     asks it\n"
           "  --no-wait[=yes|no]  start CMD without waiting for Tor's bootstrap\n"
           "  --socket NAME      let CMD reach one of your desktop's sockets: wayland,\n"
           "                     x11, fallback-x11 (x11 when there is no Wayland),\n"
           "                     pulseaudio, session-bus, ssh-agent, gpg-agent\n"
           "                     (repeatable; none: take back). Nothing else of the\n"
           "                     host's IPC is reachable: /tmp, /var/tmp, /dev/shm,\n"
           "                     $XDG_RUNTIME_DIR and /run are private\n"
           "  --dbus[=yes|no]    the same as --socket session-bus\n"
           "  --x11 nested|shared|none  nested: CMD gets an X server of its own (Xephyr),\n"
           "                     a window on your display; shared: --socket x11\n"
           "  --publish [ADDR:]HOSTPORT:PORT  reach CMD's service on PORT from the host\n"
           "  --onion-service VPORT[:PORT]  an onion service (Tor's ADD_ONION) whose\n"
           "                     port VPORT reaches CMD's PORT; its address is said\n"
           "                     once Tor has published it (repeatable)\n"
           "  --onion-key FILE   the onion service's key, so its address stays the\n"
           "                     same across runs (made, mode 0600, if missing)\n"
           "  --onion-auth FILE  only clients with this key reach the onion service\n"
           "                     (Tor's NAME.auth file; repeatable)\n"
           "                     at ADDR:HOSTPORT (default 127.0.0.1); no path out\n"
           "  --expose HOSTPORT[:PORT]  a hole you choose: the host's 127.0.0.1:HOSTPORT\n"
           "                     (e.g. Tor's ControlPort) answers at CMD's\n"
           "                     127.0.0.1:PORT (default the same); logged when used\n"
           "  --profile NAME|FILE|none  apply profiles/NAME.conf (default: the one named\n"
           "                     after CMD, if there is one; none: no profile)\n"
           "  --bind [-]SRC[:DST]  CMD sees SRC at DST (default SRC), read-write;\n"
           "                     -SRC: skipped when SRC is missing\n"
           "  --bind-ro [-]SRC[:DST]  the same, read-only\n"
           "  --hide PATH        CMD sees an empty directory (or /dev/null) at PATH\n"
           "  --private-home[=yes|no]  CMD gets an empty home directory (a tmpfs);\n"
           "                     bind what it should keep\n"
           "  --setenv NAME=VALUE  set a variable in CMD's environment\n"
           "  --unsetenv NAME    remove a variable from CMD's environment\n"
           "  --clearenv[=yes|no]  CMD's environment keeps only PATH, HOME, USER,\n"
           "                     TERM, the locale, the display and --keepenv's\n"
           "  --keepenv NAME     a variable --clearenv keeps\n"
           "  --utc[=yes|no]     CMD's clock says UTC (TZ and /etc/localtime), not\n"
           "                     your time zone\n"
           "  --generic-user[=yes|no]  CMD's user is called user, its home /home/user\n"
           "                     (your files, your uid; another name)\n"
           "  --check-confinement  show that the gateway's confinement (Landlock,\n"
           "                     seccomp) holds on this kernel, then exit\n"
           "  -v, --verbose      say more (twice for debug detail)\n"
           "  -q, --quiet        print errors only\n"
           "  -h, --help         show this help\n"
           "  -V, --version      show the version\n"
           "\n"
           "Controlling running torgates:\n"
           "       torgate ls [--json]          the torgates running as you\n"
           "       torgate stats NAME [--json]  one's counters\n"
           "       torgate stop NAME            stop one (its command gets SIGTERM)\n"
           "       torgate new-identity NAME [--close-streams]  new streams get new circuits\n"
           "       torgate circuits NAME [--json] [--tor-control HOST:PORT]  the Tor circuits\n"
           "                                    its streams use: relays, streams, hosts\n"
           "       torgate exec NAME [--] CMD [ARG...]  run CMD inside NAME's sandbox\n"
           "       (torgate -- ls runs ls)\n"
           "\n"
           "Config: /etc/torgate/torgate.conf, then ~/.config/torgate/torgate.conf:\n"
           "\"key = value\" lines, the keys being the long options above (socks,\n"
           "bind, ...); the command line wins. Profiles: profiles/NAME.conf beside\n"
           "them (the user's first). See torgate(1).\n"
           "\n"
           "Exit status: CMD's own; 128+N if CMD was killed by signal N; 125 if\n"
           "torgate failed; 126 if CMD is not executable; 127 if CMD was not found.\n";
}

static void set_err(char *err, size_t errlen, const char *fmt, const char *arg)
{
    snprintf(err, errlen, fmt, arg);
}

int cli_parse_hostport(const char *s, struct tg_config *cfg, char *err, size_t errlen)
{
    if (addr_parse(s, &cfg->socks_addr, &cfg->socks_addrlen, err, errlen) != 0)
        return -1;
    snprintf(cfg->socks_name, sizeof(cfg->socks_name), "%s", s);
    return 0;
}


/* The command line's --profile and CMD, before anything is applied: which
 * profile to read depends on them, and the profile must come first so that
 * the command line wins. 1 for --help/--version (no files are read then). */
static int prescan(int argc, char **argv, const char **profile, char ***cmd)
{
    *profile = NULL;
    *cmd = NULL;
    optind = 0;
    opterr = 0;
    for (;;) {
        int c = getopt_long(argc, argv, "+vqhV", options_getopt(), NULL);
        if (c == -1)
            break;
        if (c == 'h' || c == 'V')
            return 1;
        if (c == OPT_PROFILE)
            *profile = optarg;
    }
    if (optind < argc)
        *cmd = &argv[optind];
    return 0;
}

static int load_files(const struct conf_sources *src, const char *cli_profile, char **cmd,
                      struct tg_config *cfg, struct opt_state *st, char *err, size_t errlen)
{
    struct options_ctx ctx = { cfg, st };
    for (int i = 0; i < 2; i++) {
        if (src->conf[i][0] == '\0')
            continue;
        st->file = src->conf[i];
        int rc = conffile_load(src->conf[i], 1, options_key_cb, &ctx, err, errlen);
        st->file = NULL;
        if (rc < 0)
            return -1;
        if (rc == 1)
            snprintf(cfg->conf_read[i], sizeof(cfg->conf_read[i]), "%s", src->conf[i]);
    }
    if (cmd == NULL)
        return 0;
    /* --profile, else "profile =" in a config file, else the command's name. */
    const char *name = cli_profile != NULL ? cli_profile : st->profile;
    if (cli_profile != NULL)
        st->profile_file = NULL;
    int explicit = name != NULL;
    if (name == NULL) {
        name = profile_command_name(cmd);
        snprintf(cfg->profile_for, sizeof(cfg->profile_for), "%s", name);
    }
    return profile_apply(src, name, explicit, cfg, st, err, errlen) < 0 ? -1 : 0;
}

/* Options from files that shape a command's sandbox mean nothing to a
 * sidecar or --tun-fd: dropped there (from the command line, an error). */
static void drop_cmd_only(struct tg_config *cfg)
{
    cfg->nexpose = cfg->npublish = cfg->nmounts = cfg->nenv = cfg->nonion = 0;
    cfg->onion_key = NULL;
    cfg->nonion_auth = 0;
    cfg->sockets = 0;
    cfg->private_home = cfg->clearenv = cfg->utc = cfg->generic_user = 0;
    cfg->seccomp = TG_SECCOMP_DEFAULT;
    cfg->seccomp_file = NULL;
}

/* The command line's options, applied over what the files gave. CLI_RUN
 * when all applied (optind then points at CMD, if any). */
static enum cli_action apply_argv(int argc, char **argv, struct tg_config *cfg, struct opt_state *st,
                                  char *err, size_t errlen)
{
    optind = 0;     /* full re-initialisation: cli_parse may run more than once */
    opterr = 0;
    for (;;) {
        int c = getopt_long(argc, argv, "+vqhV", options_getopt(), NULL);
        if (c == -1)
            break;
        if (c == 'h')
            return CLI_HELP;
        if (c == 'V')
            return CLI_VERSION;
        const struct opt_def *def = options_by_code(c);
        if (def == NULL) {
            /* A short option may sit inside a cluster ("-xv") that getopt has
             * not stepped past yet, so name it by optopt, not by argv. */
            const char *bad = argv[optind - 1];
            if (optopt > 0 && optopt < 256)
                snprintf(err, errlen, "unknown or incomplete option '-%c'; see torgate --help", optopt);
            else
                set_err(err, errlen, "unknown or incomplete option '%s'; see torgate --help",
                        bad != NULL ? bad : "?");
            return CLI_ERROR;
        }
        if (options_apply(cfg, st, def, optarg, err, errlen) != 0)
            return CLI_ERROR;
    }
    return CLI_RUN;
}

/* -v/-q from the command line, else from a file; the end of --force. */
static int settle_log(struct tg_config *cfg, const struct opt_state *st, char *err, size_t errlen)
{
    if (st->quiet && st->verbose) {
        set_err(err, errlen, "%s", "-q and -v contradict each other; use one");
        return -1;
    }
    if (st->quiet || st->verbose)
        cfg->log_level = st->quiet ? LOG_ERROR : st->verbose == 1 ? LOG_INFO : LOG_DEBUG;
    else if (st->file_log_level >= 0)
        cfg->log_level = st->file_log_level;
    cfg->force = st->force;
    return 0;
}

/* Tor's SOCKS port: the command line, then $TORGATE_SOCKS, then the config
 * files; its control port: the command line or a file. */
static int settle_tor(struct tg_config *cfg, const struct opt_state *st, const char *file_socks,
                      const char *env_socks, char *err, size_t errlen)
{
    const char *socks = st->socks;
    int from_env = 0;
    if (socks == NULL && env_socks != NULL && *env_socks != '\0') {
        socks = env_socks;
        from_env = 1;
    }
    if (socks == NULL)
        socks = file_socks != NULL ? file_socks : TG_DEFAULT_SOCKS;
    if (cli_parse_hostport(socks, cfg, err, errlen) != 0) {
        if (from_env) {
            char inner[256];
            snprintf(inner, sizeof(inner), "%s", err);
            snprintf(err, errlen, "TORGATE_SOCKS: %s", inner);
        }
        return -1;
    }
    const char *ctl = st->tor_control != NULL ? st->tor_control : TG_DEFAULT_CONTROL;
    if (addr_parse(ctl, &cfg->tor_control_addr, &cfg->tor_control_len, err, errlen) != 0) {
        char inner[256];
        snprintf(inner, sizeof(inner), "%s", err);
        snprintf(err, errlen, "--tor-control: %s", inner);
        return -1;
    }
    snprintf(cfg->tor_control_name, sizeof(cfg->tor_control_name), "%s", ctl);
    return 0;
}

/* Each --onion-service port is a --publish of its own, on a port of
 * 127.0.0.1 the kernel picks, which Tor's service then leads to. */
static int settle_onion(struct tg_config *cfg, char *err, size_t errlen)
{
    if ((cfg->onion_key != NULL || cfg->nonion_auth > 0) && cfg->nonion == 0) {
        set_err(err, errlen, "%s", cfg->onion_key != NULL
                ? "--onion-key keeps an --onion-service's address; give --onion-service VPORT[:PORT] too"
                : "--onion-auth names who may reach an --onion-service; give --onion-service "
                  "VPORT[:PORT] too");
        return -1;
    }
    if (cfg->npublish + cfg->nonion > TG_MAX_PUBLISH) {
        snprintf(err, errlen, "too many --publish and --onion-service together (at most %d)",
                 TG_MAX_PUBLISH);
        return -1;
    }
    cfg->onion_first = cfg->npublish;
    for (int i = 0; i < cfg->nonion; i++) {
        int k = cfg->npublish++;
        struct sockaddr_in *sin = (struct sockaddr_in *)&cfg->publish[k].addr;
        memset(&cfg->publish[k].addr, 0, sizeof(cfg->publish[k].addr));
        sin->sin_family = AF_INET;
        sin->sin_addr.s_addr = htonl(INADDR_LOOPBACK);       /* port 0: the kernel's pick */
        cfg->publish[k].addrlen = sizeof(*sin);
        snprintf(cfg->publish[k].name, sizeof(cfg->publish[k].name), "the onion service's port %u",
                 (unsigned)cfg->onion[i].vport);
        cfg->publish[k].ns_port = cfg->onion[i].port;
    }
    return 0;
}

/* Which mode the options and CMD ask for, and whether they agree. */
static enum cli_action settle_mode(struct tg_config *cfg, const struct opt_state *st, char **cmd,
                                   char **rest, char *err, size_t errlen)
{
    cfg->cmd = rest != NULL ? rest : cmd;
    if (st->selftest) {
        if (cfg->cmd != NULL || cfg->tun_fd >= 0 || cfg->netns_path != NULL || cfg->netns_pid > 0 ||
            st->check || st->check_confinement) {
            set_err(err, errlen, "%s", "--selftest runs its own probe in the sandbox your options "
                    "make; give it no command and no other mode");
            return CLI_ERROR;
        }
        return CLI_SELFTEST;
    }
    if (st->check) {
        if (cfg->cmd != NULL || cfg->tun_fd >= 0 || cfg->netns_path != NULL || cfg->netns_pid > 0 ||
            st->check_confinement) {
            set_err(err, errlen, "%s", "--check runs no command and serves nothing; give it alone "
                    "(with --socks and --tor-control if Tor is elsewhere)");
            return CLI_ERROR;
        }
        return CLI_CHECK;
    }
    if (st->check_confinement) {
        if (cfg->cmd != NULL || cfg->tun_fd >= 0 || cfg->netns_path != NULL || cfg->netns_pid > 0) {
            set_err(err, errlen, "%s", "--check-confinement runs no command and serves no TUN; "
                    "give it alone (with --socks if Tor is elsewhere)");
            return CLI_ERROR;
        }
        return CLI_CHECK_CONFINEMENT;
    }
    if (cfg->cmd != NULL && cfg->tun_fd >= 0) {
        set_err(err, errlen, "%s", "--tun-fd serves an existing TUN and runs no command; give one or the other");
        return CLI_ERROR;
    }
    int modes = (cfg->cmd != NULL) + (cfg->tun_fd >= 0) + (cfg->netns_path != NULL) + (cfg->netns_pid > 0);
    if (modes > 1 && (cfg->netns_path != NULL || cfg->netns_pid > 0)) {
        set_err(err, errlen, "%s", "--netns and --pid serve a namespace that exists and run no command; "
                "give one of -- CMD, --netns, --pid, --tun-fd");
        return CLI_ERROR;
    }
    if (cfg->force && cfg->netns_path == NULL && cfg->netns_pid <= 0) {
        set_err(err, errlen, "%s", "--force is for --netns and --pid (a namespace with other links up)");
        return CLI_ERROR;
    }
    if (modes == 0) {
        set_err(err, errlen, "%s", "no command given: torgate [OPTIONS] -- CMD [ARGS...] (see torgate --help)");
        return CLI_ERROR;
    }
    if (cfg->cmd == NULL) {
        if (st->cli_cmd_only != NULL) {
            snprintf(err, errlen, "--%s shapes a command's sandbox, and %s runs no command; "
                     "drop one", st->cli_cmd_only, cfg->tun_fd >= 0 ? "--tun-fd" : "a sidecar");
            return CLI_ERROR;
        }
        drop_cmd_only(cfg);
    }
    return settle_onion(cfg, err, errlen) == 0 ? CLI_RUN : CLI_ERROR;
}

enum cli_action cli_parse(int argc, char **argv, const char *env_socks, const struct conf_sources *src,
                          struct tg_config *cfg, char *err, size_t errlen)
{
    struct opt_state st;
    const char *cli_profile;
    char **cmd;

    options_defaults(cfg, &st);
    err[0] = '\0';
    if (prescan(argc, argv, &cli_profile, &cmd) == 1)
        src = NULL;
    if (src != NULL) {
        /* The config files always; a profile only when there is a command. */
        if (load_files(src, cli_profile, cmd, cfg, &st, err, errlen) != 0)
            return CLI_ERROR;
    }
    const char *file_socks = st.socks;
    st.socks = NULL;

    enum cli_action act = apply_argv(argc, argv, cfg, &st, err, errlen);
    if (act != CLI_RUN)
        return act;
    if (settle_log(cfg, &st, err, errlen) != 0 ||
        settle_tor(cfg, &st, file_socks, env_socks, err, errlen) != 0)
        return CLI_ERROR;
    return settle_mode(cfg, &st, cmd, optind < argc ? &argv[optind] : NULL, err, errlen);
}
