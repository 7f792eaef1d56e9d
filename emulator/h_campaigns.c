/*
 * h_campaigns.c — smart campaigns (rest-api.md §d.4).
 *
 *   GET  /rest/v1/campaigns.json                 by id/name/program/workspace, isTriggerable
 *   GET  /rest/v1/campaigns/{campaignId}.json    one campaign (unknown → 1013)
 *   POST /rest/v1/campaigns/{campaignId}/trigger.json   Request Campaign
 *   POST /rest/v1/campaigns/{campaignId}/schedule.json  Schedule Campaign
 *   GET  /rest/asset/v1/smartCampaigns.json, smartCampaign/{id}.json,
 *        smartCampaign/byName.json           the Asset API view of the same records
 *
 * Store shape ("campaigns", one superset record serving both APIs):
 *   {id, name, description, type: batch|trigger, programId, programName,
 *    workspaceName, isActive, isRequestable, isSystem, status, smartListId,
 *    flowId, folder{id,type}, createdAt, updatedAt}
 * isRequestable means "active, with a Campaign is Requested trigger whose
 * source is Web Service API" — the only campaigns trigger.json accepts and
 * isTriggerable=true lists.
 *
 * Triggering logs Request Campaign for every existing lead.  Leads that do
 * not exist are passed over without failing the call: the REST reference
 * documents no per-lead outcome for this endpoint (its result is just the
 * campaign id), so there is nothing to report them in.
 *
 * Scheduling records a run in "campaignRuns" (for tests and the curious) and,
 * with cloneToProgramName, clones the parent program and the campaign first;
 * clones are limited to 20 a day (1020), counted in "campaignClones"
 * ([{day, count}]) so /_emulator/reset starts the allotment afresh.
 */
#include "h_family.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#define MAX_TRIGGER_LEADS 100
#define MAX_TOKENS 100
#define MAX_CLONES_PER_DAY 20
#define MAX_RUN_AHEAD_SECONDS (2LL * 366 * 24 * 3600) /* "2 years", leap-safe */
#define DEFAULT_RUN_DELAY_SECONDS (5 * 60)

static cJSON *campaign_by_id(int64_t id)
{
    return fam_find_i64(emu_store_get("campaigns"), "id", id);
}

static bool bool_member(const cJSON *o, const char *name)
{
    return cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(o, name));
}

static void copy_member(cJSON *out, const cJSON *in, const char *from, const char *to)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(in, from);
    if (v)
        cJSON_AddItemToObject(out, to, cJSON_Duplicate(v, true));
}

/* REST v1 shape (SPEC Campaign). */
static cJSON *campaign_view(const cJSON *c)
{
    cJSON *out = cJSON_CreateObject();
    copy_member(out, c, "id", "id");
    copy_member(out, c, "name", "name");
    copy_member(out, c, "description", "description");
    copy_member(out, c, "type", "type");
    copy_member(out, c, "programId", "programId");
    copy_member(out, c, "programName", "programName");
    copy_member(out, c, "workspaceName", "workspaceName");
    cJSON_AddBoolToObject(out, "active", bool_member(c, "isActive"));
    copy_member(out, c, "createdAt", "createdAt");
    copy_member(out, c, "updatedAt", "updatedAt");
    return out;
}

/* Asset API shape (SPEC SmartCampaignResponse). */
static cJSON *smart_campaign_view(const cJSON *c)
{
    int64_t id = 0, prog = 0;
    fam_get_i64(c, "id", &id);
    cJSON *out = cJSON_CreateObject();
    copy_member(out, c, "id", "id");
    copy_member(out, c, "name", "name");
    const char *desc = fam_get_str(c, "description");
    cJSON_AddStringToObject(out, "description", desc ? desc : "");
    copy_member(out, c, "type", "type");
    cJSON_AddBoolToObject(out, "isSystem", bool_member(c, "isSystem"));
    cJSON_AddBoolToObject(out, "isActive", bool_member(c, "isActive"));
    cJSON_AddBoolToObject(out, "isRequestable", bool_member(c, "isRequestable"));
    cJSON *rec = cJSON_AddObjectToObject(out, "recurrence");
    cJSON_AddBoolToObject(rec, "weekdayOnly", false);
    cJSON_AddStringToObject(out, "qualificationRuleType", "once");
    cJSON_AddBoolToObject(out, "isCommunicationLimitEnabled", false);
    copy_member(out, c, "smartListId", "smartListId");
    copy_member(out, c, "flowId", "flowId");
    if (fam_get_i64(c, "programId", &prog))
        cJSON_AddNumberToObject(out, "parentProgramId", (double)prog);
    copy_member(out, c, "folder", "folder");
    copy_member(out, c, "createdAt", "createdAt");
    copy_member(out, c, "updatedAt", "updatedAt");
    const char *ws = fam_get_str(c, "workspaceName");
    cJSON_AddStringToObject(out, "workspace", ws ? ws : "Default");
    char url[96];
    snprintf(url, sizeof url, "https://app.marketo.com/#SC%" PRId64 "A1", id);
    cJSON_AddStringToObject(out, "computedUrl", url);
    const char *status = fam_get_str(c, "status");
    cJSON_AddStringToObject(out, "status",
                            status ? status
                                   : bool_member(c, "isActive") ? "Active" : "Inactive");
    return out;
}

/* ---- GET /rest/v1/campaigns.json ------------------------------------------ */

static void h_campaigns_get(const emu_req *req, emu_resp *resp)
{
    int batch;
    int64_t offset;
    bool triggerable;
    fam_filter f;
    if (!fam_batch_size(req, NULL, resp, &batch) ||
        !fam_page_offset(req, NULL, resp, &offset) ||
        !fam_param_bool(req, resp, "isTriggerable", &triggerable) ||
        !fam_filter_parse(req, resp, &f))
        return;
    resp->result = cJSON_CreateArray();
    fam_page pg = fam_page_start(offset, batch);
    emu_store_rdlock();
    const cJSON *c;
    cJSON_ArrayForEach(c, emu_store_get("campaigns")) {
        if (!fam_filter_match(&f, c) ||
            (triggerable && !(bool_member(c, "isActive") && bool_member(c, "isRequestable"))) ||
            fam_page_skip(&pg))
            continue;
        if (!fam_page_add(&pg))
            break;
        cJSON_AddItemToArray(resp->result, campaign_view(c));
    }
    emu_store_unlock();
    fam_filter_free(&f);
    /* Campaign responses carry nextPageToken without moreResult (rest-api.md §b). */
    fam_set_page(resp, pg.pos, pg.more, false);
}

static void h_campaign_by_id(const emu_req *req, emu_resp *resp)
{
    int64_t id;
    if (fam_capture_i64(req, resp, &id))
        fam_answer_record(resp, fam_view_by_id("campaigns", id, campaign_view));
}

/* ---- shared body checks ------------------------------------------------------ */

/* input.tokens: optional array (≤100) of {name: string, value: scalar}. */
static bool tokens_ok(const cJSON *input, emu_resp *resp)
{
    const cJSON *tokens = cJSON_GetObjectItemCaseSensitive(input, "tokens");
    if (!tokens || cJSON_IsNull(tokens))
        return true;
    if (!cJSON_IsArray(tokens)) {
        emu_fail(resp, "1003", "tokens must be an array");
        return false;
    }
    if (cJSON_GetArraySize(tokens) > MAX_TOKENS) {
        emu_fail(resp, "1003", "Too many tokens: at most %d", MAX_TOKENS);
        return false;
    }
    const cJSON *t;
    cJSON_ArrayForEach(t, tokens) {
        const char *name = fam_get_str(t, "name");
        const cJSON *value = cJSON_GetObjectItemCaseSensitive(t, "value");
        if (!name || !*name) {
            emu_fail(resp, "1003", "Every token needs a name such as {{my.token}}");
            return false;
        }
        if (cJSON_IsObject(value) || cJSON_IsArray(value)) {
            emu_fail(resp, "1003", "Token value must be a string");
            return false;
        }
    }
    return true;
}

static const cJSON *input_object(const emu_req *req, emu_resp *resp, bool required)
{
    if (!required && !req->json && (!req->body || req->body_len == 0))
        return NULL; /* schedule with no body: run in five minutes */
    const cJSON *body = fam_json_body(req, resp);
    if (!body)
        return NULL;
    const cJSON *input = cJSON_GetObjectItemCaseSensitive(body, "input");
    if (!input || cJSON_IsNull(input)) {
        if (required)
            emu_fail(resp, "701", "input cannot be blank");
        return NULL;
    }
    if (!cJSON_IsObject(input)) {
        emu_fail(resp, "1003", "input must be an object");
        return NULL;
    }
    return input;
}

/* ---- POST /rest/v1/campaigns/{campaignId}/trigger.json --------------------- */

static void h_campaign_trigger(const emu_req *req, emu_resp *resp)
{
    int64_t id;
    if (!fam_capture_i64(req, resp, &id))
        return;
    const cJSON *input = input_object(req, resp, true);
    if (!input)
        return;
    const cJSON *leads = cJSON_GetObjectItemCaseSensitive(input, "leads");
    if (!cJSON_IsArray(leads) || cJSON_GetArraySize(leads) == 0) {
        emu_fail(resp, "701", "leads cannot be blank");
        return;
    }
    if (cJSON_GetArraySize(leads) > MAX_TRIGGER_LEADS) {
        emu_fail(resp, "1003", "Too many leads: at most %d per call", MAX_TRIGGER_LEADS);
        return;
    }
    const cJSON *l;
    cJSON_ArrayForEach(l, leads) {
        int64_t lid;
        if (!fam_get_i64(l, "id", &lid)) {
            emu_fail(resp, "1001", "Invalid value for 'id'. Required of type 'integer'");
            return;
        }
    }
    if (!tokens_ok(input, resp))
        return;

    emu_store_wrlock();
    const cJSON *c = campaign_by_id(id);
    if (!c) {
        emu_store_unlock();
        emu_fail(resp, "1013", "Object not found");
        return;
    }
    const char *type = fam_get_str(c, "type");
    if (!type || strcmp(type, "trigger") != 0) {
        emu_store_unlock();
        emu_fail(resp, "1003", "Invalid data: campaign %" PRId64 " is a batch campaign", id);
        return;
    }
    if (!bool_member(c, "isActive") || !bool_member(c, "isRequestable")) {
        emu_store_unlock();
        emu_fail(resp, "1003",
                 "Invalid data: campaign %" PRId64
                 " is not active with a 'Campaign is Requested: Web Service API' trigger",
                 id);
        return;
    }
    const char *cname = fam_get_str(c, "name");
    cJSON_ArrayForEach(l, leads) {
        int64_t lid = 0;
        fam_get_i64(l, "id", &lid);
        if (!emu_lead_by_id(lid))
            continue;
        cJSON *attrs = cJSON_CreateArray();
        cJSON_AddItemToArray(attrs, fam_attr("Source", cJSON_CreateString("Web Service API")));
        emu_activity_add(lid, EMU_ACT_REQUEST_CAMPAIGN, id, cname, id, attrs, NULL);
    }
    emu_store_unlock();
    cJSON *item = cJSON_CreateObject();
    cJSON_AddNumberToObject(item, "id", (double)id);
    fam_answer_record(resp, item);
}

/* ---- POST /rest/v1/campaigns/{campaignId}/schedule.json --------------------- */

/* The day the clone allotment belongs to: Marketo's limits reset at midnight
 * US Central time, so count days in UTC-6. */
static void clone_day(int64_t now, char out[16])
{
    time_t tt = (time_t)(now - 6 * 3600);
    struct tm tm;
    gmtime_r(&tt, &tm);
    strftime(out, 16, "%Y-%m-%d", &tm);
}

static int64_t max_id(const cJSON *arr)
{
    int64_t m = 0, v;
    const cJSON *it;
    cJSON_ArrayForEach(it, arr) {
        if (fam_get_i64(it, "id", &v) && v > m)
            m = v;
    }
    return m;
}

/* Clone the parent program of `c` as `name` and the campaign into it; returns
 * the new campaign (in the store), or NULL after failing the response.
 * Caller holds the write lock. */
static cJSON *clone_into_program(const cJSON *c, const char *name, const char *now_iso,
                                 emu_resp *resp)
{
    cJSON *programs = emu_store_get("programs");
    if (fam_find_str(programs, "name", name, true)) {
        emu_fail(resp, "709", "Business Rule Violation: program '%.100s' already exists", name);
        return NULL;
    }
    int64_t parent_id = 0;
    fam_get_i64(c, "programId", &parent_id);
    const cJSON *parent = fam_find_i64(programs, "id", parent_id);
    cJSON *prog = parent ? cJSON_Duplicate(parent, true) : cJSON_CreateObject();
    int64_t prog_id = max_id(programs) + 1;
    cJSON_DeleteItemFromObjectCaseSensitive(prog, "id");
    cJSON_DeleteItemFromObjectCaseSensitive(prog, "name");
    cJSON_DeleteItemFromObjectCaseSensitive(prog, "createdAt");
    cJSON_DeleteItemFromObjectCaseSensitive(prog, "updatedAt");
    cJSON_DeleteItemFromObjectCaseSensitive(prog, "folder");
    cJSON_AddNumberToObject(prog, "id", (double)prog_id);
    cJSON_AddStringToObject(prog, "name", name);
    /* "The resulting program is created underneath the parent." */
    cJSON *folder = cJSON_AddObjectToObject(prog, "folder");
    cJSON_AddStringToObject(folder, "type", "Program");
    cJSON_AddNumberToObject(folder, "value", (double)parent_id);
    cJSON_AddStringToObject(folder, "folderName", parent ? fam_get_str(parent, "name") : "");
    cJSON_AddStringToObject(prog, "createdAt", now_iso);
    cJSON_AddStringToObject(prog, "updatedAt", now_iso);
    cJSON_AddItemToArray(programs, prog);

    cJSON *campaigns = emu_store_get("campaigns");
    cJSON *copy = cJSON_Duplicate(c, true);
    int64_t cid = max_id(campaigns) + 1;
    cJSON_ReplaceItemInObjectCaseSensitive(copy, "id", cJSON_CreateNumber((double)cid));
    cJSON_DeleteItemFromObjectCaseSensitive(copy, "programId");
    cJSON_DeleteItemFromObjectCaseSensitive(copy, "programName");
    cJSON_DeleteItemFromObjectCaseSensitive(copy, "folder");
    cJSON_DeleteItemFromObjectCaseSensitive(copy, "createdAt");
    cJSON_DeleteItemFromObjectCaseSensitive(copy, "updatedAt");
    cJSON_AddNumberToObject(copy, "programId", (double)prog_id);
    cJSON_AddStringToObject(copy, "programName", name);
    cJSON *cf = cJSON_AddObjectToObject(copy, "folder");
    cJSON_AddNumberToObject(cf, "id", (double)prog_id);
    cJSON_AddStringToObject(cf, "type", "Program");
    cJSON_AddStringToObject(copy, "createdAt", now_iso);
    cJSON_AddStringToObject(copy, "updatedAt", now_iso);
    cJSON_AddItemToArray(campaigns, copy);
    return copy;
}

static void h_campaign_schedule(const emu_req *req, emu_resp *resp)
{
    int64_t id;
    if (!fam_capture_i64(req, resp, &id))
        return;
    const cJSON *input = input_object(req, resp, false);
    if (!input && resp->error_code)
        return;

    int64_t now = (int64_t)time(NULL);
    int64_t run_at = now + DEFAULT_RUN_DELAY_SECONDS;
    const char *clone_name = NULL;
    if (input) {
        const cJSON *ra = cJSON_GetObjectItemCaseSensitive(input, "runAt");
        if (ra && !cJSON_IsNull(ra)) {
            if (!cJSON_IsString(ra) || !fam_parse_time(ra->valuestring, &run_at)) {
                emu_fail(resp, "704", "Invalid date format");
                return;
            }
            if (run_at - now > MAX_RUN_AHEAD_SECONDS) {
                emu_fail(resp, "1042", "Invalid runAt date");
                return;
            }
        }
        const cJSON *cl = cJSON_GetObjectItemCaseSensitive(input, "cloneToProgramName");
        if (cl && !cJSON_IsNull(cl)) {
            if (!cJSON_IsString(cl) || !*cl->valuestring) {
                emu_fail(resp, "1003", "cloneToProgramName must be a non-empty string");
                return;
            }
            clone_name = cl->valuestring;
        }
        if (!tokens_ok(input, resp))
            return;
    }

    char now_iso[32], run_iso[32], day[16];
    emu_now_iso(now_iso);
    emu_format_iso(run_at * 1000, run_iso);
    clone_day(now, day);

    emu_store_wrlock();
    cJSON *c = campaign_by_id(id);
    if (!c) {
        emu_store_unlock();
        emu_fail(resp, "1013", "Object not found");
        return;
    }
    const char *type = fam_get_str(c, "type");
    if (!type || strcmp(type, "batch") != 0) {
        emu_store_unlock();
        emu_fail(resp, "1003", "Invalid data: campaign %" PRId64 " is not a batch campaign", id);
        return;
    }
    int64_t scheduled = id;
    if (clone_name) {
        /* "campaignClones": [{day, count}], one entry per day used. */
        cJSON *clones = emu_store_get("campaignClones");
        cJSON *today = fam_find_str(clones, "day", day, false);
        int64_t count = 0;
        if (today)
            fam_get_i64(today, "count", &count);
        if (count >= MAX_CLONES_PER_DAY) {
            emu_store_unlock();
            emu_fail(resp, "1020", "Too many clones to program");
            return;
        }
        cJSON *copy = clone_into_program(c, clone_name, now_iso, resp);
        if (!copy) {
            emu_store_unlock();
            return;
        }
        fam_get_i64(copy, "id", &scheduled);
        if (!today) {
            today = cJSON_CreateObject();
            cJSON_AddStringToObject(today, "day", day);
            cJSON_AddNumberToObject(today, "count", 0);
            cJSON_AddItemToArray(clones, today);
        }
        cJSON_ReplaceItemInObjectCaseSensitive(today, "count",
                                               cJSON_CreateNumber((double)(count + 1)));
    }
    cJSON *run = cJSON_CreateObject();
    cJSON_AddNumberToObject(run, "campaignId", (double)scheduled);
    cJSON_AddStringToObject(run, "runAt", run_iso);
    cJSON_AddStringToObject(run, "requestedAt", now_iso);
    const cJSON *tokens = input ? cJSON_GetObjectItemCaseSensitive(input, "tokens") : NULL;
    cJSON_AddItemToObject(run, "tokens",
                          cJSON_IsArray(tokens) ? cJSON_Duplicate(tokens, true)
                                                : cJSON_CreateArray());
    cJSON_AddItemToArray(emu_store_get("campaignRuns"), run);
    emu_store_unlock();

    cJSON *item = cJSON_CreateObject();
    cJSON_AddNumberToObject(item, "id", (double)scheduled);
    fam_answer_record(resp, item);
}

/* ---- Asset API ------------------------------------------------------------- */

static void h_smart_campaigns(const emu_req *req, emu_resp *resp)
{
    int max;
    int64_t offset, folder_id;
    fam_updated window;
    bool only_active;
    cJSON *folder;
    if (!fam_asset_paging(req, resp, &max, &offset) ||
        !fam_param_bool(req, resp, "isActive", &only_active))
        return;
    if (!fam_param_updated(req, resp, &window) ||
        !fam_param_folder(req, resp, &folder, &folder_id))
        return;
    cJSON *items = cJSON_CreateArray();
    fam_page pg = fam_page_start(offset, max);
    emu_store_rdlock();
    const cJSON *c;
    cJSON_ArrayForEach(c, emu_store_get("campaigns")) {
        if (only_active && !bool_member(c, "isActive"))
            continue;
        if (folder) {
            int64_t fid;
            if (!fam_get_i64(cJSON_GetObjectItemCaseSensitive(c, "folder"), "id", &fid) ||
                fid != folder_id)
                continue;
        }
        if (!fam_updated_within(&window, c) || fam_page_skip(&pg))
            continue;
        if (!fam_page_add(&pg))
            break;
        cJSON_AddItemToArray(items, smart_campaign_view(c));
    }
    emu_store_unlock();
    cJSON_Delete(folder);
    fam_asset_answer(resp, items);
}

static void h_smart_campaign_by_id(const emu_req *req, emu_resp *resp)
{
    int64_t id;
    if (fam_capture_i64(req, resp, &id))
        fam_asset_record(resp, fam_view_by_id("campaigns", id, smart_campaign_view));
}

static void h_smart_campaign_by_name(const emu_req *req, emu_resp *resp)
{
    const char *name = fam_param_required(req, resp, "name");
    if (!name)
        return;
    fam_asset_record(resp, fam_view_by_name("campaigns", "name", name, smart_campaign_view));
}

const emu_route emu_routes_campaigns[] = {
    {"GET", "/rest/v1/campaigns.json", h_campaigns_get, true},
    {"GET", "/rest/v1/campaigns/{campaignId}.json", h_campaign_by_id, true},
    {"POST", "/rest/v1/campaigns/{campaignId}/trigger.json", h_campaign_trigger, true},
    {"POST", "/rest/v1/campaigns/{campaignId}/schedule.json", h_campaign_schedule, true},
    {"GET", "/rest/asset/v1/smartCampaigns.json", h_smart_campaigns, true},
    {"GET", "/rest/asset/v1/smartCampaign/byName.json", h_smart_campaign_by_name, true},
    {"GET", "/rest/asset/v1/smartCampaign/{id}.json", h_smart_campaign_by_id, true},
    {NULL, NULL, NULL, false},
};
