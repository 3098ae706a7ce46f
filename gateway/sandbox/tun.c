#define _GNU_SOURCE
#include "sandbox/tun.h"
#include "base/log.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/if.h>
#include <linux/if_tun.h>
#include <linux/rtnetlink.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <netlink/netlink.h>
#include <netlink/route/addr.h>
#include <netlink/route/link.h>
#include <netlink/route/link/inet.h>
#include <linux/ip.h>
#include <netlink/route/route.h>

/* The offloads asked of the kernel: it may hand over TCP super-segments of up
 * to 64 KiB (TSO) and leave checksums to us (CSUM). What it hands over is
 * taken apart in netstack_offload.c. UDP segmentation offload is not asked
 * for: the stub answers single datagrams. */
#define TUN_OFFLOADS (TUN_F_CSUM | TUN_F_TSO4 | TUN_F_TSO6)

static int tun_open_flags(int fd, short flags, int persist, char *err, size_t errlen)
{
    struct ifreq ifr;
    memset(&ifr, 0, sizeof(ifr));
    ifr.ifr_flags = flags;
    snprintf(ifr.ifr_name, sizeof(ifr.ifr_name), "%s", TUN_IFNAME);
    if (ioctl(fd, TUNSETIFF, &ifr) < 0) {
        snprintf(err, errlen, "cannot create the TUN device %s (TUNSETIFF): %s", TUN_IFNAME, strerror(errno));
        return -1;
    }
    /* Whoever closes the last fd of a non-persistent TUN unregisters it
     * there and then, waiting out RCU grace periods: about 23 ms of every
     * `torgate -- true`, spent before torgate could exit. A persistent one
     * goes with its namespace instead, which the kernel tears down in the
     * background once the sandbox and the gateway's fd are gone; nothing
     * else can reach a namespace that holds only lo and this device. (A
     * sidecar's namespace outlives torgate: its TUN must go with the fd.) */
    if (persist && ioctl(fd, TUNSETPERSIST, 1) < 0) {
        snprintf(err, errlen, "cannot make the TUN device %s persistent (TUNSETPERSIST): %s",
                 TUN_IFNAME, strerror(errno));
        return -1;
    }
    return 0;
}

/* Every read and write then carries a virtio_net_hdr in front of the packet:
 * checksum and segmentation work moves to whoever can skip it. If the
 * kernel refuses, the device is made again without (a plain TUN). */
static int tun_enable_offload(int fd)
{
    int size = TUN_VNET_HDR_LEN;
    if (ioctl(fd, TUNSETVNETHDRSZ, &size) < 0 || ioctl(fd, TUNSETOFFLOAD, (unsigned long)TUN_OFFLOADS) < 0)
        return -1;
    return 0;
}

int tun_open(int offload, int persist, char *err, size_t errlen)
{
    int fd = open("/dev/net/tun", O_RDWR | O_CLOEXEC);
    if (fd < 0) {
        int e = errno;
        struct stat st;
        if (e == EACCES || e == EPERM) {
            unsigned mode = stat("/dev/net/tun", &st) == 0 ? (unsigned)(st.st_mode & 07777) : 0;
            snprintf(err, errlen,
                     "cannot open /dev/net/tun: permission denied (mode %04o); to let users run "
                     "torgate: sudo chmod 0666 /dev/net/tun (as desktop distributions ship it)", mode);
        } else if (e == ENOENT) {
            snprintf(err, errlen, "cannot open /dev/net/tun: it does not exist; load the tun module "
                     "(sudo modprobe tun) or create it (sudo mknod /dev/net/tun c 10 200)");
        } else {
            snprintf(err, errlen, "cannot open /dev/net/tun: %s", strerror(e));
        }
        return -1;
    }
    if (offload) {
        if (tun_open_flags(fd, IFF_TUN | IFF_NO_PI | IFF_VNET_HDR, persist, err, errlen) == 0 &&
            tun_enable_offload(fd) == 0)
            return fd;
        /* The device's flags are fixed once it exists: start over. */
        close(fd);
        return tun_open(0, persist, err, errlen);
    }
    if (tun_open_flags(fd, IFF_TUN | IFF_NO_PI, persist, err, errlen) != 0) {
        close(fd);
        return -1;
    }
    return fd;
}

int tun_fit_vnet_hdr(int fd, char *err, size_t errlen)
{
    struct ifreq ifr;
    int size = 0, want = TUN_VNET_HDR_LEN;
    memset(&ifr, 0, sizeof(ifr));
    if (ioctl(fd, TUNGETIFF, &ifr) != 0 || !(ifr.ifr_flags & IFF_VNET_HDR))
        return 0;
    if (ioctl(fd, TUNGETVNETHDRSZ, &size) != 0) {
        snprintf(err, errlen, "cannot read the size of the TUN's virtio_net_hdr: %s", strerror(errno));
        return -1;
    }
    if (size == want)
        return 0;
    /* 12 bytes (virtio's mergeable-buffer header) is common: the fields
     * torgate reads are the first ten, and the kernel fills the rest. */
    if (ioctl(fd, TUNSETVNETHDRSZ, &want) != 0) {
        snprintf(err, errlen, "the TUN has a %d-byte virtio_net_hdr and cannot be given torgate's %d: "
                 "%s; open it without IFF_VNET_HDR, or with a %d-byte header", size, want,
                 strerror(errno), want);
        return -1;
    }
    return size;
}

int tun_has_offload(int fd)
{
    struct ifreq ifr;
    memset(&ifr, 0, sizeof(ifr));
    if (ioctl(fd, TUNGETIFF, &ifr) != 0 || !(ifr.ifr_flags & IFF_VNET_HDR))
        return 0;
    int size = 0;
    return ioctl(fd, TUNGETVNETHDRSZ, &size) == 0 && size == TUN_VNET_HDR_LEN;
}

static int nl_fail(char *err, size_t errlen, const char *what, int rc)
{
    snprintf(err, errlen, "cannot %s: %s", what, nl_geterror(rc));
    return -1;
}

/* Changes one link (by NAME, or by IFINDEX when NAME is NULL): an MTU when
 * MTU > 0, the up flag, route_localnet. */
struct link_want {
    unsigned mtu;
    int up, route_localnet;
};

static int link_change(struct nl_sock *sk, const char *name, int ifindex,
                       const struct link_want *want, const char *what, char *err, size_t errlen)
{
    struct rtnl_link *link = NULL, *change = NULL;
    int rc = rtnl_link_get_kernel(sk, name == NULL ? ifindex : 0, name, &link);
    if (rc < 0)
        return nl_fail(err, errlen, what, rc);
    change = rtnl_link_alloc();
    if (change == NULL) {
        rtnl_link_put(link);
        snprintf(err, errlen, "cannot %s: out of memory", what);
        return -1;
    }
    if (want->mtu > 0)
        rtnl_link_set_mtu(change, want->mtu);
    if (want->up)
        rtnl_link_set_flags(change, IFF_UP);
    if (want->route_localnet)
        rc = rtnl_link_inet_set_conf(change, IPV4_DEVCONF_ROUTE_LOCALNET, 1);
    if (rc >= 0)
        rc = rtnl_link_change(sk, link, change, 0);
    rtnl_link_put(change);
    rtnl_link_put(link);
    return rc < 0 ? nl_fail(err, errlen, what, rc) : 0;
}

static int link_up(struct nl_sock *sk, const char *name, unsigned mtu, char *err, size_t errlen)
{
    char what[64];
    const struct link_want want = { .mtu = mtu, .up = 1 };
    snprintf(what, sizeof(what), "bring %s up", name);
    return link_change(sk, name, 0, &want, what, err, errlen);
}

static int addr_add(struct nl_sock *sk, int ifindex, int family, const char *addr, int prefix,
                    char *err, size_t errlen)
{
    struct nl_addr *local = NULL;
    char what[96];
    snprintf(what, sizeof(what), "add address %s/%d to %s", addr, prefix, TUN_IFNAME);
    int rc = nl_addr_parse(addr, family, &local);
    if (rc < 0)
        return nl_fail(err, errlen, what, rc);
    nl_addr_set_prefixlen(local, prefix);
    struct rtnl_addr *a = rtnl_addr_alloc();
    if (a == NULL) {
        nl_addr_put(local);
        snprintf(err, errlen, "cannot %s: out of memory", what);
        return -1;
    }
    rtnl_addr_set_ifindex(a, ifindex);
    rtnl_addr_set_family(a, family);
    rc = rtnl_addr_set_local(a, local);
    if (rc == 0) {
        /* No duplicate address detection: the link has one end, and a
         * tentative address would refuse the app's first connections. */
        if (family == AF_INET6)
            rtnl_addr_set_flags(a, IFA_F_NODAD);
        rc = rtnl_addr_add(sk, a, 0);
    }
    rtnl_addr_put(a);
    nl_addr_put(local);
    return rc < 0 ? nl_fail(err, errlen, what, rc) : 0;
}

/* A route over the TUN: DST ("default" or a prefix) in TABLE, with SRC as
 * the preferred source address when given. */
static int route_add(struct nl_sock *sk, int ifindex, int family, int table, const char *dst_text,
                     const char *src_text, int replace, const char *what, char *err, size_t errlen)
{
    struct nl_addr *dst = NULL, *src = NULL;
    int rc = nl_addr_parse(dst_text, family, &dst);
    if (rc < 0)
        return nl_fail(err, errlen, what, rc);
    if (src_text != NULL && (rc = nl_addr_parse(src_text, family, &src)) < 0) {
        nl_addr_put(dst);
        return nl_fail(err, errlen, what, rc);
    }
    struct rtnl_route *r = rtnl_route_alloc();
    struct rtnl_nexthop *nh = rtnl_route_nh_alloc();
    if (r == NULL || nh == NULL) {
        if (r != NULL)
            rtnl_route_put(r);
        if (nh != NULL)
            rtnl_route_nh_free(nh);
        nl_addr_put(dst);
        if (src != NULL)
            nl_addr_put(src);
        snprintf(err, errlen, "cannot %s: out of memory", what);
        return -1;
    }
    rtnl_route_set_family(r, (uint8_t)family);
    rtnl_route_set_table(r, (uint32_t)table);
    rtnl_route_set_protocol(r, RTPROT_STATIC);
    rtnl_route_set_type(r, RTN_UNICAST);
    if (family == AF_INET)
        rtnl_route_set_scope(r, RT_SCOPE_LINK);
    rc = rtnl_route_set_dst(r, dst);
    if (rc == 0 && src != NULL)
        rc = rtnl_route_set_pref_src(r, src);
    if (rc == 0) {
        rtnl_route_nh_set_ifindex(nh, ifindex);
        rtnl_route_add_nexthop(r, nh);   /* r owns nh from here */
        nh = NULL;
        rc = rtnl_route_add(sk, r, NLM_F_CREATE | (replace ? NLM_F_REPLACE : NLM_F_EXCL));
    }
    if (nh != NULL)
        rtnl_route_nh_free(nh);
    rtnl_route_put(r);
    nl_addr_put(dst);
    if (src != NULL)
        nl_addr_put(src);
    return rc < 0 ? nl_fail(err, errlen, what, rc) : 0;
}

/* Tor hands out virtual addresses from 127.192.0.0/10 (AutomapHostsOnResolve,
 * VirtualAddrNetworkIPv4), and an app may be given one by a resolver outside
 * torgate. Inside the namespace the whole of 127.0.0.0/8 would be the
 * namespace's own lo, where nothing answers, so the app would fail with no
 * word why. A more specific route in the local table (consulted first,
 * longest prefix wins) sends that /10 to the TUN, and Tor maps the address
 * back to its name; the rest of 127/8 stays on lo. Replies then come from a
 * 127/8 source on a non-loopback device, which the kernel drops as martian
 * unless route_localnet is set on the TUN. */
static int automap_route(struct nl_sock *sk, int ifindex, char *err, size_t errlen)
{
    const struct link_want want = { .route_localnet = 1 };
    if (link_change(sk, NULL, ifindex, &want, "let the TUN accept replies from Tor's virtual "
                    "addresses (route_localnet)", err, errlen) != 0)
        return -1;
    return route_add(sk, ifindex, AF_INET, RT_TABLE_LOCAL, TUN_AUTOMAP4, TUN_ADDR4, 0,
                     "route Tor's virtual addresses " TUN_AUTOMAP4 " to the TUN", err, errlen);
}

int tun_configure(unsigned mtu, int replace_default, char *err, size_t errlen)
{
    struct nl_sock *sk = nl_socket_alloc();
    if (sk == NULL) {
        snprintf(err, errlen, "cannot configure the network: out of memory");
        return -1;
    }
    int rc = nl_connect(sk, NETLINK_ROUTE);
    if (rc < 0) {
        nl_socket_free(sk);
        return nl_fail(err, errlen, "open an rtnetlink socket", rc);
    }

    int ret = -1;
    int ifindex = 0;
    struct rtnl_link *link = NULL;
    if (link_up(sk, "lo", 0, err, errlen) != 0)
        goto out;
    rc = rtnl_link_get_kernel(sk, 0, TUN_IFNAME, &link);
    if (rc < 0) {
        nl_fail(err, errlen, "find the TUN device " TUN_IFNAME, rc);
        goto out;
    }
    ifindex = rtnl_link_get_ifindex(link);
    rtnl_link_put(link);
    if (addr_add(sk, ifindex, AF_INET, TUN_ADDR4, TUN_PREFIX4, err, errlen) != 0 ||
        addr_add(sk, ifindex, AF_INET6, TUN_ADDR6, TUN_PREFIX6, err, errlen) != 0 ||
        link_up(sk, TUN_IFNAME, mtu, err, errlen) != 0 ||
        route_add(sk, ifindex, AF_INET, RT_TABLE_MAIN, "default", NULL, replace_default,
                  "add the IPv4 default route", err, errlen) != 0 ||
        route_add(sk, ifindex, AF_INET6, RT_TABLE_MAIN, "default", NULL, replace_default,
                  "add the IPv6 default route", err, errlen) != 0)
        goto out;
    /* Not a confinement: without it those addresses reach only lo, and
     * nothing leaves. Worth a warning, not a refusal to run. */
    if (automap_route(sk, ifindex, err, errlen) != 0) {
        log_warn("%s; Tor's virtual addresses (%s) will not work inside the sandbox", err,
                 TUN_AUTOMAP4);
        err[0] = '\0';
    }
    ret = 0;
out:
    nl_socket_free(sk);
    return ret;
}
