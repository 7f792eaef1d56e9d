/*
 * pool.c — worker threads and their queue (see pool.h).
 *
 * Hand-off.  An idle worker sleeps on its own semaphore, on a stack of
 * sleepers (the most recently idle on top: its stack and caches are
 * warm; doubly linked, so one that times out leaves it in O(1)).  A push
 * that finds a sleeper gives the job to that one thread and posts its
 * semaphore after the pool's lock is released: one futex wake per job,
 * no other thread woken, and the woken one takes the lock once, after
 * the pusher has let it go.  (A queue under one mutex and one condition
 * variable cost ~6 futex calls per job under load: the signalled worker
 * woke inside the pusher's critical section and blocked on the mutex, the
 * pusher then woke it again — a lock convoy; issue 11.)  Only when no
 * worker is idle does a job wait in the FIFO queue, and a worker that
 * finishes takes the next queued job before it sleeps, so queued jobs are
 * served in arrival order; a sleeper exists only while the queue is
 * empty.
 *
 * Stopping: mk_pool_stop refuses new pushes, waits for pushes in progress
 * (they use the pool after its lock is released: the post, a thread
 * started, dead threads joined), runs what is queued and joins every
 * thread; the pool itself is freed by mk_pool_free, once nothing can push
 * or read its statistics any more.
 *
 * Every thread has a node in one list (p->nodes), kept until the thread is
 * joined.  A thread that ends (idle beyond min, its state could not be
 * made, or the pool stops) marks its node dead; whoever next pushes (or
 * stops the pool) joins dead threads outside the lock.
 *
 * Growing: push starts a thread when a job has to be queued (no worker
 * idle), so a burst of N waiting requests gets N threads (up to max) and
 * never waits behind one that sleeps in the quota guard.
 */
#define _GNU_SOURCE 1 /* sem_clockwait */
#include "server/pool.h"

#include <errno.h>
#include <limits.h>
#include <pthread.h>
#include <semaphore.h>
#include <stdlib.h>
#include <time.h>

#include "base/clock.h"

#define DEFAULT_IDLE_MS 10000

typedef struct node {
    struct node *next;          /* p->nodes */
    struct node *below;         /* p->sleepers, while sleeping */
    struct node *above;         /* p->sleepers: the one above, NULL on top */
    mk_pool *pool;
    pthread_t t;
    sem_t wake;                 /* posted once per hand-off or stop */
    struct mk_pool_item *job;   /* handed over by push (written under p->lock) */
    int sleeping;               /* on p->sleepers (p->lock) */
    int dead;                   /* the thread has left its loop: join it */
    int initial;                /* started by mk_pool_start (reports init failure) */
} node;

struct mk_pool {
    pthread_mutex_t lock;
    pthread_cond_t gone;          /* a thread ended, or an initial one is ready */
    struct mk_pool_item *head, *tail;
    unsigned queued;
    node *sleepers;               /* idle workers, most recent on top */
    unsigned pushing;             /* pushes between their lock and their return */
    int stopping;
    struct mk_pool_ops ops;
    struct mk_pool_limits lim;
    pthread_attr_t attr;
    node *nodes;
    unsigned alive, busy, peak, ndead;
    unsigned long long spawned, spawn_failures, handoffs;
    /* start-up handshake: initial threads that made their state, and failures */
    unsigned ready, failed;
};

/* Mark n dead (lock held). */
static void leave(mk_pool *p, node *n)
{
    n->dead = 1;
    p->ndead++;
    p->alive--;
    pthread_cond_broadcast(&p->gone);
}

/* The next queued job, or NULL (lock held). */
static struct mk_pool_item *dequeue(mk_pool *p)
{
    struct mk_pool_item *it = p->head;
    if (it) {
        p->head = it->next;
        if (!p->head)
            p->tail = NULL;
        p->queued--;
    }
    return it;
}

/* Take n off the sleepers wherever it is (lock held; n->sleeping). */
static void unstack(mk_pool *p, node *n)
{
    if (n->above)
        n->above->below = n->below;
    else
        p->sleepers = n->below;
    if (n->below)
        n->below->above = n->above;
    n->below = n->above = NULL;
    n->sleeping = 0;
}

/* Sleep until a job is handed over (returned), the pool stops (NULL) or,
 * beyond min threads, idle_ms pass (NULL, *timed_out).  Called with the
 * lock held and the queue empty; returns with it held. */
static struct mk_pool_item *sleep_for_job(mk_pool *p, node *self, int *timed_out)
{
    self->job = NULL;
    self->sleeping = 1;
    self->below = p->sleepers;
    self->above = NULL;
    if (p->sleepers)
        p->sleepers->above = self;
    p->sleepers = self;
    int timed = p->alive > p->lim.min;
    struct timespec until = mk_clock_mono_in(p->lim.idle_ms);
    pthread_mutex_unlock(&p->lock);
    int rc;
    do
        rc = timed ? sem_clockwait(&self->wake, CLOCK_MONOTONIC, &until) : sem_wait(&self->wake);
    while (rc != 0 && errno == EINTR);
    pthread_mutex_lock(&p->lock);
    if (self->sleeping) {
        /* Not chosen: timed out, nobody posted. */
        unstack(p, self);
        *timed_out = 1;
        return NULL;
    }
    if (rc != 0) {
        /* Chosen as the wait timed out: the post is on its way; take it
         * so the semaphore is back to zero for the next sleep. */
        pthread_mutex_unlock(&p->lock);
        while (sem_wait(&self->wake) != 0 && errno == EINTR)
            ;
        pthread_mutex_lock(&p->lock);
    }
    struct mk_pool_item *it = self->job;
    self->job = NULL;
    return it;
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
        struct mk_pool_item *it = dequeue(p);
        if (!it) {
            if (p->stopping)
                break;  /* stopping and drained */
            int timed_out = 0;
            it = sleep_for_job(p, self, &timed_out);
            if (!it) {
                if (timed_out && p->alive > p->lim.min)
                    break;  /* idle beyond min */
                continue;
            }
        }
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

static void node_free(node *n)
{
    sem_destroy(&n->wake);
    free(n);
}

/* Start one thread (lock NOT held; p->alive already counts it). */
static int spawn(mk_pool *p, int initial)
{
    node *n = calloc(1, sizeof *n);
    if (!n)
        goto fail;
    if (sem_init(&n->wake, 0, 0) != 0) {
        free(n);
        goto fail;
    }
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
    node_free(n);
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
        node_free(dead);
        dead = next;
    }
}

static void stop_all(mk_pool *p)
{
    pthread_mutex_lock(&p->lock);
    p->stopping = 1;
    /* Wake every sleeper with no job: each drains the queue, then ends. */
    node *woken = p->sleepers;
    p->sleepers = NULL;
    for (node *n = woken, *below; n; n = below) {
        below = n->below;
        n->below = n->above = NULL;
        n->sleeping = 0;
        sem_post(&n->wake);
    }
    while (p->alive > 0 || p->pushing > 0)
        pthread_cond_wait(&p->gone, &p->lock);
    pthread_mutex_unlock(&p->lock);
    reap(p);
}

static void destroy(mk_pool *p)
{
    pthread_attr_destroy(&p->attr);
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
    pthread_cond_init(&p->gone, NULL);
    pthread_attr_init(&p->attr);
    if (p->lim.stack_bytes) {
        size_t min = (size_t)PTHREAD_STACK_MIN;
        size_t s = p->lim.stack_bytes < min ? min : p->lim.stack_bytes;
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
    item->next = NULL;
    pthread_mutex_lock(&p->lock);
    if (p->stopping) {
        pthread_mutex_unlock(&p->lock);
        return -1;
    }
    node *n = p->sleepers;
    if (n) {
        /* A sleeper exists only while the queue is empty: hand over. */
        p->sleepers = n->below;
        if (p->sleepers)
            p->sleepers->above = NULL;
        n->below = NULL;
        n->sleeping = 0;
        n->job = item;
        p->handoffs++;
    } else {
        if (p->tail)
            p->tail->next = item;
        else
            p->head = item;
        p->tail = item;
        p->queued++;
    }
    int grow = !n && p->alive < p->lim.max;
    if (grow) {
        p->alive++;
        if (p->alive > p->peak)
            p->peak = p->alive;
    }
    int dead = p->ndead > 0;
    p->pushing++;
    pthread_mutex_unlock(&p->lock);
    if (n)
        sem_post(&n->wake);
    if (grow)
        (void)spawn(p, 0);  /* none: the job waits for a worker that finishes */
    if (dead)
        reap(p);
    pthread_mutex_lock(&p->lock);
    if (--p->pushing == 0 && p->stopping)
        pthread_cond_broadcast(&p->gone);
    pthread_mutex_unlock(&p->lock);
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
    out->handoffs = p->handoffs;
    pthread_mutex_unlock(&p->lock);
}

void mk_pool_stop(mk_pool *p)
{
    if (!p)
        return;
    pthread_mutex_lock(&p->lock);
    int stopped = p->stopping;
    pthread_mutex_unlock(&p->lock);
    if (!stopped)
        stop_all(p);
}

void mk_pool_free(mk_pool *p)
{
    if (!p)
        return;
    mk_pool_stop(p);
    destroy(p);
}
