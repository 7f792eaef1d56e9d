/*
 * mobjects.c — operation handlers: marketo objects (programs, opportunities, ...) through the MObject calls.
 *
 * Each function is the gSOAP service function for one operation (the
 * name and signature are fixed by the generated soapStub.h).  Until an
 * operation has a real handler it authenticates and answers 20019.
 */
#include "soapH.h"
#include "ops/op.h"

int __ns1__deleteMObjects(struct soap *soap, struct ns1__ParamsDeleteMObjects *in, struct ns1__SuccessDeleteMObjects *out)
{
    (void)in, (void)out;
    return mk_op_unsupported(soap, "deleteMObjects");
}

int __ns1__describeMObject(struct soap *soap, struct ns1__ParamsDescribeMObject *in, struct ns1__SuccessDescribeMObject *out)
{
    (void)in, (void)out;
    return mk_op_unsupported(soap, "describeMObject");
}

int __ns1__getMObjects(struct soap *soap, struct ns1__ParamsGetMObjects *in, struct ns1__SuccessGetMObjects *out)
{
    (void)in, (void)out;
    return mk_op_unsupported(soap, "getMObjects");
}

int __ns1__syncMObjects(struct soap *soap, struct ns1__ParamsSyncMObjects *in, struct ns1__SuccessSyncMObjects *out)
{
    (void)in, (void)out;
    return mk_op_unsupported(soap, "syncMObjects");
}

int __ns1__listMObjects(struct soap *soap, struct ns1__ParamsListMObjects *in, struct ns1__SuccessListMObjects *out)
{
    (void)in, (void)out;
    return mk_op_unsupported(soap, "listMObjects");
}
