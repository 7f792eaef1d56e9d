/*
 * limiter.h — the quota guard of the REST client (internal to src/rest):
 * Marketo's three limits, enforced on the shim's side so that callers wait
 * for a slot instead of collecting 606/615/607 answers.
 *
 *   - sliding window: at most rate_limit sends per window (default 100 per
 *     20 s).  A send occupies its slot from the moment it is admitted until
 *     window + margin after its answer arrived.  Counting from the answer
 *     (not from the send) is what makes the guard exact whatever the network
 *     delay: Marketo stamped the call somewhere between send and answer, so
 *     a slot reused one window after the answer can never be inside
 *     Marketo's window of the old call.
 *   - concurrency: at most max_concurrency sends in flight (default 10).
 *   - daily budget: an optional local cap per Marketo day (12:00 AM US
 *     Central, daylight saving included), plus what Marketo says: after a
 *     607 every caller is refused at once until the day turns (re-checked
 *     at most every few minutes, in case Marketo's day and ours disagree).
 *
 * Beyond the limits it keeps two kinds of shared memory of trouble:
 *   - a pause after 606/615 (other integrations share the instance's
 *     limits, so Marketo can be fuller than our own count): every admission
 *     waits out an exponentially growing, jittered pause;
 *   - a circuit breaker: after `breaker_failures` consecutive sends without
 *     an HTTP answer (or with 502/503/504) the endpoint is taken as down and
 *     callers are refused at once (the SOAP client gets 20011 within its
 *     deadline, workers stay free); every `breaker_probe_ms` one call is let
 *     through as a probe, and the first answer closes the breaker again.
 *
 * Pacing: once `burst` calls (max_concurrency by default) are inside the
 * window, admissions are spaced window / rate_limit apart (200 ms for
 * 100 / 20 s).  A sliding window alone lets a busy shim spend the whole
 * window in a second and then stall every caller for 20 s; paced, the
 * same calls leave callers waiting a fraction of a second, and the
 * coalescer (which holds its batches while the guard would make them
 * queue) fills the calls it does make.
 *
 * Waiting callers are served fairly between keys (the SOAP user a call is
 * made for): each key's callers first come, first served, and while
 * several keys wait, admissions are shared in the ratio of their weights
 * (soap_users.<id>.weight), so one busy integration cannot hold another
 * behind its queue.  A caller waits at most until its deadline and is then
 * refused with the reason it was held up for (rate or concurrency), having
 * sent nothing.
 *
 * Thread-safety: one mutex and one condition variable per limiter; any
 * number of threads may call in.  Nothing here does I/O.
 */
#ifndef MK_REST_LIMITER_H
#define MK_REST_LIMITER_H

#include <stddef.h>
#include <stdint.h>

#include "rest.h"

typedef struct mk_limiter mk_limiter;

/* The limits (rest.h); zero fields take Marketo's values. */
typedef mk_rest_limits mk_limiter_config;

typedef enum mk_limit_verdict {
    MK_LIMIT_OK = 0,
    MK_LIMIT_RATE,         /* no window slot (or a 606 pause) before the deadline */
    MK_LIMIT_CONCURRENCY,  /* too many in flight (or a 615 pause) until the deadline */
    MK_LIMIT_DAILY,        /* the day's budget is spent */
    MK_LIMIT_DOWN          /* the breaker is open: the endpoint does not answer */
} mk_limit_verdict;

/* What became of an admitted send; decides how its slot is accounted. */
typedef enum mk_limit_outcome {
    MK_LIMIT_ANSWERED = 0, /* an HTTP answer Marketo counts (success or error) */
    MK_LIMIT_UNCOUNTED,    /* answered with a code Marketo does not count (601, 602) */
    MK_LIMIT_NOT_SENT,     /* provably never reached the endpoint (connect refused ...) */
    MK_LIMIT_LOST,         /* no answer, may have reached it (reset, empty reply) */
    MK_LIMIT_GATEWAY,      /* HTTP 502/503/504: answered by something in front of it */
    MK_LIMIT_606,
    MK_LIMIT_615,
    MK_LIMIT_607,
    MK_LIMIT_UNUSED        /* a reserved slot given back without a send */
} mk_limit_outcome;

/* An admitted send.  Filled by mk_limiter_acquire, given back to release. */
typedef struct mk_limit_slot {
    int index;
    int probe;             /* this send is the breaker's probe */
    int64_t waited_ms;     /* time spent waiting for admission */
    /* Refused at once (MK_LIMIT_RATE): the callers queued ahead of it, and
     * the soonest the rate window could let it in, in ms from the refusal,
     * later than its deadline.  0 / 0 for any other outcome. */
    int ahead;
    int64_t soonest_ms;
} mk_limit_slot;

typedef mk_rest_limiter_stats mk_limiter_stats;

/* Returns 0 and *out, or -1 (out of memory). */
int mk_limiter_new(const mk_limiter_config *cfg, mk_limiter **out);
void mk_limiter_free(mk_limiter *l);

/* Whom a send is for: the key waiters are shared fairly between (NULL
 * or an empty key: the anonymous key) and its weight (< 1: 1). */
typedef mk_rest_caller mk_limit_who;

/* Wait for a slot until deadline_ms (mk_rest_now_ms clock).  MK_LIMIT_OK
 * fills *slot; anything else means nothing may be sent.  The first form
 * waits as the anonymous key. */
mk_limit_verdict mk_limiter_acquire(mk_limiter *l, int64_t deadline_ms, mk_limit_slot *slot);
mk_limit_verdict mk_limiter_acquire_as(mk_limiter *l, int64_t deadline_ms,
                                       const mk_limit_who *who, mk_limit_slot *slot);

/* Give an admitted slot back, saying what became of the send. */
void mk_limiter_release(mk_limiter *l, const mk_limit_slot *slot, mk_limit_outcome outcome);

/* Failures and successes outside admitted sends (the identity endpoint is
 * not rate limited, but its silence says the instance is down too). */
void mk_limiter_note_transport(mk_limiter *l, int ok);

/* 0 when a send would be admitted right now; otherwise an estimate of the
 * milliseconds until it would be (at least 1), or -1 when sends are being
 * refused outright (breaker open, daily budget spent).  Takes nothing. */
int64_t mk_limiter_ready_in(mk_limiter *l);

/* A refusal without waiting when the breaker is open: MK_LIMIT_DOWN or
 * MK_LIMIT_OK.  Lets callers skip token renewal while the endpoint is down. */
mk_limit_verdict mk_limiter_check_down(mk_limiter *l, int64_t *retry_in_ms);

/* 1 while the breaker is open (the endpoint is taken as down), probe
 * pending or not: a caller should not keep retrying then. */
int mk_limiter_is_down(mk_limiter *l);

/* Uniform random integer in [lo, hi] (jitter for backoff), thread-safe. */
int64_t mk_limiter_jitter(mk_limiter *l, int64_t lo, int64_t hi);

void mk_limiter_stats_get(mk_limiter *l, mk_limiter_stats *out);

/* Sends that could start now without waiting for a concurrency slot: the
 * concurrency bound minus the sends in flight and the callers waiting. */
int mk_limiter_free_concurrency(mk_limiter *l);

/* English reason for a verdict, with the numbers that caused it. */
void mk_limiter_describe(mk_limiter *l, mk_limit_verdict v, char *buf, size_t len);

/* ---- Marketo's day (exposed for tests) ----------------------------------- */

/* The Marketo day number of a Unix time in ms: days counted from local
 * midnight US Central time (UTC-6, UTC-5 while daylight saving time is in
 * effect: second Sunday of March 2:00 to first Sunday of November 2:00). */
int64_t mk_limiter_quota_day(int64_t unix_ms);

/* Unix ms at which the Marketo day containing unix_ms ends. */
int64_t mk_limiter_quota_day_end(int64_t unix_ms);

#endif /* MK_REST_LIMITER_H */
