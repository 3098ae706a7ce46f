/* The sandbox's TUN device: created inside the new network namespace and
 * configured over rtnetlink (libnl-route-3). */
#ifndef TORGATE_TUN_H
#define TORGATE_TUN_H

#include <stddef.h>

#define TUN_IFNAME      "tg0"
/* Addresses inside the sandbox. Only the sandbox sees them (its namespace
 * holds nothing but lo and tg0), so private ranges cannot collide with the
 * host's; the gateway side (.1 / ::1) is where later services (DNS) live. */
#define TUN_ADDR4       "10.66.0.2"
#define TUN_PREFIX4     24
#define TUN_GATEWAY4    "10.66.0.1"
#define TUN_ADDR6       "fd74:6f72::2"
#define TUN_PREFIX6     64
#define TUN_GATEWAY6    "fd74:6f72::1"
/* Tor's VirtualAddrNetworkIPv4 default: routed to the TUN, not lo (tun.c). */
#define TUN_AUTOMAP4    "127.192.0.0/10"

/* The virtio_net_hdr in front of every packet of an offloading TUN. */
#define TUN_VNET_HDR_LEN 10

/* Opens /dev/net/tun as IFF_TUN|IFF_NO_PI named TUN_IFNAME; with offload,
 * also IFF_VNET_HDR with checksum and TCP segmentation offloads, or a plain
 * TUN if the kernel refuses them; persist: the device outlives the fd and
 * goes with its namespace. Returns the fd, or -1 with a one-line
 * explanation (and the fix) in err. */
int tun_open(int offload, int persist, char *err, size_t errlen);

/* A TUN opened by someone else (--tun-fd) with IFF_VNET_HDR may carry a
 * header of another size (12 bytes is common): it is set to
 * TUN_VNET_HDR_LEN. 0 when nothing had to change, the old size when it
 * was changed, -1 with err set when it cannot be. */
int tun_fit_vnet_hdr(int fd, char *err, size_t errlen);

/* Whether the TUN behind fd carries a TUN_VNET_HDR_LEN-byte virtio_net_hdr
 * in front of every packet (a TUN from tun_open with offload, or one passed
 * with --tun-fd that was opened so). */
int tun_has_offload(int fd);

/* Brings lo up, gives the TUN its addresses, MTU and default routes for
 * both families (replacing any there with replace_default, else failing),
 * and brings it up. Returns 0, or -1 with err set. */
int tun_configure(unsigned mtu, int replace_default, char *err, size_t errlen);

#endif
