/*
 * leadbatch.c — lead Sync and Get through the coalescer, for handlers (see
 * leadbatch.h).  Without a coalescer (services built by a test without
 * one) the calls go alone through the REST client.
 */
#include "ops/core/leadbatch.h"

#include <stdio.h>
#include <string.h>

#include "ops/core/coalesce.h"
#include "ops/core/opstats.h"
#include "config/config.h"
#include "rest/endpoints.h"
#include "soap/fault.h"

/* Name the (maybe shared) call in the request's REST trace. */
static void trace(struct mk_request *r, mk_rest_ep ep, const mk_rest_result *res,
                  const mk_coalesce_cost *cost)
{
    if (!r || res->attempts == 0)
        return;
    const mk_rest_endpoint *e = mk_rest_endpoint_get(ep);
    char path[160];
    snprintf(path, sizeof path, "%s%s", e->path, cost->shared ? " (shared)" : "");
    mk_request_note(r, mk_rest_method_name(e->method), path, cost->shared ? 1 : res->attempts,
                    res->error_code);
}

int mk_ops_sync_leads(mk_op *op, const char *action, const char *lookup,
                      const char *partition, const cJSON *input, mk_rest_result *res,
                      const char *what)
{
    struct soap *soap = op->soap;
    struct mk_request *r = op->req;
    mk_services *s = op->svc;
    if (!s->coalesce) {
        memset(res, 0, sizeof *res);
        return mk_fault(soap, MK_ERR_INTERNAL, "%s: no lead batching service", what);
    }
    mk_rest_cred cred = op->cred;
    mk_coalesce_cost cost;
    mk_rest_status st = mk_coalesce_sync(s->coalesce, &cred, &op->caller, action, lookup, partition, input,
                                         op->deadline_ms, res, &cost);
    mk_opstats_charge_shared(r, &cost);
    trace(r, MK_EP_LEADS_SYNC, res, &cost);
    if (st == MK_REST_OK)
        return SOAP_OK;
    return mk_ops_rest_fault(op, st, res, what);
}

int mk_ops_get_leads_by_value(mk_op *op, const char *filter, const char *value,
                              const char *fields, int max_results, cJSON **leads,
                              const char *what)
{
    struct mk_request *r = op->req;
    mk_services *s = op->svc;
    *leads = NULL;
    if (!s->coalesce) {
        const char *vals[1] = {value};
        return mk_ops_get_leads(op, filter, vals, 1, fields, max_results, leads, what);
    }
    mk_rest_cred cred = op->cred;
    mk_coalesce_cost cost;
    mk_rest_result res;
    mk_rest_status st = mk_coalesce_get(s->coalesce, &cred, &op->caller, filter, value, fields, max_results,
                                        op->deadline_ms, leads, &res, &cost);
    mk_opstats_charge_shared(r, &cost);
    trace(r, MK_EP_LEADS_QUERY, &res, &cost);
    int rc = st == MK_REST_OK ? SOAP_OK : mk_ops_rest_fault(op, st, &res, what);
    mk_rest_result_free(&res);
    return rc;
}
