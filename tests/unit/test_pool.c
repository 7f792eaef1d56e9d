/*
 * test_pool.c — the worker pool (src/server/pool.c): jobs that block (as a
 * SOAP request waiting for the REST budget does) make the pool grow, one
 * thread per waiting job up to max and never beyond; every job runs once,
 * each thread's state is made and released once; threads beyond min end
 * after idle_ms; stop runs what is still queued.  A job pushed while a
 * worker is idle is handed to that worker (the one idle most recently)
 * without queueing; queued jobs run in arrival order; hand-offs racing
 * with idle threads ending lose no job and run none twice; pushes racing
 * stop are run or refused, never lost.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <time.h>

#include "server/pool.h"

typedef struct job {
    struct mk_pool_item item;   /* first */
    int ran;
} job;

static pthread_mutex_t mu = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t cv = PTHREAD_COND_INITIALIZER;
static int blocked, released, states_made, states_freed;

static void sleep_ms(long ms)
{
    struct timespec ts = {ms / 1000, (ms % 1000) * 1000000L};
    while (nanosleep(&ts, &ts) != 0)
        ;
}

static void *init(void *arg)
{
    (void)arg;
    pthread_mutex_lock(&mu);
    states_made++;
    pthread_mutex_unlock(&mu);
    return malloc(16);
}

static void fini(void *state, void *arg)
{
    (void)arg;
    free(state);
    pthread_mutex_lock(&mu);
    states_freed++;
    pthread_mutex_unlock(&mu);
}

/* Blocks until released, like a request waiting in the quota guard. */
static void run(struct mk_pool_item *it, void *state, void *arg)
{
    (void)state;
    (void)arg;
    pthread_mutex_lock(&mu);
    blocked++;
    pthread_cond_broadcast(&cv);
    while (!released)
        pthread_cond_wait(&cv, &mu);
    blocked--;
    ((job *)it)->ran++;
    pthread_mutex_unlock(&mu);
}

static int wait_blocked(int n)
{
    for (int i = 0; i < 500; i++) {
        pthread_mutex_lock(&mu);
        int b = blocked;
        pthread_mutex_unlock(&mu);
        if (b >= n)
            return b;
        sleep_ms(10);
    }
    return -1;
}

static void grows_to_max_and_shrinks_back(void **st)
{
    (void)st;
    enum { JOBS = 60, MIN = 2, MAX = 40 };
    struct mk_pool_ops ops = {init, run, fini, NULL};
    struct mk_pool_limits lim = {.min = MIN, .max = MAX, .stack_bytes = 256 * 1024,
                                 .idle_ms = 200};
    mk_pool *p = mk_pool_start(&lim, &ops);
    assert_non_null(p);
    struct mk_pool_stats s;
    mk_pool_stats_get(p, &s);
    assert_int_equal(s.threads, MIN);

    static job jobs[JOBS];
    for (int i = 0; i < JOBS; i++)
        assert_int_equal(mk_pool_push(p, &jobs[i].item), 0);
    /* Every thread the bound allows is waiting; the rest are queued. */
    assert_int_equal(wait_blocked(MAX), MAX);
    sleep_ms(50);
    mk_pool_stats_get(p, &s);
    assert_int_equal(s.threads, MAX);
    assert_int_equal(s.busy, MAX);
    assert_int_equal(s.queued, JOBS - MAX);
    assert_int_equal(s.peak, MAX);

    pthread_mutex_lock(&mu);
    released = 1;
    pthread_cond_broadcast(&cv);
    pthread_mutex_unlock(&mu);
    /* Idle beyond idle_ms, the threads above MIN end. */
    for (int i = 0; i < 300; i++) {
        mk_pool_stats_get(p, &s);
        if (s.threads == MIN)
            break;
        sleep_ms(10);
    }
    assert_int_equal(s.threads, MIN);
    for (int i = 0; i < JOBS; i++)
        assert_int_equal(jobs[i].ran, 1);

    /* And it grows again on demand. */
    pthread_mutex_lock(&mu);
    released = 0;
    pthread_mutex_unlock(&mu);
    static job more[10];
    for (int i = 0; i < 10; i++)
        assert_int_equal(mk_pool_push(p, &more[i].item), 0);
    assert_int_equal(wait_blocked(10), 10);
    pthread_mutex_lock(&mu);
    released = 1;
    pthread_cond_broadcast(&cv);
    pthread_mutex_unlock(&mu);
    mk_pool_free(p);
    for (int i = 0; i < 10; i++)
        assert_int_equal(more[i].ran, 1);
    assert_int_equal(states_made, states_freed);
    assert_true(states_made >= MAX + 10 - MIN);
}

/* Quick jobs: each records the thread that ran it and its place in the
 * order of runs. */
typedef struct qjob {
    struct mk_pool_item item;   /* first */
    atomic_int ran;
    pthread_t by;
    int place;
} qjob;

static atomic_int runs;
static pthread_mutex_t gate_mu = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t gate_cv = PTHREAD_COND_INITIALIZER;
static int gate_open = 1;

static void run_quick(struct mk_pool_item *it, void *state, void *arg)
{
    (void)state;
    (void)arg;
    qjob *q = (qjob *)it;
    pthread_mutex_lock(&gate_mu);
    while (!gate_open)
        pthread_cond_wait(&gate_cv, &gate_mu);
    pthread_mutex_unlock(&gate_mu);
    q->by = pthread_self();
    q->place = atomic_fetch_add(&runs, 1);
    atomic_fetch_add(&q->ran, 1);
}

static void set_gate(int open)
{
    pthread_mutex_lock(&gate_mu);
    gate_open = open;
    pthread_cond_broadcast(&gate_cv);
    pthread_mutex_unlock(&gate_mu);
}

/* A pool of quick jobs (with per-thread states when states is set). */
static mk_pool *quick_pool(unsigned min, unsigned max, unsigned idle_ms, int states)
{
    struct mk_pool_ops ops = {states ? init : NULL, run_quick, states ? fini : NULL, NULL};
    struct mk_pool_limits lim = {.min = min, .max = max, .stack_bytes = 256 * 1024,
                                 .idle_ms = idle_ms};
    mk_pool *p = mk_pool_start(&lim, &ops);
    assert_non_null(p);
    return p;
}

/* Until no job runs: the worker that ran the last one is asleep again
 * (it goes back on the stack in the same critical section as busy--). */
static void wait_idle(mk_pool *p)
{
    struct mk_pool_stats s;
    for (int i = 0; i < 5000; i++) {
        mk_pool_stats_get(p, &s);
        if (s.busy == 0 && s.queued == 0)
            return;
        sleep_ms(1);
    }
    fail_msg("the pool stayed busy");
}

static void wait_ran(qjob *q)
{
    for (int i = 0; i < 5000 && !atomic_load(&q->ran); i++)
        sleep_ms(1);
    assert_int_equal(atomic_load(&q->ran), 1);
}

/* With workers idle, a job goes straight to one of them -- the one idle
 * most recently, whose stack and caches are warm -- and is never queued:
 * one wake-up, no other worker disturbed.  A pool that queued every job
 * for whichever waiter the condition variable woke spread 100 one-at-a-
 * time jobs over its idle threads and counted no hand-off. */
static void an_idle_worker_gets_the_job_directly(void **st)
{
    (void)st;
    enum { N = 100 };
    mk_pool *p = quick_pool(8, 8, 0, 0);
    static qjob q[N];
    for (int i = 0; i < N; i++) {
        assert_int_equal(mk_pool_push(p, &q[i].item), 0);
        wait_ran(&q[i]);
        wait_idle(p);
    }
    struct mk_pool_stats s;
    mk_pool_stats_get(p, &s);
    assert_int_equal(s.handoffs, N);
    assert_int_equal(s.queued, 0);
    for (int i = 1; i < N; i++)
        assert_true(pthread_equal(q[i].by, q[0].by));
    mk_pool_free(p);
}

/* With no worker idle, jobs wait in a queue and run in arrival order. */
static void queued_jobs_run_in_arrival_order(void **st)
{
    (void)st;
    enum { N = 40 };
    mk_pool *p = quick_pool(1, 1, 0, 0);
    atomic_store(&runs, 0);
    set_gate(0);
    static qjob q[N];
    for (int i = 0; i < N; i++)
        assert_int_equal(mk_pool_push(p, &q[i].item), 0);
    struct mk_pool_stats s;
    mk_pool_stats_get(p, &s);
    assert_true(s.queued >= N - 1);
    set_gate(1);
    for (int i = 0; i < N; i++)
        wait_ran(&q[i]);
    for (int i = 0; i < N; i++)
        assert_int_equal(q[i].place, i);
    mk_pool_free(p);
}

/* Pusher threads: each pushes its n jobs until one is refused, counting
 * those accepted; paced ones pause now and then to let the pool shrink. */
typedef struct pusher {
    mk_pool *p;
    qjob *q;
    int n, paced, accepted;
    pthread_t t;
} pusher;

static void *push_many(void *arg)
{
    pusher *u = arg;
    for (int i = 0; i < u->n; i++) {
        if (mk_pool_push(u->p, &u->q[i].item) != 0)
            break;
        u->accepted++;
        if (u->paced && i % 7 == 0)
            sleep_ms(i % 3);
    }
    return NULL;
}

static void start_pushers(pusher *u, int k, mk_pool *p, qjob *q, int each, int paced)
{
    for (int i = 0; i < k; i++) {
        u[i] = (pusher){.p = p, .q = q + i * each, .n = each, .paced = paced};
        assert_int_equal(pthread_create(&u[i].t, NULL, push_many, &u[i]), 0);
    }
}

/* k pushers of `each` jobs on a fresh pool; the jobs are returned. */
static qjob *start_pool_and_pushers(mk_pool **p, pusher *u, int k, int each, unsigned max,
                                   int states, int paced)
{
    *p = quick_pool(1, max, 1, states);
    qjob *q = calloc((size_t)(k * each), sizeof *q);
    assert_non_null(q);
    start_pushers(u, k, *p, q, each, paced);
    return q;
}

static void join_pushers(pusher *u, int k)
{
    for (int i = 0; i < k; i++)
        pthread_join(u[i].t, NULL);
}

/* Pushers on several threads against workers that keep ending after 1 ms
 * idle and being started again: every job runs exactly once, none waits
 * for ever, and stop returns. */
static void handoffs_race_idle_threads_ending(void **st)
{
    (void)st;
    enum { PUSHERS = 4, EACH = 1500 };
    mk_pool *p;
    pusher u[PUSHERS];
    qjob *q = start_pool_and_pushers(&p, u, PUSHERS, EACH, 6, 1, 1);
    join_pushers(u, PUSHERS);
    for (int i = 0; i < PUSHERS * EACH; i++)
        wait_ran(&q[i]);
    struct mk_pool_stats s;
    mk_pool_stats_get(p, &s);
    assert_true(s.spawned > 1);  /* threads did end and start again */
    mk_pool_free(p);
    for (int i = 0; i < PUSHERS * EACH; i++)
        assert_int_equal(atomic_load(&q[i].ran), 1);
    free(q);
}

/* Pushers still pushing while the pool stops: every push accepted before
 * the stop runs exactly once, every later one is refused, and the stopped
 * pool still answers pushes (-1) and statistics until it is freed. */
static void pushes_racing_stop(void **st)
{
    (void)st;
    enum { RACERS = 3, EACH = 20000 };
    mk_pool *p;
    pusher r[RACERS];
    qjob *q = start_pool_and_pushers(&p, r, RACERS, EACH, 4, 0, 0);
    sleep_ms(20);
    mk_pool_stop(p);
    join_pushers(r, RACERS);
    static qjob late;
    assert_int_equal(mk_pool_push(p, &late.item), -1);
    struct mk_pool_stats s;
    mk_pool_stats_get(p, &s);
    assert_int_equal(s.threads, 0);
    assert_int_equal(s.queued, 0);
    for (int i = 0; i < RACERS; i++)
        for (int k = 0; k < EACH; k++)
            assert_int_equal(atomic_load(&r[i].q[k].ran), k < r[i].accepted ? 1 : 0);
    mk_pool_free(p);
    free(q);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(grows_to_max_and_shrinks_back),
        cmocka_unit_test(an_idle_worker_gets_the_job_directly),
        cmocka_unit_test(queued_jobs_run_in_arrival_order),
        cmocka_unit_test(handoffs_race_idle_threads_ending),
        cmocka_unit_test(pushes_racing_stop),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
