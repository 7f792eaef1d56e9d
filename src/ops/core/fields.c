/*
 * fields.c — the lead field catalogue (see fields.h).
 *
 * A snapshot is three sorted index arrays over one field array, so every
 * lookup is a binary search and the snapshot never changes once built:
 * readers need no lock, only a reference.  The cache's mutex guards the
 * pointer to the current snapshot and the refresh bookkeeping, nothing else.
 */
#include "fields.h"
#include "base/clock.h"
#include "base/request.h"
#include "ops/core/opstats.h"
#include "rest/endpoints.h"

#include <cjson/cJSON.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

struct mk_fields {
    atomic_int refs;
    bool fallback;
    size_t n;
    mk_field *v;
    const mk_field **by_soap;   /* only fields with a SOAP name */
    size_t nsoap;
    const mk_field **by_rest;
    const mk_field **by_display;
    size_t ndisplay;
    char *all_soap_csv;
};

struct mk_fields_cache {
    mk_rest_client *rest;
    mk_fields *fallback;
    int ttl;
    pthread_mutex_t mu;
    mk_fields *current;      /* NULL until the first successful describe */
    int64_t fetched_ms;
    int64_t failed_ms;       /* last failed synchronous fetch: retry after 30 s */
    bool refreshing;
    bool have_thread;
    pthread_t thread;
    char *refresh_id, *refresh_secret;
    bool first_fetch;        /* a caller is fetching the first snapshot ... */
    pthread_cond_t first_cv; /* ... and the others wait here for it */
};

/* ---- snapshots ----------------------------------------------------------- */

static char *dup_or_null(const char *s)
{
    return s ? strdup(s) : NULL;
}

static void fields_free(mk_fields *f)
{
    if (!f)
        return;
    for (size_t i = 0; i < f->n; i++) {
        free(f->v[i].rest);
        free(f->v[i].soap);
        free(f->v[i].type);
        free(f->v[i].display);
    }
    free(f->v);
    free(f->by_soap);
    free(f->by_rest);
    free(f->by_display);
    free(f->all_soap_csv);
    free(f);
}

static int cmp_soap(const void *a, const void *b)
{
    return strcmp((*(const mk_field *const *)a)->soap, (*(const mk_field *const *)b)->soap);
}
static int cmp_rest(const void *a, const void *b)
{
    return strcmp((*(const mk_field *const *)a)->rest, (*(const mk_field *const *)b)->rest);
}
static int cmp_display(const void *a, const void *b)
{
    return strcmp((*(const mk_field *const *)a)->display, (*(const mk_field *const *)b)->display);
}

/* Index and finish a snapshot whose v[0..n) are filled. */
static mk_fields *fields_index(mk_fields *f)
{
    f->by_soap = calloc(f->n + 1, sizeof *f->by_soap);
    f->by_rest = calloc(f->n + 1, sizeof *f->by_rest);
    f->by_display = calloc(f->n + 1, sizeof *f->by_display);
    if (!f->by_soap || !f->by_rest || !f->by_display)
        goto fail;
    size_t csv_len = 1;
    for (size_t i = 0; i < f->n; i++) {
        f->by_rest[i] = &f->v[i];
        if (f->v[i].soap) {
            f->by_soap[f->nsoap++] = &f->v[i];
            csv_len += strlen(f->v[i].rest) + 1;
        }
        if (f->v[i].display)
            f->by_display[f->ndisplay++] = &f->v[i];
    }
    qsort(f->by_soap, f->nsoap, sizeof *f->by_soap, cmp_soap);
    qsort(f->by_rest, f->n, sizeof *f->by_rest, cmp_rest);
    qsort(f->by_display, f->ndisplay, sizeof *f->by_display, cmp_display);
    f->all_soap_csv = malloc(csv_len);
    if (!f->all_soap_csv)
        goto fail;
    char *p = f->all_soap_csv;
    *p = '\0';
    for (size_t i = 0; i < f->n; i++) {
        if (!f->v[i].soap)
            continue;
        if (p != f->all_soap_csv)
            *p++ = ',';
        size_t l = strlen(f->v[i].rest);
        memcpy(p, f->v[i].rest, l + 1);
        p += l;
    }
    atomic_init(&f->refs, 1);
    return f;
fail:
    fields_free(f);
    return NULL;
}

mk_fields *mk_fields_from_table(const mk_field *fields, size_t n)
{
    mk_fields *f = calloc(1, sizeof *f);
    if (!f)
        return NULL;
    f->v = calloc(n + 1, sizeof *f->v);
    if (!f->v) {
        free(f);
        return NULL;
    }
    for (size_t i = 0; i < n; i++) {
        if (!fields[i].rest)
            continue;
        mk_field *d = &f->v[f->n++];
        d->rest = strdup(fields[i].rest);
        d->soap = dup_or_null(fields[i].soap);
        d->type = strdup(fields[i].type ? fields[i].type : "string");
        d->display = dup_or_null(fields[i].display);
        d->rest_readonly = fields[i].rest_readonly;
        d->soap_readonly = fields[i].soap_readonly;
    }
    return fields_index(f);
}

mk_fields *mk_fields_from_describe(const cJSON *result)
{
    if (!cJSON_IsArray(result))
        return NULL;
    size_t n = (size_t)cJSON_GetArraySize(result);
    mk_field *tmp = calloc(n + 1, sizeof *tmp);
    if (!tmp)
        return NULL;
    size_t k = 0;
    const cJSON *it;
    cJSON_ArrayForEach(it, result) {
        const cJSON *rest = cJSON_GetObjectItemCaseSensitive(it, "rest");
        const cJSON *soap = cJSON_GetObjectItemCaseSensitive(it, "soap");
        const cJSON *rname = cJSON_GetObjectItemCaseSensitive(rest, "name");
        const cJSON *sname = cJSON_GetObjectItemCaseSensitive(soap, "name");
        const cJSON *type = cJSON_GetObjectItemCaseSensitive(it, "dataType");
        const cJSON *disp = cJSON_GetObjectItemCaseSensitive(it, "displayName");
        /* Fields without a REST name are invisible to the shim either way. */
        if (!cJSON_IsString(rname))
            continue;
        tmp[k].rest = rname->valuestring;
        tmp[k].soap = cJSON_IsString(sname) ? sname->valuestring : NULL;
        tmp[k].type = cJSON_IsString(type) ? type->valuestring : NULL;
        tmp[k].display = cJSON_IsString(disp) ? disp->valuestring : NULL;
        tmp[k].rest_readonly = cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(rest, "readOnly"));
        tmp[k].soap_readonly = cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(soap, "readOnly"));
        k++;
    }
    mk_fields *f = k ? mk_fields_from_table(tmp, k) : NULL;
    free(tmp);
    return f;
}

void mk_fields_release(const mk_fields *cf)
{
    mk_fields *f = (mk_fields *)cf;
    if (f && atomic_fetch_sub(&f->refs, 1) == 1)
        fields_free(f);
}

static const mk_field *search(const mk_field *const *idx, size_t n, const char *key,
                              const char *(*get)(const mk_field *))
{
    size_t lo = 0, hi = n;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        int c = strcmp(key, get(idx[mid]));
        if (c == 0)
            return idx[mid];
        if (c < 0)
            hi = mid;
        else
            lo = mid + 1;
    }
    return NULL;
}
static const char *get_soap(const mk_field *f) { return f->soap; }
static const char *get_rest(const mk_field *f) { return f->rest; }
static const char *get_display(const mk_field *f) { return f->display; }

const mk_field *mk_fields_by_soap(const mk_fields *f, const char *name)
{
    if (!f || !name)
        return NULL;
    const mk_field *hit = search(f->by_soap, f->nsoap, name, get_soap);
    if (hit)
        return hit;
    for (size_t i = 0; i < f->nsoap; i++)
        if (strcasecmp(f->by_soap[i]->soap, name) == 0)
            return f->by_soap[i];
    return NULL;
}

const mk_field *mk_fields_by_rest(const mk_fields *f, const char *name)
{
    return f && name ? search(f->by_rest, f->n, name, get_rest) : NULL;
}

const mk_field *mk_fields_by_display(const mk_fields *f, const char *name)
{
    if (!f || !name)
        return NULL;
    const mk_field *hit = search(f->by_display, f->ndisplay, name, get_display);
    if (hit)
        return hit;
    for (size_t i = 0; i < f->ndisplay; i++)
        if (strcasecmp(f->by_display[i]->display, name) == 0)
            return f->by_display[i];
    return NULL;
}

const char *mk_fields_all_soap_csv(const mk_fields *f) { return f->all_soap_csv; }
bool mk_fields_is_fallback(const mk_fields *f) { return f->fallback; }
size_t mk_fields_count(const mk_fields *f) { return f->n; }

/* ---- the cache ----------------------------------------------------------- */

int mk_fields_cache_new(mk_rest_client *rest, const mk_field *fallback, size_t nfallback,
                        int ttl_seconds, mk_fields_cache **out)
{
    mk_fields_cache *c = calloc(1, sizeof *c);
    if (!c)
        return -1;
    c->rest = rest;
    c->ttl = ttl_seconds > 0 ? ttl_seconds : 86400;
    c->fallback = mk_fields_from_table(fallback, nfallback);
    if (!c->fallback) {
        free(c);
        return -1;
    }
    c->fallback->fallback = true;
    pthread_mutex_init(&c->mu, NULL);
    /* Waits on it end at each waiter's own deadline (monotonic, as
     * mk_rest_now_ms). */
    mk_clock_cond_init(&c->first_cv);
    *out = c;
    return 0;
}

void mk_fields_cache_free(mk_fields_cache *c)
{
    if (!c)
        return;
    pthread_mutex_lock(&c->mu);
    bool join = c->have_thread;
    c->have_thread = false;
    pthread_mutex_unlock(&c->mu);
    if (join)
        pthread_join(c->thread, NULL);
    mk_fields_release(c->current);
    mk_fields_release(c->fallback);
    free(c->refresh_id);
    free(c->refresh_secret);
    pthread_cond_destroy(&c->first_cv);
    pthread_mutex_destroy(&c->mu);
    free(c);
}

/* One describe call; NULL on any failure. */
static mk_fields *fetch_describe(mk_rest_client *rest, const mk_rest_cred *cred, int64_t deadline)
{
    mk_rest_req req = {.ep = MK_EP_LEADS_DESCRIBE, .deadline_ms = deadline};
    mk_rest_result res = {0};
    mk_fields *f = NULL;
    if (mk_rest_call(rest, cred, &req, &res) == MK_REST_OK)
        f = mk_fields_from_describe(cJSON_GetObjectItemCaseSensitive(res.json, "result"));
    /* charged to the request this thread serves (none for the background
     * refresh), so the usage log and /_shim/stats count the cache fill */
    struct mk_request *r = mk_request_current();
    mk_opstats_charge(r, &res);
    const mk_rest_endpoint *e = mk_rest_endpoint_get(req.ep);
    if (res.attempts)
        mk_request_note(r, mk_rest_method_name(e->method), e->path, res.attempts,
                        res.error_code);
    mk_rest_result_free(&res);
    return f;
}

static void install(mk_fields_cache *c, mk_fields *f)
{
    mk_fields *old = c->current;
    c->current = f;
    c->fetched_ms = mk_rest_now_ms();
    mk_fields_release(old);
}

static void *refresh_main(void *arg)
{
    mk_fields_cache *c = arg;
    mk_rest_cred cred = {c->refresh_id, c->refresh_secret};
    mk_fields *f = fetch_describe(c->rest, &cred, mk_rest_now_ms() + 60000);
    pthread_mutex_lock(&c->mu);
    if (f)
        install(c, f);
    else
        c->fetched_ms = mk_rest_now_ms() - (int64_t)c->ttl * 1000 + 30000; /* retry in 30 s */
    c->refreshing = false;
    pthread_mutex_unlock(&c->mu);
    return NULL;
}

int mk_fields_acquire(mk_fields_cache *c, const mk_rest_cred *cred, int64_t deadline_ms,
                      const mk_fields **out)
{
    pthread_mutex_lock(&c->mu);
    mk_fields *cur = c->current;
    if (cur) {
        bool stale = mk_rest_now_ms() - c->fetched_ms > (int64_t)c->ttl * 1000;
        if (stale && !c->refreshing) {
            /* Reap the previous refresher before starting another. */
            if (c->have_thread) {
                pthread_join(c->thread, NULL);
                c->have_thread = false;
            }
            free(c->refresh_id);
            free(c->refresh_secret);
            c->refresh_id = strdup(cred->client_id);
            c->refresh_secret = strdup(cred->client_secret);
            c->refreshing = true;
            if (pthread_create(&c->thread, NULL, refresh_main, c) == 0)
                c->have_thread = true;
            else
                c->refreshing = false;
        }
        atomic_fetch_add(&cur->refs, 1);
        pthread_mutex_unlock(&c->mu);
        *out = cur;
        return 0;
    }
    if (c->failed_ms && mk_rest_now_ms() - c->failed_ms < 30000) {
        atomic_fetch_add(&c->fallback->refs, 1);
        pthread_mutex_unlock(&c->mu);
        *out = c->fallback;
        return 0;
    }
    /* No snapshot yet: one caller fetches synchronously; concurrent first
     * callers wait for its answer instead of each spending a REST call
     * (a burst at start-up would otherwise cost one describe per worker). */
    if (c->first_fetch) {
        /* The fetch runs to the fetching request's deadline; a waiter
         * stops at its own and goes on with the built-in table, as when
         * the describe fails. */
        struct timespec until = mk_clock_ts(deadline_ms);
        while (c->first_fetch && (deadline_ms <= 0 || mk_rest_now_ms() < deadline_ms)) {
            if (deadline_ms > 0)
                pthread_cond_timedwait(&c->first_cv, &c->mu, &until);
            else
                pthread_cond_wait(&c->first_cv, &c->mu);
        }
        cur = c->current ? c->current : c->fallback;
        atomic_fetch_add(&cur->refs, 1);
        pthread_mutex_unlock(&c->mu);
        *out = cur;
        return 0;
    }
    c->first_fetch = true;
    pthread_mutex_unlock(&c->mu);

    mk_fields *f = fetch_describe(c->rest, cred, deadline_ms);
    pthread_mutex_lock(&c->mu);
    c->first_fetch = false;
    pthread_cond_broadcast(&c->first_cv);
    if (f && !c->current)
        install(c, f);
    else if (f)
        mk_fields_release(f);
    c->failed_ms = f ? 0 : mk_rest_now_ms();
    cur = c->current ? c->current : c->fallback;
    atomic_fetch_add(&cur->refs, 1);
    pthread_mutex_unlock(&c->mu);
    *out = cur;
    return 0;
}

int mk_fields_refresh(mk_fields_cache *c, const mk_rest_cred *cred, int64_t deadline_ms)
{
    mk_fields *f = fetch_describe(c->rest, cred, deadline_ms);
    if (!f)
        return -1;
    pthread_mutex_lock(&c->mu);
    install(c, f);
    c->failed_ms = 0;
    pthread_mutex_unlock(&c->mu);
    return 0;
}

void mk_fields_invalidate(mk_fields_cache *c)
{
    pthread_mutex_lock(&c->mu);
    c->fetched_ms = 0;
    pthread_mutex_unlock(&c->mu);
}
