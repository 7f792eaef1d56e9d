/*
 * h_family.c — the toolkit every endpoint family uses (see h_family.h for
 * why it exists).  Functions over requests and cJSON values; only
 * fam_view_by_* take the store lock.
 */
#include "h_family.h"

#include <ctype.h>
#include <errno.h>
#include <inttypes.h>
#include <limits.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/random.h>
#include <time.h>

/* ---- values -------------------------------------------------------------- */

bool fam_parse_i64(const char *s, int64_t *out)
{
    if (!s)
        return false;
    while (isspace((unsigned char)*s))
        s++;
    const char *p = *s == '-' || *s == '+' ? s + 1 : s;
    if (!isdigit((unsigned char)*p))
        return false;
    errno = 0;
    char *end = NULL;
    long long v = strtoll(s, &end, 10);
    while (isspace((unsigned char)*end))
        end++;
    if (errno || *end != '\0')
        return false;
    *out = (int64_t)v;
    return true;
}

bool fam_value_i64(const cJSON *v, int64_t *out)
{
    if (cJSON_IsNumber(v)) {
        double d = v->valuedouble;
        /* Ids are integers; 2^53 is where doubles stop being exact. */
        if (!isfinite(d) || d != floor(d) || fabs(d) > (double)FAM_MAX_ID)
            return false;
        *out = (int64_t)d;
        return true;
    }
    if (cJSON_IsString(v))
        return fam_parse_i64(v->valuestring, out) && *out <= FAM_MAX_ID && *out >= -FAM_MAX_ID;
    return false;
}

bool fam_get_i64(const cJSON *obj, const char *name, int64_t *out)
{
    return fam_value_i64(cJSON_GetObjectItemCaseSensitive(obj, name), out);
}

const char *fam_get_str(const cJSON *obj, const char *name)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(obj, name);
    return cJSON_IsString(v) ? v->valuestring : NULL;
}

bool fam_scalar_text(const cJSON *v, char *buf, size_t n)
{
    if (cJSON_IsString(v)) {
        int k = snprintf(buf, n, "%s", v->valuestring);
        return k >= 0 && (size_t)k < n;
    }
    if (cJSON_IsBool(v)) {
        snprintf(buf, n, "%s", cJSON_IsTrue(v) ? "true" : "false");
        return true;
    }
    if (cJSON_IsNumber(v)) {
        double d = v->valuedouble;
        if (!isfinite(d))
            return false;
        if (d == floor(d) && fabs(d) < 9007199254740992.0)
            snprintf(buf, n, "%" PRId64, (int64_t)d);
        else
            snprintf(buf, n, "%.17g", d);
        return true;
    }
    return false;
}

const char *fam_scalar_str(const cJSON *v, char buf[FAM_SCALAR_BUF])
{
    if (cJSON_IsString(v))
        return v->valuestring;
    return fam_scalar_text(v, buf, FAM_SCALAR_BUF) ? buf : NULL;
}

bool fam_parse_time(const char *s, int64_t *epoch)
{
    int64_t ms;
    if (!emu_parse_iso(s, &ms))
        return false;
    /* Whole seconds, rounding down also before 1970. */
    *epoch = ms >= 0 ? ms / 1000 : -((-ms + 999) / 1000);
    return true;
}

/* ---- comma-separated values ---------------------------------------------- */

void fam_strlist_split(fam_strlist *l, const char *csv)
{
    l->buf = strdup(csv ? csv : "");
    l->n = 0;
    /* Items are at most (commas + 1). */
    size_t cap = 1;
    for (const char *c = l->buf; c && *c; c++)
        cap += *c == ',';
    l->v = l->buf ? malloc(cap * sizeof *l->v) : NULL;
    if (!l->v)
        return;
    for (char *t = l->buf;;) {
        char *comma = strchr(t, ',');
        if (comma)
            *comma = '\0';
        while (isspace((unsigned char)*t))
            t++;
        char *e = t + strlen(t);
        while (e > t && isspace((unsigned char)e[-1]))
            *--e = '\0';
        if (*t)
            l->v[l->n++] = t;
        if (!comma)
            break;
        t = comma + 1;
    }
}

void fam_strlist_free(fam_strlist *l)
{
    free(l->buf);
    free(l->v);
    l->buf = NULL;
    l->v = NULL;
    l->n = 0;
}

cJSON *fam_split(const char *csv)
{
    cJSON *arr = cJSON_CreateArray();
    fam_strlist l;
    fam_strlist_split(&l, csv);
    for (int i = 0; i < l.n; i++)
        cJSON_AddItemToArray(arr, cJSON_CreateString(l.v[i]));
    fam_strlist_free(&l);
    return arr;
}

bool fam_list_has(const cJSON *arr, const char *s, bool nocase)
{
    const cJSON *it;
    if (!s)
        return false;
    cJSON_ArrayForEach(it, arr) {
        if (!cJSON_IsString(it))
            continue;
        if (nocase ? strcasecmp(it->valuestring, s) == 0
                   : strcmp(it->valuestring, s) == 0)
            return true;
    }
    return false;
}

/* ---- request parameters -------------------------------------------------- */

const char *fam_param_required(const emu_req *r, emu_resp *resp, const char *name)
{
    const char *v = emu_param(r, name);
    if (v && *v)
        return v;
    emu_fail(resp, "701", "%s cannot be blank", name);
    return NULL;
}

bool fam_capture_i64(const emu_req *r, emu_resp *resp, int64_t *id)
{
    const char *s = r->ncaptures > 0 ? r->captures[0] : NULL;
    if (!fam_parse_i64(s, id)) {
        emu_fail(resp, "1001", "Invalid value '%.64s'. Required of type 'integer'", s ? s : "");
        return false;
    }
    return true;
}

bool fam_param_ids(const emu_req *r, emu_resp *resp, const char *name, int max,
                   int64_t **ids, int *n)
{
    *ids = NULL;
    *n = 0;
    fam_strlist l;
    fam_strlist_split(&l, emu_param_list(r, name));
    bool ok = true;
    if (l.n && !(*ids = malloc((size_t)l.n * sizeof **ids))) {
        emu_fail(resp, "611", "System error");
        ok = false;
    }
    for (int i = 0; ok && i < l.n; i++) {
        if (!fam_parse_i64(l.v[i], &(*ids)[i])) {
            emu_fail(resp, "1001", "Invalid value '%.64s'. Required of type 'integer'", l.v[i]);
            ok = false;
        } else if (max > 0 && i == max) {
            emu_fail(resp, "1003", "Number of %s exceeds max allowed '%d'", name, max);
            ok = false;
        }
    }
    if (ok) {
        *n = l.n;
    } else {
        free(*ids);
        *ids = NULL;
    }
    fam_strlist_free(&l);
    return ok;
}

bool fam_param_bool(const emu_req *r, emu_resp *resp, const char *name, bool *out)
{
    const char *v = emu_param(r, name);
    *out = false;
    if (!v || !strcasecmp(v, "false"))
        return true;
    if (!strcasecmp(v, "true")) {
        *out = true;
        return true;
    }
    emu_fail(resp, "1001", "Invalid value '%.32s'. Required of type 'boolean'", v);
    return false;
}

bool fam_param_folder(const emu_req *r, emu_resp *resp, cJSON **folder, int64_t *id)
{
    const char *v = emu_param(r, "folder");
    *folder = NULL;
    *id = 0;
    if (!v || !*v)
        return true;
    cJSON *f = cJSON_Parse(v);
    if (!cJSON_IsObject(f) || !fam_get_i64(f, "id", id)) {
        cJSON_Delete(f);
        emu_fail(resp, "1003", "Invalid folder: expected {\"id\":…,\"type\":…}");
        return false;
    }
    *folder = f;
    return true;
}

bool fam_param_updated(const emu_req *r, emu_resp *resp, fam_updated *w)
{
    const char *e = emu_param(r, "earliestUpdatedAt");
    const char *l = emu_param(r, "latestUpdatedAt");
    *w = (fam_updated){.has_earliest = e && *e, .has_latest = l && *l};
    if ((w->has_earliest && !fam_parse_time(e, &w->earliest)) ||
        (w->has_latest && !fam_parse_time(l, &w->latest))) {
        emu_fail(resp, "704", "Invalid date format");
        return false;
    }
    return true;
}

bool fam_updated_within(const fam_updated *w, const cJSON *rec)
{
    if (!w->has_earliest && !w->has_latest)
        return true;
    int64_t up;
    const char *u = fam_get_str(rec, "updatedAt");
    return u && fam_parse_time(u, &up) && (!w->has_earliest || up >= w->earliest) &&
           (!w->has_latest || up <= w->latest);
}

static cJSON *split_param(const emu_req *r, const char *name)
{
    const char *v = emu_param_list(r, name);
    return v ? fam_split(v) : NULL;
}

bool fam_filter_parse(const emu_req *r, emu_resp *resp, fam_filter *f)
{
    *f = (fam_filter){.by_id = emu_param(r, "id") != NULL};
    if (!fam_param_ids(r, resp, "id", 0, &f->ids, &f->nids))
        return false;
    f->names = split_param(r, "name");
    f->programs = split_param(r, "programName");
    f->workspaces = split_param(r, "workspaceName");
    return true;
}

bool fam_filter_match(const fam_filter *f, const cJSON *rec)
{
    if (f->by_id) {
        int64_t id = 0;
        fam_get_i64(rec, "id", &id);
        bool hit = false;
        for (int i = 0; i < f->nids && !hit; i++)
            hit = f->ids[i] == id;
        if (!hit)
            return false;
    }
    return (!f->names || fam_list_has(f->names, fam_get_str(rec, "name"), true)) &&
           (!f->programs || fam_list_has(f->programs, fam_get_str(rec, "programName"), true)) &&
           (!f->workspaces || fam_list_has(f->workspaces, fam_get_str(rec, "workspaceName"), true));
}

void fam_filter_free(fam_filter *f)
{
    free(f->ids);
    cJSON_Delete(f->names);
    cJSON_Delete(f->programs);
    cJSON_Delete(f->workspaces);
    *f = (fam_filter){0};
}

cJSON *fam_lead_ids(const emu_req *r, emu_resp *resp, int max)
{
    cJSON *ids = cJSON_CreateArray();
    int64_t *q;
    int nq;
    if (!fam_param_ids(r, resp, "id", 0, &q, &nq)) {
        cJSON_Delete(ids);
        return NULL;
    }
    if (emu_param(r, "id")) {
        for (int i = 0; i < nq; i++) {
            /* Beyond 2^53 no id can exist, and doubles would not hold it. */
            if (q[i] > FAM_MAX_ID || q[i] < -FAM_MAX_ID) {
                emu_fail(resp, "1001", "Invalid value '%" PRId64 "'. Required of type 'integer'",
                         q[i]);
                free(q);
                cJSON_Delete(ids);
                return NULL;
            }
            cJSON_AddItemToArray(ids, cJSON_CreateNumber((double)q[i]));
        }
        free(q);
    } else if (r->json || (r->body && r->body_len)) {
        const cJSON *body = fam_json_body(r, resp);
        if (!body) {
            cJSON_Delete(ids);
            return NULL;
        }
        const cJSON *input = cJSON_GetObjectItemCaseSensitive(body, "input");
        if (input && !cJSON_IsArray(input)) {
            emu_fail(resp, "1003", "input must be an array");
            cJSON_Delete(ids);
            return NULL;
        }
        const cJSON *it;
        cJSON_ArrayForEach(it, input) {
            int64_t v;
            if (!fam_get_i64(it, "id", &v)) {
                emu_fail(resp, "1001", "Invalid value for 'id'. Required of type 'integer'");
                cJSON_Delete(ids);
                return NULL;
            }
            cJSON_AddItemToArray(ids, cJSON_CreateNumber((double)v));
        }
    }
    int n = cJSON_GetArraySize(ids);
    if (n == 0) {
        emu_fail(resp, "701", "id cannot be blank");
        cJSON_Delete(ids);
        return NULL;
    }
    if (n > max) {
        emu_fail(resp, "1003", "Too many ids: at most %d per call", max);
        cJSON_Delete(ids);
        return NULL;
    }
    return ids;
}

/* ---- paging -------------------------------------------------------------- */

/* A parameter from the query/form, falling back to a JSON body member (the
 * compound-key POST ?_method=GET carries batchSize/nextPageToken there). */
static bool param_or_body(const emu_req *r, const cJSON *body, const char *name,
                          char *buf, size_t n, const char **out)
{
    const char *q = emu_param(r, name);
    if (q) {
        *out = q;
        return true;
    }
    const cJSON *v = body ? cJSON_GetObjectItemCaseSensitive(body, name) : NULL;
    if (!v || cJSON_IsNull(v)) {
        *out = NULL;
        return true;
    }
    if (!fam_scalar_text(v, buf, n))
        return false;
    *out = buf;
    return true;
}

bool fam_batch_size(const emu_req *r, const cJSON *body, emu_resp *resp, int *out)
{
    char buf[64];
    const char *s;
    int64_t v;
    if (!param_or_body(r, body, "batchSize", buf, sizeof buf, &s) ||
        (s && (!fam_parse_i64(s, &v) || v < 1 || v > FAM_MAX_BATCH))) {
        emu_fail(resp, "1003", "Invalid batchSize: must be an integer from 1 to %d",
                 FAM_MAX_BATCH);
        return false;
    }
    *out = s ? (int)v : FAM_MAX_BATCH;
    return true;
}

bool fam_page_offset(const emu_req *r, const cJSON *body, emu_resp *resp,
                     int64_t *offset)
{
    char buf[512];
    const char *s;
    *offset = 0;
    if (!param_or_body(r, body, "nextPageToken", buf, sizeof buf, &s)) {
        emu_fail(resp, "1003", "Invalid nextPageToken");
        return false;
    }
    if (!s || !*s)
        return true;
    if (!emu_page_token_decode(s, offset) || *offset < 0) {
        emu_fail(resp, "1003", "Invalid nextPageToken");
        return false;
    }
    return true;
}

bool fam_batch_within(emu_resp *resp, int n)
{
    if (n <= FAM_MAX_BATCH)
        return true;
    emu_fail(resp, "1003", "Batch size '%d' exceeds max allowed '%d'", n, FAM_MAX_BATCH);
    return false;
}

bool fam_asset_paging(const emu_req *r, emu_resp *resp, int *max_return,
                      int64_t *offset)
{
    const char *m = emu_param(r, "maxReturn");
    const char *o = emu_param(r, "offset");
    int64_t v;
    *max_return = FAM_ASSET_DEFAULT_RETURN;
    *offset = 0;
    if (m && *m) {
        if (!fam_parse_i64(m, &v) || v < 1 || v > FAM_ASSET_MAX_RETURN) {
            emu_fail(resp, "1003", "maxReturn must be an integer from 1 to %d",
                     FAM_ASSET_MAX_RETURN);
            return false;
        }
        *max_return = (int)v;
    }
    if (o && *o) {
        if (!fam_parse_i64(o, &v) || v < 0) {
            emu_fail(resp, "1003", "offset must be a non-negative integer");
            return false;
        }
        *offset = v;
    }
    return true;
}

fam_page fam_page_start(int64_t offset, int limit)
{
    return (fam_page){.offset = offset, .limit = limit};
}

bool fam_page_skip(fam_page *pg)
{
    if (pg->pos >= pg->offset)
        return false;
    pg->pos++;
    return true;
}

bool fam_page_add(fam_page *pg)
{
    if (pg->n == pg->limit) {
        pg->more = true;
        return false;
    }
    pg->pos++;
    pg->n++;
    return true;
}

void fam_set_page(emu_resp *resp, int64_t next_offset, bool more, bool with_more)
{
    if (more)
        resp->next_page_token = emu_page_token_encode(next_offset);
    if (with_more)
        resp->more_result = more ? 1 : 0;
}

/* ---- bodies -------------------------------------------------------------- */

static bool is_json_type(const char *ct)
{
    return ct && strncasecmp(ct, "application/json", 16) == 0;
}

const cJSON *fam_json_body(const emu_req *r, emu_resp *resp)
{
    /* Every documented body is an object; anything else cannot be read as
     * the request, which Marketo reports as invalid JSON. */
    if (r->json && !cJSON_IsObject(r->json)) {
        emu_fail(resp, "609", "Invalid JSON");
        return NULL;
    }
    if (r->json)
        return r->json;
    if (!r->body || r->body_len == 0) {
        emu_fail(resp, "701", "input cannot be blank");
        return NULL;
    }
    if (!is_json_type(r->content_type)) {
        emu_fail(resp, "612", "Invalid Content Type");
        return NULL;
    }
    emu_fail(resp, "609", "Invalid JSON");
    return NULL;
}

/* ---- answers ------------------------------------------------------------- */

cJSON *fam_view_by_id(const char *collection, int64_t id, cJSON *(*view)(const cJSON *))
{
    emu_store_rdlock();
    const cJSON *r = fam_find_i64(emu_store_get(collection), "id", id);
    cJSON *v = r ? view(r) : NULL;
    emu_store_unlock();
    return v;
}

cJSON *fam_view_by_name(const char *collection, const char *member, const char *name,
                        cJSON *(*view)(const cJSON *))
{
    emu_store_rdlock();
    const cJSON *r = fam_find_str(emu_store_get(collection), member, name, true);
    cJSON *v = r ? view(r) : NULL;
    emu_store_unlock();
    return v;
}

void fam_answer_record(emu_resp *resp, cJSON *view)
{
    if (!view) {
        emu_fail(resp, "1013", "Object not found");
        return;
    }
    resp->result = cJSON_CreateArray();
    cJSON_AddItemToArray(resp->result, view);
}

void fam_asset_answer(emu_resp *resp, cJSON *items)
{
    if (cJSON_GetArraySize(items) == 0) {
        cJSON_Delete(items);
        fam_asset_empty(resp);
        return;
    }
    resp->result = items;
}

void fam_asset_record(emu_resp *resp, cJSON *view)
{
    cJSON *items = cJSON_CreateArray();
    if (view)
        cJSON_AddItemToArray(items, view);
    fam_asset_answer(resp, items);
}

void fam_asset_empty(emu_resp *resp)
{
    cJSON_Delete(resp->result);
    resp->result = NULL;
    if (!resp->warnings)
        resp->warnings = cJSON_CreateArray();
    cJSON_AddItemToArray(resp->warnings, cJSON_CreateString(FAM_ASSET_EMPTY_WARNING));
}

cJSON *fam_status(cJSON *result, const char *key, int64_t value, const char *status)
{
    cJSON *item = cJSON_CreateObject();
    if (key)
        emu_add_i64(item, key, value);
    cJSON_AddStringToObject(item, "status", status);
    if (result)
        cJSON_AddItemToArray(result, item);
    return item;
}

cJSON *fam_skip(cJSON *result, const char *key, int64_t value, const char *code,
                const char *message)
{
    cJSON *item = fam_status(result, key, value, "skipped");
    cJSON *reasons = cJSON_AddArrayToObject(item, "reasons");
    cJSON *reason = cJSON_CreateObject();
    cJSON_AddStringToObject(reason, "code", code);
    cJSON_AddStringToObject(reason, "message", message);
    cJSON_AddItemToArray(reasons, reason);
    return item;
}

cJSON *fam_attr(const char *name, cJSON *value)
{
    cJSON *a = cJSON_CreateObject();
    cJSON_AddStringToObject(a, "name", name);
    cJSON_AddItemToObject(a, "value", value);
    return a;
}

/* ---- records ------------------------------------------------------------- */

cJSON *fam_project(const cJSON *rec, const cJSON *fields, const char *always)
{
    cJSON *out = cJSON_CreateObject();
    fam_project_into(out, rec, fields, always);
    return out;
}

void fam_project_into(cJSON *out, const cJSON *rec, const cJSON *fields, const char *always)
{
    if (always) {
        const cJSON *v = cJSON_GetObjectItem(rec, always);
        cJSON_AddItemToObject(out, v ? v->string : always,
                              v ? cJSON_Duplicate(v, true) : cJSON_CreateNull());
    }
    const cJSON *f;
    cJSON_ArrayForEach(f, fields) {
        if (!cJSON_IsString(f))
            continue;
        const cJSON *v = cJSON_GetObjectItem(rec, f->valuestring); /* case-insensitive */
        const char *key = v ? v->string : f->valuestring;
        if (cJSON_GetObjectItem(out, key))
            continue; /* asked twice, or the always-field again */
        cJSON_AddItemToObject(out, key, v ? cJSON_Duplicate(v, true) : cJSON_CreateNull());
    }
}

cJSON *fam_find_i64(const cJSON *arr, const char *name, int64_t id)
{
    cJSON *it;
    cJSON_ArrayForEach(it, arr) {
        int64_t v;
        if (fam_get_i64(it, name, &v) && v == id)
            return it;
    }
    return NULL;
}

cJSON *fam_find_str(const cJSON *arr, const char *name, const char *s, bool nocase)
{
    cJSON *it;
    if (!s)
        return NULL;
    cJSON_ArrayForEach(it, arr) {
        const char *v = fam_get_str(it, name);
        if (v && (nocase ? strcasecmp(v, s) == 0 : strcmp(v, s) == 0))
            return it;
    }
    return NULL;
}

void fam_new_guid(char out[37])
{
    unsigned char b[16];
    size_t got = 0;
    while (got < sizeof b) {
        ssize_t k = getrandom(b + got, sizeof b - got, 0);
        if (k <= 0) {
            /* Never fails on Linux ≥ 3.17 for 16 bytes; fall back to the
             * clock so a GUID is still produced rather than garbage. */
            struct timespec ts;
            clock_gettime(CLOCK_REALTIME, &ts);
            for (size_t i = got; i < sizeof b; i++)
                b[i] = (unsigned char)((ts.tv_nsec >> ((i % 4) * 8)) ^ (i * 131));
            break;
        }
        got += (size_t)k;
    }
    b[6] = (unsigned char)((b[6] & 0x0f) | 0x40); /* version 4 */
    b[8] = (unsigned char)((b[8] & 0x3f) | 0x80); /* RFC 4122 variant */
    snprintf(out, 37,
             "%02x%02x%02x%02x-%02x%02x-%02x%02x-%02x%02x-%02x%02x%02x%02x%02x%02x",
             b[0], b[1], b[2], b[3], b[4], b[5], b[6], b[7], b[8], b[9], b[10],
             b[11], b[12], b[13], b[14], b[15]);
}
