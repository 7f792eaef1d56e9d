/*
 * leadmerge.c — mergeLeads: each SOAP key list resolved to a lead id, then
 * REST Merge Leads (POST /rest/v1/leads/{id}/merge.json), at most 25
 * losers a call.  Reading leads is leads.c, writing them leadsync.c.
 */
#include <inttypes.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ops/core/common.h"
#include "ops/core/leadbatch.h"
#include "ops/leads/leadrec.h"
#include "ops/leads/leads.h"
#include "ops/core/op.h"
#include "mk_handlers.h"
#include "rest/endpoints.h"
#include "rest/json.h"
#include "soap/fault.h"

#define REST_PAGE_MAX MK_LEADS_REST_PAGE_MAX
#define MERGE_LOSERS_PER_CALL 25

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
    char path[64], idtext[24];
    snprintf(idtext, sizeof idtext, "%" PRId64, winner);
    if (mk_rest_endpoint_path(MK_EP_LEAD_MERGE, idtext, path, sizeof path) != 0)
        return mk_fault(soap, MK_ERR_INTERNAL, "mergeLeads: merge path too long");
    for (int start = 0; start < n; start += MERGE_LOSERS_PER_CALL) {
        int end = start + MERGE_LOSERS_PER_CALL < n ? start + MERGE_LOSERS_PER_CALL : n;
        char ids[MERGE_LOSERS_PER_CALL * 21 + 1], *q = ids;
        for (int i = start; i < end; i++)
            q += sprintf(q, "%s%" PRId64, i > start ? "," : "", all[i + 1]);
        mk_rest_param qp[2] = {{"leadIds", ids}, {"mergeInCRM", crm ? "true" : "false"}};
        mk_rest_req rr = {.ep = MK_EP_LEAD_MERGE, .path = path, .query = qp, .nquery = 2};
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
