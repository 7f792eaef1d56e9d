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
#include "soap/engine.h"

struct mk_request;
struct mk_prom;

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
    /* Optional: the services' metric families for GET /metrics (written
     * after the server's own; ops/core/monitor.h). */
    void (*metrics)(void *services, struct mk_prom *p);
    /* Optional: GET /ready; 0 ready, -1 not, why in one line either way.
     * Runs on a worker thread; cfg is the current configuration. */
    int (*ready)(void *services, const mktows_config *cfg, char *why, size_t len);
    /* Optional: a reload is applying next (mktows_server_reload): reopen
     * logs, read the module's reloadable keys.  next is NULL when the file
     * did not load (reopen logs all the same).  0, or -1 with a message. */
    int (*reload)(void *services, const mktows_config *next, char *errbuf, size_t errlen);
};

/* More reload hooks, for parts that are not the services (e.g. a log the
 * embedding program owns): fn(arg, next, ...) runs on every reload, after
 * hooks.reload, in the thread calling mktows_server_reload (mktows-shim's
 * main thread on SIGHUP), before next becomes current.  next is valid only
 * during the call, and NULL when the file did not load (a log is reopened
 * all the same).  Register before the first reload.  Returns MKTOWS_OK,
 * or MKTOWS_EINVAL when MK_SERVER_RELOAD_HOOKS are taken. */
#define MK_SERVER_RELOAD_HOOKS 8
typedef int (*mk_reload_hook_fn)(void *arg, const mktows_config *next, char *errbuf,
                                 size_t errlen);
struct mk_reload_hook {
    mk_reload_hook_fn fn;
    void *arg;
};
int mk_server_on_reload(mktows_server *srv, mk_reload_hook_fn fn, void *arg);

/* The operation layer's services as hooks (server/wiring.c): what
 * mktows_server_start() and --check-config use. */
extern const struct mk_server_hooks mk_services_hooks;

/* The operation layer's hooks for every SOAP engine (server/wiring.c). */
extern const mk_engine_hooks mk_ops_engine_hooks;

/* mktows_server_start with services; hooks may be NULL (no services).
 * Returns MKTOWS_OK, MKTOWS_ELISTEN, or MKTOWS_EINVAL when services_start
 * failed (its message in errbuf). */
int mk_server_start(const mktows_config *cfg, const struct mk_server_hooks *hooks,
                    mktows_server **out, char *errbuf, size_t errlen);

#endif
