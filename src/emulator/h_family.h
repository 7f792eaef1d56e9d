/*
 * h_family.h — small helpers shared by the endpoint families that are not
 * leads or activities: static lists, campaigns, opportunities and roles,
 * custom objects, bulk import and the asset API (h_lists.c, h_campaigns.c,
 * h_objects.c, h_customobjects.c, h_bulk.c, h_assets.c).
 *
 * They exist so that the six families parse ids, batch sizes, paging tokens
 * and JSON bodies the same way and answer malformed input with the same
 * documented codes.  Nothing here touches the store's lock: callers decide.
 *
 * Every function that can reject a request fills the emu_resp with the error
 * (emu_fail) and returns false; the handler then simply returns.
 */
#ifndef EMU_H_FAMILY_H
#define EMU_H_FAMILY_H

#include "emu.h"

/* Lead-database pages: default and maximum batchSize (rest-api.md §c). */
#define FAM_MAX_BATCH 300
/* Asset API pages: maxReturn default 20, max 200. */
#define FAM_ASSET_DEFAULT_RETURN 20
#define FAM_ASSET_MAX_RETURN 200
/* The warning string Asset API calls return instead of an empty result. */
#define FAM_ASSET_EMPTY_WARNING "No assets found for the given search criteria."

/* Largest id the store can hold exactly (ids are JSON numbers: doubles). */
#define FAM_MAX_ID 9007199254740992LL

/* Strict decimal integer (optional leading '-', nothing after it). */
bool fam_parse_i64(const char *s, int64_t *out);

/* Integer value of a number, or of a string of digits as some clients send
 * ids; false otherwise (and beyond 2^53, where doubles stop being exact). */
bool fam_value_i64(const cJSON *v, int64_t *out);

/* Integer member of a record (number, or a string of digits as some clients
 * send ids); false if absent or not an integer. */
bool fam_get_i64(const cJSON *obj, const char *name, int64_t *out);

/* Case-sensitive string member, NULL if absent or not a string. */
const char *fam_get_str(const cJSON *obj, const char *name);

/* batchSize parameter (query/form, or the JSON body's "batchSize" when
 * `body` is given): default and maximum FAM_MAX_BATCH. */
bool fam_batch_size(const emu_req *r, const cJSON *body, emu_resp *resp,
                    int *out);

/* nextPageToken (query/form or JSON body) → offset, 0 when absent. */
bool fam_page_offset(const emu_req *r, const cJSON *body, emu_resp *resp,
                     int64_t *offset);

/* Fill nextPageToken (when `more`) and moreResult (when the endpoint
 * documents it, `with_more`) for a page that stopped at `next_offset`. */
void fam_set_page(emu_resp *resp, int64_t next_offset, bool more, bool with_more);

/* Asset API paging: maxReturn (1..200, default 20) and offset (>= 0). */
bool fam_asset_paging(const emu_req *r, emu_resp *resp, int *max_return,
                      int64_t *offset);

/* Asset API answer for "nothing matched": success, no result, the warning. */
void fam_asset_empty(emu_resp *resp);

/* Split a comma-separated value into a new array of trimmed non-empty
 * strings (NULL input → empty array). */
cJSON *fam_split(const char *csv);

/* True if `arr` (array of strings) holds `s`; case-insensitive when asked,
 * as Marketo matches names case-insensitively in most filters. */
bool fam_list_has(const cJSON *arr, const char *s, bool nocase);

/* The JSON body of a POST, which must be an object.  Otherwise fails with
 * 612 (wrong Content-Type), 609 (malformed JSON, or not an object) or 701
 * (empty). */
const cJSON *fam_json_body(const emu_req *r, emu_resp *resp);

/* Text form of a scalar (string, number as an exact integer when it is one,
 * bool) so keys compare the same whether a client sent 7 or "7". */
bool fam_scalar_text(const cJSON *v, char *buf, size_t n);

/* Lead ids of a list operation: query/form `id` (repeated or comma-joined)
 * or the JSON body's input[{id}].  At least one (701), at most `max` (1003),
 * all integers (1001).  Returns a new array of numbers in request order, or
 * NULL after failing the response. */
cJSON *fam_lead_ids(const emu_req *r, emu_resp *resp, int max);

/* Copy of `rec` restricted to `fields` (array of names, matched
 * case-insensitively, emitted under the record's own spelling; absent ones
 * as null).  `always` (may be NULL) is emitted first in any case. */
cJSON *fam_project(const cJSON *rec, const cJSON *fields, const char *always);
/* The same, adding the members to an existing object `out`. */
void fam_project_into(cJSON *out, const cJSON *rec, const cJSON *fields,
                      const char *always);

/* Record of `arr` whose member `name` is the integer `id`. */
cJSON *fam_find_i64(const cJSON *arr, const char *name, int64_t id);
/* Record of `arr` whose string member `name` equals `s` (case-insensitive
 * when asked). */
cJSON *fam_find_str(const cJSON *arr, const char *name, const char *s,
                    bool nocase);

/* Append a record-level skip {key: value, status:"skipped", reasons:[…]}:
 * key "id" for list operations, "seq" for lead-database objects. */
cJSON *fam_skip(cJSON *result, const char *key, int64_t value, const char *code,
                const char *message);

/* A new random marketoGUID (lower-case UUID v4 text) into out[37]. */
void fam_new_guid(char out[37]);

/* Does `s` parse as an ISO-8601 date-time ("2026-11-28T12:13:10Z",
 * "…+01:00", "…+0000", with or without seconds/milliseconds)?  Stores the UTC
 * epoch seconds. */
bool fam_parse_time(const char *s, int64_t *epoch);

/* Add a lead to a static list as Add to List does (logs activity 24 unless
 * the lead already is a member).  Lives in h_lists.c; bulk import uses it.
 * Caller holds the write lock and has checked that list and lead exist.
 * Returns true when the lead is a member afterwards. */
bool fam_list_add_member(int64_t list_id, int64_t lead_id);
/* Does the static list exist?  (Caller holds the lock.) */
bool fam_list_exists(int64_t list_id);

#endif
