/* Unit tests for the virtio_net_hdr of an offloading TUN
 * (netstack/netstack_offload.c): netstack_offload_rx on what the app's
 * kernel hands over, netstack_offload_tx on what lwIP sends. The header is
 * built and read here byte by byte (little-endian, as virtio has it), and
 * every checksum checked with packet_util.h's own sum, not packet.c's. */
#include "packet_util.h"

#include <linux/virtio_net.h>

#include "netstack/netstack_offload.h"

/* ---- the header, byte by byte ------------------------------------------ */

struct vh {
    uint8_t flags, gso_type;
    uint16_t hdr_len, gso_size, csum_start, csum_offset;
};

static void vh_put(uint8_t *b, struct vh h)
{
    b[0] = h.flags;
    b[1] = h.gso_type;
    const uint16_t f[4] = { h.hdr_len, h.gso_size, h.csum_start, h.csum_offset };
    for (int i = 0; i < 4; i++) {
        b[2 + 2 * i] = (uint8_t)f[i];
        b[3 + 2 * i] = (uint8_t)(f[i] >> 8);
    }
}

static struct vh vh_get(const uint8_t *b)
{
    struct vh h = { b[0], b[1], 0, 0, 0, 0 };
    h.hdr_len = (uint16_t)(b[2] | b[3] << 8);
    h.gso_size = (uint16_t)(b[4] | b[5] << 8);
    h.csum_start = (uint16_t)(b[6] | b[7] << 8);
    h.csum_offset = (uint16_t)(b[8] | b[9] << 8);
    return h;
}

/* ---- packets --------------------------------------------------------------- */

#define MAXPKT 0x10000

/* The pseudo-header's sum (folded, not inverted) of a transport segment of
 * l4len bytes in the packet b. */
static uint16_t pseudo_sum(const uint8_t *b, uint8_t proto, size_t l4len)
{
    uint8_t ph[40];
    size_t n;
    if (b[0] >> 4 == 4) {
        memcpy(ph, b + 12, 8);
        ph[8] = 0;
        ph[9] = proto;
        put16(ph + 10, (uint16_t)l4len);
        n = 12;
    } else {
        memcpy(ph, b + 8, 32);
        put32(ph + 32, (uint32_t)l4len);
        memset(ph + 36, 0, 3);
        ph[39] = proto;
        n = 40;
    }
    return ones_sum(0, ph, n);
}

/* Whether the transport checksum of b[0..n) (transport at off) verifies. */
static int l4_sum_ok(const uint8_t *b, size_t n, size_t off, uint8_t proto)
{
    return ones_sum(pseudo_sum(b, proto, n - off), b + off, n - off) == 0xFFFF;
}

static void fill(uint8_t *p, size_t n, unsigned seed)
{
    for (size_t i = 0; i < n; i++)
        p[i] = (uint8_t)(i * 31 + seed * 7 + (i >> 8));
}

/* IPv4 (header checksum right) or IPv6 header for l4len bytes of proto. */
static size_t ip_hdr(uint8_t *b, int family, uint8_t proto, size_t l4len)
{
    if (family == 4) {
        ip4(b, 5, (uint16_t)(20 + l4len), proto, 0x4000);
        put16(b + 10, (uint16_t)~ones_sum(0, b, 20));
        return 20;
    }
    return ip6(b, (uint16_t)l4len, proto);
}

/* A UDP datagram as the app's kernel sends it with offloads: only the
 * pseudo-header's sum in the checksum field. */
static size_t udp_partial(uint8_t *b, int family, size_t payload, unsigned seed)
{
    size_t off = ip_hdr(b, family, PACKET_UDP, 8 + payload);
    udp(b + off, 5353, 53, (uint16_t)(8 + payload));
    fill(b + off + 8, payload, seed);
    put16(b + off + 6, pseudo_sum(b, PACKET_UDP, 8 + payload));
    return off + 8 + payload;
}

/* A TCP segment (flags, payload bytes, options making the header thl bytes
 * long) with only the pseudo-header's sum in its checksum field. */
static size_t tcp_partial(uint8_t *b, int family, uint8_t flags, size_t thl, size_t payload)
{
    size_t off = ip_hdr(b, family, PACKET_TCP, thl + payload);
    tcp(b + off, 40000, 80, 1000, flags);
    b[off + 12] = (uint8_t)(thl / 4 << 4);
    memset(b + off + 20, 0x01, thl - 20);      /* NOPs */
    fill(b + off + thl, payload, 3);
    put16(b + off + 16, pseudo_sum(b, PACKET_TCP, thl + payload));
    return off + thl + payload;
}

/* What completing region orig[start..n) writes at its field: the sum of the
 * region as it stands (the field holding what the sender left there),
 * complemented, 0 as 0xffff. */
static uint16_t completed(const uint8_t *orig, size_t start, size_t n)
{
    uint16_t c = (uint16_t)~ones_sum(0, orig + start, n - start);
    return c == 0 ? 0xFFFF : c;
}

/* netstack_offload_rx on a heap copy of exactly len bytes (ASan sees any
 * access past them), parsed as netstack.c does first; the result back in b. */
static int rx(const uint8_t *hdr, uint8_t *b, size_t len, int *unchecked)
{
    struct packet_info pi;
    assert_int_equal(parse(b, len, &pi), PACKET_OK);
    uint8_t *copy = malloc(len);
    uint8_t h[NS_VNET_HDR_LEN];
    assert_non_null(copy);
    memcpy(copy, b, len);
    memcpy(h, hdr, sizeof(h));
    *unchecked = -1;
    int r = netstack_offload_rx(h, copy, len, &pi, unchecked);
    assert_true(*unchecked == 0 || *unchecked == 1);
    memcpy(b, copy, len);
    free(copy);
    return r;
}

static int tcp_sums_ok(const uint8_t *b, size_t n)
{
    struct packet_info pi;
    assert_int_equal(parse(b, n, &pi), PACKET_OK);
    return packet_tcp_checksum_ok(b, n, &pi);
}

/* ---- netstack_offload_rx --------------------------------------------------- */

/* No flag, or DATA_VALID: every checksum is there; nothing is touched, and
 * lwIP checks them, whatever the other fields say. */
static void test_rx_no_csum_flag(void **state)
{
    (void)state;
    static uint8_t b[MAXPKT], orig[MAXPKT];
    const uint8_t flags[] = { 0, VIRTIO_NET_HDR_F_DATA_VALID };
    const uint16_t starts[] = { 0, 20, 0xffff };
    uint8_t hdr[NS_VNET_HDR_LEN];
    for (int family = 4; family <= 6; family += 2) {
        size_t n = tcp_partial(b, family, PACKET_TCP_ACK, 20, 100);
        memcpy(orig, b, n);
        for (size_t f = 0; f < sizeof(flags); f++) {
            for (size_t s = 0; s < sizeof(starts) / sizeof(starts[0]); s++) {
                vh_put(hdr, (struct vh){ flags[f], VIRTIO_NET_HDR_GSO_TCPV4, 40, 1460, starts[s], 0xffff });
                int unchecked;
                assert_int_equal(rx(hdr, b, n, &unchecked), 0);
                assert_int_equal(unchecked, 0);
                assert_memory_equal(b, orig, n);
            }
        }
    }
}

/* NEEDS_CSUM on UDP (the stub's DNS): completed; the sum verifies. */
static void test_rx_udp_completed(void **state)
{
    (void)state;
    static uint8_t b[MAXPKT], orig[MAXPKT];
    uint8_t hdr[NS_VNET_HDR_LEN];
    for (int family = 4; family <= 6; family += 2) {
        for (size_t payload = 0; payload < 40; payload += 7) {   /* odd lengths too */
            size_t n = udp_partial(b, family, payload, (unsigned)payload);
            size_t off = family == 4 ? 20 : 40;
            memcpy(orig, b, n);
            assert_false(l4_sum_ok(b, n, off, PACKET_UDP) && payload > 0);
            vh_put(hdr, (struct vh){ VIRTIO_NET_HDR_F_NEEDS_CSUM, 0, 0, 0, (uint16_t)off, 6 });
            int unchecked;
            assert_int_equal(rx(hdr, b, n, &unchecked), 0);
            assert_int_equal(unchecked, 0);
            assert_true(l4_sum_ok(b, n, off, PACKET_UDP));
            assert_int_not_equal(get16(b + off + 6), 0);      /* 0 would say "none" (IPv4) */
            /* Only the checksum field changed. */
            assert_memory_equal(b, orig, off + 6);
            assert_memory_equal(b + off + 8, orig + off + 8, n - off - 8);
        }
    }
}

/* A sum that comes out 0 is written 0xffff (the same in one's complement,
 * and for UDP over IPv4 the only way to say there is one). */
static void test_rx_udp_zero_is_ffff(void **state)
{
    (void)state;
    uint8_t b[128];
    uint8_t hdr[NS_VNET_HDR_LEN];
    for (int family = 4; family <= 6; family += 2) {
        size_t off = family == 4 ? 20 : 40;
        size_t n = udp_partial(b, family, 16, 1);
        /* The last payload word makes the whole region sum to 0xffff. */
        put16(b + n - 2, 0);
        uint16_t rest = ones_sum(0, b + off, n - off);
        put16(b + n - 2, (uint16_t)(0xFFFF - rest));
        assert_int_equal(ones_sum(0, b + off, n - off), 0xFFFF);
        vh_put(hdr, (struct vh){ VIRTIO_NET_HDR_F_NEEDS_CSUM, 0, 0, 0, (uint16_t)off, 6 });
        int unchecked;
        assert_int_equal(rx(hdr, b, n, &unchecked), 0);
        assert_int_equal(get16(b + off + 6), 0xFFFF);
        assert_true(l4_sum_ok(b, n, off, PACKET_UDP));
    }
}

/* NEEDS_CSUM on a SYN: completed (the SYN is checked before Tor is asked). */
static void test_rx_tcp_syn_completed(void **state)
{
    (void)state;
    static uint8_t b[MAXPKT];
    uint8_t hdr[NS_VNET_HDR_LEN];
    for (int family = 4; family <= 6; family += 2) {
        for (size_t payload = 0; payload < 3; payload++) {
            size_t off = family == 4 ? 20 : 40;
            size_t n = tcp_partial(b, family, PACKET_TCP_SYN, 24, payload);
            assert_false(tcp_sums_ok(b, n));
            vh_put(hdr, (struct vh){ VIRTIO_NET_HDR_F_NEEDS_CSUM, 0, 0, 0, (uint16_t)off, 16 });
            int unchecked;
            assert_int_equal(rx(hdr, b, n, &unchecked), 0);
            assert_int_equal(unchecked, 0);
            assert_true(tcp_sums_ok(b, n));
            assert_true(l4_sum_ok(b, n, off, PACKET_TCP));
        }
    }
}

/* NEEDS_CSUM on any other TCP segment (up to a 64 KiB super-segment):
 * left as it is, for lwIP to take unchecked. */
static void test_rx_tcp_data_unchecked(void **state)
{
    (void)state;
    static uint8_t b[MAXPKT], orig[MAXPKT];
    const uint8_t flags[] = { PACKET_TCP_ACK, PACKET_TCP_ACK | 0x08, PACKET_TCP_ACK | PACKET_TCP_FIN,
                              PACKET_TCP_SYN | PACKET_TCP_ACK, PACKET_TCP_RST };
    const size_t payloads[] = { 0, 1, 1400, 65535 - 60 - 40 };
    uint8_t hdr[NS_VNET_HDR_LEN];
    for (int family = 4; family <= 6; family += 2) {
        size_t off = family == 4 ? 20 : 40;
        for (size_t f = 0; f < sizeof(flags); f++) {
            for (size_t k = 0; k < sizeof(payloads) / sizeof(payloads[0]); k++) {
                size_t n = tcp_partial(b, family, flags[f], 32, payloads[k]);
                memcpy(orig, b, n);
                vh_put(hdr, (struct vh){ VIRTIO_NET_HDR_F_NEEDS_CSUM,
                                         family == 4 ? VIRTIO_NET_HDR_GSO_TCPV4 : VIRTIO_NET_HDR_GSO_TCPV6,
                                         (uint16_t)(off + 32), 1448, (uint16_t)off, 16 });
                int unchecked;
                assert_int_equal(rx(hdr, b, n, &unchecked), 0);
                assert_int_equal(unchecked, 1);
                assert_memory_equal(b, orig, n);
            }
        }
    }
}

/* csum_start or the field beyond the packet: malformed, nothing written. */
static void test_rx_outside(void **state)
{
    (void)state;
    uint8_t b[256], orig[256];
    uint8_t hdr[NS_VNET_HDR_LEN];
    for (int family = 4; family <= 6; family += 2) {
        size_t off = family == 4 ? 20 : 40;
        for (int proto = 0; proto < 3; proto++) {
            size_t n = proto == 0   ? udp_partial(b, family, 21, 2)
                     : proto == 1 ? tcp_partial(b, family, PACKET_TCP_SYN, 20, 5)
                                  : tcp_partial(b, family, PACKET_TCP_ACK, 20, 5);
            memcpy(orig, b, n);
            const struct { size_t start, offset; } bad[] = {
                { n, 0 },                  /* start at the end */
                { n + 1, 0 },
                { 0xffff, 0xffff },
                { off, n - off - 1 },      /* the field's second byte past the end */
                { off, n - off },
                { off, 0xffff },
                { n - 1, 0 },              /* start inside, field past the end */
                { 0, n - 1 },
            };
            for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
                vh_put(hdr, (struct vh){ VIRTIO_NET_HDR_F_NEEDS_CSUM, 0, 0, 0, (uint16_t)bad[i].start,
                                         (uint16_t)bad[i].offset });
                int unchecked;
                assert_int_equal(rx(hdr, b, n, &unchecked), -1);
                assert_memory_equal(b, orig, n);
            }
            /* The last two bytes are still inside. */
            vh_put(hdr, (struct vh){ VIRTIO_NET_HDR_F_NEEDS_CSUM, 0, 0, 0, (uint16_t)off,
                                     (uint16_t)(n - off - 2) });
            int unchecked;
            assert_int_equal(rx(hdr, b, n, &unchecked), 0);
            assert_int_equal(get16(b + n - 2), completed(orig, off, n));
            assert_memory_equal(b, orig, n - 2);
        }
    }
}

/* A TCP data segment whose header points anywhere but its checksum field
 * is completed as asked, not taken unchecked (lwIP then checks it). */
static void test_rx_tcp_elsewhere_completed(void **state)
{
    (void)state;
    uint8_t b[256], orig[256];
    uint8_t hdr[NS_VNET_HDR_LEN];
    for (int family = 4; family <= 6; family += 2) {
        size_t off = family == 4 ? 20 : 40;
        size_t n = tcp_partial(b, family, PACKET_TCP_ACK, 20, 30);
        const struct { size_t start, offset; } where[] = {
            { off, 18 },               /* the urgent pointer */
            { off, 20 },               /* the data */
            { off + 20, 0 },           /* from the data on */
            { off + 4, 12 },           /* the checksum field, but summed from elsewhere */
        };
        for (size_t i = 0; i < sizeof(where) / sizeof(where[0]); i++) {
            n = tcp_partial(b, family, PACKET_TCP_ACK, 20, 30);
            memcpy(orig, b, n);
            size_t at = where[i].start + where[i].offset;
            vh_put(hdr, (struct vh){ VIRTIO_NET_HDR_F_NEEDS_CSUM, 0, 0, 0, (uint16_t)where[i].start,
                                     (uint16_t)where[i].offset });
            int unchecked;
            assert_int_equal(rx(hdr, b, n, &unchecked), 0);
            assert_int_equal(unchecked, 0);
            assert_int_equal(get16(b + at), completed(orig, where[i].start, n));
            assert_memory_equal(b, orig, at);
            assert_memory_equal(b + at + 2, orig + at + 2, n - at - 2);
        }
    }
}

/* A field over what packet_parse() read (the IPv4 header's IHL or total
 * length, ports, flags): the packet would no longer be the one the
 * netstack parsed, and its SYN checks trust the IPv4 header they read.
 * Malformed. (Found by fuzz_netstack: a heap over-read of up to ~2^64
 * bytes in packet_tcp_checksum_ok.) */
static void test_rx_over_parsed_fields(void **state)
{
    (void)state;
    uint8_t b[128];
    uint8_t hdr[NS_VNET_HDR_LEN];
    /* The IHL made 15 (60 bytes) in a 40-byte SYN: the urgent pointer is
     * chosen so that the completed sum over the packet is 0x4f00. */
    size_t n = tcp_partial(b, 4, PACKET_TCP_SYN, 20, 0);
    put16(b + 38, 0);
    uint32_t s = ones_sum(0, b, n), want = (uint16_t)~0x4F00;
    put16(b + 38, (uint16_t)(s <= want ? want - s : want + 0xFFFF - s));
    assert_int_equal((uint16_t)~ones_sum(0, b, n), 0x4F00);
    vh_put(hdr, (struct vh){ VIRTIO_NET_HDR_F_NEEDS_CSUM, 0, 0, 0, 0, 0 });
    int unchecked;
    assert_int_equal(rx(hdr, b, n, &unchecked), -1);

    /* Every field position over every packet: whatever is completed, the
     * packet still parses as it did, or it is refused. */
    for (int family = 4; family <= 6; family += 2) {
        for (int kind = 0; kind < 3; kind++) {
            uint8_t orig[128];
            size_t len = kind == 0   ? udp_partial(orig, family, 11, 5)
                       : kind == 1 ? tcp_partial(orig, family, PACKET_TCP_SYN, 20, 3)
                                   : tcp_partial(orig, family, PACKET_TCP_ACK, 20, 3);
            struct packet_info before, after;
            assert_int_equal(parse(orig, len, &before), PACKET_OK);
            for (size_t start = 0; start < len; start += 2) {
                for (size_t at = start; at + 2 <= len; at++) {
                    memcpy(b, orig, len);
                    vh_put(hdr, (struct vh){ VIRTIO_NET_HDR_F_NEEDS_CSUM, 0, 0, 0, (uint16_t)start,
                                             (uint16_t)(at - start) });
                    if (rx(hdr, b, len, &unchecked) != 0)
                        continue;
                    assert_int_equal(parse(b, len, &after), PACKET_OK);
                    assert_int_equal(after.family, before.family);
                    assert_int_equal(after.proto, before.proto);
                    assert_memory_equal(after.src, before.src, 16);
                    assert_memory_equal(after.dst, before.dst, 16);
                    assert_int_equal(after.sport, before.sport);
                    assert_int_equal(after.dport, before.dport);
                    assert_int_equal(after.tcp_flags, before.tcp_flags);
                    assert_int_equal(after.tcp_seq, before.tcp_seq);
                    assert_int_equal(after.has_ports, before.has_ports);
                    assert_int_equal(after.l4_off, before.l4_off);
                }
            }
        }
    }
}

/* ---- netstack_offload_tx --------------------------------------------------- */

/* netstack_offload_tx on heap copies: the first avail bytes of b (the rest
 * of the tot bytes is not the function's to read), the header out. */
static int tx(uint8_t *hdr, uint8_t *b, size_t avail, size_t tot, unsigned mtu)
{
    uint8_t *copy = malloc(avail > 0 ? avail : 1);
    assert_non_null(copy);
    memcpy(copy, b, avail);
    uint8_t *h = malloc(NS_VNET_HDR_LEN);
    assert_non_null(h);
    memset(h, 0xEE, NS_VNET_HDR_LEN);
    int r = netstack_offload_tx(h, copy, avail, tot, mtu);
    memcpy(b, copy, avail);
    memcpy(hdr, h, NS_VNET_HDR_LEN);
    free(h);
    free(copy);
    return r;
}

static void assert_hdr_zero(const uint8_t *hdr)
{
    for (int i = 0; i < NS_VNET_HDR_LEN; i++)
        assert_int_equal(hdr[i], 0);
}

/* What the app's kernel does with the header: the sum from csum_start on,
 * written at csum_start + csum_offset. */
static void kernel_complete(const uint8_t *hdr, uint8_t *b, size_t n)
{
    struct vh h = vh_get(hdr);
    assert_int_equal(h.flags, VIRTIO_NET_HDR_F_NEEDS_CSUM);
    assert_true(h.csum_start < n && (size_t)h.csum_start + h.csum_offset + 2 <= n);
    uint16_t c = packet_csum_fold(packet_csum_add(0, b + h.csum_start, n - h.csum_start));
    put16(b + h.csum_start + h.csum_offset, c == 0 ? 0xFFFF : c);
}

/* Not TCP (lwIP computed every sum): no offload, nothing touched. */
static void test_tx_not_tcp(void **state)
{
    (void)state;
    uint8_t b[256], orig[256], hdr[NS_VNET_HDR_LEN];
    for (int family = 4; family <= 6; family += 2) {
        for (int kind = 0; kind < 3; kind++) {
            size_t n;
            if (kind == 0) {
                n = udp_partial(b, family, 33, 1);
            } else if (kind == 1) {
                uint8_t proto = family == 4 ? PACKET_ICMP : PACKET_ICMP6;
                size_t off = ip_hdr(b, family, proto, 24);
                fill(b + off, 24, 9);
                n = off + 24;
            } else {
                /* TCP by its protocol, but too short to be a segment. */
                size_t off = ip_hdr(b, family, PACKET_TCP, 12);
                fill(b + off, 12, 4);
                n = off + 12;
            }
            memcpy(orig, b, n);
            for (unsigned mtu = 1280; mtu <= 1500; mtu += 220) {
                assert_int_equal(tx(hdr, b, n, n, mtu), 0);
                assert_hdr_zero(hdr);
                assert_memory_equal(b, orig, n);
            }
        }
    }
}

/* A segment that fits the MTU: its checksum left to the kernel, the field
 * holding the pseudo-header's sum, no GSO. Completing it as the kernel does
 * gives a valid segment. */
static void test_tx_tcp_small(void **state)
{
    (void)state;
    static uint8_t b[MAXPKT], orig[MAXPKT];
    uint8_t hdr[NS_VNET_HDR_LEN];
    for (int family = 4; family <= 6; family += 2) {
        size_t off = family == 4 ? 20 : 40;
        /* Up to exactly one full segment of the MTU: mtu - headers bytes. */
        const size_t payloads[] = { 0, 1, 536, 1500 - off - 20 };
        for (size_t k = 0; k < sizeof(payloads) / sizeof(payloads[0]); k++) {
            size_t n = tcp_partial(b, family, PACKET_TCP_ACK | 0x08, 20, payloads[k]);
            put16(b + off + 16, 0xDEAD);       /* whatever lwIP left there */
            memcpy(orig, b, n);
            assert_int_equal(tx(hdr, b, n, n, 1500), 0);
            struct vh h = vh_get(hdr);
            assert_int_equal(h.flags, VIRTIO_NET_HDR_F_NEEDS_CSUM);
            assert_int_equal(h.gso_type, VIRTIO_NET_HDR_GSO_NONE);
            assert_int_equal(h.gso_size, 0);
            assert_int_equal(h.hdr_len, 0);
            assert_int_equal(h.csum_start, off);
            assert_int_equal(h.csum_offset, 16);
            assert_int_equal(get16(b + off + 16), pseudo_sum(b, PACKET_TCP, n - off));
            assert_memory_equal(b, orig, off + 16);
            assert_memory_equal(b + off + 18, orig + off + 18, n - off - 18);
            assert_false(tcp_sums_ok(b, n) && payloads[k] > 0);
            kernel_complete(hdr, b, n);
            assert_true(tcp_sums_ok(b, n));
        }
    }
}

/* Larger than the MTU: GSO fields for segments of the MTU, counted from
 * the real header lengths (IPv4 options, TCP options); the checksum over
 * the whole super-segment (the kernel adjusts it per segment). */
static void test_tx_tcp_super(void **state)
{
    (void)state;
    static uint8_t b[MAXPKT];
    uint8_t hdr[NS_VNET_HDR_LEN];
    const unsigned mtus[] = { 1280, 1500, 9000 };
    const size_t thls[] = { 20, 32, 60 };
    for (int family = 4; family <= 6; family += 2) {
        for (size_t m = 0; m < sizeof(mtus) / sizeof(mtus[0]); m++) {
            for (size_t t = 0; t < sizeof(thls) / sizeof(thls[0]); t++) {
                for (int opts4 = 0; opts4 <= (family == 4); opts4++) {
                    unsigned mtu = mtus[m];
                    size_t thl = thls[t], ipl = family == 4 ? 20 + 4 * (size_t)opts4 : 40;
                    size_t seg = mtu - ipl - thl;
                    const size_t payloads[] = { seg + 1, 3 * seg, 0xFFFF - ipl - thl };
                    for (size_t k = 0; k < sizeof(payloads) / sizeof(payloads[0]); k++) {
                        size_t n;
                        if (opts4) {
                            /* An IPv4 header of 24 bytes (one option word). */
                            n = ipl + thl + payloads[k];
                            ip4(b, 6, (uint16_t)n, PACKET_TCP, 0x4000);
                            put16(b + 10, (uint16_t)~ones_sum(0, b, ipl));
                            tcp(b + ipl, 40000, 80, 1000, PACKET_TCP_ACK);
                            b[ipl + 12] = (uint8_t)(thl / 4 << 4);
                            memset(b + ipl + 20, 0x01, thl - 20);
                            fill(b + ipl + thl, payloads[k], 5);
                        } else {
                            n = tcp_partial(b, family, PACKET_TCP_ACK, thl, payloads[k]);
                        }
                        assert_true(n > mtu && n <= 0xFFFF);
                        assert_int_equal(tx(hdr, b, n, n, mtu), 0);
                        struct vh h = vh_get(hdr);
                        assert_int_equal(h.flags, VIRTIO_NET_HDR_F_NEEDS_CSUM);
                        assert_int_equal(h.gso_type, family == 4 ? VIRTIO_NET_HDR_GSO_TCPV4
                                                                 : VIRTIO_NET_HDR_GSO_TCPV6);
                        assert_int_equal(h.gso_size, seg);
                        assert_int_equal(h.hdr_len, ipl + thl);
                        assert_int_equal(h.csum_start, ipl);
                        assert_int_equal(h.csum_offset, 16);
                        assert_int_equal(get16(b + ipl + 16), pseudo_sum(b, PACKET_TCP, n - ipl));
                        kernel_complete(hdr, b, n);
                        assert_true(tcp_sums_ok(b, n));
                    }
                }
            }
        }
    }
}

/* Only the headers contiguous (lwIP's header pbuf, data chained behind):
 * the length in the pseudo-header is the whole packet's, and nothing past
 * avail is read (ASan) or written. */
static void test_tx_headers_only_contiguous(void **state)
{
    (void)state;
    static uint8_t b[MAXPKT];
    uint8_t hdr[NS_VNET_HDR_LEN];
    for (int family = 4; family <= 6; family += 2) {
        size_t off = family == 4 ? 20 : 40;
        size_t n = tcp_partial(b, family, PACKET_TCP_ACK, 20, 20000);
        uint16_t want = pseudo_sum(b, PACKET_TCP, n - off);
        put16(b + off + 16, 0);
        assert_int_equal(tx(hdr, b, off + 20, n, 1500), 0);
        struct vh h = vh_get(hdr);
        assert_int_equal(h.flags, VIRTIO_NET_HDR_F_NEEDS_CSUM);
        assert_int_equal(h.gso_type, family == 4 ? VIRTIO_NET_HDR_GSO_TCPV4 : VIRTIO_NET_HDR_GSO_TCPV6);
        assert_int_equal(h.gso_size, 1500 - off - 20);
        assert_int_equal(get16(b + off + 16), want);
        kernel_complete(hdr, b, n);
        assert_true(tcp_sums_ok(b, n));
    }
}

/* The headers not all within avail: -1 (the caller flattens the packet),
 * the packet untouched. */
static void test_tx_short_avail(void **state)
{
    (void)state;
    static uint8_t b[MAXPKT], orig[MAXPKT];
    uint8_t hdr[NS_VNET_HDR_LEN];
    for (int family = 4; family <= 6; family += 2) {
        for (size_t thl = 20; thl <= 40; thl += 20) {
            size_t off = family == 4 ? 20 : 40;
            size_t n = tcp_partial(b, family, PACKET_TCP_ACK, thl, 3000);
            memcpy(orig, b, n);
            for (size_t avail = 0; avail < off + 20; avail++) {
                assert_int_equal(tx(hdr, b, avail, n, 1500), -1);
                assert_memory_equal(b, orig, n);
                assert_hdr_zero(hdr);
            }
            /* The TCP options may lie past avail: only the fixed header is read. */
            assert_int_equal(tx(hdr, b, off + 20, n, 1500), 0);
        }
    }
    /* IPv4 options: the TCP header starts later. */
    size_t n = 24 + 20 + 100;
    ip4(b, 6, (uint16_t)n, PACKET_TCP, 0x4000);
    tcp(b + 24, 40000, 80, 1, PACKET_TCP_ACK);
    memcpy(orig, b, n);
    assert_int_equal(tx(hdr, b, 43, n, 1500), -1);
    assert_memory_equal(b, orig, n);
    assert_int_equal(tx(hdr, b, 44, n, 1500), 0);
    assert_int_equal(vh_get(hdr).csum_start, 24);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_rx_no_csum_flag),
        cmocka_unit_test(test_rx_udp_completed),
        cmocka_unit_test(test_rx_udp_zero_is_ffff),
        cmocka_unit_test(test_rx_tcp_syn_completed),
        cmocka_unit_test(test_rx_tcp_data_unchecked),
        cmocka_unit_test(test_rx_outside),
        cmocka_unit_test(test_rx_tcp_elsewhere_completed),
        cmocka_unit_test(test_rx_over_parsed_fields),
        cmocka_unit_test(test_tx_not_tcp),
        cmocka_unit_test(test_tx_tcp_small),
        cmocka_unit_test(test_tx_tcp_super),
        cmocka_unit_test(test_tx_headers_only_contiguous),
        cmocka_unit_test(test_tx_short_avail),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
