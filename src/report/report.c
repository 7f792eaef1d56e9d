/*
 * report.c — `mktows-shim report`: reads usage logs (plain or gzipped, in
 * any order of files), keeps the lines between --since and --until, and
 * sums them per SOAP user x operation x day (report.h), then hands the sums
 * to a writer (report_out.c).
 *
 * Streaming: one line is parsed, summed and freed before the next is read.
 * Files are read in the order of their first line's time, so rotated logs
 * given as usage.log usage.log.1 usage.log.2.gz are read oldest first.
 *
 * The 20-second peak needs the lines in time order; workers finish out of
 * order and files overlap a little, so a line up to RP_LATE_SECONDS (5
 * minutes) older than the newest seen still counts in the peak; an older one
 * counts in every total but not in the peaks, and the report says how many
 * there were ("late_lines").
 */
#include "report/report.h"
#include "report/usageline.h"

#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <zlib.h>

#include "base/buf.h"
#include "mapping/mapping.h"
#include "mktows.h"

/* ---- time ------------------------------------------------------------------ */

static int64_t days_from_civil(int64_t y, unsigned m, unsigned d)
{
    y -= m <= 2;
    const int64_t era = (y >= 0 ? y : y - 399) / 400;
    const unsigned yoe = (unsigned)(y - era * 400);
    const unsigned doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
    const unsigned doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    return era * 146097 + (int64_t)doe - 719468;
}

/* "2026-12-07T09:30:00.123Z", "2026-12-07T09:30:00Z", "2026-12-07" ->
 * unix seconds (UTC).  -1 when it is none of them. */
static int64_t parse_time(const char *s)
{
    int y, mo, d, h = 0, mi = 0, se = 0, n = 0;
    if (!s || sscanf(s, "%4d-%2d-%2d%n", &y, &mo, &d, &n) != 3 || n != 10)
        return -1;
    if (s[10] == 'T' || s[10] == ' ') {
        if (sscanf(s + 11, "%2d:%2d:%2d", &h, &mi, &se) != 3)
            return -1;
    } else if (s[10] != '\0') {
        return -1;
    }
    if (mo < 1 || mo > 12 || d < 1 || d > 31 || h > 23 || mi > 59 || se > 60)
        return -1;
    return days_from_civil(y, (unsigned)mo, (unsigned)d) * 86400 + h * 3600 + mi * 60 + se;
}

void rp_day_str(int day, char buf[16])
{
    time_t t = (time_t)day * 86400;
    struct tm tm;
    gmtime_r(&t, &tm);
    strftime(buf, 16, "%Y-%m-%d", &tm);
}

void rp_time_str(int64_t t, char buf[32])
{
    time_t tt = (time_t)t;
    struct tm tm;
    gmtime_r(&tt, &tm);
    strftime(buf, 32, "%Y-%m-%dT%H:%M:%SZ", &tm);
}

double rp_round2(double v)
{
    return round(v * 100.0) / 100.0;
}

/* ---- small tables ------------------------------------------------------------ */

static int counts_add(rp_counts *c, const char *key, long n)
{
    for (size_t i = 0; i < c->n; i++)
        if (strcmp(c->v[i].key, key) == 0) {
            c->v[i].n += n;
            return 0;
        }
    if (mk_array_grow(&c->v, &c->cap, c->n + 1, sizeof *c->v) != 0)
        return -1;
    snprintf(c->v[c->n].key, sizeof c->v[c->n].key, "%s", key);
    c->v[c->n++].n = n;
    return 0;
}

static rp_day *day_get(rp_days *d, int day)
{
    if (d->n && d->v[d->last].day == day)
        return &d->v[d->last];
    for (size_t i = 0; i < d->n; i++)
        if (d->v[i].day == day) {
            d->last = i;
            return &d->v[i];
        }
    if (mk_array_grow(&d->v, &d->cap, d->n + 1, sizeof *d->v) != 0)
        return NULL;
    /* keep them sorted: a day out of order is rare */
    size_t at = d->n;
    while (at > 0 && d->v[at - 1].day > day)
        at--;
    memmove(&d->v[at + 1], &d->v[at], (d->n - at) * sizeof *d->v);
    memset(&d->v[at], 0, sizeof *d->v);
    d->v[at].day = day;
    d->n++;
    d->last = at;
    return &d->v[at];
}

static uint64_t hash(const char *a, const char *b)
{
    uint64_t h = 1469598103934665603ULL;
    for (const char *p = a; *p; p++)
        h = (h ^ (unsigned char)*p) * 1099511628211ULL;
    h = (h ^ 0x1f) * 1099511628211ULL;
    for (const char *p = b ? b : ""; *p; p++)
        h = (h ^ (unsigned char)*p) * 1099511628211ULL;
    return h;
}

/* ---- the 20-second window ----------------------------------------------------- */

/* Close the windows ending at or before upto.  The busiest window always
 * ends at a second with a line in it (moving a window's end back to its
 * last line loses nothing), so only those seconds are summed. */
static void window_close_to(rp_window *w, int64_t upto)
{
    int64_t stop = upto < w->last_event ? upto : w->last_event;
    int64_t from = w->closed + 1;
    if (from <= w->newest - RP_RING)
        from = w->newest - RP_RING + 1;
    for (int64_t x = from; x <= stop; x++) {
        if (!w->calls[x % RP_RING])
            continue;
        long calls = 0;
        double rest = 0;
        for (int64_t s = x - RP_WINDOW_SECONDS + 1; s <= x; s++) {
            if (s <= w->newest - RP_RING)
                continue;
            calls += w->calls[s % RP_RING];
            rest += w->rest[s % RP_RING];
        }
        if (calls > w->peak.calls) {
            w->peak.calls = calls;
            w->peak.calls_at = x;
        }
        if (rest > w->peak.rest + 1e-9) {
            w->peak.rest = rest;
            w->peak.rest_at = x;
        }
    }
    if (upto > w->closed)
        w->closed = upto;
}

/* Count one line at second t; 0, or 1 when it came too late for the peak. */
static int window_add(rp_window *w, int64_t t, double rest)
{
    if (w->newest == 0) {
        w->newest = t;
        w->closed = t - 1;
        w->last_event = t;
    }
    if (t <= w->closed)
        return 1;
    if (t > w->newest) {
        /* seconds leaving the ring must be closed first */
        window_close_to(w, t - RP_LATE_SECONDS - 1 > w->closed ? t - RP_LATE_SECONDS - 1
                                                                : w->closed);
        int64_t from = w->newest + 1;
        if (t - from >= RP_RING)
            from = t - RP_RING + 1;
        for (int64_t s = from; s <= t; s++) {
            w->calls[s % RP_RING] = 0;
            w->rest[s % RP_RING] = 0;
        }
        w->newest = t;
    }
    w->calls[t % RP_RING]++;
    w->rest[t % RP_RING] += rest;
    if (t > w->last_event)
        w->last_event = t;
    return 0;
}

static void window_finish(rp_window *w)
{
    if (w && w->newest)
        window_close_to(w, w->newest + RP_WINDOW_SECONDS);
}

/* ---- summing ----------------------------------------------------------------------- */

static rp_window *window_new(void)
{
    return calloc(1, sizeof(rp_window));
}

static int grow_ix(int **ix, size_t *cap, size_t used)
{
    if ((used + 1) * 2 <= *cap)
        return 0;
    size_t ncap = *cap ? *cap * 2 : 64;
    int *n = malloc(ncap * sizeof *n);
    if (!n)
        return -1;
    for (size_t i = 0; i < ncap; i++)
        n[i] = -1;
    free(*ix);
    *ix = n;
    *cap = ncap;
    return 1; /* caller rehashes */
}

static int user_get(rp_report *r, const char *name)
{
    int g = grow_ix(&r->user_ix, &r->user_ixcap, r->nusers);
    if (g < 0)
        return -1;
    if (g > 0)
        for (size_t i = 0; i < r->nusers; i++) {
            size_t h = hash(r->users[i].name, NULL) & (r->user_ixcap - 1);
            while (r->user_ix[h] >= 0)
                h = (h + 1) & (r->user_ixcap - 1);
            r->user_ix[h] = (int)i;
        }
    size_t h = hash(name, NULL) & (r->user_ixcap - 1);
    for (; r->user_ix[h] >= 0; h = (h + 1) & (r->user_ixcap - 1))
        if (strcmp(r->users[r->user_ix[h]].name, name) == 0)
            return r->user_ix[h];
    if (mk_array_grow(&r->users, &r->capusers, r->nusers + 1, sizeof *r->users) != 0)
        return -1;
    rp_user *u = &r->users[r->nusers];
    memset(u, 0, sizeof *u);
    u->name = strdup(name);
    u->win = window_new();
    if (!u->name || !u->win) {
        free(u->name);
        free(u->win);
        return -1;
    }
    r->user_ix[h] = (int)r->nusers;
    return (int)r->nusers++;
}

static rp_uo *uo_get(rp_report *r, int user, const char *op)
{
    const char *uname = r->users[user].name;
    int g = grow_ix(&r->uo_ix, &r->uo_ixcap, r->nuos);
    if (g < 0)
        return NULL;
    if (g > 0)
        for (size_t i = 0; i < r->nuos; i++) {
            size_t h = hash(r->users[r->uos[i].user].name, r->uos[i].op) & (r->uo_ixcap - 1);
            while (r->uo_ix[h] >= 0)
                h = (h + 1) & (r->uo_ixcap - 1);
            r->uo_ix[h] = (int)i;
        }
    size_t h = hash(uname, op) & (r->uo_ixcap - 1);
    for (; r->uo_ix[h] >= 0; h = (h + 1) & (r->uo_ixcap - 1)) {
        rp_uo *u = &r->uos[r->uo_ix[h]];
        if (u->user == user && strcmp(u->op, op) == 0)
            return u;
    }
    if (mk_array_grow(&r->uos, &r->capuos, r->nuos + 1, sizeof *r->uos) != 0)
        return NULL;
    rp_uo *u = &r->uos[r->nuos];
    memset(u, 0, sizeof *u);
    u->user = user;
    u->op = strdup(op);
    u->win = window_new();
    if (!u->op || !u->win) {
        free(u->op);
        free(u->win);
        return NULL;
    }
    r->uo_ix[h] = (int)r->nuos++;
    return u;
}

typedef struct line_facts {
    long fault;
    double rest;
    long sends;
    long records_in, records_out;
    double latency, bytes_in, bytes_out;
} line_facts;

static void sums_add(rp_sums *s, const line_facts *f)
{
    s->calls++;
    s->faults += f->fault != 0;
    s->rest += f->rest;
    s->sends += f->sends;
    s->records_in += f->records_in;
    s->records_out += f->records_out;
    s->latency_ms += f->latency;
    s->bytes_in += f->bytes_in;
    s->bytes_out += f->bytes_out;
}

static int day_add(rp_days *d, int day, const line_facts *f)
{
    rp_day *x = day_get(d, day);
    if (!x)
        return -1;
    x->calls++;
    x->faults += f->fault != 0;
    x->rest += f->rest;
    return 0;
}

/* One line; 0 summed or filtered, 1 skipped (not a usage line), -1 out of memory. */
static int take_line(rp_report *r, const char *line, size_t len)
{
    ul_line l;
    if (ul_parse(line, len, &l) != 0)
        return 1;
    int64_t t = parse_time(l.time[0] ? l.time : NULL);
    if (t < 0)
        return 1;
    if ((r->since && t < r->since) || (r->until && t >= r->until)) {
        r->filtered++;
        return 0;
    }
    const char *user = l.has_user ? l.user : "(not authenticated)";
    const char *op = l.has_operation ? l.operation : "(no operation)";
    line_facts f = {.fault = (long)l.fault, .rest = l.rest_cost, .sends = (long)l.rest_calls,
                    .records_in = (long)l.records_in, .records_out = (long)l.records_out,
                    .latency = l.latency_ms, .bytes_in = l.bytes_in, .bytes_out = l.bytes_out};
    int day = (int)(t / 86400);
    int ui = user_get(r, user);
    rp_uo *uo = ui >= 0 ? uo_get(r, ui, op) : NULL;
    if (!uo)
        return -1;
    rp_user *u = &r->users[ui];
    sums_add(&r->sum, &f);
    sums_add(&u->sum, &f);
    sums_add(&uo->sum, &f);
    if (day_add(&r->days, day, &f) || day_add(&u->days, day, &f) || day_add(&uo->days, day, &f))
        return -1;
    if (f.fault) {
        char code[24];
        snprintf(code, sizeof code, "%ld", f.fault);
        if (counts_add(&r->faults, code, 1) || counts_add(&u->faults, code, 1) ||
            counts_add(&uo->faults, code, 1))
            return -1;
    }
    for (int i = 0; i < l.ncalls; i++) {
        char key[132];
        snprintf(key, sizeof key, "%s %s", l.calls[i].method, l.calls[i].path);
        if (counts_add(&uo->calls, key, (long)l.calls[i].count))
            return -1;
    }
    int late = window_add(r->win, t, f.rest);
    window_add(u->win, t, f.rest);
    window_add(uo->win, t, f.rest);
    r->late += late;
    if (!r->first || t < r->first)
        r->first = t;
    if (t > r->last)
        r->last = t;
    return 0;
}

/* ---- reading files --------------------------------------------------------------- */

/* One line of any length into `line` (gzgets writes into its room); its
 * length, 0 at the end, -1 on error. */
static long read_line(gzFile g, mk_buf *line)
{
    mk_buf_clear(line);
    for (;;) {
        if (line->cap - line->len < 2 && mk_buf_reserve(line, line->cap ? line->cap : 4096) != 0)
            return -1;
        size_t room = line->cap - line->len;
        if (!gzgets(g, line->data + line->len, (int)(room > 1 << 30 ? 1 << 30 : room))) {
            int err;
            gzerror(g, &err);
            if (err != Z_OK && err != Z_BUF_ERROR)
                return -1;
            return (long)line->len;
        }
        line->len += strlen(line->data + line->len);
        if (line->len && line->data[line->len - 1] == '\n')
            return (long)line->len;
    }
}

/* The time of a file's first usage line, for ordering files. */
static int64_t first_time(const char *path)
{
    gzFile g = gzopen(path, "rb");
    if (!g)
        return -1;
    mk_buf line = {0};
    int64_t t = INT64_MAX;
    for (int i = 0; i < 100; i++) {
        long n = read_line(g, &line);
        if (n <= 0)
            break;
        ul_line l;
        int64_t x = ul_parse(line.data, (size_t)n, &l) == 0 ? parse_time(l.time) : -1;
        if (x >= 0) {
            t = x;
            break;
        }
    }
    mk_buf_free(&line);
    gzclose(g);
    return t;
}

typedef struct file_order {
    const char *path;
    int64_t first;
} file_order;

static int cmp_files(const void *a, const void *b)
{
    const file_order *x = a, *y = b;
    return x->first < y->first ? -1 : x->first > y->first;
}

static int read_all(rp_report *r)
{
    file_order *fo = calloc(r->nfiles, sizeof *fo);
    if (!fo)
        return -1;
    for (size_t i = 0; i < r->nfiles; i++) {
        fo[i].path = r->files[i];
        /* one file needs no order, and may be a pipe that is read once */
        fo[i].first = r->nfiles == 1 ? 0 : first_time(r->files[i]);
        if (fo[i].first == -1) {
            fprintf(stderr, "mktows-shim report: cannot open '%s': %s\n", r->files[i],
                    strerror(errno));
            free(fo);
            return -1;
        }
    }
    qsort(fo, r->nfiles, sizeof *fo, cmp_files);
    mk_buf line = {0};
    int rc = 0;
    struct timespec last_note = {0, 0};
    for (size_t i = 0; i < r->nfiles && rc == 0; i++) {
        gzFile g = gzopen(fo[i].path, "rb");
        if (!g) {
            fprintf(stderr, "mktows-shim report: cannot open '%s'\n", fo[i].path);
            rc = -1;
            break;
        }
        gzbuffer(g, 256 * 1024);
        long n;
        while ((n = read_line(g, &line)) > 0) {
            r->lines++;
            int t = take_line(r, line.data, (size_t)n);
            if (t < 0) {
                fprintf(stderr, "mktows-shim report: out of memory\n");
                rc = -1;
                break;
            }
            r->skipped += t;
            if (r->progress && (r->lines & 0xffff) == 0) {
                struct timespec now;
                clock_gettime(CLOCK_MONOTONIC, &now);
                if (now.tv_sec != last_note.tv_sec) {
                    last_note = now;
                    fprintf(stderr, "\rreport: %ld lines read (file %zu of %zu: %s)  ", r->lines,
                            i + 1, r->nfiles, fo[i].path);
                }
            }
        }
        if (n < 0) {
            fprintf(stderr, "mktows-shim report: read error in '%s'\n", fo[i].path);
            rc = -1;
        }
        gzclose(g);
    }
    if (r->progress)
        fprintf(stderr, "\rreport: %ld lines read from %zu file(s)%30s\n", r->lines, r->nfiles,
                "");
    mk_buf_free(&line);
    free(fo);
    window_finish(r->win);
    for (size_t i = 0; i < r->nusers; i++)
        window_finish(r->users[i].win);
    for (size_t i = 0; i < r->nuos; i++)
        window_finish(r->uos[i].win);
    return rc;
}

/* ---- the plan -------------------------------------------------------------------------- */

static int cmp_plan(const void *a, const void *b)
{
    const rp_plan_row *x = a, *y = b;
    if (x->score != y->score)
        return x->score < y->score ? 1 : -1;
    if (x->uo->sum.calls != y->uo->sum.calls)
        return x->uo->sum.calls < y->uo->sum.calls ? 1 : -1;
    return strcmp(x->uo->op, y->uo->op);
}

/* score = REST calls per active day x (1 + fault rate): what a rewrite takes
 * off the shared daily quota, pushed up to twice for callers whose calls
 * fail (README.md, "Planning a migration"). */
rp_plan_row *rp_plan(const rp_report *r, size_t *n)
{
    *n = 0;
    if (!r->nuos)
        return NULL;
    rp_plan_row *rows = calloc(r->nuos, sizeof *rows);
    if (!rows)
        return NULL;
    for (size_t i = 0; i < r->nuos; i++) {
        const rp_uo *u = &r->uos[i];
        rp_plan_row *p = &rows[(*n)++];
        p->uo = u;
        p->active_days = (int)u->days.n;
        int days = p->active_days ? p->active_days : 1;
        p->calls_per_day = (double)u->sum.calls / days;
        p->rest_per_day = u->sum.rest / days;
        p->quota_share = p->rest_per_day / (double)r->quota;
        p->fault_rate = u->sum.calls ? (double)u->sum.faults / (double)u->sum.calls : 0;
        p->score = p->rest_per_day * (1.0 + p->fault_rate);
    }
    qsort(rows, *n, sizeof *rows, cmp_plan);
    return rows;
}

const char **rp_unused(const rp_report *r, size_t *n)
{
    *n = 0;
    const char **out = calloc(r->nall_ops + 1, sizeof *out);
    if (!out)
        return NULL;
    for (size_t i = 0; i < r->nall_ops; i++) {
        int used = 0;
        for (size_t k = 0; k < r->nuos && !used; k++)
            used = strcmp(r->uos[k].op, r->all_ops[i]) == 0;
        if (!used)
            out[(*n)++] = r->all_ops[i];
    }
    return out;
}

/* ---- the program ------------------------------------------------------------------------ */

static void report_free(rp_report *r)
{
    for (size_t i = 0; i < r->nusers; i++) {
        free(r->users[i].name);
        free(r->users[i].faults.v);
        free(r->users[i].days.v);
        free(r->users[i].win);
    }
    for (size_t i = 0; i < r->nuos; i++) {
        free(r->uos[i].op);
        free(r->uos[i].faults.v);
        free(r->uos[i].calls.v);
        free(r->uos[i].days.v);
        free(r->uos[i].win);
    }
    for (size_t i = 0; i < r->nall_ops; i++)
        free(r->all_ops[i]);
    free(r->all_ops);
    free(r->users);
    free(r->uos);
    free(r->days.v);
    free(r->faults.v);
    free(r->win);
    free(r->user_ix);
    free(r->uo_ix);
}

static int load_ops(rp_report *r)
{
    mk_mapping *m = NULL;
    char err[256];
    if (mk_mapping_load(getenv("MKTOWS_MAPPING_DIR"), &m, err, sizeof err) != 0) {
        fprintf(stderr, "mktows-shim report: %s (the unused operations are left out)\n", err);
        return 0;
    }
    size_t n = mk_mapping_op_count(m);
    r->all_ops = calloc(n, sizeof *r->all_ops);
    for (size_t i = 0; r->all_ops && i < n; i++) {
        r->all_ops[i] = strdup(mk_mapping_op_at(m, i)->name);
        if (!r->all_ops[i])
            break;
        r->nall_ops++;
    }
    mk_mapping_free(m);
    return r->all_ops ? 0 : -1;
}

static void report_usage(FILE *f)
{
    fprintf(f, "usage: mktows-shim report [--since DATE] [--until DATE] [--format html|md|json]\n"
               "                          [--quota N] [--output FILE] LOGFILE...\n"
               "DATE is 2026-12-01 or 2026-12-01T08:00:00Z (UTC; --until is exclusive).\n"
               "LOGFILEs are usage logs (usage_log), plain or gzipped.  --quota is the\n"
               "daily REST quota to compare against (default: Marketo's default, %d).\n",
            RP_DEFAULT_QUOTA);
}

int mktows_report_main(int argc, char **argv)
{
    rp_report r;
    memset(&r, 0, sizeof r);
    r.quota = RP_DEFAULT_QUOTA;
    const char *format = "md", *output = NULL;
    char **files = calloc((size_t)argc, sizeof *files);
    if (!files)
        return 1;
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        const char *v = i + 1 < argc ? argv[i + 1] : NULL;
        if ((strcmp(a, "--since") == 0 || strcmp(a, "--until") == 0) && v) {
            int64_t t = parse_time(v);
            if (t < 0) {
                fprintf(stderr, "mktows-shim report: %s '%s' is not a date (2026-12-01 or "
                                "2026-12-01T08:00:00Z)\n", a, v);
                free(files);
                return 2;
            }
            if (a[2] == 's')
                r.since = t;
            else
                r.until = t;
            i++;
        } else if (strcmp(a, "--format") == 0 && v) {
            format = v;
            i++;
        } else if (strcmp(a, "--output") == 0 && v) {
            output = v;
            i++;
        } else if (strcmp(a, "--quota") == 0 && v) {
            char *end;
            long q = strtol(v, &end, 10);
            if (*end || q <= 0) {
                fprintf(stderr, "mktows-shim report: --quota '%s' is not a positive number\n", v);
                free(files);
                return 2;
            }
            r.quota = q;
            r.quota_given = 1;
            i++;
        } else if (strcmp(a, "--help") == 0 || strcmp(a, "-h") == 0) {
            report_usage(stdout);
            free(files);
            return 0;
        } else if (a[0] == '-' && a[1]) {
            fprintf(stderr, "mktows-shim report: unknown or incomplete option '%s'\n", a);
            report_usage(stderr);
            free(files);
            return 2;
        } else {
            files[r.nfiles++] = argv[i];
        }
    }
    int (*writer)(const rp_report *, FILE *) =
        strcmp(format, "json") == 0 ? rp_write_json
        : strcmp(format, "md") == 0 ? rp_write_md
        : strcmp(format, "html") == 0 ? rp_write_html : NULL;
    if (!writer || !r.nfiles) {
        if (!writer)
            fprintf(stderr, "mktows-shim report: --format must be html, md or json\n");
        else
            fprintf(stderr, "mktows-shim report: no LOGFILE given\n");
        report_usage(stderr);
        free(files);
        return 2;
    }
    r.files = files;
    r.progress = isatty(STDERR_FILENO);
    int rc = 1;
    r.win = window_new();
    if (r.win && load_ops(&r) == 0 && read_all(&r) == 0) {
        FILE *out = output ? fopen(output, "w") : stdout;
        if (!out) {
            fprintf(stderr, "mktows-shim report: cannot write '%s': %s\n", output,
                    strerror(errno));
        } else {
            rc = writer(&r, out) == 0 ? 0 : 1;
            if (output && fclose(out) != 0)
                rc = 1;
            else if (!output && fflush(out) != 0)
                rc = 1;
            if (rc)
                fprintf(stderr, "mktows-shim report: write error\n");
        }
    }
    report_free(&r);
    free(files);
    return rc;
}
