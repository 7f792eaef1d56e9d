/*
 * budget.h — Marketo's REST limits shared by every replica, kept in Redis.
 *
 * The quota guard (rest/limiter.c) of each replica asks this store for
 * every send (mk_rest_shared_budget, rest/rest.h).  One Lua script per
 * step runs atomically inside Redis, on Redis's clock, so replicas on
 * different machines agree on time and never race:
 *
 *   <prefix>win       sorted set: one member per send of the current window,
 *                     scored by when it leaves the window (an in-flight send:
 *                     its lease + one window, then, once answered, one
 *                     window after its answer — the rule of limiter.h)
 *   <prefix>inflight  sorted set: sends in flight, scored by lease expiry, so
 *                     the slots of a replica that died free themselves
 *   <prefix>day:<n>   sends counted on Marketo day n (expires after 2 days)
 *   <prefix>pause     "until why": a 606/615 seen by one replica pauses all
 *   <prefix>blocked   present while a 607 refuses everything
 *   <prefix>last      last admission, for pacing past the burst
 *   <prefix>active    sorted set: replicas that asked in the last 2 s
 *   <prefix>turn      hash: when each replica may take its next paced send
 *   <prefix>gen       a random generation, set when Redis has no state (first
 *                     use, or restarted empty): a replica seeing it change
 *                     puts its own recent sends back (restore)
 *
 * The prefix names the Marketo instance (its REST endpoint), so several
 * shim deployments for different instances may share one Redis.
 */
#ifndef MK_CLUSTER_BUDGET_H
#define MK_CLUSTER_BUDGET_H

#include <stddef.h>

#include "cluster/redis.h"
#include "rest/rest.h"

typedef struct mk_budget mk_budget;

/* A shared budget over r (not owned) for the instance at rest_endpoint,
 * with `replicas` expected replicas (the local share while Redis is
 * unreachable).  Returns 0, or -1 (out of memory). */
int mk_budget_new(mk_redis *r, const char *rest_endpoint, int replicas, mk_budget **out);
void mk_budget_free(mk_budget *b);

/* The interface the quota guard uses (valid while b lives). */
const mk_rest_shared_budget *mk_budget_iface(mk_budget *b);

/* The key prefix in use (for operators and tests). */
const char *mk_budget_prefix(const mk_budget *b);

#endif /* MK_CLUSTER_BUDGET_H */
