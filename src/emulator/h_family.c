/*
 * h_family.c — helpers shared by the non-lead endpoint families (see
 * h_family.h for why they exist).  Pure functions over requests and cJSON
 * values; none of them takes the store lock.
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

bool fam_parse_i64(const char *s, int64_t *out)
{
    if (!s || !*s)
        return false;
    const char *p = s;
    if (*p == '-')
        p++;
    if (!isdigit((unsigned char)*p))
        return false;
    errno = 0;
    char *end = NULL;
    long long v = strtoll(s, &end, 10);
    if (errno || *end != '\0')
        return false;
    *out = (int64_t)v;
    return true;
}

bool fam_get_i64(const cJSON *obj, const char *name, int64_t *out)
{
    return fam_value_i64(cJSON_GetObjectItemCaseSensitive(obj, name), out);
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

const char *fam_get_str(const cJSON *obj, const char *name)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(obj, name);
    return cJSON_IsString(v) ? v->valuestring : NULL;
}

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

void fam_set_page(emu_resp *resp, int64_t next_offset, bool more, bool with_more)
{
    if (more)
        resp->next_page_token = emu_page_token_encode(next_offset);
    if (with_more)
        resp->more_result = more ? 1 : 0;
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

void fam_asset_empty(emu_resp *resp)
{
    cJSON_Delete(resp->result);
    resp->result = NULL;
    if (!resp->warnings)
        resp->warnings = cJSON_CreateArray();
    cJSON_AddItemToArray(resp->warnings, cJSON_CreateString(FAM_ASSET_EMPTY_WARNING));
}

cJSON *fam_split(const char *csv)
{
    cJSON *arr = cJSON_CreateArray();
    if (!csv)
        return arr;
    const char *p = csv;
    while (*p) {
        const char *comma = strchr(p, ',');
        size_t len = comma ? (size_t)(comma - p) : strlen(p);
        const char *b = p, *e = p + len;
        while (b < e && isspace((unsigned char)*b))
            b++;
        while (e > b && isspace((unsigned char)e[-1]))
            e--;
        if (e > b) {
            char *s = strndup(b, (size_t)(e - b));
            if (s) {
                cJSON_AddItemToArray(arr, cJSON_CreateString(s));
                free(s);
            }
        }
        if (!comma)
            break;
        p = comma + 1;
    }
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

cJSON *fam_lead_ids(const emu_req *r, emu_resp *resp, int max)
{
    cJSON *ids = cJSON_CreateArray();
    const char *q = emu_param_list(r, "id");
    if (q) {
        cJSON *parts = fam_split(q);
        const cJSON *it;
        cJSON_ArrayForEach(it, parts) {
            int64_t v;
            /* Beyond 2^53 no id can exist, and doubles would not hold it. */
            if (!fam_parse_i64(it->valuestring, &v) || v > FAM_MAX_ID || v < -FAM_MAX_ID) {
                emu_fail(resp, "1001", "Invalid value '%.64s'. Required of type 'integer'",
                         it->valuestring);
                cJSON_Delete(parts);
                cJSON_Delete(ids);
                return NULL;
            }
            cJSON_AddItemToArray(ids, cJSON_CreateNumber((double)v));
        }
        cJSON_Delete(parts);
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

cJSON *fam_skip(cJSON *result, const char *key, int64_t value, const char *code,
                const char *message)
{
    cJSON *item = cJSON_CreateObject();
    cJSON_AddNumberToObject(item, key, (double)value);
    cJSON_AddStringToObject(item, "status", "skipped");
    cJSON *reasons = cJSON_AddArrayToObject(item, "reasons");
    cJSON *reason = cJSON_CreateObject();
    cJSON_AddStringToObject(reason, "code", code);
    cJSON_AddStringToObject(reason, "message", message);
    cJSON_AddItemToArray(reasons, reason);
    cJSON_AddItemToArray(result, item);
    return item;
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

static bool digits(const char *p, int n, int *out)
{
    int v = 0;
    for (int i = 0; i < n; i++) {
        if (!isdigit((unsigned char)p[i]))
            return false;
        v = v * 10 + (p[i] - '0');
    }
    *out = v;
    return true;
}

bool fam_parse_time(const char *s, int64_t *epoch)
{
    int Y, M, D, h = 0, m = 0, sec = 0;
    if (!s || strlen(s) < 10 || !digits(s, 4, &Y) || s[4] != '-' ||
        !digits(s + 5, 2, &M) || s[7] != '-' || !digits(s + 8, 2, &D))
        return false;
    const char *p = s + 10;
    if (*p == 'T' || *p == ' ') {
        p++;
        if (!digits(p, 2, &h) || p[2] != ':' || !digits(p + 3, 2, &m))
            return false;
        p += 5;
        if (*p == ':') {
            if (!digits(p + 1, 2, &sec))
                return false;
            p += 3;
            if (*p == '.') {
                p++;
                if (!isdigit((unsigned char)*p))
                    return false;
                while (isdigit((unsigned char)*p))
                    p++;
            }
        }
    }
    long off = 0;
    if (*p == 'Z') {
        p++;
        if (strcmp(p, "+0000") == 0) /* "Z+0000", as some Asset APIs print */
            p += 5;
    } else if (*p == '+' || *p == '-') {
        int oh, om = 0, sign = *p == '-' ? -1 : 1;
        p++;
        if (!digits(p, 2, &oh))
            return false;
        p += 2;
        if (*p == ':')
            p++;
        if (*p) {
            if (!digits(p, 2, &om))
                return false;
            p += 2;
        }
        off = sign * (oh * 3600L + om * 60L);
    }
    if (*p || M < 1 || M > 12 || D < 1 || D > 31 || h > 23 || m > 59 || sec > 60)
        return false;
    struct tm tm = {0};
    tm.tm_year = Y - 1900;
    tm.tm_mon = M - 1;
    tm.tm_mday = D;
    tm.tm_hour = h;
    tm.tm_min = m;
    tm.tm_sec = sec;
    time_t t = timegm(&tm);
    if (t == (time_t)-1)
        return false;
    *epoch = (int64_t)t - off;
    return true;
}
