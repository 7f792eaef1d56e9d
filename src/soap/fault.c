/*
 * fault.c — the one function that turns a Marketo SOAP error code into a
 * gSOAP fault, and which codes are server-side or retryable.
 *
 * The codes' texts are mapping/faults.c's (one table for the loader's
 * checks of errors.json and for the faults themselves).
 * The detail element is built as literal XML in SOAP_ENV__Detail.__any: it
 * is the simplest way to get the exact ns1:serviceException shape, with the
 * ns1 namespace declared on the element itself as Marketo did.
 */
#include "soap/fault.h"

#include <stdio.h>
#include <string.h>

#include "soapH.h"
#include "base/request.h"
#include "mapping/mapping.h"

const char *mk_fault_text(int code)
{
    const char *t = mk_mapping_fault_text(code);
    return t ? t : "Internal Error";
}

int mk_fault_is_server(int code)
{
    return code == MK_ERR_INTERNAL || code == MK_ERR_API_INTERNAL;
}

int mk_fault_is_retryable(int code)
{
    return code == MK_ERR_INTERNAL || code == MK_ERR_API_INTERNAL ||
           code == MK_ERR_QUOTA || code == MK_ERR_RATE_LIMIT ||
           code == MK_ERR_CONCURRENCY;
}

/* Length of s once XML-escaped for element content. */
static size_t xml_escaped_len(const char *s)
{
    size_t n = 0;
    for (; *s; s++) {
        switch (*s) {
        case '&': n += 5; break;
        case '<': case '>': n += 4; break;
        default: n++;
        }
    }
    return n;
}

static char *xml_escape_into(char *dst, const char *s)
{
    for (; *s; s++) {
        switch (*s) {
        case '&': memcpy(dst, "&amp;", 5); dst += 5; break;
        case '<': memcpy(dst, "&lt;", 4); dst += 4; break;
        case '>': memcpy(dst, "&gt;", 4); dst += 4; break;
        default: *dst++ = *s;
        }
    }
    return dst;
}

/* The specific text often quotes the request (a name, a key value); when
 * it is cut to fit, the cut must not split a UTF-8 sequence, or the fault
 * is no longer well-formed XML and the client cannot read it at all. */
size_t mk_fault_utf8_prefix(const char *s, size_t max)
{
    size_t len = strnlen(s, max), i = len;
    while (i > 0 && ((unsigned char)s[i - 1] & 0xC0) == 0x80)
        i--;   /* back over the continuation bytes to the last sequence's lead */
    if (i == 0 || !((unsigned char)s[i - 1] & 0x80))
        return len;
    unsigned char lead = (unsigned char)s[i - 1];
    size_t need = lead >= 0xF0 ? 4 : lead >= 0xE0 ? 3 : lead >= 0xC0 ? 2 : 1;
    return len - (i - 1) < need ? i - 1 : len;   /* drop an incomplete last sequence */
}

int mk_vfault(struct soap *soap, int code, const char *fmt, va_list ap)
{
    char specific[1024];
    char message[1100];

    const char *text = mk_fault_text(code);

    if (fmt) {
        int n = vsnprintf(specific, sizeof specific, fmt, ap);
        if (n >= (int)sizeof specific)
            specific[mk_fault_utf8_prefix(specific, sizeof specific - 1)] = '\0';
    } else {
        snprintf(specific, sizeof specific, "%s", text);
    }
    snprintf(message, sizeof message, "%s (%d)", specific, code);

    /* Marketo spoke SOAP 1.1 only; answer a 1.2 envelope in 1.1 too. */
    soap_set_version(soap, 1);
    soap_fault(soap);
    if (!soap->fault)
        return soap->error = SOAP_EOM;

    char *faultstring = soap_malloc(soap, strlen(text) + 16);
    static const char head[] =
        "<ns1:serviceException xmlns:ns1=\"http://www.marketo.com/mktows/\">"
        "<name>mktServiceException</name><message>";
    static const char mid[] = "</message><code>";
    static const char tail[] = "</code></ns1:serviceException>";
    char *any = soap_malloc(soap, sizeof head + xml_escaped_len(message) +
                                      sizeof mid + 16 + sizeof tail);
    struct SOAP_ENV__Detail *detail = soap_malloc(soap, sizeof *detail);
    if (!faultstring || !any || !detail)
        return soap->error = SOAP_EOM;

    sprintf(faultstring, "%d - %s", code, text);
    char *p = any;
    memcpy(p, head, sizeof head - 1);
    p += sizeof head - 1;
    p = xml_escape_into(p, message);
    p += sprintf(p, "%s%d%s", mid, code, tail);

    soap_default_SOAP_ENV__Detail(soap, detail);
    detail->__any = any;
    soap->fault->faultcode =
        mk_fault_is_server(code) ? "SOAP-ENV:Server" : "SOAP-ENV:Client";
    soap->fault->faultstring = faultstring;
    soap->fault->faultactor = NULL;
    soap->fault->detail = detail;

    struct mk_request *req = mk_request_of(soap);
    if (req)
        req->fault_code = code;
    return soap->error = SOAP_FAULT;
}

int mk_fault(struct soap *soap, int code, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    int rc = mk_vfault(soap, code, fmt, ap);
    va_end(ap);
    return rc;
}

int mk_fault_code_for_soap_error(int soap_error)
{
    switch (soap_error) {
    case SOAP_NO_METHOD:
        return MK_ERR_UNSUPPORTED;
    case SOAP_EOM:
        return MK_ERR_INTERNAL;
    case SOAP_TAG_MISMATCH:
    case SOAP_TYPE:
    case SOAP_SYNTAX_ERROR:
    case SOAP_NO_TAG:
    case SOAP_EOF:
    case SOAP_VERSIONMISMATCH:
    case SOAP_MUSTUNDERSTAND:
    case SOAP_NAMESPACE:
    case SOAP_UTF_ERROR:
    case SOAP_OCCURS:
    case SOAP_LENGTH:
    case SOAP_LEVEL:
    case SOAP_FIXED:
    case SOAP_NULL:
    case SOAP_DUPLICATE_ID:
    case SOAP_MISSING_ID:
    case SOAP_HREF:
    case SOAP_REQUIRED:
    case SOAP_PROHIBITED:
    case SOAP_DIME_ERROR:
    case SOAP_MIME_ERROR:
    case SOAP_ZLIB_ERROR:
    case SOAP_NO_DATA:
    case SOAP_GET_METHOD:
    case SOAP_PUT_METHOD:
    case SOAP_PATCH_METHOD:
    case SOAP_DEL_METHOD:
    case SOAP_HTTP_METHOD:
        return MK_ERR_NOT_UNDERSTOOD;
    default:
        return MK_ERR_INTERNAL;
    }
}
