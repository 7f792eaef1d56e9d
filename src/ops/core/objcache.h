/*
 * objcache.h — REST metadata documents remembered for a TTL.
 *
 * The object operations (mobjects.c, customobjects.c) need Marketo's
 * metadata before they can translate a single field: the describe of
 * leads, opportunities and opportunity roles, the list of custom object
 * types (SOAP objTypeName → REST apiName, dedupe and searchable fields) and
 * each custom object type's describe.  Marketo advises caching describe
 * results "for a day or more", and every REST call counts against a quota
 * shared by all integrations of an instance, so these documents are kept
 * here and a steady-state SOAP call costs only the REST call that does the
 * work.
 *
 * The cache maps a string key (callers put the REST client id and the
 * endpoint in it) to a JSON document.  get() hands out a private copy, so a
 * handler never shares a tree with another thread; the documents are small.
 * A document older than the TTL is a miss; drop() forgets one at once (REST
 * said the object is gone, or a name was not found in a stale list).
 *
 * Thread-safe (one mutex); bounded (the oldest entry makes room).
 */
#ifndef MK_OPS_OBJCACHE_H
#define MK_OPS_OBJCACHE_H

#include <stddef.h>
#include <stdint.h>
#include <cjson/cJSON.h>

typedef struct mk_objcache mk_objcache;

/* Create a cache keeping documents ttl_ms (0: nothing is kept, every get
 * misses) and at most max_entries (0: 256).  Returns 0, or -1 when out of
 * memory. */
int mk_objcache_new(int64_t ttl_ms, size_t max_entries, mk_objcache **out);

/* Free the cache and its documents.  NULL is ignored. */
void mk_objcache_free(mk_objcache *c);

/* A copy of the document cached under key if it is younger than the TTL
 * (caller frees with cJSON_Delete), else NULL.  *age_ms, if not NULL,
 * receives the document's age (or -1 when there is none, fresh or not).
 * NULL cache: always a miss. */
cJSON *mk_objcache_get(mk_objcache *c, const char *key, int64_t *age_ms);

/* Remember a copy of doc under key, replacing an older one. */
void mk_objcache_put(mk_objcache *c, const char *key, const cJSON *doc);

/* Forget the document under key (nothing happens if there is none). */
void mk_objcache_drop(mk_objcache *c, const char *key);

/* Counters since creation, for tests and diagnostics. */
typedef struct mk_objcache_stats {
    uint64_t hits, misses, puts, drops;
    size_t entries;
} mk_objcache_stats;

void mk_objcache_stats_get(mk_objcache *c, mk_objcache_stats *out);

#endif
