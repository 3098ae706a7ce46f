/* The configuration's own storage: strings that config files give outlive
 * the buffer their line was read into, so they are copied into cfg. */
#include "config/config.h"

#include <string.h>

const char *config_strdup(struct tg_config *cfg, const char *s, size_t len)
{
    if (len >= sizeof(cfg->strings) - cfg->strings_used)
        return NULL;
    char *d = cfg->strings + cfg->strings_used;
    memcpy(d, s, len);
    d[len] = '\0';
    cfg->strings_used += len + 1;
    return d;
}
