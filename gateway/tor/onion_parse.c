/* Parsers for --onion-service (see onion_parse.h): pure functions over a
 * buffer, each malformed form refused. */
#define _GNU_SOURCE
#include "tor/onion_parse.h"

#include <string.h>

#define KEY_PREFIX "ED25519-V3:"

int onion_id_ok(const char *s, size_t len)
{
    if (len != ONION_ID_LEN)
        return 0;
    for (size_t i = 0; i < len; i++)
        if (!((s[i] >= 'a' && s[i] <= 'z') || (s[i] >= '2' && s[i] <= '7')))
            return 0;
    return 1;
}

/* "ED25519-V3:" and 64 bytes of base64 (86 characters, padded or not). */
static int key_ok(const char *s, size_t len)
{
    size_t p = sizeof(KEY_PREFIX) - 1;
    if (len < p || len > ONION_KEY_MAX || memcmp(s, KEY_PREFIX, p) != 0)
        return 0;
    size_t body = len - p, pad = 0;
    for (size_t i = p; i < len; i++) {
        char c = s[i];
        if (c == '=') {
            pad++;
            continue;
        }
        if (pad > 0 || !((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
                         c == '+' || c == '/'))
            return 0;
    }
    return body - pad == 86 && pad <= 2;
}

int onion_parse_added(const char *reply, char id[ONION_ID_LEN + 1], char key[ONION_KEY_MAX + 1])
{
    id[0] = key[0] = '\0';
    int ok_end = 0;
    for (const char *l = reply; *l != '\0';) {
        const char *e = strstr(l, "\r\n");
        size_t n = e != NULL ? (size_t)(e - l) : strlen(l);
        if (n < 4 || memcmp(l, "250", 3) != 0 || (l[3] != '-' && l[3] != ' '))
            return -1;                  /* not a success, or not a reply */
        const char *v = l + 4;
        size_t vn = n - 4;
        if (l[3] == ' ') {
            ok_end = 1;
            if (e == NULL || e[2] != '\0')
                return -1;              /* the end, and nothing after it */
        } else if (vn > 10 && memcmp(v, "ServiceID=", 10) == 0) {
            if (id[0] != '\0' || !onion_id_ok(v + 10, vn - 10))
                return -1;
            memcpy(id, v + 10, vn - 10);
            id[vn - 10] = '\0';
        } else if (vn > 11 && memcmp(v, "PrivateKey=", 11) == 0) {
            if (key[0] != '\0' || !key_ok(v + 11, vn - 11))
                return -1;
            memcpy(key, v + 11, vn - 11);
            key[vn - 11] = '\0';
        }                               /* other keys (ClientAuthV3...): not ours */
        if (e == NULL)
            break;
        l = e + 2;
    }
    return ok_end && id[0] != '\0' ? 0 : -1;
}

int onion_parse_hs_desc(const char *line, size_t len, char *action, size_t acap,
                        char id[ONION_ID_LEN + 1])
{
    static const char head[] = "650 HS_DESC ";
    size_t h = sizeof(head) - 1;
    if (len <= h || memcmp(line, head, h) != 0)
        return -1;
    size_t a = h;
    while (a < len && line[a] != ' ')
        a++;
    if (a == h || a - h >= acap || a >= len)
        return -1;
    size_t s = a + 1, t = s;
    while (t < len && line[t] != ' ')
        t++;
    if (!onion_id_ok(line + s, t - s))
        return -1;
    for (size_t i = h; i < a; i++)
        if (line[i] < 'A' || line[i] > 'Z')
            return -1;
    memcpy(action, line + h, a - h);
    action[a - h] = '\0';
    memcpy(id, line + s, ONION_ID_LEN);
    id[ONION_ID_LEN] = '\0';
    return 0;
}

int onion_parse_auth(const char *text, size_t len, char key[ONION_AUTH_KEY_LEN + 1])
{
    static const char head[] = "descriptor:x25519:";
    size_t h = sizeof(head) - 1;
    if (len > 0 && text[len - 1] == '\n')
        len--;
    if (len > h && memcmp(text, head, h) == 0) {
        text += h;
        len -= h;
    }
    if (len != ONION_AUTH_KEY_LEN)
        return -1;
    for (size_t i = 0; i < len; i++) {
        char c = text[i];
        if (c >= 'a' && c <= 'z')
            c = (char)(c - 'a' + 'A');
        if (!((c >= 'A' && c <= 'Z') || (c >= '2' && c <= '7')))
            return -1;
        key[i] = c;
    }
    /* 52 characters carry 260 bits: the last one's low 4 bits are not the
     * key's and must be 0 (A, Q: only those of a-z2-7 whose value is 0 or
     * 16). */
    char last = key[len - 1];
    int v = last >= 'A' ? last - 'A' : last - '2' + 26;
    if ((v & 0x0f) != 0)
        return -1;
    key[len] = '\0';
    return 0;
}

int onion_parse_key(const char *text, size_t len, char key[ONION_KEY_MAX + 1])
{
    if (len > 0 && text[len - 1] == '\n')
        len--;
    if (!key_ok(text, len))
        return -1;
    memcpy(key, text, len);
    key[len] = '\0';
    return 0;
}
