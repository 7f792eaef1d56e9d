/*
 * leads.c — reading leads: getLead and getMultipleLeads (by keys, by static
 * list, by update time), and the helpers every lead operation uses (leads.h:
 * the field catalogue refreshed on REST 1006, the fields a whole lead is read
 * with, the fault for a record that cannot be converted).  Writing leads is
 * leadsync.c, merging them leadmerge.c.
 *
 * Each handler validates the SOAP request as Marketo did, turns it into the
 * REST calls named in mapping/operations.json, and rebuilds the SOAP answer
 * from the JSON.  Behaviour that REST cannot reproduce is refused with a
 * fault that says so (MIGRATION.md lists every case); nothing is guessed.
 */
#include <inttypes.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "ops/core/common.h"
#include "ops/core/leadbatch.h"
#include "ops/core/leadkeys.h"
#include "ops/leads/leadrec.h"
#include "ops/leads/leads.h"
#include "ops/core/op.h"
#include "mk_handlers.h"
#include "ops/core/pager.h"
#include "ops/core/streampos.h"
#include "rest/json.h"
#include "soap/auth.h"
#include "soap/fault.h"

/* REST pages hold at most MK_LEADS_REST_PAGE_MAX (300) records; Marketo's SOAP pages up to 1000. */
#define SOAP_KEYS_MAX 100
#define REST_MAX_MATCHES 1000
#define PAGE_RESERVE_MS 2000   /* of a paging call's deadline, kept for building the answer */

static const char *key_type_name(struct soap *soap, enum ns1__LeadKeyRef kt)
{
    return soap_ns1__LeadKeyRef2s(soap, kt);
}

/* Is name one of the comma-separated names of csv (exact, case-sensitive)? */
static bool csv_has(const char *csv, const char *name)
{
    size_t n = strlen(name);
    for (const char *p = csv; p && *p; p = strchr(p, ',') ? strchr(p, ',') + 1 : NULL)
        if (strncmp(p, name, n) == 0 && (p[n] == ',' || p[n] == '\0'))
            return true;
    return false;
}

/* The field catalogue says which REST fields exist; REST answers 1006
 * "field not found" (fault 20105) when a field it names was deleted or
 * renamed in Marketo since describe was read.  A read that only asked for
 * the catalogue's fields is then retried once with a freshly read
 * catalogue, instead of failing every read until the cache expires. */
void mk_leads_refresh_fields(mk_op *op)
{
    mk_fields_refresh(op->svc->fields, &op->cred, op->deadline_ms);
}

static bool retry_with_fresh_fields(mk_op *op, int rc, const mk_ops_failure *fail,
                                    int *attempt)
{
    if (rc == SOAP_OK || (*attempt)++ > 0 || fail->code != MK_ERR_LEAD_ATTRIBUTE_BAD)
        return false;
    mk_leads_refresh_fields(op);
    return true;
}

/* All SOAP-visible fields, plus the ForeignSysPersonId field if configured
 * (each REST name once: the documentation does not promise that REST
 * tolerates a field named twice). */
char *mk_leads_all_fields_csv(mk_op *op, const mk_fields *f)
{
    struct soap *soap = op->soap;
    mk_services *s = op->svc;
    const char *all = mk_fields_all_soap_csv(f);
    const char *extra = s->fspi_field && !csv_has(all, s->fspi_field) ? s->fspi_field : NULL;
    size_t n = strlen(all) + (extra ? strlen(extra) + 1 : 0) + 1;
    char *csv = soap_malloc(soap, n);
    if (!csv)
        return NULL;
    snprintf(csv, n, "%s%s%s", all, extra && *all ? "," : "", extra ? extra : "");
    return csv;
}

/* LeadRecord's own elements.  Clients name them in includeAttributes too
 * (Talend's default schema is Id, Email, ForeignSysPersonId, ForeignSysType,
 * Company); they are filled whatever is asked, so naming them selects no
 * attribute and is no error. */
static bool record_member(const char *name)
{
    static const char *const members[] = {"Id", "Email", "ForeignSysPersonId", "ForeignSysType"};
    for (size_t i = 0; i < sizeof members / sizeof *members; i++)
        if (strcasecmp(name, members[i]) == 0)
            return true;
    return false;
}

/* The catalogue field an includeAttributes entry names (exactly, else
 * ignoring case); NULL for a blank entry, which selects nothing. */
static const mk_field *include_field(const mk_fields *f, const char *name)
{
    return name && *name ? mk_fields_by_soap(f, name) : NULL;
}

/* includeAttributes (SOAP names, any case) → REST fields CSV; a name that
 * is neither a lead attribute nor a LeadRecord member → 20105. */
static int include_to_fields(mk_op *op, const mk_fields *f,
                             const struct ns1__ArrayOfString *inc, char **csv)
{
    struct soap *soap = op->soap;
    mk_services *s = op->svc;
    if (!inc || inc->__sizestringItem == 0) {
        *csv = mk_leads_all_fields_csv(op, f);
        return SOAP_OK;
    }
    size_t len = 16 + (s->fspi_field ? strlen(s->fspi_field) + 1 : 0);
    for (int i = 0; i < inc->__sizestringItem; i++) {
        const char *name = inc->stringItem[i];
        const mk_field *fd = include_field(f, name);
        if (!fd && name && *name && !record_member(name))
            return mk_fault(soap, MK_ERR_LEAD_ATTRIBUTE_BAD,
                            "includeAttributes names an unknown lead attribute: %s", name);
        if (fd)
            len += strlen(fd->rest) + 1;
    }
    char *out = soap_malloc(soap, len), *p = out;
    if (!out)
        return mk_fault(soap, MK_ERR_INTERNAL, "out of memory");
    /* Id and Email are LeadRecord members, always filled as Marketo did;
     * ForeignSysPersonId too when the shim knows its field. */
    p += sprintf(p, "id,email");
    if (s->fspi_field && !csv_has(out, s->fspi_field))
        p += sprintf(p, ",%s", s->fspi_field);
    for (int i = 0; i < inc->__sizestringItem; i++) {
        const mk_field *fd = include_field(f, inc->stringItem[i]);
        if (fd && !csv_has(out, fd->rest))
            p += sprintf(p, ",%s", fd->rest);
    }
    *csv = out;
    return SOAP_OK;
}

/* The fault for mk_leadrec_to_soap's failure rc. */
int mk_leads_record_fault(struct soap *soap, int rc)
{
    if (rc == MK_LEADREC_BAD)
        return mk_fault(soap, MK_ERR_API_INTERNAL,
                        "Internal Error: REST answered a lead that is not a JSON object");
    return mk_fault(soap, MK_ERR_INTERNAL, "out of memory");
}

/* JSON array of leads → SOAP ArrayOfLeadRecord (NULL when empty). */
static int leads_to_soap(mk_op *op, const mk_fields *f, const cJSON *leads,
                         struct ns1__ArrayOfLeadRecord **out)
{
    struct soap *soap = op->soap;
    int n = cJSON_GetArraySize(leads);
    *out = NULL;
    if (n == 0)
        return SOAP_OK;
    struct ns1__ArrayOfLeadRecord *a = soap_malloc(soap, sizeof *a);
    struct ns1__LeadRecord *recs = soap_malloc(soap, sizeof *recs * (size_t)n);
    if (!a || !recs)
        return mk_fault(soap, MK_ERR_INTERNAL, "out of memory");
    int k = 0;
    const cJSON *it;
    cJSON_ArrayForEach(it, leads) {
        int rc = mk_leadrec_to_soap(soap, f, it, op->svc->fspi_field, &recs[k++]);
        if (rc != 0)
            return mk_leads_record_fault(soap, rc);
    }
    a->__sizeleadRecord = k;
    a->leadRecord = recs;
    *out = a;
    return SOAP_OK;
}

/* ---- getLead -------------------------------------------------------------- */

int mk_op_get_lead(mk_op *op, struct ns1__ParamsGetLead *p, struct ns1__SuccessGetLead *out)
{
    struct soap *soap = op->soap;
    int rc = SOAP_OK;
    if (!p->leadKey || !p->leadKey->keyValue || !*p->leadKey->keyValue)
        return mk_fault(soap, MK_ERR_LEAD_KEY_REQUIRED, "getLead needs leadKey with keyType and keyValue");
    const char *kt = key_type_name(soap, p->leadKey->keyType);
    const char *filter;
    if ((rc = mk_ops_key_filter(op, p->leadKey->keyType, &filter)) != SOAP_OK)
        return rc;
    const char *value = p->leadKey->keyValue;
    if (strcmp(filter, "id") == 0) {
        char *end;
        long long v = strtoll(value, &end, 10);
        if (*end || v <= 0)
            return mk_fault(soap, MK_ERR_LEAD_KEY_BAD, "IDNUM must be a lead id, not '%s'", value);
    }
    const mk_fields *f = NULL;
    cJSON *leads = NULL;
    int attempt = 0;
    mk_ops_failure fail;   /* held, so that a stale catalogue is retried, not answered */
    do {
        mk_ops_release_fields(f);
        f = mk_ops_fields(op);
        mk_ops_failure *outer = mk_ops_hold(op, &fail);
        /* Concurrent getLeads by the same key type share one REST call (leadbatch.h). */
        rc = mk_ops_get_leads_by_value(op, filter, value, mk_leads_all_fields_csv(op, f),
                                       REST_MAX_MATCHES, &leads, "getLead");
        mk_ops_unhold(op, outer);
    } while (retry_with_fresh_fields(op, rc, &fail, &attempt));
    if (rc != SOAP_OK)
        rc = mk_ops_raise(op, &fail);
    if (rc == SOAP_OK && cJSON_GetArraySize(leads) == 0)
        rc = mk_fault(soap, MK_ERR_LEAD_NOT_FOUND, "No lead found with %s = %s", kt, value);
    if (rc == SOAP_OK) {
        out->result = soap_malloc(soap, sizeof *out->result);
        if (!out->result) {
            rc = mk_fault(soap, MK_ERR_INTERNAL, "out of memory");
        } else {
            out->result->count = cJSON_GetArraySize(leads);
            rc = leads_to_soap(op, f, leads, &out->result->leadRecordList);
        }
    }
    cJSON_Delete(leads);
    mk_ops_release_fields(f);
    return rc;
}

/* ---- getMultipleLeads -------------------------------------------------------
 *
 * Three selectors, one paging scheme.  The stream position carries the REST
 * paging state (see streampos.h); the client sends it back with the same
 * selector, as Marketo's clients do.  remainingCount: REST never says how
 * many records remain, only whether more exist, so a non-final page reports
 * the page size (a lower bound that keeps "loop while remainingCount > 0"
 * clients correct) and the final page reports 0 with an empty position.
 */

typedef struct page {
    cJSON *leads;        /* this SOAP page's leads (owned) */
    cJSON *next;         /* state for the next position, NULL at the end (owned) */
} page;

/* The pager's page callback when a REST page is the SOAP page: its
 * records replace what *ctx (cJSON **) held. */
static int take_page(void *ctx, mk_rest_result *res, cJSON *records, bool *stop)
{
    cJSON **leads = ctx;
    (void)stop;
    cJSON_Delete(*leads);
    if (records == cJSON_GetObjectItemCaseSensitive(res->json, "result"))
        *leads = cJSON_DetachItemViaPointer(res->json, records);
    else
        *leads = cJSON_CreateArray();   /* the pager's stand-in for a missing result */
    return *leads ? SOAP_OK : MK_PAGER_NOMEM;
}

static int page_by_keys(mk_op *op, const struct ns1__LeadKeySelector *sel,
                        const char *fields, int batch, const cJSON *state, page *pg)
{
    struct soap *soap = op->soap;
    if (!sel->keyValues || sel->keyValues->__sizestringItem == 0)
        return mk_fault(soap, MK_ERR_LEAD_KEY_REQUIRED, "LeadKeySelector has no keyValues");
    const char *filter;
    int rc = mk_ops_key_filter(op, sel->keyType, &filter);
    if (rc != SOAP_OK)
        return rc;
    /* Marketo read the first 100 keys and ignored the rest. */
    const char **vals = soap_malloc(soap, sizeof *vals * SOAP_KEYS_MAX);
    int k = 0;
    if (!vals)
        return mk_fault(soap, MK_ERR_INTERNAL, "out of memory");
    if ((rc = mk_ops_key_values(soap, sel->keyValues, SOAP_KEYS_MAX, vals, &k)) != SOAP_OK)
        return rc;
    if (k == 0)
        return mk_fault(soap, MK_ERR_LEAD_KEY_REQUIRED, "LeadKeySelector has only empty keyValues");
    char *joined = mk_ops_join(vals, k, ',');
    char bs[16];
    snprintf(bs, sizeof bs, "%d", batch);
    mk_rest_param q[5] = {{"filterType", filter}, {"filterValues", joined}, {"fields", fields},
                          {"batchSize", bs}, {"nextPageToken", NULL}};
    mk_ops_send sc = {.op = op, .what = "getMultipleLeads: get leads by filter"};
    /* One REST page is one SOAP page: the position carries the token. */
    mk_pager pr = {.ep = MK_EP_LEADS_QUERY, .query = q, .nquery = 5,
                   .start = mk_rest_json_get_string(state, "t"), .max_pages = 1,
                   .empty = MK_PAGER_EMPTY_ENDS, .send = mk_ops_send_page, .send_ctx = &sc,
                   .on_page = take_page, .page_ctx = &pg->leads};
    rc = mk_pager_run(&pr);
    free(joined);
    if (rc < 0)
        rc = mk_fault(soap, MK_ERR_INTERNAL, "out of memory");
    if (rc == SOAP_OK && pr.next && cJSON_GetArraySize(pg->leads) > 0) {
        pg->next = cJSON_CreateObject();
        cJSON_AddStringToObject(pg->next, "k", "keys");
        cJSON_AddStringToObject(pg->next, "t", pr.next);
    }
    mk_pager_done(&pr);
    return rc;
}

/* One GET /rest/v1/lists.json?name=[&programName=]; *id = 0 when no list
 * matches. */
static int find_list(mk_op *op, const char *name, const char *program, int64_t *id)
{
    mk_rest_param q[2] = {{"name", name}, {"programName", program}};
    mk_rest_req rr = {.ep = MK_EP_LISTS, .query = q, .nquery = program ? 2 : 1};
    mk_rest_result res = {0};
    *id = 0;
    int rc = mk_ops_rest(op, &rr, &res, "getMultipleLeads: find static list by name");
    if (rc == SOAP_OK) {
        const cJSON *first = cJSON_GetArrayItem(cJSON_GetObjectItemCaseSensitive(res.json, "result"), 0);
        if (first && mk_rest_json_get_int64(first, "id", id) != MK_REST_JSON_OK)
            *id = 0;
    }
    mk_rest_result_free(&res);
    return rc;
}

/* Static list by id, or by name.  Marketo's own samples name a list
 * "<program name>.<list name>" ("SMSProgram.listForTesting"), so a name
 * that matches no list as a whole is tried as program + list at each dot. */
static int resolve_list(mk_op *op, const struct ns1__StaticListSelector *sel, int64_t *id)
{
    struct soap *soap = op->soap;
    if (sel->staticListId && *sel->staticListId > 0) {
        *id = *sel->staticListId;
        return SOAP_OK;
    }
    if (!sel->staticListName || !*sel->staticListName)
        return mk_fault(soap, MK_ERR_PARAMETER_REQUIRED,
                        "StaticListSelector needs staticListId or staticListName");
    const char *name = sel->staticListName;
    int rc = find_list(op, name, NULL, id);
    for (const char *dot = strchr(name, '.'); rc == SOAP_OK && *id == 0 && dot;
         dot = strchr(dot + 1, '.')) {
        if (dot == name || !dot[1])
            continue;
        char *program = soap_strdup(soap, name);
        if (!program)
            return mk_fault(soap, MK_ERR_INTERNAL, "out of memory");
        program[dot - name] = '\0';
        rc = find_list(op, dot + 1, program, id);
    }
    if (rc == SOAP_OK && *id == 0)
        rc = mk_fault(soap, MK_ERR_LIST_NOT_FOUND, "Static list not found: %s", name);
    return rc;
}

static int page_by_list(mk_op *op, const struct ns1__StaticListSelector *sel,
                        const char *fields, int batch, const cJSON *state, page *pg)
{
    struct soap *soap = op->soap;
    int64_t list_id = 0;
    int rc;
    if (state) {
        if (mk_rest_json_get_int64(state, "list", &list_id) != MK_REST_JSON_OK)
            return mk_fault(soap, MK_ERR_BAD_STREAM_POSITION, "stream position is not for a static list");
        /* A position continues the list it was issued for: sent with a
         * selector naming another list id, it would page the wrong list. */
        if (sel->staticListId && *sel->staticListId > 0 && *sel->staticListId != list_id)
            return mk_fault(soap, MK_ERR_BAD_STREAM_POSITION,
                            "stream position belongs to static list %" PRId64 ", not %d", list_id,
                            *sel->staticListId);
    } else if ((rc = resolve_list(op, sel, &list_id)) != SOAP_OK) {
        return rc;
    }
    char path[64], bs[16], idtext[24];
    snprintf(idtext, sizeof idtext, "%" PRId64, list_id);
    mk_rest_endpoint_path(MK_EP_LIST_MEMBERS, idtext, path, sizeof path);
    snprintf(bs, sizeof bs, "%d", batch);
    mk_rest_param q[3] = {{"fields", fields}, {"batchSize", bs}, {"nextPageToken", NULL}};
    mk_ops_send sc = {.op = op, .what = "getMultipleLeads: get leads by list"};
    /* A REST page with no member but a nextPageToken is read past (within
     * the deadline): an empty SOAP page would say the list has ended. */
    mk_pager pr = {.ep = MK_EP_LIST_MEMBERS, .path = path, .query = q, .nquery = 3,
                   .start = mk_rest_json_get_string(state, "t"), .max_records = 1,
                   .empty = MK_PAGER_EMPTY_READ_PAST,
                   .stop_at_ms = mk_pager_stop_at(op, PAGE_RESERVE_MS),
                   .send = mk_ops_send_page, .send_ctx = &sc, .on_page = take_page,
                   .page_ctx = &pg->leads};
    rc = mk_pager_run(&pr);
    if (rc < 0)
        rc = mk_fault(soap, MK_ERR_INTERNAL, "out of memory");
    else if (rc != SOAP_OK && pr.last.error_code == 1013)
        rc = mk_ops_fail(op, MK_ERR_LIST_NOT_FOUND, "Static list not found: id %" PRId64,
                         list_id);
    if (rc == SOAP_OK && pr.next) {
        pg->next = cJSON_CreateObject();
        cJSON_AddStringToObject(pg->next, "k", "list");
        cJSON_AddNumberToObject(pg->next, "list", (double)list_id);
        cJSON_AddStringToObject(pg->next, "t", pr.next);
    }
    mk_pager_done(&pr);
    return rc;
}

/* LastUpdateAtSelector.  REST has no "leads updated between" query, so the
 * shim reads the lead-change activity stream (New Lead and Change Data
 * Value, GET /rest/v1/activities/leadchanges.json) from oldestUpdatedAt,
 * collects the ids of the leads it names until latestUpdatedAt, and fetches
 * those leads by id.  A lead changed several times in the window is
 * returned once per page it appears in; MIGRATION.md says so. */
#define UPD_MAX_ACTIVITY_PAGES 8   /* per SOAP call, once the page holds a lead */

/* May one more activity page be read for this SOAP page?  Until it holds a
 * lead the walk goes on while the deadline allows (an empty page that
 * says more follows is where Talend and embulk stop); after that, at most
 * UPD_MAX_ACTIVITY_PAGES per call. */
static bool upd_may_read(mk_op *op, int pages, int nids)
{
    if (pages == 0)
        return true;
    if (nids > 0 && pages >= UPD_MAX_ACTIVITY_PAGES)
        return false;
    return mk_request_ms_left(op->req) > PAGE_RESERVE_MS;
}

static int parse_window(struct soap *soap, const struct ns1__LastUpdateAtSelector *sel,
                        time_t *oldest, time_t *latest)
{
    if (!sel->oldestUpdatedAt || !*sel->oldestUpdatedAt)
        return mk_fault(soap, MK_ERR_PARAMETER_REQUIRED, "LastUpdateAtSelector needs oldestUpdatedAt");
    if (mk_auth_parse_timestamp(sel->oldestUpdatedAt, oldest) != 0)
        return mk_fault(soap, MK_ERR_BAD_PARAMETER, "oldestUpdatedAt is not a date-time: %s",
                        sel->oldestUpdatedAt);
    *latest = time(NULL);
    if (sel->latestUpdatedAt && *sel->latestUpdatedAt &&
        mk_auth_parse_timestamp(sel->latestUpdatedAt, latest) != 0)
        return mk_fault(soap, MK_ERR_BAD_PARAMETER, "latestUpdatedAt is not a date-time: %s",
                        sel->latestUpdatedAt);
    if (*latest < *oldest)
        return mk_fault(soap, MK_ERR_BAD_PARAMETER, "latestUpdatedAt is before oldestUpdatedAt");
    if (*latest - *oldest > 30L * 86400)
        return mk_fault(soap, MK_ERR_TIME_RANGE,
                        "oldestUpdatedAt and latestUpdatedAt are more than 30 days apart");
    return SOAP_OK;
}

/* Where the walk of the lead-change stream stands for one SOAP page. */
typedef struct upd_walk {
    char *token;         /* REST paging token (owned) */
    int skip;            /* activities of the token's first page already consumed */
    bool done;           /* latestUpdatedAt, or the end of the stream, reached */
    int pages;           /* activity pages read by this SOAP call */
    time_t latest;
    const char *watch;   /* the lead fields whose change counts as an update */
    char bs[16];
} upd_walk;

/* The walk's start: the position's token and offset, or a fresh paging
 * token for oldestUpdatedAt. */
static int upd_begin(mk_op *op, const struct ns1__LastUpdateAtSelector *sel,
                     const cJSON *state, upd_walk *w)
{
    struct soap *soap = op->soap;
    time_t oldest;
    int rc = parse_window(soap, sel, &oldest, &w->latest);
    if (rc != SOAP_OK)
        return rc;
    if (state) {
        const char *t = mk_rest_json_get_string(state, "t");
        int64_t o = 0;
        if (!t || mk_rest_json_get_int64(state, "o", &o) != MK_REST_JSON_OK || o < 0 || o > 100000)
            return mk_fault(soap, MK_ERR_BAD_STREAM_POSITION, "stream position is not for LastUpdateAtSelector");
        w->token = strdup(t);
        w->skip = (int)o;
    } else {
        mk_rest_param q[1] = {{"sinceDatetime", sel->oldestUpdatedAt}};
        mk_rest_req rr = {.ep = MK_EP_PAGING_TOKEN, .query = q, .nquery = 1};
        mk_rest_result res = {0};
        rc = mk_ops_rest(op, &rr, &res, "getMultipleLeads: get paging token");
        const char *t = rc == SOAP_OK ? mk_rest_json_get_string(res.json, "nextPageToken") : NULL;
        w->token = t ? strdup(t) : NULL;
        mk_rest_result_free(&res);
        if (rc != SOAP_OK)
            return rc;
        if (!w->token)
            return mk_fault(soap, MK_ERR_API_INTERNAL, "Marketo returned no paging token");
    }
    return SOAP_OK;
}

/* One activity page's leads into ids[*nids..batch), each lead once; moves
 * the walk past what it consumed. */
static void upd_take_page(const cJSON *json, upd_walk *w, int64_t *ids, int batch, int *nids)
{
    const cJSON *acts = cJSON_GetObjectItemCaseSensitive(json, "result");
    int i = 0, consumed = w->skip;
    const cJSON *a;
    cJSON_ArrayForEach(a, acts) {
        if (i++ < w->skip)
            continue;
        time_t when;
        const char *d = mk_rest_json_get_string(a, "activityDate");
        if (d && mk_auth_parse_timestamp(d, &when) == 0 && when > w->latest) {
            w->done = true;
            break;
        }
        consumed = i;
        int64_t lead;
        if (mk_rest_json_get_int64(a, "leadId", &lead) != MK_REST_JSON_OK)
            continue;
        bool seen = false;
        for (int j = 0; j < *nids && !seen; j++)
            seen = ids[j] == lead;
        if (!seen)
            ids[(*nids)++] = lead;
        if (*nids == batch)
            break;
    }
    int more = 0;
    mk_rest_json_get_bool(json, "moreResult", &more);
    const char *next = mk_rest_json_get_string(json, "nextPageToken");
    if (w->done) {
        /* reached latestUpdatedAt */
    } else if (consumed < cJSON_GetArraySize(acts)) {
        /* The SOAP page filled up inside this REST page: resume there. */
        w->skip = consumed;
    } else if (more && next && *next) {
        free(w->token);
        w->token = strdup(next);
        w->skip = 0;
    } else {
        /* The activity stream is exhausted, even when the last lead
         * filled the SOAP page exactly: no position that would replay
         * this REST page. */
        w->done = true;
    }
}

/* What upd_page collects into, beside the walk. */
typedef struct upd_collect_ctx {
    mk_op *op;
    upd_walk *w;
    int64_t *ids;
    int batch;
    int *nids;
} upd_collect_ctx;

/* May the walk read one more activity page? */
static bool upd_go_on(mk_op *op, const upd_walk *w, int nids, int batch)
{
    return nids < batch && !w->done && upd_may_read(op, w->pages, nids);
}

/* The pager's page callback: one activity page taken. */
static int upd_page(void *ctx, mk_rest_result *res, cJSON *records, bool *stop)
{
    upd_collect_ctx *c = ctx;
    (void)records;
    c->w->pages++;
    upd_take_page(res->json, c->w, c->ids, c->batch, c->nids);
    *stop = !upd_go_on(c->op, c->w, *c->nids, c->batch);
    return SOAP_OK;
}

/* Read activity pages until batch lead ids are collected, the stream ends
 * or upd_may_read says stop.  Pages without a change are read past while
 * more are promised (activities). */
static int upd_collect(mk_op *op, upd_walk *w, int64_t *ids, int batch, int *nids)
{
    struct soap *soap = op->soap;
    *nids = 0;
    if (!upd_go_on(op, w, *nids, batch))
        return SOAP_OK;
    mk_rest_param q[3] = {{"nextPageToken", NULL}, {"fields", w->watch}, {"batchSize", w->bs}};
    mk_ops_send sc = {.op = op, .what = "getMultipleLeads: get lead changes"};
    upd_collect_ctx c = {op, w, ids, batch, nids};
    mk_pager pr = {.ep = MK_EP_LEAD_CHANGES, .query = q, .nquery = 3, .start = w->token,
                   .empty = MK_PAGER_EMPTY_READ_PAST, .send = mk_ops_send_page, .send_ctx = &sc,
                   .on_page = upd_page, .page_ctx = &c};
    int rc = mk_pager_run(&pr);
    mk_pager_done(&pr);
    if (rc < 0)
        rc = mk_fault(soap, MK_ERR_INTERNAL, "out of memory");
    return rc;
}

static int page_by_update(mk_op *op, const struct ns1__LastUpdateAtSelector *sel,
                          const mk_fields *f, const char *fields, int batch,
                          const cJSON *state, page *pg)
{
    struct soap *soap = op->soap;
    upd_walk w = {0};
    int rc = upd_begin(op, sel, state, &w);
    if (rc != SOAP_OK) {
        free(w.token);
        return rc;
    }

    /* Which lead fields count as an update: every SOAP-visible field. */
    w.watch = mk_fields_all_soap_csv(f);
    int64_t *ids = soap_malloc(soap, sizeof *ids * (size_t)batch);
    const char **vals = soap_malloc(soap, sizeof *vals * (size_t)batch);
    char (*idtext)[24] = soap_malloc(soap, sizeof *idtext * (size_t)batch);
    if (!ids || !vals || !idtext) {
        free(w.token);
        return mk_fault(soap, MK_ERR_INTERNAL, "out of memory");
    }
    snprintf(w.bs, sizeof w.bs, "%d", MK_LEADS_REST_PAGE_MAX);
    pg->leads = NULL;
    /* Collect lead ids from the change stream, then read those leads; if
     * every one of them is gone (deleted since), walk on rather than answer
     * an empty page. */
    for (bool answered = false; !answered;) {
        int nids = 0;
        if ((rc = upd_collect(op, &w, ids, batch, &nids)) != SOAP_OK) {
            free(w.token);
            return rc;
        }
        if (nids == 0) {
            pg->leads = cJSON_CreateArray();   /* the end, or the deadline */
            answered = true;
            continue;
        }
        for (int i = 0; i < nids; i++) {
            snprintf(idtext[i], sizeof idtext[i], "%" PRId64, ids[i]);
            vals[i] = idtext[i];
        }
        cJSON *leads = NULL;
        rc = mk_ops_get_leads(op, "id", vals, nids, fields, nids, &leads,
                              "getMultipleLeads: get updated leads");
        if (rc != SOAP_OK) {
            free(w.token);
            return rc;
        }
        answered = cJSON_GetArraySize(leads) > 0 || w.done ||
                   mk_request_ms_left(op->req) <= PAGE_RESERVE_MS;
        if (answered)
            pg->leads = leads;
        else
            cJSON_Delete(leads);
    }
    if (!w.done) {
        pg->next = cJSON_CreateObject();
        cJSON_AddStringToObject(pg->next, "k", "upd");
        cJSON_AddStringToObject(pg->next, "t", w.token);
        cJSON_AddNumberToObject(pg->next, "o", w.skip);
    }
    free(w.token);
    return SOAP_OK;
}

int mk_op_get_multiple_leads(mk_op *op, struct ns1__ParamsGetMultipleLeads *p,
                             struct ns1__SuccessGetMultipleLeads *out)
{
    struct soap *soap = op->soap;
    int rc = SOAP_OK;
    const struct ns1__LeadSelector *sel = p->leadSelector;
    struct ns1__LastUpdateAtSelector legacy = {NULL, p->lastUpdatedAt};
    const char *kind = NULL;
    if (sel && sel->ns1__LeadKeySelector)
        kind = "keys";
    else if (sel && sel->ns1__StaticListSelector)
        kind = "list";
    else if (sel && sel->ns1__LastUpdateAtSelector)
        kind = "upd";
    else if (p->lastUpdatedAt)   /* the deprecated top-level form */
        kind = "upd";
    if (!kind)
        return mk_fault(soap, MK_ERR_PARAMETER_REQUIRED,
                        "getMultipleLeads needs a leadSelector (LeadKeySelector, StaticListSelector "
                        "or LastUpdateAtSelector, chosen with xsi:type)");

    /* The documentation says both 100 and 1,000 (soap-api.md); 300 is REST's page. */
    int batch;
    if ((rc = mk_ops_batch_size(soap, p->batchSize, 100, MK_LEADS_REST_PAGE_MAX, &batch)) != SOAP_OK)
        return rc;

    const char *user_key = mk_ops_user_key(op);
    cJSON *state = NULL;
    if (p->streamPosition && *p->streamPosition) {
        if (mk_streampos_decode(user_key, p->streamPosition, &state) != MK_STREAMPOS_OK)
            return mk_fault(soap, MK_ERR_BAD_STREAM_POSITION,
                            "streamPosition was not issued by this service for this user");
        const char *k = mk_rest_json_get_string(state, "k");
        if (!k || strcmp(k, kind) != 0) {
            cJSON_Delete(state);
            return mk_fault(soap, MK_ERR_BAD_STREAM_POSITION,
                            "streamPosition belongs to a different kind of leadSelector");
        }
    }

    const mk_fields *f = NULL;
    char *fields = NULL;
    page pg = {0};
    int attempt = 0;
    mk_ops_failure fail;   /* held, so that a stale catalogue is retried, not answered */
    do {
        cJSON_Delete(pg.leads);
        cJSON_Delete(pg.next);
        pg = (page){0};
        mk_ops_release_fields(f);
        f = mk_ops_fields(op);
        mk_ops_failure *outer = mk_ops_hold(op, &fail);
        /* A name the client gave that does not exist is its own fault, raised
         * at once (not held): it is not retried. */
        rc = include_to_fields(op, f, p->includeAttributes, &fields);
        if (rc == SOAP_OK && strcmp(kind, "keys") == 0)
            rc = page_by_keys(op, sel->ns1__LeadKeySelector, fields, batch, state, &pg);
        else if (rc == SOAP_OK && strcmp(kind, "list") == 0)
            rc = page_by_list(op, sel->ns1__StaticListSelector, fields, batch, state, &pg);
        else if (rc == SOAP_OK)
            rc = page_by_update(op, sel && sel->ns1__LastUpdateAtSelector ? sel->ns1__LastUpdateAtSelector
                                                                           : &legacy,
                                f, fields, batch, state, &pg);
        mk_ops_unhold(op, outer);
    } while (retry_with_fresh_fields(op, rc, &fail, &attempt));
    if (rc != SOAP_OK)
        rc = mk_ops_raise(op, &fail);
    if (rc == SOAP_OK) {
        struct ns1__ResultGetMultipleLeads *r = soap_malloc(soap, sizeof *r);
        memset(r, 0, sizeof *r);
        r->returnCount = cJSON_GetArraySize(pg.leads);
        r->remainingCount = pg.next ? (r->returnCount > 0 ? r->returnCount : batch) : 0;
        r->newStreamPosition = "";
        if (pg.next) {
            char *pos = NULL;
            if (mk_streampos_encode(user_key, pg.next, &pos) == MK_STREAMPOS_OK) {
                r->newStreamPosition = soap_strdup(soap, pos);
                free(pos);
            } else {
                rc = mk_fault(soap, MK_ERR_INTERNAL, "could not encode the stream position");
            }
        }
        if (rc == SOAP_OK)
            rc = leads_to_soap(op, f, pg.leads, &r->leadRecordList);
        out->result = r;
    }
    cJSON_Delete(pg.leads);
    cJSON_Delete(pg.next);
    cJSON_Delete(state);
    mk_ops_release_fields(f);
    return rc;
}
