/*
 * campaigns.c — operation handlers: smart campaigns: listing, requesting, scheduling.
 *
 * Each function is the gSOAP service function for one operation (the
 * name and signature are fixed by the generated soapStub.h).  Until an
 * operation has a real handler it authenticates and answers 20019.
 */
#include "soapH.h"
#include "ops/op.h"

int __ns1__getCampaignsForSource(struct soap *soap, struct ns1__ParamsGetCampaignsForSource *in, struct ns1__SuccessGetCampaignsForSource *out)
{
    (void)in, (void)out;
    return mk_op_unsupported(soap, "getCampaignsForSource");
}

int __ns1__requestCampaign(struct soap *soap, struct ns1__ParamsRequestCampaign *in, struct ns1__SuccessRequestCampaign *out)
{
    (void)in, (void)out;
    return mk_op_unsupported(soap, "requestCampaign");
}

int __ns1__scheduleCampaign(struct soap *soap, struct ns1__ParamsScheduleCampaign *in, struct ns1__SuccessScheduleCampaign *out)
{
    (void)in, (void)out;
    return mk_op_unsupported(soap, "scheduleCampaign");
}
