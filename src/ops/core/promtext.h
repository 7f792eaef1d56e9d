/*
 * promtext.h — writing the Prometheus text exposition format (version
 * 0.0.4), the document GET /metrics answers.
 *
 * A metric family is announced once (# HELP, # TYPE) and its samples
 * follow it directly, as the format requires; labels are given as a
 * NULL-terminated list of name, value pairs and their values escaped
 * here.  Counters are written as exact integers where they are integers.
 * Out of memory is remembered and reported by mk_prom_finish, so writers
 * need not check every call.
 */
#ifndef MK_OPS_PROMTEXT_H
#define MK_OPS_PROMTEXT_H

#include <stddef.h>
#include <stdint.h>

#include "base/buf.h"

typedef struct mk_prom {
    mk_buf b;   /* the text so far; its error is sticky */
} mk_prom;

/* "# HELP name help" and "# TYPE name type" (counter, gauge, histogram). */
void mk_prom_family(mk_prom *p, const char *name, const char *type, const char *help);

/* One sample: name{labels} value.  labels: NULL or {"k", "v", ..., NULL}. */
void mk_prom_u64(mk_prom *p, const char *name, const char *const *labels, uint64_t v);
void mk_prom_f64(mk_prom *p, const char *name, const char *const *labels, double v);

/* A histogram's samples (name_bucket, name_sum, name_count) from counts
 * per bucket (not cumulative): counts[i] for values <= bounds[i] (and above
 * bounds[i-1]), counts[nb] above every bound.  sum is in the bounds' unit
 * times scale (e.g. milliseconds counted, seconds written: scale 0.001). */
void mk_prom_histogram(mk_prom *p, const char *name, const char *const *labels,
                       const double *bounds, size_t nb, const uint64_t *counts, double sum,
                       double scale);

/* The text (malloc'd, NUL-terminated; the caller frees), or NULL when
 * memory ran out (everything is freed then). */
char *mk_prom_finish(mk_prom *p, size_t *len);

#endif
