/*
 * token.c — per-client-id OAuth token cache with single-flight renewal;
 * see token.h for the contract.
 *
 * Locking: one mutex guards the entry list and every entry; each entry has
 * a condition variable (monotonic clock) that waiters sleep on while its
 * renewer talks to the identity endpoint with the mutex released.
 */
#include "token.h"

#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "base/clock.h"

typedef struct token_entry {
    char *client_id;
    char token[MK_REST_TOKEN_MAX];
    int have;                 /* token holds a usable value */
    int64_t expires_at_ms;    /* mk_rest_now_ms() clock */
    uint64_t gen;             /* bumped on every successful renewal */
    int renewing;             /* a thread is calling identity now */
    uint64_t renewals;        /* completed renewal attempts (ok or not) */
    mk_rest_status last_status;
    char last_error[256];
    pthread_cond_t cv;
    struct token_entry *next;
} token_entry;

struct mk_rest_tokens {
    pthread_mutex_t mu;
    token_entry *head;
    mk_rest_token_fetch_fn fetch;
    void *ctx;
};

static void set_err(char *err, size_t errlen, const char *msg)
{
    if (err && errlen)
        snprintf(err, errlen, "%s", msg);
}

mk_rest_status mk_rest_tokens_new(mk_rest_token_fetch_fn fetch, void *ctx,
                                  mk_rest_tokens **out)
{
    mk_rest_tokens *t = calloc(1, sizeof *t);
    if (!t)
        return MK_REST_ERR_NOMEM;
    if (pthread_mutex_init(&t->mu, NULL) != 0) {
        free(t);
        return MK_REST_ERR_NOMEM;
    }
    t->fetch = fetch;
    t->ctx = ctx;
    *out = t;
    return MK_REST_OK;
}

void mk_rest_tokens_free(mk_rest_tokens *t)
{
    if (!t)
        return;
    token_entry *e = t->head;
    while (e) {
        token_entry *next = e->next;
        pthread_cond_destroy(&e->cv);
        free(e->client_id);
        memset(e->token, 0, sizeof e->token);
        free(e);
        e = next;
    }
    pthread_mutex_destroy(&t->mu);
    free(t);
}

/* Caller holds t->mu. */
static token_entry *find_entry(mk_rest_tokens *t, const char *client_id, int create)
{
    for (token_entry *e = t->head; e; e = e->next)
        if (strcmp(e->client_id, client_id) == 0)
            return e;
    if (!create)
        return NULL;
    token_entry *e = calloc(1, sizeof *e);
    if (!e)
        return NULL;
    e->client_id = strdup(client_id);
    if (!e->client_id || mk_clock_cond_init(&e->cv) != 0) {
        free(e->client_id);
        free(e);
        return NULL;
    }
    e->next = t->head;
    t->head = e;
    return e;
}

/* Wait on e->cv until woken or deadline_ms passes.  Returns 0 or ETIMEDOUT. */
static int wait_until(pthread_cond_t *cv, pthread_mutex_t *mu, int64_t deadline_ms)
{
    if (deadline_ms <= 0)
        return pthread_cond_wait(cv, mu);
    struct timespec ts = mk_clock_ts(deadline_ms);
    return pthread_cond_timedwait(cv, mu, &ts);
}

mk_rest_status mk_rest_tokens_get(mk_rest_tokens *t, const mk_rest_cred *cred,
                                  int64_t deadline_ms, mk_rest_token *out,
                                  char *err, size_t errlen)
{
    if (!cred || !cred->client_id || !cred->client_secret || !cred->client_id[0]) {
        set_err(err, errlen, "no REST client id/secret");
        return MK_REST_ERR_INVALID;
    }
    pthread_mutex_lock(&t->mu);
    token_entry *e = find_entry(t, cred->client_id, 1);
    if (!e) {
        pthread_mutex_unlock(&t->mu);
        set_err(err, errlen, "out of memory");
        return MK_REST_ERR_NOMEM;
    }
    for (;;) {
        if (e->have && mk_rest_now_ms() < e->expires_at_ms) {
            memcpy(out->text, e->token, sizeof out->text);
            out->gen = e->gen;
            pthread_mutex_unlock(&t->mu);
            return MK_REST_OK;
        }
        if (e->renewing) {
            uint64_t seen = e->renewals;
            while (e->renewing && e->renewals == seen) {
                if (wait_until(&e->cv, &t->mu, deadline_ms) == ETIMEDOUT &&
                    e->renewals == seen) {
                    pthread_mutex_unlock(&t->mu);
                    set_err(err, errlen, "deadline passed while waiting for a token renewal");
                    return MK_REST_ERR_TIMEOUT;
                }
            }
            if (e->have) {
                /* Use the renewer's token even if it was marked use-once
                 * (expires_in 0): it was valid a moment ago, and a 601/602
                 * replay covers the rest. */
                memcpy(out->text, e->token, sizeof out->text);
                out->gen = e->gen;
                pthread_mutex_unlock(&t->mu);
                return MK_REST_OK;
            }
            if (e->last_status != MK_REST_OK) {
                /* Share the renewer's failure rather than queueing up
                 * another identity call behind it. */
                mk_rest_status st = e->last_status;
                set_err(err, errlen, e->last_error);
                pthread_mutex_unlock(&t->mu);
                return st;
            }
            continue; /* renewed then invalidated again: look afresh */
        }

        /* This thread renews. */
        e->renewing = 1;
        e->have = 0;
        pthread_mutex_unlock(&t->mu);

        char token[MK_REST_TOKEN_MAX] = {0};
        char ferr[256] = {0};
        long expires_in = 0;
        mk_rest_status st = t->fetch(t->ctx, cred, deadline_ms, token, &expires_in,
                                     ferr, sizeof ferr);

        pthread_mutex_lock(&t->mu);
        e->renewing = 0;
        e->renewals++;
        e->last_status = st;
        snprintf(e->last_error, sizeof e->last_error, "%s", ferr);
        if (st == MK_REST_OK) {
            memcpy(e->token, token, sizeof e->token);
            e->have = 1;
            e->gen++;
            /* expires_in <= 0: hand it out now, but let the next caller renew. */
            e->expires_at_ms = expires_in > 0 ? mk_rest_now_ms() + (int64_t)expires_in * 1000
                                              : 0;
            memcpy(out->text, token, sizeof out->text);
            out->gen = e->gen;
        }
        memset(token, 0, sizeof token);
        pthread_cond_broadcast(&e->cv);
        pthread_mutex_unlock(&t->mu);
        if (st != MK_REST_OK)
            set_err(err, errlen, ferr);
        return st;
    }
}

void mk_rest_tokens_invalidate(mk_rest_tokens *t, const char *client_id, uint64_t gen)
{
    if (!t || !client_id)
        return;
    pthread_mutex_lock(&t->mu);
    token_entry *e = find_entry(t, client_id, 0);
    if (e && !e->renewing && (gen == 0 || e->gen == gen)) {
        e->have = 0;
        e->expires_at_ms = 0;
    }
    pthread_mutex_unlock(&t->mu);
}
