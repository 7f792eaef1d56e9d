/*
 * schema.h — the fault for a request that lacks what the WSDL requires.
 *
 * Requests are parsed in gSOAP's strict mode (engine.c), so the generated
 * deserialisers refuse, at every level, an element whose minOccurs="1"
 * child is missing (SOAP_OCCURS) or a non-nillable element sent
 * xsi:nil="true" (SOAP_NULL).  gSOAP says only which element was
 * incomplete; these functions read wsdl/mktows.wsdl (compiled in) to say
 * what that element's type requires and to pick Marketo's documented code.
 */
#ifndef MK_SOAP_SCHEMA_H
#define MK_SOAP_SCHEMA_H

#include <stddef.h>

/* The Marketo code and the message of the fault for `element` (as gSOAP
 * names it, prefix allowed, e.g. "ns1:paramsListOperation" or "leadKey")
 * being incomplete or nil; xsi_type is the xsi:type it was sent with (may
 * be NULL or "").  msg receives "Parameter Required: ..." (cut to len).
 * Returns the code: 20014 for the AuthenticationHeader, 20101 where a
 * lead key is what is required, 20104 for a lead record, 20109 otherwise.
 * Never fails: an element the WSDL does not describe gets a generic text. */
int mk_schema_required_fault(const char *element, const char *xsi_type, char *msg, size_t len);

/* Call fn with the name of every child element the WSDL declares for
 * element's type (required or not, a base type's first), e.g. to build
 * test requests from the schema.  Returns how many; 0 when the WSDL does
 * not describe element as a complex type. */
int mk_schema_children(const char *element, void (*fn)(const char *name, void *arg), void *arg);

#endif
