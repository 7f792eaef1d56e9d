/*
 * opstats.c — the per-operation cost table behind GET /_shim/stats (see
 * opstats.h).  A small array of rows, one per operation name seen, under
 * one mutex; there are a few dozen operations, so a linear search is the
 * simplest thing that is fast enough.
 */
#include "ops/core/opstats.h"

#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/buf.h"

#define MAX_FAULT_CODES 12

/* Latency histogram bounds (ms): a cached getLead takes a few ms, a REST
 * call tens to hundreds, a paged export up to the request timeout. */
#define N_LATENCY_BOUNDS 14
static const double latency_bounds_ms[N_LATENCY_BOUNDS] = {
    5, 10, 25, 50, 100, 250, 500, 1000, 2500, 5000, 10000, 30000, 60000, 120000};

typedef struct op_row {
    char name[48];
    uint64_t soap_calls, faults;
    struct {
        int code;
        uint64_t n;
    } by_code[MAX_FAULT_CODES];
    double rest_calls, retries;
    uint64_t limiter_waits, shared;
    int64_t limiter_wait_ms, batch_wait_ms;
    int64_t latency_total, latency_max;
    uint64_t latency_buckets[N_LATENCY_BOUNDS + 1];  /* per bucket, not cumulative */
} op_row;

/* Requests by (operation, SOAP user, outcome), for GET /metrics.  The user
 * is a configured one (set only once a request authenticated), so the
 * table is bounded by the configuration, not by what clients send. */
typedef struct outcome_row {
    char op[48];
    char user[128];
    int code;                 /* fault code, 0: success */
    uint64_t n;
} outcome_row;

struct mk_opstats {
    pthread_mutex_t mu;
    op_row *rows;
    size_t n, cap;
    outcome_row *outs;
    size_t nouts, capouts;
};

int mk_opstats_new(mk_opstats **out)
{
    *out = calloc(1, sizeof **out);
    if (!*out)
        return -1;
    pthread_mutex_init(&(*out)->mu, NULL);
    return 0;
}

void mk_opstats_free(mk_opstats *s)
{
    if (!s)
        return;
    pthread_mutex_destroy(&s->mu);
    free(s->rows);
    free(s->outs);
    free(s);
}

void mk_opstats_charge(struct mk_request *r, const mk_rest_result *res)
{
    if (!r || !res)
        return;
    r->cost.rest_calls += res->attempts;
    r->cost.retries += res->retries;
    r->cost.limiter_wait_ms += res->limiter_wait_ms;
    if (res->limiter_wait_ms > 0)
        r->cost.waited = 1;
}

void mk_opstats_charge_shared(struct mk_request *r, const mk_coalesce_cost *cost)
{
    if (!r || !cost)
        return;
    r->cost.rest_calls += cost->rest_calls;
    r->cost.retries += cost->retries;
    r->cost.limiter_wait_ms += cost->limiter_wait_ms;
    r->cost.batch_wait_ms += cost->batch_wait_ms;
    if (cost->limiter_wait_ms > 0)
        r->cost.waited = 1;
    if (cost->shared)
        r->cost.shared = 1;
}

static op_row *row_for(mk_opstats *s, const char *name)
{
    for (size_t i = 0; i < s->n; i++)
        if (strcmp(s->rows[i].name, name) == 0)
            return &s->rows[i];
    if (mk_array_grow(&s->rows, &s->cap, s->n + 1, sizeof *s->rows) != 0)
        return NULL;
    op_row *row = &s->rows[s->n++];
    memset(row, 0, sizeof *row);
    strncpy(row->name, name, sizeof row->name - 1);
    return row;
}

static outcome_row *outcome_for(mk_opstats *s, const char *op, const char *user, int code)
{
    for (size_t i = 0; i < s->nouts; i++)
        if (s->outs[i].code == code && strncmp(s->outs[i].op, op, sizeof s->outs[i].op - 1) == 0 &&
            strncmp(s->outs[i].user, user, sizeof s->outs[i].user - 1) == 0)
            return &s->outs[i];
    if (mk_array_grow(&s->outs, &s->capouts, s->nouts + 1, sizeof *s->outs) != 0)
        return NULL;
    outcome_row *o = &s->outs[s->nouts++];
    memset(o, 0, sizeof *o);
    snprintf(o->op, sizeof o->op, "%s", op);
    snprintf(o->user, sizeof o->user, "%s", user);
    o->code = code;
    return o;
}

void mk_opstats_record(mk_opstats *s, const struct mk_request *r, long elapsed_ms)
{
    if (!s || !r)
        return;
    /* A request that never reached an operation (malformed, unknown body). */
    const char *name = r->operation ? r->operation : "(none)";
    pthread_mutex_lock(&s->mu);
    op_row *row = row_for(s, name);
    if (row) {
        row->soap_calls++;
        if (r->fault_code) {
            row->faults++;
            int i;
            for (i = 0; i < MAX_FAULT_CODES && row->by_code[i].code; i++)
                if (row->by_code[i].code == r->fault_code)
                    break;
            if (i < MAX_FAULT_CODES) {
                row->by_code[i].code = r->fault_code;
                row->by_code[i].n++;
            }
        }
        row->rest_calls += r->cost.rest_calls;
        row->retries += r->cost.retries;
        row->limiter_waits += r->cost.waited ? 1 : 0;
        row->limiter_wait_ms += r->cost.limiter_wait_ms;
        row->batch_wait_ms += r->cost.batch_wait_ms;
        row->shared += r->cost.shared ? 1 : 0;
        row->latency_total += elapsed_ms;
        if (elapsed_ms > row->latency_max)
            row->latency_max = elapsed_ms;
        size_t b = 0;
        while (b < N_LATENCY_BOUNDS && (double)elapsed_ms > latency_bounds_ms[b])
            b++;
        row->latency_buckets[b]++;
    }
    outcome_row *o = outcome_for(s, name, r->user_id ? r->user_id : "", r->fault_code);
    if (o)
        o->n++;
    pthread_mutex_unlock(&s->mu);
}

cJSON *mk_opstats_json(mk_opstats *s)
{
    cJSON *all = cJSON_CreateObject();
    if (!all)
        return NULL;
    pthread_mutex_lock(&s->mu);
    for (size_t i = 0; i < s->n; i++) {
        const op_row *w = &s->rows[i];
        cJSON *o = cJSON_AddObjectToObject(all, w->name);
        if (!o)
            continue;
        double calls = (double)w->soap_calls;
        cJSON_AddNumberToObject(o, "soap_calls", calls);
        cJSON_AddNumberToObject(o, "faults", (double)w->faults);
        cJSON *bc = cJSON_AddObjectToObject(o, "faults_by_code");
        for (int k = 0; bc && k < MAX_FAULT_CODES && w->by_code[k].code; k++) {
            char code[16];
            snprintf(code, sizeof code, "%d", w->by_code[k].code);
            cJSON_AddNumberToObject(bc, code, (double)w->by_code[k].n);
        }
        cJSON_AddNumberToObject(o, "rest_calls", w->rest_calls);
        cJSON_AddNumberToObject(o, "rest_calls_per_soap_call", calls ? w->rest_calls / calls : 0);
        cJSON_AddNumberToObject(o, "retries", w->retries);
        cJSON_AddNumberToObject(o, "limiter_waits", (double)w->limiter_waits);
        cJSON_AddNumberToObject(o, "limiter_wait_ms", (double)w->limiter_wait_ms);
        cJSON_AddNumberToObject(o, "batch_wait_ms", (double)w->batch_wait_ms);
        cJSON_AddNumberToObject(o, "shared_requests", (double)w->shared);
        cJSON_AddNumberToObject(o, "latency_ms_mean", calls ? (double)w->latency_total / calls : 0);
        cJSON_AddNumberToObject(o, "latency_ms_max", (double)w->latency_max);
    }
    pthread_mutex_unlock(&s->mu);
    return all;
}

void mk_opstats_prom(mk_opstats *s, mk_prom *p)
{
    char code[16];
    pthread_mutex_lock(&s->mu);
    mk_prom_family(p, "mktows_soap_requests_total", "counter",
                   "SOAP requests answered, by operation, SOAP user (empty before "
                   "authentication) and outcome (success or the Marketo fault code).");
    for (size_t i = 0; i < s->nouts; i++) {
        const outcome_row *o = &s->outs[i];
        snprintf(code, sizeof code, "%d", o->code);
        const char *labels[] = {"operation", o->op, "user", o->user,
                                "outcome", o->code ? code : "success", NULL};
        mk_prom_u64(p, "mktows_soap_requests_total", labels, o->n);
    }
    mk_prom_family(p, "mktows_soap_request_duration_seconds", "histogram",
                   "Time from the request's arrival to its answer, by SOAP operation.");
    for (size_t i = 0; i < s->n; i++) {
        const op_row *w = &s->rows[i];
        const char *labels[] = {"operation", w->name, NULL};
        mk_prom_histogram(p, "mktows_soap_request_duration_seconds", labels, latency_bounds_ms,
                          N_LATENCY_BOUNDS, w->latency_buckets, (double)w->latency_total, 0.001);
    }
    mk_prom_family(p, "mktows_soap_rest_calls_total", "counter",
                   "REST calls made for each SOAP operation (a call shared by k coalesced "
                   "requests counts 1/k to each).");
    for (size_t i = 0; i < s->n; i++) {
        const char *labels[] = {"operation", s->rows[i].name, NULL};
        mk_prom_f64(p, "mktows_soap_rest_calls_total", labels, s->rows[i].rest_calls);
    }
    mk_prom_family(p, "mktows_soap_quota_wait_seconds_total", "counter",
                   "Time SOAP requests spent waiting for the REST quota guard, by operation.");
    for (size_t i = 0; i < s->n; i++) {
        const char *labels[] = {"operation", s->rows[i].name, NULL};
        mk_prom_f64(p, "mktows_soap_quota_wait_seconds_total", labels,
                    (double)s->rows[i].limiter_wait_ms / 1000.0);
    }
    pthread_mutex_unlock(&s->mu);
}
