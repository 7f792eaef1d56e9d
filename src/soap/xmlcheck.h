/*
 * xmlcheck.h — the gate every request body passes before gSOAP: one pass
 * that checks the document is well-formed XML within configured limits and
 * writes the canonical form of it that gSOAP's generated deserializers are
 * given (see xmlcheck.c for what "canonical" means and why).
 */
#ifndef MK_SOAP_XMLCHECK_H
#define MK_SOAP_XMLCHECK_H

#include <stddef.h>

#include "base/xmllimits.h"

/* The defaults above. */
void mk_xml_limits_default(struct mk_xml_limits *lim);

/* Reusable state of the gate (buffers kept between documents); one per
 * thread. */
typedef struct mk_xml_gate mk_xml_gate;

mk_xml_gate *mk_xml_gate_new(void);
void mk_xml_gate_free(mk_xml_gate *g);

/* Give back the buffers a large document made grow (beyond 256 KiB each),
 * so that a thread does not keep a megabytes-sized copy of its largest
 * request; *out of the last call is invalid afterwards. */
void mk_xml_gate_trim(mk_xml_gate *g);

/* Check doc[0..len) and write its canonical form.  Returns 0 with *out /
 * *outlen set (valid until the next call on g, not NUL-terminated);
 * 1 likewise, but the document holds something well-formed the schema
 * does not allow (an xsi:type naming no known type): the reason is in why,
 * and the request is to be refused with it once authenticated; -1 when the
 * document is refused outright (not well-formed, over a limit), with the
 * reason (naming the element where there is one) and byte offset in why;
 * -2 when out of memory. */
int mk_xml_normalise(mk_xml_gate *g, const char *doc, size_t len, const struct mk_xml_limits *lim,
                     const char **out, size_t *outlen, char *why, size_t whylen);

/* Only the check, with default limits but max_depth: as mk_xml_normalise
 * returns. */
int mk_xml_check(const char *doc, size_t len, size_t max_depth, char *why, size_t whylen);

#endif
