/* What torgate reads of Tor about its onion service (onion_parse.c): pure
 * parsers of ADD_ONION's reply, of HS_DESC events, and of a key file. */
#ifndef TORGATE_ONION_PARSE_H
#define TORGATE_ONION_PARSE_H

#include <stddef.h>

#define ONION_ID_LEN 56           /* a v3 address without ".onion" */
#define ONION_KEY_MAX 128         /* "ED25519-V3:" and the base64 blob */

/* ADD_ONION's 250 reply: the service ID, and the new key when Tor made one
 * (key "" otherwise). 0, or -1 when the reply is not a success that names
 * a well-formed v3 service ID (or its key is malformed). */
int onion_parse_added(const char *reply, char id[ONION_ID_LEN + 1], char key[ONION_KEY_MAX + 1]);

/* One HS_DESC event line ("650 HS_DESC ACTION ADDRESS ..." without CRLF):
 * the action (UPLOADED, FAILED, ...) and the address. 0, or -1 when line
 * is no well-formed HS_DESC event. */
int onion_parse_hs_desc(const char *line, size_t len, char *action, size_t acap,
                        char id[ONION_ID_LEN + 1]);

/* A key file's text: "ED25519-V3:" and base64, an optional final newline.
 * The key, without the newline, into key. 0, or -1 when it is not that. */
int onion_parse_key(const char *text, size_t len, char key[ONION_KEY_MAX + 1]);

/* A client's public key for client authorization, as Tor writes it in an
 * authorized_clients/NAME.auth file ("descriptor:x25519:KEY") or the bare
 * KEY: 52 characters of base32 (32 bytes, no padding), an optional final
 * newline. KEY, in upper case, into key. 0, or -1 when it is not that. */
#define ONION_AUTH_KEY_LEN 52
int onion_parse_auth(const char *text, size_t len, char key[ONION_AUTH_KEY_LEN + 1]);

/* Whether s is a v3 service ID: 56 of a-z and 2-7. */
int onion_id_ok(const char *s, size_t len);

#endif
