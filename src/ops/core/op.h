/*
 * op.h — what every operation handler starts with.
 *
 * A handler is the gSOAP service function for one operation, e.g.
 *
 *   int __ns1__getLead(struct soap *soap, struct ns1__ParamsGetLead *in,
 *                      struct ns1__SuccessGetLead *out)
 *   {
 *       struct mk_request *req;
 *       if (mk_op_begin(soap, "getLead", in, &req) != SOAP_OK)
 *           return soap->error;               // fault already set
 *       ... fill *out from REST, allocating in the soap arena ...
 *       return SOAP_OK;                        // or return mk_fault(soap, ...)
 *   }
 */
#ifndef MK_OPS_OP_H
#define MK_OPS_OP_H

#include "base/request.h"
#include "soap/fault.h"

struct soap;

/* Authenticate req (its AuthenticationHeader against soap_users, the
 * timestamp window) and fill the user part of it.  The engine calls it once
 * the SOAP Header is parsed and before the body is, so that a bad signature
 * is answered 20014 / 20016 whatever the body holds.  Returns SOAP_OK, or
 * SOAP_FAULT with the fault set on soap. */
int mk_op_authenticate(struct soap *soap, struct mk_request *req);

/* The operation table's name for an operation element's local name (its
 * "params" prefix removed, first letter lowered: "getLead"), or NULL when
 * the table has none.  The engine names a refused request with it. */
const char *mk_op_name(const struct mk_request *req, const char *name);

/* Start an operation: name it in the request context, authenticate it
 * unless the engine already has, check its parameters and that the
 * operation table serves it.  params is the handler's parameter pointer,
 * NULL when the client sent the operation element nil (xsi:nil="true"),
 * answered with the fault a missing required child would get (schema.h).
 * Everything below the operation element was checked against the WSDL's
 * minOccurs / nillable by the strict parser (engine.c), so a handler that
 * passed here may rely on every required member being set.  Returns
 * SOAP_OK with *req set, or SOAP_FAULT with the fault already set on soap
 * (return soap->error). */
int mk_op_begin(struct soap *soap, const char *operation, const void *params,
                struct mk_request **req);

/* Authenticate, then answer 20019 "Unsupported Operation: <op> is not
 * implemented yet".  Returns SOAP_FAULT.  Used by operations without a
 * handler yet. */
int mk_op_unsupported(struct soap *soap, const char *operation, const void *params);

#endif
