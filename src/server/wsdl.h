/*
 * wsdl.h — the WSDL served at <any path>?WSDL.
 *
 * wsdl/mktows.wsdl is compiled into the library (see src/CMakeLists.txt), so
 * the program needs no data files at run time.  Its soap:address is
 * rewritten per request to the URL the client used, since clients call the
 * address they find there.
 */
#ifndef MK_SERVER_WSDL_H
#define MK_SERVER_WSDL_H

#include <stddef.h>

#include "base/wsdltext.h"  /* mk_wsdl_source */

/* The WSDL with soap:address location = scheme "://" host path (each part
 * XML-escaped).  Returns a malloc'd NUL-terminated text and its length in
 * *len, or NULL when out of memory. */
char *mk_wsdl_render(const char *scheme, const char *host, const char *path, size_t *len);

#endif
