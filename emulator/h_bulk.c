/*
 * h_bulk.c — bulk lead import (rest-api.md §d.7).
 *
 *   POST /bulk/v1/leads.json?format=csv|tsv|ssv[&lookupField=][&partitionName=][&listId=]
 *        multipart/form-data, part "file"        → {batchId, importId, status:"Queued"}
 *   GET  /bulk/v1/leads/batch/{batchId}.json      → status and counters
 *   GET  /bulk/v1/leads/batch/{batchId}/failures.json   failed rows + reason column
 *   GET  /bulk/v1/leads/batch/{batchId}/warnings.json   rows with warnings + reason
 *
 * The file is parsed and applied when it is received, under the store's
 * write lock, through the same lead upsert Sync Leads uses
 * (emu_lead_sync_one), so an import and a sync of the same rows end in the
 * same leads and the same New Lead / Change Data Value activities.  Imported
 * leads are added to listId (Add to List activities).
 *
 * What a client watches — status Queued → Importing → Complete and the
 * counters — is derived from the time since creation: one step (default
 * 1000 ms, MKTOWS_EMU_IMPORT_STEP_MS in the environment to change it) in each
 * of Queued and Importing.  Deriving it from time keeps no timers or threads,
 * and /_emulator/reset forgets imports with the rest of the store.
 *
 * Limits: at most 10 imports Queued at once (1016); a second import into a
 * list whose import has not completed yet gets 1019; at most 1000 columns
 * (1003).  The 10 MB body limit is the server's.  A row costs time and
 * memory in proportion to its header's columns, whatever the file holds.
 *
 * Store: "imports": [{id, listId, createdMs, imported, failed, warned,
 * members, format, failures, warnings}] — failures/warnings are the files'
 * text, kept so the file endpoints can answer at any time.
 */
#include "h_family.h"

#include "buf.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#define MAX_QUEUED_IMPORTS 10
/* Marketo documents no column limit; a lead has far fewer fields than this,
 * and the limit keeps a 10 MB header of empty names from costing gigabytes. */
#define MAX_IMPORT_COLUMNS 1000
#define DEFAULT_STEP_MS 1000

/* ---- the failure/warning files ---------------------------------------------- */

/* One cell, quoted when it holds the delimiter, a quote or a line break. */
static void csv_cell(emu_buf *b, const char *s, char delim)
{
    if (!strchr(s, delim) && !strchr(s, '"') && !strchr(s, '\n') && !strchr(s, '\r')) {
        emu_buf_str(b, s);
        return;
    }
    emu_buf_put(b, "\"", 1);
    for (; *s; s++) {
        if (*s == '"')
            emu_buf_put(b, "\"", 1);
        emu_buf_put(b, s, 1);
    }
    emu_buf_put(b, "\"", 1);
}

/* A row of the failure/warning file: the row's first `ncols` cells (padded,
 * so the reason always lands in the reason column), then the reason. */
static void csv_row(emu_buf *b, const cJSON *cells, int ncols, const char *reason, char delim)
{
    const cJSON *c = cells ? cells->child : NULL;
    for (int i = 0; i < ncols; i++) {
        if (i)
            emu_buf_put(b, &delim, 1);
        csv_cell(b, cJSON_IsString(c) ? c->valuestring : "", delim);
        if (c)
            c = c->next;
    }
    if (reason) {
        if (ncols)
            emu_buf_put(b, &delim, 1);
        csv_cell(b, reason, delim);
    }
    emu_buf_put(b, "\n", 1);
}

/* ---- delimited text ---------------------------------------------------------- */

/* One record of the file: its first cells (at most the `max` asked for, so
 * a row of millions of empty cells costs no memory), how many it had, and
 * whether all of them were empty. */
typedef struct {
    cJSON *cells;            /* array of strings */
    int n;                   /* cells in the row, kept or not */
    bool blank;
} record;

static void record_cell(record *r, const emu_buf *cell, int max)
{
    const char *text = cell->s ? cell->s : "";
    if (*text)
        r->blank = false;
    if (r->n++ < max)
        cJSON_AddItemToArray(r->cells, cJSON_CreateString(text));
}

/* Parse the record starting at *p (RFC 4180 quoting, LF or CRLF ends it).
 * Returns false at end of input. */
static bool next_record(const char **p, const char *end, char delim, int max, record *r)
{
    const char *s = *p;
    if (s >= end)
        return false;
    *r = (record){.cells = cJSON_CreateArray(), .blank = true};
    emu_buf cell = {0};
    bool quoted = false, at_start = true;
    for (;;) {
        if (s >= end) {
            record_cell(r, &cell, max);
            break;
        }
        char ch = *s;
        if (quoted) {
            if (ch == '"') {
                if (s + 1 < end && s[1] == '"') {
                    emu_buf_put(&cell, "\"", 1);
                    s += 2;
                    continue;
                }
                quoted = false;
                s++;
                continue;
            }
            emu_buf_put(&cell, s, 1);
            s++;
            continue;
        }
        if (ch == '"' && at_start) {
            quoted = true;
            at_start = false;
            s++;
            continue;
        }
        if (ch == delim) {
            record_cell(r, &cell, max);
            emu_buf_clear(&cell);
            at_start = true;
            s++;
            continue;
        }
        if (ch == '\n' || ch == '\r') {
            record_cell(r, &cell, max);
            if (ch == '\r' && s + 1 < end && s[1] == '\n')
                s++;
            s++;
            break;
        }
        emu_buf_put(&cell, s, 1);
        at_start = false;
        s++;
    }
    emu_buf_free(&cell);
    *p = s;
    return true;
}

/* For each header column, the index of the first column of the same name
 * (names compare case-insensitively, as lead fields do), or -1 for an
 * unnamed one: a row's value for a field is its first non-empty cell among
 * those columns.  Sorting keeps this linearithmic for any header. */
typedef struct { const char *name; int idx; } colname;

static int colname_cmp(const void *a, const void *b)
{
    const colname *x = a, *y = b;
    int c = strcasecmp(x->name, y->name);
    return c ? c : (x->idx > y->idx) - (x->idx < y->idx);
}

static int *column_groups(const cJSON *header, int ncols)
{
    int *group = malloc((size_t)ncols * sizeof *group);
    colname *v = malloc((size_t)ncols * sizeof *v);
    if (!group || !v) {
        free(group);
        free(v);
        return NULL;
    }
    int i = 0;
    const cJSON *h;
    cJSON_ArrayForEach(h, header) {
        v[i] = (colname){h->valuestring, i};
        i++;
    }
    qsort(v, (size_t)ncols, sizeof *v, colname_cmp);
    for (i = 0; i < ncols; i++) {
        int first = i > 0 && !strcasecmp(v[i - 1].name, v[i].name) ? group[v[i - 1].idx]
                                                                    : v[i].idx;
        group[v[i].idx] = *v[i].name ? first : -1;
    }
    free(v);
    return group;
}

/* ---- multipart/form-data ----------------------------------------------------- */

static const char *find_mem(const char *hay, size_t n, const char *needle, size_t m)
{
    if (m == 0 || n < m)
        return NULL;
    for (size_t i = 0; i + m <= n; i++) {
        if (hay[i] == needle[0] && memcmp(hay + i, needle, m) == 0)
            return hay + i;
    }
    return NULL;
}

/* The content of the part named "file".  Returns false when the body is not
 * a well-formed multipart body; *found tells whether the part was there. */
static bool multipart_file(const emu_req *req, const char **data, size_t *len, bool *found)
{
    *found = false;
    const char *ct = req->content_type;
    if (!ct || strncasecmp(ct, "multipart/form-data", 19) != 0 || !req->body)
        return false;
    const char *bp = NULL;
    for (const char *c = ct; *c; c++) {
        if (strncasecmp(c, "boundary=", 9) == 0) {
            bp = c;
            break;
        }
    }
    if (!bp)
        return false;
    bp += 9;
    char boundary[256];
    size_t bl = 0;
    boundary[bl++] = '-';
    boundary[bl++] = '-';
    bool q = *bp == '"';
    if (q)
        bp++;
    while (*bp && bl < sizeof boundary - 1 && (q ? *bp != '"' : (*bp != ';' && *bp != ' ')))
        boundary[bl++] = *bp++;
    boundary[bl] = '\0';
    if (bl <= 2)
        return false;

    const char *body = req->body, *end = req->body + req->body_len;
    const char *part = find_mem(body, req->body_len, boundary, bl);
    if (!part)
        return false;
    for (;;) {
        part += bl;
        if (end - part >= 2 && part[0] == '-' && part[1] == '-')
            return true; /* closing boundary */
        const char *hdr_end = find_mem(part, (size_t)(end - part), "\r\n\r\n", 4);
        if (!hdr_end)
            return false;
        const char *content = hdr_end + 4;
        const char *next = find_mem(content, (size_t)(end - content), boundary, bl);
        if (!next)
            return false;
        size_t clen = (size_t)(next - content);
        if (clen >= 2 && content[clen - 2] == '\r' && content[clen - 1] == '\n')
            clen -= 2;
        /* Headers of this part: look for name="file" in Content-Disposition. */
        size_t hlen = (size_t)(hdr_end - part);
        if (find_mem(part, hlen, "name=\"file\"", 11) || find_mem(part, hlen, "name=file", 9)) {
            *data = content;
            *len = clen;
            *found = true;
            return true;
        }
        part = next;
    }
}

/* ---- imports in the store ------------------------------------------------------ */

static int64_t step_ms(void)
{
    const char *e = getenv("MKTOWS_EMU_IMPORT_STEP_MS");
    int64_t v;
    if (e && fam_parse_i64(e, &v) && v >= 0 && v <= 3600 * 1000)
        return v;
    return DEFAULT_STEP_MS;
}

typedef enum { ST_QUEUED, ST_IMPORTING, ST_COMPLETE } import_state;

static import_state state_of(const cJSON *imp, int64_t now)
{
    int64_t created = 0;
    fam_get_i64(imp, "createdMs", &created);
    int64_t step = step_ms();
    if (now < created + step)
        return ST_QUEUED;
    if (now < created + 2 * step)
        return ST_IMPORTING;
    return ST_COMPLETE;
}

static int64_t get_num(const cJSON *o, const char *name)
{
    int64_t v = 0;
    fam_get_i64(o, name, &v);
    return v;
}

/* The status record a client sees (SPEC ImportLeadResponse), as of now. */
static cJSON *status_view(const cJSON *imp)
{
    int64_t now = emu_now_ms();
    int64_t id = get_num(imp, "id");
    int64_t imported = get_num(imp, "imported"), failed = get_num(imp, "failed");
    int64_t warned = get_num(imp, "warned"), members = get_num(imp, "members");
    import_state st = state_of(imp, now);
    char idtext[24], msg[160];
    snprintf(idtext, sizeof idtext, "%" PRId64, id);
    cJSON *out = cJSON_CreateObject();
    cJSON_AddNumberToObject(out, "batchId", (double)id);
    cJSON_AddStringToObject(out, "importId", idtext);
    switch (st) {
    case ST_QUEUED:
        cJSON_AddStringToObject(out, "status", "Queued");
        imported = failed = warned = 0;
        snprintf(msg, sizeof msg, "Queued for processing");
        break;
    case ST_IMPORTING:
        cJSON_AddStringToObject(out, "status", "Importing");
        /* Halfway through, as a client polling mid-import would see. */
        imported /= 2;
        failed /= 2;
        warned /= 2;
        snprintf(msg, sizeof msg, "Import in progress, %" PRId64 " records imported", imported);
        break;
    case ST_COMPLETE:
        cJSON_AddStringToObject(out, "status", "Complete");
        if (failed)
            snprintf(msg, sizeof msg,
                     "Import completed with errors, %" PRId64 " records imported (%" PRId64
                     " members), %" PRId64 " failed",
                     imported, members, failed);
        else
            snprintf(msg, sizeof msg,
                     "Import succeeded, %" PRId64 " records imported (%" PRId64 " members)",
                     imported, members);
        break;
    }
    cJSON_AddNumberToObject(out, "numOfLeadsProcessed", (double)imported);
    cJSON_AddNumberToObject(out, "numOfRowsFailed", (double)failed);
    cJSON_AddNumberToObject(out, "numOfRowsWithWarning", (double)warned);
    cJSON_AddStringToObject(out, "message", msg);
    return out;
}

static char delimiter_of(const char *format)
{
    if (!strcasecmp(format, "csv"))
        return ',';
    if (!strcasecmp(format, "tsv"))
        return '\t';
    if (!strcasecmp(format, "ssv"))
        return ';';
    return 0;
}

/* The first reason of a skipped sync item, as text. */
static void reason_text(const cJSON *item, char *out, size_t n)
{
    const cJSON *r = cJSON_GetArrayItem(cJSON_GetObjectItemCaseSensitive(item, "reasons"), 0);
    const char *m = fam_get_str(r, "message");
    snprintf(out, n, "%s", m ? m : "Failed to import");
}

/* ---- POST /bulk/v1/leads.json ----------------------------------------------- */

/* One upload being applied: what the rows need, and what they produced. */
typedef struct {
    char delim;
    const cJSON *header;     /* column names */
    int ncols;
    int *group;              /* column_groups(header) */
    int *seen;               /* per group: the last row that gave it a value */
    const char *action, *lookup, *partition;
    int64_t list_id;
    int64_t imported, failed, warned, members;
    emu_buf failures, warnings;
} import_job;

/* Upsert one row (write lock held) and account for it. */
static void import_row(import_job *job, const record *row, int rowno)
{
    cJSON *rec = cJSON_CreateObject();
    const cJSON *cell = row->cells->child, *col = job->header->child;
    for (int i = 0; cell && i < job->ncols; i++, cell = cell->next, col = col->next) {
        int g = job->group[i];
        /* Empty cells leave a field as it is, as Marketo's import does; of
         * columns naming the same field, the first with a value wins. */
        if (g < 0 || !*cell->valuestring || job->seen[g] == rowno)
            continue;
        job->seen[g] = rowno;
        cJSON_AddStringToObject(rec, col->valuestring, cell->valuestring);
    }
    cJSON *item = emu_lead_sync_one(rec, job->action, job->lookup, job->partition);
    const char *status = fam_get_str(item, "status");
    int64_t lead_id;
    if (status && (!strcmp(status, "created") || !strcmp(status, "updated")) &&
        fam_get_i64(item, "id", &lead_id)) {
        job->imported++;
        if (job->list_id && fam_list_add_member(job->list_id, lead_id))
            job->members++;
        if (row->n > job->ncols) {
            job->warned++;
            csv_row(&job->warnings, row->cells, job->ncols, "Extra values in row ignored",
                   job->delim);
        }
    } else {
        char why[256];
        reason_text(item, why, sizeof why);
        job->failed++;
        csv_row(&job->failures, row->cells, job->ncols, why, job->delim);
    }
    cJSON_Delete(item);
    cJSON_Delete(rec);
}

static void h_import(const emu_req *req, emu_resp *resp)
{
    const char *format = fam_param_required(req, resp, "format");
    if (!format)
        return;
    import_job job = {.delim = delimiter_of(format)};
    if (!job.delim) {
        emu_fail(resp, "1003", "Invalid format '%.16s': use csv, tsv or ssv", format);
        return;
    }
    job.lookup = emu_param(req, "lookupField");
    if (job.lookup && !*job.lookup)
        job.lookup = NULL;
    job.partition = emu_param(req, "partitionName");
    if (job.partition && !*job.partition)
        job.partition = NULL;
    const char *qlist = emu_param(req, "listId");
    if (qlist && *qlist && (!fam_parse_i64(qlist, &job.list_id) || job.list_id <= 0)) {
        emu_fail(resp, "1001", "Invalid value '%.32s'. Required of type 'integer'", qlist);
        return;
    }
    const char *data;
    size_t len;
    bool found;
    if (!multipart_file(req, &data, &len, &found)) {
        emu_fail(resp, "613", "Invalid Multipart Request");
        return;
    }
    if (!found) {
        emu_fail(resp, "1002", "Missing value for the required parameter 'file'");
        return;
    }
    const char *p = data, *end = data + len;
    if (end - p >= 3 && (unsigned char)p[0] == 0xEF && (unsigned char)p[1] == 0xBB &&
        (unsigned char)p[2] == 0xBF)
        p += 3; /* UTF-8 byte order mark, as spreadsheet exports write it */
    record header = {0};
    if (!next_record(&p, end, job.delim, MAX_IMPORT_COLUMNS + 1, &header) || header.blank) {
        cJSON_Delete(header.cells);
        emu_fail(resp, "1003", "Empty file: the first row must name REST API fields");
        return;
    }
    if (header.n > MAX_IMPORT_COLUMNS) {
        cJSON_Delete(header.cells);
        emu_fail(resp, "1003", "Too many columns: %d, at most %d", header.n, MAX_IMPORT_COLUMNS);
        return;
    }
    /* A lookup by id can only update (DOCS bulk-import). */
    job.action = job.lookup && !strcasecmp(job.lookup, "id") ? "updateOnly" : "createOrUpdate";
    job.header = header.cells;
    job.ncols = header.n;
    job.group = column_groups(header.cells, header.n);
    job.seen = malloc((size_t)header.n * sizeof *job.seen);
    if (!job.group || !job.seen) {
        emu_fail(resp, "611", "System error");
        goto out;
    }
    for (int i = 0; i < header.n; i++)
        job.seen[i] = -1;
    csv_row(&job.failures, header.cells, job.ncols, "Import Failure Reason", job.delim);
    csv_row(&job.warnings, header.cells, job.ncols, "Import Warning Reason", job.delim);

    int64_t now = emu_now_ms();
    emu_store_wrlock();
    cJSON *imports = emu_store_get("imports");
    int queued = 0;
    const cJSON *imp;
    cJSON_ArrayForEach(imp, imports) {
        import_state st = state_of(imp, now);
        if (st == ST_QUEUED)
            queued++;
        if (job.list_id && st != ST_COMPLETE && get_num(imp, "listId") == job.list_id) {
            emu_store_unlock();
            emu_fail(resp, "1019", "Import in progress");
            goto out;
        }
    }
    if (queued >= MAX_QUEUED_IMPORTS) {
        emu_store_unlock();
        emu_fail(resp, "1016", "Too many imports");
        goto out;
    }
    if (job.list_id && !fam_list_exists(job.list_id)) {
        emu_store_unlock();
        emu_fail(resp, "1013", "Object not found");
        goto out;
    }

    record row;
    for (int rowno = 0; next_record(&p, end, job.delim, job.ncols, &row); rowno++) {
        if (!row.blank)
            import_row(&job, &row, rowno);
        cJSON_Delete(row.cells);
    }
    if (job.failures.oom || job.warnings.oom) {
        emu_store_unlock();
        emu_fail(resp, "611", "System error");
        goto out;
    }

    int64_t id = emu_next_id("imports");
    cJSON *rec = cJSON_CreateObject();
    cJSON_AddNumberToObject(rec, "id", (double)id);
    cJSON_AddNumberToObject(rec, "listId", (double)job.list_id);
    cJSON_AddNumberToObject(rec, "createdMs", (double)now);
    cJSON_AddStringToObject(rec, "format", format);
    cJSON_AddNumberToObject(rec, "imported", (double)job.imported);
    cJSON_AddNumberToObject(rec, "failed", (double)job.failed);
    cJSON_AddNumberToObject(rec, "warned", (double)job.warned);
    cJSON_AddNumberToObject(rec, "members", (double)(job.list_id ? job.members : job.imported));
    cJSON_AddStringToObject(rec, "failures", job.failures.s ? job.failures.s : "");
    cJSON_AddStringToObject(rec, "warnings", job.warnings.s ? job.warnings.s : "");
    cJSON_AddItemToArray(imports, rec);
    emu_store_unlock();

    cJSON *r = cJSON_CreateObject();
    char idtext[24];
    snprintf(idtext, sizeof idtext, "%" PRId64, id);
    cJSON_AddNumberToObject(r, "batchId", (double)id);
    cJSON_AddStringToObject(r, "importId", idtext);
    cJSON_AddStringToObject(r, "status", "Queued");
    fam_answer_record(resp, r);
out:
    cJSON_Delete(header.cells);
    free(job.group);
    free(job.seen);
    emu_buf_free(&job.failures);
    emu_buf_free(&job.warnings);
}

/* ---- status and files ---------------------------------------------------------- */

static void h_import_status(const emu_req *req, emu_resp *resp)
{
    int64_t id;
    if (fam_capture_i64(req, resp, &id))
        fam_answer_record(resp, fam_view_by_id("imports", id, status_view));
}

static void send_file(const emu_req *req, emu_resp *resp, const char *which)
{
    int64_t id;
    if (!fam_capture_i64(req, resp, &id))
        return;
    emu_store_rdlock();
    const cJSON *imp = fam_find_i64(emu_store_get("imports"), "id", id);
    bool found = imp != NULL;
    const char *text = imp ? fam_get_str(imp, which) : NULL;
    const char *format = imp ? fam_get_str(imp, "format") : NULL;
    char *copy = text ? strdup(text) : NULL;
    /* Decided under the lock: `format` points into the store. */
    resp->raw_type = format && !strcasecmp(format, "tsv")   ? "text/tab-separated-values"
                     : format && !strcasecmp(format, "ssv") ? "text/plain"
                                                            : "text/csv";
    emu_store_unlock();
    if (!found) {
        emu_fail(resp, "1013", "Object not found");
        return;
    }
    if (!copy) {
        emu_fail(resp, "611", "System error");
        return;
    }
    resp->kind = EMU_BODY_RAW;
    resp->raw = copy;
    resp->raw_len = strlen(copy);
}

static void h_import_failures(const emu_req *req, emu_resp *resp)
{
    send_file(req, resp, "failures");
}

static void h_import_warnings(const emu_req *req, emu_resp *resp)
{
    send_file(req, resp, "warnings");
}

const emu_route emu_routes_bulk[] = {
    {"POST", "/bulk/v1/leads.json", h_import, true},
    {"GET", "/bulk/v1/leads/batch/{batchId}.json", h_import_status, true},
    {"GET", "/bulk/v1/leads/batch/{batchId}/failures.json", h_import_failures, true},
    {"GET", "/bulk/v1/leads/batch/{batchId}/warnings.json", h_import_warnings, true},
    {NULL, NULL, NULL, false},
};
