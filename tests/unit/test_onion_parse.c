/* Unit tests for what torgate reads about its onion service
 * (gateway/tor/onion_parse.c): ADD_ONION's reply, HS_DESC events, a key
 * file; every malformed form. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include "tor/onion_parse.h"

#define ID "pg6mmjiyjmcrsslvykfwnntlaru7p5svn6y2ymmju6nubxndf4pscryd"
/* 64 bytes of base64: 86 characters and "==". */
#define KEY "ED25519-V3:" \
    "SA0ocrRnpp5ky6A6CnRqm5wtYAy6RBpzxuP7nWp3MWdm8ujZI0o2Vm8PWGGrYDZMf2ydj56e3jYWoS3lEZ3tdQ=="

static void test_added(void **state)
{
    (void)state;
    char id[ONION_ID_LEN + 1], key[ONION_KEY_MAX + 1];
    assert_int_equal(onion_parse_added("250-ServiceID=" ID "\r\n250-PrivateKey=" KEY "\r\n250 OK\r\n",
                                       id, key), 0);
    assert_string_equal(id, ID);
    assert_string_equal(key, KEY);
    /* Flags=DiscardPK, or a key given: no PrivateKey line. */
    assert_int_equal(onion_parse_added("250-ServiceID=" ID "\r\n250 OK\r\n", id, key), 0);
    assert_string_equal(key, "");
    /* Lines Tor may add (client authorization) are not ours. */
    assert_int_equal(onion_parse_added("250-ServiceID=" ID "\r\n250-ClientAuthV3=x\r\n250 OK\r\n",
                                       id, key), 0);
}

static void test_added_malformed(void **state)
{
    (void)state;
    char id[ONION_ID_LEN + 1], key[ONION_KEY_MAX + 1];
    static const char *const bad[] = {
        "",
        "250 OK\r\n",                                                  /* no ServiceID */
        "512 Bad arguments to ADD_ONION: Need at least one Port\r\n",
        "551 Onion address collision\r\n",
        "250-ServiceID=" ID "\r\n",                                    /* no end */
        "250-ServiceID=" ID "\r\n250 OK\r\nextra",                     /* after the end */
        "250-ServiceID=" ID "x\r\n250 OK\r\n",                         /* 57 characters */
        "250-ServiceID=PG6MMJIYJMCRSSLVYKFWNNTLARU7P5SVN6Y2YMMJU6NUBXNDF4PSCRYD\r\n250 OK\r\n",
        "250-ServiceID=pg6mmjiyjmcrsslvykfwnntlaru7p5svn6y2ymmju6nubxndf4pscry1\r\n250 OK\r\n",
        "250-ServiceID=" ID "\r\n250-ServiceID=" ID "\r\n250 OK\r\n",  /* twice */
        "250-ServiceID=" ID "\r\n250-PrivateKey=RSA1024:abc\r\n250 OK\r\n",
        "250-ServiceID=" ID "\r\n250-PrivateKey=ED25519-V3:abc\r\n250 OK\r\n",
        "250-ServiceID=" ID "\r\n250-PrivateKey=" KEY "=\r\n250 OK\r\n",  /* three pads */
        "250-ServiceID=" ID "\r\n251 OK\r\n",
        "250+ServiceID=" ID "\r\n250 OK\r\n",
    };
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
        assert_int_equal(onion_parse_added(bad[i], id, key), -1);
}

static void test_hs_desc(void **state)
{
    (void)state;
    char action[16], id[ONION_ID_LEN + 1];
    /* As Tor 0.4.7 writes them. */
    static const char up[] = "650 HS_DESC UPLOADED " ID " UNKNOWN "
                             "$6AE6EEFFA50B28F1AA37FA266ECD178FC54C99EF~tornetauth0";
    assert_int_equal(onion_parse_hs_desc(up, strlen(up), action, sizeof(action), id), 0);
    assert_string_equal(action, "UPLOADED");
    assert_string_equal(id, ID);
    static const char fail[] = "650 HS_DESC FAILED " ID " NO_AUTH $6AE6EEFFA50B28F1AA37FA266ECD178FC54"
                               "C99EF~tornetauth0 REASON=UPLOAD_REJECTED";
    assert_int_equal(onion_parse_hs_desc(fail, strlen(fail), action, sizeof(action), id), 0);
    assert_string_equal(action, "FAILED");
}

static void test_hs_desc_malformed(void **state)
{
    (void)state;
    char action[16], id[ONION_ID_LEN + 1];
    static const char *const bad[] = {
        "",
        "650 HS_DESC",
        "650 HS_DESC ",
        "650 HS_DESC UPLOADED",
        "650 HS_DESC UPLOADED ",
        "650 HS_DESC UPLOADED short UNKNOWN",
        "650 HS_DESC uploaded " ID " UNKNOWN",                 /* lower case action */
        "650 HS_DESC UPLOADEDANDMOREANDMORE " ID " UNKNOWN",   /* longer than action holds */
        "650 CIRC 1 BUILT",
        "650-HS_DESC UPLOADED " ID " UNKNOWN",
        "250 HS_DESC UPLOADED " ID,
    };
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
        assert_int_equal(onion_parse_hs_desc(bad[i], strlen(bad[i]), action, sizeof(action), id), -1);
    /* The length bounds the line: the address cut short is refused. */
    static const char up[] = "650 HS_DESC UPLOADED " ID " UNKNOWN";
    assert_int_equal(onion_parse_hs_desc(up, 30, action, sizeof(action), id), -1);
}

static void test_key_file(void **state)
{
    (void)state;
    char key[ONION_KEY_MAX + 1];
    assert_int_equal(onion_parse_key(KEY "\n", strlen(KEY) + 1, key), 0);
    assert_string_equal(key, KEY);
    assert_int_equal(onion_parse_key(KEY, strlen(KEY), key), 0);
    static const char *const bad[] = {
        "", "\n", KEY "\n\n", " " KEY, KEY " ", "ED25519-V3:", "RSA1024:" "abc",
        "ED25519-V3:" "SA0ocrRnpp5ky6A6CnRqm5wtYAy6RBpzxuP7nWp3MWdm8ujZI0o2Vm8PWGGrYDZMf2ydj56e3jYWoS3lEZ3td",
        "ED25519-V3:" "SA0ocrRnpp5ky6A6CnRqm5wtYAy6RBpzxuP7nWp3MWdm8ujZI0o2Vm8PWGGrYDZMf2ydj56e3jYWoS3lEZ3tdQ=a",
        "ED25519-V3:" "SA0ocrRnpp5ky6A6CnRqm5wtYAy6RBpzxuP7nWp3MWdm8ujZI0o2Vm8PWGGrYDZMf2ydj56e3jYWoS3lEZ3t-Q==",
    };
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
        assert_int_equal(onion_parse_key(bad[i], strlen(bad[i]), key), -1);
}

static void test_auth(void **state)
{
    (void)state;
    char key[ONION_AUTH_KEY_LEN + 1];
    static const char pub[] = "YO52YZZYDYFYYJT6PLTIRFABEQKXECY5T5GG33SOSH5RZJ5UHMLA";
    static const char file[] = "descriptor:x25519:YO52YZZYDYFYYJT6PLTIRFABEQKXECY5T5GG33SOSH5RZJ5UHMLA\n";
    assert_int_equal(onion_parse_auth(file, strlen(file), key), 0);
    assert_string_equal(key, pub);
    assert_int_equal(onion_parse_auth(pub, strlen(pub), key), 0);
    static const char lower[] = "yo52yzzydyfyyjt6pltirfabeqkxecy5t5gg33sosh5rzj5uhmla";
    assert_int_equal(onion_parse_auth(lower, strlen(lower), key), 0);
    assert_string_equal(key, pub);
    static const char *const bad[] = {
        "", "\n",
        "YO52YZZYDYFYYJT6PLTIRFABEQKXECY5T5GG33SOSH5RZJ5UHML",            /* 51 */
        "YO52YZZYDYFYYJT6PLTIRFABEQKXECY5T5GG33SOSH5RZJ5UHMLAA",          /* 53 */
        "YO52YZZYDYFYYJT6PLTIRFABEQKXECY5T5GG33SOSH5RZJ5UHMLB",           /* bits past the key */
        "YO52YZZYDYFYYJT6PLTIRFABEQKXECY5T5GG33SOSH5RZJ5UHM1A",           /* 1 is no base32 */
        "YO52YZZYDYFYYJT6PLTIRFABEQKXECY5T5GG33SOSH5RZJ5UHMLA====",
        "descriptor:ed25519:YO52YZZYDYFYYJT6PLTIRFABEQKXECY5T5GG33SOSH5RZJ5UHMLA",
        "descriptor:x25519:",
        "x:descriptor:x25519:YO52YZZYDYFYYJT6PLTIRFABEQKXECY5T5GG33SOSH5RZJ5UHMLA", /* a private .auth_private */
        " YO52YZZYDYFYYJT6PLTIRFABEQKXECY5T5GG33SOSH5RZJ5UHMLA",
    };
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
        assert_int_equal(onion_parse_auth(bad[i], strlen(bad[i]), key), -1);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_added),
        cmocka_unit_test(test_added_malformed),
        cmocka_unit_test(test_hs_desc),
        cmocka_unit_test(test_hs_desc_malformed),
        cmocka_unit_test(test_key_file),
        cmocka_unit_test(test_auth),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
