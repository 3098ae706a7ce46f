/* Unit tests for what a stream asks Tor for (gateway/serve/relay_dest.c):
 * the destination of a flow (a virtual address goes to Tor as the name it
 * stands for; one no name owns is refused), the SOCKS password by
 * --isolate, and the instance's username. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "dns/vmap.h"
#include "serve/relay_dest.h"

static struct ns_flow flow4(const uint8_t dst[4], uint16_t port)
{
    struct ns_flow f;
    memset(&f, 0, sizeof(f));
    f.family = 4;
    memcpy(f.dst, dst, 4);
    f.dport = port;
    return f;
}

static void test_address_goes_as_address(void **state)
{
    (void)state;
    struct socks5_dest d;
    char name[96];
    static const uint8_t a[4] = { 203, 0, 113, 7 };
    struct ns_flow f = flow4(a, 443);
    assert_int_equal(relay_dest_of_flow(NULL, &f, &d, name, sizeof(name)), 0);
    assert_int_equal(d.atyp, SOCKS5_ATYP_IPV4);
    assert_memory_equal(d.addr, a, 4);
    assert_int_equal(d.port, 443);
    assert_string_equal(name, "203.0.113.7:443");

    struct ns_flow f6;
    memset(&f6, 0, sizeof(f6));
    f6.family = 6;
    f6.dst[0] = 0x20, f6.dst[1] = 0x01, f6.dst[2] = 0x0d, f6.dst[3] = 0xb8, f6.dst[15] = 9;
    f6.dport = 80;
    assert_int_equal(relay_dest_of_flow(NULL, &f6, &d, name, sizeof(name)), 0);
    assert_int_equal(d.atyp, SOCKS5_ATYP_IPV6);
    assert_string_equal(name, "[2001:db8::9]:80");
}

static void test_virtual_address_goes_as_its_name(void **state)
{
    (void)state;
    struct vmap *m = vmap_new(16);
    uint8_t v4[4], v6[16];
    struct socks5_dest d;
    char name[96];
    assert_non_null(m);
    assert_int_equal(vmap_assign(m, "x.onion", v4, v6), 0);
    struct ns_flow f = flow4(v4, 80);
    assert_int_equal(relay_dest_of_flow(m, &f, &d, name, sizeof(name)), 0);
    assert_int_equal(d.atyp, SOCKS5_ATYP_DOMAIN);
    assert_string_equal(d.host, "x.onion");
    assert_string_equal(name, "x.onion:80");
    /* A virtual address no name owns: refused, never sent as an address. */
    uint8_t other[4];
    memcpy(other, v4, 4);
    other[3] ^= 1;
    f = flow4(other, 80);
    assert_int_equal(relay_dest_of_flow(m, &f, &d, name, sizeof(name)), -1);
    /* Without a map (--dns resolve), the pool is just addresses. */
    assert_int_equal(relay_dest_of_flow(NULL, &f, &d, name, sizeof(name)), 0);
    assert_int_equal(d.atyp, SOCKS5_ATYP_IPV4);
    vmap_free(m);
}

static void test_passwords_by_isolation(void **state)
{
    (void)state;
    struct socks5_dest a = { .atyp = SOCKS5_ATYP_DOMAIN, .host = "Example.COM" };
    struct socks5_dest b = { .atyp = SOCKS5_ATYP_DOMAIN, .host = "example.com" };
    struct socks5_dest c = { .atyp = SOCKS5_ATYP_DOMAIN, .host = "example.org" };
    char pa[24], pb[24], pc[24];
    uint64_t seq = 0;
    relay_dest_password(TG_ISOLATE_INSTANCE, "inst", &seq, &a, pa, sizeof(pa));
    relay_dest_password(TG_ISOLATE_INSTANCE, "inst", &seq, &c, pc, sizeof(pc));
    assert_string_equal(pa, "inst");
    assert_string_equal(pc, "inst");
    /* host: one per host, whatever the case of the name. */
    relay_dest_password(TG_ISOLATE_HOST, "inst", &seq, &a, pa, sizeof(pa));
    relay_dest_password(TG_ISOLATE_HOST, "inst", &seq, &b, pb, sizeof(pb));
    relay_dest_password(TG_ISOLATE_HOST, "inst", &seq, &c, pc, sizeof(pc));
    assert_string_equal(pa, pb);
    assert_string_not_equal(pa, pc);
    assert_memory_equal(pa, "host-", 5);
    assert_int_equal(seq, 0);
    /* stream: a new one every time. */
    relay_dest_password(TG_ISOLATE_STREAM, "inst", &seq, &a, pa, sizeof(pa));
    relay_dest_password(TG_ISOLATE_STREAM, "inst", &seq, &a, pb, sizeof(pb));
    assert_string_equal(pa, "stream-1");
    assert_string_equal(pb, "stream-2");
}

static void test_user(void **state)
{
    (void)state;
    char u1[48], u2[48], tiny[20];
    assert_int_equal(relay_dest_user(u1, sizeof(u1)), 0);
    assert_int_equal(relay_dest_user(u2, sizeof(u2)), 0);
    assert_int_equal(strlen(u1), 8 + 32);
    assert_memory_equal(u1, "torgate-", 8);
    assert_int_equal(strspn(u1 + 8, "0123456789abcdef"), 32);
    assert_string_not_equal(u1, u2);
    assert_int_equal(relay_dest_user(tiny, sizeof(tiny)), -1);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_address_goes_as_address),
        cmocka_unit_test(test_virtual_address_goes_as_its_name),
        cmocka_unit_test(test_passwords_by_isolation),
        cmocka_unit_test(test_user),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
