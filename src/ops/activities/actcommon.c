/*
 * actcommon.c — what getLeadActivity and getLeadChanges share (see
 * actcommon.h): small date helpers, the fingerprint of a request, the walk
 * (REST calls under a per-SOAP-call budget), activity types, campaign names
 * and stream positions.
 */
#include "ops/activities/actcommon.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "ops/activities/actrec.h"
#include "ops/core/streampos.h"
#include "rest/endpoints.h"
#include "rest/json.h"
#include "soap/fault.h"

mk_actsvc *mk_act_svc(mk_op *op)
{
    return op->svc->acts;
}

bool mk_act_blank(const char *s)
{
    return !s || !*s;
}

/* xs:dateTime text of t (UTC). */
char *mk_act_iso(struct soap *soap, time_t t)
{
    struct tm tm;
    char buf[32];
    gmtime_r(&t, &tm);
    strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%SZ", &tm);
    return soap_strdup(soap, buf);
}

/* A date of startPosition or a selector: absent/empty → *set false. */
int mk_act_opt_date(struct soap *soap, const char *what, const char *s, time_t *t, bool *set)
{
    *set = false;
    if (mk_act_blank(s))
        return SOAP_OK;
    if (mk_actrec_parse_date(s, t) != 0)
        return mk_fault(soap, MK_ERR_BAD_PARAMETER, "%s is not a date-time: '%s'", what, s);
    *set = true;
    return SOAP_OK;
}

void mk_act_fp_add(mk_act_fp *f, const char *s)
{
    for (const unsigned char *p = (const unsigned char *)(s ? s : "\x01"); *p; p++) {
        f->h ^= *p;
        f->h *= 1099511628211ULL;
    }
    f->h ^= 0x1f;
    f->h *= 1099511628211ULL;
}

void mk_act_fp_text(const mk_act_fp *f, char out[17])
{
    snprintf(out, 17, "%016" PRIx64, f->h);
}

void mk_act_fp_filter(mk_act_fp *f, const struct ns1__ActivityTypeFilter *flt,
                      const struct ns1__ArrayOfString *names)
{
    const struct ns1__ArrayOfActivityType *in = flt ? flt->includeTypes : NULL;
    const struct ns1__ArrayOfActivityType *ex = flt ? flt->excludeTypes : NULL;
    mk_act_fp_add(f, "include");
    for (int i = 0; in && i < in->__sizeactivityType; i++)
        if (!mk_act_blank(in->activityType[i]))
            mk_act_fp_add(f, in->activityType[i]);
    mk_act_fp_add(f, "exclude");
    for (int i = 0; ex && i < ex->__sizeactivityType; i++)
        if (!mk_act_blank(ex->activityType[i]))
            mk_act_fp_add(f, ex->activityType[i]);
    mk_act_fp_add(f, "names");
    for (int i = 0; names && i < names->__sizestringItem; i++)
        if (!mk_act_blank(names->stringItem[i]))
            mk_act_fp_add(f, names->stringItem[i]);
}

/* ---- REST calls with a per-SOAP-call budget ---------------------------------- */

/* May a new unit of work (a slice, a page) start?  Keeps 2 s of the
 * request's deadline for building the answer.  The call budget
 * (activities.max_rest_calls) only cuts a page that holds a record: an
 * empty page that says more follows is where Talend and embulk stop, so
 * until the first record the walk goes on as long as the deadline allows.
 * The first REST page of a call is always read, so every call moves its
 * position on, however close the deadline. */
bool mk_act_walk_may_start(const mk_act_walk *w)
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

int mk_act_walk_send(void *ctx, const mk_rest_req *rr, mk_rest_result *res)
{
    const mk_act_walk_send_ctx *c = ctx;
    mk_act_walk *w = c->w;
    w->calls++;
    int rc = mk_ops_rest(w->op, rr, res, c->what);
    /* A token Marketo no longer accepts came from the client's position. */
    if (rc != SOAP_OK && w->resumed && res->error_code == 1003 &&
        mentions_token(res->error_message))
        rc = mk_fault(w->op->soap, MK_ERR_BAD_STREAM_POSITION,
                      "%s: Marketo no longer accepts the paging position in this stream "
                      "position (%s); start again from a date", c->what, res->error_message);
    return rc;
}

int mk_act_paging_token(mk_act_walk *w, time_t since, char **token, const char *what)
{
    char *s = mk_act_iso(w->op->soap, since);
    mk_rest_param q[1] = {{"sinceDatetime", s}};
    mk_rest_req rr = {.ep = MK_EP_PAGING_TOKEN, .query = q, .nquery = 1};
    mk_act_walk_send_ctx sc = {w, what};
    mk_rest_result res = {0};
    int rc = mk_act_walk_send(&sc, &rr, &res);
    const char *t = rc == SOAP_OK ? mk_rest_json_get_string(res.json, "nextPageToken") : NULL;
    if (rc == SOAP_OK && mk_act_blank(t))
        rc = mk_fault(w->op->soap, MK_ERR_API_INTERNAL, "%s: Marketo returned no paging token", what);
    *token = rc == SOAP_OK ? strdup(t) : NULL;
    mk_rest_result_free(&res);
    return rc;
}

/* ---- activity types --------------------------------------------------------------- */

/* The instance's activity types: cached, else GET activities/types.json. */
int mk_act_load_types(mk_op *op, mk_acttypes **out, const char *op_name)
{
    struct soap *soap = op->soap;
    mk_actsvc *a = mk_act_svc(op);
    struct mk_request *r = op->req;
    const char *key = r->rest_client_id ? r->rest_client_id : "";
    *out = NULL;
    cJSON *doc = mk_objcache_get(a->types, key, NULL);
    if (!doc) {
        mk_rest_req rr = {.ep = MK_EP_ACTIVITY_TYPES};
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
int mk_act_select_types(mk_op *op, const mk_acttypes *t,
                        const struct ns1__ActivityTypeFilter *flt,
                        const struct ns1__ArrayOfString *names, int64_t **ids, int *nids)
{
    struct soap *soap = op->soap;
    const mk_acttype_aliases *al = mk_act_svc(op)->aliases;
    const struct ns1__ArrayOfActivityType *in = flt ? flt->includeTypes : NULL;
    const struct ns1__ArrayOfActivityType *ex = flt ? flt->excludeTypes : NULL;
    size_t n = mk_acttypes_count(t);
    int nin = 0, nex = 0, nnames = 0;
    for (int i = 0; in && i < in->__sizeactivityType; i++)
        nin += !mk_act_blank(in->activityType[i]);
    for (int i = 0; ex && i < ex->__sizeactivityType; i++)
        nex += !mk_act_blank(ex->activityType[i]);
    for (int i = 0; names && i < names->__sizestringItem; i++)
        nnames += !mk_act_blank(names->stringItem[i]);
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
            if (mk_act_blank(tok))
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
            if (mk_act_blank(nm))
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
char **mk_act_id_groups(struct soap *soap, const int64_t *ids, int n, int per, int *ngroups)
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
int mk_act_campaign_names(mk_op *op, const cJSON *list, cJSON **out, const char *op_name)
{
    mk_actsvc *a = mk_act_svc(op);
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
            mk_rest_endpoint_path(MK_EP_CAMPAIGN, id, path, sizeof path);
            mk_rest_req rr = {.ep = MK_EP_CAMPAIGN, .path = path};
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

int mk_act_decode_position(mk_op *op, const char *offset, const char *kind,
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
int mk_act_same_date(struct soap *soap, const cJSON *state, const char *member, bool set,
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

char *mk_act_encode_position(mk_op *op, const cJSON *state)
{
    struct soap *soap = op->soap;
    char *pos = NULL;
    if (mk_streampos_encode(mk_ops_user_key(op), state, &pos) != MK_STREAMPOS_OK)
        return NULL;
    char *out = soap_strdup(soap, pos);
    free(pos);
    return out;
}

struct ns1__StreamPosition *mk_act_stream_position(struct soap *soap, const char *latest,
                                                   const char *oldest, const char *activity,
                                                   const char *offset)
{
    struct ns1__StreamPosition *p = soap_malloc(soap, sizeof *p);
    if (!p)
        return NULL;
    p->latestCreatedAt = mk_act_blank(latest) ? NULL : soap_strdup(soap, latest);
    p->oldestCreatedAt = mk_act_blank(oldest) ? NULL : soap_strdup(soap, oldest);
    p->activityCreatedAt = mk_act_blank(activity) ? NULL : soap_strdup(soap, activity);
    p->offset = (char *)offset;
    return p;
}
