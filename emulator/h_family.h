/*
 * h_family.h — the toolkit every endpoint family uses (h_leads.c,
 * h_activities.c, h_lists.c, h_campaigns.c, h_objects.c, h_customobjects.c,
 * h_bulk.c, h_assets.c): reading what a client sent, paging, and writing the
 * answer.
 *
 * It exists so that all endpoints parse ids, comma lists, batch sizes, paging
 * tokens and JSON bodies the same way and answer malformed input with the
 * same documented codes and messages.  Only fam_view_by_* take the store's
 * lock (the read lock, for their own short look-up); everything else leaves
 * locking to the caller.
 *
 * Every function that can reject a request fills the emu_resp with the error
 * (emu_fail) and returns false or NULL; the handler then simply returns.
 */
#ifndef EMU_H_FAMILY_H
#define EMU_H_FAMILY_H

#include "emu.h"

/* Lead-database pages: default and maximum batchSize (rest-api.md §c); also
 * the most records or filter values one call may carry. */
#define FAM_MAX_BATCH 300
/* Asset API pages: maxReturn default 20, max 200. */
#define FAM_ASSET_DEFAULT_RETURN 20
#define FAM_ASSET_MAX_RETURN 200
/* The warning string Asset API calls return instead of an empty result. */
#define FAM_ASSET_EMPTY_WARNING "No assets found for the given search criteria."

/* Largest id the store can hold exactly (ids are JSON numbers: doubles). */
#define FAM_MAX_ID 9007199254740992LL

/* ---- values ----------------------------------------------------------------- */

/* Decimal integer: optional sign, digits, surrounding white space allowed
 * (" 5", "+5", as Marketo's Java parsing accepts); false on anything else or
 * overflow. */
bool fam_parse_i64(const char *s, int64_t *out);

/* Integer value of a number, or of a string of digits as some clients send
 * ids; false otherwise (and beyond 2^53, where doubles stop being exact). */
bool fam_value_i64(const cJSON *v, int64_t *out);

/* Integer member of a record (number, or a string of digits as some clients
 * send ids); false if absent or not an integer. */
bool fam_get_i64(const cJSON *obj, const char *name, int64_t *out);

/* Case-sensitive string member, NULL if absent or not a string. */
const char *fam_get_str(const cJSON *obj, const char *name);

/* Text form of a scalar (string, number as an exact integer when it is one,
 * bool) so keys compare the same whether a client sent 7 or "7".  False for
 * anything else, or when the text does not fit in `buf`. */
bool fam_scalar_text(const cJSON *v, char *buf, size_t n);

/* The same without copying strings, so that a value of any length compares
 * whole: a string's own text, or a number's or boolean's text in `buf`;
 * NULL for anything else. */
#define FAM_SCALAR_BUF 32
const char *fam_scalar_str(const cJSON *v, char buf[FAM_SCALAR_BUF]);

/* Does `s` parse as an ISO-8601 date-time (emu_parse_iso)?  Stores the UTC
 * epoch seconds. */
bool fam_parse_time(const char *s, int64_t *epoch);

/* ---- comma-separated values -------------------------------------------------- */

/* The trimmed, non-empty items of a comma-separated value: v[0..n) point
 * into buf, a private copy.  NULL input → no items. */
typedef struct {
    char *buf;
    char **v;
    int n;
} fam_strlist;

void fam_strlist_split(fam_strlist *l, const char *csv);
void fam_strlist_free(fam_strlist *l);

/* The same items as a new array of strings. */
cJSON *fam_split(const char *csv);

/* True if `arr` (array of strings) holds `s`; case-insensitive when asked,
 * as Marketo matches names case-insensitively in most filters. */
bool fam_list_has(const cJSON *arr, const char *s, bool nocase);

/* ---- request parameters ------------------------------------------------------- */

/* A parameter that must be given: NULL, after 701 "<name> cannot be
 * blank", when it is absent or empty. */
const char *fam_param_required(const emu_req *r, emu_resp *resp, const char *name);

/* The integer in the route's first capture ({listId}, {id}, {batchId}…);
 * 1001 otherwise. */
bool fam_capture_i64(const emu_req *r, emu_resp *resp, int64_t *id);

/* Parameter `name` as a list of integers, repeated or comma-separated: a new
 * array in *ids (caller frees; NULL when absent) and its length.  1001 for a
 * non-integer, 1003 for more than `max` (0: no limit). */
bool fam_param_ids(const emu_req *r, emu_resp *resp, const char *name, int max,
                   int64_t **ids, int *n);

/* Boolean parameter: absent → false, "true"/"false" in any case; 1001
 * otherwise. */
bool fam_param_bool(const emu_req *r, emu_resp *resp, const char *name, bool *out);

/* The Asset API's folder={"id":…,"type":…} parameter: *folder is the parsed
 * object (caller frees; NULL when absent) and *id its id; 1003 otherwise. */
bool fam_param_folder(const emu_req *r, emu_resp *resp, cJSON **folder, int64_t *id);

/* The Asset API's earliestUpdatedAt/latestUpdatedAt window (704 for a date
 * that does not parse); a record passes when its updatedAt lies within. */
typedef struct {
    bool has_earliest, has_latest;
    int64_t earliest, latest;  /* epoch seconds */
} fam_updated;

bool fam_param_updated(const emu_req *r, emu_resp *resp, fam_updated *w);
bool fam_updated_within(const fam_updated *w, const cJSON *rec);

/* Lead ids of a list operation: query/form `id` (repeated or comma-joined)
 * or the JSON body's input[{id}].  At least one (701), at most `max` (1003),
 * all integers (1001).  Returns a new array of numbers in request order, or
 * NULL after failing the response. */
cJSON *fam_lead_ids(const emu_req *r, emu_resp *resp, int max);

/* The filters Get Lists and Get Campaigns share: id, name, programName and
 * workspaceName, each repeated or comma-separated (1001 for a non-integer
 * id); names match case-insensitively, and a filter given empty matches
 * nothing. */
typedef struct {
    bool by_id;
    int64_t *ids;
    int nids;
    cJSON *names, *programs, *workspaces; /* NULL: not given */
} fam_filter;

bool fam_filter_parse(const emu_req *r, emu_resp *resp, fam_filter *f);
bool fam_filter_match(const fam_filter *f, const cJSON *rec);
void fam_filter_free(fam_filter *f);

/* ---- paging --------------------------------------------------------------------- */

/* batchSize parameter (query/form, or the JSON body's "batchSize" when
 * `body` is given): default and maximum FAM_MAX_BATCH. */
bool fam_batch_size(const emu_req *r, const cJSON *body, emu_resp *resp, int *out);

/* nextPageToken (query/form or JSON body) → offset, 0 when absent. */
bool fam_page_offset(const emu_req *r, const cJSON *body, emu_resp *resp, int64_t *offset);

/* A write carrying n records: 1003 beyond FAM_MAX_BATCH. */
bool fam_batch_within(emu_resp *resp, int n);

/* Asset API paging: maxReturn (1..200, default 20) and offset (>= 0). */
bool fam_asset_paging(const emu_req *r, emu_resp *resp, int *max_return, int64_t *offset);

/* One page of the records a handler visits in order.  For each record that
 * matches: fam_page_skip says it lies before the page (pass over it), then
 * fam_page_add counts it onto the page, or says the page is full (setting
 * `more`; stop there).  Any offset a token carries is safe: nothing is added
 * to it, and `pos` is where the next page starts.
 *
 *     if (!matches(r) || fam_page_skip(&pg))
 *         continue;
 *     if (!fam_page_add(&pg))
 *         break;
 *     …add r's view…
 */
typedef struct {
    int64_t offset;          /* matching records to pass over */
    int64_t pos;             /* matching records passed over or added */
    int limit, n;            /* page size, records added */
    bool more;               /* a matching record was left for the next page */
} fam_page;

fam_page fam_page_start(int64_t offset, int limit);
bool fam_page_skip(fam_page *pg);
bool fam_page_add(fam_page *pg);

/* Fill nextPageToken (when `more`) and moreResult (when the endpoint
 * documents it, `with_more`) for a page that stopped at `next_offset`. */
void fam_set_page(emu_resp *resp, int64_t next_offset, bool more, bool with_more);

/* ---- bodies ------------------------------------------------------------------------ */

/* The JSON body of a POST, which must be an object.  Otherwise fails with
 * 609 (malformed JSON, or not an object), 612 (wrong Content-Type) or 701
 * (empty). */
const cJSON *fam_json_body(const emu_req *r, emu_resp *resp);

/* ---- answers ------------------------------------------------------------------------- */

/* The view of the record of `collection` whose integer "id" is `id`, or
 * whose string `member` equals `name` (case-insensitively); NULL when there
 * is none.  Takes the read lock for the look-up. */
cJSON *fam_view_by_id(const char *collection, int64_t id, cJSON *(*view)(const cJSON *));
cJSON *fam_view_by_name(const char *collection, const char *member, const char *name,
                        cJSON *(*view)(const cJSON *));

/* Answer [view], or 1013 "Object not found" when view is NULL. */
void fam_answer_record(emu_resp *resp, cJSON *view);

/* Asset API answers: `items` (a new array, taken), or when it is empty the
 * "nothing found" answer — success, no result, FAM_ASSET_EMPTY_WARNING.
 * fam_asset_record does the same for one view (NULL: nothing found). */
void fam_asset_answer(emu_resp *resp, cJSON *items);
void fam_asset_record(emu_resp *resp, cJSON *view);
void fam_asset_empty(emu_resp *resp);

/* Append a record-level outcome to `result` (which may be NULL: the item is
 * only returned): {key: value, status} for fam_status, and
 * {key: value, status:"skipped", reasons:[{code, message}]} for fam_skip.
 * key "id" for leads and list operations, "seq" for lead-database objects;
 * NULL for none. */
cJSON *fam_status(cJSON *result, const char *key, int64_t value, const char *status);
cJSON *fam_skip(cJSON *result, const char *key, int64_t value, const char *code,
                const char *message);

/* One activity attribute {name, value} (value taken). */
cJSON *fam_attr(const char *name, cJSON *value);

/* ---- records ------------------------------------------------------------------------ */

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

/* A new random marketoGUID (lower-case UUID v4 text) into out[37]. */
void fam_new_guid(char out[37]);

/* ---- static lists (h_lists.c) ------------------------------------------------------- */

/* Add a lead to a static list as Add to List does (logs activity 24 unless
 * the lead already is a member); bulk import uses it.  Caller holds the
 * write lock and has checked that list and lead exist.  Returns true when
 * the lead is a member afterwards. */
bool fam_list_add_member(int64_t list_id, int64_t lead_id);
/* Does the static list exist?  (Caller holds the lock.) */
bool fam_list_exists(int64_t list_id);

#endif
