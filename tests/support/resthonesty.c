/*
 * resthonesty.c — the REST honesty check (resthonesty.h): operations.json
 * read into a small table, and the calls of one request — from the
 * X-Mktows-Rest-Calls header or from a usage-log line — judged against
 * their operation's rest[] entries and calls.max.
 */
#define _POSIX_C_SOURCE 200809L   /* getline */
#include "resthonesty.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>

typedef struct rh_entry {
    char method[8];
    char path[160];
} rh_entry;

typedef struct rh_op {
    char name[64];
    int max;            /* calls.max; -1 when null (no fixed bound) */
    rh_entry *rest;
    int nrest;
} rh_op;

struct rh_table {
    rh_op *ops;
    int nops;
};

static void say(char *buf, size_t len, const char *f, ...) __attribute__((format(printf, 3, 4)));
static void say(char *buf, size_t len, const char *f, ...)
{
    if (!buf || !len)
        return;
    va_list ap;
    va_start(ap, f);
    vsnprintf(buf, len, f, ap);
    va_end(ap);
}

static char *slurp(const char *path)
{
    FILE *f = fopen(path, "rb");
    if (!f)
        return NULL;
    size_t cap = 1 << 16, n = 0, got;
    char *b = malloc(cap);
    while (b && (got = fread(b + n, 1, cap - n - 1, f)) > 0) {
        n += got;
        if (n + 1 < cap)
            continue;
        char *more = realloc(b, cap *= 2);
        if (!more)
            free(b);
        b = more;
    }
    fclose(f);
    if (b)
        b[n] = '\0';
    return b;
}

static int load_op(const cJSON *o, rh_op *op, char *err, size_t errlen)
{
    const cJSON *name = cJSON_GetObjectItemCaseSensitive(o, "name");
    const cJSON *calls = cJSON_GetObjectItemCaseSensitive(o, "calls");
    const cJSON *max = cJSON_GetObjectItemCaseSensitive(calls, "max");
    const cJSON *rest = cJSON_GetObjectItemCaseSensitive(o, "rest");
    if (!cJSON_IsString(name) || !cJSON_IsObject(calls) || !max ||
        !(cJSON_IsNull(max) || cJSON_IsNumber(max)) || (rest && !cJSON_IsArray(rest))) {
        say(err, errlen, "an operation without name, calls.max (number or null) or rest[]");
        return -1;
    }
    snprintf(op->name, sizeof op->name, "%s", name->valuestring);
    op->max = cJSON_IsNull(max) ? -1 : max->valueint;
    op->nrest = cJSON_GetArraySize(rest);
    op->rest = calloc((size_t)op->nrest + 1, sizeof *op->rest);
    if (!op->rest) {
        say(err, errlen, "out of memory");
        return -1;
    }
    int i = 0;
    const cJSON *r;
    cJSON_ArrayForEach(r, rest) {
        const cJSON *m = cJSON_GetObjectItemCaseSensitive(r, "method");
        const cJSON *p = cJSON_GetObjectItemCaseSensitive(r, "path");
        if (!cJSON_IsString(m) || !cJSON_IsString(p)) {
            say(err, errlen, "%s: a rest[] entry without method or path", op->name);
            return -1;
        }
        snprintf(op->rest[i].method, sizeof op->rest[i].method, "%s", m->valuestring);
        snprintf(op->rest[i].path, sizeof op->rest[i].path, "%s", p->valuestring);
        i++;
    }
    return 0;
}

int rh_table_load(const char *path, rh_table **out, char *err, size_t errlen)
{
    *out = NULL;
    char *text = slurp(path);
    if (!text) {
        say(err, errlen, "cannot read %s", path);
        return -1;
    }
    cJSON *doc = cJSON_Parse(text);
    free(text);
    const cJSON *ops = cJSON_GetObjectItemCaseSensitive(doc, "operations");
    if (!cJSON_IsArray(ops)) {
        say(err, errlen, "%s: no operations[]", path);
        cJSON_Delete(doc);
        return -1;
    }
    rh_table *t = calloc(1, sizeof *t);
    int n = cJSON_GetArraySize(ops);
    if (t)
        t->ops = calloc((size_t)n + 1, sizeof *t->ops);
    if (!t || !t->ops) {
        free(t);
        cJSON_Delete(doc);
        say(err, errlen, "out of memory");
        return -1;
    }
    const cJSON *o;
    cJSON_ArrayForEach(o, ops) {
        if (load_op(o, &t->ops[t->nops++], err, errlen) != 0) {
            rh_table_free(t);
            cJSON_Delete(doc);
            return -1;
        }
    }
    cJSON_Delete(doc);
    *out = t;
    return 0;
}

void rh_table_free(rh_table *t)
{
    if (!t)
        return;
    for (int i = 0; i < t->nops; i++)
        free(t->ops[i].rest);
    free(t->ops);
    free(t);
}

static const rh_op *find_op(const rh_table *t, const char *name)
{
    for (int i = 0; name && i < t->nops; i++)
        if (strcmp(t->ops[i].name, name) == 0)
            return &t->ops[i];
    return NULL;
}

/* One path segment against one template segment: literal text must be
 * equal; "{x}" stands for any non-empty text (a concrete id, or the
 * template's own placeholder, whatever its name), with what is around it
 * ("{id}.json") equal on both sides. */
static int segment_matches(const char *want, size_t wl, const char *got, size_t gl)
{
    const char *open = memchr(want, '{', wl);
    const char *close = open ? memchr(open, '}', wl - (size_t)(open - want)) : NULL;
    if (!close)
        return wl == gl && memcmp(want, got, wl) == 0;
    size_t pre = (size_t)(open - want), post = wl - (size_t)(close + 1 - want);
    return gl > pre + post && memcmp(want, got, pre) == 0 &&
           memcmp(close + 1, got + gl - post, post) == 0;
}

static int path_matches(const char *want, const char *got)
{
    for (;;) {
        size_t wl = strcspn(want, "/"), gl = strcspn(got, "/");
        if (!segment_matches(want, wl, got, gl))
            return 0;
        want += wl;
        got += gl;
        if (!*want || !*got)
            return !*want && !*got;
        want++;
        got++;
    }
}

static int listed(const rh_op *op, const rh_call *c)
{
    for (int i = 0; i < op->nrest; i++)
        if (strcmp(op->rest[i].method, c->method) == 0 && path_matches(op->rest[i].path, c->path))
            return 1;
    return 0;
}

int rh_check_request(const rh_table *t, const char *operation, const rh_call *calls, int n,
                     char *why, size_t len)
{
    if (n == 0)
        return 0;
    const rh_op *op = find_op(t, operation);
    if (!op) {
        say(why, len, "%s: %s %s made for an operation operations.json does not have",
            operation ? operation : "(no operation)", calls[0].method, calls[0].path);
        return -1;
    }
    int total = 0;
    for (int i = 0; i < n; i++) {
        if (!listed(op, &calls[i])) {
            say(why, len, "%s: %s %s is not among its rest[] entries in operations.json",
                op->name, calls[i].method, calls[i].path);
            return -1;
        }
        total += calls[i].calls;
    }
    if (op->max >= 0 && total > op->max) {
        char list[400] = "";
        size_t used = 0;
        for (int i = 0; i < n && used + 1 < sizeof list; i++) {
            int w = snprintf(list + used, sizeof list - used, "%s %s x%d", calls[i].method,
                             calls[i].path, calls[i].calls);
            used += w > 0 ? (size_t)w : 0;
            if (i + 1 < n && used + 3 < sizeof list) {
                memcpy(list + used, ", ", 3);
                used += 2;
            }
        }
        say(why, len, "%s: %d REST calls (%s), more than its calls.max %d in operations.json",
            op->name, total, list, op->max);
        return -1;
    }
    return 0;
}

/* Method and path (" (shared)" dropped) into c; -1 when either is empty
 * or too long. */
static int set_call(rh_call *c, const char *method, size_t ml, const char *path, size_t pl)
{
    static const char shared[] = " (shared)";
    size_t sl = sizeof shared - 1;
    if (pl >= sl && memcmp(path + pl - sl, shared, sl) == 0)
        pl -= sl;
    if (ml == 0 || ml >= sizeof c->method || pl == 0 || pl >= sizeof c->path)
        return -1;
    memcpy(c->method, method, ml);
    c->method[ml] = '\0';
    memcpy(c->path, path, pl);
    c->path[pl] = '\0';
    c->calls = 1;
    return 0;
}

/* "GET /rest/v1/leads.json (shared)", a header's entry, into c. */
static int parse_call(const char *s, size_t n, rh_call *c)
{
    const char *sp = memchr(s, ' ', n);
    if (!sp)
        return -1;
    return set_call(c, s, (size_t)(sp - s), sp + 1, n - (size_t)(sp - s) - 1);
}

int rh_check_header(const rh_table *t, const char *operation, const char *value, char *why,
                    size_t len)
{
    if (!value || !*value)
        return 0;
    char *end;
    long sends = strtol(value, &end, 10);
    if (end == value || strncmp(end, "; ", 2) != 0) {
        say(why, len, "%s: X-Mktows-Rest-Calls is not \"<count>; <calls>\": %s",
            operation ? operation : "(no operation)", value);
        return -1;
    }
    const char *p = end + 2;
    size_t vl = strlen(p);
    if (vl >= 3 && strcmp(p + vl - 3, "...") == 0)
        return 1;
    int n = 0, cap = 16, rc = 0;
    rh_call *calls = malloc(sizeof *calls * (size_t)cap);
    while (calls && *p) {
        const char *comma = strstr(p, ", ");
        size_t l = comma ? (size_t)(comma - p) : strlen(p);
        if (n == cap) {
            rh_call *more = realloc(calls, sizeof *calls * (size_t)(cap *= 2));
            if (!more)
                break;
            calls = more;
        }
        if (parse_call(p, l, &calls[n]) != 0) {
            say(why, len, "%s: X-Mktows-Rest-Calls names no call in \"%.*s\"",
                operation ? operation : "(no operation)", (int)l, p);
            free(calls);
            return -1;
        }
        n++;
        p += l;
        if (comma)
            p += 2;
    }
    if (!calls) {
        say(why, len, "out of memory");
        return -1;
    }
    if (sends < n) {   /* every call is sent at least once */
        say(why, len, "%s: X-Mktows-Rest-Calls counts %ld sends for %d calls: %s",
            operation ? operation : "(no operation)", sends, n, value);
        rc = -1;
    } else {
        rc = rh_check_request(t, operation, calls, n, why, len);
    }
    free(calls);
    return rc;
}

int rh_operation_of(const char *envelope, char *op, size_t len)
{
    const char *body = envelope ? strstr(envelope, "Body") : NULL;
    const char *p = body ? strchr(body, '>') : NULL;
    if (!p || len < 2)
        return -1;
    p = strchr(p, '<');
    while (p && (p[1] == '!' || p[1] == '?'))   /* comments */
        p = strchr(p + 1, '<');
    if (!p || p[1] == '/')
        return -1;
    p++;
    size_t nl = strcspn(p, " \t\r\n/>");
    const char *colon = memchr(p, ':', nl);
    if (colon) {
        nl -= (size_t)(colon + 1 - p);
        p = colon + 1;
    }
    if (nl <= 6 || strncmp(p, "params", 6) != 0 || nl - 6 >= len)
        return -1;
    memcpy(op, p + 6, nl - 6);
    op[nl - 6] = '\0';
    if (op[0] >= 'A' && op[0] <= 'Z')
        op[0] = (char)(op[0] - 'A' + 'a');
    return 0;
}

/* One usage-log line: 0 honest, -1 not (why). */
static int check_line(const rh_table *t, const char *line, char *why, size_t len)
{
    cJSON *j = cJSON_Parse(line);
    if (!cJSON_IsObject(j)) {
        cJSON_Delete(j);
        say(why, len, "not a usage-log line: %.200s", line);
        return -1;
    }
    const cJSON *op = cJSON_GetObjectItemCaseSensitive(j, "operation");
    const char *operation = cJSON_IsString(op) ? op->valuestring : NULL;
    const cJSON *other = cJSON_GetObjectItemCaseSensitive(j, "rest_other");
    if (cJSON_IsNumber(other) && other->valueint > 0) {
        say(why, len, "%s: %d REST sends not itemised in the usage log (rest_other), so "
            "they cannot be checked", operation ? operation : "(no operation)", other->valueint);
        cJSON_Delete(j);
        return -1;
    }
    const cJSON *rest = cJSON_GetObjectItemCaseSensitive(j, "rest");
    int n = cJSON_GetArraySize(rest), k = 0, rc = 0;
    rh_call *calls = calloc((size_t)n + 1, sizeof *calls);
    const cJSON *r;
    cJSON_ArrayForEach(r, rest) {
        const cJSON *m = cJSON_GetObjectItemCaseSensitive(r, "method");
        const cJSON *p = cJSON_GetObjectItemCaseSensitive(r, "path");
        /* "calls" is what calls.max counts; a log without it gives the
         * sends, which are never fewer */
        const cJSON *c = cJSON_GetObjectItemCaseSensitive(r, "calls");
        if (!c)
            c = cJSON_GetObjectItemCaseSensitive(r, "count");
        if (!calls || !cJSON_IsString(m) || !cJSON_IsString(p) || !cJSON_IsNumber(c) ||
            set_call(&calls[k], m->valuestring, strlen(m->valuestring), p->valuestring,
                     strlen(p->valuestring)) != 0) {
            rc = -1;
            break;
        }
        calls[k++].calls = c->valueint;
    }
    if (rc != 0) {
        char *text = cJSON_PrintUnformatted(rest);
        say(why, len, "%s: a rest row the check cannot read: %.300s",
            operation ? operation : "(no operation)", text ? text : "");
        cJSON_free(text);
    } else {
        rc = rh_check_request(t, operation, calls, k, why, len);
    }
    free(calls);
    cJSON_Delete(j);
    return rc;
}

int rh_check_usage_log(const rh_table *t, const char *path, char *why, size_t len, int *lines)
{
    if (lines)
        *lines = 0;
    if (why && len)
        why[0] = '\0';
    FILE *f = fopen(path, "r");
    if (!f)
        return 0;   /* the shim wrote nothing: no SOAP request was served */
    int bad = 0;
    size_t used = 0;
    char *line = NULL;
    size_t cap = 0;
    ssize_t got;
    while ((got = getline(&line, &cap, f)) > 0) {
        if (lines)
            (*lines)++;
        char one[600];
        if (check_line(t, line, one, sizeof one) == 0)
            continue;
        bad++;
        if (why && used + 1 < len)
            used += (size_t)snprintf(why + used, len - used, "%s\n", one);
        if (used >= len)
            used = len;
    }
    free(line);
    fclose(f);
    return bad;
}
