/*
 * server.h — starting the server with the long-lived services the
 * operation handlers share (REST client, mapping tables, caches).
 *
 * The server owns them: made once before the first request, handed to every
 * request as mk_request.services, released after the last worker stopped.
 * mktows_server_start() (include/mktows.h) is mk_server_start() without
 * services.
 */
#ifndef MK_SERVER_SERVER_H
#define MK_SERVER_SERVER_H

#include <stddef.h>

#include "mktows.h"

struct mk_request;

struct mk_server_hooks {
    /* Make the services for cfg into *services.  Returns 0, or non-zero
     * with a message (naming the config key at fault) in errbuf. */
    int (*services_start)(const mktows_config *cfg, void **services, char *errbuf,
                          size_t errlen);
    /* Release what services_start made (called with NULL never). */
    void (*services_stop)(void *services);
    /* Optional: a SOAP request has been answered (operation, fault, cost). */
    void (*request_done)(void *services, const struct mk_request *req, long elapsed_ms);
    /* Optional: the GET /_shim/stats document, malloc'd JSON text or NULL. */
    char *(*stats_json)(void *services);
};

/* mktows_server_start with services; hooks may be NULL (no services).
 * Returns MKTOWS_OK, MKTOWS_ELISTEN, or MKTOWS_EINVAL when services_start
 * failed (its message in errbuf). */
int mk_server_start(const mktows_config *cfg, const struct mk_server_hooks *hooks,
                    mktows_server **out, char *errbuf, size_t errlen);

#endif
