/*
 * metrics.h — GET /metrics: the Prometheus document and, when
 * metrics.listen asks for it, a listener of its own.
 *
 * Configuration keys (JSON path, environment variable, default):
 *   metrics.enabled  MKTOWS_METRICS_ENABLED  true: GET /metrics is served
 *   metrics.listen   MKTOWS_METRICS_LISTEN   unset: on the SOAP listener (and
 *                                            its TLS); "HOST:PORT": there instead,
 *                                            plain HTTP, and the SOAP listener
 *                                            answers 404 for /metrics
 *
 * The document is the services' families (ops/core/monitor.h) after the
 * server's own: build information, SOAP requests in flight, configured
 * SOAP users, reloads, refused client certificates.
 */
#ifndef MK_SERVER_METRICS_H
#define MK_SERVER_METRICS_H

#include <stddef.h>
#include <stdint.h>

#include "ops/core/promtext.h"

struct cJSON;

typedef struct mk_metrics_config {
    int enabled;
    char *listen_host;        /* NULL: on the SOAP listener */
    unsigned listen_port;
} mk_metrics_config;

/* Read metrics.* from a configuration document.  Returns 0, or -1 with a
 * message naming the key in err.  Free with mk_metrics_config_clear. */
int mk_metrics_config_load(const struct cJSON *root, mk_metrics_config *out, char *err,
                           size_t errlen);
void mk_metrics_config_clear(mk_metrics_config *mc);

/* The server's own numbers, sampled when the document is made. */
typedef struct mk_server_gauges {
    uint64_t soap_in_flight;
    uint64_t soap_users;
    uint64_t reloads, reload_failures;
    uint64_t client_cert_refusals;
    int tls;
    double tls_cert_expires;  /* Unix seconds; with tls */
    double start_time;        /* Unix seconds */
} mk_server_gauges;

/* Write the server's families into p. */
void mk_metrics_server(mk_prom *p, const mk_server_gauges *g);

/* The connection budget's families, from the "connections" object of
 * /_shim/stats (server/connguard.h), so both show the same counters. */
void mk_metrics_connections(mk_prom *p, const struct cJSON *conns);

/* Renders the whole document (malloc'd text, *len) or NULL. */
typedef char *(*mk_metrics_render_fn)(void *cls, size_t *len);

/* A plain HTTP listener answering GET /metrics with render(cls) and 404
 * otherwise.  Returns 0 and *out (the port bound in *port), or -1 with a
 * message in err. */
typedef struct mk_metrics_listener mk_metrics_listener;
int mk_metrics_listener_start(const mk_metrics_config *mc, mk_metrics_render_fn render,
                              void *cls, mk_metrics_listener **out, unsigned *port, char *err,
                              size_t errlen);
void mk_metrics_listener_stop(mk_metrics_listener *l);

/* The content type of the text exposition format. */
#define MK_METRICS_CONTENT_TYPE "text/plain; version=0.0.4; charset=utf-8"

#endif
