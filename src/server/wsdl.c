/*
 * wsdl.c — rewriting soap:address in the compiled-in WSDL (see wsdl.h).
 */
#include "server/wsdl.h"

#include <stdlib.h>
#include <string.h>


static size_t escaped_len(const char *s)
{
    size_t n = 0;
    for (; *s; s++)
        n += *s == '&' ? 5 : *s == '<' || *s == '>' ? 4 : *s == '"' ? 6 : 1;
    return n;
}

static char *escape_into(char *d, const char *s)
{
    for (; *s; s++) {
        const char *r = *s == '&' ? "&amp;" : *s == '<' ? "&lt;" : *s == '>' ? "&gt;"
                      : *s == '"' ? "&quot;" : NULL;
        if (r) {
            size_t n = strlen(r);
            memcpy(d, r, n);
            d += n;
        } else {
            *d++ = *s;
        }
    }
    return d;
}

char *mk_wsdl_render(const char *scheme, const char *host, const char *path, size_t *len)
{
    static const char marker[] = "<soap:address location=\"";
    size_t src_len;
    const char *src = mk_wsdl_source(&src_len);
    const char *at = strstr(src, marker);
    const char *end = at ? strchr(at + sizeof marker - 1, '"') : NULL;

    if (!at || !end) {  /* cannot happen with our WSDL; serve it as is */
        char *copy = malloc(src_len + 1);
        if (copy) {
            memcpy(copy, src, src_len + 1);
            *len = src_len;
        }
        return copy;
    }
    size_t head = (size_t)(at - src) + sizeof marker - 1;
    size_t tail = src_len - (size_t)(end - src);
    size_t url = escaped_len(scheme) + 3 + escaped_len(host) + escaped_len(path);
    char *out = malloc(head + url + tail + 1);
    if (!out)
        return NULL;
    char *p = out;
    memcpy(p, src, head);
    p += head;
    p = escape_into(p, scheme);
    memcpy(p, "://", 3);
    p += 3;
    p = escape_into(p, host);
    p = escape_into(p, path);
    memcpy(p, end, tail);
    p += tail;
    *p = '\0';
    *len = (size_t)(p - out);
    return out;
}
