/*
 * mapping.c — loads, validates and answers lookups on the JSON tables in mapping/.
 *
 * Every table is checked against a small member schema (unknown members
 * are errors, so a typo cannot silently switch something off), then
 * against its own rules (known operation names exactly once, known key
 * types, fault codes that exist ...).  Strings handed out point into the
 * parsed cJSON trees, which the mapping keeps until mk_mapping_free().
 * After loading nothing changes (mk_mapping_set_op_status aside, which is
 * for start-up), so lookups take no locks.
 */
#include "mapping.h"

#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <cjson/cJSON.h>

#include "base/datapath.h"
#include "mk_operations.h"

#define MAX_TABLE_BYTES (4 * 1024 * 1024)

/* The operations of the mktows WSDL and their families come from the
 * generated table (cmake/operations.cmake checks operations.json against
 * the WSDL at build time); the loader checks the table read at run time
 * against the same list (mk_operations.h). */

/* SOAP LeadKeyRef. */
static const char *const lead_key_types[] = {
    "IDNUM", "COOKIE", "EMAIL", "LEADOWNEREMAIL", "SFDCACCOUNTID", "SFDCCONTACTID",
    "SFDCLEADID", "SFDCLEADOWNERID", "SFDCOPPTYID", NULL,
};

/* Status groups the handlers ask for. */
static const char *const status_groups[] = {
    "lead_sync", "mobject_sync", "mobject_delete", "customobject_sync",
    "customobject_delete", "list_add", "list_remove", "list_ismember", "import_status",
    "sync_operation", NULL,
};

static const char *const error_sources[] = {"api", "http", "auth", "transport", "timeout", NULL};
static const char *const retry_names[] = {"no", "reauth", "backoff", "after_reset", NULL};
static const char *const error_contexts[] = {
    "lead", "list", "campaign", "program", "mobject", "customobject", "import", NULL,
};

/* ---- the loaded mapping ------------------------------------------------ */

typedef struct status_entry {
    const char *rest;
    const char *soap;
    int reason;          /* 0: any */
} status_entry;

typedef struct status_group {
    const char *name;
    status_entry *v;
    size_t n;
} status_group;

typedef struct error_context {
    const char *name;
    int soap;
} error_context;

typedef struct error_entry {
    int source;          /* mk_mapping_err_source */
    int code;
    int soap;
    int retry;
    const char *note;
    error_context *ctx;
    size_t nctx;
} error_entry;

struct mk_mapping {
    cJSON *docs[5];

    mk_mapping_op *ops;
    size_t nops;
    mk_mapping_rest_call *calls;     /* all ops' calls, one block */
    const char **strings;            /* differences and lookup actions, one block */

    mk_mapping_lead_key *keys;
    size_t nkeys;

    status_group *groups;
    size_t ngroups;

    error_entry *errors;
    size_t nerrors;
    error_entry dflt;

    mk_mapping_field *fields;
    size_t nfields;
};

/* ---- messages ---------------------------------------------------------- */

typedef struct ctx {
    char *err;
    size_t errlen;
    const char *file;    /* path as shown in messages */
} ctx;

static int fail(ctx *c, const char *entry, const char *fmt, ...)
{
    if (c->err && c->errlen) {
        char msg[512];
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(msg, sizeof msg, fmt, ap);
        va_end(ap);
        if (entry && entry[0])
            snprintf(c->err, c->errlen, "%s: %s: %s", c->file, entry, msg);
        else
            snprintf(c->err, c->errlen, "%s: %s", c->file, msg);
    }
    return -1;
}

/* "operations[3] (syncLead)" */
static void entry_name(char *buf, size_t len, const char *array, size_t i, const cJSON *obj,
                       const char *key)
{
    const cJSON *n = cJSON_GetObjectItemCaseSensitive(obj, key);
    if (cJSON_IsString(n))
        snprintf(buf, len, "%s[%zu] (%s)", array, i, n->valuestring);
    else
        snprintf(buf, len, "%s[%zu]", array, i);
}

/* ---- schema checking --------------------------------------------------- */

enum { T_STR = 1, T_INT, T_BOOL, T_ARR, T_OBJ, T_INT_OR_NULL };
enum { OPT = 0, REQ = 1 };

typedef struct member_spec {
    const char *name;
    int type;
    int required;
} member_spec;

static int is_int(const cJSON *it)
{
    return cJSON_IsNumber(it) && it->valuedouble >= -2147483648.0 &&
           it->valuedouble <= 2147483647.0 && it->valuedouble == (double)(int)it->valuedouble;
}

static const char *type_name(int t)
{
    switch (t) {
    case T_STR: return "a string";
    case T_INT: return "an integer";
    case T_BOOL: return "true or false";
    case T_ARR: return "an array";
    case T_OBJ: return "an object";
    case T_INT_OR_NULL: return "an integer or null";
    }
    return "?";
}

static int type_ok(const cJSON *it, int t)
{
    switch (t) {
    case T_STR: return cJSON_IsString(it);
    case T_INT: return is_int(it);
    case T_BOOL: return cJSON_IsBool(it);
    case T_ARR: return cJSON_IsArray(it);
    case T_OBJ: return cJSON_IsObject(it);
    case T_INT_OR_NULL: return cJSON_IsNull(it) || is_int(it);
    }
    return 0;
}

static int check_members(ctx *c, const char *entry, const cJSON *obj, const member_spec *spec)
{
    if (!cJSON_IsObject(obj))
        return fail(c, entry, "must be an object");
    for (const cJSON *m = obj->child; m; m = m->next) {
        const member_spec *s = spec;
        while (s->name && strcmp(s->name, m->string) != 0)
            s++;
        if (!s->name)
            return fail(c, entry, "unknown member \"%s\"", m->string);
        if (!type_ok(m, s->type))
            return fail(c, entry, "\"%s\" must be %s", m->string, type_name(s->type));
        for (const cJSON *d = m->next; d; d = d->next)
            if (strcmp(d->string, m->string) == 0)
                return fail(c, entry, "member \"%s\" appears twice", m->string);
    }
    for (const member_spec *s = spec; s->name; s++)
        if (s->required && !cJSON_GetObjectItemCaseSensitive(obj, s->name))
            return fail(c, entry, "missing member \"%s\"", s->name);
    return 0;
}

static const char *str(const cJSON *obj, const char *name)
{
    const cJSON *it = cJSON_GetObjectItemCaseSensitive(obj, name);
    return cJSON_IsString(it) ? it->valuestring : NULL;
}

static int nonempty_str(ctx *c, const char *entry, const cJSON *obj, const char *name,
                        const char **out)
{
    const char *s = str(obj, name);
    if (!s || !s[0])
        return fail(c, entry, "\"%s\" must be a non-empty string", name);
    *out = s;
    return 0;
}

static int in_list(const char *s, const char *const *list)
{
    for (; s && *list; list++)
        if (strcmp(s, *list) == 0)
            return 1;
    return 0;
}

static int list_index(const char *s, const char *const *list)
{
    for (int i = 0; s && list[i]; i++)
        if (strcmp(s, list[i]) == 0)
            return i;
    return -1;
}

/* ---- reading a file ---------------------------------------------------- */

static int read_doc(ctx *c, const char *path, cJSON **out)
{
    FILE *f = fopen(path, "rb");
    if (!f)
        return fail(c, NULL, "cannot open the file");
    char *buf = malloc(MAX_TABLE_BYTES + 1);
    if (!buf) {
        fclose(f);
        return fail(c, NULL, "out of memory");
    }
    size_t n = fread(buf, 1, MAX_TABLE_BYTES + 1, f);
    int rerr = ferror(f);
    fclose(f);
    if (rerr || n > MAX_TABLE_BYTES) {
        free(buf);
        return fail(c, NULL, rerr ? "read error" : "file larger than 4 MB");
    }
    const char *end = NULL;
    cJSON *doc = cJSON_ParseWithLengthOpts(buf, n, &end, 0);
    if (!doc) {
        size_t pos = end && end >= buf && end <= buf + n ? (size_t)(end - buf) : 0;
        int line = 1, col = 1;
        for (size_t i = 0; i < pos; i++) {
            if (buf[i] == '\n') {
                line++;
                col = 1;
            } else {
                col++;
            }
        }
        free(buf);
        return fail(c, NULL, "invalid JSON near line %d, column %d", line, col);
    }
    free(buf);
    if (!cJSON_IsObject(doc)) {
        cJSON_Delete(doc);
        return fail(c, NULL, "top level must be an object");
    }
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(doc, "version");
    if (!is_int(v) || v->valueint != 1) {
        cJSON_Delete(doc);
        return fail(c, NULL, "\"version\" must be 1");
    }
    *out = doc;
    return 0;
}

/* ---- operations.json --------------------------------------------------- */

static int load_operations(ctx *c, mk_mapping *m, const cJSON *doc)
{
    static const member_spec top[] = {
        {"about", T_STR, OPT}, {"version", T_INT, REQ}, {"operations", T_ARR, REQ}, {NULL, 0, 0}};
    static const member_spec op_spec[] = {
        {"name", T_STR, REQ},    {"family", T_STR, REQ}, {"handler", T_STR, REQ},
        {"status", T_STR, REQ},  {"summary", T_STR, REQ}, {"rest", T_ARR, REQ},
        {"response_nil", T_BOOL, OPT},   /* read by the build (cmake/operations.cmake) */
        {"calls", T_OBJ, REQ},   {"differences", T_ARR, REQ}, {NULL, 0, 0}};
    static const member_spec call_spec[] = {
        {"method", T_STR, REQ}, {"path", T_STR, REQ}, {"purpose", T_STR, REQ},
        {"when", T_STR, OPT},   {NULL, 0, 0}};
    static const member_spec calls_spec[] = {
        {"min", T_INT, REQ}, {"typical", T_INT, REQ}, {"max", T_INT_OR_NULL, REQ},
        {"note", T_STR, OPT}, {NULL, 0, 0}};

    if (check_members(c, NULL, doc, top) != 0)
        return -1;
    const cJSON *arr = cJSON_GetObjectItemCaseSensitive(doc, "operations");
    size_t nops = (size_t)cJSON_GetArraySize(arr), ncalls = 0, nstr = 0;
    for (const cJSON *o = arr->child; o; o = o->next) {
        ncalls += (size_t)cJSON_GetArraySize(cJSON_GetObjectItemCaseSensitive(o, "rest"));
        nstr += (size_t)cJSON_GetArraySize(cJSON_GetObjectItemCaseSensitive(o, "differences"));
    }
    m->ops = calloc(nops ? nops : 1, sizeof *m->ops);
    m->calls = calloc(ncalls ? ncalls : 1, sizeof *m->calls);
    m->strings = calloc(nstr ? nstr : 1, sizeof *m->strings);
    if (!m->ops || !m->calls || !m->strings)
        return fail(c, NULL, "out of memory");

    size_t i = 0, ci = 0, si = 0;
    char entry[160];
    for (const cJSON *o = arr->child; o; o = o->next, i++) {
        entry_name(entry, sizeof entry, "operations", i, o, "name");
        mk_mapping_op *op = &m->ops[i];
        if (check_members(c, entry, o, op_spec) != 0 ||
            nonempty_str(c, entry, o, "name", &op->name) != 0 ||
            nonempty_str(c, entry, o, "family", &op->family) != 0 ||
            nonempty_str(c, entry, o, "handler", &op->handler) != 0 ||
            nonempty_str(c, entry, o, "summary", &op->summary) != 0)
            return -1;
        if (!mk_mapping_is_wsdl_operation(op->name))
            return fail(c, entry, "\"%s\" is not an operation of the mktows WSDL", op->name);
        for (size_t j = 0; j < i; j++)
            if (strcmp(m->ops[j].name, op->name) == 0)
                return fail(c, entry, "operation \"%s\" appears twice (also operations[%zu])",
                            op->name, j);
        if (!in_list(op->family, mk_operation_families))
            return fail(c, entry, "unknown family \"%s\"", op->family);
        for (const char *h = op->handler; *h; h++)
            if (!((*h >= 'a' && *h <= 'z') || (*h >= '0' && *h <= '9') || *h == '_'))
                return fail(c, entry, "handler \"%s\" is not a C identifier in lower case",
                            op->handler);
        const char *status = str(o, "status");
        if (strcmp(status, "implemented") == 0)
            op->status = MK_MAPPING_IMPLEMENTED;
        else if (strcmp(status, "unsupported") == 0)
            op->status = MK_MAPPING_UNSUPPORTED;
        else
            return fail(c, entry, "status must be \"implemented\" or \"unsupported\", not \"%s\"",
                        status);

        const cJSON *rest = cJSON_GetObjectItemCaseSensitive(o, "rest");
        op->rest = &m->calls[ci];
        size_t k = 0;
        for (const cJSON *r = rest->child; r; r = r->next, k++) {
            char e2[220];
            snprintf(e2, sizeof e2, "%s rest[%zu]", entry, k);
            mk_mapping_rest_call *rc = &m->calls[ci++];
            if (check_members(c, e2, r, call_spec) != 0 ||
                nonempty_str(c, e2, r, "method", &rc->method) != 0 ||
                nonempty_str(c, e2, r, "path", &rc->path) != 0 ||
                nonempty_str(c, e2, r, "purpose", &rc->purpose) != 0)
                return -1;
            rc->when = str(r, "when");
            if (strcmp(rc->method, "GET") != 0 && strcmp(rc->method, "POST") != 0 &&
                strcmp(rc->method, "DELETE") != 0)
                return fail(c, e2, "method must be GET, POST or DELETE, not \"%s\"", rc->method);
            if (strncmp(rc->path, "/rest/", 6) != 0 && strncmp(rc->path, "/bulk/", 6) != 0)
                return fail(c, e2, "path \"%s\" must start with /rest/ or /bulk/", rc->path);
            if (strstr(rc->path, "//") || strchr(rc->path, '?'))
                return fail(c, e2, "path \"%s\" must have no \"//\" and no query", rc->path);
        }
        op->nrest = k;

        const cJSON *calls = cJSON_GetObjectItemCaseSensitive(o, "calls");
        char e3[200];
        snprintf(e3, sizeof e3, "%s calls", entry);
        if (check_members(c, e3, calls, calls_spec) != 0)
            return -1;
        const cJSON *mx = cJSON_GetObjectItemCaseSensitive(calls, "max");
        op->calls_min = cJSON_GetObjectItemCaseSensitive(calls, "min")->valueint;
        op->calls_typical = cJSON_GetObjectItemCaseSensitive(calls, "typical")->valueint;
        op->calls_max = cJSON_IsNull(mx) ? -1 : mx->valueint;
        op->calls_note = str(calls, "note") ? str(calls, "note") : "";
        if (op->calls_min < 0 || op->calls_typical < op->calls_min ||
            (op->calls_max >= 0 && op->calls_max < op->calls_typical))
            return fail(c, e3, "need 0 <= min <= typical <= max");
        if (op->nrest == 0 && op->calls_max != 0)
            return fail(c, e3, "an operation without REST calls must have max 0");

        const cJSON *diffs = cJSON_GetObjectItemCaseSensitive(o, "differences");
        op->differences = &m->strings[si];
        k = 0;
        for (const cJSON *d = diffs->child; d; d = d->next, k++) {
            if (!cJSON_IsString(d) || !d->valuestring[0])
                return fail(c, entry, "differences[%zu] must be a non-empty string", k);
            m->strings[si++] = d->valuestring;
        }
        op->ndifferences = k;
    }
    m->nops = nops;

    for (size_t w = 0; w < MK_OPERATION_COUNT; w++)
        if (!mk_mapping_op_by_name(m, mk_operation_names[w]))
            return fail(c, NULL, "operation \"%s\" is missing", mk_operation_names[w]);
    return 0;
}

/* ---- lead_keys.json ---------------------------------------------------- */

static int load_lead_keys(ctx *c, mk_mapping *m, const cJSON *doc)
{
    static const member_spec top[] = {
        {"about", T_STR, OPT}, {"version", T_INT, REQ}, {"lead_keys", T_ARR, REQ}, {NULL, 0, 0}};
    static const member_spec spec[] = {
        {"soap", T_STR, REQ},           {"supported", T_BOOL, REQ},
        {"filter_type", T_STR, OPT},    {"note", T_STR, OPT},
        {"reason", T_STR, OPT},         {NULL, 0, 0}};

    if (check_members(c, NULL, doc, top) != 0)
        return -1;
    const cJSON *arr = cJSON_GetObjectItemCaseSensitive(doc, "lead_keys");
    size_t n = (size_t)cJSON_GetArraySize(arr);
    m->keys = calloc(n ? n : 1, sizeof *m->keys);
    if (!m->keys)
        return fail(c, NULL, "out of memory");

    size_t i = 0;
    char entry[160];
    for (const cJSON *o = arr->child; o; o = o->next, i++) {
        entry_name(entry, sizeof entry, "lead_keys", i, o, "soap");
        mk_mapping_lead_key *k = &m->keys[i];
        if (check_members(c, entry, o, spec) != 0 ||
            nonempty_str(c, entry, o, "soap", &k->soap) != 0)
            return -1;
        if (!in_list(k->soap, lead_key_types))
            return fail(c, entry, "\"%s\" is not a LeadKeyRef key type", k->soap);
        for (size_t j = 0; j < i; j++)
            if (strcmp(m->keys[j].soap, k->soap) == 0)
                return fail(c, entry, "key type \"%s\" appears twice", k->soap);
        k->supported = cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(o, "supported"));
        k->note = str(o, "note") ? str(o, "note") : "";
        if (k->supported) {
            if (nonempty_str(c, entry, o, "filter_type", &k->filter_type) != 0)
                return -1;
            if (cJSON_GetObjectItemCaseSensitive(o, "reason"))
                return fail(c, entry, "a supported key takes no \"reason\"");
        } else {
            if (nonempty_str(c, entry, o, "reason", &k->reason) != 0)
                return -1;
            if (cJSON_GetObjectItemCaseSensitive(o, "filter_type"))
                return fail(c, entry, "an unsupported key takes no filter_type");
        }
        m->nkeys = i + 1;
    }
    for (const char *const *t = lead_key_types; *t; t++)
        if (!mk_mapping_lead_key_get(m, *t))
            return fail(c, NULL, "key type \"%s\" is missing", *t);
    return 0;
}

/* ---- statuses.json ----------------------------------------------------- */

static int load_statuses(ctx *c, mk_mapping *m, const cJSON *doc)
{
    static const member_spec top[] = {
        {"about", T_STR, OPT}, {"version", T_INT, REQ}, {"groups", T_ARR, REQ}, {NULL, 0, 0}};
    static const member_spec gspec[] = {
        {"name", T_STR, REQ}, {"soap_type", T_STR, REQ}, {"soap_values", T_ARR, REQ},
        {"direction", T_STR, OPT}, {"map", T_ARR, REQ}, {NULL, 0, 0}};
    static const member_spec espec[] = {
        {"rest", T_STR, REQ}, {"soap", T_STR, REQ}, {"reason", T_INT, OPT}, {NULL, 0, 0}};

    if (check_members(c, NULL, doc, top) != 0)
        return -1;
    const cJSON *arr = cJSON_GetObjectItemCaseSensitive(doc, "groups");
    size_t n = (size_t)cJSON_GetArraySize(arr);
    m->groups = calloc(n ? n : 1, sizeof *m->groups);
    if (!m->groups)
        return fail(c, NULL, "out of memory");

    size_t i = 0;
    char entry[160];
    for (const cJSON *o = arr->child; o; o = o->next, i++) {
        entry_name(entry, sizeof entry, "groups", i, o, "name");
        status_group *g = &m->groups[i];
        const char *stype;
        if (check_members(c, entry, o, gspec) != 0 ||
            nonempty_str(c, entry, o, "name", &g->name) != 0 ||
            nonempty_str(c, entry, o, "soap_type", &stype) != 0)
            return -1;
        m->ngroups = i + 1;
        if (!in_list(g->name, status_groups))
            return fail(c, entry, "unknown status group \"%s\"", g->name);
        for (size_t j = 0; j < i; j++)
            if (strcmp(m->groups[j].name, g->name) == 0)
                return fail(c, entry, "group \"%s\" appears twice", g->name);
        const char *dir = str(o, "direction");
        int soap_to_rest = 0;
        if (dir) {
            if (strcmp(dir, "soap_to_rest") == 0)
                soap_to_rest = 1;
            else if (strcmp(dir, "rest_to_soap") != 0)
                return fail(c, entry, "direction must be rest_to_soap or soap_to_rest");
        }
        const cJSON *vals = cJSON_GetObjectItemCaseSensitive(o, "soap_values");
        for (const cJSON *v = vals->child; v; v = v->next)
            if (!cJSON_IsString(v) || !v->valuestring[0])
                return fail(c, entry, "soap_values must be non-empty strings");
        const cJSON *map = cJSON_GetObjectItemCaseSensitive(o, "map");
        size_t ne = (size_t)cJSON_GetArraySize(map);
        if (ne == 0)
            return fail(c, entry, "\"map\" is empty");
        g->v = calloc(ne, sizeof *g->v);
        if (!g->v)
            return fail(c, entry, "out of memory");
        size_t k = 0;
        for (const cJSON *e = map->child; e; e = e->next, k++) {
            char e2[200];
            snprintf(e2, sizeof e2, "%s map[%zu]", entry, k);
            status_entry *se = &g->v[k];
            if (check_members(c, e2, e, espec) != 0 ||
                nonempty_str(c, e2, e, "rest", &se->rest) != 0 ||
                nonempty_str(c, e2, e, "soap", &se->soap) != 0)
                return -1;
            const cJSON *r = cJSON_GetObjectItemCaseSensitive(e, "reason");
            se->reason = r ? r->valueint : 0;
            if (r && se->reason <= 0)
                return fail(c, e2, "reason must be a positive REST code");
            int known = 0;
            for (const cJSON *v = vals->child; v; v = v->next)
                known |= strcmp(v->valuestring, se->soap) == 0;
            if (!known)
                return fail(c, e2, "\"%s\" is not one of the group's soap_values", se->soap);
            for (size_t j = 0; j < k; j++) {
                const status_entry *pe = &g->v[j];
                if (soap_to_rest ? (strcmp(pe->soap, se->soap) == 0 && pe->reason == se->reason)
                                 : (strcmp(pe->rest, se->rest) == 0 && pe->reason == se->reason))
                    return fail(c, e2, "duplicates map[%zu]", j);
            }
            g->n = k + 1;
        }
    }
    for (const char *const *t = status_groups; *t; t++) {
        size_t j = 0;
        while (j < m->ngroups && strcmp(m->groups[j].name, *t) != 0)
            j++;
        if (j == m->ngroups)
            return fail(c, NULL, "status group \"%s\" is missing", *t);
    }
    return 0;
}

/* ---- errors.json ------------------------------------------------------- */

static int load_error_entry(ctx *c, const char *entry, const cJSON *o,
                            error_entry *e, int is_default)
{
    static const member_spec spec[] = {
        {"source", T_STR, REQ}, {"code", T_INT, OPT}, {"soap", T_INT, REQ},
        {"retry", T_STR, REQ},  {"note", T_STR, OPT}, {"context", T_OBJ, OPT}, {NULL, 0, 0}};
    static const member_spec dspec[] = {
        {"soap", T_INT, REQ}, {"retry", T_STR, REQ}, {"note", T_STR, OPT}, {NULL, 0, 0}};

    if (check_members(c, entry, o, is_default ? dspec : spec) != 0)
        return -1;
    e->soap = cJSON_GetObjectItemCaseSensitive(o, "soap")->valueint;
    if (!mk_mapping_fault_text(e->soap))
        return fail(c, entry, "soap code %d is not a Marketo SOAP fault code", e->soap);
    e->retry = list_index(str(o, "retry"), retry_names);
    if (e->retry < 0)
        return fail(c, entry, "retry must be no, reauth, backoff or after_reset");
    e->note = str(o, "note") ? str(o, "note") : "";
    if (is_default)
        return 0;

    e->source = list_index(str(o, "source"), error_sources);
    if (e->source < 0)
        return fail(c, entry, "source must be api, http, auth, transport or timeout");
    const cJSON *code = cJSON_GetObjectItemCaseSensitive(o, "code");
    int needs_code = e->source == MK_MAPPING_SRC_API || e->source == MK_MAPPING_SRC_HTTP;
    if (needs_code && !code)
        return fail(c, entry, "source \"%s\" needs a \"code\"", str(o, "source"));
    if (!needs_code && code)
        return fail(c, entry, "source \"%s\" takes no \"code\"", str(o, "source"));
    e->code = code ? code->valueint : 0;
    if (e->source == MK_MAPPING_SRC_HTTP && (e->code < 100 || e->code > 599))
        return fail(c, entry, "HTTP code %d out of range", e->code);
    if (e->source == MK_MAPPING_SRC_API && e->code <= 0)
        return fail(c, entry, "API code must be positive");

    const cJSON *cx = cJSON_GetObjectItemCaseSensitive(o, "context");
    if (cx) {
        size_t n = (size_t)cJSON_GetArraySize(cx);
        e->ctx = calloc(n ? n : 1, sizeof *e->ctx);
        if (!e->ctx)
            return fail(c, entry, "out of memory");
        for (const cJSON *k = cx->child; k; k = k->next) {
            if (!in_list(k->string, error_contexts))
                return fail(c, entry, "unknown context \"%s\"", k->string);
            if (!is_int(k) || !mk_mapping_fault_text(k->valueint))
                return fail(c, entry, "context \"%s\" must name a Marketo SOAP fault code",
                            k->string);
            e->ctx[e->nctx].name = k->string;
            e->ctx[e->nctx].soap = k->valueint;
            e->nctx++;
        }
    }
    return 0;
}

static int load_errors(ctx *c, mk_mapping *m, const cJSON *doc)
{
    static const member_spec top[] = {
        {"about", T_STR, OPT}, {"version", T_INT, REQ},
        {"errors", T_ARR, REQ}, {"default", T_OBJ, REQ}, {NULL, 0, 0}};

    if (check_members(c, NULL, doc, top) != 0)
        return -1;
    size_t i = 0;
    char entry[160];
    const cJSON *ea = cJSON_GetObjectItemCaseSensitive(doc, "errors");
    size_t ne = (size_t)cJSON_GetArraySize(ea);
    m->errors = calloc(ne ? ne : 1, sizeof *m->errors);
    if (!m->errors)
        return fail(c, NULL, "out of memory");
    i = 0;
    for (const cJSON *o = ea->child; o; o = o->next, i++) {
        const cJSON *code = cJSON_GetObjectItemCaseSensitive(o, "code");
        if (is_int(code))
            snprintf(entry, sizeof entry, "errors[%zu] (%s %d)", i,
                     str(o, "source") ? str(o, "source") : "?", code->valueint);
        else
            snprintf(entry, sizeof entry, "errors[%zu] (%s)", i,
                     str(o, "source") ? str(o, "source") : "?");
        error_entry *e = &m->errors[i];
        m->nerrors = i + 1;
        if (load_error_entry(c, entry, o, e, 0) != 0)
            return -1;
        for (size_t j = 0; j < i; j++)
            if (m->errors[j].source == e->source && m->errors[j].code == e->code)
                return fail(c, entry, "duplicates errors[%zu]", j);
    }
    return load_error_entry(c, "default", cJSON_GetObjectItemCaseSensitive(doc, "default"),
                            &m->dflt, 1);
}

/* ---- fields.json ------------------------------------------------------- */

static int load_fields(ctx *c, mk_mapping *m, const cJSON *doc)
{
    static const member_spec top[] = {
        {"about", T_STR, OPT}, {"version", T_INT, REQ}, {"fields", T_ARR, REQ}, {NULL, 0, 0}};
    static const member_spec spec[] = {
        {"soap", T_STR, REQ}, {"rest", T_STR, REQ}, {"display", T_STR, REQ},
        {"type", T_STR, REQ}, {"readonly", T_BOOL, OPT}, {NULL, 0, 0}};

    if (check_members(c, NULL, doc, top) != 0)
        return -1;
    const cJSON *arr = cJSON_GetObjectItemCaseSensitive(doc, "fields");
    size_t n = (size_t)cJSON_GetArraySize(arr);
    m->fields = calloc(n ? n : 1, sizeof *m->fields);
    if (!m->fields)
        return fail(c, NULL, "out of memory");
    size_t i = 0;
    char entry[160];
    for (const cJSON *o = arr->child; o; o = o->next, i++) {
        entry_name(entry, sizeof entry, "fields", i, o, "soap");
        mk_mapping_field *f = &m->fields[i];
        if (check_members(c, entry, o, spec) != 0 ||
            nonempty_str(c, entry, o, "soap", &f->soap) != 0 ||
            nonempty_str(c, entry, o, "rest", &f->rest) != 0 ||
            nonempty_str(c, entry, o, "display", &f->display) != 0 ||
            nonempty_str(c, entry, o, "type", &f->type) != 0)
            return -1;
        f->readonly = cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(o, "readonly"));
        for (size_t j = 0; j < i; j++) {
            if (strcasecmp(m->fields[j].soap, f->soap) == 0)
                return fail(c, entry, "SOAP name \"%s\" also in fields[%zu]", f->soap, j);
            if (strcmp(m->fields[j].rest, f->rest) == 0)
                return fail(c, entry, "REST name \"%s\" also in fields[%zu]", f->rest, j);
        }
        m->nfields = i + 1;
    }
    return 0;
}

/* ---- load / free ------------------------------------------------------- */

static char default_dir[4096];

static void find_default_dir(void)
{
    /* When nothing is found the installed path is kept: the load then fails
     * naming the file it expected, which is what an operator needs to see. */
    (void)mk_datapath("mktows-shim", "mapping", default_dir, sizeof default_dir);
}

const char *mk_mapping_default_dir(void)
{
    static pthread_once_t once = PTHREAD_ONCE_INIT;
    pthread_once(&once, find_default_dir);
    return default_dir;
}

int mk_mapping_is_wsdl_operation(const char *name)
{
    for (size_t i = 0; name && i < MK_OPERATION_COUNT; i++)
        if (strcmp(mk_operation_names[i], name) == 0)
            return 1;
    return 0;
}

int mk_mapping_load(const char *dir, mk_mapping **out, char *err, size_t errlen)
{
    static const struct {
        const char *file;
        int (*load)(ctx *, mk_mapping *, const cJSON *);
    } tables[5] = {
        {"operations.json", load_operations},
        {"lead_keys.json", load_lead_keys},
        {"statuses.json", load_statuses},
        {"errors.json", load_errors},
        {"fields.json", load_fields},
    };
    if (err && errlen)
        err[0] = '\0';
    if (!out) {
        if (err && errlen)
            snprintf(err, errlen, "mk_mapping_load: no output pointer");
        return -1;
    }
    *out = NULL;
    if (!dir || !dir[0])
        dir = mk_mapping_default_dir();
    mk_mapping *m = calloc(1, sizeof *m);
    if (!m) {
        if (err && errlen)
            snprintf(err, errlen, "out of memory");
        return -1;
    }
    for (size_t t = 0; t < 5; t++) {
        char path[4096];
        size_t dl = strlen(dir);
        snprintf(path, sizeof path, "%s%s%s", dir, dl && dir[dl - 1] == '/' ? "" : "/",
                 tables[t].file);
        ctx c = {err, errlen, path};
        if (read_doc(&c, path, &m->docs[t]) != 0 || tables[t].load(&c, m, m->docs[t]) != 0) {
            mk_mapping_free(m);
            return -1;
        }
    }
    *out = m;
    return 0;
}

void mk_mapping_free(mk_mapping *m)
{
    if (!m)
        return;
    for (size_t i = 0; i < m->ngroups; i++)
        free(m->groups[i].v);
    for (size_t i = 0; i < m->nerrors; i++)
        free(m->errors[i].ctx);
    free(m->groups);
    free(m->errors);
    free(m->fields);
    free(m->keys);
    free(m->ops);
    free(m->calls);
    free(m->strings);
    for (size_t i = 0; i < 5; i++)
        cJSON_Delete(m->docs[i]);
    free(m);
}

/* ---- lookups ----------------------------------------------------------- */

size_t mk_mapping_op_count(const mk_mapping *m)
{
    return m ? m->nops : 0;
}

const mk_mapping_op *mk_mapping_op_at(const mk_mapping *m, size_t i)
{
    return m && i < m->nops ? &m->ops[i] : NULL;
}

const mk_mapping_op *mk_mapping_op_by_name(const mk_mapping *m, const char *name)
{
    for (size_t i = 0; m && name && i < m->nops; i++)
        if (m->ops[i].name && strcmp(m->ops[i].name, name) == 0)
            return &m->ops[i];
    return NULL;
}

int mk_mapping_set_op_status(mk_mapping *m, const char *name, mk_mapping_op_status st)
{
    mk_mapping_op *op = (mk_mapping_op *)mk_mapping_op_by_name(m, name);
    if (!op || (st != MK_MAPPING_IMPLEMENTED && st != MK_MAPPING_UNSUPPORTED))
        return -1;
    op->status = st;
    return 0;
}

const mk_mapping_lead_key *mk_mapping_lead_key_get(const mk_mapping *m, const char *soap_key_type)
{
    for (size_t i = 0; m && soap_key_type && i < m->nkeys; i++)
        if (strcmp(m->keys[i].soap, soap_key_type) == 0)
            return &m->keys[i];
    return NULL;
}

static const status_group *find_group(const mk_mapping *m, const char *group)
{
    for (size_t i = 0; m && group && i < m->ngroups; i++)
        if (strcmp(m->groups[i].name, group) == 0)
            return &m->groups[i];
    return NULL;
}

const char *mk_mapping_status_to_soap(const mk_mapping *m, const char *group,
                                      const char *rest_status, int reason_code)
{
    const status_group *g = find_group(m, group);
    const char *generic = NULL;
    for (size_t i = 0; g && rest_status && i < g->n; i++) {
        if (strcmp(g->v[i].rest, rest_status) != 0)
            continue;
        if (g->v[i].reason == 0 && !generic)
            generic = g->v[i].soap;
        else if (reason_code && g->v[i].reason == reason_code)
            return g->v[i].soap;
    }
    return generic;
}

const char *mk_mapping_status_to_rest(const mk_mapping *m, const char *group,
                                      const char *soap_value)
{
    const status_group *g = find_group(m, group);
    for (size_t i = 0; g && soap_value && i < g->n; i++)
        if (g->v[i].reason == 0 && strcmp(g->v[i].soap, soap_value) == 0)
            return g->v[i].rest;
    return NULL;
}

static mk_mapping_fault fault_of(const error_entry *e, const char *context, int matched)
{
    mk_mapping_fault f = {e->soap, (mk_mapping_retry)e->retry, e->note, matched};
    for (size_t i = 0; context && i < e->nctx; i++)
        if (strcmp(e->ctx[i].name, context) == 0)
            f.soap_code = e->ctx[i].soap;
    return f;
}

mk_mapping_fault mk_mapping_error_lookup(const mk_mapping *m, mk_mapping_err_source src,
                                         int code, const char *context)
{
    mk_mapping_fault none = {20011, MK_MAPPING_RETRY_NO, "", 0};
    if (!m)
        return none;
    int coded = src == MK_MAPPING_SRC_API || src == MK_MAPPING_SRC_HTTP;
    for (size_t i = 0; i < m->nerrors; i++)
        if (m->errors[i].source == (int)src && (!coded || m->errors[i].code == code))
            return fault_of(&m->errors[i], context, 1);
    return fault_of(&m->dflt, NULL, 0);
}

mk_mapping_fault mk_mapping_error_for_rest(const mk_mapping *m, mk_rest_status st,
                                           const mk_rest_result *r, const char *context)
{
    switch (st) {
    case MK_REST_OK: {
        mk_mapping_fault ok = {0, MK_MAPPING_RETRY_NO, "", 1};
        return ok;
    }
    case MK_REST_ERR_API:
        return mk_mapping_error_lookup(m, MK_MAPPING_SRC_API, r ? r->error_code : 0, context);
    case MK_REST_ERR_HTTP:
        return mk_mapping_error_lookup(m, MK_MAPPING_SRC_HTTP, r ? (int)r->http_status : 0,
                                       context);
    case MK_REST_ERR_AUTH:
        return mk_mapping_error_lookup(m, MK_MAPPING_SRC_AUTH, 0, context);
    case MK_REST_ERR_TRANSPORT:
        return mk_mapping_error_lookup(m, MK_MAPPING_SRC_TRANSPORT, 0, context);
    case MK_REST_ERR_TIMEOUT:
        return mk_mapping_error_lookup(m, MK_MAPPING_SRC_TIMEOUT, 0, context);
    default:
        return mk_mapping_error_lookup(m, (mk_mapping_err_source)-1, 0, context);
    }
}

const mk_mapping_field *mk_mapping_fields(const mk_mapping *m, size_t *n)
{
    if (n)
        *n = m ? m->nfields : 0;
    return m ? m->fields : NULL;
}

const mk_mapping_field *mk_mapping_field_by_soap(const mk_mapping *m, const char *soap)
{
    for (size_t i = 0; m && soap && i < m->nfields; i++)
        if (strcmp(m->fields[i].soap, soap) == 0)
            return &m->fields[i];
    for (size_t i = 0; m && soap && i < m->nfields; i++)
        if (strcasecmp(m->fields[i].soap, soap) == 0)
            return &m->fields[i];
    return NULL;
}

const mk_mapping_field *mk_mapping_field_by_rest(const mk_mapping *m, const char *rest)
{
    for (size_t i = 0; m && rest && i < m->nfields; i++)
        if (strcmp(m->fields[i].rest, rest) == 0)
            return &m->fields[i];
    return NULL;
}
