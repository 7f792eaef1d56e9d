/*
 * metrics.c — the server's part of GET /metrics and the optional listener
 * of its own (see metrics.h).  The SOAP listener routes /metrics here too
 * (server.c); the services' families come from ops/core/metrics.c.
 */
#include "server/metrics.h"

#include <netdb.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include <cjson/cJSON.h>
#include <microhttpd.h>

#include "config/config.h"

#ifndef MKTOWS_VERSION
#define MKTOWS_VERSION "unknown"
#endif

int mk_metrics_config_load(const cJSON *root, mk_metrics_config *out, char *err, size_t errlen)
{
    memset(out, 0, sizeof *out);
    out->enabled = 1;
    const cJSON *on = mk_config_get(root, "metrics.enabled");
    if (on && !cJSON_IsNull(on)) {
        if (!cJSON_IsBool(on)) {
            snprintf(err, errlen,
                     "config: key 'metrics.enabled' (MKTOWS_METRICS_ENABLED) must be true or false");
            return -1;
        }
        out->enabled = cJSON_IsTrue(on);
    }
    const cJSON *at = mk_config_get(root, "metrics.listen");
    if (at && !cJSON_IsNull(at)) {
        if (!cJSON_IsString(at) ||
            mk_config_parse_hostport(at->valuestring, &out->listen_host, &out->listen_port) != 0) {
            snprintf(err, errlen,
                     "config: key 'metrics.listen' (MKTOWS_METRICS_LISTEN) must be HOST:PORT");
            return -1;
        }
    }
    return 0;
}

void mk_metrics_config_clear(mk_metrics_config *mc)
{
    free(mc->listen_host);
    memset(mc, 0, sizeof *mc);
}

void mk_metrics_server(mk_prom *p, const mk_server_gauges *g)
{
    const char *build[] = {"version", MKTOWS_VERSION, "tls", g->tls ? "on" : "off", NULL};
    mk_prom_family(p, "mktows_build_info", "gauge",
                   "Always 1; the labels say which mktows-shim this is and whether its SOAP "
                   "listener speaks TLS.");
    mk_prom_u64(p, "mktows_build_info", build, 1);
    mk_prom_family(p, "mktows_start_time_seconds", "gauge",
                   "When the server started, Unix time.");
    mk_prom_f64(p, "mktows_start_time_seconds", NULL, g->start_time);
    mk_prom_family(p, "mktows_soap_requests_in_flight", "gauge",
                   "SOAP requests received and not yet answered.");
    mk_prom_u64(p, "mktows_soap_requests_in_flight", NULL, g->soap_in_flight);
    mk_prom_family(p, "mktows_soap_users", "gauge", "SOAP users configured now.");
    mk_prom_u64(p, "mktows_soap_users", NULL, g->soap_users);
    mk_prom_family(p, "mktows_config_reloads_total", "counter",
                   "Configuration reloads (SIGHUP) by result.");
    const char *ok[] = {"result", "success", NULL}, *bad[] = {"result", "failure", NULL};
    mk_prom_u64(p, "mktows_config_reloads_total", ok, g->reloads);
    mk_prom_u64(p, "mktows_config_reloads_total", bad, g->reload_failures);
    mk_prom_family(p, "mktows_tls_client_cert_refusals_total", "counter",
                   "Requests refused because the client certificate was missing or did not "
                   "verify (tls.client_ca_file).");
    mk_prom_u64(p, "mktows_tls_client_cert_refusals_total", NULL, g->client_cert_refusals);
    mk_prom_family(p, "mktows_tls_cert_expiry_timestamp_seconds", "gauge",
                   "When the server certificate (tls.cert_file) expires, Unix time; absent "
                   "without TLS.  Read at start: a renewed certificate needs a restart.");
    if (g->tls)
        mk_prom_f64(p, "mktows_tls_cert_expiry_timestamp_seconds", NULL, g->tls_cert_expires);
}

static double num(const cJSON *o, const char *name)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, name);
    return cJSON_IsNumber(v) ? v->valuedouble : 0;
}

void mk_metrics_connections(mk_prom *p, const cJSON *conns)
{
    static const struct {
        const char *name, *type, *help, *member;
    } one[] = {
        {"mktows_connections_open", "gauge", "HTTP connections open now.", "open"},
        {"mktows_connections_max", "gauge", "Connections allowed at once (max_connections).",
         "max_connections"},
        {"mktows_connections_established_addresses", "gauge",
         "Client addresses that authenticated recently (they get the reserves).",
         "established_addresses"},
        {"mktows_request_buffered_bytes", "gauge", "Request bodies held in memory now.",
         "buffered_bytes"},
        {"mktows_request_buffered_bytes_max", "gauge",
         "The most request bodies may hold (connections.max_buffered_bytes).",
         "max_buffered_bytes"},
    };
    if (!cJSON_IsObject(conns))
        return;
    for (size_t i = 0; i < sizeof one / sizeof one[0]; i++) {
        mk_prom_family(p, one[i].name, one[i].type, one[i].help);
        mk_prom_f64(p, one[i].name, NULL, num(conns, one[i].member));
    }
    mk_prom_family(p, "mktows_connections", "gauge", "Open connections by state.");
    const char *receiving[] = {"state", "receiving", NULL}, *idle[] = {"state", "idle", NULL};
    mk_prom_f64(p, "mktows_connections", receiving, num(conns, "receiving"));
    mk_prom_f64(p, "mktows_connections", idle, num(conns, "idle"));
    mk_prom_family(p, "mktows_connections_shed_total", "counter",
                   "Connections closed by the connection budget, by reason (idle: no request "
                   "line in time; deadline: past receive_total_seconds; slow: below the "
                   "minimum rate).");
    const char *const shed[][2] = {{"idle", "shed_idle"}, {"deadline", "shed_deadline"},
                                   {"slow", "shed_slow"}};
    for (size_t i = 0; i < 3; i++) {
        const char *labels[] = {"reason", shed[i][0], NULL};
        mk_prom_f64(p, "mktows_connections_shed_total", labels, num(conns, shed[i][1]));
    }
    mk_prom_family(p, "mktows_connections_refused_total", "counter",
                   "Connections or bodies refused by the connection budget, by reason "
                   "(reserve: kept for established clients; budget: buffered bytes spent).");
    const char *const refused[][2] = {{"reserve", "refused_reserve"},
                                      {"budget", "refused_budget"}};
    for (size_t i = 0; i < 2; i++) {
        const char *labels[] = {"reason", refused[i][0], NULL};
        mk_prom_f64(p, "mktows_connections_refused_total", labels, num(conns, refused[i][1]));
    }
}

/* ---- a listener of its own --------------------------------------------------- */

struct mk_metrics_listener {
    struct MHD_Daemon *mhd;
    mk_metrics_render_fn render;
    void *cls;
};

static enum MHD_Result on_metrics(void *cls, struct MHD_Connection *c, const char *url,
                                  const char *method, const char *version,
                                  const char *upload_data, size_t *upload_data_size,
                                  void **con_cls)
{
    static int first;
    mk_metrics_listener *l = cls;
    struct MHD_Response *r;
    (void)version;
    (void)upload_data;
    if (!*con_cls) {  /* answered on the second call, so keep-alive works */
        *con_cls = &first;
        return MHD_YES;
    }
    if (*upload_data_size) {
        *upload_data_size = 0;
        return MHD_YES;
    }
    unsigned status = 200;
    const char *type = MK_METRICS_CONTENT_TYPE;
    if (strcmp(method, MHD_HTTP_METHOD_GET) != 0 && strcmp(method, MHD_HTTP_METHOD_HEAD) != 0) {
        static const char msg[] = "method not allowed\n";
        status = 405;
        r = MHD_create_response_from_buffer(sizeof msg - 1, (void *)msg, MHD_RESPMEM_PERSISTENT);
        type = "text/plain; charset=UTF-8";
    } else if (strcmp(url, "/metrics") != 0) {
        static const char msg[] = "not found\n";
        status = 404;
        r = MHD_create_response_from_buffer(sizeof msg - 1, (void *)msg, MHD_RESPMEM_PERSISTENT);
        type = "text/plain; charset=UTF-8";
    } else {
        size_t len = 0;
        char *text = l->render(l->cls, &len);
        if (!text)
            return MHD_NO;
        r = MHD_create_response_from_buffer(len, text, MHD_RESPMEM_MUST_FREE);
        if (!r)
            free(text);
    }
    if (!r)
        return MHD_NO;
    MHD_add_response_header(r, MHD_HTTP_HEADER_CONTENT_TYPE, type);
    enum MHD_Result ret = MHD_queue_response(c, status, r);
    MHD_destroy_response(r);
    return ret;
}

int mk_metrics_listener_start(const mk_metrics_config *mc, mk_metrics_render_fn render,
                              void *cls, mk_metrics_listener **out, unsigned *port, char *err,
                              size_t errlen)
{
    struct addrinfo hints, *ai = NULL;
    char service[16];
    *out = NULL;
    memset(&hints, 0, sizeof hints);
    hints.ai_family = AF_UNSPEC;
    hints.ai_socktype = SOCK_STREAM;
    hints.ai_flags = AI_PASSIVE | AI_NUMERICSERV;
    snprintf(service, sizeof service, "%u", mc->listen_port);
    const char *host = strcmp(mc->listen_host, "*") == 0 ? NULL : mc->listen_host;
    int g = getaddrinfo(host, service, &hints, &ai);
    if (g != 0) {
        snprintf(err, errlen, "metrics.listen %s:%u: %s", mc->listen_host, mc->listen_port,
                 gai_strerror(g));
        return -1;
    }
    mk_metrics_listener *l = calloc(1, sizeof *l);
    if (!l) {
        freeaddrinfo(ai);
        snprintf(err, errlen, "out of memory");
        return -1;
    }
    l->render = render;
    l->cls = cls;
    unsigned flags = MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_AUTO;
    if (ai->ai_family == AF_INET6)
        flags |= MHD_USE_IPv6;
    /* A scraper or two: few connections, short timeouts. */
    l->mhd = MHD_start_daemon(flags, 0, NULL, NULL, on_metrics, l, MHD_OPTION_SOCK_ADDR,
                              ai->ai_addr, MHD_OPTION_CONNECTION_LIMIT, 64u,
                              MHD_OPTION_CONNECTION_TIMEOUT, 30u, MHD_OPTION_END);
    freeaddrinfo(ai);
    if (!l->mhd) {
        free(l);
        snprintf(err, errlen, "cannot listen on metrics.listen %s:%u (address in use or not "
                 "available)", mc->listen_host, mc->listen_port);
        return -1;
    }
    const union MHD_DaemonInfo *info = MHD_get_daemon_info(l->mhd, MHD_DAEMON_INFO_BIND_PORT);
    *port = info ? info->port : mc->listen_port;
    *out = l;
    return 0;
}

void mk_metrics_listener_stop(mk_metrics_listener *l)
{
    if (!l)
        return;
    MHD_stop_daemon(l->mhd);
    free(l);
}
