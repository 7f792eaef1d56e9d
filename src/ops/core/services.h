/*
 * services.h — making and releasing the services the handlers share
 * (ops/core/common.h's mk_services).  The server (a layer above) wires these
 * and the other service functions into its hooks (server/wiring.c).
 */
#ifndef MK_OPS_SERVICES_H
#define MK_OPS_SERVICES_H

#include <stddef.h>

#include "mktows.h"

/* Make the services from the configuration (the keys services.c lists):
 * mapping tables, REST client, caches, import store.  Returns 0 with
 * *out (a mk_services, see common.h), or -1 with a message naming the bad
 * key or table in err. */
int mk_services_start(const mktows_config *cfg, void **out, char *err, size_t errlen);

/* Free what mk_services_start made (NULL is ignored); no request may be
 * running. */
void mk_services_stop(void *services);

#endif
