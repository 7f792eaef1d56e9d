/*
 * pool.c — worker threads and their queue (see pool.h).
 */
#include "server/pool.h"

#include <pthread.h>
#include <stdlib.h>

struct mk_pool {
    pthread_mutex_t lock;
    pthread_cond_t cond;
    struct mk_pool_item *head, *tail;
    int stopping;
    struct mk_pool_ops ops;
    unsigned n;
    pthread_t *threads;
    /* start-up handshake: how many threads made their state, and failures */
    unsigned ready, failed;
};

static void *worker(void *arg)
{
    mk_pool *p = arg;
    void *state = p->ops.init ? p->ops.init(p->ops.arg) : NULL;
    int ok = !p->ops.init || state;

    pthread_mutex_lock(&p->lock);
    p->ready++;
    if (!ok)
        p->failed++;
    pthread_cond_broadcast(&p->cond);
    pthread_mutex_unlock(&p->lock);
    if (!ok)
        return NULL;

    for (;;) {
        pthread_mutex_lock(&p->lock);
        while (!p->head && !p->stopping)
            pthread_cond_wait(&p->cond, &p->lock);
        struct mk_pool_item *it = p->head;
        if (it) {
            p->head = it->next;
            if (!p->head)
                p->tail = NULL;
        }
        pthread_mutex_unlock(&p->lock);
        if (!it)
            break;  /* stopping and drained */
        it->next = NULL;
        p->ops.run(it, state, p->ops.arg);
    }
    if (p->ops.fini)
        p->ops.fini(state, p->ops.arg);
    return NULL;
}

static void join_all(mk_pool *p, unsigned started)
{
    pthread_mutex_lock(&p->lock);
    p->stopping = 1;
    pthread_cond_broadcast(&p->cond);
    pthread_mutex_unlock(&p->lock);
    for (unsigned i = 0; i < started; i++)
        pthread_join(p->threads[i], NULL);
}

mk_pool *mk_pool_start(unsigned n, const struct mk_pool_ops *ops)
{
    mk_pool *p = calloc(1, sizeof *p);
    if (!p)
        return NULL;
    p->threads = calloc(n, sizeof *p->threads);
    if (!p->threads) {
        free(p);
        return NULL;
    }
    pthread_mutex_init(&p->lock, NULL);
    pthread_cond_init(&p->cond, NULL);
    p->ops = *ops;
    unsigned started = 0;
    for (; started < n; started++)
        if (pthread_create(&p->threads[started], NULL, worker, p) != 0)
            break;
    p->n = started;
    pthread_mutex_lock(&p->lock);
    while (p->ready < started)
        pthread_cond_wait(&p->cond, &p->lock);
    int failed = p->failed || started < n;
    pthread_mutex_unlock(&p->lock);
    if (failed) {
        join_all(p, started);
        pthread_cond_destroy(&p->cond);
        pthread_mutex_destroy(&p->lock);
        free(p->threads);
        free(p);
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
    pthread_cond_signal(&p->cond);
    pthread_mutex_unlock(&p->lock);
    return 0;
}

void mk_pool_stop(mk_pool *p)
{
    if (!p)
        return;
    join_all(p, p->n);
    pthread_cond_destroy(&p->cond);
    pthread_mutex_destroy(&p->lock);
    free(p->threads);
    free(p);
}
