/*
 * objcache.c — REST metadata documents remembered for a TTL (objcache.h).
 *
 * A handful of documents (a few describes, one list of custom object
 * types, one describe per custom object type) is all an instance has, so
 * a plain array searched linearly under one mutex is the right size; when
 * it is full the oldest entry makes room.
 */
#include "ops/core/objcache.h"

#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "rest/rest.h"

typedef struct entry {
    char *key;
    cJSON *doc;
    int64_t stored_ms;
} entry;

struct mk_objcache {
    pthread_mutex_t mu;
    int64_t ttl_ms;
    size_t max;
    size_t n;
    entry *e;
    mk_objcache_stats st;
};

int mk_objcache_new(int64_t ttl_ms, size_t max_entries, mk_objcache **out)
{
    mk_objcache *c = calloc(1, sizeof *c);
    if (!c)
        return -1;
    c->ttl_ms = ttl_ms > 0 ? ttl_ms : 0;
    c->max = max_entries ? max_entries : 256;
    c->e = calloc(c->max, sizeof *c->e);
    if (!c->e) {
        free(c);
        return -1;
    }
    pthread_mutex_init(&c->mu, NULL);
    *out = c;
    return 0;
}

void mk_objcache_free(mk_objcache *c)
{
    if (!c)
        return;
    for (size_t i = 0; i < c->n; i++) {
        free(c->e[i].key);
        cJSON_Delete(c->e[i].doc);
    }
    free(c->e);
    pthread_mutex_destroy(&c->mu);
    free(c);
}

static entry *find(mk_objcache *c, const char *key)
{
    for (size_t i = 0; i < c->n; i++)
        if (strcmp(c->e[i].key, key) == 0)
            return &c->e[i];
    return NULL;
}

static void remove_at(mk_objcache *c, size_t i)
{
    free(c->e[i].key);
    cJSON_Delete(c->e[i].doc);
    c->e[i] = c->e[--c->n];
}

cJSON *mk_objcache_get(mk_objcache *c, const char *key, int64_t *age_ms)
{
    if (age_ms)
        *age_ms = -1;
    if (!c || !key)
        return NULL;
    cJSON *copy = NULL;
    pthread_mutex_lock(&c->mu);
    entry *e = find(c, key);
    if (e) {
        int64_t age = mk_rest_now_ms() - e->stored_ms;
        if (age_ms)
            *age_ms = age;
        if (age < c->ttl_ms)
            copy = cJSON_Duplicate(e->doc, 1);
    }
    if (copy)
        c->st.hits++;
    else
        c->st.misses++;
    pthread_mutex_unlock(&c->mu);
    return copy;
}

void mk_objcache_put(mk_objcache *c, const char *key, const cJSON *doc)
{
    if (!c || !key || !doc || c->ttl_ms == 0)
        return;
    cJSON *copy = cJSON_Duplicate(doc, 1);
    char *k = strdup(key);
    if (!copy || !k) {
        cJSON_Delete(copy);
        free(k);
        return;
    }
    pthread_mutex_lock(&c->mu);
    entry *e = find(c, key);
    if (!e) {
        if (c->n == c->max) {
            size_t oldest = 0;
            for (size_t i = 1; i < c->n; i++)
                if (c->e[i].stored_ms < c->e[oldest].stored_ms)
                    oldest = i;
            remove_at(c, oldest);
        }
        e = &c->e[c->n++];
        e->key = k;
        k = NULL;
    } else {
        cJSON_Delete(e->doc);
    }
    e->doc = copy;
    e->stored_ms = mk_rest_now_ms();
    c->st.puts++;
    pthread_mutex_unlock(&c->mu);
    free(k);
}

void mk_objcache_drop(mk_objcache *c, const char *key)
{
    if (!c || !key)
        return;
    pthread_mutex_lock(&c->mu);
    for (size_t i = 0; i < c->n; i++) {
        if (strcmp(c->e[i].key, key) == 0) {
            remove_at(c, i);
            c->st.drops++;
            break;
        }
    }
    pthread_mutex_unlock(&c->mu);
}

void mk_objcache_stats_get(mk_objcache *c, mk_objcache_stats *out)
{
    memset(out, 0, sizeof *out);
    if (!c)
        return;
    pthread_mutex_lock(&c->mu);
    *out = c->st;
    out->entries = c->n;
    pthread_mutex_unlock(&c->mu);
}
