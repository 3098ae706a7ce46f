/* The gateway's counters as text lines (the exit log, `torgate stats`) and
 * as JSON (`torgate stats --json`): one place that says what they mean. */
#ifndef TORGATE_STATS_H
#define TORGATE_STATS_H

#include <stddef.h>
#include <stdint.h>

#include "dns/stub.h"
#include "netstack/netstack.h"
#include "serve/relay.h"

struct stats_view {
    const struct relay_stats *relay;
    size_t streams_open;
    const struct netstack_stats *ns;
    uint64_t tun_tx_dropped, tun_tx_errors, rx_dropped;
    int offload;
    const struct dns_stub_stats *dns;   /* NULL: no stub */
};

/* Calls fn once per line of text (no newline). */
void stats_lines(const struct stats_view *v, void (*fn)(void *ctx, const char *line), void *ctx);

/* One JSON object (no newline) into buf; returns its length, or 0 if cap
 * was too small. */
size_t stats_json(const struct stats_view *v, char *buf, size_t cap);

#endif
