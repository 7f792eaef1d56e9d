/*
 * actcommon.h — what getLeadActivity (leadactivity.c) and getLeadChanges
 * (leadchanges.c) share.
 *
 * Activity types: SOAP names them by WSDL token (activityFilter) or by
 * display name (getLeadChanges' activityNameFilter); REST by the ids of
 * GET /rest/v1/activities/types.json, cached for a TTL (actsvc.h).  A token
 * that is not a WSDL ActivityType value, or names no type of the instance,
 * is fault 20107 (Marketo's "Activity Key Bad").  REST takes at most 10 type
 * ids per call, so a filter of more types reads several REST streams.
 * Campaign names come from GET /rest/v1/campaigns/{id}.json, cached.
 *
 * Paging: StreamPosition/offset is a sealed stream position (streampos.h)
 * holding everything needed to resume, bound to the SOAP user and to a
 * fingerprint of the request's filters and selector; a re-sent position
 * whose request differs, or whose dates differ from those it was issued
 * for, is fault 20122.  REST gives no counts, so remainingCount is a lower
 * bound: the records already seen beyond this page, at least 1 while more
 * may exist, 0 at the end — a flag, as Marketo's own documentation asked
 * clients to treat it.
 *
 * The walk: both operations read REST pages under one per-SOAP-call budget
 * (activities.max_rest_calls) and the request's deadline; the pages
 * themselves are read by the shared pager (ops/core/pager.h).
 */
#ifndef MK_OPS_ACTCOMMON_H
#define MK_OPS_ACTCOMMON_H

#include <stdbool.h>
#include <stdint.h>
#include <time.h>
#include <cjson/cJSON.h>

#include "ops/activities/acttypes.h"
#include "ops/core/actsvc.h"
#include "ops/core/common.h"

#define MK_ACT_REST_PAGE MK_REST_BATCH_MAX /* activity pages; constant, so a page re-reads the same */
#define MK_ACT_REST_TYPE_IDS 10            /* activityTypeIds per REST call */
#define MK_ACT_REST_LEAD_IDS 30            /* leadIds per REST call */

/* The activity services of the request (NULL when not started). */
mk_actsvc *mk_act_svc(mk_op *op);

bool mk_act_blank(const char *s);

/* xs:dateTime text of t (UTC), in the soap arena. */
char *mk_act_iso(struct soap *soap, time_t t);

/* A date of startPosition or a selector: absent/empty → *set false; not a
 * date → fault 20110 naming `what`. */
int mk_act_opt_date(struct soap *soap, const char *what, const char *s, time_t *t, bool *set);

/* ---- the fingerprint a stream position belongs to (FNV-1a) ---- */

typedef struct mk_act_fp {
    uint64_t h;
} mk_act_fp;

#define MK_ACT_FP_INIT {14695981039346656037ULL}

void mk_act_fp_add(mk_act_fp *f, const char *s);
void mk_act_fp_text(const mk_act_fp *f, char out[17]);
void mk_act_fp_filter(mk_act_fp *f, const struct ns1__ActivityTypeFilter *flt,
                      const struct ns1__ArrayOfString *names);

/* ---- REST calls with a per-SOAP-call budget ---- */

typedef struct mk_act_walk {
    mk_op *op;
    int calls;
    int max_calls;
    bool resumed;      /* tokens came from a stream position */
    bool have;         /* the page holds a record already */
} mk_act_walk;

/* May a new unit of work (a slice, a page) start?  The first always may;
 * then the call budget only cuts a page that holds a record, and 2 s of
 * the request's deadline are kept for building the answer. */
bool mk_act_walk_may_start(const mk_act_walk *w);

/* A page send for the pager (pager.h) that counts against the walk's
 * budget; a paging token Marketo no longer accepts, when it came from the
 * client's stream position, is fault 20122. */
typedef struct mk_act_walk_send_ctx {
    mk_act_walk *w;
    const char *what;
} mk_act_walk_send_ctx;
int mk_act_walk_send(void *ctx, const mk_rest_req *rr, mk_rest_result *res);

/* A paging token at `since` (GET activities/pagingtoken.json), malloc'd. */
int mk_act_paging_token(mk_act_walk *w, time_t since, char **token, const char *what);

/* ---- activity types ---- */

/* The instance's activity types: cached, else GET activities/types.json.
 * `op` names the operation in faults. */
int mk_act_load_types(mk_op *op, mk_acttypes **out, const char *op_name);

/* The REST type ids a request selects (ascending, in the soap arena).
 * includeTypes and excludeTypes are WSDL tokens; names (getLeadChanges)
 * display names.  Blank entries mean "no filter", as Marketo documented. */
int mk_act_select_types(mk_op *op, const mk_acttypes *t,
                        const struct ns1__ActivityTypeFilter *flt,
                        const struct ns1__ArrayOfString *names, int64_t **ids, int *nids);

/* Comma lists of at most `per` ids each (in the soap arena); NULL when out
 * of memory. */
char **mk_act_id_groups(struct soap *soap, const int64_t *ids, int n, int per, int *ngroups);

/* {"<id>": name | null} for every campaignId in list (cached, else one REST
 * call per campaign; a campaign REST no longer knows is null). */
int mk_act_campaign_names(mk_op *op, const cJSON *list, cJSON **out, const char *op_name);

/* ---- stream positions ---- */

/* Open a position: sealed by this user, of this kind ("gla", "glc") and
 * fingerprint; else fault 20122. */
int mk_act_decode_position(mk_op *op, const char *offset, const char *kind,
                           const char *fingerprint, cJSON **state);

/* A date re-sent with an offset must be the one the offset was issued for. */
int mk_act_same_date(struct soap *soap, const cJSON *state, const char *member, bool set,
                     time_t t, const char *what);

/* Seal state as a position (soap arena); NULL on failure. */
char *mk_act_encode_position(mk_op *op, const cJSON *state);

struct ns1__StreamPosition *mk_act_stream_position(struct soap *soap, const char *latest,
                                                   const char *oldest, const char *activity,
                                                   const char *offset);

#endif
