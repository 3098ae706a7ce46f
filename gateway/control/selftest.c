/* torgate --selftest: the user's own proof, on the user's own machine and
 * with the user's own options and config files, that a command in torgate
 * has no way out but Tor. torgate runs itself inside a sandbox made as for
 * any command, as `torgate --selftest-probe`, which looks around and
 * prints one line per claim ("✓" holds, "✗" does not), then every unix
 * socket it could still connect to. Exit 0 only when every claim holds.
 *
 * The probe uses nothing of torgate's but this file, and no library but
 * libc: it tests the sandbox, not the code that made it. Run outside
 * torgate, it fails (that is how its own tests show it can). */
#define _GNU_SOURCE
#include "control/selftest.h"

#include <dirent.h>
#include <limits.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#define MAX_DEPTH 6
#define MAX_SOCKETS 4000         /* tried at most; a bound, not an expectation */

struct tally {
    int failed;
    int tried, reached;
};

static void say(struct tally *t, int ok, const char *fmt, ...) __attribute__((format(printf, 3, 4)));

static void say(struct tally *t, int ok, const char *fmt, ...)
{
    va_list ap;
    printf("%s ", ok ? "\u2713" : "\u2717");
    va_start(ap, fmt);
    vprintf(fmt, ap);
    va_end(ap);
    putchar('\n');
    if (!ok)
        t->failed = 1;
}

/* The links the command sees: lo and torgate's tg0, nothing else. */
static void check_links(struct tally *t)
{
    DIR *d = opendir("/sys/class/net");
    char others[256] = "";
    size_t off = 0;
    int tg0 = 0;
    struct dirent *e;
    while (d != NULL && (e = readdir(d)) != NULL) {
        if (e->d_name[0] == '.' || strcmp(e->d_name, "lo") == 0)
            continue;
        if (strcmp(e->d_name, "tg0") == 0) {
            tg0 = 1;
            continue;
        }
        int n = snprintf(others + off, sizeof(others) - off, "%s%s", off ? ", " : "", e->d_name);
        off += n > 0 && (size_t)n < sizeof(others) - off ? (size_t)n : 0;
    }
    if (d != NULL)
        closedir(d);
    if (tg0 && off == 0)
        say(t, 1, "the only links are lo and tg0 (torgate's way to Tor)");
    else
        say(t, 0, "links besides lo and tg0: %s", off ? others : "tg0 is missing");
}

/* Every default route leaves by tg0. */
static void check_routes(struct tally *t)
{
    char line[512], dev[64], bad[128] = "";
    int defaults = 0;
    FILE *f = fopen("/proc/net/route", "re");
    while (f != NULL && fgets(line, sizeof(line), f) != NULL) {
        unsigned long dest;
        if (sscanf(line, "%63s %lx", dev, &dest) == 2 && dest == 0) {
            defaults++;
            if (strcmp(dev, "tg0") != 0)
                snprintf(bad, sizeof(bad), "%s", dev);
        }
    }
    if (f != NULL)
        fclose(f);
    if (defaults > 0 && bad[0] == '\0')
        say(t, 1, "the default route goes to tg0, into torgate");
    else
        say(t, 0, "the default route %s%s", bad[0] ? "leaves by " : "is missing", bad);
}

/* A datagram to a name server elsewhere (a documentation address: run
 * outside torgate, the probe sends nothing anyone receives): torgate
 * answers with ICMP port unreachable, so a connected UDP socket sees
 * ECONNREFUSED at once. */
static void check_udp(struct tally *t)
{
    int fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
    struct sockaddr_in sa = { .sin_family = AF_INET, .sin_port = htons(53),
                              .sin_addr.s_addr = htonl(0xc0000235) };   /* 192.0.2.53 */
    char buf[16];
    int e = 0;
    if (fd < 0 || connect(fd, (struct sockaddr *)&sa, sizeof(sa)) != 0 || send(fd, "probe", 5, 0) != 5)
        e = errno;
    else {
        struct pollfd p = { .fd = fd, .events = POLLIN };
        if (poll(&p, 1, 3000) != 1)
            e = ETIMEDOUT;
        else if (recv(fd, buf, sizeof(buf), 0) < 0)
            e = errno;
    }
    if (fd >= 0)
        close(fd);
    if (e == ECONNREFUSED)
        say(t, 1, "UDP goes nowhere: a DNS query to 192.0.2.53 is refused at once");
    else
        say(t, 0, "UDP to 192.0.2.53: %s (expected: refused by torgate)", e ? strerror(e) : "an answer");
}

static void check_raw(struct tally *t)
{
    int fd = socket(AF_INET, SOCK_RAW | SOCK_CLOEXEC, IPPROTO_ICMP);
    int e = errno;
    if (fd >= 0)
        close(fd);
    int pk = socket(AF_PACKET, SOCK_RAW | SOCK_CLOEXEC, 0);
    int ep = errno;
    if (pk >= 0)
        close(pk);
    if (fd < 0 && pk < 0)
        say(t, 1, "no raw or packet sockets (%s, %s)", strerror(e), strerror(ep));
    else
        say(t, 0, "a %s socket can be made", fd >= 0 ? "raw" : "packet");
}

/* resolv.conf names torgate's stub and nothing else. */
static void check_dns(struct tally *t)
{
    char line[256], ns[64], other[64] = "";
    int stub = 0;
    FILE *f = fopen("/etc/resolv.conf", "re");
    while (f != NULL && fgets(line, sizeof(line), f) != NULL)
        if (sscanf(line, "nameserver %63s", ns) == 1) {
            if (strcmp(ns, "10.66.0.1") == 0 || strcmp(ns, "fd74:6f72::1") == 0)
                stub = 1;
            else
                snprintf(other, sizeof(other), "%s", ns);
        }
    if (f != NULL)
        fclose(f);
    if (stub && other[0] == '\0')
        say(t, 1, "names resolve through torgate's stub only (/etc/resolv.conf)");
    else
        say(t, 0, "/etc/resolv.conf names %s", other[0] ? other : "no stub");
}

/* Connects to one socket file; prints it when that works. */
static void try_socket(struct tally *t, const char *path)
{
    struct sockaddr_un un = { .sun_family = AF_UNIX };
    if (strlen(path) >= sizeof(un.sun_path) || t->tried >= MAX_SOCKETS)
        return;
    memcpy(un.sun_path, path, strlen(path) + 1);
    const int types[] = { SOCK_STREAM, SOCK_SEQPACKET, SOCK_DGRAM };
    t->tried++;
    for (size_t i = 0; i < 3; i++) {
        int fd = socket(AF_UNIX, types[i] | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
        if (fd < 0)
            continue;
        int rc = connect(fd, (struct sockaddr *)&un, sizeof(un));
        int e = errno;
        close(fd);
        if (rc == 0 || e == EAGAIN || e == EINPROGRESS) {
            printf("  reachable: %s\n", path);
            t->reached++;
            return;
        }
        if (e != EPROTOTYPE)
            return;     /* refused, hidden, or not a socket: that is the answer */
    }
}

/* Where no daemon makes its socket: the system's programs and data, and
 * the kernel's own trees (/dev/shm and /dev/log are tried on their own). */
static int skipped(const char *p)
{
    static const char *const skip[] = { "/usr", "/sys", "/dev", "/boot", "/etc", "/bin", "/sbin",
                                        "/lib", "/lib32", "/lib64", "/libx32", "/snap" };
    for (size_t i = 0; i < sizeof(skip) / sizeof(skip[0]); i++)
        if (strcmp(p, skip[i]) == 0)
            return 1;
    return 0;
}

static void walk(struct tally *t, const char *dir, int depth, dev_t proc)
{
    DIR *d = opendir(dir);
    struct dirent *e;
    if (d == NULL)
        return;
    while ((e = readdir(d)) != NULL) {
        char p[PATH_MAX];
        struct stat st;
        if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0 ||
            snprintf(p, sizeof(p), "%s/%s", strcmp(dir, "/") == 0 ? "" : dir, e->d_name) >= (int)sizeof(p) ||
            lstat(p, &st) != 0)
            continue;
        if (S_ISSOCK(st.st_mode))
            try_socket(t, p);
        else if (S_ISDIR(st.st_mode) && depth < MAX_DEPTH && st.st_dev != proc && !skipped(p))
            walk(t, p, depth + 1, proc);
    }
    closedir(d);
}

int selftest_probe_main(void)
{
    struct tally t = { 0 };
    struct stat proc;
    setvbuf(stdout, NULL, _IOLBF, 0);
    check_links(&t);
    check_routes(&t);
    check_udp(&t);
    check_raw(&t);
    check_dns(&t);
    printf("unix sockets the command can connect to (there should be none but what you shared):\n");
    walk(&t, "/", 0, stat("/proc", &proc) == 0 ? proc.st_dev : 0);
    walk(&t, "/dev/shm", 1, proc.st_dev);
    try_socket(&t, "/dev/log");
    printf("%s %d socket file%s tried, %d reachable\n", t.reached ? "!" : "\u2713", t.tried,
           t.tried == 1 ? "" : "s", t.reached);
    return t.failed ? 1 : 0;
}
