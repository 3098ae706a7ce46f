#define _GNU_SOURCE
#include "base/fdpass.h"

#include <errno.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/uio.h>
#include <unistd.h>

int fdpass_sendv(int sock, const void *data, size_t len, const int *fds, int nfds)
{
    union {
        struct cmsghdr hdr;
        char buf[CMSG_SPACE(sizeof(int) * FDPASS_MAX)];
    } ctl;
    struct iovec iov = { .iov_base = (void *)data, .iov_len = len };
    struct msghdr msg = { .msg_iov = &iov, .msg_iovlen = 1 };

    if (nfds < 0 || nfds > FDPASS_MAX || len == 0) {
        errno = EINVAL;
        return -1;
    }
    memset(&ctl, 0, sizeof(ctl));
    if (nfds > 0) {
        msg.msg_control = ctl.buf;
        msg.msg_controllen = CMSG_SPACE(sizeof(int) * (size_t)nfds);
        struct cmsghdr *c = CMSG_FIRSTHDR(&msg);
        c->cmsg_level = SOL_SOCKET;
        c->cmsg_type = SCM_RIGHTS;
        c->cmsg_len = CMSG_LEN(sizeof(int) * (size_t)nfds);
        memcpy(CMSG_DATA(c), fds, sizeof(int) * (size_t)nfds);
    }
    ssize_t n;
    do
        n = sendmsg(sock, &msg, MSG_NOSIGNAL);
    while (n < 0 && errno == EINTR);
    if (n >= 0 && (size_t)n != len) {
        errno = EMSGSIZE;
        return -1;
    }
    return n < 0 ? -1 : 0;
}

ssize_t fdpass_recvv(int sock, void *buf, size_t cap, int *fds, int maxfds, int *nfds)
{
    union {
        struct cmsghdr hdr;
        char buf[CMSG_SPACE(sizeof(int) * FDPASS_MAX)];
    } ctl;
    struct iovec iov = { .iov_base = buf, .iov_len = cap };
    struct msghdr msg = { .msg_iov = &iov, .msg_iovlen = 1,
                          .msg_control = ctl.buf, .msg_controllen = sizeof(ctl.buf) };
    ssize_t n;

    *nfds = 0;
    do
        n = recvmsg(sock, &msg, MSG_CMSG_CLOEXEC);
    while (n < 0 && errno == EINTR);
    if (n < 0)
        return -1;
    int got[FDPASS_MAX], ngot = 0;
    for (struct cmsghdr *c = CMSG_FIRSTHDR(&msg); c != NULL; c = CMSG_NXTHDR(&msg, c)) {
        if (c->cmsg_level != SOL_SOCKET || c->cmsg_type != SCM_RIGHTS || c->cmsg_len < CMSG_LEN(0))
            continue;
        size_t k = (c->cmsg_len - CMSG_LEN(0)) / sizeof(int);
        for (size_t i = 0; i < k; i++) {
            int fd;
            memcpy(&fd, CMSG_DATA(c) + i * sizeof(int), sizeof(int));
            if (ngot < FDPASS_MAX)
                got[ngot++] = fd;
            else
                close(fd);
        }
    }
    /* More descriptors than asked for, or a cut-off list, is not what the
     * other side may send: none is kept. */
    if ((msg.msg_flags & MSG_CTRUNC) || ngot > maxfds) {
        for (int i = 0; i < ngot; i++)
            close(got[i]);
        errno = EMSGSIZE;
        return -1;
    }
    memcpy(fds, got, sizeof(int) * (size_t)ngot);
    *nfds = ngot;
    return n;
}

int fdpass_send(int sock, char tag, int fd)
{
    return fdpass_sendv(sock, &tag, 1, &fd, fd >= 0 ? 1 : 0);
}

int fdpass_recv(int sock, char *tag, int *fd)
{
    int fds[1], nfds = 0;
    *fd = -1;
    ssize_t n = fdpass_recvv(sock, tag, 1, fds, 1, &nfds);
    if (n < 0)
        return -1;
    if (n == 0) {
        if (nfds == 1)
            close(fds[0]);
        return 0;
    }
    if (nfds == 1)
        *fd = fds[0];
    return 1;
}
