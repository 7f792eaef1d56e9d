/*
 * opstats.h — what each SOAP operation costs, for operators.
 *
 * A migrating team wants to know, per SOAP operation: how many requests,
 * how many faults (by code), how many REST calls they cost (a call shared
 * by k coalesced requests counts 1/k to each), how many backoff retries,
 * how long requests waited for the quota guard or for companions to share
 * a call, and how long requests took.  The numbers are collected per
 * request in mk_request.cost (base/request.h) by the REST helpers, and added
 * to a process-wide table when the request ends; GET /_shim/stats shows
 * the table (server/server.c, ops/core/services.c).
 *
 * Thread-safety: the table has its own mutex; charging a request touches
 * only that request's context.
 */
#ifndef MK_OPS_OPSTATS_H
#define MK_OPS_OPSTATS_H

#include <cjson/cJSON.h>

#include "ops/core/coalesce.h"
#include "base/request.h"
#include "ops/core/promtext.h"
#include "rest/rest.h"

typedef struct mk_opstats mk_opstats;

/* Returns 0 and *out, or -1 (out of memory). */
int mk_opstats_new(mk_opstats **out);
void mk_opstats_free(mk_opstats *s);

/* Charge one REST call made for request r alone (r may be NULL). */
void mk_opstats_charge(struct mk_request *r, const mk_rest_result *res);

/* Charge request r's part of a possibly shared call. */
void mk_opstats_charge_shared(struct mk_request *r, const mk_coalesce_cost *cost);

/* Add finished request r (operation, fault, cost) to the table. */
void mk_opstats_record(mk_opstats *s, const struct mk_request *r, long elapsed_ms);

/* The table as {"<operation>": {soap_calls, faults, faults_by_code,
 * rest_calls, rest_calls_per_soap_call, retries, limiter_waits,
 * limiter_wait_ms, batch_wait_ms, shared_requests, latency_ms_mean,
 * latency_ms_max}, ...}.  Caller frees.  NULL on out of memory. */
cJSON *mk_opstats_json(mk_opstats *s);

/* The same counters for GET /metrics: mktows_soap_requests_total by
 * operation, user and outcome; mktows_soap_request_duration_seconds per
 * operation; REST calls and quota waits per operation. */
void mk_opstats_prom(mk_opstats *s, mk_prom *p);

#endif /* MK_OPS_OPSTATS_H */
