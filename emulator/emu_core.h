/*
 * emu_core.h — what the core of marketo-emulator shares between its own
 * files (main, server, router, auth, limits, stats, store, seed, the lead
 * and activity handlers) and endpoint handlers need not see.
 *
 * Kept apart from emu.h so the contract with the endpoint families stays
 * small: they see requests, responses, the store and activity logging; the
 * configuration, counters, token store and lead indexes live here.
 */
#ifndef EMU_CORE_H
#define EMU_CORE_H

#include "emu.h"

#include <stdatomic.h>

/* ---- configuration (main.c) ------------------------------------------------ */

typedef struct emu_config {
    char host[256];
    int port;
    const char *client_id;
    const char *client_secret;
    const char *seed_path;
    int token_ttl;           /* seconds */
    int rate_n, rate_secs;   /* rate_n 0 → no rate limit */
    int concurrency;         /* 0 → unlimited */
    long daily_quota;        /* 0 → unlimited */
    long synthetic_leads;    /* extra generated leads appended to the seed */
    int threads;             /* libmicrohttpd thread pool size */
} emu_config;

extern emu_config emu_cfg;

/* ---- server (server.c) ----------------------------------------------------- */

int emu_server_start(int *bound_port);   /* 0 or -1 (message on stderr) */
void emu_server_stop(void);

/* ---- routes (router.c) ----------------------------------------------------- */

/* Look up method+path.  Returns the route index (>= 0) and fills the
 * captures; -1 if no route has this path (610), -2 if the path exists with
 * other methods only (605).  Captures point into `buf` (a copy of path). */
int emu_route_find(const char *method, const char *path, char *buf,
                   size_t bufsz, const char *captures[EMU_MAX_CAPTURES],
                   int *ncaptures);
const emu_route *emu_route_at(int idx);
int emu_route_count(void);
int emu_routes_init(void);               /* merges the family tables */
void emu_routes_print(void);              /* --list-routes */

/* ---- identity and tokens (auth.c) ------------------------------------------ */

typedef enum { EMU_TOKEN_OK, EMU_TOKEN_UNKNOWN, EMU_TOKEN_EXPIRED } emu_token_state;

/* Identity endpoint; fills a raw JSON response (HTTP 200 or 401). */
void emu_identity(const emu_req *req, emu_resp *resp);
emu_token_state emu_token_check(const char *token);
void emu_tokens_expire_all(void);
void emu_tokens_clear(void);

/* ---- limits (limits.c) ----------------------------------------------------- */

/* Record one call counted against the limits.  Returns NULL when it may
 * proceed, else the error code ("607", "606") and fills msg. */
const char *emu_limits_admit(char *msg, size_t msgsz);
/* In-flight accounting: enter returns the new in-flight count. */
int emu_inflight_enter(void);
void emu_inflight_leave(void);
void emu_limits_reset(void);

/* ---- stats and faults (stats.c) -------------------------------------------- */

void emu_stats_init(int nroutes);
void emu_stats_route(int route_idx);      /* -1: unknown path */
void emu_stats_reject(const char *code);  /* response-level error / HTTP error */
void emu_stats_inflight(int now_in_flight);
void emu_stats_counted(void);
void emu_stats_reset(void);
void emu_stats_free(void);

typedef struct emu_faults {
    int latency_ms;
    double error_share;
    char error_code[16];     /* "606" … or "502"/"500" for HTTP statuses */
    double drop_share;
} emu_faults;

void emu_faults_get(emu_faults *out);
void emu_faults_clear(void);
double emu_random01(void);

void emu_admin_stats(const emu_req *req, emu_resp *resp);
void emu_admin_reset(const emu_req *req, emu_resp *resp);
void emu_admin_faults(const emu_req *req, emu_resp *resp);

/* ---- store internals (store.c) --------------------------------------------- */

void emu_store_init(void);
void emu_store_free(void);
/* Replace the whole store with a copy of `seed` (caller holds write lock). */
int emu_store_load(const cJSON *seed, char *err, size_t errsz);

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


/* ---- seed (seed.c) ------------------------------------------------------------ */

/* Read the seed file and append synthetic leads; kept for reset. */
int emu_seed_init(char *err, size_t errsz);
const cJSON *emu_seed(void);
void emu_seed_free(void);

/* ---- helpers shared by the core ------------------------------------------------- */

/* A raw JSON answer (identity, /_emulator/…): `body` (taken) printed as is
 * with HTTP `status`, outside the Marketo envelope. */
void emu_resp_json(emu_resp *resp, int status, cJSON *body);

#endif
