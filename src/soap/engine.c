/*
 * engine.c — one gSOAP context per worker, fed from memory.
 *
 * gSOAP is used only as an XML (de)serializer and dispatcher:
 *  - input: frecv hands out the request body; SOAP_ENC_PLAIN stops gSOAP
 *    from looking for an HTTP header in it;
 *  - output: fresponse is a no-op (the front-end writes HTTP) and fsend
 *    appends to a growable buffer;
 *  - headers: fheader moves the parsed SOAP headers into the request
 *    context and clears soap->header, so no response ever echoes one.
 * Strict parsing (SOAP_XML_STRICT: every required element present, none
 * nil unless nillable) with unknown elements ignored (fignore), as Marketo
 * ignored them.
 *
 * What gSOAP reads is not the request body but its canonical form written
 * by the gate (soap/xmlcheck.h): well-formed, within the configured limits,
 * names matched by namespace rather than prefix, only the attributes gSOAP
 * should act on.  The request is authenticated as soon as the SOAP Header
 * is parsed, before the body is deserialized: a bad signature is 20014 /
 * 20016 whatever the body holds.
 */
#include "soap/engine.h"

#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "soapH.h"
#include "MktowsApiSoapBinding.nsmap"
#include "base/buf.h"
#include "base/request.h"
#include "config/config.h"
#include "soap/fault.h"
#include "soap/schema.h"
#include "soap/xmlcheck.h"

struct mk_engine {
    const mk_engine_hooks *hooks;
    struct soap *soap;
    struct mk_request *req;  /* the request being served, NULL between requests */
    const char *in;
    size_t in_len, in_pos;
    mk_buf out;              /* the envelope gSOAP writes, kept between requests */
    soap_mode imode, omode;  /* as after creation; a handler's soap_set_omode lasts one request */
    mk_xml_gate *gate;       /* its buffer holds the canonical request gSOAP reads */
};

struct mk_request *mk_request_of(struct soap *soap)
{
    mk_engine *e = soap ? soap->user : NULL;
    return e ? e->req : NULL;
}

static size_t mem_recv(struct soap *soap, char *buf, size_t len)
{
    mk_engine *e = soap->user;
    size_t n = e->in_len - e->in_pos;
    if (n > len)
        n = len;
    memcpy(buf, e->in + e->in_pos, n);
    e->in_pos += n;
    return n;
}

static int mem_send(struct soap *soap, const char *s, size_t n)
{
    mk_engine *e = soap->user;
    if (mk_buf_append(&e->out, s, n) != 0)
        return soap->error = SOAP_EOM;
    return SOAP_OK;
}

/* What the response envelope declares: Marketo's responses carried only
 * SOAP-ENV, ns1 and (for nil values) xsi.  Requests are parsed with the full
 * generated table. */
static const struct Namespace response_namespaces[] = {
    {"SOAP-ENV", "http://schemas.xmlsoap.org/soap/envelope/", NULL, NULL},
    {"xsi", "http://www.w3.org/2001/XMLSchema-instance", NULL, NULL},
    {"ns1", "http://www.marketo.com/mktows/", NULL, NULL},
    {NULL, NULL, NULL, NULL},
};

/* The HTTP header is the front-end's job. */
static int no_response(struct soap *soap, int status, ULONG64 count)
{
    (void)soap;
    (void)status;
    (void)count;
    return SOAP_OK;
}

void mk_engine_response_namespaces(struct soap *soap)
{
    soap_set_namespaces(soap, response_namespaces);
}

static int no_parse(struct soap *soap)
{
    (void)soap;
    return SOAP_OK;
}

static int take_headers(struct soap *soap)
{
    mk_engine *e = soap->user;
    if (soap->header && e->req) {
        e->req->auth_header = soap->header->ns1__AuthenticationHeader;
        e->req->context_header = soap->header->ns1__MktowsContextHeader;
    }
    soap->header = NULL;
    return SOAP_OK;
}

/* Strict mode (set in mk_engine_new) makes the generated deserialisers
 * enforce the WSDL's minOccurs and nillable at every level, so a handler
 * never meets NULL where the schema requires a value (schema.h names it in
 * the fault).  Strict mode would also refuse unknown elements; Marketo
 * ignored them and clients send extras, so they are skipped here, except a
 * mustUnderstand header gSOAP does not know, refused as before. */
static int ignore_unknown(struct soap *soap, const char *tag)
{
    (void)tag;
    if (soap->mustUnderstand && !soap->other)
        return soap->error = SOAP_MUSTUNDERSTAND;
    return SOAP_OK;
}

static int no_close(struct soap *soap)
{
    (void)soap;
    return SOAP_OK;
}

mk_engine *mk_engine_new(const mk_engine_hooks *hooks)
{
    mk_engine *e = calloc(1, sizeof *e);
    if (!e)
        return NULL;
    e->hooks = hooks;
    e->soap = soap_new1(SOAP_C_UTFSTRING | SOAP_ENC_PLAIN | SOAP_IO_BUFFER);
    if (!e->soap) {
        free(e);
        return NULL;
    }
    e->gate = mk_xml_gate_new();
    if (!e->gate) {
        soap_free(e->soap);
        free(e);
        return NULL;
    }
    soap_set_namespaces(e->soap, namespaces);
    e->soap->user = e;
    e->out.first = 8192;
    e->soap->maxlevel = MK_XML_DEFAULT_MAX_DEPTH;
    soap_set_imode(e->soap, SOAP_XML_STRICT);
    e->imode = e->soap->imode;
    e->omode = e->soap->omode;
    return e;
}

void mk_engine_free(mk_engine *e)
{
    if (!e)
        return;
    soap_destroy(e->soap);
    soap_end(e->soap);
    soap_free(e->soap);
    mk_xml_gate_free(e->gate);
    mk_buf_free(&e->out);
    free(e);
}

/* Callbacks are reset per request: soap_begin() does not touch them, but a
 * handler could, and the next request must not inherit that. */
static void prepare(mk_engine *e, struct mk_request *req, const char *body, size_t len)
{
    struct soap *soap = e->soap;
    soap_destroy(soap);
    soap_end(soap);
    soap->imode = e->imode;
    soap->omode = e->omode;
    soap_begin(soap);
    soap->version = 0;  /* set by the parser when it meets a SOAP Envelope */
    soap_set_namespaces(soap, namespaces);
    soap->user = e;
    soap->frecv = mem_recv;
    soap->fsend = mem_send;
    soap->fresponse = no_response;
    soap->fparse = no_parse;
    soap->fheader = take_headers;
    soap->fclose = no_close;
    soap->fignore = ignore_unknown;
    soap->fserveloop = NULL;
    soap->header = NULL;
    soap->keep_alive = 0;
    soap->max_keep_alive = 0;
    e->req = req;
    e->in = body;
    e->in_len = len;
    e->in_pos = 0;
    mk_buf_clear(&e->out);
    if (req)
        req->fault_code = 0;
}

static int finish(mk_engine *e, int rc, struct mk_engine_result *res)
{
    struct mk_request *req = e->req;
    if (e->out.err || rc != 0 || e->out.len == 0) {
        e->req = NULL;
        return -1;
    }
    /* gSOAP ends the envelope with CRLF; the document ends at its last tag. */
    size_t n = e->out.len;
    while (n && (e->out.data[n - 1] == '\n' || e->out.data[n - 1] == '\r'))
        n--;
    mk_buf_truncate(&e->out, n);
    res->body = e->out.data;
    res->len = e->out.len;
    res->fault_code = req ? req->fault_code : 0;
    res->http_status = res->fault_code ? 500 : 200;
    e->req = NULL;
    return 0;
}

/* Turn whatever error gSOAP or the handler left into a Marketo fault and
 * serialize it. */
static int send_fault(mk_engine *e)
{
    struct soap *soap = e->soap;
    struct mk_request *req = e->req;
    int err = soap->error;

    if (err == SOAP_OCCURS || err == SOAP_NULL) {
        /* Strict parsing found a required element missing or nil; gSOAP
         * names the element that lacks it, the WSDL says what it needs.
         * In the Body, the caller was authenticated already (authenticate()
         * runs between Header and Body); in the Header, the request cannot
         * be, and the fault is 20014 whatever it lacks. */
        char msg[512];
        int code;
        soap->error = SOAP_OK;
        if (!req || !req->auth_header || !req->user)
            code = mk_schema_required_fault("AuthenticationHeader", NULL, msg, sizeof msg);
        else
            code = mk_schema_required_fault(soap->tag, soap->type, msg, sizeof msg);
        mk_fault(soap, code, "%s", msg);
    } else if (!(err == SOAP_FAULT && req && req->fault_code)) {
        int code = mk_fault_code_for_soap_error(err);
        soap_set_fault(soap);
        const char *what = *soap_faultstring(soap) ? *soap_faultstring(soap) : NULL;
        char detail[256];
        /* Both quote the request: cut at a character, never inside one. */
        const char *tag = soap->tag[0] ? soap->tag : "(empty body)";
        if (!what)
            what = "malformed SOAP message";
        if (err == SOAP_NO_METHOD)
            snprintf(detail, sizeof detail, "Unsupported Operation: %.*s is not a mktows operation",
                     (int)mk_fault_utf8_prefix(tag, 200), tag);
        else if (code == MK_ERR_NOT_UNDERSTOOD)
            snprintf(detail, sizeof detail, "Request Not Understood: %.*s",
                     (int)mk_fault_utf8_prefix(what, 200), what);
        else
            snprintf(detail, sizeof detail, "Internal Error");
        /* Parse state is gone; the fault is built fresh. */
        soap->error = SOAP_OK;
        mk_fault(soap, code, "%s", detail);
        if (req)
            req->fault_code = code;
    }
    soap->header = NULL;
    mk_buf_truncate(&e->out, 0);  /* an answer that ran out of memory stays failed */
    mk_engine_response_namespaces(soap);
    /* A handler may have asked for xsi:nil on its response; a fault is
     * serialised with gSOAP's own struct, whose unused SOAP 1.2 members
     * must stay absent, not nil.  Cleared here, when the fault is sent,
     * rather than when it is raised: a handler that takes a fault back
     * (a lookup REST answered "not found") still answers with nil. */
    soap_clr_omode(soap, SOAP_XML_NIL);
    soap_send_fault(soap);
    return e->out.len ? 0 : -1;
}

/* The operation a request names, for the access log and statistics when it
 * is refused before its handler runs: "paramsGetLead" -> the table's
 * "getLead" (a stable string), or NULL. */
static const char *operation_of(mk_engine *e, struct soap *soap, const struct mk_request *req)
{
    if (!e->hooks || !e->hooks->operation || strncmp(soap->tag, "ns1:params", 10) != 0 ||
        !soap->tag[10])
        return NULL;
    char name[64];
    snprintf(name, sizeof name, "%s", soap->tag + 10);
    if (name[0] >= 'A' && name[0] <= 'Z')
        name[0] = (char)(name[0] - 'A' + 'a');
    return e->hooks->operation(req, name);
}

/* Authenticate with the header just parsed, before the body is read. */
static int authenticate(mk_engine *e)
{
    struct soap *soap = e->soap;
    struct mk_request *req = e->req;
    if (!req || !req->config || !e->hooks || !e->hooks->authenticate)
        return SOAP_OK;  /* the handler's prologue answers */
    if (e->hooks->authenticate(soap, req) == SOAP_OK)
        return SOAP_OK;
    /* Name the operation if the body starts with one; the fault stands
     * whatever the body holds. */
    int err = soap->error;
    if (soap_peek_element(soap) == SOAP_OK)
        req->operation = operation_of(e, soap, req);
    soap->error = err;
    return err;
}

int mk_engine_serve(mk_engine *e, struct mk_request *req, const char *body, size_t len,
                    struct mk_engine_result *res)
{
    struct soap *soap = e->soap;
    struct mk_xml_limits deflim;
    const struct mk_xml_limits *lim = &deflim;
    const char *canon;
    size_t canon_len;
    int rc = 0, gate;

    if (req && req->config)
        lim = &req->config->xml_limits;
    else
        mk_xml_limits_default(&deflim);
    char why[256];
    prepare(e, req, body, len);
    soap->maxlevel = lim->max_depth;
    gate = mk_xml_normalise(e->gate, body, len, lim, &canon, &canon_len, why, sizeof why);
    if (gate >= 0) {
        e->in = canon;
        e->in_len = canon_len;
    }
    if (gate == -2) {
        mk_fault(soap, MK_ERR_INTERNAL, "Internal Error: out of memory");
        rc = send_fault(e);
    } else if (gate < 0) {
        mk_fault(soap, MK_ERR_NOT_UNDERSTOOD, "Request Not Understood: malformed XML: %s", why);
        rc = send_fault(e);
    } else if (soap_begin_serve(soap) != SOAP_OK) {
        rc = send_fault(e);
    } else if (soap->version == 0) {
        mk_fault(soap, MK_ERR_NOT_UNDERSTOOD, "Request Not Understood: no SOAP Envelope");
        rc = send_fault(e);
    } else if (authenticate(e) != SOAP_OK) {
        rc = send_fault(e);
    } else if (gate == 1) {
        mk_fault(soap, MK_ERR_NOT_UNDERSTOOD, "Request Not Understood: %s", why);
        rc = send_fault(e);
    } else if (soap_serve_request(soap) != SOAP_OK && soap->error && soap->error < SOAP_STOP) {
        rc = send_fault(e);
    }
    /* gSOAP has read the canonical request: a large one's buffers go. */
    mk_xml_gate_trim(e->gate);
    rc = finish(e, rc, res);
    return rc;
}

int mk_engine_fault(mk_engine *e, struct mk_request *req, int code,
                    struct mk_engine_result *res, const char *fmt, ...)
{
    va_list ap;
    struct mk_request local;
    if (!req) {
        memset(&local, 0, sizeof local);
        req = &local;
    }
    prepare(e, req, "", 0);
    va_start(ap, fmt);
    mk_vfault(e->soap, code, fmt, ap);
    va_end(ap);
    if (req)
        req->fault_code = code;
    return finish(e, send_fault(e), res);
}
