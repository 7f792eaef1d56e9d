/*
 * leadkeys.h — a SOAP LeadKeySelector as REST filter arguments, for every
 * operation that takes one (getLead and getMultipleLeads in leads/,
 * getLeadChanges and getLeadActivity in activities/): the key type as a
 * REST filterType, the key values as filterValues.  The rules are
 * Marketo's and must not differ between operations, hence one place.
 */
#ifndef MK_OPS_LEADKEYS_H
#define MK_OPS_LEADKEYS_H

#include "soapH.h"
#include "ops/core/op.h"

/* The REST filterType for a SOAP LeadKeyRef (lead_keys.json).  SOAP_OK with
 * *filter set, or fault 20102 "Lead key type <type> is not supported: <why>"
 * raised and returned. */
int mk_ops_key_filter(mk_op *op, enum ns1__LeadKeyRef key_type, const char **filter);

/* The non-empty key values among the first max of values, in order, into
 * vals (room for max; the caller allocates).  SOAP_OK with *nvals set (0
 * when all are empty: the caller says how that fails), or fault 20102 for
 * a value with a comma, which a REST filterValues list cannot carry. */
int mk_ops_key_values(struct soap *soap, const struct ns1__ArrayOfString *values, int max,
                      const char **vals, int *nvals);

#endif
