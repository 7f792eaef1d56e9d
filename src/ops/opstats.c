/*
 * opstats.c — the per-operation cost table behind GET /_shim/stats (see
 * opstats.h).  A small array of rows, one per operation name seen, under
 * one mutex; there are a few dozen operations, so a linear search is the
 * simplest thing that is fast enough.
 */
#include "ops/opstats.h"

#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MAX_FAULT_CODES 12

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
} op_row;

struct mk_opstats {
    pthread_mutex_t mu;
    op_row *rows;
    size_t n, cap;
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
    if (s->n == s->cap) {
        size_t cap = s->cap ? s->cap * 2 : 32;
        op_row *p = realloc(s->rows, cap * sizeof *p);
        if (!p)
            return NULL;
        s->rows = p;
        s->cap = cap;
    }
    op_row *row = &s->rows[s->n++];
    memset(row, 0, sizeof *row);
    strncpy(row->name, name, sizeof row->name - 1);
    return row;
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
    }
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
