/*
 * objects.c — shared plumbing of the object operations (objects.h).
 */
#include "ops/objects/objects.h"

#include <ctype.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "soapH.h"
#include "ops/core/common.h"
#include "ops/core/objcache.h"
#include "ops/core/streampos.h"
#include "ops/core/values.h"
#include "rest/endpoints.h"
#include "rest/json.h"
#include "soap/fault.h"

/* ---- metadata ------------------------------------------------------------ */

/* Documents are kept per REST client id: separate services could in
 * principle reach separate instances. */
static char *full_key(mk_op *op, const char *cache_key)
{
    struct soap *soap = op->soap;
    struct mk_request *r = op->req;
    const char *cid = r && r->rest_client_id ? r->rest_client_id : "";
    size_t n = strlen(cid) + strlen(cache_key) + 2;
    char *k = soap_malloc(soap, n);
    if (k)
        snprintf(k, n, "%s|%s", cid, cache_key);
    return k;
}

int mk_obj_metadata(mk_op *op, const char *cache_key, const mk_rest_req *rr,
                    const char *context, const char *what, cJSON **result)
{
    struct soap *soap = op->soap;
    mk_services *s = op->svc;
    char *key = full_key(op, cache_key);
    *result = NULL;
    if (!key)
        return mk_fault(soap, MK_ERR_INTERNAL, "%s: out of memory", what);
    cJSON *doc = mk_objcache_get(s->objects, key, NULL);
    if (doc) {
        *result = doc;
        return SOAP_OK;
    }
    mk_rest_result res = {0};
    int rc = mk_ops_rest_in(op, context, rr, &res, what);
    if (rc == SOAP_OK) {
        cJSON *arr = cJSON_DetachItemFromObjectCaseSensitive(res.json, "result");
        if (!cJSON_IsArray(arr)) {
            cJSON_Delete(arr);
            arr = cJSON_CreateArray();
        }
        mk_objcache_put(s->objects, key, arr);
        *result = arr;
    }
    mk_rest_result_free(&res);
    return rc;
}

void mk_obj_metadata_drop(mk_op *op, const char *cache_key)
{
    char *key = full_key(op, cache_key);
    if (key)
        mk_objcache_drop(op->svc->objects, key);
}

long long mk_obj_metadata_age(mk_op *op, const char *cache_key)
{
    char *key = full_key(op, cache_key);
    int64_t age = -1;
    if (key) {
        cJSON *d = mk_objcache_get(op->svc->objects, key, &age);
        cJSON_Delete(d);
    }
    return (long long)age;
}

/* ---- values -------------------------------------------------------------- */

char *mk_obj_datetime(struct soap *soap, const char *rest_date)
{
    if (!rest_date)
        return NULL;
    size_t n = strlen(rest_date);
    char *out = soap_strdup(soap, rest_date);
    if (out && n > 6 && strcmp(out + n - 6, "Z+0000") == 0)
        out[n - 5] = '\0';
    return out;
}

int *mk_obj_int_ptr(struct soap *soap, int v)
{
    int *p = soap_malloc(soap, sizeof *p);
    if (p)
        *p = v;
    return p;
}

bool mk_obj_text_equal(const char *a, const char *b)
{
    return a && b && strcasecmp(a, b) == 0;
}

bool mk_obj_in_list(const cJSON *arr, const char *name)
{
    const cJSON *e;
    cJSON_ArrayForEach(e, arr)
        if (cJSON_IsString(e) && name && strcasecmp(e->valuestring, name) == 0)
            return true;
    return false;
}

bool mk_obj_is_searchable(const cJSON *searchable, const char *field)
{
    const cJSON *e;
    cJSON_ArrayForEach(e, searchable)
        if (cJSON_GetArraySize(e) == 1 && mk_obj_in_list(e, field))
            return true;
    return false;
}

cJSON *mk_obj_rest_value(const char *type, const char *value)
{
    cJSON *v = mk_value_to_rest(type, value);
    return v ? v : cJSON_CreateNull();
}

char *mk_obj_reason(struct soap *soap, const cJSON *item, int *code)
{
    const cJSON *r = cJSON_GetArrayItem(cJSON_GetObjectItemCaseSensitive(item, "reasons"), 0);
    const char *c = mk_rest_json_get_string(r, "code");
    const char *msg = mk_rest_json_get_string(r, "message");
    if (code)
        *code = c ? atoi(c) : 0;
    size_t n = (c ? strlen(c) : 1) + (msg ? strlen(msg) : 32) + 8;
    char *t = soap_malloc(soap, n);
    if (t)
        snprintf(t, n, "%s - %s", c ? c : "?", msg ? msg : "record skipped by Marketo");
    return t;
}

/* ---- queries ----------------------------------------------------------------- */

int mk_obj_query(mk_op *op, mk_rest_ep ep, const char *path, const cJSON *key,
                 const cJSON *fields, int batch, const char *token, const char *context,
                 const char *what, cJSON **records, char **next, int *rest_code)
{
    struct soap *soap = op->soap;
    *records = NULL;
    *next = NULL;
    *rest_code = 0;
    mk_rest_result res = {0};
    cJSON *body = NULL;
    int rc;
    if (cJSON_GetArraySize(key) == 1) {
        const cJSON *k = key->child;
        char *v = mk_ops_value_text(soap, k);
        if (!v)
            v = "";
        if (strchr(v, ','))
            return mk_fault(soap, MK_ERR_BAD_PARAMETER,
                            "%s: '%s' contains a comma, which a REST filter value cannot carry",
                            what, v);
        int nf = cJSON_GetArraySize(fields), i = 0;
        const char **names = soap_malloc(soap, sizeof *names * (size_t)(nf ? nf : 1));
        const cJSON *f;
        cJSON_ArrayForEach(f, fields)
            if (names && cJSON_IsString(f))
                names[i++] = f->valuestring;
        char *csv = names ? mk_ops_join(names, i, ',') : NULL;
        if (!csv)
            return mk_fault(soap, MK_ERR_INTERNAL, "%s: out of memory", what);
        char bs[16];
        snprintf(bs, sizeof bs, "%d", batch);
        mk_rest_param q[5] = {{"filterType", k->string}, {"filterValues", v}, {"fields", csv},
                              {"batchSize", bs}};
        size_t nq = 4;
        if (token)
            q[nq++] = (mk_rest_param){"nextPageToken", token};
        mk_rest_req rr = {.ep = ep, .path = path, .query = q, .nquery = nq};
        rc = mk_ops_rest_in(op, context, &rr, &res, what);
        free(csv);
    } else {
        /* POST on the query's path template: that method + path's row. */
        const mk_rest_endpoint *get = mk_rest_endpoint_get(ep);
        const mk_rest_endpoint *post = get ? mk_rest_endpoint_find(MK_REST_POST, get->path) : NULL;
        if (!post)
            return mk_fault(soap, MK_ERR_INTERNAL, "%s: no POST endpoint for REST endpoint %d",
                            what, (int)ep);
        body = cJSON_CreateObject();
        cJSON_AddStringToObject(body, "filterType", "dedupeFields");
        cJSON_AddItemToObject(body, "fields", cJSON_Duplicate(fields, 1));
        cJSON_AddItemToArray(cJSON_AddArrayToObject(body, "input"), cJSON_Duplicate(key, 1));
        cJSON_AddNumberToObject(body, "batchSize", batch);
        if (token)
            cJSON_AddStringToObject(body, "nextPageToken", token);
        mk_rest_param q[1] = {{"_method", "GET"}};
        mk_rest_req rr = {.ep = post->id, .path = path, .query = q, .nquery = 1, .json = body};
        rc = mk_ops_rest_in(op, context, &rr, &res, what);
    }
    if (rc == SOAP_OK) {
        *records = cJSON_DetachItemFromObjectCaseSensitive(res.json, "result");
        if (!cJSON_IsArray(*records)) {
            cJSON_Delete(*records);
            *records = cJSON_CreateArray();
        }
        const char *nt = mk_rest_json_get_string(res.json, "nextPageToken");
        int more = -1;
        mk_rest_json_get_bool(res.json, "moreResult", &more);
        if (nt && *nt && cJSON_GetArraySize(*records) > 0 && more != 0)
            *next = soap_strdup(soap, nt);
    } else {
        *rest_code = res.error_code;
    }
    mk_rest_result_free(&res);
    cJSON_Delete(body);
    return rc;
}

/* ---- stream positions ------------------------------------------------------ */

void mk_obj_digest(const char *text, char out[17])
{
    uint64_t h = 1469598103934665603ULL;
    for (const unsigned char *p = (const unsigned char *)text; *p; p++) {
        h ^= *p;
        h *= 1099511628211ULL;
    }
    snprintf(out, 17, "%016" PRIx64, h);
}

int mk_obj_pos_decode(mk_op *op, const char *pos, const char *kind, const char *digest,
                      cJSON **state)
{
    struct soap *soap = op->soap;
    *state = NULL;
    cJSON *st = NULL;
    if (mk_streampos_decode(mk_ops_user_key(op), pos, &st) != MK_STREAMPOS_OK)
        return mk_fault(soap, MK_ERR_BAD_STREAM_POSITION,
                        "streamPosition was not issued by this service for this user");
    const char *k = mk_rest_json_get_string(st, "k");
    const char *d = mk_rest_json_get_string(st, "d");
    if (!k || strcmp(k, kind) != 0 || !d || strcmp(d, digest) != 0) {
        cJSON_Delete(st);
        return mk_fault(soap, MK_ERR_BAD_STREAM_POSITION,
                        "streamPosition belongs to another request: send it back with the same "
                        "parameters as the call that returned it");
    }
    if (cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(st, "end"))) {
        cJSON_Delete(st);
        return mk_fault(soap, MK_ERR_STREAM_AT_END,
                        "streamPosition is at the end of the stream: no more records");
    }
    *state = st;
    return SOAP_OK;
}

char *mk_obj_pos_encode(mk_op *op, cJSON *state, const char *kind, const char *digest)
{
    struct soap *soap = op->soap;
    char *pos = NULL, *out = NULL;
    if (state) {
        cJSON_DeleteItemFromObjectCaseSensitive(state, "k");
        cJSON_DeleteItemFromObjectCaseSensitive(state, "d");
        cJSON_AddStringToObject(state, "k", kind);
        cJSON_AddStringToObject(state, "d", digest);
        if (mk_streampos_encode(mk_ops_user_key(op), state, &pos) == MK_STREAMPOS_OK) {
            out = soap_strdup(soap, pos);
            free(pos);
        }
    }
    cJSON_Delete(state);
    if (!out)
        mk_fault(soap, MK_ERR_INTERNAL, "could not encode the stream position");
    return out;
}

/* ---- write batches ----------------------------------------------------------- */

/* A group's calls in creation (= index) order, with a disjoint-set
 * "next call that still has room" over their positions, so placing a
 * record costs a binary search and amortised O(1), not a scan of every
 * call made so far (a deleteCustomObjects of 100,000 keys used to take
 * minutes of CPU here). */
typedef struct callgroup {
    const char *name;
    int *call;      /* call indices, increasing */
    int *next;      /* next[p] == p: call[p] has room; else a later candidate */
    int len, cap;
} callgroup;

static int room_from(callgroup *g, int pos)
{
    int r = pos;
    while (r < g->len && g->next[r] != r)
        r = g->next[r];
    while (pos < g->len && g->next[pos] != pos) {
        int t = g->next[pos];
        g->next[pos] = r;
        pos = t;
    }
    return r;
}

/* First position whose call index is greater than after. */
static int first_after(const callgroup *g, int after)
{
    int lo = 0, hi = g->len;
    while (lo < hi) {
        int mid = lo + (hi - lo) / 2;
        if (g->call[mid] > after)
            hi = mid;
        else
            lo = mid + 1;
    }
    return lo;
}

static uint64_t hash_nocase(const char *s)
{
    uint64_t h = 1469598103934665603ULL;
    for (; *s; s++) {
        h ^= (unsigned char)tolower((unsigned char)*s);
        h *= 1099511628211ULL;
    }
    return h;
}

int mk_obj_batches(int n, const char *const *group, const char *const *key, int *batch, int *slot)
{
    if (n <= 0)
        return 0;
    size_t tsize = 16;
    while (tsize < (size_t)n * 2)
        tsize *= 2;
    int nb = 0, ng = 0;
    int *count = calloc((size_t)n, sizeof *count);
    int *latest = malloc(tsize * sizeof *latest);   /* key -> its latest record, -1: empty */
    callgroup *g = calloc((size_t)n, sizeof *g);
    if (!count || !latest || !g) {
        nb = -1;
        goto out;
    }
    for (size_t t = 0; t < tsize; t++)
        latest[t] = -1;
    for (int i = 0; i < n; i++) {
        batch[i] = slot[i] = -1;
        if (!group[i])
            continue;
        /* After the last call holding the same key, so SOAP order holds; a
         * key's latest record is in its latest call. */
        int after = -1;
        size_t t = 0;
        if (key[i]) {
            for (t = hash_nocase(key[i]) & (tsize - 1); latest[t] >= 0; t = (t + 1) & (tsize - 1))
                if (strcasecmp(key[latest[t]], key[i]) == 0) {
                    after = batch[latest[t]];
                    break;
                }
        }
        callgroup *cg = NULL;
        for (int k = 0; k < ng && !cg; k++)
            if (strcmp(g[k].name, group[i]) == 0)
                cg = &g[k];
        if (!cg) {
            cg = &g[ng++];
            cg->name = group[i];
        }
        int pos = room_from(cg, first_after(cg, after));
        if (pos == cg->len) {
            if (cg->len == cg->cap) {
                int cap = cg->cap ? cg->cap * 2 : 4;
                int *c = realloc(cg->call, (size_t)cap * sizeof *c);
                if (c)
                    cg->call = c;
                int *x = c ? realloc(cg->next, (size_t)cap * sizeof *x) : NULL;
                if (!x) {
                    nb = -1;
                    goto out;
                }
                cg->next = x;
                cg->cap = cap;
            }
            cg->call[cg->len] = nb++;
            cg->next[cg->len] = cg->len;
            cg->len++;
        }
        int b = cg->call[pos];
        batch[i] = b;
        slot[i] = count[b]++;
        if (count[b] == MK_OBJ_REST_BATCH_MAX)
            cg->next[pos] = pos + 1;
        if (key[i])
            latest[t] = i;
    }
out:
    for (int k = 0; g && k < ng; k++) {
        free(g[k].call);
        free(g[k].next);
    }
    free(g);
    free(latest);
    free(count);
    return nb;
}

int mk_obj_write_all(mk_op *op, mk_obj_write *w, int n, const char *by_member,
                     const char *context, const char *what, mk_obj_write_fn fn, void *ctx,
                     int *written, int *first_error)
{
    struct soap *soap = op->soap;
    const char **group = calloc((size_t)n + 1, sizeof *group);
    const char **key = calloc((size_t)n + 1, sizeof *key);
    int *batch = calloc((size_t)n + 1, sizeof *batch), *slot = calloc((size_t)n + 1, sizeof *slot);
    int *start = NULL, *order = calloc((size_t)n + 1, sizeof *order);
    int rc = SOAP_OK, done = 0, nb = -1;
    if (first_error)
        *first_error = 0;
    if (group && key && batch && slot && order) {
        for (int i = 0; i < n; i++) {
            group[i] = w[i].error ? NULL : w[i].group;
            key[i] = w[i].key;
        }
        nb = mk_obj_batches(n, group, key, batch, slot);
    }
    if (nb >= 0)
        start = calloc((size_t)nb + 2, sizeof *start);
    if (!start) {
        rc = mk_fault(soap, MK_ERR_INTERNAL, "%s: out of memory", what);
        goto out;
    }
    /* The records of each call, in SOAP order (a counting sort by call). */
    for (int i = 0; i < n; i++)
        if (batch[i] >= 0)
            start[batch[i] + 2]++;
    for (int b = 0; b < nb; b++)
        start[b + 2] += start[b + 1];
    for (int i = 0; i < n; i++)
        if (batch[i] >= 0)
            order[start[batch[i] + 1]++] = i;
    /* start[b] .. start[b + 1] are now call b's records. */
    int total = nb > 0 ? start[nb] : 0;
    for (int b = 0; b < nb && rc == SOAP_OK; b++) {
        const mk_obj_write *first = &w[order[start[b]]];
        cJSON *input = cJSON_CreateArray();
        for (int k = start[b]; k < start[b + 1]; k++) {
            cJSON_AddItemToArray(input, w[order[k]].rec);
            w[order[k]].rec = NULL;
        }
        cJSON *body = cJSON_CreateObject();
        if (first->action)
            cJSON_AddStringToObject(body, "action", first->action);
        cJSON_AddStringToObject(body, by_member, first->by);
        cJSON_AddItemToObject(body, "input", input);
        mk_rest_req rr = {.ep = first->ep, .path = first->path, .json = body};
        mk_rest_result res = {0};
        mk_ops_failure fail;   /* held: after a first batch it says what was written */
        rc = mk_ops_rest_try(op, context, &rr, &res, what, &fail);
        if (rc != SOAP_OK && done > 0) {
            rc = mk_ops_partial_fault(op, &fail, what, done, total, "records");
        } else if (rc != SOAP_OK) {
            if (first_error)
                *first_error = res.error_code;
            rc = mk_ops_raise(op, &fail);
        }
        if (rc == SOAP_OK) {
            int sent = start[b + 1] - start[b];
            done += sent;
            if (written)
                *written += sent;
            /* REST answers one result per input record, in input order. */
            const cJSON *item = cJSON_GetArrayItem(
                cJSON_GetObjectItemCaseSensitive(res.json, "result"), 0);
            for (int k = start[b]; k < start[b + 1]; k++) {
                fn(op, ctx, order[k], item);
                item = item ? item->next : NULL;
            }
        }
        mk_rest_result_free(&res);
        cJSON_Delete(body);
    }
out:
    free(group);
    free(key);
    free(batch);
    free(slot);
    free(start);
    free(order);
    return rc;
}
