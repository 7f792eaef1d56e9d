/*
 * redis.h — the shim's connection to Redis, the one store that several
 * mktows-shim replicas share (configuration key cluster.redis).
 *
 * Replicas of one deployment draw from one Marketo REST budget and must
 * agree on a few pieces of state (importToList batches); Redis holds both
 * (cluster/budget.c, ops/core/importstore.c).  This module only connects and
 * runs commands:
 *
 *   - a small pool of hiredis connections, so any worker thread can run a
 *     command without waiting for another's round trip;
 *   - every command is bounded by cluster.timeout_ms (connect and reply);
 *   - after a failure the store is "down" for a short back-off, during
 *     which commands fail at once instead of each paying a connect timeout;
 *     callers then fall back to their local behaviour (never an outage);
 *   - the first failure of an outage and the recovery are logged once each.
 *
 * URL form: redis://[[user]:password@]host[:port][/db].  TLS (rediss://)
 * needs hiredis 1.0 or newer; Debian 12's hiredis is 0.14, so a rediss://
 * URL is refused at start-up with a message saying so.
 *
 * Thread-safety: every function may be called from any thread.
 */
#ifndef MK_CLUSTER_REDIS_H
#define MK_CLUSTER_REDIS_H

#include <stddef.h>
#include <stdint.h>

typedef struct mk_redis mk_redis;

/* What operators see in /_shim/stats. */
typedef struct mk_redis_stats {
    int up;                  /* the last command succeeded */
    uint64_t commands;       /* commands answered */
    uint64_t errors;         /* commands that failed (connection, timeout, error reply) */
    uint64_t outages;        /* times the store went from up to down */
    uint64_t connects;       /* connections opened */
} mk_redis_stats;

/* Parse url and prepare a pool (no connection is opened yet).  Returns 0,
 * or -1 with a message in err (a bad URL, rediss:// unsupported). */
int mk_redis_new(const char *url, long timeout_ms, mk_redis **out, char *err, size_t errlen);

/* Close every connection and free.  NULL is ignored. */
void mk_redis_free(mk_redis *r);

/* Open one connection now and PING: 0 if Redis answers, -1 with a message
 * (used at start-up to log the state, never to refuse starting). */
int mk_redis_ping(mk_redis *r, char *err, size_t errlen);

/* A reply, reduced to what the shim's scripts and commands return. */
typedef struct mk_redis_reply {
    int type;                /* MK_REDIS_NIL, _INT, _STR, _ARRAY */
    long long integer;
    char *str;               /* malloc'd, NUL-terminated (also for _ARRAY members) */
    size_t len;
    struct mk_redis_reply *elem;  /* _ARRAY members */
    size_t nelem;
} mk_redis_reply;

enum { MK_REDIS_NIL = 0, MK_REDIS_INT, MK_REDIS_STR, MK_REDIS_ARRAY };

/* Run one command given as argv (binary-safe: lens may be NULL for C
 * strings).  Returns 0 and fills *reply (free it with mk_redis_reply_free),
 * or -1: Redis unreachable, timed out or answered an error. */
int mk_redis_cmd(mk_redis *r, int argc, const char **argv, const size_t *lens,
                 mk_redis_reply *reply);

/* Run a Lua script by its SHA1 (EVALSHA), loading it first when Redis does
 * not know it yet (NOSCRIPT).  keys then args, all C strings. */
int mk_redis_eval(mk_redis *r, const char *script, int nkeys, const char **keys, int nargs,
                  const char **args, mk_redis_reply *reply);

void mk_redis_reply_free(mk_redis_reply *reply);

/* 1 while commands are expected to work (not in a back-off after a failure). */
int mk_redis_is_up(mk_redis *r);

void mk_redis_stats_get(mk_redis *r, mk_redis_stats *out);

#endif /* MK_CLUSTER_REDIS_H */
