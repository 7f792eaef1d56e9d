/*
 * leadkeys.c — LeadKeySelector → REST filterType and filterValues (see
 * leadkeys.h for why this is shared).
 */
#include "ops/core/leadkeys.h"

#include <string.h>

#include "ops/core/common.h"
#include "soap/fault.h"

int mk_ops_key_filter(mk_op *op, enum ns1__LeadKeyRef key_type, const char **filter)
{
    struct soap *soap = op->soap;
    const char *kt = soap_ns1__LeadKeyRef2s(soap, key_type);
    const char *why = NULL;
    *filter = mk_ops_lead_filter(op, kt, &why);
    if (!*filter)
        return mk_fault(soap, MK_ERR_LEAD_KEY_BAD, "Lead key type %s is not supported: %s", kt,
                        why ? why : "no REST filter exists for it");
    return SOAP_OK;
}

int mk_ops_key_values(struct soap *soap, const struct ns1__ArrayOfString *values, int max,
                      const char **vals, int *nvals)
{
    int n = values ? values->__sizestringItem : 0, k = 0;
    if (n > max)
        n = max;
    for (int i = 0; i < n; i++) {
        const char *v = values->stringItem[i];
        if (!v || !*v)
            continue;
        if (strchr(v, ','))
            return mk_fault(soap, MK_ERR_LEAD_KEY_BAD,
                            "key value '%s' contains a comma, which REST filter values cannot carry", v);
        vals[k++] = v;
    }
    *nvals = k;
    return SOAP_OK;
}
