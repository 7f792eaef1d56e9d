/*
 * nilfilter.h — leave out, rather than nil, an empty optional element that
 * the schema does not declare nillable.
 *
 * Handlers ask gSOAP for SOAP_XML_NIL so that nillable elements Marketo
 * sent as xsi:nil (attrType, personName, a StreamPosition's dates ...) come
 * out that way.  gSOAP applies that mode to every NULL member, also to the
 * few optional elements that are not nillable (ActivityRecord/mktgAssetName,
 * LeadChangeRecord/campaign), where Marketo left the element out and a
 * validating client would reject xsi:nil.  This filter sits in front of the
 * engine's output for one request and drops exactly `<name xsi:nil="true"/>`
 * for the element names given — a byte sequence gSOAP writes only for a NULL
 * member (text content is escaped, so data can never contain it).
 *
 * It is a gSOAP plug-in (one per soap context, made on first use, freed
 * with the context); each request that wants it calls mk_nilfilter_drop()
 * after mk_op_begin(); the engine restores its own fsend before the next
 * request, so nothing carries over.
 */
#ifndef MK_OPS_NILFILTER_H
#define MK_OPS_NILFILTER_H

struct soap;

/* Drop `<name xsi:nil="true"/>` for each name in names (NULL-terminated,
 * at most 4, static strings) from this request's output.  Returns SOAP_OK,
 * or a fault (out of memory). */
int mk_nilfilter_drop(struct soap *soap, const char *const *names);

#endif
