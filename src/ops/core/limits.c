/*
 * limits.c — configuration of the quota guard, retries and coalescing, the
 * errors.json retry classes, and the operator statistics document (see
 * limits.h for the keys).
 */
#include "ops/core/limits.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cluster/redis.h"
#include "config/config.h"
#include "mapping/mapping.h"
#include "ops/core/common.h"
#include "ops/core/opstats.h"

/* ---- configuration ---------------------------------------------------------- */

static int get_bool(const cJSON *root, const char *path, const char *env, int def, int *out,
                    char *err, size_t errlen)
{
    const cJSON *v = mk_config_get(root, path);
    if (!v || cJSON_IsNull(v)) {
        *out = def;
        return 0;
    }
    if (!cJSON_IsBool(v)) {
        snprintf(err, errlen, "config: key '%s' (%s) must be true or false", path, env);
        return -1;
    }
    *out = cJSON_IsTrue(v);
    return 0;
}

/* errors.json's retry column, with the one exception its note names: 1029
 * "Export daily quota exceeded" shares the code of a full queue. */
static mk_rest_retry_class retry_from_table(void *ctx, mk_rest_status st, const mk_rest_result *r)
{
    const mk_mapping *m = ctx;
    mk_mapping_fault f = mk_mapping_error_for_rest(m, st, r, NULL);
    switch (f.retry) {
    case MK_MAPPING_RETRY_BACKOFF:
        if (st == MK_REST_ERR_API && r->error_code == 1029 &&
            (strstr(r->error_message, "quota") || strstr(r->error_message, "Quota")))
            return MK_REST_RETRY_NEVER;
        return MK_REST_RETRY_TRANSIENT;
    case MK_MAPPING_RETRY_AFTER_RESET:
        return MK_REST_RETRY_QUOTA;
    default:
        return MK_REST_RETRY_NEVER;
    }
}

int mk_limits_config(const cJSON *root, const struct mk_mapping *mapping, mk_rest_config *rc,
                     mk_coalesce_config *cc, char *err, size_t errlen)
{
    long rate, window, burst, conc, daily, retries, base, maxd, bfail, probe, wait, hold;
    int coalesce;
    if (mk_config_int(root, "rest.rate_limit", 100, 1, 100000, &rate, err, errlen) ||
        mk_config_int(root, "rest.rate_window_seconds", 20, 1, 86400, &window, err, errlen) ||
        mk_config_int(root, "rest.rate_burst", -1, 1, 100000, &burst, err, errlen) ||
        mk_config_int(root, "rest.max_concurrency", 10, 1, 1000, &conc, err, errlen) ||
        mk_config_int(root, "rest.daily_quota", 0, 0, 1000000000L, &daily, err, errlen) ||
        mk_config_int(root, "rest.retry.max_retries", 8, 0, 100, &retries, err, errlen) ||
        mk_config_int(root, "rest.retry.base_ms", 200, 1, 60000, &base, err, errlen) ||
        mk_config_int(root, "rest.retry.max_delay_ms", 5000, 1, 600000, &maxd, err, errlen) ||
        mk_config_int(root, "rest.breaker.failures", 5, 0, 100000, &bfail, err, errlen) ||
        mk_config_int(root, "rest.breaker.probe_ms", 1000, 10, 600000, &probe, err, errlen) ||
        get_bool(root, "coalesce.enabled", "MKTOWS_COALESCE", 1, &coalesce, err, errlen) ||
        mk_config_int(root, "coalesce.wait_ms", 5, 0, 1000, &wait, err, errlen) ||
        mk_config_int(root, "coalesce.max_hold_ms", 200, 1, 60000, &hold, err, errlen))
        return -1;
    if (maxd < base) {
        snprintf(err, errlen, "config: key 'rest.retry.max_delay_ms' must be at least "
                 "'rest.retry.base_ms' (%ld)", base);
        return -1;
    }
    if (burst > rate) {
        snprintf(err, errlen, "config: key 'rest.rate_burst' (MKTOWS_REST_RATE_BURST) must not "
                 "exceed 'rest.rate_limit' (%ld)", rate);
        return -1;
    }
    rc->limits.rate_limit = (int)rate;
    /* unset: half the window; the whole window: never paced */
    rc->limits.burst = burst < 0 ? 0 : burst >= rate ? -1 : (int)burst;
    rc->limits.rate_window_ms = window * 1000;
    rc->limits.max_concurrency = (int)conc;
    rc->limits.daily_quota = daily;
    rc->limits.breaker_failures = bfail > 0 ? (int)bfail : -1;
    rc->limits.breaker_probe_ms = probe;
    rc->max_retries = retries > 0 ? (int)retries : -1;
    rc->retry_base_ms = base;
    rc->retry_max_ms = maxd;
    rc->retry_class = retry_from_table;
    rc->retry_ctx = (void *)mapping;
    memset(cc, 0, sizeof *cc);
    cc->disabled = !coalesce;
    cc->wait_ms = wait > 0 ? wait : -1;
    cc->max_hold_ms = hold;
    return 0;
}

/* ---- statistics ------------------------------------------------------------------ */

void mk_limits_request_done(void *services, const struct mk_request *r, long elapsed_ms)
{
    mk_services *s = services;
    if (s && s->opstats)
        mk_opstats_record(s->opstats, r, elapsed_ms);
}

static void iso_utc(int64_t unix_ms, char *buf, size_t len)
{
    time_t t = (time_t)(unix_ms / 1000);
    struct tm tm;
    gmtime_r(&t, &tm);
    strftime(buf, len, "%Y-%m-%dT%H:%M:%SZ", &tm);
}

static cJSON *limiter_json(const mk_rest_limiter_stats *l)
{
    cJSON *o = cJSON_CreateObject();
    if (!o)
        return NULL;
    char when[32];
    iso_utc(l->daily_reset_unix_ms, when, sizeof when);
    cJSON_AddNumberToObject(o, "rate_limit", l->rate_limit);
    cJSON_AddNumberToObject(o, "rate_window_seconds", (double)l->rate_window_ms / 1000.0);
    cJSON_AddNumberToObject(o, "window_used", l->window_used);
    cJSON_AddNumberToObject(o, "max_concurrency", l->max_concurrency);
    cJSON_AddNumberToObject(o, "in_flight", l->in_flight);
    cJSON_AddNumberToObject(o, "max_in_flight", l->max_in_flight);
    cJSON_AddNumberToObject(o, "waiting", l->waiting);
    cJSON_AddNumberToObject(o, "daily_quota", (double)l->daily_quota);
    cJSON_AddNumberToObject(o, "daily_used", (double)l->daily_used);
    cJSON_AddStringToObject(o, "daily_resets_at", when);
    cJSON_AddBoolToObject(o, "daily_blocked", l->daily_blocked);
    cJSON_AddBoolToObject(o, "rest_down", l->breaker_open);
    cJSON_AddNumberToObject(o, "breaker_opens", (double)l->breaker_opens);
    cJSON_AddNumberToObject(o, "admitted", (double)l->admitted);
    cJSON_AddNumberToObject(o, "waited", (double)l->waited);
    cJSON_AddNumberToObject(o, "wait_ms_total", (double)l->wait_ms_total);
    cJSON_AddNumberToObject(o, "wait_ms_max", (double)l->wait_ms_max);
    cJSON_AddNumberToObject(o, "wakeups", (double)l->wakeups);
    cJSON *ref = cJSON_AddObjectToObject(o, "refused");
    if (ref) {
        cJSON_AddNumberToObject(ref, "rate", (double)l->refused_rate);
        cJSON_AddNumberToObject(ref, "rate_before_deadline", (double)l->refused_early);
        cJSON_AddNumberToObject(ref, "concurrency", (double)l->refused_concurrency);
        cJSON_AddNumberToObject(ref, "daily", (double)l->refused_daily);
        cJSON_AddNumberToObject(ref, "rest_down", (double)l->refused_down);
    }
    cJSON *sh = l->shared_mode ? cJSON_AddObjectToObject(o, "shared_budget") : NULL;
    if (sh) {
        cJSON_AddStringToObject(sh, "mode", l->shared_mode == 1 ? "shared" : "local share");
        cJSON_AddStringToObject(sh, "replica", l->shared_replica);
        cJSON_AddNumberToObject(sh, "effective_rate_limit", l->effective_rate_limit);
        cJSON_AddNumberToObject(sh, "effective_max_concurrency", l->effective_max_concurrency);
        cJSON_AddNumberToObject(sh, "fallbacks", (double)l->shared_fallbacks);
        cJSON_AddNumberToObject(sh, "waits", (double)l->shared_waits);
        cJSON_AddNumberToObject(sh, "restored_slots", (double)l->shared_restores);
    }
    cJSON *ans = cJSON_AddObjectToObject(o, "marketo_answers");
    if (ans) {
        cJSON_AddNumberToObject(ans, "606", (double)l->answers_606);
        cJSON_AddNumberToObject(ans, "615", (double)l->answers_615);
        cJSON_AddNumberToObject(ans, "607", (double)l->answers_607);
    }
    return o;
}

static cJSON *rest_json(const mk_rest_stats *rs)
{
    cJSON *o = cJSON_CreateObject();
    if (!o)
        return NULL;
    cJSON_AddNumberToObject(o, "calls", (double)rs->calls);
    cJSON_AddNumberToObject(o, "identity_calls", (double)rs->identity_calls);
    cJSON_AddNumberToObject(o, "token_replays", (double)rs->token_replays);
    cJSON_AddNumberToObject(o, "retries", (double)rs->retries);
    cJSON_AddNumberToObject(o, "retries_exhausted", (double)rs->retries_exhausted);
    cJSON_AddNumberToObject(o, "method_overrides", (double)rs->method_overrides);
    cJSON_AddNumberToObject(o, "transport_errors", (double)rs->transport_errors);
    cJSON *eps = cJSON_AddObjectToObject(o, "endpoints");
    for (size_t i = 0; eps && i < rs->nendpoints; i++) {
        cJSON *e = cJSON_AddObjectToObject(eps, rs->endpoints[i].key);
        if (!e)
            continue;
        cJSON_AddNumberToObject(e, "calls", (double)rs->endpoints[i].calls);
        cJSON_AddNumberToObject(e, "failures", (double)rs->endpoints[i].failures);
    }
    return o;
}

char *mk_limits_stats_json(void *services)
{
    mk_services *s = services;
    if (!s || !s->rest)
        return NULL;
    cJSON *doc = cJSON_CreateObject();
    if (!doc)
        return NULL;
    mk_rest_stats rs;
    if (s->opstats)
        cJSON_AddItemToObject(doc, "operations", mk_opstats_json(s->opstats));
    if (mk_rest_stats_get(s->rest, &rs) == MK_REST_OK) {
        cJSON_AddItemToObject(doc, "rest", rest_json(&rs));
        cJSON_AddItemToObject(doc, "limiter", limiter_json(&rs.limiter));
    }
    mk_rest_stats_free(&rs);
    if (s->redis) {
        mk_redis_stats r;
        mk_redis_stats_get(s->redis, &r);
        cJSON *c = cJSON_AddObjectToObject(doc, "redis");
        if (c) {
            cJSON_AddBoolToObject(c, "up", r.up);
            cJSON_AddNumberToObject(c, "commands", (double)r.commands);
            cJSON_AddNumberToObject(c, "errors", (double)r.errors);
            cJSON_AddNumberToObject(c, "outages", (double)r.outages);
            cJSON_AddNumberToObject(c, "connects", (double)r.connects);
        }
    }
    if (s->coalesce) {
        cJSON *co = cJSON_AddObjectToObject(doc, "coalescing");
        if (co)
            mk_coalescer_stats_json(s->coalesce, co);
    }
    char *text = cJSON_PrintUnformatted(doc);
    cJSON_Delete(doc);
    char *out = text ? strdup(text) : NULL;
    cJSON_free(text);
    return out;
}
