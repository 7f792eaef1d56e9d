/*
 * emu.h — the internal contract of marketo-emulator.
 *
 * marketo-emulator is a stand-in for the Marketo REST API (identity, lead
 * database, asset and bulk APIs) that every test, the demo and the
 * benchmarks of mktows-shim run against.  It is split like this:
 *
 *   main.c        command line, signals, start/stop
 *   server.c      libmicrohttpd front end: reads the request, applies the
 *                 cross-cutting Marketo rules (Bearer auth 601/602, rate
 *                 limit 606, concurrency 615, daily quota 607, 414/413,
 *                 _method=GET, fault injection), routes to a handler,
 *                 writes the JSON envelope
 *   router.c      the route table: one static table of
 *                 {method, path pattern, handler, counted}
 *   auth.c        /identity/oauth/token and the token store
 *   limits.c      sliding-window rate limit, in-flight counter, daily quota
 *   stats.c       /_emulator/stats, /_emulator/reset, /_emulator/faults
 *   store.c       the data: one lock for the whole store (see below)
 *   seed.c        loads the seed JSON into the store; synthetic leads
 *   emu_core.h    what the core files share and handlers need not see
 *   h_*.c         endpoint handlers, one file per REST family:
 *                 h_leads.c h_activities.c h_lists.c h_campaigns.c
 *                 h_objects.c (opportunities, roles, and the object engine
 *                 custom objects share, h_objects.h) h_customobjects.c
 *                 h_bulk.c h_assets.c
 *   h_family.c    the handlers' toolkit (h_family.h): parameters, paging,
 *                 bodies and answers, the same for every endpoint
 *
 * Handlers never see HTTP: they get an emu_req (method, path captures,
 * parameters, body) and fill an emu_resp.  The server wraps the result in
 * the Marketo envelope {requestId, success, result|errors, warnings,
 * moreResult, nextPageToken}.
 *
 * The store holds every record as a cJSON object, exactly as REST returns it
 * (REST field names), under one readers/writer lock: handlers take
 * emu_store_rdlock() for reads and emu_store_wrlock() for writes, and never
 * keep a pointer into the store after unlocking (copy with
 * cJSON_Duplicate).  Writes log activities through emu_activity_add() while
 * holding the write lock, so activity queries see every write.
 */
#ifndef EMU_H
#define EMU_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <cjson/cJSON.h>

/* ---- requests and responses -------------------------------------------- */

#define EMU_MAX_CAPTURES 4

typedef struct emu_req {
    const char *method;      /* after the _method override: GET, POST, DELETE */
    const char *path;        /* without the query string */
    const char *captures[EMU_MAX_CAPTURES]; /* {param} segments of the route, in order */
    int ncaptures;
    const char *body;        /* raw body (NUL-terminated), may be NULL */
    size_t body_len;
    const char *content_type;/* Content-Type header, may be NULL */
    cJSON *json;             /* parsed body when Content-Type is JSON, else NULL */
    void *impl;              /* server-private: parameter lookup */
} emu_req;

/* A query or form parameter (form bodies of POST ?_method=GET included).
 * Returns NULL when absent.  For repeated parameters (id=1&id=2) this is the
 * first one; emu_param_list() joins all of them with commas, which is how
 * Marketo treats both forms. */
const char *emu_param(const emu_req *r, const char *name);
/* Comma-joined values of a parameter that may be repeated or comma-separated;
 * returned string is owned by the request (freed with it).  NULL if absent. */
const char *emu_param_list(const emu_req *r, const char *name);

typedef enum {
    EMU_BODY_ENVELOPE = 0, /* wrap result/errors into the Marketo envelope */
    EMU_BODY_RAW           /* send raw/raw_type as is (CSV files, identity JSON) */
} emu_body_kind;

typedef struct emu_resp {
    int http_status;         /* 200 unless set */
    emu_body_kind kind;
    cJSON *result;           /* array; owned by resp; NULL → no "result" member */
    const char *error_code;  /* response-level error ("1003", "610"...): success:false */
    char error_message[256];
    cJSON *warnings;         /* array or NULL */
    int more_result;         /* -1 absent, 0 false, 1 true */
    char *next_page_token;   /* malloc'd or NULL */
    cJSON *extra;            /* extra top-level members (e.g. batchId), object or NULL */
    char *raw;               /* EMU_BODY_RAW: malloc'd body */
    size_t raw_len;
    const char *raw_type;    /* EMU_BODY_RAW: content type */
} emu_resp;

/* Set a response-level error (success:false, errors:[{code,message}]). */
void emu_fail(emu_resp *resp, const char *code, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* The handlers' shared toolkit (parameters, paging, bodies, record-level
 * outcomes) is h_family.h. */

/* ---- routes -------------------------------------------------------------- */

typedef void (*emu_handler)(const emu_req *req, emu_resp *resp);

typedef struct emu_route {
    const char *method;      /* "GET", "POST", "DELETE" */
    const char *pattern;     /* "/rest/v1/lead/{id}.json" */
    emu_handler handler;
    bool counted;            /* counts against rate limit / quota (identity: false) */
} emu_route;

/* Each handler file exports its routes as a NULL-terminated array. */
extern const emu_route emu_routes_leads[];
extern const emu_route emu_routes_activities[];
extern const emu_route emu_routes_lists[];
extern const emu_route emu_routes_campaigns[];
extern const emu_route emu_routes_objects[];
extern const emu_route emu_routes_customobjects[];
extern const emu_route emu_routes_bulk[];
extern const emu_route emu_routes_assets[];

/* ---- the store ----------------------------------------------------------- */

typedef struct emu_store emu_store;  /* defined in store.c */

void emu_store_rdlock(void);
void emu_store_wrlock(void);
void emu_store_unlock(void);
/* The write lock when `write`, else the read lock. */
void emu_store_lock(bool write);

/* Top-level collections of the store, by name ("leads", "lists",
 * "campaigns", "programs", "channels", "tagTypes", "opportunities",
 * "opportunityRoles", "customObjectTypes", "customObjects",
 * "partitions", "listMembers", "imports", ...).  Returns the cJSON array/object
 * kept in the store (created empty on first use).  Caller holds the lock. */
cJSON *emu_store_get(const char *collection);

/* Lead lookups used across families (caller holds the lock). */
cJSON *emu_lead_by_id(int64_t id);
/* Next id for a collection ("leads", "activities", "lists"...). */
int64_t emu_next_id(const char *collection);

/* Exact int64 members: below 2^53 as numbers, beyond as raw text, never
 * through a lossy double. */
void emu_add_i64(cJSON *obj, const char *name, int64_t v);
cJSON *emu_raw_i64(int64_t v);

/* ---- time ------------------------------------------------------------------ */

/* Wall-clock time in epoch milliseconds. */
int64_t emu_now_ms(void);
/* Current time as Marketo prints it: "2026-11-28T12:13:10Z". */
void emu_now_iso(char out[32]);
/* Epoch milliseconds as Marketo prints a time (UTC, whole seconds). */
void emu_format_iso(int64_t ms, char out[32]);
/* ISO-8601 → epoch ms; accepts "T" or " " between date and time, seconds and
 * fractions optional, Z, ±hh:mm, ±hhmm, "Z+0000" (Asset API), date only. */
bool emu_parse_iso(const char *s, int64_t *ms);

/* ---- activities ---------------------------------------------------------- */

/* Activity type ids as Marketo numbers them (activities/types.json; the
 * whole table, with attributes, is in seed/default.json "activityTypes"). */
enum {
    EMU_ACT_VISIT_WEBPAGE = 1,
    EMU_ACT_FILL_OUT_FORM = 2,
    EMU_ACT_CLICK_LINK = 3,
    EMU_ACT_SEND_EMAIL = 6,
    EMU_ACT_EMAIL_DELIVERED = 7,
    EMU_ACT_OPEN_EMAIL = 10,
    EMU_ACT_CLICK_EMAIL = 11,
    EMU_ACT_NEW_LEAD = 12,
    EMU_ACT_CHANGE_DATA_VALUE = 13,
    EMU_ACT_CHANGE_SCORE = 22,
    EMU_ACT_ADD_TO_LIST = 24,
    EMU_ACT_REMOVE_FROM_LIST = 25,
    EMU_ACT_MERGE_LEADS = 32,
    EMU_ACT_ADD_TO_OPPORTUNITY = 34,
    EMU_ACT_REMOVE_FROM_OPPORTUNITY = 35,
    EMU_ACT_DELETE_LEAD = 37,
    /* Marketo's id for Request Campaign is 47 (102 is "Change Revenue Stage
     * Manually"); an earlier draft of this header had 102. */
    EMU_ACT_REQUEST_CAMPAIGN = 47,
    EMU_ACT_CHANGE_LEAD_PARTITION = 100,
    EMU_ACT_CHANGE_STATUS_IN_PROGRESSION = 104
};

/* Log one activity (caller holds the write lock).  `attributes` is an array
 * of {name,value} (ownership taken, may be NULL); `fields` likewise for
 * Change Data Value ({id,name,newValue,oldValue}).  campaign_id may be 0. */
void emu_activity_add(int64_t lead_id, int type_id, int64_t primary_value_id,
                      const char *primary_value, int64_t campaign_id,
                      cJSON *attributes, cJSON *fields);

/* ---- lead writes and hooks shared with the families ------------------- */

/* Create or update one lead with Sync Leads semantics (action "createOnly",
 * "updateOnly", "createOrUpdate" or "createDuplicate"; lookup_field NULL →
 * "email"; partition_name may be NULL).  Logs New Lead / Change Data Value,
 * keeps the indexes.  Caller holds the write lock.  Returns the result item
 * Sync Leads would return: {"id":N,"status":"created"|"updated"} or
 * {"status":"skipped","reasons":[...]}; caller owns it.  Bulk import uses
 * this so both paths behave the same. */
cJSON *emu_lead_sync_one(const cJSON *record, const char *action,
                         const char *lookup_field, const char *partition_name);

/* Hooks the lead handlers call so that list membership (h_lists.c) stays
 * consistent.  Called with the write lock held (emu_list_member_ids: at
 * least the read lock).  Every family keeps its state in the store, so
 * /_emulator/reset needs no hook of its own. */
void emu_on_lead_deleted(int64_t lead_id);
void emu_on_leads_merged(int64_t winner_id, int64_t loser_id);
/* Lead ids of a static list (for activities.json / leadchanges.json
 * ?listId=).  Returns 0 and a malloc'd array (caller frees), or -1 when the
 * list does not exist. */
int emu_list_member_ids(int64_t list_id, int64_t **ids, size_t *n);

/* ---- paging tokens -------------------------------------------------------- */

/* Position-based paging token: encodes an offset; opaque to clients
 * (base32 text like Marketo's).  Decoding rejects activity tokens. */
char *emu_page_token_encode(int64_t offset);           /* malloc'd */
bool emu_page_token_decode(const char *tok, int64_t *offset);

#endif
