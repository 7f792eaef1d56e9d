/*
 * lists.c — operation handlers: static list membership.
 *
 * Each function is the gSOAP service function for one operation (the
 * name and signature are fixed by the generated soapStub.h).  Until an
 * operation has a real handler it authenticates and answers 20019.
 */
#include "soapH.h"
#include "ops/op.h"

int __ns1__listOperation(struct soap *soap, struct ns1__ParamsListOperation *in, struct ns1__SuccessListOperation *out)
{
    (void)in, (void)out;
    return mk_op_unsupported(soap, "listOperation");
}
