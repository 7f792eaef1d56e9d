/*
 * store.h — the emulator's data (store.c): every collection of the seed as
 * cJSON, exactly as REST returns it (REST field names), the lead indexes and
 * field definitions, the activity log, id counters and paging tokens.
 * Lower middle layer: the families and the admin endpoints build on it; it
 * knows nothing of requests.
 *
 * One readers/writer lock guards all of it: handlers take emu_store_rdlock()
 * for reads and emu_store_wrlock() for writes, and never keep a pointer into
 * the store after unlocking (copy with cJSON_Duplicate).  Writes log
 * activities through emu_activity_add() while holding the write lock, so
 * activity queries see every write.
 */
#ifndef EMU_STORE_H
#define EMU_STORE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <cjson/cJSON.h>

/* ---- the store ----------------------------------------------------------- */

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

/* ---- loading --------------------------------------------------------------- */

void emu_store_init(void);
void emu_store_free(void);
/* Replace the whole store with a copy of `seed` (caller holds write lock). */
int emu_store_load(const cJSON *seed, char *err, size_t errsz);

/* ---- leads ------------------------------------------------------------------ */

/* Lead field definitions (from seed "leadFields"). */
typedef struct emu_field {
    int id;
    const char *name;        /* REST name */
    const char *display;
    const char *type;        /* string, email, integer, float, boolean, date, datetime, … */
    int length;              /* 0 → none */
    bool rest_ro;
    const char *soap;        /* NULL → not exposed to SOAP */
    bool soap_ro;
    bool searchable;         /* valid filterType / lookupField */
    bool custom;
    bool crm_managed;
} emu_field;

const emu_field *emu_field_find(const char *name);   /* case-insensitive */
int emu_field_count(void);
const emu_field *emu_field_at(int i);

/* Leads by email (case-insensitive); returns count, fills up to max. */
int emu_leads_by_email(const char *email, cJSON **out, int max);
void emu_lead_index_add(cJSON *lead);
void emu_lead_index_remove(cJSON *lead);
/* Unlink (and free) a lead from the store. */
void emu_lead_remove(cJSON *lead);
int64_t emu_lead_id(const cJSON *lead);

/* Partitions: id by name (case-insensitive), 0 if unknown. */
int64_t emu_partition_id(const char *name);

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

/* Activities: append-only log ordered by id (= by date). */
typedef struct emu_activity {
    int64_t id;
    int64_t lead_id;
    int type;
    int64_t at_ms;           /* activityDate as epoch ms */
    cJSON *json;             /* REST representation, id as raw number */
} emu_activity;

size_t emu_activity_count(void);
const emu_activity *emu_activity_at(size_t i);
/* Index of the first activity with id >= `id` (count if none). */
size_t emu_activity_lower_bound(int64_t id);
/* Index of the first activity dated at or after `ms`. */
size_t emu_activity_since(int64_t ms);
int64_t emu_activity_next_id(void);
/* Seed activities: like emu_activity_add but with a given date. */
void emu_activity_add_at(int64_t lead_id, int type_id, int64_t primary_value_id,
                         const char *primary_value, int64_t campaign_id,
                         cJSON *attributes, cJSON *fields, int64_t at_ms);

/* Activity paging tokens (date-based in Marketo; here "next activity id"). */
char *emu_activity_token_encode(int64_t next_id);
bool emu_activity_token_decode(const char *tok, int64_t *next_id);

/* ---- paging tokens -------------------------------------------------------- */

/* Position-based paging token: encodes an offset; opaque to clients
 * (base32 text like Marketo's).  Decoding rejects activity tokens. */
char *emu_page_token_encode(int64_t offset);           /* malloc'd */
bool emu_page_token_decode(const char *tok, int64_t *offset);

#endif
