/*
 * token.h — the OAuth token cache of the REST client (internal).
 *
 * One entry per REST client id, shared by every thread of the process that
 * uses the same mk_rest_client.  A thread that finds no valid token becomes
 * the renewer: it calls the identity endpoint (through a callback, so this
 * module has no HTTP in it) while the others wait on a condition variable
 * and then use its result (single flight: N threads, one identity call).
 * If the renewal fails, the waiters return the same failure instead of
 * queueing up behind each other for another identity call.
 *
 * Tokens carry a generation number so that a 601/602 only invalidates the
 * token that was actually rejected: a thread holding a stale token must not
 * throw away the fresh one another thread has just fetched.
 *
 * Marketo returns the *same* token until it lapses, so renewing early buys
 * nothing; the cache keeps (token, now + expires_in) and relies on the
 * 601/602 replay for the edge.
 */
#ifndef MK_REST_TOKEN_H
#define MK_REST_TOKEN_H

#include <stddef.h>
#include <stdint.h>

#include "rest.h"

#define MK_REST_TOKEN_MAX 512

typedef struct mk_rest_tokens mk_rest_tokens;

/* Renew: fetch a token for cred before deadline_ms (0: no deadline).  On
 * success fill token (NUL-terminated, < MK_REST_TOKEN_MAX) and *expires_in
 * (seconds; <= 0 means "use once, do not cache").  On failure put a reason
 * in err.  Called without any cache lock held. */
typedef mk_rest_status (*mk_rest_token_fetch_fn)(void *ctx, const mk_rest_cred *cred,
                                                 int64_t deadline_ms, char *token,
                                                 long *expires_in, char *err,
                                                 size_t errlen);

/* A token handed to a caller: its text and generation. */
typedef struct mk_rest_token {
    char text[MK_REST_TOKEN_MAX];
    uint64_t gen;
} mk_rest_token;

/* Create an empty cache that renews through fetch(ctx, ...). */
mk_rest_status mk_rest_tokens_new(mk_rest_token_fetch_fn fetch, void *ctx,
                                  mk_rest_tokens **out);

/* Free the cache.  No thread may be inside it.  NULL is ignored. */
void mk_rest_tokens_free(mk_rest_tokens *t);

/* Get a valid token for cred, renewing it (single flight) when needed.
 * Waiting for another thread's renewal honours deadline_ms (0: none). */
mk_rest_status mk_rest_tokens_get(mk_rest_tokens *t, const mk_rest_cred *cred,
                                  int64_t deadline_ms, mk_rest_token *out,
                                  char *err, size_t errlen);

/* Forget client_id's token if it is still generation gen (gen 0: always). */
void mk_rest_tokens_invalidate(mk_rest_tokens *t, const char *client_id, uint64_t gen);

#endif /* MK_REST_TOKEN_H */
