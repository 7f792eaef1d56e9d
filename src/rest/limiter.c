/*
 * limiter.c — the REST client's quota guard (see limiter.h for the rules).
 *
 * State, all under one mutex:
 *   slot_until[rate_limit]  when each window slot becomes free: 0 free,
 *                           SLOT_BUSY while its send is in flight, else the
 *                           monotonic ms at which the window forgets it;
 *                           the slots in the window are also queued in
 *                           expiry order (ring) and the free ones stacked
 *                           (freeq), so nothing scans the array per call;
 *   in_flight               sends between acquire and release;
 *   a queue of waiters      only the head may take a slot; the queue is
 *                           ordered by a virtual finish tag per caller
 *                           (fair(), below): callers of one key (a SOAP
 *                           user) keep their arrival order, and keys share
 *                           admissions by weight;
 *   day, day_used, blocked  the Marketo day, its sends, a 607 block;
 *   pause_until             no admission before this (606/615 backoff);
 *   breaker                 consecutive failures, open_until, probe busy.
 * Only the head of the queue can be admitted, so every change that can
 * admit someone wakes the head alone: each waiter sleeps on a condition
 * variable of its own (waiter.cv), and one leaving the queue wakes the next
 * head.  What refuses everyone (the breaker open, the day's budget spent)
 * passes down the queue the same way: each head, refused, wakes the next.
 * With hundreds queued, a shared condition variable would wake all of them
 * at every admission and release, each to find it is not the head.  The
 * head also wakes on its own at the next instant a slot frees or a pause
 * ends, so no release is needed to make progress; the others look again on
 * their own every NONHEAD_NAP_MS (a net: no signal they need should be
 * missed, see wake_gen) and at their deadline.
 *
 * With a shared budget (several replicas, limits.shared): the local checks
 * run first with the full limits, then the head of the queue asks the
 * shared store, with the mutex released for that round trip (its local
 * slot is reserved meanwhile).  One round trip at a time (sh_busy): a
 * caller that fair queueing puts ahead of the asker meanwhile becomes the
 * head, but waits for that round trip to end before it asks or rejoins.
 * A store that does not answer switches this replica to its
 * local share (limit / replicas): first one window without any admission
 * (other replicas' sends of the current window are unknown here), then the
 * share; every REJOIN_MS the head tries the store again and, when it
 * answers, puts this replica's recent sends back into the shared window
 * (restore) before drawing from it again.  The same restore runs when the
 * store says it lost its state (a Redis restarted empty).
 */
#include "limiter.h"

#include <errno.h>
#include <inttypes.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "base/clock.h"

#define SLOT_BUSY INT64_MAX
#define REJOIN_MS 1000            /* local share: try the shared store again this often */
#define NONHEAD_NAP_MS 5000        /* a queued caller behind the head looks again this often */
#define STORE_BUSY_NAP_MS 100      /* a head waiting for another caller's store round trip */
#define LEASE_SLACK_MS 2000       /* a shared in-flight slot outlives its deadline by this */
#define LEASE_MAX_MS 332000       /* sends without a deadline: the REST client's own cap */
#define SHARED_ID_LEN 48

enum { SH_OFF = 0, SH_SHARED = 1, SH_LOCAL = 2 };
#define PAUSE_606_BASE_MS 1000
#define PAUSE_615_BASE_MS 100
#define PAUSE_615_MAX_MS 2000

typedef struct waiter {
    struct waiter *next, *prev;
    uint64_t tag;                /* virtual finish: the queue is ordered by it */
    pthread_cond_t cv;           /* its own wait (CLOCK_MONOTONIC), under the mutex */
} waiter;

/* Weighted fair queueing between callers (start-time fair queueing): a
 * waiter of key k with weight w gets the tag max(vtime, last[k]) + 1/w
 * (in FAIR_UNIT steps) and the queue is kept in tag order, ties in arrival
 * order; vtime is the tag of the last admission.  A key that is busy has
 * tags running ahead of vtime, so a quiet key's first waiter goes in near
 * the front, and two busy keys alternate in the ratio of their weights.
 * Keys are remembered in a small table; an entry whose last tag is behind
 * vtime says nothing (max() would pick vtime) and may be reused. */
#define FAIR_UNIT 720720u        /* divisible by 1..16: exact shares for small weights */
#define FAIR_KEYS 256
#define FAIR_KEY_LEN 64

typedef struct fair_key {
    uint64_t hash;               /* 0: unused */
    uint64_t last;               /* the key's latest tag */
    char key[FAIR_KEY_LEN];
} fair_key;

struct mk_limiter {
    pthread_mutex_t mu;
    mk_limiter_config cfg;

    int64_t *slot_until;
    int *ring, rhead, rcount;    /* slots in the window, oldest first (see expire) */
    int *freeq, nfree;           /* free slots */
    int in_flight;
    waiter *head, *tail;
    int nwaiting;
    uint64_t wake_gen;           /* wake_head() calls so far */
    uint64_t vtime;              /* tag of the last admission */
    fair_key fair[FAIR_KEYS];

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

    /* shared budget (NULL sh: this process alone) */
    const mk_rest_shared_budget *sh;
    int sh_mode;                 /* SH_SHARED, or SH_LOCAL while the store is unreachable */
    int64_t sh_retry_at;         /* SH_LOCAL: next attempt to rejoin */
    int64_t sh_stall_until;      /* SH_LOCAL: no admission before this */
    uint64_t sh_gen;             /* the store's generation last seen */
    int sh_need_restore;         /* the store lost its state: put ours back */
    int sh_busy;                 /* the head is talking to the store */
    int64_t sh_wait_until;       /* the store's last word: nothing admitted before this */
    mk_limit_verdict sh_wait_why;
    char replica[24];
    uint64_t seq;
    uint64_t *slot_seq;          /* per slot: the sequence number in its id */
    unsigned char *slot_shared;  /* per slot: registered in the shared store */
};

/* ---- clocks and Marketo's day ------------------------------------------- */

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

/* ---- the limits in force: all of them, or this replica's share ---------------- */

static long share_of(long limit, int replicas)
{
    long s = replicas > 1 ? limit / replicas : limit;
    return s > 0 ? s : 1;
}

static int local_share(const mk_limiter *l)
{
    return l->sh && l->sh_mode == SH_LOCAL;
}

static int eff_rate(const mk_limiter *l)
{
    return local_share(l) ? (int)share_of(l->cfg.rate_limit, l->sh->replicas) : l->cfg.rate_limit;
}

static int eff_concurrency(const mk_limiter *l)
{
    return local_share(l) ? (int)share_of(l->cfg.max_concurrency, l->sh->replicas)
                          : l->cfg.max_concurrency;
}

static long eff_daily(const mk_limiter *l)
{
    if (l->cfg.daily_quota <= 0)
        return 0;
    return local_share(l) ? share_of(l->cfg.daily_quota, l->sh->replicas) : l->cfg.daily_quota;
}

static int eff_burst(const mk_limiter *l)
{
    if (l->cfg.burst <= 0)
        return l->cfg.burst;
    return local_share(l) ? (int)share_of(l->cfg.burst, l->sh->replicas) : l->cfg.burst;
}

static int daily_blocked(mk_limiter *l, int64_t now_unix)
{
    roll_day(l, now_unix);
    if (l->blocked_until_unix > now_unix)
        return 1;
    long daily = eff_daily(l);
    return daily > 0 && l->day_used >= daily;
}

/* Every slot is in exactly one place: in flight (SLOT_BUSY), in the
 * window (the ring, in the order their sends were answered, which is the
 * order they expire in), or free (the stack).  So the window's count, a
 * free slot and the next expiry cost O(1), whatever rate_limit is -- with
 * the limits raised to "off" (100,000) a scan of the slots per admission
 * was a fifth of the shim's time. */
static void expire(mk_limiter *l, int64_t now)
{
    while (l->rcount > 0 && l->slot_until[l->ring[l->rhead]] <= now) {
        int i = l->ring[l->rhead];
        l->rhead = (l->rhead + 1) % l->cfg.rate_limit;
        l->rcount--;
        l->slot_until[i] = 0;
        l->freeq[l->nfree++] = i;
    }
}

static void slot_free(mk_limiter *l, int i)
{
    l->slot_until[i] = 0;
    l->freeq[l->nfree++] = i;
}

static void slot_into_window(mk_limiter *l, int i, int64_t until)
{
    l->slot_until[i] = until;
    l->ring[(l->rhead + l->rcount) % l->cfg.rate_limit] = i;
    l->rcount++;
}

static int window_used(mk_limiter *l, int64_t now)
{
    expire(l, now);
    return l->in_flight + l->rcount;
}

/* A free slot (left on the stack until taken), or -1. */
static int free_slot(mk_limiter *l, int64_t now)
{
    expire(l, now);
    return l->nfree > 0 ? l->freeq[l->nfree - 1] : -1;
}

/* Earliest instant an occupied window slot frees (INT64_MAX if all
 * occupied ones are in flight). */
static int64_t next_slot_free(const mk_limiter *l, int64_t now)
{
    for (int k = 0; k < l->rcount; k++) {
        int64_t t = l->slot_until[l->ring[(l->rhead + k) % l->cfg.rate_limit]];
        if (t > now)
            return t;
    }
    return INT64_MAX;
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

/* Spacing between admissions once the burst is used: window / rate, or
 * wider when that pace would fill the window before its oldest send
 * expires -- the free slots are then spread evenly until it does.  Paced
 * at window / rate straight after a burst, a saturated shim would use the
 * window up half-way through and admit nothing until the burst's sends
 * expire: callers arriving then would wait ten seconds while others had
 * passed in a fraction of one. */
static int64_t pace_gap(const mk_limiter *l, int64_t now, int rate, int used)
{
    int64_t gap = l->cfg.rate_window_ms / rate;
    int64_t oldest = next_slot_free(l, now);
    int free = rate - used;
    if (oldest != INT64_MAX && free > 0 && (oldest - now) / free > gap)
        gap = (oldest - now) / free;
    return gap;
}

/* Why the head cannot be admitted now (MK_LIMIT_OK if it can), and the
 * instant worth waking at to look again (INT64_MAX: only a release helps). */
static mk_limit_verdict blocked_by(mk_limiter *l, int64_t now, int64_t *wake)
{
    *wake = INT64_MAX;
    if (local_share(l) && now < l->sh_stall_until) {
        *wake = l->sh_stall_until < l->sh_retry_at ? l->sh_stall_until : l->sh_retry_at;
        return MK_LIMIT_RATE;
    }
    if (now < l->pause_until) {
        *wake = l->pause_until;
        return l->pause_reason;
    }
    /* What the shared store said last: so that ready_in, and with it the
     * coalescer's decision to hold a batch open, sees the whole budget. */
    if (l->sh && l->sh_mode == SH_SHARED && now < l->sh_wait_until) {
        *wake = l->sh_wait_until;
        return l->sh_wait_why;
    }
    if (l->in_flight >= eff_concurrency(l))
        return MK_LIMIT_CONCURRENCY;
    int rate = eff_rate(l), used = window_used(l, now), burst = eff_burst(l);
    if (used >= rate || free_slot(l, now) < 0) {
        *wake = next_slot_free(l, now);
        return MK_LIMIT_RATE;
    }
    if (burst > 0 && l->last_admit && used >= burst) {
        int64_t gap = pace_gap(l, now, rate, used);
        if (now < l->last_admit + gap) {
            *wake = l->last_admit + gap;
            return MK_LIMIT_RATE;
        }
    }
    return MK_LIMIT_OK;
}

/* Something changed that may let the head of the queue in: wake it (the
 * mutex held).  The others cannot be admitted before it leaves. */
static void wake_head(mk_limiter *l)
{
    l->wake_gen++;   /* for a head that was not waiting when it came */
    if (l->head)
        pthread_cond_signal(&l->head->cv);
}

/* The soonest instant the rate window alone would let in a waiter with k
 * waiters ahead of it, each taking a slot first: a lower bound, as the
 * pace, the concurrency cap, a pause and other replicas only make it
 * later.  Window slots free in expiry order (the ring); a slot in flight,
 * or taken from now on, frees a window after its answer, so no sooner than
 * a window from when it was taken. */
static int64_t soonest_admission(mk_limiter *l, int k, int64_t now)
{
    expire(l, now);
    int64_t win = l->cfg.rate_window_ms + l->cfg.window_margin_ms;
    int rate = eff_rate(l), used = l->in_flight + l->rcount;
    int avail = rate > used ? rate - used : 0;
    int skip = used > rate ? used - rate : 0; /* expiries that only bring a shrunk share back */
    int j = k % rate;
    int64_t t;
    if (j < avail)
        t = now;
    else if (j - avail + skip < l->rcount)
        t = l->slot_until[l->ring[(l->rhead + j - avail + skip) % l->cfg.rate_limit]];
    else
        t = now + win;
    return t + (int64_t)(k / rate) * win;
}

static void dequeue(mk_limiter *l, waiter *w)
{
    if (w->prev)
        w->prev->next = w->next;
    else if (l->head == w)
        l->head = w->next;
    else
        return;   /* not queued */
    if (w->next)
        w->next->prev = w->prev;
    else
        l->tail = w->prev;
    w->next = w->prev = NULL;
    l->nwaiting--;
}

static uint64_t fair_hash(const char *key)
{
    uint64_t h = 1469598103934665603ull;   /* FNV-1a */
    for (const unsigned char *p = (const unsigned char *)key; *p; p++)
        h = (h ^ *p) * 1099511628211ull;
    return h ? h : 1;
}

/* The tag of a new waiter of who (NULL: the anonymous key, weight 1). */
static uint64_t fair_tag(mk_limiter *l, const mk_limit_who *who)
{
    const char *key = who && who->key ? who->key : "";
    int weight = who && who->weight > 0 ? who->weight : 1;
    uint64_t cost = FAIR_UNIT / (unsigned)(weight < (int)FAIR_UNIT ? weight : (int)FAIR_UNIT);
    uint64_t h = fair_hash(key);
    fair_key *hit = NULL, *spare = NULL;
    for (int i = 0; i < FAIR_KEYS; i++) {
        fair_key *f = &l->fair[(h + (uint64_t)i) % FAIR_KEYS];
        if (f->hash == h && strncmp(f->key, key, FAIR_KEY_LEN - 1) == 0) {
            hit = f;
            break;
        }
        if (!spare && (f->hash == 0 || f->last <= l->vtime))
            spare = f;
        if (f->hash == 0)
            break;
    }
    if (!hit && spare) {
        hit = spare;
        hit->hash = h;
        hit->last = 0;
        snprintf(hit->key, sizeof hit->key, "%s", key);
    }
    uint64_t start = l->vtime;
    if (hit && hit->last > start)
        start = hit->last;
    uint64_t tag = start + cost;
    if (hit)
        hit->last = tag;
    /* (Every key busy and the table full: the waiter is served as if its
     * key were new, which is fair enough and cannot happen with fewer than
     * FAIR_KEYS SOAP users.) */
    return tag;
}

/* Put w in tag order, after every waiter with a tag not above its own. */
/* Queue w in tag order; returns how many waiters are ahead of it. */
static int enqueue(mk_limiter *l, waiter *w, const mk_limit_who *who)
{
    w->tag = fair_tag(l, who);
    waiter *after = l->tail;
    int behind = 0;
    while (after && after->tag > w->tag) {
        after = after->prev;
        behind++;
    }
    w->prev = after;
    w->next = after ? after->next : l->head;
    if (w->next)
        w->next->prev = w;
    else
        l->tail = w;
    if (after)
        after->next = w;
    else
        l->head = w;
    return l->nwaiting++ - behind;
}

/* ---- lifecycle ------------------------------------------------------------- */

/* The limiter and its per-slot arrays (its lock and condition are the
 * caller's to destroy). */
static void free_slots(mk_limiter *l)
{
    free(l->slot_until);
    free(l->slot_seq);
    free(l->slot_shared);
    free(l->ring);
    free(l->freeq);
    free(l);
}

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
    /* As many calls as may be in flight at once go unpaced (a short job
     * is not slowed down); beyond that, pacing.  Every call of a burst is
     * paid back later in the same window (pace_gap), so under a saturated
     * budget a large burst only moves latency from the first callers to
     * the next ones: with half the window (the old default) a 1,000-client
     * syncLead run went 10 calls/s for 4 s, then 3 calls/s for 15 s, p99
     * 2.05 x p50; with 10, 1.39 x (issue 11, shim-bench.sh budget). */
    if (c.burst == 0)
        c.burst = c.max_concurrency < c.rate_limit ? c.max_concurrency : c.rate_limit;
    l->cfg = c;
    l->slot_until = calloc((size_t)c.rate_limit, sizeof *l->slot_until);
    l->slot_seq = calloc((size_t)c.rate_limit, sizeof *l->slot_seq);
    l->slot_shared = calloc((size_t)c.rate_limit, sizeof *l->slot_shared);
    l->ring = calloc((size_t)c.rate_limit, sizeof *l->ring);
    l->freeq = calloc((size_t)c.rate_limit, sizeof *l->freeq);
    if (!l->slot_until || !l->slot_seq || !l->slot_shared || !l->ring || !l->freeq) {
        free_slots(l);
        return -1;
    }
    for (int i = c.rate_limit - 1; i >= 0; i--)
        l->freeq[l->nfree++] = i;
    if (c.shared && c.shared->acquire && c.shared->release && c.shared->restore) {
        l->sh = c.shared;
        l->sh_mode = SH_SHARED;
    }
    pthread_mutex_init(&l->mu, NULL);
    l->rng = (uint64_t)mk_clock_real_ms() * 0x9e3779b97f4a7c15ULL ^ (uint64_t)(uintptr_t)l;
    if (!l->rng)
        l->rng = 88172645463325252ULL;
    /* Slot ids must not collide between replicas, nor with this process's
     * previous life (its leases may still be in the store). */
    snprintf(l->replica, sizeof l->replica, "%08" PRIx64 "%06x",
             (uint64_t)rnd_locked(l, 0, 0xffffffffLL), (unsigned)getpid() & 0xffffffu);
    l->day_end_unix_ms = mk_limiter_quota_day_end(mk_clock_real_ms());
    *out = l;
    return 0;
}

void mk_limiter_free(mk_limiter *l)
{
    if (!l)
        return;
    pthread_mutex_destroy(&l->mu);
    free_slots(l);
}

/* ---- the shared budget (mutex held on entry and exit) ------------------------------- */

static void slot_id(const mk_limiter *l, int i, char *buf, size_t len)
{
    snprintf(buf, len, "%s-%" PRIu64, l->replica, l->slot_seq[i]);
}

static void enter_local_share(mk_limiter *l, int64_t now)
{
    if (l->sh_mode != SH_LOCAL) {
        l->sh_mode = SH_LOCAL;
        l->sh_stall_until = now + l->cfg.rate_window_ms + l->cfg.window_margin_ms;
        l->st.shared_fallbacks++;
    }
    l->sh_retry_at = now + REJOIN_MS;
    wake_head(l);
}

static int64_t lease_for(int64_t now, int64_t deadline_ms)
{
    int64_t left = deadline_ms > now ? deadline_ms - now : 0;
    if (left > LEASE_MAX_MS)
        left = LEASE_MAX_MS;
    return left + LEASE_SLACK_MS;
}

/* Put this replica's live slots into the store (after an outage or when
 * the store lost its state); on success draw from the shared budget again.
 * The mutex is released for the round trip. */
static void rejoin(mk_limiter *l, int64_t now)
{
    int n = 0, cap = l->cfg.rate_limit;
    char (*ids)[SHARED_ID_LEN] = calloc((size_t)cap, sizeof *ids);
    mk_rest_shared_slot *slots = calloc((size_t)cap, sizeof *slots);
    int *index = calloc((size_t)cap, sizeof *index);
    uint64_t *seq = calloc((size_t)cap, sizeof *seq);
    int rc = -1;
    if (ids && slots && index && seq) {
        for (int i = 0; i < cap; i++) {
            if (l->slot_until[i] <= now)
                continue;
            slot_id(l, i, ids[n], sizeof ids[n]);
            slots[n].id = ids[n];
            slots[n].remaining_ms = l->slot_until[i] == SLOT_BUSY ? -1 : l->slot_until[i] - now;
            index[n] = i;
            seq[n] = l->slot_seq[i];
            n++;
        }
        l->sh_busy = 1;
        pthread_mutex_unlock(&l->mu);
        rc = l->sh->restore(l->sh->ctx, slots, (size_t)n,
                            l->cfg.rate_window_ms + l->cfg.window_margin_ms, LEASE_MAX_MS);
        pthread_mutex_lock(&l->mu);
        l->sh_busy = 0;
    }
    now = mk_clock_mono_ms();
    if (rc == 0) {
        /* In-flight slots are now in the store: their release must reach it. */
        for (int k = 0; k < n; k++)
            if (l->slot_until[index[k]] == SLOT_BUSY && l->slot_seq[index[k]] == seq[k])
                l->slot_shared[index[k]] = 1;
        l->st.shared_restores += (uint64_t)n;
        l->sh_mode = SH_SHARED;
        l->sh_need_restore = 0;
    } else {
        enter_local_share(l, now);
    }
    free(ids);
    free(slots);
    free(index);
    free(seq);
    wake_head(l);
}

/* Ask the store for the slot i the head has reserved.  Returns 1 admitted,
 * 0 refused for now (*wake, *why set), -1 unreachable (now on the local
 * share).  The mutex is released for the round trip. */
static int ask_shared(mk_limiter *l, int i, int64_t now, int64_t deadline_ms, int64_t *wake,
                      mk_limit_verdict *why)
{
    char id[SHARED_ID_LEN];
    slot_id(l, i, id, sizeof id);
    mk_rest_shared_ask ask = {
        .id = id,
        .replica = l->replica,
        .rate_limit = l->cfg.rate_limit,
        .rate_window_ms = l->cfg.rate_window_ms + l->cfg.window_margin_ms,
        .max_concurrency = l->cfg.max_concurrency,
        .daily_quota = l->cfg.daily_quota,
        .burst = l->cfg.burst > 0 ? l->cfg.burst : 0,
        .lease_ms = lease_for(now, deadline_ms),
        .quota_day = mk_limiter_quota_day(mk_clock_real_ms()),
    };
    int64_t retry = 0;
    int swhy = 0;
    uint64_t gen = 0;
    l->sh_busy = 1;
    pthread_mutex_unlock(&l->mu);
    int r = l->sh->acquire(l->sh->ctx, &ask, &retry, &swhy, &gen);
    pthread_mutex_lock(&l->mu);
    l->sh_busy = 0;
    now = mk_clock_mono_ms();
    if (r < 0) {
        enter_local_share(l, now);
        return -1;
    }
    if (gen && l->sh_gen && gen != l->sh_gen)
        l->sh_need_restore = 1;
    if (gen)
        l->sh_gen = gen;
    if (r == 1) {
        l->slot_shared[i] = 1;
        l->sh_wait_until = retry > 0 ? now + retry : 0;
        l->sh_wait_why = MK_LIMIT_RATE;
        return 1;
    }
    l->st.shared_waits++;
    *why = swhy == MK_SHARED_CONCURRENCY ? MK_LIMIT_CONCURRENCY
           : swhy == MK_SHARED_DAILY     ? MK_LIMIT_DAILY
                                         : MK_LIMIT_RATE;
    *wake = retry < 0 ? INT64_MAX : now + (retry > 0 ? retry : 1);
    if (*wake != INT64_MAX) {
        l->sh_wait_until = *wake;
        l->sh_wait_why = *why;
    }
    return 0;
}

/* ---- admission ---------------------------------------------------------------- */

mk_limit_verdict mk_limiter_acquire(mk_limiter *l, int64_t deadline_ms, mk_limit_slot *slot)
{
    return mk_limiter_acquire_as(l, deadline_ms, NULL, slot);
}

mk_limit_verdict mk_limiter_acquire_as(mk_limiter *l, int64_t deadline_ms,
                                       const mk_limit_who *who, mk_limit_slot *slot)
{
    memset(slot, 0, sizeof *slot);
    slot->index = -1;
    int64_t start = mk_clock_mono_ms();
    mk_limit_verdict v = MK_LIMIT_OK;
    waiter me = {0};
    int blocked = 0;  /* slept at least once */
    mk_clock_cond_init(&me.cv);

    pthread_mutex_lock(&l->mu);
    if (daily_blocked(l, mk_clock_real_ms())) {
        l->st.refused_daily++;
        pthread_mutex_unlock(&l->mu);
        pthread_cond_destroy(&me.cv);
        return MK_LIMIT_DAILY;
    }
    if (breaker_gate(l, start) < 0) {
        l->st.refused_down++;
        pthread_mutex_unlock(&l->mu);
        pthread_cond_destroy(&me.cv);
        return MK_LIMIT_DOWN;
    }
    int ahead = enqueue(l, &me, who);

    for (int first = 1;; first = 0) {
        int64_t now = mk_clock_mono_ms();
        if (daily_blocked(l, mk_clock_real_ms())) {
            v = MK_LIMIT_DAILY;
            break;
        }
        int gate = breaker_gate(l, now);
        if (gate < 0) {
            v = MK_LIMIT_DOWN;
            break;
        }
        /* The queue ahead already shows it cannot be let in before its
         * deadline: refused now rather than at the deadline.  (One that
         * could go now is let in, whatever its deadline: the REST client
         * answers a passed deadline itself.)  Estimated as it arrives, and
         * again whenever it wakes as the head (nobody ahead: O(1)), since
         * callers that fair queueing put ahead of it later can push it
         * past its deadline. */
        if (first || l->head == &me) {
            if (!first)
                ahead = 0;
            int64_t soonest = soonest_admission(l, ahead, now);
            if (soonest > now && soonest > deadline_ms) {
                slot->ahead = ahead;
                slot->soonest_ms = soonest - now;
                l->st.refused_early++;
                v = MK_LIMIT_RATE;
                break;
            }
        }
        /* One round trip to the store at a time: a head that fair queueing
         * put ahead of another one's round trip waits for it to end (the
         * asker wakes the head then). */
        int store_free = !l->sh_busy;
        if (l->head == &me && l->sh && store_free &&
            (l->sh_need_restore || (l->sh_mode == SH_LOCAL && now >= l->sh_retry_at))) {
            rejoin(l, now);
            continue;
        }
        int64_t wake = INT64_MAX;
        mk_limit_verdict why = blocked_by(l, now, &wake);
        if (l->head == &me && why == MK_LIMIT_OK && store_free) {
            int i = free_slot(l, now);
            l->nfree--;   /* taken off the free stack */
            /* Reserved before the shared store is asked, so that nothing
             * local can take it during the round trip. */
            l->slot_until[i] = SLOT_BUSY;
            l->slot_seq[i] = ++l->seq;
            l->slot_shared[i] = 0;
            l->in_flight++;
            uint64_t gen = l->wake_gen;
            int shared = l->sh && l->sh_mode == SH_SHARED
                             ? ask_shared(l, i, now, deadline_ms, &wake, &why)
                             : 1;
            if (shared != 1) {
                /* A wake-up meant for the head came while it asked the
                 * store with the mutex released (the breaker opened, a
                 * 607, a pause, a release): it was not waiting then, so it
                 * looks again instead of sleeping on the store's answer. */
                int missed = l->wake_gen != gen;
                slot_free(l, i);
                l->in_flight--;
                wake_head(l);
                if (shared < 0 || missed)
                    continue;  /* on the local share now, or news: look again */
                now = mk_clock_mono_ms();
                if (why == MK_LIMIT_DAILY && wake == INT64_MAX) {
                    v = MK_LIMIT_DAILY;
                    break;
                }
                goto wait;  /* the wake_head above reached any new head too */
            }
            if (l->head != &me)
                wake_head(l);  /* put ahead of me meanwhile, it waited for the store */
            l->last_admit = now;
            if (me.tag > l->vtime)
                l->vtime = me.tag;
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
    wait:
        if (local_share(l) && l->sh_retry_at < wake)
            wake = l->sh_retry_at;
        if (now >= deadline_ms) {
            v = why != MK_LIMIT_OK ? why : MK_LIMIT_RATE;
            break;
        }
        /* Only the head watches the clock; the others are woken when it
         * leaves the queue (and look again every NONHEAD_NAP_MS anyway, so
         * that no missed signal can hold one past a long deadline). */
        if (l->head != &me)
            wake = now + NONHEAD_NAP_MS;
        else if (!store_free && wake > now + STORE_BUSY_NAP_MS)
            wake = now + STORE_BUSY_NAP_MS;  /* a net, as for the others */
        if (wake > deadline_ms)
            wake = deadline_ms;
        struct timespec ts = mk_clock_ts(wake);  /* me.cv runs on CLOCK_MONOTONIC */
        blocked = 1;
        int rc = pthread_cond_timedwait(&me.cv, &l->mu, &ts);
        (void)rc; /* a timeout just means: look again */
        l->st.wakeups++;
    }
    /* After a head, the next in line may be admissible too (several free
     * slots); one that leaves from behind the head changes nothing for it.
     * Nobody signals me.cv once I am out of the queue. */
    int was_head = l->head == &me;
    dequeue(l, &me);
    if (was_head)
        wake_head(l);
    pthread_cond_destroy(&me.cv);

    int64_t waited = mk_clock_mono_ms() - start;
    slot->waited_ms = waited;
    switch (v) {
    case MK_LIMIT_OK:
        l->st.admitted++;
        /* "Waited" means the guard held it back, not that taking the lock
         * was slow on a loaded machine. */
        if (blocked) {
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

/* Every send pauses after a 606 or a 615: the base doubled per answer in a
 * row (up to `max`), drawn between half and all of it so replicas do not
 * resume in step.  Returns the pause. */
static int64_t pause_after(mk_limiter *l, int *streak, int64_t base, int64_t max, int64_t now,
                           mk_limit_verdict reason)
{
    int k = *streak < 16 ? *streak : 16;
    int64_t d = base << k;
    if (d > max)
        d = max;
    d = rnd_locked(l, d / 2, d);
    if (now + d > l->pause_until) {
        l->pause_until = now + d;
        l->pause_reason = reason;
    }
    (*streak)++;
    return d;
}


void mk_limiter_release(mk_limiter *l, const mk_limit_slot *slot, mk_limit_outcome outcome)
{
    if (!slot || slot->index < 0)
        return;
    pthread_mutex_lock(&l->mu);
    int64_t now = mk_clock_mono_ms();
    int counted = outcome != MK_LIMIT_UNCOUNTED && outcome != MK_LIMIT_NOT_SENT &&
                  outcome != MK_LIMIT_UNUSED;
    char id[SHARED_ID_LEN];
    int shared = l->sh && l->slot_shared[slot->index];
    int64_t pause_ms = 0, blocked_ms = 0;
    int pause_why = 0;
    if (shared)
        slot_id(l, slot->index, id, sizeof id);
    l->slot_shared[slot->index] = 0;
    if (counted)
        slot_into_window(l, slot->index, now + l->cfg.rate_window_ms + l->cfg.window_margin_ms);
    else
        slot_free(l, slot->index);
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
    case MK_LIMIT_UNUSED:
        break;   /* nothing was sent: nothing learnt */
    default:
        breaker_success(l);
        break;
    }
    switch (outcome) {
    case MK_LIMIT_606:
        l->st.answers_606++;
        pause_ms = pause_after(l, &l->streak_606, PAUSE_606_BASE_MS, l->cfg.rate_window_ms, now,
                               MK_LIMIT_RATE);
        pause_why = MK_SHARED_RATE;
        break;
    case MK_LIMIT_615:
        l->st.answers_615++;
        pause_ms = pause_after(l, &l->streak_615, PAUSE_615_BASE_MS, PAUSE_615_MAX_MS, now,
                               MK_LIMIT_CONCURRENCY);
        pause_why = MK_SHARED_CONCURRENCY;
        break;
    case MK_LIMIT_607: {
        l->st.answers_607++;
        int64_t wall = mk_clock_real_ms();
        roll_day(l, wall);
        int64_t until = wall + l->cfg.quota_recheck_ms;
        if (until > l->day_end_unix_ms)
            until = l->day_end_unix_ms;
        l->blocked_until_unix = until;
        blocked_ms = until - wall;
        break;
    }
    case MK_LIMIT_ANSWERED:
        l->streak_606 = l->streak_615 = 0;
        break;
    default:
        break;
    }
    long window = l->cfg.rate_window_ms + l->cfg.window_margin_ms;
    wake_head(l);
    pthread_mutex_unlock(&l->mu);
    /* A failed release leaves the slot to its lease: safe, only slower. */
    if (shared)
        (void)l->sh->release(l->sh->ctx, id, counted, window, pause_ms, pause_why, blocked_ms,
                             mk_limiter_quota_day(mk_clock_real_ms()));
}

void mk_limiter_note_transport(mk_limiter *l, int ok)
{
    pthread_mutex_lock(&l->mu);
    if (ok)
        breaker_success(l);
    else
        breaker_failure(l, mk_clock_mono_ms(), 0);
    wake_head(l);
    pthread_mutex_unlock(&l->mu);
}

int64_t mk_limiter_ready_in(mk_limiter *l)
{
    pthread_mutex_lock(&l->mu);
    int64_t now = mk_clock_mono_ms(), r;
    if (daily_blocked(l, mk_clock_real_ms()) || breaker_gate(l, now) < 0) {
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
    int64_t now = mk_clock_mono_ms();
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

int mk_limiter_free_concurrency(mk_limiter *l)
{
    pthread_mutex_lock(&l->mu);
    int n = eff_concurrency(l) - l->in_flight - l->nwaiting;
    pthread_mutex_unlock(&l->mu);
    return n;
}

void mk_limiter_stats_get(mk_limiter *l, mk_limiter_stats *out)
{
    pthread_mutex_lock(&l->mu);
    int64_t now = mk_clock_mono_ms(), wall = mk_clock_real_ms();
    *out = l->st;
    out->rate_limit = l->cfg.rate_limit;
    out->rate_window_ms = l->cfg.rate_window_ms;
    out->max_concurrency = l->cfg.max_concurrency;
    out->daily_quota = l->cfg.daily_quota;
    out->shared_mode = l->sh ? l->sh_mode : SH_OFF;
    snprintf(out->shared_replica, sizeof out->shared_replica, "%s", l->replica);
    out->effective_rate_limit = eff_rate(l);
    out->effective_max_concurrency = eff_concurrency(l);
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
