/*
 * xmllimits.h — the bounds of the request gate (soap/xmlcheck.h), here in
 * base/ because the configuration (config/, configuration keys xml.max_*)
 * fills them and sits below the SOAP layer that enforces them.
 */
#ifndef MK_BASE_XMLLIMITS_H
#define MK_BASE_XMLLIMITS_H

#include <stddef.h>

/* Bounds on what one request may hold, enforced before anything else looks
 * at it (configuration keys xml.max_*).  Marketo requests are a dozen levels
 * deep, carry a handful of attributes per element and names of a few dozen
 * bytes; the defaults are far above that. */
struct mk_xml_limits {
    size_t max_depth;       /* element nesting */
    size_t max_elements;    /* elements in the document */
    size_t max_attributes;  /* attributes (namespace declarations included) on one element */
    size_t max_name_bytes;  /* element or attribute name, prefix included */
    size_t max_value_bytes; /* one attribute value, one run of character data or CDATA */
};

#define MK_XML_DEFAULT_MAX_DEPTH 64
#define MK_XML_DEFAULT_MAX_ELEMENTS 1000000
#define MK_XML_DEFAULT_MAX_ATTRIBUTES 256
#define MK_XML_DEFAULT_MAX_NAME_BYTES 1024
#define MK_XML_DEFAULT_MAX_VALUE_BYTES (1u << 20)

#endif
