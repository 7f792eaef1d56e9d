/*
 * objects.c — shared plumbing of the object operations (objects.h).
 */
#include "ops/objects.h"

#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "soapH.h"
#include "ops/common.h"
#include "ops/objcache.h"
#include "ops/streampos.h"
#include "rest/json.h"
#include "soap/fault.h"

/* ---- metadata ------------------------------------------------------------ */

/* Documents are kept per REST client id: separate services could in
 * principle reach separate instances. */
static char *full_key(struct soap *soap, const char *cache_key)
{
    struct mk_request *r = mk_request_of(soap);
    const char *cid = r && r->rest_client_id ? r->rest_client_id : "";
    size_t n = strlen(cid) + strlen(cache_key) + 2;
    char *k = soap_malloc(soap, n);
    if (k)
        snprintf(k, n, "%s|%s", cid, cache_key);
    return k;
}

int mk_obj_metadata(struct soap *soap, const char *cache_key, const mk_rest_req *rr,
                    const char *context, const char *what, cJSON **result)
{
    mk_services *s = mk_ops_services(soap);
    char *key = full_key(soap, cache_key);
    *result = NULL;
    if (!key)
        return mk_fault(soap, MK_ERR_INTERNAL, "%s: out of memory", what);
    cJSON *doc = mk_objcache_get(s->objects, key, NULL);
    if (doc) {
        *result = doc;
        return SOAP_OK;
    }
    mk_rest_result res = {0};
    int rc = mk_ops_rest_in(soap, context, rr, &res, what);
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

void mk_obj_metadata_drop(struct soap *soap, const char *cache_key)
{
    char *key = full_key(soap, cache_key);
    if (key)
        mk_objcache_drop(mk_ops_services(soap)->objects, key);
}

long long mk_obj_metadata_age(struct soap *soap, const char *cache_key)
{
    char *key = full_key(soap, cache_key);
    int64_t age = -1;
    if (key) {
        cJSON *d = mk_objcache_get(mk_ops_services(soap)->objects, key, &age);
        cJSON_Delete(d);
    }
    return (long long)age;
}

/* ---- values -------------------------------------------------------------- */

char *mk_obj_text(struct soap *soap, const cJSON *v)
{
    char buf[64];
    if (!v || cJSON_IsNull(v) || cJSON_IsObject(v) || cJSON_IsArray(v))
        return NULL;
    if (cJSON_IsString(v))
        return soap_strdup(soap, v->valuestring);
    if (cJSON_IsBool(v))
        return soap_strdup(soap, cJSON_IsTrue(v) ? "true" : "false");
    if (cJSON_IsNumber(v)) {
        if (mk_rest_json_id_text(v, buf, sizeof buf) == MK_REST_JSON_OK)
            return soap_strdup(soap, buf);
        /* Not an exact integer: the shortest text that reads back the same. */
        double d = v->valuedouble;
        if (!isfinite(d))
            return NULL;
        for (int prec = 1; prec <= 17; prec++) {
            snprintf(buf, sizeof buf, "%.*g", prec, d);
            if (strtod(buf, NULL) == d)
                break;
        }
        return soap_strdup(soap, buf);
    }
    if (cJSON_IsRaw(v))
        return soap_strdup(soap, v->valuestring);
    return NULL;
}

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

bool mk_obj_text_equal(const char *a, const char *b)
{
    return a && b && strcasecmp(a, b) == 0;
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

int mk_obj_pos_decode(struct soap *soap, const char *pos, const char *kind, const char *digest,
                      cJSON **state)
{
    *state = NULL;
    cJSON *st = NULL;
    if (mk_streampos_decode(mk_ops_user_key(soap), pos, &st) != MK_STREAMPOS_OK)
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

char *mk_obj_pos_encode(struct soap *soap, cJSON *state, const char *kind, const char *digest)
{
    char *pos = NULL, *out = NULL;
    if (state) {
        cJSON_DeleteItemFromObjectCaseSensitive(state, "k");
        cJSON_DeleteItemFromObjectCaseSensitive(state, "d");
        cJSON_AddStringToObject(state, "k", kind);
        cJSON_AddStringToObject(state, "d", digest);
        if (mk_streampos_encode(mk_ops_user_key(soap), state, &pos) == MK_STREAMPOS_OK) {
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

int mk_obj_batches(int n, const char *const *group, const char *const *key, int *batch, int *slot)
{
    int nb = 0;
    int *count = calloc((size_t)n + 1, sizeof *count);
    const char **bgroup = calloc((size_t)n + 1, sizeof *bgroup);
    if (!count || !bgroup) {
        free(count);
        free(bgroup);
        return -1;
    }
    for (int i = 0; i < n; i++) {
        batch[i] = slot[i] = -1;
        if (!group[i])
            continue;
        /* After the last call holding the same key, so SOAP order holds. */
        int after = -1;
        for (int m = 0; m < i; m++)
            if (batch[m] > after && key[m] && key[i] && strcasecmp(key[m], key[i]) == 0)
                after = batch[m];
        int b = -1;
        for (int j = after + 1; j < nb && b < 0; j++)
            if (strcmp(bgroup[j], group[i]) == 0 && count[j] < MK_OBJ_REST_BATCH_MAX)
                b = j;
        if (b < 0) {
            b = nb++;
            bgroup[b] = group[i];
        }
        batch[i] = b;
        slot[i] = count[b]++;
    }
    free(count);
    free(bgroup);
    return nb;
}
