/*
 * h_assets.c — the Asset API's channels, tag types and programs
 * (rest-api.md §d.8); static lists and smart campaigns of the Asset API live
 * with their families (h_lists.c, h_campaigns.c).
 *
 *   GET /rest/asset/v1/channels.json           maxReturn ≤ 200, offset
 *   GET /rest/asset/v1/channel/byName.json     name (SPEC spells it "Name"; both work)
 *   GET /rest/asset/v1/tagTypes.json           maxReturn, offset (no allowableValues)
 *   GET /rest/asset/v1/tagType/byName.json     + allowableValues, one string "[A, B]"
 *   GET /rest/asset/v1/programs.json           filterType id|programId|folderId|workspace,
 *                                              filterValues, earliest/latestUpdatedAt
 *   GET /rest/asset/v1/program/{id}.json       with tags and costs
 *   GET /rest/asset/v1/program/byName.json     tags/costs when includeTags/includeCosts
 *   GET /rest/asset/v1/program/byTag.json      tagType + tagValue, paged
 *   POST /rest/asset/v1/program/{id}.json      Update Program (form): name, description,
 *                                              costs=[…] appended (replaced with
 *                                              costsDestructiveUpdate=true), tags=[…]
 *                                              set per tag type (allowable values only)
 *
 * Asset API conventions: offset/maxReturn paging (default 20, max 200), and
 * "nothing found" is success with no result and the warning
 * "No assets found for the given search criteria." (fam_asset_empty).
 *
 * Store: "channels" [{id, name, applicableProgramType, progressionStatuses[
 * {name, step, description, hidden, success}], createdAt, updatedAt}],
 * "tagTypes" [{tagType, applicableProgramTypes, required, allowableValues}],
 * "programs" [ProgramResponse records: id, name, description, type, channel,
 * status, folder{type, value, folderName}, workspace, tags[], costs[], …].
 * Records are kept exactly as the by-name/by-id calls return them; list calls
 * drop the members Marketo leaves out of lists.
 */
#include "h_family.h"

#include <inttypes.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

/* A page of a whole collection, each item passed through `view`. */
static void asset_page(const emu_req *req, emu_resp *resp, const char *collection,
                       cJSON *(*view)(const cJSON *))
{
    int max;
    int64_t offset;
    if (!fam_asset_paging(req, resp, &max, &offset))
        return;
    cJSON *items = cJSON_CreateArray();
    fam_page pg = fam_page_start(offset, max);
    emu_store_rdlock();
    const cJSON *r;
    cJSON_ArrayForEach(r, emu_store_get(collection)) {
        if (fam_page_skip(&pg))
            continue;
        if (!fam_page_add(&pg))
            break;
        cJSON_AddItemToArray(items, view(r));
    }
    emu_store_unlock();
    fam_asset_answer(resp, items);
}

/* The name parameter; SPEC spells it "Name" for channels, so both work. */
static const char *name_param(const emu_req *req, emu_resp *resp)
{
    const char *name = emu_param(req, "name");
    if (!name || !*name)
        name = emu_param(req, "Name");
    return name && *name ? name : fam_param_required(req, resp, "name");
}

/* One record of `collection` whose `member` equals the name parameter. */
static void asset_by_name(const emu_req *req, emu_resp *resp, const char *collection,
                          const char *member, cJSON *(*view)(const cJSON *))
{
    const char *name = name_param(req, resp);
    if (name)
        fam_asset_record(resp, fam_view_by_name(collection, member, name, view));
}

static cJSON *copy_view(const cJSON *r) { return cJSON_Duplicate(r, true); }

/* ---- channels ------------------------------------------------------------------- */

static void h_channels(const emu_req *req, emu_resp *resp)
{
    asset_page(req, resp, "channels", copy_view);
}

static void h_channel_by_name(const emu_req *req, emu_resp *resp)
{
    asset_by_name(req, resp, "channels", "name", copy_view);
}

/* ---- tag types --------------------------------------------------------------------- */

/* The list call answers SPEC TagResponseGetAll: no allowableValues. */
static cJSON *tag_type_list_view(const cJSON *r)
{
    cJSON *out = cJSON_Duplicate(r, true);
    cJSON_DeleteItemFromObjectCaseSensitive(out, "allowableValues");
    return out;
}

static void h_tag_types(const emu_req *req, emu_resp *resp)
{
    asset_page(req, resp, "tagTypes", tag_type_list_view);
}

static void h_tag_type_by_name(const emu_req *req, emu_resp *resp)
{
    asset_by_name(req, resp, "tagTypes", "tagType", copy_view);
}

/* ---- programs ---------------------------------------------------------------------- */

/* Browse answers SPEC BrowseAllPrograms: no tags, costs or dates of events. */
static cJSON *program_browse_view(const cJSON *r)
{
    cJSON *out = cJSON_Duplicate(r, true);
    cJSON_DeleteItemFromObjectCaseSensitive(out, "tags");
    cJSON_DeleteItemFromObjectCaseSensitive(out, "costs");
    cJSON_DeleteItemFromObjectCaseSensitive(out, "startDate");
    cJSON_DeleteItemFromObjectCaseSensitive(out, "endDate");
    return out;
}

static cJSON *program_full_view(const cJSON *r)
{
    cJSON *out = cJSON_Duplicate(r, true);
    if (!cJSON_GetObjectItemCaseSensitive(out, "tags"))
        cJSON_AddArrayToObject(out, "tags");
    if (!cJSON_GetObjectItemCaseSensitive(out, "costs"))
        cJSON_AddArrayToObject(out, "costs");
    return out;
}

static bool program_passes(const cJSON *r, const char *ft, const cJSON *values)
{
    if (!ft)
        return true;
    if (!strcasecmp(ft, "id") || !strcasecmp(ft, "programId") || !strcasecmp(ft, "folderId")) {
        int64_t have;
        bool ok = !strcasecmp(ft, "folderId")
                      ? fam_get_i64(cJSON_GetObjectItemCaseSensitive(r, "folder"), "value", &have)
                      : fam_get_i64(r, "id", &have);
        if (!ok)
            return false;
        const cJSON *v;
        cJSON_ArrayForEach(v, values) {
            int64_t want;
            if (fam_parse_i64(v->valuestring, &want) && want == have)
                return true;
        }
        return false;
    }
    /* workspace */
    return fam_list_has(values, fam_get_str(r, "workspace"), true);
}

static void h_programs(const emu_req *req, emu_resp *resp)
{
    int max;
    int64_t offset;
    fam_updated window;
    if (!fam_asset_paging(req, resp, &max, &offset))
        return;
    const char *ft = emu_param(req, "filterType");
    if (ft && !*ft)
        ft = NULL;
    if (ft && strcasecmp(ft, "id") && strcasecmp(ft, "programId") &&
        strcasecmp(ft, "folderId") && strcasecmp(ft, "workspace")) {
        emu_fail(resp, "1003", "Invalid filterType '%.32s': use id, programId, folderId or "
                               "workspace", ft);
        return;
    }
    const char *fv = emu_param_list(req, "filterValues");
    if (ft && (!fv || !*fv)) {
        emu_fail(resp, "701", "filterValues cannot be blank");
        return;
    }
    if (!fam_param_updated(req, resp, &window))
        return;
    cJSON *values = fam_split(fv);
    cJSON *items = cJSON_CreateArray();
    fam_page pg = fam_page_start(offset, max);
    emu_store_rdlock();
    const cJSON *r;
    cJSON_ArrayForEach(r, emu_store_get("programs")) {
        if (!program_passes(r, ft, values) ||
            !fam_updated_within(&window, r) || fam_page_skip(&pg))
            continue;
        if (!fam_page_add(&pg))
            break;
        cJSON_AddItemToArray(items, program_browse_view(r));
    }
    emu_store_unlock();
    cJSON_Delete(values);
    fam_asset_answer(resp, items);
}

static void h_program_by_id(const emu_req *req, emu_resp *resp)
{
    int64_t id;
    if (fam_capture_i64(req, resp, &id))
        fam_asset_record(resp, fam_view_by_id("programs", id, program_full_view));
}

static void h_program_by_name(const emu_req *req, emu_resp *resp)
{
    const char *name = name_param(req, resp);
    bool tags, costs;
    if (!name || !fam_param_bool(req, resp, "includeTags", &tags) ||
        !fam_param_bool(req, resp, "includeCosts", &costs))
        return;
    cJSON *v = fam_view_by_name("programs", "name", name, program_full_view);
    /* Tags and costs are only populated on request (SPEC). */
    if (v && !tags)
        cJSON_DeleteItemFromObjectCaseSensitive(v, "tags");
    if (v && !costs)
        cJSON_DeleteItemFromObjectCaseSensitive(v, "costs");
    fam_asset_record(resp, v);
}

static void h_program_by_tag(const emu_req *req, emu_resp *resp)
{
    int max;
    int64_t offset;
    if (!fam_asset_paging(req, resp, &max, &offset))
        return;
    const char *type = fam_param_required(req, resp, "tagType");
    const char *value = type ? fam_param_required(req, resp, "tagValue") : NULL;
    if (!value)
        return;
    cJSON *items = cJSON_CreateArray();
    fam_page pg = fam_page_start(offset, max);
    emu_store_rdlock();
    const cJSON *r;
    cJSON_ArrayForEach(r, emu_store_get("programs")) {
        bool hit = false;
        const cJSON *t;
        cJSON_ArrayForEach(t, cJSON_GetObjectItemCaseSensitive(r, "tags")) {
            const char *tt = fam_get_str(t, "tagType"), *tv = fam_get_str(t, "tagValue");
            if (tt && tv && !strcasecmp(tt, type) && !strcasecmp(tv, value))
                hit = true;
        }
        if (!hit || fam_page_skip(&pg))
            continue;
        if (!fam_page_add(&pg))
            break;
        cJSON_AddItemToArray(items, program_full_view(r));
    }
    emu_store_unlock();
    fam_asset_answer(resp, items);
}

/* ---- Update Program ------------------------------------------------------------------ */

/* A form member holding a JSON array (costs=[…], tags=[…]); NULL when absent.
 * *bad is set when it is present but not a JSON array. */
static cJSON *form_array(const emu_req *req, const char *name, bool *bad)
{
    const char *v = emu_param(req, name);
    *bad = false;
    if (!v || !*v)
        return NULL;
    cJSON *a = cJSON_Parse(v);
    if (!cJSON_IsArray(a)) {
        cJSON_Delete(a);
        *bad = true;
        return NULL;
    }
    return a;
}

/* Is `value` one of the tag type's allowable values ("[A, B, C]")? */
static bool tag_value_allowed(const cJSON *tag_type, const char *value)
{
    const char *allowed = fam_get_str(tag_type, "allowableValues");
    if (!allowed)
        return true;
    char buf[1024];
    snprintf(buf, sizeof buf, "%s", allowed);
    char *p = buf;
    if (*p == '[')
        p++;
    char *end = strrchr(p, ']');
    if (end)
        *end = '\0';
    char *save = NULL;
    for (char *tok = strtok_r(p, ",", &save); tok; tok = strtok_r(NULL, ",", &save)) {
        while (*tok == ' ')
            tok++;
        size_t n = strlen(tok);
        while (n && tok[n - 1] == ' ')
            tok[--n] = '\0';
        if (strcasecmp(tok, value) == 0)
            return true;
    }
    return false;
}

/* Validate costs[] into a new array of {startDate, cost, note?}; NULL after failing. */
static cJSON *checked_costs(const cJSON *costs, emu_resp *resp)
{
    cJSON *out = cJSON_CreateArray();
    const cJSON *c;
    cJSON_ArrayForEach(c, costs) {
        const char *start = fam_get_str(c, "startDate");
        const cJSON *amount = cJSON_GetObjectItemCaseSensitive(c, "cost");
        int64_t ep, cost;
        if (!start || !fam_parse_time(start, &ep)) {
            emu_fail(resp, "1003", "Invalid cost: startDate must be a date");
            cJSON_Delete(out);
            return NULL;
        }
        if (!amount || !fam_value_i64(amount, &cost)) {
            emu_fail(resp, "1003", "Invalid cost: cost must be an integer");
            cJSON_Delete(out);
            return NULL;
        }
        cJSON *o = cJSON_CreateObject();
        cJSON_AddStringToObject(o, "startDate", start);
        cJSON_AddNumberToObject(o, "cost", (double)cost);
        const char *note = fam_get_str(c, "note");
        if (note)
            cJSON_AddStringToObject(o, "note", note);
        cJSON_AddItemToArray(out, o);
    }
    return out;
}

static void h_program_update(const emu_req *req, emu_resp *resp)
{
    int64_t id;
    bool replace;
    if (!fam_capture_i64(req, resp, &id) ||
        !fam_param_bool(req, resp, "costsDestructiveUpdate", &replace))
        return;
    bool bad_costs, bad_tags;
    cJSON *costs = form_array(req, "costs", &bad_costs);
    cJSON *tags = form_array(req, "tags", &bad_tags);
    cJSON *checked = NULL;
    if (bad_costs || bad_tags) {
        emu_fail(resp, "1003", "Invalid %s: must be a JSON array", bad_costs ? "costs" : "tags");
        goto out;
    }
    if (costs && !(checked = checked_costs(costs, resp)))
        goto out;
    emu_store_wrlock();
    cJSON *prog = fam_find_i64(emu_store_get("programs"), "id", id);
    if (!prog) {
        emu_store_unlock();
        emu_fail(resp, "702", "Program %" PRId64 " not found", id);
        goto out;
    }
    /* Tags are all checked before anything changes. */
    const cJSON *t;
    cJSON_ArrayForEach(t, tags) {
        const char *tt = fam_get_str(t, "tagType"), *tv = fam_get_str(t, "tagValue");
        const cJSON *type = tt ? fam_find_str(emu_store_get("tagTypes"), "tagType", tt, true) : NULL;
        if (!type || !tv || !tag_value_allowed(type, tv)) {
            emu_store_unlock();
            emu_fail(resp, "709", "Invalid tag: %.64s = %.64s", tt ? tt : "?", tv ? tv : "?");
            goto out;
        }
    }
    const char *name = emu_param(req, "name"), *desc = emu_param(req, "description");
    if (name && *name) {
        cJSON_DeleteItemFromObjectCaseSensitive(prog, "name");
        cJSON_AddStringToObject(prog, "name", name);
    }
    if (desc) {
        cJSON_DeleteItemFromObjectCaseSensitive(prog, "description");
        cJSON_AddStringToObject(prog, "description", desc);
    }
    if (!cJSON_GetObjectItemCaseSensitive(prog, "costs"))
        cJSON_AddArrayToObject(prog, "costs");
    cJSON *have = cJSON_GetObjectItemCaseSensitive(prog, "costs");
    if (replace) {
        cJSON_DeleteItemFromObjectCaseSensitive(prog, "costs");
        have = cJSON_AddArrayToObject(prog, "costs");
    }
    const cJSON *c;
    cJSON_ArrayForEach(c, checked)
        cJSON_AddItemToArray(have, cJSON_Duplicate(c, true));
    if (!cJSON_GetObjectItemCaseSensitive(prog, "tags"))
        cJSON_AddArrayToObject(prog, "tags");
    cJSON *ptags = cJSON_GetObjectItemCaseSensitive(prog, "tags");
    cJSON_ArrayForEach(t, tags) {
        const char *tt = fam_get_str(t, "tagType"), *tv = fam_get_str(t, "tagValue");
        cJSON *cur = fam_find_str(ptags, "tagType", tt, true);
        if (!cur) {
            cur = cJSON_CreateObject();
            cJSON_AddStringToObject(cur, "tagType", tt);
            cJSON_AddItemToArray(ptags, cur);
        }
        cJSON_DeleteItemFromObjectCaseSensitive(cur, "tagValue");
        cJSON_AddStringToObject(cur, "tagValue", tv);
    }
    /* Asset timestamps carry Marketo's "Z+0000" form. */
    char now[32], stamp[40];
    emu_now_iso(now);
    snprintf(stamp, sizeof stamp, "%.19sZ+0000", now);
    cJSON_DeleteItemFromObjectCaseSensitive(prog, "updatedAt");
    cJSON_AddStringToObject(prog, "updatedAt", stamp);
    cJSON *view = program_full_view(prog);
    emu_store_unlock();
    fam_answer_record(resp, view);
out:
    cJSON_Delete(costs);
    cJSON_Delete(tags);
    cJSON_Delete(checked);
}

const emu_route emu_routes_assets[] = {
    {"GET", "/rest/asset/v1/channels.json", h_channels, true},
    {"GET", "/rest/asset/v1/channel/byName.json", h_channel_by_name, true},
    {"GET", "/rest/asset/v1/tagTypes.json", h_tag_types, true},
    {"GET", "/rest/asset/v1/tagType/byName.json", h_tag_type_by_name, true},
    {"GET", "/rest/asset/v1/programs.json", h_programs, true},
    {"GET", "/rest/asset/v1/program/byName.json", h_program_by_name, true},
    {"GET", "/rest/asset/v1/program/byTag.json", h_program_by_tag, true},
    {"GET", "/rest/asset/v1/program/{id}.json", h_program_by_id, true},
    {"POST", "/rest/asset/v1/program/{id}.json", h_program_update, true},
    {NULL, NULL, NULL, false},
};
