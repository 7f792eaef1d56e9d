/*
 * report_out.c — the usage report's three forms.  JSON is the data (the
 * tests check it number by number); Markdown and HTML are written from one
 * sequence of headings, paragraphs and tables (struct sink), so they cannot
 * carry different numbers.  The HTML page is self-contained: inline CSS and
 * inline SVG charts, no script, no font, no external reference except links
 * to MIGRATION.md sections next to the report.
 */
#include "report/report.h"

#include <math.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>

/* ---- JSON ----------------------------------------------------------------- */

static cJSON *peak_json(const rp_window *w)
{
    char a[32], b[32];
    cJSON *o = cJSON_CreateObject();
    if (!o)
        return NULL;
    rp_time_str(w->peak.calls_at, a);
    rp_time_str(w->peak.rest_at, b);
    cJSON_AddNumberToObject(o, "calls", (double)w->peak.calls);
    cJSON_AddStringToObject(o, "calls_window_end", a);
    cJSON_AddNumberToObject(o, "rest_calls", rp_round2(w->peak.rest));
    cJSON_AddStringToObject(o, "rest_window_end", b);
    return o;
}

static cJSON *counts_json(const rp_counts *c)
{
    cJSON *o = cJSON_CreateObject();
    for (size_t i = 0; o && i < c->n; i++)
        cJSON_AddNumberToObject(o, c->v[i].key, (double)c->v[i].n);
    return o;
}

static cJSON *days_json(const rp_days *d, long quota)
{
    cJSON *a = cJSON_CreateArray();
    for (size_t i = 0; a && i < d->n; i++) {
        char day[16];
        rp_day_str(d->v[i].day, day);
        cJSON *o = cJSON_CreateObject();
        if (!o)
            break;
        cJSON_AddItemToArray(a, o);
        cJSON_AddStringToObject(o, "day", day);
        cJSON_AddNumberToObject(o, "calls", (double)d->v[i].calls);
        cJSON_AddNumberToObject(o, "faults", (double)d->v[i].faults);
        cJSON_AddNumberToObject(o, "rest_calls", rp_round2(d->v[i].rest));
        cJSON_AddNumberToObject(o, "quota_share", round(d->v[i].rest / quota * 1e6) / 1e6);
    }
    return a;
}

static void sums_json(cJSON *o, const rp_sums *s)
{
    cJSON_AddNumberToObject(o, "calls", (double)s->calls);
    cJSON_AddNumberToObject(o, "faults", (double)s->faults);
    cJSON_AddNumberToObject(o, "rest_calls", rp_round2(s->rest));
    cJSON_AddNumberToObject(o, "rest_sends", (double)s->sends);
    cJSON_AddNumberToObject(o, "rest_per_call",
                            s->calls ? rp_round2(s->rest / (double)s->calls) : 0);
    cJSON_AddNumberToObject(o, "records_in", (double)s->records_in);
    cJSON_AddNumberToObject(o, "records_out", (double)s->records_out);
    cJSON_AddNumberToObject(o, "bytes_in", s->bytes_in);
    cJSON_AddNumberToObject(o, "bytes_out", s->bytes_out);
    cJSON_AddNumberToObject(o, "latency_ms_mean",
                            s->calls ? rp_round2(s->latency_ms / (double)s->calls) : 0);
}

static void anchor(const char *op, char *buf, size_t len)
{
    size_t i = 0;
    for (; op[i] && i + 1 < len; i++)
        buf[i] = (char)(op[i] >= 'A' && op[i] <= 'Z' ? op[i] - 'A' + 'a' : op[i]);
    buf[i] = '\0';
}

int rp_write_json(const rp_report *r, FILE *out)
{
    cJSON *root = cJSON_CreateObject();
    if (!root)
        return -1;
    char a[32], b[32];
    cJSON *inputs = cJSON_AddArrayToObject(root, "inputs");
    for (size_t i = 0; inputs && i < r->nfiles; i++)
        cJSON_AddItemToArray(inputs, cJSON_CreateString(r->files[i]));
    cJSON_AddNumberToObject(root, "lines", (double)r->lines);
    cJSON_AddNumberToObject(root, "lines_skipped", (double)r->skipped);
    cJSON_AddNumberToObject(root, "lines_outside_period", (double)r->filtered);
    cJSON_AddNumberToObject(root, "late_lines", (double)r->late);
    rp_time_str(r->first, a);
    rp_time_str(r->last, b);
    cJSON_AddStringToObject(root, "first", r->lines ? a : "");
    cJSON_AddStringToObject(root, "last", r->lines ? b : "");
    cJSON *q = cJSON_AddObjectToObject(root, "quota");
    cJSON_AddNumberToObject(q, "daily", (double)r->quota);
    cJSON_AddStringToObject(q, "source", r->quota_given ? "--quota" : "Marketo's default");
    cJSON_AddNumberToObject(root, "window_seconds", RP_WINDOW_SECONDS);
    cJSON *tot = cJSON_AddObjectToObject(root, "totals");
    sums_json(tot, &r->sum);
    cJSON_AddItemToObject(tot, "faults_by_code", counts_json(&r->faults));
    cJSON_AddItemToObject(tot, "peak_20s", peak_json(r->win));
    cJSON_AddItemToObject(tot, "days", days_json(&r->days, r->quota));

    cJSON *users = cJSON_AddArrayToObject(root, "users");
    for (size_t i = 0; users && i < r->nusers; i++) {
        const rp_user *u = &r->users[i];
        cJSON *o = cJSON_CreateObject();
        cJSON_AddItemToArray(users, o);
        cJSON_AddStringToObject(o, "user", u->name);
        sums_json(o, &u->sum);
        cJSON_AddItemToObject(o, "faults_by_code", counts_json(&u->faults));
        cJSON_AddItemToObject(o, "peak_20s", peak_json(u->win));
        cJSON_AddItemToObject(o, "days", days_json(&u->days, r->quota));
        cJSON *ops = cJSON_AddArrayToObject(o, "operations");
        for (size_t k = 0; ops && k < r->nuos; k++) {
            const rp_uo *x = &r->uos[k];
            if (x->user != (int)i)
                continue;
            cJSON *p = cJSON_CreateObject();
            cJSON_AddItemToArray(ops, p);
            cJSON_AddStringToObject(p, "operation", x->op);
            sums_json(p, &x->sum);
            cJSON_AddItemToObject(p, "faults_by_code", counts_json(&x->faults));
            cJSON_AddItemToObject(p, "rest", counts_json(&x->calls));
            cJSON_AddItemToObject(p, "peak_20s", peak_json(x->win));
            cJSON_AddItemToObject(p, "days", days_json(&x->days, r->quota));
        }
    }
    size_t nplan;
    rp_plan_row *plan = rp_plan(r, &nplan);
    cJSON *pa = cJSON_AddArrayToObject(root, "plan");
    for (size_t i = 0; pa && i < nplan; i++) {
        char anc[64], link[96], explain[96];
        anchor(plan[i].uo->op, anc, sizeof anc);
        snprintf(link, sizeof link, "MIGRATION.md#%s", anc);
        snprintf(explain, sizeof explain, "mktows-shim --explain %s", plan[i].uo->op);
        cJSON *p = cJSON_CreateObject();
        cJSON_AddItemToArray(pa, p);
        cJSON_AddNumberToObject(p, "rank", (double)(i + 1));
        cJSON_AddStringToObject(p, "user", r->users[plan[i].uo->user].name);
        cJSON_AddStringToObject(p, "operation", plan[i].uo->op);
        cJSON_AddNumberToObject(p, "score", rp_round2(plan[i].score));
        cJSON_AddNumberToObject(p, "active_days", plan[i].active_days);
        cJSON_AddNumberToObject(p, "calls_per_day", rp_round2(plan[i].calls_per_day));
        cJSON_AddNumberToObject(p, "rest_calls_per_day", rp_round2(plan[i].rest_per_day));
        cJSON_AddNumberToObject(p, "quota_share", round(plan[i].quota_share * 1e6) / 1e6);
        cJSON_AddNumberToObject(p, "fault_rate", round(plan[i].fault_rate * 1e4) / 1e4);
        cJSON_AddStringToObject(p, "migration", link);
        cJSON_AddStringToObject(p, "explain", explain);
    }
    free(plan);
    size_t nun;
    const char **un = rp_unused(r, &nun);
    cJSON *ua = cJSON_AddArrayToObject(root, "unused_operations");
    for (size_t i = 0; ua && un && i < nun; i++)
        cJSON_AddItemToArray(ua, cJSON_CreateString(un[i]));
    free(un);
    char *text = cJSON_Print(root);
    cJSON_Delete(root);
    if (!text)
        return -1;
    int rc = fputs(text, out) < 0 || fputc('\n', out) == EOF ? -1 : 0;
    cJSON_free(text);
    return rc;
}

/* ---- Markdown and HTML from one description ------------------------------------- */

typedef struct sink {
    FILE *out;
    int html;
} sink;

static void esc(const sink *s, const char *t)
{
    for (; *t; t++) {
        if (s->html && (*t == '<' || *t == '>' || *t == '&' || *t == '"'))
            fputs(*t == '<' ? "&lt;" : *t == '>' ? "&gt;" : *t == '&' ? "&amp;" : "&quot;",
                  s->out);
        else if (!s->html && *t == '|')
            fputs("\\|", s->out);
        else
            fputc(*t, s->out);
    }
}

static void heading(const sink *s, int level, const char *text)
{
    if (s->html) {
        fprintf(s->out, "<h%d>", level);
        esc(s, text);
        fprintf(s->out, "</h%d>\n", level);
    } else {
        fprintf(s->out, "\n%.*s ", level, "######");
        esc(s, text);
        fputs("\n\n", s->out);
    }
}

static void para(const sink *s, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void para(const sink *s, const char *fmt, ...)
{
    char buf[2048];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(buf, sizeof buf, fmt, ap);
    va_end(ap);
    fputs(s->html ? "<p>" : "", s->out);
    esc(s, buf);
    fputs(s->html ? "</p>\n" : "\n\n", s->out);
}

/* A table: header cells, then rows of cells.  A cell "@link|text" is a link. */
static void table_start(const sink *s, const char *kind, int n, const char *const *head)
{
    if (s->html) {
        fprintf(s->out, "<table class=\"%s\"><thead><tr>", kind);
        for (int i = 0; i < n; i++) {
            fputs("<th>", s->out);
            esc(s, head[i]);
            fputs("</th>", s->out);
        }
        fputs("</tr></thead><tbody>\n", s->out);
    } else {
        fputs("|", s->out);
        for (int i = 0; i < n; i++) {
            fputc(' ', s->out);
            esc(s, head[i]);
            fputs(" |", s->out);
        }
        fputs("\n|", s->out);
        for (int i = 0; i < n; i++)
            fputs("---|", s->out);
        fputc('\n', s->out);
    }
}

static void cell(const sink *s, const char *c)
{
    if (s->html)
        fputs("<td>", s->out);
    else
        fputc(' ', s->out);
    if (c[0] == '@') {
        const char *bar = strchr(c, '|');
        char href[256];
        snprintf(href, sizeof href, "%.*s", bar ? (int)(bar - c - 1) : 0, c + 1);
        const char *text = bar ? bar + 1 : c + 1;
        if (s->html) {
            fputs("<a href=\"", s->out);
            esc(s, href);
            fputs("\">", s->out);
            esc(s, text);
            fputs("</a>", s->out);
        } else {
            fputc('[', s->out);
            esc(s, text);
            fprintf(s->out, "](%s)", href);
        }
    } else if (c[0] == '`' && !s->html) {
        fputs(c, s->out);
    } else if (c[0] == '`') {
        fputs("<code>", s->out);
        char tmp[256];
        snprintf(tmp, sizeof tmp, "%.*s", (int)strlen(c) - 2, c + 1);
        esc(s, tmp);
        fputs("</code>", s->out);
    } else {
        esc(s, c);
    }
    fputs(s->html ? "</td>" : " |", s->out);
}

static void row(const sink *s, const char *attrs, int n, char cells[][160])
{
    fputs(s->html ? "<tr" : "|", s->out);
    if (s->html) {
        if (attrs)
            fprintf(s->out, " %s", attrs);
        fputc('>', s->out);
    }
    for (int i = 0; i < n; i++)
        cell(s, cells[i]);
    fputs(s->html ? "</tr>\n" : "\n", s->out);
}

static void table_end(const sink *s)
{
    fputs(s->html ? "</tbody></table>\n" : "\n", s->out);
}

static void faults_text(const rp_counts *c, char *buf, size_t len)
{
    buf[0] = '\0';
    for (size_t i = 0; i < c->n; i++) {
        size_t u = strlen(buf);
        snprintf(buf + u, len - u, "%s%s×%ld", i ? ", " : "", c->v[i].key, c->v[i].n);
    }
    if (!c->n)
        snprintf(buf, len, "-");
}

/* ---- charts ------------------------------------------------------------------------- */

static const char *const palette[] = {"#1f77b4", "#ff7f0e", "#2ca02c", "#d62728",
                                      "#9467bd", "#8c564b", "#e377c2", "#7f7f7f",
                                      "#bcbd22", "#17becf", "#393b79", "#e7ba52"};
#define NPALETTE (sizeof palette / sizeof palette[0])

/* Stacked bars: per day of r->days, one segment per user (calls or REST). */
static void chart(const sink *s, const rp_report *r, int rest, const char *title)
{
    const int W = 760, H = 260, L = 60, R = 20, T = 30, B = 50;
    size_t nd = r->days.n ? r->days.n : 1;
    double max = 0;
    for (size_t d = 0; d < r->days.n; d++) {
        double v = rest ? r->days.v[d].rest : (double)r->days.v[d].calls;
        if (v > max)
            max = v;
    }
    if (max <= 0)
        max = 1;
    double pw = W - L - R, ph = H - T - B, slot = pw / (double)nd, bw = slot * 0.7;
    fprintf(s->out, "<figure><svg class=\"chart\" data-kind=\"%s\" xmlns=\"http://www.w3.org/2000/svg\" "
                    "width=\"%d\" height=\"%d\" viewBox=\"0 0 %d %d\" role=\"img\">\n",
            rest ? "rest" : "calls", W, H, W, H);
    fprintf(s->out, "<text x=\"%d\" y=\"18\" class=\"t\">", L);
    esc(s, title);
    fputs("</text>\n", s->out);
    fprintf(s->out, "<line x1=\"%d\" y1=\"%d\" x2=\"%d\" y2=\"%d\" class=\"axis\"/>\n", L, H - B,
            W - R, H - B);
    fprintf(s->out, "<line x1=\"%d\" y1=\"%d\" x2=\"%d\" y2=\"%d\" class=\"axis\"/>\n", L, T, L,
            H - B);
    fprintf(s->out, "<text x=\"%d\" y=\"%d\" class=\"y\">%.0f</text>\n", L - 6, T + 4, max);
    fprintf(s->out, "<text x=\"%d\" y=\"%d\" class=\"y\">0</text>\n", L - 6, H - B + 4);
    size_t every = nd > 12 ? (nd + 11) / 12 : 1;
    for (size_t d = 0; d < r->days.n; d++) {
        double x = L + slot * (double)d + (slot - bw) / 2, y = H - B;
        char day[16];
        rp_day_str(r->days.v[d].day, day);
        for (size_t ui = 0; ui < r->nusers; ui++) {
            const rp_days *ud = &r->users[ui].days;
            double v = 0;
            for (size_t k = 0; k < ud->n; k++)
                if (ud->v[k].day == r->days.v[d].day)
                    v = rest ? ud->v[k].rest : (double)ud->v[k].calls;
            if (v <= 0)
                continue;
            double h = v / max * ph;
            y -= h;
            fprintf(s->out,
                    "<rect x=\"%.1f\" y=\"%.1f\" width=\"%.1f\" height=\"%.1f\" fill=\"%s\" "
                    "data-user=\"",
                    x, y, bw, h, palette[ui % NPALETTE]);
            esc(s, r->users[ui].name);
            fprintf(s->out, "\" data-day=\"%s\" data-value=\"%.2f\"><title>", day, v);
            esc(s, r->users[ui].name);
            fprintf(s->out, " %s: %.2f</title></rect>\n", day, v);
        }
        if (d % every == 0)
            fprintf(s->out, "<text x=\"%.1f\" y=\"%d\" class=\"x\">%s</text>\n", x + bw / 2,
                    H - B + 16, day);
    }
    fputs("</svg><figcaption>", s->out);
    for (size_t ui = 0; ui < r->nusers; ui++) {
        fprintf(s->out, "<span class=\"key\" style=\"background:%s\"></span>", palette[ui % NPALETTE]);
        esc(s, r->users[ui].name);
        fputs(" ", s->out);
    }
    fputs("</figcaption></figure>\n", s->out);
}

/* ---- the document -------------------------------------------------------------------- */

static void body(const sink *s, const rp_report *r)
{
    char a[32], b[32], cells[12][160];
    rp_time_str(r->first, a);
    rp_time_str(r->last, b);
    heading(s, 1, "mktows-shim usage report");
    para(s, "%ld usage lines from %zu file(s), %s to %s; %ld skipped (not usage lines), %ld "
            "outside --since/--until, %ld too late for the 20-second peaks (more than %d s "
            "older than the newest line).",
         r->lines, r->nfiles, r->lines ? a : "-", r->lines ? b : "-", r->skipped, r->filtered,
         r->late, RP_LATE_SECONDS);
    para(s, "Daily REST quota compared against: %ld (%s). REST calls shared by coalesced "
            "requests count 1/k to each of the k requests, so the sums are the calls Marketo "
            "counted.",
         r->quota, r->quota_given ? "given with --quota" : "Marketo's default");
    para(s, "All users: %ld SOAP calls, %ld faults, %.2f REST calls; busiest %d seconds: %ld "
            "SOAP calls, %.2f REST calls (Marketo allows 100 REST calls per 20 s per instance).",
         r->sum.calls, r->sum.faults, rp_round2(r->sum.rest), RP_WINDOW_SECONDS,
         r->win->peak.calls, rp_round2(r->win->peak.rest));

    if (s->html) {
        chart(s, r, 0, "SOAP calls per day, by SOAP user");
        chart(s, r, 1, "REST calls per day, by SOAP user");
    }

    heading(s, 2, "Migration plan");
    para(s, "Ranked by score = REST calls per active day x (1 + fault rate): what rewriting "
            "that caller's use of that operation takes off the shared daily quota, pushed up "
            "(at most twice) when its calls fail.");
    static const char *const ph[] = {"#", "SOAP user", "operation", "score", "calls/day",
                                     "REST calls/day", "quota share", "fault rate",
                                     "MIGRATION.md", "explain"};
    table_start(s, "plan", 10, ph);
    size_t nplan;
    rp_plan_row *plan = rp_plan(r, &nplan);
    for (size_t i = 0; i < nplan; i++) {
        char anc[64], attrs[200];
        anchor(plan[i].uo->op, anc, sizeof anc);
        snprintf(cells[0], 160, "%zu", i + 1);
        snprintf(cells[1], 160, "%s", r->users[plan[i].uo->user].name);
        snprintf(cells[2], 160, "%s", plan[i].uo->op);
        snprintf(cells[3], 160, "%.2f", rp_round2(plan[i].score));
        snprintf(cells[4], 160, "%.2f", rp_round2(plan[i].calls_per_day));
        snprintf(cells[5], 160, "%.2f", rp_round2(plan[i].rest_per_day));
        snprintf(cells[6], 160, "%.4f%%", plan[i].quota_share * 100);
        snprintf(cells[7], 160, "%.2f%%", plan[i].fault_rate * 100);
        snprintf(cells[8], 160, "@MIGRATION.md#%s|%s", anc, plan[i].uo->op);
        snprintf(cells[9], 160, "`mktows-shim --explain %s`", plan[i].uo->op);
        snprintf(attrs, sizeof attrs, "data-rank=\"%zu\"", i + 1);
        row(s, attrs, 10, cells);
    }
    free(plan);
    table_end(s);

    heading(s, 2, "Per SOAP user and operation");
    static const char *const uh[] = {"SOAP user", "operation", "calls", "faults",
                                     "faults by code", "REST calls", "REST/call",
                                     "records in", "records out", "peak 20 s calls",
                                     "peak 20 s REST", "mean ms"};
    table_start(s, "uo", 12, uh);
    for (size_t ui = 0; ui < r->nusers; ui++)
        for (size_t k = 0; k < r->nuos; k++) {
            const rp_uo *x = &r->uos[k];
            if (x->user != (int)ui)
                continue;
            snprintf(cells[0], 160, "%s", r->users[ui].name);
            snprintf(cells[1], 160, "%s", x->op);
            snprintf(cells[2], 160, "%ld", x->sum.calls);
            snprintf(cells[3], 160, "%ld", x->sum.faults);
            faults_text(&x->faults, cells[4], 160);
            snprintf(cells[5], 160, "%.2f", rp_round2(x->sum.rest));
            snprintf(cells[6], 160, "%.2f",
                     x->sum.calls ? rp_round2(x->sum.rest / (double)x->sum.calls) : 0);
            snprintf(cells[7], 160, "%ld", x->sum.records_in);
            snprintf(cells[8], 160, "%ld", x->sum.records_out);
            snprintf(cells[9], 160, "%ld", x->win->peak.calls);
            snprintf(cells[10], 160, "%.2f", rp_round2(x->win->peak.rest));
            snprintf(cells[11], 160, "%.2f",
                     x->sum.calls ? rp_round2(x->sum.latency_ms / (double)x->sum.calls) : 0);
            row(s, NULL, 12, cells);
        }
    table_end(s);

    heading(s, 2, "Per SOAP user and day");
    static const char *const dh[] = {"SOAP user", "day", "calls", "faults", "REST calls",
                                     "quota share"};
    table_start(s, "days", 6, dh);
    for (size_t ui = 0; ui < r->nusers; ui++)
        for (size_t d = 0; d < r->users[ui].days.n; d++) {
            const rp_day *x = &r->users[ui].days.v[d];
            snprintf(cells[0], 160, "%s", r->users[ui].name);
            rp_day_str(x->day, cells[1]);
            snprintf(cells[2], 160, "%ld", x->calls);
            snprintf(cells[3], 160, "%ld", x->faults);
            snprintf(cells[4], 160, "%.2f", rp_round2(x->rest));
            snprintf(cells[5], 160, "%.4f%%", x->rest / (double)r->quota * 100);
            row(s, NULL, 6, cells);
        }
    table_end(s);

    heading(s, 2, "Per SOAP user");
    static const char *const sh[] = {"SOAP user", "calls", "faults", "faults by code",
                                     "REST calls", "peak 20 s calls", "peak 20 s REST"};
    table_start(s, "users", 7, sh);
    for (size_t ui = 0; ui < r->nusers; ui++) {
        const rp_user *u = &r->users[ui];
        snprintf(cells[0], 160, "%s", u->name);
        snprintf(cells[1], 160, "%ld", u->sum.calls);
        snprintf(cells[2], 160, "%ld", u->sum.faults);
        faults_text(&u->faults, cells[3], 160);
        snprintf(cells[4], 160, "%.2f", rp_round2(u->sum.rest));
        snprintf(cells[5], 160, "%ld", u->win->peak.calls);
        snprintf(cells[6], 160, "%.2f", rp_round2(u->win->peak.rest));
        row(s, NULL, 7, cells);
    }
    table_end(s);

    heading(s, 2, "REST calls made, per SOAP user and operation");
    static const char *const rh[] = {"SOAP user", "operation", "REST call", "sends"};
    table_start(s, "rest", 4, rh);
    for (size_t k = 0; k < r->nuos; k++)
        for (size_t i = 0; i < r->uos[k].calls.n; i++) {
            snprintf(cells[0], 160, "%s", r->users[r->uos[k].user].name);
            snprintf(cells[1], 160, "%s", r->uos[k].op);
            snprintf(cells[2], 160, "%s", r->uos[k].calls.v[i].key);
            snprintf(cells[3], 160, "%ld", r->uos[k].calls.v[i].n);
            row(s, NULL, 4, cells);
        }
    table_end(s);

    heading(s, 2, "Operations nobody calls");
    size_t nun;
    const char **un = rp_unused(r, &nun);
    char list[2048] = "";
    for (size_t i = 0; un && i < nun; i++) {
        size_t u = strlen(list);
        snprintf(list + u, sizeof list - u, "%s%s", i ? ", " : "", un[i]);
    }
    free(un);
    para(s, "%s", nun ? list : "none: every operation was called");
    if (nun)
        para(s, "Nothing to rewrite for these %zu operation(s).", nun);
}

int rp_write_md(const rp_report *r, FILE *out)
{
    sink s = {out, 0};
    body(&s, r);
    return ferror(out) ? -1 : 0;
}

int rp_write_html(const rp_report *r, FILE *out)
{
    sink s = {out, 1};
    fputs("<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">"
          "<title>mktows-shim usage report</title>\n<style>\n"
          "body{font:14px/1.4 sans-serif;margin:2em;color:#222}"
          "table{border-collapse:collapse;margin:1em 0}"
          "th,td{border:1px solid #ccc;padding:3px 8px;text-align:right}"
          "th:nth-child(-n+2),td:nth-child(-n+2){text-align:left}"
          "th{background:#f0f0f0}code{font-family:monospace}"
          ".chart .axis{stroke:#555}.chart text{font:11px sans-serif;fill:#333}"
          ".chart .y{text-anchor:end}.chart .x{text-anchor:middle}.chart .t{font-weight:bold}"
          ".key{display:inline-block;width:10px;height:10px;margin:0 4px 0 12px}"
          "figure{margin:1em 0}\n</style></head><body>\n",
          out);
    body(&s, r);
    fputs("</body></html>\n", out);
    return ferror(out) ? -1 : 0;
}
