/*
 * test_limiter.c — the REST quota guard (src/rest/limiter.c) on its own:
 * the sliding window counted from answers, the in-flight cap, waiting up
 * to a deadline and the reason given when it passes, first come first
 * served, the daily budget and Marketo's day (US Central, daylight saving
 * included), 606/615 pauses, the circuit breaker, and many threads at once
 * never exceeding either limit.  The shared-budget path (several replicas)
 * is driven here through a stand-in store that can be switched off, to
 * pin down the fallback rules; tests/cluster/ runs it against real Redis.  Written to run under TSan as well
 * (no sleeps inside the limiter's lock, only its own API).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "rest/limiter.h"
#include "rest/rest.h"

static int64_t now_ms(void)
{
    return mk_rest_now_ms();
}

static void sleep_ms(long ms)
{
    struct timespec ts = {ms / 1000, (ms % 1000) * 1000000L};
    while (nanosleep(&ts, &ts) != 0)
        ;
}

static mk_limiter *make(int rate, long window_ms, int conc, long daily)
{
    mk_limiter_config c = {.rate_limit = rate, .rate_window_ms = window_ms,
                           .max_concurrency = conc, .daily_quota = daily,
                           .window_margin_ms = -1, .breaker_failures = 3,
                           .breaker_probe_ms = 200, .burst = -1};
    mk_limiter *l = NULL;
    assert_int_equal(mk_limiter_new(&c, &l), 0);
    return l;
}

/* ---- the window ---------------------------------------------------------- */

static void window_counts_from_the_answer(void **st)
{
    (void)st;
    mk_limiter *l = make(3, 400, 10, 0);
    mk_limit_slot s[4];
    for (int i = 0; i < 3; i++)
        assert_int_equal(mk_limiter_acquire(l, now_ms() + 2000, &s[i]), MK_LIMIT_OK);
    /* In flight for 150 ms: the window starts when the answer comes. */
    sleep_ms(150);
    int64_t answered = now_ms();
    for (int i = 0; i < 3; i++)
        mk_limiter_release(l, &s[i], MK_LIMIT_ANSWERED);
    assert_true(mk_limiter_ready_in(l) > 0);
    assert_int_equal(mk_limiter_acquire(l, now_ms() + 2000, &s[3]), MK_LIMIT_OK);
    int64_t admitted = now_ms();
    assert_true(admitted - answered >= 395);      /* not 400 - 150 */
    assert_true(s[3].waited_ms >= 390);
    mk_limiter_release(l, &s[3], MK_LIMIT_ANSWERED);

    mk_limiter_stats ls;
    mk_limiter_stats_get(l, &ls);
    assert_int_equal(ls.admitted, 4);
    assert_int_equal(ls.waited, 1);
    assert_int_equal(ls.window_used, 1);   /* the first three have left the window */
    mk_limiter_free(l);
}

static void deadline_gives_the_reason(void **st)
{
    (void)st;
    mk_limiter *l = make(2, 10000, 10, 0);
    mk_limit_slot a, b, c;
    assert_int_equal(mk_limiter_acquire(l, now_ms() + 10, &a), MK_LIMIT_OK);
    assert_int_equal(mk_limiter_acquire(l, now_ms() + 10, &b), MK_LIMIT_OK);
    mk_limiter_release(l, &a, MK_LIMIT_ANSWERED);
    mk_limiter_release(l, &b, MK_LIMIT_ANSWERED);
    /* The window is full for 10 s and the deadline is in 120 ms: refused
     * at once, not at the deadline, saying when it could have gone. */
    int64_t t0 = now_ms();
    assert_int_equal(mk_limiter_acquire(l, t0 + 120, &c), MK_LIMIT_RATE);
    int64_t waited = now_ms() - t0;
    assert_true(waited < 100);
    assert_int_equal(c.ahead, 0);
    assert_true(c.soonest_ms > 9000 && c.soonest_ms <= 10000);
    /* One whose deadline the window could meet waits for it. */
    t0 = now_ms();
    mk_limiter *s = make(1, 300, 10, 0);
    assert_int_equal(mk_limiter_acquire(s, t0 + 100, &a), MK_LIMIT_OK);
    mk_limiter_release(s, &a, MK_LIMIT_ANSWERED);
    assert_int_equal(mk_limiter_acquire(s, now_ms() + 2000, &a), MK_LIMIT_OK);
    assert_true(now_ms() - t0 >= 295);
    assert_int_equal(a.soonest_ms, 0);
    mk_limiter_release(s, &a, MK_LIMIT_ANSWERED);
    mk_limiter_free(s);
    char why[300];
    mk_limiter_describe(l, MK_LIMIT_RATE, why, sizeof why);
    assert_non_null(strstr(why, "2 of 2 calls per 10 s"));

    /* Uncounted answers (601/602) and sends that never left free their slot. */
    mk_limiter *u = make(1, 10000, 10, 0);
    assert_int_equal(mk_limiter_acquire(u, now_ms() + 10, &a), MK_LIMIT_OK);
    mk_limiter_release(u, &a, MK_LIMIT_UNCOUNTED);
    assert_int_equal(mk_limiter_acquire(u, now_ms() + 10, &a), MK_LIMIT_OK);
    mk_limiter_release(u, &a, MK_LIMIT_NOT_SENT);
    assert_int_equal(mk_limiter_acquire(u, now_ms() + 10, &a), MK_LIMIT_OK);
    mk_limiter_release(u, &a, MK_LIMIT_ANSWERED);
    assert_int_equal(mk_limiter_acquire(u, now_ms() + 10, &a), MK_LIMIT_RATE);
    mk_limiter_free(u);
    mk_limiter_free(l);
}

struct holder {
    mk_limiter *l;
    int64_t deadline;
    mk_limit_verdict v;
    int64_t admitted_at;
    mk_limit_slot slot;
};

static void *acquire_thread(void *arg)
{
    struct holder *h = arg;
    h->v = mk_limiter_acquire(h->l, h->deadline, &h->slot);
    h->admitted_at = now_ms();
    return NULL;
}

/* One call per second, the window full for about a second: the first
 * queued caller (deadline 1.5 s) can go when the window frees and waits;
 * the next one, with the same deadline, would have to wait for the first
 * one's slot to leave the window too (2 s), so it is refused at once with
 * the queue ahead and the soonest it could have gone. */
static void refused_at_once_behind_a_long_queue(void **st)
{
    (void)st;
    mk_limiter *l = make(1, 1000, 10, 0);
    mk_limit_slot a, b;
    assert_int_equal(mk_limiter_acquire(l, now_ms() + 100, &a), MK_LIMIT_OK);
    mk_limiter_release(l, &a, MK_LIMIT_ANSWERED);
    int64_t t0 = now_ms();
    struct holder first = {.l = l, .deadline = t0 + 1500};
    pthread_t t;
    pthread_create(&t, NULL, acquire_thread, &first);
    mk_limiter_stats ls;
    do {
        sleep_ms(5);
        mk_limiter_stats_get(l, &ls);
    } while (ls.waiting < 1);
    int64_t t1 = now_ms();
    assert_int_equal(mk_limiter_acquire(l, t0 + 1500, &b), MK_LIMIT_RATE);
    assert_true(now_ms() - t1 < 200);              /* at once, not at 1.5 s */
    assert_int_equal(b.ahead, 1);
    assert_true(b.soonest_ms > 1500 && b.soonest_ms <= 2100);
    pthread_join(t, NULL);
    assert_int_equal(first.v, MK_LIMIT_OK);
    assert_true(first.admitted_at - t0 >= 900);    /* it waited for the window */
    assert_int_equal(first.slot.soonest_ms, 0);
    mk_limiter_release(l, &first.slot, MK_LIMIT_ANSWERED);
    mk_limiter_stats_get(l, &ls);
    assert_int_equal(ls.refused_early, 1);
    assert_int_equal(ls.refused_rate, 1);
    mk_limiter_free(l);
}

struct holder_as {
    mk_limiter *l;
    mk_limit_who who;
    int64_t deadline;
    mk_limit_verdict v;
    mk_limit_slot slot;
};

static void *acquire_as_thread(void *arg)
{
    struct holder_as *h = arg;
    h->v = mk_limiter_acquire_as(h->l, h->deadline, &h->who, &h->slot);
    return NULL;
}

/* A caller that could make its deadline when it arrived, until a caller of
 * a user with a larger weight was put ahead of it: when it becomes the
 * head, the window shows it cannot go before its deadline, and it is
 * refused then (at ~1 s), not when its deadline comes (1.8 s). */
static void refused_when_pushed_past_its_deadline(void **st)
{
    (void)st;
    mk_limiter *l = make(1, 1000, 10, 0);
    mk_limit_slot a;
    int64_t t0 = now_ms();
    assert_int_equal(mk_limiter_acquire(l, t0 + 100, &a), MK_LIMIT_OK);
    mk_limiter_release(l, &a, MK_LIMIT_ANSWERED);  /* the window is full for ~1 s */
    struct holder x = {.l = l, .deadline = t0 + 1800};
    pthread_t tx, ty;
    pthread_create(&tx, NULL, acquire_thread, &x);
    mk_limiter_stats ls;
    do {
        sleep_ms(5);
        mk_limiter_stats_get(l, &ls);
    } while (ls.waiting < 1);
    struct holder_as y = {.l = l, .who = {.key = "quiet", .weight = 8}, .deadline = t0 + 5000};
    pthread_create(&ty, NULL, acquire_as_thread, &y);
    pthread_join(ty, NULL);
    assert_int_equal(y.v, MK_LIMIT_OK);           /* ahead of x, at ~1 s */
    pthread_join(tx, NULL);
    int64_t took = x.admitted_at - t0;
    mk_limiter_release(l, &y.slot, MK_LIMIT_ANSWERED);
    assert_int_equal(x.v, MK_LIMIT_RATE);
    if (took >= 1500)
        fail_msg("refused after %lld ms: at its deadline, not when it became the head",
                 (long long)took);
    assert_int_equal(x.slot.ahead, 0);
    assert_true(x.slot.soonest_ms > 800);          /* y's slot leaves the window at ~2 s */
    mk_limiter_free(l);
}

static void concurrency_cap_and_order(void **st)
{
    (void)st;
    mk_limiter *l = make(100, 20000, 2, 0);
    mk_limit_slot a, b;
    assert_int_equal(mk_limiter_acquire(l, now_ms() + 10, &a), MK_LIMIT_OK);
    assert_int_equal(mk_limiter_acquire(l, now_ms() + 10, &b), MK_LIMIT_OK);
    mk_limit_slot c;
    assert_int_equal(mk_limiter_acquire(l, now_ms() + 80, &c), MK_LIMIT_CONCURRENCY);

    /* Two waiters: the first to arrive is the first admitted. */
    struct holder h1 = {.l = l, .deadline = now_ms() + 3000};
    struct holder h2 = {.l = l, .deadline = now_ms() + 3000};
    pthread_t t1, t2;
    pthread_create(&t1, NULL, acquire_thread, &h1);
    sleep_ms(50);
    pthread_create(&t2, NULL, acquire_thread, &h2);
    sleep_ms(50);
    mk_limiter_stats ls;
    mk_limiter_stats_get(l, &ls);
    assert_int_equal(ls.waiting, 2);
    mk_limiter_release(l, &a, MK_LIMIT_ANSWERED);
    pthread_join(t1, NULL);
    assert_int_equal(h1.v, MK_LIMIT_OK);
    sleep_ms(50);
    mk_limiter_stats_get(l, &ls);
    assert_int_equal(ls.waiting, 1);  /* h2 still waits: two in flight */
    mk_limiter_release(l, &b, MK_LIMIT_ANSWERED);
    pthread_join(t2, NULL);
    assert_int_equal(h2.v, MK_LIMIT_OK);
    assert_true(h2.admitted_at >= h1.admitted_at);
    mk_limiter_release(l, &h1.slot, MK_LIMIT_ANSWERED);
    mk_limiter_release(l, &h2.slot, MK_LIMIT_ANSWERED);
    mk_limiter_stats_get(l, &ls);
    assert_int_equal(ls.max_in_flight, 2);
    assert_int_equal(ls.refused_concurrency, 1);
    mk_limiter_free(l);
}

static void paced_after_the_burst(void **st)
{
    (void)st;
    /* 10 per second, the last 6 paced 100 ms apart. */
    mk_limiter_config c = {.rate_limit = 10, .rate_window_ms = 1000, .max_concurrency = 10,
                           .window_margin_ms = -1, .burst = 4};
    mk_limiter *l = NULL;
    assert_int_equal(mk_limiter_new(&c, &l), 0);
    mk_limit_slot s;
    int64_t t0 = now_ms();
    for (int i = 0; i < 4; i++) {
        assert_int_equal(mk_limiter_acquire(l, now_ms() + 10, &s), MK_LIMIT_OK);
        mk_limiter_release(l, &s, MK_LIMIT_ANSWERED);
    }
    assert_true(now_ms() - t0 < 50);
    assert_true(mk_limiter_ready_in(l) > 0);
    /* Refused with the rate as the reason when the deadline is nearer. */
    assert_int_equal(mk_limiter_acquire(l, now_ms() + 20, &s), MK_LIMIT_RATE);
    int64_t prev = now_ms();
    for (int i = 0; i < 3; i++) {
        assert_int_equal(mk_limiter_acquire(l, now_ms() + 1000, &s), MK_LIMIT_OK);
        int64_t t = now_ms();
        assert_true(t - prev >= 60);  /* 100 ms after the previous admission */
        prev = t;
        mk_limiter_release(l, &s, MK_LIMIT_ANSWERED);
    }
    mk_limiter_free(l);
}

/* ---- fair between callers --------------------------------------------------- */

#define FAIR_MAX 16

/* Waiters of two keys behind one concurrency slot; each admitted one
 * records its turn and hands its slot to the next by releasing it. */
struct fair_run {
    mk_limiter *l;
    pthread_mutex_t mu;
    int turns;
    char order[FAIR_MAX + 1];   /* the keys' first letters, in admission order */
    int index[FAIR_MAX];        /* each turn: the waiter's arrival index in its key */
    uint64_t wakeups;           /* the guard's count of waiters waking to look again */
};

struct fair_waiter {
    struct fair_run *run;
    mk_limit_who who;
    int index;
    mk_limit_verdict v;
};

static void *fair_thread(void *arg)
{
    struct fair_waiter *w = arg;
    mk_limit_slot slot;
    w->v = mk_limiter_acquire_as(w->run->l, now_ms() + 10000, &w->who, &slot);
    if (w->v == MK_LIMIT_OK) {
        pthread_mutex_lock(&w->run->mu);
        int t = w->run->turns++;
        w->run->order[t] = w->who.key[0];
        w->run->index[t] = w->index;
        pthread_mutex_unlock(&w->run->mu);
        sleep_ms(2);
        mk_limiter_release(w->run->l, &slot, MK_LIMIT_ANSWERED);
    }
    return NULL;
}

/* nbusy waiters of "busy" (weight wb) queue first, then nsmall of "small"
 * (weight ws); the order in which they are admitted goes to run->order. */
static void fair_order(int nbusy, int wb, int nsmall, int ws, struct fair_run *run)
{
    memset(run, 0, sizeof *run);
    pthread_mutex_init(&run->mu, NULL);
    run->l = make(1000, 1000, 1, 0);
    mk_limit_slot hold;
    assert_int_equal(mk_limiter_acquire(run->l, now_ms() + 10, &hold), MK_LIMIT_OK);
    struct fair_waiter w[FAIR_MAX];
    pthread_t t[FAIR_MAX];
    int n = nbusy + nsmall;
    assert_true(n <= FAIR_MAX);
    for (int i = 0; i < n; i++) {
        int busy = i < nbusy;
        w[i] = (struct fair_waiter){run, {busy ? "busy" : "small", busy ? wb : ws},
                                    busy ? i : i - nbusy, MK_LIMIT_OK};
        pthread_create(&t[i], NULL, fair_thread, &w[i]);
        /* one at a time, so that arrival order is known */
        mk_limiter_stats ls;
        do {
            sleep_ms(1);
            mk_limiter_stats_get(run->l, &ls);
        } while (ls.waiting < i + 1);
    }
    mk_limiter_release(run->l, &hold, MK_LIMIT_ANSWERED);
    for (int i = 0; i < n; i++) {
        pthread_join(t[i], NULL);
        assert_int_equal(w[i].v, MK_LIMIT_OK);
    }
    assert_int_equal(run->turns, n);
    mk_limiter_stats ls;
    mk_limiter_stats_get(run->l, &ls);
    run->wakeups = ls.wakeups;
    mk_limiter_free(run->l);
    pthread_mutex_destroy(&run->mu);
}

static void fair_between_callers(void **st)
{
    (void)st;
    struct fair_run run;
    /* Equal weights: the small key does not wait behind the busy key's
     * queue; the two alternate from its arrival on. */
    fair_order(10, 1, 2, 1, &run);
    assert_string_equal(run.order, "bsbsbbbbbbbb");
    /* Each key's own waiters go in their arrival order. */
    int next[2] = {0, 0};
    for (int i = 0; i < run.turns; i++) {
        int k = run.order[i] == 's';
        assert_int_equal(run.index[i], next[k]++);
    }
    /* Weight 3 to the busy key's 1: three turns per busy one while both
     * wait (its first ones ahead of the busy queue, whose tags run ahead). */
    fair_order(8, 1, 6, 3, &run);
    assert_string_equal(run.order, "ssbsssbsbbbbbb");
    /* Only the head of the queue is woken when a slot frees, not all 14
     * waiters at every release (133 wake-ups here when every waiter was
     * woken, 27 now): one wake-up each to become the head, and a few for
     * the pace. */
    if (run.wakeups > 3 * 14)
        fail_msg("%llu wake-ups for 14 waiters admitted one at a time",
                 (unsigned long long)run.wakeups);
    /* Without keys (mk_limiter_acquire): first come, first served. */
    fair_order(6, 1, 0, 1, &run);
    for (int i = 0; i < run.turns; i++)
        assert_int_equal(run.index[i], i);
}

/* ---- many threads: neither limit is ever exceeded ------------------------- */

#define RATE 20
#define WINDOW 300
#define CONC 3
#define THREADS 8
#define PER_THREAD 12

static struct {
    pthread_mutex_t mu;
    int64_t admitted[THREADS * PER_THREAD];
    int64_t answered[THREADS * PER_THREAD];
    int n;
    atomic_int in_flight, max_in_flight;
} rec = {.mu = PTHREAD_MUTEX_INITIALIZER};

static void *hammer(void *arg)
{
    mk_limiter *l = arg;
    for (int i = 0; i < PER_THREAD; i++) {
        mk_limit_slot s;
        if (mk_limiter_acquire(l, now_ms() + 20000, &s) != MK_LIMIT_OK)
            continue;
        int k;
        pthread_mutex_lock(&rec.mu);
        k = rec.n++;
        rec.admitted[k] = now_ms();
        pthread_mutex_unlock(&rec.mu);
        int f = atomic_fetch_add(&rec.in_flight, 1) + 1;
        int m = atomic_load(&rec.max_in_flight);
        while (f > m && !atomic_compare_exchange_weak(&rec.max_in_flight, &m, f))
            ;
        sleep_ms(5 + (i * 7 + k) % 20);
        atomic_fetch_sub(&rec.in_flight, 1);
        /* Stamp the answer before giving the slot back, as the client does. */
        pthread_mutex_lock(&rec.mu);
        rec.answered[k] = now_ms();
        pthread_mutex_unlock(&rec.mu);
        mk_limiter_release(l, &s, MK_LIMIT_ANSWERED);
    }
    return NULL;
}

static void threads_never_exceed_limits(void **st)
{
    (void)st;
    mk_limiter *l = make(RATE, WINDOW, CONC, 0);
    pthread_t t[THREADS];
    for (int i = 0; i < THREADS; i++)
        pthread_create(&t[i], NULL, hammer, l);
    for (int i = 0; i < THREADS; i++)
        pthread_join(t[i], NULL);
    assert_int_equal(rec.n, THREADS * PER_THREAD);
    assert_true(atomic_load(&rec.max_in_flight) <= CONC);
    /* At every admission, fewer than RATE earlier sends may still be inside
     * the window (in flight, or answered less than WINDOW ms before). */
    for (int i = 0; i < rec.n; i++) {
        int inside = 0;
        for (int j = 0; j < rec.n; j++)
            if (j != i && rec.admitted[j] <= rec.admitted[i] &&
                rec.answered[j] + WINDOW > rec.admitted[i])
                inside++;
        if (inside >= RATE)
            fail_msg("admission %d had %d sends inside the window", i, inside);
    }
    mk_limiter_stats ls;
    mk_limiter_stats_get(l, &ls);
    assert_true(ls.max_in_flight <= CONC);
    assert_int_equal(ls.admitted, THREADS * PER_THREAD);
    assert_int_equal(ls.in_flight, 0);
    mk_limiter_free(l);
}

/* ---- daily budget and Marketo's day ---------------------------------------- */

static int64_t utc(int y, int mo, int d, int h, int mi, int s)
{
    struct tm tm = {.tm_year = y - 1900, .tm_mon = mo - 1, .tm_mday = d,
                    .tm_hour = h, .tm_min = mi, .tm_sec = s};
    return (int64_t)timegm(&tm) * 1000;
}

static void marketo_day(void **st)
{
    (void)st;
    /* Winter: CST, the day turns at 06:00 UTC. */
    assert_int_equal(mk_limiter_quota_day(utc(2026, 1, 15, 5, 59, 59)) + 1,
                     mk_limiter_quota_day(utc(2026, 1, 15, 6, 0, 0)));
    assert_int_equal(mk_limiter_quota_day_end(utc(2026, 1, 15, 12, 0, 0)),
                     utc(2026, 1, 16, 6, 0, 0));
    /* Summer: CDT, at 05:00 UTC. */
    assert_int_equal(mk_limiter_quota_day(utc(2026, 7, 1, 4, 59, 59)) + 1,
                     mk_limiter_quota_day(utc(2026, 7, 1, 5, 0, 0)));
    assert_int_equal(mk_limiter_quota_day_end(utc(2026, 7, 1, 4, 0, 0)),
                     utc(2026, 7, 1, 5, 0, 0));
    /* 2026-03-08 (second Sunday of March) starts in CST, ends in CDT: 23 h. */
    assert_int_equal(mk_limiter_quota_day_end(utc(2026, 3, 8, 7, 0, 0)),
                     utc(2026, 3, 9, 5, 0, 0));
    assert_int_equal(mk_limiter_quota_day(utc(2026, 3, 8, 6, 0, 0)),
                     mk_limiter_quota_day(utc(2026, 3, 9, 4, 59, 59)));
    /* 2026-11-01 (first Sunday of November) is 25 h long. */
    assert_int_equal(mk_limiter_quota_day_end(utc(2026, 11, 1, 12, 0, 0)),
                     utc(2026, 11, 2, 6, 0, 0));
    assert_int_equal(mk_limiter_quota_day(utc(2026, 11, 1, 5, 0, 0)),
                     mk_limiter_quota_day(utc(2026, 11, 2, 5, 59, 59)));
    /* Consecutive days are consecutive numbers. */
    assert_int_equal(mk_limiter_quota_day(utc(2026, 12, 31, 12, 0, 0)) + 1,
                     mk_limiter_quota_day(utc(2027, 1, 1, 12, 0, 0)));
}

static void daily_budget(void **st)
{
    (void)st;
    mk_limiter *l = make(100, 20000, 10, 3);
    mk_limit_slot s;
    for (int i = 0; i < 3; i++) {
        assert_int_equal(mk_limiter_acquire(l, now_ms() + 10, &s), MK_LIMIT_OK);
        /* A send that never left is not charged to the day. */
        mk_limiter_release(l, &s, i == 0 ? MK_LIMIT_NOT_SENT : MK_LIMIT_ANSWERED);
    }
    assert_int_equal(mk_limiter_acquire(l, now_ms() + 10, &s), MK_LIMIT_OK);
    mk_limiter_release(l, &s, MK_LIMIT_ANSWERED);
    int64_t t0 = now_ms();
    assert_int_equal(mk_limiter_acquire(l, now_ms() + 5000, &s), MK_LIMIT_DAILY);
    assert_true(now_ms() - t0 < 1000); /* refused at once, no waiting till midnight */
    assert_int_equal(mk_limiter_ready_in(l), -1);
    mk_limiter_stats ls;
    mk_limiter_stats_get(l, &ls);
    assert_int_equal(ls.daily_used, 3);
    assert_true(ls.daily_blocked);
    assert_true(ls.daily_reset_unix_ms > (int64_t)time(NULL) * 1000);
    mk_limiter_free(l);

    /* Marketo's 607 blocks every caller, whatever the local budget. */
    l = make(100, 20000, 10, 0);
    assert_int_equal(mk_limiter_acquire(l, now_ms() + 10, &s), MK_LIMIT_OK);
    mk_limiter_release(l, &s, MK_LIMIT_607);
    assert_int_equal(mk_limiter_acquire(l, now_ms() + 10, &s), MK_LIMIT_DAILY);
    char why[300];
    mk_limiter_describe(l, MK_LIMIT_DAILY, why, sizeof why);
    assert_non_null(strstr(why, "607"));
    mk_limiter_stats_get(l, &ls);
    assert_int_equal(ls.answers_607, 1);
    assert_int_equal(ls.refused_daily, 1);
    mk_limiter_free(l);
}

/* ---- what Marketo says about the others ------------------------------------- */

static void pauses_after_606_and_615(void **st)
{
    (void)st;
    mk_limiter *l = make(100, 20000, 10, 0);
    mk_limit_slot s;
    assert_int_equal(mk_limiter_acquire(l, now_ms() + 10, &s), MK_LIMIT_OK);
    mk_limiter_release(l, &s, MK_LIMIT_606);
    /* First pause: 500..1000 ms. */
    assert_int_equal(mk_limiter_acquire(l, now_ms() + 100, &s), MK_LIMIT_RATE);
    int64_t t0 = now_ms();
    assert_int_equal(mk_limiter_acquire(l, now_ms() + 3000, &s), MK_LIMIT_OK);
    assert_true(now_ms() - t0 >= 350);
    mk_limiter_release(l, &s, MK_LIMIT_615);
    assert_int_equal(mk_limiter_acquire(l, now_ms() + 20, &s), MK_LIMIT_CONCURRENCY);
    assert_int_equal(mk_limiter_acquire(l, now_ms() + 3000, &s), MK_LIMIT_OK);
    mk_limiter_release(l, &s, MK_LIMIT_ANSWERED);
    mk_limiter_stats ls;
    mk_limiter_stats_get(l, &ls);
    assert_int_equal(ls.answers_606, 1);
    assert_int_equal(ls.answers_615, 1);
    mk_limiter_free(l);
}

static void breaker_opens_and_recovers(void **st)
{
    (void)st;
    mk_limiter *l = make(100, 20000, 10, 0);
    mk_limit_slot s;
    for (int i = 0; i < 3; i++) {
        assert_int_equal(mk_limiter_acquire(l, now_ms() + 10, &s), MK_LIMIT_OK);
        mk_limiter_release(l, &s, i == 1 ? MK_LIMIT_LOST : MK_LIMIT_NOT_SENT);
    }
    int64_t in = 0;
    assert_int_equal(mk_limiter_check_down(l, &in), MK_LIMIT_DOWN);
    assert_true(in > 0 && in <= 200);
    int64_t t0 = now_ms();
    assert_int_equal(mk_limiter_acquire(l, now_ms() + 5000, &s), MK_LIMIT_DOWN);
    assert_true(now_ms() - t0 < 100); /* refused at once */
    sleep_ms(220);
    /* One probe goes; a second caller meanwhile is refused. */
    mk_limit_slot probe;
    assert_int_equal(mk_limiter_acquire(l, now_ms() + 10, &probe), MK_LIMIT_OK);
    assert_true(probe.probe);
    assert_int_equal(mk_limiter_acquire(l, now_ms() + 10, &s), MK_LIMIT_DOWN);
    mk_limiter_release(l, &probe, MK_LIMIT_NOT_SENT); /* still down */
    assert_int_equal(mk_limiter_check_down(l, NULL), MK_LIMIT_DOWN);
    sleep_ms(220);
    assert_int_equal(mk_limiter_acquire(l, now_ms() + 10, &probe), MK_LIMIT_OK);
    mk_limiter_release(l, &probe, MK_LIMIT_ANSWERED); /* back */
    assert_int_equal(mk_limiter_check_down(l, NULL), MK_LIMIT_OK);
    assert_int_equal(mk_limiter_acquire(l, now_ms() + 10, &s), MK_LIMIT_OK);
    mk_limiter_release(l, &s, MK_LIMIT_ANSWERED);
    /* Identity silence counts too. */
    for (int i = 0; i < 3; i++)
        mk_limiter_note_transport(l, 0);
    assert_int_equal(mk_limiter_check_down(l, NULL), MK_LIMIT_DOWN);
    mk_limiter_stats ls;
    mk_limiter_stats_get(l, &ls);
    assert_int_equal(ls.breaker_opens, 2);
    assert_true(ls.breaker_open);
    mk_limiter_free(l);
}

/* ---- the shared budget (several replicas) --------------------------------------- */

/* A store that admits everything while up and is unreachable while down. */
typedef struct fake_store {
    atomic_int up;
    atomic_int acquires, releases, restores, restored_slots;
    atomic_int gen;
    atomic_int slow_ms;          /* each acquire takes this long */
    atomic_int asking, most_asking; /* acquires in progress now, at most */
    atomic_int refuse_retry_ms;  /* > 0: refuse (rate), retry after this long */
    mk_rest_shared_budget iface;
} fake_store;

static int fake_acquire(void *ctx, const mk_rest_shared_ask *ask, int64_t *retry_ms, int *why,
                        uint64_t *generation)
{
    fake_store *f = ctx;
    (void)ask;
    int now = atomic_fetch_add(&f->asking, 1) + 1;
    for (int most = atomic_load(&f->most_asking);
         now > most && !atomic_compare_exchange_weak(&f->most_asking, &most, now);)
        ;
    if (atomic_load(&f->slow_ms) > 0)
        sleep_ms(atomic_load(&f->slow_ms));
    atomic_fetch_sub(&f->asking, 1);
    if (!atomic_load(&f->up))
        return -1;
    atomic_fetch_add(&f->acquires, 1);
    *generation = (uint64_t)atomic_load(&f->gen);
    if (atomic_load(&f->refuse_retry_ms) > 0) {
        *retry_ms = atomic_load(&f->refuse_retry_ms);
        *why = MK_SHARED_RATE;
        return 0;
    }
    *retry_ms = 0;
    return 1;
}

static int fake_release(void *ctx, const char *id, int counted, long window_ms, int64_t pause_ms,
                        int pause_why, int64_t blocked_ms, int64_t quota_day)
{
    fake_store *f = ctx;
    (void)id, (void)counted, (void)window_ms, (void)pause_ms, (void)pause_why,
        (void)blocked_ms, (void)quota_day;
    atomic_fetch_add(&f->releases, 1);
    return atomic_load(&f->up) ? 0 : -1;
}

static int fake_restore(void *ctx, const mk_rest_shared_slot *slots, size_t n, long window_ms,
                        long lease_ms)
{
    fake_store *f = ctx;
    (void)slots, (void)window_ms, (void)lease_ms;
    if (!atomic_load(&f->up))
        return -1;
    atomic_fetch_add(&f->restores, 1);
    atomic_fetch_add(&f->restored_slots, (int)n);
    return 0;
}

static mk_limiter *make_shared(fake_store *f, int rate, long window_ms, int replicas)
{
    f->iface = (mk_rest_shared_budget){.ctx = f, .acquire = fake_acquire,
                                       .release = fake_release, .restore = fake_restore,
                                       .replicas = replicas};
    atomic_store(&f->gen, 1);
    mk_limiter_config c = {.rate_limit = rate, .rate_window_ms = window_ms,
                           .max_concurrency = 10, .window_margin_ms = -1,
                           .breaker_failures = 3, .breaker_probe_ms = 200, .burst = -1,
                           .shared = &f->iface};
    mk_limiter *l = NULL;
    assert_int_equal(mk_limiter_new(&c, &l), 0);
    return l;
}

struct trip_waiter {
    mk_limiter *l;
    mk_limit_verdict v;
    int64_t took;
};

static void *trip_thread(void *arg)
{
    struct trip_waiter *w = arg;
    int64_t t0 = now_ms();
    mk_limit_slot s;
    w->v = mk_limiter_acquire(w->l, t0 + 8000, &s);
    w->took = now_ms() - t0;
    if (w->v == MK_LIMIT_OK)
        mk_limiter_release(w->l, &s, MK_LIMIT_UNUSED);
    return NULL;
}

/* The breaker opens while the head of the queue waits for the shared
 * store's answer (the guard's mutex released), and the store then refuses
 * with a 5 s retry: the head was not waiting when it was told, so it must
 * look again rather than sleep on the store's retry, and everyone queued
 * behind it must get "REST down" at once (each refused head wakes the
 * next), not at their deadline. */
static void breaker_opens_during_a_store_round_trip(void **st)
{
    (void)st;
    fake_store f = {0};
    atomic_store(&f.up, 1);
    atomic_store(&f.slow_ms, 300);
    atomic_store(&f.refuse_retry_ms, 5000);
    mk_limiter *l = make_shared(&f, 100, 20000, 1);
    /* The breaker stays open (no probe) for the whole test. */
    mk_limiter_free(l);
    mk_limiter_config c = {.rate_limit = 100, .rate_window_ms = 20000, .max_concurrency = 10,
                           .window_margin_ms = -1, .breaker_failures = 3,
                           .breaker_probe_ms = 20000, .burst = -1, .shared = &f.iface};
    assert_int_equal(mk_limiter_new(&c, &l), 0);
    enum { N = 6 };
    struct trip_waiter w[N];
    pthread_t t[N];
    for (int i = 0; i < N; i++) {
        w[i] = (struct trip_waiter){.l = l};
        pthread_create(&t[i], NULL, trip_thread, &w[i]);
        if (i == 0)
            sleep_ms(50);  /* the head is in its round trip */
    }
    sleep_ms(50);
    for (int k = 0; k < 3; k++)  /* breaker_failures */
        mk_limiter_note_transport(l, 0);
    for (int i = 0; i < N; i++) {
        pthread_join(t[i], NULL);
        if (w[i].v != MK_LIMIT_DOWN || w[i].took > 1000)
            fail_msg("caller %d: verdict %d after %lld ms (want REST down at once)", i, w[i].v,
                     (long long)w[i].took);
    }
    mk_limiter_free(l);
}

struct who_waiter {
    mk_limiter *l;
    mk_limit_who who;
    mk_limit_verdict v;
};

static void *who_thread(void *arg)
{
    struct who_waiter *w = arg;
    mk_limit_slot s;
    w->v = mk_limiter_acquire_as(w->l, now_ms() + 5000, &w->who, &s);
    if (w->v == MK_LIMIT_OK)
        mk_limiter_release(w->l, &s, MK_LIMIT_UNUSED);
    return NULL;
}

/* One round trip to the shared store at a time per replica.  While the
 * head asks the store (the guard's mutex released), a caller of a user
 * with a larger weight arrives and fair queueing puts it ahead: it is the
 * head now, but it waits for the round trip in progress instead of
 * starting a second one (it is then woken, and both are admitted). */
static void one_store_round_trip_at_a_time(void **st)
{
    (void)st;
    fake_store f = {0};
    atomic_store(&f.up, 1);
    atomic_store(&f.slow_ms, 200);
    mk_limiter *l = make_shared(&f, 100, 20000, 1);
    struct who_waiter a = {.l = l, .who = {.key = "busy", .weight = 1}};
    struct who_waiter b = {.l = l, .who = {.key = "quiet", .weight = 8}};
    pthread_t ta, tb;
    pthread_create(&ta, NULL, who_thread, &a);
    sleep_ms(50);  /* a is in its round trip */
    pthread_create(&tb, NULL, who_thread, &b);
    pthread_join(ta, NULL);
    pthread_join(tb, NULL);
    assert_int_equal(a.v, MK_LIMIT_OK);
    assert_int_equal(b.v, MK_LIMIT_OK);
    assert_int_equal(atomic_load(&f.acquires), 2);
    if (atomic_load(&f.most_asking) != 1)
        fail_msg("%d round trips to the store at once", atomic_load(&f.most_asking));
    mk_limiter_free(l);
}

/* Unreachable store: one window without sends (other replicas' sends are
 * unknown), then limit / replicas per window. */
static void local_share_when_the_store_is_down(void **st)
{
    (void)st;
    fake_store f = {0};
    /* A window long enough that the loop below stays inside it even on a
     * loaded machine under the sanitizers. */
    mk_limiter *l = make_shared(&f, 10, 1500, 2);
    mk_limit_slot s;
    int64_t t0 = now_ms();
    assert_int_equal(mk_limiter_acquire(l, t0 + 4000, &s), MK_LIMIT_OK);
    assert_true(now_ms() - t0 >= 1495);           /* the stall */
    mk_limiter_release(l, &s, MK_LIMIT_ANSWERED);
    int admitted = 1;
    while (mk_limiter_acquire(l, now_ms() + 100, &s) == MK_LIMIT_OK) {
        mk_limiter_release(l, &s, MK_LIMIT_ANSWERED);
        admitted++;
    }
    assert_int_equal(admitted, 5);                /* 10 / 2 replicas */
    mk_limiter_stats ls;
    mk_limiter_stats_get(l, &ls);
    assert_int_equal(ls.shared_mode, 2);
    assert_int_equal(ls.effective_rate_limit, 5);
    assert_int_equal(ls.shared_fallbacks, 1);
    assert_int_equal(atomic_load(&f.acquires), 0);
    assert_int_equal(atomic_load(&f.releases), 0);  /* local sends never reach the store */
    mk_limiter_free(l);
}

/* The store answers again: this replica's sends of the window are put back
 * first, then it draws from the shared budget. */
static void rejoin_restores_recent_sends(void **st)
{
    (void)st;
    fake_store f = {0};
    mk_limiter *l = make_shared(&f, 10, 300, 2);
    mk_limit_slot s;
    for (int i = 0; i < 3; i++) {
        assert_int_equal(mk_limiter_acquire(l, now_ms() + 2000, &s), MK_LIMIT_OK);
        mk_limiter_release(l, &s, MK_LIMIT_ANSWERED);
    }
    atomic_store(&f.up, 1);
    sleep_ms(1050);                               /* the next rejoin attempt is due */
    assert_int_equal(mk_limiter_acquire(l, now_ms() + 2000, &s), MK_LIMIT_OK);
    mk_limiter_release(l, &s, MK_LIMIT_ANSWERED);
    assert_int_equal(atomic_load(&f.restores), 1);
    assert_int_equal(atomic_load(&f.acquires), 1);
    assert_int_equal(atomic_load(&f.releases), 1);
    mk_limiter_stats ls;
    mk_limiter_stats_get(l, &ls);
    assert_int_equal(ls.shared_mode, 1);
    assert_int_equal(ls.effective_rate_limit, 10);
    mk_limiter_free(l);
}

/* A store that lost its state (a new generation) gets this replica's
 * sends of the window back before the next admission. */
static void new_generation_restores(void **st)
{
    (void)st;
    fake_store f = {0};
    atomic_store(&f.up, 1);
    mk_limiter *l = make_shared(&f, 10, 5000, 2);
    mk_limit_slot s;
    for (int i = 0; i < 3; i++) {
        assert_int_equal(mk_limiter_acquire(l, now_ms() + 2000, &s), MK_LIMIT_OK);
        mk_limiter_release(l, &s, MK_LIMIT_ANSWERED);
    }
    assert_int_equal(atomic_load(&f.restores), 0);
    atomic_store(&f.gen, 2);                      /* Redis restarted empty */
    assert_int_equal(mk_limiter_acquire(l, now_ms() + 2000, &s), MK_LIMIT_OK);
    mk_limiter_release(l, &s, MK_LIMIT_ANSWERED);
    assert_int_equal(mk_limiter_acquire(l, now_ms() + 2000, &s), MK_LIMIT_OK);
    mk_limiter_release(l, &s, MK_LIMIT_ANSWERED);
    assert_int_equal(atomic_load(&f.restores), 1);
    assert_int_equal(atomic_load(&f.restored_slots), 4);  /* all sends still in the window */
    mk_limiter_free(l);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(window_counts_from_the_answer),
        cmocka_unit_test(deadline_gives_the_reason),
        cmocka_unit_test(refused_at_once_behind_a_long_queue),
        cmocka_unit_test(refused_when_pushed_past_its_deadline),
        cmocka_unit_test(concurrency_cap_and_order),
        cmocka_unit_test(paced_after_the_burst),
        cmocka_unit_test(fair_between_callers),
        cmocka_unit_test(threads_never_exceed_limits),
        cmocka_unit_test(marketo_day),
        cmocka_unit_test(daily_budget),
        cmocka_unit_test(pauses_after_606_and_615),
        cmocka_unit_test(breaker_opens_and_recovers),
        cmocka_unit_test(breaker_opens_during_a_store_round_trip),
        cmocka_unit_test(one_store_round_trip_at_a_time),
        cmocka_unit_test(local_share_when_the_store_is_down),
        cmocka_unit_test(rejoin_restores_recent_sends),
        cmocka_unit_test(new_generation_restores),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
