/* DNS wire format (RFC 1035, EDNS0 RFC 6891): parsing one query and
 * building the stub's answers. Pure functions over buffers; every DNS wire
 * detail stays inside dns/. */
#ifndef TORGATE_DNS_WIRE_H
#define TORGATE_DNS_WIRE_H

#include <stddef.h>
#include <stdint.h>

#define DNS_HEADER_LEN    12
#define DNS_MAX_NAME_TEXT 253     /* a 255-octet wire name, as text without the final dot */
#define DNS_UDP_MIN       512     /* limit without EDNS0 */
#define DNS_EDNS_UDP_SIZE 1232    /* what the stub advertises (the DNS flag day value) */
#define DNS_TCP_MAX       65535

enum dns_type {
    DNS_T_A = 1, DNS_T_NS = 2, DNS_T_CNAME = 5, DNS_T_SOA = 6, DNS_T_PTR = 12,
    DNS_T_MX = 15, DNS_T_TXT = 16, DNS_T_AAAA = 28, DNS_T_SRV = 33, DNS_T_OPT = 41,
    DNS_T_SVCB = 64, DNS_T_HTTPS = 65, DNS_T_IXFR = 251, DNS_T_AXFR = 252, DNS_T_ANY = 255,
};
#define DNS_CLASS_IN 1

enum dns_rcode {
    DNS_R_NOERROR = 0, DNS_R_FORMERR = 1, DNS_R_SERVFAIL = 2, DNS_R_NXDOMAIN = 3,
    DNS_R_NOTIMP = 4, DNS_R_REFUSED = 5,
    DNS_R_BADVERS = 16,           /* extended (EDNS0) */
};

struct dns_query {
    uint16_t id;
    uint8_t opcode;
    uint8_t rd;                   /* recursion desired, echoed */
    uint8_t cd;                   /* checking disabled, echoed */
    uint16_t qtype, qclass;
    char name[DNS_MAX_NAME_TEXT + 1];   /* lower case, no trailing dot; "" is the root */
    char qname[DNS_MAX_NAME_TEXT + 1];  /* as asked (case kept: DNS 0x20), for the echo */
    int has_edns;
    uint16_t edns_udp_size;       /* the client's, clamped to >= 512 */
    uint8_t edns_version;
    uint8_t edns_do;
};

enum dns_parse_result {
    DNS_PARSE_OK = 0,
    DNS_PARSE_DROP,      /* no answer possible: shorter than a header, or not a query */
    DNS_PARSE_FORMERR,   /* answer FORMERR (q->id is valid) */
    DNS_PARSE_NOTIMP,    /* an opcode other than QUERY (q->id and q->opcode valid) */
};

/* Parses one query message. Names are expanded with c-ares (compression,
 * loop detection) and must consist of hostname characters (letters, digits,
 * '-', '_'); anything else is FORMERR. */
enum dns_parse_result dns_parse_query(const uint8_t *buf, size_t len, struct dns_query *q);

/* One answer record; its owner name is the question's. */
struct dns_answer {
    uint16_t type;                /* DNS_T_A, DNS_T_AAAA or DNS_T_PTR */
    uint32_t ttl;
    uint8_t addr[16];             /* A: 4 bytes, AAAA: 16 */
    const char *ptr_name;         /* PTR: target name, text */
};

/* Builds the response to q with rcode and answers. limit is the largest
 * message the transport allows (UDP: the client's EDNS size or 512); a
 * response that would not fit is sent truncated (TC=1, no answers), so the
 * client retries over TCP. Returns the length, or 0 if out is too small.
 * With rcode FORMERR and no parsed question, pass q with only id set and
 * question 0: the response then carries no question. */
size_t dns_build_response(const struct dns_query *q, int with_question, int rcode,
                          const struct dns_answer *answers, int nanswers, size_t limit,
                          uint8_t *out, size_t outcap);

/* The largest response a client accepts over UDP for this query. */
size_t dns_udp_limit(const struct dns_query *q);

/* "4.3.2.1.in-addr.arpa" -> {1,2,3,4}, family 4; the ip6.arpa nibble form
 * -> 16 bytes, family 6. Returns the family, or 0 if name is not a complete
 * reverse name. */
int dns_reverse_name(const char *name, uint8_t addr[16]);

#endif
