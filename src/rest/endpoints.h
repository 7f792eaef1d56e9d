/*
 * endpoints.h — the catalogue of the Marketo REST endpoints the shim calls.
 *
 * One row per endpoint (method + path template) holds every fact the code
 * needs about it: whether a retry may replay it, the largest batch it takes,
 * how its results are paged and where the records are.  Handlers name an
 * endpoint (mk_rest_req.ep = MK_EP_LEADS_QUERY) instead of writing a method
 * and a path, so changing how one REST call is made is one row here.
 * mapping/operations.json lists, per SOAP operation, the same method + path
 * pairs; tests/unit/test_endpoints.c checks that both name the same set.
 * Facts come from ../shared/reference/rest (rest-api.md "Limits", "Paging";
 * the swagger-*.json files).
 */
#ifndef MK_REST_ENDPOINTS_H
#define MK_REST_ENDPOINTS_H

#include <stddef.h>

#include "rest/rest.h"

#ifdef __cplusplus
extern "C" {
#endif

/* How an endpoint's answers are paged. */
typedef enum mk_rest_paging {
    MK_PAGING_NONE = 0,   /* one answer */
    MK_PAGING_TOKEN,      /* nextPageToken (and moreResult where REST sends it) */
    MK_PAGING_OFFSET      /* Asset API: offset + maxReturn; a short page is the last */
} mk_rest_paging;

/* One endpoint.  path is the template as Marketo documents it and as
 * mapping/operations.json writes it ("/rest/v1/lists/{listId}/leads.json");
 * it is also the key of the client's per-endpoint statistics. */
typedef struct mk_rest_endpoint {
    mk_rest_ep id;
    mk_rest_method method;
    const char *path;
    mk_rest_idempotency idempotent; /* what a retry may do when the outcome is unknown;
                                       a call may still say otherwise (Sync Leads is
                                       safe to repeat except createOnly/createDuplicate) */
    int batch_max;                  /* records per write, filter values per query or
                                       records per page, whichever the endpoint takes;
                                       0: no batch */
    mk_rest_paging paging;
    const char *records;            /* member holding the records ("result"), NULL: none */
    int query_in_body;              /* a GET query Marketo documents POST ?_method=GET
                                       for: sent so from MK_REST_BODY_QUERY_URI (url.h) */
} mk_rest_endpoint;

/* The row of ep; NULL for MK_EP_NONE or a value out of range. */
const mk_rest_endpoint *mk_rest_endpoint_get(mk_rest_ep ep);

/* The row with this method and path template, NULL if none. */
const mk_rest_endpoint *mk_rest_endpoint_find(mk_rest_method method, const char *path);

/* Every row, in mk_rest_ep order (*n rows; the first is MK_EP_NONE + 1). */
const mk_rest_endpoint *mk_rest_endpoint_all(size_t *n);

/* "GET", "POST", "DELETE". */
const char *mk_rest_method_name(mk_rest_method m);

/* The path of ep with its one {placeholder} replaced by arg (e.g. a list
 * id); an endpoint without a placeholder ignores arg.  Returns 0, or -1
 * when buf is too small, arg is missing or ep unknown. */
int mk_rest_endpoint_path(mk_rest_ep ep, const char *arg, char *buf, size_t n);

/* The request as it will be sent: with in->ep set, method, path template,
 * idempotency (when in->idempotent is AUTO) and path (when in->path is
 * NULL and the template has no placeholder) come from the catalogue.
 * Without ep, *out = *in.  MK_REST_ERR_INVALID when ep is unknown or the
 * template needs a path the request does not give. */
mk_rest_status mk_rest_req_resolve(const mk_rest_req *in, mk_rest_req *out);

#ifdef __cplusplus
}
#endif

#endif /* MK_REST_ENDPOINTS_H */
