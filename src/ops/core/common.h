/*
 * common.h — what every operation handler shares: the services a request
 * can reach (REST client, mapping tables, field catalogue), REST calls that
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
#include "rest/rest.h"

struct mk_mapping;
struct mk_objcache;
struct mk_actsvc;
struct mk_namecache;
struct mk_importstore;

/* Long-lived services shared by all requests (owned by the server). */
typedef struct mk_services {
    mk_rest_client *rest;
    const struct mk_mapping *mapping;
    mk_fields_cache *fields;
    const char *fspi_field;   /* REST custom field holding ForeignSysPersonId, or NULL */
    const cJSON *workspaces;  /* {"<workspace>": "<partition>"} or NULL */
    struct mk_coalescer *coalesce; /* lead sync/get requests sharing REST calls (coalesce.h) */
    struct mk_opstats *opstats;    /* per-operation REST cost for operators (opstats.h) */
    struct mk_objcache *objects; /* REST metadata of the object operations (objcache.h) */
    struct mk_actsvc *acts;      /* activity and asset operations: aliases, caches (actsvc.h) */
    struct mk_namecache *names;     /* list/campaign name -> id, with a TTL (namecache.h) */
    struct mk_importstore *imports; /* importToList batch per (program, list) (importstore.h) */
    struct mk_redis *redis;         /* shared with the other replicas, or NULL (cluster/redis.h) */
} mk_services;

/* The services of the request being served on soap. */
mk_services *mk_ops_services(struct soap *soap);

/* A request's batchSize as Marketo took it: absent (NULL) -> dflt; above
 * max -> max (the documentation's "System limits to <max> or batchSize,
 * whichever is less"); below 1 -> fault 20110 naming the value (it was
 * accepted silently before).  Returns SOAP_OK with *out set, or the fault. */
int mk_ops_batch_size(struct soap *soap, const int *batch_size, int dflt, int max, int *out);

/* The request's REST credentials and deadline, ready for mk_rest_call. */
mk_rest_cred mk_ops_cred(const struct mk_request *r);
int64_t mk_ops_deadline_ms(const struct mk_request *r);

/* Make a REST call for the current request.  On success returns SOAP_OK
 * with the answer in *res.  On failure raises the Marketo fault that the
 * failure maps to (mapping/errors.json), with `what` ("getLead: get leads
 * by email") and REST's own code and message in the detail, and returns
 * SOAP_FAULT.  *res must be freed either way. */
int mk_ops_rest(struct soap *soap, const mk_rest_req *rr, mk_rest_result *res,
                const char *what);

/* A page send for the pager (pager.h) through mk_ops_rest_in: ctx is an
 * mk_ops_send; a failure raises the request's fault and returns SOAP_FAULT. */
typedef struct mk_ops_send {
    struct soap *soap;
    const char *context;   /* errors.json context, NULL: none */
    const char *what;      /* "getMultipleLeads: get leads by list" */
} mk_ops_send;
int mk_ops_send_page(void *ctx, const mk_rest_req *rr, mk_rest_result *res);

/* Raise the fault for a REST failure that the caller already has. */
int mk_ops_rest_fault(struct soap *soap, mk_rest_status st, const mk_rest_result *res,
                      const char *what);

/* The same two, with an errors.json context ("mobject", "customobject",
 * "program", "list", ...) that picks the context's fault code where the
 * table has one (e.g. 1011 on an object filter is 20110, not 20102). */
int mk_ops_rest_in(struct soap *soap, const char *context, const mk_rest_req *rr,
                   mk_rest_result *res, const char *what);
int mk_ops_rest_fault_in(struct soap *soap, const char *context, mk_rest_status st,
                         const mk_rest_result *res, const char *what);

/* Turn the fault just raised for a failed REST call into one that also
 * says `done` of `total` items (unit: "leads", "members") had already been
 * written, so the client learns the change was partial.  The code stays
 * the one mapping/errors.json gave the failure.  res may be NULL. */
int mk_ops_partial_fault(struct soap *soap, const mk_rest_result *res, const char *what,
                         long long done, long long total, const char *unit);

/* The Marketo fault code that a REST error code stands for (0 if none is
 * known).  Record-level reasons (1xxx) use the same table. */
int mk_ops_fault_for_rest_code(struct soap *soap, int rest_code);

/* SOAP lead key type (e.g. "EMAIL") → REST filterType ("email").  NULL when
 * REST cannot serve it; *why then says why (for fault 20102). */
const char *mk_ops_lead_filter(struct soap *soap, const char *key_type, const char **why);

/* Acquire the field catalogue for this request (released by
 * mk_ops_release_fields, which handlers call before returning). */
const mk_fields *mk_ops_fields(struct soap *soap);
void mk_ops_release_fields(const mk_fields *f);

/* Query leads by one filter type.  values: up to 300 values.  fields: CSV
 * of REST names (NULL: REST's defaults).  Follows nextPageToken up to
 * max_results leads.  On success *leads is a new JSON array (caller
 * frees).  On failure the fault is raised and SOAP_FAULT returned. */
int mk_ops_get_leads(struct soap *soap, const char *filter_type, const char *const *values,
                     int nvalues, const char *fields, int max_results, cJSON **leads,
                     const char *what);

/* The one lead a SOAP key (type name, value) names, with the REST fields
 * of `fields` (CSV, "id" among them): *lead is a new JSON object (caller
 * frees) that has an integer id.  Faults: 20101 empty, 20102 unsupported
 * type or bad value, 20103 not found, and 20110 when several leads match a
 * key that must name one lead. */
int mk_ops_find_lead(struct soap *soap, const char *key_type, const char *value,
                     const char *fields, cJSON **lead, const char *what);

/* Resolve a SOAP key to exactly one lead id (mk_ops_find_lead's faults). */
int mk_ops_resolve_lead(struct soap *soap, const char *key_type, const char *value,
                        int64_t *id, const char *what);

/* The lead partition for writes: the MktowsContextHeader's workspace mapped
 * through the `workspaces` configuration, else the SOAP user's partition
 * (NULL: REST's default).  An unmapped workspace other than "Default" is
 * fault 20110. */
int mk_ops_partition(struct soap *soap, const char **partition);

/* Take back the fault the last REST helper raised, for a failure the
 * handler can answer anyway (a lookup REST answered "not found", a call
 * about to be retried).  The request no longer counts as faulted. */
void mk_ops_clear_fault(struct soap *soap);

/* The scope of this request's name → id cache entries (namecache.h): the
 * REST client id, and the program for names unique only inside one
 * (NULL: none).  In the soap arena; "" when out of memory. */
const char *mk_ops_name_scope(struct soap *soap, const char *program);

/* The SOAP user's encryption key (stream positions are sealed with it). */
const char *mk_ops_user_key(struct soap *soap);

/* A REST scalar as SOAP text, in the soap arena: strings as they are,
 * integers with every digit (never through a double), other numbers in the
 * shortest form that reads back to the same double, booleans
 * "true"/"false".  NULL for null, objects and arrays. */
char *mk_ops_value_text(struct soap *soap, const cJSON *v);

/* Comma-join strings (malloc'd). */
char *mk_ops_join(const char *const *v, int n, char sep);

#endif
