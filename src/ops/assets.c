/*
 * assets.c — operation handlers: program channels and tags.
 *
 * Each function is the gSOAP service function for one operation (the
 * name and signature are fixed by the generated soapStub.h).  Until an
 * operation has a real handler it authenticates and answers 20019.
 */
#include "soapH.h"
#include "ops/op.h"

int __ns1__getChannels(struct soap *soap, struct ns1__ParamsGetChannels *in, struct ns1__SuccessGetChannels *out)
{
    (void)in, (void)out;
    return mk_op_unsupported(soap, "getChannels");
}

int __ns1__getTags(struct soap *soap, struct ns1__ParamsGetTags *in, struct ns1__SuccessGetTags *out)
{
    (void)in, (void)out;
    return mk_op_unsupported(soap, "getTags");
}
