/*
 * promtext.c — the Prometheus text format writer (see promtext.h): one
 * growing buffer, label values escaped as the format requires (backslash,
 * double quote, line feed).
 */
#include "ops/core/promtext.h"

#include <inttypes.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void put(mk_prom *p, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void put(mk_prom *p, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    mk_buf_vprintf(&p->b, fmt, ap);   /* an error is sticky: mk_prom_finish reports it */
    va_end(ap);
}

static void put_escaped(mk_prom *p, const char *v)
{
    for (; v && *v; v++) {
        if (*v == '\\')
            put(p, "\\\\");
        else if (*v == '"')
            put(p, "\\\"");
        else if (*v == '\n')
            put(p, "\\n");
        else
            put(p, "%c", *v);
    }
}

/* name{k="v",...,extra_k="extra_v"} */
static void put_name(mk_prom *p, const char *name, const char *suffix, const char *const *labels,
                     const char *extra_k, const char *extra_v)
{
    put(p, "%s%s", name, suffix);
    int any = 0;
    for (size_t i = 0; labels && labels[i] && labels[i + 1]; i += 2) {
        put(p, "%s%s=\"", any ? "," : "{", labels[i]);
        put_escaped(p, labels[i + 1]);
        put(p, "\"");
        any = 1;
    }
    if (extra_k) {
        put(p, "%s%s=\"%s\"", any ? "," : "{", extra_k, extra_v);
        any = 1;
    }
    if (any)
        put(p, "}");
}

static void put_value(mk_prom *p, double v)
{
    if (isnan(v))
        put(p, " NaN\n");
    else if (isinf(v))
        put(p, v > 0 ? " +Inf\n" : " -Inf\n");
    else if (v > -9e15 && v < 9e15 && v == (double)(long long)v)
        put(p, " %.0f\n", v);
    else
        put(p, " %.17g\n", v);
}

void mk_prom_family(mk_prom *p, const char *name, const char *type, const char *help)
{
    put(p, "# HELP %s %s\n# TYPE %s %s\n", name, help, name, type);
}

void mk_prom_u64(mk_prom *p, const char *name, const char *const *labels, uint64_t v)
{
    put_name(p, name, "", labels, NULL, NULL);
    put(p, " %" PRIu64 "\n", v);
}

void mk_prom_f64(mk_prom *p, const char *name, const char *const *labels, double v)
{
    put_name(p, name, "", labels, NULL, NULL);
    put_value(p, v);
}

void mk_prom_histogram(mk_prom *p, const char *name, const char *const *labels,
                       const double *bounds, size_t nb, const uint64_t *counts, double sum,
                       double scale)
{
    uint64_t cum = 0;
    char le[32];
    for (size_t i = 0; i <= nb; i++) {
        cum += counts[i];
        if (i < nb)
            snprintf(le, sizeof le, "%.6g", bounds[i] * scale);
        else
            snprintf(le, sizeof le, "+Inf");
        put_name(p, name, "_bucket", labels, "le", le);
        put(p, " %" PRIu64 "\n", cum);
    }
    put_name(p, name, "_sum", labels, NULL, NULL);
    put_value(p, sum * scale);
    put_name(p, name, "_count", labels, NULL, NULL);
    put(p, " %" PRIu64 "\n", cum);
}

char *mk_prom_finish(mk_prom *p, size_t *len)
{
    if (p->b.err || !p->b.data) {
        mk_buf_free(&p->b);
        return NULL;
    }
    if (len)
        *len = p->b.len;
    return mk_buf_take(&p->b);
}
