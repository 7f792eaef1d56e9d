/*
 * schema.c — naming what a request lacks, from the WSDL itself.
 *
 * The check itself is gSOAP's (strict mode, see engine.c): the deserialisers
 * soapcpp2 generates from wsdl/mktows.wsdl refuse a missing minOccurs="1"
 * child or a nil non-nillable one at every level, so no handler ever sees
 * a NULL where the schema promises a value.  gSOAP reports only the
 * incomplete element; the words and the code of the fault come from here,
 * read from the same WSDL (compiled into the library), so the fault cannot
 * drift from the check.  This runs only on the fault path: the WSDL is
 * scanned on demand rather than modelled at start-up.
 *
 * The scanner relies on the shape of our own WSDL (xs:complexType with an
 * xs:sequence of xs:element declarations each naming its type, complexContent
 * extensions); it is never applied to request data.
 */
#include "soap/schema.h"

#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "base/wsdltext.h"
#include "soap/fault.h"

typedef struct span {
    const char *p;
    size_t n;
} span;

static span local_name(const char *s)
{
    const char *c = s ? strrchr(s, ':') : NULL;
    span r = {c ? c + 1 : (s ? s : ""), 0};
    r.n = strlen(r.p);
    return r;
}

/* The value of attribute `name` in the tag [tag, end), or {NULL, 0}. */
static span attr(const char *tag, const char *end, const char *name)
{
    size_t nl = strlen(name);
    for (const char *p = tag + 1; p + nl + 2 < end; p++) {
        if (p[-1] == ' ' && strncmp(p, name, nl) == 0 && p[nl] == '=' && p[nl + 1] == '"') {
            const char *v = p + nl + 2, *q = memchr(v, '"', (size_t)(end - v));
            if (q)
                return (span){v, (size_t)(q - v)};
        }
    }
    return (span){NULL, 0};
}

static span strip_prefix(span s)
{
    const char *c = s.p ? memchr(s.p, ':', s.n) : NULL;
    return c ? (span){c + 1, s.n - (size_t)(c + 1 - s.p)} : s;
}

/* The body of <xs:complexType name="T"> … </xs:complexType>. */
static bool complex_type(const char *wsdl, span t, span *body)
{
    char open[160];
    if (t.n == 0 || t.n > 100)
        return false;
    snprintf(open, sizeof open, "<xs:complexType name=\"%.*s\">", (int)t.n, t.p);
    const char *b = strstr(wsdl, open);
    if (!b)
        return false;
    b += strlen(open);
    const char *e = strstr(b, "</xs:complexType>");
    if (!e)
        return false;
    *body = (span){b, (size_t)(e - b)};
    return true;
}

/* The complex type of an element named `el`: the first declaration of that
 * name whose type is complex (element names with complex types are unique
 * among the request types of our WSDL). */
static bool element_type(const char *wsdl, span el, span *type)
{
    char pat[160];
    if (el.n == 0 || el.n > 100)
        return false;
    snprintf(pat, sizeof pat, "<xs:element name=\"%.*s\"", (int)el.n, el.p);
    for (const char *p = strstr(wsdl, pat); p; p = strstr(p + 1, pat)) {
        const char *end = strchr(p, '>');
        span body, t = strip_prefix(attr(p, end, "type"));
        if (end && t.p && complex_type(wsdl, t, &body)) {
            *type = t;
            return true;
        }
    }
    return false;
}

typedef struct required {
    char names[400];
    bool lead_key, lead_record;
} required;

static void add_required(required *r, span name, span type)
{
    size_t used = strlen(r->names);
    if (used + name.n + 3 < sizeof r->names)
        snprintf(r->names + used, sizeof r->names - used, "%s%.*s", used ? ", " : "",
                 (int)name.n, name.p);
    /* Lead keys travel as leadKey, winningLeadKeyList, losingLeadKeyLists. */
    char buf[128];
    snprintf(buf, sizeof buf, "%.*s", (int)name.n, name.p);
    for (char *c = buf; *c; c++)
        if (strncasecmp(c, "leadkey", 7) == 0)
            r->lead_key = true;
    if ((type.n == 10 && strncmp(type.p, "LeadRecord", 10) == 0) ||
        (type.n == 17 && strncmp(type.p, "ArrayOfLeadRecord", 17) == 0))
        r->lead_record = true;
}

typedef void (*child_fn)(span name, span type, bool required, void *arg);

/* Every child element declared for type t, its base type's first. */
static void each_child(const char *wsdl, span t, child_fn fn, void *arg, int depth)
{
    span body;
    if (depth > 8 || !complex_type(wsdl, t, &body))
        return;
    const char *end = body.p + body.n;
    const char *ext = strstr(body.p, "<xs:extension ");
    if (ext && ext < end) {
        const char *te = strchr(ext, '>');
        each_child(wsdl, strip_prefix(attr(ext, te, "base")), fn, arg, depth + 1);
    }
    for (const char *p = strstr(body.p, "<xs:element "); p && p < end;
         p = strstr(p + 1, "<xs:element ")) {
        const char *te = strchr(p, '>');
        if (!te || te > end)
            break;
        span name = attr(p, te, "name"), min = attr(p, te, "minOccurs");
        if (name.p)
            fn(name, strip_prefix(attr(p, te, "type")), !(min.p && min.n == 1 && *min.p == '0'),
               arg);
    }
}

static void add_if_required(span name, span type, bool required, void *arg)
{
    if (required)
        add_required(arg, name, type);
}

/* The complex type of element (xsi_type first when it names one). */
static bool type_of(const char *wsdl, span el, const char *xsi_type, span *type)
{
    span body;
    if (xsi_type && *xsi_type && complex_type(wsdl, local_name(xsi_type), &body)) {
        *type = local_name(xsi_type);
        return true;
    }
    return element_type(wsdl, el, type);
}

typedef struct names {
    void (*fn)(const char *name, void *arg);
    void *arg;
    int n;
} names;

static void call_with_name(span name, span type, bool required, void *arg)
{
    names *ns = arg;
    char buf[128];
    (void)type;
    (void)required;
    snprintf(buf, sizeof buf, "%.*s", (int)name.n, name.p);
    ns->fn(buf, ns->arg);
    ns->n++;
}

int mk_schema_children(const char *element, void (*fn)(const char *name, void *arg), void *arg)
{
    size_t wlen;
    const char *wsdl = mk_wsdl_source(&wlen);
    span type;
    names ns = {fn, arg, 0};
    if (type_of(wsdl, local_name(element), NULL, &type))
        each_child(wsdl, type, call_with_name, &ns, 0);
    return ns.n;
}

int mk_schema_required_fault(const char *element, const char *xsi_type, char *msg, size_t len)
{
    size_t wlen;
    const char *wsdl = mk_wsdl_source(&wlen);
    span el = local_name(element), type;
    required r;
    memset(&r, 0, sizeof r);
    if (el.n == 0)
        el = (span){"an element", 10};   /* gSOAP may not have its name */
    int elen = (int)(el.n > 200 ? mk_fault_utf8_prefix(el.p, 200) : el.n);

    if (type_of(wsdl, el, xsi_type, &type))
        each_child(wsdl, type, add_if_required, &r, 0);
    bool self_key = false;
    for (size_t i = 0; i + 7 <= el.n; i++)
        if (strncasecmp(el.p + i, "leadkey", 7) == 0)
            self_key = true;

    int code = r.lead_key || self_key ? MK_ERR_LEAD_KEY_REQUIRED
               : r.lead_record       ? MK_ERR_LEAD_DETAIL_REQUIRED
                                     : MK_ERR_PARAMETER_REQUIRED;
    if (el.n == 20 && strncmp(el.p, "AuthenticationHeader", 20) == 0)
        code = MK_ERR_AUTH;
    const char *what = code == MK_ERR_AUTH           ? "Authentication failed"
                       : code == MK_ERR_LEAD_KEY_REQUIRED ? "Lead Key Required"
                       : code == MK_ERR_LEAD_DETAIL_REQUIRED ? "Lead Detail Required"
                                                        : "Parameter Required";
    if (r.names[0])
        snprintf(msg, len, "%s: %.*s needs %s (the WSDL's required elements); one was missing "
                 "or nil", what, elen, el.p, r.names);
    else
        snprintf(msg, len, "%s: %.*s was nil or missing where the WSDL requires a value", what,
                 elen, el.p);
    return code;
}
