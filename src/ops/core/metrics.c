/*
 * metrics.c — the services' part of GET /metrics (see monitor.h): the
 * counters /_shim/stats shows, read from where they are kept (opstats.c,
 * the REST client and its quota guard, coalesce.c, the caches) and written
 * in the Prometheus text format.  Nothing is counted here, so the two
 * documents can never disagree.
 *
 * Names follow Prometheus' conventions: the mktows_ prefix, _total for
 * counters, base units (seconds, not milliseconds), gauges for what is
 * "now" (in flight, used in the window, remaining today).
 */
#include "ops/core/monitor.h"

#include <stdio.h>
#include <string.h>

#include "ops/core/coalesce.h"
#include "ops/core/common.h"
#include "ops/core/namecache.h"
#include "ops/core/objcache.h"
#include "ops/core/opstats.h"

static void one_u64(mk_prom *p, const char *name, const char *type, const char *help,
                    uint64_t v)
{
    mk_prom_family(p, name, type, help);
    mk_prom_u64(p, name, NULL, v);
}

static void one_f64(mk_prom *p, const char *name, const char *type, const char *help, double v)
{
    mk_prom_family(p, name, type, help);
    mk_prom_f64(p, name, NULL, v);
}

/* "GET /rest/v1/leads.json" -> method and path labels. */
static void rest_endpoints(mk_prom *p, const mk_rest_stats *rs)
{
    mk_prom_family(p, "mktows_rest_requests_total", "counter",
                   "HTTP sends to the REST API by method, endpoint (path template) and outcome "
                   "(success, or failure: an error answer, refusal or transport error).");
    for (size_t i = 0; i < rs->nendpoints; i++) {
        const mk_rest_endpoint_stats *e = &rs->endpoints[i];
        char method[16];
        const char *sp = strchr(e->key, ' ');
        size_t ml = sp ? (size_t)(sp - e->key) : 0;
        snprintf(method, sizeof method, "%.*s", (int)(ml < sizeof method ? ml : 0), e->key);
        const char *path = sp ? sp + 1 : e->key;
        const char *ok[] = {"method", method, "endpoint", path, "outcome", "success", NULL};
        const char *bad[] = {"method", method, "endpoint", path, "outcome", "failure", NULL};
        mk_prom_u64(p, "mktows_rest_requests_total", ok,
                    e->calls >= e->failures ? e->calls - e->failures : 0);
        mk_prom_u64(p, "mktows_rest_requests_total", bad, e->failures);
    }
}

static void rest_client(mk_prom *p, const mk_rest_stats *rs)
{
    rest_endpoints(p, rs);
    one_u64(p, "mktows_rest_token_requests_total", "counter",
            "Calls to the identity endpoint (OAuth token renewals).", rs->identity_calls);
    one_u64(p, "mktows_rest_token_replays_total", "counter",
            "REST calls sent again with a new token after Marketo answered 601/602.",
            rs->token_replays);
    one_u64(p, "mktows_rest_retries_total", "counter",
            "REST calls retried after backoff (606, 615, transient failures).", rs->retries);
    one_u64(p, "mktows_rest_retries_exhausted_total", "counter",
            "REST calls that failed with retries left undone for lack of time or budget.",
            rs->retries_exhausted);
    one_u64(p, "mktows_rest_transport_errors_total", "counter",
            "REST sends without a usable HTTP answer.", rs->transport_errors);
    one_u64(p, "mktows_rest_method_overrides_total", "counter",
            "GETs sent as POST ?_method=GET because the URI was long (over 8 KB, or 1 KB for a lead-database query).",
            rs->method_overrides);
}

static void limiter(mk_prom *p, const mk_rest_limiter_stats *l)
{
    one_u64(p, "mktows_rest_in_flight", "gauge", "REST calls in flight now.",
            (uint64_t)(l->in_flight > 0 ? l->in_flight : 0));
    one_u64(p, "mktows_rest_max_concurrency", "gauge",
            "REST calls allowed in flight at once (rest.max_concurrency).",
            (uint64_t)l->max_concurrency);
    one_u64(p, "mktows_rest_window_limit", "gauge",
            "REST calls allowed per rate window (rest.rate_limit).", (uint64_t)l->rate_limit);
    one_f64(p, "mktows_rest_window_seconds", "gauge",
            "Length of the rate window (rest.rate_window_seconds).",
            (double)l->rate_window_ms / 1000.0);
    one_u64(p, "mktows_rest_window_used", "gauge",
            "Rate window slots occupied now.", (uint64_t)(l->window_used > 0 ? l->window_used : 0));
    one_u64(p, "mktows_rest_window_remaining", "gauge", "Rate window slots free now.",
            (uint64_t)(l->rate_limit > l->window_used ? l->rate_limit - l->window_used : 0));
    one_u64(p, "mktows_rest_daily_used", "gauge",
            "REST calls counted this Marketo day (it turns at midnight US Central).",
            (uint64_t)(l->daily_used > 0 ? l->daily_used : 0));
    /* Without a local budget only Marketo knows what is left: no sample. */
    mk_prom_family(p, "mktows_rest_daily_quota", "gauge",
                   "Local daily REST budget (rest.daily_quota); absent when none is set.");
    if (l->daily_quota > 0)
        mk_prom_u64(p, "mktows_rest_daily_quota", NULL, (uint64_t)l->daily_quota);
    mk_prom_family(p, "mktows_rest_daily_remaining", "gauge",
                   "REST calls left today under rest.daily_quota (0 once Marketo answered 607); "
                   "absent when no budget is set.");
    if (l->daily_quota > 0 || l->daily_blocked)
        mk_prom_u64(p, "mktows_rest_daily_remaining", NULL,
                    l->daily_blocked || l->daily_used >= l->daily_quota
                        ? 0
                        : (uint64_t)(l->daily_quota - l->daily_used));
    one_f64(p, "mktows_rest_daily_reset_timestamp_seconds", "gauge",
            "When the Marketo day (and the daily count) turns, Unix time.",
            (double)l->daily_reset_unix_ms / 1000.0);
    one_u64(p, "mktows_rest_daily_quota_exhausted", "gauge",
            "1 while calls are refused for the day (local budget spent or Marketo's 607).",
            l->daily_blocked ? 1 : 0);
    one_u64(p, "mktows_rest_down", "gauge",
            "1 while the circuit breaker takes the REST endpoint as down.",
            l->breaker_open ? 1 : 0);
    one_u64(p, "mktows_rest_breaker_opens_total", "counter",
            "Times the circuit breaker opened.", l->breaker_opens);
    one_u64(p, "mktows_rest_limiter_admitted_total", "counter",
            "REST sends admitted by the quota guard.", l->admitted);
    one_u64(p, "mktows_rest_limiter_waits_total", "counter",
            "REST sends that had to wait for the quota guard.", l->waited);
    one_f64(p, "mktows_rest_limiter_wait_seconds_total", "counter",
            "Time REST sends spent waiting for the quota guard.",
            (double)l->wait_ms_total / 1000.0);
    one_u64(p, "mktows_rest_limiter_waiting", "gauge",
            "Callers waiting for the quota guard now.",
            (uint64_t)(l->waiting > 0 ? l->waiting : 0));
    mk_prom_family(p, "mktows_rest_limiter_refusals_total", "counter",
                   "Calls the quota guard refused without sending, by reason.");
    const struct {
        const char *reason;
        uint64_t n;
    } refused[] = {{"rate", l->refused_rate},
                   {"concurrency", l->refused_concurrency},
                   {"daily", l->refused_daily},
                   {"rest_down", l->refused_down}};
    for (size_t i = 0; i < sizeof refused / sizeof refused[0]; i++) {
        const char *labels[] = {"reason", refused[i].reason, NULL};
        mk_prom_u64(p, "mktows_rest_limiter_refusals_total", labels, refused[i].n);
    }
    mk_prom_family(p, "mktows_rest_limit_answers_total", "counter",
                   "Marketo answers saying a limit was hit: 606 rate, 615 concurrency, 607 daily.");
    const struct {
        const char *code;
        uint64_t n;
    } answers[] = {{"606", l->answers_606}, {"615", l->answers_615}, {"607", l->answers_607}};
    for (size_t i = 0; i < sizeof answers / sizeof answers[0]; i++) {
        const char *labels[] = {"code", answers[i].code, NULL};
        mk_prom_u64(p, "mktows_rest_limit_answers_total", labels, answers[i].n);
    }
}

static void coalescing(mk_prom *p, mk_coalescer *co)
{
    mk_coalesce_counters n[2];
    static const char *const kinds[2] = {"sync_leads", "get_leads"};
    double bounds[MK_COALESCE_SIZE_BOUNDS];
    for (size_t i = 0; i < MK_COALESCE_SIZE_BOUNDS; i++)
        bounds[i] = mk_coalesce_size_bounds[i];
    mk_coalescer_counters(co, n);
    mk_prom_family(p, "mktows_coalesce_batch_size", "histogram",
                   "SOAP requests sharing one coalesced REST call, by kind of call.");
    for (int k = 0; k < 2; k++) {
        const char *labels[] = {"kind", kinds[k], NULL};
        mk_prom_histogram(p, "mktows_coalesce_batch_size", labels, bounds,
                          MK_COALESCE_SIZE_BOUNDS, n[k].by_size, (double)n[k].members, 1.0);
    }
    mk_prom_family(p, "mktows_coalesce_records_total", "counter",
                   "Lead records or filter values carried by coalesced REST calls.");
    for (int k = 0; k < 2; k++) {
        const char *labels[] = {"kind", kinds[k], NULL};
        mk_prom_u64(p, "mktows_coalesce_records_total", labels, n[k].records);
    }
}

static void caches(mk_prom *p, const mk_services *s)
{
    mk_namecache_stats ns = {0};
    mk_objcache_stats os = {0};
    if (s->names)
        mk_namecache_stats_get(s->names, &ns);
    if (s->objects)
        mk_objcache_stats_get(s->objects, &os);
    const char *names[] = {"cache", "names", NULL};
    const char *objects[] = {"cache", "objects", NULL};
    mk_prom_family(p, "mktows_cache_hits_total", "counter",
                   "Lookups answered from a cache: names (list/campaign name to id), objects "
                   "(object describes and custom object types).");
    mk_prom_u64(p, "mktows_cache_hits_total", names, ns.hits);
    mk_prom_u64(p, "mktows_cache_hits_total", objects, os.hits);
    mk_prom_family(p, "mktows_cache_misses_total", "counter",
                   "Lookups a cache could not answer (REST was asked).");
    mk_prom_u64(p, "mktows_cache_misses_total", names, ns.misses);
    mk_prom_u64(p, "mktows_cache_misses_total", objects, os.misses);
    mk_prom_family(p, "mktows_cache_entries", "gauge", "Entries held by a cache now.");
    mk_prom_u64(p, "mktows_cache_entries", names, ns.entries);
    mk_prom_u64(p, "mktows_cache_entries", objects, os.entries);
}

void mk_services_metrics(void *services, mk_prom *p)
{
    mk_services *s = services;
    mk_rest_stats rs;
    if (!s)
        return;
    if (s->opstats)
        mk_opstats_prom(s->opstats, p);
    if (s->rest && mk_rest_stats_get(s->rest, &rs) == MK_REST_OK) {
        rest_client(p, &rs);
        limiter(p, &rs.limiter);
        mk_rest_stats_free(&rs);
    }
    if (s->coalesce)
        coalescing(p, s->coalesce);
    caches(p, s);
}
