/* Hooks lwIP calls into the netstack (lwipopts.h names this file as
 * LWIP_HOOK_FILENAME, so lwIP's sources include it). */
#ifndef TORGATE_NETSTACK_HOOKS_H
#define TORGATE_NETSTACK_HOOKS_H

#include "lwip/arch.h"
#include "lwip/err.h"

struct tcp_pcb;
struct tcp_hdr;
struct pbuf;

/* LWIP_HOOK_TCP_INPACKET_PCB: a segment for pcb, checksum verified, before
 * lwIP reads its options (netstack_tcpopt.c). */
err_t netstack_tcp_inpacket(struct tcp_pcb *pcb, struct tcp_hdr *hdr, u16_t optlen,
                            u16_t opt1len, u8_t *opt2, struct pbuf *p);

#endif
