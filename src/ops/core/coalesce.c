/*
 * coalesce.c — merging concurrent Sync Leads and Get Leads requests into
 * shared REST calls (the rules are in coalesce.h).
 *
 * Data: a list of groups, one per (kind, client id, action/lookup/partition
 * or filter/fields).  A group has at most one open batch (still taking
 * members) and counts its batches in flight.  A batch is a list of members;
 * each member is one SOAP request's part, living on that request's stack.
 *
 * One member, the first, leads the batch: it waits until the batch should
 * go (leader_wait), takes its quota-guard slot without the lock (the batch
 * still open meanwhile), seals it, makes the REST call without the lock, and
 * writes every member's answer into its member struct.  The others sleep
 * each on its own lock and condition variable (co_member.wake), so waking
 * one wakes nobody else: a member is woken once, when its answer is written
 * or when it is to lead the next batch, and an answered member never takes
 * the coalescer's lock again.  Only the leader (and requests waiting for a
 * batch whose key clashes with theirs) sleep on the batch's condition
 * variable.  The batch is freed by whoever drops the last reference (its
 * leader, and those clash waiters).
 *
 * A batch finds a key among its values through a hash index (co_batch.slots)
 * rather than a scan: an open batch under a saturated budget holds many
 * hundreds of members.
 */
#include "ops/core/coalesce.h"

#include <ctype.h>
#include <inttypes.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "base/clock.h"
#include "ops/core/pager.h"
#include "rest/json.h"

#define DEFAULT_WAIT_MS 5
#define DEFAULT_MAX_HOLD_MS 200
#define DEFAULT_MAX_RECORDS MK_REST_BATCH_MAX
#define DEFAULT_MAX_BODY 900000
#define DEFAULT_SEND_RESERVE_MS 2000
#define BUSY_MEMORY_MS 1000   /* a kind stays "busy" this long after a shared batch */
#define RETURN_WAITS 3        /* wait_ms periods granted to the previous batch's callers */
#define GET_MAX_VALUES MK_REST_BATCH_MAX
#define GET_PAGE_SIZE MK_REST_BATCH_MAX_TEXT
#define VALUE_MAX 255

typedef enum co_kind { CO_SYNC = 0, CO_GET = 1 } co_kind;

typedef mk_coalesce_counters co_counters;

const int mk_coalesce_size_bounds[MK_COALESCE_SIZE_BOUNDS] = {1, 2, 5, 10, 25, 50, 100, 200, 300};

typedef struct co_member co_member;
typedef struct co_batch *co_batch_ptr;
struct co_member {
    co_member *next;
    /* what the request brings */
    const cJSON *input;     /* sync: its records */
    int nrec;               /* sync: records; get: 1 */
    size_t bytes;
    int value;              /* get: index of its value in the batch */
    int max_results;
    int64_t deadline;
    int64_t joined_at;
    char **keys;            /* sync: its lookup values (lower-cased, owned by its caller) */
    int nkeys;
    const char *vkey;       /* get: its value as it goes into filterValues (caller's) */
    const char *user;       /* the SOAP user: batches are shared fairly between users */
    int weight;
    co_batch_ptr batch;     /* the batch it is in now (woken before done: it leads it) */
    int picked;             /* scratch while the leader chooses who goes */
    co_member *vnext;       /* get: scratch, the next member with the same value */
    int nleads;             /* get: leads given to it so far */
    /* its own wake-up: woken set once, under mu, by whoever ends its wait */
    struct {
        pthread_mutex_t mu;
        pthread_cond_t cv;
        int woken;
    } wake;
    /* what it gets back (written by the leader) */
    int done;
    int solo;               /* the batch failed in a way it may not have caused */
    int offset;             /* sync: index of its first record in the call */
    mk_rest_status st;
    mk_rest_result res;
    cJSON *leads;           /* get */
    mk_coalesce_cost cost;
};

typedef struct co_group co_group;

typedef struct co_batch {
    co_group *g;
    co_member *head, *tail;
    int nmembers, nrec;
    size_t bytes;
    char **keys;            /* sync: lower-cased lookup values; get: values as sent;
                               borrowed from the members */
    int nkeys, capkeys;
    int *slots;             /* hash index over keys (case folded): key index + 1, 0 free */
    int nslots;             /* 0, or a power of two over twice nkeys */
    int64_t opened_at, last_join, min_deadline;
    int sealed, done;
    int refs;               /* its leader, and clash waiters */
    int reserving;          /* the leader waits in the quota guard (batch still open) */
    mk_rest_reservation rv; /* the guard's slot for the first send */
    mk_rest_status rv_st;   /* not OK: the guard refused; rv_res says why */
    mk_rest_result rv_res;
    mk_rest_cred cred;      /* the leader's; every member has the same client id */
    mk_rest_caller caller;  /* whom its calls wait as in the quota guard: the leader's user */
    char caller_key[64];
    pthread_cond_t cv;      /* its leader's and clash waiters' wait */
} co_batch;

struct co_group {
    co_group *next;
    co_kind kind;
    char *client_id;
    char *p1, *p2, *p3;     /* sync: action, lookup, partition; get: filter, fields */
    co_batch *open;
    int inflight;
    int64_t last_done_at;
    int last_members;
};

struct mk_coalescer {
    mk_rest_client *rest;
    mk_coalesce_config cfg;
    int unpaced;            /* the rate budget is effectively unlimited */
    pthread_mutex_t mu;
    co_group *groups;
    co_counters n[2];
    atomic_ullong wakeups[2]; /* n[].wakeups, counted without mu */
};

/* ---- small helpers ---------------------------------------------------------- */

static int same(const char *a, const char *b)
{
    if (!a || !b)
        return a == b;
    return strcmp(a, b) == 0;
}

static char *dup_or_null(const char *s, int *oom)
{
    if (!s)
        return NULL;
    char *d = strdup(s);
    if (!d)
        *oom = 1;
    return d;
}

static void wait_until(pthread_cond_t *cv, pthread_mutex_t *mu, int64_t when)
{
    struct timespec ts = mk_clock_ts(when);
    pthread_cond_timedwait(cv, mu, &ts);
}

static int64_t min64(int64_t a, int64_t b)
{
    return a < b ? a : b;
}

/* Did the failure of a shared call possibly come from one member's data? */
static int blames_records(mk_rest_status st, const mk_rest_result *r)
{
    if (st == MK_REST_ERR_HTTP)
        return r->http_status == 400 || r->http_status == 413 || r->http_status == 414;
    if (st != MK_REST_ERR_API || r->limited)
        return 0;
    int c = r->error_code;
    if (c == 609)
        return 1;                        /* invalid JSON: a record's text */
    if (c >= 700 && c < 800)
        return c != 713;                 /* blank/invalid values; 713 is transient */
    return c >= 1000;                    /* 1003 invalid data, too many matches ... */
}

/* The request id, success, counters of r, without its body. */
static void copy_outline(mk_rest_result *dst, const mk_rest_result *r)
{
    memset(dst, 0, sizeof *dst);
    dst->http_status = r->http_status;
    dst->success = r->success;
    dst->error_code = r->error_code;
    memcpy(dst->error_message, r->error_message, sizeof dst->error_message);
    memcpy(dst->request_id, r->request_id, sizeof dst->request_id);
    dst->attempts = r->attempts;
    dst->method_override = r->method_override;
    dst->retries = r->retries;
    dst->limiter_wait_ms = r->limiter_wait_ms;
    dst->backoff_ms = r->backoff_ms;
    dst->limited = r->limited;
}

/* ---- a member's own wait ------------------------------------------------------- */

static void member_init(co_member *m)
{
    pthread_mutex_init(&m->wake.mu, NULL);
    pthread_cond_init(&m->wake.cv, NULL);
    m->wake.woken = 0;
}

static void member_fini(co_member *m)
{
    pthread_cond_destroy(&m->wake.cv);
    pthread_mutex_destroy(&m->wake.mu);
}

/* End m's wait: its answer is written (done), or it leads the batch it was
 * moved to (lead).  m may be gone as soon as this returns. */
static void member_wake(co_member *m)
{
    pthread_mutex_lock(&m->wake.mu);
    m->wake.woken = 1;
    pthread_cond_signal(&m->wake.cv);
    pthread_mutex_unlock(&m->wake.mu);
}

/* Sleep (without the coalescer's lock) until member_wake(m).  Every return
 * from the wait is counted, so the statistics show a member woken for
 * nothing. */
static void member_sleep(atomic_ullong *wakeups, co_member *m)
{
    pthread_mutex_lock(&m->wake.mu);
    while (!m->wake.woken) {
        pthread_cond_wait(&m->wake.cv, &m->wake.mu);
        atomic_fetch_add_explicit(wakeups, 1, memory_order_relaxed);
    }
    m->wake.woken = 0;
    pthread_mutex_unlock(&m->wake.mu);
}

/* ---- lifecycle ------------------------------------------------------------------ */

int mk_coalescer_new(mk_rest_client *rest, const mk_coalesce_config *cfg, mk_coalescer **out)
{
    *out = NULL;
    mk_coalescer *co = calloc(1, sizeof *co);
    if (!co)
        return -1;
    co->rest = rest;
    co->cfg = cfg ? *cfg : (mk_coalesce_config){0};
    if (co->cfg.wait_ms == 0)
        co->cfg.wait_ms = DEFAULT_WAIT_MS;
    else if (co->cfg.wait_ms < 0)
        co->cfg.wait_ms = 0;
    if (co->cfg.max_hold_ms <= 0)
        co->cfg.max_hold_ms = DEFAULT_MAX_HOLD_MS;
    if (co->cfg.max_records <= 0 || co->cfg.max_records > DEFAULT_MAX_RECORDS)
        co->cfg.max_records = DEFAULT_MAX_RECORDS;
    if (co->cfg.max_body_bytes == 0)
        co->cfg.max_body_bytes = DEFAULT_MAX_BODY;
    if (co->cfg.send_reserve_ms <= 0)
        co->cfg.send_reserve_ms = DEFAULT_SEND_RESERVE_MS;
    co->unpaced = mk_rest_pace_ms(rest) == 0;
    pthread_mutex_init(&co->mu, NULL);
    *out = co;
    return 0;
}

void mk_coalescer_free(mk_coalescer *co)
{
    if (!co)
        return;
    co_group *g = co->groups;
    while (g) {
        co_group *next = g->next;
        free(g->client_id);
        free(g->p1);
        free(g->p2);
        free(g->p3);
        free(g);
        g = next;
    }
    pthread_mutex_destroy(&co->mu);
    free(co);
}

/* ---- groups and batches (co->mu held) -------------------------------------------- */

static co_group *find_group(mk_coalescer *co, co_kind kind, const char *client_id,
                            const char *p1, const char *p2, const char *p3)
{
    for (co_group *g = co->groups; g; g = g->next)
        if (g->kind == kind && same(g->client_id, client_id) && same(g->p1, p1) &&
            same(g->p2, p2) && same(g->p3, p3))
            return g;
    co_group *g = calloc(1, sizeof *g);
    if (!g)
        return NULL;
    int oom = 0;
    g->kind = kind;
    g->client_id = dup_or_null(client_id, &oom);
    g->p1 = dup_or_null(p1, &oom);
    g->p2 = dup_or_null(p2, &oom);
    g->p3 = dup_or_null(p3, &oom);
    if (oom) {
        free(g->client_id);
        free(g->p1);
        free(g->p2);
        free(g->p3);
        free(g);
        return NULL;
    }
    g->next = co->groups;
    co->groups = g;
    return g;
}

static co_batch *batch_new(co_group *g, const mk_rest_cred *cred)
{
    co_batch *b = calloc(1, sizeof *b);
    if (!b)
        return NULL;
    b->g = g;
    b->cred = *cred;
    b->opened_at = mk_rest_now_ms();
    b->min_deadline = INT64_MAX;
    mk_clock_cond_init(&b->cv);
    return b;
}

static void batch_unref(co_batch *b)
{
    if (--b->refs > 0)
        return;
    free(b->keys);
    free(b->slots);
    mk_rest_result_free(&b->rv_res);
    pthread_cond_destroy(&b->cv);
    free(b);
}

/* ---- the batch's key index -------------------------------------------------------- */

/* Keys are hashed case folded, so one probe sequence finds a value as
 * sent, the same value in another case (an email REST matches without
 * case), or both. */
static uint32_t key_hash(const char *s)
{
    uint32_t h = 2166136261u;
    for (; *s; s++) {
        h ^= (uint32_t)tolower((unsigned char)*s);
        h *= 16777619u;
    }
    return h;
}

typedef enum key_match {
    KEY_SAME,        /* the same text */
    KEY_NOCASE,      /* the same text but for case */
    KEY_CASE_ONLY    /* the same text in another case, not the same */
} key_match;

static int key_matches(const char *k, const char *v, key_match how)
{
    switch (how) {
    case KEY_SAME:
        return strcmp(k, v) == 0;
    case KEY_NOCASE:
        return strcasecmp(k, v) == 0;
    case KEY_CASE_ONLY:
        return strcasecmp(k, v) == 0 && strcmp(k, v) != 0;
    }
    return 0;
}

/* The index of the first key matching v, -1 if none. */
static int key_find(const co_batch *b, const char *v, key_match how)
{
    if (!b->nslots)
        return -1;
    uint32_t mask = (uint32_t)b->nslots - 1;
    for (uint32_t p = key_hash(v) & mask; b->slots[p]; p = (p + 1) & mask) {
        int k = b->slots[p] - 1;
        if (key_matches(b->keys[k], v, how))
            return k;
    }
    return -1;
}

static void key_slot(co_batch *b, int k)
{
    uint32_t mask = (uint32_t)b->nslots - 1, p = key_hash(b->keys[k]) & mask;
    while (b->slots[p])
        p = (p + 1) & mask;
    b->slots[p] = k + 1;
}

/* Room in the index for n keys: at most half its slots used. */
static int key_room(co_batch *b, int n)
{
    if (n <= 0 || n * 2 < b->nslots)
        return 0;
    int ns = 64;
    while (ns <= n * 2)
        ns *= 2;
    int *sl = calloc((size_t)ns, sizeof *sl);
    if (!sl)
        return -1;
    free(b->slots);
    b->slots = sl;
    b->nslots = ns;
    for (int k = 0; k < b->nkeys; k++)
        key_slot(b, k);
    return 0;
}

static int batch_add_key(co_batch *b, char *key)
{
    if (b->nkeys == b->capkeys) {
        int cap = b->capkeys ? b->capkeys * 2 : 16;
        char **k = realloc(b->keys, (size_t)cap * sizeof *k);
        if (!k)
            return -1;
        b->keys = k;
        b->capkeys = cap;
    }
    if (key_room(b, b->nkeys + 1) != 0)
        return -1;
    b->keys[b->nkeys] = key;
    key_slot(b, b->nkeys++);
    return 0;
}

/* Forget every key (the arrays stay for the keys linked again). */
static void keys_clear(co_batch *b)
{
    b->nkeys = 0;
    if (b->slots)
        memset(b->slots, 0, (size_t)b->nslots * sizeof *b->slots);
}

static void seal(co_batch *b)
{
    b->sealed = 1;
    if (b->g->open == b)
        b->g->open = NULL;
    pthread_cond_broadcast(&b->cv);
}

/* Put m at the end of b's list with its keys (get: its value's index).
 * Returns -1 (out of memory) with nothing changed but possibly keys. */
static int link_member(co_batch *b, co_member *m)
{
    int had = b->nkeys;
    if (m->vkey) {
        int k = key_find(b, m->vkey, KEY_SAME);
        if (k < 0) {
            if (batch_add_key(b, (char *)m->vkey) != 0)
                return -1;
            k = b->nkeys - 1;
        }
        m->value = k;
    }
    for (int i = 0; m->keys && i < m->nkeys; i++)
        if (m->keys[i] && batch_add_key(b, m->keys[i]) != 0) {
            /* none of m's keys may outlive it here */
            keys_clear(b);
            for (int k = 0; k < had; k++)
                (void)batch_add_key(b, b->keys[k]); /* the room is there */
            return -1;
        }
    m->next = NULL;
    if (b->tail)
        b->tail->next = m;
    else
        b->head = m;
    b->tail = m;
    m->offset = b->nrec;
    m->batch = b;
    b->nmembers++;
    b->nrec += m->nrec;
    b->bytes += m->bytes;
    if (m->deadline < b->min_deadline)
        b->min_deadline = m->deadline;
    return 0;
}

static int batch_append(co_batch *b, co_member *m)
{
    if (link_member(b, m) != 0)
        return -1;
    m->joined_at = mk_rest_now_ms();
    b->last_join = m->joined_at;
    return 0;
}

/* Make list (linked through next) b's members, keys and counts.  Keys are
 * the members', so this cannot fail for lack of memory: the array only
 * shrinks. */
static void relink(co_batch *b, co_member *list)
{
    b->head = b->tail = NULL;
    b->nmembers = b->nrec = 0;
    b->bytes = 0;
    keys_clear(b);
    b->min_deadline = INT64_MAX;
    while (list) {
        co_member *next = list->next;
        (void)link_member(b, list);
        list = next;
    }
}

/* Wait (co->mu held) until clashing batch b is finished, then drop it.
 * The wait ends at the waiting request's own deadline, not at the clashing
 * batch's: returns 0, or -1 when the deadline came first. */
static int wait_clash(mk_coalescer *co, co_batch *b, co_kind kind, int64_t deadline)
{
    co->n[kind].clash_waits++;
    b->refs++;
    while (!b->done && mk_rest_now_ms() < deadline)
        wait_until(&b->cv, &co->mu, deadline);
    int done = b->done;
    batch_unref(b);
    return done ? 0 : -1;
}

/* The answer of a request whose deadline passed while it waited. */
static mk_rest_status clash_timeout(mk_rest_result *out)
{
    snprintf(out->error_message, sizeof out->error_message,
             "request deadline passed while an earlier batch with the same key was in flight");
    return MK_REST_ERR_TIMEOUT;
}

/* ---- who goes: fair shares between SOAP users ---------------------------------------- */

static int batch_full(const mk_coalescer *co, const co_batch *b)
{
    return b->nrec >= co->cfg.max_records || b->bytes >= co->cfg.max_body_bytes ||
           (b->g->kind == CO_GET && b->nkeys >= GET_MAX_VALUES);
}

/* Room for n keys, in the array and in the index, so that linking them
 * cannot fail. */
static int reserve_keys(co_batch *b, int n)
{
    if (n > b->capkeys) {
        char **k = realloc(b->keys, (size_t)n * sizeof *k);
        if (!k)
            return -1;
        b->keys = k;
        b->capkeys = n;
    }
    return key_room(b, n);
}

typedef struct co_share {
    const char *user;
    int weight;
    co_member *next;        /* its earliest member not yet considered */
    int stuck;              /* nothing more of it fits (or it has no more) */
} co_share;

/* Mark (m->picked) the members of b that go in its call: the open batch
 * takes everyone who comes while its leader waits for the quota guard, so
 * it can hold more than one call carries.  Users take turns, each taking
 * as many members per turn as its weight, each in its own arrival order,
 * until nothing more fits: a user with few requests waiting gets them all
 * in, a busy one gets the rest.  Returns the number of members left out. */
static int pick_members(const mk_coalescer *co, co_batch *b)
{
    int n = 0, left = 0;
    for (co_member *m = b->head; m; m = m->next) {
        m->picked = 0;
        n++;
    }
    co_share *sh = calloc((size_t)n, sizeof *sh);
    char *vpicked = b->g->kind == CO_GET ? calloc((size_t)b->nkeys + 1, 1) : NULL;
    int nsh = 0, recs = 0, values = 0;
    size_t bytes = 0;
    if (!sh || (b->g->kind == CO_GET && !vpicked)) {
        /* No memory to be fair: arrival order. */
        for (co_member *m = b->head; m; m = m->next) {
            m->picked = m == b->head || (recs + m->nrec <= co->cfg.max_records &&
                                         bytes + m->bytes <= co->cfg.max_body_bytes && !left);
            if (m->picked) {
                recs += m->nrec;
                bytes += m->bytes;
            } else {
                left++;
            }
        }
        if (b->g->kind == CO_GET)
            left = n - (n < GET_MAX_VALUES ? n : GET_MAX_VALUES); /* one value each at worst */
        free(sh);
        free(vpicked);
        return left;
    }
    for (co_member *m = b->head; m; m = m->next) {
        int i = 0;
        while (i < nsh && !(sh[i].user == m->user ||
                            (sh[i].user && m->user && strcmp(sh[i].user, m->user) == 0)))
            i++;
        if (i == nsh) {
            sh[nsh].user = m->user;
            sh[nsh].weight = m->weight > 0 ? m->weight : 1;
            sh[nsh].next = m;
            nsh++;
        }
    }
    for (int progress = 1; progress;) {
        progress = 0;
        for (int i = 0; i < nsh; i++) {
            for (int t = 0; t < sh[i].weight && !sh[i].stuck; t++) {
                co_member *m = sh[i].next;
                while (m && !(m->user == sh[i].user ||
                              (m->user && sh[i].user && strcmp(m->user, sh[i].user) == 0)))
                    m = m->next;
                if (!m) {
                    sh[i].stuck = 1;
                    break;
                }
                int fits;
                if (b->g->kind == CO_GET)
                    fits = vpicked[m->value] || values < GET_MAX_VALUES;
                else
                    fits = recs + m->nrec <= co->cfg.max_records &&
                           bytes + m->bytes <= co->cfg.max_body_bytes;
                if (!fits) {
                    sh[i].stuck = 1; /* later ones must not overtake it */
                    break;
                }
                m->picked = 1;
                if (vpicked && !vpicked[m->value]) {
                    vpicked[m->value] = 1;
                    values++;
                }
                recs += m->nrec;
                bytes += m->bytes;
                sh[i].next = m->next;
                progress = 1;
            }
        }
    }
    for (co_member *m = b->head; m; m = m->next)
        left += !m->picked;
    free(sh);
    free(vpicked);
    return left;
}

/* The answer of a member that cannot be served before its deadline. */
static void refuse_late(co_member *m, int ahead, int64_t wait_ms)
{
    memset(&m->res, 0, sizeof m->res);
    m->st = MK_REST_ERR_API;
    m->res.error_code = 606;
    m->res.limited = 1;
    m->res.success = 0;
    snprintf(m->res.error_message, sizeof m->res.error_message,
             "the shim's REST quota guard cannot send this request before its deadline: %d "
             "requests are queued ahead of it (about %lld ms at the budget's pace)",
             ahead, (long long)wait_ms);
    m->done = 1;
}

/* The leader got its slot: b's call carries the picked members; the others
 * move, in arrival order, to a new open batch that the earliest of them
 * leads.  One that the queue ahead shows cannot be sent before its
 * deadline is answered now instead of at the deadline.  co->mu held. */
static void split_batch(mk_coalescer *co, co_batch *b)
{
    if (!b->head || pick_members(co, b) == 0)
        return;
    co_group *g = b->g;
    co_member *in = NULL, **in_t = &in, *out = NULL, **out_t = &out;
    int nout = 0, nkeys_out = 0;
    for (co_member *m = b->head, *next; m; m = next) {
        next = m->next;
        m->next = NULL;
        if (m->picked) {
            *in_t = m;
            in_t = &m->next;
        } else {
            *out_t = m;
            out_t = &m->next;
            nout++;
            nkeys_out += m->vkey ? 1 : m->nkeys;
        }
    }
    relink(b, in);
    co_batch *b2 = batch_new(g, &b->cred);
    if (b2 && reserve_keys(b2, nkeys_out) != 0) {
        batch_unref(b2);
        b2 = NULL;
    }
    int64_t now = mk_rest_now_ms(), pace = mk_rest_pace_ms(co->rest);
    int per_call = g->kind == CO_GET ? GET_MAX_VALUES : co->cfg.max_records;
    int ahead = 0;
    co_member *keep = NULL, **keep_t = &keep;
    for (co_member *m = out, *next; m; m = next) {
        next = m->next;
        m->next = NULL;
        int64_t wait = (int64_t)(1 + ahead / per_call) * pace;
        if (!b2) {
            memset(&m->res, 0, sizeof m->res);
            m->st = MK_REST_ERR_NOMEM;
            snprintf(m->res.error_message, sizeof m->res.error_message, "out of memory");
            m->done = 1;
            member_wake(m);
        } else if (now + wait > m->deadline) {
            refuse_late(m, ahead, wait);
            co->n[g->kind].refused_late++;
            member_wake(m);
        } else {
            *keep_t = m;
            keep_t = &m->next;
            ahead += m->nrec;
            co->n[g->kind].moved++;
        }
    }
    if (b2) {
        relink(b2, keep); /* the others sleep on; their batch is b2 now */
        if (b2->head) {
            b2->refs = 1;  /* its new leader's */
            b2->last_join = now;
            seal(b);
            g->open = b2;
            member_wake(b2->head); /* not done: it leads b2 */
        } else {
            batch_unref(b2);   /* everyone left out was refused */
        }
    }
}

/* ---- when to send ------------------------------------------------------------------ */

/* Limits off (or raised far beyond Marketo's) and a concurrency slot free:
 * sharing a call would save nothing the budget needs, and would cost a
 * hand-off between threads (the leader wakes its members), a lock and a
 * copy of every lead, so the request makes its own call on its own thread.
 * Once the calls in flight reach max_concurrency, requests are shared
 * again: one call then carries what would otherwise queue. */
static int send_now(mk_coalescer *co)
{
    return co->unpaced && mk_rest_free_concurrency(co->rest) > 0;
}

/* The leader waits (co->mu held) until batch b should be sent, then seals it. */
static void leader_wait(mk_coalescer *co, co_batch *b)
{
    co_group *g = b->g;
    /* With a budget too large to pace (limits off, or raised far beyond
     * Marketo's), lingering and waiting for the call in flight only add
     * latency and serialise the calls: go now, concurrently with it. */
    while (!co->unpaced && !b->sealed && !batch_full(co, b)) {
        int64_t now = mk_rest_now_ms();
        int64_t latest = b->min_deadline - co->cfg.send_reserve_ms;
        if (now >= latest)
            break;
        int64_t hold_end = b->opened_at + co->cfg.max_hold_ms;
        int busy = b->nmembers > 1 || g->inflight > 0 ||
                   (g->last_members > 1 && now - g->last_done_at < BUSY_MEMORY_MS);
        int64_t wake;
        if (g->inflight > 0 && now < hold_end) {
            wake = hold_end; /* or earlier, when the batch in flight comes back */
        } else {
            /* Linger while companions keep coming: until wait_ms passed
             * without a new member (counted from the previous batch's
             * return too, so its callers can come back), at most until
             * hold_end. */
            int64_t since = b->last_join > g->last_done_at ? b->last_join : g->last_done_at;
            int64_t linger_end = since + co->cfg.wait_ms;
            /* Legacy clients call again as soon as they are answered: give
             * the previous batch's callers a little longer to come back, as
             * long as fewer new requests than it had have arrived. */
            int back = 0;
            for (co_member *m = b->head; m; m = m->next)
                back += m->joined_at >= g->last_done_at;
            int cycle = g->last_members > 1 && now - g->last_done_at < BUSY_MEMORY_MS;
            if (cycle && back >= g->last_members)
                linger_end = now; /* they are all back: nobody else is coming soon */
            else if (cycle && g->last_done_at + RETURN_WAITS * co->cfg.wait_ms > linger_end)
                linger_end = g->last_done_at + RETURN_WAITS * co->cfg.wait_ms;
            linger_end = busy ? min64(linger_end, hold_end) : now;
            if (now >= linger_end)
                break;
            wake = linger_end;
        }
        wait_until(&b->cv, &co->mu, min64(wake, latest));
    }
    /* Take the quota guard's slot before sealing: for as long as the guard
     * makes the call wait, the batch stays open and keeps taking members
     * (until full), so a call made under a saturated budget carries as
     * much as it may.  The coalescer's lock is not held meanwhile. */
    b->reserving = 1;
    int64_t deadline = b->min_deadline;
    /* The batch's calls wait as its first member's user (the leader's):
     * copied, as members may leave while the lock is released. */
    snprintf(b->caller_key, sizeof b->caller_key, "%s",
             b->head && b->head->user ? b->head->user : "");
    b->caller = (mk_rest_caller){b->caller_key, b->head ? b->head->weight : 1};
    pthread_mutex_unlock(&co->mu);
    mk_rest_status st = mk_rest_reserve(co->rest, deadline, &b->caller, &b->rv, &b->rv_res);
    pthread_mutex_lock(&co->mu);
    b->reserving = 0;
    b->rv_st = st;
    split_batch(co, b);
    seal(b);
}

/* ---- Sync Leads ---------------------------------------------------------------------- */

static int is_idempotent_sync(const char *action)
{
    return strcmp(action, "createDuplicate") != 0 && strcmp(action, "createOnly") != 0;
}

static cJSON *sync_body(const char *action, const char *lookup, const char *partition)
{
    cJSON *body = cJSON_CreateObject();
    if (!body)
        return NULL;
    cJSON_AddStringToObject(body, "action", action);
    /* REST refuses lookupField with createDuplicate, and a partition with updateOnly. */
    if (strcmp(action, "createDuplicate") != 0 && lookup)
        cJSON_AddStringToObject(body, "lookupField", lookup);
    if (partition && strcmp(action, "updateOnly") != 0)
        cJSON_AddStringToObject(body, "partitionName", partition);
    return body;
}

/* Sync with a lookup key may be repeated after an unclear failure (the
 * same record lands on the same lead); createDuplicate would add another
 * lead, and createOnly would answer 1005 for the lead it created itself. */
static mk_rest_status sync_call(mk_coalescer *co, const mk_rest_cred *cred,
                                const mk_rest_caller *caller, const char *action, cJSON *body,
                                int64_t deadline, mk_rest_reservation *rv, mk_rest_result *res)
{
    mk_rest_req rr = {.ep = MK_EP_LEADS_SYNC, .json = body, .caller = caller,
                      .deadline_ms = deadline, .reservation = rv,
                      .idempotent = is_idempotent_sync(action) ? MK_REST_IDEMPOTENT
                                                               : MK_REST_NOT_IDEMPOTENT};
    return mk_rest_call(co->rest, cred, &rr, res);
}

static mk_rest_status sync_alone(mk_coalescer *co, const mk_rest_cred *cred,
                                 const mk_rest_caller *caller, const char *action,
                                 const char *lookup, const char *partition, const cJSON *input,
                                 int64_t deadline, mk_rest_result *out, mk_coalesce_cost *cost)
{
    cJSON *body = sync_body(action, lookup, partition);
    if (!body || !cJSON_AddItemReferenceToObject(body, "input", (cJSON *)input)) {
        cJSON_Delete(body);
        memset(out, 0, sizeof *out);
        snprintf(out->error_message, sizeof out->error_message, "out of memory");
        return MK_REST_ERR_NOMEM;
    }
    mk_rest_status st = sync_call(co, cred, caller, action, body, deadline, NULL, out);
    cJSON_Delete(body);
    cost->rest_calls += out->attempts;
    cost->retries += out->retries;
    cost->limiter_wait_ms += out->limiter_wait_ms;
    return st;
}

/* The lower-cased text of each record's lookup value (NULL when none). */
static char **sync_keys(const cJSON *input, const char *lookup, int n)
{
    char **keys = calloc((size_t)n + 1, sizeof *keys);
    if (!keys)
        return NULL;
    int i = 0;
    const cJSON *rec;
    cJSON_ArrayForEach(rec, input) {
        const cJSON *v = cJSON_GetObjectItemCaseSensitive(rec, lookup);
        char *k = NULL;
        if (cJSON_IsString(v))
            k = strdup(v->valuestring);
        else if (cJSON_IsNumber(v) || cJSON_IsRaw(v))
            k = cJSON_PrintUnformatted(v);
        if (k)
            for (char *p = k; *p; p++)
                *p = (char)tolower((unsigned char)*p);
        keys[i++] = k;
    }
    return keys;
}

static int keys_clash(const co_batch *b, char **keys, int n)
{
    for (int i = 0; i < n; i++)
        if (keys[i] && key_find(b, keys[i], KEY_SAME) >= 0)
            return 1;
    return 0;
}

static void free_keys(char **keys, int n)
{
    if (!keys)
        return;
    for (int i = 0; i < n; i++)
        free(keys[i]);
    free(keys);
}

/* Give every member its slice of the shared answer (co->mu held). */

/* A shared call runs until its earliest member's deadline, so each member
 * is answered by its own.  One whose deadline is later than the moment the
 * call was cut has time left: it redoes its part alone within its own
 * deadline rather than inherit another member's (unless repeating it could
 * write twice: createOnly / createDuplicate). */
static int outlived(const co_batch *b, const co_member *m, mk_rest_status st)
{
    if (st != MK_REST_ERR_TIMEOUT || m->deadline <= b->min_deadline)
        return 0;
    if (b->g->kind == CO_SYNC && !is_idempotent_sync(b->g->p1))
        return 0;
    return m->deadline - mk_rest_now_ms() > 100;
}

static void distribute_sync(co_batch *b, mk_rest_status st, const mk_rest_result *res)
{
    const cJSON *result = cJSON_GetObjectItemCaseSensitive(res->json, "result");
    int blame = b->nmembers > 1 && blames_records(st, res);
    for (co_member *m = b->head; m; m = m->next) {
        copy_outline(&m->res, res);
        m->st = st;
        if (st != MK_REST_OK) {
            m->solo = blame || outlived(b, m, st);
            continue;
        }
        /* Its slice of the answer; a record that cannot be copied makes
         * its answer "out of memory", never a shorter list. */
        cJSON *obj = cJSON_CreateObject();
        cJSON *arr = cJSON_CreateArray();
        int ok = obj && arr && cJSON_AddStringToObject(obj, "requestId", res->request_id) &&
                 cJSON_AddTrueToObject(obj, "success");
        const cJSON *it = cJSON_GetArrayItem(result, m->offset);
        for (int i = 0; ok && it && i < m->nrec; i++, it = it->next) {
            cJSON *copy = cJSON_Duplicate(it, 1);
            ok = copy && cJSON_AddItemToArray(arr, copy);
            if (!ok)
                cJSON_Delete(copy);
        }
        if (ok && cJSON_AddItemToObject(obj, "result", arr)) {
            m->res.json = obj;
        } else {
            cJSON_Delete(obj);
            cJSON_Delete(arr);
            m->st = MK_REST_ERR_NOMEM;
            snprintf(m->res.error_message, sizeof m->res.error_message, "out of memory");
        }
    }
}

/* ---- Get Leads by filter ---------------------------------------------------------------- */

/* How the pager (pager.h) sends a Get Leads page here: straight to the
 * REST client within the batch's deadline, the first page on the batch's
 * quota reservation, every send's cost summed for the members. */
typedef struct co_pages {
    mk_coalescer *co;
    const mk_rest_cred *cred;
    const mk_rest_caller *caller;
    int64_t deadline;
    mk_rest_reservation *rv;
    mk_coalesce_cost *sum;
} co_pages;

static int send_get_page(void *ctx, const mk_rest_req *rr, mk_rest_result *res)
{
    co_pages *c = ctx;
    mk_rest_req req = *rr;
    req.deadline_ms = c->deadline;
    req.caller = c->caller;
    req.reservation = c->rv;
    c->rv = NULL;   /* later pages wait for their own slot */
    mk_rest_status st = mk_rest_call(c->co->rest, c->cred, &req, res);
    c->sum->rest_calls += res->attempts;
    c->sum->retries += res->retries;
    c->sum->limiter_wait_ms += res->limiter_wait_ms;
    return (int)st;
}

/* Follow the pages of one filter query; append up to max leads to *all.
 * *out: the failed page's result, or the last page's outline. */
static mk_rest_status get_pages(mk_coalescer *co, const mk_rest_cred *cred,
                                const mk_rest_caller *caller, const char *filter,
                                const char *values, const char *fields, int max,
                                int64_t deadline, mk_rest_reservation *rv, cJSON *all,
                                mk_rest_result *out, mk_coalesce_cost *sum)
{
    memset(out, 0, sizeof *out);
    mk_rest_param q[4];
    size_t nq = 0;
    q[nq++] = (mk_rest_param){"filterType", filter};
    q[nq++] = (mk_rest_param){"filterValues", values};
    if (fields)
        q[nq++] = (mk_rest_param){"fields", fields};
    q[nq++] = (mk_rest_param){"batchSize", GET_PAGE_SIZE};
    co_pages c = {co, cred, caller, deadline, rv, sum};
    /* A lead query ends at a page without records (REST's own end). */
    mk_pager p = {.ep = MK_EP_LEADS_QUERY, .query = q, .nquery = nq, .max_records = max,
                  .empty = MK_PAGER_EMPTY_ENDS, .send = send_get_page, .send_ctx = &c,
                  .all = all};
    int rc = mk_pager_run(&p);
    mk_rest_status st = MK_REST_OK;
    if (rc < 0) {
        st = MK_REST_ERR_NOMEM;
        snprintf(out->error_message, sizeof out->error_message, "out of memory");
    } else if (rc > 0) {
        st = (mk_rest_status)rc;
        *out = p.last;
        memset(&p.last, 0, sizeof p.last);
    } else {
        copy_outline(out, &p.last);
    }
    mk_pager_done(&p);
    return st;
}

static mk_rest_status get_alone(mk_coalescer *co, const mk_rest_cred *cred,
                                const mk_rest_caller *caller, const char *filter,
                                const char *value, const char *fields, int max_results,
                                int64_t deadline, cJSON **leads, mk_rest_result *out,
                                mk_coalesce_cost *cost)
{
    cJSON *all = cJSON_CreateArray();
    if (!all) {
        memset(out, 0, sizeof *out);
        snprintf(out->error_message, sizeof out->error_message, "out of memory");
        return MK_REST_ERR_NOMEM;
    }
    mk_rest_status st = get_pages(co, cred, caller, filter, value, fields, max_results, deadline,
                                  NULL,
                                  all, out, cost);
    if (st == MK_REST_OK)
        *leads = all;
    else
        cJSON_Delete(all);
    return st;
}

/* The value as it goes into filterValues, or NULL when this request is not
 * one the coalescer can split back (then it goes alone). */
static char *get_value(const char *filter, const char *value, const char *fields)
{
    size_t n = value ? strlen(value) : 0;
    if (n == 0 || n > VALUE_MAX || strchr(value, ',') || isspace((unsigned char)value[0]) ||
        isspace((unsigned char)value[n - 1]))
        return NULL;
    if (strcmp(filter, "id") == 0) {
        char *end;
        long long v = strtoll(value, &end, 10);
        if (*end || v <= 0)
            return NULL;
        char buf[32];
        snprintf(buf, sizeof buf, "%lld", v);
        return strdup(buf);
    }
    if (strcmp(filter, "email") == 0) {
        /* The answer must carry the email for the split to work. */
        if (fields) {
            size_t fl = strlen(fields);
            int found = 0;
            for (const char *p = fields; (p = strstr(p, "email")); p += 5)
                if ((p == fields || p[-1] == ',') && (p + 5 == fields + fl || p[5] == ','))
                    found = 1;
            if (!found)
                return NULL;
        }
        return strdup(value);
    }
    return NULL;
}

/* Index of the batch value a returned lead belongs to, -1 if none. */
static int lead_value(const co_batch *b, const char *filter, const cJSON *lead)
{
    char buf[32];
    const char *v = NULL;
    if (strcmp(filter, "id") == 0) {
        int64_t id;
        if (mk_rest_json_get_int64(lead, "id", &id) != MK_REST_JSON_OK)
            return -1;
        snprintf(buf, sizeof buf, "%" PRId64, id);
        return key_find(b, buf, KEY_SAME);
    }
    v = mk_rest_json_get_string(lead, "email");
    return v ? key_find(b, v, KEY_NOCASE) : -1;
}

static void member_oom(co_member *m)
{
    cJSON_Delete(m->leads);
    m->leads = NULL;
    m->st = MK_REST_ERR_NOMEM;
    snprintf(m->res.error_message, sizeof m->res.error_message, "out of memory");
}

/* Give m one more lead (NULL: it could not be copied). */
static void member_take_lead(co_member *m, cJSON *lead)
{
    if (lead && cJSON_AddItemToArray(m->leads, lead)) {
        m->nleads++;
        return;
    }
    cJSON_Delete(lead);
    member_oom(m);
}

/* Each returned lead goes to the members that asked for its value, up to
 * each one's maximum: moved out of the answer to the last of them, copied
 * for the others (several requests for one value). */
static void distribute_get(co_batch *b, mk_rest_status st, const mk_rest_result *res,
                           cJSON *all)
{
    int blame = b->nmembers > 1 && blames_records(st, res);
    co_member **by_value =
        st == MK_REST_OK ? calloc((size_t)b->nkeys + 1, sizeof *by_value) : NULL;
    for (co_member *m = b->head; m; m = m->next) {
        copy_outline(&m->res, res);
        m->st = st;
        if (st != MK_REST_OK) {
            m->solo = blame || outlived(b, m, st);
            continue;
        }
        m->leads = by_value ? cJSON_CreateArray() : NULL;
        if (!m->leads) {
            member_oom(m);
            continue;
        }
        m->vnext = by_value[m->value];
        by_value[m->value] = m;
    }
    if (!by_value)
        return;
    for (cJSON *lead = all ? all->child : NULL, *next; lead; lead = next) {
        next = lead->next;
        int k = lead_value(b, b->g->p1, lead);
        if (k < 0)
            continue;
        co_member *last = NULL;
        for (co_member *m = by_value[k]; m; m = m->vnext) {
            if (!m->leads || m->nleads >= m->max_results)
                continue;
            if (last)
                member_take_lead(last, cJSON_Duplicate(lead, 1));
            last = m;
        }
        if (last)
            member_take_lead(last, cJSON_DetachItemViaPointer(all, lead));
    }
    free(by_value);
}

/* ---- the shared path ------------------------------------------------------------------- */

/* Send sealed batch b (co->mu NOT held) for its leader self; fill the
 * members' answers and wake them.  A sealed batch's members and keys are
 * its leader's alone: no other thread touches them until woken. */
static void send_batch(mk_coalescer *co, co_batch *b, co_member *self)
{
    co_group *g = b->g;
    mk_rest_result res;
    mk_coalesce_cost sum = {0};
    mk_rest_status st;
    cJSON *all = NULL;
    memset(&res, 0, sizeof res);
    int64_t started = mk_rest_now_ms();

    if (b->rv_st != MK_REST_OK) {
        /* The quota guard refused before anything was sent: every member
         * gets its refusal (none of them caused it). */
        st = b->rv_st;
        res = b->rv_res;
        memset(&b->rv_res, 0, sizeof b->rv_res);
        sum.limiter_wait_ms = res.limiter_wait_ms;
    } else if (g->kind == CO_SYNC) {
        cJSON *body = sync_body(g->p1, g->p2, g->p3);
        cJSON *input = body ? cJSON_AddArrayToObject(body, "input") : NULL;
        int ok = input != NULL;
        for (co_member *m = b->head; m && ok; m = m->next) {
            const cJSON *rec;
            cJSON_ArrayForEach(rec, m->input)
                ok = ok && cJSON_AddItemReferenceToArray(input, (cJSON *)rec);
        }
        if (ok) {
            st = sync_call(co, &b->cred, &b->caller, g->p1, body, b->min_deadline, &b->rv,
                           &res);
            sum.rest_calls = res.attempts;
            sum.retries = res.retries;
            sum.limiter_wait_ms = res.limiter_wait_ms;
        } else {
            st = MK_REST_ERR_NOMEM;
            snprintf(res.error_message, sizeof res.error_message, "out of memory");
        }
        cJSON_Delete(body);
    } else {
        size_t len = 1;
        for (int i = 0; i < b->nkeys; i++)
            len += strlen(b->keys[i]) + 1;
        char *values = malloc(len), *p = values;
        all = cJSON_CreateArray();
        if (values && all) {
            for (int i = 0; i < b->nkeys; i++)
                p += sprintf(p, "%s%s", i ? "," : "", b->keys[i]);
            /* Every member may see up to its own maximum; REST refuses
             * (1003) beyond 1000 matches, which sends everyone alone. */
            st = get_pages(co, &b->cred, &b->caller, g->p1, values, g->p2, INT32_MAX,
                           b->min_deadline,
                           &b->rv, all, &res, &sum);
        } else {
            st = MK_REST_ERR_NOMEM;
            snprintf(res.error_message, sizeof res.error_message, "out of memory");
        }
        free(values);
    }
    mk_rest_reservation_cancel(co->rest, &b->rv); /* not used (out of memory) */
    int64_t answered = mk_rest_now_ms();

    if (g->kind == CO_SYNC)
        distribute_sync(b, st, &res);
    else
        distribute_get(b, st, &res, all);
    int nm = b->nmembers, nsolo = 0;
    for (co_member *m = b->head; m; m = m->next) {
        m->cost.rest_calls += sum.rest_calls / nm;
        m->cost.retries += sum.retries / nm;
        m->cost.limiter_wait_ms += sum.limiter_wait_ms;
        m->cost.batch_wait_ms += started - m->joined_at;
        m->cost.shared = nm > 1;
        m->done = 1;
        nsolo += m->solo;
    }
    pthread_mutex_lock(&co->mu);
    co_counters *n = &co->n[g->kind];
    n->solo += (uint64_t)nsolo;
    int64_t call_ms = answered - started, answer_ms = mk_rest_now_ms() - answered;
    n->call_ms_total += (uint64_t)call_ms;
    n->answer_ms_total += (uint64_t)answer_ms;
    if (call_ms > n->call_ms_max)
        n->call_ms_max = call_ms;
    if (answer_ms > n->answer_ms_max)
        n->answer_ms_max = answer_ms;
    n->batches++;
    n->members += (uint64_t)nm;
    n->records += (uint64_t)b->nrec;
    if (nm > 1)
        n->shared_members += (uint64_t)nm;
    if (nm > n->max_members)
        n->max_members = nm;
    int bucket = 0;
    while (bucket < MK_COALESCE_SIZE_BOUNDS && nm > mk_coalesce_size_bounds[bucket])
        bucket++;
    n->by_size[bucket]++;
    g->inflight--;
    g->last_done_at = mk_rest_now_ms();
    g->last_members = nm;
    b->done = 1;
    pthread_cond_broadcast(&b->cv); /* requests whose key clashed with b's */
    /* The next batch of this kind may have been waiting for this one. */
    if (g->open)
        pthread_cond_broadcast(&g->open->cv);
    pthread_mutex_unlock(&co->mu);
    for (co_member *m = b->head, *next; m; m = next) {
        next = m->next;
        if (m != self)
            member_wake(m);
    }
    mk_rest_result_free(&res);
    cJSON_Delete(all);
}

/* What a member sent on alone after its batch cost: its share of the
 * batch's calls and waits plus its own call. */
static void solo_cost(mk_coalesce_cost *cost, const mk_coalesce_cost *shared,
                      const mk_coalesce_cost *own)
{
    cost->rest_calls = shared->rest_calls + own->rest_calls;
    cost->retries = shared->retries + own->retries;
    cost->limiter_wait_ms = shared->limiter_wait_ms + own->limiter_wait_ms;
    cost->batch_wait_ms = shared->batch_wait_ms;
    cost->shared = 1;
}

/* Join g's open batch (the caller has waited out any clash with it), or
 * open one and lead it.  A full batch still takes the member: while its
 * leader waits for the quota guard, who goes is decided fairly when the
 * slot comes (split_batch); the others go on to the next call.  The batch,
 * or NULL when memory ran out (the request then goes alone). */
static co_batch *join_batch(co_group *g, const mk_rest_cred *cred, co_member *m, int *leader)
{
    co_batch *b = g->open;
    *leader = 0;
    if (!b) {
        b = batch_new(g, cred);
        if (!b)
            return NULL;
        g->open = b;
        *leader = 1;
    }
    if (batch_append(b, m) != 0) {
        if (*leader) {
            g->open = NULL;
            batch_unref(b); /* refs 0: never shared */
        }
        return NULL;
    }
    if (*leader)
        b->refs = 1;  /* the leader's */
    return b;
}

/* The same email address in another case already in the batch: REST's
 * answer could not be told apart for the two, so the request waits for
 * the next batch. */
static int email_clash(const co_batch *b, const char *v)
{
    return key_find(b, v, KEY_CASE_ONLY) >= 0;
}

/* Member m (already appended to b, co->mu held): lead, or sleep until
 * its answer is written or it is to lead the batch it was moved to.
 * Returns with co->mu released and m's answer in m. */
static void take_part(mk_coalescer *co, co_batch *b, co_member *m, int leader)
{
    for (;;) {
        if (leader) {
            leader_wait(co, b);  /* the leader is always among those who go */
            b->g->inflight++;
            pthread_mutex_unlock(&co->mu);
            send_batch(co, b, m);
            pthread_mutex_lock(&co->mu);
            batch_unref(b);
            pthread_mutex_unlock(&co->mu);
            return;
        }
        /* Untimed, yet within m's deadline: the call that carries m runs at
         * most to its batch's min_deadline <= m->deadline (the leader sends
         * by min_deadline - send_reserve_ms), and a move to the next batch
         * that could not meet it is refused at once (split_batch). */
        atomic_ullong *wakeups = &co->wakeups[b->g->kind];
        pthread_mutex_unlock(&co->mu);
        member_sleep(wakeups, m);
        if (m->done)
            return;
        /* Moved on to the next batch, which it leads now. */
        pthread_mutex_lock(&co->mu);
        b = m->batch;
        leader = 1;
    }
}

mk_rest_status mk_coalesce_sync(mk_coalescer *co, const mk_rest_cred *cred,
                                const mk_rest_caller *who, const char *action,
                                const char *lookup, const char *partition, const cJSON *input,
                                int64_t deadline_ms, mk_rest_result *out, mk_coalesce_cost *cost)
{
    mk_coalesce_cost scratch;
    if (!cost)
        cost = &scratch;
    memset(cost, 0, sizeof *cost);
    memset(out, 0, sizeof *out);
    int n = cJSON_GetArraySize(input);
    int create_dup = strcmp(action, "createDuplicate") == 0;
    /* A traced request goes alone: its transcript must hold its own call,
     * made on its own thread, and no other request's leads. */
    if (co->cfg.disabled || n == 0 || n > co->cfg.max_records || !cred || !cred->client_id ||
        mk_rest_recording() || send_now(co)) {
        pthread_mutex_lock(&co->mu);
        co->n[CO_SYNC].alone++;
        pthread_mutex_unlock(&co->mu);
        return sync_alone(co, cred, who, action, lookup, partition, input, deadline_ms, out, cost);
    }
    char *text = cJSON_PrintUnformatted(input);
    size_t bytes = text ? strlen(text) : 0;
    cJSON_free(text);
    char **keys = create_dup ? NULL : sync_keys(input, lookup ? lookup : "email", n);
    if (bytes == 0 || bytes > co->cfg.max_body_bytes || (!create_dup && !keys)) {
        free_keys(keys, n);
        return sync_alone(co, cred, who, action, lookup, partition, input, deadline_ms, out, cost);
    }

    co_member m;
    memset(&m, 0, sizeof m);
    m.input = input;
    m.nrec = n;
    m.bytes = bytes;
    m.deadline = deadline_ms > 0 ? deadline_ms : INT64_MAX / 2;
    m.keys = keys;
    m.nkeys = keys ? n : 0;
    m.user = who ? who->key : NULL;
    m.weight = who && who->weight > 0 ? who->weight : 1;
    member_init(&m);

    pthread_mutex_lock(&co->mu);
    co_group *g = find_group(co, CO_SYNC, cred->client_id, action, lookup, partition);
    co_batch *b;
    int leader = 0;
    while (g && (b = g->open) && !create_dup && keys_clash(b, keys, n)) {
        if (wait_clash(co, b, CO_SYNC, m.deadline) != 0) {
            pthread_mutex_unlock(&co->mu);
            member_fini(&m);
            free_keys(keys, n);
            return clash_timeout(out);
        }
    }
    b = g ? join_batch(g, cred, &m, &leader) : NULL;
    if (!b) {
        pthread_mutex_unlock(&co->mu);
        member_fini(&m);
        free_keys(keys, n);
        return sync_alone(co, cred, who, action, lookup, partition, input, deadline_ms, out, cost);
    }
    if (b->nmembers > 1)
        pthread_cond_broadcast(&b->cv); /* the leader may re-evaluate */
    take_part(co, b, &m, leader);
    member_fini(&m);
    free_keys(keys, n);

    if (m.solo) {
        mk_rest_result_free(&m.res);
        mk_coalesce_cost own = {0};
        mk_rest_status st =
            sync_alone(co, cred, who, action, lookup, partition, input, deadline_ms, out, &own);
        solo_cost(cost, &m.cost, &own);
        return st;
    }
    *out = m.res;
    *cost = m.cost;
    return m.st;
}

mk_rest_status mk_coalesce_get(mk_coalescer *co, const mk_rest_cred *cred,
                               const mk_rest_caller *who, const char *filter,
                               const char *value, const char *fields, int max_results,
                               int64_t deadline_ms, cJSON **leads, mk_rest_result *out,
                               mk_coalesce_cost *cost)
{
    mk_coalesce_cost scratch;
    if (!cost)
        cost = &scratch;
    memset(cost, 0, sizeof *cost);
    memset(out, 0, sizeof *out);
    *leads = NULL;
    char *v = co->cfg.disabled || !cred || !cred->client_id || max_results <= 0 ||
                      mk_rest_recording() /* traced: alone, as for sync */ || send_now(co)
                  ? NULL : get_value(filter, value, fields);
    if (!v) {
        pthread_mutex_lock(&co->mu);
        co->n[CO_GET].alone++;
        pthread_mutex_unlock(&co->mu);
        return get_alone(co, cred, who, filter, value, fields, max_results, deadline_ms, leads, out,
                         cost);
    }

    co_member m;
    memset(&m, 0, sizeof m);
    m.nrec = 1;
    m.bytes = strlen(v) + 1;
    m.max_results = max_results;
    m.deadline = deadline_ms > 0 ? deadline_ms : INT64_MAX / 2;
    m.vkey = v;
    m.user = who ? who->key : NULL;
    m.weight = who && who->weight > 0 ? who->weight : 1;
    int is_email = strcmp(filter, "email") == 0;
    member_init(&m);

    pthread_mutex_lock(&co->mu);
    co_group *g = find_group(co, CO_GET, cred->client_id, filter, fields, NULL);
    co_batch *b;
    int leader = 0;
    while (g && (b = g->open) && is_email && email_clash(b, v)) {
        if (wait_clash(co, b, CO_GET, m.deadline) != 0) {
            pthread_mutex_unlock(&co->mu);
            member_fini(&m);
            free(v);
            return clash_timeout(out);
        }
    }
    b = g ? join_batch(g, cred, &m, &leader) : NULL;
    if (!b) {
        pthread_mutex_unlock(&co->mu);
        member_fini(&m);
        free(v);
        return get_alone(co, cred, who, filter, value, fields, max_results, deadline_ms, leads, out,
                         cost);
    }
    if (b->nmembers > 1)
        pthread_cond_broadcast(&b->cv); /* the leader may re-evaluate */
    take_part(co, b, &m, leader);
    member_fini(&m);
    free(v);

    if (m.solo) {
        mk_rest_result_free(&m.res);
        cJSON_Delete(m.leads);
        mk_coalesce_cost own = {0};
        mk_rest_status st = get_alone(co, cred, who, filter, value, fields, max_results,
                                      deadline_ms, leads, out, &own);
        solo_cost(cost, &m.cost, &own);
        return st;
    }
    *out = m.res;
    *cost = m.cost;
    *leads = m.leads;
    return m.st;
}

/* ---- statistics ------------------------------------------------------------------------- */

static void counters_json(cJSON *obj, const char *name, const co_counters *n)
{
    cJSON *o = cJSON_AddObjectToObject(obj, name);
    if (!o)
        return;
    cJSON_AddNumberToObject(o, "batches", (double)n->batches);
    cJSON_AddNumberToObject(o, "requests_batched", (double)n->members);
    cJSON_AddNumberToObject(o, "requests_sharing_a_call", (double)n->shared_members);
    cJSON_AddNumberToObject(o, "records", (double)n->records);
    cJSON_AddNumberToObject(o, "largest_batch", n->max_members);
    cJSON_AddNumberToObject(o, "mean_batch",
                            n->batches ? (double)n->members / (double)n->batches : 0.0);
    cJSON_AddNumberToObject(o, "solo_after_batch_failure", (double)n->solo);
    cJSON_AddNumberToObject(o, "key_clash_waits", (double)n->clash_waits);
    cJSON_AddNumberToObject(o, "requests_alone", (double)n->alone);
    cJSON_AddNumberToObject(o, "moved_to_next_batch", (double)n->moved);
    cJSON_AddNumberToObject(o, "member_wakeups", (double)n->wakeups);
    cJSON_AddNumberToObject(o, "refused_before_deadline", (double)n->refused_late);
    double nb = n->batches ? (double)n->batches : 1.0;
    cJSON_AddNumberToObject(o, "call_ms_mean", (double)n->call_ms_total / nb);
    cJSON_AddNumberToObject(o, "call_ms_max", (double)n->call_ms_max);
    cJSON_AddNumberToObject(o, "answer_ms_mean", (double)n->answer_ms_total / nb);
    cJSON_AddNumberToObject(o, "answer_ms_max", (double)n->answer_ms_max);
}

void mk_coalescer_counters(mk_coalescer *co, mk_coalesce_counters out[2])
{
    pthread_mutex_lock(&co->mu);
    memcpy(out, co->n, 2 * sizeof *out);
    pthread_mutex_unlock(&co->mu);
    for (int k = 0; k < 2; k++)
        out[k].wakeups = atomic_load_explicit(&co->wakeups[k], memory_order_relaxed);
}

void mk_coalescer_stats_json(mk_coalescer *co, cJSON *obj)
{
    co_counters n[2];
    mk_coalescer_counters(co, n);
    cJSON_AddBoolToObject(obj, "enabled", !co->cfg.disabled);
    cJSON_AddNumberToObject(obj, "wait_ms", (double)co->cfg.wait_ms);
    cJSON_AddNumberToObject(obj, "max_hold_ms", (double)co->cfg.max_hold_ms);
    counters_json(obj, "sync", &n[CO_SYNC]);
    counters_json(obj, "get", &n[CO_GET]);
}
