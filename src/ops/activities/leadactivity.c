/*
 * leadactivity.c — getLeadActivity: a lead's activity history, newest first
 * from a forward-only API.  What it shares with getLeadChanges (types,
 * campaigns, positions, the walk) is in actcommon.c.
 *
 * REST reads activities oldest → newest from a paging token taken at a
 * date, and never stops by itself before the present.  To answer newest
 * first without reading a lead's whole history on every call, the shim
 * walks back in time in slices: [top − w, top], then the slice before it,
 * and so on, until it holds more than batchSize records or reaches the
 * bottom of the window (oldestCreatedAt, else the lead's createdAt).  Each
 * slice is one paging-token call plus, per group of 10 types, the
 * activities.json pages from the slice's start until the first record after
 * its end (or the present, when the lead has none later).  Records are
 * sorted newest first; the page is the first batchSize; the position
 * records the date of the last one returned (and the ids already returned
 * at that same second), so the next call walks on from there.  The first
 * slice of a call always completes; once the page holds a record, no new
 * slice is started after activities.max_rest_calls calls, and then the page
 * may be short with remainingCount 1.  Until it holds one, slices go on
 * until the window's bottom or 2 s before the request's deadline: a page is
 * empty with remainingCount > 0 only then.
 *
 * The handler reads validate → plan (the walk's state, new or from the
 * position) → fetch (the slices) → build (sort, next position, records).
 */
#include <inttypes.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "ops/activities/actcommon.h"
#include "ops/activities/actrec.h"
#include "ops/core/nilfilter.h"
#include "ops/core/op.h"
#include "mk_handlers.h"
#include "ops/core/pager.h"
#include "rest/json.h"
#include "soap/fault.h"

#define ACT_BATCH_MAX 100        /* getLeadActivity: "100 or batchSize, whichever is less" */
#define EX_MAX 300               /* ids remembered at a page boundary's second */

/* ---- sorting records ------------------------------------------------------------------ */

typedef struct item {
    cJSON *json;
    time_t at;
    const char *guid;
} item;

/* Numeric ids compare by length first, then digits; anything else by text. */
static int cmp_guid(const char *a, const char *b)
{
    size_t la = strlen(a), lb = strlen(b);
    if (la != lb && strspn(a, "0123456789") == la && strspn(b, "0123456789") == lb)
        return la < lb ? -1 : 1;
    return strcmp(a, b);
}

static int cmp_newest_first(const void *x, const void *y)
{
    const item *a = x, *b = y;
    if (a->at != b->at)
        return a->at > b->at ? -1 : 1;
    return -cmp_guid(a->guid, b->guid);
}

static const char *guid_of(const cJSON *act, char buf[32])
{
    const char *g = mk_rest_json_get_string(act, "marketoGUID");
    if (g && *g)
        return g;
    if (mk_rest_json_id_text(cJSON_GetObjectItemCaseSensitive(act, "id"), buf, 32) ==
        MK_REST_JSON_OK)
        return buf;
    return "";
}

static bool in_list(const cJSON *arr, const char *s)
{
    const cJSON *e;
    cJSON_ArrayForEach(e, arr)
        if (cJSON_IsString(e) && strcmp(e->valuestring, s) == 0)
            return true;
    return false;
}

/* ---- reading one slice -------------------------------------------------------------- */

typedef struct gla {
    mk_act_walk w;
    int64_t lead;
    char **groups;
    int ngroups;
    char lead_text[24];
} gla;

/* One slice being read: [lo, hi] (hi excluded when hx; at hi exactly, the
 * ids in ex excluded), records appended to out. */
typedef struct slice {
    gla *g;
    time_t lo, hi;
    bool hx;
    const cJSON *ex;
    cJSON *out;
} slice;

/* Per page: keep the slice's records; the first one after it ends the walk. */
static int slice_page(void *ctx, mk_rest_result *res, cJSON *records, bool *stop)
{
    (void)res;
    slice *s = ctx;
    const cJSON *a;
    cJSON_ArrayForEach(a, records) {
        time_t at;
        char gb[32];
        if (mk_actrec_parse_date(mk_rest_json_get_date(a, "activityDate"), &at) != 0)
            return mk_fault(s->g->w.op->soap, MK_ERR_API_INTERNAL,
                            "getLeadActivity: Marketo returned an activity without a "
                            "readable activityDate");
        if (at > s->hi || (s->hx && at == s->hi)) {
            *stop = true;
            return SOAP_OK;
        }
        if (at < s->lo || (!s->hx && at == s->hi && in_list(s->ex, guid_of(a, gb))))
            continue;
        cJSON_AddItemToArray(s->out, cJSON_Duplicate(a, 1));
    }
    return SOAP_OK;
}

/* The lead's activities of the selected types dated in the slice, appended
 * to out: a paging token at lo, then per group of types the pages from
 * there (empty ones read past, as moreResult says) to the slice's end. */
static int read_slice(gla *g, time_t lo, time_t hi, bool hx, const cJSON *ex, cJSON *out)
{
    char *token = NULL;
    int rc = mk_act_paging_token(&g->w, lo, &token, "getLeadActivity: paging token");
    char bs[8];
    snprintf(bs, sizeof bs, "%d", MK_ACT_REST_PAGE);
    slice s = {g, lo, hi, hx, ex, out};
    mk_act_walk_send_ctx sc = {&g->w, "getLeadActivity: get lead activities"};
    for (int k = 0; rc == SOAP_OK && k < g->ngroups; k++) {
        mk_rest_param q[4] = {{"nextPageToken", NULL}, {"activityTypeIds", g->groups[k]},
                              {"leadIds", g->lead_text}, {"batchSize", bs}};
        mk_pager pg = {.ep = MK_EP_ACTIVITIES, .query = q, .nquery = 4, .start = token,
                       .empty = MK_PAGER_EMPTY_READ_PAST, .send = mk_act_walk_send,
                       .send_ctx = &sc, .on_page = slice_page, .page_ctx = &s};
        rc = mk_pager_run(&pg);
        mk_pager_done(&pg);
        if (rc < 0)
            rc = mk_fault(g->w.op->soap, MK_ERR_INTERNAL, "out of memory");
    }
    free(token);
    return rc;
}

/* ---- validate ------------------------------------------------------------------------ */

/* What the request asks for, checked. */
typedef struct gla_in {
    const struct ns1__StreamPosition *sp;
    int batch;
    time_t oldest, latest, since;
    bool has_oldest, has_latest, has_since;
    char fpt[17];          /* the fingerprint its positions carry */
} gla_in;

static int gla_validate(struct soap *soap, const struct ns1__ParamsGetLeadActivity *p, gla_in *in)
{
    const struct ns1__LeadKey *key = p->leadKey;
    int rc;
    if (!key || mk_act_blank(key->keyValue))
        return mk_fault(soap, MK_ERR_LEAD_KEY_REQUIRED,
                        "getLeadActivity needs leadKey with keyType and keyValue");
    if ((rc = mk_ops_batch_size(soap, p->batchSize, ACT_BATCH_MAX, ACT_BATCH_MAX, &in->batch)) !=
        SOAP_OK)
        return rc;

    const struct ns1__StreamPosition *sp = in->sp = p->startPosition;
    if ((rc = mk_act_opt_date(soap, "startPosition/oldestCreatedAt",
                              sp ? sp->oldestCreatedAt : NULL, &in->oldest, &in->has_oldest)) !=
            SOAP_OK ||
        (rc = mk_act_opt_date(soap, "startPosition/latestCreatedAt",
                              sp ? sp->latestCreatedAt : NULL, &in->latest, &in->has_latest)) !=
            SOAP_OK ||
        (rc = mk_act_opt_date(soap, "startPosition/activityCreatedAt",
                              sp ? sp->activityCreatedAt : NULL, &in->since, &in->has_since)) !=
            SOAP_OK)
        return rc;

    mk_act_fp f = MK_ACT_FP_INIT;
    mk_act_fp_add(&f, soap_ns1__LeadKeyRef2s(soap, key->keyType));
    mk_act_fp_add(&f, key->keyValue);
    mk_act_fp_filter(&f, p->activityFilter, NULL);
    mk_act_fp_text(&f, in->fpt);
    return SOAP_OK;
}

/* ---- plan ------------------------------------------------------------------------------ */

/* Where this call's walk starts, from the position or new. */
typedef struct gla_plan {
    mk_acttypes *types;
    int nids;              /* selected types; 0: nothing can match */
    cJSON *state;          /* the position's state (owned) */
    const cJSON *ex;       /* in state */
    int hx;
    int64_t lo, hi, top, w;
} gla_plan;

/* Resolve the lead key to one lead: its id and createdAt. */
static int find_lead(mk_op *op, const struct ns1__LeadKey *key, int64_t *id, time_t *created,
                     bool *have_created)
{
    struct soap *soap = op->soap;
    cJSON *lead = NULL;
    int rc = mk_ops_find_lead(op, soap_ns1__LeadKeyRef2s(soap, key->keyType), key->keyValue,
                              "id,createdAt", &lead, "getLeadActivity");
    if (rc == SOAP_OK) {
        mk_rest_json_get_int64(lead, "id", id);
        *have_created = mk_actrec_parse_date(mk_rest_json_get_date(lead, "createdAt"), created) == 0;
    }
    cJSON_Delete(lead);
    return rc;
}

/* A first call: the window from the dates and the lead's createdAt. */
static int new_state(mk_op *op, const struct ns1__LeadKey *key, const gla_in *in,
                     int64_t window_s, gla *g, cJSON **state)
{
    struct soap *soap = op->soap;
    time_t created = 0;
    bool have_created = false;
    int rc = find_lead(op, key, &g->lead, &created, &have_created);
    if (rc != SOAP_OK)
        return rc;
    time_t floor = in->has_oldest ? in->oldest : (have_created ? created : 0);
    if (in->has_since && in->since > floor)
        floor = in->since;
    time_t top = in->has_latest ? in->latest : time(NULL);
    if (top < floor)
        return mk_fault(soap, MK_ERR_BAD_PARAMETER,
                        "startPosition: latestCreatedAt is before oldestCreatedAt");
    cJSON *s = *state = cJSON_CreateObject();
    cJSON_AddStringToObject(s, "k", "gla");
    cJSON_AddStringToObject(s, "h", in->fpt);
    cJSON_AddNumberToObject(s, "lead", (double)g->lead);
    cJSON_AddNumberToObject(s, "lo", (double)floor);
    cJSON_AddNumberToObject(s, "hi", (double)top);
    cJSON_AddNumberToObject(s, "top", (double)top);
    if (in->has_oldest)
        cJSON_AddNumberToObject(s, "o", (double)in->oldest);
    if (in->has_since)
        cJSON_AddNumberToObject(s, "a", (double)in->since);
    cJSON_AddBoolToObject(s, "hx", 0);
    cJSON_AddItemToObject(s, "ex", cJSON_CreateArray());
    cJSON_AddNumberToObject(s, "w", (double)window_s);
    return SOAP_OK;
}

/* A later call: the position must belong to this request and not be at its end. */
static int resumed_state(mk_op *op, const gla_in *in, cJSON **state)
{
    struct soap *soap = op->soap;
    int rc;
    if ((rc = mk_act_decode_position(op, in->sp->offset, "gla", in->fpt, state)) != SOAP_OK ||
        (rc = mk_act_same_date(soap, *state, "top", in->has_latest, in->latest,
                               "latestCreatedAt")) != SOAP_OK ||
        (rc = mk_act_same_date(soap, *state, "o", in->has_oldest, in->oldest,
                               "oldestCreatedAt")) != SOAP_OK ||
        (rc = mk_act_same_date(soap, *state, "a", in->has_since, in->since,
                               "activityCreatedAt")) != SOAP_OK)
        return rc;
    int end = 0;
    mk_rest_json_get_bool(*state, "end", &end);
    if (end)
        return mk_fault(soap, MK_ERR_STREAM_AT_END,
                        "getLeadActivity: this position is past the lead's oldest activity in "
                        "the window; there are no more records");
    return SOAP_OK;
}

static int gla_plan_walk(mk_op *op, const struct ns1__ParamsGetLeadActivity *p,
                         const gla_in *in, gla *g, gla_plan *pl)
{
    struct soap *soap = op->soap;
    int64_t *ids = NULL;
    int rc;
    if ((rc = mk_act_load_types(op, &pl->types, "getLeadActivity")) != SOAP_OK ||
        (rc = mk_act_select_types(op, pl->types, p->activityFilter, NULL, &ids, &pl->nids)) !=
            SOAP_OK)
        return rc;
    if (in->sp && !mk_act_blank(in->sp->offset)) {
        if ((rc = resumed_state(op, in, &pl->state)) != SOAP_OK)
            return rc;
        g->w.resumed = true;
    } else if ((rc = new_state(op, p->leadKey, in, mk_act_svc(op)->window_s, g, &pl->state)) !=
               SOAP_OK) {
        return rc;
    }

    pl->ex = cJSON_GetObjectItemCaseSensitive(pl->state, "ex");
    mk_rest_json_get_bool(pl->state, "hx", &pl->hx);
    if (mk_rest_json_get_int64(pl->state, "lead", &g->lead) != MK_REST_JSON_OK ||
        mk_rest_json_get_int64(pl->state, "lo", &pl->lo) != MK_REST_JSON_OK ||
        mk_rest_json_get_int64(pl->state, "hi", &pl->hi) != MK_REST_JSON_OK ||
        mk_rest_json_get_int64(pl->state, "top", &pl->top) != MK_REST_JSON_OK ||
        mk_rest_json_get_int64(pl->state, "w", &pl->w) != MK_REST_JSON_OK || pl->w < 1 ||
        !cJSON_IsArray(pl->ex))
        return mk_fault(soap, MK_ERR_BAD_STREAM_POSITION, "startPosition/offset is incomplete");
    snprintf(g->lead_text, sizeof g->lead_text, "%" PRId64, g->lead);
    if (pl->nids > 0 &&
        !(g->groups = mk_act_id_groups(soap, ids, pl->nids, MK_ACT_REST_TYPE_IDS, &g->ngroups)))
        return mk_fault(soap, MK_ERR_INTERNAL, "out of memory");
    return SOAP_OK;
}

/* ---- fetch ------------------------------------------------------------------------------ */

/* Where the walk back in time got to. */
typedef struct gla_walked {
    cJSON *collected;      /* the records read (owned) */
    time_t slice_hi, last_lo;
    bool slice_hx, stopped;
    int64_t w;             /* the next slice's width */
} gla_walked;

/* Walk back from hi in slices, each four times as wide (see the top). */
static int gla_fetch(gla *g, const gla_plan *pl, int batch, gla_walked *wk)
{
    time_t floor = (time_t)pl->lo;
    bool reached = pl->nids == 0;
    wk->slice_hi = wk->last_lo = (time_t)pl->hi;
    wk->slice_hx = pl->hx != 0;
    wk->w = pl->w;
    while (!reached && cJSON_GetArraySize(wk->collected) <= batch) {
        g->w.have = cJSON_GetArraySize(wk->collected) > 0;
        if ((g->w.have || g->w.calls > 0) && !mk_act_walk_may_start(&g->w)) {
            wk->stopped = true;
            break;
        }
        time_t lo = wk->slice_hi - (time_t)wk->w;
        if ((int64_t)wk->slice_hi - wk->w <= (int64_t)floor) {
            lo = floor;
            reached = true;
        }
        int rc = read_slice(g, lo, wk->slice_hi, wk->slice_hx,
                            wk->slice_hi == (time_t)pl->hi ? pl->ex : NULL, wk->collected);
        if (rc != SOAP_OK)
            return rc;
        wk->last_lo = lo;
        wk->slice_hi = lo;
        wk->slice_hx = true;
        if (wk->w < 3650LL * 86400)
            wk->w *= 4;
    }
    return SOAP_OK;
}

/* ---- build ------------------------------------------------------------------------------ */

/* Where the next call goes on (a new state), and the remainingCount. */
static cJSON *next_state(const gla_plan *pl, const gla_walked *wk, const item *items, int n,
                         int batch, int64_t window_s, int *remaining)
{
    cJSON *next = cJSON_Duplicate(pl->state, 1);
    int ret = n < batch ? n : batch;
    if (n > batch) {
        time_t at = items[ret - 1].at;
        cJSON *nex = cJSON_CreateArray();
        if (at == (time_t)pl->hi && !pl->hx) {
            const cJSON *e;
            cJSON_ArrayForEach(e, pl->ex) cJSON_AddItemToArray(nex, cJSON_Duplicate(e, 1));
        }
        for (int i = 0; i < ret; i++)
            if (items[i].at == at && cJSON_GetArraySize(nex) < EX_MAX)
                cJSON_AddItemToArray(nex, cJSON_CreateString(items[i].guid));
        cJSON_ReplaceItemInObjectCaseSensitive(next, "hi", cJSON_CreateNumber((double)at));
        cJSON_ReplaceItemInObjectCaseSensitive(next, "hx", cJSON_CreateBool(0));
        cJSON_ReplaceItemInObjectCaseSensitive(next, "ex", nex);
        int64_t nw = (int64_t)(at - wk->last_lo) + 1;
        cJSON_ReplaceItemInObjectCaseSensitive(
            next, "w", cJSON_CreateNumber((double)(nw > window_s ? nw : window_s)));
        *remaining = n - batch;
    } else if (wk->stopped) {
        cJSON_ReplaceItemInObjectCaseSensitive(next, "hi", cJSON_CreateNumber((double)wk->slice_hi));
        cJSON_ReplaceItemInObjectCaseSensitive(next, "hx", cJSON_CreateBool(wk->slice_hx));
        if (wk->slice_hi != (time_t)pl->hi || wk->slice_hx != (pl->hx != 0))
            cJSON_ReplaceItemInObjectCaseSensitive(next, "ex", cJSON_CreateArray());
        cJSON_ReplaceItemInObjectCaseSensitive(next, "w", cJSON_CreateNumber((double)wk->w));
        *remaining = 1;
    } else {
        cJSON_DeleteItemFromObjectCaseSensitive(next, "end");
        cJSON_AddBoolToObject(next, "end", 1);
        *remaining = 0;
    }
    return next;
}

/* The page's SOAP records, with campaign names. */
static int page_records(mk_op *op, const gla_plan *pl, const item *items, int ret,
                        struct ns1__ActivityRecord **recs)
{
    struct soap *soap = op->soap;
    cJSON *camps = NULL;
    cJSON *page = cJSON_CreateArray();
    for (int i = 0; i < ret; i++)
        cJSON_AddItemReferenceToArray(page, items[i].json);
    int rc = mk_act_campaign_names(op, page, &camps, "getLeadActivity");
    *recs = soap_malloc(soap, sizeof **recs * ((size_t)ret + 1));
    mk_actrec_ctx ctx = {.types = pl->types, .campaigns = camps};
    for (int i = 0; rc == SOAP_OK && i < ret; i++) {
        int r = *recs ? mk_actrec_to_activity(soap, &ctx, items[i].json, &(*recs)[i])
                      : MK_ACTREC_NOMEM;
        if (r == MK_ACTREC_UNKNOWN_TYPE || r == MK_ACTREC_BAD)
            rc = mk_fault(soap, MK_ERR_API_INTERNAL,
                          "getLeadActivity: Marketo returned an activity the shim cannot read "
                          "(unknown type or missing date/lead)");
        else if (r != MK_ACTREC_OK)
            rc = mk_fault(soap, MK_ERR_INTERNAL, "out of memory");
    }
    cJSON_Delete(page);
    cJSON_Delete(camps);
    return rc;
}

/* Newest first; the first batch records, the position after them. */
static int gla_build(mk_op *op, const gla_in *in, const gla_plan *pl,
                     const gla_walked *wk, struct ns1__SuccessGetLeadActivity *out)
{
    struct soap *soap = op->soap;
    int n = cJSON_GetArraySize(wk->collected);
    item *items = calloc((size_t)n + 1, sizeof *items);
    char (*gbuf)[32] = soap_malloc(soap, sizeof *gbuf * ((size_t)n + 1));
    if (!items || !gbuf) {
        free(items);
        return mk_fault(soap, MK_ERR_INTERNAL, "out of memory");
    }
    int k = 0;
    cJSON *it;
    cJSON_ArrayForEach(it, wk->collected) {
        items[k].json = it;
        mk_actrec_parse_date(mk_rest_json_get_date(it, "activityDate"), &items[k].at);
        items[k].guid = guid_of(it, gbuf[k]);
        k++;
    }
    qsort(items, (size_t)n, sizeof *items, cmp_newest_first);
    int ret = n < in->batch ? n : in->batch, remaining;

    cJSON *next = next_state(pl, wk, items, n, in->batch, mk_act_svc(op)->window_s, &remaining);
    char *offset = mk_act_encode_position(op, next);
    cJSON_Delete(next);
    struct ns1__ActivityRecord *recs = NULL;
    int rc = offset ? page_records(op, pl, items, ret, &recs)
                    : mk_fault(soap, MK_ERR_INTERNAL, "could not encode the stream position");
    free(items);
    if (rc != SOAP_OK)
        return rc;

    struct ns1__LeadActivityList *l = soap_malloc(soap, sizeof *l);
    if (!l)
        return mk_fault(soap, MK_ERR_INTERNAL, "out of memory");
    memset(l, 0, sizeof *l);
    l->returnCount = ret;
    l->remainingCount = remaining;
    const struct ns1__StreamPosition *sp = in->sp;
    l->newStartPosition = mk_act_stream_position(
        soap, in->has_latest ? sp->latestCreatedAt : mk_act_iso(soap, (time_t)pl->top),
        in->has_oldest ? sp->oldestCreatedAt : NULL, in->has_since ? sp->activityCreatedAt : NULL,
        offset);
    if (ret > 0) {
        l->activityRecordList = soap_malloc(soap, sizeof *l->activityRecordList);
        if (!l->activityRecordList)
            return mk_fault(soap, MK_ERR_INTERNAL, "out of memory");
        l->activityRecordList->__sizeactivityRecord = ret;
        l->activityRecordList->activityRecord = recs;
    }
    out->leadActivityList = l;
    return SOAP_OK;
}

/* ---- the operation ----------------------------------------------------------------------- */

int mk_op_get_lead_activity(mk_op *op, struct ns1__ParamsGetLeadActivity *p,
                            struct ns1__SuccessGetLeadActivity *out)
{
    struct soap *soap = op->soap;
    int rc = SOAP_OK;
    static const char *const not_nillable[] = {"mktgAssetName", NULL};
    if ((rc = mk_nilfilter_drop(soap, not_nillable)) != SOAP_OK)
        return rc;
    mk_actsvc *svc = mk_act_svc(op);
    if (!svc)
        return mk_fault(soap, MK_ERR_INTERNAL, "getLeadActivity: activity services not started");

    gla_in in = {0};
    if ((rc = gla_validate(soap, p, &in)) != SOAP_OK)
        return rc;
    gla g = {.w = {.op = op, .max_calls = svc->max_calls}};
    gla_plan pl = {0};
    gla_walked wk = {.collected = cJSON_CreateArray()};
    if ((rc = gla_plan_walk(op, p, &in, &g, &pl)) == SOAP_OK &&
        (rc = gla_fetch(&g, &pl, in.batch, &wk)) == SOAP_OK)
        rc = gla_build(op, &in, &pl, &wk, out);
    cJSON_Delete(wk.collected);
    cJSON_Delete(pl.state);
    mk_acttypes_free(pl.types);
    return rc;
}
