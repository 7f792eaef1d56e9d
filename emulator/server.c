/*
 * server.c — the HTTP front end (libmicrohttpd) and the rules Marketo
 * applies to every call before an endpoint sees it.
 *
 * Order of checks for a REST call, chosen so that each error a client can
 * meet is the one Marketo would give first:
 *   URI > 8 KB → HTTP 414 and body > 1 MB (10 MB for bulk import) → 413,
 *   both before the body is read; injected latency / dropped connection;
 *   Bearer token (601 missing or unknown, 602 expired; not counted);
 *   route (605 wrong method, not counted; 610 unknown path, counted);
 *   limits for counted calls (607 daily quota, 606 rate, 615 in flight);
 *   injected error codes; body content type (612) and JSON syntax (609);
 *   then the handler, whose emu_resp is wrapped in the Marketo envelope.
 * The emulator's own /_emulator/ endpoints (admin.c) skip all of these.
 *
 * Latency is injected by suspending the connection and resuming it from a
 * timer thread, never by sleeping in a pool thread: that way slow answers
 * pile up as real concurrent requests and the 615 limit can be exercised.
 * A request is "in flight" from its headers to the end of its response.
 */
#include "server.h"

#include "admin.h"
#include "auth.h"
#include "buf.h"
#include "clock.h"
#include "config.h"
#include "faults.h"
#include "http.h"
#include "limits.h"
#include "router.h"
#include "stats.h"

#include <microhttpd.h>
#include <netdb.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>

#define MAX_URI 8192
#define MAX_BODY (1024 * 1024)
#define MAX_BULK_BODY (10 * 1024 * 1024)

typedef struct rq {
    size_t uri_len;           /* of the raw request target, as received */
    emu_params params;
    emu_buf body;
    size_t limit;
    bool started, too_large, inflight, over_concurrency, delayed, form_parsed;
} rq;

static struct MHD_Daemon *g_daemon;

/* ---- the delay timer (latency injection) --------------------------------------- */

typedef struct { int64_t due; struct MHD_Connection *c; } pending;
static pthread_mutex_t g_dmu = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t g_dcv = PTHREAD_COND_INITIALIZER;
static pending *g_pend;
static int g_npend, g_pend_cap;
static bool g_dstop;
static pthread_t g_dthr;

static void delay_schedule(struct MHD_Connection *c, int64_t due)
{
    pthread_mutex_lock(&g_dmu);
    if (g_npend == g_pend_cap) {
        g_pend_cap = g_pend_cap ? g_pend_cap * 2 : 64;
        g_pend = realloc(g_pend, (size_t)g_pend_cap * sizeof *g_pend);
    }
    g_pend[g_npend++] = (pending){due, c};
    pthread_cond_signal(&g_dcv);
    pthread_mutex_unlock(&g_dmu);
}

static void *delay_thread(void *arg)
{
    (void)arg;
    pthread_mutex_lock(&g_dmu);
    while (!g_dstop) {
        int first = -1;
        for (int i = 0; i < g_npend; i++)
            if (first < 0 || g_pend[i].due < g_pend[first].due)
                first = i;
        if (first < 0) {
            pthread_cond_wait(&g_dcv, &g_dmu);
            continue;
        }
        int64_t now = emu_now_ms();
        if (g_pend[first].due <= now) {
            struct MHD_Connection *c = g_pend[first].c;
            g_pend[first] = g_pend[--g_npend];
            pthread_mutex_unlock(&g_dmu);
            MHD_resume_connection(c);
            pthread_mutex_lock(&g_dmu);
            continue;
        }
        struct timespec ts = {(time_t)(g_pend[first].due / 1000),
                              (long)(g_pend[first].due % 1000) * 1000000};
        pthread_cond_timedwait(&g_dcv, &g_dmu, &ts);
    }
    /* Suspended connections must be resumed before the daemon stops. */
    for (int i = 0; i < g_npend; i++)
        MHD_resume_connection(g_pend[i].c);
    g_npend = 0;
    pthread_mutex_unlock(&g_dmu);
    return NULL;
}

/* ---- sending ------------------------------------------------------------------ */

static enum MHD_Result send_buf(struct MHD_Connection *conn, int status, char *buf, size_t len,
                                const char *type)
{
    struct MHD_Response *r =
        MHD_create_response_from_buffer(len, buf, MHD_RESPMEM_MUST_FREE);
    if (!r) {
        free(buf);
        return MHD_NO;
    }
    MHD_add_response_header(r, MHD_HTTP_HEADER_CONTENT_TYPE, type);
    enum MHD_Result ret = MHD_queue_response(conn, (unsigned)status, r);
    MHD_destroy_response(r);
    return ret;
}

static enum MHD_Result send_http_error(struct MHD_Connection *conn, int status, const char *text)
{
    char code[8];
    snprintf(code, sizeof code, "%d", status);
    emu_stats_reject(code);
    char *body = malloc(256);
    if (!body)
        return MHD_NO;
    int n = snprintf(body, 256, "<html><body><h1>%d %s</h1></body></html>\n", status, text);
    return send_buf(conn, status, body, (size_t)n, "text/html;charset=UTF-8");
}

/* Send `resp` (its raw body or the Marketo envelope) and count a
 * response-level error among the rejections. */
static enum MHD_Result send_resp(struct MHD_Connection *conn, emu_resp *resp)
{
    if (resp->kind == EMU_BODY_ENVELOPE && resp->error_code)
        emu_stats_reject(resp->error_code);
    size_t len;
    int status;
    const char *type;
    char *body = emu_resp_render(resp, &len, &status, &type);
    emu_resp_free(resp);
    if (!body)
        return MHD_NO;
    return send_buf(conn, status, body, len, type);
}

/* ---- the request pipeline -------------------------------------------------------- */

static void *uri_logger(void *cls, const char *uri, struct MHD_Connection *c)
{
    (void)cls;
    (void)c;
    rq *q = calloc(1, sizeof *q);
    if (q) {
        q->uri_len = strlen(uri);
        /* Only the query part is kept: the path comes decoded from MHD.  A
         * parameter that does not fit in memory is absent, and answered as
         * a missing one would be. */
        const char *qs = strchr(uri, '?');
        if (qs && q->uri_len <= MAX_URI)
            (void)emu_params_parse(&q->params, qs + 1, strlen(qs + 1));
    }
    return q;
}

static void completed(void *cls, struct MHD_Connection *c, void **con_cls,
                      enum MHD_RequestTerminationCode toe)
{
    (void)cls;
    (void)c;
    (void)toe;
    rq *q = *con_cls;
    if (!q)
        return;
    if (q->inflight)
        emu_inflight_leave();
    emu_params_free(&q->params);
    emu_buf_free(&q->body);
    free(q);
    *con_cls = NULL;
}

static bool is_bulk_upload(const char *url)
{
    size_t n = strlen(url);
    return !strncmp(url, "/bulk/v1/", 9) &&
           (!strcmp(url, "/bulk/v1/leads.json") ||
            (n > 12 && !strcmp(url + n - 12, "/import.json")));
}

static bool is_admin(const char *url) { return !strncmp(url, "/_emulator/", 11); }
static bool is_identity(const char *url) { return !strncmp(url, "/identity/", 10); }

static const char *fault_message(const char *code)
{
    if (!strcmp(code, "602")) return "Access token expired";
    if (!strcmp(code, "604")) return "Request time-out";
    if (!strcmp(code, "608")) return "API Temporarily Unavailable";
    if (!strcmp(code, "611")) return "System error";
    if (!strcmp(code, "615")) return "Concurrent access limit reached";
    return NULL;
}

static enum MHD_Result process(rq *q, struct MHD_Connection *conn, const char *url,
                               const char *http_method)
{
    const char *ct = MHD_lookup_connection_value(conn, MHD_HEADER_KIND,
                                                 MHD_HTTP_HEADER_CONTENT_TYPE);
    /* Only bulk uploads may exceed MAX_BODY, and they are multipart: their
     * handler reads the raw body.  Parsing 10 MB as a form or as JSON would
     * cost tens of bytes of memory per byte received. */
    const emu_buf *body = &q->body;
    bool parsable = body->n <= MAX_BODY;
    bool form = parsable && emu_content_type_is(ct, "application/x-www-form-urlencoded");
    bool json_ct = parsable && emu_content_type_is(ct, "application/json");
    if (form && body->n && !q->form_parsed) {
        q->form_parsed = true; /* process() runs again after a latency pause */
        (void)emu_params_parse(&q->params, body->s, body->n);
    }

    emu_req req = {.path = url, .body = body->s, .body_len = body->n,
                   .content_type = ct, .params = &q->params};
    emu_resp resp = EMU_RESP_INIT;
    if (is_admin(url)) {
        req.method = http_method;
        if (json_ct && body->n)
            req.json = emu_json_parse_whole(body->s, body->n);
        emu_admin(&req, &resp);
        enum MHD_Result ret = send_resp(conn, &resp);
        cJSON_Delete(req.json);
        return ret;
    }

    emu_faults f;
    emu_faults_get(&f);
    if (f.latency_ms > 0 && !q->delayed) {
        q->delayed = true;
        MHD_suspend_connection(conn);
        delay_schedule(conn, emu_now_ms() + f.latency_ms);
        return MHD_YES;
    }
    if (f.drop_share > 0 && emu_random01() < f.drop_share) {
        emu_stats_reject("drop");
        return MHD_NO; /* closes the connection without an answer */
    }

    /* POST …?_method=GET (and DELETE, as some clients send) */
    char method[8];
    snprintf(method, sizeof method, "%s", http_method);
    const char *override = emu_param(&req, "_method");
    if (override && !strcmp(http_method, "POST")) {
        if (!strcasecmp(override, "GET"))
            snprintf(method, sizeof method, "GET");
        else if (!strcasecmp(override, "DELETE"))
            snprintf(method, sizeof method, "DELETE");
    }
    req.method = method;

    char capbuf[1024];
    int ncap = 0;
    int idx = emu_route_find(method, url, capbuf, sizeof capbuf, req.captures, &ncap);
    req.ncaptures = idx >= 0 ? ncap : 0;

    if (is_identity(url) && idx >= 0) {
        emu_stats_route(idx);
        emu_route_at(idx)->handler(&req, &resp);
        goto send;
    }

    const char *auth = MHD_lookup_connection_value(conn, MHD_HEADER_KIND,
                                                   MHD_HTTP_HEADER_AUTHORIZATION);
    const char *tok = NULL;
    if (auth && !strncasecmp(auth, "Bearer ", 7)) {
        tok = auth + 7;
        while (*tok == ' ')
            tok++;
    }
    /* The access_token query parameter is no longer accepted by Marketo:
     * without the header the call is unauthenticated whatever it carries. */
    switch (emu_token_check(tok)) {
    case EMU_TOKEN_UNKNOWN:
        emu_stats_route(idx);
        emu_fail(&resp, "601", "Access token invalid");
        goto send;
    case EMU_TOKEN_EXPIRED:
        emu_stats_route(idx);
        emu_fail(&resp, "602", "Access token expired");
        goto send;
    case EMU_TOKEN_OK:
        break;
    }
    emu_stats_route(idx);
    if (idx == -2) {
        emu_fail(&resp, "605", "HTTP Method not supported");
        goto send;
    }
    if (idx == -1 || emu_route_at(idx)->counted) {
        char msg[128];
        const char *code = emu_limits_admit(msg, sizeof msg);
        if (!code && q->over_concurrency) {
            code = "615";
            snprintf(msg, sizeof msg, "Concurrent access limit reached");
        }
        if (code) {
            emu_fail(&resp, code, "%s", msg);
            goto send;
        }
    }
    if (f.error_share > 0 && f.error_code[0] && emu_random01() < f.error_share) {
        if (!strcmp(f.error_code, "500"))
            return send_http_error(conn, 500, "Internal Server Error");
        if (!strcmp(f.error_code, "502"))
            return send_http_error(conn, 502, "Bad Gateway");
        if (!strcmp(f.error_code, "606"))
            emu_fail(&resp, "606", "Max rate limit '%d' exceeded with in '%d' secs",
                     emu_cfg.rate_n ? emu_cfg.rate_n : 100,
                     emu_cfg.rate_n ? emu_cfg.rate_secs : 20);
        else
            emu_fail(&resp, f.error_code, "%s", fault_message(f.error_code));
        goto send;
    }
    if (idx == -1) {
        emu_fail(&resp, "610", "Requested resource not found");
        goto send;
    }
    if (body->n) {
        if (json_ct) {
            req.json = emu_json_parse_whole(body->s, body->n);
            if (!req.json) {
                emu_fail(&resp, "609", "Invalid JSON");
                goto send;
            }
        } else if (!form && !emu_content_type_is(ct, "multipart/form-data") &&
                   strncmp(url, "/bulk/", 6)) {
            emu_fail(&resp, "612", "Invalid Content Type");
            goto send;
        }
    }
    emu_route_at(idx)->handler(&req, &resp);

send:;
    enum MHD_Result ret = send_resp(conn, &resp);
    cJSON_Delete(req.json);
    return ret;
}

static enum MHD_Result access_cb(void *cls, struct MHD_Connection *conn, const char *url,
                                 const char *method, const char *version,
                                 const char *upload_data, size_t *upload_data_size,
                                 void **con_cls)
{
    (void)cls;
    (void)version;
    rq *q = *con_cls;
    if (!q)
        return MHD_NO;
    if (!q->started) {
        q->started = true;
        if (q->uri_len > MAX_URI)
            return send_http_error(conn, 414, "Request-URI Too Long");
        q->limit = is_bulk_upload(url) ? MAX_BULK_BODY : MAX_BODY;
        const char *cl = MHD_lookup_connection_value(conn, MHD_HEADER_KIND,
                                                     MHD_HTTP_HEADER_CONTENT_LENGTH);
        if (cl && strtoull(cl, NULL, 10) > q->limit) {
            /* A client waiting for "100 Continue" gets the answer now; one
             * already sending is read to the end first (up to a point), so
             * that it sees the 413 rather than a reset connection. */
            const char *expect = MHD_lookup_connection_value(conn, MHD_HEADER_KIND,
                                                             MHD_HTTP_HEADER_EXPECT);
            if (expect || strtoull(cl, NULL, 10) > 8 * (size_t)MAX_BULK_BODY)
                return send_http_error(conn, 413, "Request Entity Too Large");
            q->too_large = true;
        }
        if (!is_admin(url) && !is_identity(url)) {
            int n = emu_inflight_enter();
            q->inflight = true;
            emu_stats_inflight(n);
            q->over_concurrency = emu_cfg.concurrency > 0 && n > emu_cfg.concurrency;
        }
        return MHD_YES;
    }
    if (*upload_data_size) {
        size_t n = *upload_data_size;
        *upload_data_size = 0;
        if (q->too_large || q->body.n + n > q->limit) {
            q->too_large = true;
            return MHD_YES; /* keep reading, answer 413 at the end */
        }
        return emu_buf_put(&q->body, upload_data, n) ? MHD_NO : MHD_YES;
    }
    if (q->too_large)
        return send_http_error(conn, 413, "Request Entity Too Large");
    return process(q, conn, url, method);
}

int emu_server_start(int *bound_port)
{
    struct addrinfo hints = {.ai_family = AF_UNSPEC, .ai_socktype = SOCK_STREAM,
                             .ai_flags = AI_NUMERICSERV | AI_PASSIVE};
    struct addrinfo *ai = NULL;
    char port[16];
    snprintf(port, sizeof port, "%d", emu_cfg.port);
    int rc = getaddrinfo(emu_cfg.host, port, &hints, &ai);
    if (rc) {
        fprintf(stderr, "marketo-emulator: cannot resolve listen host '%s': %s\n",
                emu_cfg.host, gai_strerror(rc));
        return -1;
    }
    unsigned flags = MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_EPOLL | MHD_ALLOW_SUSPEND_RESUME;
    if (ai->ai_family == AF_INET6)
        flags |= MHD_USE_IPv6;
    g_dstop = false;
    if (pthread_create(&g_dthr, NULL, delay_thread, NULL)) {
        freeaddrinfo(ai);
        fprintf(stderr, "marketo-emulator: cannot start timer thread\n");
        return -1;
    }
    g_daemon = MHD_start_daemon(
        flags, (uint16_t)emu_cfg.port, NULL, NULL, access_cb, NULL,
        MHD_OPTION_SOCK_ADDR, ai->ai_addr,
        MHD_OPTION_THREAD_POOL_SIZE, (unsigned)emu_cfg.threads,
        MHD_OPTION_URI_LOG_CALLBACK, uri_logger, NULL,
        MHD_OPTION_NOTIFY_COMPLETED, completed, NULL,
        /* Room for an 8 KB URI plus headers before MHD itself answers 414. */
        MHD_OPTION_CONNECTION_MEMORY_LIMIT, (size_t)(64 * 1024),
        MHD_OPTION_CONNECTION_TIMEOUT, (unsigned)120,
        MHD_OPTION_LISTEN_BACKLOG_SIZE, (unsigned)1024,
        MHD_OPTION_END);
    freeaddrinfo(ai);
    if (!g_daemon) {
        fprintf(stderr, "marketo-emulator: cannot listen on %s:%d\n", emu_cfg.host,
                emu_cfg.port);
        pthread_mutex_lock(&g_dmu);
        g_dstop = true;
        pthread_cond_signal(&g_dcv);
        pthread_mutex_unlock(&g_dmu);
        pthread_join(g_dthr, NULL);
        return -1;
    }
    const union MHD_DaemonInfo *info = MHD_get_daemon_info(g_daemon, MHD_DAEMON_INFO_BIND_PORT);
    *bound_port = info ? info->port : emu_cfg.port;
    return 0;
}

void emu_server_stop(void)
{
    if (!g_daemon)
        return;
    /* Stop the timer first: it resumes every suspended connection. */
    pthread_mutex_lock(&g_dmu);
    g_dstop = true;
    pthread_cond_signal(&g_dcv);
    pthread_mutex_unlock(&g_dmu);
    pthread_join(g_dthr, NULL);
    MHD_stop_daemon(g_daemon);
    g_daemon = NULL;
    free(g_pend);
    g_pend = NULL;
    g_pend_cap = 0;
}
