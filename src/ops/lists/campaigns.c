/*
 * campaigns.c — smart campaigns: getCampaignsForSource (list the campaigns
 * a client may request), requestCampaign (run leads through a trigger
 * campaign) and scheduleCampaign (run a batch campaign now or later).
 *
 * REST calls:
 *   GET  /rest/v1/campaigns.json?isTriggerable=true   getCampaignsForSource, all pages
 *   GET  /rest/v1/campaigns.json?name=&programName=   (program, campaign) -> id (cached)
 *   GET  /rest/v1/leads.json?filterType=              lead keys other than IDNUM -> ids
 *   POST /rest/v1/campaigns/{id}/trigger.json         requestCampaign, 100 leads per call
 *   POST /rest/v1/campaigns/{id}/schedule.json        scheduleCampaign
 *
 * What REST cannot do is refused with a fault that says so: the SALES
 * source (Sales Insight campaigns are not in the REST API; REST triggers
 * only campaigns whose "Campaign is Requested" trigger has the Web Service
 * API source).  Campaign names in getCampaignsForSource are shown as
 * Marketo's SOAP API showed them, "<program>.<campaign>" ("ER Demo.Triggered
 * Campaign" in Marketo's example), or the bare name for a campaign outside
 * any program.
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "ops/core/common.h"
#include "ops/lists/lists.h"
#include "ops/core/namecache.h"
#include "ops/core/op.h"
#include "mk_handlers.h"
#include "ops/core/pager.h"
#include "rest/json.h"
#include "soap/auth.h"
#include "soap/fault.h"

#define SOAP_LEADS_MAX 100    /* Marketo: "Additional keys are ignored" */
#define TRIGGER_LEADS_MAX 100 /* REST trigger.json */
#define TOKENS_MAX 100        /* REST tokens per trigger/schedule */

/* A smart campaign as the SOAP request named it. */
typedef struct campaign_ref {
    const char *program, *name;  /* NULL when addressed by id */
    int64_t id;
    bool cached;
} campaign_ref;

/* (program, name) -> id through the cache or GET /rest/v1/campaigns.json. */
static int resolve_campaign(mk_op *op, campaign_ref *c, bool fresh, const char *what)
{
    struct soap *soap = op->soap;
    mk_services *svc = op->svc;
    const char *scope = mk_ops_name_scope(op, c->program);
    c->cached = false;
    if (!fresh && mk_namecache_get(svc->names, "campaign", scope, c->name, &c->id)) {
        c->cached = true;
        return SOAP_OK;
    }
    mk_rest_param q[2] = {{"name", c->name}, {"programName", c->program}};
    mk_rest_req rr = {.ep = MK_EP_CAMPAIGNS, .query = q, .nquery = 2};
    mk_rest_result res = {0};
    char ctx[160];
    snprintf(ctx, sizeof ctx, "%s: find the campaign by name", what);
    int rc = mk_ops_rest_in(op, "campaign", &rr, &res, ctx);
    if (rc == SOAP_OK) {
        const cJSON *result = cJSON_GetObjectItemCaseSensitive(res.json, "result"), *it;
        const cJSON *pick = cJSON_GetArraySize(result) == 1 ? cJSON_GetArrayItem(result, 0) : NULL;
        int exact = 0;
        if (!pick) {
            cJSON_ArrayForEach(it, result) {
                const char *nm = mk_rest_json_get_string(it, "name");
                if (nm && strcmp(nm, c->name) == 0) {
                    pick = it;
                    exact++;
                }
            }
        }
        if (cJSON_GetArraySize(result) == 0)
            rc = mk_fault(soap, MK_ERR_CAMPAIGN_NOT_FOUND,
                          "Campaign '%s' not found in program '%s'", c->name, c->program);
        else if (!pick || exact > 1)
            rc = mk_fault(soap, MK_ERR_BAD_PARAMETER,
                          "%s: several campaigns of program '%s' are named '%s'", what,
                          c->program, c->name);
        else if (mk_rest_json_get_int64(pick, "id", &c->id) != MK_REST_JSON_OK || c->id <= 0)
            rc = mk_fault(soap, MK_ERR_API_INTERNAL,
                          "%s: Marketo returned a campaign without an id", what);
        else
            mk_namecache_put(svc->names, "campaign", scope, c->name, c->id);
    }
    mk_rest_result_free(&res);
    return rc;
}

/* POST to the campaign endpoint ep (trigger or schedule) with body; a stale
 * cached id (1013) is looked up again once; otherwise 1013 is 20113. */
static int campaign_post(mk_op *op, campaign_ref *c, mk_rest_ep ep,
                         const cJSON *body, const char *what)
{
    char path[96], idtext[24];
    for (int attempt = 0;; attempt++) {
        snprintf(idtext, sizeof idtext, "%" PRId64, c->id);
        if (mk_rest_endpoint_path(ep, idtext, path, sizeof path) != 0)
            return mk_fault(op->soap, MK_ERR_INTERNAL, "%s: campaign path too long", what);
        mk_rest_req rr = {.ep = ep, .path = path, .json = body};
        mk_rest_result res = {0};
        mk_ops_failure fail;
        int rc = mk_ops_rest_try(op, "campaign", &rr, &res, what, &fail);
        mk_rest_result_free(&res);
        if (rc == SOAP_OK)
            return SOAP_OK;
        if (fail.rest_code != 1013)
            return mk_ops_raise(op, &fail);
        if (attempt == 0 && c->cached) {
            mk_namecache_forget_id(op->svc->names, "campaign", c->id);
            if ((rc = resolve_campaign(op, c, true, what)) != SOAP_OK)
                return rc;
            continue;
        }
        if (c->name)
            return mk_ops_fail_after(op, &fail, MK_ERR_CAMPAIGN_NOT_FOUND,
                                     "Campaign '%s' not found in program '%s'", c->name,
                                     c->program);
        return mk_ops_fail_after(op, &fail, MK_ERR_CAMPAIGN_NOT_FOUND,
                                 "Campaign not found: id %" PRId64, c->id);
    }
}

/* programTokenList -> [{name, value}], or NULL when absent/empty. */
static int tokens_to_rest(struct soap *soap, const struct ns1__ArrayOfAttrib *t, const char *op,
                          cJSON **out)
{
    *out = NULL;
    int n = t ? t->__sizeattrib : 0;
    if (n == 0)
        return SOAP_OK;
    if (n > TOKENS_MAX)
        return mk_fault(soap, MK_ERR_BAD_PARAMETER,
                        "%s: programTokenList has %d tokens; the REST API takes at most %d",
                        op, n, TOKENS_MAX);
    cJSON *arr = cJSON_CreateArray();
    for (int i = 0; i < n; i++) {
        const struct ns1__Attrib *a = &t->attrib[i];
        if (!a->name || !*a->name) {
            cJSON_Delete(arr);
            return mk_fault(soap, MK_ERR_BAD_PARAMETER,
                            "%s: programTokenList attrib %d has no name (e.g. {{my.message}})",
                            op, i + 1);
        }
        cJSON *o = cJSON_CreateObject();
        cJSON_AddStringToObject(o, "name", a->name);
        cJSON_AddStringToObject(o, "value", a->value ? a->value : "");
        cJSON_AddItemToArray(arr, o);
    }
    *out = arr;
    return SOAP_OK;
}

/* ---- getCampaignsForSource ------------------------------------------------------------ */

static bool contains_ci(const char *hay, const char *needle)
{
    size_t n = strlen(needle);
    for (; *hay; hay++)
        if (strncasecmp(hay, needle, n) == 0)
            return true;
    return n == 0;
}

/* What getCampaignsForSource keeps of the requestable campaigns. */
typedef struct campaign_pick {
    mk_op *op;
    mk_services *svc;
    const char *name;   /* the name filter, NULL: none */
    bool exact;
    cJSON *picked;      /* {id, name shown, description} of those that pass */
} campaign_pick;

/* One page of campaigns: each campaign's id is remembered under its name
 * (the next requestCampaign by name needs no lookup), and those that pass
 * the name filter are kept. */
static int pick_campaigns(void *ctx, mk_rest_result *res, cJSON *records, bool *stop)
{
    campaign_pick *cp = ctx;
    struct soap *soap = cp->op->soap;
    const char *name = cp->name;
    cJSON *it;
    (void)res;
    (void)stop;
    cJSON_ArrayForEach(it, records) {
        const char *cn = mk_rest_json_get_string(it, "name");
        const char *pn = mk_rest_json_get_string(it, "programName");
        int64_t id;
        if (!cn || mk_rest_json_get_int64(it, "id", &id) != MK_REST_JSON_OK)
            continue;
        char *shown = soap_malloc(soap, strlen(cn) + (pn ? strlen(pn) + 1 : 0) + 1);
        if (!shown)
            return mk_fault(soap, MK_ERR_INTERNAL, "out of memory");
        sprintf(shown, "%s%s%s", pn && *pn ? pn : "", pn && *pn ? "." : "", cn);
        if (pn && *pn)   /* the next requestCampaign by name needs no lookup */
            mk_namecache_put(cp->svc->names, "campaign", mk_ops_name_scope(cp->op, pn), cn, id);
        if (name && (cp->exact ? strcasecmp(shown, name) != 0 && strcasecmp(cn, name) != 0
                               : !contains_ci(shown, name)))
            continue;
        cJSON *rec = cJSON_CreateObject();
        cJSON_AddItemToObject(rec, "id", cJSON_Duplicate(cJSON_GetObjectItemCaseSensitive(it, "id"), 1));
        cJSON_AddStringToObject(rec, "name", shown);
        const char *d = mk_rest_json_get_string(it, "description");
        cJSON_AddStringToObject(rec, "description", d ? d : "");
        cJSON_AddItemToArray(cp->picked, rec);
    }
    return SOAP_OK;
}

int mk_op_get_campaigns_for_source(mk_op *op, struct ns1__ParamsGetCampaignsForSource *p,
                                   struct ns1__SuccessGetCampaignsForSource *out)
{
    struct soap *soap = op->soap;
    int rc = SOAP_OK;
    mk_services *svc = op->svc;
    if (p->source == ns1__ReqCampSourceType__SALES)
        return mk_fault(soap, MK_ERR_BAD_PARAMETER,
                        "getCampaignsForSource: source SALES (campaigns available to Sales "
                        "Insight) is not served: the REST API has no Sales Insight campaign "
                        "list. Use source MKTOWS (campaigns with a 'Campaign is Requested' "
                        "trigger whose source is Web Service API)");
    const char *name = p->name && *p->name ? p->name : NULL;
    bool exact = p->exactName && *p->exactName == xsd__boolean__true_;

    /* Every page: the name filter (substring, or exact on either the shown
     * "<program>.<campaign>" or the bare campaign name) is the shim's, as
     * REST matches names exactly and only the bare name. */
    cJSON *picked = cJSON_CreateArray();
    campaign_pick cp = {op, svc, name, exact, picked};
    mk_ops_send sc = {.op = op, .context = "campaign",
                      .what = "getCampaignsForSource: list requestable campaigns"};
    mk_rest_param q[3] = {{"isTriggerable", "true"}, {"batchSize", MK_REST_BATCH_MAX_TEXT},
                          {"nextPageToken", NULL}};
    /* A page without campaigns is the end. */
    mk_pager pg = {.ep = MK_EP_CAMPAIGNS, .query = q, .nquery = 3, .empty = MK_PAGER_EMPTY_ENDS,
                   .send = mk_ops_send_page, .send_ctx = &sc, .on_page = pick_campaigns,
                   .page_ctx = &cp};
    rc = mk_pager_run(&pg);
    mk_pager_done(&pg);
    if (rc < 0)
        rc = mk_fault(soap, MK_ERR_INTERNAL, "out of memory");
    if (rc == SOAP_OK) {
        int n = cJSON_GetArraySize(picked), k = 0;
        struct ns1__ResultGetCampaignsForSource *r = soap_malloc(soap, sizeof *r);
        struct ns1__ArrayOfCampaignRecord *list = soap_malloc(soap, sizeof *list);
        struct ns1__CampaignRecord *recs = soap_malloc(soap, sizeof *recs * (size_t)(n ? n : 1));
        if (!r || !list || !recs) {
            cJSON_Delete(picked);
            return mk_fault(soap, MK_ERR_INTERNAL, "out of memory");
        }
        r->returnCount = n;
        r->campaignRecordList = NULL;
        if (n > 0) {
            r->campaignRecordList = list;
            const cJSON *it;
            cJSON_ArrayForEach(it, picked) {
                int64_t id = 0;
                mk_rest_json_get_int64(it, "id", &id);
                recs[k].id = (int)id;
                recs[k].name = soap_strdup(soap, mk_rest_json_get_string(it, "name"));
                recs[k].description = soap_strdup(soap, mk_rest_json_get_string(it, "description"));
                k++;
            }
            r->campaignRecordList->__sizecampaignRecord = n;
            r->campaignRecordList->campaignRecord = recs;
        }
        out->result = r;
    }
    cJSON_Delete(picked);
    return rc;
}

/* ---- requestCampaign ---------------------------------------------------------------- */

/* Lead keys -> distinct lead ids.  IDNUM values are used as they are (REST
 * passes over ids of leads that do not exist, as it documents no per-lead
 * outcome); other key types are looked up, one query per key type. */
static int resolve_leads(mk_op *op, const struct ns1__ArrayOfLeadKey *keys,
                         int64_t **ids_out, int *nids_out)
{
    struct soap *soap = op->soap;
    int n = keys ? keys->__sizeleadKey : 0;
    if (n > SOAP_LEADS_MAX)
        n = SOAP_LEADS_MAX;   /* Marketo: "Additional keys are ignored." */
    /* One id per key at most for IDNUM; a lookup may answer several. */
    size_t cap = (size_t)n + 16, nids = 0;
    int64_t *ids = soap_malloc(soap, sizeof *ids * cap);
    bool *done = soap_malloc(soap, sizeof *done * (size_t)(n ? n : 1));
    if (!ids || !done)
        return mk_fault(soap, MK_ERR_INTERNAL, "out of memory");
    memset(done, 0, sizeof *done * (size_t)(n ? n : 1));
    for (int i = 0; i < n; i++) {
        const struct ns1__LeadKey *k = &keys->leadKey[i];
        if (!k->keyValue || !*k->keyValue)
            return mk_fault(soap, MK_ERR_LEAD_KEY_REQUIRED,
                            "requestCampaign: leadKey %d has no keyValue", i + 1);
        const char *kt = soap_ns1__LeadKeyRef2s(soap, k->keyType), *why = NULL;
        if (!mk_ops_lead_filter(op, kt, &why))
            return mk_fault(soap, MK_ERR_LEAD_KEY_BAD,
                            "requestCampaign: lead key type %s is not supported: %s", kt,
                            why ? why : "no REST filter exists for it");
        if (k->keyType == ns1__LeadKeyRef__IDNUM) {
            char *end;
            long long v = strtoll(k->keyValue, &end, 10);
            if (*end || v <= 0)
                return mk_fault(soap, MK_ERR_LEAD_KEY_BAD,
                                "requestCampaign: IDNUM must be a lead id, not '%s'", k->keyValue);
            ids[nids++] = v;
            done[i] = true;
        } else if (strchr(k->keyValue, ',')) {
            return mk_fault(soap, MK_ERR_LEAD_KEY_BAD,
                            "requestCampaign: key value '%s' contains a comma, which REST "
                            "filter values cannot carry", k->keyValue);
        }
    }
    /* The other key types, grouped by type: one REST query each. */
    for (int i = 0; i < n; i++) {
        if (done[i])
            continue;
        enum ns1__LeadKeyRef type = keys->leadKey[i].keyType;
        const char **vals = soap_malloc(soap, sizeof *vals * (size_t)n);
        if (!vals)
            return mk_fault(soap, MK_ERR_INTERNAL, "out of memory");
        int nv = 0;
        for (int j = i; j < n; j++) {
            if (done[j] || keys->leadKey[j].keyType != type)
                continue;
            vals[nv++] = keys->leadKey[j].keyValue;
            done[j] = true;
        }
        const char *why = NULL;
        const char *filter = mk_ops_lead_filter(op, soap_ns1__LeadKeyRef2s(soap, type), &why);
        cJSON *leads = NULL;
        /* At most 1,000 leads can answer one query (REST's own cap). */
        int rc = mk_ops_get_leads(op, filter, vals, nv, "id", 1000, &leads,
                                  "requestCampaign: find the leads");
        if (rc != SOAP_OK)
            return rc;
        size_t more = (size_t)cJSON_GetArraySize(leads);
        if (nids + more > cap) {
            int64_t *grown = soap_malloc(soap, sizeof *grown * (nids + more));
            if (!grown) {
                cJSON_Delete(leads);
                return mk_fault(soap, MK_ERR_INTERNAL, "out of memory");
            }
            memcpy(grown, ids, sizeof *ids * nids);
            ids = grown;
            cap = nids + more;
        }
        const cJSON *ld;
        cJSON_ArrayForEach(ld, leads) {
            int64_t id;
            if (mk_rest_json_get_int64(ld, "id", &id) == MK_REST_JSON_OK)
                ids[nids++] = id;
        }
        cJSON_Delete(leads);
    }
    /* Distinct, in request order. */
    int k = 0;
    for (size_t i = 0; i < nids; i++) {
        bool seen = false;
        for (int j = 0; j < k && !seen; j++)
            seen = ids[j] == ids[i];
        if (!seen)
            ids[k++] = ids[i];
    }
    *ids_out = ids;
    *nids_out = k;
    return SOAP_OK;
}

int mk_op_request_campaign(mk_op *op, struct ns1__ParamsRequestCampaign *p,
                           struct ns1__SuccessRequestCampaign *out)
{
    struct soap *soap = op->soap;
    int rc = SOAP_OK;
    if (p->source == ns1__ReqCampSourceType__SALES)
        return mk_fault(soap, MK_ERR_BAD_PARAMETER,
                        "requestCampaign: source SALES is not served: the REST API triggers "
                        "only campaigns whose 'Campaign is Requested' trigger has the Web "
                        "Service API source (source MKTOWS)");

    /* Marketo's two parameter sets: campaignId alone, or programName +
     * campaignName (+ programTokenList).  Anything else is a bad parameter. */
    bool has_id = p->campaignId != NULL;
    bool has_prog = p->programName && *p->programName;
    bool has_name = p->campaignName && *p->campaignName;
    bool has_tokens = p->programTokenList && p->programTokenList->__sizeattrib > 0;
    if (has_id && (has_name || has_prog || has_tokens))
        return mk_fault(soap, MK_ERR_BAD_PARAMETER,
                        "requestCampaign takes either campaignId alone, or programName and "
                        "campaignName (with programTokenList), not both");
    if (!has_id && !has_prog && !has_name)
        return mk_fault(soap, MK_ERR_PARAMETER_REQUIRED,
                        "requestCampaign needs campaignId, or programName and campaignName");
    if (!has_id && !(has_prog && has_name))
        return mk_fault(soap, MK_ERR_BAD_PARAMETER,
                        "requestCampaign by name needs both programName and campaignName");
    if (has_id && *p->campaignId <= 0)
        return mk_fault(soap, MK_ERR_BAD_PARAMETER, "campaignId must be positive, not %d",
                        *p->campaignId);
    if (!p->leadList || p->leadList->__sizeleadKey == 0)
        return mk_fault(soap, MK_ERR_LEAD_KEY_REQUIRED,
                        "requestCampaign needs leadList with at least one leadKey");

    cJSON *tokens = NULL;
    rc = tokens_to_rest(soap, p->programTokenList, "requestCampaign", &tokens);
    if (rc != SOAP_OK)
        return rc;
    int64_t *ids = NULL;
    int nids = 0;
    rc = resolve_leads(op, p->leadList, &ids, &nids);
    if (rc == SOAP_OK && nids == 0)
        rc = mk_fault(soap, MK_ERR_LEAD_NOT_FOUND,
                      "requestCampaign: none of the lead keys names a known lead");
    campaign_ref c = {0};
    if (has_id) {
        c.id = *p->campaignId;
    } else {
        c.program = p->programName;
        c.name = p->campaignName;
    }
    if (rc == SOAP_OK && !has_id)
        rc = resolve_campaign(op, &c, false, "requestCampaign");
    for (int start = 0; rc == SOAP_OK && start < nids; start += TRIGGER_LEADS_MAX) {
        int cnt = nids - start < TRIGGER_LEADS_MAX ? nids - start : TRIGGER_LEADS_MAX;
        cJSON *body = cJSON_CreateObject();
        cJSON *input = cJSON_AddObjectToObject(body, "input");
        cJSON *leads = cJSON_AddArrayToObject(input, "leads");
        for (int i = start; i < start + cnt; i++) {
            char t[24];
            snprintf(t, sizeof t, "%" PRId64, ids[i]);
            cJSON *o = cJSON_CreateObject();
            cJSON_AddItemToObject(o, "id", cJSON_CreateRaw(t));
            cJSON_AddItemToArray(leads, o);
        }
        if (tokens)
            cJSON_AddItemReferenceToObject(input, "tokens", tokens);
        /* Held: after the first call, a failure must also say how many leads
         * were already sent to the campaign. */
        mk_ops_failure fail;
        mk_ops_failure *outer = mk_ops_hold(op, &fail);
        rc = campaign_post(op, &c, MK_EP_CAMPAIGN_TRIGGER, body, "requestCampaign: trigger the campaign");
        mk_ops_unhold(op, outer);
        cJSON_Delete(body);
        if (rc != SOAP_OK && start > 0)
            rc = mk_ops_partial_fault(op, &fail, "requestCampaign", start, nids,
                                      "leads (campaign requests)");
        else if (rc != SOAP_OK)
            rc = mk_ops_raise(op, &fail);
    }
    cJSON_Delete(tokens);
    if (rc == SOAP_OK) {
        struct ns1__ResultRequestCampaign *r = soap_malloc(soap, sizeof *r);
        if (!r)
            return mk_fault(soap, MK_ERR_INTERNAL, "out of memory");
        r->success = xsd__boolean__true_;
        out->result = r;
    }
    return rc;
}

/* ---- scheduleCampaign ----------------------------------------------------------------- */

int mk_op_schedule_campaign(mk_op *op, struct ns1__ParamsScheduleCampaign *p,
                            struct ns1__SuccessScheduleCampaign *out)
{
    struct soap *soap = op->soap;
    int rc = SOAP_OK;
    if (!p->programName || !*p->programName || !p->campaignName || !*p->campaignName)
        return mk_fault(soap, MK_ERR_PARAMETER_REQUIRED,
                        "scheduleCampaign needs programName and campaignName");

    /* runAt: the same instant in UTC, a form every REST date parser takes. */
    char run_at[32] = "";
    if (p->campaignRunAt && *p->campaignRunAt) {
        time_t t;
        if (mk_auth_parse_timestamp(p->campaignRunAt, &t) != 0)
            return mk_fault(soap, MK_ERR_BAD_PARAMETER,
                            "scheduleCampaign: campaignRunAt is not a date-time: %s",
                            p->campaignRunAt);
        struct tm tm;
        gmtime_r(&t, &tm);
        strftime(run_at, sizeof run_at, "%Y-%m-%dT%H:%M:%SZ", &tm);
    }
    cJSON *tokens = NULL;
    rc = tokens_to_rest(soap, p->programTokenList, "scheduleCampaign", &tokens);
    if (rc != SOAP_OK)
        return rc;

    campaign_ref c = {.program = p->programName, .name = p->campaignName};
    rc = resolve_campaign(op, &c, false, "scheduleCampaign");
    if (rc == SOAP_OK) {
        cJSON *body = cJSON_CreateObject();
        cJSON *input = cJSON_AddObjectToObject(body, "input");
        if (*run_at)
            cJSON_AddStringToObject(input, "runAt", run_at);
        if (p->cloneToProgramName && *p->cloneToProgramName)
            cJSON_AddStringToObject(input, "cloneToProgramName", p->cloneToProgramName);
        if (tokens)
            cJSON_AddItemReferenceToObject(input, "tokens", tokens);
        rc = campaign_post(op, &c, MK_EP_CAMPAIGN_SCHEDULE, body, "scheduleCampaign: schedule the campaign");
        cJSON_Delete(body);
    }
    cJSON_Delete(tokens);
    if (rc == SOAP_OK) {
        struct ns1__ResultScheduleCampaign *r = soap_malloc(soap, sizeof *r);
        if (!r)
            return mk_fault(soap, MK_ERR_INTERNAL, "out of memory");
        r->success = xsd__boolean__true_;
        out->result = r;
    }
    return rc;
}
