/*
 * h_objects.c — opportunities and opportunity roles (rest-api.md §d.5), and
 * the lead-database object engine they share with custom objects
 * (h_objects.h).
 *
 *   GET  /rest/v1/opportunities/describe.json         describe
 *   GET  /rest/v1/opportunities.json                  query (also POST ?_method=GET)
 *   POST /rest/v1/opportunities.json                  sync
 *   POST /rest/v1/opportunities/delete.json           delete (roles of it go too)
 *   GET  /rest/v1/opportunities/roles/describe.json   …and the same four for roles,
 *   GET|POST /rest/v1/opportunities/roles.json        whose dedupe key is compound
 *   POST /rest/v1/opportunities/roles/delete.json     (externalOpportunityId, leadId, role)
 *
 * Store: "opportunities" and "opportunityRoles", arrays of records under REST
 * field names with marketoGUID, createdAt, updatedAt.  The two describe
 * records are fixed by Marketo (standard objects), so they live here as JSON
 * text and are parsed per call: cheap, and no process-wide state.
 *
 * Creating a role logs Add to Opportunity (34) for its lead and deleting one
 * Remove from Opportunity (35), which is what a lead's activity log shows in
 * Marketo when it gains or loses an opportunity.
 */
#include "h_objects.h"
#include "h_family.h"

#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

/* ======================================================================== */
/* The engine                                                                */
/* ======================================================================== */

static const cJSON *meta_field(const cJSON *meta, const char *name)
{
    const cJSON *f;
    cJSON_ArrayForEach(f, cJSON_GetObjectItemCaseSensitive(meta, "fields")) {
        const char *n = fam_get_str(f, "name");
        if (n && strcasecmp(n, name) == 0)
            return f;
    }
    return NULL;
}

static const char *id_field(const cJSON *meta)
{
    const char *s = fam_get_str(meta, "idField");
    return s ? s : "marketoGUID";
}

static const cJSON *dedupe_fields(const cJSON *meta)
{
    return cJSON_GetObjectItemCaseSensitive(meta, "dedupeFields");
}

/* Compare a record member with a wanted value by text, case-insensitively
 * (Marketo string keys are case-insensitive; numbers compare as integers),
 * whole however long. */
static bool value_equals(const cJSON *have, const cJSON *want)
{
    char a[FAM_SCALAR_BUF], b[FAM_SCALAR_BUF];
    const char *x = fam_scalar_str(have, a), *y = fam_scalar_str(want, b);
    return x && y && strcasecmp(x, y) == 0;
}

/* Is there a record in `arr` whose `field` equals `v`? */
static bool any_equal(const cJSON *arr, const char *field, const cJSON *v)
{
    const cJSON *r;
    cJSON_ArrayForEach(r, arr) {
        if (value_equals(cJSON_GetObjectItem(r, field), v))
            return true;
    }
    return false;
}

/* Does `rec` carry, for every field of `keys`, the value `vals` has for it? */
static bool record_matches(const cJSON *rec, const cJSON *keys, const cJSON *vals)
{
    const cJSON *k;
    int n = 0;
    cJSON_ArrayForEach(k, keys) {
        const cJSON *want = cJSON_GetObjectItem(vals, k->valuestring);
        if (!value_equals(cJSON_GetObjectItem(rec, k->valuestring), want))
            return false;
        n++;
    }
    return n > 0;
}

static cJSON *find_record(cJSON *records, const cJSON *keys, const cJSON *vals)
{
    cJSON *r;
    cJSON_ArrayForEach(r, records) {
        if (record_matches(r, keys, vals))
            return r;
    }
    return NULL;
}

void fam_obj_describe(const cJSON *meta, bool with_state, emu_resp *resp)
{
    cJSON *out = cJSON_Duplicate(meta, true);
    /* "required" drives sync validation here; Marketo's describe has no such member. */
    cJSON *f;
    cJSON_ArrayForEach(f, cJSON_GetObjectItemCaseSensitive(out, "fields"))
        cJSON_DeleteItemFromObjectCaseSensitive(f, "required");
    if (with_state) {
        if (!cJSON_GetObjectItemCaseSensitive(out, "state"))
            cJSON_AddStringToObject(out, "state", "approved");
        if (!cJSON_GetObjectItemCaseSensitive(out, "version"))
            cJSON_AddStringToObject(out, "version", "approved");
    }
    resp->result = cJSON_CreateArray();
    cJSON_AddItemToArray(resp->result, out);
}

/* The key fields a filterType names: the aliases "dedupeFields" and
 * "idField", or one searchable field.  NULL (response failed) otherwise. */
static cJSON *filter_keys(const cJSON *meta, const char *filter_type, emu_resp *resp)
{
    if (strcasecmp(filter_type, "dedupeFields") == 0)
        return cJSON_Duplicate(dedupe_fields(meta), true);
    if (strcasecmp(filter_type, "idField") == 0 || strcasecmp(filter_type, "idFields") == 0) {
        cJSON *k = cJSON_CreateArray();
        cJSON_AddItemToArray(k, cJSON_CreateString(id_field(meta)));
        return k;
    }
    const cJSON *entry;
    cJSON_ArrayForEach(entry, cJSON_GetObjectItemCaseSensitive(meta, "searchableFields")) {
        if (cJSON_GetArraySize(entry) != 1)
            continue;
        const cJSON *f = cJSON_GetArrayItem(entry, 0);
        if (cJSON_IsString(f) && strcasecmp(f->valuestring, filter_type) == 0) {
            cJSON *k = cJSON_CreateArray();
            cJSON_AddItemToArray(k, cJSON_CreateString(f->valuestring));
            return k;
        }
    }
    /* The code leads.json answers for a field that cannot be searched on. */
    emu_fail(resp, "1011", "Field '%.64s' not supported", filter_type);
    return NULL;
}

/* The fields to return: `fields` (query or body), all known to the type
 * (1006 otherwise); by default idField, dedupeFields, the filter's fields,
 * updatedAt and createdAt. */
static cJSON *query_fields(const cJSON *meta, const emu_req *req, const cJSON *body,
                           const cJSON *keys, emu_resp *resp)
{
    cJSON *fields = NULL;
    const char *q = emu_param_list(req, "fields");
    const cJSON *bf = body ? cJSON_GetObjectItemCaseSensitive(body, "fields") : NULL;
    if (q) {
        fields = fam_split(q);
    } else if (cJSON_IsArray(bf) && cJSON_GetArraySize(bf) > 0) {
        fields = cJSON_Duplicate(bf, true);
    }
    if (fields) {
        cJSON *f;
        cJSON_ArrayForEach(f, fields) {
            const cJSON *mf = cJSON_IsString(f) ? meta_field(meta, f->valuestring) : NULL;
            if (!mf) {
                emu_fail(resp, "1006", "Field '%.64s' not found",
                         cJSON_IsString(f) ? f->valuestring : "?");
                cJSON_Delete(fields);
                return NULL;
            }
            /* Answer under the type's own spelling ("marketoGuid" → "marketoGUID"). */
            cJSON_SetValuestring(f, fam_get_str(mf, "name"));
        }
        return fields;
    }
    fields = cJSON_CreateArray();
    cJSON_AddItemToArray(fields, cJSON_CreateString(id_field(meta)));
    const cJSON *k;
    cJSON_ArrayForEach(k, dedupe_fields(meta)) {
        if (!fam_list_has(fields, k->valuestring, true))
            cJSON_AddItemToArray(fields, cJSON_CreateString(k->valuestring));
    }
    cJSON_ArrayForEach(k, keys) {
        if (!fam_list_has(fields, k->valuestring, true))
            cJSON_AddItemToArray(fields, cJSON_CreateString(k->valuestring));
    }
    cJSON_AddItemToArray(fields, cJSON_CreateString("updatedAt"));
    cJSON_AddItemToArray(fields, cJSON_CreateString("createdAt"));
    return fields;
}

void fam_obj_query(const fam_objtype *t, const emu_req *req, emu_resp *resp)
{
    const cJSON *body = cJSON_IsObject(req->json) ? req->json : NULL;
    if (!body && req->body && req->body_len && strcmp(req->method, "GET") == 0 &&
        req->content_type && strncasecmp(req->content_type, "application/json", 16) == 0) {
        emu_fail(resp, "609", "Invalid JSON");
        return;
    }
    int batch;
    int64_t offset;
    if (!fam_batch_size(req, body, resp, &batch) ||
        !fam_page_offset(req, body, resp, &offset))
        return;

    const char *ft = emu_param(req, "filterType");
    if (!ft)
        ft = fam_get_str(body, "filterType");
    const cJSON *input = body ? cJSON_GetObjectItemCaseSensitive(body, "input") : NULL;
    if (!ft && input)
        ft = "dedupeFields"; /* SPEC: the JSON form defaults to dedupeFields */
    if (!ft || !*ft) {
        emu_fail(resp, "701", "filterType cannot be blank");
        return;
    }
    cJSON *keys = filter_keys(t->meta, ft, resp);
    if (!keys)
        return;

    /* The values to look for, as objects {keyField: value} in input order. */
    cJSON *wanted = cJSON_CreateArray();
    cJSON *fields = NULL;
    const char *fv = emu_param_list(req, "filterValues");
    if (input) {
        if (!cJSON_IsArray(input)) {
            emu_fail(resp, "1003", "input must be an array");
            goto out;
        }
        const cJSON *in;
        int i = 0;
        cJSON_ArrayForEach(in, input) {
            const cJSON *k;
            cJSON_ArrayForEach(k, keys) {
                const cJSON *v = cJSON_GetObjectItem(in, k->valuestring);
                if (!v || cJSON_IsNull(v) || cJSON_IsObject(v) || cJSON_IsArray(v)) {
                    emu_fail(resp, "1003", "input[%d] needs a value for '%.64s'", i,
                             k->valuestring);
                    goto out;
                }
            }
            cJSON_AddItemToArray(wanted, cJSON_Duplicate(in, true));
            i++;
        }
    } else if (fv) {
        if (cJSON_GetArraySize(keys) != 1) {
            emu_fail(resp, "1003",
                     "filterType '%.64s' is a compound key: POST ?_method=GET with a JSON "
                     "input",
                     ft);
            goto out;
        }
        cJSON *vals = fam_split(fv);
        const cJSON *v;
        cJSON_ArrayForEach(v, vals) {
            cJSON *o = cJSON_CreateObject();
            cJSON_AddStringToObject(o, cJSON_GetArrayItem(keys, 0)->valuestring, v->valuestring);
            cJSON_AddItemToArray(wanted, o);
        }
        cJSON_Delete(vals);
    }
    int nwanted = cJSON_GetArraySize(wanted);
    if (nwanted == 0) {
        emu_fail(resp, "701", "filterValues cannot be blank");
        goto out;
    }
    if (nwanted > FAM_MAX_BATCH) {
        emu_fail(resp, "1003", "Number of filterValues '%d' exceeds max allowed '%d'", nwanted,
                 FAM_MAX_BATCH);
        goto out;
    }
    fields = query_fields(t->meta, req, body, keys, resp);
    if (!fields)
        goto out;

    resp->result = cJSON_CreateArray();
    fam_page pg = fam_page_start(offset, batch);
    int seq = 0;
    const cJSON *w;
    cJSON_ArrayForEach(w, wanted) {
        const cJSON *r;
        cJSON_ArrayForEach(r, t->records) {
            if (!record_matches(r, keys, w) || fam_page_skip(&pg))
                continue;
            if (!fam_page_add(&pg))
                break;
            cJSON *item = cJSON_CreateObject();
            cJSON_AddNumberToObject(item, "seq", seq);
            fam_project_into(item, r, fields, NULL);
            cJSON_AddItemToArray(resp->result, item);
        }
        if (pg.more)
            break;
        seq++;
    }
    fam_set_page(resp, pg.pos, pg.more, true);
out:
    cJSON_Delete(keys);
    cJSON_Delete(wanted);
    cJSON_Delete(fields);
}

/* ---- sync --------------------------------------------------------------------- */

/* Coerce `v` to the field's dataType; NULL when it does not fit.  Empty
 * strings and null become null ("Null/empty string values are written as
 * null", DOCS). */
static cJSON *coerce(const cJSON *field, const cJSON *v)
{
    const char *type = fam_get_str(field, "dataType");
    if (!type)
        type = "string";
    if (cJSON_IsNull(v) || (cJSON_IsString(v) && !*v->valuestring))
        return cJSON_CreateNull();
    if (cJSON_IsObject(v) || cJSON_IsArray(v))
        return NULL;
    if (!strcmp(type, "integer") || !strcmp(type, "link") || !strcmp(type, "reference")) {
        int64_t i;
        if (fam_value_i64(v, &i))
            return cJSON_CreateNumber((double)i);
        if (strcmp(type, "integer") != 0 && cJSON_IsString(v))
            return cJSON_Duplicate(v, true); /* a link by a string key */
        return NULL;
    }
    if (!strcmp(type, "float") || !strcmp(type, "currency") || !strcmp(type, "percent")) {
        if (cJSON_IsNumber(v))
            return cJSON_CreateNumber(v->valuedouble);
        if (cJSON_IsString(v)) {
            char *end;
            double d = strtod(v->valuestring, &end);
            if (*end || !isfinite(d))
                return NULL;
            return cJSON_CreateNumber(d);
        }
        return NULL;
    }
    if (!strcmp(type, "boolean")) {
        if (cJSON_IsBool(v))
            return cJSON_CreateBool(cJSON_IsTrue(v));
        if (cJSON_IsString(v) && (!strcasecmp(v->valuestring, "true") ||
                                  !strcasecmp(v->valuestring, "false")))
            return cJSON_CreateBool(!strcasecmp(v->valuestring, "true"));
        return NULL;
    }
    if (!strcmp(type, "date") || !strcmp(type, "datetime")) {
        int64_t ep;
        if (cJSON_IsString(v) && fam_parse_time(v->valuestring, &ep))
            return cJSON_CreateString(v->valuestring);
        return NULL;
    }
    /* string, text, email, phone, url…: any scalar, kept as text. */
    char buf[FAM_SCALAR_BUF];
    const char *text = fam_scalar_str(v, buf);
    return text ? cJSON_CreateString(text) : NULL;
}

/* Every relationship to a lead or an opportunity must point at an existing
 * record.  Returns NULL when fine, else the reason code (message in msg). */
static const char *check_links(const cJSON *meta, const cJSON *rec, char *msg, size_t n)
{
    const cJSON *rel;
    cJSON_ArrayForEach(rel, cJSON_GetObjectItemCaseSensitive(meta, "relationships")) {
        const char *field = fam_get_str(rel, "field");
        const cJSON *to = cJSON_GetObjectItemCaseSensitive(rel, "relatedTo");
        const char *to_name = fam_get_str(to, "name");
        const char *to_field = fam_get_str(to, "field");
        const cJSON *v = field ? cJSON_GetObjectItem(rec, field) : NULL;
        if (!to_name || !to_field || !v || cJSON_IsNull(v))
            continue;
        if (strcasecmp(to_name, "lead") == 0) {
            int64_t id;
            bool found = strcasecmp(to_field, "id") == 0
                             ? fam_value_i64(v, &id) && emu_lead_by_id(id)
                             : any_equal(emu_store_get("leads"), to_field, v);
            if (!found) {
                snprintf(msg, n, "Lead not found");
                return "1004";
            }
        } else if (strcasecmp(to_name, "opportunity") == 0 &&
                   !any_equal(emu_store_get("opportunities"), to_field, v)) {
            snprintf(msg, n, "Object not found");
            return "1013";
        }
    }
    return NULL;
}

static bool is_system_field(const char *name)
{
    return !strcasecmp(name, "marketoGUID") || !strcasecmp(name, "createdAt") ||
           !strcasecmp(name, "updatedAt") || !strcasecmp(name, "seq");
}

static void ok_item(cJSON *result, int seq, const char *status, const cJSON *rec,
                    const char *idf)
{
    cJSON *item = fam_status(result, "seq", seq, status);
    const cJSON *g = cJSON_GetObjectItem(rec, idf);
    cJSON_AddItemToObject(item, idf, g ? cJSON_Duplicate(g, true) : cJSON_CreateNull());
}

/* Common checks of a sync/delete body: JSON object with input[1..300]. */
static const cJSON *write_input(const emu_req *req, emu_resp *resp, const cJSON **body)
{
    *body = fam_json_body(req, resp);
    if (!*body)
        return NULL;
    if (!cJSON_IsObject(*body)) {
        emu_fail(resp, "609", "Invalid JSON: expected an object");
        return NULL;
    }
    const cJSON *input = cJSON_GetObjectItemCaseSensitive(*body, "input");
    if (!input || cJSON_IsNull(input) ||
        (cJSON_IsArray(input) && cJSON_GetArraySize(input) == 0)) {
        emu_fail(resp, "701", "input cannot be blank");
        return NULL;
    }
    if (!cJSON_IsArray(input)) {
        emu_fail(resp, "1003", "input must be an array");
        return NULL;
    }
    return fam_batch_within(resp, cJSON_GetArraySize(input)) ? input : NULL;
}

/* The key fields of dedupeBy/deleteBy ("dedupeFields" default, "idField"). */
static cJSON *by_keys(const cJSON *meta, const cJSON *body, const char *member,
                      bool *by_id, emu_resp *resp)
{
    const char *by = fam_get_str(body, member);
    const cJSON *raw = cJSON_GetObjectItemCaseSensitive(body, member);
    if (raw && !cJSON_IsNull(raw) && !by) {
        emu_fail(resp, "1003", "Invalid %s", member);
        return NULL;
    }
    *by_id = false;
    if (!by || !strcmp(by, "dedupeFields"))
        return cJSON_Duplicate(dedupe_fields(meta), true);
    if (!strcmp(by, "idField")) {
        *by_id = true;
        cJSON *k = cJSON_CreateArray();
        cJSON_AddItemToArray(k, cJSON_CreateString(id_field(meta)));
        return k;
    }
    emu_fail(resp, "1003", "Invalid %s '%.32s': use dedupeFields or idField", member, by);
    return NULL;
}

/* Does `in` (an input record) give every key field a value?  Fills the
 * missing field's name. */
static bool has_keys(const cJSON *in, const cJSON *keys, const char **missing)
{
    const cJSON *k;
    cJSON_ArrayForEach(k, keys) {
        const cJSON *v = cJSON_GetObjectItem(in, k->valuestring);
        if (!v || cJSON_IsNull(v) || (cJSON_IsString(v) && !*v->valuestring) ||
            cJSON_IsObject(v) || cJSON_IsArray(v)) {
            *missing = k->valuestring;
            return false;
        }
    }
    return true;
}

/* Is input record `in` an object giving every key field a value?  Otherwise
 * its skip (1003, 1002) is appended to `result` as record `seq`. */
static bool input_keyed(cJSON *result, int seq, const cJSON *in, const cJSON *keys)
{
    const char *missing = NULL;
    if (!cJSON_IsObject(in)) {
        fam_skip(result, "seq", seq, "1003", "Invalid data");
        return false;
    }
    if (!has_keys(in, keys, &missing)) {
        char msg[160];
        snprintf(msg, sizeof msg, "Missing value for the required parameter '%.64s'", missing);
        fam_skip(result, "seq", seq, "1002", msg);
        return false;
    }
    return true;
}

/* Was an earlier input record (before index `upto`) keyed the same? */
static bool duplicate_in_input(const cJSON *input, int upto, const cJSON *keys,
                               const cJSON *in)
{
    int i = 0;
    const cJSON *prev;
    cJSON_ArrayForEach(prev, input) {
        if (i++ >= upto)
            break;
        if (cJSON_IsObject(prev) && record_matches(prev, keys, in))
            return true;
    }
    return false;
}

void fam_obj_sync(const fam_objtype *t, const emu_req *req, emu_resp *resp)
{
    const cJSON *body;
    const cJSON *input = write_input(req, resp, &body);
    if (!input)
        return;
    const char *action = fam_get_str(body, "action");
    const cJSON *raw_action = cJSON_GetObjectItemCaseSensitive(body, "action");
    if ((raw_action && !cJSON_IsNull(raw_action) && !action) ||
        (action && strcmp(action, "createOnly") && strcmp(action, "updateOnly") &&
         strcmp(action, "createOrUpdate"))) {
        emu_fail(resp, "1003", "Invalid action: use createOnly, updateOnly or createOrUpdate");
        return;
    }
    if (!action)
        action = "createOrUpdate";
    bool by_id;
    cJSON *keys = by_keys(t->meta, body, "dedupeBy", &by_id, resp);
    if (!keys)
        return;
    if (by_id && !strcmp(action, "createOnly")) {
        cJSON_Delete(keys);
        emu_fail(resp, "1003", "Invalid data: dedupeBy idField cannot be used with createOnly");
        return;
    }
    const char *idf = id_field(t->meta);
    char now[32];
    emu_now_iso(now);

    resp->result = cJSON_CreateArray();
    int seq = 0;
    const cJSON *in;
    cJSON_ArrayForEach(in, input) {
        char msg[160];
        if (!input_keyed(resp->result, seq, in, keys)) {
            seq++;
            continue;
        }
        /* Validate and coerce every member before touching the store. */
        cJSON *vals = cJSON_CreateObject();
        const cJSON *m;
        const char *code = NULL;
        cJSON_ArrayForEach(m, in) {
            const cJSON *mf = meta_field(t->meta, m->string);
            if (!mf) {
                code = "1006";
                snprintf(msg, sizeof msg, "Field '%.64s' not found", m->string);
                break;
            }
            const char *name = fam_get_str(mf, "name");
            if (is_system_field(name))
                continue; /* read-only; the key, if any, is matched below */
            cJSON *c = coerce(mf, m);
            if (!c) {
                code = "1001";
                snprintf(msg, sizeof msg, "Invalid value for '%.64s'. Required of type '%.16s'",
                         name, fam_get_str(mf, "dataType") ? fam_get_str(mf, "dataType") : "string");
                break;
            }
            cJSON_DeleteItemFromObjectCaseSensitive(vals, name);
            cJSON_AddItemToObject(vals, name, c);
        }
        if (!code && duplicate_in_input(input, seq, keys, in)) {
            code = "1036";
            snprintf(msg, sizeof msg, "Duplicate object found in input");
        }
        cJSON *rec = code ? NULL : find_record(t->records, keys, in);
        if (!code && rec && !strcmp(action, "createOnly")) {
            code = "1017";
            snprintf(msg, sizeof msg, "Object already exists");
        }
        if (!code && !rec && (by_id || !strcmp(action, "updateOnly"))) {
            code = "1013";
            snprintf(msg, sizeof msg, "Object not found");
        }
        if (!code && !rec) {
            /* A new record: every required field of the type must be set. */
            const cJSON *f;
            cJSON_ArrayForEach(f, cJSON_GetObjectItemCaseSensitive(t->meta, "fields")) {
                const char *fname = fam_get_str(f, "name");
                const cJSON *v = fname ? cJSON_GetObjectItem(vals, fname) : NULL;
                if (cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(f, "required")) &&
                    (!v || cJSON_IsNull(v))) {
                    code = "1002";
                    snprintf(msg, sizeof msg,
                             "Missing value for the required parameter '%.64s'", fname);
                    break;
                }
            }
        }
        if (!code) {
            /* Links are checked on the record as it would be after the write. */
            cJSON *after = rec ? cJSON_Duplicate(rec, true) : cJSON_CreateObject();
            cJSON_ArrayForEach(m, vals) {
                cJSON_DeleteItemFromObjectCaseSensitive(after, m->string);
                cJSON_AddItemToObject(after, m->string, cJSON_Duplicate(m, true));
            }
            code = check_links(t->meta, after, msg, sizeof msg);
            cJSON_Delete(after);
        }
        if (code) {
            fam_skip(resp->result, "seq", seq++, code, msg);
            cJSON_Delete(vals);
            continue;
        }
        if (rec) {
            cJSON_ArrayForEach(m, vals) {
                if (cJSON_GetObjectItemCaseSensitive(rec, m->string))
                    cJSON_ReplaceItemInObjectCaseSensitive(rec, m->string,
                                                           cJSON_Duplicate(m, true));
                else
                    cJSON_AddItemToObject(rec, m->string, cJSON_Duplicate(m, true));
            }
            cJSON_ReplaceItemInObjectCaseSensitive(rec, "updatedAt", cJSON_CreateString(now));
            ok_item(resp->result, seq++, "updated", rec, idf);
        } else {
            char guid[37];
            fam_new_guid(guid);
            rec = cJSON_CreateObject();
            cJSON_AddStringToObject(rec, idf, guid);
            cJSON_ArrayForEach(m, vals)
                cJSON_AddItemToObject(rec, m->string, cJSON_Duplicate(m, true));
            cJSON_AddStringToObject(rec, "createdAt", now);
            cJSON_AddStringToObject(rec, "updatedAt", now);
            cJSON_AddItemToArray(t->records, rec);
            if (t->on_create)
                t->on_create(rec);
            ok_item(resp->result, seq++, "created", rec, idf);
        }
        cJSON_Delete(vals);
    }
    cJSON_Delete(keys);
}

void fam_obj_delete(const fam_objtype *t, const emu_req *req, emu_resp *resp)
{
    const cJSON *body;
    const cJSON *input = write_input(req, resp, &body);
    if (!input)
        return;
    bool by_id;
    cJSON *keys = by_keys(t->meta, body, "deleteBy", &by_id, resp);
    if (!keys)
        return;
    const char *idf = id_field(t->meta);
    resp->result = cJSON_CreateArray();
    int seq = 0;
    const cJSON *in;
    cJSON_ArrayForEach(in, input) {
        if (!input_keyed(resp->result, seq, in, keys)) {
            seq++;
            continue;
        }
        cJSON *rec = find_record(t->records, keys, in);
        if (!rec) {
            fam_skip(resp->result, "seq", seq++, "1013", "Object not found");
            continue;
        }
        ok_item(resp->result, seq++, "deleted", rec, idf);
        if (t->on_delete)
            t->on_delete(rec);
        cJSON_Delete(cJSON_DetachItemViaPointer(t->records, rec));
    }
    cJSON_Delete(keys);
}

/* ======================================================================== */
/* Opportunities and roles                                                   */
/* ======================================================================== */

/* Marketo's standard Opportunity describe (field names as REST returns them). */
static const char OPPORTUNITY_META[] =
    "{\"name\":\"opportunity\",\"displayName\":\"Opportunity\","
    "\"pluralName\":\"Opportunities\",\"description\":\"Opportunity standard object\","
    "\"createdAt\":\"2016-01-01T00:00:00Z\",\"updatedAt\":\"2016-01-01T00:00:00Z\","
    "\"idField\":\"marketoGUID\",\"dedupeFields\":[\"externalOpportunityId\"],"
    "\"searchableFields\":[[\"externalOpportunityId\"],[\"marketoGUID\"],"
    "[\"externalCompanyId\"],[\"externalSalesPersonId\"]],"
    "\"relationships\":[{\"field\":\"externalCompanyId\",\"type\":\"parent\","
    "\"relatedTo\":{\"name\":\"company\",\"field\":\"externalCompanyId\"}},"
    "{\"field\":\"externalSalesPersonId\",\"type\":\"parent\","
    "\"relatedTo\":{\"name\":\"salesperson\",\"field\":\"externalSalesPersonId\"}}],"
    "\"fields\":["
    "{\"name\":\"marketoGUID\",\"displayName\":\"Marketo GUID\",\"dataType\":\"string\",\"length\":36,\"updateable\":false,\"crmManaged\":false},"
    "{\"name\":\"externalOpportunityId\",\"displayName\":\"External Opportunity Id\",\"dataType\":\"string\",\"length\":50,\"updateable\":false,\"crmManaged\":false},"
    "{\"name\":\"name\",\"displayName\":\"Name\",\"dataType\":\"string\",\"length\":255,\"updateable\":true,\"crmManaged\":false,\"required\":true},"
    "{\"name\":\"description\",\"displayName\":\"Description\",\"dataType\":\"string\",\"length\":2000,\"updateable\":true,\"crmManaged\":false},"
    "{\"name\":\"type\",\"displayName\":\"Type\",\"dataType\":\"string\",\"length\":255,\"updateable\":true,\"crmManaged\":false},"
    "{\"name\":\"stage\",\"displayName\":\"Stage\",\"dataType\":\"string\",\"length\":255,\"updateable\":true,\"crmManaged\":false},"
    "{\"name\":\"source\",\"displayName\":\"Source\",\"dataType\":\"string\",\"length\":255,\"updateable\":true,\"crmManaged\":false},"
    "{\"name\":\"amount\",\"displayName\":\"Amount\",\"dataType\":\"currency\",\"updateable\":true,\"crmManaged\":false},"
    "{\"name\":\"expectedRevenue\",\"displayName\":\"Expected Revenue\",\"dataType\":\"currency\",\"updateable\":true,\"crmManaged\":false},"
    "{\"name\":\"probability\",\"displayName\":\"Probability\",\"dataType\":\"integer\",\"updateable\":true,\"crmManaged\":false},"
    "{\"name\":\"closeDate\",\"displayName\":\"Close Date\",\"dataType\":\"date\",\"updateable\":true,\"crmManaged\":false},"
    "{\"name\":\"isClosed\",\"displayName\":\"Is Closed\",\"dataType\":\"boolean\",\"updateable\":true,\"crmManaged\":false},"
    "{\"name\":\"isWon\",\"displayName\":\"Is Won\",\"dataType\":\"boolean\",\"updateable\":true,\"crmManaged\":false},"
    "{\"name\":\"fiscalQuarter\",\"displayName\":\"Fiscal Quarter\",\"dataType\":\"integer\",\"updateable\":true,\"crmManaged\":false},"
    "{\"name\":\"fiscalYear\",\"displayName\":\"Fiscal Year\",\"dataType\":\"integer\",\"updateable\":true,\"crmManaged\":false},"
    "{\"name\":\"nextStep\",\"displayName\":\"Next Step\",\"dataType\":\"string\",\"length\":255,\"updateable\":true,\"crmManaged\":false},"
    "{\"name\":\"lastActivityDate\",\"displayName\":\"Last Activity Date\",\"dataType\":\"date\",\"updateable\":true,\"crmManaged\":false},"
    "{\"name\":\"externalCompanyId\",\"displayName\":\"External Company Id\",\"dataType\":\"string\",\"length\":100,\"updateable\":true,\"crmManaged\":false},"
    "{\"name\":\"externalSalesPersonId\",\"displayName\":\"External Sales Person Id\",\"dataType\":\"string\",\"length\":100,\"updateable\":true,\"crmManaged\":false},"
    "{\"name\":\"createdAt\",\"displayName\":\"Created At\",\"dataType\":\"datetime\",\"updateable\":false,\"crmManaged\":false},"
    "{\"name\":\"updatedAt\",\"displayName\":\"Updated At\",\"dataType\":\"datetime\",\"updateable\":false,\"crmManaged\":false}]}";

/* Marketo's standard Opportunity Role describe: the dedupe key is compound. */
static const char ROLE_META[] =
    "{\"name\":\"opportunityRole\",\"displayName\":\"Opportunity Role\","
    "\"pluralName\":\"Opportunity Roles\",\"description\":\"Opportunity Role standard object\","
    "\"createdAt\":\"2016-01-01T00:00:00Z\",\"updatedAt\":\"2016-01-01T00:00:00Z\","
    "\"idField\":\"marketoGUID\",\"dedupeFields\":[\"externalOpportunityId\",\"leadId\",\"role\"],"
    "\"searchableFields\":[[\"externalOpportunityId\",\"leadId\",\"role\"],[\"marketoGUID\"],"
    "[\"leadId\"],[\"externalOpportunityId\"]],"
    "\"relationships\":[{\"field\":\"leadId\",\"type\":\"parent\","
    "\"relatedTo\":{\"name\":\"lead\",\"field\":\"id\"}},"
    "{\"field\":\"externalOpportunityId\",\"type\":\"parent\","
    "\"relatedTo\":{\"name\":\"opportunity\",\"field\":\"externalOpportunityId\"}}],"
    "\"fields\":["
    "{\"name\":\"marketoGUID\",\"displayName\":\"Marketo GUID\",\"dataType\":\"string\",\"length\":36,\"updateable\":false,\"crmManaged\":false},"
    "{\"name\":\"externalOpportunityId\",\"displayName\":\"External Opportunity Id\",\"dataType\":\"string\",\"length\":50,\"updateable\":false,\"crmManaged\":false},"
    "{\"name\":\"leadId\",\"displayName\":\"Lead Id\",\"dataType\":\"integer\",\"updateable\":false,\"crmManaged\":false},"
    "{\"name\":\"role\",\"displayName\":\"Role\",\"dataType\":\"string\",\"length\":255,\"updateable\":false,\"crmManaged\":false},"
    "{\"name\":\"isPrimary\",\"displayName\":\"Is Primary\",\"dataType\":\"boolean\",\"updateable\":true,\"crmManaged\":false},"
    "{\"name\":\"createdAt\",\"displayName\":\"Created At\",\"dataType\":\"datetime\",\"updateable\":false,\"crmManaged\":false},"
    "{\"name\":\"updatedAt\",\"displayName\":\"Updated At\",\"dataType\":\"datetime\",\"updateable\":false,\"crmManaged\":false}]}";

static const char *opportunity_name(const char *external_id)
{
    const cJSON *o = fam_find_str(emu_store_get("opportunities"), "externalOpportunityId",
                                  external_id, true);
    return o ? fam_get_str(o, "name") : NULL;
}

static void role_activity(const cJSON *role, int type)
{
    int64_t lead_id;
    const char *ext = fam_get_str(role, "externalOpportunityId");
    if (!fam_get_i64(role, "leadId", &lead_id) || !emu_lead_by_id(lead_id))
        return;
    const char *oname = ext ? opportunity_name(ext) : NULL;
    cJSON *attrs = cJSON_CreateArray();
    const char *r = fam_get_str(role, "role");
    if (r) {
        cJSON *a = cJSON_CreateObject();
        cJSON_AddStringToObject(a, "name", "Role");
        cJSON_AddStringToObject(a, "value", r);
        cJSON_AddItemToArray(attrs, a);
    }
    emu_activity_add(lead_id, type, 0, oname ? oname : ext, 0, attrs, NULL);
}

static void role_created(const cJSON *role) { role_activity(role, EMU_ACT_ADD_TO_OPPORTUNITY); }
static void role_deleted(const cJSON *role) { role_activity(role, EMU_ACT_REMOVE_FROM_OPPORTUNITY); }

/* Deleting an opportunity takes its roles with it: a role cannot outlive the
 * opportunity it names (roles require an existing opportunity). */
static void opportunity_deleted(const cJSON *opp)
{
    const char *ext = fam_get_str(opp, "externalOpportunityId");
    if (!ext)
        return;
    cJSON *roles = emu_store_get("opportunityRoles");
    cJSON *r = roles->child;
    while (r) {
        cJSON *next = r->next;
        const char *re = fam_get_str(r, "externalOpportunityId");
        if (re && strcasecmp(re, ext) == 0) {
            role_deleted(r);
            cJSON_Delete(cJSON_DetachItemViaPointer(roles, r));
        }
        r = next;
    }
}

enum obj_kind { OPP, ROLE };

static void with_type(enum obj_kind kind, const emu_req *req, emu_resp *resp,
                      void (*op)(const fam_objtype *, const emu_req *, emu_resp *), bool write)
{
    cJSON *meta = cJSON_Parse(kind == OPP ? OPPORTUNITY_META : ROLE_META);
    emu_store_lock(write);
    fam_objtype t = {
        .meta = meta,
        .records = emu_store_get(kind == OPP ? "opportunities" : "opportunityRoles"),
        .on_delete = kind == OPP ? opportunity_deleted : role_deleted,
        .on_create = kind == OPP ? NULL : role_created,
    };
    op(&t, req, resp);
    emu_store_unlock();
    cJSON_Delete(meta);
}

static void h_opp_describe(const emu_req *req, emu_resp *resp)
{
    (void)req;
    cJSON *meta = cJSON_Parse(OPPORTUNITY_META);
    fam_obj_describe(meta, false, resp);
    cJSON_Delete(meta);
}

static void h_role_describe(const emu_req *req, emu_resp *resp)
{
    (void)req;
    cJSON *meta = cJSON_Parse(ROLE_META);
    fam_obj_describe(meta, false, resp);
    cJSON_Delete(meta);
}

static void h_opp_query(const emu_req *r, emu_resp *s) { with_type(OPP, r, s, fam_obj_query, false); }
static void h_opp_sync(const emu_req *r, emu_resp *s) { with_type(OPP, r, s, fam_obj_sync, true); }
static void h_opp_delete(const emu_req *r, emu_resp *s) { with_type(OPP, r, s, fam_obj_delete, true); }
static void h_role_query(const emu_req *r, emu_resp *s) { with_type(ROLE, r, s, fam_obj_query, false); }
static void h_role_sync(const emu_req *r, emu_resp *s) { with_type(ROLE, r, s, fam_obj_sync, true); }
static void h_role_delete(const emu_req *r, emu_resp *s) { with_type(ROLE, r, s, fam_obj_delete, true); }

const emu_route emu_routes_objects[] = {
    {"GET", "/rest/v1/opportunities/describe.json", h_opp_describe, true},
    {"GET", "/rest/v1/opportunities.json", h_opp_query, true},
    {"POST", "/rest/v1/opportunities.json", h_opp_sync, true},
    {"POST", "/rest/v1/opportunities/delete.json", h_opp_delete, true},
    {"GET", "/rest/v1/opportunities/roles/describe.json", h_role_describe, true},
    {"GET", "/rest/v1/opportunities/roles.json", h_role_query, true},
    {"POST", "/rest/v1/opportunities/roles.json", h_role_sync, true},
    {"POST", "/rest/v1/opportunities/roles/delete.json", h_role_delete, true},
    {NULL, NULL, NULL, false},
};
