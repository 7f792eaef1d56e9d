/*
 * nilfilter.c — an output filter that leaves out `<name xsi:nil="true"/>`
 * for non-nillable optional elements (nilfilter.h).
 *
 * gSOAP hands output to soap->fsend in buffer-sized pieces, so a pattern
 * may be split between two calls: the filter holds back a tail that could
 * still become a pattern and prepends it to the next piece.  Every pattern
 * starts with '<' followed by a letter and the document always ends with
 * an end tag ("</..."), so a held-back tail is always completed or released
 * by later output.
 */
#include "ops/core/nilfilter.h"

#include <stdlib.h>
#include <string.h>

#include "soapH.h"
#include "soap/fault.h"

#define NILFILTER_ID "mktows-nilfilter"
#define MAX_PATTERNS 4
#define MAX_PATTERN 96

typedef struct nilfilter {
    int (*next)(struct soap *, const char *, size_t);  /* the engine's fsend */
    char pat[MAX_PATTERNS][MAX_PATTERN];
    size_t plen[MAX_PATTERNS];
    int npat;
    char held[MAX_PATTERN];
    size_t nheld;
} nilfilter;

static void plugin_delete(struct soap *soap, struct soap_plugin *p)
{
    (void)soap;
    free(p->data);
}

static int plugin_create(struct soap *soap, struct soap_plugin *p, void *arg)
{
    (void)soap;
    (void)arg;
    p->id = NILFILTER_ID;
    p->data = calloc(1, sizeof(nilfilter));
    p->fcopy = NULL;
    p->fdelete = plugin_delete;
    return p->data ? SOAP_OK : SOAP_EOM;
}

/* 1: a pattern starts at s (all of it present), 0: none can, -1: one
 * might, but s[0..n) ends too early to tell. */
static int match_at(const nilfilter *f, const char *s, size_t n, size_t *len)
{
    int maybe = 0;
    for (int i = 0; i < f->npat; i++) {
        size_t k = f->plen[i] < n ? f->plen[i] : n;
        if (memcmp(s, f->pat[i], k) != 0)
            continue;
        if (k == f->plen[i]) {
            *len = k;
            return 1;
        }
        maybe = 1;
    }
    return maybe ? -1 : 0;
}

static int filter_send(struct soap *soap, const char *s, size_t n)
{
    nilfilter *f = soap_lookup_plugin(soap, NILFILTER_ID);
    if (!f || !f->next)
        return SOAP_EOM;
    /* Work on held-back bytes + this piece. */
    size_t total = f->nheld + n;
    char *buf = malloc(total ? total : 1);
    if (!buf)
        return soap->error = SOAP_EOM;
    memcpy(buf, f->held, f->nheld);
    memcpy(buf + f->nheld, s, n);
    f->nheld = 0;
    size_t out = 0, i = 0;
    int rc = SOAP_OK;
    while (i < total && rc == SOAP_OK) {
        if (buf[i] != '<') {
            i++;
            continue;
        }
        size_t len = 0;
        int m = match_at(f, buf + i, total - i, &len);
        if (m == 0) {
            i++;
            continue;
        }
        if (i > out)
            rc = f->next(soap, buf + out, i - out);
        if (m == 1) {           /* drop the element */
            i += len;
            out = i;
        } else {                /* maybe: keep the tail for the next piece */
            memcpy(f->held, buf + i, total - i);
            f->nheld = total - i;
            out = i = total;
        }
    }
    if (rc == SOAP_OK && total > out)
        rc = f->next(soap, buf + out, total - out);
    free(buf);
    return rc;
}

int mk_nilfilter_drop(struct soap *soap, const char *const *names)
{
    nilfilter *f = soap_lookup_plugin(soap, NILFILTER_ID);
    if (!f) {
        if (soap_register_plugin_arg(soap, plugin_create, NULL) != SOAP_OK)
            return mk_fault(soap, MK_ERR_INTERNAL, "out of memory");
        f = soap_lookup_plugin(soap, NILFILTER_ID);
        if (!f)
            return mk_fault(soap, MK_ERR_INTERNAL, "out of memory");
    }
    f->npat = 0;
    f->nheld = 0;
    for (int i = 0; names && names[i] && f->npat < MAX_PATTERNS; i++) {
        size_t need = strlen(names[i]) + sizeof "<" " xsi:nil=\"true\"/>";
        if (need > MAX_PATTERN)
            continue;
        strcpy(f->pat[f->npat], "<");
        strcat(f->pat[f->npat], names[i]);
        strcat(f->pat[f->npat], " xsi:nil=\"true\"/>");
        f->plen[f->npat] = strlen(f->pat[f->npat]);
        f->npat++;
    }
    if (soap->fsend != filter_send) {
        f->next = soap->fsend;
        soap->fsend = filter_send;
    }
    return SOAP_OK;
}
