/*
 * activities.c — getLeadActivity and getLeadChanges: a lead's activity
 * history, and activities across leads since a time.
 *
 * What both share
 *   Activity types: SOAP names them by WSDL token (activityFilter) or by
 *   display name (getLeadChanges' activityNameFilter); REST by the ids of
 *   GET /rest/v1/activities/types.json, cached for a TTL (actsvc.h).  A
 *   token that is not a WSDL ActivityType value, or names no type of the
 *   instance, is fault 20107 (Marketo's "Activity Key Bad").  REST takes at
 *   most 10 type ids per call, so a filter of more types reads several REST
 *   streams and merges them by date.  Campaign names come from
 *   GET /rest/v1/campaigns/{id}.json, cached.  Records are built by
 *   actrec.c.
 *
 *   Paging: StreamPosition/offset is a sealed stream position
 *   (streampos.h) holding everything needed to resume, bound to the SOAP
 *   user and to a fingerprint of the request's filters and selector; a
 *   re-sent position whose request differs, or whose dates differ from
 *   those it was issued for, is fault 20122.  REST gives no counts, so
 *   remainingCount is a lower bound: the records already seen beyond this
 *   page, at least 1 while more may exist, 0 at the end — a flag, as
 *   Marketo's own documentation asked clients to treat it.
 *
 * getLeadActivity: newest first from a forward-only API
 *   REST reads activities oldest → newest from a paging token taken at a
 *   date, and never stops by itself before the present.  To answer newest
 *   first without reading a lead's whole history on every call, the shim
 *   walks back in time in slices: [top − w, top], then the slice before it, and so on, until it holds more than batchSize
 *   records or reaches the bottom of the window (oldestCreatedAt, else the
 *   lead's createdAt).  Each slice is one paging-token call plus, per group
 *   of 10 types, the activities.json pages from the slice's start until the
 *   first record after its end (or the present, when the lead has none
 *   later).  Records are sorted newest first; the page is the first
 *   batchSize; the position records the date of the last one returned (and
 *   the ids already returned at that same second), so the next call walks on
 *   from there.  The first slice of a call always completes; once the page
 *   holds a record, no new slice is started after activities.max_rest_calls
 *   calls, and then the page may be short with remainingCount 1.  Until it
 *   holds one, slices go on until the window's bottom or 2 s before the
 *   request's deadline: a page is empty with remainingCount > 0 only then.
 *
 * getLeadChanges: oldest first, several REST streams merged
 *   New Lead / Change Data Value only: GET /rest/v1/activities/leadchanges.json
 *   with fields = every lead field that has a SOAP name; other types:
 *   GET /rest/v1/activities.json with ≤10 type ids per stream.
 *   LeadKeySelector (≤100 keys) → lead ids, ≤30 per stream; StaticListSelector
 *   → listId; LastUpdateAtSelector → the window (its dates intersect
 *   startPosition's).  The streams are merged by date; the position holds
 *   each stream's REST page token and how many of that page's records were
 *   consumed, so a page is re-read (not re-scanned) on resume.  When every
 *   stream has reached the present the answer has remainingCount 0 and a
 *   position that keeps working: re-sent later it returns the changes made
 *   since, or fault 20123 (Stream at End) when there are none yet.  With a
 *   latestCreatedAt the stream ends there for good (20123 when re-sent).
 */
#include <inttypes.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "ops/activities/actrec.h"
#include "ops/activities/acttypes.h"
#include "ops/core/actsvc.h"
#include "ops/core/common.h"
#include "ops/lists/lists.h"
#include "ops/core/nilfilter.h"
#include "ops/core/op.h"
#include "mk_handlers.h"
#include "ops/core/streampos.h"
#include "rest/json.h"
#include "soap/fault.h"

#define ACT_BATCH_MAX 100        /* getLeadActivity: "100 or batchSize, whichever is less" */
#define CHANGES_BATCH_MAX 1000   /* getLeadChanges: "1,000 or batchSize" */
#define REST_PAGE MK_REST_BATCH_MAX            /* activity pages; constant, so a page re-reads the same */
#define REST_TYPE_IDS 10
#define REST_LEAD_IDS 30
#define SOAP_SELECTOR_KEYS 100
#define EX_MAX 300               /* ids remembered at a page boundary's second */

/* ---- small helpers ------------------------------------------------------------ */

static mk_actsvc *acts(mk_op *op)
{
    return op->svc->acts;
}

static bool blank(const char *s)
{
    return !s || !*s;
}

/* xs:dateTime text of t (UTC). */
static char *iso(struct soap *soap, time_t t)
{
    struct tm tm;
    char buf[32];
    gmtime_r(&t, &tm);
    strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%SZ", &tm);
    return soap_strdup(soap, buf);
}

/* A date of startPosition or a selector: absent/empty → *set false. */
static int opt_date(struct soap *soap, const char *what, const char *s, time_t *t, bool *set)
{
    *set = false;
    if (blank(s))
        return SOAP_OK;
    if (mk_actrec_parse_date(s, t) != 0)
        return mk_fault(soap, MK_ERR_BAD_PARAMETER, "%s is not a date-time: '%s'", what, s);
    *set = true;
    return SOAP_OK;
}

/* FNV-1a over the parts of a request that a stream position belongs to. */
typedef struct fp {
    uint64_t h;
} fp;

static void fp_add(fp *f, const char *s)
{
    for (const unsigned char *p = (const unsigned char *)(s ? s : "\x01"); *p; p++) {
        f->h ^= *p;
        f->h *= 1099511628211ULL;
    }
    f->h ^= 0x1f;
    f->h *= 1099511628211ULL;
}

static void fp_text(const fp *f, char out[17])
{
    snprintf(out, 17, "%016" PRIx64, f->h);
}

static void fp_filter(fp *f, const struct ns1__ActivityTypeFilter *flt,
                      const struct ns1__ArrayOfString *names)
{
    const struct ns1__ArrayOfActivityType *in = flt ? flt->includeTypes : NULL;
    const struct ns1__ArrayOfActivityType *ex = flt ? flt->excludeTypes : NULL;
    fp_add(f, "include");
    for (int i = 0; in && i < in->__sizeactivityType; i++)
        if (!blank(in->activityType[i]))
            fp_add(f, in->activityType[i]);
    fp_add(f, "exclude");
    for (int i = 0; ex && i < ex->__sizeactivityType; i++)
        if (!blank(ex->activityType[i]))
            fp_add(f, ex->activityType[i]);
    fp_add(f, "names");
    for (int i = 0; names && i < names->__sizestringItem; i++)
        if (!blank(names->stringItem[i]))
            fp_add(f, names->stringItem[i]);
}

/* ---- REST calls with a per-SOAP-call budget ---------------------------------- */

typedef struct walk {
    mk_op *op;
    int calls;
    int max_calls;
    bool resumed;      /* tokens came from a stream position */
    bool have;         /* the page holds a record already */
} walk;

/* May a new unit of work (a slice, a page) start?  Keeps 2 s of the
 * request's deadline for building the answer.  The call budget
 * (activities.max_rest_calls) only cuts a page that holds a record: an
 * empty page that says more follows is where Talend and embulk stop, so
 * until the first record the walk goes on as long as the deadline allows.
 * The first REST page of a call is always read, so every call moves its
 * position on, however close the deadline. */
static bool walk_may_start(const walk *w)
{
    if (w->calls == 0)
        return true;
    return (!w->have || w->calls < w->max_calls) &&
           mk_request_ms_left(w->op->req) > 2000;
}

static bool mentions_token(const char *msg)
{
    for (const char *p = msg; *p; p++)
        if (strncasecmp(p, "token", 5) == 0)
            return true;
    return false;
}

static int walk_get(walk *w, const char *path, const mk_rest_param *q, size_t nq,
                    mk_rest_result *res, const char *what)
{
    mk_rest_req rr = {.method = MK_REST_GET, .path = path, .query = q, .nquery = nq};
    w->calls++;
    int rc = mk_ops_rest(w->op, &rr, res, what);
    /* A token Marketo no longer accepts came from the client's position. */
    if (rc != SOAP_OK && w->resumed && res->error_code == 1003 &&
        mentions_token(res->error_message))
        rc = mk_fault(w->op->soap, MK_ERR_BAD_STREAM_POSITION,
                      "%s: Marketo no longer accepts the paging position in this stream "
                      "position (%s); start again from a date", what, res->error_message);
    return rc;
}

static int paging_token(walk *w, time_t since, char **token, const char *what)
{
    char *s = iso(w->op->soap, since);
    mk_rest_param q[1] = {{"sinceDatetime", s}};
    mk_rest_result res = {0};
    int rc = walk_get(w, "/rest/v1/activities/pagingtoken.json", q, 1, &res, what);
    const char *t = rc == SOAP_OK ? mk_rest_json_get_string(res.json, "nextPageToken") : NULL;
    if (rc == SOAP_OK && blank(t))
        rc = mk_fault(w->op->soap, MK_ERR_API_INTERNAL, "%s: Marketo returned no paging token", what);
    *token = rc == SOAP_OK ? strdup(t) : NULL;
    mk_rest_result_free(&res);
    return rc;
}

/* ---- activity types --------------------------------------------------------------- */

/* The instance's activity types: cached, else GET activities/types.json. */
static int load_types(mk_op *op, mk_acttypes **out, const char *op_name)
{
    struct soap *soap = op->soap;
    mk_actsvc *a = acts(op);
    struct mk_request *r = op->req;
    const char *key = r->rest_client_id ? r->rest_client_id : "";
    *out = NULL;
    cJSON *doc = mk_objcache_get(a->types, key, NULL);
    if (!doc) {
        mk_rest_req rr = {.method = MK_REST_GET, .path = "/rest/v1/activities/types.json"};
        mk_rest_result res = {0};
        char what[96];
        snprintf(what, sizeof what, "%s: get activity types", op_name);
        int rc = mk_ops_rest(op, &rr, &res, what);
        if (rc == SOAP_OK)
            doc = cJSON_DetachItemFromObjectCaseSensitive(res.json, "result");
        mk_rest_result_free(&res);
        if (rc != SOAP_OK)
            return rc;
        *out = mk_acttypes_from_json(doc);
        if (*out)
            mk_objcache_put(a->types, key, doc);
    } else {
        *out = mk_acttypes_from_json(doc);
    }
    cJSON_Delete(doc);
    if (!*out)
        return mk_fault(soap, MK_ERR_API_INTERNAL,
                        "%s: Marketo's activity types (activities/types.json) could not be read", op_name);
    return SOAP_OK;
}

static size_t type_index(const mk_acttypes *t, const mk_acttype *x)
{
    return (size_t)(x - mk_acttypes_at(t, 0));
}

/* The REST type ids a request selects (ascending).  includeTypes and
 * excludeTypes are WSDL tokens; names (getLeadChanges) display names.
 * Blank entries mean "no filter", as Marketo documented. */
static int select_types(mk_op *op, const mk_acttypes *t,
                        const struct ns1__ActivityTypeFilter *flt,
                        const struct ns1__ArrayOfString *names, int64_t **ids, int *nids)
{
    struct soap *soap = op->soap;
    const mk_acttype_aliases *al = acts(op)->aliases;
    const struct ns1__ArrayOfActivityType *in = flt ? flt->includeTypes : NULL;
    const struct ns1__ArrayOfActivityType *ex = flt ? flt->excludeTypes : NULL;
    size_t n = mk_acttypes_count(t);
    int nin = 0, nex = 0, nnames = 0;
    for (int i = 0; in && i < in->__sizeactivityType; i++)
        nin += !blank(in->activityType[i]);
    for (int i = 0; ex && i < ex->__sizeactivityType; i++)
        nex += !blank(ex->activityType[i]);
    for (int i = 0; names && i < names->__sizestringItem; i++)
        nnames += !blank(names->stringItem[i]);
    if (nin && nex)
        return mk_fault(soap, MK_ERR_BAD_PARAMETER,
                        "activityFilter: includeTypes and excludeTypes cannot both be given");

    char *keep = soap_malloc(soap, n + 1);
    if (!keep)
        return mk_fault(soap, MK_ERR_INTERNAL, "out of memory");
    memset(keep, nin ? 0 : 1, n + 1);
    const struct ns1__ArrayOfActivityType *lists[2] = {in, ex};
    for (int l = 0; l < 2; l++) {
        const struct ns1__ArrayOfActivityType *arr = lists[l];
        for (int i = 0; arr && i < arr->__sizeactivityType; i++) {
            const char *tok = arr->activityType[i];
            if (blank(tok))
                continue;
            if (!mk_acttype_is_wsdl_token(tok))
                return mk_fault(soap, MK_ERR_ACTIVITY_KEY_BAD,
                                "activityFilter: '%s' is not an activity type (the WSDL's "
                                "ActivityType values, e.g. VisitWebpage, ChangeDataValue)", tok);
            const mk_acttype *x = mk_acttypes_by_token(t, al, tok);
            if (x)
                keep[type_index(t, x)] = l == 0;
            else if (l == 0)   /* excluding a type REST never returns changes nothing */
                return mk_fault(soap, MK_ERR_ACTIVITY_KEY_BAD,
                                "activityFilter: activity type %s has no counterpart among this "
                                "Marketo instance's REST activity types (activities/types.json)",
                                tok);
        }
    }
    if (nnames) {
        char *named = soap_malloc(soap, n + 1);
        if (!named)
            return mk_fault(soap, MK_ERR_INTERNAL, "out of memory");
        memset(named, 0, n + 1);
        for (int i = 0; i < names->__sizestringItem; i++) {
            const char *nm = names->stringItem[i];
            if (blank(nm))
                continue;
            const mk_acttype *x = mk_acttypes_by_name(t, nm);
            if (!x)
                return mk_fault(soap, MK_ERR_ACTIVITY_KEY_BAD,
                                "activityNameFilter: '%s' is not an activity type of this Marketo "
                                "instance (names as in activities/types.json, e.g. 'Visit Webpage')",
                                nm);
            named[type_index(t, x)] = 1;
        }
        for (size_t i = 0; i < n; i++)
            keep[i] = keep[i] && named[i];
    }
    *ids = soap_malloc(soap, sizeof **ids * (n + 1));
    if (!*ids)
        return mk_fault(soap, MK_ERR_INTERNAL, "out of memory");
    *nids = 0;
    for (size_t i = 0; i < n; i++)
        if (keep[i])
            (*ids)[(*nids)++] = mk_acttypes_at(t, i)->id;
    return SOAP_OK;
}

/* Comma lists of at most `per` ids each (in the soap arena). */
static char **id_groups(struct soap *soap, const int64_t *ids, int n, int per, int *ngroups)
{
    int ng = (n + per - 1) / per;
    char **g = soap_malloc(soap, sizeof *g * (size_t)(ng + 1));
    if (!g)
        return NULL;
    for (int k = 0; k < ng; k++) {
        char *s = soap_malloc(soap, (size_t)per * 21 + 1), *p = s;
        if (!s)
            return NULL;
        *p = '\0';
        for (int i = k * per; i < n && i < (k + 1) * per; i++)
            p += sprintf(p, "%s%" PRId64, i > k * per ? "," : "", ids[i]);
        g[k] = s;
    }
    *ngroups = ng;
    return g;
}

/* ---- campaigns ------------------------------------------------------------------- */

/* {"<id>": name | null} for every campaignId in acts: cached, else
 * GET /rest/v1/campaigns/{id}.json per campaign.  A campaign REST no longer
 * knows (deleted) is null. */
static int campaign_names(mk_op *op, const cJSON *list, cJSON **out, const char *op_name)
{
    mk_actsvc *a = acts(op);
    struct mk_request *r = op->req;
    cJSON *map = cJSON_CreateObject();
    int rc = SOAP_OK;
    const cJSON *act;
    cJSON_ArrayForEach(act, list) {
        char id[32], key[320], path[64];
        if (mk_rest_json_id_text(cJSON_GetObjectItemCaseSensitive(act, "campaignId"), id,
                                 sizeof id) != MK_REST_JSON_OK ||
            cJSON_HasObjectItem(map, id))
            continue;
        snprintf(key, sizeof key, "%s/%s", r->rest_client_id ? r->rest_client_id : "", id);
        cJSON *doc = mk_objcache_get(a->campaigns, key, NULL);
        if (!doc) {
            snprintf(path, sizeof path, "/rest/v1/campaigns/%s.json", id);
            mk_rest_req rr = {.method = MK_REST_GET, .path = path,
                              .path_template = "/rest/v1/campaigns/{campaignId}.json"};
            mk_rest_result res = {0};
            char what[96];
            snprintf(what, sizeof what, "%s: campaign name by id", op_name);
            mk_ops_failure fail;
            rc = mk_ops_rest_try(op, NULL, &rr, &res, what, &fail);
            if (rc != SOAP_OK && (fail.rest_code == 1013 || fail.rest_code == 702))
                rc = SOAP_OK;   /* the campaign is gone: no name to show */
            else if (rc != SOAP_OK)
                rc = mk_ops_raise(op, &fail);
            if (rc == SOAP_OK) {
                const char *name = mk_rest_json_get_string(
                    cJSON_GetArrayItem(cJSON_GetObjectItemCaseSensitive(res.json, "result"), 0),
                    "name");
                doc = cJSON_CreateObject();
                if (name)
                    cJSON_AddStringToObject(doc, "name", name);
                mk_objcache_put(a->campaigns, key, doc);
            }
            mk_rest_result_free(&res);
            if (rc != SOAP_OK)
                break;
        }
        const char *name = mk_rest_json_get_string(doc, "name");
        cJSON_AddItemToObject(map, id, name ? cJSON_CreateString(name) : cJSON_CreateNull());
        cJSON_Delete(doc);
    }
    if (rc != SOAP_OK) {
        cJSON_Delete(map);
        map = NULL;
    }
    *out = map;
    return rc;
}

/* ---- stream positions -------------------------------------------------------------- */

static int decode_position(mk_op *op, const char *offset, const char *kind,
                           const char *fingerprint, cJSON **state)
{
    struct soap *soap = op->soap;
    if (mk_streampos_decode(mk_ops_user_key(op), offset, state) != MK_STREAMPOS_OK)
        return mk_fault(soap, MK_ERR_BAD_STREAM_POSITION,
                        "startPosition/offset was not issued by this service for this user "
                        "(pass newStartPosition back unchanged)");
    const char *k = mk_rest_json_get_string(*state, "k");
    const char *h = mk_rest_json_get_string(*state, "h");
    if (!k || strcmp(k, kind) != 0 || !h || strcmp(h, fingerprint) != 0) {
        cJSON_Delete(*state);
        *state = NULL;
        return mk_fault(soap, MK_ERR_BAD_STREAM_POSITION,
                        "startPosition/offset belongs to a different request: send the same "
                        "%s and filters with it as with the call that returned it",
                        strcmp(kind, "gla") == 0 ? "leadKey" : "leadSelector");
    }
    return SOAP_OK;
}

/* A date re-sent with an offset must be the one the offset was issued for. */
static int same_date(struct soap *soap, const cJSON *state, const char *member, bool set,
                     time_t t, const char *what)
{
    int64_t v;
    if (!set)
        return SOAP_OK;
    if (mk_rest_json_get_int64(state, member, &v) != MK_REST_JSON_OK || v != (int64_t)t)
        return mk_fault(soap, MK_ERR_BAD_STREAM_POSITION,
                        "startPosition/%s differs from the one this offset was issued for", what);
    return SOAP_OK;
}

static char *encode_position(mk_op *op, const cJSON *state)
{
    struct soap *soap = op->soap;
    char *pos = NULL;
    if (mk_streampos_encode(mk_ops_user_key(op), state, &pos) != MK_STREAMPOS_OK)
        return NULL;
    char *out = soap_strdup(soap, pos);
    free(pos);
    return out;
}

static struct ns1__StreamPosition *stream_position(struct soap *soap, const char *latest,
                                                   const char *oldest, const char *activity,
                                                   const char *offset)
{
    struct ns1__StreamPosition *p = soap_malloc(soap, sizeof *p);
    if (!p)
        return NULL;
    p->latestCreatedAt = blank(latest) ? NULL : soap_strdup(soap, latest);
    p->oldestCreatedAt = blank(oldest) ? NULL : soap_strdup(soap, oldest);
    p->activityCreatedAt = blank(activity) ? NULL : soap_strdup(soap, activity);
    p->offset = (char *)offset;
    return p;
}

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

/* ---- getLeadActivity ------------------------------------------------------------------ */

typedef struct gla {
    walk w;
    int64_t lead;
    char **groups;
    int ngroups;
    char lead_text[24];
} gla;

/* The lead's activities of the selected types dated in [lo, hi] (hi
 * excluded when hx; at hi exactly, those in ex excluded) appended to out. */
static int read_slice(gla *g, time_t lo, time_t hi, bool hx, const cJSON *ex, cJSON *out)
{
    char *token = NULL;
    int rc = paging_token(&g->w, lo, &token, "getLeadActivity: paging token");
    char bs[8];
    snprintf(bs, sizeof bs, "%d", REST_PAGE);
    for (int k = 0; rc == SOAP_OK && k < g->ngroups; k++) {
        char *t = strdup(token);
        for (bool stop = false; rc == SOAP_OK && !stop;) {
            mk_rest_param q[4] = {{"nextPageToken", t}, {"activityTypeIds", g->groups[k]},
                                  {"leadIds", g->lead_text}, {"batchSize", bs}};
            mk_rest_result res = {0};
            rc = walk_get(&g->w, "/rest/v1/activities.json", q, 4, &res,
                          "getLeadActivity: get lead activities");
            const cJSON *a, *result = cJSON_GetObjectItemCaseSensitive(res.json, "result");
            if (rc != SOAP_OK)
                result = NULL;
            cJSON_ArrayForEach(a, result) {
                time_t at;
                char gb[32];
                if (mk_actrec_parse_date(mk_rest_json_get_date(a, "activityDate"), &at) != 0) {
                    rc = mk_fault(g->w.op->soap, MK_ERR_API_INTERNAL,
                                  "getLeadActivity: Marketo returned an activity without a "
                                  "readable activityDate");
                    break;
                }
                if (at > hi || (hx && at == hi)) {
                    stop = true;
                    break;
                }
                if (at < lo || (!hx && at == hi && in_list(ex, guid_of(a, gb))))
                    continue;
                cJSON_AddItemToArray(out, cJSON_Duplicate(a, 1));
            }
            int more = 0;
            mk_rest_json_get_bool(res.json, "moreResult", &more);
            const char *next = mk_rest_json_get_string(res.json, "nextPageToken");
            if (!more || blank(next))
                stop = true;
            else {
                free(t);
                t = strdup(next);
            }
            mk_rest_result_free(&res);
        }
        free(t);
    }
    free(token);
    return rc;
}

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

int mk_op_get_lead_activity(mk_op *op, struct ns1__ParamsGetLeadActivity *p,
                            struct ns1__SuccessGetLeadActivity *out)
{
    struct soap *soap = op->soap;
    int rc = SOAP_OK;
    static const char *const not_nillable[] = {"mktgAssetName", NULL};
    if ((rc = mk_nilfilter_drop(soap, not_nillable)) != SOAP_OK)
        return rc;
    mk_actsvc *svc = acts(op);
    if (!svc)
        return mk_fault(soap, MK_ERR_INTERNAL, "getLeadActivity: activity services not started");

    const struct ns1__LeadKey *key = p->leadKey;
    if (!key || blank(key->keyValue))
        return mk_fault(soap, MK_ERR_LEAD_KEY_REQUIRED,
                        "getLeadActivity needs leadKey with keyType and keyValue");
    int batch;
    if ((rc = mk_ops_batch_size(soap, p->batchSize, ACT_BATCH_MAX, ACT_BATCH_MAX, &batch)) != SOAP_OK)
        return rc;

    const struct ns1__StreamPosition *sp = p->startPosition;
    time_t oldest = 0, latest = 0, since = 0;
    bool has_oldest, has_latest, has_since;
    if ((rc = opt_date(soap, "startPosition/oldestCreatedAt", sp ? sp->oldestCreatedAt : NULL,
                       &oldest, &has_oldest)) != SOAP_OK ||
        (rc = opt_date(soap, "startPosition/latestCreatedAt", sp ? sp->latestCreatedAt : NULL,
                       &latest, &has_latest)) != SOAP_OK ||
        (rc = opt_date(soap, "startPosition/activityCreatedAt",
                       sp ? sp->activityCreatedAt : NULL, &since, &has_since)) != SOAP_OK)
        return rc;

    fp f = {14695981039346656037ULL};
    fp_add(&f, soap_ns1__LeadKeyRef2s(soap, key->keyType));
    fp_add(&f, key->keyValue);
    fp_filter(&f, p->activityFilter, NULL);
    char fpt[17];
    fp_text(&f, fpt);

    mk_acttypes *types = NULL;
    cJSON *state = NULL, *collected = cJSON_CreateArray(), *camps = NULL;
    item *items = NULL;
    gla g = {.w = {.op = op, .max_calls = svc->max_calls}};
    int64_t *ids = NULL;
    int nids = 0;
    if ((rc = load_types(op, &types, "getLeadActivity")) != SOAP_OK ||
        (rc = select_types(op, types, p->activityFilter, NULL, &ids, &nids)) != SOAP_OK)
        goto out;

    if (sp && !blank(sp->offset)) {
        if ((rc = decode_position(op, sp->offset, "gla", fpt, &state)) != SOAP_OK ||
            (rc = same_date(soap, state, "top", has_latest, latest, "latestCreatedAt")) != SOAP_OK ||
            (rc = same_date(soap, state, "o", has_oldest, oldest, "oldestCreatedAt")) != SOAP_OK ||
            (rc = same_date(soap, state, "a", has_since, since, "activityCreatedAt")) != SOAP_OK)
            goto out;
        int end = 0;
        mk_rest_json_get_bool(state, "end", &end);
        if (end) {
            rc = mk_fault(soap, MK_ERR_STREAM_AT_END,
                          "getLeadActivity: this position is past the lead's oldest activity in "
                          "the window; there are no more records");
            goto out;
        }
        g.w.resumed = true;
    } else {
        time_t created = 0;
        bool have_created = false;
        if ((rc = find_lead(op, key, &g.lead, &created, &have_created)) != SOAP_OK)
            goto out;
        time_t floor = has_oldest ? oldest : (have_created ? created : 0);
        if (has_since && since > floor)
            floor = since;
        time_t top = has_latest ? latest : time(NULL);
        if (top < floor) {
            rc = mk_fault(soap, MK_ERR_BAD_PARAMETER,
                          "startPosition: latestCreatedAt is before oldestCreatedAt");
            goto out;
        }
        state = cJSON_CreateObject();
        cJSON_AddStringToObject(state, "k", "gla");
        cJSON_AddStringToObject(state, "h", fpt);
        cJSON_AddNumberToObject(state, "lead", (double)g.lead);
        cJSON_AddNumberToObject(state, "lo", (double)floor);
        cJSON_AddNumberToObject(state, "hi", (double)top);
        cJSON_AddNumberToObject(state, "top", (double)top);
        if (has_oldest)
            cJSON_AddNumberToObject(state, "o", (double)oldest);
        if (has_since)
            cJSON_AddNumberToObject(state, "a", (double)since);
        cJSON_AddBoolToObject(state, "hx", 0);
        cJSON_AddItemToObject(state, "ex", cJSON_CreateArray());
        cJSON_AddNumberToObject(state, "w", (double)svc->window_s);
    }

    int64_t lo64, hi64, w64, top64;
    int hx = 0;
    const cJSON *ex = cJSON_GetObjectItemCaseSensitive(state, "ex");
    mk_rest_json_get_bool(state, "hx", &hx);
    if (mk_rest_json_get_int64(state, "lead", &g.lead) != MK_REST_JSON_OK ||
        mk_rest_json_get_int64(state, "lo", &lo64) != MK_REST_JSON_OK ||
        mk_rest_json_get_int64(state, "hi", &hi64) != MK_REST_JSON_OK ||
        mk_rest_json_get_int64(state, "top", &top64) != MK_REST_JSON_OK ||
        mk_rest_json_get_int64(state, "w", &w64) != MK_REST_JSON_OK || w64 < 1 || !cJSON_IsArray(ex)) {
        rc = mk_fault(soap, MK_ERR_BAD_STREAM_POSITION, "startPosition/offset is incomplete");
        goto out;
    }
    snprintf(g.lead_text, sizeof g.lead_text, "%" PRId64, g.lead);
    if (nids > 0 && !(g.groups = id_groups(soap, ids, nids, REST_TYPE_IDS, &g.ngroups))) {
        rc = mk_fault(soap, MK_ERR_INTERNAL, "out of memory");
        goto out;
    }

    /* Walk back from hi in slices, each four times as wide (see the top). */
    time_t floor = (time_t)lo64, slice_hi = (time_t)hi64, last_lo = slice_hi;
    bool slice_hx = hx != 0, reached = nids == 0, stopped = false;
    int64_t w = w64;
    while (!reached && cJSON_GetArraySize(collected) <= batch) {
        g.w.have = cJSON_GetArraySize(collected) > 0;
        if (g.w.have || g.w.calls > 0) {
            if (!walk_may_start(&g.w)) {
                stopped = true;
                break;
            }
        }
        time_t lo = slice_hi - (time_t)w;
        if ((int64_t)slice_hi - w <= (int64_t)floor) {
            lo = floor;
            reached = true;
        }
        rc = read_slice(&g, lo, slice_hi, slice_hx, slice_hi == (time_t)hi64 ? ex : NULL, collected);
        if (rc != SOAP_OK)
            goto out;
        last_lo = lo;
        slice_hi = lo;
        slice_hx = true;
        if (w < 3650LL * 86400)
            w *= 4;
    }

    /* Newest first. */
    int n = cJSON_GetArraySize(collected);
    items = calloc((size_t)n + 1, sizeof *items);
    char (*gbuf)[32] = soap_malloc(soap, sizeof *gbuf * ((size_t)n + 1));
    if (!items || !gbuf) {
        rc = mk_fault(soap, MK_ERR_INTERNAL, "out of memory");
        goto out;
    }
    int k = 0;
    cJSON *it;
    cJSON_ArrayForEach(it, collected) {
        items[k].json = it;
        mk_actrec_parse_date(mk_rest_json_get_date(it, "activityDate"), &items[k].at);
        items[k].guid = guid_of(it, gbuf[k]);
        k++;
    }
    qsort(items, (size_t)n, sizeof *items, cmp_newest_first);
    int ret = n < batch ? n : batch;

    /* Where the next call goes on. */
    cJSON *next = cJSON_Duplicate(state, 1);
    int remaining;
    if (n > batch) {
        time_t at = items[ret - 1].at;
        cJSON *nex = cJSON_CreateArray();
        if (at == (time_t)hi64 && !hx) {
            const cJSON *e;
            cJSON_ArrayForEach(e, ex) cJSON_AddItemToArray(nex, cJSON_Duplicate(e, 1));
        }
        for (int i = 0; i < ret; i++)
            if (items[i].at == at && cJSON_GetArraySize(nex) < EX_MAX)
                cJSON_AddItemToArray(nex, cJSON_CreateString(items[i].guid));
        cJSON_ReplaceItemInObjectCaseSensitive(next, "hi", cJSON_CreateNumber((double)at));
        cJSON_ReplaceItemInObjectCaseSensitive(next, "hx", cJSON_CreateBool(0));
        cJSON_ReplaceItemInObjectCaseSensitive(next, "ex", nex);
        int64_t nw = (int64_t)(at - last_lo) + 1;
        cJSON_ReplaceItemInObjectCaseSensitive(
            next, "w", cJSON_CreateNumber((double)(nw > svc->window_s ? nw : svc->window_s)));
        remaining = n - batch;
    } else if (stopped) {
        cJSON_ReplaceItemInObjectCaseSensitive(next, "hi", cJSON_CreateNumber((double)slice_hi));
        cJSON_ReplaceItemInObjectCaseSensitive(next, "hx", cJSON_CreateBool(slice_hx));
        if (slice_hi != (time_t)hi64 || slice_hx != (hx != 0))
            cJSON_ReplaceItemInObjectCaseSensitive(next, "ex", cJSON_CreateArray());
        cJSON_ReplaceItemInObjectCaseSensitive(next, "w", cJSON_CreateNumber((double)w));
        remaining = 1;
    } else {
        cJSON_DeleteItemFromObjectCaseSensitive(next, "end");
        cJSON_AddBoolToObject(next, "end", 1);
        remaining = 0;
    }
    char *offset = encode_position(op, next);
    cJSON_Delete(next);
    if (!offset) {
        rc = mk_fault(soap, MK_ERR_INTERNAL, "could not encode the stream position");
        goto out;
    }

    /* The page, with campaign names. */
    cJSON *page = cJSON_CreateArray();
    for (int i = 0; i < ret; i++)
        cJSON_AddItemReferenceToArray(page, items[i].json);
    rc = campaign_names(op, page, &camps, "getLeadActivity");
    struct ns1__ActivityRecord *recs = soap_malloc(soap, sizeof *recs * ((size_t)ret + 1));
    mk_actrec_ctx ctx = {.types = types, .campaigns = camps};
    for (int i = 0; rc == SOAP_OK && i < ret; i++) {
        int r = recs ? mk_actrec_to_activity(soap, &ctx, items[i].json, &recs[i]) : MK_ACTREC_NOMEM;
        if (r == MK_ACTREC_UNKNOWN_TYPE || r == MK_ACTREC_BAD)
            rc = mk_fault(soap, MK_ERR_API_INTERNAL,
                          "getLeadActivity: Marketo returned an activity the shim cannot read "
                          "(unknown type or missing date/lead)");
        else if (r != MK_ACTREC_OK)
            rc = mk_fault(soap, MK_ERR_INTERNAL, "out of memory");
    }
    cJSON_Delete(page);
    if (rc != SOAP_OK)
        goto out;

    struct ns1__LeadActivityList *l = soap_malloc(soap, sizeof *l);
    if (!l) {
        rc = mk_fault(soap, MK_ERR_INTERNAL, "out of memory");
        goto out;
    }
    memset(l, 0, sizeof *l);
    l->returnCount = ret;
    l->remainingCount = remaining;
    l->newStartPosition = stream_position(soap, has_latest ? sp->latestCreatedAt : iso(soap, (time_t)top64),
                                          has_oldest ? sp->oldestCreatedAt : NULL,
                                          has_since ? sp->activityCreatedAt : NULL, offset);
    if (ret > 0) {
        l->activityRecordList = soap_malloc(soap, sizeof *l->activityRecordList);
        if (!l->activityRecordList) {
            rc = mk_fault(soap, MK_ERR_INTERNAL, "out of memory");
            goto out;
        }
        l->activityRecordList->__sizeactivityRecord = ret;
        l->activityRecordList->activityRecord = recs;
    }
    out->leadActivityList = l;
out:
    free(items);
    cJSON_Delete(collected);
    cJSON_Delete(camps);
    cJSON_Delete(state);
    mk_acttypes_free(types);
    return rc;
}

/* ---- getLeadChanges ------------------------------------------------------------------- */

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
    walk w;
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

static int fetch(glc *g, stream *s)
{
    char bs[8];
    snprintf(bs, sizeof bs, "%d", REST_PAGE);
    mk_rest_param q[6];
    size_t nq = 0;
    q[nq++] = (mk_rest_param){"nextPageToken", s->token};
    q[nq++] = (mk_rest_param){"batchSize", bs};
    if (g->lc)
        q[nq++] = (mk_rest_param){"fields", g->fields};
    else
        q[nq++] = (mk_rest_param){"activityTypeIds", s->types};
    if (s->leads)
        q[nq++] = (mk_rest_param){"leadIds", s->leads};
    if (g->list[0])
        q[nq++] = (mk_rest_param){"listId", g->list};
    mk_rest_result res = {0};
    int rc = walk_get(&g->w, g->lc ? "/rest/v1/activities/leadchanges.json" : "/rest/v1/activities.json",
                      q, nq, &res,
                      g->lc ? "getLeadChanges: get lead changes" : "getLeadChanges: get activities");
    if (rc == SOAP_OK) {
        cJSON_Delete(s->page);
        s->page = cJSON_DetachItemFromObjectCaseSensitive(res.json, "result");
        if (!cJSON_IsArray(s->page)) {
            cJSON_Delete(s->page);
            s->page = cJSON_CreateArray();
        }
        const char *next = mk_rest_json_get_string(res.json, "nextPageToken");
        free(s->next);
        s->next = strdup(blank(next) ? s->token : next);
        s->more = 0;
        mk_rest_json_get_bool(res.json, "moreResult", &s->more);
        s->pos = s->skip < cJSON_GetArraySize(s->page) ? s->skip : cJSON_GetArraySize(s->page);
        s->fetched = true;
    }
    mk_rest_result_free(&res);
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
        if (!walk_may_start(&g->w)) {
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
    const char *kt = soap_ns1__LeadKeyRef2s(soap, sel->keyType);
    const char *why = NULL;
    const char *filter = mk_ops_lead_filter(op, kt, &why);
    if (!filter)
        return mk_fault(soap, MK_ERR_LEAD_KEY_BAD, "Lead key type %s is not supported: %s", kt,
                        why ? why : "no REST filter exists for it");
    const char **vals = soap_malloc(soap, sizeof *vals * ((size_t)n + 1));
    *ids = soap_malloc(soap, sizeof **ids * ((size_t)n + 1));
    if (!vals || !*ids)
        return mk_fault(soap, MK_ERR_INTERNAL, "out of memory");
    int k = 0;
    for (int i = 0; i < n; i++) {
        const char *v = sel->keyValues->stringItem[i];
        if (blank(v))
            continue;
        if (strchr(v, ','))
            return mk_fault(soap, MK_ERR_LEAD_KEY_BAD,
                            "key value '%s' contains a comma, which REST filter values cannot carry", v);
        vals[k++] = v;
    }
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
    if (blank(sel->staticListName))
        return mk_fault(soap, MK_ERR_PARAMETER_REQUIRED,
                        "StaticListSelector needs staticListId or staticListName");
    mk_list_ref l = {.name = sel->staticListName};
    int rc = mk_lists_resolve(op, &l, false, "getLeadChanges");
    *id = l.id;
    return rc;
}

static void fp_selector(struct soap *soap, fp *f, const struct ns1__LeadSelector *sel)
{
    char buf[32];
    if (sel && sel->ns1__LeadKeySelector) {
        const struct ns1__LeadKeySelector *k = sel->ns1__LeadKeySelector;
        fp_add(f, "keys");
        fp_add(f, soap_ns1__LeadKeyRef2s(soap, k->keyType));
        for (int i = 0; k->keyValues && i < k->keyValues->__sizestringItem; i++)
            fp_add(f, k->keyValues->stringItem[i] ? k->keyValues->stringItem[i] : "");
    } else if (sel && sel->ns1__StaticListSelector) {
        const struct ns1__StaticListSelector *l = sel->ns1__StaticListSelector;
        fp_add(f, "list");
        snprintf(buf, sizeof buf, "%d", l->staticListId ? *l->staticListId : 0);
        fp_add(f, buf);
        fp_add(f, l->staticListName ? l->staticListName : "");
    } else if (sel && sel->ns1__LastUpdateAtSelector) {
        const struct ns1__LastUpdateAtSelector *u = sel->ns1__LastUpdateAtSelector;
        time_t t;
        fp_add(f, "updated");
        snprintf(buf, sizeof buf, "%lld",
                 mk_actrec_parse_date(u->oldestUpdatedAt, &t) == 0 ? (long long)t : -1LL);
        fp_add(f, buf);
        snprintf(buf, sizeof buf, "%lld",
                 mk_actrec_parse_date(u->latestUpdatedAt, &t) == 0 ? (long long)t : -1LL);
        fp_add(f, buf);
    } else {
        fp_add(f, "all leads");
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

int mk_op_get_lead_changes(mk_op *op, struct ns1__ParamsGetLeadChanges *p,
                           struct ns1__SuccessGetLeadChanges *out)
{
    struct soap *soap = op->soap;
    int rc = SOAP_OK;
    static const char *const not_nillable[] = {"campaign", NULL};
    if ((rc = mk_nilfilter_drop(soap, not_nillable)) != SOAP_OK)
        return rc;
    mk_actsvc *svc = acts(op);
    if (!svc)
        return mk_fault(soap, MK_ERR_INTERNAL, "getLeadChanges: activity services not started");

    const struct ns1__StreamPosition *sp = p->startPosition;
    if (!sp)
        return mk_fault(soap, MK_ERR_PARAMETER_REQUIRED, "getLeadChanges needs a startPosition");
    int batch;
    if ((rc = mk_ops_batch_size(soap, p->batchSize, CHANGES_BATCH_MAX, CHANGES_BATCH_MAX, &batch)) != SOAP_OK)
        return rc;

    /* The window: startPosition's dates and a LastUpdateAtSelector's both apply. */
    time_t oldest = 0, latest = 0, since = 0, uo = 0, ul = 0;
    bool has_oldest, has_latest, has_since, has_uo = false, has_ul = false;
    const struct ns1__LeadSelector *sel = p->leadSelector;
    const struct ns1__LastUpdateAtSelector *upd = sel ? sel->ns1__LastUpdateAtSelector : NULL;
    if ((rc = opt_date(soap, "startPosition/oldestCreatedAt", sp->oldestCreatedAt, &oldest,
                       &has_oldest)) != SOAP_OK ||
        (rc = opt_date(soap, "startPosition/latestCreatedAt", sp->latestCreatedAt, &latest,
                       &has_latest)) != SOAP_OK ||
        (rc = opt_date(soap, "startPosition/activityCreatedAt", sp->activityCreatedAt, &since,
                       &has_since)) != SOAP_OK)
        return rc;
    if (upd) {
        if ((rc = opt_date(soap, "LastUpdateAtSelector/oldestUpdatedAt", upd->oldestUpdatedAt, &uo,
                           &has_uo)) != SOAP_OK ||
            (rc = opt_date(soap, "LastUpdateAtSelector/latestUpdatedAt", upd->latestUpdatedAt, &ul,
                           &has_ul)) != SOAP_OK)
            return rc;
        if (!has_uo)
            return mk_fault(soap, MK_ERR_PARAMETER_REQUIRED,
                            "LastUpdateAtSelector needs oldestUpdatedAt");
        if (has_ul && ul - uo > 30L * 86400)
            return mk_fault(soap, MK_ERR_TIME_RANGE,
                            "oldestUpdatedAt and latestUpdatedAt are more than 30 days apart");
    }
    bool resumed = !blank(sp->offset);
    bool has_lo = has_oldest || has_since || has_uo;
    time_t lo = 0;
    if (has_oldest)
        lo = oldest;
    if (has_since && since > lo)
        lo = since;
    if (has_uo && uo > lo)
        lo = uo;
    bool has_hi = has_latest || has_ul;
    time_t hi = has_latest ? latest : ul;
    if (has_latest && has_ul && ul < hi)
        hi = ul;
    if (!has_lo && !resumed)
        return mk_fault(soap, MK_ERR_PARAMETER_REQUIRED,
                        "getLeadChanges needs startPosition/oldestCreatedAt (or the offset of a "
                        "previous newStartPosition): REST reads activities forward from a date");
    if (has_lo && has_hi && hi < lo)
        return mk_fault(soap, MK_ERR_BAD_PARAMETER, "the window ends before it starts");

    fp f = {14695981039346656037ULL};
    fp_filter(&f, p->activityFilter, p->activityNameFilter);
    fp_selector(soap, &f, sel);
    char fpt[17];
    fp_text(&f, fpt);

    mk_acttypes *types = NULL;
    const mk_fields *fields = NULL;
    cJSON *state = NULL, *emitted = cJSON_CreateArray(), *camps = NULL;
    glc g = {.w = {.op = op, .max_calls = svc->max_calls, .resumed = resumed}};
    int64_t *ids = NULL;
    int nids = 0;
    if ((rc = load_types(op, &types, "getLeadChanges")) != SOAP_OK ||
        (rc = select_types(op, types, p->activityFilter, p->activityNameFilter, &ids, &nids)) !=
            SOAP_OK)
        goto out;

    if (resumed) {
        int end = 0;
        if ((rc = decode_position(op, sp->offset, "glc", fpt, &state)) != SOAP_OK ||
            (rc = same_date(soap, state, "o", has_oldest, oldest, "oldestCreatedAt")) != SOAP_OK ||
            (rc = same_date(soap, state, "l", has_latest, latest, "latestCreatedAt")) != SOAP_OK ||
            (rc = same_date(soap, state, "a", has_since, since, "activityCreatedAt")) != SOAP_OK)
            goto out;
        mk_rest_json_get_bool(state, "end", &end);
        if (end) {
            rc = mk_fault(soap, MK_ERR_STREAM_AT_END,
                          "getLeadChanges: this position is at the end of its window "
                          "(latestCreatedAt); there are no more records");
            goto out;
        }
    } else {
        /* Which REST streams: types x leads. */
        bool lc = nids > 0;
        for (int i = 0; i < nids; i++)
            lc = lc && (ids[i] == MK_ACT_NEW_LEAD || ids[i] == MK_ACT_CHANGE_DATA_VALUE);
        int ntg = 0, nlg = 0;
        char **tg = NULL, **lg = NULL;
        if (!lc && nids > 0 && !(tg = id_groups(soap, ids, nids, REST_TYPE_IDS, &ntg))) {
            rc = mk_fault(soap, MK_ERR_INTERNAL, "out of memory");
            goto out;
        }
        int64_t list = 0, *leads = NULL;
        int nleads = 0;
        bool no_leads = false;
        if (sel && sel->ns1__LeadKeySelector) {
            if ((rc = key_lead_ids(op, sel->ns1__LeadKeySelector, &leads, &nleads)) != SOAP_OK)
                goto out;
            no_leads = nleads == 0;
            if (nleads && !(lg = id_groups(soap, leads, nleads, REST_LEAD_IDS, &nlg))) {
                rc = mk_fault(soap, MK_ERR_INTERNAL, "out of memory");
                goto out;
            }
        } else if (sel && sel->ns1__StaticListSelector) {
            if ((rc = list_id(op, sel->ns1__StaticListSelector, &list)) != SOAP_OK)
                goto out;
        }
        state = cJSON_CreateObject();
        cJSON_AddStringToObject(state, "k", "glc");
        cJSON_AddStringToObject(state, "h", fpt);
        cJSON_AddNumberToObject(state, "lo", (double)lo);
        if (has_hi)
            cJSON_AddNumberToObject(state, "hi", (double)hi);
        if (has_oldest)
            cJSON_AddNumberToObject(state, "o", (double)oldest);
        if (has_latest)
            cJSON_AddNumberToObject(state, "l", (double)latest);
        if (has_since)
            cJSON_AddNumberToObject(state, "a", (double)since);
        cJSON_AddBoolToObject(state, "lc", lc);
        int only = 0;
        if (lc && nids == 1)
            only = (int)ids[0];
        cJSON_AddNumberToObject(state, "only", only);
        if (list)
            cJSON_AddNumberToObject(state, "list", (double)list);
        cJSON_AddItemToObject(state, "tg", strings_json(tg, ntg));
        cJSON_AddItemToObject(state, "lg", strings_json(lg, nlg));
        cJSON *streams = cJSON_AddArrayToObject(state, "s");
        if (nids == 0 || no_leads) {
            cJSON_AddBoolToObject(state, "end", 1);   /* nothing can match */
        } else {
            char *token = NULL;
            if ((rc = paging_token(&g.w, lo, &token, "getLeadChanges: paging token")) != SOAP_OK)
                goto out;
            int n = (ntg ? ntg : 1) * (nlg ? nlg : 1);
            for (int i = 0; i < n; i++) {
                cJSON *pair = cJSON_CreateArray();
                cJSON_AddItemToArray(pair, cJSON_CreateString(token));
                cJSON_AddItemToArray(pair, cJSON_CreateNumber(0));
                cJSON_AddItemToArray(streams, pair);
            }
            free(token);
        }
    }

    /* Rebuild the streams from the state. */
    int64_t v;
    int lcflag = 0, end0 = 0;
    mk_rest_json_get_bool(state, "lc", &lcflag);
    mk_rest_json_get_bool(state, "end", &end0);
    g.lc = lcflag;
    g.only = mk_rest_json_get_int64(state, "only", &v) == MK_REST_JSON_OK ? (int)v : 0;
    g.lo = mk_rest_json_get_int64(state, "lo", &v) == MK_REST_JSON_OK ? (time_t)v : 0;
    g.has_hi = mk_rest_json_get_int64(state, "hi", &v) == MK_REST_JSON_OK;
    g.hi = g.has_hi ? (time_t)v : 0;
    if (mk_rest_json_get_int64(state, "list", &v) == MK_REST_JSON_OK)
        snprintf(g.list, sizeof g.list, "%" PRId64, v);
    const cJSON *tgj = cJSON_GetObjectItemCaseSensitive(state, "tg");
    const cJSON *lgj = cJSON_GetObjectItemCaseSensitive(state, "lg");
    const cJSON *sj = cJSON_GetObjectItemCaseSensitive(state, "s");
    int ntg = cJSON_GetArraySize(tgj), nlg = cJSON_GetArraySize(lgj);
    g.ns = cJSON_GetArraySize(sj);
    if (!cJSON_IsArray(tgj) || !cJSON_IsArray(lgj) || !cJSON_IsArray(sj) ||
        (!end0 && g.ns != (ntg ? ntg : 1) * (nlg ? nlg : 1)) || (g.lc && ntg)) {
        rc = mk_fault(soap, MK_ERR_BAD_STREAM_POSITION, "startPosition/offset is incomplete");
        goto out;
    }
    if (g.lc) {
        fields = mk_ops_fields(op);
        g.fields = fields ? mk_fields_all_soap_csv(fields) : NULL;
        if (!g.fields || !*g.fields) {
            rc = mk_fault(soap, MK_ERR_API_INTERNAL,
                          "getLeadChanges: the lead field catalogue is not available");
            goto out;
        }
    }
    g.s = calloc((size_t)g.ns + 1, sizeof *g.s);
    if (!g.s) {
        rc = mk_fault(soap, MK_ERR_INTERNAL, "out of memory");
        goto out;
    }
    for (int i = 0; i < g.ns; i++) {
        const cJSON *pair = cJSON_GetArrayItem(sj, i);
        const char *tok = cJSON_GetStringValue(cJSON_GetArrayItem(pair, 0));
        int64_t skip;
        if (!tok || mk_rest_json_as_int64(cJSON_GetArrayItem(pair, 1), &skip) != MK_REST_JSON_OK ||
            skip < 0 || skip > REST_PAGE) {
            rc = mk_fault(soap, MK_ERR_BAD_STREAM_POSITION, "startPosition/offset is incomplete");
            goto out;
        }
        g.s[i].token = strdup(tok);
        g.s[i].skip = (int)skip;
        g.s[i].types = ntg ? cJSON_GetStringValue(cJSON_GetArrayItem(tgj, i / (nlg ? nlg : 1))) : NULL;
        g.s[i].leads = nlg ? cJSON_GetStringValue(cJSON_GetArrayItem(lgj, i % nlg)) : NULL;
        if (!g.s[i].token || (ntg && !g.s[i].types) || (nlg && !g.s[i].leads)) {
            rc = mk_fault(soap, MK_ERR_BAD_STREAM_POSITION, "startPosition/offset is incomplete");
            goto out;
        }
    }

    /* Every stream must show its next record before any record can go out,
     * so a call may always read one page of each: a budget below that would
     * re-read the same pages on every call and never get anywhere. */
    if (g.w.max_calls < g.ns + 2)
        g.w.max_calls = g.ns + 2;

    /* Merge by date: the earliest head of all streams goes next. */
    /* A stream that needs a REST page once the call budget is spent ends the
     * page early (remainingCount 1): its position is kept, nothing is lost.
     * The budget only counts once a record is in the page (walk_may_start):
     * a page comes back empty with remainingCount > 0 only when the
     * request's deadline is 2 s away. */
    bool window_end = end0 != 0, caught_up = false;
    while (!window_end && cJSON_GetArraySize(emitted) < batch) {
        int status = STREAM_OK;
        for (int i = 0; i < g.ns && status == STREAM_OK; i++)
            if ((rc = advance(&g, &g.s[i], &status)) != SOAP_OK)
                goto out;
        if (status == STREAM_STOPPED)
            break;
        stream *best = NULL;
        for (int i = 0; i < g.ns; i++)
            if (!g.s[i].at_end && (!best || g.s[i].head < best->head))
                best = &g.s[i];
        if (!best) {
            caught_up = true;
            break;
        }
        if (g.has_hi && best->head > g.hi) {
            window_end = true;
            break;
        }
        const cJSON *a = cJSON_GetArrayItem(best->page, best->pos++);
        if (wanted(&g, a, best->head)) {
            cJSON_AddItemToArray(emitted, cJSON_Duplicate(a, 1));
            g.w.have = true;
        }
    }
    int ret = cJSON_GetArraySize(emitted);
    /* A position whose page promised more (remainingCount > 0) is answered
     * at the end with an honest empty page, remainingCount 0; one issued
     * at the end and re-sent before anything new happened is 20123. */
    int promised = 0;
    mk_rest_json_get_bool(state, "m", &promised);
    if (resumed && ret == 0 && caught_up && !promised) {
        rc = mk_fault(soap, MK_ERR_STREAM_AT_END,
                      "getLeadChanges: no new records since this position; send it again later");
        goto out;
    }
    int remaining = 0;
    if (!window_end && !caught_up) {
        remaining = buffered(&g);
        if (remaining == 0)
            remaining = 1;
    }

    /* The next position: each stream's page and how much of it was used. */
    cJSON *ns = cJSON_CreateArray();
    for (int i = 0; i < g.ns; i++) {
        stream *s = &g.s[i];
        cJSON *pair = cJSON_CreateArray();
        bool used_up = s->fetched && s->pos >= cJSON_GetArraySize(s->page);
        cJSON_AddItemToArray(pair, cJSON_CreateString(used_up ? s->next : s->token));
        cJSON_AddItemToArray(pair, cJSON_CreateNumber(used_up ? 0 : s->fetched ? s->pos : s->skip));
        cJSON_AddItemToArray(ns, pair);
    }
    cJSON_ReplaceItemInObjectCaseSensitive(state, "s", ns);
    cJSON_DeleteItemFromObjectCaseSensitive(state, "m");
    cJSON_AddBoolToObject(state, "m", remaining > 0);
    cJSON_DeleteItemFromObjectCaseSensitive(state, "end");
    if (window_end)
        cJSON_AddBoolToObject(state, "end", 1);
    char *offset = encode_position(op, state);
    if (!offset) {
        rc = mk_fault(soap, MK_ERR_INTERNAL, "could not encode the stream position");
        goto out;
    }

    if ((rc = campaign_names(op, emitted, &camps, "getLeadChanges")) != SOAP_OK)
        goto out;
    struct ns1__LeadChangeRecord *recs = soap_malloc(soap, sizeof *recs * ((size_t)ret + 1));
    mk_actrec_ctx ctx = {.types = types, .fields = fields, .campaigns = camps};
    int k = 0;
    const cJSON *a;
    cJSON_ArrayForEach(a, emitted) {
        int r = recs ? mk_actrec_to_change(soap, &ctx, a, &recs[k++]) : MK_ACTREC_NOMEM;
        if (r == MK_ACTREC_UNKNOWN_TYPE || r == MK_ACTREC_BAD) {
            rc = mk_fault(soap, MK_ERR_API_INTERNAL,
                          "getLeadChanges: Marketo returned an activity the shim cannot read "
                          "(unknown type or missing date/lead)");
            goto out;
        } else if (r != MK_ACTREC_OK) {
            rc = mk_fault(soap, MK_ERR_INTERNAL, "out of memory");
            goto out;
        }
    }
    struct ns1__ResultGetLeadChanges *res = soap_malloc(soap, sizeof *res);
    if (!res) {
        rc = mk_fault(soap, MK_ERR_INTERNAL, "out of memory");
        goto out;
    }
    memset(res, 0, sizeof *res);
    res->returnCount = ret;
    res->remainingCount = remaining;
    res->newStartPosition = stream_position(soap, sp->latestCreatedAt, sp->oldestCreatedAt,
                                            sp->activityCreatedAt, offset);
    if (ret > 0) {
        res->leadChangeRecordList = soap_malloc(soap, sizeof *res->leadChangeRecordList);
        if (!res->leadChangeRecordList) {
            rc = mk_fault(soap, MK_ERR_INTERNAL, "out of memory");
            goto out;
        }
        res->leadChangeRecordList->__sizeleadChangeRecord = ret;
        res->leadChangeRecordList->leadChangeRecord = recs;
    }
    out->result = res;
out:
    for (int i = 0; g.s && i < g.ns; i++) {
        free(g.s[i].token);
        free(g.s[i].next);
        cJSON_Delete(g.s[i].page);
    }
    free(g.s);
    if (fields)
        mk_ops_release_fields(fields);
    cJSON_Delete(emitted);
    cJSON_Delete(camps);
    cJSON_Delete(state);
    mk_acttypes_free(types);
    return rc;
}
