/*
 * leadbatch.h — the lead handlers' door to the coalescer (ops/core/coalesce.h):
 * the same contract as mk_ops_rest (fault raised on failure, cost charged
 * to the request, the call named in X-Mktows-Rest-Calls), but the REST call
 * may be shared with other SOAP requests of the same shape.
 */
#ifndef MK_OPS_LEADBATCH_H
#define MK_OPS_LEADBATCH_H

#include <cjson/cJSON.h>

#include "ops/core/common.h"

/* POST /rest/v1/leads.json {action, lookupField, partitionName, input}.
 * input: at most 300 REST lead records (read, not kept).  On success
 * returns SOAP_OK and res->json holds {"result": [one item per record of
 * input, in order]}; on failure raises the mapped fault and returns
 * SOAP_FAULT.  res must be freed either way. */
int mk_ops_sync_leads(mk_op *op, const char *action, const char *lookup,
                      const char *partition, const cJSON *input, mk_rest_result *res,
                      const char *what);

/* Leads whose filter field (REST filterType) equals value, at most
 * max_results, fields a REST field CSV or NULL.  On success *leads is a new
 * JSON array (caller frees).  On failure the fault is raised and SOAP_FAULT
 * returned. */
int mk_ops_get_leads_by_value(mk_op *op, const char *filter, const char *value,
                              const char *fields, int max_results, cJSON **leads,
                              const char *what);

#endif
