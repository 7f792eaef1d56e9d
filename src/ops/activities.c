/*
 * activities.c — operation handlers: lead activity history and change streams.
 *
 * Each function is the gSOAP service function for one operation (the
 * name and signature are fixed by the generated soapStub.h).  Until an
 * operation has a real handler it authenticates and answers 20019.
 */
#include "soapH.h"
#include "ops/op.h"

int __ns1__getLeadActivity(struct soap *soap, struct ns1__ParamsGetLeadActivity *in, struct ns1__SuccessGetLeadActivity *out)
{
    (void)in, (void)out;
    return mk_op_unsupported(soap, "getLeadActivity");
}

int __ns1__getLeadChanges(struct soap *soap, struct ns1__ParamsGetLeadChanges *in, struct ns1__SuccessGetLeadChanges *out)
{
    (void)in, (void)out;
    return mk_op_unsupported(soap, "getLeadChanges");
}
