/*
 * services.h — making and releasing the services the handlers share
 * (ops/common.h's mk_services), as server hooks.
 */
#ifndef MK_OPS_SERVICES_H
#define MK_OPS_SERVICES_H

#include <stddef.h>

#include "server/server.h"

/* Make the services from the configuration (the keys services.c lists):
 * mapping tables, REST client, caches, import store.  Returns 0 with
 * *out (a mk_services, see common.h), or -1 with a message naming the bad
 * key or table in err. */
int mk_services_start(const mktows_config *cfg, void **out, char *err, size_t errlen);

/* Free what mk_services_start made (NULL is ignored); no request may be
 * running. */
void mk_services_stop(void *services);

/* The hooks mktows_server_start() uses. */
extern const struct mk_server_hooks mk_services_hooks;

#endif
