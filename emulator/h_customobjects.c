/*
 * h_customobjects.c — custom objects (rest-api.md §d.6).
 *
 *   GET  /rest/v1/customobjects.json?names=…             the types (no fields)
 *   GET  /rest/v1/customobjects/{name}/describe.json     one type with fields, state, version
 *   GET  /rest/v1/customobjects/{name}.json              query (compound keys: POST ?_method=GET)
 *   POST /rest/v1/customobjects/{name}.json              sync
 *   POST /rest/v1/customobjects/{name}/delete.json       delete
 *
 * Store:
 *   "customObjectTypes": [describe records — see h_objects.h — keyed by "name"]
 *   "customObjects":     [{name: "<type>", records: [{marketoGUID, …, createdAt, updatedAt}]}]
 * Records are grouped per type in an array (not an object keyed by type) so a
 * seed without custom objects still yields a well-formed, empty collection.
 *
 * An unknown type name answers 1013 "Object not found" at response level:
 * the reference documents no code for it, and 1013 is what a get by an
 * unknown id answers for lists and campaigns, so a client handles both alike.
 * Query, sync and delete are the shared engine (h_objects.c); relationships
 * to leads are enforced there (1004 Lead not found).
 */
#include "h_family.h"
#include "h_objects.h"

#include <string.h>
#include <strings.h>

static const cJSON *type_by_name(const char *name)
{
    return fam_find_str(emu_store_get("customObjectTypes"), "name", name, true);
}

/* The records array of a type; the group is created on first write. */
static cJSON *records_of(const char *name, bool create)
{
    cJSON *groups = emu_store_get("customObjects");
    cJSON *g = fam_find_str(groups, "name", name, true);
    if (!g && create) {
        g = cJSON_CreateObject();
        cJSON_AddStringToObject(g, "name", name);
        cJSON_AddArrayToObject(g, "records");
        cJSON_AddItemToArray(groups, g);
    }
    cJSON *r = cJSON_GetObjectItemCaseSensitive(g, "records");
    return cJSON_IsArray(r) ? r : NULL;
}

static const char *capture_name(const emu_req *req)
{
    return req->ncaptures > 0 ? req->captures[0] : "";
}

/* GET /rest/v1/customobjects.json */
static void h_co_list(const emu_req *req, emu_resp *resp)
{
    const char *qn = emu_param_list(req, "names");
    cJSON *names = fam_split(qn);
    resp->result = cJSON_CreateArray();
    emu_store_rdlock();
    const cJSON *t;
    cJSON_ArrayForEach(t, emu_store_get("customObjectTypes")) {
        if (qn && !fam_list_has(names, fam_get_str(t, "name"), true))
            continue;
        cJSON *item = cJSON_Duplicate(t, true);
        /* The list call describes keys and relationships; fields need describe. */
        cJSON_DeleteItemFromObjectCaseSensitive(item, "fields");
        cJSON_DeleteItemFromObjectCaseSensitive(item, "state");
        cJSON_DeleteItemFromObjectCaseSensitive(item, "version");
        cJSON_AddItemToArray(resp->result, item);
    }
    emu_store_unlock();
    cJSON_Delete(names);
}

/* GET /rest/v1/customobjects/{name}/describe.json */
static void h_co_describe(const emu_req *req, emu_resp *resp)
{
    emu_store_rdlock();
    const cJSON *t = type_by_name(capture_name(req));
    cJSON *meta = t ? cJSON_Duplicate(t, true) : NULL;
    emu_store_unlock();
    if (!meta) {
        emu_fail(resp, "1013", "Object not found");
        return;
    }
    fam_obj_describe(meta, true, resp);
    cJSON_Delete(meta);
}

static void run(const emu_req *req, emu_resp *resp,
                void (*op)(const fam_objtype *, const emu_req *, emu_resp *), bool write)
{
    const char *name = capture_name(req);
    emu_store_lock(write);
    const cJSON *meta = type_by_name(name);
    if (!meta) {
        emu_store_unlock();
        emu_fail(resp, "1013", "Object not found");
        return;
    }
    /* Group under the type's own spelling of its name. */
    cJSON *records = records_of(fam_get_str(meta, "name"), write);
    cJSON *empty = records ? NULL : cJSON_CreateArray();
    fam_objtype t = {.meta = meta, .records = records ? records : empty};
    op(&t, req, resp);
    emu_store_unlock();
    cJSON_Delete(empty);
}

static void h_co_query(const emu_req *r, emu_resp *s) { run(r, s, fam_obj_query, false); }
static void h_co_sync(const emu_req *r, emu_resp *s) { run(r, s, fam_obj_sync, true); }
static void h_co_delete(const emu_req *r, emu_resp *s) { run(r, s, fam_obj_delete, true); }

const emu_route emu_routes_customobjects[] = {
    {"GET", "/rest/v1/customobjects.json", h_co_list, true},
    {"GET", "/rest/v1/customobjects/{name}/describe.json", h_co_describe, true},
    {"GET", "/rest/v1/customobjects/{name}.json", h_co_query, true},
    {"POST", "/rest/v1/customobjects/{name}.json", h_co_sync, true},
    {"POST", "/rest/v1/customobjects/{name}/delete.json", h_co_delete, true},
    {NULL, NULL, NULL, false},
};
