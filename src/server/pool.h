/*
 * pool.h — worker threads, handed jobs directly when idle (a FIFO queue
 * when none is), growing with demand.
 *
 * The HTTP thread never blocks on a handler: it suspends the connection and
 * pushes a job here.  Each worker has its own state (a gSOAP engine), made
 * by init when the thread starts and released by fini when it ends, so
 * nothing is shared between requests except the queue itself.  An idle
 * worker sleeps on its own semaphore; a job pushed while one is idle is
 * handed to it with one wake-up and never queued (pool.c).
 *
 * A SOAP request waiting for the REST budget holds its worker for the whole
 * wait (the handlers are plain blocking code), so the number of requests
 * that can wait -- and share one REST call -- is the number of threads.
 * The pool therefore starts `min` threads and adds one whenever a job is
 * queued and no thread is idle, up to `max`; a thread idle for idle_ms
 * beyond the first `min` ends.  Threads get small stacks (stack_bytes) so
 * that thousands of waiting requests cost megabytes, not gigabytes.
 */
#ifndef MK_SERVER_POOL_H
#define MK_SERVER_POOL_H

#include <stddef.h>

/* Embed as the first member of a job struct. */
struct mk_pool_item {
    struct mk_pool_item *next;
};

typedef struct mk_pool mk_pool;

struct mk_pool_ops {
    void *(*init)(void *arg);                          /* per-thread state, NULL = failure */
    void (*run)(struct mk_pool_item *item, void *state, void *arg);
    void (*fini)(void *state, void *arg);
    void *arg;
};

struct mk_pool_limits {
    unsigned min;          /* threads started at once and kept */
    unsigned max;          /* at most this many (>= min) */
    size_t stack_bytes;    /* per thread; 0: the system default */
    unsigned idle_ms;      /* a thread beyond min idle this long ends; 0: 10,000 */
};

struct mk_pool_stats {
    unsigned threads;      /* alive now */
    unsigned busy;         /* running a job */
    unsigned queued;       /* jobs waiting for a thread */
    unsigned peak;         /* most threads alive at once */
    unsigned long long spawned, spawn_failures;
    unsigned long long handoffs;  /* jobs given straight to an idle worker */
};

/* Start lim->min threads.  Returns NULL if memory or one of those threads
 * could not be had (threads already started are stopped). */
mk_pool *mk_pool_start(const struct mk_pool_limits *lim, const struct mk_pool_ops *ops);

/* Queue an item (never blocks for long; may start a thread).  Returns 0,
 * or -1 once stopping. */
int mk_pool_push(mk_pool *p, struct mk_pool_item *item);

void mk_pool_stats_get(mk_pool *p, struct mk_pool_stats *out);

/* Refuse further pushes (mk_pool_push returns -1), wait for pushes in
 * progress, run every queued item, then join the threads.  The pool stays
 * valid for mk_pool_push (refused) and mk_pool_stats_get until
 * mk_pool_free.  Calling it again does nothing. */
void mk_pool_stop(mk_pool *p);

/* Stop (if not stopped) and free the pool.  Nothing may use it after. */
void mk_pool_free(mk_pool *p);

#endif
