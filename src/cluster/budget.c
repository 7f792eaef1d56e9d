/*
 * budget.c — the shared REST budget's Lua scripts and their callers (see
 * budget.h for the keys).
 *
 * Scripts read the time with TIME (Redis 5+ replicates a script's effects,
 * not the script, so this is allowed) and return integers only.
 */
#include "cluster/budget.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

/* KEYS: win inflight day pause last blocked gen active turn
 * ARGV: id rate window_ms maxc daily burst lease_ms newgen replica
 *
 * Past the burst, sends are paced window / rate apart for the whole
 * instance, and each replica takes its turn: after a paced send a replica
 * waits gap x (replicas that asked in the last 2 s).  Without turns the
 * replica that asks first wins every slot, and the others' coalesced
 * batches are sealed and sent half full; with them each replica's batch
 * fills for as long as a single shim's would. 
 * -> {1, next_ms, 0, gen} admitted (the next send can be admitted in next_ms)
 *  | {0, retry_ms (-1: not today), why, gen} */
static const char ACQUIRE[] =
    "local t = redis.call('TIME')\n"
    "local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)\n"
    "local gen = redis.call('GET', KEYS[7])\n"
    "if not gen then redis.call('SET', KEYS[7], ARGV[8]); gen = ARGV[8] end\n"
    "gen = tonumber(gen)\n"
    "local rate, window, maxc = tonumber(ARGV[2]), tonumber(ARGV[3]), tonumber(ARGV[4])\n"
    "local daily, burst, lease = tonumber(ARGV[5]), tonumber(ARGV[6]), tonumber(ARGV[7])\n"
    "if redis.call('EXISTS', KEYS[6]) == 1 then return {0, -1, 3, gen} end\n"
    "redis.call('ZADD', KEYS[8], now, ARGV[9])\n"
    "redis.call('ZREMRANGEBYSCORE', KEYS[8], '-inf', now - 2000)\n"
    "redis.call('PEXPIRE', KEYS[8], 2000)\n"
    "local p = redis.call('GET', KEYS[4])\n"
    "if p then\n"
    "  local untl, why = string.match(p, '(%d+) (%d+)')\n"
    "  untl = tonumber(untl)\n"
    "  if untl > now then return {0, untl - now, tonumber(why), gen} end\n"
    "end\n"
    "redis.call('ZREMRANGEBYSCORE', KEYS[2], '-inf', now)\n"
    "redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', now)\n"
    "if redis.call('ZCARD', KEYS[2]) >= maxc then return {0, 10, 2, gen} end\n"
    "local used = redis.call('ZCARD', KEYS[1])\n"
    "if used >= rate then\n"
    "  local first = redis.call('ZRANGE', KEYS[1], 0, 0, 'WITHSCORES')\n"
    "  local wait = tonumber(first[2]) - now\n"
    "  if wait < 1 then wait = 1 end\n"
    "  return {0, wait, 1, gen}\n"
    "end\n"
    "if burst > 0 and used >= burst then\n"
    "  local mine = tonumber(redis.call('HGET', KEYS[9], ARGV[9]) or '0')\n"
    "  if mine > now then return {0, mine - now, 1, gen} end\n"
    "  local last = tonumber(redis.call('GET', KEYS[5]) or '0')\n"
    "  local gap = math.floor(window / rate)\n"
    "  if now < last + gap then return {0, last + gap - now, 1, gen} end\n"
    "end\n"
    "if daily > 0 and tonumber(redis.call('GET', KEYS[3]) or '0') >= daily then\n"
    "  return {0, -1, 3, gen}\n"
    "end\n"
    "redis.call('ZADD', KEYS[1], now + lease + window, ARGV[1])\n"
    "redis.call('ZADD', KEYS[2], now + lease, ARGV[1])\n"
    "redis.call('INCR', KEYS[3])\n"
    "redis.call('PEXPIRE', KEYS[3], 172800000)\n"
    "redis.call('SET', KEYS[5], now, 'PX', window)\n"
    "local nxt = 0\n"
    "if used + 1 >= rate then\n"
    "  local first = redis.call('ZRANGE', KEYS[1], 0, 0, 'WITHSCORES')\n"
    "  nxt = tonumber(first[2]) - now\n"
    "elseif burst > 0 and used + 1 >= burst then\n"
    "  nxt = math.floor(window / rate) * redis.call('ZCARD', KEYS[8])\n"
    "  redis.call('HSET', KEYS[9], ARGV[9], now + nxt)\n"
    "  redis.call('PEXPIRE', KEYS[9], window)\n"
    "end\n"
    "return {1, nxt, 0, gen}\n";

/* KEYS: win inflight day pause blocked
 * ARGV: id counted window_ms pause_ms pause_why blocked_ms */
static const char RELEASE[] =
    "local t = redis.call('TIME')\n"
    "local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)\n"
    "redis.call('ZREM', KEYS[2], ARGV[1])\n"
    "if ARGV[2] == '1' then\n"
    "  redis.call('ZADD', KEYS[1], now + tonumber(ARGV[3]), ARGV[1])\n"
    "else\n"
    "  if redis.call('ZREM', KEYS[1], ARGV[1]) == 1 and\n"
    "     tonumber(redis.call('GET', KEYS[3]) or '0') > 0 then\n"
    "    redis.call('DECR', KEYS[3])\n"
    "  end\n"
    "end\n"
    "local pause = tonumber(ARGV[4])\n"
    "if pause > 0 then\n"
    "  local cur = 0\n"
    "  local p = redis.call('GET', KEYS[4])\n"
    "  if p then cur = tonumber(string.match(p, '(%d+)')) end\n"
    "  if now + pause > cur then\n"
    "    redis.call('SET', KEYS[4], (now + pause) .. ' ' .. ARGV[5], 'PX', pause)\n"
    "  end\n"
    "end\n"
    "local blocked = tonumber(ARGV[6])\n"
    "if blocked > 0 then redis.call('SET', KEYS[5], '1', 'PX', blocked) end\n"
    "return 1\n";

/* KEYS: win inflight
 * ARGV: window_ms lease_ms, then pairs id remaining_ms (-1: in flight) */
static const char RESTORE[] =
    "local t = redis.call('TIME')\n"
    "local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)\n"
    "local window, lease = tonumber(ARGV[1]), tonumber(ARGV[2])\n"
    "for i = 3, #ARGV, 2 do\n"
    "  local left = tonumber(ARGV[i + 1])\n"
    "  if left < 0 then\n"
    "    redis.call('ZADD', KEYS[2], now + lease, ARGV[i])\n"
    "    redis.call('ZADD', KEYS[1], now + lease + window, ARGV[i])\n"
    "  else\n"
    "    redis.call('ZADD', KEYS[1], now + left, ARGV[i])\n"
    "  end\n"
    "end\n"
    "return #ARGV\n";

struct mk_budget {
    mk_redis *redis;
    mk_rest_shared_budget iface;
    char prefix[200];
    char k_win[224], k_inflight[224], k_pause[224], k_last[224], k_blocked[224], k_gen[224];
    char k_active[224], k_turn[224];
    uint64_t newgen;     /* offered as the generation when Redis has none */
};

static void num(char *buf, size_t len, int64_t v)
{
    snprintf(buf, len, "%" PRId64, v);
}

static int64_t reply_int(const mk_redis_reply *r, size_t i)
{
    if (r->type != MK_REDIS_ARRAY || i >= r->nelem)
        return 0;
    const mk_redis_reply *e = &r->elem[i];
    return e->type == MK_REDIS_INT ? (int64_t)e->integer
           : e->str                ? strtoll(e->str, NULL, 10)
                                   : 0;
}

static int b_acquire(void *ctx, const mk_rest_shared_ask *ask, int64_t *retry_ms, int *why,
                     uint64_t *generation)
{
    mk_budget *b = ctx;
    char day[256];
    snprintf(day, sizeof day, "%sday:%" PRId64, b->prefix, ask->quota_day);
    const char *keys[] = {b->k_win, b->k_inflight, day, b->k_pause, b->k_last, b->k_blocked,
                          b->k_gen, b->k_active, b->k_turn};
    char a[7][24];
    num(a[0], sizeof a[0], ask->rate_limit);
    num(a[1], sizeof a[1], ask->rate_window_ms);
    num(a[2], sizeof a[2], ask->max_concurrency);
    num(a[3], sizeof a[3], ask->daily_quota);
    num(a[4], sizeof a[4], ask->burst);
    num(a[5], sizeof a[5], ask->lease_ms);
    num(a[6], sizeof a[6], (int64_t)(b->newgen & INT64_MAX));
    const char *args[] = {ask->id, a[0], a[1], a[2], a[3], a[4], a[5], a[6], ask->replica};
    mk_redis_reply rep;
    if (mk_redis_eval(b->redis, ACQUIRE, 9, keys, 9, args, &rep) != 0)
        return -1;
    int admitted = (int)reply_int(&rep, 0);
    *retry_ms = reply_int(&rep, 1);
    *why = (int)reply_int(&rep, 2);
    *generation = (uint64_t)reply_int(&rep, 3);
    int ok = rep.type == MK_REDIS_ARRAY && rep.nelem == 4;
    mk_redis_reply_free(&rep);
    if (!ok)
        return -1;
    return admitted ? 1 : 0;
}

static int b_release(void *ctx, const char *id, int counted, long window_ms, int64_t pause_ms,
                     int pause_why, int64_t blocked_ms, int64_t quota_day)
{
    mk_budget *b = ctx;
    char day[256];
    snprintf(day, sizeof day, "%sday:%" PRId64, b->prefix, quota_day);
    const char *keys[] = {b->k_win, b->k_inflight, day, b->k_pause, b->k_blocked};
    char a[4][24];
    num(a[0], sizeof a[0], window_ms);
    num(a[1], sizeof a[1], pause_ms);
    num(a[2], sizeof a[2], pause_why);
    num(a[3], sizeof a[3], blocked_ms);
    const char *args[] = {id, counted ? "1" : "0", a[0], a[1], a[2], a[3]};
    mk_redis_reply rep;
    if (mk_redis_eval(b->redis, RELEASE, 5, keys, 6, args, &rep) != 0)
        return -1;
    mk_redis_reply_free(&rep);
    return 0;
}

static int b_restore(void *ctx, const mk_rest_shared_slot *slots, size_t n, long window_ms,
                     long lease_ms)
{
    mk_budget *b = ctx;
    const char *keys[] = {b->k_win, b->k_inflight};
    size_t nargs = 2 + 2 * n;
    const char **args = calloc(nargs, sizeof *args);
    char (*nums)[24] = calloc(n + 2, sizeof *nums);
    if (!args || !nums) {
        free(args);
        free(nums);
        return -1;
    }
    num(nums[0], sizeof nums[0], window_ms);
    num(nums[1], sizeof nums[1], lease_ms);
    args[0] = nums[0];
    args[1] = nums[1];
    for (size_t i = 0; i < n; i++) {
        num(nums[i + 2], sizeof nums[i + 2], slots[i].remaining_ms);
        args[2 + 2 * i] = slots[i].id;
        args[3 + 2 * i] = nums[i + 2];
    }
    mk_redis_reply rep;
    int rc = mk_redis_eval(b->redis, RESTORE, 2, keys, (int)nargs, args, &rep);
    free(args);
    free(nums);
    if (rc != 0)
        return -1;
    mk_redis_reply_free(&rep);
    return 0;
}

int mk_budget_new(mk_redis *r, const char *rest_endpoint, int replicas, mk_budget **out)
{
    *out = NULL;
    mk_budget *b = calloc(1, sizeof *b);
    if (!b)
        return -1;
    b->redis = r;
    /* The instance's host names the budget; the braces make every key hash
     * to one Redis Cluster slot, as a multi-key script needs. */
    const char *host = rest_endpoint ? strstr(rest_endpoint, "://") : NULL;
    host = host ? host + 3 : (rest_endpoint ? rest_endpoint : "default");
    size_t hl = strcspn(host, "/");
    if (hl > 150)
        hl = 150;
    snprintf(b->prefix, sizeof b->prefix, "mktows:{%.*s}:", (int)hl, host);
    snprintf(b->k_win, sizeof b->k_win, "%swin", b->prefix);
    snprintf(b->k_inflight, sizeof b->k_inflight, "%sinflight", b->prefix);
    snprintf(b->k_pause, sizeof b->k_pause, "%spause", b->prefix);
    snprintf(b->k_last, sizeof b->k_last, "%slast", b->prefix);
    snprintf(b->k_blocked, sizeof b->k_blocked, "%sblocked", b->prefix);
    snprintf(b->k_gen, sizeof b->k_gen, "%sgen", b->prefix);
    snprintf(b->k_active, sizeof b->k_active, "%sactive", b->prefix);
    snprintf(b->k_turn, sizeof b->k_turn, "%sturn", b->prefix);
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    b->newgen = ((uint64_t)ts.tv_sec * 1000003u) ^ ((uint64_t)ts.tv_nsec << 20) ^
                (uint64_t)(uintptr_t)b;
    b->newgen &= 0xffffffffffffULL;  /* exact in Lua's doubles */
    if (!b->newgen)
        b->newgen = 1;
    b->iface = (mk_rest_shared_budget){.ctx = b,
                                       .acquire = b_acquire,
                                       .release = b_release,
                                       .restore = b_restore,
                                       .replicas = replicas > 0 ? replicas : 1};
    *out = b;
    return 0;
}

void mk_budget_free(mk_budget *b)
{
    free(b);
}

const mk_rest_shared_budget *mk_budget_iface(mk_budget *b)
{
    return &b->iface;
}

const char *mk_budget_prefix(const mk_budget *b)
{
    return b->prefix;
}
