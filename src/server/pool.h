/*
 * pool.h — a fixed pool of worker threads fed from one FIFO queue.
 *
 * The HTTP thread never blocks on a handler: it suspends the connection and
 * pushes a job here.  Each worker has its own state (a gSOAP engine), made
 * once at start by init and released by fini, so nothing is shared between
 * requests except the queue itself (mutex + condition variable).
 */
#ifndef MK_SERVER_POOL_H
#define MK_SERVER_POOL_H

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

/* Start n threads.  Returns NULL if memory or a thread could not be had
 * (threads already started are stopped). */
mk_pool *mk_pool_start(unsigned n, const struct mk_pool_ops *ops);

/* Queue an item (never blocks for long).  Returns 0, or -1 once stopping. */
int mk_pool_push(mk_pool *p, struct mk_pool_item *item);

/* Run every queued item, then join the threads and free the pool. */
void mk_pool_stop(mk_pool *p);

#endif
