/*
 * usageline.c — the usage line reader (see usageline.h): a small recursive
 * descent over one JSON object that keeps the members the report sums.
 */
#include "report/usageline.h"

#include <stdlib.h>
#include <string.h>

typedef struct cur {
    const char *p, *end;
} cur;

static void ws(cur *c)
{
    while (c->p < c->end && (*c->p == ' ' || *c->p == '\t' || *c->p == '\r' || *c->p == '\n'))
        c->p++;
}

static int hexval(char ch)
{
    return ch >= '0' && ch <= '9' ? ch - '0' : ch >= 'a' && ch <= 'f' ? ch - 'a' + 10
                                              : ch >= 'A' && ch <= 'F' ? ch - 'A' + 10 : -1;
}

/* A string at c->p (the opening quote); decoded into buf (may be NULL). */
static int string(cur *c, char *buf, size_t cap)
{
    size_t n = 0;
    if (c->p >= c->end || *c->p != '"')
        return -1;
    c->p++;
    while (c->p < c->end && *c->p != '"') {
        unsigned cp = (unsigned char)*c->p++;
        if (cp == '\\') {
            if (c->p >= c->end)
                return -1;
            char e = *c->p++;
            switch (e) {
            case 'n': cp = '\n'; break;
            case 't': cp = '\t'; break;
            case 'r': cp = '\r'; break;
            case 'b': cp = '\b'; break;
            case 'f': cp = '\f'; break;
            case 'u': {
                if (c->end - c->p < 4)
                    return -1;
                cp = 0;
                for (int i = 0; i < 4; i++) {
                    int h = hexval(c->p[i]);
                    if (h < 0)
                        return -1;
                    cp = cp * 16 + (unsigned)h;
                }
                c->p += 4;
                break;
            }
            default: cp = (unsigned char)e;
            }
        }
        /* UTF-8 out (a lone surrogate is written as is; ids never hold one) */
        char u[4];
        int k = 0;
        if (cp < 0x80) {
            u[k++] = (char)cp;
        } else if (cp < 0x800) {
            u[k++] = (char)(0xc0 | cp >> 6);
            u[k++] = (char)(0x80 | (cp & 0x3f));
        } else if (cp < 0x10000 && cp >= 0x100) {
            u[k++] = (char)(0xe0 | cp >> 12);
            u[k++] = (char)(0x80 | ((cp >> 6) & 0x3f));
            u[k++] = (char)(0x80 | (cp & 0x3f));
        } else {
            u[k++] = (char)cp; /* a raw byte of a multi-byte character */
        }
        if (buf)
            for (int i = 0; i < k && n + 1 < cap; i++)
                buf[n++] = u[i];
    }
    if (c->p >= c->end)
        return -1;
    c->p++;
    if (buf && cap)
        buf[n] = '\0';
    return 0;
}

static int skip_value(cur *c, int depth);

static int number(cur *c, double *v)
{
    char *e;
    char tmp[64];
    size_t n = 0;
    while (c->p + n < c->end && n + 1 < sizeof tmp && strchr("+-0123456789.eE", c->p[n]))
        n++;
    if (!n)
        return -1;
    memcpy(tmp, c->p, n);
    tmp[n] = '\0';
    *v = strtod(tmp, &e);
    if (e != tmp + n)
        return -1;
    c->p += n;
    return 0;
}

/* A number, or null/true/false (0), or anything else skipped (0). */
static int scalar(cur *c, double *v)
{
    *v = 0;
    if (c->p < c->end && (*c->p == '-' || (*c->p >= '0' && *c->p <= '9')))
        return number(c, v);
    return skip_value(c, 0);
}

static int skip_value(cur *c, int depth)
{
    if (depth > 64 || c->p >= c->end)
        return -1;
    char ch = *c->p;
    if (ch == '"')
        return string(c, NULL, 0);
    if (ch == '{' || ch == '[') {
        char close = ch == '{' ? '}' : ']';
        c->p++;
        ws(c);
        if (c->p < c->end && *c->p == close) {
            c->p++;
            return 0;
        }
        for (;;) {
            ws(c);
            if (ch == '{') {
                if (string(c, NULL, 0))
                    return -1;
                ws(c);
                if (c->p >= c->end || *c->p++ != ':')
                    return -1;
                ws(c);
            }
            if (skip_value(c, depth + 1))
                return -1;
            ws(c);
            if (c->p < c->end && *c->p == ',') {
                c->p++;
                continue;
            }
            if (c->p < c->end && *c->p == close) {
                c->p++;
                return 0;
            }
            return -1;
        }
    }
    if (ch == '-' || (ch >= '0' && ch <= '9')) {
        double v;
        return number(c, &v);
    }
    static const char *const words[] = {"null", "true", "false"};
    for (int i = 0; i < 3; i++) {
        size_t n = strlen(words[i]);
        if ((size_t)(c->end - c->p) >= n && memcmp(c->p, words[i], n) == 0) {
            c->p += n;
            return 0;
        }
    }
    return -1;
}

/* Members of an object, each handed to fn(key) positioned at its value. */
typedef int (*member_fn)(cur *c, const char *key, void *ctx);

static int object(cur *c, member_fn fn, void *ctx)
{
    ws(c);
    if (c->p >= c->end || *c->p != '{')
        return -1;
    c->p++;
    ws(c);
    if (c->p < c->end && *c->p == '}') {
        c->p++;
        return 0;
    }
    for (;;) {
        char key[32];
        ws(c);
        if (string(c, key, sizeof key))
            return -1;
        ws(c);
        if (c->p >= c->end || *c->p++ != ':')
            return -1;
        ws(c);
        if (fn(c, key, ctx))
            return -1;
        ws(c);
        if (c->p < c->end && *c->p == ',') {
            c->p++;
            continue;
        }
        if (c->p < c->end && *c->p == '}') {
            c->p++;
            return 0;
        }
        return -1;
    }
}

static int str_or_skip(cur *c, char *buf, size_t cap, int *has)
{
    if (c->p < c->end && *c->p == '"') {
        if (has)
            *has = 1;
        return string(c, buf, cap);
    }
    return skip_value(c, 0);
}

static int call_member(cur *c, const char *key, void *ctx)
{
    ul_call *k = ctx;
    if (!strcmp(key, "method"))
        return str_or_skip(c, k->method, sizeof k->method, NULL);
    if (!strcmp(key, "path"))
        return str_or_skip(c, k->path, sizeof k->path, NULL);
    if (!strcmp(key, "count"))
        return scalar(c, &k->count);
    return skip_value(c, 0);
}

static int calls(cur *c, ul_line *l)
{
    if (c->p >= c->end || *c->p != '[')
        return skip_value(c, 0);
    c->p++;
    ws(c);
    if (c->p < c->end && *c->p == ']') {
        c->p++;
        return 0;
    }
    for (;;) {
        ws(c);
        ul_call scratch, *k = l->ncalls < UL_MAX_CALLS ? &l->calls[l->ncalls] : &scratch;
        memset(k, 0, sizeof *k);
        if (c->p < c->end && *c->p == '{') {
            if (object(c, call_member, k))
                return -1;
            if (k != &scratch && k->method[0] && k->path[0])
                l->ncalls++;
        } else if (skip_value(c, 0)) {
            return -1;
        }
        ws(c);
        if (c->p < c->end && *c->p == ',') {
            c->p++;
            continue;
        }
        if (c->p < c->end && *c->p == ']') {
            c->p++;
            return 0;
        }
        return -1;
    }
}

static int line_member(cur *c, const char *key, void *ctx)
{
    ul_line *l = ctx;
    switch (key[0]) {
    case 't':
        if (!strcmp(key, "time"))
            return str_or_skip(c, l->time, sizeof l->time, NULL);
        break;
    case 'u':
        if (!strcmp(key, "user"))
            return str_or_skip(c, l->user, sizeof l->user, &l->has_user);
        break;
    case 'o':
        if (!strcmp(key, "operation"))
            return str_or_skip(c, l->operation, sizeof l->operation, &l->has_operation);
        break;
    case 'f':
        if (!strcmp(key, "fault"))
            return scalar(c, &l->fault);
        break;
    case 'r':
        if (!strcmp(key, "rest_cost"))
            return scalar(c, &l->rest_cost);
        if (!strcmp(key, "rest_calls"))
            return scalar(c, &l->rest_calls);
        if (!strcmp(key, "records_in"))
            return scalar(c, &l->records_in);
        if (!strcmp(key, "records_out"))
            return scalar(c, &l->records_out);
        if (!strcmp(key, "rest"))
            return calls(c, l);
        break;
    case 'l':
        if (!strcmp(key, "latency_ms"))
            return scalar(c, &l->latency_ms);
        break;
    case 'b':
        if (!strcmp(key, "bytes_in"))
            return scalar(c, &l->bytes_in);
        if (!strcmp(key, "bytes_out"))
            return scalar(c, &l->bytes_out);
        break;
    }
    return skip_value(c, 0);
}

int ul_parse(const char *s, size_t len, ul_line *out)
{
    memset(out, 0, offsetof(ul_line, calls));
    out->ncalls = 0;
    cur c = {s, s + len};
    if (object(&c, line_member, out))
        return -1;
    ws(&c);
    return c.p == c.end ? 0 : -1;
}
