#define _GNU_SOURCE
#include "cli.h"
#include "log.h"

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
           "  --name NAME        what torgate ls/stats/stop/new-identity call this one\n"
           "                     (default: the command's name or the namespace's)\n"
           "  --isolate instance|host|stream  which streams share Tor circuits: all of\n"
           "                     this instance's (default), those to one host, none\n"
           "                     instead of running CMD\n"
           "  --check            say whether torgate will work here (Tor, namespaces,\n"
           "                     /dev/net/tun, confinement), one line each with the fix\n"
           "  --tor-control HOST:PORT  Tor's ControlPort (default " TG_DEFAULT_CONTROL ";\n"
           "                     cookie authentication): --check reads it, and CMD\n"
           "                     starts once Tor has bootstrapped\n"
           "  --no-wait          start CMD without waiting for Tor's bootstrap\n"
           "  --dbus             let CMD reach the D-Bus session bus (hidden by\n"
           "                     default: it asks programs outside to act for CMD)\n"
           "  --publish [ADDR:]HOSTPORT:PORT  reach CMD's service on PORT from the host\n"
           "                     at ADDR:HOSTPORT (default 127.0.0.1); no path out\n"
           "  --expose HOSTPORT[:PORT]  a hole you choose: the host's 127.0.0.1:HOSTPORT\n"
           "                     (e.g. Tor's ControlPort) answers at CMD's\n"
           "                     127.0.0.1:PORT (default the same); logged when used\n"
           "  --check-confinement  show that the gateway's confinement (Landlock,\n"
           "                     seccomp) holds on this kernel, then exit\n"
           "  -v, --verbose      say more (twice for debug detail)\n"
           "  -q, --quiet        print errors only\n"
           "  -h, --help         show this help\n"
           "  -V, --version      show the version\n"
           "\n"
           "\n"
           "       torgate ls [--json]          the torgates running as you\n"
           "       torgate stats NAME [--json]  one's counters\n"
           "       torgate stop NAME            stop one (its command gets SIGTERM)\n"
           "       torgate new-identity NAME [--close-streams]  new streams get new circuits\n"
           "       (torgate -- ls runs ls)\n"
           "\n"
           "Exit status: CMD's own; 128+N if CMD was killed by signal N; 125 if\n"
           "torgate failed; 126 if CMD is not executable; 127 if CMD was not found.\n";
}

static void set_err(char *err, size_t errlen, const char *fmt, const char *arg)
{
    snprintf(err, errlen, fmt, arg);
}

static int parse_uint(const char *s, unsigned long min, unsigned long max, unsigned long *out);

/* [ADDR:]HOSTPORT:PORT; ADDR numeric (IPv6 in brackets), 127.0.0.1 by default. */
static int parse_publish(const char *arg, struct tg_config *cfg, char *err, size_t errlen)
{
    char buf[96], hostport[96];
    unsigned long port, hp;
    const char *last = strrchr(arg, ':');
    if (strlen(arg) >= sizeof(buf) || last == NULL || parse_uint(last + 1, 1, 65535, &port) != 0) {
        set_err(err, errlen, "bad --publish '%s': give [ADDR:]HOSTPORT:PORT", arg);
        return -1;
    }
    snprintf(buf, sizeof(buf), "%.*s", (int)(last - arg), arg);
    if (cfg->npublish == TG_MAX_PUBLISH) {
        set_err(err, errlen, "too many --publish (at most %s)", "8");
        return -1;
    }
    if (parse_uint(buf, 1, 65535, &hp) == 0)
        snprintf(hostport, sizeof(hostport), "127.0.0.1:%lu", hp);
    else
        snprintf(hostport, sizeof(hostport), "%s", buf);
    struct tg_config tmp;
    memset(&tmp, 0, sizeof(tmp));
    if (cli_parse_hostport(hostport, &tmp, err, errlen) != 0) {
        set_err(err, errlen, "bad --publish '%s': give [ADDR:]HOSTPORT:PORT with a numeric ADDR", arg);
        return -1;
    }
    cfg->publish[cfg->npublish].addr = tmp.socks_addr;
    cfg->publish[cfg->npublish].addrlen = tmp.socks_addrlen;
    snprintf(cfg->publish[cfg->npublish].name, sizeof(cfg->publish[0].name), "%.63s", hostport);
    cfg->publish[cfg->npublish].ns_port = (unsigned short)port;
    cfg->npublish++;
    return 0;
}

static int parse_uint(const char *s, unsigned long min, unsigned long max, unsigned long *out)
{
    char *end;
    if (s == NULL || *s == '\0' || *s == '-' || *s == '+')
        return -1;
    errno = 0;
    unsigned long v = strtoul(s, &end, 10);
    if (errno != 0 || *end != '\0' || v < min || v > max)
        return -1;
    *out = v;
    return 0;
}

unsigned cli_socks_port(const struct tg_config *cfg)
{
    if (cfg->socks_addr.ss_family == AF_INET6)
        return ntohs(((const struct sockaddr_in6 *)&cfg->socks_addr)->sin6_port);
    return ntohs(((const struct sockaddr_in *)&cfg->socks_addr)->sin_port);
}

int cli_parse_hostport(const char *s, struct tg_config *cfg, char *err, size_t errlen)
{
    char host[INET6_ADDRSTRLEN + 2];
    const char *port_s;
    size_t hlen;

    if (s == NULL || *s == '\0') {
        set_err(err, errlen, "--socks needs HOST:PORT, e.g. %s", TG_DEFAULT_SOCKS);
        return -1;
    }
    if (s[0] == '[') {
        const char *close = strchr(s, ']');
        if (close == NULL || close[1] != ':') {
            set_err(err, errlen, "bad SOCKS address '%s': write IPv6 as [ADDR]:PORT", s);
            return -1;
        }
        hlen = (size_t)(close - s - 1);
        if (hlen == 0 || hlen >= sizeof(host)) {
            set_err(err, errlen, "bad SOCKS address '%s': IPv6 address too long", s);
            return -1;
        }
        memcpy(host, s + 1, hlen);
        port_s = close + 2;
    } else {
        const char *colon = strrchr(s, ':');
        if (colon == NULL || strchr(s, ':') != colon) {
            set_err(err, errlen, "bad SOCKS address '%s': expected HOST:PORT", s);
            return -1;
        }
        hlen = (size_t)(colon - s);
        if (hlen == 0 || hlen >= sizeof(host)) {
            set_err(err, errlen, "bad SOCKS address '%s': expected HOST:PORT", s);
            return -1;
        }
        memcpy(host, s, hlen);
        port_s = colon + 1;
    }
    host[hlen] = '\0';

    unsigned long port;
    if (parse_uint(port_s, 1, 65535, &port) != 0) {
        set_err(err, errlen, "bad SOCKS address '%s': port must be 1-65535", s);
        return -1;
    }

    memset(&cfg->socks_addr, 0, sizeof(cfg->socks_addr));
    struct sockaddr_in *sin = (struct sockaddr_in *)&cfg->socks_addr;
    struct sockaddr_in6 *sin6 = (struct sockaddr_in6 *)&cfg->socks_addr;
    if (strcmp(host, "localhost") == 0)
        strcpy(host, "127.0.0.1");
    if (s[0] != '[' && inet_pton(AF_INET, host, &sin->sin_addr) == 1) {
        sin->sin_family = AF_INET;
        sin->sin_port = htons((uint16_t)port);
        cfg->socks_addrlen = sizeof(*sin);
    } else if (s[0] == '[' && inet_pton(AF_INET6, host, &sin6->sin6_addr) == 1) {
        sin6->sin6_family = AF_INET6;
        sin6->sin6_port = htons((uint16_t)port);
        cfg->socks_addrlen = sizeof(*sin6);
    } else {
        set_err(err, errlen, "bad SOCKS address '%s': the host must be an IP address or localhost", s);
        return -1;
    }
    snprintf(cfg->socks_name, sizeof(cfg->socks_name), "%s", s);
    return 0;
}

enum cli_action cli_parse(int argc, char **argv, const char *env_socks,
                          struct tg_config *cfg, char *err, size_t errlen)
{
    enum { OPT_SOCKS = 256, OPT_MTU, OPT_TUN_FD, OPT_DNS, OPT_PING, OPT_SECCOMP, OPT_CHECK_CONFINEMENT,
           OPT_OFFLOAD, OPT_NETNS, OPT_PID, OPT_FORCE, OPT_NAME, OPT_ISOLATE, OPT_CHECK,
           OPT_TOR_CONTROL, OPT_NO_WAIT, OPT_EXPOSE, OPT_PUBLISH, OPT_DBUS };
    static const struct option opts[] = {
        { "socks",   required_argument, NULL, OPT_SOCKS },
        { "mtu",     required_argument, NULL, OPT_MTU },
        { "tun-fd",  required_argument, NULL, OPT_TUN_FD },
        { "dns",     required_argument, NULL, OPT_DNS },
        { "ping",    required_argument, NULL, OPT_PING },
        { "offload", required_argument, NULL, OPT_OFFLOAD },
        { "netns",   required_argument, NULL, OPT_NETNS },
        { "pid",     required_argument, NULL, OPT_PID },
        { "force",   no_argument,       NULL, OPT_FORCE },
        { "name",    required_argument, NULL, OPT_NAME },
        { "isolate", required_argument, NULL, OPT_ISOLATE },
        { "check",   no_argument,       NULL, OPT_CHECK },
        { "tor-control", required_argument, NULL, OPT_TOR_CONTROL },
        { "no-wait", no_argument,       NULL, OPT_NO_WAIT },
        { "expose",  required_argument, NULL, OPT_EXPOSE },
        { "publish", required_argument, NULL, OPT_PUBLISH },
        { "dbus",    no_argument,       NULL, OPT_DBUS },
        { "seccomp", required_argument, NULL, OPT_SECCOMP },
        { "check-confinement", no_argument, NULL, OPT_CHECK_CONFINEMENT },
        { "verbose", no_argument,       NULL, 'v' },
        { "quiet",   no_argument,       NULL, 'q' },
        { "help",    no_argument,       NULL, 'h' },
        { "version", no_argument,       NULL, 'V' },
        { NULL, 0, NULL, 0 },
    };
    const char *socks = NULL, *tor_control = NULL;
    int check = 0;
    int verbose = 0, quiet = 0, seccomp_given = 0, check_confinement = 0;
    unsigned long v;

    memset(cfg, 0, sizeof(*cfg));
    cfg->log_level = LOG_WARN;
    cfg->mtu = TG_DEFAULT_MTU;
    cfg->tun_fd = -1;
    cfg->offload = 1;
    err[0] = '\0';

    optind = 0;     /* full re-initialisation: cli_parse may run more than once */
    opterr = 0;
    for (;;) {
        int c = getopt_long(argc, argv, "+vqhV", opts, NULL);
        if (c == -1)
            break;
        switch (c) {
        case OPT_SOCKS:
            socks = optarg;
            break;
        case OPT_MTU:
            if (parse_uint(optarg, TG_MIN_MTU, TG_MAX_MTU, &v) != 0) {
                set_err(err, errlen, "bad --mtu '%s': give a number from 1280 to 65535", optarg);
                return CLI_ERROR;
            }
            cfg->mtu = (unsigned)v;
            break;
        case OPT_TUN_FD:
            if (parse_uint(optarg, 0, INT_MAX, &v) != 0) {
                set_err(err, errlen, "bad --tun-fd '%s': give an open file descriptor number", optarg);
                return CLI_ERROR;
            }
            cfg->tun_fd = (int)v;
            break;
        case OPT_DNS:
            if (strcmp(optarg, "map") == 0)
                cfg->dns_mode = TG_DNS_MAP;
            else if (strcmp(optarg, "resolve") == 0)
                cfg->dns_mode = TG_DNS_RESOLVE;
            else {
                set_err(err, errlen, "bad --dns '%s': use map or resolve", optarg);
                return CLI_ERROR;
            }
            break;
        case OPT_PING:
            if (strcmp(optarg, "refuse") == 0)
                cfg->ping_local = 0;
            else if (strcmp(optarg, "local") == 0)
                cfg->ping_local = 1;
            else {
                set_err(err, errlen, "bad --ping '%s': use refuse or local", optarg);
                return CLI_ERROR;
            }
            break;
        case OPT_NETNS:
            if (optarg[0] == '\0') {
                set_err(err, errlen, "%s", "bad --netns '': give the namespace's path, e.g. /run/netns/NAME");
                return CLI_ERROR;
            }
            cfg->netns_path = optarg;
            break;
        case OPT_PID:
            if (parse_uint(optarg, 1, INT_MAX, &v) != 0) {
                set_err(err, errlen, "bad --pid '%s': give the process id of a process in the namespace", optarg);
                return CLI_ERROR;
            }
            cfg->netns_pid = (pid_t)v;
            break;
        case OPT_FORCE:
            cfg->force = 1;
            break;
        case OPT_NAME:
            cfg->name = optarg;
            break;
        case OPT_CHECK:
            check = 1;
            break;
        case OPT_TOR_CONTROL:
            tor_control = optarg;
            break;
        case OPT_NO_WAIT:
            cfg->no_wait = 1;
            break;
        case OPT_DBUS:
            cfg->dbus = 1;
            break;
        case OPT_PUBLISH:
            if (parse_publish(optarg, cfg, err, errlen) != 0)
                return CLI_ERROR;
            break;
        case OPT_EXPOSE: {
            char buf[16];
            unsigned long hp, np;
            snprintf(buf, sizeof(buf), "%s", optarg);
            char *colon = strchr(buf, ':');
            if (colon != NULL)
                *colon = '\0';
            if (strlen(optarg) >= sizeof(buf) || parse_uint(buf, 1, 65535, &hp) != 0 ||
                (colon != NULL ? parse_uint(colon + 1, 1, 65535, &np) : (np = hp, 0)) != 0) {
                set_err(err, errlen, "bad --expose '%s': give HOSTPORT or HOSTPORT:PORT (1-65535)", optarg);
                return CLI_ERROR;
            }
            if (cfg->nexpose == TG_MAX_EXPOSE) {
                set_err(err, errlen, "too many --expose (at most %s)", "8");
                return CLI_ERROR;
            }
            cfg->expose[cfg->nexpose].host_port = (unsigned short)hp;
            cfg->expose[cfg->nexpose].ns_port = (unsigned short)np;
            cfg->nexpose++;
            break;
        }
        case OPT_ISOLATE:
            if (strcmp(optarg, "instance") == 0)
                cfg->isolate = TG_ISOLATE_INSTANCE;
            else if (strcmp(optarg, "host") == 0)
                cfg->isolate = TG_ISOLATE_HOST;
            else if (strcmp(optarg, "stream") == 0)
                cfg->isolate = TG_ISOLATE_STREAM;
            else {
                set_err(err, errlen, "bad --isolate '%s': use instance, host or stream", optarg);
                return CLI_ERROR;
            }
            break;
        case OPT_OFFLOAD:
            if (strcmp(optarg, "on") == 0)
                cfg->offload = 1;
            else if (strcmp(optarg, "off") == 0)
                cfg->offload = 0;
            else {
                set_err(err, errlen, "bad --offload '%s': use on or off", optarg);
                return CLI_ERROR;
            }
            break;
        case OPT_CHECK_CONFINEMENT:
            check_confinement = 1;
            break;
        case OPT_SECCOMP:
            /* A file called "off" or "default" is ./off or ./default. */
            seccomp_given = 1;
            cfg->seccomp_file = NULL;
            if (strcmp(optarg, "off") == 0)
                cfg->seccomp = TG_SECCOMP_OFF;
            else if (strcmp(optarg, "default") == 0)
                cfg->seccomp = TG_SECCOMP_DEFAULT;
            else if (*optarg == '\0') {
                set_err(err, errlen, "%s", "--seccomp needs off, default or a policy FILE");
                return CLI_ERROR;
            } else {
                cfg->seccomp = TG_SECCOMP_FILE;
                cfg->seccomp_file = optarg;
            }
            break;
        case 'v':
            verbose++;
            break;
        case 'q':
            quiet = 1;
            break;
        case 'h':
            return CLI_HELP;
        case 'V':
            return CLI_VERSION;
        default: {
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
        }
    }

    if (quiet && verbose) {
        set_err(err, errlen, "%s", "-q and -v contradict each other; use one");
        return CLI_ERROR;
    }
    cfg->log_level = quiet ? LOG_ERROR : verbose == 0 ? LOG_WARN : verbose == 1 ? LOG_INFO : LOG_DEBUG;

    int from_env = 0;
    if (socks == NULL && env_socks != NULL && *env_socks != '\0') {
        socks = env_socks;
        from_env = 1;
    }
    if (socks == NULL)
        socks = TG_DEFAULT_SOCKS;
    if (cli_parse_hostport(socks, cfg, err, errlen) != 0) {
        if (from_env) {
            char inner[256];
            snprintf(inner, sizeof(inner), "%s", err);
            snprintf(err, errlen, "TORGATE_SOCKS: %s", inner);
        }
        return CLI_ERROR;
    }

    {
        /* The control port's address, parsed as the SOCKS one is. */
        struct tg_config tmp;
        memset(&tmp, 0, sizeof(tmp));
        if (cli_parse_hostport(tor_control != NULL ? tor_control : TG_DEFAULT_CONTROL, &tmp, err, errlen) != 0) {
            char inner[256];
            snprintf(inner, sizeof(inner), "%s", err);
            snprintf(err, errlen, "--tor-control: %s", inner);
            return CLI_ERROR;
        }
        cfg->tor_control_addr = tmp.socks_addr;
        cfg->tor_control_len = tmp.socks_addrlen;
        snprintf(cfg->tor_control_name, sizeof(cfg->tor_control_name), "%s", tmp.socks_name);
    }

    if (optind < argc)
        cfg->cmd = &argv[optind];
    if (check) {
        if (cfg->cmd != NULL || cfg->tun_fd >= 0 || cfg->netns_path != NULL || cfg->netns_pid > 0 ||
            check_confinement) {
            set_err(err, errlen, "%s", "--check runs no command and serves nothing; give it alone "
                    "(with --socks and --tor-control if Tor is elsewhere)");
            return CLI_ERROR;
        }
        return CLI_CHECK;
    }
    if (check_confinement) {
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
    if (cfg->npublish > 0 && cfg->cmd == NULL) {
        set_err(err, errlen, "%s", "--publish reaches a command's service; give -- CMD");
        return CLI_ERROR;
    }
    if (cfg->nexpose > 0 && cfg->cmd == NULL) {
        set_err(err, errlen, "%s", "--expose opens a port on a command's loopback; give -- CMD");
        return CLI_ERROR;
    }
    if (seccomp_given && (cfg->netns_path != NULL || cfg->netns_pid > 0)) {
        set_err(err, errlen, "%s", "--seccomp confines a command, and a sidecar runs none; drop one");
        return CLI_ERROR;
    }
    if (seccomp_given && cfg->tun_fd >= 0) {
        set_err(err, errlen, "%s", "--seccomp confines a command and --tun-fd runs none; drop one");
        return CLI_ERROR;
    }
    if (modes == 0) {
        set_err(err, errlen, "%s", "no command given: torgate [OPTIONS] -- CMD [ARGS...] (see torgate --help)");
        return CLI_ERROR;
    }
    return CLI_RUN;
}
