/* --x11 nested: the command gets an X server of its own, Xephyr, shown as
 * one window on the user's display. X11 has no isolation between the
 * clients of one server (any client reads the screen and types into any
 * window), so sharing the user's server lets the command drive a browser
 * or a terminal outside; a nested server holds only the command's windows.
 *
 * Before the sandbox exists, torgate starts Xephyr on a free display number
 * with a fresh cookie (MIT-MAGIC-COOKIE-1, in a 0700 directory of the
 * user's), waits for its socket, and points DISPLAY and XAUTHORITY at it;
 * the sandbox then shares that socket and cookie as --socket x11 would
 * (sandbox_ipc.c). Xephyr dies with torgate (PR_SET_PDEATHSIG); the cookie
 * is unlinked once the sandbox holds it. */
#define _GNU_SOURCE
#include "sandbox/x11_nested.h"
#include "base/helper.h"
#include "base/log.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/random.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define XEPHYR "/usr/bin/Xephyr"
#define FIRST_DISPLAY 100
#define LAST_DISPLAY 199
#define WAIT_MS 15000

static char dir[64], cookie[96];
static unsigned char key[16];      /* the cookie's secret */
static pid_t server = -1;

/* One Xauthority entry for any host ("FamilyWild") and display n. */
static int write_cookie(const char *path, int n, char *err, size_t errlen)
{
    unsigned char buf[128];
    char num[8];
    size_t len = 0;
    if (getrandom(key, sizeof(key), 0) != (ssize_t)sizeof(key)) {
        snprintf(err, errlen, "--x11 nested: no random bytes for the X cookie: %s", strerror(errno));
        return -1;
    }
    int nl = snprintf(num, sizeof(num), "%d", n);
    const struct { const void *p; size_t n; } fields[] = {
        { "", 0 }, { num, (size_t)nl }, { "MIT-MAGIC-COOKIE-1", 18 }, { key, sizeof(key) },
    };
    buf[len++] = 0xff;          /* family: FamilyWild (0xffff), big endian */
    buf[len++] = 0xff;
    for (size_t i = 0; i < sizeof(fields) / sizeof(fields[0]); i++) {
        buf[len++] = (unsigned char)(fields[i].n >> 8);
        buf[len++] = (unsigned char)fields[i].n;
        memcpy(buf + len, fields[i].p, fields[i].n);
        len += fields[i].n;
    }
    int fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, 0600);
    int ok = fd >= 0 && write(fd, buf, len) == (ssize_t)len;
    if (fd >= 0 && close(fd) != 0)
        ok = 0;              /* (closed all the same: never close it twice) */
    if (!ok) {
        snprintf(err, errlen, "--x11 nested: cannot write the X cookie %s: %s", path, strerror(errno));
        return -1;
    }
    return 0;
}

/* A display number nobody uses: no socket and no lock file. */
static int free_display(void)
{
    for (int n = FIRST_DISPLAY; n <= LAST_DISPLAY; n++) {
        char sock[64], lock[64];
        snprintf(sock, sizeof(sock), "/tmp/.X11-unix/X%d", n);
        snprintf(lock, sizeof(lock), "/tmp/.X%d-lock", n);
        if (access(sock, F_OK) != 0 && access(lock, F_OK) != 0)
            return n;
    }
    return -1;
}

static pid_t spawn(int n, const char *title)
{
    char disp[16];
    snprintf(disp, sizeof(disp), ":%d", n);
    pid_t pid = helper_fork(SIGTERM);
    if (pid != 0)
        return pid;
    /* Its chatter (and a complaint about the cookie, gone by its exit)
     * is not the command's output; a failure to start is told by its
     * exit (wait_socket). */
    int null = open("/dev/null", O_RDWR | O_CLOEXEC);
    if (null >= 0) {
        (void)dup2(null, 0);
        (void)dup2(null, 1);
        (void)dup2(null, 2);
    }
    execl(XEPHYR, XEPHYR, disp, "-auth", cookie, "-nolisten", "tcp", "-noreset", "-no-host-grab",
          "-screen", "1280x800", "-title", title, (char *)NULL);
    _exit(127);
}

/* Whether the server at sock answers a connection made with the cookie:
 * it serves connections only once it has read its authorization file, so
 * after this the file may go. 1 when it accepted, 0 otherwise. */
static int accepts(const char *sock, const unsigned char secret[16])
{
    int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    struct sockaddr_un un = { .sun_family = AF_UNIX };
    snprintf(un.sun_path, sizeof(un.sun_path), "%s", sock);
    if (fd < 0 || connect(fd, (struct sockaddr *)&un, sizeof(un)) != 0) {
        if (fd >= 0)
            close(fd);
        return 0;
    }
    /* The connection setup (X11 protocol, section 8), little endian:
     * 'l', major 11, minor 0, the auth name (18 bytes, padded to 20) and
     * its data (16 bytes). */
    unsigned char req[12 + 20 + 16] = { 'l', 0, 11, 0, 0, 0, 18, 0, 16, 0, 0, 0 };
    memcpy(req + 12, "MIT-MAGIC-COOKIE-1", 18);
    memcpy(req + 32, secret, 16);
    unsigned char reply = 0xff;
    struct pollfd p = { .fd = fd, .events = POLLIN };
    int ok = write(fd, req, sizeof(req)) == (ssize_t)sizeof(req) && poll(&p, 1, 2000) == 1 &&
             read(fd, &reply, 1) == 1 && reply == 1;
    close(fd);
    return ok;
}

static int wait_socket(int n, char *err, size_t errlen)
{
    char sock[64];
    snprintf(sock, sizeof(sock), "/tmp/.X11-unix/X%d", n);
    for (int waited = 0; waited < WAIT_MS; waited += 20) {
        int st;
        if (access(sock, F_OK) == 0 && accepts(sock, key))
            return 0;
        if (waitpid(server, &st, WNOHANG) == server) {
            server = -1;
            snprintf(err, errlen, "--x11 nested: Xephyr exited at once (can it open your display %s?)",
                     getenv("DISPLAY"));
            return -1;
        }
        const struct timespec t = { 0, 20 * 1000000L };
        (void)nanosleep(&t, NULL);
    }
    snprintf(err, errlen, "--x11 nested: Xephyr did not accept connections on %s in %d s", sock,
             WAIT_MS / 1000);
    return -1;
}

int x11_nested_start(const char *title, char *err, size_t errlen)
{
    const char *host = getenv("DISPLAY");
    if (host == NULL || host[0] == '\0') {
        snprintf(err, errlen, "--x11 nested shows the command's X server as a window on your "
                 "display, and DISPLAY is not set");
        return -1;
    }
    if (access(XEPHYR, X_OK) != 0) {
        snprintf(err, errlen, "--x11 nested needs Xephyr: sudo apt install xserver-xephyr");
        return -1;
    }
    int n = free_display();
    if (n < 0) {
        snprintf(err, errlen, "--x11 nested: no free X display number from :%d to :%d", FIRST_DISPLAY,
                 LAST_DISPLAY);
        return -1;
    }
    snprintf(dir, sizeof(dir), "/tmp/torgate-x11-XXXXXX");
    if (mkdtemp(dir) == NULL) {
        snprintf(err, errlen, "--x11 nested: cannot make a directory for the X cookie: %s", strerror(errno));
        dir[0] = '\0';
        return -1;
    }
    snprintf(cookie, sizeof(cookie), "%s/Xauthority", dir);
    if (write_cookie(cookie, n, err, errlen) != 0) {
        x11_nested_forget();
        return -1;
    }
    server = spawn(n, title);
    if (server < 0) {
        snprintf(err, errlen, "--x11 nested: cannot start Xephyr: %s", strerror(errno));
        x11_nested_forget();
        return -1;
    }
    if (wait_socket(n, err, errlen) != 0) {
        x11_nested_stop();
        x11_nested_forget();
        return -1;
    }
    char disp[16];
    snprintf(disp, sizeof(disp), ":%d", n);
    if (setenv("DISPLAY", disp, 1) != 0 || setenv("XAUTHORITY", cookie, 1) != 0) {
        snprintf(err, errlen, "--x11 nested: %s", strerror(errno));
        x11_nested_stop();
        x11_nested_forget();
        return -1;
    }
    log_info("x11: the command's X server is Xephyr on %s, a window on your display %s", disp, host);
    return 0;
}

void x11_nested_forget(void)
{
    helper_forget(cookie, dir);
}

void x11_nested_stop(void)
{
    helper_stop(&server, SIGTERM);
}
