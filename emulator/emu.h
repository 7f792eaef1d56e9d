/*
 * emu.h — marketo-emulator's layers, and the contract of its endpoint
 * families.
 *
 * marketo-emulator is a stand-in for the Marketo REST API (identity, lead
 * database, asset and bulk APIs) that every test, the demo and the
 * benchmarks of mktows-shim run against.  It is a separate program, kept
 * outside the library's src/.  Its files form four layers; a file includes
 * only headers of its own layer or of a lower one, and the includes between
 * modules (x.c with its x.h) form no cycle, within a layer either
 * (tests/emulator/test_emu_layers.py reads this table and checks both):
 *
 *   top       main.c      command line, start/stop
 *             server.c    libmicrohttpd front end: Marketo's cross-cutting
 *                         rules (414/413, Bearer 601/602, 605/610, limits
 *                         606/607/615, injected faults, 612/609), then the
 *                         route's handler or the admin endpoints
 *             admin.c     /_emulator/stats, /reset, /faults: read and reset
 *                         everything below
 *             router.c    the route table: every family's routes merged
 *   families  emu.h       this contract: routes, cross-family hooks
 *             h_family.c  the handlers' toolkit (h_family.h)
 *             h_*.c       one file per REST family: leads, activities,
 *                         lists, campaigns, objects (+ h_objects.h, the
 *                         object engine custom objects share),
 *                         customobjects, bulk, assets
 *             auth.c      the identity endpoint and the token store
 *   state     store.c     the data under one lock (store.h)
 *             seed.c      the seed file and synthetic leads
 *             limits.c    rate window, daily quota, calls in flight
 *             stats.c     counters; faults.c  injected faults
 *   base      http.c      emu_req/emu_resp, parameters, the envelope
 *             buf.c       the growable text buffer
 *             clock.c     time and ISO-8601 dates
 *             config.h    the settings main.c fills
 *
 * Within a layer, uses go one way: main → server → admin → router;
 * h_*.c and auth.c → h_family → emu.h; seed → store; limits → stats.  The
 * base files include nothing of the emulator's outside the base.
 *
 * Handlers never see HTTP: they get an emu_req (method, path captures,
 * parameters, body) and fill an emu_resp (http.h); the server wraps the
 * result in the Marketo envelope {requestId, success, result|errors,
 * warnings, moreResult, nextPageToken}.  Records live in the store
 * (store.h), which says how to lock it.
 */
#ifndef EMU_H
#define EMU_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <cjson/cJSON.h>

#include "clock.h"
#include "http.h"
#include "store.h"

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

#endif
