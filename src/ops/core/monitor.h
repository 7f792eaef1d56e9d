/*
 * monitor.h — what monitoring asks the services: the Prometheus metrics of
 * GET /metrics and the readiness of GET /ready.  Server hooks (server.h);
 * the HTTP side is server/metrics.c.
 */
#ifndef MK_OPS_MONITOR_H
#define MK_OPS_MONITOR_H

#include <stddef.h>

#include "mktows.h"
#include "ops/core/promtext.h"

/* The services' metric families (SOAP requests, REST client, quota guard,
 * coalescing, caches), counted where /_shim/stats counts them. */
void mk_services_metrics(void *services, mk_prom *p);

/* Can requests be served right now?  0 when the REST endpoint is not known
 * to be down, the day's quota is not spent and a token can be had for
 * every REST service cfg names (the shared one and each SOAP user's own);
 * -1 otherwise.  why says which, in one line, either way.  May block for
 * an identity call (a few seconds at most): run it off the HTTP thread. */
int mk_services_ready(void *services, const mktows_config *cfg, char *why, size_t len);

#endif
