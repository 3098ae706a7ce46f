/* torgate ls | stats NAME [--json] | stop NAME | new-identity NAME
 * [--close-streams] | circuits NAME [--json] [--tor-control HOST:PORT]: one
 * request to a running torgate's control socket (control.c), its reply
 * printed; for ls and circuits, Tor's control port is asked too
 * (circuits.c). torgate exec is exec_client.c's. */
#define _GNU_SOURCE
#include "control/circuits.h"
#include "control/control.h"
#include "control/info_reply.h"

#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#define USAGE "usage: torgate ls [--json]\n" \
              "       torgate stats NAME [--json]\n" \
              "       torgate stop NAME\n" \
              "       torgate new-identity NAME [--close-streams]\n" \
              "       torgate circuits NAME [--json] [--tor-control HOST:PORT]\n" \
              "       torgate exec NAME [--] CMD [ARG...]\n"

static const char *const verbs[] = { "ls", "stats", "stop", "new-identity", "circuits" };

int control_is_verb(const char *arg)
{
    for (size_t i = 0; i < sizeof(verbs) / sizeof(verbs[0]); i++)
        if (strcmp(arg, verbs[i]) == 0)
            return 1;
    return 0;
}

int control_client_connect(const char *path)
{
    struct sockaddr_un sa = { .sun_family = AF_UNIX };
    if ((size_t)snprintf(sa.sun_path, sizeof(sa.sun_path), "%s", path) >= sizeof(sa.sun_path)) {
        errno = ENAMETOOLONG;
        return -1;
    }
    int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd < 0)
        return -1;
    if (connect(fd, (struct sockaddr *)&sa, sizeof(sa)) != 0) {
        int e = errno;
        close(fd);
        if (e == ECONNREFUSED) {
            (void)unlink(path);
            return -2;
        }
        errno = e;
        return e == ENOENT ? -2 : -1;
    }
    return fd;
}

int control_client_path(const char *verb, const char *name, char *path, size_t cap)
{
    char dir[108], err[256];
    if (name == NULL || strchr(name, '/') != NULL || name[0] == '.') {
        fprintf(stderr, "torgate: %s needs the NAME of a running torgate (torgate ls lists them)\n"
                USAGE, verb);
        return 2;
    }
    if (control_dir(dir, sizeof(dir), err, sizeof(err)) != 0) {
        fprintf(stderr, "torgate: %s: no control sockets: %s\n", verb, err);
        return 1;
    }
    if ((size_t)snprintf(path, cap, "%s/%s.sock", dir, name) >= cap) {
        fprintf(stderr, "torgate: %s: the name %s is too long\n", verb, name);
        return 2;
    }
    return 0;
}

/* Sends req to the socket at path and copies the reply to stdout (or into
 * buf when buf != NULL). Returns 0, 1 when nothing answers there (a stale
 * socket, then removed), -1 on another error (errno). */
static int ask(const char *path, const char *req, char *buf, size_t cap)
{
    int fd = control_client_connect(path);
    if (fd < 0)
        return fd == -2 ? 1 : -1;
    struct timeval tmo = { 10, 0 };
    (void)setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tmo, sizeof(tmo));
    size_t len = strlen(req);
    if (write(fd, req, len) != (ssize_t)len) {
        close(fd);
        return -1;
    }
    size_t got = 0;
    char chunk[4096];
    for (;;) {
        ssize_t n = read(fd, chunk, sizeof(chunk));
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0)
            break;
        if (buf != NULL) {
            size_t k = (size_t)n < cap - 1 - got ? (size_t)n : cap - 1 - got;
            memcpy(buf + got, chunk, k);
            got += k;
        } else if (fwrite(chunk, 1, (size_t)n, stdout) != (size_t)n) {
            break;
        }
    }
    if (buf != NULL)
        buf[got] = '\0';
    close(fd);
    return 0;
}

/* One instance's line of `torgate ls`, or its object with "circuits". */
static void list_one(const char *reply, struct circuits_tally *tally, int json, int *n)
{
    struct info_reply r;
    int ok = info_reply_parse(reply, &r) == 0;
    long circuits = ok ? circuits_tally_count(tally, &r) : -1;
    if (json) {
        size_t len = strcspn(reply, "\n");
        while (len > 0 && reply[len - 1] != '}')
            len--;
        if (!ok || len == 0)
            return;                      /* not an info reply: nothing to list */
        if (circuits >= 0)
            printf("%s%.*s,\"circuits\":%ld}", *n ? "," : "", (int)(len - 1), reply, circuits);
        else
            printf("%s%.*s,\"circuits\":null}", *n ? "," : "", (int)(len - 1), reply);
    } else {
        if (!ok)
            return;
        char count[24] = "-";
        if (circuits >= 0)
            snprintf(count, sizeof(count), "%ld", circuits);
        printf("%-20s %8ld %-7s %7llu %8s %12llu %12llu %7lds  %s\n", r.name, r.pid, r.mode, r.streams,
               count, r.bytes_up, r.bytes_down, r.uptime, r.target);
    }
    (*n)++;
}

static int list(const char *dir, int json)
{
    DIR *d = opendir(dir);
    if (d == NULL && errno != ENOENT) {
        fprintf(stderr, "torgate: cannot list %s: %s\n", dir, strerror(errno));
        return 1;
    }
    int n = 0;
    struct circuits_tally tally = { 0 };
    if (!json)
        printf("%-20s %8s %-7s %7s %8s %12s %12s %8s  %s\n", "NAME", "PID", "MODE", "STREAMS",
               "CIRCUITS", "BYTES UP", "BYTES DOWN", "UPTIME", "COMMAND/NAMESPACE");
    else
        printf("[");
    for (struct dirent *e; d != NULL && (e = readdir(d)) != NULL;) {
        size_t len = strlen(e->d_name);
        if (len < 6 || strcmp(e->d_name + len - 5, ".sock") != 0)
            continue;
        char path[512], reply[4096];
        snprintf(path, sizeof(path), "%s/%s", dir, e->d_name);
        if (ask(path, "info json\n", reply, sizeof(reply)) != 0 || reply[0] == '\0')
            continue;
        list_one(reply, &tally, json, &n);
    }
    circuits_tally_free(&tally);
    if (json)
        printf("]\n");
    if (d != NULL)
        closedir(d);
    return fflush(stdout) == 0 ? 0 : 1;
}

int control_client_main(int argc, char **argv)
{
    char dir[108], err[256];
    const char *verb = argv[0];
    int json = 0, close_streams = 0;
    const char *name = NULL, *tor_control = NULL;
    int circuits = strcmp(verb, "circuits") == 0;
    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--json") == 0 && (strcmp(verb, "ls") == 0 || strcmp(verb, "stats") == 0 ||
                                               circuits))
            json = 1;
        else if (circuits && strcmp(argv[i], "--tor-control") == 0 && i + 1 < argc)
            tor_control = argv[++i];
        else if (circuits && strncmp(argv[i], "--tor-control=", 14) == 0)
            tor_control = argv[i] + 14;
        else if (strcmp(argv[i], "--close-streams") == 0 && strcmp(verb, "new-identity") == 0)
            close_streams = 1;
        else if (argv[i][0] != '-' && name == NULL && strcmp(verb, "ls") != 0)
            name = argv[i];
        else {
            fprintf(stderr, "torgate: %s: unexpected '%s'\n" USAGE, verb, argv[i]);
            return 2;
        }
    }
    if (strcmp(verb, "ls") == 0) {
        if (control_dir(dir, sizeof(dir), err, sizeof(err)) != 0) {
            fprintf(stderr, "torgate: %s: no control sockets: %s\n", verb, err);
            return 1;
        }
        return list(dir, json);
    }
    char path[512];
    int bad = control_client_path(verb, name, path, sizeof(path));
    if (bad != 0)
        return bad;
    const char *req = circuits ? "info json\n"
                      : strcmp(verb, "stats") == 0 ? (json ? "stats json\n" : "stats\n")
                      : strcmp(verb, "stop") == 0 ? "stop\n"
                      : close_streams ? "new-identity close\n" : "new-identity\n";
    char reply[16384];
    int rc = ask(path, req, reply, sizeof(reply));
    if (rc == 1) {
        fprintf(stderr, "torgate: no torgate named %s is running (torgate ls lists them)\n", name);
        return 1;
    }
    if (rc < 0) {
        fprintf(stderr, "torgate: cannot reach %s: %s\n", path, strerror(errno));
        return 1;
    }
    if (strncmp(reply, "error:", 6) == 0) {
        fprintf(stderr, "torgate: %s", reply + 7);
        return 1;
    }
    if (circuits) {
        struct info_reply info;
        if (info_reply_parse(reply, &info) != 0) {
            fprintf(stderr, "torgate: circuits: %s answered info json in a form this torgate does not "
                    "read (another version?); restart it with this torgate\n", name);
            return 1;
        }
        return circuits_show(&info, tor_control, json);
    }
    fputs(reply, stdout);
    return fflush(stdout) == 0 ? 0 : 1;
}
