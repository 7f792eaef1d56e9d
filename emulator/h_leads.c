/*
 * h_leads.c — the lead endpoints of the Marketo REST API (rest-api.md d.1):
 * get by filter type, get by id, sync (create/update), delete, merge,
 * associate (Munchkin cookie), partitions, describe, describe2, field schema.
 *
 * Writes log what Marketo logs (New Lead, one Change Data Value per changed
 * field with old and new values, Merge Leads, Delete Lead, Change Lead
 * Partition) while holding the store's write lock, so activity queries
 * always agree with the lead data.
 *
 * Error choices where the documentation is silent are noted next to the
 * code; the codes and messages themselves are Marketo's (error-codes.md).
 */
#include "h_family.h"

#include <ctype.h>
#include <errno.h>
#include <inttypes.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#define MAX_FILTER_MATCHES 1000
#define MAX_MERGE_IDS 25

/* ---- small helpers ----------------------------------------------------------- */

/* A value as activities carry it: text, whole (strings are not cut to a
 * buffer), or null. */
static cJSON *text_or_null(const cJSON *v)
{
    char buf[FAM_SCALAR_BUF];
    const char *t = fam_scalar_str(v, buf);
    return t ? cJSON_CreateString(t) : cJSON_CreateNull();
}

static bool lead_id_capture(const emu_req *req, emu_resp *resp, int64_t *id)
{
    if (req->ncaptures < 1 || !fam_parse_i64(req->captures[0], id) || *id < 1) {
        emu_fail(resp, "1003", "Invalid lead id '%.64s'",
                 req->ncaptures ? req->captures[0] : "");
        return false;
    }
    return true;
}

/* ---- field lists and projection ------------------------------------------------ */

static const char *const DEFAULT_FIELDS[] = {"email", "updatedAt", "createdAt", "lastName",
                                             "firstName"};

typedef struct { const emu_field *f[512]; int n; } fieldset;

/* `fields` parameter → field definitions; 1006 for an unknown name.  The
 * definitions belong to the store: caller holds a lock while it uses them. */
static bool parse_fields(const emu_req *req, emu_resp *resp, fieldset *fs)
{
    const char *p = emu_param_list(req, "fields");
    fs->n = 0;
    if (!p || !*p) {
        for (size_t i = 0; i < sizeof DEFAULT_FIELDS / sizeof *DEFAULT_FIELDS; i++) {
            const emu_field *f = emu_field_find(DEFAULT_FIELDS[i]);
            if (f)
                fs->f[fs->n++] = f;
        }
        return true;
    }
    fam_strlist l;
    fam_strlist_split(&l, p);
    bool ok = true;
    for (int i = 0; i < l.n; i++) {
        const emu_field *f = emu_field_find(l.v[i]);
        if (!f) {
            emu_fail(resp, "1006", "Field '%.100s' not found", l.v[i]);
            ok = false;
            break;
        }
        bool dup = !strcmp(f->name, "id");
        for (int k = 0; k < fs->n && !dup; k++)
            dup = fs->f[k] == f;
        if (!dup && fs->n < (int)(sizeof fs->f / sizeof *fs->f))
            fs->f[fs->n++] = f;
    }
    fam_strlist_free(&l);
    return ok;
}

/* The REST view of a lead: id first, then each asked field (null when the
 * lead has no value, as Marketo prints it). */
static cJSON *project(const cJSON *lead, const fieldset *fs)
{
    cJSON *o = cJSON_CreateObject();
    emu_add_i64(o, "id", emu_lead_id(lead));
    for (int i = 0; i < fs->n; i++) {
        const cJSON *v = cJSON_GetObjectItemCaseSensitive(lead, fs->f[i]->name);
        cJSON_AddItemToObject(o, fs->f[i]->name, v ? cJSON_Duplicate(v, 1) : cJSON_CreateNull());
    }
    return o;
}

/* ---- matching ------------------------------------------------------------------------ */

/* The Munchkin cookie format: id:AAA-BBB-CCC&token:_mch-<domain>-<time>-<rand>. */
static bool cookie_valid(const char *c)
{
    if (strncmp(c, "id:", 3))
        return false;
    const char *p = c + 3;
    for (int part = 0; part < 3; part++) {
        for (int i = 0; i < 3; i++, p++)
            if (!isalnum((unsigned char)*p))
                return false;
        if (part < 2 && *p++ != '-')
            return false;
    }
    if (strncmp(p, "&token:_mch-", 12))
        return false;
    p += 12;
    if (!*p)
        return false;
    for (; *p; p++)
        if (!isgraph((unsigned char)*p) || *p == ',')
            return false;
    return true;
}

static bool lead_has_cookie(const cJSON *lead, const char *cookie)
{
    const cJSON *c = cJSON_GetObjectItemCaseSensitive(lead, "cookies");
    if (!cJSON_IsString(c))
        return false;
    size_t n = strlen(cookie);
    for (const char *p = c->valuestring; (p = strstr(p, cookie)); p += n)
        if ((p == c->valuestring || p[-1] == ',') && (p[n] == '\0' || p[n] == ','))
            return true;
    return false;
}

/* Strings match case-insensitively (as Marketo matches emails and most
 * text keys); numbers and booleans by their text. */
static bool value_matches(const cJSON *v, const char *want)
{
    char buf[FAM_SCALAR_BUF];
    const char *have = fam_scalar_str(v, buf);
    if (!have)
        return false;
    return cJSON_IsString(v) ? !strcasecmp(have, want) : !strcmp(have, want);
}

typedef struct { cJSON **v; int n, cap; } leadvec;

static bool leadvec_has(const leadvec *lv, const cJSON *l)
{
    for (int i = 0; i < lv->n; i++)
        if (lv->v[i] == l)
            return true;
    return false;
}

static void leadvec_push(leadvec *lv, cJSON *l)
{
    if (lv->n == lv->cap) {
        lv->cap = lv->cap ? lv->cap * 2 : 16;
        lv->v = realloc(lv->v, (size_t)lv->cap * sizeof *lv->v);
    }
    lv->v[lv->n++] = l;
}

/* Leads whose field `f` equals `value` (caller holds a lock). */
static void find_leads(const emu_field *f, const char *value, int64_t partition, leadvec *out)
{
    if (!strcmp(f->name, "id")) {
        int64_t id;
        cJSON *l = fam_parse_i64(value, &id) ? emu_lead_by_id(id) : NULL;
        if (l)
            leadvec_push(out, l);
    } else if (!strcmp(f->name, "email")) {
        cJSON *buf[64];
        int n = emu_leads_by_email(value, buf, 64);
        for (int i = 0; i < n && i < 64; i++)
            leadvec_push(out, buf[i]);
    } else {
        cJSON *l;
        cJSON_ArrayForEach(l, emu_store_get("leads")) {
            bool hit = !strcmp(f->name, "cookies")
                           ? lead_has_cookie(l, value)
                           : value_matches(cJSON_GetObjectItemCaseSensitive(l, f->name), value);
            if (hit)
                leadvec_push(out, l);
        }
    }
    if (partition) {
        int k = 0;
        for (int i = 0; i < out->n; i++) {
            const cJSON *p = cJSON_GetObjectItemCaseSensitive(out->v[i], "leadPartitionId");
            if (cJSON_IsNumber(p) && (int64_t)p->valuedouble == partition)
                out->v[k++] = out->v[i];
        }
        out->n = k;
    }
}

/* ---- GET /rest/v1/leads.json ----------------------------------------------------------- */

/* Leads matching any of `vals` on field `f`, in id order, at most
 * MAX_FILTER_MATCHES + 1 (the caller refuses more).  Caller holds a lock. */
static void collect_matches(const emu_field *f, const fam_strlist *vals, leadvec *all)
{
    if (strcmp(f->name, "id") && strcmp(f->name, "email")) {
        /* No index: one pass over the leads, testing every value. */
        cJSON *l;
        cJSON_ArrayForEach(l, emu_store_get("leads")) {
            for (int i = 0; i < vals->n; i++) {
                bool hit = !strcmp(f->name, "cookies")
                               ? lead_has_cookie(l, vals->v[i])
                               : value_matches(cJSON_GetObjectItemCaseSensitive(l, f->name),
                                               vals->v[i]);
                if (hit) {
                    leadvec_push(all, l);
                    break;
                }
            }
            if (all->n > MAX_FILTER_MATCHES)
                break;
        }
        return;
    }
    for (int i = 0; i < vals->n && all->n <= MAX_FILTER_MATCHES; i++) {
        leadvec one = {0};
        find_leads(f, vals->v[i], 0, &one);
        for (int k = 0; k < one.n; k++)
            if (!leadvec_has(all, one.v[k]))
                leadvec_push(all, one.v[k]);
        free(one.v);
    }
}

/* Everything after the blank checks; the caller holds the read lock, since
 * field definitions belong to the store and a reset replaces them. */
static void query_leads(const emu_req *req, emu_resp *resp, const char *ft, const char *fv)
{
    fieldset fs;
    int batch;
    int64_t offset;
    if (!parse_fields(req, resp, &fs) || !fam_batch_size(req, NULL, resp, &batch) ||
        !fam_page_offset(req, NULL, resp, &offset))
        return;
    const emu_field *f = emu_field_find(ft);
    if (!f || !f->searchable) {
        emu_fail(resp, "1011", "Field '%.100s' not supported", ft);
        return;
    }
    fam_strlist vals;
    fam_strlist_split(&vals, fv);
    leadvec all = {0};
    if (vals.n > FAM_MAX_BATCH) {
        emu_fail(resp, "1003", "Number of filterValues '%d' exceeds max allowed '%d'", vals.n,
                 FAM_MAX_BATCH);
        goto out;
    }
    bool numeric = !strcmp(f->type, "integer");
    for (int i = 0; i < vals.n; i++) {
        int64_t x;
        if (numeric && !fam_parse_i64(vals.v[i], &x)) {
            emu_fail(resp, "1001", "Invalid value '%.100s'. Required of type 'integer'",
                     vals.v[i]);
            goto out;
        }
        if (!strcmp(f->name, "cookies") && !cookie_valid(vals.v[i])) {
            emu_fail(resp, "1012", "Invalid cookie value '%.150s'", vals.v[i]);
            goto out;
        }
    }
    collect_matches(f, &vals, &all);
    if (all.n > MAX_FILTER_MATCHES) {
        emu_fail(resp, "1003", "Too many results match the filter");
        goto out;
    }
    resp->result = cJSON_CreateArray();
    /* i - offset, not offset + batch: a token may carry any offset. */
    for (int64_t i = offset; i < all.n && i - offset < batch; i++)
        cJSON_AddItemToArray(resp->result, project(all.v[i], &fs));
    if (offset < all.n && all.n - offset > batch)
        resp->next_page_token = emu_page_token_encode(offset + batch);
out:
    free(all.v);
    fam_strlist_free(&vals);
}

static void get_leads(const emu_req *req, emu_resp *resp)
{
    const char *ft = fam_param_required(req, resp, "filterType");
    const char *fv = emu_param_list(req, "filterValues");
    if (!ft)
        return;
    if (!fv || !*fv) {
        emu_fail(resp, "701", "filterValues cannot be blank");
        return;
    }
    emu_store_rdlock();
    query_leads(req, resp, ft, fv);
    emu_store_unlock();
}

/* ---- GET /rest/v1/lead/{id}.json ------------------------------------------------------------- */

static void get_lead(const emu_req *req, emu_resp *resp)
{
    int64_t id;
    fieldset fs;
    if (!lead_id_capture(req, resp, &id))
        return;
    emu_store_rdlock();
    if (parse_fields(req, resp, &fs)) {
        resp->result = cJSON_CreateArray();
        const cJSON *l = emu_lead_by_id(id);
        /* Not documented for a missing id; like filter queries: empty result. */
        if (l)
            cJSON_AddItemToArray(resp->result, project(l, &fs));
    }
    emu_store_unlock();
}

/* ---- sync -------------------------------------------------------------------------------------- */

static bool is_text_type(const char *t)
{
    return strcmp(t, "integer") && strcmp(t, "float") && strcmp(t, "currency") &&
           strcmp(t, "boolean") && strcmp(t, "score") && strcmp(t, "percent");
}

/* Convert a client value to what the store keeps for field `f`; NULL value
 * out means "clear".  Returns false for a value of the wrong type. */
static bool convert(const emu_field *f, const cJSON *in, cJSON **out)
{
    *out = NULL;
    if (cJSON_IsNull(in) || (cJSON_IsString(in) && !in->valuestring[0]))
        return true;
    if (cJSON_IsArray(in) || cJSON_IsObject(in) || cJSON_IsRaw(in))
        return false;
    const char *t = f->type;
    char buf[FAM_SCALAR_BUF];
    if (!strcmp(t, "boolean")) {
        if (cJSON_IsBool(in)) {
            *out = cJSON_CreateBool(cJSON_IsTrue(in));
            return true;
        }
        if (!fam_scalar_text(in, buf, sizeof buf))
            return false;
        if (!strcasecmp(buf, "true") || !strcmp(buf, "1"))
            *out = cJSON_CreateTrue();
        else if (!strcasecmp(buf, "false") || !strcmp(buf, "0"))
            *out = cJSON_CreateFalse();
        return *out != NULL;
    }
    if (!is_text_type(t)) {
        double d;
        if (cJSON_IsNumber(in))
            d = in->valuedouble;
        else if (cJSON_IsString(in)) {
            char *end;
            errno = 0;
            d = strtod(in->valuestring, &end);
            if (errno || end == in->valuestring || *end)
                return false;
        } else
            return false;
        if (!isfinite(d) || ((!strcmp(t, "integer") || !strcmp(t, "score")) &&
                             (d != floor(d) || fabs(d) > 2147483647.0)))
            return false;
        *out = cJSON_CreateNumber(d);
        return true;
    }
    /* Text: a string as it is, however long; a number or boolean as text. */
    const char *text = fam_scalar_str(in, buf);
    if (!text)
        return false;
    if (!strcmp(t, "email")) {
        for (const char *p = text; *p; p++)
            if ((unsigned char)*p > 127) /* Marketo: emails must be ASCII */
                return false;
    }
    if (!strcmp(t, "datetime") || !strcmp(t, "date")) {
        int64_t ms;
        if (!emu_parse_iso(text, &ms))
            return false;
    }
    *out = cJSON_CreateString(text);
    return true;
}

static bool writable(const emu_field *f)
{
    return !f->rest_ro && strcmp(f->name, "id");
}

/* A record-level skip without an id, as Sync Leads answers one. */
static cJSON *skipped(const char *code, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
static cJSON *skipped(const char *code, const char *fmt, ...)
{
    char msg[256];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    return fam_skip(NULL, NULL, 0, code, msg);
}

static cJSON *cdv_attrs(void)
{
    cJSON *a = cJSON_CreateArray();
    cJSON_AddItemToArray(a, fam_attr("Reason", cJSON_CreateString("Web service API")));
    cJSON_AddItemToArray(a, fam_attr("Source", cJSON_CreateString("Web service API")));
    return a;
}

/* Log one Change Data Value activity for field `f` of lead `id`. */
static void log_change(int64_t id, const emu_field *f, const cJSON *oldv, const cJSON *newv)
{
    cJSON *fields = cJSON_CreateArray();
    cJSON *fc = cJSON_CreateObject();
    cJSON_AddNumberToObject(fc, "id", f->id);
    cJSON_AddStringToObject(fc, "name", f->name);
    cJSON_AddItemToObject(fc, "newValue", text_or_null(newv));
    cJSON_AddItemToObject(fc, "oldValue", text_or_null(oldv));
    cJSON_AddItemToArray(fields, fc);
    emu_activity_add(id, EMU_ACT_CHANGE_DATA_VALUE, f->id, f->display, 0, cdv_attrs(), fields);
}

static void touch(cJSON *lead)
{
    char now[32];
    emu_now_iso(now);
    if (cJSON_GetObjectItemCaseSensitive(lead, "updatedAt"))
        cJSON_ReplaceItemInObjectCaseSensitive(lead, "updatedAt", cJSON_CreateString(now));
    else
        cJSON_AddStringToObject(lead, "updatedAt", now);
}

/* Set field `f` of `lead` to `v` (owned; NULL clears), logging the change. */
static void set_field(cJSON *lead, const emu_field *f, cJSON *v, bool *changed)
{
    cJSON *old = cJSON_GetObjectItemCaseSensitive(lead, f->name);
    if ((!old || cJSON_IsNull(old)) && !v)
        return;
    if (old && v && cJSON_Compare(old, v, true)) {
        cJSON_Delete(v);
        return;
    }
    bool email = !strcmp(f->name, "email");
    if (email)
        emu_lead_index_remove(lead);
    log_change(emu_lead_id(lead), f, old, v);
    if (v) {
        /* ReplaceItemInObject names the new item; ReplaceItemViaPointer
         * would leave it nameless. */
        if (old)
            cJSON_ReplaceItemInObjectCaseSensitive(lead, f->name, v);
        else
            cJSON_AddItemToObject(lead, f->name, v);
    } else
        cJSON_Delete(cJSON_DetachItemViaPointer(lead, old));
    if (email)
        emu_lead_index_add(lead);
    *changed = true;
}

static cJSON *create_lead(const cJSON *record, int64_t partition)
{
    char now[32];
    emu_now_iso(now);
    cJSON *lead = cJSON_CreateObject();
    int64_t id = emu_next_id("leads");
    emu_add_i64(lead, "id", id);
    const cJSON *m;
    cJSON_ArrayForEach(m, record) {
        const emu_field *f = emu_field_find(m->string);
        cJSON *v;
        if (!f || !writable(f) || !convert(f, m, &v) || !v)
            continue;
        cJSON_AddItemToObject(lead, f->name, v);
    }
    cJSON_AddStringToObject(lead, "createdAt", now);
    cJSON_AddStringToObject(lead, "updatedAt", now);
    emu_add_i64(lead, "leadPartitionId", partition ? partition : 1);
    cJSON_AddItemToArray(emu_store_get("leads"), lead);
    emu_lead_index_add(lead);
    cJSON *attrs = cJSON_CreateArray();
    cJSON_AddItemToArray(attrs, fam_attr("Source Type", cJSON_CreateString("Web service API")));
    emu_activity_add(id, EMU_ACT_NEW_LEAD, 0, NULL, 0, attrs, NULL);
    return lead;
}

static void update_lead(cJSON *lead, const cJSON *record, const emu_field *lookup)
{
    bool changed = false;
    const cJSON *m;
    cJSON_ArrayForEach(m, record) {
        const emu_field *f = emu_field_find(m->string);
        cJSON *v;
        if (!f || !writable(f) || f == lookup || !convert(f, m, &v))
            continue;
        set_field(lead, f, v, &changed);
    }
    if (changed)
        touch(lead);
}

static bool valid_action(const char *a)
{
    return !strcmp(a, "createOnly") || !strcmp(a, "updateOnly") ||
           !strcmp(a, "createOrUpdate") || !strcmp(a, "createDuplicate");
}

cJSON *emu_lead_sync_one(const cJSON *record, const char *action, const char *lookup_field,
                         const char *partition_name)
{
    if (!action)
        action = "createOrUpdate";
    if (!lookup_field)
        lookup_field = "email";
    if (!cJSON_IsObject(record))
        return skipped("1003", "Invalid data");
    if (!valid_action(action))
        return skipped("1003", "Invalid action '%.64s'", action);
    const emu_field *lf = emu_field_find(lookup_field);
    if (!lf)
        return skipped("1006", "Field '%.100s' not found", lookup_field);
    if (!lf->searchable)
        return skipped("1011", "Field '%.100s' not supported", lookup_field);
    bool update_only = !strcmp(action, "updateOnly");
    int64_t partition = 0;
    if (partition_name && *partition_name && !update_only) {
        partition = emu_partition_id(partition_name);
        if (!partition)
            return skipped("1008", "Access denied to partition '%.100s'", partition_name);
    }
    const cJSON *m;
    cJSON_ArrayForEach(m, record) {
        const emu_field *f = emu_field_find(m->string);
        if (!f)
            return skipped("1006", "Field '%.100s' not found", m->string);
        cJSON *v;
        if (!convert(f, m, &v))
            return skipped("1001", "Invalid value for field '%.100s'. Required of type '%s'",
                           f->name, f->type);
        cJSON_Delete(v);
    }
    /* id is system-managed: only updateOnly may name it (leads.md). */
    if (!update_only && (!strcmp(lf->name, "id") || cJSON_GetObjectItem(record, "id")))
        return skipped("1003", "Invalid data");
    /* The lookup value whole: a long key must not match by its prefix. */
    char buf[FAM_SCALAR_BUF];
    const char *key = fam_scalar_str(cJSON_GetObjectItem(record, lf->name), buf);
    bool has_key = key && *key;
    bool create_dup = !strcmp(action, "createDuplicate");
    leadvec found = {0};
    if (!create_dup) {
        if (!has_key && strcmp(action, "createOnly"))
            return skipped("1002", "Missing value for the required parameter '%.100s'",
                             lf->name);
        if (has_key)
            find_leads(lf, key, partition, &found);
    }
    cJSON *item;
    if (create_dup || found.n == 0) {
        if (update_only)
            item = skipped("1004", "Lead not found");
        else
            item = fam_status(NULL, "id", emu_lead_id(create_lead(record, partition)), "created");
    } else if (!strcmp(action, "createOnly"))
        item = skipped("1005", "Lead already exists");
    else if (found.n > 1)
        item = skipped("1007", "Multiple leads match the lookup criteria");
    else {
        update_lead(found.v[0], record, lf);
        item = fam_status(NULL, "id", emu_lead_id(found.v[0]), "updated");
    }
    free(found.v);
    return item;
}

static void sync_leads(const emu_req *req, emu_resp *resp)
{
    const cJSON *b = fam_json_body(req, resp);
    if (!b)
        return;
    const cJSON *input = cJSON_GetObjectItemCaseSensitive(b, "input");
    const cJSON *action = cJSON_GetObjectItemCaseSensitive(b, "action");
    const cJSON *lookup = cJSON_GetObjectItemCaseSensitive(b, "lookupField");
    const cJSON *part = cJSON_GetObjectItemCaseSensitive(b, "partitionName");
    if (!input || cJSON_IsNull(input)) {
        emu_fail(resp, "701", "input cannot be blank");
        return;
    }
    if (!cJSON_IsArray(input) || (action && !cJSON_IsString(action)) ||
        (lookup && !cJSON_IsString(lookup)) || (part && !cJSON_IsString(part) && !cJSON_IsNull(part))) {
        emu_fail(resp, "609", "Invalid JSON");
        return;
    }
    int n = cJSON_GetArraySize(input);
    if (n == 0) {
        emu_fail(resp, "701", "input cannot be blank");
        return;
    }
    if (!fam_batch_within(resp, n))
        return;
    const char *a = action ? action->valuestring : "createOrUpdate";
    if (!valid_action(a)) {
        emu_fail(resp, "1003", "Invalid action '%.64s'", a);
        return;
    }
    const char *lf = lookup ? lookup->valuestring : "email";
    emu_store_wrlock(); /* field definitions too are the store's */
    const emu_field *f = emu_field_find(lf);
    if (!f)
        emu_fail(resp, "1006", "Field '%.100s' not found", lf);
    else if (!f->searchable)
        emu_fail(resp, "1011", "Field '%.100s' not supported", lf);
    else {
        resp->result = cJSON_CreateArray();
        const cJSON *rec;
        cJSON_ArrayForEach(rec, input)
            cJSON_AddItemToArray(resp->result,
                                 emu_lead_sync_one(rec, a, lf,
                                                   cJSON_IsString(part) ? part->valuestring : NULL));
    }
    emu_store_unlock();
}

/* ---- delete --------------------------------------------------------------------------------- */

static char *lead_name(const cJSON *lead)
{
    const cJSON *fn = cJSON_GetObjectItemCaseSensitive(lead, "firstName");
    const cJSON *ln = cJSON_GetObjectItemCaseSensitive(lead, "lastName");
    const cJSON *em = cJSON_GetObjectItemCaseSensitive(lead, "email");
    char buf[300];
    if (cJSON_IsString(ln) || cJSON_IsString(fn))
        snprintf(buf, sizeof buf, "%s%s%s", cJSON_IsString(fn) ? fn->valuestring : "",
                 cJSON_IsString(fn) && cJSON_IsString(ln) ? " " : "",
                 cJSON_IsString(ln) ? ln->valuestring : "");
    else
        snprintf(buf, sizeof buf, "%s", cJSON_IsString(em) ? em->valuestring : "");
    return strdup(buf);
}

static void delete_one(cJSON *lead)
{
    int64_t id = emu_lead_id(lead);
    char *name = lead_name(lead);
    emu_activity_add(id, EMU_ACT_DELETE_LEAD, id, name, 0, NULL, NULL);
    free(name);
    emu_on_lead_deleted(id);
    emu_lead_remove(lead);
}

static void delete_leads(const emu_req *req, emu_resp *resp)
{
    /* Ids come from the query (id=1,2 or repeated) or from input[{id}], as
     * text: a malformed one is skipped with 1001, not the whole call. */
    cJSON *ids = fam_split(emu_param_list(req, "id"));
    if (req->body_len || req->json) {
        const cJSON *b = fam_json_body(req, resp);
        const cJSON *input = cJSON_GetObjectItemCaseSensitive(b, "input"), *it;
        if (b && input && !cJSON_IsArray(input))
            emu_fail(resp, "609", "Invalid JSON");
        if (!b || resp->error_code) {
            cJSON_Delete(ids);
            return;
        }
        cJSON_ArrayForEach(it, input) {
            const cJSON *id = cJSON_GetObjectItemCaseSensitive(it, "id");
            char buf[FAM_SCALAR_BUF];
            const char *text = fam_scalar_str(id, buf);
            cJSON_AddItemToArray(ids, cJSON_CreateString(text ? text : ""));
        }
    }
    int n = cJSON_GetArraySize(ids);
    if (n == 0 || !fam_batch_within(resp, n)) {
        if (n == 0)
            emu_fail(resp, "701", "input cannot be blank");
        cJSON_Delete(ids);
        return;
    }
    resp->result = cJSON_CreateArray();
    emu_store_wrlock();
    const cJSON *it;
    cJSON_ArrayForEach(it, ids) {
        int64_t id;
        cJSON *lead;
        if (!fam_parse_i64(it->valuestring, &id)) {
            char msg[160];
            snprintf(msg, sizeof msg, "Invalid value '%.64s'. Required of type 'integer'",
                     it->valuestring);
            fam_skip(resp->result, NULL, 0, "1001", msg);
        } else if (!(lead = emu_lead_by_id(id))) {
            fam_skip(resp->result, "id", id, "1004", "Lead not found");
        } else {
            delete_one(lead);
            fam_status(resp->result, "id", id, "deleted");
        }
    }
    emu_store_unlock();
    cJSON_Delete(ids);
}

/* ---- merge ------------------------------------------------------------------------------------ */

/* Append comma-separated cookies to a lead's "cookies" value. */
static void append_cookies(cJSON *to, const char *cookies)
{
    if (!cookies || !*cookies)
        return;
    const cJSON *tc = cJSON_GetObjectItemCaseSensitive(to, "cookies");
    size_t n = strlen(cookies) + (cJSON_IsString(tc) ? strlen(tc->valuestring) : 0) + 2;
    char *joined = malloc(n);
    if (cJSON_IsString(tc) && tc->valuestring[0])
        snprintf(joined, n, "%s,%s", tc->valuestring, cookies);
    else
        snprintf(joined, n, "%s", cookies);
    if (tc)
        cJSON_ReplaceItemInObjectCaseSensitive(to, "cookies", cJSON_CreateString(joined));
    else
        cJSON_AddStringToObject(to, "cookies", joined);
    free(joined);
}

static void move_cookies(cJSON *to, const cJSON *from)
{
    const cJSON *fc = cJSON_GetObjectItemCaseSensitive(from, "cookies");
    if (cJSON_IsString(fc))
        append_cookies(to, fc->valuestring);
}

static void merge_leads(const emu_req *req, emu_resp *resp)
{
    int64_t winner_id;
    if (!lead_id_capture(req, resp, &winner_id))
        return;
    const char *one = emu_param(req, "leadId");
    const char *many = emu_param_list(req, "leadIds");
    const char *crm = emu_param(req, "mergeInCRM");
    if (crm && strcasecmp(crm, "true") && strcasecmp(crm, "false")) {
        emu_fail(resp, "1003", "Invalid value '%.32s' for mergeInCRM", crm);
        return;
    }
    fam_strlist l;
    fam_strlist_split(&l, many ? many : one);
    if (l.n == 0) {
        fam_strlist_free(&l);
        emu_fail(resp, "701", "leadId cannot be blank");
        return;
    }
    if (l.n > MAX_MERGE_IDS) {
        /* leads.md: from 2026-03-31 more than 25 ids are skipped with 1080. */
        resp->result = cJSON_CreateArray();
        char msg[128];
        snprintf(msg, sizeof msg, "Too many leads to merge: %d ids given, at most %d", l.n,
                 MAX_MERGE_IDS);
        fam_skip(resp->result, "id", winner_id, "1080", msg);
        fam_strlist_free(&l);
        return;
    }
    int64_t losers[MAX_MERGE_IDS];
    for (int i = 0; i < l.n; i++)
        if (!fam_parse_i64(l.v[i], &losers[i]) || losers[i] == winner_id) {
            emu_fail(resp, "1003", "Invalid lead id '%.64s'", l.v[i]);
            fam_strlist_free(&l);
            return;
        }
    int n = l.n;
    fam_strlist_free(&l);
    emu_store_wrlock();
    cJSON *winner = emu_lead_by_id(winner_id);
    if (!winner) {
        emu_store_unlock();
        emu_fail(resp, "1004", "Lead '%" PRId64 "' not found", winner_id);
        return;
    }
    for (int i = 0; i < n; i++)
        if (!emu_lead_by_id(losers[i])) {
            emu_store_unlock();
            emu_fail(resp, "1004", "Lead '%" PRId64 "' not found", losers[i]);
            return;
        }
    bool changed = false;
    cJSON *merged = cJSON_CreateArray();
    for (int i = 0; i < n; i++) {
        cJSON *loser = emu_lead_by_id(losers[i]);
        if (!loser) /* the same id twice */
            continue;
        /* The winner keeps its values; empty ones are filled from the loser. */
        const cJSON *m;
        cJSON_ArrayForEach(m, loser) {
            const emu_field *f = emu_field_find(m->string);
            const cJSON *cur = cJSON_GetObjectItemCaseSensitive(winner, m->string);
            if (!f || !writable(f) || !strcmp(f->name, "cookies") || cJSON_IsNull(m) ||
                (cur && !cJSON_IsNull(cur) &&
                 !(cJSON_IsString(cur) && !cur->valuestring[0])))
                continue;
            set_field(winner, f, cJSON_Duplicate(m, 1), &changed);
        }
        move_cookies(winner, loser);
        emu_on_leads_merged(winner_id, losers[i]);
        cJSON_AddItemToArray(merged, emu_raw_i64(losers[i]));
        emu_lead_remove(loser);
    }
    if (changed)
        touch(winner);
    char *ids = cJSON_PrintUnformatted(merged);
    cJSON_Delete(merged);
    cJSON *attrs = cJSON_CreateArray();
    cJSON_AddItemToArray(attrs, fam_attr("Merge IDs", cJSON_CreateString(ids)));
    cJSON_AddItemToArray(attrs, fam_attr("Merge Source", cJSON_CreateString("Web service API")));
    cJSON_AddItemToArray(attrs, fam_attr("Merged in Sales",
                                         cJSON_CreateBool(crm && !strcasecmp(crm, "true"))));
    char *name = lead_name(winner);
    emu_activity_add(winner_id, EMU_ACT_MERGE_LEADS, winner_id, name, 0, attrs, NULL);
    free(name);
    free(ids);
    emu_store_unlock();
    /* Merge answers without a result (leads.md). */
}

/* ---- associate --------------------------------------------------------------------------------- */

static void remove_cookie(cJSON *lead, const char *cookie)
{
    const cJSON *c = cJSON_GetObjectItemCaseSensitive(lead, "cookies");
    if (!cJSON_IsString(c))
        return;
    fam_strlist l;
    fam_strlist_split(&l, c->valuestring);
    size_t cap = strlen(c->valuestring) + 1, o = 0;
    char *out = calloc(1, cap);
    for (int i = 0; i < l.n; i++) {
        if (!strcmp(l.v[i], cookie))
            continue;
        o += (size_t)snprintf(out + o, cap - o, "%s%s", o ? "," : "", l.v[i]);
    }
    fam_strlist_free(&l);
    if (o)
        cJSON_ReplaceItemInObjectCaseSensitive(lead, "cookies", cJSON_CreateString(out));
    else
        cJSON_DeleteItemFromObjectCaseSensitive(lead, "cookies");
    free(out);
}

static void associate(const emu_req *req, emu_resp *resp)
{
    int64_t id;
    if (!lead_id_capture(req, resp, &id))
        return;
    const char *cookie = fam_param_required(req, resp, "cookie");
    if (!cookie)
        return;
    if (!cookie_valid(cookie)) {
        emu_fail(resp, "1012", "Invalid cookie value '%.150s'", cookie);
        return;
    }
    emu_store_wrlock();
    cJSON *lead = emu_lead_by_id(id);
    if (!lead) {
        emu_store_unlock();
        emu_fail(resp, "1004", "Lead not found");
        return;
    }
    if (!lead_has_cookie(lead, cookie)) {
        /* A cookie belongs to one known lead: new web activity follows it
         * to the new lead (leads.md). */
        cJSON *other;
        cJSON_ArrayForEach(other, emu_store_get("leads"))
            if (other != lead && lead_has_cookie(other, cookie))
                remove_cookie(other, cookie);
        append_cookies(lead, cookie);
    }
    emu_store_unlock();
    /* Associate answers without a result (leads.md).  Marketo logs no
     * activity type of its own for the association. */
}

/* ---- partitions ------------------------------------------------------------------------------------ */

static void get_partitions(const emu_req *req, emu_resp *resp)
{
    (void)req;
    emu_store_rdlock();
    resp->result = cJSON_Duplicate(emu_store_get("partitions"), 1);
    emu_store_unlock();
}

static void update_partitions(const emu_req *req, emu_resp *resp)
{
    const cJSON *b = fam_json_body(req, resp);
    if (!b)
        return;
    const cJSON *input = cJSON_GetObjectItemCaseSensitive(b, "input"), *it;
    if (!input) {
        emu_fail(resp, "701", "input cannot be blank");
        return;
    }
    if (!cJSON_IsArray(input)) {
        emu_fail(resp, "609", "Invalid JSON");
        return;
    }
    if (!fam_batch_within(resp, cJSON_GetArraySize(input)))
        return;
    resp->result = cJSON_CreateArray();
    emu_store_wrlock();
    cJSON_ArrayForEach(it, input) {
        const cJSON *idv = cJSON_GetObjectItemCaseSensitive(it, "id");
        const cJSON *pn = cJSON_GetObjectItemCaseSensitive(it, "partitionName");
        char buf[64];
        int64_t id = 0;
        cJSON *lead = fam_scalar_text(idv, buf, sizeof buf) && fam_parse_i64(buf, &id)
                          ? emu_lead_by_id(id) : NULL;
        if (!cJSON_IsString(pn) || !pn->valuestring[0]) {
            fam_skip(resp->result, "id", id, "1009", "Partition name must be specified");
            continue;
        }
        if (!lead) {
            fam_skip(resp->result, "id", id, "1004", "Lead not found");
            continue;
        }
        int64_t pid = emu_partition_id(pn->valuestring);
        if (!pid) {
            char msg[200];
            snprintf(msg, sizeof msg, "Access denied to partition '%.100s'", pn->valuestring);
            fam_skip(resp->result, "id", id, "1008", msg);
            continue;
        }
        const cJSON *cur = cJSON_GetObjectItemCaseSensitive(lead, "leadPartitionId");
        if (!cJSON_IsNumber(cur) || (int64_t)cur->valuedouble != pid) {
            cJSON_DeleteItemFromObjectCaseSensitive(lead, "leadPartitionId");
            emu_add_i64(lead, "leadPartitionId", pid);
            emu_activity_add(id, EMU_ACT_CHANGE_LEAD_PARTITION, pid, pn->valuestring, 0,
                             NULL, NULL);
            touch(lead);
        }
        fam_status(resp->result, "id", id, "updated");
    }
    emu_store_unlock();
}

/* ---- describe ---------------------------------------------------------------------------------------- */

static void describe(const emu_req *req, emu_resp *resp)
{
    (void)req;
    resp->result = cJSON_CreateArray();
    emu_store_rdlock();
    for (int i = 0; i < emu_field_count(); i++) {
        const emu_field *f = emu_field_at(i);
        cJSON *o = cJSON_CreateObject();
        cJSON_AddNumberToObject(o, "id", f->id);
        cJSON_AddStringToObject(o, "displayName", f->display);
        cJSON_AddStringToObject(o, "dataType", f->type);
        if (f->length)
            cJSON_AddNumberToObject(o, "length", f->length);
        cJSON *r = cJSON_AddObjectToObject(o, "rest");
        cJSON_AddStringToObject(r, "name", f->name);
        cJSON_AddBoolToObject(r, "readOnly", f->rest_ro);
        /* The soap child appears only for fields valid in the SOAP API. */
        if (f->soap) {
            cJSON *s = cJSON_AddObjectToObject(o, "soap");
            cJSON_AddStringToObject(s, "name", f->soap);
            cJSON_AddBoolToObject(s, "readOnly", f->soap_ro);
        }
        cJSON_AddItemToArray(resp->result, o);
    }
    emu_store_unlock();
}

static void describe2(const emu_req *req, emu_resp *resp)
{
    (void)req;
    cJSON *d = cJSON_CreateObject();
    cJSON_AddStringToObject(d, "name", "API Lead");
    cJSON *sf = cJSON_AddArrayToObject(d, "searchableFields");
    cJSON *fields = cJSON_AddArrayToObject(d, "fields");
    emu_store_rdlock();
    for (int i = 0; i < emu_field_count(); i++) {
        const emu_field *f = emu_field_at(i);
        if (f->searchable) {
            cJSON *one = cJSON_CreateArray();
            cJSON_AddItemToArray(one, cJSON_CreateString(f->name));
            cJSON_AddItemToArray(sf, one);
        }
        cJSON *o = cJSON_CreateObject();
        cJSON_AddStringToObject(o, "name", f->name);
        cJSON_AddStringToObject(o, "displayName", f->display);
        cJSON_AddStringToObject(o, "dataType", f->type);
        if (f->length)
            cJSON_AddNumberToObject(o, "length", f->length);
        cJSON_AddBoolToObject(o, "updateable", !f->rest_ro);
        cJSON_AddBoolToObject(o, "crmManaged", f->crm_managed);
        cJSON_AddItemToArray(fields, o);
    }
    emu_store_unlock();
    resp->result = cJSON_CreateArray();
    cJSON_AddItemToArray(resp->result, d);
}

static cJSON *schema_field(const emu_field *f)
{
    cJSON *o = cJSON_CreateObject();
    cJSON_AddStringToObject(o, "displayName", f->display);
    cJSON_AddStringToObject(o, "name", f->name);
    cJSON_AddStringToObject(o, "description", "");
    cJSON_AddStringToObject(o, "dataType", f->type);
    if (f->length)
        cJSON_AddNumberToObject(o, "length", f->length);
    cJSON_AddBoolToObject(o, "isHidden", false);
    cJSON_AddBoolToObject(o, "isHtmlEncodingInEmail", !strcmp(f->type, "string"));
    cJSON_AddBoolToObject(o, "isSensitive", false);
    cJSON_AddBoolToObject(o, "isCustom", f->custom);
    cJSON_AddBoolToObject(o, "isApiCreated", f->custom);
    return o;
}

static void schema_fields(const emu_req *req, emu_resp *resp)
{
    int batch;
    int64_t offset;
    if (!fam_batch_size(req, NULL, resp, &batch) || !fam_page_offset(req, NULL, resp, &offset))
        return;
    resp->result = cJSON_CreateArray();
    emu_store_rdlock();
    int n = emu_field_count();
    for (int64_t i = offset; i < n && i - offset < batch; i++)
        cJSON_AddItemToArray(resp->result, schema_field(emu_field_at((int)i)));
    emu_store_unlock();
    if (offset < n && n - offset > batch)
        resp->next_page_token = emu_page_token_encode(offset + batch);
}

static void schema_field_one(const emu_req *req, emu_resp *resp)
{
    emu_store_rdlock();
    const emu_field *f = req->ncaptures ? emu_field_find(req->captures[0]) : NULL;
    if (f) {
        resp->result = cJSON_CreateArray();
        cJSON_AddItemToArray(resp->result, schema_field(f));
    }
    emu_store_unlock();
    if (!f)
        emu_fail(resp, "1006", "Field '%.100s' not found",
                 req->ncaptures ? req->captures[0] : "");
}

/* ---- push (upsert + activity, used as an alternative to sync) ----------------------------------- */

static void push_leads(const emu_req *req, emu_resp *resp)
{
    const cJSON *b = fam_json_body(req, resp);
    if (!b)
        return;
    const cJSON *input = cJSON_GetObjectItemCaseSensitive(b, "input");
    const cJSON *program = cJSON_GetObjectItemCaseSensitive(b, "programName");
    const cJSON *lookup = cJSON_GetObjectItemCaseSensitive(b, "lookupField");
    const cJSON *part = cJSON_GetObjectItemCaseSensitive(b, "partitionName");
    if (!cJSON_IsString(program) || !program->valuestring[0]) {
        emu_fail(resp, "701", "programName cannot be blank");
        return;
    }
    if (!cJSON_IsArray(input) || cJSON_GetArraySize(input) == 0) {
        emu_fail(resp, "701", "input cannot be blank");
        return;
    }
    if (!fam_batch_within(resp, cJSON_GetArraySize(input)))
        return;
    resp->result = cJSON_CreateArray();
    emu_store_wrlock();
    const cJSON *rec;
    cJSON_ArrayForEach(rec, input) {
        /* Push Lead is an upsert without an action; id is not a key here. */
        cJSON *copy = cJSON_Duplicate(rec, 1);
        if (cJSON_IsObject(copy))
            cJSON_DeleteItemFromObjectCaseSensitive(copy, "mktToken");
        cJSON_AddItemToArray(resp->result,
                             emu_lead_sync_one(copy, "createOrUpdate",
                                               cJSON_IsString(lookup) ? lookup->valuestring : NULL,
                                               cJSON_IsString(part) ? part->valuestring : NULL));
        cJSON_Delete(copy);
    }
    emu_store_unlock();
}

const emu_route emu_routes_leads[] = {
    {"GET", "/rest/v1/leads.json", get_leads, true},
    {"POST", "/rest/v1/leads.json", sync_leads, true},
    {"GET", "/rest/v1/lead/{leadId}.json", get_lead, true},
    {"POST", "/rest/v1/leads/delete.json", delete_leads, true},
    {"POST", "/rest/v1/leads/{leadId}/merge.json", merge_leads, true},
    {"POST", "/rest/v1/leads/{leadId}/associate.json", associate, true},
    {"GET", "/rest/v1/leads/partitions.json", get_partitions, true},
    {"POST", "/rest/v1/leads/partitions.json", update_partitions, true},
    {"GET", "/rest/v1/leads/describe.json", describe, true},
    {"GET", "/rest/v1/leads/describe2.json", describe2, true},
    {"GET", "/rest/v1/leads/schema/fields.json", schema_fields, true},
    {"GET", "/rest/v1/leads/schema/fields/{fieldApiName}.json", schema_field_one, true},
    {"POST", "/rest/v1/leads/push.json", push_leads, true},
    {NULL, NULL, NULL, false},
};
