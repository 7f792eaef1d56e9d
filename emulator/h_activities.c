/*
 * h_activities.c — the activity endpoints (rest-api.md d.2): activity types,
 * the date-based paging token, lead activities, lead changes and deleted
 * leads.
 *
 * Marketo scans its activity store in blocks and answers one block per
 * call, so a page may hold fewer than batchSize items — even none — while
 * moreResult is true; clients must loop on moreResult, never on an empty
 * page.  The emulator does the same (SCAN_BLOCK activities per call) so
 * that clients meet that behaviour here rather than in production.
 *
 * Paging tokens are opaque base32 strings; inside they name the next
 * activity id to look at, which is date order because the log is
 * append-only.  Every answer carries nextPageToken and moreResult.
 */
#include "h_family.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#define SCAN_BLOCK 1000
#define MAX_TYPE_IDS 10
#define MAX_LEAD_IDS 30
#define MAX_LIST_MEMBERS 10000

static bool has(const int64_t *v, int n, int64_t x)
{
    for (int i = 0; i < n; i++)
        if (v[i] == x)
            return true;
    return false;
}

static bool start_token(const emu_req *req, emu_resp *resp, int64_t *next_id)
{
    const char *t = fam_param_required(req, resp, "nextPageToken");
    if (!t)
        return false;
    if (!emu_activity_token_decode(t, next_id)) {
        emu_fail(resp, "1003", "Invalid nextPageToken");
        return false;
    }
    return true;
}

/* ---- GET /rest/v1/activities/types.json ------------------------------------------ */

static void types(const emu_req *req, emu_resp *resp)
{
    (void)req;
    emu_store_rdlock();
    resp->result = cJSON_Duplicate(emu_store_get("activityTypes"), 1);
    emu_store_unlock();
}

/* ---- GET /rest/v1/activities/pagingtoken.json ------------------------------------------ */

static void paging_token(const emu_req *req, emu_resp *resp)
{
    const char *since = fam_param_required(req, resp, "sinceDatetime");
    if (!since)
        return;
    int64_t ms;
    if (!emu_parse_iso(since, &ms)) {
        emu_fail(resp, "704", "Invalid date format");
        return;
    }
    emu_store_rdlock();
    size_t i = emu_activity_since(ms);
    int64_t next = i < emu_activity_count() ? emu_activity_at(i)->id : emu_activity_next_id();
    emu_store_unlock();
    resp->next_page_token = emu_activity_token_encode(next);
}

/* ---- the scan shared by the three queries ---------------------------------------------------- */

typedef struct {
    const int64_t *types; int ntypes;     /* empty → any */
    const int64_t *leads; int nleads;     /* empty → any */
    const int64_t *members; size_t nmembers; bool by_list;
    const int64_t *assets; int nassets;
    int batch;
    /* leadchanges: requested field names (NULL → not a lead-change query) */
    char **fields; int nfields;
} query;

static bool field_wanted(const query *q, const char *name)
{
    for (int i = 0; i < q->nfields; i++)
        if (!strcasecmp(q->fields[i], name))
            return true;
    return false;
}

static bool has_attr(const cJSON *attrs, const char *name)
{
    const cJSON *a;
    cJSON_ArrayForEach(a, attrs) {
        const cJSON *n = cJSON_GetObjectItemCaseSensitive(a, "name");
        if (cJSON_IsString(n) && !strcmp(n->valuestring, name))
            return true;
    }
    return false;
}

/* activities.json view: no "fields"; Change Data Value carries its old and
 * new value as attributes, as Marketo shows them. */
static cJSON *render_activity(const emu_activity *a)
{
    cJSON *o = cJSON_Duplicate(a->json, 1);
    cJSON *fields = cJSON_DetachItemFromObjectCaseSensitive(o, "fields");
    const cJSON *f0 = cJSON_GetArrayItem(fields, 0);
    cJSON *attrs = cJSON_GetObjectItemCaseSensitive(o, "attributes");
    if (a->type == EMU_ACT_CHANGE_DATA_VALUE && f0 && !has_attr(attrs, "New Value")) {
        cJSON *nv = cJSON_Duplicate(cJSON_GetObjectItemCaseSensitive(f0, "newValue"), 1);
        cJSON *ov = cJSON_Duplicate(cJSON_GetObjectItemCaseSensitive(f0, "oldValue"), 1);
        cJSON_InsertItemInArray(attrs, 0, fam_attr("Old Value", ov ? ov : cJSON_CreateNull()));
        cJSON_InsertItemInArray(attrs, 0, fam_attr("New Value", nv ? nv : cJSON_CreateNull()));
    }
    cJSON_Delete(fields);
    return o;
}

/* leadchanges.json view: only the requested fields; NULL if none left. */
static cJSON *render_change(const emu_activity *a, const query *q)
{
    cJSON *o = cJSON_CreateObject();
    const char *keep[] = {"id", "marketoGUID", "leadId", "activityDate", "activityTypeId",
                          "campaignId"};
    for (size_t i = 0; i < sizeof keep / sizeof *keep; i++) {
        const cJSON *v = cJSON_GetObjectItemCaseSensitive(a->json, keep[i]);
        if (v)
            cJSON_AddItemToObject(o, keep[i], cJSON_Duplicate(v, 1));
    }
    const cJSON *fields = cJSON_GetObjectItemCaseSensitive(a->json, "fields"), *f;
    if (a->type == EMU_ACT_CHANGE_DATA_VALUE) {
        cJSON *out = cJSON_AddArrayToObject(o, "fields");
        cJSON_ArrayForEach(f, fields) {
            const cJSON *name = cJSON_GetObjectItemCaseSensitive(f, "name");
            if (cJSON_IsString(name) && field_wanted(q, name->valuestring))
                cJSON_AddItemToArray(out, cJSON_Duplicate(f, 1));
        }
        if (cJSON_GetArraySize(out) == 0) {
            cJSON_Delete(o);
            return NULL;
        }
    }
    /* Lead changes carry old/new values in fields[], not as attributes. */
    cJSON *attrs = cJSON_CreateArray();
    const cJSON *at;
    cJSON_ArrayForEach(at, cJSON_GetObjectItemCaseSensitive(a->json, "attributes")) {
        const cJSON *n = cJSON_GetObjectItemCaseSensitive(at, "name");
        if (cJSON_IsString(n) &&
            (!strcmp(n->valuestring, "New Value") || !strcmp(n->valuestring, "Old Value")))
            continue;
        cJSON_AddItemToArray(attrs, cJSON_Duplicate(at, 1));
    }
    cJSON_AddItemToArray(attrs, fam_attr("Lead ID", emu_raw_i64(a->lead_id)));
    cJSON_AddItemToObject(o, "attributes", attrs);
    return o;
}

static bool member_of(const query *q, int64_t lead)
{
    for (size_t i = 0; i < q->nmembers; i++)
        if (q->members[i] == lead)
            return true;
    return false;
}

static void scan(const query *q, int64_t next_id, emu_resp *resp)
{
    resp->result = cJSON_CreateArray();
    emu_store_rdlock();
    size_t i = emu_activity_lower_bound(next_id), n = emu_activity_count();
    size_t stop = i + SCAN_BLOCK < n ? i + SCAN_BLOCK : n;
    int got = 0;
    for (; i < stop && got < q->batch; i++) {
        const emu_activity *a = emu_activity_at(i);
        if ((q->ntypes && !has(q->types, q->ntypes, a->type)) ||
            (q->nleads && !has(q->leads, q->nleads, a->lead_id)) ||
            (q->by_list && !member_of(q, a->lead_id)))
            continue;
        if (q->nassets) {
            const cJSON *pv = cJSON_GetObjectItemCaseSensitive(a->json, "primaryAttributeValueId");
            if (!cJSON_IsNumber(pv) || !has(q->assets, q->nassets, (int64_t)pv->valuedouble))
                continue;
        }
        cJSON *item = q->fields ? render_change(a, q) : render_activity(a);
        if (item) {
            cJSON_AddItemToArray(resp->result, item);
            got++;
        }
    }
    int64_t next = i < n ? emu_activity_at(i)->id : emu_activity_next_id();
    emu_store_unlock();
    resp->next_page_token = emu_activity_token_encode(next);
    resp->more_result = i < n;
}

/* leadIds / listId / batchSize, shared by activities and lead changes. */
static bool common(const emu_req *req, emu_resp *resp, query *q, int64_t **leads,
                   int64_t **members)
{
    if (!fam_batch_size(req, NULL, resp, &q->batch) ||
        !fam_param_ids(req, resp, "leadIds", MAX_LEAD_IDS, leads, &q->nleads))
        return false;
    q->leads = *leads;
    const char *list = emu_param(req, "listId");
    if (list && *list) {
        int64_t lid;
        if (!fam_parse_i64(list, &lid)) {
            emu_fail(resp, "1001", "Invalid value '%.64s'. Required of type 'integer'", list);
            return false;
        }
        size_t n = 0;
        emu_store_rdlock();
        int rc = emu_list_member_ids(lid, members, &n);
        emu_store_unlock();
        if (rc) {
            emu_fail(resp, "1013", "Object not found");
            return false;
        }
        /* activities.md: lists of 10,000 members or more are refused. */
        if (n >= MAX_LIST_MEMBERS) {
            emu_fail(resp, "1003", "List '%" PRId64 "' has %zu members; at most %d allowed",
                     lid, n, MAX_LIST_MEMBERS - 1);
            return false;
        }
        q->members = *members;
        q->nmembers = n;
        q->by_list = true;
    }
    return true;
}

/* ---- GET /rest/v1/activities.json --------------------------------------------------------------- */

static void activities(const emu_req *req, emu_resp *resp)
{
    int64_t next, *types = NULL, *leads = NULL, *members = NULL, *assets = NULL;
    query q = {0};
    if (!start_token(req, resp, &next))
        return;
    if (!fam_param_ids(req, resp, "activityTypeIds", MAX_TYPE_IDS, &types, &q.ntypes))
        return;
    q.types = types;
    if (q.ntypes == 0) {
        emu_fail(resp, "701", "activityTypeIds cannot be blank");
        goto out;
    }
    if (!fam_param_ids(req, resp, "assetIds", FAM_MAX_BATCH, &assets, &q.nassets))
        goto out;
    q.assets = assets;
    if (q.nassets && q.ntypes != 1) {
        emu_fail(resp, "1003", "assetIds may only be used with a single activityTypeId");
        goto out;
    }
    if (!common(req, resp, &q, &leads, &members))
        goto out;
    scan(&q, next, resp);
out:
    free(types);
    free(leads);
    free(members);
    free(assets);
}

/* ---- GET /rest/v1/activities/leadchanges.json --------------------------------------------------- */

static void lead_changes(const emu_req *req, emu_resp *resp)
{
    int64_t next, *leads = NULL, *members = NULL;
    static const int64_t change_types[] = {EMU_ACT_NEW_LEAD, EMU_ACT_CHANGE_DATA_VALUE};
    query q = {.types = change_types, .ntypes = 2};
    if (!start_token(req, resp, &next))
        return;
    fam_strlist names;
    fam_strlist_split(&names, emu_param_list(req, "fields"));
    if (names.n == 0) {
        fam_strlist_free(&names);
        emu_fail(resp, "701", "fields cannot be blank");
        return;
    }
    emu_store_rdlock();
    const char *unknown = NULL;
    for (int i = 0; i < names.n && !unknown; i++)
        if (!emu_field_find(names.v[i]))
            unknown = names.v[i];
    emu_store_unlock();
    if (unknown) {
        emu_fail(resp, "1006", "Field '%.100s' not found", unknown);
        fam_strlist_free(&names);
        return;
    }
    q.fields = names.v;
    q.nfields = names.n;
    if (common(req, resp, &q, &leads, &members))
        scan(&q, next, resp);
    fam_strlist_free(&names);
    free(leads);
    free(members);
}

/* ---- GET /rest/v1/activities/deletedleads.json --------------------------------------------------- */

static void deleted_leads(const emu_req *req, emu_resp *resp)
{
    static const int64_t del[] = {EMU_ACT_DELETE_LEAD};
    query q = {.types = del, .ntypes = 1};
    int64_t next;
    if (!start_token(req, resp, &next) || !fam_batch_size(req, NULL, resp, &q.batch))
        return;
    scan(&q, next, resp);
}

const emu_route emu_routes_activities[] = {
    {"GET", "/rest/v1/activities/types.json", types, true},
    {"GET", "/rest/v1/activities/pagingtoken.json", paging_token, true},
    {"GET", "/rest/v1/activities.json", activities, true},
    {"GET", "/rest/v1/activities/leadchanges.json", lead_changes, true},
    {"GET", "/rest/v1/activities/deletedleads.json", deleted_leads, true},
    {NULL, NULL, NULL, false},
};
