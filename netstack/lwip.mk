# lwIP 2.1.3, unpacked by scripts/fetch-lwip from Debian's source package and
# compiled with torgate's own lwipopts.h. Only what a NO_SYS, TUN-only stack
# uses is listed (no DHCP, ARP, Ethernet, DNS client, sockets).
# LWIP_SRC: an unpacked lwIP tree. By default build/lwip, fetched when
# missing; debian/rules names the source package's lwip/ component instead,
# which is never fetched (a package build has no network).
LWIP_SRC    ?= build/lwip
LWIP_DIR    := $(LWIP_SRC)/src
LWIP_SRCS   := $(addprefix $(LWIP_DIR)/core/, \
                 def.c inet_chksum.c init.c ip.c mem.c memp.c netif.c pbuf.c \
                 stats.c sys.c tcp.c tcp_in.c tcp_out.c timeouts.c udp.c \
                 ipv4/icmp.c ipv4/ip4.c ipv4/ip4_addr.c ipv4/ip4_frag.c \
                 ipv6/icmp6.c ipv6/inet6.c ipv6/ip6.c ipv6/ip6_addr.c \
                 ipv6/ip6_frag.c ipv6/nd6.c ipv6/mld6.c)
LWIP_CFLAGS := -I netstack -I $(LWIP_DIR)/include

ifeq ($(LWIP_SRC),build/lwip)
LWIP_STAMP  := build/lwip/.complete
$(LWIP_STAMP):
	./scripts/fetch-lwip

$(LWIP_SRCS): $(LWIP_STAMP)
else
# Given, never fetched: only said when it is not there.
LWIP_STAMP  := $(LWIP_DIR)/core/init.c
$(LWIP_STAMP):
	@echo "LWIP_SRC=$(LWIP_SRC) is not an unpacked lwIP 2.1.3 ($@ is missing)" >&2; exit 1
endif
