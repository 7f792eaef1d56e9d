/*
 * wsdltext.c — the compiled-in WSDL (see wsdltext.h).
 */
#include "base/wsdltext.h"

extern const char mk_wsdl_text[];
extern const size_t mk_wsdl_text_len;

const char *mk_wsdl_source(size_t *len)
{
    if (len)
        *len = mk_wsdl_text_len;
    return mk_wsdl_text;
}
