/*
 * report.h — `mktows-shim report`: the usage log (server/usagelog.h) read
 * back and summed into what plans a migration.  Shared by the reader
 * (report.c: streaming input, aggregation, 20-second peaks) and the
 * writers (report_out.c: JSON, Markdown, HTML).
 *
 * Memory is bounded by what is summed, never by the number of lines: one
 * row per SOAP user x operation x day, a few per fault code and REST
 * endpoint, and per user x operation a ring of per-second counts for the
 * peak window (see struct rp_window).
 */
#ifndef MK_REPORT_REPORT_H
#define MK_REPORT_REPORT_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#define RP_WINDOW_SECONDS 20
#define RP_LATE_SECONDS 300    /* lines this much older than the newest still count in peaks */
#define RP_RING 512            /* > RP_LATE_SECONDS + RP_WINDOW_SECONDS */
#define RP_DEFAULT_QUOTA 50000 /* Marketo's default daily API quota */

/* Busiest 20 seconds of something: SOAP calls and REST calls in one window. */
typedef struct rp_peak {
    long calls;
    int64_t calls_at;        /* unix seconds: end of that window */
    double rest;
    int64_t rest_at;
} rp_peak;

/* Per-second counts of the last RP_RING seconds; seconds older than the
 * newest by RP_LATE_SECONDS are closed: their windows are final. */
typedef struct rp_window {
    long calls[RP_RING];
    double rest[RP_RING];
    int64_t newest;          /* newest second seen; 0 before the first */
    int64_t closed;          /* windows ending at or before this second are done */
    int64_t last_event;
    rp_peak peak;
} rp_window;

typedef struct rp_count {
    char key[136];           /* fault code or "METHOD /path" */
    long n;
} rp_count;

typedef struct rp_counts {
    rp_count *v;
    size_t n, cap;
} rp_counts;

typedef struct rp_day {
    int day;                 /* days since 1970-01-01 */
    long calls, faults;
    double rest;
} rp_day;

typedef struct rp_days {
    rp_day *v;
    size_t n, cap;
    size_t last;             /* index of the last hit: lines come in time order */
} rp_days;

typedef struct rp_sums {
    long calls, faults, sends, records_in, records_out;
    double rest, latency_ms, bytes_in, bytes_out;
} rp_sums;

/* One SOAP user x operation. */
typedef struct rp_uo {
    int user;                /* index in rp_report.users */
    char *op;
    rp_sums sum;
    rp_counts faults;        /* by code */
    rp_counts calls;         /* REST sends by "METHOD /path template" */
    rp_days days;
    rp_window *win;
} rp_uo;

typedef struct rp_user {
    char *name;
    rp_sums sum;
    rp_counts faults;
    rp_days days;
    rp_window *win;
} rp_user;

typedef struct rp_report {
    /* options */
    int64_t since, until;     /* unix seconds; 0: open */
    long quota;
    int quota_given;
    int progress;             /* print progress on stderr */
    /* inputs */
    char **files;
    size_t nfiles;
    long lines, skipped, late, filtered;
    int64_t first, last;      /* unix seconds of the first and last line kept */
    /* sums */
    rp_user *users;
    size_t nusers, capusers;
    rp_uo *uos;
    size_t nuos, capuos;
    rp_days days;             /* all users */
    rp_sums sum;
    rp_counts faults;
    rp_window *win;
    /* name -> index hash tables (open addressing), see report.c */
    int *user_ix, *uo_ix;
    size_t user_ixcap, uo_ixcap;
    /* the operation table, for the operations nobody calls */
    char **all_ops;
    size_t nall_ops;
} rp_report;

/* The writers (report_out.c).  Each returns 0 or -1 (write error). */
int rp_write_json(const rp_report *r, FILE *out);
int rp_write_md(const rp_report *r, FILE *out);
int rp_write_html(const rp_report *r, FILE *out);

/* ---- shared by the writers --------------------------------------------- */

/* "2026-12-07" for a day number, "2026-12-07T09:30:20Z" for a second. */
void rp_day_str(int day, char buf[16]);
void rp_time_str(int64_t t, char buf[32]);

/* One row of the migration plan. */
typedef struct rp_plan_row {
    const rp_uo *uo;
    double score;
    double calls_per_day, rest_per_day, quota_share, fault_rate;
    int active_days;
} rp_plan_row;

/* The plan, best first (malloc'd, *n rows).  NULL with *n 0 when empty. */
rp_plan_row *rp_plan(const rp_report *r, size_t *n);

/* Operations of the table nobody called (pointers into r->all_ops). */
const char **rp_unused(const rp_report *r, size_t *n);

/* A number of REST calls as the report prints it (2 decimals at most). */
double rp_round2(double v);

#endif
