/*
 * leads.h — what the lead operations (leads.c, leadsync.c, leadmerge.c)
 * share beside the lead record conversion (leadrec.h): the field catalogue
 * read again when REST no longer knows a field, the fields a whole lead is
 * read with, and the fault for a REST lead that cannot be converted.
 */
#ifndef MK_OPS_LEADS_H
#define MK_OPS_LEADS_H

#include "ops/core/fields.h"
#include "ops/core/op.h"
#include "rest/rest.h"

struct soap;

/* REST pages and writes hold at most 300 records. */
#define MK_LEADS_REST_PAGE_MAX MK_REST_BATCH_MAX

/* Read the field catalogue again: REST answered 1006 "field not found"
 * (fault 20105) for a field the cached catalogue still has. */
void mk_leads_refresh_fields(mk_op *op);

/* Every SOAP-visible field, plus the ForeignSysPersonId field if
 * configured, as a REST fields CSV in the gSOAP arena; NULL when out of
 * memory. */
char *mk_leads_all_fields_csv(mk_op *op, const mk_fields *f);

/* The fault for mk_leadrec_to_soap's failure rc. */
int mk_leads_record_fault(struct soap *soap, int rc);

#endif
