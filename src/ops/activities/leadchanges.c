/*
 * leadchanges.c — getLeadChanges: activities across leads since a time,
 * oldest first, several REST streams merged.  What it shares with
 * getLeadActivity (types, campaigns, positions, the walk) is in
 * actcommon.c.
 *
 * New Lead / Change Data Value only: GET /rest/v1/activities/leadchanges.json
 * with fields = every lead field that has a SOAP name; other types:
 * GET /rest/v1/activities.json with ≤10 type ids per stream.
 * LeadKeySelector (≤100 keys) → lead ids, ≤30 per stream; StaticListSelector
 * → listId; LastUpdateAtSelector → the window (its dates intersect
 * startPosition's).  The streams are merged by date; the position holds
 * each stream's REST page token and how many of that page's records were
 * consumed, so a page is re-read (not re-scanned) on resume.  When every
 * stream has reached the present the answer has remainingCount 0 and a
 * position that keeps working: re-sent later it returns the changes made
 * since, or fault 20123 (Stream at End) when there are none yet.  With a
 * latestCreatedAt the stream ends there for good (20123 when re-sent).
 *
 * The handler reads validate (the window) → plan (the streams, new or from
 * the position) → fetch (the merge) → build (next position, records).
 */
#include <inttypes.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "ops/activities/actcommon.h"
#include "ops/activities/actrec.h"
#include "ops/core/leadkeys.h"
#include "ops/core/nilfilter.h"
#include "ops/core/op.h"
#include "mk_handlers.h"
#include "ops/core/pager.h"
#include "ops/lists/lists.h"
#include "rest/json.h"
#include "soap/fault.h"

#define CHANGES_BATCH_MAX 1000   /* getLeadChanges: "1,000 or batchSize" */
#define SOAP_SELECTOR_KEYS 100

/* ---- the REST streams ------------------------------------------------------------------ */

typedef struct stream {
    const char *types;   /* ≤10 type ids; NULL on leadchanges.json */
    const char *leads;   /* ≤30 lead ids, or NULL */
    char *token;         /* the REST page being read */
    int skip;            /* its records consumed before this call */
    cJSON *page;         /* that page's records, once fetched */
    char *next;          /* its nextPageToken */
    int more;            /* its moreResult */
    int pos;             /* next record of page to look at */
    bool fetched, at_end;
    time_t head;         /* date of page[pos] */
} stream;

typedef struct glc {
    mk_act_walk w;
    bool lc;             /* leadchanges.json (New Lead / Change Data Value only) */
    int only;            /* lc: keep only this type id, 0 for both */
    const char *fields;  /* lc: the lead fields whose changes are wanted */
    char list[24];       /* listId, "" when none */
    time_t lo, hi;
    bool has_hi;
    stream *s;
    int ns;
} glc;

enum { STREAM_OK = 0, STREAM_STOPPED = 1 };

/* Per page of a stream: the page's records replace the last ones. */
static int stream_page(void *ctx, mk_rest_result *res, cJSON *records, bool *stop)
{
    (void)records;
    (void)stop;
    stream *s = ctx;
    cJSON_Delete(s->page);
    s->page = cJSON_DetachItemFromObjectCaseSensitive(res->json, "result");
    if (!cJSON_IsArray(s->page)) {
        cJSON_Delete(s->page);
        s->page = cJSON_CreateArray();
    }
    const char *next = mk_rest_json_get_string(res->json, "nextPageToken");
    free(s->next);
    s->next = strdup(mk_act_blank(next) ? s->token : next);
    s->more = 0;
    mk_rest_json_get_bool(res->json, "moreResult", &s->more);
    s->pos = s->skip < cJSON_GetArraySize(s->page) ? s->skip : cJSON_GetArraySize(s->page);
    s->fetched = true;
    return SOAP_OK;
}

/* Read the page at s->token (one step of advance(): the merge decides
 * whether another page is read). */
static int fetch(glc *g, stream *s)
{
    char bs[8];
    snprintf(bs, sizeof bs, "%d", MK_ACT_REST_PAGE);
    mk_rest_param q[6];
    size_t nq = 0;
    q[nq++] = (mk_rest_param){"nextPageToken", NULL};
    q[nq++] = (mk_rest_param){"batchSize", bs};
    if (g->lc)
        q[nq++] = (mk_rest_param){"fields", g->fields};
    else
        q[nq++] = (mk_rest_param){"activityTypeIds", s->types};
    if (s->leads)
        q[nq++] = (mk_rest_param){"leadIds", s->leads};
    if (g->list[0])
        q[nq++] = (mk_rest_param){"listId", g->list};
    mk_act_walk_send_ctx sc = {&g->w, g->lc ? "getLeadChanges: get lead changes"
                                            : "getLeadChanges: get activities"};
    mk_pager pg = {.ep = g->lc ? MK_EP_LEAD_CHANGES : MK_EP_ACTIVITIES, .query = q, .nquery = nq,
                   .start = s->token, .max_pages = 1, .send = mk_act_walk_send, .send_ctx = &sc,
                   .on_page = stream_page, .page_ctx = s};
    int rc = mk_pager_run(&pg);
    mk_pager_done(&pg);
    if (rc < 0)
        rc = mk_fault(g->w.op->soap, MK_ERR_INTERNAL, "out of memory");
    return rc;
}


/* Make s show its next record (s->head), or reach the present (at_end).
 * STREAM_STOPPED when the call budget ran out first. */
static int advance(glc *g, stream *s, int *status)
{
    *status = STREAM_OK;
    while (!s->at_end) {
        if (s->fetched && s->pos < cJSON_GetArraySize(s->page)) {
            const cJSON *a = cJSON_GetArrayItem(s->page, s->pos);
            if (mk_actrec_parse_date(mk_rest_json_get_date(a, "activityDate"), &s->head) != 0)
                return mk_fault(g->w.op->soap, MK_ERR_API_INTERNAL,
                                "getLeadChanges: Marketo returned an activity without a readable "
                                "activityDate");
            return SOAP_OK;
        }
        if (s->fetched) {   /* page used up: on to the next one */
            free(s->token);
            s->token = s->next;
            s->next = NULL;
            s->skip = 0;
            s->fetched = false;
            cJSON_Delete(s->page);
            s->page = NULL;
            if (!s->more) {
                s->at_end = true;
                break;
            }
        }
        if (!mk_act_walk_may_start(&g->w)) {
            *status = STREAM_STOPPED;
            return SOAP_OK;
        }
        int rc = fetch(g, s);
        if (rc != SOAP_OK)
            return rc;
    }
    return SOAP_OK;
}

static bool wanted(const glc *g, const cJSON *a, time_t at)
{
    if (at < g->lo)
        return false;
    if (g->lc && g->only) {
        int64_t t;
        return mk_rest_json_get_int64(a, "activityTypeId", &t) == MK_REST_JSON_OK && t == g->only;
    }
    return true;
}

/* LeadKeySelector → lead ids (ascending, distinct). */
static int key_lead_ids(mk_op *op, const struct ns1__LeadKeySelector *sel, int64_t **ids,
                        int *nids)
{
    struct soap *soap = op->soap;
    int n = sel->keyValues ? sel->keyValues->__sizestringItem : 0;
    if (n > SOAP_SELECTOR_KEYS)
        return mk_fault(soap, MK_ERR_BAD_PARAMETER,
                        "LeadKeySelector has %d keyValues; getLeadChanges takes at most %d", n,
                        SOAP_SELECTOR_KEYS);
    const char *filter;
    int k, rc = mk_ops_key_filter(op, sel->keyType, &filter);
    if (rc != SOAP_OK)
        return rc;
    const char **vals = soap_malloc(soap, sizeof *vals * ((size_t)n + 1));
    *ids = soap_malloc(soap, sizeof **ids * ((size_t)n + 1));
    if (!vals || !*ids)
        return mk_fault(soap, MK_ERR_INTERNAL, "out of memory");
    if ((rc = mk_ops_key_values(soap, sel->keyValues, n, vals, &k)) != SOAP_OK)
        return rc;
    if (k == 0)
        return mk_fault(soap, MK_ERR_LEAD_KEY_REQUIRED, "LeadKeySelector has no keyValues");
    *nids = 0;
    if (strcmp(filter, "id") == 0) {
        /* Lead ids need no lookup: an unknown id simply has no changes. */
        for (int i = 0; i < k; i++) {
            char *end;
            long long v = strtoll(vals[i], &end, 10);
            if (*end || v <= 0)
                return mk_fault(soap, MK_ERR_LEAD_KEY_BAD, "IDNUM must be a lead id, not '%s'", vals[i]);
            (*ids)[(*nids)++] = v;
        }
    } else {
        cJSON *leads = NULL;
        int rc = mk_ops_get_leads(op, filter, vals, k, "id", 1000, &leads,
                                  "getLeadChanges: lead keys to lead ids");
        if (rc != SOAP_OK)
            return rc;
        *ids = soap_malloc(soap, sizeof **ids * ((size_t)cJSON_GetArraySize(leads) + 1));
        const cJSON *l;
        cJSON_ArrayForEach(l, leads) {
            int64_t id;
            if (*ids && mk_rest_json_get_int64(l, "id", &id) == MK_REST_JSON_OK)
                (*ids)[(*nids)++] = id;
        }
        cJSON_Delete(leads);
        if (!*ids)
            return mk_fault(soap, MK_ERR_INTERNAL, "out of memory");
    }
    /* ascending, distinct */
    for (int i = 1; i < *nids; i++)
        for (int j = i; j > 0 && (*ids)[j - 1] > (*ids)[j]; j--) {
            int64_t t = (*ids)[j];
            (*ids)[j] = (*ids)[j - 1];
            (*ids)[j - 1] = t;
        }
    int m = 0;
    for (int i = 0; i < *nids; i++)
        if (m == 0 || (*ids)[m - 1] != (*ids)[i])
            (*ids)[m++] = (*ids)[i];
    *nids = m;
    return SOAP_OK;
}

/* StaticListSelector → list id: staticListId, else the name, through the
 * lookup listOperation and importToList use (lists.h: cached for
 * name_cache_ttl_seconds, the exact spelling wins among several). */
static int list_id(mk_op *op, const struct ns1__StaticListSelector *sel, int64_t *id)
{
    struct soap *soap = op->soap;
    if (sel->staticListId && *sel->staticListId > 0) {
        *id = *sel->staticListId;
        return SOAP_OK;
    }
    if (mk_act_blank(sel->staticListName))
        return mk_fault(soap, MK_ERR_PARAMETER_REQUIRED,
                        "StaticListSelector needs staticListId or staticListName");
    mk_list_ref l = {.name = sel->staticListName};
    int rc = mk_lists_resolve(op, &l, false, "getLeadChanges");
    *id = l.id;
    return rc;
}

static void fp_selector(struct soap *soap, mk_act_fp *f, const struct ns1__LeadSelector *sel)
{
    char buf[32];
    if (sel && sel->ns1__LeadKeySelector) {
        const struct ns1__LeadKeySelector *k = sel->ns1__LeadKeySelector;
        mk_act_fp_add(f, "keys");
        mk_act_fp_add(f, soap_ns1__LeadKeyRef2s(soap, k->keyType));
        for (int i = 0; k->keyValues && i < k->keyValues->__sizestringItem; i++)
            mk_act_fp_add(f, k->keyValues->stringItem[i] ? k->keyValues->stringItem[i] : "");
    } else if (sel && sel->ns1__StaticListSelector) {
        const struct ns1__StaticListSelector *l = sel->ns1__StaticListSelector;
        mk_act_fp_add(f, "list");
        snprintf(buf, sizeof buf, "%d", l->staticListId ? *l->staticListId : 0);
        mk_act_fp_add(f, buf);
        mk_act_fp_add(f, l->staticListName ? l->staticListName : "");
    } else if (sel && sel->ns1__LastUpdateAtSelector) {
        const struct ns1__LastUpdateAtSelector *u = sel->ns1__LastUpdateAtSelector;
        time_t t;
        mk_act_fp_add(f, "updated");
        snprintf(buf, sizeof buf, "%lld",
                 mk_actrec_parse_date(u->oldestUpdatedAt, &t) == 0 ? (long long)t : -1LL);
        mk_act_fp_add(f, buf);
        snprintf(buf, sizeof buf, "%lld",
                 mk_actrec_parse_date(u->latestUpdatedAt, &t) == 0 ? (long long)t : -1LL);
        mk_act_fp_add(f, buf);
    } else {
        mk_act_fp_add(f, "all leads");
    }
}

static cJSON *strings_json(char **v, int n)
{
    cJSON *a = cJSON_CreateArray();
    for (int i = 0; i < n; i++)
        cJSON_AddItemToArray(a, cJSON_CreateString(v[i]));
    return a;
}

/* Records of the merged streams still buffered and within the window. */
static int buffered(const glc *g)
{
    int n = 0;
    for (int i = 0; i < g->ns; i++) {
        const stream *s = &g->s[i];
        for (int k = s->fetched ? s->pos : 0; s->fetched && k < cJSON_GetArraySize(s->page); k++) {
            const cJSON *a = cJSON_GetArrayItem(s->page, k);
            time_t at;
            if (mk_actrec_parse_date(mk_rest_json_get_date(a, "activityDate"), &at) == 0 &&
                (!g->has_hi || at <= g->hi) && wanted(g, a, at))
                n++;
        }
    }
    return n;
}
/* ---- validate ------------------------------------------------------------------------ */

/* What the request asks for, checked: the window is startPosition's dates
 * and a LastUpdateAtSelector's, both applied. */
typedef struct glc_in {
    const struct ns1__StreamPosition *sp;
    const struct ns1__LeadSelector *sel;
    int batch;
    time_t oldest, latest, since;
    bool has_oldest, has_latest, has_since;
    bool resumed;          /* an offset was sent */
    time_t lo, hi;
    bool has_lo, has_hi;
    char fpt[17];          /* the fingerprint its positions carry */
} glc_in;

/* The window's ends from the dates given. */
static int glc_window(struct soap *soap, const struct ns1__LastUpdateAtSelector *upd, glc_in *in)
{
    const struct ns1__StreamPosition *sp = in->sp;
    time_t uo = 0, ul = 0;
    bool has_uo = false, has_ul = false;
    int rc;
    if ((rc = mk_act_opt_date(soap, "startPosition/oldestCreatedAt", sp->oldestCreatedAt,
                              &in->oldest, &in->has_oldest)) != SOAP_OK ||
        (rc = mk_act_opt_date(soap, "startPosition/latestCreatedAt", sp->latestCreatedAt,
                              &in->latest, &in->has_latest)) != SOAP_OK ||
        (rc = mk_act_opt_date(soap, "startPosition/activityCreatedAt", sp->activityCreatedAt,
                              &in->since, &in->has_since)) != SOAP_OK)
        return rc;
    if (upd) {
        if ((rc = mk_act_opt_date(soap, "LastUpdateAtSelector/oldestUpdatedAt",
                                  upd->oldestUpdatedAt, &uo, &has_uo)) != SOAP_OK ||
            (rc = mk_act_opt_date(soap, "LastUpdateAtSelector/latestUpdatedAt",
                                  upd->latestUpdatedAt, &ul, &has_ul)) != SOAP_OK)
            return rc;
        if (!has_uo)
            return mk_fault(soap, MK_ERR_PARAMETER_REQUIRED,
                            "LastUpdateAtSelector needs oldestUpdatedAt");
        if (has_ul && ul - uo > 30L * 86400)
            return mk_fault(soap, MK_ERR_TIME_RANGE,
                            "oldestUpdatedAt and latestUpdatedAt are more than 30 days apart");
    }
    in->resumed = !mk_act_blank(sp->offset);
    in->has_lo = in->has_oldest || in->has_since || has_uo;
    in->lo = 0;
    if (in->has_oldest)
        in->lo = in->oldest;
    if (in->has_since && in->since > in->lo)
        in->lo = in->since;
    if (has_uo && uo > in->lo)
        in->lo = uo;
    in->has_hi = in->has_latest || has_ul;
    in->hi = in->has_latest ? in->latest : ul;
    if (in->has_latest && has_ul && ul < in->hi)
        in->hi = ul;
    if (!in->has_lo && !in->resumed)
        return mk_fault(soap, MK_ERR_PARAMETER_REQUIRED,
                        "getLeadChanges needs startPosition/oldestCreatedAt (or the offset of a "
                        "previous newStartPosition): REST reads activities forward from a date");
    if (in->has_lo && in->has_hi && in->hi < in->lo)
        return mk_fault(soap, MK_ERR_BAD_PARAMETER, "the window ends before it starts");
    return SOAP_OK;
}

static int glc_validate(struct soap *soap, const struct ns1__ParamsGetLeadChanges *p, glc_in *in)
{
    const struct ns1__StreamPosition *sp = in->sp = p->startPosition;
    int rc;
    if (!sp)
        return mk_fault(soap, MK_ERR_PARAMETER_REQUIRED, "getLeadChanges needs a startPosition");
    if ((rc = mk_ops_batch_size(soap, p->batchSize, CHANGES_BATCH_MAX, CHANGES_BATCH_MAX,
                                &in->batch)) != SOAP_OK)
        return rc;
    in->sel = p->leadSelector;
    if ((rc = glc_window(soap, in->sel ? in->sel->ns1__LastUpdateAtSelector : NULL, in)) !=
        SOAP_OK)
        return rc;
    mk_act_fp f = MK_ACT_FP_INIT;
    mk_act_fp_filter(&f, p->activityFilter, p->activityNameFilter);
    fp_selector(soap, &f, in->sel);
    mk_act_fp_text(&f, in->fpt);
    return SOAP_OK;
}

/* ---- plan ------------------------------------------------------------------------------ */

/* The walk's state (new, or from the position), its types and fields. */
typedef struct glc_plan {
    mk_acttypes *types;
    const mk_fields *fields;   /* lc: acquired, released by the handler */
    cJSON *state;              /* owned */
    int end0;                  /* the window had ended already */
} glc_plan;

/* The REST streams a selector reads: types (≤10 per stream) x leads (≤30
 * per stream), or the list; *no_leads when the keys name no lead. */
static int glc_selector_streams(mk_op *op, const glc_in *in, const int64_t *ids,
                                int nids, bool lc, cJSON *state, bool *no_leads, int *nstreams)
{
    struct soap *soap = op->soap;
    int ntg = 0, nlg = 0, rc;
    char **tg = NULL, **lg = NULL;
    if (!lc && nids > 0 && !(tg = mk_act_id_groups(soap, ids, nids, MK_ACT_REST_TYPE_IDS, &ntg)))
        return mk_fault(soap, MK_ERR_INTERNAL, "out of memory");
    int64_t list = 0, *leads = NULL;
    int nleads = 0;
    *no_leads = false;
    if (in->sel && in->sel->ns1__LeadKeySelector) {
        if ((rc = key_lead_ids(op, in->sel->ns1__LeadKeySelector, &leads, &nleads)) != SOAP_OK)
            return rc;
        *no_leads = nleads == 0;
        if (nleads && !(lg = mk_act_id_groups(soap, leads, nleads, MK_ACT_REST_LEAD_IDS, &nlg)))
            return mk_fault(soap, MK_ERR_INTERNAL, "out of memory");
    } else if (in->sel && in->sel->ns1__StaticListSelector) {
        if ((rc = list_id(op, in->sel->ns1__StaticListSelector, &list)) != SOAP_OK)
            return rc;
    }
    if (list)
        cJSON_AddNumberToObject(state, "list", (double)list);
    cJSON_AddItemToObject(state, "tg", strings_json(tg, ntg));
    cJSON_AddItemToObject(state, "lg", strings_json(lg, nlg));
    *nstreams = (ntg ? ntg : 1) * (nlg ? nlg : 1);
    return SOAP_OK;
}

/* A first call: which REST streams, each starting at a paging token at lo. */
static int glc_new_state(mk_op *op, const glc_in *in, const int64_t *ids, int nids,
                         glc *g, cJSON **state)
{
    bool lc = nids > 0;
    for (int i = 0; i < nids; i++)
        lc = lc && (ids[i] == MK_ACT_NEW_LEAD || ids[i] == MK_ACT_CHANGE_DATA_VALUE);
    cJSON *s = *state = cJSON_CreateObject();
    cJSON_AddStringToObject(s, "k", "glc");
    cJSON_AddStringToObject(s, "h", in->fpt);
    cJSON_AddNumberToObject(s, "lo", (double)in->lo);
    if (in->has_hi)
        cJSON_AddNumberToObject(s, "hi", (double)in->hi);
    if (in->has_oldest)
        cJSON_AddNumberToObject(s, "o", (double)in->oldest);
    if (in->has_latest)
        cJSON_AddNumberToObject(s, "l", (double)in->latest);
    if (in->has_since)
        cJSON_AddNumberToObject(s, "a", (double)in->since);
    cJSON_AddBoolToObject(s, "lc", lc);
    cJSON_AddNumberToObject(s, "only", lc && nids == 1 ? (int)ids[0] : 0);
    bool no_leads = false;
    int n = 0, rc = glc_selector_streams(op, in, ids, nids, lc, s, &no_leads, &n);
    if (rc != SOAP_OK)
        return rc;
    cJSON *streams = cJSON_AddArrayToObject(s, "s");
    if (nids == 0 || no_leads) {
        cJSON_AddBoolToObject(s, "end", 1);   /* nothing can match */
        return SOAP_OK;
    }
    char *token = NULL;
    if ((rc = mk_act_paging_token(&g->w, in->lo, &token, "getLeadChanges: paging token")) !=
        SOAP_OK)
        return rc;
    for (int i = 0; i < n; i++) {
        cJSON *pair = cJSON_CreateArray();
        cJSON_AddItemToArray(pair, cJSON_CreateString(token));
        cJSON_AddItemToArray(pair, cJSON_CreateNumber(0));
        cJSON_AddItemToArray(streams, pair);
    }
    free(token);
    return SOAP_OK;
}

/* A later call: the position must belong to this request, not be at its end. */
static int glc_resumed_state(mk_op *op, const glc_in *in, cJSON **state)
{
    struct soap *soap = op->soap;
    int end = 0, rc;
    if ((rc = mk_act_decode_position(op, in->sp->offset, "glc", in->fpt, state)) != SOAP_OK ||
        (rc = mk_act_same_date(soap, *state, "o", in->has_oldest, in->oldest,
                               "oldestCreatedAt")) != SOAP_OK ||
        (rc = mk_act_same_date(soap, *state, "l", in->has_latest, in->latest,
                               "latestCreatedAt")) != SOAP_OK ||
        (rc = mk_act_same_date(soap, *state, "a", in->has_since, in->since,
                               "activityCreatedAt")) != SOAP_OK)
        return rc;
    mk_rest_json_get_bool(*state, "end", &end);
    if (end)
        return mk_fault(soap, MK_ERR_STREAM_AT_END,
                        "getLeadChanges: this position is at the end of its window "
                        "(latestCreatedAt); there are no more records");
    return SOAP_OK;
}

/* Rebuild the streams of g from the state. */
static int glc_streams(mk_op *op, glc_plan *pl, glc *g)
{
    struct soap *soap = op->soap;
    const cJSON *state = pl->state;
    int64_t v;
    int lcflag = 0;
    mk_rest_json_get_bool(state, "lc", &lcflag);
    mk_rest_json_get_bool(state, "end", &pl->end0);
    g->lc = lcflag;
    g->only = mk_rest_json_get_int64(state, "only", &v) == MK_REST_JSON_OK ? (int)v : 0;
    g->lo = mk_rest_json_get_int64(state, "lo", &v) == MK_REST_JSON_OK ? (time_t)v : 0;
    g->has_hi = mk_rest_json_get_int64(state, "hi", &v) == MK_REST_JSON_OK;
    g->hi = g->has_hi ? (time_t)v : 0;
    if (mk_rest_json_get_int64(state, "list", &v) == MK_REST_JSON_OK)
        snprintf(g->list, sizeof g->list, "%" PRId64, v);
    const cJSON *tgj = cJSON_GetObjectItemCaseSensitive(state, "tg");
    const cJSON *lgj = cJSON_GetObjectItemCaseSensitive(state, "lg");
    const cJSON *sj = cJSON_GetObjectItemCaseSensitive(state, "s");
    int ntg = cJSON_GetArraySize(tgj), nlg = cJSON_GetArraySize(lgj);
    g->ns = cJSON_GetArraySize(sj);
    if (!cJSON_IsArray(tgj) || !cJSON_IsArray(lgj) || !cJSON_IsArray(sj) ||
        (!pl->end0 && g->ns != (ntg ? ntg : 1) * (nlg ? nlg : 1)) || (g->lc && ntg))
        return mk_fault(soap, MK_ERR_BAD_STREAM_POSITION, "startPosition/offset is incomplete");
    if (g->lc) {
        pl->fields = mk_ops_fields(op);
        g->fields = pl->fields ? mk_fields_all_soap_csv(pl->fields) : NULL;
        if (!g->fields || !*g->fields)
            return mk_fault(soap, MK_ERR_API_INTERNAL,
                            "getLeadChanges: the lead field catalogue is not available");
    }
    g->s = calloc((size_t)g->ns + 1, sizeof *g->s);
    if (!g->s)
        return mk_fault(soap, MK_ERR_INTERNAL, "out of memory");
    for (int i = 0; i < g->ns; i++) {
        const cJSON *pair = cJSON_GetArrayItem(sj, i);
        const char *tok = cJSON_GetStringValue(cJSON_GetArrayItem(pair, 0));
        int64_t skip;
        if (!tok || mk_rest_json_as_int64(cJSON_GetArrayItem(pair, 1), &skip) != MK_REST_JSON_OK ||
            skip < 0 || skip > MK_ACT_REST_PAGE)
            return mk_fault(soap, MK_ERR_BAD_STREAM_POSITION, "startPosition/offset is incomplete");
        stream *s = &g->s[i];
        s->token = strdup(tok);
        s->skip = (int)skip;
        s->types = ntg ? cJSON_GetStringValue(cJSON_GetArrayItem(tgj, i / (nlg ? nlg : 1))) : NULL;
        s->leads = nlg ? cJSON_GetStringValue(cJSON_GetArrayItem(lgj, i % nlg)) : NULL;
        if (!s->token || (ntg && !s->types) || (nlg && !s->leads))
            return mk_fault(soap, MK_ERR_BAD_STREAM_POSITION, "startPosition/offset is incomplete");
    }
    return SOAP_OK;
}

static int glc_plan_walk(mk_op *op, const struct ns1__ParamsGetLeadChanges *p,
                         const glc_in *in, glc *g, glc_plan *pl)
{
    int64_t *ids = NULL;
    int nids = 0, rc;
    if ((rc = mk_act_load_types(op, &pl->types, "getLeadChanges")) != SOAP_OK ||
        (rc = mk_act_select_types(op, pl->types, p->activityFilter, p->activityNameFilter, &ids,
                                  &nids)) != SOAP_OK)
        return rc;
    rc = in->resumed ? glc_resumed_state(op, in, &pl->state)
                     : glc_new_state(op, in, ids, nids, g, &pl->state);
    return rc == SOAP_OK ? glc_streams(op, pl, g) : rc;
}

/* ---- fetch ------------------------------------------------------------------------------ */

/* Merge by date: the earliest head of all streams goes next, until the
 * page is full, the window ends (*window_end), every stream has reached
 * the present (*caught_up) or the budget stops a stream that needs a page.
 * A stream that needs a REST page once the call budget is spent ends the
 * page early (remainingCount 1): its position is kept, nothing is lost.
 * The budget only counts once a record is in the page (walk_may_start):
 * a page comes back empty with remainingCount > 0 only when the request's
 * deadline is 2 s away. */
static int glc_merge(glc *g, int batch, cJSON *emitted, bool *window_end, bool *caught_up)
{
    /* Every stream must show its next record before any record can go out,
     * so a call may always read one page of each: a budget below that would
     * re-read the same pages on every call and never get anywhere. */
    if (g->w.max_calls < g->ns + 2)
        g->w.max_calls = g->ns + 2;
    while (!*window_end && cJSON_GetArraySize(emitted) < batch) {
        int status = STREAM_OK, rc;
        for (int i = 0; i < g->ns && status == STREAM_OK; i++)
            if ((rc = advance(g, &g->s[i], &status)) != SOAP_OK)
                return rc;
        if (status == STREAM_STOPPED)
            break;
        stream *best = NULL;
        for (int i = 0; i < g->ns; i++)
            if (!g->s[i].at_end && (!best || g->s[i].head < best->head))
                best = &g->s[i];
        if (!best) {
            *caught_up = true;
            break;
        }
        if (g->has_hi && best->head > g->hi) {
            *window_end = true;
            break;
        }
        const cJSON *a = cJSON_GetArrayItem(best->page, best->pos++);
        if (wanted(g, a, best->head)) {
            cJSON_AddItemToArray(emitted, cJSON_Duplicate(a, 1));
            g->w.have = true;
        }
    }
    return SOAP_OK;
}

/* ---- build ------------------------------------------------------------------------------ */

/* The next position's streams: each one's page and how much of it was used. */
static cJSON *next_streams(const glc *g)
{
    cJSON *ns = cJSON_CreateArray();
    for (int i = 0; i < g->ns; i++) {
        const stream *s = &g->s[i];
        cJSON *pair = cJSON_CreateArray();
        bool used_up = s->fetched && s->pos >= cJSON_GetArraySize(s->page);
        cJSON_AddItemToArray(pair, cJSON_CreateString(used_up ? s->next : s->token));
        cJSON_AddItemToArray(pair, cJSON_CreateNumber(used_up ? 0 : s->fetched ? s->pos : s->skip));
        cJSON_AddItemToArray(ns, pair);
    }
    return ns;
}

/* The page's SOAP records, with campaign names. */
static int change_records(mk_op *op, const glc_plan *pl, const cJSON *emitted,
                          struct ns1__LeadChangeRecord **recs)
{
    struct soap *soap = op->soap;
    cJSON *camps = NULL;
    int rc = mk_act_campaign_names(op, emitted, &camps, "getLeadChanges");
    if (rc != SOAP_OK)
        return rc;
    int ret = cJSON_GetArraySize(emitted), k = 0;
    *recs = soap_malloc(soap, sizeof **recs * ((size_t)ret + 1));
    mk_actrec_ctx ctx = {.types = pl->types, .fields = pl->fields, .campaigns = camps};
    const cJSON *a;
    cJSON_ArrayForEach(a, emitted) {
        int r = *recs ? mk_actrec_to_change(soap, &ctx, a, &(*recs)[k++]) : MK_ACTREC_NOMEM;
        if (r == MK_ACTREC_UNKNOWN_TYPE || r == MK_ACTREC_BAD) {
            rc = mk_fault(soap, MK_ERR_API_INTERNAL,
                          "getLeadChanges: Marketo returned an activity the shim cannot read "
                          "(unknown type or missing date/lead)");
            break;
        } else if (r != MK_ACTREC_OK) {
            rc = mk_fault(soap, MK_ERR_INTERNAL, "out of memory");
            break;
        }
    }
    cJSON_Delete(camps);
    return rc;
}

static int glc_build(mk_op *op, const glc_in *in, glc_plan *pl, const glc *g,
                     const cJSON *emitted, bool window_end, bool caught_up,
                     struct ns1__SuccessGetLeadChanges *out)
{
    struct soap *soap = op->soap;
    int ret = cJSON_GetArraySize(emitted);
    /* A position whose page promised more (remainingCount > 0) is answered
     * at the end with an honest empty page, remainingCount 0; one issued
     * at the end and re-sent before anything new happened is 20123. */
    int promised = 0;
    mk_rest_json_get_bool(pl->state, "m", &promised);
    if (in->resumed && ret == 0 && caught_up && !promised)
        return mk_fault(soap, MK_ERR_STREAM_AT_END,
                        "getLeadChanges: no new records since this position; send it again later");
    int remaining = 0;
    if (!window_end && !caught_up) {
        remaining = buffered(g);
        if (remaining == 0)
            remaining = 1;
    }
    cJSON_ReplaceItemInObjectCaseSensitive(pl->state, "s", next_streams(g));
    cJSON_DeleteItemFromObjectCaseSensitive(pl->state, "m");
    cJSON_AddBoolToObject(pl->state, "m", remaining > 0);
    cJSON_DeleteItemFromObjectCaseSensitive(pl->state, "end");
    if (window_end)
        cJSON_AddBoolToObject(pl->state, "end", 1);
    char *offset = mk_act_encode_position(op, pl->state);
    if (!offset)
        return mk_fault(soap, MK_ERR_INTERNAL, "could not encode the stream position");

    struct ns1__LeadChangeRecord *recs = NULL;
    int rc = change_records(op, pl, emitted, &recs);
    if (rc != SOAP_OK)
        return rc;
    struct ns1__ResultGetLeadChanges *res = soap_malloc(soap, sizeof *res);
    if (!res)
        return mk_fault(soap, MK_ERR_INTERNAL, "out of memory");
    memset(res, 0, sizeof *res);
    res->returnCount = ret;
    res->remainingCount = remaining;
    const struct ns1__StreamPosition *sp = in->sp;
    res->newStartPosition = mk_act_stream_position(soap, sp->latestCreatedAt, sp->oldestCreatedAt,
                                                   sp->activityCreatedAt, offset);
    if (ret > 0) {
        res->leadChangeRecordList = soap_malloc(soap, sizeof *res->leadChangeRecordList);
        if (!res->leadChangeRecordList)
            return mk_fault(soap, MK_ERR_INTERNAL, "out of memory");
        res->leadChangeRecordList->__sizeleadChangeRecord = ret;
        res->leadChangeRecordList->leadChangeRecord = recs;
    }
    out->result = res;
    return SOAP_OK;
}

/* ---- the operation ----------------------------------------------------------------------- */

int mk_op_get_lead_changes(mk_op *op, struct ns1__ParamsGetLeadChanges *p,
                           struct ns1__SuccessGetLeadChanges *out)
{
    struct soap *soap = op->soap;
    int rc = SOAP_OK;
    static const char *const not_nillable[] = {"campaign", NULL};
    if ((rc = mk_nilfilter_drop(soap, not_nillable)) != SOAP_OK)
        return rc;
    mk_actsvc *svc = mk_act_svc(op);
    if (!svc)
        return mk_fault(soap, MK_ERR_INTERNAL, "getLeadChanges: activity services not started");

    glc_in in = {0};
    if ((rc = glc_validate(soap, p, &in)) != SOAP_OK)
        return rc;
    glc g = {.w = {.op = op, .max_calls = svc->max_calls, .resumed = in.resumed}};
    glc_plan pl = {0};
    cJSON *emitted = cJSON_CreateArray();
    bool window_end = false, caught_up = false;
    if ((rc = glc_plan_walk(op, p, &in, &g, &pl)) == SOAP_OK) {
        window_end = pl.end0 != 0;
        rc = glc_merge(&g, in.batch, emitted, &window_end, &caught_up);
    }
    if (rc == SOAP_OK)
        rc = glc_build(op, &in, &pl, &g, emitted, window_end, caught_up, out);
    for (int i = 0; g.s && i < g.ns; i++) {
        free(g.s[i].token);
        free(g.s[i].next);
        cJSON_Delete(g.s[i].page);
    }
    free(g.s);
    if (pl.fields)
        mk_ops_release_fields(pl.fields);
    cJSON_Delete(emitted);
    cJSON_Delete(pl.state);
    mk_acttypes_free(pl.types);
    return rc;
}
