/*
 * customobjects.c — operation handlers: custom objects.
 *
 * Each function is the gSOAP service function for one operation (the
 * name and signature are fixed by the generated soapStub.h).  Until an
 * operation has a real handler it authenticates and answers 20019.
 */
#include "soapH.h"
#include "ops/op.h"

int __ns1__syncCustomObjects(struct soap *soap, struct ns1__ParamsSyncCustomObjects *in, struct ns1__SuccessSyncCustomObjects *out)
{
    (void)in, (void)out;
    return mk_op_unsupported(soap, "syncCustomObjects");
}

int __ns1__deleteCustomObjects(struct soap *soap, struct ns1__ParamsDeleteCustomObjects *in, struct ns1__SuccessDeleteCustomObjects *out)
{
    (void)in, (void)out;
    return mk_op_unsupported(soap, "deleteCustomObjects");
}

int __ns1__getCustomObjects(struct soap *soap, struct ns1__ParamsGetCustomObjects *in, struct ns1__SuccessGetCustomObjects *out)
{
    (void)in, (void)out;
    return mk_op_unsupported(soap, "getCustomObjects");
}
