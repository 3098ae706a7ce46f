/* The virtio_net_hdr of an offloading TUN (netstack_offload.c): pure
 * functions, unit-tested on their own. */
#ifndef TORGATE_NETSTACK_OFFLOAD_H
#define TORGATE_NETSTACK_OFFLOAD_H

#include <stddef.h>
#include <stdint.h>

struct packet_info;

#define NS_VNET_HDR_LEN 10

/* A packet read from the TUN: hdr (NS_VNET_HDR_LEN bytes) came with
 * pkt[0..len), parsed into *pi. Completes a checksum the kernel left
 * undone, in place, or sets *tcp_unchecked when lwIP must take the TCP
 * segment without checking its sum. Returns -1 if the header points
 * outside the packet, or if the completed packet no longer parses as *pi
 * says (the header pointed into the parsed headers): malformed, drop it. */
int netstack_offload_rx(const uint8_t *hdr, uint8_t *pkt, size_t len, const struct packet_info *pi,
                        int *tcp_unchecked);

/* A packet for the TUN: tot bytes, the first avail of them contiguous at
 * pkt. Writes its header into hdr: for TCP, the checksum left to the kernel
 * (the pseudo-header's sum is written into pkt) and, when the payload is
 * larger than a segment on a link of this mtu, how to cut it; for anything
 * else no offload. Returns -1 if the IP and TCP headers (or the IP header's
 * fixed part, which says whether it is TCP) are not within avail (nothing
 * written to pkt). */
int netstack_offload_tx(uint8_t *hdr, uint8_t *pkt, size_t avail, size_t tot, unsigned mtu);

#endif
