/*
 * stats.c — the emulator's own endpoints, which are never counted against
 * Marketo limits:
 *
 *   GET  /_emulator/stats   {"calls":{"GET /rest/v1/leads.json":N,…},
 *                            "unknownPathCalls":N, "rejections":{"606":N,…},
 *                            "maxInFlight":N, "inFlight":N, "countedCalls":N}
 *   POST /_emulator/reset   reload the seed; clear stats, tokens, limits, faults
 *   GET|POST /_emulator/faults
 *        {"latency_ms":200, "error_code":"606", "error_share":0.5,
 *         "drop_share":0.1, "expire_tokens_now":true, "clear":true}
 *        error_code: 602 604 606 608 611 615 (Marketo JSON errors) or
 *        500 502 (HTTP statuses).  Members left out keep their value.
 *
 * Counters are atomics or a small mutex-guarded table so that the hot path
 * (one increment per request) never waits on the store lock.
 */
#include "emu_core.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static atomic_long *g_route_calls;
static int g_nroutes;
static atomic_long g_unknown_calls, g_counted;
static atomic_int g_max_in_flight;

#define MAX_CODES 64
static pthread_mutex_t g_mu = PTHREAD_MUTEX_INITIALIZER;
static struct { char code[8]; long n; } g_rej[MAX_CODES];
static int g_nrej;
static emu_faults g_faults;
/* Lets the hot path skip the mutex when no fault is configured. */
static atomic_bool g_faults_on;

void emu_stats_init(int nroutes)
{
    g_nroutes = nroutes;
    g_route_calls = calloc((size_t)nroutes + 1, sizeof *g_route_calls);
}

void emu_stats_free(void)
{
    free(g_route_calls);
    g_route_calls = NULL;
}

void emu_stats_route(int idx)
{
    if (idx >= 0 && idx < g_nroutes)
        atomic_fetch_add_explicit(&g_route_calls[idx], 1, memory_order_relaxed);
    else
        atomic_fetch_add_explicit(&g_unknown_calls, 1, memory_order_relaxed);
}

void emu_stats_counted(void) { atomic_fetch_add_explicit(&g_counted, 1, memory_order_relaxed); }

void emu_stats_inflight(int now)
{
    int max = atomic_load(&g_max_in_flight);
    while (now > max && !atomic_compare_exchange_weak(&g_max_in_flight, &max, now))
        ;
}

void emu_stats_reject(const char *code)
{
    pthread_mutex_lock(&g_mu);
    int i;
    for (i = 0; i < g_nrej; i++)
        if (!strcmp(g_rej[i].code, code))
            break;
    if (i == g_nrej && g_nrej < MAX_CODES) {
        snprintf(g_rej[i].code, sizeof g_rej[i].code, "%s", code);
        g_rej[i].n = 0;
        g_nrej++;
    }
    if (i < MAX_CODES)
        g_rej[i].n++;
    pthread_mutex_unlock(&g_mu);
}

void emu_stats_reset(void)
{
    for (int i = 0; i < g_nroutes; i++)
        atomic_store(&g_route_calls[i], 0);
    atomic_store(&g_unknown_calls, 0);
    atomic_store(&g_counted, 0);
    atomic_store(&g_max_in_flight, 0);
    pthread_mutex_lock(&g_mu);
    g_nrej = 0;
    pthread_mutex_unlock(&g_mu);
}

/* ---- faults ---------------------------------------------------------------- */

void emu_faults_get(emu_faults *out)
{
    if (!atomic_load_explicit(&g_faults_on, memory_order_acquire)) {
        memset(out, 0, sizeof *out);
        return;
    }
    pthread_mutex_lock(&g_mu);
    *out = g_faults;
    pthread_mutex_unlock(&g_mu);
}

void emu_faults_clear(void)
{
    pthread_mutex_lock(&g_mu);
    memset(&g_faults, 0, sizeof g_faults);
    atomic_store(&g_faults_on, false);
    pthread_mutex_unlock(&g_mu);
}

double emu_random01(void)
{
    static _Thread_local uint64_t s;
    if (!s) {
        struct timespec ts;
        clock_gettime(CLOCK_MONOTONIC, &ts);
        s = (uint64_t)ts.tv_nsec ^ ((uint64_t)(uintptr_t)&s << 16) ^ 0x9e3779b97f4a7c15ULL;
    }
    s ^= s >> 12;
    s ^= s << 25;
    s ^= s >> 27;
    return (double)((s * 0x2545F4914F6CDD1DULL) >> 11) / 9007199254740992.0;
}

/* ---- admin endpoints --------------------------------------------------------- */

static void admin_error(emu_resp *resp, const char *msg)
{
    cJSON *b = cJSON_CreateObject();
    cJSON_AddStringToObject(b, "error", msg);
    emu_resp_json(resp, 400, b);
}

void emu_admin_stats(const emu_req *req, emu_resp *resp)
{
    (void)req;
    cJSON *b = cJSON_CreateObject();
    cJSON *calls = cJSON_AddObjectToObject(b, "calls");
    char key[300];
    for (int i = 0; i < g_nroutes; i++) {
        long n = atomic_load(&g_route_calls[i]);
        if (!n)
            continue;
        const emu_route *r = emu_route_at(i);
        snprintf(key, sizeof key, "%s %s", r->method, r->pattern);
        cJSON_AddNumberToObject(calls, key, (double)n);
    }
    cJSON_AddNumberToObject(b, "unknownPathCalls", (double)atomic_load(&g_unknown_calls));
    cJSON *rej = cJSON_AddObjectToObject(b, "rejections");
    pthread_mutex_lock(&g_mu);
    for (int i = 0; i < g_nrej; i++)
        cJSON_AddNumberToObject(rej, g_rej[i].code, (double)g_rej[i].n);
    pthread_mutex_unlock(&g_mu);
    cJSON_AddNumberToObject(b, "maxInFlight", atomic_load(&g_max_in_flight));
    cJSON_AddNumberToObject(b, "countedCalls", (double)atomic_load(&g_counted));
    emu_resp_json(resp, 200, b);
}

void emu_admin_reset(const emu_req *req, emu_resp *resp)
{
    (void)req;
    char err[256] = "";
    emu_store_wrlock();
    int rc = emu_store_load(emu_seed(), err, sizeof err);
    emu_store_unlock();
    emu_stats_reset();
    emu_tokens_clear();
    emu_limits_reset();
    emu_faults_clear();
    cJSON *b = cJSON_CreateObject();
    cJSON_AddBoolToObject(b, "reset", rc == 0);
    if (rc)
        cJSON_AddStringToObject(b, "error", err);
    emu_resp_json(resp, rc ? 500 : 200, b);
}

static cJSON *faults_json(void)
{
    emu_faults f;
    emu_faults_get(&f);
    cJSON *b = cJSON_CreateObject();
    cJSON_AddNumberToObject(b, "latency_ms", f.latency_ms);
    cJSON_AddStringToObject(b, "error_code", f.error_code);
    cJSON_AddNumberToObject(b, "error_share", f.error_share);
    cJSON_AddNumberToObject(b, "drop_share", f.drop_share);
    return b;
}

static bool share(const cJSON *v, double *out)
{
    if (!cJSON_IsNumber(v) || v->valuedouble < 0 || v->valuedouble > 1)
        return false;
    *out = v->valuedouble;
    return true;
}

void emu_admin_faults(const emu_req *req, emu_resp *resp)
{
    if (!strcmp(req->method, "GET")) {
        emu_resp_json(resp, 200, faults_json());
        return;
    }
    const cJSON *j = req->json;
    if (!cJSON_IsObject(j)) {
        admin_error(resp, "body must be a JSON object (Content-Type: application/json)");
        return;
    }
    emu_faults f;
    emu_faults_get(&f);
    const cJSON *v;
    if (cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(j, "clear")))
        memset(&f, 0, sizeof f);
    if ((v = cJSON_GetObjectItemCaseSensitive(j, "latency_ms"))) {
        if (!cJSON_IsNumber(v) || v->valuedouble < 0 || v->valuedouble > 600000) {
            admin_error(resp, "latency_ms must be 0..600000");
            return;
        }
        f.latency_ms = (int)v->valuedouble;
    }
    if ((v = cJSON_GetObjectItemCaseSensitive(j, "error_code"))) {
        char code[16] = "";
        if (cJSON_IsNumber(v))
            snprintf(code, sizeof code, "%d", v->valueint);
        else if (cJSON_IsString(v))
            snprintf(code, sizeof code, "%s", v->valuestring);
        static const char *const ok[] = {"", "602", "604", "606", "608",
                                         "611", "615", "500", "502"};
        bool found = false;
        for (size_t i = 0; i < sizeof ok / sizeof *ok; i++)
            found |= !strcmp(ok[i], code);
        if (!found) {
            admin_error(resp, "error_code must be one of 602 604 606 608 611 615 500 502");
            return;
        }
        snprintf(f.error_code, sizeof f.error_code, "%s", code);
    }
    if ((v = cJSON_GetObjectItemCaseSensitive(j, "error_share")) && !share(v, &f.error_share)) {
        admin_error(resp, "error_share must be a number in 0..1");
        return;
    }
    if ((v = cJSON_GetObjectItemCaseSensitive(j, "drop_share")) && !share(v, &f.drop_share)) {
        admin_error(resp, "drop_share must be a number in 0..1");
        return;
    }
    if (cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(j, "expire_tokens_now")))
        emu_tokens_expire_all();
    pthread_mutex_lock(&g_mu);
    g_faults = f;
    atomic_store(&g_faults_on, f.latency_ms > 0 || f.error_share > 0 || f.drop_share > 0);
    pthread_mutex_unlock(&g_mu);
    emu_resp_json(resp, 200, faults_json());
}
