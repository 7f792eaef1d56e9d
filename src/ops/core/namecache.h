/*
 * namecache.h — name → id lookups remembered for a while.
 *
 * SOAP names things (a static list, a program's list, a smart campaign);
 * REST addresses them by id.  Every such lookup is one REST call
 * (GET /rest/v1/lists.json?name=, /rest/v1/campaigns.json?name=&programName=),
 * and Marketo's REST quota is shared by every integration of an instance, so
 * the answers are kept for a TTL: in steady state a SOAP call costs only the
 * REST call that does the work.
 *
 * Entries are keyed by (kind, scope, name).  kind says what the id is
 * ("list", "campaign"), scope narrows the name (the REST client id plus, for
 * names that are only unique inside a program, the program name) and name
 * is the name as the SOAP client sent it.  Only found ids are cached: a
 * missing name is asked again next time, so an object created in Marketo is
 * seen at once.  An id that REST says no longer exists (1013) is dropped
 * with mk_namecache_forget_id(), and the handler looks the name up afresh.
 *
 * Thread-safe (one mutex); bounded (the oldest entries make room).
 */
#ifndef MK_OPS_NAMECACHE_H
#define MK_OPS_NAMECACHE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

typedef struct mk_namecache mk_namecache;

/* Milliseconds on a monotonic clock (tests pass their own). */
typedef int64_t (*mk_namecache_clock)(void);

/* Create a cache keeping entries ttl_ms (0: nothing is ever cached, every
 * get misses) and at most max_entries (0: 4096).  clock NULL: the REST
 * client's monotonic clock.  Returns 0, or -1 when out of memory. */
int mk_namecache_new(int64_t ttl_ms, size_t max_entries, mk_namecache_clock clock,
                     mk_namecache **out);

/* Free the cache.  NULL is ignored. */
void mk_namecache_free(mk_namecache *c);

/* The cached id of (kind, scope, name) if present and fresh.  NULL cache:
 * always a miss.  scope may be NULL (same as ""). */
bool mk_namecache_get(mk_namecache *c, const char *kind, const char *scope, const char *name,
                      int64_t *id);

/* Remember (kind, scope, name) → id for the TTL, replacing an older entry. */
void mk_namecache_put(mk_namecache *c, const char *kind, const char *scope, const char *name,
                      int64_t id);

/* Drop every entry of this kind that maps to id (REST said the object is
 * gone, or was renamed).  Returns how many entries were dropped. */
size_t mk_namecache_forget_id(mk_namecache *c, const char *kind, int64_t id);

/* Counters since creation, for tests and diagnostics. */
typedef struct mk_namecache_stats {
    uint64_t hits, misses, puts, evictions, forgotten;
    size_t entries;
} mk_namecache_stats;

void mk_namecache_stats_get(mk_namecache *c, mk_namecache_stats *out);

#endif
