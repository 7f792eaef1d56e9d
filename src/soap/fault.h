/*
 * fault.h — Marketo-style SOAP faults.
 *
 * Every failure a client sees goes through mk_fault(), so the wire shape is
 * decided in one place: HTTP 500, faultcode SOAP-ENV:Client (SOAP-ENV:Server
 * for the internal-error codes), faultstring "<code> - <text>", and
 * detail/ns1:serviceException/{name=mktServiceException, message, code}
 * where message is "<specific text> (<code>)".
 *
 * The table of codes and their short texts lives in fault.c.
 */
#ifndef MK_SOAP_FAULT_H
#define MK_SOAP_FAULT_H

#include <stdarg.h>
#include <stddef.h>

struct soap;

/* Marketo SOAP error codes. */
enum mk_fault_code {
    MK_ERR_INTERNAL = 10001,          /* severe system failure */
    MK_ERR_API_INTERNAL = 20011,      /* API service failure */
    MK_ERR_NOT_UNDERSTOOD = 20012,    /* unexpected / malformed SOAP message */
    MK_ERR_ACCESS_DENIED = 20013,
    MK_ERR_AUTH = 20014,              /* authentication failed */
    MK_ERR_QUOTA = 20015,             /* daily quota exceeded */
    MK_ERR_EXPIRED = 20016,           /* request timestamp outside the window */
    MK_ERR_INVALID_REQUEST = 20017,   /* expected parameter missing */
    MK_ERR_BAD_ENCODING = 20018,      /* undocumented; seen in client constants */
    MK_ERR_UNSUPPORTED = 20019,       /* operation not supported */
    MK_ERR_TIME_RANGE = 20022,        /* time filter range over 30 days */
    MK_ERR_RATE_LIMIT = 20023,        /* > 100 calls in 20 s */
    MK_ERR_CONCURRENCY = 20024,       /* > 10 concurrent calls */
    MK_ERR_LEAD_KEY_REQUIRED = 20101,
    MK_ERR_LEAD_KEY_BAD = 20102,
    MK_ERR_LEAD_NOT_FOUND = 20103,
    MK_ERR_LEAD_DETAIL_REQUIRED = 20104,
    MK_ERR_LEAD_ATTRIBUTE_BAD = 20105,
    MK_ERR_LEAD_SYNC_FAILED = 20106,
    MK_ERR_ACTIVITY_KEY_BAD = 20107,
    MK_ERR_LEAD_OWNER_NOT_FOUND = 20108,
    MK_ERR_PARAMETER_REQUIRED = 20109,
    MK_ERR_BAD_PARAMETER = 20110,
    MK_ERR_LIST_NOT_FOUND = 20111,
    MK_ERR_CAMPAIGN_NOT_FOUND = 20113,
    MK_ERR_BAD_PARAMETER_VALUE = 20114,
    MK_ERR_BAD_STREAM_POSITION = 20122,
    MK_ERR_STREAM_AT_END = 20123,
};

/* Short text used after "<code> - " in faultstring, e.g. "Authentication
 * failed" for 20014.  Unknown codes give "Internal Error". */
const char *mk_fault_text(int code);

/* 1 if the code reports a server-side failure (faultcode SOAP-ENV:Server):
 * 10001 and 20011.  0 otherwise. */
int mk_fault_is_server(int code);

/* 1 if Marketo clients are known to retry this code (10001, 20011, 20015,
 * 20023, 20024). */
int mk_fault_is_retryable(int code);

/* Set a Marketo fault on the soap context and return SOAP_FAULT, so a
 * handler can `return mk_fault(soap, 20103, "No lead found with %s = %s",
 * ...)`.  fmt (printf-style, may be NULL) is the specific text; " (<code>)"
 * is appended.  With fmt NULL the message is "<text> (<code>)".
 * Everything is allocated in the soap context's arena.  Also records the
 * code in the per-request context, if there is one. */
int mk_fault(struct soap *soap, int code, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* va_list form of mk_fault. */
int mk_vfault(struct soap *soap, int code, const char *fmt, va_list ap)
    __attribute__((format(printf, 3, 0)));

/* The length of the longest prefix of s that is at most max bytes and does
 * not end inside a UTF-8 sequence: where text quoted from a request may be
 * cut without making the fault invalid XML. */
size_t mk_fault_utf8_prefix(const char *s, size_t max);

/* Marketo code for a gSOAP engine error (soap->error) that was not raised
 * by mk_fault: parse and validation errors map to 20012, a root element
 * that names no operation to 20019, memory and anything else to 10001. */
int mk_fault_code_for_soap_error(int soap_error);

#endif
