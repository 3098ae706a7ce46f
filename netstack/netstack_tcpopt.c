/* lwIP 2.1.3 takes an MSS option from any TCP segment, and bounds only a
 * new connection's by the MTU: a later segment, or a repeated SYN, can raise
 * the MSS to 64 KiB, and lwIP then writes packets larger than the TUN's MTU,
 * which the app's kernel drops, so the stream stalls (found by
 * tests/fuzz/fuzz_netstack.c). The app's kernel sends MSS only in its SYN;
 * anywhere else the option is made NOPs before lwIP reads it. lwIP has
 * verified the segment's checksum by then (or was told not to, see
 * netstack_offload.c), so this changes nothing else.
 *
 * With offloads, the SYN's MSS is raised when it is the link's own (what
 * the app's kernel derives from the TUN's MTU): lwIP then sends segments
 * of up to 64 KiB that the kernel takes as super-segments for that MSS.
 * An app that asked for a smaller MSS (TCP_MAXSEG) keeps it. */
#define _GNU_SOURCE
#include "netstack/netstack_hooks.h"
#include "netstack/netstack_internal.h"

#include "lwip/priv/tcp_priv.h"
#include "lwip/prot/tcp.h"
#include "lwip/tcp.h"

#define OPT_EOL 0
#define OPT_NOP 1
#define OPT_MSS 2
#define OPT_MSS_LEN 4

/* Options may be split between two pbufs: opt1len bytes right after the
 * header, the rest at opt2. */
static struct ns_link opt_link;

void netstack_tcpopt_init(const struct ns_link *link)
{
    opt_link = *link;
}

static u8_t *opt_at(struct tcp_hdr *hdr, u16_t opt1len, u8_t *opt2, u16_t i)
{
    if (opt2 == NULL || i < opt1len)
        return (u8_t *)hdr + TCP_HLEN + i;
    return opt2 + (i - opt1len);
}

err_t netstack_tcp_inpacket(struct tcp_pcb *pcb, struct tcp_hdr *hdr, u16_t optlen,
                            u16_t opt1len, u8_t *opt2, struct pbuf *p)
{
    (void)p;
    int syn = pcb->state == LISTEN;    /* the SYN of a new connection */
    if (syn && !opt_link.offload)
        return ERR_OK;
    u16_t i = 0;
    while (i + 1 < optlen) {
        u8_t kind = *opt_at(hdr, opt1len, opt2, i);
        if (kind == OPT_EOL)
            break;
        if (kind == OPT_NOP) {
            i++;
            continue;
        }
        u8_t len = *opt_at(hdr, opt1len, opt2, (u16_t)(i + 1));
        if (len < 2)
            break;                     /* lwIP stops here too */
        if (kind == OPT_MSS && len == OPT_MSS_LEN && i + OPT_MSS_LEN <= optlen) {
            u8_t *hi = opt_at(hdr, opt1len, opt2, (u16_t)(i + 2));
            u8_t *lo = opt_at(hdr, opt1len, opt2, (u16_t)(i + 3));
            if (syn) {
                unsigned link = opt_link.mtu - (ip_current_is_v6() ? 60u : 40u);
                if ((unsigned)(*hi << 8 | *lo) >= link)
                    *hi = *lo = 0xff;  /* lwIP bounds it by its netif's MTU */
                return ERR_OK;
            }
            for (u16_t k = 0; k < OPT_MSS_LEN; k++)
                *opt_at(hdr, opt1len, opt2, (u16_t)(i + k)) = OPT_NOP;
        }
        i = (u16_t)(i + len);
    }
    return ERR_OK;
}
