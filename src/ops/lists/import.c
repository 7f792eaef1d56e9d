/*
 * import.c — importToList and getImportToListStatus: CSV rows of leads into
 * a program's static list, and the progress of that import.
 *
 * importToList becomes REST bulk lead import:
 *   GET    /rest/v1/lists.json?name=&programName=   (program, list) -> list id (cached)
 *   GET    /rest/v1/leads/describe.json             header display names -> REST names
 *                                                   (the shared field catalogue)
 *   GET/DELETE /rest/v1/lists/{id}/leads.json       clearList: empty the list first
 *   POST   /bulk/v1/leads.json?format=csv&listId=   UPSERTLEADS: the rows as a CSV file
 * and the batch id REST answers is remembered per (program, list) in the
 * SQLite import store (importstore.h), which getImportToListStatus reads to
 * ask GET /bulk/v1/leads/batch/{batchId}.json.  A restart of the shim in
 * between loses nothing.
 *
 * LISTONLY ("add these existing leads to the list, change no lead data")
 * has no bulk equivalent — REST bulk import always creates or updates
 * leads — but REST has the exact primitives for it, so the shim carries it
 * out itself: the rows' Email values are looked up (GET /rest/v1/leads.json
 * ?filterType=email, 300 per call) and the leads found are added with Add to
 * List (POST /rest/v1/lists/{id}/leads.json, 300 per call).  A row whose
 * email matches no lead, or several, is counted as failed rather than
 * guessed at.  The outcome is stored like a bulk batch and the answer is
 * COMPLETE at once.
 *
 * Refused, because REST cannot do them: per-lead My Token columns
 * ({{my.token}} in the header) and the campaignName they are meant for.
 * campaignName alone (no token columns) changes nothing in Marketo's
 * documented behaviour and is accepted.
 */
#include <ctype.h>
#include <inttypes.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "base/buf.h"
#include "mapping/mapping.h"
#include "ops/core/common.h"
#include "ops/core/importstore.h"
#include "ops/lists/lists.h"
#include "ops/core/op.h"
#include "mk_handlers.h"
#include "rest/endpoints.h"
#include "rest/json.h"
#include "soap/fault.h"

#define BULK_MAX_BYTES (10 * 1024 * 1024)   /* REST bulk import file limit */
#define REST_BATCH MK_REST_BATCH_MAX
#define TOKEN_COLUMNS_SHOWN 3

/* ---- CSV ----------------------------------------------------------------------- */

/* Split one CSV record (RFC 4180 quoting; the SOAP client sends one record
 * per stringItem) into a JSON array of strings.  NULL when a quote is not
 * closed or memory ran out. */
static cJSON *csv_split(const char *s)
{
    cJSON *cells = cJSON_CreateArray();
    mk_buf cell = {0};
    mk_buf_append(&cell, "", 0);
    bool quoted = false;
    for (const char *p = s;; p++) {
        if (quoted) {
            if (!*p)
                goto bad;
            if (*p == '"' && p[1] == '"') {
                mk_buf_append(&cell, "\"", 1);
                p++;
            } else if (*p == '"') {
                quoted = false;
            } else {
                mk_buf_append(&cell, p, 1);
            }
            continue;
        }
        if (*p == '"' && (cell.len == 0)) {
            quoted = true;
        } else if (*p == ',' || !*p) {
            cJSON_AddItemToArray(cells, cJSON_CreateString(cell.data ? cell.data : ""));
            mk_buf_truncate(&cell, 0);
            if (!*p)
                break;
        } else if (*p != '\r' && *p != '\n') {
            mk_buf_append(&cell, p, 1);
        }
    }
    if (cell.err)
        goto bad;
    mk_buf_free(&cell);
    return cells;
bad:
    mk_buf_free(&cell);
    cJSON_Delete(cells);
    return NULL;
}

static void csv_cell(mk_buf *b, const char *s)
{
    if (!strpbrk(s, ",\"\r\n")) {
        mk_buf_puts(b, s);
        return;
    }
    mk_buf_append(b, "\"", 1);
    for (; *s; s++) {
        if (*s == '"')
            mk_buf_append(b, "\"", 1);
        mk_buf_append(b, s, 1);
    }
    mk_buf_append(b, "\"", 1);
}

/* Trimmed copy in the soap arena. */
static char *trimmed(struct soap *soap, const char *s)
{
    while (isspace((unsigned char)*s))
        s++;
    size_t n = strlen(s);
    while (n && isspace((unsigned char)s[n - 1]))
        n--;
    char *t = soap_malloc(soap, n + 1);
    if (t) {
        memcpy(t, s, n);
        t[n] = '\0';
    }
    return t;
}

static void now_utc(char out[40])
{
    time_t t = time(NULL);
    struct tm tm;
    gmtime_r(&t, &tm);
    strftime(out, 40, "%Y-%m-%dT%H:%M:%SZ", &tm);
}

/* ---- the request, checked ------------------------------------------------------- */

typedef struct import_req {
    const char *program, *list;
    int ncols;
    const mk_field **cols;    /* per header column */
    int email_col;            /* -1 when the header has no email column */
    cJSON *rows;              /* array of arrays of cell strings (owned) */
    int nrows;
} import_req;

/* Header display names -> lead fields.  Display names are what Marketo's
 * docs ask for; SOAP and REST names are accepted too, as a list import in
 * Marketo's UI does. */
static int map_header(struct soap *soap, const mk_fields *f, const char *header,
                      const char *campaign, import_req *ir)
{
    cJSON *cells = csv_split(header);
    if (!cells)
        return mk_fault(soap, MK_ERR_BAD_PARAMETER,
                        "importFileHeader is not a valid CSV line (a quote is not closed)");
    int n = cJSON_GetArraySize(cells), ntok = 0;
    char tokens[TOKEN_COLUMNS_SHOWN * 64 + 8] = "";
    size_t tl = 0;
    ir->ncols = n;
    ir->cols = soap_malloc(soap, sizeof *ir->cols * (size_t)(n ? n : 1));
    ir->email_col = -1;
    int rc = ir->cols ? SOAP_OK : mk_fault(soap, MK_ERR_INTERNAL, "out of memory");
    for (int i = 0; i < n && rc == SOAP_OK; i++) {
        const char *h = trimmed(soap, cJSON_GetArrayItem(cells, i)->valuestring);
        size_t hl = strlen(h);
        if (hl >= 4 && strncmp(h, "{{", 2) == 0 && strcmp(h + hl - 2, "}}") == 0) {
            if (ntok++ < TOKEN_COLUMNS_SHOWN)
                tl += (size_t)snprintf(tokens + tl, sizeof tokens - tl, "%s%.60s",
                                       ntok > 1 ? ", " : "", h);
            continue;
        }
        const mk_field *fd = mk_fields_by_display(f, h);
        if (!fd)
            fd = mk_fields_by_soap(f, h);
        if (!fd)
            fd = mk_fields_by_rest(f, h);
        if (!fd) {
            rc = mk_fault(soap, MK_ERR_LEAD_ATTRIBUTE_BAD,
                          "importFileHeader column %d '%s' is not the display name of a lead "
                          "field", i + 1, h);
            break;
        }
        for (int j = 0; j < i && rc == SOAP_OK; j++)
            if (ir->cols[j] == fd)
                rc = mk_fault(soap, MK_ERR_BAD_PARAMETER,
                              "importFileHeader names the field %s twice (columns %d and %d)",
                              fd->rest, j + 1, i + 1);
        ir->cols[i] = fd;
        if (strcmp(fd->rest, "email") == 0)
            ir->email_col = i;
    }
    cJSON_Delete(cells);
    if (rc == SOAP_OK && ntok)
        rc = mk_fault(soap, MK_ERR_BAD_PARAMETER,
                      "importToList: per-lead My Token columns (%s%s) have no REST equivalent: "
                      "REST bulk import carries lead fields only, so token values for the next "
                      "run of campaign '%s' cannot be passed. Import without them and send "
                      "tokens with requestCampaign/scheduleCampaign (programTokenList)",
                      tokens, ntok > TOKEN_COLUMNS_SHOWN ? ", ..." : "",
                      campaign && *campaign ? campaign : "(none named)");
    return rc;
}

static int parse_rows(struct soap *soap, const struct ns1__ArrayOfString *rows, import_req *ir)
{
    ir->nrows = rows ? rows->__sizestringItem : 0;
    if (ir->nrows == 0)
        return mk_fault(soap, MK_ERR_PARAMETER_REQUIRED,
                        "importToList needs importFileRows with at least one stringItem");
    ir->rows = cJSON_CreateArray();
    for (int i = 0; i < ir->nrows; i++) {
        const char *r = rows->stringItem[i] ? rows->stringItem[i] : "";
        cJSON *cells = csv_split(r);
        if (!cells)
            return mk_fault(soap, MK_ERR_BAD_PARAMETER,
                            "importFileRows row %d is not a valid CSV line (a quote is not "
                            "closed)", i + 1);
        cJSON_AddItemToArray(ir->rows, cells);
    }
    return SOAP_OK;
}

/* The CSV file REST gets: REST names in the header, every cell re-quoted. */
static int build_csv(struct soap *soap, const import_req *ir, mk_buf *csv)
{
    for (int i = 0; i < ir->ncols; i++) {
        if (i)
            mk_buf_append(csv, ",", 1);
        csv_cell(csv, ir->cols[i]->rest);
    }
    mk_buf_append(csv, "\n", 1);
    const cJSON *row;
    cJSON_ArrayForEach(row, ir->rows) {
        int i = 0;
        const cJSON *c;
        cJSON_ArrayForEach(c, row) {
            if (i++)
                mk_buf_append(csv, ",", 1);
            csv_cell(csv, c->valuestring);
        }
        mk_buf_append(csv, "\n", 1);
    }
    if (csv->err)
        return mk_fault(soap, MK_ERR_INTERNAL, "out of memory");
    if (csv->len > BULK_MAX_BYTES)
        return mk_fault(soap, MK_ERR_BAD_PARAMETER,
                        "importToList: the rows make a %zu-byte file; REST bulk import takes "
                        "at most 10 MB per import, so split the rows over several calls",
                        csv->len);
    return SOAP_OK;
}

/* ---- UPSERTLEADS: REST bulk import -------------------------------------------- */

static int bulk_import(mk_op *op, mk_list_ref *l, const mk_buf *csv, int64_t *batch,
                       const char **rest_status)
{
    struct soap *soap = op->soap;
    /* A boundary that does not occur in the file. */
    char boundary[64];
    static atomic_ulong counter;
    for (unsigned i = 0;; i++) {
        snprintf(boundary, sizeof boundary, "mktows-shim-%lx-%lx-%u",
                 (unsigned long)time(NULL), (unsigned long)atomic_fetch_add(&counter, 1), i);
        if (!strstr(csv->data, boundary))
            break;
    }
    mk_buf body = {0};
    mk_buf_puts(&body, "--");
    mk_buf_puts(&body, boundary);
    mk_buf_puts(&body,
                "\r\nContent-Disposition: form-data; name=\"file\"; filename=\"importToList.csv\""
                "\r\nContent-Type: text/csv\r\n\r\n");
    mk_buf_append(&body, csv->data, csv->len);
    mk_buf_puts(&body, "\r\n--");
    mk_buf_puts(&body, boundary);
    mk_buf_puts(&body, "--\r\n");
    char ctype[96];
    snprintf(ctype, sizeof ctype, "multipart/form-data; boundary=%s", boundary);
    if (body.err) {
        mk_buf_free(&body);
        return mk_fault(soap, MK_ERR_INTERNAL, "out of memory");
    }
    const char *partition = NULL;
    int rc = mk_ops_partition(op, &partition);
    for (int attempt = 0; rc == SOAP_OK; attempt++) {
        char lid[24];
        snprintf(lid, sizeof lid, "%" PRId64, l->id);
        mk_rest_param q[3] = {{"format", "csv"}, {"listId", lid}, {"partitionName", partition}};
        mk_rest_req rr = {.ep = MK_EP_BULK_IMPORT, .query = q, .nquery = partition ? 3 : 2,
                          .raw_body = body.data, .raw_len = body.len, .raw_content_type = ctype};
        mk_rest_result res = {0};
        mk_ops_failure fail;
        rc = mk_ops_rest_try(op, "import", &rr, &res, "importToList: bulk import the rows", &fail);
        if (rc != SOAP_OK && fail.rest_code == 1013) {
            mk_rest_result_free(&res);
            if (attempt == 0 && l->cached) {
                /* The cached list id went stale: look the list up again. */
                rc = mk_lists_resolve(op, l, true, "importToList");
                continue;
            }
            rc = mk_ops_fail_after(op, &fail, MK_ERR_LIST_NOT_FOUND,
                                   "Static list '%s' not found in program '%s'", l->name,
                                   l->program);
            break;
        }
        if (rc != SOAP_OK)
            rc = mk_ops_raise(op, &fail);
        if (rc == SOAP_OK) {
            const cJSON *r0 = cJSON_GetArrayItem(cJSON_GetObjectItemCaseSensitive(res.json, "result"), 0);
            const char *st = mk_rest_json_get_string(r0, "status");
            if (mk_rest_json_get_int64(r0, "batchId", batch) != MK_REST_JSON_OK || *batch <= 0)
                rc = mk_fault(soap, MK_ERR_API_INTERNAL,
                              "importToList: Marketo accepted the import but returned no batchId");
            else
                *rest_status = soap_strdup(soap, st ? st : "Queued");
        }
        mk_rest_result_free(&res);
        break;
    }
    mk_buf_free(&body);
    return rc;
}

/* ---- LISTONLY: lookup by email + Add to List ------------------------------------- */

typedef struct listonly_outcome {
    int imported, failed;
    int no_email, unknown, several, refused;
} listonly_outcome;

/* Rows and leads are matched through sorted arrays, not by comparing every
 * row with every other: an import may carry 100,000 rows. */
typedef struct email_ref {
    const char *email;
    int row;
} email_ref;

static int cmp_email_ref(const void *x, const void *y)
{
    const email_ref *a = x, *b = y;
    int c = strcasecmp(a->email, b->email);
    return c ? c : (a->row > b->row) - (a->row < b->row);
}

typedef struct lead_ref {
    int64_t id;
    int email;   /* index of the distinct email that found the lead */
} lead_ref;

static int cmp_lead_ref(const void *x, const void *y)
{
    const lead_ref *a = x, *b = y;
    if (a->id != b->id)
        return a->id < b->id ? -1 : 1;
    return (a->email > b->email) - (a->email < b->email);
}

/* First entry of p[0..n) with this id, or n. */
static size_t first_lead(const lead_ref *p, size_t n, int64_t id)
{
    size_t lo = 0, hi = n;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (p[mid].id < id)
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo;
}

/* What LISTONLY works with: per row, per distinct email and per lead. */
typedef struct listonly_work {
    int n;                  /* rows */
    const char **email;     /* row -> its email */
    int *uniq;              /* row -> distinct email, -1: none */
    const char **distinct;  /* distinct emails, in the order of their first row */
    int nd;
    int *matches;           /* distinct email -> leads REST found with it */
    int64_t *lead;          /* distinct email -> the first of them */
    const char **rstatus;   /* distinct email -> REST's status for adding its lead */
    int64_t *ids;           /* the leads to add, each once */
    lead_ref *byid;         /* (lead, email) sorted by lead */
    size_t nbyid;
    email_ref *byemail;
    int *firstrow;          /* row -> first row of its email */
} listonly_work;

/* Each row's email, and the distinct ones (ignoring case); a comma cannot
 * travel in a REST filter value. */
static void lo_distinct_emails(struct soap *soap, const import_req *ir, listonly_work *w)
{
    int i = 0, ne = 0;
    const cJSON *row;
    cJSON_ArrayForEach(row, ir->rows) {
        const cJSON *c = cJSON_GetArrayItem(row, ir->email_col);
        w->email[i] = c ? trimmed(soap, c->valuestring) : "";
        w->uniq[i] = -1;
        if (w->email[i] && *w->email[i] && !strchr(w->email[i], ','))
            w->byemail[ne++] = (email_ref){w->email[i], i};
        i++;
    }
    /* Rows of one email (ignoring case) share the distinct email of the
     * first of them; distinct emails keep the order of their first row. */
    qsort(w->byemail, (size_t)ne, sizeof *w->byemail, cmp_email_ref);
    for (int k = 0, first = -1; k < ne; k++) {
        if (k == 0 || strcasecmp(w->byemail[k].email, w->byemail[k - 1].email) != 0)
            first = w->byemail[k].row;
        w->firstrow[w->byemail[k].row] = first;
    }
    w->nd = 0;
    for (i = 0; i < w->n; i++) {
        if (!w->email[i] || !*w->email[i] || strchr(w->email[i], ','))
            continue;
        if (w->firstrow[i] == i) {
            w->distinct[w->nd] = w->email[i];
            w->matches[w->nd] = 0;
            w->lead[w->nd] = 0;
            w->rstatus[w->nd] = NULL;
            w->uniq[i] = w->nd++;
        } else {
            w->uniq[i] = w->uniq[w->firstrow[i]];   /* an earlier row: already numbered */
        }
    }
}

/* The leads of each distinct email, 300 emails a call. */
static int lo_find_leads(mk_op *op, listonly_work *w)
{
    int rc = SOAP_OK;
    for (int start = 0; start < w->nd && rc == SOAP_OK; start += REST_BATCH) {
        int cnt = w->nd - start < REST_BATCH ? w->nd - start : REST_BATCH;
        cJSON *leads = NULL;
        rc = mk_ops_get_leads(op, "email", w->distinct + start, cnt, "id,email", 100000, &leads,
                              "importToList LISTONLY: find the leads by email");
        const cJSON *ld;
        cJSON_ArrayForEach(ld, leads) {
            const char *em = mk_rest_json_get_string(ld, "email");
            int64_t id;
            if (!em || mk_rest_json_get_int64(ld, "id", &id) != MK_REST_JSON_OK)
                continue;
            for (int j = start; j < start + cnt; j++) {
                if (strcasecmp(w->distinct[j], em) == 0) {
                    if (w->matches[j]++ == 0)
                        w->lead[j] = id;
                    break;
                }
            }
        }
        cJSON_Delete(leads);
    }
    return rc;
}

/* Add the leads found (each distinct email matching exactly one lead),
 * each lead once, in the order of the emails that found them. */
static int lo_add_leads(mk_op *op, mk_list_ref *l, listonly_work *w)
{
    struct soap *soap = op->soap;
    int rc = SOAP_OK;
    w->nbyid = 0;
    for (int j = 0; j < w->nd; j++)
        if (w->matches[j] == 1)
            w->byid[w->nbyid++] = (lead_ref){w->lead[j], j};
    qsort(w->byid, w->nbyid, sizeof *w->byid, cmp_lead_ref);
    int nids = 0;
    for (int j = 0; j < w->nd; j++) {
        if (w->matches[j] != 1)
            continue;
        size_t f = first_lead(w->byid, w->nbyid, w->lead[j]);
        if (w->byid[f].email == j)   /* the first email that found this lead */
            w->ids[nids++] = w->lead[j];
    }
    for (int start = 0; start < nids && rc == SOAP_OK; start += REST_BATCH) {
        int cnt = nids - start < REST_BATCH ? nids - start : REST_BATCH;
        cJSON *body = mk_lists_id_input(w->ids + start, (size_t)cnt);
        /* Never replayed after an unclear failure, unlike listOperation's add
         * (the row's rule): this add has always been sent once, and the
         * import reports per lead what it added; keep it so. */
        mk_rest_req rr = {.ep = MK_EP_LIST_ADD, .json = body,
                          .idempotent = MK_REST_NOT_IDEMPOTENT};
        mk_rest_result res = {0};
        mk_ops_failure fail;   /* held: a later batch's failure says what was added */
        mk_ops_failure *outer = mk_ops_hold(op, &fail);
        rc = mk_lists_call(op, l, &rr, &res,
                           "importToList LISTONLY: add the leads to the list");
        mk_ops_unhold(op, outer);
        cJSON_Delete(body);
        if (rc == SOAP_OK) {
            const cJSON *it;
            cJSON_ArrayForEach(it, cJSON_GetObjectItemCaseSensitive(res.json, "result")) {
                int64_t id;
                if (mk_rest_json_get_int64(it, "id", &id) != MK_REST_JSON_OK)
                    continue;
                const char *st = mk_rest_json_get_string(it, "status");
                for (size_t f = first_lead(w->byid, w->nbyid, id); f < w->nbyid && w->byid[f].id == id; f++)
                    w->rstatus[w->byid[f].email] = st ? soap_strdup(soap, st) : "";
            }
        } else if (start > 0) {
            rc = mk_ops_partial_fault(op, &fail, "importToList LISTONLY", start, nids, "leads");
        } else {
            rc = mk_ops_raise(op, &fail);
        }
        mk_rest_result_free(&res);
    }
    return rc;
}

/* Every row counted under what became of it. */
static void lo_outcome(const listonly_work *w, listonly_outcome *lo)
{
    memset(lo, 0, sizeof *lo);
    for (int i = 0; i < w->n; i++) {
        int j = w->uniq[i];
        if (j < 0)
            lo->no_email++;
        else if (w->matches[j] == 0)
            lo->unknown++;
        else if (w->matches[j] > 1)
            lo->several++;
        else if (!w->rstatus[j] || strcmp(w->rstatus[j], "added") != 0)
            lo->refused++;
        else
            lo->imported++;
    }
    lo->failed = w->n - lo->imported;
}

static int list_only(mk_op *op, mk_list_ref *l, const import_req *ir,
                     listonly_outcome *lo)
{
    struct soap *soap = op->soap;
    int n = ir->nrows;
    size_t sz = (size_t)(n ? n : 1);
    listonly_work w = {
        .n = n,
        .email = soap_malloc(soap, sizeof *w.email * sz),
        .uniq = soap_malloc(soap, sizeof *w.uniq * sz),
        .distinct = soap_malloc(soap, sizeof *w.distinct * sz),
        .matches = soap_malloc(soap, sizeof *w.matches * sz),
        .lead = soap_malloc(soap, sizeof *w.lead * sz),
        .rstatus = soap_malloc(soap, sizeof *w.rstatus * sz),
        .ids = soap_malloc(soap, sizeof *w.ids * sz),
        .byemail = malloc(sizeof *w.byemail * sz),
        .byid = malloc(sizeof *w.byid * sz),
        .firstrow = malloc(sizeof *w.firstrow * sz),
    };
    int rc = SOAP_OK;
    if (!w.email || !w.uniq || !w.distinct || !w.matches || !w.lead || !w.rstatus || !w.ids ||
        !w.byemail || !w.byid || !w.firstrow) {
        rc = mk_fault(soap, MK_ERR_INTERNAL, "out of memory");
        goto out;
    }
    lo_distinct_emails(soap, ir, &w);
    if ((rc = lo_find_leads(op, &w)) != SOAP_OK)
        goto out;
    if ((rc = lo_add_leads(op, l, &w)) != SOAP_OK)
        goto out;
    lo_outcome(&w, lo);
out:
    free(w.byemail);
    free(w.byid);
    free(w.firstrow);
    return rc;
}

/* ---- importToList ----------------------------------------------------------------- */

static const char *rest_state_of_stored(mk_op *op, const mk_import_rec *rec);

/* The import store's own error names the database file and SQLite's
 * words: the operator's business, logged, not the SOAP client's. */
static void log_store_error(const char *what, const char *err)
{
    fprintf(stderr, "mktows-shim: %s: %s\n", what, err);
}

/* clearList: empty the list before the import, unless our previous import
 * into it is still running. */
static int clear_before_import(mk_op *op, mk_services *svc, const import_req *ir,
                               mk_list_ref *l)
{
    struct soap *soap = op->soap;
    char err[256];
    mk_import_rec prev = {0};
    int rc = SOAP_OK;
    /* Clearing while our previous import into this list is still running
     * would leave a half-filled list: refuse before anything changes. */
    int got = mk_importstore_get(svc->imports, ir->program, ir->list, &prev, err, sizeof err);
    if (got == 1 && prev.batch_id > 0) {
        const char *st = rest_state_of_stored(op, &prev);
        if (st && (strcmp(st, "Queued") == 0 || strcmp(st, "Importing") == 0))
            rc = mk_fault(soap, MK_ERR_API_INTERNAL,
                          "importToList: the previous import into '%s' (batch %" PRId64
                          ") is still %s; the list was not cleared, try again later",
                          ir->list, prev.batch_id, st);
    }
    mk_import_rec_free(&prev);
    if (rc == SOAP_OK) {
        mk_list_clear cl;
        rc = mk_lists_clear_all(op, l, &cl, "importToList clearList");
        if (rc == SOAP_OK && cl.nfailed)
            rc = mk_fault(soap, MK_ERR_API_INTERNAL,
                          "importToList clearList: Marketo kept %zu of the list's members "
                          "(e.g. lead %" PRId64 "); nothing was imported",
                          cl.nfailed, cl.failed[0]);
        free(cl.failed);
    }
    return rc;
}

/* LISTONLY, done by the shim: add the rows' leads and record the outcome
 * at once, COMPLETE, for getImportToListStatus. */
static int import_list_only(mk_op *op, mk_services *svc, mk_list_ref *l,
                            const import_req *ir, mk_import_rec *rec)
{
    struct soap *soap = op->soap;
    char err[256];
    listonly_outcome lo = {0};
    int rc = list_only(op, l, ir, &lo);
    if (rc != SOAP_OK)
        return rc;
    char summary[400];
    snprintf(summary, sizeof summary,
             "LISTONLY, carried out by mktows-shim: %d of %d rows added to the list; "
             "failed: %d with no lead of that email, %d with several leads of that "
             "email, %d without an email, %d refused by Marketo",
             lo.imported, ir->nrows, lo.unknown, lo.several, lo.no_email, lo.refused);
    rec->summary = summary;
    rec->rows_imported = lo.imported;
    rec->rows_failed = lo.failed;
    snprintf(rec->status, sizeof rec->status, "COMPLETE");
    now_utc(rec->ended_at);
    if (mk_importstore_put(svc->imports, ir->program, ir->list, rec, err, sizeof err) != 0) {
        log_store_error("importToList", err);
        rc = mk_fault(soap, MK_ERR_INTERNAL,
                      "importToList: the leads were added, but the outcome could not "
                      "be recorded for getImportToListStatus (the shim's import store "
                      "failed; its log says why)");
    }
    rec->summary = NULL;
    return rc;
}

int mk_op_import_to_list(mk_op *op, struct ns1__ParamsImportToList *p,
                         struct ns1__SuccessImportToList *out)
{
    struct soap *soap = op->soap;
    int rc = SOAP_OK;
    mk_services *svc = op->svc;

    if (!p->programName || !*p->programName)
        return mk_fault(soap, MK_ERR_PARAMETER_REQUIRED, "importToList needs programName");
    if (!p->listName || !*p->listName)
        return mk_fault(soap, MK_ERR_PARAMETER_REQUIRED, "importToList needs listName");
    if (!p->importFileHeader || !*p->importFileHeader)
        return mk_fault(soap, MK_ERR_PARAMETER_REQUIRED, "importToList needs importFileHeader");
    bool listonly = p->importListMode == ns1__ImportToListModeEnum__LISTONLY;

    import_req ir = {.program = p->programName, .list = p->listName};
    mk_buf csv = {0};
    const mk_fields *f = mk_ops_fields(op);
    rc = map_header(soap, f, p->importFileHeader, p->campaignName, &ir);
    if (rc == SOAP_OK)
        rc = parse_rows(soap, p->importFileRows, &ir);
    if (rc == SOAP_OK && listonly && ir.email_col < 0)
        rc = mk_fault(soap, MK_ERR_PARAMETER_REQUIRED,
                      "importToList LISTONLY finds the leads by email: importFileHeader needs "
                      "the Email Address column");
    if (rc == SOAP_OK && !listonly)
        rc = build_csv(soap, &ir, &csv);

    mk_list_ref l = {.program = p->programName, .name = p->listName};
    if (rc == SOAP_OK)
        rc = mk_lists_resolve(op, &l, false, "importToList");

    char err[256];
    if (rc == SOAP_OK && p->clearList && *p->clearList == xsd__boolean__true_)
        rc = clear_before_import(op, svc, &ir, &l);

    mk_import_rec rec = {.list_id = l.id, .rows = ir.nrows};
    snprintf(rec.mode, sizeof rec.mode, "%s", listonly ? "LISTONLY" : "UPSERTLEADS");
    now_utc(rec.submitted_at);
    const char *soap_status = NULL;
    if (rc == SOAP_OK && listonly) {
        rc = import_list_only(op, svc, &l, &ir, &rec);
        if (rc == SOAP_OK)
            soap_status = "COMPLETE";
    } else if (rc == SOAP_OK) {
        const char *rest_status = NULL;
        rc = bulk_import(op, &l, &csv, &rec.batch_id, &rest_status);
        rec.list_id = l.id;
        if (rc == SOAP_OK) {
            soap_status = mk_mapping_status_to_soap(svc->mapping, "import_status", rest_status, 0);
            if (mk_importstore_put(svc->imports, ir.program, ir.list, &rec, err, sizeof err) != 0) {
                log_store_error("importToList", err);
                rc = mk_fault(soap, MK_ERR_INTERNAL,
                              "importToList: Marketo started import batch %" PRId64
                              ", but it could not be recorded for getImportToListStatus (the "
                              "shim's import store failed; its log says why)", rec.batch_id);
            } else if (!soap_status)
                rc = mk_fault(soap, MK_ERR_API_INTERNAL,
                              "importToList: batch %" PRId64 " has a status the shim does not "
                              "know: %s", rec.batch_id, rest_status);
        }
    }
    if (rc == SOAP_OK) {
        struct ns1__ResultImportToList *r = soap_malloc(soap, sizeof *r);
        if (!r || soap_s2ns1__ImportToListStatusEnum(soap, soap_status, &r->importStatus) != SOAP_OK)
            rc = mk_fault(soap, MK_ERR_INTERNAL, "importToList: cannot answer status %s",
                          soap_status);
        else
            out->result = r;
    }
    mk_buf_free(&csv);
    cJSON_Delete(ir.rows);
    mk_ops_release_fields(f);
    return rc;
}

/* ---- getImportToListStatus ----------------------------------------------------------- */

/* GET /bulk/v1/leads/batch/{id}.json; the batch record, or NULL after a fault.
 * *res must be freed by the caller. */
static const cJSON *batch_status(mk_op *op, int64_t batch, mk_rest_result *res,
                                 int *rc)
{
    char path[64], idtext[24];
    snprintf(idtext, sizeof idtext, "%" PRId64, batch);
    if (mk_rest_endpoint_path(MK_EP_BULK_IMPORT_STATUS, idtext, path, sizeof path) != 0) {
        *rc = mk_fault(op->soap, MK_ERR_INTERNAL, "getImportToListStatus: status path too long");
        return NULL;
    }
    mk_rest_req rr = {.ep = MK_EP_BULK_IMPORT_STATUS, .path = path};
    mk_ops_failure fail;
    *rc = mk_ops_rest_try(op, "import", &rr, res, "getImportToListStatus: bulk import status",
                          &fail);
    if (*rc != SOAP_OK && fail.rest_code == 1013)
        *rc = mk_ops_fail_after(op, &fail, MK_ERR_BAD_PARAMETER,
                                "import batch %" PRId64 " is no longer known to Marketo (REST "
                                "keeps bulk import batches for 7 days)", batch);
    else if (*rc != SOAP_OK)
        *rc = mk_ops_raise(op, &fail);
    if (*rc != SOAP_OK)
        return NULL;
    const cJSON *r0 = cJSON_GetArrayItem(cJSON_GetObjectItemCaseSensitive(res->json, "result"), 0);
    if (!r0)
        *rc = mk_ops_fail(op, MK_ERR_API_INTERNAL,
                          "getImportToListStatus: Marketo returned no status for batch %" PRId64,
                          batch);
    return r0;
}

/* REST status of a stored bulk batch (for the clearList guard); NULL when
 * it cannot be read, which then does not block the import. */
static const char *rest_state_of_stored(mk_op *op, const mk_import_rec *rec)
{
    struct soap *soap = op->soap;
    mk_rest_result res = {0};
    int rc;
    /* Held and dropped: a status that cannot be read is not the client's
     * failure. */
    mk_ops_failure ignored;
    mk_ops_failure *outer = mk_ops_hold(op, &ignored);
    const cJSON *b = batch_status(op, rec->batch_id, &res, &rc);
    mk_ops_unhold(op, outer);
    const char *st = b ? mk_rest_json_get_string(b, "status") : NULL;
    const char *copy = st ? soap_strdup(soap, st) : NULL;
    mk_rest_result_free(&res);
    return copy;
}

static int *int_in(struct soap *soap, int64_t v)
{
    int *p = soap_malloc(soap, sizeof *p);
    if (p)
        *p = v > 0x7fffffff ? 0x7fffffff : (int)v;
    return p;
}

int mk_op_get_import_to_list_status(mk_op *op, struct ns1__ParamsGetImportToListStatus *p,
                                    struct ns1__SuccessGetImportToListStatus *out)
{
    struct soap *soap = op->soap;
    int rc = SOAP_OK;
    mk_services *svc = op->svc;
    if (!p->programName || !*p->programName || !p->listName || !*p->listName)
        return mk_fault(soap, MK_ERR_PARAMETER_REQUIRED,
                        "getImportToListStatus needs programName and listName");

    char err[256];
    mk_import_rec rec;
    int got = mk_importstore_get(svc->imports, p->programName, p->listName, &rec, err, sizeof err);
    if (got < 0) {
        log_store_error("getImportToListStatus", err);
        return mk_fault(soap, MK_ERR_INTERNAL, "getImportToListStatus: the shim's import store "
                        "failed; its log says why");
    }
    if (got == 0) {
        /* Say whether the list itself is unknown (20111) or only the import. */
        mk_list_ref l = {.program = p->programName, .name = p->listName};
        rc = mk_lists_resolve(op, &l, false, "getImportToListStatus");
        if (rc != SOAP_OK)
            return rc;
        return mk_fault(soap, MK_ERR_BAD_PARAMETER,
                        "no importToList into list '%s' of program '%s' is known to this shim: "
                        "REST reports imports by batch id only, so only imports started "
                        "through the shim can be followed", p->listName, p->programName);
    }

    struct ns1__ResultGetImportToListStatus *r = soap_malloc(soap, sizeof *r);
    if (!r) {
        mk_import_rec_free(&rec);
        return mk_fault(soap, MK_ERR_INTERNAL, "out of memory");
    }
    memset(r, 0, sizeof *r);
    r->startedTime = soap_strdup(soap, rec.submitted_at);
    r->estimatedRows = int_in(soap, rec.rows);
    const char *soap_status = NULL;
    mk_rest_result res = {0};
    if (rec.batch_id == 0) {
        /* Carried out by the shim (LISTONLY): the outcome is stored. */
        soap_status = rec.status;
        r->endedTime = rec.ended_at[0] ? soap_strdup(soap, rec.ended_at) : NULL;
        r->rowsImported = int_in(soap, rec.rows_imported);
        r->rowsFailed = int_in(soap, rec.rows_failed);
        r->importSummary = rec.summary ? soap_strdup(soap, rec.summary) : NULL;
    } else {
        const cJSON *b = batch_status(op, rec.batch_id, &res, &rc);
        if (b) {
            const char *st = mk_rest_json_get_string(b, "status");
            soap_status = mk_mapping_status_to_soap(svc->mapping, "import_status", st, 0);
            if (!soap_status)
                rc = mk_fault(soap, MK_ERR_API_INTERNAL,
                              "getImportToListStatus: batch %" PRId64 " has a status the shim "
                              "does not know: %s", rec.batch_id, st ? st : "(none)");
            int64_t v;
            if (mk_rest_json_get_int64(b, "numOfLeadsProcessed", &v) == MK_REST_JSON_OK)
                r->rowsImported = int_in(soap, v);
            if (mk_rest_json_get_int64(b, "numOfRowsFailed", &v) == MK_REST_JSON_OK)
                r->rowsFailed = int_in(soap, v);
            const char *msg = mk_rest_json_get_string(b, "message");
            r->importSummary = msg ? soap_strdup(soap, msg) : NULL;
        }
    }
    if (rc == SOAP_OK &&
        soap_s2ns1__ImportToListStatusEnum(soap, soap_status, &r->status) != SOAP_OK)
        rc = mk_fault(soap, MK_ERR_INTERNAL, "getImportToListStatus: bad stored status '%s'",
                      soap_status ? soap_status : "");
    if (rc == SOAP_OK)
        out->result = r;
    mk_rest_result_free(&res);
    mk_import_rec_free(&rec);
    return rc;
}
