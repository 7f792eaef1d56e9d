/*
 * coalesce.h — many SOAP requests, one REST call.
 *
 * Legacy SOAP integrations send one lead per call; Marketo allows 100 REST
 * calls per 20 s.  The coalescer merges concurrent work of the same shape
 * into one REST call and hands every caller exactly its own part of the
 * answer, in its own order:
 *
 *   - Sync Leads (POST /rest/v1/leads.json): requests with the same REST
 *     service (client id), action, lookupField and partition share one call
 *     of up to 300 records (and under 1 MB).  A lookup key value never
 *     appears twice in one call (REST would treat the second as a
 *     duplicate), so a request whose key is already in the open batch waits
 *     for the next one.
 *   - Get Leads by filter (GET /rest/v1/leads.json): getLead requests by id
 *     or email with the same field list share one call of up to 300 filter
 *     values; the matches are split back by value (emails compared without
 *     case, as Marketo does; two values differing only by case never share
 *     a call, so the split is never ambiguous).
 *
 * When is a batch sent?  The first request of a batch leads it: it sends at
 * once when its kind is idle (a lone client pays no extra latency), and
 * always at once when the REST rate budget is too large to pace (window /
 * rate_limit under 1 ms: limits off): then nothing is gained by waiting,
 * and calls go concurrently up to max_concurrency.  When
 * other requests of the kind are about (the previous batch had company, or
 * one is in flight) it lingers for companions while they keep coming: it
 * goes once wait_ms (a few ms) passed without a new member, counting from
 * the previous batch's return too, so callers just answered can join again
 * -- with closed-loop legacy clients that is when every one of them is
 * waiting in the batch.  Until as many new requests as the previous batch
 * had have arrived, that grace is 3 x wait_ms from its return; once they
 * have, the batch goes at once.  While a batch of the kind is in flight, the next
 * one keeps collecting (group commit); no batch lingers longer than
 * max_hold_ms for either reason.  Then the leader takes its slot from the
 * quota guard (mk_rest_reserve) and only once the guard grants it is the
 * batch sealed: while the guard makes it wait (a saturated budget) the
 * batch stays open and keeps taking members until it is full, so each call
 * made under saturation carries as much as Marketo allows.  A full batch is
 * sealed at once (its leader may still be waiting for the slot; the next
 * request opens the next batch, whose leader queues behind it in the
 * guard's first-come-first-served order).
 *
 * Failures: a per-record failure (status "skipped") belongs to its record
 * and so to one caller.  A whole-call failure that one caller's records may
 * have caused (609 invalid JSON, 1003, HTTP 413 ...) is not blamed on the
 * others: every member of that batch then makes its own call.  Failures of
 * the endpoint itself (quota, REST down, timeouts) go to every member.
 *
 * Thread-safety: one mutex for the coalescer; the REST call is made by the
 * leading thread outside it while the members wait on the batch's
 * condition variable.
 */
#ifndef MK_OPS_COALESCE_H
#define MK_OPS_COALESCE_H

#include <stddef.h>
#include <stdint.h>
#include <cjson/cJSON.h>

#include "rest/rest.h"

typedef struct mk_coalescer mk_coalescer;

typedef struct mk_coalesce_config {
    int disabled;            /* 1: every request makes its own REST call */
    long wait_ms;            /* send after this long without a new member; 0: 5,
                                negative: never linger */
    long max_hold_ms;        /* longest a batch lingers or waits for the previous
                                one to come back; 0: 200 */
    int max_records;         /* per call; 0: 300 */
    size_t max_body_bytes;   /* per call; 0: 900000 (Marketo refuses over 1 MB) */
    long send_reserve_ms;    /* send at the latest this long before the earliest
                                member's deadline; 0: 2000 */
} mk_coalesce_config;

/* What one request's part of a (possibly shared) REST call cost. */
typedef struct mk_coalesce_cost {
    double rest_calls;       /* HTTP sends / members of the batch */
    double retries;          /* backoff retries / members */
    int64_t limiter_wait_ms; /* quota-guard wait the request sat through */
    int64_t batch_wait_ms;   /* time spent waiting for companions */
    int shared;              /* 1: the call carried other requests' work too */
} mk_coalesce_cost;

/* Returns 0 and *out, or -1 (out of memory).  rest is borrowed. */
int mk_coalescer_new(mk_rest_client *rest, const mk_coalesce_config *cfg, mk_coalescer **out);

/* No request may be inside.  NULL is ignored. */
void mk_coalescer_free(mk_coalescer *co);

/* Who a request is for (`who` below, the rest layer's mk_rest_caller: the
 * SOAP user and its weight): when more requests wait than one call
 * carries, the call is shared between SOAP users in proportion to their
 * weights, each user's requests in arrival order; the call itself waits in
 * the quota guard as its leader's user.  NULL: one anonymous user of
 * weight 1.  The key is borrowed for the duration of the call. */

/* Sync Leads for input (a JSON array of at most 300 REST lead records,
 * read only, not kept).  partition may be NULL.  On return *out is what a
 * call with exactly these records would have answered: on success its json
 * is {"requestId", "success": true, "result": [one item per record, in
 * order]}; on failure the status, code and message of the failed call.
 * The call is idempotent unless action is createDuplicate or createOnly.
 * Free *out with mk_rest_result_free; *cost may be NULL. */
mk_rest_status mk_coalesce_sync(mk_coalescer *co, const mk_rest_cred *cred,
                                const mk_rest_caller *who, const char *action,
                                const char *lookup, const char *partition, const cJSON *input,
                                int64_t deadline_ms, mk_rest_result *out, mk_coalesce_cost *cost);

/* Leads whose filter field equals value (GET /rest/v1/leads.json),
 * following pages up to max_results leads.  fields: CSV of REST names or
 * NULL.  On success *leads is a new JSON array (caller frees) and *out is
 * an empty successful result; on failure *leads is NULL and *out says why.
 * Only "id" and "email" are coalesced; other filters go alone. */
mk_rest_status mk_coalesce_get(mk_coalescer *co, const mk_rest_cred *cred,
                               const mk_rest_caller *who, const char *filter,
                               const char *value, const char *fields, int max_results,
                               int64_t deadline_ms, cJSON **leads, mk_rest_result *out,
                               mk_coalesce_cost *cost);

/* The counters of one kind of call (sync, get).  by_size counts batches by
 * their members (requests sharing the call): by_size[i] those with at most
 * mk_coalesce_size_bounds[i] and more than the bound before, the last those
 * above every bound. */
#define MK_COALESCE_SIZE_BOUNDS 9
extern const int mk_coalesce_size_bounds[MK_COALESCE_SIZE_BOUNDS];
typedef struct mk_coalesce_counters {
    uint64_t batches, members, records, shared_members, solo, clash_waits, alone;
    int max_members;
    uint64_t by_size[MK_COALESCE_SIZE_BOUNDS + 1];
    uint64_t moved;          /* left for the next call (more waited than one carries) */
    uint64_t refused_late;   /* refused at once: the queue showed it could not make it */
    /* times a waiting member woke up: once per member answered by another's
     * call or moved on to lead the next, more only if woken for nothing */
    uint64_t wakeups;
    /* per batch sent: from the quota guard's grant to the REST answer
     * (pages included), and from that answer to every member's answer
     * written (the wake-ups follow) */
    uint64_t call_ms_total, answer_ms_total;
    int64_t call_ms_max, answer_ms_max;
} mk_coalesce_counters;

/* A consistent copy of the counters: out[0] Sync Leads, out[1] Get Leads. */
void mk_coalescer_counters(mk_coalescer *co, mk_coalesce_counters out[2]);

/* Counters (batches, members, records, largest batch, solo fallbacks,
 * key-clash waits) added to obj as members "sync" and "get". */
void mk_coalescer_stats_json(mk_coalescer *co, cJSON *obj);

#endif /* MK_OPS_COALESCE_H */
