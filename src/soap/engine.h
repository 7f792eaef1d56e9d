/*
 * engine.h — running gSOAP on a request held in memory.
 *
 * The HTTP front-end (server/http.c) owns sockets and HTTP; gSOAP only sees
 * the XML body (custom frecv, HTTP parsing disabled) and writes the envelope
 * into a memory buffer (custom fsend, no HTTP header).  One engine per
 * worker thread; each request runs between soap_begin and soap_end, so the
 * gSOAP arena owns everything a handler puts in the response.
 */
#ifndef MK_SOAP_ENGINE_H
#define MK_SOAP_ENGINE_H

#include <stddef.h>

struct mk_request;
struct soap;

typedef struct mk_engine mk_engine;

/* What the engine needs from the operation layer above it, handed over at
 * creation (server/wiring.c), so that soap/ never includes ops/. */
typedef struct mk_engine_hooks {
    /* Authenticate req from the header just parsed, before the body is
     * read: SOAP_OK, or a fault already raised on soap. */
    int (*authenticate)(struct soap *soap, struct mk_request *req);
    /* The operation a body's root element names ("getLead" for local name
     * "getLead" of paramsGetLead), or NULL when it names none. */
    const char *(*operation)(const struct mk_request *req, const char *name);
} mk_engine_hooks;

/* The result of one request.  body points into the engine and stays valid
 * until the next call on the same engine. */
struct mk_engine_result {
    unsigned http_status;   /* 200, or 500 for a fault */
    const char *body;
    size_t len;
    int fault_code;         /* Marketo code of the fault, 0 on success */
};

/* New engine, or NULL when out of memory.  hooks (kept, not copied) may be
 * NULL: then nothing is authenticated before the body, and the handler's
 * own prologue does it. */
mk_engine *mk_engine_new(const mk_engine_hooks *hooks);
void mk_engine_free(mk_engine *e);

/* Parse body (a SOAP envelope), dispatch to the operation handler and
 * serialize the response or fault.  req must have its transport fields set;
 * it is reachable from handlers through mk_request_of().  Returns 0, or -1
 * if not even a fault could be produced (out of memory). */
int mk_engine_serve(mk_engine *e, struct mk_request *req, const char *body, size_t len,
                    struct mk_engine_result *res);

/* Produce a fault envelope without a request (e.g. body too large).
 * fmt as for mk_fault.  Returns 0 or -1. */
int mk_engine_fault(mk_engine *e, struct mk_request *req, int code,
                    struct mk_engine_result *res, const char *fmt, ...)
    __attribute__((format(printf, 5, 6)));

/* Switch soap to the namespace table used for responses (SOAP-ENV, xsi,
 * ns1 only, as Marketo sent).  Called once the request is fully parsed;
 * mk_op_begin() does it for every handler. */
struct soap;
void mk_engine_response_namespaces(struct soap *soap);

#endif
