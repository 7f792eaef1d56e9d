/*
 * client.c — the REST call path: credentials -> token -> plan -> send ->
 * envelope, with the 601/602 replay, the quota guard, backoff retries,
 * connection reuse and call counting.
 *
 * Shape of one mk_rest_call():
 *
 *     plan (url.c)
 *     loop:
 *         breaker open?            -> refuse at once (REST down)
 *         token (token.c, single flight)
 *         quota guard (limiter.c)  -> wait for a slot until the deadline
 *         send on a pooled curl handle  -> classify the response
 *         give the slot back, saying what the answer was (606, 607 ...)
 *         601/602: invalidate that token generation, renew, send again
 *         retryable failure (retry_decision()) and time and budget left:
 *             sleep a jittered exponential backoff, go round again
 *
 * Thread-safety: the client is immutable after creation except for
 *   - the handle pool      (pool_mu),
 *   - the curl share       (one mutex per curl lock_data kind),
 *   - the token cache      (its own lock, token.c),
 *   - the quota guard      (its own lock, limiter.c),
 *   - the statistics       (stats_mu).
 * curl_global_init() runs once per process through pthread_once.
 */
#include "rest.h"
#include "base/clock.h"
#include "endpoints.h"
#include "json.h"
#include "limiter.h"
#include "token.h"
#include "url.h"

#include <curl/curl.h>
#include <errno.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#ifndef MKTOWS_VERSION
#define MKTOWS_VERSION "0.1"
#endif

#define DEFAULT_CONNECT_TIMEOUT_MS 10000L
#define DEFAULT_TIMEOUT_MS 330000L
#define DEFAULT_IDLE_HANDLES 16
#define MAX_KEPT_CONNECTIONS 1024 /* bound on the above when the limits are raised "off" */
#define DEFAULT_MAX_RESPONSE ((size_t)64 * 1024 * 1024)
#define IDENTITY_ZERO_TTL_RETRIES 2   /* extra identity calls when expires_in is 0 */
#define IDENTITY_ZERO_TTL_PAUSE_MS 1000
#define DEFAULT_MAX_RETRIES 8
#define DEFAULT_RETRY_BASE_MS 200L
#define DEFAULT_RETRY_MAX_MS 5000L
#define MAX_TOKEN_REPLAYS 3

typedef struct endpoint_counter {
    char key[160];
    uint64_t calls;
    uint64_t failures;
} endpoint_counter;

struct mk_rest_client {
    char *endpoint;
    char *identity;
    char *user_agent;
    long connect_timeout_ms;
    long timeout_ms;
    size_t max_response;

    CURLSH *share;
    pthread_mutex_t share_mu[CURL_LOCK_DATA_LAST];

    pthread_mutex_t pool_mu;
    CURL **idle;
    size_t nidle, max_idle;
    long max_conns;      /* keep-alive connections the shared cache keeps */

    mk_rest_tokens *tokens;
    mk_limiter *limiter;
    int max_retries;
    long retry_base_ms, retry_max_ms;
    mk_rest_retry_fn retry_fn;
    void *retry_ctx;

    pthread_mutex_t stats_mu;
    uint64_t n_calls, n_identity, n_replays, n_overrides, n_transport;
    uint64_t n_retries, n_exhausted;
    atomic_ullong n_connects;        /* counted without stats_mu: once per send */
    char last_transport_error[320];  /* why the last call got no answer */
    endpoint_counter *eps;
    size_t neps, cap_eps;
};

/* ---- small helpers ----------------------------------------------------- */

int64_t mk_rest_now_ms(void)
{
    return mk_clock_mono_ms();
}

const char *mk_rest_status_str(mk_rest_status st)
{
    switch (st) {
    case MK_REST_OK: return "ok";
    case MK_REST_ERR_INVALID: return "invalid request";
    case MK_REST_ERR_NOMEM: return "out of memory";
    case MK_REST_ERR_TRANSPORT: return "transport error";
    case MK_REST_ERR_TIMEOUT: return "timeout";
    case MK_REST_ERR_HTTP: return "HTTP error";
    case MK_REST_ERR_API: return "API error";
    case MK_REST_ERR_AUTH: return "authentication failed";
    case MK_REST_ERR_PARSE: return "unparsable response";
    }
    return "unknown";
}

static void set_err(char *err, size_t errlen, const char *fmt, const char *arg)
{
    if (err && errlen)
        snprintf(err, errlen, fmt, arg ? arg : "");
}

/* Remaining time for one send: the client cap, shortened by the deadline. */
static mk_rest_status time_left(const mk_rest_client *c, int64_t deadline_ms, long *ms)
{
    long t = c->timeout_ms;
    if (deadline_ms > 0) {
        int64_t left = deadline_ms - mk_rest_now_ms();
        if (left <= 0)
            return MK_REST_ERR_TIMEOUT;
        if (left < t)
            t = (long)left;
    }
    *ms = t;
    return MK_REST_OK;
}

/* ---- process-wide curl initialisation ---------------------------------- */

static pthread_once_t curl_once = PTHREAD_ONCE_INIT;
static CURLcode curl_init_rc = CURLE_FAILED_INIT;

static void curl_init_once(void)
{
    curl_init_rc = curl_global_init(CURL_GLOBAL_DEFAULT);
}

/* ---- curl share locks -------------------------------------------------- */

static void share_lock(CURL *h, curl_lock_data data, curl_lock_access access, void *ud)
{
    (void)h;
    (void)access;
    mk_rest_client *c = ud;
    if ((int)data >= 0 && data < CURL_LOCK_DATA_LAST)
        pthread_mutex_lock(&c->share_mu[data]);
}

static void share_unlock(CURL *h, curl_lock_data data, void *ud)
{
    (void)h;
    mk_rest_client *c = ud;
    if ((int)data >= 0 && data < CURL_LOCK_DATA_LAST)
        pthread_mutex_unlock(&c->share_mu[data]);
}

/* ---- handle pool ------------------------------------------------------- */

static CURL *handle_get(mk_rest_client *c)
{
    CURL *h = NULL;
    pthread_mutex_lock(&c->pool_mu);
    if (c->nidle > 0)
        h = c->idle[--c->nidle];
    pthread_mutex_unlock(&c->pool_mu);
    return h ? h : curl_easy_init();
}

static void handle_put(mk_rest_client *c, CURL *h)
{
    curl_easy_reset(h);
    pthread_mutex_lock(&c->pool_mu);
    if (c->nidle < c->max_idle) {
        c->idle[c->nidle++] = h;
        h = NULL;
    }
    pthread_mutex_unlock(&c->pool_mu);
    if (h)
        curl_easy_cleanup(h);
}

/* ---- statistics -------------------------------------------------------- */

static void stats_count(mk_rest_client *c, const char *key, mk_rest_status st,
                        int override, int transport)
{
    pthread_mutex_lock(&c->stats_mu);
    c->n_calls++;
    if (override)
        c->n_overrides++;
    if (transport)
        c->n_transport++;
    endpoint_counter *ep = NULL;
    for (size_t i = 0; i < c->neps; i++)
        if (strcmp(c->eps[i].key, key) == 0) {
            ep = &c->eps[i];
            break;
        }
    if (!ep && mk_array_grow(&c->eps, &c->cap_eps, c->neps + 1, sizeof *c->eps) == 0) {
        ep = &c->eps[c->neps++];
        memset(ep, 0, sizeof *ep);
        snprintf(ep->key, sizeof ep->key, "%s", key);
    }
    if (ep) { /* a failed realloc loses only the per-endpoint row */
        ep->calls++;
        if (st != MK_REST_OK)
            ep->failures++;
    }
    pthread_mutex_unlock(&c->stats_mu);
}

static void note_transport_error(mk_rest_client *c, const char *what, const char *msg)
{
    pthread_mutex_lock(&c->stats_mu);
    snprintf(c->last_transport_error, sizeof c->last_transport_error, "%s%s", what, msg);
    pthread_mutex_unlock(&c->stats_mu);
}

static void stats_bump(mk_rest_client *c, uint64_t *counter)
{
    pthread_mutex_lock(&c->stats_mu);
    (*counter)++;
    pthread_mutex_unlock(&c->stats_mu);
}

static int cmp_ep(const void *a, const void *b)
{
    return strcmp(((const mk_rest_endpoint_stats *)a)->key,
                  ((const mk_rest_endpoint_stats *)b)->key);
}

mk_rest_status mk_rest_stats_get(mk_rest_client *c, mk_rest_stats *out)
{
    memset(out, 0, sizeof *out);
    if (!c)
        return MK_REST_ERR_INVALID;
    pthread_mutex_lock(&c->stats_mu);
    out->calls = c->n_calls;
    out->identity_calls = c->n_identity;
    out->token_replays = c->n_replays;
    out->method_overrides = c->n_overrides;
    out->transport_errors = c->n_transport;
    out->retries = c->n_retries;
    out->retries_exhausted = c->n_exhausted;
    out->connections_opened = atomic_load(&c->n_connects);
    if (c->neps) {
        out->endpoints = calloc(c->neps, sizeof *out->endpoints);
        if (!out->endpoints) {
            pthread_mutex_unlock(&c->stats_mu);
            return MK_REST_ERR_NOMEM;
        }
        for (size_t i = 0; i < c->neps; i++) {
            memcpy(out->endpoints[i].key, c->eps[i].key, sizeof out->endpoints[i].key);
            out->endpoints[i].calls = c->eps[i].calls;
            out->endpoints[i].failures = c->eps[i].failures;
        }
        out->nendpoints = c->neps;
    }
    pthread_mutex_unlock(&c->stats_mu);
    mk_limiter_stats_get(c->limiter, &out->limiter);
    if (out->nendpoints > 1)
        qsort(out->endpoints, out->nendpoints, sizeof *out->endpoints, cmp_ep);
    return MK_REST_OK;
}

void mk_rest_stats_free(mk_rest_stats *s)
{
    if (!s)
        return;
    free(s->endpoints);
    memset(s, 0, sizeof *s);
}

/* ---- the quota guard -------------------------------------------------
 *
 * Every HTTP send to the REST endpoint (first try, 601/602 replay and
 * backoff retry alike; identity calls are free in Marketo's accounting and
 * do not pass here) is admitted by the limiter before and given back after,
 * with what the answer says about Marketo's own count.
 */
static mk_limit_outcome limit_outcome(mk_rest_status st, const mk_rest_result *r, int not_sent)
{
    if (st == MK_REST_ERR_TRANSPORT || st == MK_REST_ERR_TIMEOUT || st == MK_REST_ERR_NOMEM)
        return not_sent ? MK_LIMIT_NOT_SENT : MK_LIMIT_LOST;
    if (r->http_status == 502 || r->http_status == 503 || r->http_status == 504)
        return MK_LIMIT_GATEWAY;
    switch (r->error_code) {
    case 601:
    case 602: return MK_LIMIT_UNCOUNTED;
    case 606: return MK_LIMIT_606;
    case 615: return MK_LIMIT_615;
    case 607: return MK_LIMIT_607;
    default: return MK_LIMIT_ANSWERED;
    }
}

int64_t mk_rest_ready_in_ms(mk_rest_client *c)
{
    return c ? mk_limiter_ready_in(c->limiter) : -1;
}

static mk_rest_status refusal(mk_rest_client *c, mk_limit_verdict v, mk_rest_result *out);
static mk_rest_status refusal_of(mk_rest_client *c, mk_limit_verdict v, const mk_limit_slot *slot,
                                 mk_rest_result *out);

int64_t mk_rest_pace_ms(mk_rest_client *c)
{
    mk_limiter_stats s;
    if (!c)
        return 0;
    mk_limiter_stats_get(c->limiter, &s);
    return s.effective_rate_limit > 0 ? s.rate_window_ms / s.effective_rate_limit : 0;
}

int mk_rest_free_concurrency(mk_rest_client *c)
{
    return c ? mk_limiter_free_concurrency(c->limiter) : 0;
}

mk_rest_status mk_rest_reserve(mk_rest_client *c, int64_t deadline_ms,
                               const mk_rest_caller *caller, mk_rest_reservation *r,
                               mk_rest_result *out)
{
    memset(r, 0, sizeof *r);
    memset(out, 0, sizeof *out);
    out->success = -1;
    if (!c)
        return MK_REST_ERR_INVALID;
    if (deadline_ms <= 0)
        deadline_ms = mk_rest_now_ms() + c->timeout_ms;
    mk_limit_slot slot;
    mk_limit_verdict v = mk_limiter_acquire_as(c->limiter, deadline_ms, caller, &slot);
    r->waited_ms = slot.waited_ms;
    out->limiter_wait_ms = slot.waited_ms;
    if (v != MK_LIMIT_OK)
        return refusal_of(c, v, &slot, out);
    r->held = 1;
    r->slot = slot.index;
    r->probe = slot.probe;
    return MK_REST_OK;
}

void mk_rest_reservation_cancel(mk_rest_client *c, mk_rest_reservation *r)
{
    if (!c || !r || !r->held)
        return;
    mk_limit_slot slot = {.index = r->slot, .probe = r->probe};
    r->held = 0;
    mk_limiter_release(c->limiter, &slot, MK_LIMIT_UNUSED);
}

/* ---- one HTTP exchange ------------------------------------------------- */

typedef struct sink {
    mk_buf buf;
    size_t max;
    int overflow;
} sink;

static size_t on_write(char *p, size_t size, size_t n, void *ud)
{
    sink *s = ud;
    size_t len = size * n;
    if (s->buf.len + len > s->max) {
        s->overflow = 1;
        return 0;
    }
    return mk_buf_append(&s->buf, p, len) == 0 ? len : 0;
}

typedef struct http_reply {
    long status;
    char *body;        /* NUL-terminated, heap, may be NULL */
    size_t body_len;
    int is_json;       /* Content-Type mentions json, or is absent */
} http_reply;

/* Send method url [body] with optional bearer token.  On MK_REST_OK *reply
 * holds the response (any HTTP status); otherwise err says why. */
static mk_rest_status http_send(mk_rest_client *c, const char *method, const char *url,
                                const char *body, size_t body_len, const char *content_type,
                                const char *bearer, int64_t deadline_ms,
                                http_reply *reply, int *not_sent, char *err, size_t errlen)
{
    memset(reply, 0, sizeof *reply);
    *not_sent = 0;
    long timeout_ms;
    if (time_left(c, deadline_ms, &timeout_ms) != MK_REST_OK) {
        set_err(err, errlen, "deadline passed before the request was sent%s", NULL);
        return MK_REST_ERR_TIMEOUT;
    }
    CURL *h = handle_get(c);
    if (!h) {
        set_err(err, errlen, "curl_easy_init failed%s", NULL);
        return MK_REST_ERR_NOMEM;
    }

    struct curl_slist *hdrs = NULL, *tmp;
    mk_buf line = {0};
    sink s = {.max = c->max_response};
    char curl_err[CURL_ERROR_SIZE] = {0};
    mk_rest_status st = MK_REST_ERR_NOMEM;

#define ADD_HDR(text)                                   \
    do {                                                \
        tmp = curl_slist_append(hdrs, (text));          \
        if (!tmp)                                       \
            goto out;                                   \
        hdrs = tmp;                                     \
    } while (0)

    ADD_HDR("Accept: application/json");
    ADD_HDR("Expect:"); /* no 100-continue round trip on large bodies */
    if (bearer) {
        if (mk_buf_puts(&line, "Authorization: Bearer ") != 0 ||
            mk_buf_puts(&line, bearer) != 0)
            goto out;
        ADD_HDR(line.data);
    }
    if (content_type) {
        mk_buf_free(&line);
        if (mk_buf_puts(&line, "Content-Type: ") != 0 ||
            mk_buf_puts(&line, content_type) != 0)
            goto out;
        ADD_HDR(line.data);
    }
#undef ADD_HDR

    curl_easy_setopt(h, CURLOPT_SHARE, c->share);
    curl_easy_setopt(h, CURLOPT_URL, url);
    curl_easy_setopt(h, CURLOPT_PROTOCOLS_STR, "http,https");
    curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(h, CURLOPT_TCP_KEEPALIVE, 1L);
    curl_easy_setopt(h, CURLOPT_MAXCONNECTS, c->max_conns);
    curl_easy_setopt(h, CURLOPT_CONNECTTIMEOUT_MS,
                     c->connect_timeout_ms < timeout_ms ? c->connect_timeout_ms : timeout_ms);
    curl_easy_setopt(h, CURLOPT_TIMEOUT_MS, timeout_ms);
    curl_easy_setopt(h, CURLOPT_ACCEPT_ENCODING, "");
    curl_easy_setopt(h, CURLOPT_USERAGENT, c->user_agent);
    curl_easy_setopt(h, CURLOPT_HTTPHEADER, hdrs);
    curl_easy_setopt(h, CURLOPT_ERRORBUFFER, curl_err);
    curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, on_write);
    curl_easy_setopt(h, CURLOPT_WRITEDATA, &s);
    if (strcmp(method, "GET") == 0) {
        curl_easy_setopt(h, CURLOPT_HTTPGET, 1L);
    } else {
        if (strcmp(method, "POST") != 0)
            curl_easy_setopt(h, CURLOPT_CUSTOMREQUEST, method);
        if (body || strcmp(method, "POST") == 0) {
            curl_easy_setopt(h, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)body_len);
            curl_easy_setopt(h, CURLOPT_POSTFIELDS, body ? body : "");
        }
    }

    CURLcode rc = curl_easy_perform(h);
    long connects = 0;
    if (curl_easy_getinfo(h, CURLINFO_NUM_CONNECTS, &connects) == CURLE_OK && connects > 0)
        atomic_fetch_add(&c->n_connects, (unsigned long long)connects);
    if (rc != CURLE_OK) {
        /* Nothing left this host: the call provably never reached Marketo,
         * so even a write that is unsafe to repeat may be sent again. */
        long sent = 0;
        curl_easy_getinfo(h, CURLINFO_REQUEST_SIZE, &sent);
        *not_sent = rc == CURLE_COULDNT_CONNECT || rc == CURLE_COULDNT_RESOLVE_HOST ||
                    rc == CURLE_COULDNT_RESOLVE_PROXY || sent == 0;
        if (s.overflow) {
            set_err(err, errlen, "response larger than the configured maximum%s", NULL);
            st = MK_REST_ERR_TRANSPORT;
        } else {
            set_err(err, errlen, "%s", curl_err[0] ? curl_err : curl_easy_strerror(rc));
            st = rc == CURLE_OPERATION_TIMEDOUT ? MK_REST_ERR_TIMEOUT
                 : rc == CURLE_OUT_OF_MEMORY    ? MK_REST_ERR_NOMEM
                                                : MK_REST_ERR_TRANSPORT;
        }
        goto out;
    }
    curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, &reply->status);
    char *ct = NULL;
    curl_easy_getinfo(h, CURLINFO_CONTENT_TYPE, &ct);
    reply->is_json = !ct || strstr(ct, "json") != NULL;
    reply->body_len = s.buf.len;
    reply->body = s.buf.data ? mk_buf_take(&s.buf) : NULL;
    st = MK_REST_OK;
out:
    /* The handle still points at hdrs and the error buffer: reset before
     * either goes away. */
    handle_put(c, h);
    curl_slist_free_all(hdrs);
    mk_buf_free(&line);
    mk_buf_free(&s.buf);
    if (st == MK_REST_ERR_NOMEM && err && errlen && !err[0])
        set_err(err, errlen, "out of memory%s", NULL);
    return st;
}

/* ---- identity ---------------------------------------------------------- */

/* One GET <identity>/oauth/token.  Fills token/expires_in on success. */
static mk_rest_status identity_once(mk_rest_client *c, const mk_rest_cred *cred,
                                    int64_t deadline_ms, char *token, long *expires_in,
                                    char *err, size_t errlen)
{
    mk_rest_param q[] = {
        {"grant_type", "client_credentials"},
        {"client_id", cred->client_id},
        {"client_secret", cred->client_secret},
    };
    mk_rest_req req = {.method = MK_REST_GET, .path = "/oauth/token", .query = q, .nquery = 3};
    mk_rest_plan plan;
    mk_rest_status st = mk_rest_plan_build(c->identity, &req, 0, &plan);
    if (st != MK_REST_OK) {
        set_err(err, errlen, "cannot build the identity request%s", NULL);
        return st;
    }
    http_reply rep;
    char terr[256] = {0};
    int not_sent;
    stats_bump(c, &c->n_identity);
    st = http_send(c, plan.method, plan.url, plan.body, plan.body_len, plan.content_type,
                   NULL, deadline_ms, &rep, &not_sent, terr, sizeof terr);
    mk_rest_plan_free(&plan);
    /* The identity service is not rate limited, but its silence says the
     * instance is down as surely as the REST endpoint's. */
    mk_limiter_note_transport(c->limiter, st == MK_REST_OK && rep.status < 500);
    if (st != MK_REST_OK) {
        note_transport_error(c, "identity endpoint: ", terr);
        set_err(err, errlen, "identity endpoint: %s", terr);
        return st;
    }

    cJSON *j = rep.body ? mk_rest_json_parse(rep.body, rep.body_len) : NULL;
    const char *tok = mk_rest_json_get_string(j, "access_token");
    const char *oerr = mk_rest_json_get_string(j, "error");
    const char *odesc = mk_rest_json_get_string(j, "error_description");
    char detail[200];
    snprintf(detail, sizeof detail, "%s%s%s", oerr ? oerr : "", odesc ? ": " : "",
             odesc ? odesc : "");

    if (rep.status == 401) {
        set_err(err, errlen, "identity endpoint refused the client id/secret (HTTP 401 %s)",
                detail);
        st = MK_REST_ERR_AUTH;
    } else if (rep.status < 200 || rep.status > 299) {
        char msg[64];
        snprintf(msg, sizeof msg, "%ld", rep.status);
        set_err(err, errlen, "identity endpoint answered HTTP %s", msg);
        st = MK_REST_ERR_HTTP;
    } else if (!j) {
        set_err(err, errlen, "identity endpoint answered with invalid JSON%s", NULL);
        st = MK_REST_ERR_PARSE;
    } else if (!tok || !tok[0]) {
        set_err(err, errlen, "identity endpoint answered without access_token %s", detail);
        st = MK_REST_ERR_AUTH;
    } else if (strlen(tok) >= MK_REST_TOKEN_MAX) {
        set_err(err, errlen, "access_token longer than the client supports%s", NULL);
        st = MK_REST_ERR_AUTH;
    } else {
        int64_t ttl = 0;
        if (mk_rest_json_get_int64(j, "expires_in", &ttl) != MK_REST_JSON_OK)
            ttl = 0; /* treat a missing/odd lifetime like 0: use once */
        memcpy(token, tok, strlen(tok) + 1);
        *expires_in = ttl > 0 ? (long)(ttl > 86400 ? 86400 : ttl) : 0;
        st = MK_REST_OK;
    }
    cJSON_Delete(j);
    free(rep.body);
    return st;
}

/* Token fetch callback for token.c.  Identity has been seen answering
 * expires_in 0 for a token at the very end of its life; ask again after a
 * pause (a fresh token follows), and if it persists use the token once. */
static mk_rest_status identity_fetch(void *ctx, const mk_rest_cred *cred, int64_t deadline_ms,
                                     char *token, long *expires_in, char *err, size_t errlen)
{
    mk_rest_client *c = ctx;
    for (int i = 0;; i++) {
        mk_rest_status st = identity_once(c, cred, deadline_ms, token, expires_in, err, errlen);
        if (st != MK_REST_OK || *expires_in > 0 || i == IDENTITY_ZERO_TTL_RETRIES)
            return st;
        if (deadline_ms > 0 &&
            mk_rest_now_ms() + IDENTITY_ZERO_TTL_PAUSE_MS >= deadline_ms)
            return st;
        mk_clock_sleep_ms(IDENTITY_ZERO_TTL_PAUSE_MS);
    }
}

/* ---- client lifecycle -------------------------------------------------- */

mk_rest_status mk_rest_client_new(const mk_rest_config *cfg, mk_rest_client **out,
                                  char *err, size_t errlen)
{
    if (err && errlen)
        err[0] = '\0';
    if (!cfg || !out || !cfg->endpoint || !cfg->endpoint[0] || !cfg->identity ||
        !cfg->identity[0]) {
        set_err(err, errlen, "REST endpoint and identity URL are required%s", NULL);
        return MK_REST_ERR_INVALID;
    }
    pthread_once(&curl_once, curl_init_once);
    if (curl_init_rc != CURLE_OK) {
        set_err(err, errlen, "curl_global_init failed: %s", curl_easy_strerror(curl_init_rc));
        return MK_REST_ERR_TRANSPORT;
    }

    mk_rest_client *c = calloc(1, sizeof *c);
    if (!c)
        goto nomem;
    c->connect_timeout_ms = cfg->connect_timeout_ms > 0 ? cfg->connect_timeout_ms
                                                        : DEFAULT_CONNECT_TIMEOUT_MS;
    c->timeout_ms = cfg->timeout_ms > 0 ? cfg->timeout_ms : DEFAULT_TIMEOUT_MS;
    /* As many connections (and handles) kept as calls may be in flight:
     * curl_easy_perform's cache otherwise keeps 5, so with more calls in
     * flight every return closed an idle connection and the next call
     * connected again (issue 11: a connect per REST call at 16 clients).
     * Identity calls and a probe may run beside the sends: a few more. */
    int conc = cfg->limits.max_concurrency > 0 ? cfg->limits.max_concurrency : 10;
    if (conc > MAX_KEPT_CONNECTIONS)
        conc = MAX_KEPT_CONNECTIONS;
    c->max_conns = conc + 4;
    c->max_idle = cfg->max_idle_handles ? cfg->max_idle_handles
                  : (size_t)conc > DEFAULT_IDLE_HANDLES ? (size_t)conc : DEFAULT_IDLE_HANDLES;
    c->max_response = cfg->max_response_bytes ? cfg->max_response_bytes : DEFAULT_MAX_RESPONSE;
    c->max_retries = cfg->max_retries > 0 ? cfg->max_retries
                     : cfg->max_retries < 0 ? 0 : DEFAULT_MAX_RETRIES;
    c->retry_base_ms = cfg->retry_base_ms > 0 ? cfg->retry_base_ms : DEFAULT_RETRY_BASE_MS;
    c->retry_max_ms = cfg->retry_max_ms > 0 ? cfg->retry_max_ms : DEFAULT_RETRY_MAX_MS;
    if (c->retry_max_ms < c->retry_base_ms)
        c->retry_max_ms = c->retry_base_ms;
    c->retry_fn = cfg->retry_class;
    c->retry_ctx = cfg->retry_ctx;
    c->endpoint = strdup(cfg->endpoint);
    c->identity = strdup(cfg->identity);
    c->user_agent = strdup(cfg->user_agent ? cfg->user_agent : "mktows-shim/" MKTOWS_VERSION);
    c->idle = calloc(c->max_idle, sizeof *c->idle);
    if (!c->endpoint || !c->identity || !c->user_agent || !c->idle) {
        free(c->endpoint);
        free(c->identity);
        free(c->user_agent);
        free(c->idle);
        free(c);
        goto nomem;
    }
    for (int i = 0; i < CURL_LOCK_DATA_LAST; i++)
        pthread_mutex_init(&c->share_mu[i], NULL);
    pthread_mutex_init(&c->pool_mu, NULL);
    pthread_mutex_init(&c->stats_mu, NULL);

    c->share = curl_share_init();
    if (!c->share || mk_rest_tokens_new(identity_fetch, c, &c->tokens) != MK_REST_OK ||
        mk_limiter_new(&cfg->limits, &c->limiter) != 0) {
        mk_rest_client_free(c);
        goto nomem;
    }
    curl_share_setopt(c->share, CURLSHOPT_LOCKFUNC, share_lock);
    curl_share_setopt(c->share, CURLSHOPT_UNLOCKFUNC, share_unlock);
    curl_share_setopt(c->share, CURLSHOPT_USERDATA, c);
    curl_share_setopt(c->share, CURLSHOPT_SHARE, CURL_LOCK_DATA_DNS);
    curl_share_setopt(c->share, CURLSHOPT_SHARE, CURL_LOCK_DATA_SSL_SESSION);
    if (curl_share_setopt(c->share, CURLSHOPT_SHARE, CURL_LOCK_DATA_CONNECT) != CURLSHE_OK) {
        /* old libcurl: each pooled handle keeps its own connections, which
         * still get reused because handles are pooled. */
    }
    *out = c;
    return MK_REST_OK;
nomem:
    set_err(err, errlen, "out of memory%s", NULL);
    return MK_REST_ERR_NOMEM;
}

void mk_rest_client_free(mk_rest_client *c)
{
    if (!c)
        return;
    for (size_t i = 0; i < c->nidle; i++)
        curl_easy_cleanup(c->idle[i]);
    if (c->share)
        curl_share_cleanup(c->share);
    mk_rest_tokens_free(c->tokens);
    mk_limiter_free(c->limiter);
    for (int i = 0; i < CURL_LOCK_DATA_LAST; i++)
        pthread_mutex_destroy(&c->share_mu[i]);
    pthread_mutex_destroy(&c->pool_mu);
    pthread_mutex_destroy(&c->stats_mu);
    free(c->eps);
    free(c->idle);
    free(c->endpoint);
    free(c->identity);
    free(c->user_agent);
    free(c);
}

void mk_rest_forget_token(mk_rest_client *c, const char *client_id)
{
    if (c)
        mk_rest_tokens_invalidate(c->tokens, client_id, 0);
}

mk_rest_status mk_rest_token_check(mk_rest_client *c, const mk_rest_cred *cred,
                                   int64_t deadline_ms, char *err, size_t errlen)
{
    mk_rest_token tok;
    char terr[256] = "";
    mk_rest_status st = mk_rest_tokens_get(c->tokens, cred, deadline_ms, &tok, terr, sizeof terr);
    if (st != MK_REST_OK && err && errlen)
        snprintf(err, errlen, "%s", terr[0] ? terr : mk_rest_status_str(st));
    return st;
}

void mk_rest_result_free(mk_rest_result *r)
{
    if (!r)
        return;
    cJSON_Delete(r->json);
    free(r->body);
    memset(r, 0, sizeof *r);
}

/* ---- recording ---------------------------------------------------------- */

static _Thread_local mk_rest_recorder recorder;

void mk_rest_recorder_set(const mk_rest_recorder *rec)
{
    if (rec)
        recorder = *rec;
    else
        memset(&recorder, 0, sizeof recorder);
}

int mk_rest_recording(void)
{
    return recorder.record && (!recorder.wants || recorder.wants(recorder.ctx));
}

static void record_send(const mk_rest_plan *plan, const mk_rest_result *out)
{
    if (!mk_rest_recording())
        return;
    mk_rest_send_record rec = {.method = plan->method, .url = plan->url,
                               .content_type = plan->content_type, .body = plan->body,
                               .body_len = plan->body_len, .http_status = out->http_status,
                               .answer = out->body, .answer_len = out->body_len,
                               .error_code = out->error_code};
    recorder.record(recorder.ctx, &rec);
}

/* ---- the call ---------------------------------------------------------- */

/* Fill success/requestId/first error from the envelope in r->json. */
static void read_envelope(mk_rest_result *r)
{
    r->success = -1;
    if (!cJSON_IsObject(r->json))
        return;
    int ok;
    if (mk_rest_json_get_bool(r->json, "success", &ok) == MK_REST_JSON_OK)
        r->success = ok;
    const char *rid = mk_rest_json_get_string(r->json, "requestId");
    if (rid)
        snprintf(r->request_id, sizeof r->request_id, "%s", rid);
    const cJSON *errs = cJSON_GetObjectItemCaseSensitive(r->json, "errors");
    const cJSON *e0 = cJSON_IsArray(errs) ? cJSON_GetArrayItem(errs, 0) : NULL;
    if (e0) {
        /* SPEC says code is a quoted integer; accept a bare number too. */
        const cJSON *code = cJSON_GetObjectItemCaseSensitive(e0, "code");
        int64_t v = 0;
        if (mk_rest_json_as_int64(code, &v) == MK_REST_JSON_OK && v > 0 && v < 1000000)
            r->error_code = (int)v;
        const char *msg = mk_rest_json_get_string(e0, "message");
        if (msg)
            snprintf(r->error_message, sizeof r->error_message, "%s", msg);
    }
}

static mk_rest_status classify(mk_rest_result *r, int is_json)
{
    if (r->body && r->body_len && is_json)
        r->json = mk_rest_json_parse(r->body, r->body_len);
    read_envelope(r);
    if (r->http_status < 200 || r->http_status > 299) {
        if (!r->error_message[0])
            snprintf(r->error_message, sizeof r->error_message, "HTTP %ld", r->http_status);
        return MK_REST_ERR_HTTP;
    }
    if (is_json && !r->json) {
        snprintf(r->error_message, sizeof r->error_message, "%s",
                 r->body_len ? "response body is not valid JSON" : "empty response body");
        return MK_REST_ERR_PARSE;
    }
    if (r->success == 0) {
        if (!r->error_message[0])
            snprintf(r->error_message, sizeof r->error_message, "success:false without errors");
        return MK_REST_ERR_API;
    }
    return MK_REST_OK;
}

/* The built-in retry table (used when the config gives no classifier). */
static mk_rest_retry_class default_retry_class(mk_rest_status st, const mk_rest_result *r)
{
    switch (st) {
    case MK_REST_ERR_TRANSPORT:
    case MK_REST_ERR_TIMEOUT:
        return MK_REST_RETRY_TRANSIENT;
    case MK_REST_ERR_HTTP:
        return r->http_status == 502 || r->http_status == 503 || r->http_status == 504
                   ? MK_REST_RETRY_TRANSIENT : MK_REST_RETRY_NEVER;
    case MK_REST_ERR_API:
        switch (r->error_code) {
        case 606:
        case 615: return MK_REST_RETRY_LIMIT;
        case 607: return MK_REST_RETRY_QUOTA;
        case 604:
        case 608:
        case 614:
        case 713:
        case 719: return MK_REST_RETRY_TRANSIENT;
        default: return MK_REST_RETRY_NEVER;
        }
    default:
        return MK_REST_RETRY_NEVER;
    }
}

/* May this failure be sent again?  606/615 (Marketo did not execute the
 * call) always; transient failures only for idempotent requests or when the
 * call provably never left the shim. */
static int retry_decision(const mk_rest_client *c, mk_rest_status st, const mk_rest_result *r,
                          int idempotent, int not_sent)
{
    if (st == MK_REST_OK || r->limited)
        return 0;
    mk_rest_retry_class cls;
    if (st == MK_REST_ERR_API && (r->error_code == 606 || r->error_code == 615))
        cls = MK_REST_RETRY_LIMIT;       /* the guard's own business, whatever the table says */
    else if (st == MK_REST_ERR_API && r->error_code == 607)
        cls = MK_REST_RETRY_QUOTA;
    else
        cls = c->retry_fn ? c->retry_fn(c->retry_ctx, st, r) : default_retry_class(st, r);
    switch (cls) {
    case MK_REST_RETRY_LIMIT: return 1;
    case MK_REST_RETRY_TRANSIENT: return idempotent || not_sent;
    default: return 0;
    }
}

static void sleep_until(int64_t when)
{
    int64_t left = when - mk_rest_now_ms();
    if (left > 0)
        mk_clock_sleep_ms((long)left);
}

/* Start the result over for another send, keeping the call's totals. */
static void result_reset(mk_rest_result *out, int method_override)
{
    int attempts = out->attempts, retries = out->retries;
    int64_t waited = out->limiter_wait_ms, slept = out->backoff_ms;
    mk_rest_result_free(out);
    out->success = -1;
    out->attempts = attempts;
    out->retries = retries;
    out->limiter_wait_ms = waited;
    out->backoff_ms = slept;
    out->method_override = method_override;
}

/* Fill *out with the quota guard's refusal, worded as Marketo would. */
/* A refusal by the quota guard; one made at once because of the queue
 * ahead says so, with the figures. */
static mk_rest_status refusal_of(mk_rest_client *c, mk_limit_verdict v, const mk_limit_slot *slot,
                                 mk_rest_result *out)
{
    mk_rest_status st = refusal(c, v, out);
    if (v == MK_LIMIT_RATE && slot->soonest_ms > 0)
        snprintf(out->error_message, sizeof out->error_message,
                 "the shim's REST quota guard cannot send this request before its deadline: "
                 "%d calls are queued ahead of it, and Marketo's rate window would let it go "
                 "in %lld ms at the soonest",
                 slot->ahead, (long long)slot->soonest_ms);
    return st;
}

static mk_rest_status refusal(mk_rest_client *c, mk_limit_verdict v, mk_rest_result *out)
{
    out->limited = 1;
    out->success = 0;
    out->http_status = 0;
    mk_limiter_describe(c->limiter, v, out->error_message, sizeof out->error_message);
    switch (v) {
    case MK_LIMIT_RATE: out->error_code = 606; return MK_REST_ERR_API;
    case MK_LIMIT_CONCURRENCY: out->error_code = 615; return MK_REST_ERR_API;
    case MK_LIMIT_DAILY: out->error_code = 607; return MK_REST_ERR_API;
    default: {
        out->error_code = 0;
        size_t n = strlen(out->error_message);
        pthread_mutex_lock(&c->stats_mu);
        if (c->last_transport_error[0] && n < sizeof out->error_message)
            snprintf(out->error_message + n, sizeof out->error_message - n, " (last error: %.200s)",
                     c->last_transport_error);
        pthread_mutex_unlock(&c->stats_mu);
        return MK_REST_ERR_TRANSPORT;
    }
    }
}

mk_rest_status mk_rest_call(mk_rest_client *c, const mk_rest_cred *cred,
                            const mk_rest_req *req, mk_rest_result *out)
{
    if (!out)
        return MK_REST_ERR_INVALID;
    memset(out, 0, sizeof *out);
    out->success = -1;
    if (!c || !req) {
        snprintf(out->error_message, sizeof out->error_message, "no client or request");
        return MK_REST_ERR_INVALID;
    }
    /* A request naming an endpoint takes method, template and idempotency
     * from the catalogue (endpoints.h). */
    mk_rest_req resolved;
    if (mk_rest_req_resolve(req, &resolved) != MK_REST_OK) {
        snprintf(out->error_message, sizeof out->error_message,
                 "invalid request (unknown endpoint, or no path for a templated one)");
        mk_rest_reservation_cancel(c, req->reservation);
        return MK_REST_ERR_INVALID;
    }
    req = &resolved;

    mk_rest_plan plan;
    const mk_rest_endpoint *row = mk_rest_endpoint_get(req->ep);
    mk_rest_status st = mk_rest_plan_build(
        c->endpoint, req, row && row->query_in_body ? MK_REST_BODY_QUERY_URI : MK_REST_MAX_URI,
        &plan);
    if (st != MK_REST_OK) {
        snprintf(out->error_message, sizeof out->error_message, "%s",
                 st == MK_REST_ERR_NOMEM ? "out of memory"
                                         : "invalid request (path, method or body)");
        mk_rest_reservation_cancel(c, req->reservation);
        return st;
    }
    out->method_override = plan.method_override;

    char tmpl[140], key[160];
    if (req->path_template)
        snprintf(tmpl, sizeof tmpl, "%s", req->path_template);
    else
        mk_rest_path_template(req->path, tmpl, sizeof tmpl);
    snprintf(key, sizeof key, "%s %s", mk_rest_method_name(req->method), tmpl);

    /* Without a deadline the client's own timeout bounds waits and retries. */
    int64_t deadline = req->deadline_ms > 0 ? req->deadline_ms : mk_rest_now_ms() + c->timeout_ms;
    int idempotent = req->idempotent == MK_REST_IDEMPOTENT ||
                     (req->idempotent == MK_REST_IDEMPOTENT_AUTO && req->method == MK_REST_GET);
    uint64_t refused_gen = 0;
    int replays = 0;

    for (;;) {
        int not_sent = 1; /* until a send says otherwise */
        /* A reservation passed the breaker already (it may be its probe). */
        int reserved = req->reservation && req->reservation->held;
        mk_limit_verdict down = reserved ? MK_LIMIT_OK : mk_limiter_check_down(c->limiter, NULL);
        if (down != MK_LIMIT_OK) {
            st = refusal(c, down, out);
            break;
        }
        /* The quota guard first, the token after: a call may wait in the
         * guard for seconds, and a token taken before the wait could
         * expire during it (found with tokens expired every 40 ms while
         * calls were paced: 602, replay, 602 again, 20014). */
        mk_limit_slot slot;
        mk_limit_verdict v;
        mk_rest_reservation *rv = req->reservation;
        if (rv && rv->held) {
            /* Taken ahead by the caller; its wait counts as this call's. */
            memset(&slot, 0, sizeof slot);
            slot.index = rv->slot;
            slot.probe = rv->probe;
            slot.waited_ms = rv->waited_ms;
            rv->held = 0;
            v = MK_LIMIT_OK;
        } else {
            v = mk_limiter_acquire_as(c->limiter, deadline, req->caller, &slot);
        }
        out->limiter_wait_ms += slot.waited_ms;
        if (v != MK_LIMIT_OK) {
            st = refusal_of(c, v, &slot, out);
            break;
        }
        mk_rest_token tok;
        char terr[256] = {0};
        st = mk_rest_tokens_get(c->tokens, cred, deadline, &tok, terr, sizeof terr);
        if (st != MK_REST_OK) {
            /* Nothing was sent on the slot: it goes back uncounted. */
            mk_limiter_release(c->limiter, &slot, MK_LIMIT_UNUSED);
            snprintf(out->error_message, sizeof out->error_message, "%s", terr);
        } else {
            http_reply rep;
            out->attempts++;
            st = http_send(c, plan.method, plan.url, plan.body, plan.body_len, plan.content_type,
                           tok.text, deadline, &rep, &not_sent, out->error_message,
                           sizeof out->error_message);
            int transport = st != MK_REST_OK;
            if (transport)
                note_transport_error(c, "", out->error_message);
            if (st == MK_REST_OK) {
                out->http_status = rep.status;
                out->body = rep.body;
                out->body_len = rep.body_len;
                st = classify(out, rep.is_json);
            }
            mk_limiter_release(c->limiter, &slot, limit_outcome(st, out, not_sent));
            record_send(&plan, out);
            stats_count(c, key, st, plan.method_override, transport);

            if (st == MK_REST_ERR_API && (out->error_code == 601 || out->error_code == 602) &&
                tok.gen != refused_gen && replays < MAX_TOKEN_REPLAYS) {
                /* Drop exactly the token that was refused and replay. */
                mk_rest_tokens_invalidate(c->tokens, cred->client_id, tok.gen);
                refused_gen = tok.gen;
                replays++;
                memset(&tok, 0, sizeof tok);
                stats_bump(c, &c->n_replays);
                result_reset(out, plan.method_override);
                continue;
            }
            memset(&tok, 0, sizeof tok);
        }
        if (st != MK_REST_ERR_AUTH && st != MK_REST_ERR_INVALID && st != MK_REST_ERR_NOMEM &&
            retry_decision(c, st, out, idempotent, not_sent)) {
            /* Once the endpoint is taken as down, callers fail now (20011)
             * rather than spend their deadline probing it one by one. */
            int gave_up_down = (st == MK_REST_ERR_TRANSPORT || st == MK_REST_ERR_TIMEOUT ||
                                out->http_status >= 502) && mk_limiter_is_down(c->limiter);
            if (out->retries >= c->max_retries || gave_up_down) {
                stats_bump(c, &c->n_exhausted);
                break;
            }
            int shift = out->retries < 20 ? out->retries : 20;
            int64_t d = (int64_t)c->retry_base_ms << shift;
            if (d > c->retry_max_ms)
                d = c->retry_max_ms;
            d = mk_limiter_jitter(c->limiter, d / 2, d);
            int64_t wake = mk_rest_now_ms() + d;
            if (wake >= deadline) {
                stats_bump(c, &c->n_exhausted);
                break;
            }
            sleep_until(wake);
            out->backoff_ms += d;
            out->retries++;
            stats_bump(c, &c->n_retries);
            result_reset(out, plan.method_override);
            continue;
        }
        break;
    }
    /* Refused before its first send (breaker, token): the slot goes back. */
    mk_rest_reservation_cancel(c, req->reservation);
    mk_rest_plan_free(&plan);
    return st;
}
