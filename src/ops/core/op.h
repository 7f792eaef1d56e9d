/*
 * op.h — the explicit per-request context every operation handler receives,
 * and the one prologue that makes it.
 *
 * The gSOAP service functions __ns1__<op> are generated at build time
 * (cmake/operations.cmake, from mapping/operations.json checked against the
 * WSDL) into the build tree's mk_dispatch.c; each one is
 *
 *   int __ns1__getLead(struct soap *soap, struct ns1__ParamsGetLead *in,
 *                      struct ns1__SuccessGetLead *out)
 *   {
 *       mk_op op;
 *       if (mk_op_begin(soap, &mk_op_entries[0], in, &op) != SOAP_OK)
 *           return soap->error;                 // fault already set
 *       soap_set_omode(soap, SOAP_XML_NIL);     // the entry's "response_nil"
 *       return mk_op_get_lead(&op, in, out);   // the entry's "handler"
 *   }
 *
 * so a handler starts with everything checked and its context in hand:
 *
 *   int mk_op_get_lead(mk_op *op, struct ns1__ParamsGetLead *in,
 *                      struct ns1__SuccessGetLead *out)
 *   {
 *       ... fill *out from REST (op->svc, op->cred, op->deadline_ms),
 *           allocating in the soap arena (op->soap) ...
 *       return SOAP_OK;                          // or return mk_fault(op->soap, ...)
 *   }
 *
 * The handlers' prototypes are generated too (mk_handlers.h), so a handler
 * with the wrong signature fails to compile and a missing one to link.
 */
#ifndef MK_OPS_OP_H
#define MK_OPS_OP_H

#include <stdint.h>
#include <cjson/cJSON.h>

#include "base/request.h"
#include "rest/rest.h"
#include "soap/fault.h"

struct soap;
struct mk_ops_failure;

struct mk_mapping;
struct mk_fields_cache;
struct mk_objcache;
struct mk_actsvc;
struct mk_namecache;
struct mk_importstore;

/* Long-lived services shared by all requests (owned by the server, made by
 * services.h); a request reaches them as op->svc. */
typedef struct mk_services {
    mk_rest_client *rest;
    const struct mk_mapping *mapping;
    struct mk_fields_cache *fields;
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

/* One row of the generated operation table (mk_op_entries[], mk_handlers.h):
 * what mapping/operations.json says of the operation at build time. */
typedef struct mk_operation {
    const char *name;            /* "getLead" */
    const char *family;          /* "leads" */
    const char *handler;         /* "mk_op_get_lead" */
    const char *params_element;  /* "paramsGetLead": named by the nil fault */
    int implemented;             /* 0: no handler, answered 20019 */
    int response_nil;            /* absent nillable members answered as xsi:nil */
} mk_operation;

/* The context of one request, made by mk_op_begin() and passed down as an
 * argument: nothing below a handler fishes it back out of soap. */
typedef struct mk_op {
    struct soap *soap;              /* gSOAP context: faults, the response arena */
    struct mk_request *req;         /* transport, user, REST cost of the request */
    mk_services *svc;               /* REST client, mapping tables, caches */
    mk_rest_cred cred;              /* the user's own or the shared REST service */
    mk_rest_caller caller;          /* the SOAP user and weight its REST calls wait as */
    int64_t deadline_ms;            /* REST calls must end before (mk_rest_now_ms clock) */
    const mk_operation *entry;      /* this operation's row of the table */
    struct mk_ops_failure *hold;    /* failures decided, not raised (common.h), or NULL */
} mk_op;

/* Authenticate req (its AuthenticationHeader against soap_users, the
 * timestamp window) and fill the user part of it.  The engine calls it once
 * the SOAP Header is parsed and before the body is, so that a bad signature
 * is answered 20014 / 20016 whatever the body holds.  Returns SOAP_OK, or
 * SOAP_FAULT with the fault set on soap. */
int mk_op_authenticate(struct soap *soap, struct mk_request *req);

/* The operation table's name for an operation element's local name (its
 * "params" prefix removed, first letter lowered: "getLead"), or NULL when
 * the table has none.  The engine names a refused request with it. */
const char *mk_op_name(const struct mk_request *req, const char *name);

/* The prologue of every operation (called by the generated __ns1__<op>):
 * name the request, authenticate it unless the engine already has, answer
 * a nil operation element (params NULL: xsi:nil="true") with the fault a
 * missing required child would get (schema.h), check that the loaded
 * operation table serves the operation (else 20019), and fill *op.
 * Everything below the operation element was checked against the WSDL's
 * minOccurs / nillable by the strict parser (engine.c), so a handler may
 * rely on every required member being set.  Returns SOAP_OK with *op
 * filled, or SOAP_FAULT with the fault already set on soap. */
int mk_op_begin(struct soap *soap, const mk_operation *entry, const void *params, mk_op *op);

#endif
