/*
 * test_pool.c — the worker pool (src/server/pool.c): jobs that block (as a
 * SOAP request waiting for the REST budget does) make the pool grow, one
 * thread per waiting job up to max and never beyond; every job runs once,
 * each thread's state is made and released once; threads beyond min end
 * after idle_ms; stop runs what is still queued.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <pthread.h>
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
    mk_pool_stop(p);
    for (int i = 0; i < 10; i++)
        assert_int_equal(more[i].ran, 1);
    assert_int_equal(states_made, states_freed);
    assert_true(states_made >= MAX + 10 - MIN);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(grows_to_max_and_shrinks_back),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
