/*
 * leadrec.h — one lead, both ways: REST JSON record ↔ SOAP LeadRecord.
 *
 * SOAP's LeadRecord has four fixed members (Id, Email, ForeignSysPersonId,
 * ForeignSysType) and a list of {attrName, attrType, attrValue} for every
 * other field, named the SOAP way.  REST's lead is a flat JSON object named
 * the REST way.  The field catalogue (fields.h) translates the names; this
 * file translates the shapes and values, with these rules:
 *
 *   - to SOAP: attributes sorted by name, as Marketo listed them; null
 *     fields and empty strings are left out (Marketo omitted
 *     empty string attributes); Id and Email never appear as attributes;
 *     ForeignSysPersonId comes from the configured custom field, else nil;
 *     numbers are printed from their exact digits (never through %g);
 *     attrType is the REST dataType;
 *   - to REST: an unknown SOAP attribute name is refused (fault 20105, as
 *     Marketo did); a read-only field fails its own record; values are
 *     converted by dataType (values.h), and what is not recognised goes
 *     to REST as sent; an empty attrValue clears the field (JSON null).
 *
 * Everything that ends up in a SOAP response is allocated in the gSOAP
 * context's arena (freed by soap_end after the response is sent).
 */
#ifndef MK_LEADREC_H
#define MK_LEADREC_H

#include <stdbool.h>
#include <cjson/cJSON.h>

#include "soapH.h"
#include "ops/core/fields.h"

/* What the functions below return. */
enum {
    MK_LEADREC_OK = 0,
    MK_LEADREC_NOMEM = -1,
    MK_LEADREC_BAD = -2,       /* mk_leadrec_to_soap: the lead is not a JSON object */
    MK_LEADREC_UNKNOWN = 1,    /* an attribute names no lead field (*bad): fault 20105 */
    MK_LEADREC_READONLY = 2,   /* an attribute names a read-only field (*bad): this record fails */
};

/* Fill *out from a REST lead.  fspi_field: REST name of the custom field
 * that holds ForeignSysPersonId, or NULL.  only: if non-NULL, a REST lead
 * carries just the fields asked for anyway, so nothing more is filtered.
 * Returns MK_LEADREC_OK, MK_LEADREC_NOMEM, or MK_LEADREC_BAD when lead is
 * not a JSON object (a REST answer whose result holds arrays or scalars). */
int mk_leadrec_to_soap(struct soap *soap, const mk_fields *f, const cJSON *lead,
                       const char *fspi_field, struct ns1__LeadRecord *out);

/* Build REST lead fields from a SOAP record's attribute list (Id, Email and
 * ForeignSysPersonId are the caller's business: they are keys).  Values
 * are converted by the field's dataType (values.h): a value in a form the
 * shim does not recognise goes to REST as sent, for REST to judge per
 * record, so no value makes this fail.  Returns MK_LEADREC_OK with *out a
 * new JSON object the caller owns, or one of the codes above with *out
 * NULL (an unknown name is reported before a read-only one). */
int mk_leadrec_attrs_to_rest(const mk_fields *f, const struct ns1__ArrayOfAttribute *attrs,
                             cJSON **out, const char **bad);

/* Set obj[name] to the REST value of text for a field of REST dataType
 * type (mk_value_to_rest).  Returns 0, or -1 when out of memory. */
int mk_leadrec_set_typed(cJSON *obj, const char *name, const char *type, const char *text);

#endif
