/* virtio_net_hdr arithmetic for the fuzz_netstack harness (offloads): what
 * the app's kernel writes, what it completes, and what the netstack may
 * write towards the app, read byte by byte and independent of
 * netstack/netstack_offload.c so that the harness checks it. */
#ifndef TORGATE_FUZZ_VNET_H
#define TORGATE_FUZZ_VNET_H

#include <stddef.h>
#include <stdint.h>

#define VNET_LEN 10    /* struct virtio_net_hdr */

uint16_t fuzz_vnet_le16(const uint8_t *b);

/* What a NEEDS_CSUM header asks of whoever completes it (the app's kernel
 * for packets towards the app, the netstack for the others): the sum from
 * csum_start to the end of the packet, complemented, written at csum_start
 * + csum_offset, 0 as 0xffff. Returns 1 if done, 0 if the header asks for
 * nothing, -1 if it points outside the packet. */
int fuzz_vnet_complete(const uint8_t *vh, uint8_t *p, size_t len);

/* The header the app's kernel writes for p[0..n) on a link of this MTU: a
 * checksum left undone (only the pseudo-header's sum in its field) and,
 * for a TCP segment larger than the MTU, how it would be cut. */
void fuzz_vnet_kernel_hdr(uint8_t *vh, uint8_t *p, size_t n, size_t mtu);

/* A header the netstack wrote in front of p[0..len) (towards the app):
 * checked (traps on a violation), and the checksum it leaves to the app's
 * kernel completed. */
void fuzz_vnet_check_tx(const uint8_t *vh, uint8_t *p, size_t len, size_t mtu);

/* One packet towards the app, as the netstack wrote it (iov[0..iovcnt),
 * with offloads the header in an element of its own first): gathered into
 * pkt (cap bytes), the header copied to vh and checked as fuzz_vnet_check_tx
 * does, or without offloads the packet checked to fit the MTU. Returns the
 * packet's length. */
struct iovec;
size_t fuzz_vnet_gather_tx(const struct iovec *iov, int iovcnt, int offload, size_t mtu,
                           uint8_t *vh, uint8_t *pkt, size_t cap);

#endif
