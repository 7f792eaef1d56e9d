/*
 * redis.c — a pool of hiredis connections with bounded waits and a
 * fail-fast back-off (see redis.h).
 *
 * hiredis contexts are not thread-safe, so each command borrows one from
 * the pool and gives it back; a context that saw an error is closed (its
 * protocol state is unknown) and the store is marked down for BACKOFF_MS.
 * The mutex is never held across network I/O.
 */
#include "cluster/redis.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/time.h>
#include <time.h>

#include <hiredis/hiredis.h>
#include <openssl/sha.h>

#include "base/clock.h"

#define POOL_MAX 16
#define BACKOFF_MS 500

struct mk_redis {
    pthread_mutex_t mu;
    char host[256];
    int port;
    char user[128];
    char password[256];
    int db;
    long timeout_ms;

    redisContext *idle[POOL_MAX];
    int nidle;

    int up;                 /* last outcome, for logging transitions */
    int64_t down_until;     /* monotonic ms; commands fail fast before it */
    mk_redis_stats st;
};

/* ---- URL ---------------------------------------------------------------------- */

static int parse_url(mk_redis *r, const char *url, char *err, size_t errlen)
{
    const char *p;
    if (strncasecmp(url, "rediss://", 9) == 0) {
        snprintf(err, errlen, "config: cluster.redis: rediss:// (TLS) needs hiredis 1.0 or newer; "
                 "this build links hiredis %d.%d — reach Redis over a TLS tunnel (stunnel, "
                 "spiped) or a private network instead", HIREDIS_MAJOR, HIREDIS_MINOR);
        return -1;
    }
    if (strncasecmp(url, "redis://", 8) != 0) {
        snprintf(err, errlen, "config: cluster.redis (MKTOWS_REDIS_URL) must be a URL "
                 "redis://[[user]:password@]host[:port][/db]");
        return -1;
    }
    p = url + 8;
    const char *slash = strchr(p, '/');
    const char *end = slash ? slash : p + strlen(p);
    const char *at = NULL;
    for (const char *q = p; q < end; q++)
        if (*q == '@')
            at = q;
    if (at) {
        const char *colon = memchr(p, ':', (size_t)(at - p));
        size_t ulen = colon ? (size_t)(colon - p) : 0;
        const char *pw = colon ? colon + 1 : p;
        size_t plen = (size_t)(at - pw);
        if (ulen >= sizeof r->user || plen >= sizeof r->password) {
            snprintf(err, errlen, "config: cluster.redis: user or password too long");
            return -1;
        }
        memcpy(r->user, p, ulen);
        r->user[ulen] = '\0';
        memcpy(r->password, pw, plen);
        r->password[plen] = '\0';
        p = at + 1;
    }
    const char *hend = end;
    const char *colon = NULL;
    if (*p == '[') {  /* [IPv6]:port */
        const char *rb = memchr(p, ']', (size_t)(end - p));
        if (!rb) {
            snprintf(err, errlen, "config: cluster.redis: unterminated [IPv6 address]");
            return -1;
        }
        p++;
        hend = rb;
        if (rb + 1 < end && rb[1] == ':')
            colon = rb + 1;
    } else {
        colon = memchr(p, ':', (size_t)(end - p));
        if (colon)
            hend = colon;
    }
    size_t hlen = (size_t)(hend - p);
    if (hlen == 0 || hlen >= sizeof r->host) {
        snprintf(err, errlen, "config: cluster.redis: the URL names no host");
        return -1;
    }
    memcpy(r->host, p, hlen);
    r->host[hlen] = '\0';
    r->port = 6379;
    if (colon) {
        char *e;
        long port = strtol(colon + 1, &e, 10);
        if (e != end || port < 1 || port > 65535) {
            snprintf(err, errlen, "config: cluster.redis: bad port");
            return -1;
        }
        r->port = (int)port;
    }
    r->db = 0;
    if (slash && slash[1]) {
        char *e;
        long db = strtol(slash + 1, &e, 10);
        if (*e || db < 0 || db > 100000) {
            snprintf(err, errlen, "config: cluster.redis: the database after '/' must be a "
                     "number");
            return -1;
        }
        r->db = (int)db;
    }
    return 0;
}

/* ---- connections ----------------------------------------------------------------- */

static void note_failure(mk_redis *r, const char *why)
{
    pthread_mutex_lock(&r->mu);
    r->st.errors++;
    r->down_until = mk_clock_mono_ms() + BACKOFF_MS;
    int was_up = r->up;
    r->up = 0;
    if (was_up)
        r->st.outages++;
    pthread_mutex_unlock(&r->mu);
    if (was_up)
        fprintf(stderr, "mktows-shim: Redis at %s:%d does not answer (%s): shared state and the "
                "shared REST budget fall back to local ones until it does\n",
                r->host, r->port, why);
}

static void note_success(mk_redis *r)
{
    pthread_mutex_lock(&r->mu);
    r->st.commands++;
    int was_up = r->up;
    r->up = 1;
    r->down_until = 0;
    pthread_mutex_unlock(&r->mu);
    if (!was_up)
        fprintf(stderr, "mktows-shim: Redis at %s:%d answers: shared REST budget and state in "
                "use\n", r->host, r->port);
}

/* One command on a fresh context during set-up; 0 if answered without error. */
static int setup_cmd(redisContext *c, int argc, const char **argv)
{
    redisReply *rep = redisCommandArgv(c, argc, argv, NULL);
    int ok = rep && rep->type != REDIS_REPLY_ERROR;
    if (rep)
        freeReplyObject(rep);
    return ok ? 0 : -1;
}

static redisContext *connect_one(mk_redis *r, char *why, size_t whylen)
{
    struct timeval tv = {.tv_sec = r->timeout_ms / 1000,
                         .tv_usec = (r->timeout_ms % 1000) * 1000};
    redisContext *c = redisConnectWithTimeout(r->host, r->port, tv);
    if (!c || c->err) {
        snprintf(why, whylen, "%s", c ? c->errstr : "out of memory");
        if (c)
            redisFree(c);
        return NULL;
    }
    redisSetTimeout(c, tv);
    if (r->password[0]) {
        const char *a3[] = {"AUTH", r->user, r->password};
        const char *a2[] = {"AUTH", r->password};
        if (r->user[0] ? setup_cmd(c, 3, a3) : setup_cmd(c, 2, a2)) {
            snprintf(why, whylen, "AUTH refused");
            redisFree(c);
            return NULL;
        }
    }
    if (r->db) {
        char db[16];
        snprintf(db, sizeof db, "%d", r->db);
        const char *a[] = {"SELECT", db};
        if (setup_cmd(c, 2, a)) {
            snprintf(why, whylen, "SELECT %d refused", r->db);
            redisFree(c);
            return NULL;
        }
    }
    pthread_mutex_lock(&r->mu);
    r->st.connects++;
    pthread_mutex_unlock(&r->mu);
    return c;
}

/* Borrow a connection; NULL while in back-off or when connecting fails. */
static redisContext *borrow(mk_redis *r)
{
    pthread_mutex_lock(&r->mu);
    if (r->down_until && mk_clock_mono_ms() < r->down_until) {
        r->st.errors++;
        pthread_mutex_unlock(&r->mu);
        return NULL;
    }
    redisContext *c = r->nidle ? r->idle[--r->nidle] : NULL;
    pthread_mutex_unlock(&r->mu);
    if (c)
        return c;
    char why[128];
    c = connect_one(r, why, sizeof why);
    if (!c)
        note_failure(r, why);
    return c;
}

static void give_back(mk_redis *r, redisContext *c)
{
    pthread_mutex_lock(&r->mu);
    if (r->nidle < POOL_MAX) {
        r->idle[r->nidle++] = c;
        c = NULL;
    }
    pthread_mutex_unlock(&r->mu);
    if (c)
        redisFree(c);
}

/* ---- replies ------------------------------------------------------------------------ */

void mk_redis_reply_free(mk_redis_reply *reply)
{
    if (!reply)
        return;
    for (size_t i = 0; i < reply->nelem; i++)
        mk_redis_reply_free(&reply->elem[i]);
    free(reply->elem);
    free(reply->str);
    memset(reply, 0, sizeof *reply);
}

static int copy_reply(const redisReply *in, mk_redis_reply *out)
{
    memset(out, 0, sizeof *out);
    switch (in->type) {
    case REDIS_REPLY_INTEGER:
        out->type = MK_REDIS_INT;
        out->integer = in->integer;
        return 0;
    case REDIS_REPLY_STRING:
    case REDIS_REPLY_STATUS:
        out->type = MK_REDIS_STR;
        out->str = malloc(in->len + 1);
        if (!out->str)
            return -1;
        memcpy(out->str, in->str, in->len);
        out->str[in->len] = '\0';
        out->len = in->len;
        return 0;
    case REDIS_REPLY_ARRAY:
        out->type = MK_REDIS_ARRAY;
        if (in->elements == 0)
            return 0;
        out->elem = calloc(in->elements, sizeof *out->elem);
        if (!out->elem)
            return -1;
        out->nelem = in->elements;
        for (size_t i = 0; i < in->elements; i++)
            if (copy_reply(in->element[i], &out->elem[i]) != 0)
                return -1;
        return 0;
    default:
        out->type = MK_REDIS_NIL;
        return 0;
    }
}

/* ---- commands -------------------------------------------------------------------------- */

/* Run on a borrowed context; *raw is the reply (caller frees), or NULL when
 * the connection failed (the context is then closed). */
static int run(mk_redis *r, int argc, const char **argv, const size_t *lens, redisReply **raw)
{
    *raw = NULL;
    redisContext *c = borrow(r);
    if (!c)
        return -1;
    redisReply *rep = redisCommandArgv(c, argc, argv, lens);
    if (!rep || c->err) {
        char why[128];
        snprintf(why, sizeof why, "%s", c->err ? c->errstr : "no reply");
        if (rep)
            freeReplyObject(rep);
        redisFree(c);
        note_failure(r, why);
        return -1;
    }
    give_back(r, c);
    *raw = rep;
    return 0;
}

static int finish(mk_redis *r, redisReply *rep, mk_redis_reply *reply)
{
    if (rep->type == REDIS_REPLY_ERROR) {
        /* Redis answered: it is up, the command itself was wrong (a bug
         * here, or a script error) — logged, counted, not an outage. */
        fprintf(stderr, "mktows-shim: Redis refused a command: %.*s\n", (int)rep->len, rep->str);
        freeReplyObject(rep);
        pthread_mutex_lock(&r->mu);
        r->st.errors++;
        pthread_mutex_unlock(&r->mu);
        return -1;
    }
    int rc = copy_reply(rep, reply);
    freeReplyObject(rep);
    if (rc != 0) {
        mk_redis_reply_free(reply);
        return -1;
    }
    note_success(r);
    return 0;
}

int mk_redis_cmd(mk_redis *r, int argc, const char **argv, const size_t *lens,
                 mk_redis_reply *reply)
{
    memset(reply, 0, sizeof *reply);
    redisReply *rep;
    if (run(r, argc, argv, lens, &rep) != 0)
        return -1;
    return finish(r, rep, reply);
}

int mk_redis_eval(mk_redis *r, const char *script, int nkeys, const char **keys, int nargs,
                  const char **args, mk_redis_reply *reply)
{
    memset(reply, 0, sizeof *reply);
    unsigned char md[SHA_DIGEST_LENGTH];
    char sha[2 * SHA_DIGEST_LENGTH + 1];
    SHA1((const unsigned char *)script, strlen(script), md);
    for (int i = 0; i < SHA_DIGEST_LENGTH; i++)
        snprintf(sha + 2 * i, 3, "%02x", md[i]);
    char nk[16];
    snprintf(nk, sizeof nk, "%d", nkeys);

    int argc = 3 + nkeys + nargs;
    const char **argv = malloc((size_t)argc * sizeof *argv);
    if (!argv)
        return -1;
    argv[0] = "EVALSHA";
    argv[1] = sha;
    argv[2] = nk;
    for (int i = 0; i < nkeys; i++)
        argv[3 + i] = keys[i];
    for (int i = 0; i < nargs; i++)
        argv[3 + nkeys + i] = args[i];

    redisReply *rep;
    int rc = run(r, argc, argv, NULL, &rep);
    if (rc == 0 && rep->type == REDIS_REPLY_ERROR && strncmp(rep->str, "NOSCRIPT", 8) == 0) {
        /* First use on this Redis (or after a restart / SCRIPT FLUSH). */
        freeReplyObject(rep);
        argv[0] = "EVAL";
        argv[1] = script;
        rc = run(r, argc, argv, NULL, &rep);
    }
    free(argv);
    if (rc != 0)
        return -1;
    return finish(r, rep, reply);
}

/* ---- lifecycle ----------------------------------------------------------------------------- */

int mk_redis_new(const char *url, long timeout_ms, mk_redis **out, char *err, size_t errlen)
{
    *out = NULL;
    mk_redis *r = calloc(1, sizeof *r);
    if (!r) {
        snprintf(err, errlen, "out of memory");
        return -1;
    }
    if (parse_url(r, url, err, errlen) != 0) {
        free(r);
        return -1;
    }
    r->timeout_ms = timeout_ms > 0 ? timeout_ms : 250;
    r->up = 1;  /* so that a first failure is logged */
    pthread_mutex_init(&r->mu, NULL);
    *out = r;
    return 0;
}

void mk_redis_free(mk_redis *r)
{
    if (!r)
        return;
    for (int i = 0; i < r->nidle; i++)
        redisFree(r->idle[i]);
    pthread_mutex_destroy(&r->mu);
    free(r);
}

int mk_redis_ping(mk_redis *r, char *err, size_t errlen)
{
    const char *argv[] = {"PING"};
    mk_redis_reply rep;
    if (mk_redis_cmd(r, 1, argv, NULL, &rep) != 0) {
        snprintf(err, errlen, "Redis at %s:%d does not answer PING", r->host, r->port);
        return -1;
    }
    mk_redis_reply_free(&rep);
    return 0;
}

int mk_redis_is_up(mk_redis *r)
{
    pthread_mutex_lock(&r->mu);
    int up = !(r->down_until && mk_clock_mono_ms() < r->down_until);
    pthread_mutex_unlock(&r->mu);
    return up;
}

void mk_redis_stats_get(mk_redis *r, mk_redis_stats *out)
{
    pthread_mutex_lock(&r->mu);
    *out = r->st;
    out->up = r->up;
    pthread_mutex_unlock(&r->mu);
}
