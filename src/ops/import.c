/*
 * import.c — operation handlers: bulk import of leads into a list.
 *
 * Each function is the gSOAP service function for one operation (the
 * name and signature are fixed by the generated soapStub.h).  Until an
 * operation has a real handler it authenticates and answers 20019.
 */
#include "soapH.h"
#include "ops/op.h"

int __ns1__importToList(struct soap *soap, struct ns1__ParamsImportToList *in, struct ns1__SuccessImportToList *out)
{
    (void)in, (void)out;
    return mk_op_unsupported(soap, "importToList");
}

int __ns1__getImportToListStatus(struct soap *soap, struct ns1__ParamsGetImportToListStatus *in, struct ns1__SuccessGetImportToListStatus *out)
{
    (void)in, (void)out;
    return mk_op_unsupported(soap, "getImportToListStatus");
}
