/* --onion-service: the onion service, made through Tor's control port
 * before the command runs (onion.c); serve/onion_watch.c then says when it
 * is up and removes it at the end. */
#ifndef TORGATE_ONION_H
#define TORGATE_ONION_H

#include "config/config.h"
#include "tor/onion_parse.h"

struct onion_service {
    int fd;                       /* the control connection that owns it */
    char id[ONION_ID_LEN + 1];    /* its address, without ".onion" */
};

/* Before confinement: an ephemeral v3 onion service (ADD_ONION, tied to
 * the control connection: if torgate dies, Tor removes it) whose port
 * cfg->onion[i].vport leads to 127.0.0.1:host_ports[i], where the gateway
 * listens; with cfg->onion_key, that key (made and kept there, mode 0600,
 * when the file is missing). Asks for HS_DESC events. 0, or -1 with the
 * one line that says what failed and the fix logged. */
int onion_publish(const struct tg_config *cfg, const unsigned short *host_ports,
                  struct onion_service *out);

#endif
