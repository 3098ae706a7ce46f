/* lwIP configuration for torgate: one thread, no OS layer, one TUN netif.
 * Everything lwIP allocates comes from malloc so that no compile-time pool
 * caps the number of streams (a static pool of 4,096 is a known failure of
 * hev-socks5-tunnel). */
#ifndef TORGATE_LWIPOPTS_H
#define TORGATE_LWIPOPTS_H

#define NO_SYS                          1
#define SYS_LIGHTWEIGHT_PROT            0
#define LWIP_NETCONN                    0
#define LWIP_SOCKET                     0
#define LWIP_TIMERS                     1

/* Memory: libc malloc for the heap and for every memp pool. */
#define MEM_LIBC_MALLOC                 1
#define MEMP_MEM_MALLOC                 1
#define MEM_ALIGNMENT                   8
#define MEMP_NUM_TCP_PCB                65535
#define MEMP_NUM_TCP_PCB_LISTEN         2
#define MEMP_NUM_TCP_SEG                65535
#define MEMP_NUM_UDP_PCB                64
#define MEMP_NUM_REASSDATA              64
#define MEMP_NUM_SYS_TIMEOUT            16
#define PBUF_POOL_SIZE                  0

/* Protocols. The netif is point-to-point: no ARP, no Ethernet, no DHCP. */
#define LWIP_ARP                        0
#define LWIP_ETHERNET                   0
#define LWIP_DHCP                       0
#define LWIP_AUTOIP                     0
#define LWIP_IGMP                       0
#define LWIP_DNS                        0
#define LWIP_RAW                        0
#define LWIP_UDP                        1
#define LWIP_TCP                        1
#define LWIP_ICMP                       1
#define LWIP_BROADCAST_PING             0
#define LWIP_MULTICAST_PING             0
#define LWIP_IPV4                       1
#define LWIP_IPV6                       1
#define LWIP_IPV6_MLD                   0
#define LWIP_IPV6_AUTOCONFIG            0
#define LWIP_IPV6_DUP_DETECT_ATTEMPTS   0
#define LWIP_IPV6_SEND_ROUTER_SOLICIT   0
#define LWIP_IPV6_FRAG                  0
#define LWIP_IPV6_REASS                 1
#define LWIP_IPV6_SCOPES                0
#define LWIP_IPV6_NUM_ADDRESSES         2
#define LWIP_ND6_QUEUEING               0
#define LWIP_ND6_ALLOW_RA_UPDATES       0
#define LWIP_IPV6_DHCP6                 0
#define IP_FORWARD                      0
#define IP_REASSEMBLY                   1
#define IP_FRAG                         0
#define IP_REASS_MAX_PBUFS              64
#define LWIP_HAVE_LOOPIF                0
#define LWIP_NETIF_LOOPBACK             0
#define LWIP_SINGLE_NETIF               0
#define LWIP_NETIF_STATUS_CALLBACK      0
#define LWIP_NETIF_LINK_CALLBACK        0

/* TCP. The MSS is bounded by the netif MTU at run time (tcp_eff_send_mss),
 * so TCP_MSS is only the ceiling that a large --mtu can reach. Windows are
 * scaled so one stream can keep a fast loopback path full; what a stream can
 * hold is still bounded: TCP_WND towards Tor, TCP_SND_BUF towards the app. */
#define TCP_MSS                         65495
#define LWIP_WND_SCALE                  1
#define TCP_RCV_SCALE                   4
#define TCP_WND                         (512 * 1024)
#define TCP_WND_UPDATE_THRESHOLD        (TCP_WND / 2)
#define TCP_SND_BUF                     (1024 * 1024)
#define TCP_SND_QUEUELEN                4096
#define TCP_SNDLOWAT                    (TCP_SND_BUF / 4)
#define TCP_SNDQUEUELOWAT               (TCP_SND_QUEUELEN / 4)
#define TCP_QUEUE_OOSEQ                 1
#define TCP_OOSEQ_MAX_BYTES             (256 * 1024)
#define TCP_OOSEQ_MAX_PBUFS             256
#define TCP_LISTEN_BACKLOG              0
#define TCP_CALCULATE_EFF_SEND_MSS      1
#define TCP_OVERSIZE                    TCP_MSS
#define LWIP_TCP_TIMESTAMPS             0
#define LWIP_TCP_SACK_OUT               0
#define LWIP_TCP_KEEPALIVE              0
#define TCP_TTL                         64
#define LWIP_TCP_PCB_NUM_EXT_ARGS       0
#define LWIP_CALLBACK_API               1
#define LWIP_EVENT_API                  0
#define LWIP_DISABLE_TCP_SANITY_CHECKS  1

/* The app's kernel computes every checksum on the TUN; lwIP still checks them
 * because bytes from the namespace are untrusted input. */
/* With offloads, the TCP checksums towards the app are the kernel's, and
 * those it left undone coming in are not checked (netstack_offload.c). */
#define LWIP_CHECKSUM_CTRL_PER_NETIF    1
#include <stddef.h>
#include <stdint.h>
uint16_t packet_csum_native(const void *buf, size_t len);   /* netstack/packet.c */
#define LWIP_CHKSUM(data, len)          packet_csum_native((data), (size_t)(len))
#define CHECKSUM_GEN_IP                 1
#define CHECKSUM_GEN_TCP                1
#define CHECKSUM_GEN_UDP                1
#define CHECKSUM_GEN_ICMP               1
#define CHECKSUM_GEN_ICMP6              1
#define CHECKSUM_CHECK_IP               1
#define CHECKSUM_CHECK_TCP              1
#define CHECKSUM_CHECK_UDP              1
#define CHECKSUM_CHECK_ICMP             1
#define CHECKSUM_CHECK_ICMP6            1

/* TCP options lwIP would misread are rewritten first (netstack_tcpopt.c). */
#define LWIP_HOOK_FILENAME              "netstack_hooks.h"
#define LWIP_HOOK_TCP_INPACKET_PCB(pcb, hdr, optlen, opt1len, opt2, p) \
        netstack_tcp_inpacket(pcb, hdr, optlen, opt1len, opt2, p)

#define LWIP_STATS                      0
#define LWIP_DEBUG                      0
#define LWIP_NOASSERT                   0

#endif
