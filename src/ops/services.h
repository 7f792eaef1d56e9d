/*
 * services.h — making and releasing the services the handlers share
 * (ops/common.h's mk_services), as server hooks.
 */
#ifndef MK_OPS_SERVICES_H
#define MK_OPS_SERVICES_H

#include <stddef.h>

#include "server/server.h"

int mk_services_start(const mktows_config *cfg, void **out, char *err, size_t errlen);
void mk_services_stop(void *services);

/* The hooks mktows_server_start() uses. */
extern const struct mk_server_hooks mk_services_hooks;

#endif
