/* Unit tests for the IP/TCP/UDP header parser (netstack/packet.c); the
 * ICMP answer builder has test_packet_icmp.c, the checks a SYN passes
 * before it is held test_packet_syn.c. */
#include "packet_util.h"

static void test_v4_syn(void **state)
{
    (void)state;
    uint8_t b[40];
    struct packet_info pi;
    static const uint8_t zero[16];

    ip4(b, 5, 40, PACKET_TCP, 0x4000);
    tcp(b + 20, 49153, 443, 0xDEADBEEF, PACKET_TCP_SYN);
    assert_int_equal(parse(b, sizeof(b), &pi), PACKET_OK);
    assert_int_equal(pi.family, 4);
    assert_int_equal(pi.proto, PACKET_TCP);
    assert_memory_equal(pi.src, SRC4, 4);
    assert_memory_equal(pi.dst, DST4, 4);
    assert_memory_equal(pi.src + 4, zero, 12);
    assert_memory_equal(pi.dst + 4, zero, 12);
    assert_int_equal(pi.sport, 49153);
    assert_int_equal(pi.dport, 443);
    assert_int_equal(pi.tcp_seq, 0xDEADBEEF);
    assert_int_equal(pi.tcp_flags, PACKET_TCP_SYN);
    assert_int_equal(pi.has_ports, 1);
    assert_true(packet_is_tcp_open(&pi));
}

static void test_tcp_flags(void **state)
{
    (void)state;
    static const struct { uint8_t flags; int open; } cases[] = {
        { 0x02, 1 },    /* SYN */
        { 0xC2, 1 },    /* SYN with ECE|CWR: an ECN-setup SYN opens too */
        { 0x03, 1 },    /* SYN|FIN: still no ACK or RST */
        { 0x0A, 1 },    /* SYN|PSH */
        { 0x12, 0 },    /* SYN|ACK */
        { 0x04, 0 },    /* RST */
        { 0x06, 0 },    /* SYN|RST */
        { 0x16, 0 },    /* SYN|RST|ACK */
        { 0x10, 0 },    /* ACK */
        { 0x18, 0 },    /* PSH|ACK */
        { 0x11, 0 },    /* FIN|ACK */
        { 0x00, 0 },
    };
    uint8_t b[60];
    struct packet_info pi;

    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        ip4(b, 5, 40, PACKET_TCP, 0);
        tcp(b + 20, 1000, 80, 7, cases[i].flags);
        assert_int_equal(parse(b, 40, &pi), PACKET_OK);
        assert_int_equal(pi.tcp_flags, cases[i].flags);
        assert_int_equal(pi.has_ports, 1);
        assert_int_equal(packet_is_tcp_open(&pi), cases[i].open);

        ip6(b, 20, PACKET_TCP);
        tcp(b + 40, 1000, 80, 7, cases[i].flags);
        assert_int_equal(parse(b, 60, &pi), PACKET_OK);
        assert_int_equal(pi.tcp_flags, cases[i].flags);
        assert_int_equal(packet_is_tcp_open(&pi), cases[i].open);
    }
}

static void test_v4_options(void **state)
{
    (void)state;
    uint8_t b[80];
    struct packet_info pi;

    /* Option bytes that would pass for a different TCP header if the parser
     * assumed 20 bytes of IP header. */
    ip4(b, 6, 44, PACKET_TCP, 0);
    memcpy(b + 20, (const uint8_t[]){ 0x11, 0x11, 0x22, 0x22 }, 4);
    tcp(b + 24, 5555, 6666, 0x01020304, PACKET_TCP_SYN);
    assert_int_equal(parse(b, 44, &pi), PACKET_OK);
    assert_int_equal(pi.sport, 5555);
    assert_int_equal(pi.dport, 6666);
    assert_int_equal(pi.tcp_seq, 0x01020304);
    assert_true(packet_is_tcp_open(&pi));

    ip4(b, 15, 80, PACKET_TCP, 0);
    tcp(b + 60, 1, 65535, 0xFFFFFFFF, PACKET_TCP_SYN);
    assert_int_equal(parse(b, 80, &pi), PACKET_OK);
    assert_int_equal(pi.sport, 1);
    assert_int_equal(pi.dport, 65535);
    assert_int_equal(pi.tcp_seq, 0xFFFFFFFF);
    assert_true(packet_is_tcp_open(&pi));

    /* Header only, no transport at all. */
    ip4(b, 6, 24, PACKET_TCP, 0);
    assert_int_equal(parse(b, 24, &pi), PACKET_OK);
    assert_int_equal(pi.has_ports, 0);
    assert_false(packet_is_tcp_open(&pi));
}

static void test_v6_syn(void **state)
{
    (void)state;
    uint8_t b[60];
    struct packet_info pi;

    ip6(b, 20, PACKET_TCP);
    tcp(b + 40, 40000, 9050, 0x80000001, PACKET_TCP_SYN);
    assert_int_equal(parse(b, sizeof(b), &pi), PACKET_OK);
    assert_int_equal(pi.family, 6);
    assert_int_equal(pi.proto, PACKET_TCP);
    assert_memory_equal(pi.src, SRC6, 16);
    assert_memory_equal(pi.dst, DST6, 16);
    assert_int_equal(pi.sport, 40000);
    assert_int_equal(pi.dport, 9050);
    assert_int_equal(pi.tcp_seq, 0x80000001);
    assert_int_equal(pi.tcp_flags, PACKET_TCP_SYN);
    assert_int_equal(pi.has_ports, 1);
    assert_true(packet_is_tcp_open(&pi));
}

static void test_udp(void **state)
{
    (void)state;
    uint8_t b[80];
    struct packet_info pi;

    ip4(b, 5, 20 + 8 + 12, PACKET_UDP, 0);
    udp(b + 20, 53000, 53, 20);
    memset(b + 28, 0x02, 12);       /* payload byte 13 looks like a SYN */
    assert_int_equal(parse(b, 40, &pi), PACKET_OK);
    assert_int_equal(pi.family, 4);
    assert_int_equal(pi.proto, PACKET_UDP);
    assert_int_equal(pi.sport, 53000);
    assert_int_equal(pi.dport, 53);
    assert_int_equal(pi.has_ports, 1);
    assert_int_equal(pi.tcp_flags, 0);
    assert_int_equal(pi.tcp_seq, 0);
    assert_false(packet_is_tcp_open(&pi));

    ip6(b, 8, PACKET_UDP);
    udp(b + 40, 5353, 443, 8);
    assert_int_equal(parse(b, 48, &pi), PACKET_OK);
    assert_int_equal(pi.family, 6);
    assert_int_equal(pi.proto, PACKET_UDP);
    assert_memory_equal(pi.src, SRC6, 16);
    assert_memory_equal(pi.dst, DST6, 16);
    assert_int_equal(pi.sport, 5353);
    assert_int_equal(pi.dport, 443);
    assert_int_equal(pi.has_ports, 1);
    assert_false(packet_is_tcp_open(&pi));
}

static void test_other_protocols(void **state)
{
    (void)state;
    uint8_t b[60];
    struct packet_info pi;

    ip4(b, 5, 40, 1 /* ICMP */, 0);
    memset(b + 20, 0x02, 20);
    assert_int_equal(parse(b, 40, &pi), PACKET_OK);
    assert_int_equal(pi.proto, 1);
    assert_int_equal(pi.has_ports, 0);
    assert_int_equal(pi.sport, 0);
    assert_false(packet_is_tcp_open(&pi));

    /* ESP ends the walk: what follows is encrypted. */
    ip6(b, 20, 50);
    tcp(b + 40, 1, 2, 3, PACKET_TCP_SYN);
    assert_int_equal(parse(b, 60, &pi), PACKET_OK);
    assert_int_equal(pi.proto, 50);
    assert_int_equal(pi.has_ports, 0);
    assert_false(packet_is_tcp_open(&pi));
}

/* An extension header of len8 8-octet units beyond the first, at e. */
static size_t ext6(uint8_t *e, uint8_t next, uint8_t len8)
{
    memset(e, 0, (size_t)(len8 + 1) * 8);
    e[0] = next;
    e[1] = len8;
    return (size_t)(len8 + 1) * 8;
}

static void test_v6_extension_headers(void **state)
{
    (void)state;
    uint8_t b[200];
    struct packet_info pi;
    size_t off;

    /* Hop-by-hop, routing and destination options before a SYN: the same
     * SYN as without them. */
    off = 40;
    off += ext6(b + off, 43, 0);
    off += ext6(b + off, 60, 1);
    off += ext6(b + off, PACKET_TCP, 0);
    tcp(b + off, 40000, 443, 77, PACKET_TCP_SYN);
    ip6(b, (uint16_t)(off + 20 - 40), 0);
    assert_int_equal(parse(b, off + 20, &pi), PACKET_OK);
    assert_int_equal(pi.proto, PACKET_TCP);
    assert_int_equal(pi.dport, 443);
    assert_int_equal(pi.tcp_seq, 77);
    assert_true(packet_is_tcp_open(&pi));

    /* UDP in a first fragment has its ports; later fragments have none. */
    off = 40;
    b[off] = PACKET_UDP;
    b[off + 1] = 0;
    put16(b + off + 2, 0x0001);        /* offset 0, more fragments */
    put32(b + off + 4, 0xdeadbeef);
    off += 8;
    udp(b + off, 5000, 443, 1200);
    ip6(b, 16, 44);
    assert_int_equal(parse(b, 56, &pi), PACKET_OK);
    assert_int_equal(pi.proto, PACKET_UDP);
    assert_int_equal(pi.has_ports, 1);
    assert_int_equal(pi.dport, 443);
    put16(b + 42, 0x0100);             /* offset 32 */
    assert_int_equal(parse(b, 56, &pi), PACKET_OK);
    assert_int_equal(pi.proto, PACKET_UDP);
    assert_int_equal(pi.has_ports, 0);

    /* An MLD report behind hop-by-hop is link signalling; so is any
     * ICMPv6 type from 130 on, and no echo, error or ICMPv4 type is. */
    off = 40 + ext6(b + 40, PACKET_ICMP6, 0);
    b[off] = 143;
    ip6(b, (uint16_t)(off + 8 - 40), 0);
    assert_int_equal(parse(b, off + 8, &pi), PACKET_OK);
    assert_int_equal(pi.proto, PACKET_ICMP6);
    assert_true(packet_is_link_signalling(&pi));
    static const struct { uint8_t type; int link; } types[] = {
        { 1, 0 }, { 2, 0 }, { 4, 0 }, { 128, 0 }, { 129, 0 }, { 130, 1 }, { 133, 1 },
        { 134, 1 }, { 135, 1 }, { 136, 1 }, { 137, 1 }, { 143, 1 }, { 255, 1 },
    };
    for (size_t i = 0; i < sizeof(types) / sizeof(types[0]); i++) {
        ip6(b, 8, PACKET_ICMP6);
        memset(b + 40, 0, 8);
        b[40] = types[i].type;
        assert_int_equal(parse(b, 48, &pi), PACKET_OK);
        assert_int_equal(packet_is_link_signalling(&pi), types[i].link);
    }
    ip4(b, 5, 28, PACKET_ICMP, 0);
    memset(b + 20, 0, 8);
    b[20] = 134;
    assert_int_equal(parse(b, 28, &pi), PACKET_OK);
    assert_false(packet_is_link_signalling(&pi));
}

static void test_v6_extension_headers_malformed(void **state)
{
    (void)state;
    uint8_t b[200];
    struct packet_info pi;
    size_t off;

    /* Eight headers are walked; a ninth is refused. */
    for (int n = 8; n <= 9; n++) {
        off = 40;
        for (int i = 0; i < n; i++)
            off += ext6(b + off, i == n - 1 ? PACKET_UDP : 60, 0);
        udp(b + off, 1, 53, 8);
        ip6(b, (uint16_t)(off + 8 - 40), 60);
        assert_int_equal(parse(b, off + 8, &pi), n == 8 ? PACKET_OK : PACKET_BAD_HEADER);
        if (n == 8)
            assert_int_equal(pi.dport, 53);
    }
    /* A header that runs past the payload length, or is cut short. */
    ext6(b + 40, PACKET_TCP, 2);               /* claims 24 bytes */
    ip6(b, 16, 0);
    assert_int_equal(parse(b, 56, &pi), PACKET_BAD_HEADER);
    ip6(b, 4, 60);
    assert_int_equal(parse(b, 44, &pi), PACKET_BAD_HEADER);
    ip6(b, 4, 44);
    assert_int_equal(parse(b, 44, &pi), PACKET_BAD_HEADER);
    /* Exactly a header and nothing after it: no transport, not malformed. */
    ext6(b + 40, PACKET_TCP, 0);
    ip6(b, 8, 0);
    assert_int_equal(parse(b, 48, &pi), PACKET_OK);
    assert_int_equal(pi.proto, PACKET_TCP);
    assert_int_equal(pi.has_ports, 0);
}

static void test_malformed(void **state)
{
    (void)state;
    uint8_t b[80];
    struct packet_info pi;

    memset(b, 0x5A, sizeof(b));
    assert_int_equal(parse(b, 0, &pi), PACKET_TOO_SHORT);

    ip4(b, 5, 40, PACKET_TCP, 0);
    tcp(b + 20, 1, 2, 3, PACKET_TCP_SYN);
    for (size_t len = 1; len < 20; len++)
        assert_int_equal(parse(b, len, &pi), PACKET_TOO_SHORT);
    /* Total length beyond the buffer, for every cut. */
    for (size_t len = 20; len < 40; len++)
        assert_int_equal(parse(b, len, &pi), PACKET_TOO_SHORT);
    assert_int_equal(parse(b, 40, &pi), PACKET_OK);

    for (unsigned ihl = 0; ihl < 5; ihl++) {
        ip4(b, 5, 40, PACKET_TCP, 0);
        b[0] = (uint8_t)(0x40 | ihl);
        assert_int_equal(parse(b, 40, &pi), PACKET_BAD_HEADER);
    }
    ip4(b, 5, 19, PACKET_TCP, 0);
    assert_int_equal(parse(b, 40, &pi), PACKET_BAD_HEADER);
    ip4(b, 5, 0, PACKET_TCP, 0);
    assert_int_equal(parse(b, 40, &pi), PACKET_BAD_HEADER);
    ip4(b, 6, 23, PACKET_TCP, 0);
    assert_int_equal(parse(b, 40, &pi), PACKET_BAD_HEADER);
    ip4(b, 15, 59, PACKET_TCP, 0);
    assert_int_equal(parse(b, 80, &pi), PACKET_BAD_HEADER);
    /* IHL 15 in a 20-byte buffer: the claimed header is not there. */
    ip4(b, 5, 60, PACKET_TCP, 0);
    b[0] = 0x4f;
    assert_int_equal(parse(b, 20, &pi), PACKET_TOO_SHORT);

    static const uint8_t versions[] = { 0, 1, 5, 7, 15 };
    for (size_t i = 0; i < sizeof(versions); i++) {
        ip4(b, 5, 40, PACKET_TCP, 0);
        tcp(b + 20, 1, 2, 3, PACKET_TCP_SYN);
        b[0] = (uint8_t)(versions[i] << 4 | 5);
        assert_int_equal(parse(b, 40, &pi), PACKET_BAD_VERSION);
        assert_int_equal(parse(b, 80, &pi), PACKET_BAD_VERSION);
    }

    ip6(b, 20, PACKET_TCP);
    tcp(b + 40, 1, 2, 3, PACKET_TCP_SYN);
    for (size_t len = 1; len < 60; len++)
        assert_int_equal(parse(b, len, &pi), PACKET_TOO_SHORT);
    ip6(b, 0xFFFF, PACKET_TCP);
    assert_int_equal(parse(b, 80, &pi), PACKET_TOO_SHORT);
    ip6(b, 41, PACKET_TCP);
    assert_int_equal(parse(b, 80, &pi), PACKET_TOO_SHORT);
}

static void test_short_transport(void **state)
{
    (void)state;
    uint8_t b[80];
    struct packet_info pi;

    /* The buffer holds a whole SYN, but the IP length gives TCP only 10
     * bytes: what lies past the total length is padding, not header. */
    ip4(b, 5, 30, PACKET_TCP, 0);
    tcp(b + 20, 1234, 80, 99, PACKET_TCP_SYN);
    assert_int_equal(parse(b, 40, &pi), PACKET_OK);
    assert_int_equal(pi.family, 4);
    assert_int_equal(pi.proto, PACKET_TCP);
    assert_int_equal(pi.has_ports, 0);
    assert_int_equal(pi.sport, 0);
    assert_int_equal(pi.dport, 0);
    assert_false(packet_is_tcp_open(&pi));
    assert_int_equal(parse(b, 30, &pi), PACKET_OK);
    assert_int_equal(pi.has_ports, 0);

    ip4(b, 5, 39, PACKET_TCP, 0);
    assert_int_equal(parse(b, 40, &pi), PACKET_OK);
    assert_int_equal(pi.has_ports, 0);
    ip4(b, 5, 40, PACKET_TCP, 0);
    assert_int_equal(parse(b, 40, &pi), PACKET_OK);
    assert_int_equal(pi.has_ports, 1);
    assert_true(packet_is_tcp_open(&pi));

    ip4(b, 5, 27, PACKET_UDP, 0);
    udp(b + 20, 1, 2, 8);
    assert_int_equal(parse(b, 40, &pi), PACKET_OK);
    assert_int_equal(pi.has_ports, 0);
    ip4(b, 5, 28, PACKET_UDP, 0);
    assert_int_equal(parse(b, 28, &pi), PACKET_OK);
    assert_int_equal(pi.has_ports, 1);
    assert_int_equal(pi.sport, 1);

    ip6(b, 10, PACKET_TCP);
    tcp(b + 40, 1234, 80, 99, PACKET_TCP_SYN);
    assert_int_equal(parse(b, 60, &pi), PACKET_OK);
    assert_int_equal(pi.has_ports, 0);
    assert_false(packet_is_tcp_open(&pi));
    ip6(b, 19, PACKET_TCP);
    assert_int_equal(parse(b, 60, &pi), PACKET_OK);
    assert_int_equal(pi.has_ports, 0);
    ip6(b, 0, PACKET_TCP);
    assert_int_equal(parse(b, 40, &pi), PACKET_OK);
    assert_int_equal(pi.has_ports, 0);
    ip6(b, 7, PACKET_UDP);
    assert_int_equal(parse(b, 60, &pi), PACKET_OK);
    assert_int_equal(pi.has_ports, 0);
}

static void test_padding_ignored(void **state)
{
    (void)state;
    uint8_t b[64];
    struct packet_info pi;

    /* A minimum-size Ethernet frame pads a 40-byte SYN with zeros. */
    memset(b, 0, sizeof(b));
    ip4(b, 5, 40, PACKET_TCP, 0);
    tcp(b + 20, 777, 888, 42, PACKET_TCP_SYN);
    assert_int_equal(parse(b, sizeof(b), &pi), PACKET_OK);
    assert_int_equal(pi.sport, 777);
    assert_int_equal(pi.dport, 888);
    assert_true(packet_is_tcp_open(&pi));
}

static void test_fragments(void **state)
{
    (void)state;
    static const struct { uint16_t frag; int ports; } cases[] = {
        { 0x0000, 1 }, { 0x2000, 1 } /* MF, first */, { 0x4000, 1 } /* DF */,
        { 0x8000, 1 } /* reserved bit */, { 0x0001, 0 }, { 0x2001, 0 },
        { 0x4001, 0 }, { 0x0100, 0 }, { 0x1fff, 0 }, { 0x3fff, 0 },
    };
    uint8_t b[40];
    struct packet_info pi;

    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        ip4(b, 5, 40, PACKET_TCP, cases[i].frag);
        tcp(b + 20, 4321, 80, 5, PACKET_TCP_SYN);
        assert_int_equal(parse(b, 40, &pi), PACKET_OK);
        assert_int_equal(pi.family, 4);
        assert_int_equal(pi.proto, PACKET_TCP);
        assert_memory_equal(pi.src, SRC4, 4);
        assert_memory_equal(pi.dst, DST4, 4);
        assert_int_equal(pi.has_ports, cases[i].ports);
        assert_int_equal(pi.sport, cases[i].ports ? 4321 : 0);
        assert_int_equal(packet_is_tcp_open(&pi), cases[i].ports);
    }
}

/* ---- ICMP type in packet_parse ----------------------------------------- */

static void test_parse_icmp(void **state)
{
    (void)state;
    uint8_t b[64];
    struct packet_info pi;

    ip4(b, 5, 28, PACKET_ICMP, 0);
    memset(b + 20, 0, 8);
    b[20] = PACKET_ICMP_ECHO_REQUEST;
    assert_int_equal(parse(b, 28, &pi), PACKET_OK);
    assert_int_equal(pi.has_icmp, 1);
    assert_int_equal(pi.icmp_type, PACKET_ICMP_ECHO_REQUEST);
    assert_int_equal(pi.has_ports, 0);
    assert_false(packet_is_tcp_open(&pi));
    /* The type is the first byte: one byte of ICMP is enough to see it. */
    ip4(b, 5, 21, PACKET_ICMP, 0);
    assert_int_equal(parse(b, 21, &pi), PACKET_OK);
    assert_int_equal(pi.has_icmp, 1);
    assert_int_equal(pi.icmp_type, PACKET_ICMP_ECHO_REQUEST);
    /* No ICMP byte inside the total length: the 8 after it is padding. */
    ip4(b, 5, 20, PACKET_ICMP, 0);
    assert_int_equal(parse(b, 28, &pi), PACKET_OK);
    assert_int_equal(pi.has_icmp, 0);
    assert_int_equal(pi.icmp_type, 0);
    /* A later fragment starts mid-payload: its first byte is no type. */
    ip4(b, 5, 28, PACKET_ICMP, 0x0001);
    assert_int_equal(parse(b, 28, &pi), PACKET_OK);
    assert_int_equal(pi.has_icmp, 0);
    /* ICMPv6 (58) inside IPv4 is not ICMP. */
    ip4(b, 5, 28, PACKET_ICMP6, 0);
    assert_int_equal(parse(b, 28, &pi), PACKET_OK);
    assert_int_equal(pi.has_icmp, 0);

    ip6(b, 8, PACKET_ICMP6);
    memset(b + 40, 0, 8);
    b[40] = PACKET_ICMP6_ECHO_REQUEST;
    assert_int_equal(parse(b, 48, &pi), PACKET_OK);
    assert_int_equal(pi.has_icmp, 1);
    assert_int_equal(pi.icmp_type, PACKET_ICMP6_ECHO_REQUEST);
    assert_int_equal(pi.has_ports, 0);
    ip6(b, 1, PACKET_ICMP6);
    assert_int_equal(parse(b, 41, &pi), PACKET_OK);
    assert_int_equal(pi.has_icmp, 1);
    assert_int_equal(pi.icmp_type, PACKET_ICMP6_ECHO_REQUEST);
    ip6(b, 0, PACKET_ICMP6);
    assert_int_equal(parse(b, 48, &pi), PACKET_OK);
    assert_int_equal(pi.has_icmp, 0);
    assert_int_equal(pi.icmp_type, 0);
    /* IPv4's ICMP number (1) behind an IPv6 header is not ICMPv6. */
    ip6(b, 8, PACKET_ICMP);
    assert_int_equal(parse(b, 48, &pi), PACKET_OK);
    assert_int_equal(pi.has_icmp, 0);
}

/* ---- fuzz against an independent reading of the formats --------------- */

static uint64_t rng_state = 0x2545F4914F6CDD1Dull;

static uint32_t rnd(void)
{
    rng_state ^= rng_state << 13;
    rng_state ^= rng_state >> 7;
    rng_state ^= rng_state << 17;
    return (uint32_t)(rng_state >> 16);
}

static enum packet_result oracle(const uint8_t *b, size_t len, size_t *l4, size_t *l4len)
{
    size_t ihl, total;
    if (len == 0)
        return PACKET_TOO_SHORT;
    if (b[0] >> 4 == 4) {
        if (len < 20)
            return PACKET_TOO_SHORT;
        ihl = (size_t)(b[0] & 15) * 4;
        total = (size_t)b[2] * 256 + b[3];
        if (ihl < 20 || total < ihl)
            return PACKET_BAD_HEADER;
        if (total > len)
            return PACKET_TOO_SHORT;
        int offset = (b[6] & 0x1f) * 256 + b[7];
        *l4 = ihl;
        *l4len = offset == 0 ? total - ihl : 0;
        return PACKET_OK;
    }
    if (b[0] >> 4 == 6) {
        if (len < 40)
            return PACKET_TOO_SHORT;
        total = 40 + (size_t)b[4] * 256 + b[5];
        if (total > len)
            return PACKET_TOO_SHORT;
        *l4 = 40;
        *l4len = total - 40;
        return PACKET_OK;
    }
    return PACKET_BAD_VERSION;
}

static void test_fuzz(void **state)
{
    (void)state;
    static const uint8_t first[] = { 0x45, 0x46, 0x4f, 0x44, 0x40, 0x60, 0x6f, 0x50, 0x00 };
    static const uint8_t protos[] = { PACKET_TCP, PACKET_UDP, 1, 58 };
    unsigned seen[4] = { 0 }, ports = 0, opens = 0, icmps = 0, answered = 0, refused = 0;
    uint8_t b[128], a[PACKET_UNREACH_MAX];

    for (int iter = 0; iter < 200000; iter++) {
        size_t len = rnd() % 101;
        for (size_t i = 0; i < sizeof(b); i++)
            b[i] = (uint8_t)rnd();
        /* Steer most packets past the first checks, to reach the transport. */
        if (rnd() % 4 != 0) {
            b[0] = first[rnd() % sizeof(first)];
            uint16_t claim = (uint16_t)(rnd() % (len + 8));
            if (b[0] >> 4 == 4) {
                put16(b + 2, claim);
                if (rnd() % 2) {
                    b[6] &= 0xe0;
                    b[7] = 0;
                }
                b[9] = protos[rnd() % sizeof(protos)];
            } else {
                put16(b + 4, (uint16_t)(claim > 40 ? claim - 40 : claim % 8));
                b[6] = protos[rnd() % sizeof(protos)];
            }
        }

        struct packet_info pi;
        size_t l4 = 0, l4len = 0;
        enum packet_result want = oracle(b, len, &l4, &l4len);
        enum packet_result got = parse(b, len, &pi);
        assert_int_equal(got, want);
        seen[got]++;
        if (got != PACKET_OK)
            continue;

        int v4 = b[0] >> 4 == 4;
        assert_int_equal(pi.family, v4 ? 4 : 6);
        assert_int_equal(pi.proto, v4 ? b[9] : b[6]);
        assert_memory_equal(pi.src, b + (v4 ? 12 : 8), v4 ? 4 : 16);
        assert_memory_equal(pi.dst, b + (v4 ? 16 : 24), v4 ? 4 : 16);
        size_t need = pi.proto == PACKET_TCP ? 20 : pi.proto == PACKET_UDP ? 8 : 0;
        int want_ports = need > 0 && l4len >= need;
        assert_int_equal(pi.has_ports, want_ports);
        if (want_ports) {
            ports++;
            assert_int_equal(pi.sport, b[l4] * 256 + b[l4 + 1]);
            assert_int_equal(pi.dport, b[l4 + 2] * 256 + b[l4 + 3]);
            if (pi.proto == PACKET_TCP) {
                assert_int_equal(pi.tcp_flags, b[l4 + 13]);
                assert_int_equal(pi.tcp_seq, (uint32_t)b[l4 + 4] << 24 | (uint32_t)b[l4 + 5] << 16 |
                                             (uint32_t)b[l4 + 6] << 8 | b[l4 + 7]);
            }
        } else {
            assert_int_equal(pi.sport, 0);
            assert_int_equal(pi.dport, 0);
        }
        int want_open = want_ports && pi.proto == PACKET_TCP && (b[l4 + 13] & 0x16) == 0x02;
        assert_int_equal(packet_is_tcp_open(&pi), want_open);
        opens += (unsigned)want_open;

        /* ICMP only in its own family, and only with its first byte. */
        int icmp = pi.proto == (v4 ? PACKET_ICMP : PACKET_ICMP6);
        int want_icmp = icmp && l4len >= 1;
        assert_int_equal(pi.has_icmp, want_icmp);
        assert_int_equal(pi.icmp_type, want_icmp ? b[l4] : 0);
        icmps += (unsigned)want_icmp;

        /* Whatever is answered is well formed; anything not ICMP is
         * answered; an ICMP error, or ICMP of unknown type, is not. Types
         * that are neither (v4 echo reply, say) may go either way. */
        enum packet_unreach why = rnd() % 2 ? PACKET_UNREACH_PORT : PACKET_UNREACH_PROHIBITED;
        size_t n = answer(b, len, why, a, sizeof(a));
        int error = icmp && (!want_icmp || (v4 ? memchr("\3\4\5\13\14", b[l4], 5) != NULL
                                                : b[l4] < 128));
        if (!icmp)
            assert_true(n > 0);
        if (error)
            assert_int_equal(n, 0);
        if (n > 0 && v4)
            check_unreach4(a, n, b, len, why == PACKET_UNREACH_PORT ? 3 : 13);
        else if (n > 0)
            check_unreach6(a, n, b, len, why == PACKET_UNREACH_PORT ? 4 : 1);
        answered += n > 0;
        refused += error;
    }
    /* Every verdict must have come up, or the loop tested little. */
    for (int i = 0; i < 4; i++)
        assert_true(seen[i] > 1000);
    assert_true(ports > 1000);
    assert_true(opens > 100);
    assert_true(icmps > 1000);
    assert_true(answered > 1000);
    assert_true(refused > 1000);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_v4_syn),
        cmocka_unit_test(test_tcp_flags),
        cmocka_unit_test(test_v4_options),
        cmocka_unit_test(test_v6_syn),
        cmocka_unit_test(test_v6_extension_headers),
        cmocka_unit_test(test_v6_extension_headers_malformed),
        cmocka_unit_test(test_udp),
        cmocka_unit_test(test_other_protocols),
        cmocka_unit_test(test_malformed),
        cmocka_unit_test(test_short_transport),
        cmocka_unit_test(test_padding_ignored),
        cmocka_unit_test(test_fragments),
        cmocka_unit_test(test_parse_icmp),
        cmocka_unit_test(test_fuzz),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
