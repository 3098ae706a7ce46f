/* torgate --check: whether torgate will work here, one line per check.
 * "✓" holds, "✗" stops torgate (or what it promises) and says the fix, "!"
 * works but is worth fixing, "·" could not be checked (and how to let it).
 * Exit 0 only when there is no ✗. Nothing here changes the system: the
 * namespace test runs in a child that exits at once. */
#define _GNU_SOURCE
#include "control/check.h"
#include "base/log.h"
#include "config/addr.h"
#include "config/conffile.h"
#include "config/options.h"
#include "tor/probe.h"
#include "tor/torctl.h"
#include "tor/torctl_parse.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/landlock.h>
#include <poll.h>
#include <sched.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define REPLY_MAX 8192

struct result {
    int failed;
};

static void say(struct result *r, char mark, const char *fmt, ...) __attribute__((format(printf, 3, 4)));

static void say(struct result *r, char mark, const char *fmt, ...)
{
    const char *sym = mark == 'y' ? "\u2713" : mark == 'n' ? "\u2717" : mark == '!' ? "!" : "\u00b7";
    va_list ap;
    va_start(ap, fmt);
    printf("%s ", sym);
    vprintf(fmt, ap);
    printf("\n");
    va_end(ap);
    if (mark == 'n')
        r->failed = 1;
}


/* Any SOCKS5 server passes the probe; torgate would send everything
 * through whichever it is, so say whether it is Tor. */
static void check_tor_like(const struct tg_config *cfg, struct result *r)
{
    char why[200];
    switch (probe_tor_like(cfg, 5000, why, sizeof(why))) {
    case 1:
        say(r, 'y', "Tor's SocksPort answers at %s (username/password accepted; %s)", cfg->socks_name, why);
        break;
    case 0:
        say(r, 'n', "a SOCKS5 server answers at %s, but it does not look like Tor (%s): torgate would "
            "send everything through it; point --socks at Tor's SocksPort", cfg->socks_name, why);
        break;
    default:
        say(r, '!', "a SOCKS5 server answers at %s (username/password accepted), but whether it is Tor "
            "cannot be told (%s)", cfg->socks_name, why);
        break;
    }
}

static void check_tor_control(const struct tg_config *cfg, struct result *r)
{
    char reply[REPLY_MAX], why[900];
    int fd = torctl_open(&cfg->tor_control_addr, cfg->tor_control_len, cfg->tor_control_name, reply,
                         sizeof(reply), why, sizeof(why));
    if (fd < 0) {
        say(r, '.', "%s (bootstrap and SocksPort flags not checked)", why);
        return;
    }
    int progress = 0;
    char summary[128] = "";
    if (torctl_cmd(fd, "GETINFO status/bootstrap-phase\r\n", reply, sizeof(reply)) == 250 &&
        torctl_parse_bootstrap(reply, &progress, summary, sizeof(summary)) == 0) {
        if (progress == 100)
            say(r, 'y', "Tor has bootstrapped (100%%: %s)", summary);
        else
            say(r, 'n', "Tor has not finished bootstrapping (%d%%: %s); wait, or read Tor's log "
                "(journalctl -u tor@default) for why it is stuck", progress, summary);
    } else {
        say(r, '.', "Tor's bootstrap phase could not be read from %s", cfg->tor_control_name);
    }
    struct torctl_socksport sp;
    unsigned port = addr_port(&cfg->socks_addr);
    if (torctl_cmd(fd, "GETCONF SocksPort\r\n", reply, sizeof(reply)) == 250 &&
        torctl_parse_socksport(reply, port, &sp) == 0 && sp.found) {
        if (!sp.isolate_auth)
            say(r, 'n', "SocksPort %u has NoIsolateSOCKSAuth: every sandbox would share circuits; "
                "remove that flag from the SocksPort line in torrc", port);
        else
            say(r, 'y', "SocksPort %u isolates by SOCKS credentials (IsolateSOCKSAuth)", port);
        if (sp.extended_errors)
            say(r, 'y', "SocksPort %u has ExtendedErrors: onion service failures are told apart", port);
        else
            say(r, '!', "SocksPort %u lacks ExtendedErrors: a failing onion service is only "
                "\"general failure\"; add it: SocksPort %u ExtendedErrors", port, port);
    } else {
        say(r, '.', "Tor's configuration has no SocksPort line for port %u (is --socks the port of "
            "this Tor?)", port);
    }
    close(fd);
}

/* ---- the kernel -------------------------------------------------------- */

static long read_sysctl(const char *path)
{
    char buf[32];
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return -1;
    ssize_t n = read(fd, buf, sizeof(buf) - 1);
    close(fd);
    if (n <= 0)
        return -1;
    buf[n] = '\0';
    return strtol(buf, NULL, 10);
}

/* Whether torgate runs under its own AppArmor profile (the label of this
 * process: "torgate (unconfined)" when dist/apparmor/torgate is loaded). */
static int apparmor_profile_loaded(void)
{
    char buf[128];
    int fd = open("/proc/self/attr/apparmor/current", O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        fd = open("/proc/self/attr/current", O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return 0;
    ssize_t n = read(fd, buf, sizeof(buf) - 1);
    close(fd);
    if (n <= 0)
        return 0;
    buf[n] = '\0';
    return strncmp(buf, "torgate ", 8) == 0 || strncmp(buf, "torgate\n", 8) == 0;
}

static void check_userns(struct result *r)
{
    pid_t pid = fork();
    if (pid == 0)
        _exit(unshare(CLONE_NEWUSER | CLONE_NEWNET) == 0 ? 0 : (errno & 0x7f) + 1);
    int st = 0;
    if (pid < 0 || waitpid(pid, &st, 0) != pid || !WIFEXITED(st)) {
        say(r, 'n', "cannot test user namespaces (fork: %s)", strerror(errno));
        return;
    }
    long maxns = read_sysctl("/proc/sys/user/max_user_namespaces");
    long apparmor = read_sysctl("/proc/sys/kernel/apparmor_restrict_unprivileged_userns");
    if (WEXITSTATUS(st) == 0) {
        say(r, 'y', "unprivileged user and network namespaces work (user.max_user_namespaces = %ld)", maxns);
        if (apparmor == 1)
            say(r, 'y', "AppArmor restricts user namespaces, and %s", apparmor_profile_loaded() ?
                "torgate's profile (userns) is loaded" : "torgate may create them (it runs as root?)");
        return;
    }
    int e = WEXITSTATUS(st) - 1;
    long clone_ok = read_sysctl("/proc/sys/kernel/unprivileged_userns_clone");
    if (clone_ok == 0)
        say(r, 'n', "user namespaces are off (kernel.unprivileged_userns_clone = 0); fix: sudo sysctl "
            "kernel.unprivileged_userns_clone=1 (and in /etc/sysctl.d/ to keep it)");
    else if (maxns == 0)
        say(r, 'n', "user namespaces are off (user.max_user_namespaces = 0); fix: sudo sysctl "
            "user.max_user_namespaces=15000 (and in /etc/sysctl.d/ to keep it)");
    else if (apparmor == 1)
        say(r, 'n', "AppArmor restricts user namespaces (kernel.apparmor_restrict_unprivileged_userns "
            "= 1) and torgate's profile is not loaded; fix: sudo apparmor_parser -r "
            "/etc/apparmor.d/torgate");
    else
        say(r, 'n', "cannot create a user namespace: %s (user.max_user_namespaces = %ld); are you in a "
            "container that forbids it?", strerror(e), maxns);
}

static void check_tun(struct result *r)
{
    struct stat st;
    if (stat("/dev/net/tun", &st) != 0) {
        say(r, 'n', "/dev/net/tun does not exist; fix: sudo modprobe tun (or sudo mknod /dev/net/tun "
            "c 10 200)");
        return;
    }
    int fd = open("/dev/net/tun", O_RDWR | O_CLOEXEC);
    if (fd < 0) {
        say(r, 'n', "/dev/net/tun (mode %04o) cannot be opened by you: %s; fix: sudo chmod 0666 "
            "/dev/net/tun (as desktop distributions ship it)", (unsigned)(st.st_mode & 07777),
            strerror(errno));
        return;
    }
    close(fd);
    say(r, 'y', "/dev/net/tun (mode %04o) opens", (unsigned)(st.st_mode & 07777));
}

static void check_confinement(struct result *r)
{
    long abi = syscall(SYS_landlock_create_ruleset, NULL, 0, LANDLOCK_CREATE_RULESET_VERSION);
    int seccomp = prctl(PR_GET_SECCOMP, 0, 0, 0, 0) >= 0;
    if (abi > 0 && seccomp)
        say(r, 'y', "Landlock (ABI %ld) and seccomp: the gateway confines itself "
            "(torgate --check-confinement shows it)", abi);
    else
        say(r, '!', "%s%s: the gateway is less confined; Linux 5.13+ with lsm=landlock gives it all",
            abi > 0 ? "" : "no Landlock", seccomp ? "" : (abi > 0 ? "no seccomp" : " and no seccomp"));
}

static void check_resolv(struct result *r)
{
    struct stat st;
    char target[256];
    if (lstat("/etc/resolv.conf", &st) != 0) {
        say(r, 'y', "/etc/resolv.conf does not exist; the sandbox gets the stub's");
        return;
    }
    if (S_ISLNK(st.st_mode)) {
        ssize_t n = readlink("/etc/resolv.conf", target, sizeof(target) - 1);
        target[n > 0 ? n : 0] = '\0';
        say(r, 'y', "/etc/resolv.conf is a link to %s; the sandbox sees the stub's file instead", target);
        return;
    }
    say(r, 'y', "/etc/resolv.conf is a file; the sandbox sees the stub's file instead");
}

/* What a command run with these settings sees of the host, and what of
 * the desktop it may reach (sandbox_identity.c, sandbox_ipc.c). */
static void check_sees(const struct tg_config *cfg, struct result *r)
{
    char names[224] = "";
    size_t off = 0;
    for (unsigned bit = 1; options_socket_name(bit) != NULL; bit <<= 1)
        if ((cfg->sockets & bit) && off < sizeof(names)) {
            int n = snprintf(names + off, sizeof(names) - off, "%s%s%s", off ? ", " : "",
                             options_socket_name(bit),
                             bit == TG_SOCKET_PULSEAUDIO ? " (through torgate's sound filter)" : "");
            off += n > 0 ? (size_t)n : 0;
        }
    say(r, 'y', "commands see hostname " TG_SANDBOX_HOSTNAME ", machine-id " TG_SANDBOX_MACHINE_ID
        ", a fixed boot_id and a /sys of their own (lo, tg0); %s time zone, %s",
        cfg->utc ? "UTC as the" : "your", cfg->generic_user ? "the user name user (/home/user)" :
        "your user name and home (--generic-user hides them)");
    say(r, 'y', "commands get their own /tmp, /var/tmp, /dev/shm, /run and runtime directory, and "
        "reach no unix socket of a program outside%s%s", off ? " but: " : " (--socket NAME shares one)",
        names);
}

int check_run(const struct tg_config *cfg)
{
    struct result r = { 0 };
    setvbuf(stdout, NULL, _IOLBF, 0);
    if (probe_socks_quiet(cfg, 5000) == 0)
        check_tor_like(cfg, &r);
    else
        say(&r, 'n', "%s", probe_reason());
    check_tor_control(cfg, &r);
    check_userns(&r);
    check_tun(&r);
    check_confinement(&r);
    check_resolv(&r);
    check_sees(cfg, &r);
    /* What torgate will use is what the config files said: name them. */
    if (cfg->conf_read[0][0] != '\0' || cfg->conf_read[1][0] != '\0')
        say(&r, 'y', "settings from %s%s%s", cfg->conf_read[0],
            cfg->conf_read[0][0] != '\0' && cfg->conf_read[1][0] != '\0' ? " and " : "", cfg->conf_read[1]);
    else
        say(&r, 'y', "no config file (" CONF_SYSTEM_DIR "/torgate.conf, ~/.config/torgate/torgate.conf): "
            "the defaults and the command line");
    if (fflush(stdout) != 0)
        return TG_EXIT_FAILURE;
    return r.failed ? 1 : 0;
}
