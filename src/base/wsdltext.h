/*
 * wsdltext.h — the project's WSDL (wsdl/mktows.wsdl), compiled in at build
 * time (wsdl_data.c, generated), for every layer that reads it: the SOAP
 * layer's schema lookups and the server's ?WSDL.
 */
#ifndef MK_BASE_WSDLTEXT_H
#define MK_BASE_WSDLTEXT_H

#include <stddef.h>

/* The WSDL as written in wsdl/mktows.wsdl; *len (if not NULL) its length. */
const char *mk_wsdl_source(size_t *len);

#endif
