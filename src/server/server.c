/*
 * server.c — the HTTP front-end: libmicrohttpd in, worker pool, gSOAP out.
 *
 * One MHD thread (epoll) owns every socket, so idle keep-alive connections
 * cost no thread.  A SOAP POST is read into memory, then the connection is
 * suspended and the request goes to the worker pool (server/pool.c), where a
 * per-thread gSOAP engine (soap/engine.c) parses, dispatches to the
 * operation handler and serializes.  The worker stores the response and
 * resumes the connection; MHD then calls back and we queue the response.
 *
 * Routes:
 *   GET|HEAD <any path>?WSDL (any case)  the WSDL, soap:address = this URL
 *   GET|HEAD /health                     "ok"
 *   GET|HEAD /_shim/trace/<id>           a REST transcript (server/trace.h)
 *   GET|HEAD /_shim/stats                operator statistics (JSON): per SOAP
 *                                        operation REST calls, retries, waits;
 *                                        quota guard and coalescing (off with
 *                                        "stats_endpoint": false)
 *   GET|HEAD /metrics                    Prometheus metrics (server/metrics.h;
 *                                        elsewhere with metrics.listen, off with
 *                                        metrics.enabled false)
 *   GET|HEAD /ready                      200 when a SOAP call could be served
 *                                        (REST token, quota), else 503; run on
 *                                        a worker, as it may call identity
 *   POST /soap/mktows/<version>          SOAP
 *   anything else                        404 (405 for other methods)
 *
 * What a connection may hold — time, slots, buffered bytes — is the
 * connection budget of server/connguard.h; the MHD callbacks that feed it
 * are in their own section below.
 *
 * With tls.* configured the listener speaks HTTPS only (server/tls.h); with
 * tls.client_ca_file every request is first checked for a client
 * certificate.  Requests read the configuration through a pinned
 * generation (server/reload.h), so a reload never pulls it from under them.
 */
#include "mktows.h"

#include <arpa/inet.h>
#include <netdb.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <microhttpd.h>
#include <cjson/cJSON.h>
#include <stdatomic.h>

#include "base/buf.h"
#include "base/clock.h"
#include "base/request.h"
#include "config/config.h"
#include "server/metrics.h"
#include "server/connguard.h"
#include "base/netaddr.h"
#include "server/pool.h"
#include "server/reload.h"
#include "server/tls.h"
#include "server/server.h"
#include "server/trace.h"
#include "server/usagelog.h"
#include "ops/core/services.h"
#include "server/wsdl.h"
#include "soap/engine.h"
#include "soap/fault.h"

#define SOAP_PREFIX "/soap/mktows/"

/* AddressSanitizer's redzones make every frame several times larger. */
#if defined(__SANITIZE_ADDRESS__)
#define STACK_FACTOR 4
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define STACK_FACTOR 4
#endif
#endif
#ifndef STACK_FACTOR
#define STACK_FACTOR 1
#endif
#define XML_TYPE "text/xml; charset=UTF-8"

enum job_state { JOB_RECEIVING, JOB_QUEUED, JOB_DONE };

struct job {
    struct mk_pool_item item;    /* first: the pool links jobs through it */
    struct mktows_server *srv;
    struct MHD_Connection *conn;
    enum job_state state;
    char version[32];
    mk_buf body;                  /* first: the declared length + 1, when declared */
    int too_large;
    /* connection budget: the connection's record, the bytes of the
     * buffered-bytes budget this body holds, and whether the budget
     * refused it */
    struct mk_conn *gconn;
    size_t charged;
    int over_budget;
    struct mk_netaddr client;
    struct timespec started, deadline;
    time_t received_at;
    int ready;                    /* a GET /ready check, not a SOAP request */
    /* response, written by the worker before it resumes the connection */
    unsigned status;
    char rest_header[600];        /* X-Mktows-Rest-Calls value, "" when none */
    /* usage log and REST transcript (usagelog.h, trace.h) */
    struct timespec received_rt;
    char client_text[64];         /* numeric client address */
    int trace_asked;              /* X-Mktows-Trace: curl */
    char trace_id[33];            /* "" when the answer carries no transcript */
    char *resp;
    size_t resp_len;
};

struct mktows_server {
    const struct mktows_config *cfg;
    struct mk_server_hooks hooks;
    void *services;                /* shared by all requests; see server.h */
    mk_usagelog *usage;            /* NULL: no usage_log */
    mk_tracestore *traces;
    struct MHD_Daemon *mhd;
    mk_pool *pool;
    unsigned port;
    /* Built once at start: the fault for an oversized body, and the last
     * resort when a worker cannot even build a fault. */
    char *too_large_fault;
    size_t too_large_len;
    mk_connguard *guard;           /* the connection budget */
    char *busy_fault;              /* the 503 when the budget is spent */
    size_t busy_len;
    /* Deploying: TLS, reloads, metrics (tls.h, reload.h, metrics.h) */
    mk_tls *tls;
    mk_reloader *reloader;
    struct mk_reload_hook reload_hooks[MK_SERVER_RELOAD_HOOKS];
    size_t n_reload_hooks;
    mk_metrics_config metrics;
    mk_metrics_listener *metrics_listener;
    unsigned metrics_port;
    atomic_ulong in_flight, cert_refusals, reload_failures;
    double start_time;
};

static const char internal_fault[] =
    "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
    "<SOAP-ENV:Envelope xmlns:SOAP-ENV=\"http://schemas.xmlsoap.org/soap/envelope/\">"
    "<SOAP-ENV:Body><SOAP-ENV:Fault><faultcode>SOAP-ENV:Server</faultcode>"
    "<faultstring>10001 - Internal Error</faultstring><detail>"
    "<ns1:serviceException xmlns:ns1=\"http://www.marketo.com/mktows/\">"
    "<name>mktServiceException</name><message>Internal Error (10001)</message>"
    "<code>10001</code></ns1:serviceException></detail></SOAP-ENV:Fault>"
    "</SOAP-ENV:Body></SOAP-ENV:Envelope>";

/* ---- workers -------------------------------------------------------------- */

static void *worker_init(void *arg)
{
    (void)arg;
    return mk_engine_new(&mk_ops_engine_hooks);
}

static void worker_fini(void *state, void *arg)
{
    (void)arg;
    mk_engine_free(state);
}

/* One line per SOAP request for operators: what was called, by whom, how
 * it ended.  User ids are not secrets; keys and signatures never appear. */
static void log_request(const struct job *job, const struct mk_request *req)
{
    long ms = (long)mk_clock_mono_since(&job->started);
    fprintf(stderr, "mktows-shim: %s %s user=%s http=%u fault=%d rest=%d %ldms\n", job->version,
            req->operation ? req->operation : "-", req->user_id ? req->user_id : "-",
            job->status, req->fault_code, req->rest_calls, ms);
}

static void usage_line(const struct job *job, const struct mk_request *req)
{
    mk_usage_entry e = {
        .received = job->received_rt,
        .latency_ms = (long)mk_clock_mono_since(&job->started),
        .version = job->version, .client = job->client_text, .http_status = job->status,
        .request = job->body.data, .request_len = job->body.data ? job->body.len : 0,
        .response = job->resp, .response_len = job->resp ? job->resp_len : 0,
        .trace_id = job->trace_id[0] ? job->trace_id : NULL};
    mk_usagelog_write(job->srv->usage, &e, req);
}

/* Free a job's body and give its bytes back to the budget (any thread). */
static void job_drop_body(struct job *job)
{
    mk_buf_free(&job->body);
    mk_connguard_release(job->srv->guard, job->charged);
    job->charged = 0;
}

/* GET /ready on a worker: the check may wait for an identity call. */
static void ready_run(struct job *job)
{
    struct mktows_server *srv = job->srv;
    char why[400] = "ready";
    int ok = 0;
    if (srv->hooks.ready) {
        mk_cfg_gen *gen;
        const mktows_config *cfg = mk_reloader_acquire(srv->reloader, &gen);
        ok = srv->hooks.ready(srv->services, cfg, why, sizeof why - 1) == 0;
        mk_reloader_release(srv->reloader, gen);
    } else {
        ok = 1;
    }
    size_t n = strlen(why);
    job->resp = malloc(n + 2);
    if (job->resp) {
        memcpy(job->resp, why, n);
        memcpy(job->resp + n, "\n", 2);
        job->resp_len = n + 1;
    }
    job->status = ok ? 200 : 503;
    job->state = JOB_DONE;
    MHD_resume_connection(job->conn);
}

static void worker_run(struct mk_pool_item *item, void *state, void *arg)
{
    struct job *job = (struct job *)item;
    struct mk_engine_result res;
    struct mk_request req;
    (void)arg;

    if (job->ready) {
        ready_run(job);
        return;
    }
    mk_cfg_gen *gen;
    memset(&req, 0, sizeof req);
    req.config = mk_reloader_acquire(job->srv->reloader, &gen);
    req.version = job->version;
    req.deadline = job->deadline;
    req.received_at = job->received_at;
    req.services = job->srv->services;

    job->resp = NULL;
    mk_trace_rec trace;
    if (job->trace_asked)
        mk_trace_begin(&trace, &req);
    mk_request_set_current(&req);
    int served = mk_engine_serve(state, &req, job->body.data ? job->body.data : "",
                                 job->body.len, &res);
    mk_request_set_current(NULL);
    if (served == 0) {
        job->resp = malloc(res.len);
        if (job->resp) {
            memcpy(job->resp, res.body, res.len);
            job->resp_len = res.len;
            job->status = res.http_status;
        }
    }
    if (!job->resp)
        job->status = 500;  /* internal_fault is sent by the MHD side */
    job->rest_header[0] = '\0';
    if (req.rest_calls > 0)
        snprintf(job->rest_header, sizeof job->rest_header, "%d; %s", req.rest_calls,
                 req.rest_trace);
    if (job->trace_asked) {
        mk_trace_end(&trace);
        /* the store takes the text, or frees it */
        if (mk_trace_allowed(&req) && trace.text.data)
            mk_tracestore_put(job->srv->traces, mk_buf_take(&trace.text), job->trace_id);
        mk_trace_free(&trace);
    }
    if (req.user)   /* authenticated: the address gets the reserve */
        mk_connguard_established(job->srv->guard, &job->client);
    if (req.config->access_log)
        log_request(job, &req);
    if (job->srv->usage)
        usage_line(job, &req);
    if (job->srv->hooks.request_done) {
        long ms = (long)mk_clock_mono_since(&job->started);
        job->srv->hooks.request_done(job->srv->services, &req, ms);
    }
    mk_reloader_release(job->srv->reloader, gen);
    job_drop_body(job);
    atomic_fetch_sub(&job->srv->in_flight, 1);
    job->state = JOB_DONE;
    MHD_resume_connection(job->conn);
}

/* ---- HTTP ------------------------------------------------------------------- */

static enum MHD_Result send_buffer_with(struct MHD_Connection *c, unsigned status,
                                        const char *type, const void *buf, size_t len,
                                        enum MHD_ResponseMemoryMode mode, const char *rest_calls);

static enum MHD_Result send_buffer(struct MHD_Connection *c, unsigned status, const char *type,
                                   const void *buf, size_t len, enum MHD_ResponseMemoryMode mode)
{
    return send_buffer_with(c, status, type, buf, len, mode, NULL);
}

/* rest_calls, when set, is the X-Mktows-Rest-Calls value: how many REST
 * calls the SOAP request cost and which, so a developer rewriting the
 * caller sees what the operation becomes. */
static enum MHD_Result send_buffer_with(struct MHD_Connection *c, unsigned status,
                                        const char *type, const void *buf, size_t len,
                                        enum MHD_ResponseMemoryMode mode, const char *rest_calls)
{
    struct MHD_Response *r = MHD_create_response_from_buffer(len, (void *)buf, mode);
    if (!r) {
        if (mode == MHD_RESPMEM_MUST_FREE)
            free((void *)buf);
        return MHD_NO;
    }
    MHD_add_response_header(r, MHD_HTTP_HEADER_CONTENT_TYPE, type);
    if (rest_calls && *rest_calls)
        MHD_add_response_header(r, "X-Mktows-Rest-Calls", rest_calls);
    enum MHD_Result ret = MHD_queue_response(c, status, r);
    MHD_destroy_response(r);
    return ret;
}

/* A SOAP answer with its REST headers; X-Mktows-Trace points at the
 * transcript when one was kept (server/trace.h). */
static enum MHD_Result send_answer(struct MHD_Connection *c, struct job *job, char *resp)
{
    struct MHD_Response *r =
        MHD_create_response_from_buffer(job->resp_len, resp, MHD_RESPMEM_MUST_FREE);
    if (!r) {
        free(resp);
        return MHD_NO;
    }
    MHD_add_response_header(r, MHD_HTTP_HEADER_CONTENT_TYPE, XML_TYPE);
    if (job->rest_header[0])
        MHD_add_response_header(r, "X-Mktows-Rest-Calls", job->rest_header);
    if (job->trace_id[0]) {
        char where[64];
        snprintf(where, sizeof where, "/_shim/trace/%s", job->trace_id);
        MHD_add_response_header(r, "X-Mktows-Trace", where);
    }
    enum MHD_Result ret = MHD_queue_response(c, job->status, r);
    MHD_destroy_response(r);
    return ret;
}

static enum MHD_Result send_text(struct MHD_Connection *c, unsigned status, const char *text)
{
    return send_buffer(c, status, "text/plain; charset=UTF-8", text, strlen(text),
                       MHD_RESPMEM_PERSISTENT);
}

static enum MHD_Result find_wsdl_arg(void *cls, enum MHD_ValueKind kind, const char *key,
                                     const char *value)
{
    (void)kind;
    (void)value;
    if (key && strcasecmp(key, "wsdl") == 0) {
        *(int *)cls = 1;
        return MHD_NO;
    }
    return MHD_YES;
}

/* The client's address as the front end compares it; -1 if MHD has none. */
static int client_netaddr(struct MHD_Connection *c, struct mk_netaddr *out)
{
    const union MHD_ConnectionInfo *ci =
        MHD_get_connection_info(c, MHD_CONNECTION_INFO_CLIENT_ADDRESS);
    if (!ci || !ci->client_addr)
        return -1;
    size_t len = ci->client_addr->sa_family == AF_INET6 ? sizeof(struct sockaddr_in6)
                                                         : sizeof(struct sockaddr_in);
    return mk_netaddr_from_sockaddr(ci->client_addr, len, out);
}

/* X-Forwarded-Host/-Proto are believed only from a configured proxy: from
 * anyone else they would let a caller put any address into the WSDL other
 * clients are served (issue 9, item 6b). */
static int from_trusted_proxy(const struct mktows_server *srv, struct MHD_Connection *c)
{
    struct mk_netaddr a;
    if (!srv->cfg->n_trusted_proxies || client_netaddr(c, &a) != 0)
        return 0;
    return mk_netrange_any(srv->cfg->trusted_proxies, srv->cfg->n_trusted_proxies, &a);
}

static enum MHD_Result serve_wsdl(struct mktows_server *srv, struct MHD_Connection *c,
                                  const char *url)
{
    char fallback[300];
    const char *proto = NULL, *host = NULL;
    if (from_trusted_proxy(srv, c)) {
        proto = MHD_lookup_connection_value(c, MHD_HEADER_KIND, "X-Forwarded-Proto");
        host = MHD_lookup_connection_value(c, MHD_HEADER_KIND, "X-Forwarded-Host");
    }
    if (!host || !*host)
        host = MHD_lookup_connection_value(c, MHD_HEADER_KIND, MHD_HTTP_HEADER_HOST);
    if (!host || !*host) {
        int v6 = strchr(srv->cfg->listen_host, ':') != NULL;
        snprintf(fallback, sizeof fallback, "%s%s%s:%u", v6 ? "[" : "", srv->cfg->listen_host,
                 v6 ? "]" : "", srv->port);
        host = fallback;
    }
    /* A proxy may send "https, http"; the first entry is the client's. */
    const char *scheme = srv->tls ? "https" : "http";
    if (proto && strncasecmp(proto, "https", 5) == 0)
        scheme = "https";
    char hostbuf[256];
    size_t hl = strcspn(host, ", \t");
    snprintf(hostbuf, sizeof hostbuf, "%.*s", (int)(hl < sizeof hostbuf ? hl : sizeof hostbuf - 1),
             host);
    size_t len;
    char *text = mk_wsdl_render(scheme, hostbuf, url, &len);
    if (!text)
        return send_text(c, 500, "out of memory\n");
    return send_buffer(c, 200, XML_TYPE, text, len, MHD_RESPMEM_MUST_FREE);
}

/* The services' statistics (text, taken) with the connection budget's
 * "connections" object added; NULL when out of memory. */
static char *stats_with_connections(struct mktows_server *srv, char *text)
{
    cJSON *doc = cJSON_Parse(text);
    free(text);
    cJSON *conns = mk_connguard_stats(srv->guard);
    if (!doc || !conns || !cJSON_IsObject(doc) ||
        !cJSON_AddItemToObject(doc, "connections", conns)) {
        cJSON_Delete(conns);
        cJSON_Delete(doc);
        return NULL;
    }
    struct mk_pool_stats ps;
    mk_pool_stats_get(srv->pool, &ps);
    cJSON *w = cJSON_AddObjectToObject(doc, "workers");
    if (w) {
        cJSON_AddNumberToObject(w, "threads", ps.threads);
        cJSON_AddNumberToObject(w, "busy", ps.busy);
        cJSON_AddNumberToObject(w, "queued", ps.queued);
        cJSON_AddNumberToObject(w, "peak_threads", ps.peak);
        cJSON_AddNumberToObject(w, "max_threads", srv->cfg->max_workers);
        cJSON_AddNumberToObject(w, "threads_started", (double)ps.spawned);
        cJSON_AddNumberToObject(w, "thread_start_failures", (double)ps.spawn_failures);
        cJSON_AddNumberToObject(w, "handoffs", (double)ps.handoffs);
    }
    char *text2 = cJSON_PrintUnformatted(doc);
    cJSON_Delete(doc);
    /* MHD frees the answer with free(); cJSON's allocator may differ. */
    char *out = text2 ? strdup(text2) : NULL;
    cJSON_free(text2);
    return out;
}

/* Operator statistics from the services (ops/core/limits.h) and the connection
 * budget (server/connguard.h). */
static enum MHD_Result serve_stats(struct mktows_server *srv, struct MHD_Connection *c)
{
    const cJSON *on = cJSON_GetObjectItemCaseSensitive(mk_config_json(srv->cfg), "stats_endpoint");
    if (!srv->hooks.stats_json || cJSON_IsFalse(on))
        return send_text(c, 404, "not found\n");
    char *text = srv->hooks.stats_json(srv->services);
    if (!text)
        return send_text(c, 500, "out of memory\n");
    text = stats_with_connections(srv, text);
    if (!text)
        return send_text(c, 500, "out of memory\n");
    return send_buffer(c, 200, "application/json", text, strlen(text), MHD_RESPMEM_MUST_FREE);
}

/* "/soap/mktows/3_1" → "3_1"; NULL if the path is not a SOAP endpoint. */
static const char *soap_version(const char *url)
{
    if (strncmp(url, SOAP_PREFIX, sizeof SOAP_PREFIX - 1) != 0)
        return NULL;
    const char *v = url + sizeof SOAP_PREFIX - 1;
    size_t n = strlen(v);
    if (n && v[n - 1] == '/')
        n--;
    if (n == 0 || n >= sizeof ((struct job *)0)->version)
        return NULL;
    for (size_t i = 0; i < n; i++) {
        char ch = v[i];
        if (!((ch >= '0' && ch <= '9') || (ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') ||
              ch == '_' || ch == '.' || ch == '-'))
            return NULL;
    }
    return v;
}

static enum MHD_Result send_too_large(struct mktows_server *srv, struct MHD_Connection *c)
{
    /* Answered without a worker, but a SOAP request all the same: counted
     * with the others (operation unknown, fault 20012). */
    if (srv->hooks.request_done) {
        struct mk_request req;
        memset(&req, 0, sizeof req);
        req.fault_code = MK_ERR_NOT_UNDERSTOOD;
        srv->hooks.request_done(srv->services, &req, 0);
    }
    return send_buffer(c, 500, XML_TYPE, srv->too_large_fault, srv->too_large_len,
                       MHD_RESPMEM_PERSISTENT);
}

/* ---- connection budget (server/connguard.h) ---------------------------------- */

/* The guard's record of a connection (NULL when it has none). */
static struct mk_conn *conn_record(struct MHD_Connection *c)
{
    const union MHD_ConnectionInfo *ci =
        MHD_get_connection_info(c, MHD_CONNECTION_INFO_SOCKET_CONTEXT);
    return ci ? ci->socket_context : NULL;
}

/* The budget of buffered bytes is spent: 503 with a Marketo fault clients
 * retry on (20024), and a hint when to. */
static enum MHD_Result send_busy(struct mktows_server *srv, struct MHD_Connection *c)
{
    struct MHD_Response *r = MHD_create_response_from_buffer(srv->busy_len, srv->busy_fault,
                                                             MHD_RESPMEM_PERSISTENT);
    if (!r)
        return MHD_NO;
    MHD_add_response_header(r, MHD_HTTP_HEADER_CONTENT_TYPE, XML_TYPE);
    MHD_add_response_header(r, MHD_HTTP_HEADER_RETRY_AFTER, "1");
    enum MHD_Result ret = MHD_queue_response(c, MHD_HTTP_SERVICE_UNAVAILABLE, r);
    MHD_destroy_response(r);
    return ret;
}

/* The client certificate check failed: 403, and the connection goes. */
static enum MHD_Result refuse_client(struct MHD_Connection *c, const char *why)
{
    char text[400];
    int n = snprintf(text, sizeof text, "%s\n", why);
    struct MHD_Response *r = MHD_create_response_from_buffer(
        n > 0 && (size_t)n < sizeof text ? (size_t)n : strlen(text), text, MHD_RESPMEM_MUST_COPY);
    if (!r)
        return MHD_NO;
    MHD_add_response_header(r, MHD_HTTP_HEADER_CONTENT_TYPE, "text/plain; charset=UTF-8");
    MHD_add_response_header(r, MHD_HTTP_HEADER_CONNECTION, "close");
    enum MHD_Result ret = MHD_queue_response(c, MHD_HTTP_FORBIDDEN, r);
    MHD_destroy_response(r);
    return ret;
}

static char *render_metrics(void *cls, size_t *len)
{
    struct mktows_server *srv = cls;
    mk_prom p = {0};
    mk_cfg_gen *gen;
    const mktows_config *cfg = mk_reloader_acquire(srv->reloader, &gen);
    mk_server_gauges g = {
        .soap_in_flight = atomic_load(&srv->in_flight),
        .soap_users = cfg->n_users,
        .reloads = mk_reloader_count(srv->reloader),
        .reload_failures = atomic_load(&srv->reload_failures),
        .client_cert_refusals = atomic_load(&srv->cert_refusals),
        .tls = srv->tls != NULL,
        .tls_cert_expires = srv->tls ? srv->tls->cert_expires : 0,
        .start_time = srv->start_time,
    };
    mk_reloader_release(srv->reloader, gen);
    mk_metrics_server(&p, &g);
    cJSON *conns = mk_connguard_stats(srv->guard);
    mk_metrics_connections(&p, conns);
    cJSON_Delete(conns);
    if (srv->hooks.metrics)
        srv->hooks.metrics(srv->services, &p);
    return mk_prom_finish(&p, len);
}

static enum MHD_Result serve_metrics(struct mktows_server *srv, struct MHD_Connection *c)
{
    if (!srv->metrics.enabled || srv->metrics_listener)
        return send_text(c, 404, "not found\n");
    size_t len = 0;
    char *text = render_metrics(srv, &len);
    if (!text)
        return send_text(c, 500, "out of memory\n");
    return send_buffer(c, 200, MK_METRICS_CONTENT_TYPE, text, len, MHD_RESPMEM_MUST_FREE);
}

/* GET /ready goes to a worker like a SOAP request; answered in on_access. */
static enum MHD_Result queue_ready(struct mktows_server *srv, struct MHD_Connection *c,
                                   void **con_cls)
{
    struct job *job = calloc(1, sizeof *job);
    if (!job)
        return send_text(c, 500, "out of memory\n");
    job->srv = srv;
    job->conn = c;
    job->ready = 1;
    job->state = JOB_QUEUED;
    *con_cls = job;
    MHD_suspend_connection(c);
    if (mk_pool_push(srv->pool, &job->item) != 0) {
        MHD_resume_connection(c);
        job->state = JOB_DONE;
        job->status = 503;
    }
    return MHD_YES;
}


/* MHD's accept policy: strangers do not get the reserved slots. */
static enum MHD_Result on_accept(void *cls, const struct sockaddr *addr, socklen_t addrlen)
{
    struct mktows_server *srv = cls;
    struct mk_netaddr a;
    int known = mk_netaddr_from_sockaddr(addr, addrlen, &a) == 0;
    return mk_connguard_admit(srv->guard, known ? &a : NULL) ? MHD_YES : MHD_NO;
}

static void on_connection(void *cls, struct MHD_Connection *c, void **socket_context,
                          enum MHD_ConnectionNotificationCode toe)
{
    struct mktows_server *srv = cls;
    if (toe == MHD_CONNECTION_NOTIFY_STARTED) {
        const union MHD_ConnectionInfo *fd =
            MHD_get_connection_info(c, MHD_CONNECTION_INFO_CONNECTION_FD);
        struct mk_netaddr a;
        int known = client_netaddr(c, &a) == 0;
        *socket_context =
            fd ? mk_connguard_open(srv->guard, fd->connect_fd, known ? &a : NULL) : NULL;
    } else {
        mk_connguard_close(srv->guard, *socket_context);
        *socket_context = NULL;
    }
}

/* Called when a request line has arrived: the request's deadline starts. */
static void *on_request_line(void *cls, const char *uri, struct MHD_Connection *c)
{
    struct mktows_server *srv = cls;
    (void)uri;
    mk_connguard_request(srv->guard, conn_record(c));
    return NULL;   /* con_cls stays NULL: on_access sees its first call */
}

/* ---- request routing ---------------------------------------------------------- */

/* con_cls of a request answered without a worker (GET, errors): MHD keeps
 * a connection alive only when the response is queued after the first
 * call, so those are answered on the second. */
static const char no_job_marker;
#define NO_JOB ((void *)&no_job_marker)

static enum MHD_Result on_first_call(struct mktows_server *srv, struct MHD_Connection *c,
                                     const char *url, const char *method, void **con_cls)
{
    MHD_set_connection_option(c, MHD_CONNECTION_OPTION_TIMEOUT,
                              (unsigned)srv->cfg->receive_timeout);

    if (srv->tls && srv->tls->client_ca_pem) {
        char why[300];
        if (mk_tls_check_client(c, why, sizeof why) != 0) {
            atomic_fetch_add(&srv->cert_refusals, 1);
            return refuse_client(c, why);
        }
    }

    if (strcmp(method, MHD_HTTP_METHOD_GET) == 0 || strcmp(method, MHD_HTTP_METHOD_HEAD) == 0) {
        int wsdl = 0;
        MHD_get_connection_values(c, MHD_GET_ARGUMENT_KIND, find_wsdl_arg, &wsdl);
        if (wsdl)
            return serve_wsdl(srv, c, url);
        if (strcmp(url, "/health") == 0)
            return send_text(c, 200, "ok\n");
        if (strcmp(url, "/_shim/stats") == 0)
            return serve_stats(srv, c);
        if (strncmp(url, "/_shim/trace/", 13) == 0) {
            char *text = mk_tracestore_get(srv->traces, url + 13);
            if (!text)
                return send_text(c, 404, "no such transcript (they are kept 15 minutes)\n");
            return send_buffer(c, 200, "text/plain; charset=UTF-8", text, strlen(text),
                               MHD_RESPMEM_MUST_FREE);
        }
        if (strcmp(url, "/metrics") == 0)
            return serve_metrics(srv, c);
        if (strcmp(url, "/ready") == 0)
            return queue_ready(srv, c, con_cls);
        if (soap_version(url))
            return send_text(c, 405, "POST a SOAP envelope here, or GET ?WSDL\n");
        return send_text(c, 404, "not found\n");
    }
    if (strcmp(method, MHD_HTTP_METHOD_POST) != 0)
        return send_text(c, soap_version(url) ? 405 : 404, "method not allowed\n");

    const char *version = soap_version(url);
    if (!version)
        return send_text(c, 404, "not found\n");

    const char *cl = MHD_lookup_connection_value(c, MHD_HEADER_KIND,
                                                 MHD_HTTP_HEADER_CONTENT_LENGTH);
    unsigned long long declared = cl ? strtoull(cl, NULL, 10) : 0;
    if (declared > srv->cfg->max_request_bytes)
        return send_too_large(srv, c);

    /* A declared body takes its whole size from the budget before a byte of
     * it is read, so a body admitted can always be completed. */
    struct mk_conn *gconn = conn_record(c);
    if (declared && mk_connguard_charge(srv->guard, gconn, (size_t)declared + 1) != 0)
        return send_busy(srv, c);

    struct job *job = calloc(1, sizeof *job);
    if (!job) {
        mk_connguard_release(srv->guard, declared ? (size_t)declared + 1 : 0);
        return MHD_NO;
    }
    job->srv = srv;
    job->conn = c;
    job->gconn = gconn;
    job->body.first = declared ? (size_t)declared + 1 : 4096;
    job->charged = declared ? (size_t)declared + 1 : 0;
    if (gconn)
        job->client = *mk_connguard_addr(gconn);
    job->state = JOB_RECEIVING;
    size_t vn = strlen(version);
    if (vn && version[vn - 1] == '/')
        vn--;
    memcpy(job->version, version, vn);
    clock_gettime(CLOCK_MONOTONIC, &job->started);
    job->deadline = job->started;
    job->deadline.tv_sec += srv->cfg->request_timeout;
    job->received_at = time(NULL);
    clock_gettime(CLOCK_REALTIME, &job->received_rt);
    const union MHD_ConnectionInfo *ci =
        MHD_get_connection_info(c, MHD_CONNECTION_INFO_CLIENT_ADDRESS);
    if (ci && ci->client_addr &&
        getnameinfo(ci->client_addr,
                    ci->client_addr->sa_family == AF_INET6 ? sizeof(struct sockaddr_in6)
                                                           : sizeof(struct sockaddr_in),
                    job->client_text, sizeof job->client_text, NULL, 0, NI_NUMERICHOST) != 0)
        job->client_text[0] = '\0';
    const char *tr = MHD_lookup_connection_value(c, MHD_HEADER_KIND, "X-Mktows-Trace");
    job->trace_asked = tr && strcasecmp(tr, "curl") == 0;
    *con_cls = job;
    return MHD_YES;
}

static int append_body(struct job *job, const char *data, size_t n, size_t max)
{
    if (job->too_large || job->over_budget)
        return 0;
    job->body.max = max;
    size_t cap = mk_buf_next_cap(&job->body, n);
    if (!cap) {
        job->too_large = 1;
        job_drop_body(job);
        return 0;
    }
    /* A chunked body is charged as it grows, before the memory is taken;
     * the rest is discarded and answered 503 once the budget says no. */
    if (cap > job->charged) {
        if (mk_connguard_charge(job->srv->guard, job->gconn, cap - job->charged) != 0) {
            job->over_budget = 1;
            job_drop_body(job);
            return 0;
        }
        job->charged = cap;
    }
    return mk_buf_append(&job->body, data, n);
}

static enum MHD_Result on_access(void *cls, struct MHD_Connection *c, const char *url,
                                 const char *method, const char *version,
                                 const char *upload_data, size_t *upload_data_size,
                                 void **con_cls)
{
    struct mktows_server *srv = cls;
    (void)version;

    if (!*con_cls) {
        /* Any method may send a body: the receive limits hold until the
         * request is complete, not only for SOAP posts. */
        mk_connguard_headers_done(srv->guard, conn_record(c));
        if (strcmp(method, MHD_HTTP_METHOD_POST) != 0) {
            *con_cls = NO_JOB;
            return MHD_YES;
        }
        return on_first_call(srv, c, url, method, con_cls);
    }
    if (*con_cls == NO_JOB) {
        if (*upload_data_size) {  /* a body on GET etc. is read and ignored */
            mk_connguard_received(srv->guard, conn_record(c), *upload_data_size);
            *upload_data_size = 0;
            return MHD_YES;
        }
        mk_connguard_busy(srv->guard, conn_record(c));
        return on_first_call(srv, c, url, method, con_cls);
    }

    struct job *job = *con_cls;
    if (*upload_data_size) {
        mk_connguard_received(srv->guard, job->gconn, *upload_data_size);
        if (append_body(job, upload_data, *upload_data_size, srv->cfg->max_request_bytes))
            return MHD_NO;
        *upload_data_size = 0;
        return MHD_YES;
    }
    switch (job->state) {
    case JOB_RECEIVING:
        mk_connguard_busy(srv->guard, job->gconn);
        if (job->too_large)
            return send_too_large(srv, c);
        if (job->over_budget)
            return send_busy(srv, c);
        job->state = JOB_QUEUED;
        atomic_fetch_add(&srv->in_flight, 1);
        MHD_suspend_connection(c);
        if (mk_pool_push(srv->pool, &job->item) != 0) {
            atomic_fetch_sub(&srv->in_flight, 1);
            MHD_resume_connection(c);
            job->state = JOB_DONE;
            job->status = 500;
        }
        return MHD_YES;
    case JOB_QUEUED:
        return MHD_YES;  /* spurious wake-up; the worker will resume us */
    case JOB_DONE:
        break;
    }
    MHD_set_connection_option(c, MHD_CONNECTION_OPTION_TIMEOUT, (unsigned)srv->cfg->send_timeout);
    if (job->ready) {
        if (!job->resp)
            return send_text(c, job->status ? job->status : 503, "not ready\n");
        char *text = job->resp;
        job->resp = NULL;
        return send_buffer(c, job->status, "text/plain; charset=UTF-8", text, job->resp_len,
                           MHD_RESPMEM_MUST_FREE);
    }
    if (!job->resp)
        return send_buffer(c, 500, XML_TYPE, internal_fault, sizeof internal_fault - 1,
                           MHD_RESPMEM_PERSISTENT);
    char *resp = job->resp;
    job->resp = NULL;
    return send_answer(c, job, resp);
}

static void on_completed(void *cls, struct MHD_Connection *c, void **con_cls,
                         enum MHD_RequestTerminationCode toe)
{
    struct mktows_server *srv = cls;
    (void)toe;
    mk_connguard_idle(srv->guard, conn_record(c));
    struct job *job = *con_cls;
    if (job && job != NO_JOB) {
        job_drop_body(job);
        free(job->resp);
        free(job);
        *con_cls = NULL;
    }
}

/* ---- lifecycle ----------------------------------------------------------- */

static int fail(char *errbuf, size_t errlen, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
static int fail(char *errbuf, size_t errlen, const char *fmt, ...)
{
    if (errbuf && errlen) {
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(errbuf, errlen, fmt, ap);
        va_end(ap);
    }
    return MKTOWS_ELISTEN;
}

/* A fault answered without parsing anything (a body too large, the
 * buffered-bytes budget spent), serialised once at start-up into a malloc'd
 * copy.  Returns 0, or -1 when out of memory. */
static int prebuilt_fault(char **out, size_t *out_len, int code, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));
static int prebuilt_fault(char **out, size_t *out_len, int code, const char *fmt, ...)
{
    char text[512];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(text, sizeof text, fmt, ap);
    va_end(ap);
    mk_engine *e = mk_engine_new(&mk_ops_engine_hooks);
    struct mk_engine_result res;
    int rc = -1;
    if (!e)
        return -1;
    if (mk_engine_fault(e, NULL, code, &res, "%s", text) == 0 && (*out = malloc(res.len))) {
        memcpy(*out, res.body, res.len);
        *out_len = res.len;
        rc = 0;
    }
    mk_engine_free(e);
    return rc;
}

/* TLS, metrics and the reloadable configuration, before anything listens. */
static int deploy_start(struct mktows_server *srv, char *errbuf, size_t errlen)
{
    const cJSON *root = mk_config_json(srv->cfg);
    struct timespec now;
    clock_gettime(CLOCK_REALTIME, &now);
    srv->start_time = (double)now.tv_sec + (double)now.tv_nsec / 1e9;
    if (mk_reloader_new(srv->cfg, &srv->reloader) != 0)
        return fail(errbuf, errlen, "out of memory");
    if (mk_tls_load(root, &srv->tls, errbuf, errlen) != 0 ||
        mk_metrics_config_load(root, &srv->metrics, errbuf, errlen) != 0)
        return MKTOWS_EINVAL;
    return MKTOWS_OK;
}

/* MHD's TLS options into opts (ending with MHD_OPTION_END); the flag. */
static unsigned tls_options(struct mktows_server *srv, struct MHD_OptionItem *opts)
{
    size_t n = 0;
    if (srv->tls) {
        opts[n++] = (struct MHD_OptionItem){MHD_OPTION_HTTPS_MEM_CERT, 0, srv->tls->cert_pem};
        opts[n++] = (struct MHD_OptionItem){MHD_OPTION_HTTPS_MEM_KEY, 0, srv->tls->key_pem};
        opts[n++] = (struct MHD_OptionItem){MHD_OPTION_HTTPS_PRIORITIES, 0, srv->tls->priorities};
        if (srv->tls->client_ca_pem)
            opts[n++] = (struct MHD_OptionItem){MHD_OPTION_HTTPS_MEM_TRUST, 0,
                                                srv->tls->client_ca_pem};
    }
    opts[n] = (struct MHD_OptionItem){MHD_OPTION_END, 0, NULL};
    return srv->tls ? MHD_USE_TLS : 0;
}

int mktows_server_start(const mktows_config *cfg, mktows_server **out, char *errbuf,
                        size_t errlen)
{
    return mk_server_start(cfg, &mk_services_hooks, out, errbuf, errlen);
}

int mk_server_start(const mktows_config *cfg, const struct mk_server_hooks *hooks,
                    mktows_server **out, char *errbuf, size_t errlen)
{
    struct addrinfo hints, *ai = NULL;
    char port[16];
    int rc;

    *out = NULL;
    struct mktows_server *srv = calloc(1, sizeof *srv);
    if (!srv)
        return fail(errbuf, errlen, "out of memory");
    srv->cfg = cfg;
    if (hooks)
        srv->hooks = *hooks;
    if (prebuilt_fault(&srv->too_large_fault, &srv->too_large_len, MK_ERR_NOT_UNDERSTOOD,
                       "Request Not Understood: request body exceeds %zu bytes",
                       srv->cfg->max_request_bytes) != 0 ||
        prebuilt_fault(&srv->busy_fault, &srv->busy_len, MK_ERR_CONCURRENCY,
                       "Concurrency Limit Exceeded: the shim holds as many request bodies "
                       "as it may (connections.max_buffered_bytes); retry shortly") != 0) {
        free(srv->too_large_fault);
        free(srv);
        return fail(errbuf, errlen, "cannot initialise the SOAP engine");
    }
    srv->guard = mk_connguard_start(cfg);
    if (!srv->guard) {
        mktows_server_stop(srv);
        return fail(errbuf, errlen, "cannot start the connection guard");
    }
    if ((rc = deploy_start(srv, errbuf, errlen)) != MKTOWS_OK) {
        mktows_server_stop(srv);
        return rc;
    }
    const cJSON *ul = mk_config_get(mk_config_json(cfg), "usage_log");
    if (ul && !cJSON_IsNull(ul) && (!cJSON_IsString(ul) || !ul->valuestring[0])) {
        mktows_server_stop(srv);
        snprintf(errbuf, errlen, "config: key 'usage_log' (MKTOWS_USAGE_LOG) must be a file "
                                 "path or \"stderr\"");
        return MKTOWS_EINVAL;
    }
    if (mk_tracestore_new(&srv->traces) != 0 ||
        (cJSON_IsString(ul) && mk_usagelog_open(ul->valuestring, &srv->usage, errbuf, errlen))) {
        mktows_server_stop(srv);
        return MKTOWS_EINVAL;
    }
    if (srv->hooks.services_start &&
        srv->hooks.services_start(cfg, &srv->services, errbuf, errlen) != 0) {
        srv->services = NULL;
        mktows_server_stop(srv);
        return MKTOWS_EINVAL;
    }

    memset(&hints, 0, sizeof hints);
    hints.ai_family = AF_UNSPEC;
    hints.ai_socktype = SOCK_STREAM;
    hints.ai_flags = AI_PASSIVE | AI_NUMERICSERV;
    snprintf(port, sizeof port, "%u", cfg->listen_port);
    const char *host = cfg->listen_host;
    if (strcmp(host, "*") == 0)
        host = NULL;
    if ((rc = getaddrinfo(host, port, &hints, &ai)) != 0) {
        mktows_server_stop(srv);
        return fail(errbuf, errlen, "listen %s:%s: %s", cfg->listen_host, port,
                    gai_strerror(rc));
    }

    struct mk_pool_ops ops = {worker_init, worker_run, worker_fini, srv};
    struct mk_pool_limits lim = {.min = cfg->workers, .max = cfg->max_workers,
                                 .stack_bytes = (size_t)cfg->worker_stack_kb * 1024 *
                                                STACK_FACTOR};
    srv->pool = mk_pool_start(&lim, &ops);
    if (!srv->pool) {
        freeaddrinfo(ai);
        mktows_server_stop(srv);
        return fail(errbuf, errlen, "cannot start %u worker threads", cfg->workers);
    }

    unsigned flags = MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_EPOLL | MHD_ALLOW_SUSPEND_RESUME;
    if (ai->ai_family == AF_INET6)
        flags |= MHD_USE_IPv6;
    /* The per-address limit is MHD's own; the guard's callbacks do the
     * rest of the connection budget. */
    struct MHD_OptionItem budget[] = {
        {MHD_OPTION_PER_IP_CONNECTION_LIMIT, (intptr_t)cfg->per_client_connections, NULL},
        {MHD_OPTION_END, 0, NULL},
    };
    if (!cfg->per_client_connections)
        budget[0].option = MHD_OPTION_END;
    struct MHD_OptionItem tls_opts[5];
    flags |= tls_options(srv, tls_opts);
    srv->mhd = MHD_start_daemon(
        flags, 0, on_accept, srv, on_access, srv,
        MHD_OPTION_SOCK_ADDR, ai->ai_addr,
        MHD_OPTION_CONNECTION_TIMEOUT, (unsigned)cfg->receive_timeout,
        MHD_OPTION_CONNECTION_LIMIT, (unsigned)cfg->max_connections,
        MHD_OPTION_LISTEN_BACKLOG_SIZE, 1024u,
        MHD_OPTION_NOTIFY_COMPLETED, on_completed, srv,
        MHD_OPTION_NOTIFY_CONNECTION, on_connection, srv,
        MHD_OPTION_URI_LOG_CALLBACK, on_request_line, srv,
        MHD_OPTION_ARRAY, budget,
        MHD_OPTION_ARRAY, tls_opts,
        MHD_OPTION_END);
    freeaddrinfo(ai);
    if (!srv->mhd) {
        mktows_server_stop(srv);
        return fail(errbuf, errlen, "cannot listen on %s:%u (address in use or not available)",
                    cfg->listen_host, cfg->listen_port);
    }
    const union MHD_DaemonInfo *info = MHD_get_daemon_info(srv->mhd, MHD_DAEMON_INFO_BIND_PORT);
    srv->port = info ? info->port : cfg->listen_port;
    if (srv->metrics.enabled && srv->metrics.listen_host &&
        mk_metrics_listener_start(&srv->metrics, render_metrics, srv, &srv->metrics_listener,
                                  &srv->metrics_port, errbuf, errlen) != 0) {
        mktows_server_stop(srv);
        return MKTOWS_ELISTEN;
    }
    *out = srv;
    return MKTOWS_OK;
}

const char *mktows_server_host(const mktows_server *srv)
{
    return srv->cfg->listen_host;
}

unsigned mktows_server_port(const mktows_server *srv)
{
    return srv->port;
}

void mktows_server_stop(mktows_server *srv)
{
    if (!srv)
        return;
    MHD_socket lsock = MHD_INVALID_SOCKET;
    if (srv->mhd)
        lsock = MHD_quiesce_daemon(srv->mhd);
    /* Finish queued requests; their connections are resumed and answered
     * by the still-running MHD thread. */
    mk_pool_stop(srv->pool);
    mk_metrics_listener_stop(srv->metrics_listener);
    if (srv->mhd)
        MHD_stop_daemon(srv->mhd);
    /* After MHD: until its thread ended, a request could still arrive and
     * be refused by the stopped pool, and /_shim/stats read it. */
    mk_pool_free(srv->pool);
    srv->pool = NULL;
    if (lsock != MHD_INVALID_SOCKET)
        close(lsock);
    /* After MHD: its last connection-closed notifications use the guard. */
    mk_connguard_stop(srv->guard);
    if (srv->services && srv->hooks.services_stop)
        srv->hooks.services_stop(srv->services);
    mk_usagelog_close(srv->usage);
    mk_tracestore_free(srv->traces);
    mk_reloader_free(srv->reloader);
    mk_tls_free(srv->tls);
    mk_metrics_config_clear(&srv->metrics);
    free(srv->too_large_fault);
    free(srv->busy_fault);
    free(srv);
}

int mktows_server_reopen_logs(mktows_server *srv)
{
    return srv && mk_usagelog_reopen(srv->usage) != 0 ? MKTOWS_EIO : MKTOWS_OK;
}

int mktows_server_tls(const mktows_server *srv)
{
    return srv->tls != NULL;
}

unsigned mktows_server_metrics_port(const mktows_server *srv)
{
    return srv->metrics_listener ? srv->metrics_port : 0;
}

const char *mktows_server_metrics_host(const mktows_server *srv)
{
    return srv->metrics_listener ? srv->metrics.listen_host : "";
}

int mk_server_on_reload(mktows_server *srv, mk_reload_hook_fn fn, void *arg)
{
    if (!fn || srv->n_reload_hooks == MK_SERVER_RELOAD_HOOKS)
        return MKTOWS_EINVAL;
    srv->reload_hooks[srv->n_reload_hooks++] = (struct mk_reload_hook){fn, arg};
    return MKTOWS_OK;
}

int mktows_server_reload(mktows_server *srv, mktows_config *next, char *errbuf, size_t errlen)
{
    char notice[512] = "", herr[256] = "";
    int rc = MKTOWS_OK;
    if (errbuf && errlen)
        errbuf[0] = '\0';
    /* The hooks run first, and also when the file did not load (next
     * NULL): reopening a rotated log must not wait for a valid file.  They
     * see next before it is handed over (a later reload may free it); what
     * they keep they copy. */
    if (srv->hooks.reload && srv->hooks.reload(srv->services, next, herr, sizeof herr) != 0)
        rc = MKTOWS_EIO;
    for (size_t i = 0; i < srv->n_reload_hooks && rc == MKTOWS_OK; i++)
        if (srv->reload_hooks[i].fn(srv->reload_hooks[i].arg, next, herr, sizeof herr) != 0)
            rc = MKTOWS_EIO;
    if (!next) {
        atomic_fetch_add(&srv->reload_failures, 1);
        fail(errbuf, errlen, "the configuration did not load%s%s", *herr ? "; " : "", herr);
        return MKTOWS_EINVAL;
    }
    int src = mk_reloader_swap(srv->reloader, next, notice, sizeof notice);
    if (src != MKTOWS_OK)
        rc = src;
    if (rc != MKTOWS_OK)
        atomic_fetch_add(&srv->reload_failures, 1);
    if (errbuf && errlen)
        snprintf(errbuf, errlen, "%s%s%s", herr, *herr && *notice ? "; " : "", notice);
    return rc;
}
