/*
 * h_lists.c — static lists and list membership (rest-api.md §d.3).
 *
 *   GET    /rest/v1/lists.json                      lists by id/name/program/workspace
 *   GET    /rest/v1/lists/{listId}.json             one list (unknown → 1013)
 *   GET    /rest/v1/lists/{listId}/leads.json       members, paged (also legacy /list/)
 *   POST   /rest/v1/lists/{listId}/leads.json       add    → added / skipped 1004
 *   DELETE /rest/v1/lists/{listId}/leads.json       remove → removed / skipped 1004, 1015
 *   GET    /rest/v1/lists/{listId}/leads/ismember.json  memberof / notmemberof / skipped
 *   GET    /rest/v1/leads/{leadId}/listMembership.json  lists a lead belongs to
 *   GET    /rest/asset/v1/staticList/{id}.json, staticList/byName.json,
 *          staticLists.json                          the Asset API view of the same lists
 *
 * Store shapes (also the seed's):
 *   "lists":       [{id, name, description, programName, workspaceName,
 *                    folder{id,type}, createdAt, updatedAt}]
 *   "listMembers": [{listId, leadIds: [leadId, ...]}]  insertion order = paging order
 * Membership is an array per list rather than a flag on each lead so that
 * paging a list is a walk over one array; it is an array of groups (not an
 * object keyed by list id) because the store creates missing collections as
 * arrays, so a seed without "listMembers" still works.
 *
 * The core reaches membership only through the hooks at the end of this
 * file (emu_list_member_ids, emu_on_lead_deleted, emu_on_leads_merged).
 *
 * Writes log Add to List (24) / Remove from List (25) with the list's id and
 * name as primary attribute, as Marketo does, so activity queries by list or
 * by type see every membership change.
 */
#include "h_family.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

/* Fields Get Leads by List Id returns when `fields` is not given (SPEC:
 * "email, updatedAt, createdAt, lastName, firstName and id"). */
static const char *const DEFAULT_LEAD_FIELDS[] = {
    "email", "updatedAt", "createdAt", "lastName", "firstName", NULL};

/* ---- store access (caller holds the lock) --------------------------------- */

static cJSON *list_by_id(int64_t id)
{
    return fam_find_i64(emu_store_get("lists"), "id", id);
}

/* The member array of a list; created empty when `create` (write lock). */
static cJSON *members_of(int64_t list_id, bool create)
{
    cJSON *all = emu_store_get("listMembers");
    cJSON *group = fam_find_i64(all, "listId", list_id);
    if (!group && create) {
        group = cJSON_CreateObject();
        cJSON_AddNumberToObject(group, "listId", (double)list_id);
        cJSON_AddArrayToObject(group, "leadIds");
        cJSON_AddItemToArray(all, group);
    }
    cJSON *arr = cJSON_GetObjectItemCaseSensitive(group, "leadIds");
    return cJSON_IsArray(arr) ? arr : NULL;
}

static cJSON *member_item(const cJSON *members, int64_t lead_id)
{
    cJSON *it;
    cJSON_ArrayForEach(it, members) {
        if (cJSON_IsNumber(it) && (int64_t)it->valuedouble == lead_id)
            return it;
    }
    return NULL;
}

/* The REST v1 shape of a list record (SPEC StaticList). */
static cJSON *list_view(const cJSON *l)
{
    static const char *const keys[] = {"id", "name", "description", "programName",
                                       "workspaceName", "createdAt", "updatedAt", NULL};
    cJSON *out = cJSON_CreateObject();
    for (int i = 0; keys[i]; i++) {
        const cJSON *v = cJSON_GetObjectItemCaseSensitive(l, keys[i]);
        if (v)
            cJSON_AddItemToObject(out, keys[i], cJSON_Duplicate(v, true));
    }
    return out;
}

/* The Asset API shape of the same record (SPEC StaticListResponse). */
static cJSON *asset_list_view(const cJSON *l)
{
    int64_t id = 0;
    fam_get_i64(l, "id", &id);
    cJSON *out = cJSON_CreateObject();
    cJSON_AddNumberToObject(out, "id", (double)id);
    const char *name = fam_get_str(l, "name");
    cJSON_AddStringToObject(out, "name", name ? name : "");
    const char *desc = fam_get_str(l, "description");
    cJSON_AddStringToObject(out, "description", desc ? desc : "");
    const cJSON *v;
    if ((v = cJSON_GetObjectItemCaseSensitive(l, "createdAt")))
        cJSON_AddItemToObject(out, "createdAt", cJSON_Duplicate(v, true));
    if ((v = cJSON_GetObjectItemCaseSensitive(l, "updatedAt")))
        cJSON_AddItemToObject(out, "updatedAt", cJSON_Duplicate(v, true));
    char url[96];
    snprintf(url, sizeof url, "https://app.marketo.com/#ST%" PRId64 "A1", id);
    cJSON_AddStringToObject(out, "url", url);
    if ((v = cJSON_GetObjectItemCaseSensitive(l, "folder")))
        cJSON_AddItemToObject(out, "folder", cJSON_Duplicate(v, true));
    const char *ws = fam_get_str(l, "workspaceName");
    cJSON_AddStringToObject(out, "workspace", ws ? ws : "Default");
    cJSON_AddStringToObject(out, "computedUrl", url);
    return out;
}

/* ---- GET /rest/v1/lists.json ---------------------------------------------- */

static void h_lists_get(const emu_req *req, emu_resp *resp)
{
    int batch;
    int64_t offset;
    fam_filter f;
    if (!fam_batch_size(req, NULL, resp, &batch) ||
        !fam_page_offset(req, NULL, resp, &offset) || !fam_filter_parse(req, resp, &f))
        return;
    resp->result = cJSON_CreateArray();
    fam_page pg = fam_page_start(offset, batch);
    emu_store_rdlock();
    const cJSON *l;
    cJSON_ArrayForEach(l, emu_store_get("lists")) {
        if (!fam_filter_match(&f, l) || fam_page_skip(&pg))
            continue;
        if (!fam_page_add(&pg))
            break;
        cJSON_AddItemToArray(resp->result, list_view(l));
    }
    emu_store_unlock();
    fam_filter_free(&f);
    /* SPEC ResponseOfStaticList carries nextPageToken but no moreResult. */
    fam_set_page(resp, pg.pos, pg.more, false);
}

/* ---- GET /rest/v1/lists/{listId}.json ------------------------------------- */

static void h_list_by_id(const emu_req *req, emu_resp *resp)
{
    int64_t id;
    if (fam_capture_i64(req, resp, &id))
        fam_answer_record(resp, fam_view_by_id("lists", id, list_view));
}

/* ---- GET /rest/v1/lists/{listId}/leads.json -------------------------------- */

static void h_list_leads(const emu_req *req, emu_resp *resp)
{
    int64_t id, offset;
    int batch;
    if (!fam_capture_i64(req, resp, &id) || !fam_batch_size(req, NULL, resp, &batch) ||
        !fam_page_offset(req, NULL, resp, &offset))
        return;
    const char *qf = emu_param_list(req, "fields");
    cJSON *fields;
    emu_store_rdlock(); /* field definitions change with /_emulator/reset */
    if (qf && *qf) {
        fields = fam_split(qf);
        cJSON *f;
        cJSON_ArrayForEach(f, fields) {
            const emu_field *def = emu_field_find(f->valuestring);
            if (!def) {
                emu_store_unlock();
                emu_fail(resp, "1006", "Field '%.100s' not found", f->valuestring);
                cJSON_Delete(fields);
                return;
            }
            cJSON_SetValuestring(f, def->name); /* answer under the REST spelling */
        }
    } else {
        fields = cJSON_CreateArray();
        for (int i = 0; DEFAULT_LEAD_FIELDS[i]; i++)
            cJSON_AddItemToArray(fields, cJSON_CreateString(DEFAULT_LEAD_FIELDS[i]));
    }
    if (!list_by_id(id)) {
        emu_store_unlock();
        cJSON_Delete(fields);
        emu_fail(resp, "1013", "Object not found");
        return;
    }
    resp->result = cJSON_CreateArray();
    const cJSON *members = members_of(id, false);
    int64_t total = cJSON_GetArraySize(members), pos = 0;
    int n = 0;
    const cJSON *m;
    cJSON_ArrayForEach(m, members) {
        if (pos < offset) {
            pos++;
            continue;
        }
        if (n == batch)
            break;
        pos++;
        /* A member whose lead was deleted since is not shown. */
        const cJSON *lead = cJSON_IsNumber(m) ? emu_lead_by_id((int64_t)m->valuedouble)
                                              : NULL;
        if (!lead)
            continue;
        cJSON_AddItemToArray(resp->result, fam_project(lead, fields, "id"));
        n++;
    }
    emu_store_unlock();
    cJSON_Delete(fields);
    /* The current path documents moreResult; the legacy /list/ path does not. */
    bool legacy = strncmp(req->path, "/rest/v1/list/", 14) == 0;
    fam_set_page(resp, pos, pos < total, !legacy);
}

/* ---- add / remove / ismember ---------------------------------------------- */

enum list_op { OP_ADD, OP_REMOVE, OP_ISMEMBER };

static void list_op(const emu_req *req, emu_resp *resp, enum list_op op)
{
    int64_t list_id;
    if (!fam_capture_i64(req, resp, &list_id))
        return;
    cJSON *ids = fam_lead_ids(req, resp, FAM_MAX_BATCH);
    if (!ids)
        return;

    emu_store_lock(op != OP_ISMEMBER);
    const cJSON *list = list_by_id(list_id);
    if (!list) {
        emu_store_unlock();
        cJSON_Delete(ids);
        emu_fail(resp, "1013", "Object not found");
        return;
    }
    const char *list_name = fam_get_str(list, "name");
    cJSON *members = members_of(list_id, op == OP_ADD);
    resp->result = cJSON_CreateArray();
    const cJSON *it;
    cJSON_ArrayForEach(it, ids) {
        int64_t lead_id = (int64_t)it->valuedouble;
        if (!emu_lead_by_id(lead_id)) {
            fam_skip(resp->result, "id", lead_id, "1004", "Lead not found");
            continue;
        }
        cJSON *mem = member_item(members, lead_id);
        switch (op) {
        case OP_ADD:
            /* Adding a member again succeeds without a second activity:
             * membership did not change. */
            fam_list_add_member(list_id, lead_id);
            fam_status(resp->result, "id", lead_id, "added");
            break;
        case OP_REMOVE:
            if (!mem) {
                fam_skip(resp->result, "id", lead_id, "1015", "Lead not in list");
                break;
            }
            cJSON_Delete(cJSON_DetachItemViaPointer(members, mem));
            emu_activity_add(lead_id, EMU_ACT_REMOVE_FROM_LIST, list_id, list_name, 0,
                             NULL, NULL);
            fam_status(resp->result, "id", lead_id, "removed");
            break;
        case OP_ISMEMBER:
            fam_status(resp->result, "id", lead_id, mem ? "memberof" : "notmemberof");
            break;
        }
    }
    emu_store_unlock();
    cJSON_Delete(ids);
}

static void h_list_add(const emu_req *req, emu_resp *resp) { list_op(req, resp, OP_ADD); }
static void h_list_remove(const emu_req *req, emu_resp *resp) { list_op(req, resp, OP_REMOVE); }
static void h_list_ismember(const emu_req *req, emu_resp *resp) { list_op(req, resp, OP_ISMEMBER); }

/* ---- GET /rest/v1/leads/{leadId}/listMembership.json ---------------------- */

static void h_lead_lists(const emu_req *req, emu_resp *resp)
{
    int64_t lead_id, offset;
    int batch;
    if (!fam_capture_i64(req, resp, &lead_id) || !fam_batch_size(req, NULL, resp, &batch) ||
        !fam_page_offset(req, NULL, resp, &offset))
        return;
    resp->result = cJSON_CreateArray();
    fam_page pg = fam_page_start(offset, batch);
    emu_store_rdlock();
    /* An unknown lead belongs to no list: empty result, as Get Lead by Id. */
    const cJSON *lists = emu_lead_by_id(lead_id) ? emu_store_get("lists") : NULL, *l;
    cJSON_ArrayForEach(l, lists) {
        int64_t id = 0;
        fam_get_i64(l, "id", &id);
        if (!member_item(members_of(id, false), lead_id) || fam_page_skip(&pg))
            continue;
        if (!fam_page_add(&pg))
            break;
        cJSON *item = cJSON_CreateObject();
        cJSON_AddNumberToObject(item, "listId", (double)id);
        const cJSON *v;
        if ((v = cJSON_GetObjectItemCaseSensitive(l, "createdAt")))
            cJSON_AddItemToObject(item, "createdAt", cJSON_Duplicate(v, true));
        if ((v = cJSON_GetObjectItemCaseSensitive(l, "updatedAt")))
            cJSON_AddItemToObject(item, "updatedAt", cJSON_Duplicate(v, true));
        cJSON_AddItemToArray(resp->result, item);
    }
    emu_store_unlock();
    fam_set_page(resp, pg.pos, pg.more, true);
}

/* ---- Asset API: staticList/{id}, staticList/byName, staticLists ----------- */

static void h_asset_list_by_id(const emu_req *req, emu_resp *resp)
{
    int64_t id;
    if (fam_capture_i64(req, resp, &id))
        fam_asset_record(resp, fam_view_by_id("lists", id, asset_list_view));
}

static void h_asset_list_by_name(const emu_req *req, emu_resp *resp)
{
    const char *name = fam_param_required(req, resp, "name");
    if (!name)
        return;
    /* Exact match (DOCS static-lists.md), but Marketo names ignore case. */
    fam_asset_record(resp, fam_view_by_name("lists", "name", name, asset_list_view));
}

static void h_asset_lists(const emu_req *req, emu_resp *resp)
{
    int max;
    int64_t offset, folder_id;
    cJSON *folder;
    /* folder={"id":1034,"type":"Program"} narrows to one parent. */
    if (!fam_asset_paging(req, resp, &max, &offset) ||
        !fam_param_folder(req, resp, &folder, &folder_id))
        return;
    const char *folder_type = fam_get_str(folder, "type");
    cJSON *items = cJSON_CreateArray();
    fam_page pg = fam_page_start(offset, max);
    emu_store_rdlock();
    const cJSON *l;
    cJSON_ArrayForEach(l, emu_store_get("lists")) {
        if (folder) {
            const cJSON *f = cJSON_GetObjectItemCaseSensitive(l, "folder");
            int64_t fid;
            const char *ft = fam_get_str(f, "type");
            if (!fam_get_i64(f, "id", &fid) || fid != folder_id ||
                (folder_type && ft && strcasecmp(ft, folder_type) != 0))
                continue;
        }
        if (fam_page_skip(&pg))
            continue;
        if (!fam_page_add(&pg))
            break;
        cJSON_AddItemToArray(items, asset_list_view(l));
    }
    emu_store_unlock();
    cJSON_Delete(folder);
    fam_asset_answer(resp, items);
}

/* ---- used by bulk import (h_family.h) ---------------------------------------- */

bool fam_list_exists(int64_t list_id) { return list_by_id(list_id) != NULL; }

bool fam_list_add_member(int64_t list_id, int64_t lead_id)
{
    const cJSON *list = list_by_id(list_id);
    if (!list)
        return false;
    cJSON *members = members_of(list_id, true);
    if (!member_item(members, lead_id)) {
        cJSON_AddItemToArray(members, cJSON_CreateNumber((double)lead_id));
        emu_activity_add(lead_id, EMU_ACT_ADD_TO_LIST, list_id, fam_get_str(list, "name"), 0,
                         NULL, NULL);
    }
    return true;
}

/* ---- hooks the core calls (declared in emu.h; write lock held) ------------- */

int emu_list_member_ids(int64_t list_id, int64_t **ids, size_t *n)
{
    *ids = NULL;
    *n = 0;
    if (!list_by_id(list_id))
        return -1;
    const cJSON *members = members_of(list_id, false);
    size_t cnt = (size_t)cJSON_GetArraySize(members);
    if (cnt == 0)
        return 0;
    int64_t *out = malloc(cnt * sizeof *out);
    if (!out)
        return -1;
    size_t k = 0;
    const cJSON *m;
    cJSON_ArrayForEach(m, members) {
        if (cJSON_IsNumber(m))
            out[k++] = (int64_t)m->valuedouble;
    }
    *ids = out;
    *n = k;
    return 0;
}

/* A deleted lead leaves every list, without Remove from List activities:
 * Marketo logs none for a deletion either (the lead's log goes with it). */
void emu_on_lead_deleted(int64_t lead_id)
{
    cJSON *group;
    cJSON_ArrayForEach(group, emu_store_get("listMembers")) {
        cJSON *arr = cJSON_GetObjectItemCaseSensitive(group, "leadIds");
        cJSON *mem;
        while ((mem = member_item(arr, lead_id)))
            cJSON_Delete(cJSON_DetachItemViaPointer(arr, mem));
    }
}

/* Merging keeps the winner in every list either lead was in (Marketo merges
 * list membership into the winner). */
void emu_on_leads_merged(int64_t winner_id, int64_t loser_id)
{
    cJSON *group;
    cJSON_ArrayForEach(group, emu_store_get("listMembers")) {
        cJSON *arr = cJSON_GetObjectItemCaseSensitive(group, "leadIds");
        cJSON *mem = member_item(arr, loser_id);
        if (!mem)
            continue;
        if (member_item(arr, winner_id))
            cJSON_Delete(cJSON_DetachItemViaPointer(arr, mem));
        else
            cJSON_ReplaceItemViaPointer(arr, mem, cJSON_CreateNumber((double)winner_id));
    }
}

const emu_route emu_routes_lists[] = {
    {"GET", "/rest/v1/lists.json", h_lists_get, true},
    {"GET", "/rest/v1/lists/{listId}.json", h_list_by_id, true},
    {"GET", "/rest/v1/lists/{listId}/leads.json", h_list_leads, true},
    {"GET", "/rest/v1/list/{listId}/leads.json", h_list_leads, true},
    {"POST", "/rest/v1/lists/{listId}/leads.json", h_list_add, true},
    {"DELETE", "/rest/v1/lists/{listId}/leads.json", h_list_remove, true},
    {"GET", "/rest/v1/lists/{listId}/leads/ismember.json", h_list_ismember, true},
    {"GET", "/rest/v1/leads/{leadId}/listMembership.json", h_lead_lists, true},
    {"GET", "/rest/asset/v1/staticList/byName.json", h_asset_list_by_name, true},
    {"GET", "/rest/asset/v1/staticList/{id}.json", h_asset_list_by_id, true},
    {"GET", "/rest/asset/v1/staticLists.json", h_asset_lists, true},
    {NULL, NULL, NULL, false},
};
