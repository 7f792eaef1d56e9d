/*
 * xmlcheck.c — is the request well-formed XML?  (see xmlcheck.h)
 *
 * gSOAP parses leniently on purpose: Marketo accepted elements in any order
 * and ignored unknown ones, and the shim must too.  But lenient parsing also
 * lets through documents that are not XML at all (a closing tag that names
 * another element, text after the root), which Marketo answered with 20012.
 * This one pass, before gSOAP sees the bytes, draws that line: the document
 * must be well-formed, and must not carry a DTD (a SOAP message never does,
 * and refusing it rules out entity-expansion attacks).
 *
 * It checks structure only — tag nesting and names, attribute syntax, one
 * root, references — and leaves namespaces and schema to gSOAP.
 */
#include "soap/xmlcheck.h"

#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef struct span {
    const char *p;
    size_t n;
} span;

typedef struct cur {
    const char *s, *end;
    char *why;
    size_t whylen;
} cur;

static int fail(cur *c, const char *at, const char *what)
{
    snprintf(c->why, c->whylen, "%s at byte %zu", what, (size_t)(at - c->s));
    return -1;
}

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

/* Character data up to the next '<'. */
static int text(cur *c, const char **pp)
{
    const char *p = *pp;
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
    *pp = p;
    return 0;
}

/* Comment, processing instruction or CDATA section at p; DTDs refused. */
static int markup(cur *c, const char **pp, bool in_element)
{
    const char *p = *pp, *q;
    if (c->end - p >= 4 && memcmp(p, "<!--", 4) == 0) {
        if (!(q = find(p + 4, c->end, "-->")))
            return fail(c, p, "unterminated comment");
        *pp = q + 3;
        return 0;
    }
    if (c->end - p >= 2 && memcmp(p, "<?", 2) == 0) {
        if (!(q = find(p + 2, c->end, "?>")))
            return fail(c, p, "unterminated processing instruction");
        *pp = q + 2;
        return 0;
    }
    if (in_element && c->end - p >= 9 && memcmp(p, "<![CDATA[", 9) == 0) {
        if (!(q = find(p + 9, c->end, "]]>")))
            return fail(c, p, "unterminated CDATA section");
        *pp = q + 3;
        return 0;
    }
    if (c->end - p >= 9 && memcmp(p, "<!DOCTYPE", 9) == 0)
        return fail(c, p, "a DTD is not allowed in a SOAP message");
    return fail(c, p, "unexpected markup");
}

/* Start tag at p ('<' + name start).  Fills *name; *empty for "/>". */
static int start_tag(cur *c, const char **pp, span *name, bool *empty)
{
    const char *p = *pp + 1, *end = c->end;
    name->p = p;
    while (p < end && is_name_char((unsigned char)*p))
        p++;
    name->n = (size_t)(p - name->p);
    for (;;) {
        const char *before = p;
        p = skip_space(p, end);
        if (p >= end)
            return fail(c, *pp, "unterminated start tag");
        if (*p == '>') {
            *empty = false;
            *pp = p + 1;
            return 0;
        }
        if (*p == '/') {
            if (p + 1 >= end || p[1] != '>')
                return fail(c, p, "'/' not followed by '>' in a start tag");
            *empty = true;
            *pp = p + 2;
            return 0;
        }
        if (p == before || !is_name_start((unsigned char)*p))
            return fail(c, p, "malformed attribute in a start tag");
        while (p < end && is_name_char((unsigned char)*p))
            p++;
        p = skip_space(p, end);
        if (p >= end || *p != '=')
            return fail(c, p, "attribute without '='");
        p = skip_space(p + 1, end);
        if (p >= end || (*p != '"' && *p != '\''))
            return fail(c, p, "attribute value not quoted");
        char quote = *p++;
        while (p < end && *p != quote) {
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
        p++;
    }
}

int mk_xml_check(const char *doc, size_t len, size_t max_depth, char *why, size_t whylen)
{
    cur c = {doc, doc + len, why, whylen};
    const char *p = doc;
    span *stack = NULL;
    size_t depth = 0, cap = 0;
    bool seen_root = false;
    int rc = -1;

    if (len >= 3 && memcmp(p, "\xEF\xBB\xBF", 3) == 0)
        p += 3;
    for (;;) {
        if (depth == 0) {
            /* Prolog or epilog: only white space and markup. */
            p = skip_space(p, c.end);
            if (p >= c.end)
                break;
            if (*p != '<') {
                fail(&c, p, seen_root ? "content after the root element" : "text before the root element");
                goto out;
            }
        } else if (text(&c, &p) != 0) {
            goto out;
        }
        if (p >= c.end) {
            fail(&c, p, "document ends inside an element");
            goto out;
        }
        /* p is at '<' */
        if (p + 1 < c.end && (p[1] == '!' || p[1] == '?')) {
            if (markup(&c, &p, depth > 0) != 0)
                goto out;
            continue;
        }
        if (p + 1 < c.end && p[1] == '/') {
            const char *q = p + 2, *nm = q;
            while (q < c.end && is_name_char((unsigned char)*q))
                q++;
            size_t n = (size_t)(q - nm);
            q = skip_space(q, c.end);
            if (q >= c.end || *q != '>') {
                fail(&c, p, "malformed end tag");
                goto out;
            }
            if (depth == 0 || stack[depth - 1].n != n || memcmp(stack[depth - 1].p, nm, n) != 0) {
                fail(&c, p, "end tag does not match the open element");
                goto out;
            }
            depth--;
            p = q + 1;
            continue;
        }
        if (p + 1 >= c.end || !is_name_start((unsigned char)p[1])) {
            fail(&c, p, "'<' not starting a tag");
            goto out;
        }
        if (depth == 0 && seen_root) {
            fail(&c, p, "a second root element");
            goto out;
        }
        span name;
        bool empty;
        if (start_tag(&c, &p, &name, &empty) != 0)
            goto out;
        seen_root = true;
        if (empty)
            continue;
        if (depth == max_depth) {
            fail(&c, name.p, "elements nested too deeply");
            goto out;
        }
        if (depth == cap) {
            size_t ncap = cap ? cap * 2 : 32;
            span *ns = realloc(stack, ncap * sizeof *ns);
            if (!ns) {
                snprintf(why, whylen, "out of memory");
                goto out;
            }
            stack = ns;
            cap = ncap;
        }
        stack[depth++] = name;
    }
    if (!seen_root)
        snprintf(why, whylen, "no root element");
    else
        rc = 0;
out:
    free(stack);
    return rc;
}
