/* torgate ls | stats NAME [--json] | stop NAME | new-identity NAME
 * [--close-streams]: one request to a running torgate's control socket
 * (control.c), its reply printed. torgate exec is exec_client.c's. */
#define _GNU_SOURCE
#include "control/control.h"

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
              "       torgate exec NAME [--] CMD [ARG...]\n"

static const char *const verbs[] = { "ls", "stats", "stop", "new-identity" };

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

static int list(const char *dir, int json)
{
    DIR *d = opendir(dir);
    if (d == NULL && errno != ENOENT) {
        fprintf(stderr, "torgate: cannot list %s: %s\n", dir, strerror(errno));
        return 1;
    }
    int n = 0;
    if (!json)
        printf("%-20s %8s %-7s %7s %12s %12s %8s  %s\n", "NAME", "PID", "MODE", "STREAMS",
               "BYTES UP", "BYTES DOWN", "UPTIME", "COMMAND/NAMESPACE");
    else
        printf("[");
    for (struct dirent *e; d != NULL && (e = readdir(d)) != NULL;) {
        size_t len = strlen(e->d_name);
        if (len < 6 || strcmp(e->d_name + len - 5, ".sock") != 0)
            continue;
        char path[512], reply[1024];
        snprintf(path, sizeof(path), "%s/%s", dir, e->d_name);
        if (ask(path, json ? "info json\n" : "info\n", reply, sizeof(reply)) != 0 || reply[0] == '\0')
            continue;
        if (json) {
            reply[strcspn(reply, "\n")] = '\0';
            printf("%s%s", n ? "," : "", reply);
        } else {
            char name[80], mode[16], target[512];
            long pid, up;
            unsigned long long streams, bu, bd;
            if (sscanf(reply, "%79[^\t]\t%ld\t%15[^\t]\t%llu\t%llu\t%llu\t%ld\t%511[^\n]", name, &pid,
                       mode, &streams, &bu, &bd, &up, target) != 8)
                continue;
            printf("%-20s %8ld %-7s %7llu %12llu %12llu %7lds  %s\n", name, pid, mode, streams, bu, bd,
                   up, target);
        }
        n++;
    }
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
    const char *name = NULL;
    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--json") == 0 && (strcmp(verb, "ls") == 0 || strcmp(verb, "stats") == 0))
            json = 1;
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
    const char *req = strcmp(verb, "stats") == 0 ? (json ? "stats json\n" : "stats\n")
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
    fputs(reply, stdout);
    return fflush(stdout) == 0 ? 0 : 1;
}
