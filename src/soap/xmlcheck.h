/*
 * xmlcheck.h — a single-pass well-formedness check of a request body, run
 * before gSOAP's lenient parser (see xmlcheck.c for why).
 */
#ifndef MK_SOAP_XMLCHECK_H
#define MK_SOAP_XMLCHECK_H

#include <stddef.h>

/* 0 when doc[0..len) is one well-formed XML document without a DTD and with
 * elements nested at most max_depth deep; otherwise -1 with the reason and
 * byte offset in why. */
int mk_xml_check(const char *doc, size_t len, size_t max_depth, char *why, size_t whylen);

#endif
