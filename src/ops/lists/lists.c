/*
 * lists.c — listOperation: ADDTOLIST, REMOVEFROMLIST, ISMEMBEROFLIST and
 * CLEARLIST on a static list named by MKTOLISTNAME (or, as a shim
 * extension, by its REST id with MKTOLISTID), and the list helpers
 * importToList shares (lists.h).
 *
 * REST calls:
 *   GET    /rest/v1/lists.json?name=                 list name -> id (cached)
 *   GET    /rest/v1/lists/{id}/leads/ismember.json   ISMEMBEROFLIST, strict pre-check
 *   POST   /rest/v1/lists/{id}/leads.json            ADDTOLIST
 *   DELETE /rest/v1/lists/{id}/leads.json            REMOVEFROMLIST, CLEARLIST
 *   GET    /rest/v1/lists/{id}/leads.json            CLEARLIST: the members
 * each with at most 300 lead ids, so SOAP's 1,000 members take up to four.
 *
 * Answers follow Marketo's: `success` is true when every member's status is
 * true; ADD/REMOVE/CLEAR that fully succeeded carry <statusList
 * xsi:nil="true"/> (captured 2_4 traffic), otherwise and for ISMEMBEROFLIST
 * one leadStatus per member key, in request order.
 *
 * strict=true (all or nothing) has no REST equivalent: REST applies each
 * id on its own.  The shim checks every member with ismember.json before
 * changing anything and faults, changing nothing, if any would fail.  What
 * changes in Marketo between that check and the write is not covered.
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/buf.h"
#include "mapping/mapping.h"
#include "ops/core/common.h"
#include "ops/lists/lists.h"
#include "ops/core/namecache.h"
#include "ops/core/op.h"
#include "mk_handlers.h"
#include "ops/core/pager.h"
#include "rest/json.h"
#include "soap/fault.h"

#define SOAP_MEMBERS_MAX 1000 /* Marketo's documented listOperation limit */
#define FAILED_IDS_SHOWN 10   /* ids named in a strict-mode fault */

/* ---- helpers shared with import.c (lists.h) --------------------------------- */

int mk_lists_resolve(mk_op *op, mk_list_ref *l, bool fresh, const char *what)
{
    struct soap *soap = op->soap;
    mk_services *svc = op->svc;
    const char *scope = mk_ops_name_scope(op, l->program);
    l->cached = false;
    if (!fresh && mk_namecache_get(svc->names, "list", scope, l->name, &l->id)) {
        l->cached = true;
        return SOAP_OK;
    }
    mk_rest_param q[2] = {{"name", l->name}, {"programName", l->program}};
    mk_rest_req rr = {.ep = MK_EP_LISTS, .query = q, .nquery = l->program ? 2 : 1};
    mk_rest_result res = {0};
    char ctx[160];
    snprintf(ctx, sizeof ctx, "%s: find static list by name", what);
    int rc = mk_ops_rest_in(op, "list", &rr, &res, ctx);
    if (rc == SOAP_OK) {
        /* Marketo compares names without regard to case; when several lists
         * answer, the one spelled exactly as asked wins. */
        const cJSON *result = cJSON_GetObjectItemCaseSensitive(res.json, "result");
        const cJSON *it, *pick = NULL;
        int n = cJSON_GetArraySize(result), exact = 0;
        if (n == 1) {
            pick = cJSON_GetArrayItem(result, 0);
        } else {
            cJSON_ArrayForEach(it, result) {
                const char *nm = mk_rest_json_get_string(it, "name");
                if (nm && strcmp(nm, l->name) == 0) {
                    pick = it;
                    exact++;
                }
            }
        }
        if (n == 0 || !pick) {
            if (n == 0 && l->program)
                rc = mk_fault(soap, MK_ERR_LIST_NOT_FOUND,
                              "Static list '%s' not found in program '%s'", l->name, l->program);
            else if (n == 0)
                rc = mk_fault(soap, MK_ERR_LIST_NOT_FOUND, "Static list not found: %s", l->name);
            else
                rc = mk_fault(soap, MK_ERR_BAD_PARAMETER,
                              "%s: %d static lists are named '%s' (ignoring case); name it "
                              "exactly or use its id", what, n, l->name);
        } else if (exact > 1) {
            rc = mk_fault(soap, MK_ERR_BAD_PARAMETER,
                          "%s: %d static lists are named '%s'; use the list id (MKTOLISTID)",
                          what, exact, l->name);
        } else if (mk_rest_json_get_int64(pick, "id", &l->id) != MK_REST_JSON_OK || l->id <= 0) {
            rc = mk_fault(soap, MK_ERR_API_INTERNAL, "%s: Marketo returned a list without an id",
                          what);
        } else {
            mk_namecache_put(svc->names, "list", scope, l->name, l->id);
        }
    }
    mk_rest_result_free(&res);
    return rc;
}

int mk_lists_call(mk_op *op, mk_list_ref *l, mk_rest_req *rr, mk_rest_result *res,
                  const char *what)
{
    char path[96], idtext[24];
    for (int attempt = 0;; attempt++) {
        snprintf(idtext, sizeof idtext, "%" PRId64, l->id);
        if (mk_rest_endpoint_path(rr->ep, idtext, path, sizeof path) != 0)
            return mk_fault(op->soap, MK_ERR_INTERNAL, "%s: no list path for REST endpoint %d",
                            what, (int)rr->ep);
        rr->path = path;
        mk_rest_result_free(res);
        mk_ops_failure fail;
        int rc = mk_ops_rest_try(op, "list", rr, res, what, &fail);
        if (rc == SOAP_OK)
            return SOAP_OK;
        if (fail.rest_code != 1013)
            return mk_ops_raise(op, &fail);
        if (attempt == 0 && l->cached && l->name) {
            /* The cached id is gone (list deleted or recreated): ask again. */
            mk_namecache_forget_id(op->svc->names, "list", l->id);
            rc = mk_lists_resolve(op, l, true, what);
            if (rc != SOAP_OK)
                return rc;
            continue;
        }
        if (l->name)
            return mk_ops_fail_after(op, &fail, MK_ERR_LIST_NOT_FOUND, "Static list not found: %s",
                                     l->name);
        return mk_ops_fail_after(op, &fail, MK_ERR_LIST_NOT_FOUND,
                                 "Static list not found: id %" PRId64, l->id);
    }
}

static int push_id(int64_t **ids, size_t *n, size_t *cap, int64_t id)
{
    if (mk_array_grow(ids, cap, *n + 1, sizeof **ids) != 0)
        return -1;
    (*ids)[(*n)++] = id;
    return 0;
}

cJSON *mk_lists_id_input(const int64_t *ids, size_t n)
{
    cJSON *body = cJSON_CreateObject();
    cJSON *input = cJSON_AddArrayToObject(body, "input");
    for (size_t i = 0; i < n; i++) {
        char t[24];
        snprintf(t, sizeof t, "%" PRId64, ids[i]);
        cJSON *o = cJSON_CreateObject();
        cJSON_AddItemToObject(o, "id", cJSON_CreateRaw(t));
        cJSON_AddItemToArray(input, o);
    }
    return body;
}

/* The pager's send for a list's pages: through mk_lists_call, so that a
 * cached list id that has gone is looked up again. */
typedef struct list_send {
    mk_op *op;
    mk_list_ref *l;
    const char *what;
} list_send;

static int list_send_page(void *ctx, const mk_rest_req *rr, mk_rest_result *res)
{
    const list_send *s = ctx;
    mk_rest_req r = *rr;
    return mk_lists_call(s->op, s->l, &r, res, s->what);
}

/* The member ids of one page, appended to a growing array. */
typedef struct member_ids {
    struct soap *soap;
    const char *what;
    int64_t *ids;
    size_t n, cap;
} member_ids;

static int take_member_ids(void *ctx, mk_rest_result *res, cJSON *records, bool *stop)
{
    member_ids *m = ctx;
    const cJSON *it;
    (void)res;
    (void)stop;
    cJSON_ArrayForEach(it, records) {
        int64_t id;
        if (mk_rest_json_get_int64(it, "id", &id) == MK_REST_JSON_OK &&
            push_id(&m->ids, &m->n, &m->cap, id) != 0)
            return mk_fault(m->soap, MK_ERR_INTERNAL, "%s: out of memory", m->what);
    }
    return SOAP_OK;
}

int mk_lists_clear_all(mk_op *op, mk_list_ref *l, mk_list_clear *out, const char *what)
{
    struct soap *soap = op->soap;
    memset(out, 0, sizeof *out);
    size_t fcap = 0;
    int rc = SOAP_OK;
    char ctx[160];

    /* Collect first, then remove: paging while removing would skip members
     * (REST pages by position).  A page without members is the end. */
    snprintf(ctx, sizeof ctx, "%s: read the list's members", what);
    member_ids m = {.soap = soap, .what = what};
    list_send ls = {op, l, ctx};
    mk_rest_param q[3] = {{"fields", "id"}, {"batchSize", MK_REST_BATCH_MAX_TEXT},
                          {"nextPageToken", NULL}};
    mk_pager pg = {.ep = MK_EP_LIST_MEMBERS, .query = q, .nquery = 3,
                   .empty = MK_PAGER_EMPTY_ENDS, .send = list_send_page, .send_ctx = &ls,
                   .on_page = take_member_ids, .page_ctx = &m};
    rc = mk_pager_run(&pg);
    mk_pager_done(&pg);
    if (rc < 0)
        rc = mk_fault(soap, MK_ERR_INTERNAL, "%s: out of memory", what);
    if (rc != SOAP_OK)
        goto out;
    int64_t *ids = m.ids;
    size_t n = m.n;

    snprintf(ctx, sizeof ctx, "%s: remove the list's members", what);
    size_t per_call = (size_t)mk_rest_endpoint_get(MK_EP_LIST_REMOVE)->batch_max;
    for (size_t start = 0; start < n; start += per_call) {
        size_t cnt = n - start < per_call ? n - start : per_call;
        cJSON *body = mk_lists_id_input(ids + start, cnt);
        /* Membership changes are safe to repeat after an unclear failure
         * (the catalogue row says so). */
        mk_rest_req rr = {.ep = MK_EP_LIST_REMOVE, .json = body};
        mk_rest_result res = {0};
        mk_ops_failure fail;   /* held: a later batch's failure says what was removed */
        mk_ops_failure *outer = mk_ops_hold(op, &fail);
        rc = mk_lists_call(op, l, &rr, &res, ctx);
        mk_ops_unhold(op, outer);
        cJSON_Delete(body);
        if (rc != SOAP_OK) {
            if (start > 0)
                rc = mk_ops_partial_fault(op, &fail, ctx, (long long)out->removed,
                                          (long long)n, "members");
            else
                rc = mk_ops_raise(op, &fail);
            mk_rest_result_free(&res);
            goto out;
        }
        const cJSON *it;
        cJSON_ArrayForEach(it, cJSON_GetObjectItemCaseSensitive(res.json, "result")) {
            int64_t id = 0;
            mk_rest_json_get_int64(it, "id", &id);
            const char *st = mk_rest_json_get_string(it, "status");
            if (st && strcmp(st, "removed") == 0)
                out->removed++;
            else if (push_id(&out->failed, &out->nfailed, &fcap, id) != 0)
                rc = mk_fault(soap, MK_ERR_INTERNAL, "%s: out of memory", what);
        }
        mk_rest_result_free(&res);
        if (rc != SOAP_OK)
            goto out;
    }
out:
    free(m.ids);
    return rc;
}

/* ---- listOperation ------------------------------------------------------------ */

typedef struct member {
    struct ns1__LeadKey *key;  /* as sent (soap arena) */
    int64_t id;                /* 0: not a usable IDNUM */
    int uniq;                  /* index into the distinct ids, -1 if id is 0 */
} member;

typedef struct membership {
    member *m;                 /* one per SOAP leadKey */
    int n;
    int64_t *ids;              /* distinct ids, request order */
    const char **rest_status;  /* per distinct id: REST status ("added", ...) */
    int *reason;               /* per distinct id: first reason code */
    int nids;
} membership;

static int parse_members(struct soap *soap, const struct ns1__ArrayOfLeadKey *list, bool strict,
                         membership *ms)
{
    int n = list ? list->__sizeleadKey : 0;
    ms->n = n;
    ms->m = soap_malloc(soap, sizeof *ms->m * (size_t)(n ? n : 1));
    ms->ids = soap_malloc(soap, sizeof *ms->ids * (size_t)(n ? n : 1));
    ms->rest_status = soap_malloc(soap, sizeof *ms->rest_status * (size_t)(n ? n : 1));
    ms->reason = soap_malloc(soap, sizeof *ms->reason * (size_t)(n ? n : 1));
    if (!ms->m || !ms->ids || !ms->rest_status || !ms->reason)
        return mk_fault(soap, MK_ERR_INTERNAL, "out of memory");
    ms->nids = 0;
    for (int i = 0; i < n; i++) {
        struct ns1__LeadKey *k = &list->leadKey[i];
        member *m = &ms->m[i];
        m->key = k;
        m->id = 0;
        m->uniq = -1;
        if (k->keyType != ns1__LeadKeyRef__IDNUM)
            return mk_fault(soap, MK_ERR_LEAD_KEY_BAD,
                            "listOperation identifies leads by IDNUM only (as Marketo "
                            "documented it); leadKey %d has keyType %s", i + 1,
                            soap_ns1__LeadKeyRef2s(soap, k->keyType));
        char *end = NULL;
        long long v = k->keyValue ? strtoll(k->keyValue, &end, 10) : 0;
        if (!k->keyValue || !*k->keyValue || *end || v <= 0) {
            if (strict)
                return mk_fault(soap, MK_ERR_LEAD_KEY_BAD,
                                "strict listOperation: leadKey %d is not a lead id ('%s'); "
                                "nothing was changed", i + 1, k->keyValue ? k->keyValue : "");
            continue;   /* reported as status false */
        }
        m->id = v;
        for (int j = 0; j < ms->nids && m->uniq < 0; j++)
            if (ms->ids[j] == v)
                m->uniq = j;
        if (m->uniq < 0) {
            m->uniq = ms->nids;
            ms->ids[ms->nids] = v;
            ms->rest_status[ms->nids] = NULL;
            ms->reason[ms->nids] = 0;
            ms->nids++;
        }
    }
    return SOAP_OK;
}

/* Record REST's per-id outcome of one call (matched by id, not position). */
static void take_statuses(struct soap *soap, membership *ms, int first, int count,
                          const cJSON *result)
{
    const cJSON *it;
    cJSON_ArrayForEach(it, result) {
        int64_t id;
        if (mk_rest_json_get_int64(it, "id", &id) != MK_REST_JSON_OK)
            continue;
        for (int j = first; j < first + count; j++) {
            if (ms->ids[j] != id)
                continue;
            const char *st = mk_rest_json_get_string(it, "status");
            ms->rest_status[j] = st ? soap_strdup(soap, st) : NULL;
            const cJSON *r0 = cJSON_GetArrayItem(cJSON_GetObjectItemCaseSensitive(it, "reasons"), 0);
            const char *code = mk_rest_json_get_string(r0, "code");
            ms->reason[j] = code ? atoi(code) : 0;
            break;
        }
    }
}

/* ismember.json over every distinct id, as many per call as its row allows. */
static int check_membership(mk_op *op, mk_list_ref *l, membership *ms, const char *what)
{
    struct soap *soap = op->soap;
    int per_call = mk_rest_endpoint_get(MK_EP_LIST_ISMEMBER)->batch_max;
    for (int start = 0; start < ms->nids; start += per_call) {
        int cnt = ms->nids - start < per_call ? ms->nids - start : per_call;
        const char **txt = soap_malloc(soap, sizeof *txt * (size_t)cnt);
        char *digits = soap_malloc(soap, (size_t)cnt * 24);
        if (!txt || !digits)
            return mk_fault(soap, MK_ERR_INTERNAL, "out of memory");
        for (int i = 0; i < cnt; i++) {
            snprintf(digits + i * 24, 24, "%" PRId64, ms->ids[start + i]);
            txt[i] = digits + i * 24;
        }
        char *joined = mk_ops_join(txt, cnt, ',');
        if (!joined)
            return mk_fault(soap, MK_ERR_INTERNAL, "out of memory");
        mk_rest_param q[1] = {{"id", joined}};
        mk_rest_req rr = {.ep = MK_EP_LIST_ISMEMBER, .query = q, .nquery = 1};
        mk_rest_result res = {0};
        int rc = mk_lists_call(op, l, &rr, &res, what);
        free(joined);
        if (rc == SOAP_OK)
            take_statuses(soap, ms, start, cnt,
                          cJSON_GetObjectItemCaseSensitive(res.json, "result"));
        mk_rest_result_free(&res);
        if (rc != SOAP_OK)
            return rc;
    }
    return SOAP_OK;
}

/* Fault naming the ids whose REST status matches bad (and reason, if non-0). */
static int strict_fault(struct soap *soap, const membership *ms, const char *bad, int reason,
                        int code, const char *problem)
{
    char ids[FAILED_IDS_SHOWN * 22 + 16] = "";
    size_t len = 0;
    int count = 0;
    for (int j = 0; j < ms->nids; j++) {
        const char *st = ms->rest_status[j];
        if (!st || strcmp(st, bad) != 0 || (reason && ms->reason[j] != reason))
            continue;
        if (count < FAILED_IDS_SHOWN)
            len += (size_t)snprintf(ids + len, sizeof ids - len, "%s%" PRId64, count ? ", " : "",
                                    ms->ids[j]);
        count++;
    }
    if (count == 0)
        return SOAP_OK;
    return mk_fault(soap, code,
                    "strict listOperation: %d lead(s) %s (%s%s); nothing was changed", count,
                    problem, ids, count > FAILED_IDS_SHOWN ? ", ..." : "");
}

/* POST (add) or DELETE (remove) every distinct id, as many per call as the
 * row allows. */
static int change_membership(mk_op *op, mk_list_ref *l, membership *ms, bool add,
                             const char *what)
{
    struct soap *soap = op->soap;
    int per_call = mk_rest_endpoint_get(add ? MK_EP_LIST_ADD : MK_EP_LIST_REMOVE)->batch_max;
    for (int start = 0; start < ms->nids; start += per_call) {
        int cnt = ms->nids - start < per_call ? ms->nids - start : per_call;
        cJSON *body = mk_lists_id_input(ms->ids + start, (size_t)cnt);
        /* Membership changes are safe to repeat after an unclear failure
         * (the catalogue row says so). */
        mk_rest_req rr = {.ep = add ? MK_EP_LIST_ADD : MK_EP_LIST_REMOVE, .json = body};
        mk_rest_result res = {0};
        mk_ops_failure fail;   /* held: a later batch's failure says what was changed */
        mk_ops_failure *outer = mk_ops_hold(op, &fail);
        int rc = mk_lists_call(op, l, &rr, &res, what);
        mk_ops_unhold(op, outer);
        cJSON_Delete(body);
        if (rc == SOAP_OK)
            take_statuses(soap, ms, start, cnt,
                          cJSON_GetObjectItemCaseSensitive(res.json, "result"));
        else if (start > 0)
            rc = mk_ops_partial_fault(op, &fail, what, start, ms->nids, "leads");
        else
            rc = mk_ops_raise(op, &fail);
        mk_rest_result_free(&res);
        if (rc != SOAP_OK)
            return rc;
    }
    return SOAP_OK;
}

static struct ns1__LeadStatus *new_statuses(struct soap *soap, int n)
{
    struct ns1__LeadStatus *s = soap_malloc(soap, sizeof *s * (size_t)(n ? n : 1));
    if (s)
        memset(s, 0, sizeof *s * (size_t)(n ? n : 1));
    return s;
}

/* The SOAP result for ADD/REMOVE/ISMEMBER from the REST statuses. */
static int build_result(mk_op *op, const membership *ms, const char *group,
                        bool always_list, struct ns1__ResultListOperation **out)
{
    struct soap *soap = op->soap;
    mk_services *svc = op->svc;
    struct ns1__ResultListOperation *r = soap_malloc(soap, sizeof *r);
    struct ns1__LeadStatus *st = new_statuses(soap, ms->n);
    if (!r || !st)
        return mk_fault(soap, MK_ERR_INTERNAL, "out of memory");
    bool all = ms->n > 0;
    for (int i = 0; i < ms->n; i++) {
        const member *m = &ms->m[i];
        bool ok = false;
        if (m->uniq >= 0 && ms->rest_status[m->uniq]) {
            const char *v = mk_mapping_status_to_soap(svc->mapping, group,
                                                      ms->rest_status[m->uniq],
                                                      ms->reason[m->uniq]);
            ok = v && strcmp(v, "true") == 0;
        }
        st[i].leadKey = m->key;
        st[i].status = ok ? xsd__boolean__true_ : xsd__boolean__false_;
        all = all && ok;
    }
    r->success = all ? xsd__boolean__true_ : xsd__boolean__false_;
    r->statusList = NULL;
    if (always_list || !all) {
        r->statusList = soap_malloc(soap, sizeof *r->statusList);
        if (!r->statusList)
            return mk_fault(soap, MK_ERR_INTERNAL, "out of memory");
        r->statusList->__sizeleadStatus = ms->n;
        r->statusList->leadStatus = st;
    }
    *out = r;
    return SOAP_OK;
}

static int clear_list(mk_op *op, mk_list_ref *l, struct ns1__ResultListOperation **out)
{
    struct soap *soap = op->soap;
    mk_list_clear cl;
    int rc = mk_lists_clear_all(op, l, &cl, "listOperation CLEARLIST");
    if (rc == SOAP_OK) {
        struct ns1__ResultListOperation *r = soap_malloc(soap, sizeof *r);
        if (!r) {
            free(cl.failed);
            return mk_fault(soap, MK_ERR_INTERNAL, "out of memory");
        }
        r->success = cl.nfailed == 0 ? xsd__boolean__true_ : xsd__boolean__false_;
        r->statusList = NULL;
        if (cl.nfailed) {
            /* The client named no members: report the ones that stayed. */
            struct ns1__LeadStatus *st = new_statuses(soap, (int)cl.nfailed);
            r->statusList = soap_malloc(soap, sizeof *r->statusList);
            for (size_t i = 0; st && r->statusList && i < cl.nfailed; i++) {
                st[i].leadKey = soap_malloc(soap, sizeof *st[i].leadKey);
                char *digits = soap_malloc(soap, 24);
                if (!st[i].leadKey || !digits) {
                    st = NULL;
                    break;
                }
                snprintf(digits, 24, "%" PRId64, cl.failed[i]);
                st[i].leadKey->keyType = ns1__LeadKeyRef__IDNUM;
                st[i].leadKey->keyValue = digits;
                st[i].status = xsd__boolean__false_;
            }
            if (!st || !r->statusList) {
                free(cl.failed);
                return mk_fault(soap, MK_ERR_INTERNAL, "out of memory");
            }
            r->statusList->__sizeleadStatus = (int)cl.nfailed;
            r->statusList->leadStatus = st;
        }
        *out = r;
    }
    free(cl.failed);
    return rc;
}

int mk_op_list_operation(mk_op *op, struct ns1__ParamsListOperation *p,
                         struct ns1__SuccessListOperation *out)
{
    struct soap *soap = op->soap;
    int rc = SOAP_OK;

    const struct ns1__ListKey *lk = p->listKey;
    if (!lk || !lk->keyValue || !*lk->keyValue)
        return mk_fault(soap, MK_ERR_PARAMETER_REQUIRED,
                        "listOperation needs listKey with keyType and keyValue");
    mk_list_ref l = {0};
    switch (lk->keyType) {
    case ns1__ListKeyType__MKTOLISTNAME:
        l.name = lk->keyValue;
        break;
    case ns1__ListKeyType__MKTOLISTID: {
        char *end;
        long long v = strtoll(lk->keyValue, &end, 10);
        if (*end || v <= 0)
            return mk_fault(soap, MK_ERR_BAD_PARAMETER,
                            "listKey MKTOLISTID needs a static list id, not '%s'", lk->keyValue);
        l.id = v;
        break;
    }
    default:
        return mk_fault(soap, MK_ERR_BAD_PARAMETER,
                        "listKey keyType %s is not supported: the REST API addresses static "
                        "lists only by name or id, and has no list of a sales user or of a "
                        "Salesforce lead owner; use MKTOLISTNAME",
                        soap_ns1__ListKeyType2s(soap, lk->keyType));
    }

    enum ns1__ListOperationType list_op = p->listOperation;
    bool strict = p->strict && *p->strict == xsd__boolean__true_;
    if (p->skipActivityLog && *p->skipActivityLog == xsd__boolean__true_ &&
        list_op != ns1__ListOperationType__ISMEMBEROFLIST)
        return mk_fault(soap, MK_ERR_BAD_PARAMETER,
                        "skipActivityLog=true (Marketo 2_2) is not supported: the REST API "
                        "always logs Add to List / Remove from List activities");
    int n = p->listMemberList ? p->listMemberList->__sizeleadKey : 0;
    if (list_op == ns1__ListOperationType__CLEARLIST) {
        if (n > 0)
            return mk_fault(soap, MK_ERR_BAD_PARAMETER,
                            "CLEARLIST removes every member; listMemberList must be empty "
                            "(it has %d leadKey)", n);
    } else if (n == 0) {
        return mk_fault(soap, MK_ERR_LEAD_KEY_REQUIRED,
                        "listOperation %s needs listMemberList with at least one leadKey",
                        soap_ns1__ListOperationType2s(soap, list_op));
    } else if (n > SOAP_MEMBERS_MAX) {
        return mk_fault(soap, MK_ERR_BAD_PARAMETER,
                        "listOperation takes at most %d leads per call; listMemberList has %d",
                        SOAP_MEMBERS_MAX, n);
    }

    membership ms = {0};
    if (list_op != ns1__ListOperationType__CLEARLIST &&
        (rc = parse_members(soap, p->listMemberList, strict, &ms)) != SOAP_OK)
        return rc;
    if (l.name && (rc = mk_lists_resolve(op, &l, false, "listOperation")) != SOAP_OK)
        return rc;

    struct ns1__ResultListOperation *r = NULL;
    switch (list_op) {
    case ns1__ListOperationType__ISMEMBEROFLIST:
        /* Nothing is changed, so strict has nothing to protect. */
        rc = check_membership(op, &l, &ms, "listOperation ISMEMBEROFLIST");
        if (rc == SOAP_OK)
            rc = build_result(op, &ms, "list_ismember", true, &r);
        break;
    case ns1__ListOperationType__ADDTOLIST:
    case ns1__ListOperationType__REMOVEFROMLIST: {
        bool add = list_op == ns1__ListOperationType__ADDTOLIST;
        const char *what = add ? "listOperation ADDTOLIST" : "listOperation REMOVEFROMLIST";
        if (strict && ms.nids > 0) {
            rc = check_membership(op, &l, &ms, what);
            if (rc == SOAP_OK)
                rc = strict_fault(soap, &ms, "skipped", 0, MK_ERR_LEAD_NOT_FOUND,
                                  "do not exist or cannot be used");
            if (rc == SOAP_OK && !add)
                rc = strict_fault(soap, &ms, "notmemberof", 0, MK_ERR_BAD_PARAMETER,
                                  "are not members of the list");
            for (int j = 0; j < ms.nids; j++)
                ms.rest_status[j] = NULL;
        }
        if (rc == SOAP_OK && ms.nids > 0)
            rc = change_membership(op, &l, &ms, add, what);
        if (rc == SOAP_OK)
            rc = build_result(op, &ms, add ? "list_add" : "list_remove", false, &r);
        break;
    }
    case ns1__ListOperationType__CLEARLIST:
        rc = clear_list(op, &l, &r);
        break;
    default:
        rc = mk_fault(soap, MK_ERR_BAD_PARAMETER, "unknown listOperation");
    }
    if (rc == SOAP_OK)
        out->result = r;
    return rc;
}
