/*
 * customobjects.c — the three custom object operations: getCustomObjects,
 * syncCustomObjects, deleteCustomObjects.
 *
 * SOAP names a custom object type by its name as defined in Marketo
 * ("RoadShow", answered as "Roadshow"); REST by its API name
 * ("roadshow_c").  The type list (GET /rest/v1/customobjects.json: name,
 * displayName, dedupe and searchable fields, relationships) and each type's
 * describe (its fields) are read through the metadata cache (objects.h), so
 * a steady-state SOAP call costs the one REST call that does the work.  A
 * name missing from a cached list is asked again (types created since are
 * seen), at most every few seconds.
 *
 * Records.  SOAP splits a record into customObjKeyList and
 * customObjAttributeList; REST records are flat, so requests merge the two
 * and answers split them again: the key list holds the type's dedupe fields,
 * the attribute list the rest.  Names are REST field names, matched
 * case-insensitively, plus SOAP's lead link "MKTOID" for the field that
 * relates the type to Lead.id (answers use MKTOID where the request did).
 *
 * Keys.  REST reads records by one searchable field or by the whole dedupe
 * key (compound keys as POST ?_method=GET with a JSON body), and writes and
 * deletes them by the dedupe key or by marketoGUID.  Other key shapes are
 * refused (reads: fault 20110) or FAILED (one record of a write).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "mapping/mapping.h"
#include "ops/core/common.h"
#include "ops/objects/objects.h"
#include "ops/core/op.h"
#include "mk_handlers.h"
#include "rest/endpoints.h"
#include "rest/json.h"
#include "soap/fault.h"

#define TYPES_KEY "customobjects"
#define LIST_REFRESH_MS 5000      /* a name not found refetches a list older than this */
#define SOAP_SYNC_MAX 100
#define LEAD_LINK_SOAP "MKTOID"

typedef struct cotype {
    cJSON *types;              /* the type list (owned) */
    const cJSON *t;            /* the matched type */
    const char *api;           /* REST API name */
    const char *soap_name;     /* the definition's spelling of the name the client used */
    const char *lead_link;     /* REST field related to Lead.id, or NULL */
    cJSON *describe;           /* describe result (owned), NULL when not loaded */
    const cJSON *fields;       /* describe's fields */
    const cJSON *dedupe;
    const cJSON *searchable;
    const char *id_field;
    bool alias_used;           /* the request named the lead link MKTOID */
} cotype;

static void cotype_free(cotype *c)
{
    cJSON_Delete(c->types);
    cJSON_Delete(c->describe);
}

static char *describe_key(struct soap *soap, const char *api)
{
    size_t n = strlen(api) + 16;
    char *k = soap_malloc(soap, n);
    if (k)
        snprintf(k, n, "co-describe:%s", api);
    return k;
}

/* Forget what the caches say about a type REST no longer knows. */
static void forget_type(mk_op *op, const cotype *c)
{
    struct soap *soap = op->soap;
    mk_obj_metadata_drop(op, TYPES_KEY);
    if (c->api)
        mk_obj_metadata_drop(op, describe_key(soap, c->api));
}

static const cJSON *find_type(const cJSON *types, const char *name, const char **soap_name)
{
    const cJSON *t;
    cJSON_ArrayForEach(t, types) {
        const char *n = mk_rest_json_get_string(t, "name");
        const char *d = mk_rest_json_get_string(t, "displayName");
        if (d && !strcasecmp(d, name)) {
            *soap_name = d;
            return t;
        }
        if (n && !strcasecmp(n, name)) {
            *soap_name = n;
            return t;
        }
    }
    return NULL;
}

static int resolve_type(mk_op *op, const char *op_name, const char *name, bool with_fields,
                        cotype *c)
{
    struct soap *soap = op->soap;
    memset(c, 0, sizeof *c);
    if (!name || !*name)
        return mk_fault(soap, MK_ERR_PARAMETER_REQUIRED, "%s needs objTypeName", op_name);
    char what[96];
    snprintf(what, sizeof what, "%s: list custom object types", op_name);
    mk_rest_req rr = {.ep = MK_EP_CUSTOM_OBJECT_TYPES};
    int rc = mk_obj_metadata(op, TYPES_KEY, &rr, "customobject", what, &c->types);
    if (rc != SOAP_OK)
        return rc;
    c->t = find_type(c->types, name, &c->soap_name);
    if (!c->t && mk_obj_metadata_age(op, TYPES_KEY) > LIST_REFRESH_MS) {
        /* Perhaps created since the list was read. */
        cJSON_Delete(c->types);
        c->types = NULL;
        mk_obj_metadata_drop(op, TYPES_KEY);
        if ((rc = mk_obj_metadata(op, TYPES_KEY, &rr, "customobject", what, &c->types)) != SOAP_OK)
            return rc;
        c->t = find_type(c->types, name, &c->soap_name);
    }
    if (!c->t) {
        cotype_free(c);
        memset(c, 0, sizeof *c);
        return mk_fault(soap, MK_ERR_BAD_PARAMETER,
                        "Object name is not valid: '%s' is not a custom object type of this "
                        "Marketo instance", name);
    }
    c->api = mk_rest_json_get_string(c->t, "name");
    c->dedupe = cJSON_GetObjectItemCaseSensitive(c->t, "dedupeFields");
    c->searchable = cJSON_GetObjectItemCaseSensitive(c->t, "searchableFields");
    c->id_field = mk_rest_json_get_string(c->t, "idField");
    if (!c->id_field)
        c->id_field = "marketoGUID";
    const cJSON *rel;
    cJSON_ArrayForEach(rel, cJSON_GetObjectItemCaseSensitive(c->t, "relationships")) {
        const cJSON *to = cJSON_GetObjectItemCaseSensitive(rel, "relatedTo");
        const char *tn = mk_rest_json_get_string(to, "name");
        const char *tf = mk_rest_json_get_string(to, "field");
        if (tn && tf && !strcasecmp(tn, "lead") && !strcasecmp(tf, "id"))
            c->lead_link = mk_rest_json_get_string(rel, "field");
    }
    if (!c->api)
        return mk_fault(soap, MK_ERR_API_INTERNAL, "%s: Marketo listed a type without a name", op_name);
    if (!with_fields)
        return SOAP_OK;
    char path[256];
    snprintf(what, sizeof what, "%s: describe %s", op_name, c->api);
    if (mk_rest_endpoint_path(MK_EP_CUSTOM_OBJECT_DESCRIBE, c->api, path, sizeof path) != 0)
        return mk_fault(soap, MK_ERR_BAD_PARAMETER,
                        "%s: no REST path for custom object type '%s'", op_name, c->api);
    mk_rest_req dr = {.ep = MK_EP_CUSTOM_OBJECT_DESCRIBE, .path = path};
    mk_ops_failure fail;   /* held: a type REST no longer knows leaves the cache */
    mk_ops_failure *outer = mk_ops_hold(op, &fail);
    rc = mk_obj_metadata(op, describe_key(soap, c->api), &dr, "customobject", what, &c->describe);
    mk_ops_unhold(op, outer);
    if (rc != SOAP_OK) {
        if (fail.code == MK_ERR_BAD_PARAMETER)
            forget_type(op, c);
        return mk_ops_raise(op, &fail);
    }
    c->fields = cJSON_GetObjectItemCaseSensitive(cJSON_GetArrayItem(c->describe, 0), "fields");
    if (!cJSON_IsArray(c->fields)) {
        forget_type(op, c);
        return mk_fault(soap, MK_ERR_API_INTERNAL, "%s: Marketo's describe of %s has no fields",
                        op_name, c->api);
    }
    return SOAP_OK;
}

/* A SOAP attribute name → the REST field (the type's spelling), or NULL. */
static const char *rest_field(cotype *c, const char *soap_name)
{
    if (!soap_name)
        return NULL;
    const cJSON *f;
    cJSON_ArrayForEach(f, c->fields) {
        const char *n = mk_rest_json_get_string(f, "name");
        if (n && !strcasecmp(n, soap_name))
            return n;
    }
    if (!c->fields) {
        /* Without a describe: keys only (dedupe fields and the id field). */
        cJSON_ArrayForEach(f, c->dedupe)
            if (cJSON_IsString(f) && !strcasecmp(f->valuestring, soap_name))
                return f->valuestring;
        if (!strcasecmp(c->id_field, soap_name))
            return c->id_field;
    }
    if (c->lead_link && !strcasecmp(soap_name, LEAD_LINK_SOAP)) {
        c->alias_used = true;
        return c->lead_link;
    }
    return NULL;
}

static const char *soap_field(const cotype *c, const char *rest)
{
    if (c->alias_used && c->lead_link && !strcasecmp(rest, c->lead_link))
        return LEAD_LINK_SOAP;
    return rest;
}

/* Integer and link fields go to REST as numbers (digits kept). */
static cJSON *rest_value(const cotype *c, const char *field, const char *value)
{
    const char *type = NULL;
    const cJSON *f;
    cJSON_ArrayForEach(f, c->fields) {
        const char *n = mk_rest_json_get_string(f, "name");
        if (n && !strcasecmp(n, field))
            type = mk_rest_json_get_string(f, "dataType");
    }
    if (!c->fields && c->lead_link && !strcasecmp(field, c->lead_link))
        type = "link";
    return mk_obj_rest_value(type, value);
}

static struct ns1__ArrayOfAttribute *attr_array(struct soap *soap, int n)
{
    struct ns1__ArrayOfAttribute *a = soap_malloc(soap, sizeof *a);
    if (!a)
        return NULL;
    a->__sizeattribute = 0;
    a->attribute = soap_malloc(soap, sizeof *a->attribute * (size_t)(n ? n : 1));
    return a->attribute ? a : NULL;
}

static void attr_add(struct soap *soap, struct ns1__ArrayOfAttribute *a, const char *name,
                     char *value)
{
    struct ns1__Attribute *x = &a->attribute[a->__sizeattribute++];
    x->attrName = soap_strdup(soap, name);   /* names may live in a cJSON tree */
    x->attrType = NULL;   /* nil, as Marketo answered */
    x->attrValue = value;
}

/* The client's key list, echoed (attrType nil, as Marketo answered). */
static struct ns1__ArrayOfAttribute *echo_keys(struct soap *soap,
                                               const struct ns1__ArrayOfAttribute *in)
{
    int n = in ? in->__sizeattribute : 0;
    struct ns1__ArrayOfAttribute *a = attr_array(soap, n);
    for (int i = 0; a && i < n; i++)
        attr_add(soap, a, in->attribute[i].attrName ? in->attribute[i].attrName : "",
                 in->attribute[i].attrValue ? in->attribute[i].attrValue : "");
    return a;
}

/* ---- getCustomObjects ------------------------------------------------------------ */

static char *key_shapes(struct soap *soap, const cotype *c)
{
    char buf[1024] = "";
    size_t used = 0;
    const cJSON *e, *f;
    cJSON_ArrayForEach(e, c->searchable) {
        int i = 0;
        if (used >= sizeof buf)
            break;
        used += (size_t)snprintf(buf + used, sizeof buf - used, "%s", used ? ", " : "");
        cJSON_ArrayForEach(f, e) {
            if (cJSON_IsString(f) && used < sizeof buf)
                used += (size_t)snprintf(buf + used, sizeof buf - used, "%s%s", i++ ? " + " : "",
                                         soap_field(c, f->valuestring));
        }
    }
    return soap_strdup(soap, buf);
}

/* customObjKeyList → want (REST field → value), each key also into sel
 * (the selection the stream position's digest covers).  REST reads by one
 * searchable field (*single) or by the whole dedupe key. */
static int co_validate_keys(struct soap *soap, const char *op, cotype *c,
                            const struct ns1__ParamsGetCustomObjects *p, const char *shapes,
                            cJSON *sel, cJSON *want, bool *single)
{
    int nk = p->customObjKeyList ? p->customObjKeyList->__sizeattribute : 0;
    for (int i = 0; i < nk; i++) {
        const struct ns1__Attribute *a = &p->customObjKeyList->attribute[i];
        const char *f = rest_field(c, a->attrName);
        const char *v = a->attrValue ? a->attrValue : "";
        if (!f)
            return mk_fault(soap, MK_ERR_BAD_PARAMETER, "%s: %s has no field '%s'", op,
                            c->soap_name, a->attrName ? a->attrName : "");
        const char *have = mk_rest_json_get_string(want, f);
        if (have && strcmp(have, v) != 0)
            return mk_fault(soap, MK_ERR_BAD_PARAMETER, "%s: key %s is given twice with different "
                            "values", op, a->attrName);
        if (!have)
            cJSON_AddStringToObject(want, f, v);
        cJSON_AddItemToArray(sel, cJSON_CreateString(f));
        cJSON_AddItemToArray(sel, cJSON_CreateString(v));
    }
    int nwant = cJSON_GetArraySize(want);
    if (nwant == 0)
        return mk_fault(soap, MK_ERR_PARAMETER_REQUIRED,
                        "%s: REST reads custom object records by key only: give customObjKeyList "
                        "with one searchable field or the dedupe fields (%s)", op, shapes);
    bool by_dedupe = nwant == cJSON_GetArraySize(c->dedupe);
    const cJSON *w;
    cJSON_ArrayForEach(w, want)
        by_dedupe = by_dedupe && mk_obj_in_list(c->dedupe, w->string);
    *single = nwant == 1 && mk_obj_is_searchable(c->searchable, want->child->string);
    if (!*single && !by_dedupe)
        return mk_fault(soap, MK_ERR_BAD_PARAMETER,
                        "%s: REST cannot filter %s by that key: it reads records by one of %s "
                        "(a + b: the dedupe fields together)", op, c->soap_name, shapes);
    return SOAP_OK;
}

/* Fields: the key list's dedupe fields, then what includeAttributes names
 * (all described fields when it names none); the names go into sel too. */
static int co_plan_fields(struct soap *soap, const char *op, cotype *c,
                          const struct ns1__ParamsGetCustomObjects *p, cJSON *sel, cJSON *fields)
{
    const cJSON *f;
    cJSON_ArrayForEach(f, c->dedupe)
        if (cJSON_IsString(f))
            cJSON_AddItemToArray(fields, cJSON_CreateString(f->valuestring));
    int ni = p->includeAttributes ? p->includeAttributes->__sizestringItem : 0;
    cJSON_AddItemToArray(sel, cJSON_CreateNumber(ni));
    for (int i = 0; i < ni; i++) {
        const char *name = p->includeAttributes->stringItem[i];
        const char *rf = rest_field(c, name);
        if (!rf)
            return mk_fault(soap, MK_ERR_BAD_PARAMETER, "%s: includeAttributes names '%s', which "
                            "is not a field of %s", op, name ? name : "", c->soap_name);
        if (!mk_obj_in_list(fields, rf))
            cJSON_AddItemToArray(fields, cJSON_CreateString(rf));
        cJSON_AddItemToArray(sel, cJSON_CreateString(rf));
    }
    if (ni == 0) {
        cJSON_ArrayForEach(f, c->fields) {
            const char *n = mk_rest_json_get_string(f, "name");
            if (n && !mk_obj_in_list(fields, n))
                cJSON_AddItemToArray(fields, cJSON_CreateString(n));
        }
    }
    return SOAP_OK;
}

/* One page of records by key; a type Marketo no longer has is forgotten
 * and faulted as Marketo did. */
static int co_fetch(mk_op *op, const char *op_name, const cotype *c, const cJSON *want,
                    bool single, const cJSON *fields, int batch, const char *token, cJSON **key,
                    cJSON **records, char **next)
{
    struct soap *soap = op->soap;
    char path[256], what[128];
    *key = NULL;
    if (mk_rest_endpoint_path(MK_EP_CUSTOM_OBJECTS_QUERY, c->api, path, sizeof path) != 0)
        return mk_fault(soap, MK_ERR_BAD_PARAMETER,
                        "%s: no REST path for custom object type '%s'", op_name, c->api);
    snprintf(what, sizeof what, "%s: query %s", op_name, c->api);
    /* One searchable field as text; the whole dedupe key with typed values. */
    *key = single ? cJSON_Duplicate(want, 1) : cJSON_CreateObject();
    const cJSON *w;
    if (!single)
        cJSON_ArrayForEach(w, want)
            cJSON_AddItemToObject(*key, w->string, rest_value(c, w->string, w->valuestring));
    int rest_code = 0;
    int rc = mk_obj_query(op, MK_EP_CUSTOM_OBJECTS_QUERY, path, *key, fields, batch, token,
                          "customobject", what, records, next, &rest_code);
    if (rc != SOAP_OK && rest_code == 1013) {
        forget_type(op, c);
        rc = mk_fault(soap, MK_ERR_BAD_PARAMETER, "Object name is not valid: Marketo no "
                      "longer has custom object type %s", c->api);
    }
    return rc;
}

/* The SOAP page: each record's dedupe fields as its keys, the other fields
 * as attributes; the position of the next page (next, or the end). */
static int co_build(mk_op *op, const char *op_name, const cotype *c, const cJSON *records,
                    const cJSON *fields, int batch, const char *next, const char *digest,
                    struct ns1__SuccessGetCustomObjects *out)
{
    struct soap *soap = op->soap;
    bool has_more = next != NULL;
    int n = cJSON_GetArraySize(records), k = 0;
    struct ns1__ResultGetCustomObjects *r = soap_malloc(soap, sizeof *r);
    struct ns1__ArrayOfCustomObj *list = soap_malloc(soap, sizeof *list);
    struct ns1__CustomObj *objs = soap_malloc(soap, sizeof *objs * (size_t)(n ? n : 1));
    if (!r || !list || !objs)
        return mk_fault(soap, MK_ERR_INTERNAL, "%s: out of memory", op_name);
    int nf = cJSON_GetArraySize(fields);
    const cJSON *rec, *f;
    cJSON_ArrayForEach(rec, records) {
        struct ns1__CustomObj *o = &objs[k++];
        /* Sized for every field: a describe may spell a dedupe field twice. */
        o->customObjKeyList = attr_array(soap, nf);
        o->customObjAttributeList = attr_array(soap, nf);
        if (!o->customObjKeyList || !o->customObjAttributeList)
            return mk_fault(soap, MK_ERR_INTERNAL, "%s: out of memory", op_name);
        cJSON_ArrayForEach(f, fields) {
            char *v = mk_ops_value_text(soap, cJSON_GetObjectItem(rec, f->valuestring));
            if (!v)
                continue;
            attr_add(soap, mk_obj_in_list(c->dedupe, f->valuestring) ? o->customObjKeyList
                                                       : o->customObjAttributeList,
                     soap_field(c, f->valuestring), v);
        }
    }
    list->__sizecustomObj = k;
    list->customObj = objs;
    r->returnCount = k;
    /* REST gives no count: a page size while more exist keeps "loop while
     * remainingCount > 0" clients right; 0 on the last page. */
    r->remainingCount = has_more ? (k > 0 ? k : batch) : 0;
    r->customObjList = list;
    cJSON *st = cJSON_CreateObject();
    if (has_more)
        cJSON_AddStringToObject(st, "t", next);
    else
        cJSON_AddTrueToObject(st, "end");
    r->newStreamPosition = mk_obj_pos_encode(op, st, "co", digest);
    if (!r->newStreamPosition)
        return soap->error;
    r->objTypeName = soap_strdup(soap, c->soap_name);
    out->result = r;
    return SOAP_OK;
}

int mk_op_get_custom_objects(mk_op *op, struct ns1__ParamsGetCustomObjects *p,
                             struct ns1__SuccessGetCustomObjects *out)
{
    struct soap *soap = op->soap;
    const char *op_name = op->entry->name;
    int rc = SOAP_OK;
    int batch;   /* Marketo's maximum is 100; paging continues */
    if ((rc = mk_ops_batch_size(soap, p->batchSize, MK_OBJ_SOAP_PAGE_MAX, MK_OBJ_SOAP_PAGE_MAX,
                                &batch)) != SOAP_OK)
        return rc;
    cotype c;
    if ((rc = resolve_type(op, op_name, p->objTypeName, true, &c)) != SOAP_OK) {
        cotype_free(&c);
        return rc;
    }

    cJSON *sel = cJSON_CreateArray(), *want = cJSON_CreateObject(), *fields = cJSON_CreateArray();
    cJSON *state = NULL, *key = NULL, *records = NULL;
    char *shapes = key_shapes(soap, &c);
    cJSON_AddItemToArray(sel, cJSON_CreateString(c.api));
    bool single = false;
    if ((rc = co_validate_keys(soap, op_name, &c, p, shapes, sel, want, &single)) != SOAP_OK ||
        (rc = co_plan_fields(soap, op_name, &c, p, sel, fields)) != SOAP_OK)
        goto out;
    char digest[17];
    char *seltext = cJSON_PrintUnformatted(sel);
    mk_obj_digest(seltext ? seltext : "", digest);
    free(seltext);
    if (p->streamPosition && *p->streamPosition &&
        (rc = mk_obj_pos_decode(op, p->streamPosition, "co", digest, &state)) != SOAP_OK)
        goto out;
    char *next = NULL;
    rc = co_fetch(op, op_name, &c, want, single, fields, batch, mk_rest_json_get_string(state, "t"),
                  &key, &records, &next);
    if (rc == SOAP_OK)
        rc = co_build(op, op_name, &c, records, fields, batch, next, digest, out);
out:
    cJSON_Delete(sel);
    cJSON_Delete(want);
    cJSON_Delete(fields);
    cJSON_Delete(state);
    cJSON_Delete(key);
    cJSON_Delete(records);
    cotype_free(&c);
    return rc;
}

/* ---- syncCustomObjects / deleteCustomObjects ----------------------------------------- */

/* Merge the key and attribute lists of one record; decide its REST key
 * and call (ep and path: the type's sync or delete endpoint). */
static void make_record(struct soap *soap, cotype *c, const struct ns1__ArrayOfAttribute *keys,
                        const struct ns1__ArrayOfAttribute *attrs, const char *action,
                        mk_rest_ep ep, const char *path, mk_obj_write *w)
{
    w->rec = cJSON_CreateObject();
    w->ep = ep;
    w->path = path;
    char unknown[512] = "";
    size_t used = 0;
    const struct ns1__ArrayOfAttribute *lists[2] = {keys, attrs};
    for (int l = 0; l < 2; l++) {
        for (int i = 0; lists[l] && i < lists[l]->__sizeattribute; i++) {
            const struct ns1__Attribute *a = &lists[l]->attribute[i];
            const char *f = rest_field(c, a->attrName);
            if (!f) {
                if (used < sizeof unknown)
                    used += (size_t)snprintf(unknown + used, sizeof unknown - used, "%s%s",
                                             used ? ", " : "", a->attrName ? a->attrName : "");
                continue;
            }
            cJSON_DeleteItemFromObject(w->rec, f);
            cJSON_AddItemToObject(w->rec, f, rest_value(c, f, a->attrValue));
        }
    }
    if (used) {
        /* Marketo's own words for it. */
        size_t n = used + 40;
        char *e = soap_malloc(soap, n);
        if (e)
            snprintf(e, n, "Unknown name attribute list: %s", unknown);
        w->error = e;
        return;
    }
    char key[1024] = "";
    used = 0;
    bool all = cJSON_GetArraySize(c->dedupe) > 0;
    const cJSON *d;
    cJSON_ArrayForEach(d, c->dedupe) {
        char *v = cJSON_IsString(d) ? mk_ops_value_text(soap, cJSON_GetObjectItem(w->rec, d->valuestring))
                                    : NULL;
        all = all && v && *v;
        if (v && used < sizeof key)
            used += (size_t)snprintf(key + used, sizeof key - used, "%s\x1f", v);
    }
    const char *guid = mk_rest_json_get_string(w->rec, c->id_field);
    if (all) {
        w->by = "dedupeFields";
        w->action = action;
    } else if (guid && *guid) {
        if (action && !strcmp(action, "createOnly")) {
            w->error = "INSERT cannot be keyed by marketoGUID (Marketo assigns it): give the "
                       "dedupe fields";
            return;
        }
        w->by = "idField";
        w->action = action ? "updateOnly" : NULL;   /* REST: idField only with updateOnly */
        snprintf(key, sizeof key, "%s", guid);
    } else {
        char fields[512] = "";
        size_t u = 0;
        cJSON_ArrayForEach(d, c->dedupe)
            if (cJSON_IsString(d) && u < sizeof fields)
                u += (size_t)snprintf(fields + u, sizeof fields - u, "%s%s", u ? ", " : "",
                                      soap_field(c, d->valuestring));
        size_t n = strlen(fields) + 96;
        char *e = soap_malloc(soap, n);
        if (e)
            snprintf(e, n, "customObjKeyList must give the dedupe fields (%s) or marketoGUID",
                     fields);
        w->error = e;
        return;
    }
    w->key = soap_strdup(soap, key);
    size_t n = 48;
    char *g = soap_malloc(soap, n);
    if (g)
        snprintf(g, n, "%s|%s", w->action ? w->action : "delete", w->by);
    w->group = g;
}

static enum ns1__SyncStatusEnum sync_status(const char *s)
{
    if (s && !strcmp(s, "CREATED"))
        return ns1__SyncStatusEnum__CREATED;
    if (s && !strcmp(s, "UPDATED"))
        return ns1__SyncStatusEnum__UPDATED;
    if (s && !strcmp(s, "DELETED"))
        return ns1__SyncStatusEnum__DELETED;
    return ns1__SyncStatusEnum__FAILED;
}

typedef struct co_status_ctx {
    struct ns1__SyncCustomObjStatus *st;
    const char *group;   /* status group of mapping/status.json */
} co_status_ctx;

static void take_status(mk_op *op, void *ctx, int i, const cJSON *item)
{
    struct soap *soap = op->soap;
    co_status_ctx *x = ctx;
    const char *rs = mk_rest_json_get_string(item, "status");
    const char *soapst =
        rs ? mk_mapping_status_to_soap(op->svc->mapping, x->group, rs, 0) : NULL;
    x->st[i].status = sync_status(soapst);
    if (!item)
        x->st[i].error = "Marketo returned no status for this record";
    else if (x->st[i].status == ns1__SyncStatusEnum__FAILED)
        x->st[i].error = mk_obj_reason(soap, item, NULL);
}

static int statuses(struct soap *soap, const cotype *c, int n,
                    struct ns1__SyncCustomObjStatus **out, const char *op)
{
    *out = soap_malloc(soap, sizeof **out * (size_t)(n ? n : 1));
    if (!*out)
        return mk_fault(soap, MK_ERR_INTERNAL, "%s: out of memory", op);
    memset(*out, 0, sizeof **out * (size_t)(n ? n : 1));
    for (int i = 0; i < n; i++) {
        (*out)[i].objTypeName = soap_strdup(soap, c->soap_name);
        (*out)[i].status = ns1__SyncStatusEnum__FAILED;
    }
    return SOAP_OK;
}

/* syncCustomObjects and deleteCustomObjects alike: record i is keys[i]
 * (+ attrs[i] for a sync); one status per record, in the caller's order,
 * echoing its key list.  action NULL: delete. */
static int write_objects(mk_op *op, const char *op_name, const char *type_name, int n,
                         const struct ns1__ArrayOfAttribute *const *keys,
                         const struct ns1__ArrayOfAttribute *const *attrs, const char *action,
                         struct ns1__ArrayOfSyncCustomObjStatus **out)
{
    struct soap *soap = op->soap;
    bool for_delete = action == NULL;
    cotype c;
    int rc = resolve_type(op, op_name, type_name, true, &c);
    if (rc != SOAP_OK) {
        cotype_free(&c);
        return rc;
    }
    struct ns1__SyncCustomObjStatus *st = NULL;
    mk_obj_write *w = calloc((size_t)n, sizeof *w);
    *out = soap_malloc(soap, sizeof **out);
    if (!w || !*out) {
        rc = mk_fault(soap, MK_ERR_INTERNAL, "%s: out of memory", op_name);
        goto out;
    }
    if ((rc = statuses(soap, &c, n, &st, op_name)) != SOAP_OK)
        goto out;
    char path[256], what[128];
    const mk_rest_ep ep = for_delete ? MK_EP_CUSTOM_OBJECTS_DELETE : MK_EP_CUSTOM_OBJECTS_SYNC;
    if (mk_rest_endpoint_path(ep, c.api, path, sizeof path) != 0) {
        rc = mk_fault(soap, MK_ERR_BAD_PARAMETER,
                      "%s: no REST path for custom object type '%s'", op_name, c.api);
        goto out;
    }
    snprintf(what, sizeof what, "%s: %s %s", op_name, for_delete ? "delete" : "sync", c.api);
    for (int i = 0; i < n; i++) {
        make_record(soap, &c, keys[i], attrs ? attrs[i] : NULL, action, ep, path, &w[i]);
        st[i].error = (char *)w[i].error;
    }
    co_status_ctx ctx = {st, for_delete ? "customobject_delete" : "customobject_sync"};
    int first_error = 0;
    mk_ops_failure fail;   /* held: 1013 means the type itself is gone */
    mk_ops_failure *outer = mk_ops_hold(op, &fail);
    rc = mk_obj_write_all(op, w, n, for_delete ? "deleteBy" : "dedupeBy", "customobject", what,
                          take_status, &ctx, NULL, &first_error);
    mk_ops_unhold(op, outer);
    if (rc != SOAP_OK && first_error == 1013) {
        forget_type(op, &c);
        rc = mk_ops_fail_after(op, &fail, MK_ERR_BAD_PARAMETER, "Object name is not valid: "
                               "Marketo no longer has custom object type %s", c.api);
    } else if (rc != SOAP_OK) {
        rc = mk_ops_raise(op, &fail);
    }
    /* Echo each key list under the names the client used. */
    for (int i = 0; i < n && rc == SOAP_OK; i++)
        st[i].customObjKeyList = echo_keys(soap, keys[i]);
    if (rc == SOAP_OK) {
        (*out)->__sizesyncCustomObjStatus = n;
        (*out)->syncCustomObjStatus = st;
    }
out:
    for (int i = 0; w && i < n; i++)
        cJSON_Delete(w[i].rec);
    free(w);
    cotype_free(&c);
    return rc;
}

int mk_op_sync_custom_objects(mk_op *op, struct ns1__ParamsSyncCustomObjects *p,
                              struct ns1__SuccessSyncCustomObjects *out)
{
    struct soap *soap = op->soap;
    const char *op_name = op->entry->name;
    int rc = SOAP_OK;
    int n = p->customObjList ? p->customObjList->__sizecustomObj : 0;
    if (n <= 0)
        return mk_fault(soap, MK_ERR_PARAMETER_REQUIRED, "%s needs customObjList/customObj", op_name);
    if (n > SOAP_SYNC_MAX)
        return mk_fault(soap, MK_ERR_BAD_PARAMETER, "%s takes at most %d records per call, not %d",
                        op_name, SOAP_SYNC_MAX, n);
    enum ns1__SyncOperationEnum oper = p->operation ? *p->operation
                                                    : ns1__SyncOperationEnum__UPSERT;
    const char *opname = soap_ns1__SyncOperationEnum2s(soap, oper);
    const char *action = mk_mapping_status_to_rest(op->svc->mapping,
                                                   "sync_operation", opname ? opname : "");
    if (!action)
        return mk_fault(soap, MK_ERR_BAD_PARAMETER, "%s: operation must be INSERT, UPDATE or "
                        "UPSERT", op_name);
    const struct ns1__ArrayOfAttribute **keys = soap_malloc(soap, sizeof *keys * (size_t)n);
    const struct ns1__ArrayOfAttribute **attrs = soap_malloc(soap, sizeof *attrs * (size_t)n);
    struct ns1__ResultSyncCustomObjects *r = soap_malloc(soap, sizeof *r);
    if (!keys || !attrs || !r)
        return mk_fault(soap, MK_ERR_INTERNAL, "%s: out of memory", op_name);
    for (int i = 0; i < n; i++) {
        keys[i] = p->customObjList->customObj[i].customObjKeyList;
        attrs[i] = p->customObjList->customObj[i].customObjAttributeList;
    }
    rc = write_objects(op, op_name, p->objTypeName, n, keys, attrs, action,
                       &r->syncCustomObjStatusList);
    if (rc == SOAP_OK)
        out->result = r;
    return rc;
}

int mk_op_delete_custom_objects(mk_op *op, struct ns1__ParamsDeleteCustomObjects *p,
                                struct ns1__SuccessDeleteCustomObjects *out)
{
    struct soap *soap = op->soap;
    const char *op_name = op->entry->name;
    int rc = SOAP_OK;
    int n = p->customObjKeyLists ? p->customObjKeyLists->__sizekeyList : 0;
    if (n <= 0)
        return mk_fault(soap, MK_ERR_PARAMETER_REQUIRED, "%s needs customObjKeyLists/keyList", op_name);
    const struct ns1__ArrayOfAttribute **keys = soap_malloc(soap, sizeof *keys * (size_t)n);
    struct ns1__ResultDeleteCustomObjects *r = soap_malloc(soap, sizeof *r);
    if (!keys || !r)
        return mk_fault(soap, MK_ERR_INTERNAL, "%s: out of memory", op_name);
    for (int i = 0; i < n; i++)
        keys[i] = &p->customObjKeyLists->keyList[i];
    rc = write_objects(op, op_name, p->objTypeName, n, keys, NULL, NULL,
                       &r->deleteCustomObjStatusList);
    if (rc == SOAP_OK)
        out->result = r;
    return rc;
}
