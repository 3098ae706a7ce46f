/* The leak suite's static probe: a program that uses no library code for
 * the network, only raw system calls (syscall(2)), built with -static. It
 * stands for the programs a user might expect to slip past a sandbox that
 * works by LD_PRELOAD or by the resolver: torgate's must hold for them too.
 *
 *   probe_static OP ARGS [OP ARGS]...
 *     tcp ADDR PORT    connect (5 s), send an HTTP request, read the answer
 *     udp ADDR PORT    connected UDP with IP(V6)_RECVERR, one datagram, 3 s
 *                      for an answer (an ICMP error shows as recv's errno)
 *     raw ADDR         an ICMP echo request on a raw socket (CAP_NET_RAW)
 *     packet IFNAME    an AF_PACKET socket (CAP_NET_RAW); one Ethernet frame
 *                      sent on IFNAME if it exists
 *
 * One JSON line per attempt on stdout:
 *   {"op":"tcp","target":"ADDR:PORT","ok":true,"error":null,"reply":"HEX"}
 * Addresses are numeric (inet_pton): nothing here asks a resolver. Exits 0
 * once every attempt has been reported, 2 on a malformed command line. */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <linux/if_packet.h>
#include <net/ethernet.h>
#include <net/if.h>
#include <netinet/in.h>
#include <netinet/ip.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/time.h>
#include <unistd.h>

#define REPLY_MAX 64
#define ETHERTYPE_LOCAL 0x88b5

struct result {
    const char *op;
    char target[96];
    int err;                     /* 0: it worked; ETIMEDOUT also for "no answer" */
    unsigned char reply[REPLY_MAX];
    size_t reply_len;
};

static long sys_socket(int fam, int type, int proto)
{
    return syscall(SYS_socket, fam, type | SOCK_CLOEXEC, proto);
}

static int set_timeout(int fd, int sec)
{
    struct timeval tv = { .tv_sec = sec, .tv_usec = 0 };
    if (syscall(SYS_setsockopt, fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv)) != 0)
        return -1;
    return (int)syscall(SYS_setsockopt, fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
}

/* A numeric address and port as a sockaddr; returns its length, 0 if
 * ADDR is not numeric. */
static socklen_t parse_addr(const char *addr, unsigned port, struct sockaddr_storage *ss)
{
    memset(ss, 0, sizeof(*ss));
    struct sockaddr_in *a4 = (struct sockaddr_in *)ss;
    struct sockaddr_in6 *a6 = (struct sockaddr_in6 *)ss;
    if (inet_pton(AF_INET, addr, &a4->sin_addr) == 1) {
        a4->sin_family = AF_INET;
        a4->sin_port = htons((unsigned short)port);
        return sizeof(*a4);
    }
    if (inet_pton(AF_INET6, addr, &a6->sin6_addr) == 1) {
        a6->sin6_family = AF_INET6;
        a6->sin6_port = htons((unsigned short)port);
        return sizeof(*a6);
    }
    return 0;
}

static int fail(struct result *r, int fd)
{
    r->err = errno == EAGAIN ? ETIMEDOUT : errno;
    if (fd >= 0)
        (void)syscall(SYS_close, fd);
    return -1;
}

/* Reads one answer into r->reply; no answer in time is ETIMEDOUT. */
static int read_reply(struct result *r, int fd)
{
    long n = syscall(SYS_recvfrom, fd, r->reply, sizeof(r->reply), 0, NULL, NULL);
    if (n < 0)
        return fail(r, fd);
    r->reply_len = (size_t)n;
    (void)syscall(SYS_close, fd);
    return 0;
}

static int try_stream_or_dgram(struct result *r, const char *addr, unsigned port, int type)
{
    static const char request[] = "GET /hello HTTP/1.1\r\nHost: leak.test\r\nConnection: close\r\n\r\n";
    static const char datagram[] = "torgate leak probe (static)";
    struct sockaddr_storage ss;
    socklen_t len = parse_addr(addr, port, &ss);
    if (len == 0) {
        errno = EINVAL;
        return fail(r, -1);
    }
    long fd = sys_socket(ss.ss_family, type, 0);
    if (fd < 0)
        return fail(r, -1);
    if (type == SOCK_DGRAM) {
        int on = 1;
        int v6 = ss.ss_family == AF_INET6;
        if (syscall(SYS_setsockopt, fd, v6 ? IPPROTO_IPV6 : IPPROTO_IP, v6 ? IPV6_RECVERR : IP_RECVERR,
                    &on, sizeof(on)) != 0)
            return fail(r, (int)fd);
    }
    if (set_timeout((int)fd, type == SOCK_STREAM ? 5 : 3) != 0 ||
        syscall(SYS_connect, fd, &ss, len) != 0)
        return fail(r, (int)fd);
    const char *msg = type == SOCK_STREAM ? request : datagram;
    size_t mlen = type == SOCK_STREAM ? sizeof(request) - 1 : sizeof(datagram) - 1;
    if (syscall(SYS_sendto, fd, msg, mlen, MSG_NOSIGNAL, NULL, 0) != (long)mlen)
        return fail(r, (int)fd);
    return read_reply(r, (int)fd);
}

static unsigned short icmp_checksum(const unsigned char *p, size_t n)
{
    unsigned long sum = 0;
    for (size_t i = 0; i + 1 < n; i += 2)
        sum += (unsigned long)(p[i] << 8 | p[i + 1]);
    if (n % 2)
        sum += (unsigned long)(p[n - 1] << 8);
    while (sum >> 16)
        sum = (sum & 0xffff) + (sum >> 16);
    return (unsigned short)~sum;
}

/* An echo request on a raw socket; the answer is any packet from ADDR (a
 * raw socket connected to ADDR gets only those). */
static int try_raw(struct result *r, const char *addr)
{
    struct sockaddr_storage ss;
    socklen_t len = parse_addr(addr, 0, &ss);
    if (len == 0) {
        errno = EINVAL;
        return fail(r, -1);
    }
    int v6 = ss.ss_family == AF_INET6;
    long fd = sys_socket(ss.ss_family, SOCK_RAW, v6 ? IPPROTO_ICMPV6 : IPPROTO_ICMP);
    if (fd < 0)
        return fail(r, -1);
    unsigned char echo[24] = { v6 ? 128 : 8, 0, 0, 0, 0x74, 0x67, 0, 1 };
    memcpy(echo + 8, "leak-raw-static!", 16);
    if (!v6) {   /* the kernel computes ICMPv6 checksums itself */
        unsigned short c = icmp_checksum(echo, sizeof(echo));
        echo[2] = (unsigned char)(c >> 8);
        echo[3] = (unsigned char)c;
    }
    if (set_timeout((int)fd, 3) != 0 || syscall(SYS_connect, fd, &ss, len) != 0 ||
        syscall(SYS_sendto, fd, echo, sizeof(echo), 0, NULL, 0) != (long)sizeof(echo))
        return fail(r, (int)fd);
    return read_reply(r, (int)fd);
}

/* An AF_PACKET socket; sends one broadcast frame on IFNAME if it exists.
 * The reply field says whether it was sent. */
static int try_packet(struct result *r, const char *ifname)
{
    long fd = sys_socket(AF_PACKET, SOCK_RAW, htons(ETH_P_ALL));
    if (fd < 0)
        return fail(r, -1);
    struct ifreq ifr;
    memset(&ifr, 0, sizeof(ifr));
    snprintf(ifr.ifr_name, sizeof(ifr.ifr_name), "%s", ifname);
    static const char none[] = "no such link";
    if (syscall(SYS_ioctl, fd, SIOCGIFINDEX, &ifr) != 0) {
        memcpy(r->reply, none, sizeof(none) - 1);
        r->reply_len = sizeof(none) - 1;
        (void)syscall(SYS_close, fd);
        return 0;
    }
    struct sockaddr_ll ll;
    memset(&ll, 0, sizeof(ll));
    ll.sll_family = AF_PACKET;
    ll.sll_protocol = htons(ETH_P_ALL);
    ll.sll_ifindex = ifr.ifr_ifindex;
    unsigned char frame[60] = { 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x02, 0, 0, 0, 0, 2,
                                ETHERTYPE_LOCAL >> 8, ETHERTYPE_LOCAL & 0xff };
    memcpy(frame + 14, "torgate leak probe (static)", 27);
    if (syscall(SYS_sendto, fd, frame, sizeof(frame), 0, &ll, sizeof(ll)) != (long)sizeof(frame))
        return fail(r, (int)fd);
    static const char sent[] = "sent";
    memcpy(r->reply, sent, sizeof(sent) - 1);
    r->reply_len = sizeof(sent) - 1;
    (void)syscall(SYS_close, fd);
    return 0;
}

static void report(const struct result *r)
{
    const char *name = r->err == ETIMEDOUT ? "timeout" : r->err ? strerrorname_np(r->err) : NULL;
    printf("{\"op\":\"%s\",\"target\":\"%s\",\"ok\":%s,\"error\":", r->op, r->target,
           r->err ? "false" : "true");
    if (name)
        printf("\"%s\"", name);
    else if (r->err)
        printf("\"%d\"", r->err);
    else
        printf("null");
    printf(",\"reply\":\"");
    for (size_t i = 0; i < r->reply_len; i++)
        printf("%02x", r->reply[i]);
    printf("\"}\n");
}

static int usage(void)
{
    fprintf(stderr, "usage: probe_static {tcp|udp ADDR PORT | raw ADDR | packet IFNAME}...\n"
                    "  (numeric addresses; see the comment at the top of tests/leak/probe_static.c)\n");
    return 2;
}

/* Target strings come from argv: only printable ASCII without quotes or
 * backslashes goes into the JSON line. */
static int plain(const char *s)
{
    for (; *s; s++)
        if (*s < 0x21 || *s > 0x7e || *s == '"' || *s == '\\')
            return 0;
    return 1;
}

int main(int argc, char **argv)
{
    if (argc < 2)
        return usage();
    for (int i = 1; i < argc;) {
        struct result r;
        memset(&r, 0, sizeof(r));
        r.op = argv[i];
        int two = strcmp(r.op, "tcp") == 0 || strcmp(r.op, "udp") == 0;
        int one = strcmp(r.op, "raw") == 0 || strcmp(r.op, "packet") == 0;
        if ((!two && !one) || i + 1 + two >= argc || !plain(argv[i + 1]) ||
            (two && !plain(argv[i + 2])))
            return usage();
        int w = two ? snprintf(r.target, sizeof(r.target), "%s:%s", argv[i + 1], argv[i + 2])
                    : snprintf(r.target, sizeof(r.target), "%s", argv[i + 1]);
        if (w < 0 || (size_t)w >= sizeof(r.target))
            return usage();
        if (two) {
            char *end;
            unsigned long port = strtoul(argv[i + 2], &end, 10);
            if (*end != '\0' || port > 65535)
                return usage();
            (void)try_stream_or_dgram(&r, argv[i + 1], (unsigned)port,
                                      r.op[0] == 't' ? SOCK_STREAM : SOCK_DGRAM);
        } else if (r.op[0] == 'r') {
            (void)try_raw(&r, argv[i + 1]);
        } else {
            (void)try_packet(&r, argv[i + 1]);
        }
        report(&r);
        i += 2 + two;
    }
    return fflush(stdout) == 0 && !ferror(stdout) ? 0 : 1;
}
