/*
 * pool.c — worker threads and their queue (see pool.h).
 *
 * Every thread has a node in one list (p->nodes), kept until the thread is
 * joined.  A thread that ends (idle beyond min, its state could not be
 * made, or the pool stops) marks its node dead; whoever next pushes (or
 * stops the pool) joins dead threads outside the lock.
 *
 * Growing: push starts a thread when the jobs queued outnumber the idle
 * threads, so a burst of N waiting requests gets N threads (up to max) and
 * never waits behind one that sleeps in the quota guard.
 */
#include "server/pool.h"

#include <errno.h>
#include <limits.h>
#include <pthread.h>
#include <stdlib.h>
#include <time.h>

#include "base/clock.h"

#define DEFAULT_IDLE_MS 10000

typedef struct node {
    struct node *next;
    mk_pool *pool;
    pthread_t t;
    int dead;          /* the thread has left its loop: join it */
    int initial;       /* started by mk_pool_start (reports init failure) */
} node;

struct mk_pool {
    pthread_mutex_t lock;
    pthread_cond_t cond;          /* work queued, or stopping */
    pthread_cond_t gone;          /* a thread ended, or an initial one is ready */
    struct mk_pool_item *head, *tail;
    unsigned queued;
    int stopping;
    struct mk_pool_ops ops;
    struct mk_pool_limits lim;
    pthread_attr_t attr;
    node *nodes;
    unsigned alive, idle, busy, peak, ndead;
    unsigned long long spawned, spawn_failures;
    /* start-up handshake: initial threads that made their state, and failures */
    unsigned ready, failed;
};

static void timed_wait(mk_pool *p, unsigned ms)
{
    struct timespec ts = mk_clock_mono_in(ms);
    pthread_cond_timedwait(&p->cond, &p->lock, &ts);
}

/* Mark n dead (lock held). */
static void leave(mk_pool *p, node *n)
{
    n->dead = 1;
    p->ndead++;
    p->alive--;
    pthread_cond_broadcast(&p->gone);
}

static void *worker(void *arg)
{
    node *self = arg;
    mk_pool *p = self->pool;
    void *state = p->ops.init ? p->ops.init(p->ops.arg) : NULL;
    int ok = !p->ops.init || state;

    pthread_mutex_lock(&p->lock);
    if (self->initial) {
        p->ready++;
        if (!ok)
            p->failed++;
        pthread_cond_broadcast(&p->gone);
    }
    if (!ok) {
        leave(p, self);
        pthread_mutex_unlock(&p->lock);
        return NULL;
    }
    for (;;) {
        int timed_out = 0;
        while (!p->head && !p->stopping && !timed_out) {
            p->idle++;
            if (p->alive > p->lim.min) {
                struct timespec before, after;
                clock_gettime(CLOCK_MONOTONIC, &before);
                timed_wait(p, p->lim.idle_ms);
                clock_gettime(CLOCK_MONOTONIC, &after);
                long waited = (long)mk_clock_ms_between(&before, &after);
                timed_out = waited >= (long)p->lim.idle_ms;
            } else {
                pthread_cond_wait(&p->cond, &p->lock);
            }
            p->idle--;
        }
        struct mk_pool_item *it = p->head;
        if (!it && (p->stopping || p->alive > p->lim.min))
            break;  /* stopping and drained, or not needed any more */
        if (!it)
            continue;
        p->head = it->next;
        if (!p->head)
            p->tail = NULL;
        p->queued--;
        p->busy++;
        pthread_mutex_unlock(&p->lock);
        it->next = NULL;
        p->ops.run(it, state, p->ops.arg);
        pthread_mutex_lock(&p->lock);
        p->busy--;
    }
    leave(p, self);
    pthread_mutex_unlock(&p->lock);
    if (p->ops.fini)
        p->ops.fini(state, p->ops.arg);
    return NULL;
}

/* Start one thread (lock NOT held; p->alive already counts it). */
static int spawn(mk_pool *p, int initial)
{
    node *n = calloc(1, sizeof *n);
    if (!n)
        goto fail;
    n->pool = p;
    n->initial = initial;
    pthread_mutex_lock(&p->lock);
    n->next = p->nodes;
    p->nodes = n;
    pthread_mutex_unlock(&p->lock);
    if (pthread_create(&n->t, &p->attr, worker, n) == 0) {
        pthread_mutex_lock(&p->lock);
        p->spawned++;
        pthread_mutex_unlock(&p->lock);
        return 0;
    }
    pthread_mutex_lock(&p->lock);
    for (node **pp = &p->nodes; *pp; pp = &(*pp)->next)
        if (*pp == n) {
            *pp = n->next;
            break;
        }
    pthread_mutex_unlock(&p->lock);
    free(n);
fail:
    pthread_mutex_lock(&p->lock);
    p->alive--;
    p->spawn_failures++;
    pthread_cond_broadcast(&p->gone);
    pthread_mutex_unlock(&p->lock);
    return -1;
}

/* Join the threads that ended (lock NOT held). */
static void reap(mk_pool *p)
{
    node *dead = NULL;
    pthread_mutex_lock(&p->lock);
    if (p->ndead) {
        for (node **pp = &p->nodes; *pp;) {
            node *n = *pp;
            if (n->dead) {
                *pp = n->next;
                n->next = dead;
                dead = n;
            } else {
                pp = &n->next;
            }
        }
        p->ndead = 0;
    }
    pthread_mutex_unlock(&p->lock);
    while (dead) {
        node *next = dead->next;
        pthread_join(dead->t, NULL);
        free(dead);
        dead = next;
    }
}

static void stop_all(mk_pool *p)
{
    pthread_mutex_lock(&p->lock);
    p->stopping = 1;
    pthread_cond_broadcast(&p->cond);
    while (p->alive > 0)
        pthread_cond_wait(&p->gone, &p->lock);
    pthread_mutex_unlock(&p->lock);
    reap(p);
}

static void destroy(mk_pool *p)
{
    pthread_attr_destroy(&p->attr);
    pthread_cond_destroy(&p->cond);
    pthread_cond_destroy(&p->gone);
    pthread_mutex_destroy(&p->lock);
    free(p);
}

mk_pool *mk_pool_start(const struct mk_pool_limits *lim, const struct mk_pool_ops *ops)
{
    if (!lim || lim->min == 0)
        return NULL;
    mk_pool *p = calloc(1, sizeof *p);
    if (!p)
        return NULL;
    p->lim = *lim;
    if (p->lim.max < p->lim.min)
        p->lim.max = p->lim.min;
    if (p->lim.idle_ms == 0)
        p->lim.idle_ms = DEFAULT_IDLE_MS;
    pthread_mutex_init(&p->lock, NULL);
    mk_clock_cond_init(&p->cond);
    pthread_cond_init(&p->gone, NULL);
    pthread_attr_init(&p->attr);
    if (p->lim.stack_bytes) {
        size_t s = p->lim.stack_bytes < PTHREAD_STACK_MIN ? PTHREAD_STACK_MIN : p->lim.stack_bytes;
        pthread_attr_setstacksize(&p->attr, s);
    }
    p->ops = *ops;
    unsigned started = 0;
    for (; started < p->lim.min; started++) {
        pthread_mutex_lock(&p->lock);
        p->alive++;
        pthread_mutex_unlock(&p->lock);
        if (spawn(p, 1) != 0)
            break;
    }
    pthread_mutex_lock(&p->lock);
    while (p->ready < started)
        pthread_cond_wait(&p->gone, &p->lock);
    p->peak = p->alive;
    int failed = p->failed || started < p->lim.min;
    pthread_mutex_unlock(&p->lock);
    if (failed) {
        stop_all(p);
        destroy(p);
        return NULL;
    }
    return p;
}

int mk_pool_push(mk_pool *p, struct mk_pool_item *item)
{
    pthread_mutex_lock(&p->lock);
    if (p->stopping) {
        pthread_mutex_unlock(&p->lock);
        return -1;
    }
    item->next = NULL;
    if (p->tail)
        p->tail->next = item;
    else
        p->head = item;
    p->tail = item;
    p->queued++;
    int grow = p->queued > p->idle && p->alive < p->lim.max;
    if (grow) {
        p->alive++;
        if (p->alive > p->peak)
            p->peak = p->alive;
    } else {
        pthread_cond_signal(&p->cond);
    }
    int dead = p->ndead > 0;
    pthread_mutex_unlock(&p->lock);
    if (grow && spawn(p, 0) != 0) {
        /* No new thread: the job waits for one of the others. */
        pthread_mutex_lock(&p->lock);
        pthread_cond_signal(&p->cond);
        pthread_mutex_unlock(&p->lock);
    }
    if (dead)
        reap(p);
    return 0;
}

void mk_pool_stats_get(mk_pool *p, struct mk_pool_stats *out)
{
    pthread_mutex_lock(&p->lock);
    out->threads = p->alive;
    out->busy = p->busy;
    out->queued = p->queued;
    out->peak = p->peak;
    out->spawned = p->spawned;
    out->spawn_failures = p->spawn_failures;
    pthread_mutex_unlock(&p->lock);
}

void mk_pool_stop(mk_pool *p)
{
    if (!p)
        return;
    stop_all(p);
    destroy(p);
}
