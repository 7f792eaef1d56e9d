/*
 * objects.h — what the MObject and custom object operations share
 * (mobjects.c, customobjects.c): REST metadata read through the TTL cache,
 * REST JSON values turned into SOAP text, stream positions that know which
 * request they belong to, and the grouping of records into REST write
 * batches.
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

#include "rest/rest.h"

struct soap;

/* SOAP pages of getMObjects / getCustomObjects hold at most 100 records;
 * REST writes and queries take at most 300. */
#define MK_OBJ_SOAP_PAGE_MAX 100
#define MK_OBJ_REST_BATCH_MAX 300

/* ---- metadata ------------------------------------------------------------ */

/* The "result" array of a REST metadata GET (a describe, the list of
 * custom object types), from the cache (objcache.h) when fresh, else from
 * REST (then cached).  cache_key names the document; the REST client id is
 * added to it.  On success *result is a new array the caller frees.  On
 * failure the fault is raised (errors.json context `context`) and
 * SOAP_FAULT returned. */
int mk_obj_metadata(struct soap *soap, const char *cache_key, const mk_rest_req *rr,
                    const char *context, const char *what, cJSON **result);

/* Forget a cached metadata document (REST said it no longer holds). */
void mk_obj_metadata_drop(struct soap *soap, const char *cache_key);

/* Age in ms of the cached document (-1 when none). */
long long mk_obj_metadata_age(struct soap *soap, const char *cache_key);

/* ---- values -------------------------------------------------------------- */

/* A REST scalar as SOAP text in the soap arena: strings as they are,
 * integers with every digit (json.h), other numbers in the shortest form
 * that reads back to the same double, booleans "true"/"false".  NULL for
 * null, objects and arrays. */
char *mk_obj_text(struct soap *soap, const cJSON *v);

/* An xs:dateTime from a REST date: Asset API dates end in "Z+0000", which
 * is not a valid xs:dateTime, and become "...Z".  Other values pass
 * unchanged (arena copy); NULL stays NULL. */
char *mk_obj_datetime(struct soap *soap, const char *rest_date);

/* Case-insensitive equality of two SOAP/REST values as text. */
bool mk_obj_text_equal(const char *a, const char *b);

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
int mk_obj_pos_decode(struct soap *soap, const char *pos, const char *kind, const char *digest,
                      cJSON **state);

/* The position for `state` (kind and digest are added; "end": true marks
 * the last page), in the soap arena.  Takes ownership of state.  NULL after
 * raising fault 10001. */
char *mk_obj_pos_encode(struct soap *soap, cJSON *state, const char *kind, const char *digest);

/* ---- write batches ----------------------------------------------------------- */

/* Assign records to REST write calls: records of one call share `group`
 * (e.g. action + dedupeBy), never repeat a `key` (REST would skip the
 * second as a duplicate, 1036, where SOAP applied both in order) and number
 * at most MK_OBJ_REST_BATCH_MAX.  Records with group NULL are not sent
 * (batch[i] = -1).  Fills batch[i] and slot[i] (position inside the call)
 * and returns the number of calls.  Calls keep the records' order. */
int mk_obj_batches(int n, const char *const *group, const char *const *key, int *batch,
                   int *slot);

#endif
