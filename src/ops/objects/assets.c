/*
 * assets.c — getChannels and getTags: program channels with their
 * progression statuses, and program tag types with their allowed values,
 * read from Marketo's Asset API.
 *
 * getChannels
 *   no names    GET /rest/asset/v1/channels.json, 200 per page (offset/maxReturn)
 *   one name    GET /rest/asset/v1/channel/byName.json?name=
 *   more names  the paged list, kept to the names asked for — one call per
 *               200 channels instead of one per name
 *   Each REST progressionStatuses[{name, step, success, …}] becomes a
 *   progressionStatusItem with attribs Status, Step and Success, ordered by
 *   status name as Marketo's SOAP answers were.  A name that is no channel
 *   is simply not in the answer (the request is a filter).
 *
 * getTags
 *   no tagList  GET /rest/asset/v1/tagTypes.json (paged) for the types, then
 *               each type's allowable values from
 *               GET /rest/asset/v1/tagType/byName.json?name=
 *   tag{type}   that type only; tag{values} keeps only those values (a tag
 *               without a type looks for them in every type); a type left
 *               with no value asked for is not in the answer.  More than
 *               10 named types are first checked against tagTypes.json, so
 *               unknown names cost no REST call each
 *   REST sends allowableValues as one string "[A, B, C]"; it is split on
 *   commas (a value containing a comma cannot be told apart — REST's format
 *   cannot carry one).  A type's values are cached for
 *   assets.cache_ttl_seconds (actsvc.h), so in steady state getTags costs
 *   the one tagTypes.json call, or none when the types are named.
 */
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "ops/core/actsvc.h"
#include "ops/activities/actrec.h"
#include "ops/core/common.h"
#include "ops/objects/objects.h"
#include "ops/core/op.h"
#include "mk_handlers.h"
#include "rest/endpoints.h"
#include "rest/json.h"
#include "soap/fault.h"

static bool blank(const char *s)
{
    return !s || !*s;
}

/* One Asset API read.  "No assets found" (success, a warning, no result)
 * is an empty array. */
static int asset_get(mk_op *op, mk_rest_ep ep, const mk_rest_param *q, size_t nq,
                     cJSON **items, const char *what)
{
    mk_rest_req rr = {.ep = ep, .query = q, .nquery = nq};
    mk_rest_result res = {0};
    int rc = mk_ops_rest(op, &rr, &res, what);
    *items = NULL;
    if (rc == SOAP_OK) {
        *items = cJSON_DetachItemFromObjectCaseSensitive(res.json, "result");
        if (!cJSON_IsArray(*items)) {
            cJSON_Delete(*items);
            *items = cJSON_CreateArray();
        }
    }
    mk_rest_result_free(&res);
    return rc;
}

/* Every record of a paged Asset API list (pages of the row's batch_max). */
static int asset_all(mk_op *op, mk_rest_ep ep, cJSON **all, const char *what)
{
    char max[8], off[24];
    const int page_max = mk_rest_endpoint_get(ep)->batch_max;
    snprintf(max, sizeof max, "%d", page_max);
    *all = cJSON_CreateArray();
    for (long offset = 0;; offset += page_max) {
        snprintf(off, sizeof off, "%ld", offset);
        mk_rest_param q[2] = {{"maxReturn", max}, {"offset", off}};
        cJSON *page = NULL;
        int rc = asset_get(op, ep, q, 2, &page, what);
        if (rc != SOAP_OK) {
            cJSON_Delete(*all);
            *all = NULL;
            return rc;
        }
        int n = cJSON_GetArraySize(page);
        while (cJSON_GetArraySize(page) > 0)
            cJSON_AddItemToArray(*all, cJSON_DetachItemFromArray(page, 0));
        cJSON_Delete(page);
        if (n < page_max)
            return SOAP_OK;
    }
}

typedef struct name_ref {
    const char *s;
    int i;
} name_ref;

static int cmp_name_ref(const void *x, const void *y)
{
    const name_ref *a = x, *b = y;
    int c = strcasecmp(a->s, b->s);
    return c ? c : (a->i > b->i) - (a->i < b->i);
}

/* The non-blank strings of a SOAP ArrayOfString, without repeats (ignoring
 * case), in request order.  Sorted to find the repeats: the list is the
 * client's and has no length limit. */
static const char **wanted_names(struct soap *soap, const struct ns1__ArrayOfString *a, int *n)
{
    int cap = a ? a->__sizestringItem : 0;
    const char **v = soap_malloc(soap, sizeof *v * ((size_t)cap + 1));
    name_ref *r = malloc(sizeof *r * ((size_t)cap + 1));
    bool *keep = calloc((size_t)cap + 1, sizeof *keep);
    *n = 0;
    if (!v || !r || !keep) {
        free(r);
        free(keep);
        return NULL;
    }
    int nr = 0;
    for (int i = 0; i < cap; i++)
        if (!blank(a->stringItem[i]))
            r[nr++] = (name_ref){a->stringItem[i], i};
    qsort(r, (size_t)nr, sizeof *r, cmp_name_ref);
    for (int k = 0; k < nr; k++)
        keep[r[k].i] = k == 0 || strcasecmp(r[k].s, r[k - 1].s) != 0;
    for (int i = 0; i < cap; i++)
        if (keep[i])
            v[(*n)++] = a->stringItem[i];
    free(r);
    free(keep);
    return v;
}

static bool name_in(const char *const *v, int n, const char *s)
{
    for (int i = 0; s && i < n; i++)
        if (strcasecmp(v[i], s) == 0)
            return true;
    return false;
}

/* ---- getChannels ------------------------------------------------------------------ */

typedef struct status_ref {
    const cJSON *json;
    const char *name;
    int index;
} status_ref;

static int cmp_status(const void *x, const void *y)
{
    const status_ref *a = x, *b = y;
    int c = strcasecmp(a->name, b->name);
    return c ? c : a->index - b->index;
}

static struct ns1__Attrib attrib(struct soap *soap, const char *name, char *value)
{
    struct ns1__Attrib at = {soap_strdup(soap, name), value ? value : soap_strdup(soap, "")};
    return at;
}

/* One REST channel → one TagStatus. */
static int channel_to_soap(struct soap *soap, const cJSON *ch, struct ns1__TagStatus *out)
{
    const cJSON *st = cJSON_GetObjectItemCaseSensitive(ch, "progressionStatuses");
    int n = cJSON_GetArraySize(st);
    status_ref *refs = soap_malloc(soap, sizeof *refs * ((size_t)n + 1));
    struct ns1__ProgressionStatus *items = soap_malloc(soap, sizeof *items * ((size_t)n + 1));
    out->statusList = soap_malloc(soap, sizeof *out->statusList);
    out->tagValue = soap_strdup(soap, mk_rest_json_get_string(ch, "name"));
    if (!refs || !items || !out->statusList || !out->tagValue)
        return -1;
    int k = 0;
    const cJSON *s;
    cJSON_ArrayForEach(s, st) {
        const char *name = mk_rest_json_get_string(s, "name");
        refs[k] = (status_ref){s, name ? name : "", k};
        k++;
    }
    qsort(refs, (size_t)k, sizeof *refs, cmp_status);
    for (int i = 0; i < k; i++) {
        struct ns1__ArrayOfAttrib *a = soap_malloc(soap, sizeof *a);
        struct ns1__Attrib *v = soap_malloc(soap, sizeof *v * 3);
        if (!a || !v)
            return -1;
        v[0] = attrib(soap, "Status", soap_strdup(soap, refs[i].name));
        v[1] = attrib(soap, "Step", mk_actrec_value_text(
                                        soap, cJSON_GetObjectItemCaseSensitive(refs[i].json, "step")));
        v[2] = attrib(soap, "Success",
                      mk_actrec_value_text(soap, cJSON_GetObjectItemCaseSensitive(refs[i].json,
                                                                                   "success")));
        a->__sizeattrib = 3;
        a->attrib = v;
        items[i].progressionStatus = a;
    }
    out->statusList->__sizeprogressionStatusItem = k;
    out->statusList->progressionStatusItem = items;
    return 0;
}

int mk_op_get_channels(mk_op *op, struct ns1__ParamsGetChannels *p,
                       struct ns1__SuccessGetChannels *out)
{
    struct soap *soap = op->soap;
    int rc = SOAP_OK;
    int nnames = 0;
    const char **names = wanted_names(soap, p->tag ? p->tag->values : NULL, &nnames);
    if (!names)
        return mk_fault(soap, MK_ERR_INTERNAL, "out of memory");

    cJSON *channels = NULL;
    if (nnames == 1) {
        mk_rest_param q[1] = {{"name", names[0]}};
        rc = asset_get(op, MK_EP_CHANNEL_BY_NAME, q, 1, &channels,
                       "getChannels: channel by name");
    } else {
        rc = asset_all(op, MK_EP_CHANNELS, &channels, "getChannels: channels");
    }
    if (rc != SOAP_OK)
        return rc;

    int n = cJSON_GetArraySize(channels), k = 0;
    struct ns1__TagStatus *tags = soap_malloc(soap, sizeof *tags * ((size_t)n + 1));
    const cJSON *ch;
    cJSON_ArrayForEach(ch, channels) {
        if (!tags)
            break;
        if (nnames && !name_in(names, nnames, mk_rest_json_get_string(ch, "name")))
            continue;
        if (channel_to_soap(soap, ch, &tags[k++]) != 0) {
            tags = NULL;
            break;
        }
    }
    cJSON_Delete(channels);
    struct ns1__ResultGetChannels *r = soap_malloc(soap, sizeof *r);
    if (r)
        r->tags = soap_malloc(soap, sizeof *r->tags);
    if (!tags || !r || !r->tags)
        return mk_fault(soap, MK_ERR_INTERNAL, "out of memory");
    r->tags->__sizetagStatus = k;
    r->tags->tagStatus = tags;
    out->result = r;
    return SOAP_OK;
}

/* ---- getTags ------------------------------------------------------------------------- */

/* "[A, B, C]" → {"A", "B", "C"} in the soap arena. */
static char **split_values(struct soap *soap, const char *s, int *n)
{
    *n = 0;
    if (!s)
        s = "";
    size_t len = strlen(s);
    char *buf = soap_malloc(soap, len + 1);
    char **v = soap_malloc(soap, sizeof *v * (len / 2 + 2));
    if (!buf || !v)
        return NULL;
    memcpy(buf, s, len + 1);
    char *b = buf, *e = buf + len;
    while (*b == ' ')
        b++;
    while (e > b && e[-1] == ' ')
        *--e = '\0';
    if (*b == '[' && e > b && e[-1] == ']') {
        b++;
        *--e = '\0';
    }
    for (char *tok = b; tok && *tok;) {
        char *comma = strchr(tok, ',');
        if (comma)
            *comma = '\0';
        char *t = tok, *te = t + strlen(t);
        while (*t == ' ')
            t++;
        while (te > t && te[-1] == ' ')
            *--te = '\0';
        if (*t)
            v[(*n)++] = t;
        tok = comma ? comma + 1 : NULL;
    }
    return v;
}

/* A request naming more tag types than this checks them against the
 * instance's list (tagTypes.json, one call a page) before asking for any
 * type's values: REST calls stay bounded by the types the instance has, not
 * by the names a client sends (80,000 unknown names were 80,000 calls, and
 * the daily quota is shared by every integration of the instance). */
#define NAMED_TYPES_UNCHECKED 10

static bool type_in(const cJSON *types, const char *type)
{
    const cJSON *t;
    cJSON_ArrayForEach(t, types)
        if (mk_obj_text_equal(mk_rest_json_get_string(t, "tagType"), type))
            return true;
    return false;
}

/* The tag type called `type`: cached, else tagType/byName.json (skipped
 * when known, the instance's types, does not have it).  *doc is NULL when
 * Marketo has no such type. */
static int tag_type(mk_op *op, const char *type, const cJSON *known, cJSON **doc,
                    const char *what)
{
    mk_actsvc *a = op->svc->acts;
    struct mk_request *r = op->req;
    char key[512];
    snprintf(key, sizeof key, "%s/%s", r->rest_client_id ? r->rest_client_id : "", type);
    *doc = mk_objcache_get(a->tags, key, NULL);
    if (*doc || (known && !type_in(known, type)))
        return SOAP_OK;
    mk_rest_param q[1] = {{"name", type}};
    cJSON *items = NULL;
    int rc = asset_get(op, MK_EP_TAG_TYPE_BY_NAME, q, 1, &items, what);
    if (rc != SOAP_OK)
        return rc;
    cJSON *first = cJSON_DetachItemFromArray(items, 0);
    cJSON_Delete(items);
    if (first) {
        mk_objcache_put(a->tags, key, first);   /* only found types: a new one is seen at once */
        *doc = first;
    }
    return SOAP_OK;
}

typedef struct tag_out {
    struct ns1__Tag *v;
    int n, cap;
} tag_out;

/* Append `type` (with only `want` of its values when nwant > 0). */
static int add_type(mk_op *op, tag_out *o, const char *type, const cJSON *known,
                    const char *const *want, int nwant)
{
    struct soap *soap = op->soap;
    cJSON *doc = NULL;
    int rc = tag_type(op, type, known, &doc, "getTags: tag type by name");
    if (rc != SOAP_OK || !doc)
        return rc;
    int nv = 0;
    char **vals = split_values(soap, mk_rest_json_get_string(doc, "allowableValues"), &nv);
    const char *canonical = mk_rest_json_get_string(doc, "tagType");
    char *name = soap_strdup(soap, canonical ? canonical : type);
    cJSON_Delete(doc);
    if (!vals || !name)
        return mk_fault(soap, MK_ERR_INTERNAL, "out of memory");
    if (nwant) {
        int k = 0;
        for (int i = 0; i < nv; i++)
            if (name_in(want, nwant, vals[i]))
                vals[k++] = vals[i];
        nv = k;
        if (nv == 0)
            return SOAP_OK;
    }
    if (o->n == o->cap) {
        int cap = o->cap ? o->cap * 2 : 16;
        struct ns1__Tag *v = soap_malloc(soap, sizeof *v * (size_t)cap);
        if (!v)
            return mk_fault(soap, MK_ERR_INTERNAL, "out of memory");
        if (o->n)
            memcpy(v, o->v, sizeof *v * (size_t)o->n);
        o->v = v;
        o->cap = cap;
    }
    struct ns1__Tag *t = &o->v[o->n++];
    t->type = name;
    t->values = soap_malloc(soap, sizeof *t->values);
    if (!t->values)
        return mk_fault(soap, MK_ERR_INTERNAL, "out of memory");
    t->values->__sizestringItem = nv;
    t->values->stringItem = vals;
    return SOAP_OK;
}

int mk_op_get_tags(mk_op *op, struct ns1__ParamsGetTags *p, struct ns1__SuccessGetTags *out)
{
    struct soap *soap = op->soap;
    int rc = SOAP_OK;
    if (!op->svc->acts)
        return mk_fault(soap, MK_ERR_INTERNAL, "getTags: asset services not started");

    int ntags = p->tagList ? p->tagList->__sizetag : 0;
    bool need_all = ntags == 0;
    for (int i = 0, named = 0; i < ntags; i++) {
        need_all = need_all || blank(p->tagList->tag[i].type);
        named += !blank(p->tagList->tag[i].type);
        need_all = need_all || named > NAMED_TYPES_UNCHECKED;
    }
    cJSON *all = NULL;
    if (need_all &&
        (rc = asset_all(op, MK_EP_TAG_TYPES, &all, "getTags: tag types")) != SOAP_OK)
        return rc;

    tag_out o = {0};
    if (ntags == 0) {
        const cJSON *t;
        cJSON_ArrayForEach(t, all) {
            const char *type = mk_rest_json_get_string(t, "tagType");
            if (type && (rc = add_type(op, &o, type, NULL, NULL, 0)) != SOAP_OK)
                break;
        }
    }
    for (int i = 0; rc == SOAP_OK && i < ntags; i++) {
        const struct ns1__Tag *tag = &p->tagList->tag[i];
        int nwant = 0;
        const char **want = wanted_names(soap, tag->values, &nwant);
        if (!want) {
            rc = mk_fault(soap, MK_ERR_INTERNAL, "out of memory");
            break;
        }
        if (!blank(tag->type)) {
            rc = add_type(op, &o, tag->type, all, want, nwant);
            continue;
        }
        const cJSON *t;
        cJSON_ArrayForEach(t, all) {
            const char *type = mk_rest_json_get_string(t, "tagType");
            /* A tag without type or values asks for every type, as no tagList does. */
            if (type && (rc = add_type(op, &o, type, NULL, want, nwant)) != SOAP_OK)
                break;
        }
    }
    cJSON_Delete(all);
    if (rc != SOAP_OK)
        return rc;
    struct ns1__ResultGetTags *r = soap_malloc(soap, sizeof *r);
    if (r)
        r->tagList = soap_malloc(soap, sizeof *r->tagList);
    if (!r || !r->tagList)
        return mk_fault(soap, MK_ERR_INTERNAL, "out of memory");
    r->tagList->__sizetag = o.n;
    r->tagList->tag = o.v;
    out->result = r;
    return SOAP_OK;
}
