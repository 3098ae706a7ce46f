#define _GNU_SOURCE
#include "config/options.h"
#include "base/log.h"
#include "config/addr.h"
#include "config/options_path.h"

#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const struct opt_def defs[] = {
    { "socks",       OPT_ARG_REQUIRED, OPT_SOCKS, 0, 0 },
    { "mtu",         OPT_ARG_REQUIRED, OPT_MTU, 0, 0 },
    { "tun-fd",      OPT_ARG_REQUIRED, OPT_TUN_FD, 1, 0 },
    { "dns",         OPT_ARG_REQUIRED, OPT_DNS, 0, 0 },
    { "ping",        OPT_ARG_REQUIRED, OPT_PING, 0, 0 },
    { "offload",     OPT_ARG_REQUIRED, OPT_OFFLOAD, 0, 0 },
    { "netns",       OPT_ARG_REQUIRED, OPT_NETNS, 1, 0 },
    { "pid",         OPT_ARG_REQUIRED, OPT_PID, 1, 0 },
    { "force",       OPT_ARG_NONE,     OPT_FORCE, 1, 0 },
    { "name",        OPT_ARG_REQUIRED, OPT_NAME, 0, 0 },
    { "isolate",     OPT_ARG_REQUIRED, OPT_ISOLATE, 0, 0 },
    { "connect",     OPT_ARG_REQUIRED, OPT_CONNECT, 0, 0 },
    { "check",       OPT_ARG_NONE,     OPT_CHECK, 1, 0 },
    { "selftest",    OPT_ARG_NONE,     OPT_SELFTEST, 1, 0 },
    { "tor-control", OPT_ARG_REQUIRED, OPT_TOR_CONTROL, 0, 0 },
    { "no-wait",     OPT_ARG_BOOL,     OPT_NO_WAIT, 0, 0 },
    { "expose",      OPT_ARG_REQUIRED, OPT_EXPOSE, 0, 1 },
    { "publish",     OPT_ARG_REQUIRED, OPT_PUBLISH, 0, 1 },
    { "onion-service", OPT_ARG_REQUIRED, OPT_ONION_SERVICE, 0, 1 },
    { "onion-key",   OPT_ARG_REQUIRED, OPT_ONION_KEY, 0, 1 },
    { "onion-auth",  OPT_ARG_REQUIRED, OPT_ONION_AUTH, 0, 1 },
    { "dbus",        OPT_ARG_BOOL,     OPT_DBUS, 0, 1 },
    { "socket",      OPT_ARG_REQUIRED, OPT_SOCKET, 0, 1 },
    { "utc",         OPT_ARG_BOOL,     OPT_UTC, 0, 1 },
    { "x11",         OPT_ARG_REQUIRED, OPT_X11, 0, 1 },
    { "generic-user", OPT_ARG_BOOL,    OPT_GENERIC_USER, 0, 1 },
    { "seccomp",     OPT_ARG_REQUIRED, OPT_SECCOMP, 0, 1 },
    { "profile",     OPT_ARG_REQUIRED, OPT_PROFILE, 0, 1 },
    { "bind",        OPT_ARG_REQUIRED, OPT_BIND, 0, 1 },
    { "bind-ro",     OPT_ARG_REQUIRED, OPT_BIND_RO, 0, 1 },
    { "hide",        OPT_ARG_REQUIRED, OPT_HIDE, 0, 1 },
    { "private-home", OPT_ARG_BOOL,    OPT_PRIVATE_HOME, 0, 1 },
    { "setenv",      OPT_ARG_REQUIRED, OPT_SETENV, 0, 1 },
    { "unsetenv",    OPT_ARG_REQUIRED, OPT_UNSETENV, 0, 1 },
    { "keepenv",     OPT_ARG_REQUIRED, OPT_KEEPENV, 0, 1 },
    { "clearenv",    OPT_ARG_BOOL,     OPT_CLEARENV, 0, 1 },
    { "check-confinement", OPT_ARG_NONE, OPT_CHECK_CONFINEMENT, 1, 0 },
    { "verbose",     OPT_ARG_NONE,     'v', 0, 0 },
    { "quiet",       OPT_ARG_NONE,     'q', 0, 0 },
    { "help",        OPT_ARG_NONE,     'h', 1, 0 },
    { "version",     OPT_ARG_NONE,     'V', 1, 0 },
};
#define NDEFS (sizeof(defs) / sizeof(defs[0]))

const struct opt_def *options_find(const char *name)
{
    for (size_t i = 0; i < NDEFS; i++)
        if (strcmp(defs[i].name, name) == 0)
            return &defs[i];
    return NULL;
}

const struct opt_def *options_by_code(int code)
{
    for (size_t i = 0; i < NDEFS; i++)
        if (defs[i].code == code)
            return &defs[i];
    return NULL;
}

const struct option *options_getopt(void)
{
    static struct option opts[NDEFS + 1];
    if (opts[0].name == NULL) {
        for (size_t i = 0; i < NDEFS; i++) {
            opts[i].name = defs[i].name;
            opts[i].has_arg = defs[i].arg == OPT_ARG_REQUIRED ? required_argument :
                              defs[i].arg == OPT_ARG_BOOL ? optional_argument : no_argument;
            opts[i].flag = NULL;
            opts[i].val = defs[i].code;
        }
    }
    return opts;
}

void options_defaults(struct tg_config *cfg, struct opt_state *st)
{
    memset(cfg, 0, sizeof(*cfg));
    memset(st, 0, sizeof(*st));
    cfg->log_level = LOG_WARN;
    cfg->mtu = TG_DEFAULT_MTU;
    cfg->tun_fd = -1;
    cfg->offload = 1;
    cfg->optimistic = 1;        /* a circuit round trip sooner (docs/PERFORMANCE.md) */
    st->file_log_level = -1;
}

int options_bool(const char *s)
{
    static const char *const yes[] = { "yes", "true", "on", "1" };
    static const char *const no[] = { "no", "false", "off", "0" };
    for (size_t i = 0; i < 4; i++) {
        if (strcmp(s, yes[i]) == 0)
            return 1;
        if (strcmp(s, no[i]) == 0)
            return 0;
    }
    return -1;
}

/* A value that must outlive its line: kept as is from argv, copied from a file. */
static const char *keep(struct tg_config *cfg, const struct opt_state *st, const char *arg,
                        const char *opt, char *err, size_t errlen)
{
    if (st->file == NULL)
        return arg;
    const char *d = config_strdup(cfg, arg, strlen(arg));
    if (d == NULL)
        snprintf(err, errlen, "%s: the config files' values take more than %u bytes; shorten them",
                 opt, (unsigned)TG_STRINGS);
    return d;
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

/* One word of a fixed set: its index, or -1 with err naming the choices. */
static int choice(const char *arg, const char *opt, const char *const *words, size_t n,
                  const char *choices, char *err, size_t errlen)
{
    for (size_t i = 0; i < n; i++)
        if (strcmp(arg, words[i]) == 0)
            return (int)i;
    snprintf(err, errlen, "bad --%s '%s': use %s", opt, arg, choices);
    return -1;
}

/* [ADDR:]HOSTPORT:PORT; ADDR numeric (IPv6 in brackets), 127.0.0.1 by default. */
static int parse_publish(const char *arg, struct tg_config *cfg, char *err, size_t errlen)
{
    char buf[96], hostport[96];
    unsigned long port, hp;
    const char *last = strrchr(arg, ':');
    if (strlen(arg) >= sizeof(buf) || last == NULL || parse_uint(last + 1, 1, 65535, &port) != 0) {
        snprintf(err, errlen, "bad --publish '%s': give [ADDR:]HOSTPORT:PORT", arg);
        return -1;
    }
    snprintf(buf, sizeof(buf), "%.*s", (int)(last - arg), arg);
    if (cfg->npublish == TG_MAX_PUBLISH) {
        snprintf(err, errlen, "too many --publish (at most %d)", TG_MAX_PUBLISH);
        return -1;
    }
    if (parse_uint(buf, 1, 65535, &hp) == 0)
        snprintf(hostport, sizeof(hostport), "127.0.0.1:%lu", hp);
    else
        snprintf(hostport, sizeof(hostport), "%s", buf);
    struct sockaddr_storage addr;
    socklen_t addrlen;
    if (addr_parse(hostport, &addr, &addrlen, err, errlen) != 0) {
        snprintf(err, errlen, "bad --publish '%s': give [ADDR:]HOSTPORT:PORT with a numeric ADDR", arg);
        return -1;
    }
    cfg->publish[cfg->npublish].addr = addr;
    cfg->publish[cfg->npublish].addrlen = addrlen;
    snprintf(cfg->publish[cfg->npublish].name, sizeof(cfg->publish[0].name), "%.63s", hostport);
    cfg->publish[cfg->npublish].ns_port = (unsigned short)port;
    cfg->npublish++;
    return 0;
}

static int parse_expose(const char *arg, struct tg_config *cfg, char *err, size_t errlen)
{
    char buf[16];
    unsigned long hp, np;
    snprintf(buf, sizeof(buf), "%s", arg);
    char *colon = strchr(buf, ':');
    if (colon != NULL)
        *colon = '\0';
    if (strlen(arg) >= sizeof(buf) || parse_uint(buf, 1, 65535, &hp) != 0 ||
        (colon != NULL ? parse_uint(colon + 1, 1, 65535, &np) : (np = hp, 0)) != 0) {
        snprintf(err, errlen, "bad --expose '%s': give HOSTPORT or HOSTPORT:PORT (1-65535)", arg);
        return -1;
    }
    if (cfg->nexpose == TG_MAX_EXPOSE) {
        snprintf(err, errlen, "too many --expose (at most %d)", TG_MAX_EXPOSE);
        return -1;
    }
    cfg->expose[cfg->nexpose].host_port = (unsigned short)hp;
    cfg->expose[cfg->nexpose].ns_port = (unsigned short)np;
    cfg->nexpose++;
    return 0;
}

/* VPORT[:PORT], PORT VPORT by default. */
static int parse_onion(const char *arg, struct tg_config *cfg, char *err, size_t errlen)
{
    char vbuf[8];
    unsigned long vport, port;
    const char *colon = strchr(arg, ':');
    size_t vlen = colon != NULL ? (size_t)(colon - arg) : strlen(arg);
    if (vlen == 0 || vlen >= sizeof(vbuf)) {
        snprintf(err, errlen, "bad --onion-service '%s': give VPORT[:PORT] (80:8080: the onion "
                 "service's port 80 reaches the command's 8080)", arg);
        return -1;
    }
    memcpy(vbuf, arg, vlen);
    vbuf[vlen] = '\0';
    if (parse_uint(vbuf, 1, 65535, &vport) != 0 ||
        parse_uint(colon != NULL ? colon + 1 : vbuf, 1, 65535, &port) != 0) {
        snprintf(err, errlen, "bad --onion-service '%s': give VPORT[:PORT] (80:8080: the onion "
                 "service's port 80 reaches the command's 8080)", arg);
        return -1;
    }
    for (int i = 0; i < cfg->nonion; i++)
        if (cfg->onion[i].vport == vport) {
            snprintf(err, errlen, "--onion-service %lu is given twice; one command port per "
                     "onion port", vport);
            return -1;
        }
    if (cfg->nonion == TG_MAX_ONION) {
        snprintf(err, errlen, "too many --onion-service (at most %d)", TG_MAX_ONION);
        return -1;
    }
    cfg->onion[cfg->nonion].vport = (unsigned short)vport;
    cfg->onion[cfg->nonion].port = (unsigned short)port;
    cfg->nonion++;
    return 0;
}

static int parse_seccomp(const char *arg, struct tg_config *cfg, const struct opt_state *st,
                         char *err, size_t errlen)
{
    /* A file called "off" or "default" is ./off or ./default. */
    const char *file = NULL;
    enum tg_seccomp mode = TG_SECCOMP_FILE;
    if (strcmp(arg, "off") == 0)
        mode = TG_SECCOMP_OFF;
    else if (strcmp(arg, "default") == 0)
        mode = TG_SECCOMP_DEFAULT;
    else if (*arg == '\0') {
        snprintf(err, errlen, "--seccomp needs off, default or a policy FILE");
        return -1;
    } else if (st->file == NULL)
        file = arg;
    /* In a file, a relative policy is beside that file. */
    else if ((file = options_path(cfg, st, arg, "seccomp", OPTIONS_PATH_FILE_DIR, err, errlen)) == NULL)
        return -1;
    cfg->seccomp = mode;
    cfg->seccomp_file = file;
    return 0;
}

const char *options_socket_name(unsigned bit)
{
    static const char *const names[] = { "wayland", "x11", "pulseaudio", "session-bus",
                                         "ssh-agent", "gpg-agent", "fallback-x11", "x11-nested" };
    for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++)
        if (bit == 1u << i)
            return names[i];
    return NULL;
}

/* --socket NAME (Flatpak's names); "none" takes back what earlier layers
 * (a config file, a profile) allowed. */
static int parse_socket(const char *arg, struct tg_config *cfg, char *err, size_t errlen)
{
    if (strcmp(arg, "none") == 0) {
        cfg->sockets = 0;
        return 0;
    }
    for (unsigned bit = 1; options_socket_name(bit) != NULL; bit <<= 1)
        if (bit != TG_SOCKET_X11_NESTED && strcmp(arg, options_socket_name(bit)) == 0) {
            cfg->sockets |= bit;
            return 0;
        }
    snprintf(err, errlen, "bad --socket '%s': use wayland, x11, fallback-x11, pulseaudio, session-bus, "
             "ssh-agent, gpg-agent or none", arg);
    return -1;
}

static int env_name_ok(const char *s, size_t n)
{
    if (n == 0 || n > 255 || (s[0] >= '0' && s[0] <= '9'))
        return 0;
    for (size_t i = 0; i < n; i++)
        if (!(s[i] == '_' || (s[i] >= 'A' && s[i] <= 'Z') || (s[i] >= 'a' && s[i] <= 'z') ||
              (s[i] >= '0' && s[i] <= '9')))
            return 0;
    return 1;
}

static int parse_env(const char *arg, enum tg_env_op op, const char *opt, struct tg_config *cfg,
                     const struct opt_state *st, char *err, size_t errlen)
{
    const char *eq = strchr(arg, '=');
    size_t n = op == TG_ENV_SET ? (eq != NULL ? (size_t)(eq - arg) : 0) : strlen(arg);
    if ((op == TG_ENV_SET && eq == NULL) || (op != TG_ENV_SET && eq != NULL) || !env_name_ok(arg, n)) {
        snprintf(err, errlen, "bad --%s '%s': give %s, NAME of letters, digits and _", opt, arg,
                 op == TG_ENV_SET ? "NAME=VALUE" : "NAME");
        return -1;
    }
    if (cfg->nenv == TG_MAX_ENV) {
        snprintf(err, errlen, "too many --setenv/--unsetenv/--keepenv (at most %d)", TG_MAX_ENV);
        return -1;
    }
    /* A value may name the home directory (${HOME}, ~/...) as paths do. */
    const char *text;
    if (op == TG_ENV_SET && (strstr(eq, "${") != NULL || eq[1] == '~')) {
        char buf[PATH_MAX + 300];
        const char *v = options_expand(cfg, eq + 1, opt, err, errlen);
        if (v == NULL)
            return -1;
        int w = snprintf(buf, sizeof(buf), "%.*s=%s", (int)n, arg, v);
        text = w > 0 && (size_t)w < sizeof(buf) ? config_strdup(cfg, buf, (size_t)w) : NULL;
        if (text == NULL)
            snprintf(err, errlen, "--%s '%s': too long", opt, arg);
    } else
        text = keep(cfg, st, arg, opt, err, errlen);
    if (text == NULL)
        return -1;
    cfg->env[cfg->nenv].op = op;
    cfg->env[cfg->nenv].text = text;
    cfg->nenv++;
    return 0;
}

/* A flag's value: a bare flag is yes; a file must say. */
static int flag(const struct opt_def *def, const char *arg, const struct opt_state *st,
                char *err, size_t errlen)
{
    if (arg == NULL && st->file == NULL)
        return 1;
    int b = arg != NULL ? options_bool(arg) : -1;
    if (b < 0)
        snprintf(err, errlen, "bad --%s '%s': use yes or no", def->name, arg != NULL ? arg : "");
    return b;
}

#define NOT_MINE 1

/* Where Tor is. Not one of them: NOT_MINE. */
static int apply_tor(struct tg_config *cfg, struct opt_state *st, const struct opt_def *def,
                     const char *arg, char *err, size_t errlen)
{
    switch (def->code) {
    case OPT_SOCKS:
    case OPT_TOR_CONTROL: {
        const char *s = keep(cfg, st, arg, def->name, err, errlen);
        if (s == NULL)
            return -1;
        *(def->code == OPT_SOCKS ? &st->socks : &st->tor_control) = s;
        return 0;
    }
    }
    return NOT_MINE;
}

/* The TUN and what the gateway answers on it. Not one of them: NOT_MINE. */
static int apply_net(struct tg_config *cfg, struct opt_state *st, const struct opt_def *def,
                     const char *arg, char *err, size_t errlen)
{
    static const char *const dns[] = { "map", "resolve" };
    static const char *const ping[] = { "refuse", "local" };
    static const char *const isolate[] = { "instance", "host", "stream" };
    static const char *const connect[] = { "confirmed", "optimistic" };
    static const char *const onoff[] = { "off", "on" };
    unsigned long v;
    int b;

    (void)st;
    switch (def->code) {
    case OPT_MTU:
        if (parse_uint(arg, TG_MIN_MTU, TG_MAX_MTU, &v) != 0) {
            snprintf(err, errlen, "bad --mtu '%s': give a number from 1280 to 65535", arg);
            return -1;
        }
        cfg->mtu = (unsigned)v;
        return 0;
    case OPT_DNS:
        b = choice(arg, def->name, dns, 2, "map or resolve", err, errlen);
        cfg->dns_mode = b == 1 ? TG_DNS_RESOLVE : TG_DNS_MAP;
        return b < 0 ? -1 : 0;
    case OPT_PING:
        b = choice(arg, def->name, ping, 2, "refuse or local", err, errlen);
        cfg->ping_local = b == 1;
        return b < 0 ? -1 : 0;
    case OPT_ISOLATE:
        b = choice(arg, def->name, isolate, 3, "instance, host or stream", err, errlen);
        cfg->isolate = b == 2 ? TG_ISOLATE_STREAM : b == 1 ? TG_ISOLATE_HOST : TG_ISOLATE_INSTANCE;
        return b < 0 ? -1 : 0;
    case OPT_CONNECT:
        b = choice(arg, def->name, connect, 2, "confirmed or optimistic", err, errlen);
        cfg->optimistic = b == 1;
        return b < 0 ? -1 : 0;
    case OPT_OFFLOAD:
        b = choice(arg, def->name, onoff, 2, "on or off", err, errlen);
        cfg->offload = b == 1;
        return b < 0 ? -1 : 0;
    }
    return NOT_MINE;
}

/* What torgate does: serve a TUN or a namespace, check. Not one of them: NOT_MINE. */
static int apply_mode(struct tg_config *cfg, struct opt_state *st, const struct opt_def *def,
                      const char *arg, char *err, size_t errlen)
{
    unsigned long v;

    switch (def->code) {
    case OPT_TUN_FD:
        if (parse_uint(arg, 0, INT_MAX, &v) != 0) {
            snprintf(err, errlen, "bad --tun-fd '%s': give an open file descriptor number", arg);
            return -1;
        }
        cfg->tun_fd = (int)v;
        return 0;
    case OPT_NETNS:
        if (arg[0] == '\0') {
            snprintf(err, errlen, "bad --netns '': give the namespace's path, e.g. /run/netns/NAME");
            return -1;
        }
        cfg->netns_path = arg;
        return 0;
    case OPT_PID:
        if (parse_uint(arg, 1, INT_MAX, &v) != 0) {
            snprintf(err, errlen, "bad --pid '%s': give the process id of a process in the namespace", arg);
            return -1;
        }
        cfg->netns_pid = (pid_t)v;
        return 0;
    case OPT_FORCE:
        st->force = 1;
        return 0;
    case OPT_NAME:
        if (arg[0] == '\0') {
            snprintf(err, errlen, "bad --name '': give a name");
            return -1;
        }
        cfg->name = keep(cfg, st, arg, def->name, err, errlen);
        return cfg->name != NULL ? 0 : -1;
    case OPT_CHECK:
        st->check = 1;
        return 0;
    case OPT_SELFTEST:
        st->selftest = 1;
        return 0;
    case OPT_CHECK_CONFINEMENT:
        st->check_confinement = 1;
        return 0;
    }
    return NOT_MINE;
}

/* yes/no flags. Not one of them: NOT_MINE. */
static int apply_flag(struct tg_config *cfg, struct opt_state *st, const struct opt_def *def,
                      const char *arg, char *err, size_t errlen)
{
    int b;

    switch (def->code) {
    case OPT_NO_WAIT:
    case OPT_DBUS:
    case OPT_PRIVATE_HOME:
    case OPT_CLEARENV:
    case OPT_UTC:
    case OPT_GENERIC_USER:
        if ((b = flag(def, arg, st, err, errlen)) < 0)
            return -1;
        if (def->code == OPT_DBUS)     /* --socket session-bus, by its old name */
            cfg->sockets = b ? cfg->sockets | TG_SOCKET_SESSION_BUS : cfg->sockets & ~TG_SOCKET_SESSION_BUS;
        else
            *(def->code == OPT_NO_WAIT ? &cfg->no_wait : def->code == OPT_PRIVATE_HOME ?
              &cfg->private_home : def->code == OPT_UTC ? &cfg->utc :
              def->code == OPT_GENERIC_USER ? &cfg->generic_user : &cfg->clearenv) = b;
        return 0;
    }
    return NOT_MINE;
}

/* The command's sandbox: its ways in and out, its files, its environment. Not one of them: NOT_MINE. */
static int apply_sandbox(struct tg_config *cfg, struct opt_state *st, const struct opt_def *def,
                         const char *arg, char *err, size_t errlen)
{
    switch (def->code) {
    case OPT_PUBLISH:
        return parse_publish(arg, cfg, err, errlen);
    case OPT_ONION_SERVICE:
        return parse_onion(arg, cfg, err, errlen);
    case OPT_ONION_KEY:
        if (*arg == '\0') {
            snprintf(err, errlen, "--onion-key needs a FILE (made, mode 0600, if missing)");
            return -1;
        }
        cfg->onion_key = st->file == NULL ? arg
                         : options_path(cfg, st, arg, "onion-key", OPTIONS_PATH_FILE_DIR, err, errlen);
        return cfg->onion_key == NULL ? -1 : 0;
    case OPT_ONION_AUTH: {
        if (*arg == '\0') {
            snprintf(err, errlen, "--onion-auth needs a FILE: a client's public key (NAME.auth)");
            return -1;
        }
        if (cfg->nonion_auth == TG_MAX_ONION_AUTH) {
            snprintf(err, errlen, "too many --onion-auth (at most %d clients)", TG_MAX_ONION_AUTH);
            return -1;
        }
        const char *f = st->file == NULL ? arg
                        : options_path(cfg, st, arg, "onion-auth", OPTIONS_PATH_FILE_DIR, err, errlen);
        if (f == NULL)
            return -1;
        cfg->onion_auth[cfg->nonion_auth++] = f;
        return 0;
    }
    case OPT_EXPOSE:
        return parse_expose(arg, cfg, err, errlen);
    case OPT_SOCKET:
        return parse_socket(arg, cfg, err, errlen);
    case OPT_X11: {
        static const char *const x11[] = { "none", "shared", "nested" };
        int b = choice(arg, def->name, x11, 3, "nested, shared or none", err, errlen);
        if (b < 0)
            return -1;
        cfg->sockets &= ~(TG_SOCKET_X11 | TG_SOCKET_X11_NESTED | TG_SOCKET_FALLBACK_X11);
        cfg->sockets |= b == 2 ? TG_SOCKET_X11_NESTED : b == 1 ? TG_SOCKET_X11 : 0;
        return 0;
    }
    case OPT_SECCOMP:
        st->seccomp_given = 1;
        return parse_seccomp(arg, cfg, st, err, errlen);
    case OPT_PROFILE:
        if (arg[0] == '\0') {
            snprintf(err, errlen, "bad --profile '': give a NAME, a FILE or none");
            return -1;
        }
        st->profile = keep(cfg, st, arg, def->name, err, errlen);
        st->profile_file = st->file;
        return st->profile != NULL ? 0 : -1;
    case OPT_BIND:
    case OPT_BIND_RO:
    case OPT_HIDE:
        return options_mount(cfg, st, def->code == OPT_BIND ? TG_MOUNT_BIND :
                             def->code == OPT_BIND_RO ? TG_MOUNT_BIND_RO : TG_MOUNT_HIDE,
                             def->name, arg, err, errlen);
    case OPT_SETENV:
        return parse_env(arg, TG_ENV_SET, def->name, cfg, st, err, errlen);
    case OPT_UNSETENV:
        return parse_env(arg, TG_ENV_UNSET, def->name, cfg, st, err, errlen);
    case OPT_KEEPENV:
        return parse_env(arg, TG_ENV_KEEP, def->name, cfg, st, err, errlen);
    }
    return NOT_MINE;
}

/* How much torgate says. Not one of them: NOT_MINE. */
static int apply_log(struct tg_config *cfg, struct opt_state *st, const struct opt_def *def,
                     const char *arg, char *err, size_t errlen)
{
    int b;

    (void)cfg;
    switch (def->code) {
    case 'v':
    case 'q':
        if (st->file == NULL) {
            *(def->code == 'v' ? &st->verbose : &st->quiet) += 1;
            return 0;
        }
        /* verbose = yes|no|2, quiet = yes|no */
        if (def->code == 'v' && arg != NULL && strcmp(arg, "2") == 0)
            b = 2;
        else if ((b = flag(def, arg, st, err, errlen)) < 0)
            return -1;
        /* "no" undoes only what this key set (quiet is below LOG_WARN,
         * verbose above it). */
        if (b > 0)
            st->file_log_level = def->code == 'q' ? LOG_ERROR : b == 2 ? LOG_DEBUG : LOG_INFO;
        else if ((def->code == 'q') == (st->file_log_level == LOG_ERROR))
            st->file_log_level = -1;
        return 0;
    }
    return NOT_MINE;
}

int options_apply(struct tg_config *cfg, struct opt_state *st, const struct opt_def *def,
                  const char *arg, char *err, size_t errlen)
{
    static int (*const groups[])(struct tg_config *, struct opt_state *, const struct opt_def *,
                                 const char *, char *, size_t) = {
        apply_tor, apply_net, apply_mode, apply_flag, apply_sandbox, apply_log,
    };
    if (st->file == NULL && def->cmd_only)
        st->cli_cmd_only = def->name;
    for (size_t i = 0; i < sizeof(groups) / sizeof(groups[0]); i++) {
        int rc = groups[i](cfg, st, def, arg, err, errlen);
        if (rc != NOT_MINE)
            return rc;
    }
    snprintf(err, errlen, "--%s cannot be used here", def->name);
    return -1;
}

int options_apply_key(struct tg_config *cfg, struct opt_state *st, const char *key, const char *value,
                      char *err, size_t errlen)
{
    const struct opt_def *def = options_find(key);
    if (def == NULL) {
        snprintf(err, errlen, "unknown key '%s': the keys are torgate's long options without "
                 "the dashes (torgate --help)", key);
        return -1;
    }
    if (def->cli_only) {
        snprintf(err, errlen, "'%s' belongs on the command line: it says what torgate does, "
                 "not how", key);
        return -1;
    }
    if (def->code == OPT_PROFILE && st->file_is_profile) {
        snprintf(err, errlen, "a profile cannot choose a profile; to build on one, write "
                 "include = NAME");
        return -1;
    }
    if (value[0] == '\0') {
        snprintf(err, errlen, "'%s' needs a value", key);
        return -1;
    }
    return options_apply(cfg, st, def, value, err, errlen);
}

int options_key_cb(void *ctx, const char *key, const char *value, char *err, size_t errlen)
{
    struct options_ctx *c = ctx;
    return options_apply_key(c->cfg, c->st, key, value, err, errlen);
}
