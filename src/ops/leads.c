/*
 * leads.c — operation handlers: lead records: read, create/update, merge.
 *
 * Each function is the gSOAP service function for one operation (the
 * name and signature are fixed by the generated soapStub.h).  Until an
 * operation has a real handler it authenticates and answers 20019.
 */
#include "soapH.h"
#include "ops/op.h"

int __ns1__getLead(struct soap *soap, struct ns1__ParamsGetLead *in, struct ns1__SuccessGetLead *out)
{
    (void)in, (void)out;
    return mk_op_unsupported(soap, "getLead");
}

int __ns1__getMultipleLeads(struct soap *soap, struct ns1__ParamsGetMultipleLeads *in, struct ns1__SuccessGetMultipleLeads *out)
{
    (void)in, (void)out;
    return mk_op_unsupported(soap, "getMultipleLeads");
}

int __ns1__syncLead(struct soap *soap, struct ns1__ParamsSyncLead *in, struct ns1__SuccessSyncLead *out)
{
    (void)in, (void)out;
    return mk_op_unsupported(soap, "syncLead");
}

int __ns1__syncMultipleLeads(struct soap *soap, struct ns1__ParamsSyncMultipleLeads *in, struct ns1__SuccessSyncMultipleLeads *out)
{
    (void)in, (void)out;
    return mk_op_unsupported(soap, "syncMultipleLeads");
}

int __ns1__mergeLeads(struct soap *soap, struct ns1__ParamsMergeLeads *in, struct ns1__SuccessMergeLeads *out)
{
    (void)in, (void)out;
    return mk_op_unsupported(soap, "mergeLeads");
}
