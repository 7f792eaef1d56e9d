/*
 * leads.c — the five lead operations: getLead, getMultipleLeads, syncLead,
 * syncMultipleLeads, mergeLeads.
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
#include "ops/leads/leadrec.h"
#include "ops/core/op.h"
#include "mk_handlers.h"
#include "ops/core/streampos.h"
#include "rest/json.h"
#include "soap/auth.h"
#include "soap/fault.h"

/* REST pages hold at most 300 records; Marketo's SOAP pages up to 1000. */
#define REST_PAGE_MAX MK_REST_BATCH_MAX
#define SOAP_KEYS_MAX 100
#define REST_MAX_MATCHES 1000
#define MERGE_LOSERS_PER_CALL 25
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
static void refresh_fields(mk_op *op)
{
    mk_fields_refresh(op->svc->fields, &op->cred, op->deadline_ms);
}

static bool retry_with_fresh_fields(mk_op *op, int rc, const mk_ops_failure *fail,
                                    int *attempt)
{
    if (rc == SOAP_OK || (*attempt)++ > 0 || fail->code != MK_ERR_LEAD_ATTRIBUTE_BAD)
        return false;
    refresh_fields(op);
    return true;
}

/* All SOAP-visible fields, plus the ForeignSysPersonId field if configured
 * (each REST name once: the documentation does not promise that REST
 * tolerates a field named twice). */
static char *all_fields_csv(mk_op *op, const mk_fields *f)
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
        *csv = all_fields_csv(op, f);
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
static int leadrec_fault(struct soap *soap, int rc)
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
            return leadrec_fault(soap, rc);
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
    const char *why = NULL;
    const char *filter = mk_ops_lead_filter(op, kt, &why);
    if (!filter)
        return mk_fault(soap, MK_ERR_LEAD_KEY_BAD, "Lead key type %s is not supported: %s", kt,
                        why ? why : "no REST filter exists for it");
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
        rc = mk_ops_get_leads_by_value(op, filter, value, all_fields_csv(op, f),
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

static int page_by_keys(mk_op *op, const struct ns1__LeadKeySelector *sel,
                        const char *fields, int batch, const cJSON *state, page *pg)
{
    struct soap *soap = op->soap;
    if (!sel->keyValues || sel->keyValues->__sizestringItem == 0)
        return mk_fault(soap, MK_ERR_LEAD_KEY_REQUIRED, "LeadKeySelector has no keyValues");
    const char *kt = key_type_name(soap, sel->keyType);
    const char *why = NULL;
    const char *filter = mk_ops_lead_filter(op, kt, &why);
    if (!filter)
        return mk_fault(soap, MK_ERR_LEAD_KEY_BAD, "Lead key type %s is not supported: %s", kt,
                        why ? why : "no REST filter exists for it");
    /* Marketo read the first 100 keys and ignored the rest. */
    int n = sel->keyValues->__sizestringItem;
    if (n > SOAP_KEYS_MAX)
        n = SOAP_KEYS_MAX;
    const char **vals = soap_malloc(soap, sizeof *vals * (size_t)n);
    int k = 0;
    for (int i = 0; i < n; i++) {
        const char *v = sel->keyValues->stringItem[i];
        if (!v || !*v)
            continue;
        if (strchr(v, ','))
            return mk_fault(soap, MK_ERR_LEAD_KEY_BAD,
                            "key value '%s' contains a comma, which REST filter values cannot carry", v);
        vals[k++] = v;
    }
    if (k == 0)
        return mk_fault(soap, MK_ERR_LEAD_KEY_REQUIRED, "LeadKeySelector has only empty keyValues");
    char *joined = mk_ops_join(vals, k, ',');
    char bs[16];
    snprintf(bs, sizeof bs, "%d", batch);
    const char *token = mk_rest_json_get_string(state, "t");
    mk_rest_param q[5] = {{"filterType", filter}, {"filterValues", joined}, {"fields", fields},
                          {"batchSize", bs}};
    size_t nq = 4;
    if (token)
        q[nq++] = (mk_rest_param){"nextPageToken", token};
    mk_rest_req rr = {.method = MK_REST_GET, .path = "/rest/v1/leads.json", .query = q, .nquery = nq};
    mk_rest_result res = {0};
    int rc = mk_ops_rest(op, &rr, &res, "getMultipleLeads: get leads by filter");
    free(joined);
    if (rc == SOAP_OK) {
        pg->leads = cJSON_DetachItemFromObjectCaseSensitive(res.json, "result");
        if (!pg->leads)
            pg->leads = cJSON_CreateArray();
        const char *next = mk_rest_json_get_string(res.json, "nextPageToken");
        if (next && *next && cJSON_GetArraySize(pg->leads) > 0) {
            pg->next = cJSON_CreateObject();
            cJSON_AddStringToObject(pg->next, "k", "keys");
            cJSON_AddStringToObject(pg->next, "t", next);
        }
    }
    mk_rest_result_free(&res);
    return rc;
}

/* One GET /rest/v1/lists.json?name=[&programName=]; *id = 0 when no list
 * matches. */
static int find_list(mk_op *op, const char *name, const char *program, int64_t *id)
{
    mk_rest_param q[2] = {{"name", name}, {"programName", program}};
    mk_rest_req rr = {.method = MK_REST_GET, .path = "/rest/v1/lists.json", .query = q,
                      .nquery = program ? 2 : 1};
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
    char path[64], bs[16];
    snprintf(path, sizeof path, "/rest/v1/lists/%" PRId64 "/leads.json", list_id);
    snprintf(bs, sizeof bs, "%d", batch);
    char *token = mk_rest_json_get_string(state, "t") ? strdup(mk_rest_json_get_string(state, "t"))
                                                      : NULL;
    /* A REST page with no member but a nextPageToken is read past (within
     * the deadline): an empty SOAP page would say the list has ended. */
    rc = SOAP_OK;
    while (rc == SOAP_OK) {
        mk_rest_param q[3] = {{"fields", fields}, {"batchSize", bs}};
        size_t nq = 2;
        if (token)
            q[nq++] = (mk_rest_param){"nextPageToken", token};
        mk_rest_req rr = {.method = MK_REST_GET, .path = path,
                          .path_template = "/rest/v1/lists/{listId}/leads.json", .query = q,
                          .nquery = nq};
        mk_rest_result res = {0};
        rc = mk_ops_rest(op, &rr, &res, "getMultipleLeads: get leads by list");
        if (rc != SOAP_OK && res.error_code == 1013)
            rc = mk_ops_fail(op, MK_ERR_LIST_NOT_FOUND, "Static list not found: id %" PRId64,
                             list_id);
        if (rc != SOAP_OK) {
            mk_rest_result_free(&res);
            break;
        }
        cJSON_Delete(pg->leads);
        pg->leads = cJSON_DetachItemFromObjectCaseSensitive(res.json, "result");
        if (!pg->leads)
            pg->leads = cJSON_CreateArray();
        const char *next = mk_rest_json_get_string(res.json, "nextPageToken");
        free(token);
        token = next && *next ? strdup(next) : NULL;
        mk_rest_result_free(&res);
        bool empty = cJSON_GetArraySize(pg->leads) == 0;
        if (token && (!empty || mk_request_ms_left(op->req) <= PAGE_RESERVE_MS)) {
            pg->next = cJSON_CreateObject();
            cJSON_AddStringToObject(pg->next, "k", "list");
            cJSON_AddNumberToObject(pg->next, "list", (double)list_id);
            cJSON_AddStringToObject(pg->next, "t", token);
        }
        if (!token || pg->next)
            break;
    }
    free(token);
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

static int page_by_update(mk_op *op, const struct ns1__LastUpdateAtSelector *sel,
                          const mk_fields *f, const char *fields, int batch,
                          const cJSON *state, page *pg)
{
    struct soap *soap = op->soap;
    time_t oldest, latest;
    int rc = parse_window(soap, sel, &oldest, &latest);
    if (rc != SOAP_OK)
        return rc;
    char *token = NULL;
    int skip = 0;  /* activities of the first page already consumed */
    if (state) {
        const char *t = mk_rest_json_get_string(state, "t");
        int64_t o = 0;
        if (!t || mk_rest_json_get_int64(state, "o", &o) != MK_REST_JSON_OK || o < 0 || o > 100000)
            return mk_fault(soap, MK_ERR_BAD_STREAM_POSITION, "stream position is not for LastUpdateAtSelector");
        token = strdup(t);
        skip = (int)o;
    } else {
        mk_rest_param q[1] = {{"sinceDatetime", sel->oldestUpdatedAt}};
        mk_rest_req rr = {.method = MK_REST_GET, .path = "/rest/v1/activities/pagingtoken.json",
                          .query = q, .nquery = 1};
        mk_rest_result res = {0};
        rc = mk_ops_rest(op, &rr, &res, "getMultipleLeads: get paging token");
        const char *t = rc == SOAP_OK ? mk_rest_json_get_string(res.json, "nextPageToken") : NULL;
        token = t ? strdup(t) : NULL;
        mk_rest_result_free(&res);
        if (rc != SOAP_OK)
            return rc;
        if (!token)
            return mk_fault(soap, MK_ERR_API_INTERNAL, "Marketo returned no paging token");
    }

    /* Which lead fields count as an update: every SOAP-visible field. */
    const char *watch = mk_fields_all_soap_csv(f);
    int64_t *ids = soap_malloc(soap, sizeof *ids * (size_t)batch);
    const char **vals = soap_malloc(soap, sizeof *vals * (size_t)batch);
    char (*idtext)[24] = soap_malloc(soap, sizeof *idtext * (size_t)batch);
    if (!ids || !vals || !idtext) {
        free(token);
        return mk_fault(soap, MK_ERR_INTERNAL, "out of memory");
    }
    bool done = false;
    char bs[16];
    snprintf(bs, sizeof bs, "%d", REST_PAGE_MAX);
    int pages = 0;
    pg->leads = NULL;
    /* Collect lead ids from the change stream, then read those leads; if
     * every one of them is gone (deleted since), walk on rather than answer
     * an empty page. */
    for (bool answered = false; !answered;) {
        int nids = 0;
        while (nids < batch && !done && upd_may_read(op, pages, nids)) {
            pages++;
            mk_rest_param q[3] = {{"nextPageToken", token}, {"fields", watch}, {"batchSize", bs}};
            mk_rest_req rr = {.method = MK_REST_GET, .path = "/rest/v1/activities/leadchanges.json",
                              .query = q, .nquery = 3};
            mk_rest_result res = {0};
            rc = mk_ops_rest(op, &rr, &res, "getMultipleLeads: get lead changes");
            if (rc != SOAP_OK) {
                mk_rest_result_free(&res);
                free(token);
                return rc;
            }
            const cJSON *acts = cJSON_GetObjectItemCaseSensitive(res.json, "result");
            int i = 0, consumed = skip;
            const cJSON *a;
            cJSON_ArrayForEach(a, acts) {
                if (i++ < skip)
                    continue;
                time_t when;
                const char *d = mk_rest_json_get_string(a, "activityDate");
                if (d && mk_auth_parse_timestamp(d, &when) == 0 && when > latest) {
                    done = true;
                    break;
                }
                consumed = i;
                int64_t lead;
                if (mk_rest_json_get_int64(a, "leadId", &lead) != MK_REST_JSON_OK)
                    continue;
                bool seen = false;
                for (int j = 0; j < nids && !seen; j++)
                    seen = ids[j] == lead;
                if (!seen)
                    ids[nids++] = lead;
                if (nids == batch)
                    break;
            }
            int more = 0;
            mk_rest_json_get_bool(res.json, "moreResult", &more);
            const char *next = mk_rest_json_get_string(res.json, "nextPageToken");
            if (done) {
                /* reached latestUpdatedAt */
            } else if (consumed < cJSON_GetArraySize(acts)) {
                /* The SOAP page filled up inside this REST page: resume there. */
                skip = consumed;
            } else if (more && next && *next) {
                free(token);
                token = strdup(next);
                skip = 0;
            } else {
                /* The activity stream is exhausted, even when the last lead
                 * filled the SOAP page exactly: no position that would replay
                 * this REST page. */
                done = true;
            }
            mk_rest_result_free(&res);
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
            free(token);
            return rc;
        }
        answered = cJSON_GetArraySize(leads) > 0 || done ||
                   mk_request_ms_left(op->req) <= PAGE_RESERVE_MS;
        if (answered)
            pg->leads = leads;
        else
            cJSON_Delete(leads);
    }
    if (!done) {
        pg->next = cJSON_CreateObject();
        cJSON_AddStringToObject(pg->next, "k", "upd");
        cJSON_AddStringToObject(pg->next, "t", token);
        cJSON_AddNumberToObject(pg->next, "o", skip);
    }
    free(token);
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
    if ((rc = mk_ops_batch_size(soap, p->batchSize, 100, REST_PAGE_MAX, &batch)) != SOAP_OK)
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

/* ---- syncLead ----------------------------------------------------------------
 *
 * Key precedence as Marketo documented it: Id, then ForeignSysPersonId, then
 * the Munchkin cookie, then Email.  REST takes one lookupField per call:
 *   Id                 → updateOnly, lookupField id (REST cannot upsert by id)
 *   ForeignSysPersonId → createOrUpdate, lookupField = the configured custom field
 *   marketoCookie      → the lead already known by that cookie is updated by id;
 *                        otherwise the Email rule applies, then the cookie is
 *                        associated with the synced lead
 *   Email              → createOrUpdate, lookupField email
 */

typedef struct sync_key {
    const char *action;
    const char *lookup;
    const char *value;    /* key value, for grouping and duplicate detection */
} sync_key;

/* A SOAP record's attributes and members as one REST record.  SOAP_OK
 * with *out set; or SOAP_OK with *out NULL and *failed saying why this
 * record alone cannot be written (a read-only field); or fault 20105 when
 * an attribute names no lead field, which fails the whole call as it did
 * in Marketo.  Values are never judged here (values.h): REST does that,
 * record by record. */
static int record_to_rest(mk_op *op, const mk_fields *f, const struct ns1__LeadRecord *rec,
                          bool email_is_update, const char *op_name, cJSON **out, const char **failed)
{
    struct soap *soap = op->soap;
    const char *bad = NULL;
    *failed = NULL;
    switch (mk_leadrec_attrs_to_rest(f, rec->leadAttributeList, out, &bad)) {
    case MK_LEADREC_OK:
        break;
    case MK_LEADREC_UNKNOWN:
        return mk_fault(soap, MK_ERR_LEAD_ATTRIBUTE_BAD,
                        "%s operation failed: unknown fields for import: %s", op_name, bad);
    case MK_LEADREC_READONLY: {
        size_t n = strlen(bad) + 96;
        char *why = soap_malloc(soap, n);
        if (!why)
            return mk_fault(soap, MK_ERR_INTERNAL, "out of memory");
        snprintf(why, n, "field %s is read-only in Marketo and cannot be written; this record "
                 "was not synced", bad);
        *failed = why;
        return SOAP_OK;
    }
    default:
        return mk_fault(soap, MK_ERR_INTERNAL, "out of memory");
    }
    mk_services *s = op->svc;
    /* When Email is the key (or must be written), the member is the value;
     * otherwise only an Email attribute in the list changes the address. */
    if (rec->Email && *rec->Email && email_is_update) {
        cJSON_DeleteItemFromObjectCaseSensitive(*out, "email");
        cJSON_AddStringToObject(*out, "email", rec->Email);
    }
    if (rec->ForeignSysPersonId && *rec->ForeignSysPersonId && s->fspi_field) {
        cJSON_DeleteItemFromObjectCaseSensitive(*out, s->fspi_field);
        cJSON_AddStringToObject(*out, s->fspi_field, rec->ForeignSysPersonId);
    }
    return SOAP_OK;
}

/* Choose the REST action and lookup field for one SOAP record. */
static int choose_key(mk_op *op, const struct ns1__LeadRecord *rec, bool dedup,
                      sync_key *k, const char **why)
{
    struct soap *soap = op->soap;
    mk_services *s = op->svc;
    *why = NULL;
    if (rec->Id && *rec->Id > 0) {
        char *v = soap_malloc(soap, 16);
        snprintf(v, 16, "%d", *rec->Id);
        *k = (sync_key){"updateOnly", "id", v};
        return 0;
    }
    if (rec->ForeignSysPersonId && *rec->ForeignSysPersonId) {
        if (!s->fspi_field) {
            *why = "ForeignSysPersonId has no REST equivalent until the shim is configured with "
                   "foreign_sys_person_id_field (the custom lead field that holds it)";
            return -1;
        }
        *k = (sync_key){dedup ? "createOrUpdate" : "createDuplicate", s->fspi_field,
                        rec->ForeignSysPersonId};
        return 0;
    }
    if (rec->Email && *rec->Email) {
        *k = (sync_key){dedup ? "createOrUpdate" : "createDuplicate", "email", rec->Email};
        return 0;
    }
    *why = "the lead record has none of Id, ForeignSysPersonId or Email";
    return -1;
}

static enum ns1__LeadSyncStatus sync_status(const char *rest_status)
{
    if (rest_status && strcmp(rest_status, "created") == 0)
        return ns1__LeadSyncStatus__CREATED;
    if (rest_status && strcmp(rest_status, "updated") == 0)
        return ns1__LeadSyncStatus__UPDATED;
    return ns1__LeadSyncStatus__FAILED;
}

/* "1004 - Lead not found" from a skipped record's reasons. */
static char *skip_reason(struct soap *soap, const cJSON *item, int *code)
{
    const cJSON *r = cJSON_GetArrayItem(cJSON_GetObjectItemCaseSensitive(item, "reasons"), 0);
    const char *c = mk_rest_json_get_string(r, "code");
    const char *m = mk_rest_json_get_string(r, "message");
    *code = c ? atoi(c) : 0;
    size_t n = (c ? strlen(c) : 0) + (m ? strlen(m) : 0) + 32;
    char *t = soap_malloc(soap, n);
    snprintf(t, n, "%s - %s", c ? c : "?", m ? m : "record skipped by Marketo");
    return t;
}

static int post_sync(mk_op *op, const char *action, const char *lookup,
                     const char *partition, cJSON *input, mk_rest_result *res, const char *what)
{
    /* Concurrent syncs with the same action, lookupField and partition share
     * one REST call; the body (lookupField left out for createDuplicate,
     * partitionName for updateOnly) is built there (leadbatch.h). */
    return mk_ops_sync_leads(op, action, lookup, partition, input, res, what);
}

static int fetch_lead(mk_op *op, const mk_fields *f, int64_t id, struct ns1__LeadRecord **out)
{
    struct soap *soap = op->soap;
    char v[24];
    snprintf(v, sizeof v, "%" PRId64, id);
    cJSON *leads = NULL;
    /* Through the coalescer: under load the read-backs of many syncLeads
     * share one filter call as their writes shared one sync call. */
    int rc = mk_ops_get_leads_by_value(op, "id", v, all_fields_csv(op, f), 1, &leads,
                                       "syncLead: read back the lead");
    if (rc == SOAP_OK && cJSON_GetArraySize(leads) == 1) {
        *out = soap_malloc(soap, sizeof **out);
        if (!*out)
            rc = mk_fault(soap, MK_ERR_INTERNAL, "out of memory");
        else if ((rc = mk_leadrec_to_soap(soap, f, cJSON_GetArrayItem(leads, 0),
                                          op->svc->fspi_field, *out)) != 0)
            rc = leadrec_fault(soap, rc);
    }
    cJSON_Delete(leads);
    return rc;
}

/* If exactly one lead has `value` in REST filter `filter`, make *k an
 * update of that lead by id (and set *have_key); otherwise leave *k alone. */
static int key_to_id(mk_op *op, const char *filter, const char *value, const char *what,
                     sync_key *k, bool *have_key)
{
    struct soap *soap = op->soap;
    const char *vals[1] = {value};
    cJSON *known = NULL;
    int rc = mk_ops_get_leads(op, filter, vals, 1, "id", 2, &known, what);
    int64_t id;
    if (rc == SOAP_OK && cJSON_GetArraySize(known) == 1 &&
        mk_rest_json_get_int64(cJSON_GetArrayItem(known, 0), "id", &id) == MK_REST_JSON_OK) {
        char *v = soap_malloc(soap, 24);
        if (!v) {
            rc = mk_fault(soap, MK_ERR_INTERNAL, "out of memory");
        } else {
            snprintf(v, 24, "%" PRId64, id);
            *k = (sync_key){"updateOnly", "id", v};
            *have_key = true;
        }
    }
    cJSON_Delete(known);
    return rc;
}

int mk_op_sync_lead(mk_op *op, struct ns1__ParamsSyncLead *p, struct ns1__SuccessSyncLead *out)
{
    struct soap *soap = op->soap;
    int rc = SOAP_OK;
    const struct ns1__LeadRecord *rec = p->leadRecord;
    if (!rec)
        return mk_fault(soap, MK_ERR_LEAD_DETAIL_REQUIRED, "syncLead needs a leadRecord");
    const char *partition = NULL;
    rc = mk_ops_partition(op, &partition);
    if (rc != SOAP_OK)
        return rc;

    const mk_fields *f = mk_ops_fields(op);
    cJSON *lead = NULL, *input = NULL;
    mk_rest_result res = {0};
    sync_key k;
    const char *why = NULL;
    bool have_key = choose_key(op, rec, true, &k, &why) == 0;
    const char *cookie = p->marketoCookie && *p->marketoCookie ? p->marketoCookie : NULL;

    /* An unknown attribute faults before anything is read or written; a
     * read-only one fails the record (the call's only one) unwritten. */
    const char *failed = NULL;
    rc = record_to_rest(op, f, rec, true, "syncLead", &lead, &failed);
    if (rc != SOAP_OK)
        goto out;
    if (failed && (have_key || cookie)) {   /* without any key: fault 20101 below */
        struct ns1__ResultSyncLead *r = soap_malloc(soap, sizeof *r);
        struct ns1__SyncStatus *st = soap_malloc(soap, sizeof *st);
        if (!r || !st) {
            rc = mk_fault(soap, MK_ERR_INTERNAL, "out of memory");
            goto out;
        }
        memset(r, 0, sizeof *r);
        memset(st, 0, sizeof *st);
        st->status = ns1__LeadSyncStatus__FAILED;
        st->error = (char *)failed;
        r->syncStatus = st;
        out->result = r;
        goto out;
    }

    /* The cookie outranks Email: a lead already known by it is updated. */
    if (cookie && (!have_key || strcmp(k.lookup, "email") == 0)) {
        rc = key_to_id(op, "cookies", cookie, "syncLead: find lead by cookie", &k, &have_key);
        if (rc != SOAP_OK)
            goto out;
    }
    /* With a partition, REST dedupes only inside it, but Marketo matched
     * Email in every partition ("If an existing lead is matched by email,
     * the named workspace is ignored and the lead is updated in its current
     * partition"): find that lead first, so no duplicate is created. */
    if (have_key && partition && strcmp(k.lookup, "email") == 0) {
        rc = key_to_id(op, "email", k.value, "syncLead: find lead by email in every partition",
                       &k, &have_key);
        if (rc != SOAP_OK)
            goto out;
    }
    if (!have_key) {
        rc = mk_fault(soap, rec->ForeignSysPersonId ? MK_ERR_BAD_PARAMETER : MK_ERR_LEAD_KEY_REQUIRED,
                      "syncLead: %s", why);
        goto out;
    }
    if (strcmp(k.lookup, "id") == 0)
        cJSON_AddItemToObject(lead, "id", cJSON_CreateRaw(k.value));
    input = cJSON_CreateArray();
    cJSON_AddItemToArray(input, lead);
    lead = NULL;
    rc = post_sync(op, k.action, k.lookup, partition, input, &res, "syncLead: sync leads");
    if (rc != SOAP_OK)
        goto out;

    const cJSON *item = cJSON_GetArrayItem(cJSON_GetObjectItemCaseSensitive(res.json, "result"), 0);
    struct ns1__ResultSyncLead *r = soap_malloc(soap, sizeof *r);
    struct ns1__SyncStatus *st = soap_malloc(soap, sizeof *st);
    memset(r, 0, sizeof *r);
    memset(st, 0, sizeof *st);
    st->status = sync_status(mk_rest_json_get_string(item, "status"));
    int64_t id = 0;
    mk_rest_json_get_int64(item, "id", &id);
    if (st->status == ns1__LeadSyncStatus__FAILED) {
        int code = 0;
        st->error = skip_reason(soap, item, &code);
        if (code == 1006) {
            /* The catalogue let an attribute through that Marketo no longer
             * has: read it again, so the next request validates right. */
            refresh_fields(op);
            rc = mk_fault(soap, MK_ERR_LEAD_ATTRIBUTE_BAD, "syncLead operation failed: %s", st->error);
            goto out;
        }
    }
    st->leadId = r->leadId = (int)id;
    r->syncStatus = st;
    if (cookie && id > 0) {
        char path[64];
        snprintf(path, sizeof path, "/rest/v1/leads/%" PRId64 "/associate.json", id);
        mk_rest_param q[1] = {{"cookie", cookie}};
        mk_rest_req rr = {.method = MK_REST_POST, .path = path,
                          .path_template = "/rest/v1/leads/{leadId}/associate.json",
                          .query = q, .nquery = 1};
        mk_rest_result ares = {0};
        rc = mk_ops_rest(op, &rr, &ares, "syncLead: associate the Munchkin cookie");
        if (rc != SOAP_OK && ares.error_code == 1012)
            rc = mk_fault(soap, MK_ERR_BAD_PARAMETER,
                          "lead %" PRId64 " was %s but marketoCookie '%s' is not a valid Munchkin "
                          "cookie, so it was not associated", id,
                          st->status == ns1__LeadSyncStatus__CREATED ? "created" : "updated", cookie);
        mk_rest_result_free(&ares);
        if (rc != SOAP_OK)
            goto out;
    }
    if (p->returnLead && *p->returnLead == xsd__boolean__true_ && id > 0) {
        rc = fetch_lead(op, f, id, &r->leadRecord);
        if (rc != SOAP_OK)
            goto out;
    }
    out->result = r;
out:
    mk_rest_result_free(&res);
    cJSON_Delete(lead);
    cJSON_Delete(input);
    mk_ops_release_fields(f);
    return rc;
}

/* ---- syncMultipleLeads ------------------------------------------------------
 *
 * Every record is checked first, so an unknown attribute anywhere faults
 * the call (20105) before anything is written; anything else wrong with a
 * record (no key, a read-only field, a value REST refuses) fails that
 * record alone, in its place, and the others are written.  Records are then grouped by REST
 * (action, lookupField) into calls of at most 300, a key value never twice
 * in one call (REST would skip the second as a duplicate), and the answers
 * are put back in the caller's order.
 */
typedef struct sync_item {
    int index;          /* position in the SOAP request */
    sync_key key;
    cJSON *rest;        /* REST record (owned until moved into a batch) */
    int batch;          /* batch number, -1 when failed before sending */
    int slot;           /* position inside the batch */
    const char *error;  /* FAILED reason when batch == -1 */
} sync_item;

int mk_op_sync_multiple_leads(mk_op *op, struct ns1__ParamsSyncMultipleLeads *p,
                              struct ns1__SuccessSyncMultipleLeads *out)
{
    struct soap *soap = op->soap;
    int rc = SOAP_OK;
    int n = p->leadRecordList ? p->leadRecordList->__sizeleadRecord : 0;
    if (n == 0)
        return mk_fault(soap, MK_ERR_LEAD_DETAIL_REQUIRED, "syncMultipleLeads needs leadRecordList/leadRecord");
    bool dedup = !p->dedupEnabled || *p->dedupEnabled == xsd__boolean__true_;
    const char *partition = NULL;
    rc = mk_ops_partition(op, &partition);
    if (rc != SOAP_OK)
        return rc;

    const mk_fields *f = mk_ops_fields(op);
    sync_item *items = calloc((size_t)n, sizeof *items);
    if (!items) {
        mk_ops_release_fields(f);
        return mk_fault(soap, MK_ERR_INTERNAL, "out of memory");
    }
    for (int i = 0; i < n && rc == SOAP_OK; i++) {
        const struct ns1__LeadRecord *rec = &p->leadRecordList->leadRecord[i];
        items[i].index = i;
        items[i].batch = -1;
        const char *why = NULL;
        bool keyed = choose_key(op, rec, dedup, &items[i].key, &why) == 0;
        /* "the Marketo ID takes precedence ... if Email is also present as
         * a key, it will not be updated unless it is specified in the list
         * of attributes" (syncMultipleLeads).  The rule is stated for the Id
         * key; a ForeignSysPersonId key may create the lead, so there Email
         * is written as syncLead documents ("the Email will be updated").
         * Every record is checked, keyed or not: an unknown attribute
         * anywhere faults the call before anything is written. */
        bool email_update = keyed && strcmp(items[i].key.lookup, "id") != 0;
        const char *failed = NULL;
        rc = record_to_rest(op, f, rec, email_update, "syncMultipleLeads", &items[i].rest,
                            &failed);
        if (rc != SOAP_OK)
            break;
        if (!keyed || !items[i].rest) {
            items[i].error = keyed ? failed : why;   /* this record alone fails, in its place */
            cJSON_Delete(items[i].rest);
            items[i].rest = NULL;
            continue;
        }
        if (strcmp(items[i].key.lookup, "id") == 0)
            cJSON_AddItemToObject(items[i].rest, "id", cJSON_CreateRaw(items[i].key.value));
    }

    /* Group into batches: same (action, lookup), ≤300, no repeated key value. */
    typedef struct batch { const sync_key *key; cJSON *input; int count; } batch;
    batch *batches = calloc((size_t)n, sizeof *batches);
    int nb = 0;
    for (int i = 0; i < n && rc == SOAP_OK; i++) {
        if (!items[i].rest)
            continue;
        int b = -1;
        for (int j = nb - 1; j >= 0 && b < 0; j--) {
            if (strcmp(batches[j].key->action, items[i].key.action) != 0 ||
                strcmp(batches[j].key->lookup, items[i].key.lookup) != 0 || batches[j].count >= REST_PAGE_MAX)
                continue;
            bool clash = false;
            for (int m = 0; m < i && !clash; m++)
                clash = items[m].batch == j && strcmp(items[m].key.value, items[i].key.value) == 0 &&
                        strcmp(items[i].key.action, "createDuplicate") != 0;
            if (!clash)
                b = j;
        }
        if (b < 0) {
            b = nb++;
            batches[b].key = &items[i].key;
            batches[b].input = cJSON_CreateArray();
        }
        items[i].batch = b;
        items[i].slot = batches[b].count++;
        cJSON_AddItemToArray(batches[b].input, items[i].rest);
        items[i].rest = NULL;
    }

    struct ns1__SyncStatus *st = soap_malloc(soap, sizeof *st * (size_t)n);
    memset(st, 0, sizeof *st * (size_t)n);
    for (int i = 0; i < n; i++) {
        st[i].status = ns1__LeadSyncStatus__FAILED;
        st[i].error = (char *)items[i].error;
    }
    bool stale_fields = false;
    for (int b = 0; b < nb && rc == SOAP_OK; b++) {
        mk_rest_result res = {0};
        rc = post_sync(op, batches[b].key->action, batches[b].key->lookup, partition,
                       batches[b].input, &res, "syncMultipleLeads: sync leads");
        const cJSON *result = cJSON_GetObjectItemCaseSensitive(res.json, "result");
        for (int i = 0; i < n && rc == SOAP_OK; i++) {
            if (items[i].batch != b)
                continue;
            const cJSON *item = cJSON_GetArrayItem(result, items[i].slot);
            int64_t id = 0;
            mk_rest_json_get_int64(item, "id", &id);
            st[i].leadId = (int)id;
            st[i].status = item ? sync_status(mk_rest_json_get_string(item, "status"))
                                : ns1__LeadSyncStatus__FAILED;
            if (st[i].status == ns1__LeadSyncStatus__FAILED) {
                int code = 0;
                st[i].error = item ? skip_reason(soap, item, &code)
                                   : "Marketo returned no status for this record";
                stale_fields |= code == 1006;
            }
        }
        mk_rest_result_free(&res);
        if (rc != SOAP_OK && b > 0) {
            /* Earlier batches were written: say so rather than hide it. */
            rc = mk_fault(soap, MK_ERR_LEAD_SYNC_FAILED,
                          "syncMultipleLeads: %d of %d REST sync calls succeeded before Marketo "
                          "failed; the records of the earlier calls were written", b, nb);
        }
    }
    if (stale_fields)
        refresh_fields(op);   /* a field validated here is gone in Marketo */
    if (rc == SOAP_OK) {
        struct ns1__ResultSyncMultipleLeads *r = soap_malloc(soap, sizeof *r);
        r->syncStatusList = soap_malloc(soap, sizeof *r->syncStatusList);
        r->syncStatusList->__sizesyncStatus = n;
        r->syncStatusList->syncStatus = st;
        out->result = r;
    }
    for (int b = 0; b < nb; b++)
        cJSON_Delete(batches[b].input);
    for (int i = 0; i < n; i++)
        cJSON_Delete(items[i].rest);
    free(batches);
    free(items);
    mk_ops_release_fields(f);
    return rc;
}

/* ---- mergeLeads --------------------------------------------------------------
 *
 * Each key list names one lead (one attribute: attrName = key type, attrValue
 * = value).  Keys are resolved to ids, then REST merges at most 25 losers per
 * call, so larger merges take several calls.
 */
static int key_of(struct soap *soap, const struct ns1__ArrayOfAttribute *kl, const char *role,
                  const struct ns1__Attribute **key)
{
    if (!kl || kl->__sizeattribute == 0 || !kl->attribute[0].attrName ||
        !kl->attribute[0].attrValue || !*kl->attribute[0].attrValue)
        return mk_fault(soap, MK_ERR_LEAD_KEY_REQUIRED,
                        "mergeLeads: the %s lead key list has no key (attrName = key type, "
                        "attrValue = value)", role);
    if (kl->__sizeattribute > 1)
        return mk_fault(soap, MK_ERR_BAD_PARAMETER,
                        "mergeLeads: the %s lead key list has %d keys; REST identifies a lead by one "
                        "key, so give exactly one (IDNUM is best)", role, kl->__sizeattribute);
    *key = &kl->attribute[0];
    return SOAP_OK;
}

/* Resolve every key to a lead id.  IDNUM keys are checked together, one
 * GET per 300 ids, so a merge of many losers by id costs a call or two
 * rather than one per loser; other key types are resolved one by one. */
static int resolve_keys(mk_op *op, const struct ns1__Attribute *const *keys, int n,
                        int64_t *ids)
{
    struct soap *soap = op->soap;
    const char **idtext = soap_malloc(soap, sizeof *idtext * (size_t)n);
    bool *found = soap_malloc(soap, sizeof *found * (size_t)n);
    if (!idtext || !found)
        return mk_fault(soap, MK_ERR_INTERNAL, "out of memory");
    int nid = 0;
    for (int i = 0; i < n; i++) {
        const char *why = NULL;
        const char *filter = mk_ops_lead_filter(op, keys[i]->attrName, &why);
        ids[i] = 0;
        if (!filter || strcmp(filter, "id") != 0) {
            int rc = mk_ops_resolve_lead(op, keys[i]->attrName, keys[i]->attrValue, &ids[i],
                                         "mergeLeads");
            if (rc != SOAP_OK)
                return rc;
            continue;
        }
        char *end;
        long long v = strtoll(keys[i]->attrValue, &end, 10);
        if (*end || v <= 0 || v > INT32_MAX)
            return mk_fault(soap, MK_ERR_LEAD_KEY_BAD, "mergeLeads: IDNUM must be a lead id, not '%s'",
                            keys[i]->attrValue);
        ids[i] = v;
        idtext[nid++] = keys[i]->attrValue;
    }
    memset(found, 0, sizeof *found * (size_t)n);
    for (int start = 0; start < nid; start += REST_PAGE_MAX) {
        int m = nid - start < REST_PAGE_MAX ? nid - start : REST_PAGE_MAX;
        cJSON *leads = NULL;
        int rc = mk_ops_get_leads(op, "id", idtext + start, m, "id", m, &leads,
                                  "mergeLeads: check that the leads exist");
        if (rc != SOAP_OK)
            return rc;
        const cJSON *l;
        cJSON_ArrayForEach(l, leads) {
            int64_t id;
            if (mk_rest_json_get_int64(l, "id", &id) != MK_REST_JSON_OK)
                continue;
            for (int i = 0; i < n; i++)
                if (ids[i] == id)
                    found[i] = true;
        }
        cJSON_Delete(leads);
    }
    for (int i = 0; i < n; i++) {
        const char *why = NULL;
        const char *filter = mk_ops_lead_filter(op, keys[i]->attrName, &why);
        if (filter && strcmp(filter, "id") == 0 && !found[i])
            return mk_fault(soap, MK_ERR_LEAD_NOT_FOUND, "No lead found with IDNUM = %s",
                            keys[i]->attrValue);
    }
    return SOAP_OK;
}

int mk_op_merge_leads(mk_op *op, struct ns1__ParamsMergeLeads *p, struct ns1__SuccessMergeLeads *out)
{
    struct soap *soap = op->soap;
    int rc = SOAP_OK;
    int n = p->losingLeadKeyLists ? p->losingLeadKeyLists->__sizekeyList : 0;
    /* keys[0] is the winner, keys[1..n] the losers. */
    const struct ns1__Attribute **keys = soap_malloc(soap, sizeof *keys * (size_t)(n + 1));
    int64_t *all = soap_malloc(soap, sizeof *all * (size_t)(n + 1));
    int *losers = soap_malloc(soap, sizeof *losers * (size_t)(n ? n : 1));
    if (!keys || !all || !losers)
        return mk_fault(soap, MK_ERR_INTERNAL, "out of memory");
    if ((rc = key_of(soap, p->winningLeadKeyList, "winning", &keys[0])) != SOAP_OK)
        return rc;
    if (n == 0)
        return mk_fault(soap, MK_ERR_LEAD_KEY_REQUIRED, "mergeLeads needs at least one losing lead key list");
    for (int i = 0; i < n; i++)
        if ((rc = key_of(soap, &p->losingLeadKeyLists->keyList[i], "losing", &keys[i + 1])) != SOAP_OK)
            return rc;
    if ((rc = resolve_keys(op, keys, n + 1, all)) != SOAP_OK)
        return rc;
    int64_t winner = all[0];
    /* The answer carries the ids as SOAP xs:int; an id beyond it could not be
     * reported, so such a merge is refused before anything changes. */
    for (int i = 0; i <= n; i++)
        if (all[i] <= 0 || all[i] > INT32_MAX)
            return mk_fault(soap, MK_ERR_BAD_PARAMETER,
                            "mergeLeads: lead id %" PRId64 " does not fit the SOAP API's xs:int "
                            "ids; merge it with REST Merge Leads instead", all[i]);
    for (int i = 0; i < n; i++) {
        if (all[i + 1] == winner)
            return mk_fault(soap, MK_ERR_BAD_PARAMETER,
                            "mergeLeads: lead %" PRId64 " is both the winner and a loser", winner);
        losers[i] = (int)all[i + 1];
    }
    bool crm = p->mergeInSales && *p->mergeInSales == xsd__boolean__true_;
    char path[64];
    snprintf(path, sizeof path, "/rest/v1/leads/%" PRId64 "/merge.json", winner);
    for (int start = 0; start < n; start += MERGE_LOSERS_PER_CALL) {
        int end = start + MERGE_LOSERS_PER_CALL < n ? start + MERGE_LOSERS_PER_CALL : n;
        char ids[MERGE_LOSERS_PER_CALL * 21 + 1], *q = ids;
        for (int i = start; i < end; i++)
            q += sprintf(q, "%s%" PRId64, i > start ? "," : "", all[i + 1]);
        mk_rest_param qp[2] = {{"leadIds", ids}, {"mergeInCRM", crm ? "true" : "false"}};
        mk_rest_req rr = {.method = MK_REST_POST, .path = path,
                          .path_template = "/rest/v1/leads/{leadId}/merge.json", .query = qp, .nquery = 2};
        mk_rest_result res = {0};
        rc = mk_ops_rest(op, &rr, &res, "mergeLeads: merge leads");
        mk_rest_result_free(&res);
        if (rc != SOAP_OK && start > 0)
            return mk_fault(soap, MK_ERR_API_INTERNAL,
                            "mergeLeads: the first %d losing leads were merged into %" PRId64
                            ", then Marketo failed; the rest were not merged", start, winner);
        if (rc != SOAP_OK)
            return rc;
    }
    struct ns1__ResultMergeLeads *r = soap_malloc(soap, sizeof *r);
    struct ns1__MergeStatus *ms = soap_malloc(soap, sizeof *ms);
    if (!r || !ms)
        return mk_fault(soap, MK_ERR_INTERNAL, "out of memory");
    memset(ms, 0, sizeof *ms);
    ms->winningLeadId = soap_malloc(soap, sizeof *ms->winningLeadId);
    ms->losingLeadIdList = soap_malloc(soap, sizeof *ms->losingLeadIdList);
    if (!ms->winningLeadId || !ms->losingLeadIdList)
        return mk_fault(soap, MK_ERR_INTERNAL, "out of memory");
    *ms->winningLeadId = (int)winner;
    ms->losingLeadIdList->__sizeintegerItem = n;
    ms->losingLeadIdList->integerItem = losers;
    ms->status = ns1__LeadMergeStatusEnum__MERGED;
    r->mergeStatus = ms;
    out->result = r;
    return SOAP_OK;
}
