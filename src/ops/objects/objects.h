/*
 * objects.h — what the MObject and custom object operations share
 * (mobjects.c, programs.c, customobjects.c): REST metadata read through
 * the TTL cache, REST JSON values turned into SOAP text, stream positions
 * that know which request they belong to, and the grouping of records into
 * REST write batches.
 *
 * Both families translate SOAP records (name/value lists) into REST
 * lead-database records (flat JSON objects with a marketoGUID, dedupe
 * fields and searchable fields) and back; the rules that do not depend on
 * the family live here so that both answer alike.
 */
#ifndef MK_OPS_OBJECTS_H
#define MK_OPS_OBJECTS_H

#include <stdbool.h>
#include <stddef.h>
#include <cjson/cJSON.h>

#include "ops/core/op.h"
#include "rest/rest.h"

struct soap;

/* SOAP pages of getMObjects / getCustomObjects hold at most 100 records;
 * REST writes and queries take at most 300. */
#define MK_OBJ_SOAP_PAGE_MAX 100
#define MK_OBJ_REST_BATCH_MAX MK_REST_BATCH_MAX

/* ---- metadata ------------------------------------------------------------ */

/* The "result" array of a REST metadata GET (a describe, the list of
 * custom object types), from the cache (objcache.h) when fresh, else from
 * REST (then cached).  cache_key names the document; the REST client id is
 * added to it.  On success *result is a new array the caller frees.  On
 * failure the fault is raised (errors.json context `context`) and
 * SOAP_FAULT returned. */
int mk_obj_metadata(mk_op *op, const char *cache_key, const mk_rest_req *rr,
                    const char *context, const char *what, cJSON **result);

/* Forget a cached metadata document (REST said it no longer holds). */
void mk_obj_metadata_drop(mk_op *op, const char *cache_key);

/* Age in ms of the cached document (-1 when none). */
long long mk_obj_metadata_age(mk_op *op, const char *cache_key);

/* ---- values -------------------------------------------------------------- */

/* An xs:dateTime from a REST date: Asset API dates end in "Z+0000", which
 * is not a valid xs:dateTime, and become "...Z".  Other values pass
 * unchanged (arena copy); NULL stays NULL. */
char *mk_obj_datetime(struct soap *soap, const char *rest_date);

/* v as an xs:int member (pointer in the gSOAP arena); NULL when out of
 * memory. */
int *mk_obj_int_ptr(struct soap *soap, int v);

/* Case-insensitive equality of two SOAP/REST values as text. */
bool mk_obj_text_equal(const char *a, const char *b);

/* Is name one of the strings of arr (ignoring case, as SOAP names match)? */
bool mk_obj_in_list(const cJSON *arr, const char *name);

/* Does a describe's searchableFields ([[f], [a, b], ...]) let REST filter
 * by field alone? */
bool mk_obj_is_searchable(const cJSON *searchable, const char *field);

/* The REST value of SOAP text for a field of REST dataType `type`
 * (mk_value_to_rest, values.h: the forms legacy clients write become JSON
 * types, anything else goes as sent for REST to judge per record). */
cJSON *mk_obj_rest_value(const char *type, const char *value);

/* "1013 - Object not found" from a REST record that was skipped (its first
 * reasons[] entry), in the soap arena; *code (if not NULL) receives the
 * reason's code, 0 when none. */
char *mk_obj_reason(struct soap *soap, const cJSON *item, int *code);

/* ---- queries ----------------------------------------------------------------- */

/* One page of a lead-database object query (opportunities, roles, custom
 * objects) on the query endpoint ep (its GET catalogue row; path: the
 * concrete path when the template has an {apiName}, else NULL):
 *   - key with one member {field: value}: GET ?filterType=field
 *     &filterValues=value (a value with a comma is fault 20110: REST's
 *     filter values cannot carry one);
 *   - a compound key (every dedupe field): POST ?_method=GET with
 *     {"filterType": "dedupeFields", "input": [key], ...}, Marketo's
 *     documented form.  It is sent as POST on the same path template, which
 *     is the catalogue's row for that method + path (the sync row, as
 *     mapping/operations.json names it); so its rule holds: not replayed
 *     after an unclear failure, as before rows existed.
 * fields: the REST field names to return; batch: page size; token: the
 * nextPageToken of the page to read (NULL: the first).  On success
 * *records is the page (caller frees) and *next the token of the next page
 * in the soap arena, NULL when this is the last.  On failure the fault is
 * raised (errors.json context `context`), *rest_code is REST's error code
 * (0 if none) and SOAP_FAULT returned. */
int mk_obj_query(mk_op *op, mk_rest_ep ep, const char *path, const cJSON *key,
                 const cJSON *fields, int batch, const char *token, const char *context,
                 const char *what, cJSON **records, char **next, int *rest_code);

/* ---- stream positions ------------------------------------------------------ */

/* 16 hex digits identifying a request's selection (FNV-1a 64 of `text`):
 * a stream position records it, so that a position sent back with another
 * selection is refused (20122) instead of paging through the wrong data. */
void mk_obj_digest(const char *text, char out[17]);

/* Decode streamPosition for the operation `kind` ("mobj", "prog", "co")
 * and selection `digest`.  Faults: 20122 when the position is not one this
 * service issued to this user, or belongs to another operation or
 * selection; 20123 when it marks the end of the stream.  On success
 * *state is the state object (caller frees). */
int mk_obj_pos_decode(mk_op *op, const char *pos, const char *kind, const char *digest,
                      cJSON **state);

/* The position for `state` (kind and digest are added; "end": true marks
 * the last page), in the soap arena.  Takes ownership of state.  NULL after
 * raising fault 10001. */
char *mk_obj_pos_encode(mk_op *op, cJSON *state, const char *kind, const char *digest);

/* ---- write batches ----------------------------------------------------------- */

/* Assign records to REST write calls: records of one call share `group`
 * (e.g. action + dedupeBy), never repeat a `key` (REST would skip the
 * second as a duplicate, 1036, where SOAP applied both in order) and number
 * at most MK_OBJ_REST_BATCH_MAX.  Records with group NULL are not sent
 * (batch[i] = -1).  Fills batch[i] and slot[i] (position inside the call)
 * and returns the number of calls.  Calls keep the records' order. */
int mk_obj_batches(int n, const char *const *group, const char *const *key, int *batch,
                   int *slot);

/* One record of a REST write (sync or delete) of a lead-database object. */
typedef struct mk_obj_write {
    cJSON *rec;                 /* REST record; owned until sent, then NULL */
    const char *group;          /* records of one REST call share it; NULL: not sent */
    const char *key;            /* key value(s): a repeated key waits for a later call */
    const char *action;         /* the call's "action" (NULL: none, as for deletes) */
    const char *by;             /* the call's dedupeBy / deleteBy */
    mk_rest_ep ep;              /* the call's endpoint (catalogue row) ... */
    const char *path;           /* ... and its concrete path when the template has
                                   an {apiName}; NULL otherwise */
    const char *error;          /* why the record is not sent (FAILED), or NULL */
} mk_obj_write;

/* REST's answer for record i: its "result" entry, NULL when REST sent none. */
typedef void (*mk_obj_write_fn)(mk_op *op, void *ctx, int i, const cJSON *item);

/* Send w[0..n) in as few REST calls as mk_obj_batches allows, in SOAP
 * order: each a POST to the first record's path of {"action": action (when
 * set), by_member: by, "input": [records]}.  fn is called for every record
 * sent.  A failed call raises its fault (errors.json context `context`);
 * when earlier calls had written records, the fault says how many of the
 * call's records were written (mk_ops_partial_fault).  *written (if not
 * NULL) counts the records of successful calls, across calls to this
 * function; *first_error (if not NULL) receives REST's error code when the
 * first call failed, before anything was written (0 otherwise). */
int mk_obj_write_all(mk_op *op, mk_obj_write *w, int n, const char *by_member,
                     const char *context, const char *what, mk_obj_write_fn fn, void *ctx,
                     int *written, int *first_error);

#endif
