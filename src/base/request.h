/*
 * context.h — the per-request context every operation handler receives.
 *
 * One struct mk_request lives on a worker thread's stack for the duration of
 * one SOAP request.  The engine fills the transport part (config, version
 * from the URL, deadline, the parsed SOAP headers) before dispatch;
 * mk_op_authenticate() (ops/core/op.h), called by the engine as soon as the SOAP
 * Header is parsed, fills the user part.  Handlers
 * get it as op->req, in the mk_op the operation's prologue makes
 * (ops/core/op.h); only the engine and the prologue look it up from soap.
 *
 * Ownership: everything pointed to is owned elsewhere (config by the server,
 * header structs by the soap arena) and valid until the handler returns.
 * Anything a handler allocates for the response goes in the soap arena
 * (soap_malloc, soap_strdup, soap_new_*), never malloc.
 */
#ifndef MK_BASE_REQUEST_H
#define MK_BASE_REQUEST_H

#include <stdint.h>
#include <time.h>

struct soap;
struct mktows_config;
struct mk_soap_user;
struct mk_services;
struct ns1__AuthenticationHeaderInfo;
struct ns1__MktowsContextHeaderInfo;

struct mk_request {
    /* -- transport, set before dispatch ---------------------------------- */
    const struct mktows_config *config;
    const char *version;            /* "3_1" from /soap/mktows/3_1 */
    struct timespec deadline;       /* CLOCK_MONOTONIC; REST calls must end before */
    time_t received_at;             /* wall clock at receipt (timestamp check) */
    /* SOAP headers as parsed (NULL when absent).  They are detached from the
     * soap context so that responses never echo a header. */
    struct ns1__AuthenticationHeaderInfo *auth_header;
    struct ns1__MktowsContextHeaderInfo *context_header;  /* syncLead's targetWorkspace */

    /* -- set by authentication (mk_op_authenticate) and mk_op_begin() ---- */
    const char *operation;          /* "getLead" */
    const struct mk_soap_user *user;
    const char *user_id;
    const char *rest_client_id;     /* the user's own or the shared REST service */
    const char *rest_client_secret;
    const char *partition;          /* lead partition name, NULL for default */

    /* -- shared services, NULL until integrated --------------------------- */
    struct mk_services *services;   /* REST client, mapping tables (set by the server;
                                       ops/core/common.h) */

    /* -- result ------------------------------------------------------------ */
    int fault_code;                 /* Marketo code of the fault raised, 0 if none */

    /* -- what this request cost in REST, for the X-Mktows-Rest-Calls header
     * and the access log: the shim explains every SOAP call it serves. ---- */
    int rest_calls;                 /* REST calls made (HTTP sends, replays included) */
    char rest_trace[512];           /* "GET /rest/v1/leads.json, POST ..." (truncated with "...") */
    /* The same calls grouped by method, path template and Marketo code, for
     * the usage log (server/usagelog.h); calls past the last row are only
     * counted in rest_notes_dropped. */
    struct mk_rest_note {
        char method[8];
        char path[96];
        int count;                  /* HTTP sends */
        int calls;                  /* REST calls (a call's retries and replays are one) */
        int code;                   /* Marketo error code, 0 success, -1 not known */
    } rest_notes[12];
    int n_rest_notes, rest_notes_dropped;

    /* -- cost for GET /_shim/stats, charged by the REST helpers
     *    (ops/core/opstats.h): shared calls count 1/k to each of k requests --- */
    struct mk_request_cost {
        double rest_calls;          /* HTTP sends, shared ones divided */
        double retries;             /* backoff retries, shared the same way */
        int64_t limiter_wait_ms;    /* time waiting for the quota guard */
        int64_t batch_wait_ms;      /* time waiting for companions to share a call */
        int waited;                 /* 1: waited for the quota guard at least once */
        int shared;                 /* 1: at least one REST call was shared */
    } cost;
};

/* Record one REST call made for req (method + path template). */
void mk_request_trace(struct mk_request *req, const char *method, const char *path_template,
                      int sends);
/* The same, with the Marketo code it ended with (0: success; -1: unknown). */
void mk_request_note(struct mk_request *req, const char *method, const char *path_template,
                     int sends, int code);

/* The request this thread serves (set by the server around a request), for
 * services that make REST calls without the soap context (the field
 * catalogue's fill).  NULL outside a request. */
void mk_request_set_current(struct mk_request *req);
struct mk_request *mk_request_current(void);

/* The request being served on this soap context, or NULL outside a request. */
struct mk_request *mk_request_of(struct soap *soap);

/* Milliseconds left before req->deadline (0 if passed). */
long mk_request_ms_left(const struct mk_request *req);

#endif
