# lwIP 2.1.3, unpacked by scripts/fetch-lwip from Debian's source package and
# compiled with torgate's own lwipopts.h. Only what a NO_SYS, TUN-only stack
# uses is listed (no DHCP, ARP, Ethernet, DNS client, sockets).
LWIP_DIR    := build/lwip/src
LWIP_STAMP  := build/lwip/.complete
LWIP_SRCS   := $(addprefix $(LWIP_DIR)/core/, \
                 def.c inet_chksum.c init.c ip.c mem.c memp.c netif.c pbuf.c \
                 stats.c sys.c tcp.c tcp_in.c tcp_out.c timeouts.c udp.c \
                 ipv4/icmp.c ipv4/ip4.c ipv4/ip4_addr.c ipv4/ip4_frag.c \
                 ipv6/icmp6.c ipv6/inet6.c ipv6/ip6.c ipv6/ip6_addr.c \
                 ipv6/ip6_frag.c ipv6/nd6.c ipv6/mld6.c)
LWIP_CFLAGS := -I netstack -I $(LWIP_DIR)/include

$(LWIP_STAMP):
	./scripts/fetch-lwip

$(LWIP_SRCS): $(LWIP_STAMP)
