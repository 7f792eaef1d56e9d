/*
 * fields.h — the lead field catalogue: SOAP attribute name ↔ REST field name.
 *
 * SOAP clients name lead attributes the SOAP way ("FirstName", "LeadScore");
 * REST names them the REST way ("firstName", "leadScore").  The only REST
 * source of both names is GET /rest/v1/leads/describe.json (each field has a
 * rest{name} and, where the field exists in SOAP, a soap{name}).  The
 * catalogue holds one immutable snapshot of that answer:
 *
 *   - fetched on first use, then kept for a TTL;
 *   - once stale, the next reader starts a refresh in a background thread
 *     and keeps using the stale snapshot, so no SOAP call waits on describe;
 *   - if describe cannot be fetched and there is no snapshot yet, the
 *     fallback table (mapping/fields.json, the standard fields) is used and
 *     the fetch is retried on a later call.
 *
 * Snapshots are reference counted: a handler takes one with
 * mk_fields_acquire(), uses it for the whole request, and releases it.
 */
#ifndef MK_FIELDS_H
#define MK_FIELDS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "rest/rest.h"

typedef struct mk_field {
    char *rest;          /* REST API name, e.g. "firstName" */
    char *soap;          /* SOAP name, e.g. "FirstName"; NULL if not a SOAP field */
    char *type;          /* dataType as REST reports it: string, integer, email... */
    char *display;       /* display name, e.g. "First Name" (import headers) */
    bool rest_readonly;
    bool soap_readonly;
} mk_field;

typedef struct mk_fields mk_fields;           /* one snapshot */
typedef struct mk_fields_cache mk_fields_cache;

/* Create a cache.  `fallback`/`nfallback` are copied: the entries used
 * when describe is unavailable.  ttl_seconds 0 means one day (Marketo's
 * advice for describe results). */
int mk_fields_cache_new(mk_rest_client *rest, const mk_field *fallback, size_t nfallback,
                        int ttl_seconds, mk_fields_cache **out);
/* Wait for a running refresh, free everything. */
void mk_fields_cache_free(mk_fields_cache *c);

/* A snapshot to use for one request (never NULL after success).  `cred` is
 * used to fetch describe when needed; deadline_ms bounds a synchronous fetch.
 * *from_fallback tells whether it is the fallback table.  Returns 0. */
int mk_fields_acquire(mk_fields_cache *c, const mk_rest_cred *cred, int64_t deadline_ms,
                      const mk_fields **out);
void mk_fields_release(const mk_fields *f);

/* Mark the snapshot stale: the next acquire starts a background refresh
 * (and still gets the current snapshot). */
void mk_fields_invalidate(mk_fields_cache *c);

/* Fetch describe now and install it, for a caller that knows the snapshot
 * is wrong (REST answered 1006 "field not found" for a field it names).
 * Snapshots already acquired stay valid.  Returns 0, or -1 if describe
 * could not be read (the old snapshot stays). */
int mk_fields_refresh(mk_fields_cache *c, const mk_rest_cred *cred, int64_t deadline_ms);

/* Lookups on a snapshot.  SOAP names match exactly first, then ignoring
 * case (legacy clients are not consistent about "Firstname"). */
const mk_field *mk_fields_by_soap(const mk_fields *f, const char *soap_name);
const mk_field *mk_fields_by_rest(const mk_fields *f, const char *rest_name);
const mk_field *mk_fields_by_display(const mk_fields *f, const char *display_name);

/* Comma-separated REST names of every field that has a SOAP name: the
 * `fields` parameter that makes REST return what SOAP getLead returned.
 * Owned by the snapshot. */
const char *mk_fields_all_soap_csv(const mk_fields *f);
bool mk_fields_is_fallback(const mk_fields *f);
size_t mk_fields_count(const mk_fields *f);

/* Build a snapshot from a describe.json "result" array (exposed for tests).
 * Returns NULL on malformed input. */
struct cJSON;
mk_fields *mk_fields_from_describe(const struct cJSON *result);
mk_fields *mk_fields_from_table(const mk_field *fields, size_t n);

#endif
