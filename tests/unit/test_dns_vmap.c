/* Unit tests for the virtual address map (dns/vmap.c). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "dns/vmap.h"

/* The full usable IPv4 pool: 512 /24 blocks of 254 (no .0, no .255). */
#define POOL_V4 130048u

static const uint8_t v6_prefix[5] = { 0xfd, 0x74, 0x6f, 0x72, 0xff };

/* The address lies in the documented prefixes, and the v4 one is not a
 * .0 or .255 that some software takes for a network or broadcast address. */
static void check_addrs(const uint8_t v4[4], const uint8_t v6[16])
{
    assert_int_equal(v4[0], 198);
    assert_true(v4[1] == 18 || v4[1] == 19);
    assert_true(v4[3] != 0 && v4[3] != 255);
    assert_memory_equal(v6, v6_prefix, sizeof(v6_prefix));
    assert_true(vmap_in_pool(4, v4));
    assert_true(vmap_in_pool(6, v6));
}

static void test_assign_stable(void **state)
{
    (void)state;
    struct vmap *m = vmap_new(16);
    assert_non_null(m);
    assert_int_equal(vmap_count(m), 0);

    uint8_t a4[4], a6[16], b4[4], b6[16], c4[4], c6[16];
    assert_int_equal(vmap_assign(m, "a.example", a4, a6), 0);
    check_addrs(a4, a6);
    assert_int_equal(vmap_count(m), 1);
    /* The same name: the same pair, and no new slot. */
    assert_int_equal(vmap_assign(m, "a.example", b4, b6), 0);
    assert_memory_equal(a4, b4, 4);
    assert_memory_equal(a6, b6, 16);
    assert_int_equal(vmap_count(m), 1);
    /* Another name: other addresses in both families. */
    assert_int_equal(vmap_assign(m, "b.example", c4, c6), 0);
    check_addrs(c4, c6);
    assert_memory_not_equal(a4, c4, 4);
    assert_memory_not_equal(a6, c6, 16);
    assert_int_equal(vmap_count(m), 2);

    /* Each address leads back to its name, in both families. */
    assert_string_equal(vmap_lookup(m, 4, a4), "a.example");
    assert_string_equal(vmap_lookup(m, 6, a6), "a.example");
    assert_string_equal(vmap_lookup(m, 4, c4), "b.example");
    assert_string_equal(vmap_lookup(m, 6, c6), "b.example");
    vmap_free(m);
}

static void test_lookup_misses(void **state)
{
    (void)state;
    struct vmap *m = vmap_new(16);
    assert_non_null(m);
    uint8_t v4[4], v6[16];
    assert_int_equal(vmap_assign(m, "only.example", v4, v6), 0);

    /* In the pool but not handed out. */
    static const uint8_t free4[4] = { 198, 19, 255, 254 };
    static const uint8_t free6[16] = { 0xfd, 0x74, 0x6f, 0x72, 0xff, [14] = 0x12, [15] = 0x34 };
    assert_true(vmap_in_pool(4, free4));
    assert_true(vmap_in_pool(6, free6));
    assert_null(vmap_lookup(m, 4, free4));
    assert_null(vmap_lookup(m, 6, free6));

    /* Outside the pool. */
    static const uint8_t out4[][4] = { { 8, 8, 8, 8 }, { 127, 0, 0, 1 }, { 198, 20, 0, 1 },
                                       { 198, 17, 0, 1 }, { 0, 0, 0, 0 } };
    for (size_t i = 0; i < sizeof(out4) / sizeof(out4[0]); i++)
        assert_null(vmap_lookup(m, 4, out4[i]));
    static const uint8_t out6[][16] = { { [15] = 1 }, { 0x20, 0x01, 0x0d, 0xb8, [15] = 1 },
                                        { 0xfd, 0x74, 0x6f, 0x72, 0xfe, [15] = 1 },
                                        { 0xfd, 0x74, 0x6f, 0x73, 0xff, [15] = 1 } };
    for (size_t i = 0; i < sizeof(out6) / sizeof(out6[0]); i++)
        assert_null(vmap_lookup(m, 6, out6[i]));

    /* A v4 address given as family 6 (and the reverse) is no match; an
     * unknown family is none either. */
    uint8_t v4as6[16] = { 0 };
    memcpy(v4as6, v4, 4);
    assert_null(vmap_lookup(m, 6, v4as6));
    assert_null(vmap_lookup(m, 0, v6));
    assert_null(vmap_lookup(m, 10, v6));
    /* The real ones still work after all the misses. */
    assert_string_equal(vmap_lookup(m, 4, v4), "only.example");
    assert_string_equal(vmap_lookup(m, 6, v6), "only.example");
    vmap_free(m);
}

static void test_in_pool_edges(void **state)
{
    (void)state;
    static const struct { uint8_t a[4]; int in; } v4[] = {
        { { 198, 17, 255, 255 }, 0 },
        { { 198, 18, 0, 1 }, 1 },
        { { 198, 18, 0, 254 }, 1 },
        { { 198, 18, 1, 1 }, 1 },
        { { 198, 19, 0, 1 }, 1 },
        { { 198, 19, 255, 254 }, 1 },
        { { 198, 20, 0, 0 }, 0 },
        { { 198, 20, 0, 1 }, 0 },
        { { 199, 18, 0, 1 }, 0 },
        { { 70, 18, 0, 1 }, 0 },       /* 198 with the top bit cleared */
        { { 255, 255, 255, 255 }, 0 },
        { { 0, 0, 0, 1 }, 0 },
    };
    for (size_t i = 0; i < sizeof(v4) / sizeof(v4[0]); i++)
        assert_int_equal(vmap_in_pool(4, v4[i].a), v4[i].in);

    static const struct { uint8_t a[16]; int in; } v6[] = {
        /* fd74:6f72:feff:ffff:ffff:ffff:ffff:ffff, just below the /40 */
        { { 0xfd, 0x74, 0x6f, 0x72, 0xfe, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff,
            0xff, 0xff, 0xff, 0xff }, 0 },
        /* fd74:6f72:ff00::1, the first slot's */
        { { 0xfd, 0x74, 0x6f, 0x72, 0xff, [15] = 1 }, 1 },
        /* fd74:6f72:ff00::1:fc00, the last slot's (130048) */
        { { 0xfd, 0x74, 0x6f, 0x72, 0xff, [13] = 0x01, [14] = 0xfc, [15] = 0x00 }, 1 },
        /* fd74:6f73::1, just above */
        { { 0xfd, 0x74, 0x6f, 0x73, [15] = 1 }, 0 },
        /* the TUN's own /64 and other ULAs */
        { { 0xfd, 0x74, 0x6f, 0x72, 0x00, [15] = 1 }, 0 },
        { { 0xfc, 0x74, 0x6f, 0x72, 0xff, [15] = 1 }, 0 },
        { { 0x7d, 0x74, 0x6f, 0x72, 0xff, [15] = 1 }, 0 },
    };
    for (size_t i = 0; i < sizeof(v6) / sizeof(v6[0]); i++)
        assert_int_equal(vmap_in_pool(6, v6[i].a), v6[i].in);

    static const uint8_t any[16] = { 198, 18, 0, 1 };
    assert_int_equal(vmap_in_pool(0, any), 0);
}

/* vmap.h: "whether addr lies in the pool at all (assigned or not)", the
 * pool being 198.18.0.0/15 and fd74:6f72:ff00::/40. The relay sends an
 * address outside the pool to Tor as a literal IP, so every address of the
 * two prefixes must count, even those no slot can ever have (.0, .255, v6
 * with bits set between the /40 and the 32-bit slot number): else a
 * connection to one goes to the exit as that IP instead of being refused. */
static void test_in_pool_whole_prefix(void **state)
{
    (void)state;
    static const uint8_t v4[][4] = {
        { 198, 18, 0, 0 }, { 198, 18, 0, 255 }, { 198, 19, 7, 0 }, { 198, 19, 255, 255 },
    };
    for (size_t i = 0; i < sizeof(v4) / sizeof(v4[0]); i++) {
        if (!vmap_in_pool(4, v4[i]))
            fail_msg("%u.%u.%u.%u is in 198.18.0.0/15 but vmap_in_pool says no",
                     v4[i][0], v4[i][1], v4[i][2], v4[i][3]);
    }
    static const uint8_t v6[][16] = {
        { 0xfd, 0x74, 0x6f, 0x72, 0xff },                                /* ff00:: */
        { 0xfd, 0x74, 0x6f, 0x72, 0xff, 0, 0, 0, 0, 0, 1, 0, 0, 0, 0, 1 }, /* ff00:0:0:100:0:1 */
        { 0xfd, 0x74, 0x6f, 0x72, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff,
          0xff, 0xff, 0xff, 0xff },                                      /* the last one */
    };
    for (size_t i = 0; i < sizeof(v6) / sizeof(v6[0]); i++) {
        if (!vmap_in_pool(6, v6[i]))
            fail_msg("v6 case %zu is in fd74:6f72:ff00::/40 but vmap_in_pool says no", i);
    }
}

static void test_lru(void **state)
{
    (void)state;
    struct vmap *m = vmap_new(3);
    assert_non_null(m);
    uint8_t a4[4], a6[16], b4[4], b6[16], c4[4], c6[16], d4[4], d6[16], x4[4], x6[16];
    assert_int_equal(vmap_assign(m, "a", a4, a6), 0);
    assert_int_equal(vmap_assign(m, "b", b4, b6), 0);
    assert_int_equal(vmap_assign(m, "c", c4, c6), 0);
    assert_int_equal(vmap_count(m), 3);
    /* Touch a by assigning again: b is now the least recently used. */
    assert_int_equal(vmap_assign(m, "a", x4, x6), 0);
    assert_int_equal(vmap_assign(m, "d", d4, d6), 0);
    assert_int_equal(vmap_count(m), 3);
    /* d took b's addresses; b's old addresses now stand for d. */
    assert_memory_equal(d4, b4, 4);
    assert_memory_equal(d6, b6, 16);
    assert_string_equal(vmap_lookup(m, 4, b4), "d");
    assert_string_equal(vmap_lookup(m, 6, b6), "d");
    /* a and c kept theirs. */
    assert_string_equal(vmap_lookup(m, 4, a4), "a");
    assert_string_equal(vmap_lookup(m, 4, c4), "c");
    assert_int_equal(vmap_assign(m, "a", x4, x6), 0);
    assert_memory_equal(x4, a4, 4);
    assert_int_equal(vmap_assign(m, "c", x4, x6), 0);
    assert_memory_equal(x4, c4, 4);
    vmap_free(m);

    /* Touch by lookup instead: order now a (looked up), c, b -> b goes. */
    m = vmap_new(3);
    assert_non_null(m);
    assert_int_equal(vmap_assign(m, "a", a4, a6), 0);
    assert_int_equal(vmap_assign(m, "b", b4, b6), 0);
    assert_int_equal(vmap_assign(m, "c", c4, c6), 0);
    assert_string_equal(vmap_lookup(m, 6, a6), "a");
    assert_int_equal(vmap_assign(m, "d", d4, d6), 0);
    assert_memory_equal(d4, b4, 4);
    /* Order now d, a, c: b coming back takes c's slot. */
    assert_int_equal(vmap_assign(m, "b", x4, x6), 0);
    assert_memory_equal(x4, c4, 4);
    assert_string_equal(vmap_lookup(m, 4, c4), "b");
    assert_string_equal(vmap_lookup(m, 4, a4), "a");
    assert_string_equal(vmap_lookup(m, 4, d4), "d");
    vmap_free(m);

    /* Capacity 1: every new name takes the one slot. */
    m = vmap_new(1);
    assert_non_null(m);
    assert_int_equal(vmap_assign(m, "a", a4, a6), 0);
    assert_int_equal(vmap_assign(m, "b", b4, b6), 0);
    assert_memory_equal(a4, b4, 4);
    assert_string_equal(vmap_lookup(m, 4, a4), "b");
    assert_int_equal(vmap_assign(m, "a", a4, a6), 0);
    assert_string_equal(vmap_lookup(m, 6, b6), "a");
    assert_int_equal(vmap_count(m), 1);
    vmap_free(m);
}

/* Many names through a small map: the hash chains must stay consistent
 * when slots change hands (every live name found, every evicted one gone). */
static void test_lru_churn(void **state)
{
    (void)state;
    enum { CAP = 37, N = 2000 };
    struct vmap *m = vmap_new(CAP);
    assert_non_null(m);
    char name[32];
    uint8_t v4[4], v6[16], w4[4], w6[16];
    for (int i = 0; i < N; i++) {
        snprintf(name, sizeof(name), "n%d.example", i);
        assert_int_equal(vmap_assign(m, name, v4, v6), 0);
        assert_string_equal(vmap_lookup(m, 4, v4), name);
        /* The CAP - 1 names before it are still there, same addresses. */
        if (i >= CAP - 1) {
            snprintf(name, sizeof(name), "n%d.example", i - (CAP - 1));
            size_t before = vmap_count(m);
            assert_int_equal(vmap_assign(m, name, w4, w6), 0);
            assert_int_equal(vmap_count(m), before);
            assert_string_equal(vmap_lookup(m, 6, w6), name);
        }
    }
    assert_int_equal(vmap_count(m), CAP);
    vmap_free(m);
}

static void test_capacity_limits(void **state)
{
    (void)state;
    assert_null(vmap_new(0));
    assert_null(vmap_new(POOL_V4 + 1));
    assert_null(vmap_new((size_t)1 << 40));
    vmap_free(NULL);   /* like free(NULL) */
}

static int cmp4(const void *a, const void *b)
{
    return memcmp(a, b, 4);
}

static int cmp16(const void *a, const void *b)
{
    return memcmp(a, b, 16);
}

/* The largest map: every one of the 130048 usable v4 addresses, each once. */
static void test_full_pool(void **state)
{
    (void)state;
    struct vmap *m = vmap_new(POOL_V4);
    assert_non_null(m);
    uint8_t (*all)[4] = malloc(POOL_V4 * 4);
    uint8_t (*all6)[16] = malloc(POOL_V4 * 16);
    assert_non_null(all);
    assert_non_null(all6);
    uint8_t v6[16], prev6[16] = { 0 };
    char name[32];
    for (unsigned i = 0; i < POOL_V4; i++) {
        snprintf(name, sizeof(name), "h%u.example", i);
        assert_int_equal(vmap_assign(m, name, all[i], v6), 0);
        /* Checked by hand in the loop: cmocka asserts are slow at this rate. */
        if (all[i][0] != 198 || (all[i][1] & 0xfe) != 18 || all[i][3] == 0 ||
            all[i][3] == 255 || memcmp(v6, v6_prefix, 5) != 0 || memcmp(v6, prev6, 16) == 0)
            fail_msg("bad addresses for %s", name);
        memcpy(prev6, v6, 16);
        memcpy(all6[i], v6, 16);
    }
    assert_int_equal(vmap_count(m), POOL_V4);
    qsort(all, POOL_V4, 4, cmp4);
    for (unsigned i = 1; i < POOL_V4; i++)
        if (memcmp(all[i - 1], all[i], 4) == 0)
            fail_msg("v4 address %u.%u.%u.%u handed out twice", all[i][0], all[i][1],
                     all[i][2], all[i][3]);
    qsort(all6, POOL_V4, 16, cmp16);
    for (unsigned i = 1; i < POOL_V4; i++)
        if (memcmp(all6[i - 1], all6[i], 16) == 0)
            fail_msg("a v6 address handed out twice");
    /* Both pool ends are used, and lead back to a name. */
    static const uint8_t lo[4] = { 198, 18, 0, 1 }, hi[4] = { 198, 19, 255, 254 };
    assert_memory_equal(all[0], lo, 4);
    assert_memory_equal(all[POOL_V4 - 1], hi, 4);
    assert_non_null(vmap_lookup(m, 4, lo));
    assert_non_null(vmap_lookup(m, 4, hi));
    /* Full: one more name reuses the least recently used slot (h0's, but
     * lo and hi were just touched, so h0 unless it owns one of them). */
    uint8_t v4[4];
    assert_int_equal(vmap_assign(m, "one-more.example", v4, v6), 0);
    assert_int_equal(vmap_count(m), POOL_V4);
    assert_string_equal(vmap_lookup(m, 4, v4), "one-more.example");
    free(all);
    free(all6);
    vmap_free(m);
}

static void test_name_limits(void **state)
{
    (void)state;
    struct vmap *m = vmap_new(4);
    assert_non_null(m);
    uint8_t v4[4], v6[16];
    assert_int_equal(vmap_assign(m, "", v4, v6), -1);
    char name[256];
    memset(name, 'a', 254);
    name[254] = '\0';
    assert_int_equal(vmap_assign(m, name, v4, v6), -1);
    assert_int_equal(vmap_count(m), 0);
    name[253] = '\0';      /* 253: the longest name there is */
    assert_int_equal(vmap_assign(m, name, v4, v6), 0);
    assert_int_equal(vmap_count(m), 1);
    assert_string_equal(vmap_lookup(m, 4, v4), name);
    vmap_free(m);
}

/* A full map must not hand a recently used address to another name: with
 * a minimum idle age, the next new name is refused instead; without one
 * (the default), the least recently used slot is recycled. */
static void test_min_idle(void **state)
{
    (void)state;
    uint8_t v4[4], v6[16], b4[4], b6[16];
    struct vmap *m = vmap_new(2);
    assert_non_null(m);
    vmap_set_min_idle(m, 3600);
    assert_int_equal(vmap_assign(m, "a.example", v4, v6), 0);
    assert_int_equal(vmap_assign(m, "b.example", b4, b6), 0);
    assert_int_equal(vmap_assign(m, "c.example", b4, b6), -1);
    assert_string_equal(vmap_lookup(m, 4, v4), "a.example");
    assert_int_equal(vmap_assign(m, "a.example", b4, b6), 0);   /* known names still work */
    assert_memory_equal(b4, v4, 4);
    vmap_set_min_idle(m, 0);
    assert_int_equal(vmap_assign(m, "c.example", b4, b6), 0);
    assert_int_equal(vmap_count(m), 2);
    vmap_free(m);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_min_idle),
        cmocka_unit_test(test_assign_stable),
        cmocka_unit_test(test_lookup_misses),
        cmocka_unit_test(test_in_pool_edges),
        cmocka_unit_test(test_in_pool_whole_prefix),
        cmocka_unit_test(test_lru),
        cmocka_unit_test(test_lru_churn),
        cmocka_unit_test(test_capacity_limits),
        cmocka_unit_test(test_full_pool),
        cmocka_unit_test(test_name_limits),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
