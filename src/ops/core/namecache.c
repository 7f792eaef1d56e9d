/*
 * namecache.c — the name → id cache (see namecache.h).
 *
 * A chained hash table under one mutex.  The working set is small (the lists
 * and campaigns an integration names), so simplicity wins over lock
 * striping: a lookup is a hash and a short chain walk.  When the table is
 * full, expired entries go first, then the entry stored longest ago.
 */
#include "ops/core/namecache.h"

#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "rest/rest.h"

#define NBUCKETS 256
#define DEFAULT_MAX 4096

typedef struct entry {
    struct entry *next;
    uint64_t hash;
    char *key;          /* kind \x1f scope \x1f name */
    size_t kind_len;    /* length of the kind prefix of key */
    int64_t id;
    int64_t stored_ms;
} entry;

struct mk_namecache {
    pthread_mutex_t mu;
    entry *buckets[NBUCKETS];
    size_t n, max;
    int64_t ttl_ms;
    mk_namecache_clock clock;
    mk_namecache_stats stats;
};

/* FNV-1a over the key bytes. */
static uint64_t hash_key(const char *k, size_t len)
{
    uint64_t h = 1469598103934665603ULL;
    for (size_t i = 0; i < len; i++) {
        h ^= (unsigned char)k[i];
        h *= 1099511628211ULL;
    }
    return h;
}

/* "kind\x1fscope\x1fname" (malloc'd), NULL when out of memory. */
static char *make_key(const char *kind, const char *scope, const char *name, size_t *len)
{
    size_t a = strlen(kind), b = scope ? strlen(scope) : 0, c = strlen(name);
    char *k = malloc(a + b + c + 3);
    if (!k)
        return NULL;
    memcpy(k, kind, a);
    k[a] = '\x1f';
    memcpy(k + a + 1, scope ? scope : "", b);
    k[a + 1 + b] = '\x1f';
    memcpy(k + a + b + 2, name, c);
    k[a + b + c + 2] = '\0';
    *len = a + b + c + 2;
    return k;
}

int mk_namecache_new(int64_t ttl_ms, size_t max_entries, mk_namecache_clock clock,
                     mk_namecache **out)
{
    mk_namecache *c = calloc(1, sizeof *c);
    if (!c)
        return -1;
    if (pthread_mutex_init(&c->mu, NULL) != 0) {
        free(c);
        return -1;
    }
    c->ttl_ms = ttl_ms > 0 ? ttl_ms : 0;
    c->max = max_entries ? max_entries : DEFAULT_MAX;
    c->clock = clock ? clock : mk_rest_now_ms;
    *out = c;
    return 0;
}

void mk_namecache_free(mk_namecache *c)
{
    if (!c)
        return;
    for (size_t b = 0; b < NBUCKETS; b++) {
        entry *e = c->buckets[b];
        while (e) {
            entry *next = e->next;
            free(e->key);
            free(e);
            e = next;
        }
    }
    pthread_mutex_destroy(&c->mu);
    free(c);
}

static void unlink_entry(mk_namecache *c, entry **link)
{
    entry *e = *link;
    *link = e->next;
    free(e->key);
    free(e);
    c->n--;
}

bool mk_namecache_get(mk_namecache *c, const char *kind, const char *scope, const char *name,
                      int64_t *id)
{
    if (!c || !kind || !name || c->ttl_ms == 0)
        return false;
    size_t len;
    char *key = make_key(kind, scope, name, &len);
    if (!key)
        return false;
    uint64_t h = hash_key(key, len);
    bool hit = false;
    pthread_mutex_lock(&c->mu);
    int64_t now = c->clock();
    for (entry **link = &c->buckets[h % NBUCKETS]; *link; link = &(*link)->next) {
        entry *e = *link;
        if (e->hash != h || strcmp(e->key, key) != 0)
            continue;
        if (now - e->stored_ms < c->ttl_ms) {
            *id = e->id;
            hit = true;
        } else {
            unlink_entry(c, link);
        }
        break;
    }
    if (hit)
        c->stats.hits++;
    else
        c->stats.misses++;
    pthread_mutex_unlock(&c->mu);
    free(key);
    return hit;
}

/* Make room for one entry: drop the expired ones, and if none was, the
 * oldest.  Caller holds the mutex. */
static void make_room(mk_namecache *c, int64_t now)
{
    entry **oldest = NULL;
    for (size_t b = 0; b < NBUCKETS; b++) {
        for (entry **link = &c->buckets[b]; *link;) {
            if (now - (*link)->stored_ms >= c->ttl_ms) {
                unlink_entry(c, link);
                c->stats.evictions++;
                continue;
            }
            if (!oldest || (*link)->stored_ms < (*oldest)->stored_ms)
                oldest = link;
            link = &(*link)->next;
        }
    }
    if (c->n >= c->max && oldest) {
        unlink_entry(c, oldest);
        c->stats.evictions++;
    }
}

void mk_namecache_put(mk_namecache *c, const char *kind, const char *scope, const char *name,
                      int64_t id)
{
    if (!c || !kind || !name || c->ttl_ms == 0)
        return;
    size_t len;
    char *key = make_key(kind, scope, name, &len);
    if (!key)
        return;
    uint64_t h = hash_key(key, len);
    pthread_mutex_lock(&c->mu);
    int64_t now = c->clock();
    c->stats.puts++;
    entry **slot = &c->buckets[h % NBUCKETS];
    for (entry *e = *slot; e; e = e->next) {
        if (e->hash == h && strcmp(e->key, key) == 0) {
            e->id = id;
            e->stored_ms = now;
            pthread_mutex_unlock(&c->mu);
            free(key);
            return;
        }
    }
    if (c->n >= c->max)
        make_room(c, now);
    entry *e = malloc(sizeof *e);
    if (e) {
        *e = (entry){.next = *slot, .hash = h, .key = key, .kind_len = strlen(kind),
                     .id = id, .stored_ms = now};
        *slot = e;
        c->n++;
        key = NULL;
    }
    pthread_mutex_unlock(&c->mu);
    free(key);
}

size_t mk_namecache_forget_id(mk_namecache *c, const char *kind, int64_t id)
{
    if (!c || !kind)
        return 0;
    size_t kl = strlen(kind), dropped = 0;
    pthread_mutex_lock(&c->mu);
    for (size_t b = 0; b < NBUCKETS; b++) {
        for (entry **link = &c->buckets[b]; *link;) {
            entry *e = *link;
            if (e->id == id && e->kind_len == kl && strncmp(e->key, kind, kl) == 0) {
                unlink_entry(c, link);
                dropped++;
                continue;
            }
            link = &e->next;
        }
    }
    c->stats.forgotten += dropped;
    pthread_mutex_unlock(&c->mu);
    return dropped;
}

void mk_namecache_stats_get(mk_namecache *c, mk_namecache_stats *out)
{
    memset(out, 0, sizeof *out);
    if (!c)
        return;
    pthread_mutex_lock(&c->mu);
    *out = c->stats;
    out->entries = c->n;
    pthread_mutex_unlock(&c->mu);
}
