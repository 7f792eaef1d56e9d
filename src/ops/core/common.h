/*
 * common.h — what every operation handler shares: REST calls made for the
 * request in an mk_op (op.h: its services, credential and deadline) that
 * turn their failures into the right Marketo fault, and lead key handling.
 *
 * Handlers read top-down as "validate the SOAP request, make the REST
 * calls, build the SOAP answer"; everything that would repeat between
 * operations lives here.
 */
#ifndef MK_OPS_COMMON_H
#define MK_OPS_COMMON_H

#include <stdbool.h>
#include <stdint.h>
#include <cjson/cJSON.h>

#include "soapH.h"
#include "base/request.h"
#include "ops/core/fields.h"
#include "ops/core/op.h"
#include "rest/rest.h"


/* A request's batchSize as Marketo took it: absent (NULL) -> dflt; above
 * max -> max (the documentation's "System limits to <max> or batchSize,
 * whichever is less"); below 1 -> fault 20110 naming the value (it was
 * accepted silently before).  Returns SOAP_OK with *out set, or the fault. */
int mk_ops_batch_size(struct soap *soap, const int *batch_size, int dflt, int max, int *out);

/* ---- decide-then-fault ------------------------------------------------------
 * A handler raises its fault once.  Where it can still answer after a
 * failure (a lookup REST answered "not found", a stale cached id to look up
 * again, a call to retry, a batch loop that must say how much was already
 * written), it holds failures instead: while op->hold is set, the REST
 * helpers below and mk_ops_fail() write the failure they decided into it
 * and return SOAP_FAULT without raising anything; the handler looks at it
 * and raises it (mk_ops_raise, mk_ops_partial_fault) or answers anyway.
 * Nothing is raised and then taken back. */
typedef struct mk_ops_failure {
    int code;                  /* Marketo fault code; 0 while nothing failed */
    char text[1024];           /* the fault's text, as mk_fault would write it */
    int rest_code;             /* REST's error code of the last failed call (0: none) */
    char rest_message[256];    /* what REST said then, "" when nothing */
} mk_ops_failure;

/* Fail with code and text: raised at once, or written to op->hold. */
int mk_ops_fail(mk_op *op, int code, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* mk_ops_fail in place of the failure held in *after (a REST "not found"
 * answered as the Marketo fault for it): an outer hold keeps what REST
 * said in it. */
int mk_ops_fail_after(mk_op *op, const mk_ops_failure *after, int code, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

/* Hold failures in *f (cleared) until mk_ops_unhold(op, <the result>);
 * holds nest. */
mk_ops_failure *mk_ops_hold(mk_op *op, mk_ops_failure *f);
void mk_ops_unhold(mk_op *op, mk_ops_failure *outer);

/* Raise the failure held in *f (or pass it to an outer hold).  When f holds
 * nothing, what failed raised its own fault already.  Returns SOAP_FAULT. */
int mk_ops_raise(mk_op *op, const mk_ops_failure *f);

/* Make a REST call for the request.  On success returns SOAP_OK with the
 * answer in *res.  On failure raises the Marketo fault that the failure
 * maps to (mapping/errors.json), with `what` ("getLead: get leads by
 * email") and REST's own code and message in the detail (or, while
 * op->hold is set, holds it there), and returns SOAP_FAULT.  *res must be
 * freed either way. */
int mk_ops_rest(mk_op *op, const mk_rest_req *rr, mk_rest_result *res,
                const char *what);

/* A page send for the pager (pager.h) through mk_ops_rest_in: ctx is an
 * mk_ops_send; a failure raises the request's fault (or holds it) and
 * returns SOAP_FAULT. */
typedef struct mk_ops_send {
    mk_op *op;
    const char *context;   /* errors.json context, NULL: none */
    const char *what;      /* "getMultipleLeads: get leads by list" */
} mk_ops_send;
int mk_ops_send_page(void *ctx, const mk_rest_req *rr, mk_rest_result *res);

/* Raise (or hold) the fault for a REST failure that the caller already has. */
int mk_ops_rest_fault(mk_op *op, mk_rest_status st, const mk_rest_result *res,
                      const char *what);

/* mk_ops_rest_in with the failure decided into *fail, not raised: returns
 * SOAP_OK, or SOAP_FAULT with fail->code and text set (REST's own code in
 * fail->rest_code) for the caller to raise (mk_ops_raise) or answer
 * anyway. */
int mk_ops_rest_try(mk_op *op, const char *context, const mk_rest_req *rr,
                    mk_rest_result *res, const char *what, mk_ops_failure *fail);

/* The same two, with an errors.json context ("mobject", "customobject",
 * "program", "list", ...) that picks the context's fault code where the
 * table has one (e.g. 1011 on an object filter is 20110, not 20102). */
int mk_ops_rest_in(mk_op *op, const char *context, const mk_rest_req *rr,
                   mk_rest_result *res, const char *what);
int mk_ops_rest_fault_in(mk_op *op, const char *context, mk_rest_status st,
                         const mk_rest_result *res, const char *what);

/* Fail with the held failure f, saying also that `done` of `total` items
 * (unit: "leads", "members") had already been written, so the client
 * learns the change was partial.  The code stays the one f was given
 * (mapping/errors.json's for a REST failure). */
int mk_ops_partial_fault(mk_op *op, const mk_ops_failure *f, const char *what,
                         long long done, long long total, const char *unit);

/* The Marketo fault code that a REST error code stands for (0 if none is
 * known).  Record-level reasons (1xxx) use the same table. */
int mk_ops_fault_for_rest_code(mk_op *op, int rest_code);

/* SOAP lead key type (e.g. "EMAIL") → REST filterType ("email").  NULL when
 * REST cannot serve it; *why then says why (for fault 20102). */
const char *mk_ops_lead_filter(mk_op *op, const char *key_type, const char **why);

/* Acquire the field catalogue for this request (released by
 * mk_ops_release_fields, which handlers call before returning). */
const mk_fields *mk_ops_fields(mk_op *op);
void mk_ops_release_fields(const mk_fields *f);

/* Query leads by one filter type.  values: up to 300 values.  fields: CSV
 * of REST names (NULL: REST's defaults).  Follows nextPageToken up to
 * max_results leads.  On success *leads is a new JSON array (caller
 * frees).  On failure the fault is raised and SOAP_FAULT returned. */
int mk_ops_get_leads(mk_op *op, const char *filter_type, const char *const *values,
                     int nvalues, const char *fields, int max_results, cJSON **leads,
                     const char *what);

/* The one lead a SOAP key (type name, value) names, with the REST fields
 * of `fields` (CSV, "id" among them): *lead is a new JSON object (caller
 * frees) that has an integer id.  Faults: 20101 empty, 20102 unsupported
 * type or bad value, 20103 not found, and 20110 when several leads match a
 * key that must name one lead. */
int mk_ops_find_lead(mk_op *op, const char *key_type, const char *value,
                     const char *fields, cJSON **lead, const char *what);

/* Resolve a SOAP key to exactly one lead id (mk_ops_find_lead's faults). */
int mk_ops_resolve_lead(mk_op *op, const char *key_type, const char *value,
                        int64_t *id, const char *what);

/* The lead partition for writes: the MktowsContextHeader's workspace mapped
 * through the `workspaces` configuration, else the SOAP user's partition
 * (NULL: REST's default).  An unmapped workspace other than "Default" is
 * fault 20110. */
int mk_ops_partition(mk_op *op, const char **partition);

/* The scope of this request's name → id cache entries (namecache.h): the
 * REST client id, and the program for names unique only inside one
 * (NULL: none).  In the soap arena; "" when out of memory. */
const char *mk_ops_name_scope(mk_op *op, const char *program);

/* The SOAP user's encryption key (stream positions are sealed with it). */
const char *mk_ops_user_key(mk_op *op);

/* A REST scalar as SOAP text, in the soap arena: strings as they are,
 * integers with every digit (never through a double), other numbers in the
 * shortest form that reads back to the same double, booleans
 * "true"/"false".  NULL for null, objects and arrays. */
char *mk_ops_value_text(struct soap *soap, const cJSON *v);

/* Comma-join strings (malloc'd). */
char *mk_ops_join(const char *const *v, int n, char sep);

#endif
