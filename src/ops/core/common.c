/*
 * common.c — shared plumbing of the operation handlers (see common.h).
 */
#include "ops/core/common.h"

#include <inttypes.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "mapping/mapping.h"
#include "ops/core/opstats.h"
#include "ops/core/pager.h"
#include "config/config.h"
#include "rest/endpoints.h"
#include "rest/json.h"
#include "soap/fault.h"

int mk_ops_batch_size(struct soap *soap, const int *batch_size, int dflt, int max, int *out)
{
    *out = dflt;
    if (!batch_size)
        return SOAP_OK;
    if (*batch_size < 1)
        return mk_fault(soap, MK_ERR_BAD_PARAMETER, "batchSize must be at least 1, not %d",
                        *batch_size);
    *out = *batch_size < max ? *batch_size : max;
    return SOAP_OK;
}

int mk_ops_fault_for_rest_code(mk_op *op, int rest_code)
{
    mk_services *s = op->svc;
    mk_mapping_fault f = mk_mapping_error_lookup(s->mapping, MK_MAPPING_SRC_API, rest_code, NULL);
    return f.matched ? f.soap_code : 0;
}

/* ---- decide-then-fault --------------------------------------------------- */

static int fail_v(mk_op *op, int code, const char *fmt, va_list ap)
{
    mk_ops_failure *h = op->hold;
    if (!h)
        return mk_vfault(op->soap, code, fmt, ap);
    h->code = code;
    /* The same text mk_fault would give: cut to its size, never inside a
     * UTF-8 sequence. */
    int n = vsnprintf(h->text, sizeof h->text, fmt, ap);
    if (n >= (int)sizeof h->text)
        h->text[mk_fault_utf8_prefix(h->text, sizeof h->text - 1)] = '\0';
    return SOAP_FAULT;
}

int mk_ops_fail(mk_op *op, int code, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    int rc = fail_v(op, code, fmt, ap);
    va_end(ap);
    return rc;
}

int mk_ops_fail_after(mk_op *op, const mk_ops_failure *after, int code, const char *fmt, ...)
{
    mk_ops_failure *h = op->hold;
    if (h && h != after) {
        h->rest_code = after->rest_code;
        memcpy(h->rest_message, after->rest_message, sizeof h->rest_message);
    }
    va_list ap;
    va_start(ap, fmt);
    int rc = fail_v(op, code, fmt, ap);
    va_end(ap);
    return rc;
}

mk_ops_failure *mk_ops_hold(mk_op *op, mk_ops_failure *f)
{
    mk_ops_failure *outer = op->hold;
    memset(f, 0, sizeof *f);
    op->hold = f;
    return outer;
}

void mk_ops_unhold(mk_op *op, mk_ops_failure *outer)
{
    op->hold = outer;
}

int mk_ops_raise(mk_op *op, const mk_ops_failure *f)
{
    /* Nothing held: what failed raised its own fault.  A fault raised after
     * the held one (a helper that answers a REST failure with a fault of
     * its own) is the last word, as it would have been without the hold. */
    if (!f->code || op->soap->error == SOAP_FAULT)
        return SOAP_FAULT;
    mk_ops_failure *h = op->hold;
    if (h) {
        if (h != f)
            *h = *f;
        return SOAP_FAULT;
    }
    return mk_fault(op->soap, f->code, "%s", f->text);
}

/* One mechanism for every REST failure: mapping/errors.json picks the
 * Marketo code (narrowed by context where the table has one); the message
 * keeps what REST said, so the legacy client's logs show the real cause. */
int mk_ops_rest_fault_in(mk_op *op, const char *context, mk_rest_status st,
                         const mk_rest_result *res, const char *what)
{
    mk_services *s = op->svc;
    mk_mapping_fault f = mk_mapping_error_for_rest(s->mapping, st, res, context);
    int code = f.soap_code ? f.soap_code : MK_ERR_API_INTERNAL;
    /* A field Marketo does not know: the cached describe is stale. */
    if (st == MK_REST_ERR_API && res->error_code == 1006 && s->fields)
        mk_fields_invalidate(s->fields);
    if (op->hold) {
        op->hold->rest_code = res->error_code;
        snprintf(op->hold->rest_message, sizeof op->hold->rest_message, "%s",
                 res->error_message);
    }
    /* The shim's own quota guard or circuit breaker refused: say so. */
    if (res->limited)
        return mk_ops_fail(op, code, "%s: %s", what, res->error_message);
    switch (st) {
    case MK_REST_ERR_API:
        return mk_ops_fail(op, code, "%s failed: Marketo REST error %d: %s", what,
                           res->error_code, res->error_message);
    case MK_REST_ERR_AUTH:
        return mk_ops_fail(op, code,
                           "%s: Marketo's identity service refused the shim's REST credentials",
                           what);
    case MK_REST_ERR_TIMEOUT:
        return mk_ops_fail(op, code, "%s: Marketo REST API did not answer in time", what);
    case MK_REST_ERR_TRANSPORT:
        return mk_ops_fail(op, code, "%s: Marketo REST API unreachable: %s", what,
                           res->error_message);
    case MK_REST_ERR_HTTP:
        return mk_ops_fail(op, code, "%s: Marketo REST API answered HTTP %ld", what,
                           res->http_status);
    default:
        return mk_ops_fail(op, code, "%s: %s", what, mk_rest_status_str(st));
    }
}

int mk_ops_rest_fault(mk_op *op, mk_rest_status st, const mk_rest_result *res,
                      const char *what)
{
    return mk_ops_rest_fault_in(op, NULL, st, res, what);
}

int mk_ops_rest(mk_op *op, const mk_rest_req *rr, mk_rest_result *res, const char *what)
{
    return mk_ops_rest_in(op, NULL, rr, res, what);
}

int mk_ops_rest_in(mk_op *op, const char *context, const mk_rest_req *rr,
                   mk_rest_result *res, const char *what)
{
    struct mk_request *r = op->req;
    mk_services *s = op->svc;
    mk_rest_req req;
    mk_rest_cred cred = op->cred;
    if (mk_rest_req_resolve(rr, &req) != MK_REST_OK)
        return mk_ops_fail(op, MK_ERR_INTERNAL, "%s: unknown REST endpoint %d", what,
                           (int)rr->ep);
    if (!req.deadline_ms)
        req.deadline_ms = op->deadline_ms;
    if (!req.caller)
        req.caller = &op->caller;
    mk_rest_status st = mk_rest_call(s->rest, &cred, &req, res);
    mk_opstats_charge(r, res);
    mk_request_note(r, mk_rest_method_name(req.method),
                    req.path_template ? req.path_template : req.path, res->attempts,
                    res->error_code);
    if (st == MK_REST_OK)
        return SOAP_OK;
    return mk_ops_rest_fault_in(op, context, st, res, what);
}

int mk_ops_send_page(void *ctx, const mk_rest_req *rr, mk_rest_result *res)
{
    const mk_ops_send *s = ctx;
    return mk_ops_rest_in(s->op, s->context, rr, res, s->what);
}

int mk_ops_rest_try(mk_op *op, const char *context, const mk_rest_req *rr,
                    mk_rest_result *res, const char *what, mk_ops_failure *fail)
{
    mk_ops_failure *outer = mk_ops_hold(op, fail);
    int rc = mk_ops_rest_in(op, context, rr, res, what);
    mk_ops_unhold(op, outer);
    return rc;
}

int mk_ops_partial_fault(mk_op *op, const mk_ops_failure *f, const char *what,
                         long long done, long long total, const char *unit)
{
    /* Nothing decided: what failed raised its own fault (out of memory). */
    if (!f->code)
        return SOAP_FAULT;
    /* Keep the code the failure was mapped to (rate limit, quota, ...) so
     * clients still retry what they would retry; add what was written. */
    return mk_ops_fail(op, f->code,
                       "%s: Marketo REST failed after %lld of %lld %s had been changed; those "
                       "changes stay (REST has no transactions). Marketo said: %s",
                       what, done, total, unit,
                       f->rest_message[0] ? f->rest_message : "no answer");
}

const char *mk_ops_lead_filter(mk_op *op, const char *key_type, const char **why)
{
    mk_services *s = op->svc;
    const mk_mapping_lead_key *k = mk_mapping_lead_key_get(s->mapping, key_type ? key_type : "");
    *why = NULL;
    if (!k) {
        *why = "it is not a LeadKeyRef value";
        return NULL;
    }
    if (!k->supported) {
        *why = k->reason;
        return NULL;
    }
    return k->filter_type;
}

int mk_ops_partition(mk_op *op, const char **partition)
{
    struct soap *soap = op->soap;
    struct mk_request *r = op->req;
    mk_services *s = op->svc;
    *partition = r->partition;
    const char *ws = r->context_header ? r->context_header->targetWorkspace : NULL;
    if (!ws || !*ws)
        return SOAP_OK;
    const cJSON *p = cJSON_GetObjectItemCaseSensitive(s->workspaces, ws);
    if (cJSON_IsString(p)) {
        *partition = p->valuestring;
        return SOAP_OK;
    }
    /* Without workspaces the only valid target is "Default" (Marketo's rule). */
    if (strcasecmp(ws, "Default") == 0)
        return SOAP_OK;
    return mk_fault(soap, MK_ERR_BAD_PARAMETER,
                    "targetWorkspace '%s' is not configured: add it to 'workspaces' "
                    "(workspace name -> lead partition name) in the shim's configuration", ws);
}

const char *mk_ops_name_scope(mk_op *op, const char *program)
{
    struct soap *soap = op->soap;
    struct mk_request *r = op->req;
    const char *cid = r && r->rest_client_id ? r->rest_client_id : "";
    size_t n = strlen(cid) + (program ? strlen(program) : 0) + 2;
    char *s = soap_malloc(soap, n);
    if (s)
        snprintf(s, n, "%s\x1e%s", cid, program ? program : "");
    return s ? s : "";
}

const char *mk_ops_user_key(mk_op *op)
{
    struct mk_request *r = op->req;
    return r && r->user ? r->user->encryption_key : "";
}

const mk_fields *mk_ops_fields(mk_op *op)
{
    const mk_fields *f = NULL;
    mk_fields_acquire(op->svc->fields, &op->cred, op->deadline_ms, &f);
    return f;
}

void mk_ops_release_fields(const mk_fields *f)
{
    mk_fields_release(f);
}

char *mk_ops_value_text(struct soap *soap, const cJSON *v)
{
    char buf[64];
    if (cJSON_IsString(v) || cJSON_IsRaw(v))
        return soap_strdup(soap, v->valuestring);
    if (cJSON_IsBool(v))
        return soap_strdup(soap, cJSON_IsTrue(v) ? "true" : "false");
    if (!cJSON_IsNumber(v))
        return NULL;
    if (mk_rest_json_id_text(v, buf, sizeof buf) == MK_REST_JSON_OK)
        return soap_strdup(soap, buf);
    /* Not an exact integer: the shortest text that reads back the same. */
    double d = v->valuedouble;
    if (!isfinite(d))
        return NULL;
    for (int prec = 1; prec <= 17; prec++) {
        snprintf(buf, sizeof buf, "%.*g", prec, d);
        if (strtod(buf, NULL) == d)
            break;
    }
    return soap_strdup(soap, buf);
}

char *mk_ops_join(const char *const *v, int n, char sep)
{
    size_t len = 1;
    for (int i = 0; i < n; i++)
        len += strlen(v[i]) + 1;
    char *out = malloc(len), *p = out;
    if (!out)
        return NULL;
    for (int i = 0; i < n; i++) {
        if (i)
            *p++ = sep;
        size_t l = strlen(v[i]);
        memcpy(p, v[i], l);
        p += l;
    }
    *p = '\0';
    return out;
}

int mk_ops_get_leads(mk_op *op, const char *filter_type, const char *const *values,
                     int nvalues, const char *fields, int max_results, cJSON **leads,
                     const char *what)
{
    struct soap *soap = op->soap;
    *leads = NULL;
    char *joined = mk_ops_join(values, nvalues, ',');
    cJSON *all = cJSON_CreateArray();
    int rc = MK_PAGER_NOMEM;
    if (joined && all) {
        mk_rest_param q[3] = {{"filterType", filter_type}, {"filterValues", joined},
                              {"fields", fields}};
        mk_ops_send sc = {.op = op, .what = what};
        /* A lead query ends at a page without records (REST's own end). */
        mk_pager p = {.ep = MK_EP_LEADS_QUERY, .query = q, .nquery = fields ? 3 : 2,
                      .max_records = max_results, .empty = MK_PAGER_EMPTY_ENDS,
                      .send = mk_ops_send_page, .send_ctx = &sc, .all = all};
        rc = mk_pager_run(&p);
        mk_pager_done(&p);
    }
    free(joined);
    if (rc < 0)
        rc = mk_fault(soap, MK_ERR_INTERNAL, "%s: out of memory", what);
    if (rc != SOAP_OK) {
        cJSON_Delete(all);
        return rc;
    }
    *leads = all;
    return SOAP_OK;
}

int mk_ops_find_lead(mk_op *op, const char *key_type, const char *value,
                     const char *fields, cJSON **lead, const char *what)
{
    struct soap *soap = op->soap;
    *lead = NULL;
    if (!key_type || !value || !*value)
        return mk_fault(soap, MK_ERR_LEAD_KEY_REQUIRED, "%s: lead key type and value are required",
                        what);
    const char *why = NULL;
    const char *filter = mk_ops_lead_filter(op, key_type, &why);
    if (!filter)
        return mk_fault(soap, MK_ERR_LEAD_KEY_BAD, "%s: lead key type %s is not supported: %s",
                        what, key_type, why ? why : "unknown key type");
    if (strcmp(filter, "id") == 0) {
        char *end;
        long long v = strtoll(value, &end, 10);
        if (*end || v <= 0)
            return mk_fault(soap, MK_ERR_LEAD_KEY_BAD, "%s: IDNUM must be a lead id, not '%s'",
                            what, value);
    }
    cJSON *leads = NULL;
    const char *vals[1] = {value};
    int64_t id;
    int rc = mk_ops_get_leads(op, filter, vals, 1, fields, 2, &leads, what);
    if (rc != SOAP_OK)
        return rc;
    int n = cJSON_GetArraySize(leads);
    if (n == 0)
        rc = mk_fault(soap, MK_ERR_LEAD_NOT_FOUND, "No lead found with %s = %s", key_type, value);
    else if (n > 1)
        rc = mk_fault(soap, MK_ERR_BAD_PARAMETER,
                      "%s: more than one lead matches %s = %s; use a unique key such as IDNUM",
                      what, key_type, value);
    else if (mk_rest_json_get_int64(cJSON_GetArrayItem(leads, 0), "id", &id) != MK_REST_JSON_OK)
        rc = mk_fault(soap, MK_ERR_API_INTERNAL, "%s: Marketo returned a lead without an id", what);
    else
        *lead = cJSON_DetachItemFromArray(leads, 0);
    cJSON_Delete(leads);
    return rc;
}

int mk_ops_resolve_lead(mk_op *op, const char *key_type, const char *value,
                        int64_t *id, const char *what)
{
    cJSON *lead = NULL;
    int rc = mk_ops_find_lead(op, key_type, value, "id", &lead, what);
    if (rc == SOAP_OK)
        mk_rest_json_get_int64(lead, "id", id);
    cJSON_Delete(lead);
    return rc;
}
