/* Connections the gateway opens towards the app (--publish): the reverse
 * of every other stream, which the app opens. lwIP connects from the
 * gateway's own address on the TUN to the app's; the stream then gets the
 * same callbacks as an accepted one, and tcp_connected() first. */
#define _GNU_SOURCE
#include "netstack/netstack.h"
#include "netstack/netstack_internal.h"

#include "lwip/ip_addr.h"
#include "lwip/tcp.h"

static err_t on_connected(void *arg, struct tcp_pcb *pcb, err_t err)
{
    (void)pcb;
    if (err == ERR_OK && arg != NULL)
        netstack_callbacks_get()->tcp_connected(arg);
    return ERR_OK;
}

struct ns_conn *netstack_connect(const struct ns_flow *flow, void *stream)
{
    ip_addr_t src, dst;
    netstack_flow_to_lwip(flow, &src, &dst);
    struct tcp_pcb *pcb = tcp_new_ip_type(flow->family == 4 ? IPADDR_TYPE_V4 : IPADDR_TYPE_V6);
    if (pcb == NULL)
        return NULL;
    /* The app sees the gateway's address and an ephemeral port. */
    if (tcp_bind(pcb, &src, 0) != ERR_OK) {
        tcp_abort(pcb);
        return NULL;
    }
    netstack_conn_attach(pcb, stream);
    if (tcp_connect(pcb, &dst, flow->dport, on_connected) != ERR_OK) {
        tcp_arg(pcb, NULL);
        tcp_abort(pcb);
        return NULL;
    }
    return (struct ns_conn *)pcb;
}
