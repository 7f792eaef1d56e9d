/*
 * xmlcheck.c — the gate in front of gSOAP (see xmlcheck.h): well-formedness,
 * limits, and the one canonical form of a request that the generated
 * deserializers are given.
 *
 * Why a gate.  gSOAP parses leniently on purpose: Marketo accepted elements
 * in any order and ignored unknown ones, and the shim must too.  But lenient
 * parsing also lets through documents that are not XML at all (a closing tag
 * that names another element, text after the root), which Marketo answered
 * with 20012.  This one pass, before gSOAP sees the bytes, draws that line:
 * the document must be well-formed (namespace-well-formed too: every prefix
 * declared, no attribute twice by namespace and local name), must not carry
 * a DTD (a SOAP message never does; refusing it rules out entity expansion)
 * and must stay within struct mk_xml_limits.  Its cost is linear in the
 * size of the document: namespace scopes and duplicate attributes are found
 * through hash tables with a per-gate random seed, never by pairwise
 * comparison (the quadratic attribute check of libgsoap took 140 s for
 * 160,000 attributes on one element, before authentication).
 *
 * Why a canonical form.  gSOAP's generated code matches names partly by
 * prefix: an element the schema declares unqualified is expected without a
 * prefix, so the qualified form Axis 1.4 and soap4r send
 * (<ns1:mktowsUserId> under xmlns:ns1 = the mktows namespace) is not
 * recognised, and an xsi:type naming a built-in XSD type on an enumeration
 * element is a "type mismatch".  Legacy stacks disagree on all of this, and
 * Marketo accepted them all, matching names by namespace and local name.  So
 * the gate rewrites every name into the one form gSOAP matches:
 *
 *  - every namespace declaration is removed; the root element declares the
 *    fixed prefixes the document needs: SOAP-ENV (the SOAP 1.1 or 1.2
 *    envelope URI the client used), ns1 (mktows), xsi;
 *  - an element in the envelope namespace is SOAP-ENV:local;
 *  - an element in the mktows namespace is ns1:local where the schema has a
 *    global element (a child of the SOAP Header or Body: the operation
 *    element and the two headers), and plain local everywhere else (the
 *    schema's local elements are unqualified; a client qualifying them
 *    meant the same element);
 *  - an element in no namespace stays unprefixed (so an unqualified
 *    operation element is still not an operation);
 *  - an element in any other namespace is f:local with xmlns:f declared on
 *    itself (gSOAP skips it as unknown, as before);
 *  - attributes: SOAP envelope attributes (mustUnderstand, actor,
 *    encodingStyle, ...) are kept as SOAP-ENV:name, xsi:nil as xsi:nil, and
 *    xsi:type as described below; all others are dropped: the schema
 *    declares no attributes, and document/literal has no use for SOAP-ENC
 *    array attributes (arrayType, offset, position ...) or id/href/ref,
 *    whose multi-reference processing in libgsoap corrupts memory on
 *    duplicate ids;
 *  - xsi:type (its value a QName resolved through the scope it appears in;
 *    an unprefixed value through the default namespace when that is XML
 *    Schema or mktows, otherwise as a mktows name, as SOAP::Lite sends
 *    "LeadKeySelector", or failing that an XML Schema built-in name):
 *      an XML Schema built-in type, a SOAP-ENC type or Apache SOAP's
 *      SOAPStruct/Map (SOAP::Lite's generic types): dropped — the schema's
 *      declared type decides, and the deserializer still refuses a value
 *      that is not valid for it;
 *      an mktows type that derives from another (LeadKeySelector,
 *      StaticListSelector, LastUpdateAtSelector: the xsi:type of a
 *      LeadSelector is what selects the subtype): kept as ns1:name;
 *      any other mktows type: dropped (declared type decides);
 *      a type in any other namespace whose local name is an mktows type:
 *      taken as that type (SOAP::Lite's ->type('LeadKeySelector') puts the
 *      name in its own namespace, http://namespaces.soaplite.com/perl);
 *      an unknown XSD or mktows type name, an undeclared prefix, or any
 *      other type in another namespace: refused, naming the element;
 *  - character data, CDATA sections, comments and processing instructions
 *    are copied byte for byte (references are left for gSOAP to decode).
 *
 * Structure checked beyond XML: a SOAP Envelope with two Body (or two
 * Header) elements is refused — gSOAP would execute the first and skip the
 * second.
 */
#include "soap/xmlcheck.h"

#include "base/buf.h"

#include <pthread.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

typedef struct span {
    const char *p;
    size_t n;
} span;

/* Namespaces the gate tells apart. */
enum ns_class {
    NS_NONE,    /* no namespace */
    NS_ENV11,   /* http://schemas.xmlsoap.org/soap/envelope/ */
    NS_ENV12,   /* http://www.w3.org/2003/05/soap-envelope */
    NS_MKTOWS,  /* http://www.marketo.com/mktows/ */
    NS_XSI,     /* XML Schema instance, 2001 and the 1999/2000 drafts */
    NS_XSD,     /* XML Schema, 2001 and the drafts */
    NS_ENC,     /* SOAP 1.1 / 1.2 encoding */
    NS_APACHE,  /* http://xml.apache.org/xml-soap (SOAP::Lite's SOAPStruct) */
    NS_XML,     /* the xml: prefix */
    NS_XMLNS,   /* namespace declarations themselves */
    NS_OTHER,
};

static const struct {
    const char *uri;
    enum ns_class cls;
} known_ns[] = {
    {"http://schemas.xmlsoap.org/soap/envelope/", NS_ENV11},
    {"http://www.w3.org/2003/05/soap-envelope", NS_ENV12},
    {"http://www.marketo.com/mktows/", NS_MKTOWS},
    {"http://www.w3.org/2001/XMLSchema-instance", NS_XSI},
    {"http://www.w3.org/2000/10/XMLSchema-instance", NS_XSI},
    {"http://www.w3.org/1999/XMLSchema-instance", NS_XSI},
    {"http://www.w3.org/2001/XMLSchema", NS_XSD},
    {"http://www.w3.org/2000/10/XMLSchema", NS_XSD},
    {"http://www.w3.org/1999/XMLSchema", NS_XSD},
    {"http://schemas.xmlsoap.org/soap/encoding/", NS_ENC},
    {"http://www.w3.org/2003/05/soap-encoding", NS_ENC},
    {"http://xml.apache.org/xml-soap", NS_APACHE},
    {"http://www.w3.org/XML/1998/namespace", NS_XML},
};

static const char URI_XSI[] = "http://www.w3.org/2001/XMLSchema-instance";
static const char URI_MKTOWS[] = "http://www.marketo.com/mktows/";

/* XML Schema's built-in datatypes (and the 1999 draft's names SOAP::Lite
 * still sends with the 1999 namespace). */
static const char *const xsd_builtin[] = {
    "ENTITIES", "ENTITY", "ID", "IDREF", "IDREFS", "NCName", "NMTOKEN", "NMTOKENS", "NOTATION",
    "Name", "QName", "anySimpleType", "anyType", "anyURI", "base64Binary", "binary", "boolean",
    "byte", "date", "dateTime", "decimal", "double", "duration", "float", "gDay", "gMonth",
    "gMonthDay", "gYear", "gYearMonth", "hexBinary", "int", "integer", "language", "long",
    "negativeInteger", "nonNegativeInteger", "nonPositiveInteger", "normalizedString",
    "positiveInteger", "short", "string", "time", "timeInstant", "token", "unsignedByte",
    "unsignedInt", "unsignedLong", "unsignedShort", "ur-type",
};

enum el_kind { EL_OTHER, EL_ENVELOPE, EL_HEADER, EL_BODY };

struct binding {
    span prefix;          /* into the document; n == 0: the default namespace */
    size_t uri_off, uri_n; /* decoded URI in g->uris */
    enum ns_class cls;
    long prev;            /* binding of the same prefix this one hides, -1 none */
};

struct pslot {            /* prefix table: prefix -> innermost binding */
    uint64_t gen;         /* slot is empty unless gen == g->doc_gen */
    span key;
    long binding;         /* -1: not bound (any more) */
};

struct attr {
    span name, value;     /* value without its quotes, raw */
    char quote;
    enum ns_class cls;
    span local;
    const char *uri;      /* resolved namespace (NULL, uri_n 0 for none) */
    size_t uri_n;
};

struct aslot {            /* duplicate-attribute table of one element */
    uint64_t gen;
    size_t attr;
};

struct open_el {
    span raw;             /* name as written, for the end-tag check */
    size_t canon_off, canon_n; /* canonical name in the output */
    size_t bind_mark, uri_mark;
    enum el_kind kind;
    unsigned headers, bodies;
};

struct mk_xml_gate {
    uint64_t seed;
    mk_buf out, uris, tmp;  /* canonical document, namespace URIs, a value */
    struct binding *bind;
    size_t nbind, capbind;
    struct pslot *ptab;
    size_t ptab_cap, ptab_used;
    uint64_t doc_gen;
    struct attr *attrs;
    size_t cap_attrs;
    struct aslot *atab;
    size_t atab_cap;
    uint64_t el_gen;
    struct open_el *stack;
    size_t cap_stack;
};

/* One document being read. */
typedef struct cur {
    mk_xml_gate *g;
    const struct mk_xml_limits *lim;
    const char *s, *end;
    char *why;
    size_t whylen;
    bool oom;
    size_t depth, elements;
    size_t root_decl_off; /* where the root's namespace declarations go */
    enum ns_class env;    /* envelope namespace in use (NS_NONE: none yet) */
    bool use_ns1, use_xsi;
    bool deferred;        /* a refusal reported after authentication (in why) */
} cur;

void mk_xml_limits_default(struct mk_xml_limits *lim)
{
    lim->max_depth = MK_XML_DEFAULT_MAX_DEPTH;
    lim->max_elements = MK_XML_DEFAULT_MAX_ELEMENTS;
    lim->max_attributes = MK_XML_DEFAULT_MAX_ATTRIBUTES;
    lim->max_name_bytes = MK_XML_DEFAULT_MAX_NAME_BYTES;
    lim->max_value_bytes = MK_XML_DEFAULT_MAX_VALUE_BYTES;
}

/* The reason, with the byte it was found at, into the caller's buffer. */
__attribute__((format(printf, 3, 0))) static void say_why(cur *c, const char *at, const char *fmt,
                                                          va_list ap)
{
    char msg[200];
    vsnprintf(msg, sizeof msg, fmt, ap);
    snprintf(c->why, c->whylen, "%s at byte %zu", msg, (size_t)(at - c->s));
}

__attribute__((format(printf, 3, 4))) static int fail(cur *c, const char *at, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    say_why(c, at, fmt, ap);
    va_end(ap);
    return -1;
}

/* A refusal of something well-formed that the schema does not allow: the
 * attribute is left out, the walk goes on (the document stays canonical),
 * and the first such reason is reported once the request is authenticated,
 * so that a bad signature is answered as such whatever the body holds. */
__attribute__((format(printf, 3, 4))) static int defer(cur *c, const char *at, const char *fmt, ...)
{
    if (c->deferred)
        return 0;
    va_list ap;
    va_start(ap, fmt);
    say_why(c, at, fmt, ap);
    va_end(ap);
    c->deferred = true;
    return 0;
}

static int oom(cur *c)
{
    c->oom = true;
    snprintf(c->why, c->whylen, "out of memory");
    return -1;
}

/* Names quoted in messages are cut: the message must stay short. */
#define QN(sp) (int)((sp).n > 60 ? 60 : (sp).n), (sp).p

/* ---- buffers, hashing ---------------------------------------------------------------- */

static int put(cur *c, mk_buf *b, const char *s, size_t n)
{
    if (n == 0)
        return 0;
    return mk_buf_append(b, s, n) != 0 ? oom(c) : 0;
}

static int puts_(cur *c, const char *s)
{
    return put(c, &c->g->out, s, strlen(s));
}

static uint64_t mix64(uint64_t h)
{
    h ^= h >> 31;
    h *= 0x7fb5d329728ea185ULL;
    h ^= h >> 27;
    h *= 0x81dadef4bc2dd44dULL;
    h ^= h >> 33;
    return h;
}

/* Seeded: the table layout an attacker would need for collisions depends on
 * a secret drawn when the gate is made. */
static uint64_t hash_bytes(uint64_t h, const char *p, size_t n)
{
    h ^= n * 0x9e3779b97f4a7c15ULL;
    while (n >= 8) {
        uint64_t w;
        memcpy(&w, p, 8);
        h = mix64(h ^ w);
        p += 8;
        n -= 8;
    }
    uint64_t w = 0;
    if (n)
        memcpy(&w, p, n);
    return mix64(h ^ w ^ 0xa0761d6478bd642fULL);
}

static bool span_eq(span a, const char *p, size_t n)
{
    return a.n == n && (n == 0 || memcmp(a.p, p, n) == 0);
}

static bool span_is(span a, const char *lit)
{
    return span_eq(a, lit, strlen(lit));
}

/* ---- lexical helpers ------------------------------------------------------------------ */

static bool is_space(char ch)
{
    return ch == ' ' || ch == '\t' || ch == '\r' || ch == '\n';
}

/* XML names: ASCII letters, digits, '_', ':', '-', '.', and any non-ASCII
 * byte (UTF-8 name characters are not worth telling apart here). */
static bool is_name_start(unsigned char ch)
{
    return (ch >= 'A' && ch <= 'Z') || (ch >= 'a' && ch <= 'z') || ch == '_' || ch == ':' ||
           ch >= 0x80;
}

static bool is_name_char(unsigned char ch)
{
    return is_name_start(ch) || (ch >= '0' && ch <= '9') || ch == '-' || ch == '.';
}

static const char *skip_space(const char *p, const char *end)
{
    while (p < end && is_space(*p))
        p++;
    return p;
}

static const char *find(const char *p, const char *end, const char *needle)
{
    size_t n = strlen(needle);
    for (; p + n <= end; p++)
        if (memcmp(p, needle, n) == 0)
            return p;
    return NULL;
}

/* "&name;" or "&#123;" / "&#x1F;" starting at p ('&'); returns the byte after ';'. */
static const char *reference(const char *p, const char *end)
{
    const char *q = p + 1;
    if (q < end && *q == '#') {
        q++;
        bool hex = q < end && *q == 'x';
        if (hex)
            q++;
        const char *digits = q;
        while (q < end && ((*q >= '0' && *q <= '9') ||
                           (hex && ((*q >= 'a' && *q <= 'f') || (*q >= 'A' && *q <= 'F')))))
            q++;
        return q > digits && q < end && *q == ';' ? q + 1 : NULL;
    }
    if (q >= end || !is_name_start((unsigned char)*q))
        return NULL;
    while (q < end && is_name_char((unsigned char)*q))
        q++;
    return q < end && *q == ';' ? q + 1 : NULL;
}

/* An attribute value (already checked by reference()) with its references
 * replaced, appended to b.  Returns 0, or -1 for a reference that names no
 * predefined entity or no character. */
static int decode_value(cur *c, mk_buf *b, span v)
{
    static const struct { const char *name, *text; } ents[] = {
        {"lt", "<"}, {"gt", ">"}, {"amp", "&"}, {"quot", "\""}, {"apos", "'"},
    };
    const char *p = v.p, *end = v.p + v.n;
    while (p < end) {
        const char *amp = memchr(p, '&', (size_t)(end - p));
        if (!amp)
            return put(c, b, p, (size_t)(end - p));
        if (put(c, b, p, (size_t)(amp - p)) != 0)
            return -1;
        const char *semi = memchr(amp, ';', (size_t)(end - amp));
        if (!semi)
            return fail(c, amp, "malformed reference in an attribute value");
        span ref = {amp + 1, (size_t)(semi - amp - 1)};
        p = semi + 1;
        if (ref.n && ref.p[0] == '#') {
            unsigned long cp = ref.n > 1 && ref.p[1] == 'x' ? strtoul(ref.p + 2, NULL, 16)
                                                            : strtoul(ref.p + 1, NULL, 10);
            char u[4];
            size_t un;
            if (cp == 0 || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF))
                return fail(c, amp, "a character reference to no character");
            if (cp < 0x80) {
                u[0] = (char)cp;
                un = 1;
            } else if (cp < 0x800) {
                u[0] = (char)(0xC0 | (cp >> 6));
                u[1] = (char)(0x80 | (cp & 0x3F));
                un = 2;
            } else if (cp < 0x10000) {
                u[0] = (char)(0xE0 | (cp >> 12));
                u[1] = (char)(0x80 | ((cp >> 6) & 0x3F));
                u[2] = (char)(0x80 | (cp & 0x3F));
                un = 3;
            } else {
                u[0] = (char)(0xF0 | (cp >> 18));
                u[1] = (char)(0x80 | ((cp >> 12) & 0x3F));
                u[2] = (char)(0x80 | ((cp >> 6) & 0x3F));
                u[3] = (char)(0x80 | (cp & 0x3F));
                un = 4;
            }
            if (put(c, b, u, un) != 0)
                return -1;
            continue;
        }
        size_t i = 0;
        while (i < sizeof ents / sizeof *ents && !span_is(ref, ents[i].name))
            i++;
        if (i == sizeof ents / sizeof *ents)
            return fail(c, amp, "reference to an undefined entity '%.*s'", QN(ref));
        if (put(c, b, ents[i].text, 1) != 0)
            return -1;
    }
    return 0;
}

/* Appends s as the content of a double-quoted attribute value. */
static int put_escaped(cur *c, const char *s, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        const char *rep = s[i] == '&'   ? "&amp;"
                          : s[i] == '<' ? "&lt;"
                          : s[i] == '"' ? "&quot;"
                                        : NULL;
        if (rep ? puts_(c, rep) : put(c, &c->g->out, s + i, 1))
            return -1;
    }
    return 0;
}

/* Split a name into prefix and local part; 0, or -1 when it has more than
 * one colon or an empty part. */
static int split_qname(span name, span *prefix, span *local)
{
    const char *colon = memchr(name.p, ':', name.n);
    if (!colon) {
        *prefix = (span){name.p, 0};
        *local = name;
        return 0;
    }
    prefix->p = name.p;
    prefix->n = (size_t)(colon - name.p);
    local->p = colon + 1;
    local->n = name.n - prefix->n - 1;
    if (!prefix->n || !local->n || memchr(local->p, ':', local->n))
        return -1;
    return 0;
}

static enum ns_class classify(const char *uri, size_t n)
{
    for (size_t i = 0; i < sizeof known_ns / sizeof *known_ns; i++)
        if (strlen(known_ns[i].uri) == n && memcmp(known_ns[i].uri, uri, n) == 0)
            return known_ns[i].cls;
    return NS_OTHER;
}

/* ---- the mktows schema's type names ---------------------------------------------- */

/* Read once from the WSDL the shim serves, so that the list cannot drift
 * from the schema: every named type, and whether it extends another. */
extern const char mk_wsdl_text[];

struct schema_type {
    const char *name;
    size_t n;
    bool derived;
};

static struct schema_type *schema_types;
static size_t n_schema_types;
static pthread_once_t schema_once = PTHREAD_ONCE_INIT;

static int cmp_type(const void *a, const void *b)
{
    const struct schema_type *x = a, *y = b;
    size_t n = x->n < y->n ? x->n : y->n;
    int r = memcmp(x->name, y->name, n);
    return r ? r : (x->n > y->n) - (x->n < y->n);
}

static void load_schema_types(void)
{
    static const char *const opens[] = {"<xs:complexType name=\"", "<xs:simpleType name=\""};
    size_t cap = 0;
    for (size_t k = 0; k < 2; k++) {
        for (const char *p = mk_wsdl_text; (p = strstr(p, opens[k])) != NULL;) {
            p += strlen(opens[k]);
            const char *q = strchr(p, '"');
            if (!q)
                break;
            if (mk_array_grow(&schema_types, &cap, n_schema_types + 1, sizeof *schema_types) != 0)
                return;
            struct schema_type *t = &schema_types[n_schema_types++];
            t->name = p;
            t->n = (size_t)(q - p);
            t->derived = false;
            if (k == 0) {
                const char *close = strstr(q, "</xs:complexType>");
                const char *self = strstr(q, "/>");
                const char *ext = strstr(q, "<xs:extension ");
                /* An empty <xs:complexType .../> has no body. */
                bool empty = self && (!close || self < close) && self < strchr(q, '>') + 1;
                t->derived = !empty && ext && close && ext < close;
            }
            p = q;
        }
    }
    qsort(schema_types, n_schema_types, sizeof *schema_types, cmp_type);
}

/* 0: no mktows type of that name; 1: a type; 2: a type derived from another. */
static int schema_type_kind(span local)
{
    pthread_once(&schema_once, load_schema_types);
    struct schema_type key = {local.p, local.n, false};
    const struct schema_type *t =
        schema_types ? bsearch(&key, schema_types, n_schema_types, sizeof key, cmp_type) : NULL;
    return t ? (t->derived ? 2 : 1) : 0;
}

static bool xsd_builtin_name(span local)
{
    for (size_t i = 0; i < sizeof xsd_builtin / sizeof *xsd_builtin; i++)
        if (span_is(local, xsd_builtin[i]))
            return true;
    return false;
}

/* ---- namespace scopes ---------------------------------------------------------------- */

static struct pslot *prefix_slot(mk_xml_gate *g, span prefix, bool create)
{
    if (g->ptab_cap == 0)
        return NULL;
    size_t mask = g->ptab_cap - 1;
    size_t i = (size_t)hash_bytes(g->seed, prefix.p, prefix.n) & mask;
    for (;;) {
        struct pslot *s = &g->ptab[i];
        if (s->gen != g->doc_gen) {
            if (!create)
                return NULL;
            s->gen = g->doc_gen;
            s->key = prefix;
            s->binding = -1;
            g->ptab_used++;
            return s;
        }
        if (span_eq(s->key, prefix.p, prefix.n))
            return s;
        i = (i + 1) & mask;
    }
}

/* The table keeps its load under a half; slots of the previous document are
 * told apart by their generation, so a new document costs nothing to clear. */
static int prefix_table_room(cur *c)
{
    mk_xml_gate *g = c->g;
    if ((g->ptab_used + 1) * 2 <= g->ptab_cap)
        return 0;
    size_t ncap = g->ptab_cap ? g->ptab_cap * 2 : 64;
    struct pslot *old = g->ptab;
    size_t ocap = g->ptab_cap;
    struct pslot *t = calloc(ncap, sizeof *t);
    if (!t)
        return oom(c);
    g->ptab = t;
    g->ptab_cap = ncap;
    g->ptab_used = 0;
    for (size_t i = 0; i < ocap; i++) {
        if (old[i].gen != g->doc_gen)
            continue;
        struct pslot *s = prefix_slot(g, old[i].key, true);
        s->binding = old[i].binding;
    }
    free(old);
    return 0;
}

/* The innermost binding of prefix (n == 0: the default namespace), or NULL. */
static const struct binding *lookup(mk_xml_gate *g, span prefix)
{
    const struct pslot *s = prefix_slot(g, prefix, false);
    return s && s->binding >= 0 ? &g->bind[s->binding] : NULL;
}

static int declare(cur *c, span prefix, span value, const char *at)
{
    mk_xml_gate *g = c->g;
    size_t off = g->uris.len;
    if (decode_value(c, &g->uris, value) != 0)
        return -1;
    size_t n = g->uris.len - off;
    enum ns_class cls = classify(g->uris.data + off, n);
    if (span_is(prefix, "xmlns") || (span_is(prefix, "xml") != (cls == NS_XML)))
        return fail(c, at, "the reserved prefix 'xml' or 'xmlns' declared or its namespace bound");
    if (prefix.n && n == 0)
        return fail(c, at, "prefix '%.*s' declared with an empty namespace", QN(prefix));
    if (mk_array_grow(&g->bind, &g->capbind, g->nbind + 1, sizeof *g->bind) != 0 ||
        prefix_table_room(c) != 0)
        return oom(c);
    struct pslot *s = prefix_slot(g, prefix, true);
    struct binding *b = &g->bind[g->nbind];
    b->prefix = prefix;
    b->uri_off = off;
    b->uri_n = n;
    b->cls = n ? cls : NS_NONE;  /* xmlns="" undeclares the default namespace */
    b->prev = s->binding;
    s->binding = (long)g->nbind++;
    return 0;
}

static void undeclare_to(mk_xml_gate *g, size_t mark, size_t uri_mark)
{
    while (g->nbind > mark) {
        struct binding *b = &g->bind[--g->nbind];
        struct pslot *s = prefix_slot(g, b->prefix, false);
        if (s)
            s->binding = b->prev;
    }
    mk_buf_truncate(&g->uris, uri_mark);
}

/* Namespace class and URI of a name's prefix.  Element names take the
 * default namespace when unprefixed; attribute names do not. */
static int resolve(cur *c, span prefix, bool element, const char *at, span name,
                   enum ns_class *cls, const char **uri, size_t *uri_n)
{
    *uri = NULL;
    *uri_n = 0;
    if (!prefix.n && !element) {
        *cls = NS_NONE;
        return 0;
    }
    if (span_is(prefix, "xml")) {
        *cls = NS_XML;
        *uri = "http://www.w3.org/XML/1998/namespace";
        *uri_n = strlen(*uri);
        return 0;
    }
    const struct binding *b = lookup(c->g, prefix);
    if (!b) {
        if (!prefix.n) {
            *cls = NS_NONE;
            return 0;
        }
        return fail(c, at, "'%.*s' uses the undeclared prefix '%.*s'", QN(name), QN(prefix));
    }
    *cls = b->cls;
    *uri = c->g->uris.data + b->uri_off;
    *uri_n = b->uri_n;
    return 0;
}

/* ---- elements ------------------------------------------------------------------------- */

/* The envelope namespace may be either SOAP version's, but one per document. */
static int use_env(cur *c, enum ns_class cls, const char *at)
{
    if (c->env == NS_NONE)
        c->env = cls;
    else if (c->env != cls)
        return fail(c, at, "SOAP 1.1 and SOAP 1.2 envelope namespaces in one message");
    return 0;
}

/* The attributes of the start tag at p (after its name), into g->attrs. */
static int read_attributes(cur *c, const char **pp, const char *tag, size_t *nattrs, bool *empty)
{
    mk_xml_gate *g = c->g;
    const char *p = *pp, *end = c->end;
    size_t n = 0;
    for (;;) {
        const char *before = p;
        p = skip_space(p, end);
        if (p >= end)
            return fail(c, tag, "unterminated start tag");
        if (*p == '>' || *p == '/') {
            if (*p == '/' && (p + 1 >= end || p[1] != '>'))
                return fail(c, p, "'/' not followed by '>' in a start tag");
            *empty = *p == '/';
            *pp = p + (*empty ? 2 : 1);
            *nattrs = n;
            return 0;
        }
        if (p == before || !is_name_start((unsigned char)*p))
            return fail(c, p, "malformed attribute in a start tag");
        if (n == c->lim->max_attributes)
            return fail(c, p, "more than %zu attributes on one element", c->lim->max_attributes);
        if (mk_array_grow(&g->attrs, &g->cap_attrs, n + 1, sizeof *g->attrs) != 0)
            return oom(c);
        struct attr *a = &g->attrs[n++];
        a->name.p = p;
        while (p < end && is_name_char((unsigned char)*p))
            p++;
        a->name.n = (size_t)(p - a->name.p);
        if (a->name.n > c->lim->max_name_bytes)
            return fail(c, a->name.p, "an attribute name longer than %zu bytes",
                        c->lim->max_name_bytes);
        p = skip_space(p, end);
        if (p >= end || *p != '=')
            return fail(c, p, "attribute without '='");
        p = skip_space(p + 1, end);
        if (p >= end || (*p != '"' && *p != '\''))
            return fail(c, p, "attribute value not quoted");
        a->quote = *p++;
        a->value.p = p;
        while (p < end && *p != a->quote) {
            if (*p == '<')
                return fail(c, p, "'<' in an attribute value");
            if (*p == '&') {
                const char *q = reference(p, end);
                if (!q)
                    return fail(c, p, "malformed reference in an attribute value");
                p = q;
            } else {
                p++;
            }
        }
        if (p >= end)
            return fail(c, p, "unterminated attribute value");
        a->value.n = (size_t)(p - a->value.p);
        if (a->value.n > c->lim->max_value_bytes)
            return fail(c, a->value.p, "an attribute value longer than %zu bytes",
                        c->lim->max_value_bytes);
        p++;
    }
}

/* Is a (resolved) a second attribute of the same namespace and local name?
 * One hash table per element, cleared by generation. */
static int duplicate_check(cur *c, size_t nattrs, span element)
{
    mk_xml_gate *g = c->g;
    if (nattrs < 2)
        return 0;
    size_t want = 16;
    while (want < nattrs * 2)
        want *= 2;
    if (want > g->atab_cap) {
        struct aslot *t = calloc(want, sizeof *t);
        if (!t)
            return oom(c);
        free(g->atab);
        g->atab = t;
        g->atab_cap = want;
    }
    g->el_gen++;
    size_t mask = g->atab_cap - 1;
    for (size_t k = 0; k < nattrs; k++) {
        const struct attr *a = &g->attrs[k];
        uint64_t h = hash_bytes(g->seed ^ (uint64_t)a->cls, a->local.p, a->local.n);
        h = hash_bytes(h, a->uri ? a->uri : "", a->uri_n);
        size_t i = (size_t)h & mask;
        for (;;) {
            struct aslot *s = &g->atab[i];
            if (s->gen != g->el_gen) {
                s->gen = g->el_gen;
                s->attr = k;
                break;
            }
            const struct attr *b = &g->attrs[s->attr];
            if (b->cls == a->cls && span_eq(b->local, a->local.p, a->local.n) &&
                b->uri_n == a->uri_n && (!a->uri_n || memcmp(b->uri, a->uri, a->uri_n) == 0))
                return fail(c, a->name.p, "element '%.*s' has the attribute '%.*s' twice",
                            QN(element), QN(a->local));
            i = (i + 1) & mask;
        }
    }
    return 0;
}

/* The canonical xsi:type of an element, or nothing (see the top of the file). */
static int xsi_type(cur *c, const struct attr *a, span element)
{
    mk_xml_gate *g = c->g;
    mk_buf_clear(&g->tmp);
    if (decode_value(c, &g->tmp, a->value) != 0)
        return -1;
    span v = {g->tmp.data, g->tmp.len};
    while (v.n && is_space(v.p[0]))
        v.p++, v.n--;
    while (v.n && is_space(v.p[v.n - 1]))
        v.n--;
    span prefix, local;
    if (!v.n || split_qname(v, &prefix, &local) != 0)
        return defer(c, a->name.p, "xsi:type '%.*s' of element '%.*s' is not a qualified name",
                    QN(v), QN(element));
    enum ns_class cls;
    if (prefix.n) {
        const struct binding *b = span_is(prefix, "xml") ? NULL : lookup(g, prefix);
        if (!b)
            return defer(c, a->name.p, "xsi:type '%.*s' of element '%.*s' uses an undeclared prefix",
                        QN(v), QN(element));
        cls = b->cls;
    } else {
        /* No prefix: the default namespace when it is one of the two that
         * make sense, else an mktows name (SOAP::Lite's "LeadKeySelector"),
         * else an XML Schema built-in name. */
        const struct binding *b = lookup(g, prefix);
        if (b && (b->cls == NS_XSD || b->cls == NS_MKTOWS))
            cls = b->cls;
        else
            cls = !schema_type_kind(local) && xsd_builtin_name(local) ? NS_XSD : NS_MKTOWS;
    }
    /* A client's own namespace with one of our type names: the name is what
     * the client meant (see the top of the file). */
    if (cls != NS_XSD && cls != NS_ENC && cls != NS_APACHE && cls != NS_MKTOWS &&
        schema_type_kind(local))
        cls = NS_MKTOWS;
    switch (cls) {
    case NS_XSD:
        if (xsd_builtin_name(local))
            return 0;
        return defer(c, a->name.p, "xsi:type '%.*s' of element '%.*s' names no XML Schema type",
                    QN(v), QN(element));
    case NS_ENC:
    case NS_APACHE:
        return 0;
    case NS_MKTOWS:
        switch (schema_type_kind(local)) {
        case 1:
            return 0;
        case 2:
            c->use_ns1 = c->use_xsi = true;
            if (puts_(c, " xsi:type=\"ns1:") || put(c, &g->out, local.p, local.n) ||
                puts_(c, "\""))
                return -1;
            return 0;
        default:
            return defer(c, a->name.p, "xsi:type '%.*s' of element '%.*s' names no mktows type",
                        QN(v), QN(element));
        }
    default:
        return defer(c, a->name.p,
                    "xsi:type '%.*s' of element '%.*s' is neither an XML Schema nor an mktows type",
                    QN(v), QN(element));
    }
}

static int write_attributes(cur *c, size_t nattrs, span element)
{
    mk_xml_gate *g = c->g;
    for (size_t k = 0; k < nattrs; k++) {
        const struct attr *a = &g->attrs[k];
        switch (a->cls) {
        case NS_ENV11:
        case NS_ENV12:
            if (use_env(c, a->cls, a->name.p) || puts_(c, " SOAP-ENV:") ||
                put(c, &g->out, a->local.p, a->local.n) || put(c, &g->out, "=", 1) ||
                put(c, &g->out, &a->quote, 1) || put(c, &g->out, a->value.p, a->value.n) ||
                put(c, &g->out, &a->quote, 1))
                return -1;
            break;
        case NS_XSI:
            if (span_is(a->local, "type")) {
                if (xsi_type(c, a, element) != 0)
                    return -1;
            } else if (span_is(a->local, "nil")) {
                c->use_xsi = true;
                if (puts_(c, " xsi:nil=") || put(c, &g->out, &a->quote, 1) ||
                    put(c, &g->out, a->value.p, a->value.n) || put(c, &g->out, &a->quote, 1))
                    return -1;
            }
            break;
        default:
            break;  /* dropped: see the top of the file */
        }
    }
    return 0;
}

/* Start tag at p ('<' + name start), written in canonical form. */
static int start_tag(cur *c, const char **pp, bool *empty)
{
    mk_xml_gate *g = c->g;
    const char *tag = *pp, *p = tag + 1, *end = c->end;
    span name = {p, 0};
    while (p < end && is_name_char((unsigned char)*p))
        p++;
    name.n = (size_t)(p - name.p);
    if (name.n > c->lim->max_name_bytes)
        return fail(c, tag, "an element name longer than %zu bytes", c->lim->max_name_bytes);
    if (++c->elements > c->lim->max_elements)
        return fail(c, tag, "more than %zu elements", c->lim->max_elements);
    size_t nattrs = 0;
    if (read_attributes(c, &p, tag, &nattrs, empty) != 0)
        return -1;

    size_t bind_mark = g->nbind, uri_mark = g->uris.len;
    /* Declarations first: they apply to the element's own name and attributes. */
    for (size_t k = 0; k < nattrs; k++) {
        struct attr *a = &g->attrs[k];
        a->uri = NULL;
        a->uri_n = 0;
        a->cls = NS_NONE;
        if (span_is(a->name, "xmlns") ||
            (a->name.n > 6 && memcmp(a->name.p, "xmlns:", 6) == 0)) {
            a->cls = NS_XMLNS;
            a->local = a->name.n > 5 ? (span){a->name.p + 6, a->name.n - 6} : (span){a->name.p, 0};
            if (a->local.n && memchr(a->local.p, ':', a->local.n))
                return fail(c, a->name.p, "malformed namespace declaration '%.*s'", QN(a->name));
            if (declare(c, a->local, a->value, a->name.p) != 0)
                return -1;
        }
    }

    span prefix, local;
    if (split_qname(name, &prefix, &local) != 0)
        return fail(c, tag, "malformed element name '%.*s'", QN(name));
    enum ns_class cls;
    const char *uri;
    size_t uri_n;
    if (resolve(c, prefix, true, tag, name, &cls, &uri, &uri_n) != 0)
        return -1;
    if (span_is(prefix, "xmlns"))
        return fail(c, tag, "element '%.*s' uses the reserved prefix 'xmlns'", QN(name));
    for (size_t k = 0; k < nattrs; k++) {
        struct attr *a = &g->attrs[k];
        if (a->cls == NS_XMLNS)
            continue;
        span ap;
        if (split_qname(a->name, &ap, &a->local) != 0 || span_is(ap, "xmlns"))
            return fail(c, a->name.p, "malformed attribute name '%.*s'", QN(a->name));
        if (resolve(c, ap, false, a->name.p, a->name, &a->cls, &a->uri, &a->uri_n) != 0)
            return -1;
    }
    if (duplicate_check(c, nattrs, local) != 0)
        return -1;

    /* Where the element stands decides its canonical name. */
    struct open_el *parent = c->depth ? &g->stack[c->depth - 1] : NULL;
    enum el_kind kind = EL_OTHER;
    bool env = cls == NS_ENV11 || cls == NS_ENV12;
    if (!parent && env && span_is(local, "Envelope")) {
        kind = EL_ENVELOPE;
    } else if (parent && parent->kind == EL_ENVELOPE && env && span_is(local, "Header")) {
        kind = EL_HEADER;
        if (++parent->headers > 1)
            return fail(c, tag, "a second SOAP Header");
    } else if (parent && parent->kind == EL_ENVELOPE && env && span_is(local, "Body")) {
        kind = EL_BODY;
        if (++parent->bodies > 1)
            return fail(c, tag, "a second SOAP Body");
    }
    bool global = parent && (parent->kind == EL_HEADER || parent->kind == EL_BODY);

    if (put(c, &g->out, "<", 1) != 0)
        return -1;
    size_t canon_off = g->out.len;
    int rc = 0;
    switch (cls) {
    case NS_NONE:
        rc = put(c, &g->out, local.p, local.n);
        break;
    case NS_ENV11:
    case NS_ENV12:
        rc = use_env(c, cls, tag) || puts_(c, "SOAP-ENV:") || put(c, &g->out, local.p, local.n);
        break;
    case NS_MKTOWS:
        if (global) {
            c->use_ns1 = true;
            rc = puts_(c, "ns1:");
        }
        rc = rc || put(c, &g->out, local.p, local.n);
        break;
    case NS_XML:
    case NS_XMLNS:
        return fail(c, tag, "element '%.*s' in a reserved namespace", QN(name));
    default:
        rc = puts_(c, "f:") || put(c, &g->out, local.p, local.n);
        break;
    }
    if (rc)
        return -1;
    size_t canon_n = g->out.len - canon_off;
    if (c->depth == 0)
        c->root_decl_off = g->out.len;
    if (cls != NS_NONE && cls != NS_ENV11 && cls != NS_ENV12 && cls != NS_MKTOWS &&
        (puts_(c, " xmlns:f=\"") || put_escaped(c, uri, uri_n) || puts_(c, "\"")))
        return -1;
    if (write_attributes(c, nattrs, local) != 0)
        return -1;
    if (put(c, &g->out, *empty ? "/>" : ">", *empty ? 2 : 1) != 0)
        return -1;

    if (*empty) {
        undeclare_to(g, bind_mark, uri_mark);
    } else {
        if (c->depth == c->lim->max_depth)
            return fail(c, name.p, "elements nested too deeply");
        if (mk_array_grow(&g->stack, &g->cap_stack, c->depth + 1, sizeof *g->stack) != 0)
            return oom(c);
        struct open_el *el = &g->stack[c->depth++];
        el->raw = name;
        el->canon_off = canon_off;
        el->canon_n = canon_n;
        el->bind_mark = bind_mark;
        el->uri_mark = uri_mark;
        el->kind = kind;
        el->headers = el->bodies = 0;
    }
    *pp = p;
    return 0;
}

/* ---- the document ---------------------------------------------------------------------- */

/* Character data up to the next '<', copied. */
static int text(cur *c, const char **pp)
{
    const char *p = *pp, *start = p;
    while (p < c->end && *p != '<') {
        if (*p == '&') {
            const char *q = reference(p, c->end);
            if (!q)
                return fail(c, p, "malformed character or entity reference");
            p = q;
        } else {
            p++;
        }
    }
    if ((size_t)(p - start) > c->lim->max_value_bytes)
        return fail(c, start, "character data longer than %zu bytes", c->lim->max_value_bytes);
    *pp = p;
    return put(c, &c->g->out, start, (size_t)(p - start));
}

/* Comment, processing instruction or CDATA section at p, copied; DTDs refused. */
static int markup(cur *c, const char **pp, bool in_element)
{
    const char *p = *pp, *q;
    size_t tail;
    if (c->end - p >= 4 && memcmp(p, "<!--", 4) == 0) {
        if (!(q = find(p + 4, c->end, "-->")))
            return fail(c, p, "unterminated comment");
        tail = 3;
    } else if (c->end - p >= 2 && memcmp(p, "<?", 2) == 0) {
        if (!(q = find(p + 2, c->end, "?>")))
            return fail(c, p, "unterminated processing instruction");
        tail = 2;
    } else if (in_element && c->end - p >= 9 && memcmp(p, "<![CDATA[", 9) == 0) {
        if (!(q = find(p + 9, c->end, "]]>")))
            return fail(c, p, "unterminated CDATA section");
        if ((size_t)(q - p - 9) > c->lim->max_value_bytes)
            return fail(c, p, "a CDATA section longer than %zu bytes", c->lim->max_value_bytes);
        tail = 3;
    } else if (c->end - p >= 9 && memcmp(p, "<!DOCTYPE", 9) == 0) {
        return fail(c, p, "a DTD is not allowed in a SOAP message");
    } else {
        return fail(c, p, "unexpected markup");
    }
    *pp = q + tail;
    return put(c, &c->g->out, p, (size_t)(*pp - p));
}

static int end_tag(cur *c, const char **pp)
{
    mk_xml_gate *g = c->g;
    const char *p = *pp, *q = p + 2, *nm = q;
    while (q < c->end && is_name_char((unsigned char)*q))
        q++;
    size_t n = (size_t)(q - nm);
    q = skip_space(q, c->end);
    if (q >= c->end || *q != '>')
        return fail(c, p, "malformed end tag");
    if (c->depth == 0 || !span_eq(g->stack[c->depth - 1].raw, nm, n))
        return fail(c, p, "end tag does not match the open element");
    struct open_el *el = &g->stack[--c->depth];
    /* The name is copied from the output itself: the room is made first,
     * so the appends below cannot move it. */
    if (mk_buf_reserve(&g->out, el->canon_n + 3) != 0)
        return oom(c);
    mk_buf_append(&g->out, "</", 2);
    mk_buf_append(&g->out, g->out.data + el->canon_off, el->canon_n);
    mk_buf_append(&g->out, ">", 1);
    undeclare_to(g, el->bind_mark, el->uri_mark);
    *pp = q + 1;
    return 0;
}

/* The fixed prefixes the canonical document uses, declared on its root. */
static int declare_root(cur *c)
{
    mk_xml_gate *g = c->g;
    char decl[256];
    int n = snprintf(decl, sizeof decl, "%s%s%s%s%s%s%s%s%s",
                     c->env ? " xmlns:SOAP-ENV=\"" : "",
                     c->env == NS_ENV11   ? "http://schemas.xmlsoap.org/soap/envelope/"
                     : c->env == NS_ENV12 ? "http://www.w3.org/2003/05/soap-envelope"
                                          : "",
                     c->env ? "\"" : "", c->use_xsi ? " xmlns:xsi=\"" : "",
                     c->use_xsi ? URI_XSI : "", c->use_xsi ? "\"" : "",
                     c->use_ns1 ? " xmlns:ns1=\"" : "", c->use_ns1 ? URI_MKTOWS : "",
                     c->use_ns1 ? "\"" : "");
    if (n <= 0)
        return 0;
    return mk_buf_insert(&g->out, c->root_decl_off, decl, (size_t)n) != 0 ? oom(c) : 0;
}

mk_xml_gate *mk_xml_gate_new(void)
{
    mk_xml_gate *g = calloc(1, sizeof *g);
    if (!g)
        return NULL;
    if (getentropy(&g->seed, sizeof g->seed) != 0) {
        struct timespec ts;
        clock_gettime(CLOCK_MONOTONIC, &ts);
        g->seed = mix64((uint64_t)(uintptr_t)g ^ (uint64_t)ts.tv_nsec ^ (uint64_t)ts.tv_sec);
    }
    g->out.first = g->uris.first = g->tmp.first = 4096;
    return g;
}

void mk_xml_gate_free(mk_xml_gate *g)
{
    if (!g)
        return;
    mk_buf_free(&g->out);
    mk_buf_free(&g->uris);
    mk_buf_free(&g->tmp);
    free(g->bind);
    free(g->ptab);
    free(g->attrs);
    free(g->atab);
    free(g->stack);
    free(g);
}

#define TRIM_BYTES (256u << 10)

void mk_xml_gate_trim(mk_xml_gate *g)
{
    mk_buf *bufs[] = {&g->out, &g->uris, &g->tmp};
    for (size_t i = 0; i < sizeof bufs / sizeof *bufs; i++)
        if (bufs[i]->cap > TRIM_BYTES)
            mk_buf_free(bufs[i]);
    if (g->capbind * sizeof *g->bind > TRIM_BYTES) {
        free(g->bind);
        g->bind = NULL;
        g->capbind = g->nbind = 0;
    }
    if (g->ptab_cap * sizeof *g->ptab > TRIM_BYTES) {
        free(g->ptab);
        g->ptab = NULL;
        g->ptab_cap = g->ptab_used = 0;
    }
    if (g->cap_attrs * sizeof *g->attrs > TRIM_BYTES) {
        free(g->attrs);
        g->attrs = NULL;
        g->cap_attrs = 0;
    }
    if (g->atab_cap * sizeof *g->atab > TRIM_BYTES) {
        free(g->atab);
        g->atab = NULL;
        g->atab_cap = 0;
    }
    if (g->cap_stack * sizeof *g->stack > TRIM_BYTES) {
        free(g->stack);
        g->stack = NULL;
        g->cap_stack = 0;
    }
}

static int walk(cur *c)
{
    const char *p = c->s;
    bool seen_root = false;
    mk_xml_gate *g = c->g;

    if (c->end - p >= 3 && memcmp(p, "\xEF\xBB\xBF", 3) == 0) {
        if (put(c, &g->out, p, 3) != 0)
            return -1;
        p += 3;
    }
    for (;;) {
        if (c->depth == 0) {
            /* Prolog or epilog: only white space and markup. */
            const char *q = skip_space(p, c->end);
            if (put(c, &g->out, p, (size_t)(q - p)) != 0)
                return -1;
            p = q;
            if (p >= c->end)
                break;
            if (*p != '<')
                return fail(c, p, seen_root ? "content after the root element"
                                            : "text before the root element");
        } else if (text(c, &p) != 0) {
            return -1;
        }
        if (p >= c->end)
            return fail(c, p, "document ends inside an element");
        /* p is at '<' */
        if (p + 1 < c->end && (p[1] == '!' || p[1] == '?')) {
            if (markup(c, &p, c->depth > 0) != 0)
                return -1;
            continue;
        }
        if (p + 1 < c->end && p[1] == '/') {
            if (end_tag(c, &p) != 0)
                return -1;
            continue;
        }
        if (p + 1 >= c->end || !is_name_start((unsigned char)p[1]))
            return fail(c, p, "'<' not starting a tag");
        if (c->depth == 0 && seen_root)
            return fail(c, p, "a second root element");
        bool empty = false;
        if (start_tag(c, &p, &empty) != 0)
            return -1;
        seen_root = true;
    }
    if (!seen_root) {
        snprintf(c->why, c->whylen, "no root element");
        return -1;
    }
    return declare_root(c);
}

int mk_xml_normalise(mk_xml_gate *g, const char *doc, size_t len, const struct mk_xml_limits *lim,
                     const char **out, size_t *outlen, char *why, size_t whylen)
{
    cur c = {.g = g, .lim = lim, .s = doc, .end = doc + len, .why = why, .whylen = whylen};
    mk_buf_clear(&g->out);
    mk_buf_clear(&g->uris);
    g->nbind = 0;
    g->ptab_used = 0;
    g->doc_gen++;
    if (mk_buf_reserve(&g->out, len + len / 8 + 256) != 0) {
        oom(&c);
        return -2;
    }
    if (walk(&c) != 0)
        return c.oom ? -2 : -1;
    *out = g->out.data;
    *outlen = g->out.len;
    return c.deferred ? 1 : 0;
}

int mk_xml_check(const char *doc, size_t len, size_t max_depth, char *why, size_t whylen)
{
    struct mk_xml_limits lim;
    mk_xml_limits_default(&lim);
    lim.max_depth = max_depth;
    mk_xml_gate *g = mk_xml_gate_new();
    if (!g) {
        snprintf(why, whylen, "out of memory");
        return -2;
    }
    const char *out;
    size_t n;
    int rc = mk_xml_normalise(g, doc, len, &lim, &out, &n, why, whylen);
    mk_xml_gate_free(g);
    return rc;
}
