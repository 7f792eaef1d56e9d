/*
 * limiter.c — the REST client's quota guard (see limiter.h for the rules).
 *
 * State, all under one mutex:
 *   slot_until[rate_limit]  when each window slot becomes free: 0 free,
 *                           SLOT_BUSY while its send is in flight, else the
 *                           monotonic ms at which the window forgets it;
 *   in_flight               sends between acquire and release;
 *   a FIFO of waiters       only the head may take a slot, so a caller that
 *                           arrived first is admitted first;
 *   day, day_used, blocked  the Marketo day, its sends, a 607 block;
 *   pause_until             no admission before this (606/615 backoff);
 *   breaker                 consecutive failures, open_until, probe busy.
 * Every change that can admit someone broadcasts the condition variable;
 * waiters also wake on their own at the next instant a slot frees or a
 * pause ends, so no release is needed to make progress.
 */
#include "limiter.h"

#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define SLOT_BUSY INT64_MAX
#define PAUSE_606_BASE_MS 1000
#define PAUSE_615_BASE_MS 100
#define PAUSE_615_MAX_MS 2000

typedef struct waiter {
    struct waiter *next;
} waiter;

struct mk_limiter {
    pthread_mutex_t mu;
    pthread_cond_t cv;
    mk_limiter_config cfg;

    int64_t *slot_until;
    int in_flight;
    waiter *head, *tail;
    int nwaiting;

    int64_t day_end_unix_ms;     /* end of the current Marketo day */
    long day_used;
    int64_t blocked_until_unix;  /* 607: refuse until then (wall clock) */

    int64_t last_admit;              /* for pacing */
    int64_t pause_until;
    mk_limit_verdict pause_reason;   /* RATE after a 606, CONCURRENCY after a 615 */
    int streak_606, streak_615;

    int fail_streak;
    int breaker_open;
    int64_t open_until;
    int probe_busy;

    uint64_t rng;
    mk_limiter_stats st;
};

/* ---- clocks and Marketo's day ------------------------------------------- */

static int64_t mono_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static int64_t unix_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static int64_t floor_div(int64_t a, int64_t b)
{
    int64_t q = a / b;
    return (a % b != 0 && (a < 0) != (b < 0)) ? q - 1 : q;
}

static int64_t utc_seconds(int year, int mon, int mday, int hour)
{
    struct tm tm;
    memset(&tm, 0, sizeof tm);
    tm.tm_year = year - 1900;
    tm.tm_mon = mon;
    tm.tm_mday = mday;
    tm.tm_hour = hour;
    return (int64_t)timegm(&tm);
}

/* Day of the month of the n-th Sunday of month mon (0-based) of year. */
static int nth_sunday(int year, int mon, int n)
{
    time_t t = (time_t)utc_seconds(year, mon, 1, 12);
    struct tm g;
    gmtime_r(&t, &g);
    return 1 + (7 - g.tm_wday) % 7 + 7 * (n - 1);
}

/* US Central's offset from UTC at an instant, in seconds. */
static int64_t central_offset(int64_t unix_s)
{
    time_t t = (time_t)unix_s;
    struct tm g;
    gmtime_r(&t, &g);
    int y = g.tm_year + 1900;
    /* 2:00 CST is 08:00 UTC; 2:00 CDT is 07:00 UTC. */
    int64_t start = utc_seconds(y, 2, nth_sunday(y, 2, 2), 8);
    int64_t end = utc_seconds(y, 10, nth_sunday(y, 10, 1), 7);
    return unix_s >= start && unix_s < end ? -5 * 3600 : -6 * 3600;
}

int64_t mk_limiter_quota_day(int64_t ums)
{
    int64_t s = floor_div(ums, 1000);
    return floor_div(s + central_offset(s), 86400);
}

int64_t mk_limiter_quota_day_end(int64_t ums)
{
    int64_t local_midnight = (mk_limiter_quota_day(ums) + 1) * 86400;
    /* Midnight is hours away from a 2:00 switch: guess CST, then correct. */
    int64_t off = central_offset(local_midnight + 6 * 3600);
    return (local_midnight - off) * 1000;
}

/* ---- small helpers (mutex held) ------------------------------------------- */

static int64_t rnd_locked(mk_limiter *l, int64_t lo, int64_t hi)
{
    if (hi <= lo)
        return lo;
    uint64_t x = l->rng;
    x ^= x << 13;
    x ^= x >> 7;
    x ^= x << 17;
    l->rng = x;
    return lo + (int64_t)(x % (uint64_t)(hi - lo + 1));
}

static void roll_day(mk_limiter *l, int64_t now_unix)
{
    if (now_unix >= l->day_end_unix_ms) {
        l->day_end_unix_ms = mk_limiter_quota_day_end(now_unix);
        l->day_used = 0;
    }
}

static int daily_blocked(mk_limiter *l, int64_t now_unix)
{
    roll_day(l, now_unix);
    if (l->blocked_until_unix > now_unix)
        return 1;
    return l->cfg.daily_quota > 0 && l->day_used >= l->cfg.daily_quota;
}

static int window_used(const mk_limiter *l, int64_t now)
{
    int n = 0;
    for (int i = 0; i < l->cfg.rate_limit; i++)
        n += l->slot_until[i] > now;
    return n;
}

static int free_slot(const mk_limiter *l, int64_t now)
{
    for (int i = 0; i < l->cfg.rate_limit; i++)
        if (l->slot_until[i] <= now)
            return i;
    return -1;
}

/* Earliest instant a window slot frees (INT64_MAX if all are in flight). */
static int64_t next_slot_free(const mk_limiter *l)
{
    int64_t t = INT64_MAX;
    for (int i = 0; i < l->cfg.rate_limit; i++)
        if (l->slot_until[i] < t)
            t = l->slot_until[i];
    return t;
}

/* Breaker state for a new send: 0 closed, 1 probe allowed, -1 refuse. */
static int breaker_gate(const mk_limiter *l, int64_t now)
{
    if (!l->breaker_open)
        return 0;
    if (now >= l->open_until && !l->probe_busy)
        return 1;
    return -1;
}

/* Why the head cannot be admitted now (MK_LIMIT_OK if it can), and the
 * instant worth waking at to look again (INT64_MAX: only a release helps). */
static mk_limit_verdict blocked_by(const mk_limiter *l, int64_t now, int64_t *wake)
{
    *wake = INT64_MAX;
    if (now < l->pause_until) {
        *wake = l->pause_until;
        return l->pause_reason;
    }
    if (l->in_flight >= l->cfg.max_concurrency)
        return MK_LIMIT_CONCURRENCY;
    if (free_slot(l, now) < 0) {
        *wake = next_slot_free(l);
        return MK_LIMIT_RATE;
    }
    if (l->cfg.burst > 0 && l->last_admit &&
        now < l->last_admit + l->cfg.rate_window_ms / l->cfg.rate_limit &&
        window_used(l, now) >= l->cfg.burst) {
        *wake = l->last_admit + l->cfg.rate_window_ms / l->cfg.rate_limit;
        return MK_LIMIT_RATE;
    }
    return MK_LIMIT_OK;
}

static void dequeue(mk_limiter *l, waiter *w)
{
    waiter **pp = &l->head, *prev = NULL;
    while (*pp && *pp != w) {
        prev = *pp;
        pp = &(*pp)->next;
    }
    if (!*pp)
        return;
    *pp = w->next;
    if (l->tail == w)
        l->tail = prev;
    l->nwaiting--;
}

static struct timespec abs_time(int64_t mono_deadline)
{
    /* The condition variable runs on CLOCK_MONOTONIC (see mk_limiter_new). */
    struct timespec ts;
    ts.tv_sec = (time_t)(mono_deadline / 1000);
    ts.tv_nsec = (long)(mono_deadline % 1000) * 1000000L;
    return ts;
}

/* ---- lifecycle ------------------------------------------------------------- */

int mk_limiter_new(const mk_limiter_config *cfg, mk_limiter **out)
{
    *out = NULL;
    mk_limiter *l = calloc(1, sizeof *l);
    if (!l)
        return -1;
    mk_limiter_config c = cfg ? *cfg : (mk_limiter_config){0};
    if (c.rate_limit <= 0)
        c.rate_limit = 100;
    if (c.rate_window_ms <= 0)
        c.rate_window_ms = 20000;
    if (c.max_concurrency <= 0)
        c.max_concurrency = 10;
    if (c.daily_quota < 0)
        c.daily_quota = 0;
    if (c.window_margin_ms == 0)
        c.window_margin_ms = 100;
    else if (c.window_margin_ms < 0)
        c.window_margin_ms = 0;
    if (c.breaker_failures == 0)
        c.breaker_failures = 5;
    if (c.breaker_probe_ms <= 0)
        c.breaker_probe_ms = 1000;
    if (c.quota_recheck_ms <= 0)
        c.quota_recheck_ms = 300000;
    if (c.burst == 0)
        c.burst = c.rate_limit / 2 > 0 ? c.rate_limit / 2 : 1;
    l->cfg = c;
    l->slot_until = calloc((size_t)c.rate_limit, sizeof *l->slot_until);
    if (!l->slot_until) {
        free(l);
        return -1;
    }
    pthread_mutex_init(&l->mu, NULL);
    pthread_condattr_t ca;
    pthread_condattr_init(&ca);
    pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
    pthread_cond_init(&l->cv, &ca);
    pthread_condattr_destroy(&ca);
    l->rng = (uint64_t)unix_ms() * 0x9e3779b97f4a7c15ULL ^ (uint64_t)(uintptr_t)l;
    if (!l->rng)
        l->rng = 88172645463325252ULL;
    l->day_end_unix_ms = mk_limiter_quota_day_end(unix_ms());
    *out = l;
    return 0;
}

void mk_limiter_free(mk_limiter *l)
{
    if (!l)
        return;
    pthread_cond_destroy(&l->cv);
    pthread_mutex_destroy(&l->mu);
    free(l->slot_until);
    free(l);
}

/* ---- admission ---------------------------------------------------------------- */

mk_limit_verdict mk_limiter_acquire(mk_limiter *l, int64_t deadline_ms, mk_limit_slot *slot)
{
    memset(slot, 0, sizeof *slot);
    slot->index = -1;
    int64_t start = mono_ms();
    mk_limit_verdict v = MK_LIMIT_OK;
    waiter me = {0};

    pthread_mutex_lock(&l->mu);
    if (daily_blocked(l, unix_ms())) {
        l->st.refused_daily++;
        pthread_mutex_unlock(&l->mu);
        return MK_LIMIT_DAILY;
    }
    if (breaker_gate(l, start) < 0) {
        l->st.refused_down++;
        pthread_mutex_unlock(&l->mu);
        return MK_LIMIT_DOWN;
    }
    if (l->tail)
        l->tail->next = &me;
    else
        l->head = &me;
    l->tail = &me;
    l->nwaiting++;

    for (;;) {
        int64_t now = mono_ms();
        if (daily_blocked(l, unix_ms())) {
            v = MK_LIMIT_DAILY;
            break;
        }
        int gate = breaker_gate(l, now);
        if (gate < 0) {
            v = MK_LIMIT_DOWN;
            break;
        }
        int64_t wake = INT64_MAX;
        mk_limit_verdict why = blocked_by(l, now, &wake);
        if (l->head == &me && why == MK_LIMIT_OK) {
            int i = free_slot(l, now);
            l->slot_until[i] = SLOT_BUSY;
            l->last_admit = now;
            l->in_flight++;
            if (l->in_flight > l->st.max_in_flight)
                l->st.max_in_flight = l->in_flight;
            l->day_used++;
            if (gate == 1) {
                l->probe_busy = 1;
                slot->probe = 1;
            }
            slot->index = i;
            v = MK_LIMIT_OK;
            break;
        }
        if (now >= deadline_ms) {
            v = why != MK_LIMIT_OK ? why : MK_LIMIT_RATE;
            break;
        }
        /* Only the head watches the clock; the others are woken when it
         * leaves the queue. */
        if (l->head != &me)
            wake = INT64_MAX;
        if (wake > deadline_ms)
            wake = deadline_ms;
        struct timespec ts = abs_time(wake);
        int rc = pthread_cond_timedwait(&l->cv, &l->mu, &ts);
        (void)rc; /* a timeout just means: look again */
    }
    dequeue(l, &me);
    /* The next in line may be admissible too (several free slots). */
    pthread_cond_broadcast(&l->cv);

    int64_t waited = mono_ms() - start;
    slot->waited_ms = waited;
    switch (v) {
    case MK_LIMIT_OK:
        l->st.admitted++;
        if (waited > 0) {
            l->st.waited++;
            l->st.wait_ms_total += (uint64_t)waited;
            if (waited > l->st.wait_ms_max)
                l->st.wait_ms_max = waited;
        }
        break;
    case MK_LIMIT_RATE: l->st.refused_rate++; break;
    case MK_LIMIT_CONCURRENCY: l->st.refused_concurrency++; break;
    case MK_LIMIT_DAILY: l->st.refused_daily++; break;
    case MK_LIMIT_DOWN: l->st.refused_down++; break;
    }
    pthread_mutex_unlock(&l->mu);
    return v;
}

static void breaker_failure(mk_limiter *l, int64_t now, int probe)
{
    l->fail_streak++;
    if (l->cfg.breaker_failures < 0)
        return;
    if (probe || (!l->breaker_open && l->fail_streak >= l->cfg.breaker_failures)) {
        if (!l->breaker_open)
            l->st.breaker_opens++;
        l->breaker_open = 1;
        l->open_until = now + l->cfg.breaker_probe_ms;
    }
}

static void breaker_success(mk_limiter *l)
{
    l->fail_streak = 0;
    l->breaker_open = 0;
}

void mk_limiter_release(mk_limiter *l, const mk_limit_slot *slot, mk_limit_outcome outcome)
{
    if (!slot || slot->index < 0)
        return;
    pthread_mutex_lock(&l->mu);
    int64_t now = mono_ms();
    int counted = outcome != MK_LIMIT_UNCOUNTED && outcome != MK_LIMIT_NOT_SENT;
    l->slot_until[slot->index] = counted ? now + l->cfg.rate_window_ms + l->cfg.window_margin_ms : 0;
    l->in_flight--;
    if (!counted && l->day_used > 0)
        l->day_used--;
    if (slot->probe)
        l->probe_busy = 0;

    switch (outcome) {
    case MK_LIMIT_NOT_SENT:
    case MK_LIMIT_LOST:
    case MK_LIMIT_GATEWAY:
        breaker_failure(l, now, slot->probe);
        break;
    default:
        breaker_success(l);
        break;
    }
    switch (outcome) {
    case MK_LIMIT_606: {
        l->st.answers_606++;
        int k = l->streak_606 < 16 ? l->streak_606 : 16;
        int64_t d = (int64_t)PAUSE_606_BASE_MS << k;
        if (d > l->cfg.rate_window_ms)
            d = l->cfg.rate_window_ms;
        d = rnd_locked(l, d / 2, d);
        if (now + d > l->pause_until) {
            l->pause_until = now + d;
            l->pause_reason = MK_LIMIT_RATE;
        }
        l->streak_606++;
        break;
    }
    case MK_LIMIT_615: {
        l->st.answers_615++;
        int k = l->streak_615 < 16 ? l->streak_615 : 16;
        int64_t d = (int64_t)PAUSE_615_BASE_MS << k;
        if (d > PAUSE_615_MAX_MS)
            d = PAUSE_615_MAX_MS;
        d = rnd_locked(l, d / 2, d);
        if (now + d > l->pause_until) {
            l->pause_until = now + d;
            l->pause_reason = MK_LIMIT_CONCURRENCY;
        }
        l->streak_615++;
        break;
    }
    case MK_LIMIT_607: {
        l->st.answers_607++;
        int64_t wall = unix_ms();
        roll_day(l, wall);
        int64_t until = wall + l->cfg.quota_recheck_ms;
        if (until > l->day_end_unix_ms)
            until = l->day_end_unix_ms;
        l->blocked_until_unix = until;
        break;
    }
    case MK_LIMIT_ANSWERED:
        l->streak_606 = l->streak_615 = 0;
        break;
    default:
        break;
    }
    pthread_cond_broadcast(&l->cv);
    pthread_mutex_unlock(&l->mu);
}

void mk_limiter_note_transport(mk_limiter *l, int ok)
{
    pthread_mutex_lock(&l->mu);
    if (ok)
        breaker_success(l);
    else
        breaker_failure(l, mono_ms(), 0);
    pthread_cond_broadcast(&l->cv);
    pthread_mutex_unlock(&l->mu);
}

int64_t mk_limiter_ready_in(mk_limiter *l)
{
    pthread_mutex_lock(&l->mu);
    int64_t now = mono_ms(), r;
    if (daily_blocked(l, unix_ms()) || breaker_gate(l, now) < 0) {
        r = -1;
    } else {
        int64_t wake;
        mk_limit_verdict why = blocked_by(l, now, &wake);
        if (why == MK_LIMIT_OK && !l->head)
            r = 0;
        else if (wake != INT64_MAX && wake > now)
            r = wake - now;
        else
            r = 5; /* queued callers or a full house: look again soon */
    }
    pthread_mutex_unlock(&l->mu);
    return r;
}

mk_limit_verdict mk_limiter_check_down(mk_limiter *l, int64_t *retry_in_ms)
{
    pthread_mutex_lock(&l->mu);
    int64_t now = mono_ms();
    mk_limit_verdict v = breaker_gate(l, now) < 0 ? MK_LIMIT_DOWN : MK_LIMIT_OK;
    if (retry_in_ms)
        *retry_in_ms = v == MK_LIMIT_DOWN && l->open_until > now ? l->open_until - now : 0;
    if (v == MK_LIMIT_DOWN)
        l->st.refused_down++;
    pthread_mutex_unlock(&l->mu);
    return v;
}

int mk_limiter_is_down(mk_limiter *l)
{
    pthread_mutex_lock(&l->mu);
    int down = l->breaker_open;
    pthread_mutex_unlock(&l->mu);
    return down;
}

int64_t mk_limiter_jitter(mk_limiter *l, int64_t lo, int64_t hi)
{
    pthread_mutex_lock(&l->mu);
    int64_t r = rnd_locked(l, lo, hi);
    pthread_mutex_unlock(&l->mu);
    return r;
}

void mk_limiter_stats_get(mk_limiter *l, mk_limiter_stats *out)
{
    pthread_mutex_lock(&l->mu);
    int64_t now = mono_ms(), wall = unix_ms();
    *out = l->st;
    out->rate_limit = l->cfg.rate_limit;
    out->rate_window_ms = l->cfg.rate_window_ms;
    out->max_concurrency = l->cfg.max_concurrency;
    out->daily_quota = l->cfg.daily_quota;
    out->window_used = window_used(l, now);
    out->in_flight = l->in_flight;
    out->waiting = l->nwaiting;
    out->daily_blocked = daily_blocked(l, wall);
    out->daily_used = l->day_used;
    out->daily_reset_unix_ms = l->day_end_unix_ms;
    out->breaker_open = l->breaker_open;
    pthread_mutex_unlock(&l->mu);
}

void mk_limiter_describe(mk_limiter *l, mk_limit_verdict v, char *buf, size_t len)
{
    mk_limiter_stats s;
    mk_limiter_stats_get(l, &s);
    switch (v) {
    case MK_LIMIT_OK:
        snprintf(buf, len, "admitted");
        break;
    case MK_LIMIT_RATE:
        snprintf(buf, len,
                 "the shim's REST quota guard found no free call slot before the request "
                 "deadline (%d of %d calls per %ld s in use, %d callers waiting)",
                 s.window_used, s.rate_limit, s.rate_window_ms / 1000, s.waiting);
        break;
    case MK_LIMIT_CONCURRENCY:
        snprintf(buf, len,
                 "the shim's REST quota guard found no free concurrent-call slot before the "
                 "request deadline (%d of %d calls in flight, %d callers waiting)",
                 s.in_flight, s.max_concurrency, s.waiting);
        break;
    case MK_LIMIT_DAILY:
        if (s.daily_quota > 0 && s.daily_used >= s.daily_quota)
            snprintf(buf, len,
                     "the shim's daily REST budget of %ld calls is spent; it resets at "
                     "12:00 AM US Central time",
                     s.daily_quota);
        else
            snprintf(buf, len,
                     "Marketo's daily REST quota is spent (607); it resets at 12:00 AM US "
                     "Central time");
        break;
    case MK_LIMIT_DOWN:
        snprintf(buf, len,
                 "Marketo REST API unavailable: the last calls got no answer, so the shim "
                 "stops sending for a moment and probes again every %ld ms",
                 l->cfg.breaker_probe_ms);
        break;
    }
}
