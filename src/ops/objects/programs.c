/*
 * programs.c — getMObjects and syncMObjects for the Program MObject, which
 * REST serves from the Asset API (/rest/asset/v1/program...), not the lead
 * database: its own filters (id, name, tag, workspace, update time), offset
 * paging, and an UPDATE that appends costs and sets tags.  mobjects.c
 * dispatches here (mobjects.h) and owns everything the types share.
 *
 * Programs keep their integer ids, which REST shares.  A request REST
 * cannot serve exactly is refused with fault 20110 that says why; what one
 * program object carries that REST cannot take makes that object FAILED.
 */
#include <ctype.h>
#include <inttypes.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "ops/core/common.h"
#include "ops/objects/mobjects.h"
#include "ops/objects/objects.h"
#include "ops/core/op.h"
#include "rest/endpoints.h"
#include "rest/json.h"
#include "soap/auth.h"
#include "soap/fault.h"

#define PROGRAM_PAGE 100
#define PROGRAM_DETAIL_PAGE 20   /* includeDetails on a list: one REST call per program */

/* ---- getMObjects: programs ------------------------------------------------------
 *
 * The Asset API finds programs by id (program/{id}.json), by name
 * (program/byName.json), by tag (program/byTag.json) and lists them
 * (programs.json) by workspace and update time, with offset paging of at
 * most 200.  One of those is chosen for the request's criteria; criteria
 * beyond the chosen one that are still of these kinds are checked on the
 * programs returned (an exact check, never a widening). */

typedef struct progq {
    bool has_id;
    long long id;
    const char *name, *tag_type, *tag_value, *workspace;
    bool has_from, has_to;
    time_t from, to;           /* inclusive, whole seconds */
} progq;

static void squash(const char *in, char *out, size_t n)
{
    size_t k = 0;
    for (; in && *in && k + 1 < n; in++)
        if (*in != ' ' && *in != '_')
            out[k++] = (char)tolower((unsigned char)*in);
    out[k] = '\0';
}

static int program_criterion(struct soap *soap, const struct ns1__MObjCriteria *c, progq *q)
{
    const char *op = "getMObjects";
    char a[64];
    squash(c->attrName, a, sizeof a);
    const char *v = c->attrValue ? c->attrValue : "";
    const char *cmp = soap_ns1__ComparisonEnum2s(soap, c->comparison);
    bool eq = c->comparison == ns1__ComparisonEnum__EQ;
    const char *why = NULL;
    if (!strcmp(a, "updatedat")) {
        time_t t;
        if (mk_auth_parse_timestamp(v, &t) != 0)
            return mk_fault(soap, MK_ERR_BAD_PARAMETER, "%s: Updated At '%s' is not a date-time",
                            op, v);
        switch (c->comparison) {
        case ns1__ComparisonEnum__EQ: q->from = q->to = t; q->has_from = q->has_to = true; break;
        case ns1__ComparisonEnum__GE: q->from = t; q->has_from = true; break;
        case ns1__ComparisonEnum__GT: q->from = t + 1; q->has_from = true; break;
        case ns1__ComparisonEnum__LE: q->to = t; q->has_to = true; break;
        case ns1__ComparisonEnum__LT: q->to = t - 1; q->has_to = true; break;
        default:
            why = "REST filters programs by an update-time range (earliestUpdatedAt / "
                  "latestUpdatedAt), which cannot exclude one instant";
        }
    } else if (!strcmp(a, "id") || !strcmp(a, "name") || !strcmp(a, "tagtype") ||
               !strcmp(a, "tagvalue") || !strcmp(a, "workspacename")) {
        if (!eq) {
            why = "the Asset API finds programs by equal id, name, tag or workspace only";
        } else if (!strcmp(a, "id")) {
            char *end;
            long long id = strtoll(v, &end, 10);
            if (!*v || *end || id <= 0)
                return mk_fault(soap, MK_ERR_BAD_PARAMETER, "%s: program Id '%s' is not an id",
                                op, v);
            if (q->has_id && q->id != id)
                q->id = -1;   /* two different ids: nothing matches */
            else
                q->id = id;
            q->has_id = true;
        } else {
            const char **slot = !strcmp(a, "name") ? &q->name
                                : !strcmp(a, "tagtype") ? &q->tag_type
                                : !strcmp(a, "tagvalue") ? &q->tag_value : &q->workspace;
            if (*slot && strcasecmp(*slot, v) != 0)
                return mk_fault(soap, MK_ERR_BAD_PARAMETER,
                                "%s: %s is given twice with different values", op, c->attrName);
            *slot = v;
        }
    } else if (!strcmp(a, "workspaceid")) {
        why = "REST programs carry the workspace name, not its id (filter by Workspace Name)";
    } else if (!strcmp(a, "crmid")) {
        why = "the Asset API cannot filter programs by their CRM (SFDC campaign) id";
    } else if (!strcmp(a, "createdat")) {
        why = "the Asset API filters programs by update time, not creation time";
    } else if (!strcmp(a, "includearchive")) {
        why = "the Asset API has no archive switch for listing programs";
    } else {
        why = "it is not a Program attribute (Id, Name, Tag Type, Tag Value, Workspace Name, "
              "Updated At)";
    }
    if (why)
        return mk_fault(soap, MK_ERR_BAD_PARAMETER, "%s: REST cannot filter programs by %s %s %s: %s",
                        op, c->attrName ? c->attrName : "", cmp ? cmp : "?", v, why);
    return SOAP_OK;
}

static void iso_utc(time_t t, char out[32])
{
    struct tm tm;
    gmtime_r(&t, &tm);
    strftime(out, 32, "%Y-%m-%dT%H:%M:%SZ", &tm);
}

static bool has_tag(const cJSON *rec, const char *type, const char *value)
{
    const cJSON *t;
    cJSON_ArrayForEach(t, cJSON_GetObjectItemCaseSensitive(rec, "tags")) {
        if (mk_obj_text_equal(mk_rest_json_get_string(t, "tagType"), type) &&
            mk_obj_text_equal(mk_rest_json_get_string(t, "tagValue"), value))
            return true;
    }
    return false;
}

static bool program_matches(struct soap *soap, const progq *q, const cJSON *rec)
{
    int64_t id;
    if (q->has_id && (mk_rest_json_get_int64(rec, "id", &id) != MK_REST_JSON_OK || id != q->id))
        return false;
    if (q->name && !mk_obj_text_equal(mk_rest_json_get_string(rec, "name"), q->name))
        return false;
    if (q->workspace && !mk_obj_text_equal(mk_rest_json_get_string(rec, "workspace"), q->workspace))
        return false;
    if (q->tag_type && !has_tag(rec, q->tag_type, q->tag_value))
        return false;
    if (q->has_from || q->has_to) {
        time_t up;
        char *u = mk_obj_datetime(soap, mk_rest_json_get_date(rec, "updatedAt"));
        if (!u || mk_auth_parse_timestamp(u, &up) != 0)
            return false;
        if ((q->has_from && up < q->from) || (q->has_to && up > q->to))
            return false;
    }
    return true;
}

/* REST program type → the names Marketo's SOAP API used ("Marketing
 * Program", "Marketing Event" in its examples, where a webinar is an
 * event); other types pass as REST names them. */
static const char *program_type(const char *rest)
{
    if (!rest)
        return "";
    if (!strcasecmp(rest, "program") || !strcasecmp(rest, "default"))
        return "Marketing Program";
    if (!strcasecmp(rest, "event") || !strcasecmp(rest, "webinar"))
        return "Marketing Event";
    return rest;
}

static struct ns1__TypeAttrib *type_attrib(struct soap *soap, struct ns1__TypeAttrib *ta,
                                           const char *type, int n)
{
    ta->attrType = (char *)type;
    ta->attrList = soap_malloc(soap, sizeof *ta->attrList);
    struct ns1__Attrib *a = soap_malloc(soap, sizeof *a * (size_t)n);
    if (!ta->attrList || !a)
        return NULL;
    ta->attrList->__sizeattrib = 0;
    ta->attrList->attrib = a;
    return ta;
}

static void add_attr(struct soap *soap, struct ns1__ArrayOfAttrib *l, const char *name,
                     const char *value)
{
    l->attrib[l->__sizeattrib].name = (char *)name;
    l->attrib[l->__sizeattrib++].value = soap_strdup(soap, value);
}

static int program_mobject(struct soap *soap, const cJSON *rec, struct ns1__MObject *o)
{
    memset(o, 0, sizeof *o);
    o->type = "Program";
    int64_t id;
    if (mk_rest_json_get_int64(rec, "id", &id) == MK_REST_JSON_OK && id > 0 && id <= INT_MAX)
        o->id = mk_obj_int_ptr(soap, (int)id);
    o->createdAt = mk_obj_datetime(soap, mk_rest_json_get_date(rec, "createdAt"));
    o->updatedAt = mk_obj_datetime(soap, mk_rest_json_get_date(rec, "updatedAt"));
    o->attribList = soap_malloc(soap, sizeof *o->attribList);
    if (!o->attribList)
        return mk_fault(soap, MK_ERR_INTERNAL, "getMObjects: out of memory");
    o->attribList->__sizeattrib = 0;
    o->attribList->attrib = soap_malloc(soap, sizeof(struct ns1__Attrib) * 8);
    if (!o->attribList->attrib)
        return mk_fault(soap, MK_ERR_INTERNAL, "getMObjects: out of memory");
    static const struct { const char *soap, *rest; } A[] = {
        {"Name", "name"}, {"Description", "description"}, {"Type", "type"},
        {"Workspace Name", "workspace"}, {"Status", "status"}, {"CRM Id", "sfdcId"},
        {"Start Date", "startDate"}, {"End Date", "endDate"}};
    for (size_t i = 0; i < sizeof A / sizeof A[0]; i++) {
        char *v = mk_ops_value_text(soap, cJSON_GetObjectItemCaseSensitive(rec, A[i].rest));
        if (!v || (!*v && strcmp(A[i].soap, "Name") != 0))
            continue;
        add_attr(soap, o->attribList, A[i].soap,
                 !strcmp(A[i].soap, "Type") ? program_type(v) : v);
    }
    const cJSON *tags = cJSON_GetObjectItemCaseSensitive(rec, "tags");
    const cJSON *costs = cJSON_GetObjectItemCaseSensitive(rec, "costs");
    const char *channel = mk_rest_json_get_string(rec, "channel");
    int nt = cJSON_GetArraySize(tags) + cJSON_GetArraySize(costs) + (channel && *channel);
    if (nt == 0)
        return SOAP_OK;
    o->typeAttribList = soap_malloc(soap, sizeof *o->typeAttribList);
    struct ns1__TypeAttrib *ta = soap_malloc(soap, sizeof *ta * (size_t)nt);
    if (!o->typeAttribList || !ta)
        return mk_fault(soap, MK_ERR_INTERNAL, "getMObjects: out of memory");
    int k = 0;
    /* The channel was a tag in SOAP (Type=Channel). */
    if (channel && *channel) {
        if (!type_attrib(soap, &ta[k], "Tag", 2))
            return mk_fault(soap, MK_ERR_INTERNAL, "getMObjects: out of memory");
        add_attr(soap, ta[k].attrList, "Type", "Channel");
        add_attr(soap, ta[k++].attrList, "Value", channel);
    }
    const cJSON *t;
    cJSON_ArrayForEach(t, tags) {
        if (!type_attrib(soap, &ta[k], "Tag", 2))
            return mk_fault(soap, MK_ERR_INTERNAL, "getMObjects: out of memory");
        const char *tt = mk_rest_json_get_string(t, "tagType");
        const char *tv = mk_rest_json_get_string(t, "tagValue");
        add_attr(soap, ta[k].attrList, "Type", tt ? tt : "");
        add_attr(soap, ta[k++].attrList, "Value", tv ? tv : "");
    }
    /* REST costs have no id: SOAP's optional cost Id is left out, not invented. */
    cJSON_ArrayForEach(t, costs) {
        if (!type_attrib(soap, &ta[k], "Cost", 3))
            return mk_fault(soap, MK_ERR_INTERNAL, "getMObjects: out of memory");
        char *month = mk_ops_value_text(soap, cJSON_GetObjectItemCaseSensitive(t, "startDate"));
        char *amount = mk_ops_value_text(soap, cJSON_GetObjectItemCaseSensitive(t, "cost"));
        char *note = mk_ops_value_text(soap, cJSON_GetObjectItemCaseSensitive(t, "note"));
        if (month && strlen(month) > 10)
            month[10] = '\0';   /* the period's month, as SOAP showed it: 2011-07-01 */
        add_attr(soap, ta[k].attrList, "Month", month ? month : "");
        add_attr(soap, ta[k].attrList, "Amount", amount ? amount : "");
        if (note && *note)
            add_attr(soap, ta[k].attrList, "Note", note);
        k++;
    }
    o->typeAttribList->__sizetypeAttrib = k;
    o->typeAttribList->typeAttrib = ta;
    return SOAP_OK;
}

/* One program's full record (tags and costs) by id; NULL result when none. */
static int program_by_id(mk_op *op, long long id, const char *what, cJSON **rec)
{
    char path[64], idtext[24];
    snprintf(idtext, sizeof idtext, "%lld", id);
    *rec = NULL;
    if (mk_rest_endpoint_path(MK_EP_PROGRAM, idtext, path, sizeof path) != 0)
        return mk_fault(op->soap, MK_ERR_INTERNAL, "%s: program path too long", what);
    mk_rest_req rr = {.ep = MK_EP_PROGRAM, .path = path};
    mk_rest_result res = {0};
    int rc = mk_ops_rest_in(op, "program", &rr, &res, what);
    *rec = NULL;
    if (rc == SOAP_OK) {
        cJSON *first = cJSON_GetArrayItem(cJSON_GetObjectItemCaseSensitive(res.json, "result"), 0);
        *rec = first ? cJSON_Duplicate(first, 1) : NULL;
    }
    mk_rest_result_free(&res);
    return rc;
}

/* getMObjects' selection of programs as one Asset API query (progq). */
static int programs_validate(struct soap *soap, const struct ns1__ParamsGetMObjects *p, progq *q)
{
    const char *op = "getMObjects";
    int rc;
    if (p->externalKey)
        return mk_fault(soap, MK_ERR_BAD_PARAMETER,
                        "%s: programs have no external key in REST; ask by id or criteria", op);
    if (p->mObjAssociationList && p->mObjAssociationList->__sizemObjAssociation > 0)
        return mk_fault(soap, MK_ERR_BAD_PARAMETER,
                        "%s: REST cannot select programs by an associated object", op);
    if (p->id) {
        q->has_id = true;
        q->id = *p->id;
    }
    for (int i = 0; p->mObjCriteriaList && i < p->mObjCriteriaList->__sizemObjCriteria; i++)
        if ((rc = program_criterion(soap, &p->mObjCriteriaList->mObjCriteria[i], q)) != SOAP_OK)
            return rc;
    if (!q->tag_type != !q->tag_value)
        return mk_fault(soap, MK_ERR_PARAMETER_REQUIRED,
                        "%s: REST finds programs by tag with both Tag Type and Tag Value", op);
    if (q->workspace && strchr(q->workspace, ','))
        return mk_fault(soap, MK_ERR_BAD_PARAMETER,
                        "%s: Workspace Name '%s' contains a comma, which a REST filter value "
                        "cannot carry", op, q->workspace);
    return SOAP_OK;
}

/* The one Asset API call for q: by id, by name, by tag, or the list;
 * *records (owned) is an array, empty when nothing was found.  Paged
 * calls ask for page + 1 programs: the extra one says more exist. */
static int programs_fetch(mk_op *op, const progq *q, int page, int64_t offset,
                          cJSON **records)
{
    const char *op_name = "getMObjects";
    int rc;
    mk_rest_result res = {0};
    char what[96], maxr[16], off[24], from[32], to[32];
    snprintf(maxr, sizeof maxr, "%d", page + 1);   /* one more tells whether more exist */
    snprintf(off, sizeof off, "%" PRId64, offset);
    *records = NULL;
    if (q->has_id) {
        snprintf(what, sizeof what, "%s: get program by id", op_name);
        cJSON *rec = NULL;
        rc = q->id > 0 ? program_by_id(op, q->id, what, &rec) : SOAP_OK;
        *records = cJSON_CreateArray();
        if (rec)
            cJSON_AddItemToArray(*records, rec);
    } else if (q->name) {
        snprintf(what, sizeof what, "%s: get program by name", op_name);
        mk_rest_param qp[3] = {{"name", q->name}, {"includeTags", "true"}, {"includeCosts", "true"}};
        mk_rest_req rr = {.ep = MK_EP_PROGRAM_BY_NAME, .query = qp, .nquery = 3};
        rc = mk_ops_rest_in(op, "program", &rr, &res, what);
    } else if (q->tag_type) {
        snprintf(what, sizeof what, "%s: get programs by tag", op_name);
        mk_rest_param qp[4] = {{"tagType", q->tag_type}, {"tagValue", q->tag_value},
                               {"maxReturn", maxr}, {"offset", off}};
        mk_rest_req rr = {.ep = MK_EP_PROGRAMS_BY_TAG, .query = qp, .nquery = 4};
        rc = mk_ops_rest_in(op, "program", &rr, &res, what);
    } else {
        snprintf(what, sizeof what, "%s: list programs", op_name);
        mk_rest_param qp[6] = {{"maxReturn", maxr}, {"offset", off}};
        size_t nq = 2;
        if (q->workspace) {
            qp[nq++] = (mk_rest_param){"filterType", "workspace"};
            qp[nq++] = (mk_rest_param){"filterValues", q->workspace};
        }
        if (q->has_from) {
            iso_utc(q->from, from);
            qp[nq++] = (mk_rest_param){"earliestUpdatedAt", from};
        }
        if (q->has_to) {
            iso_utc(q->to, to);
            qp[nq++] = (mk_rest_param){"latestUpdatedAt", to};
        }
        mk_rest_req rr = {.ep = MK_EP_PROGRAMS, .query = qp, .nquery = nq};
        rc = mk_ops_rest_in(op, "program", &rr, &res, what);
    }
    if (rc == SOAP_OK && !*records) {
        /* Nothing found is success with a warning and no result (Asset API). */
        *records = cJSON_DetachItemFromObjectCaseSensitive(res.json, "result");
        if (!cJSON_IsArray(*records)) {
            cJSON_Delete(*records);
            *records = cJSON_CreateArray();
        }
    }
    mk_rest_result_free(&res);
    return rc;
}

/* The list call leaves out tags and costs: read each program. */
static int program_details(mk_op *op, cJSON *records)
{
    char what[96];
    snprintf(what, sizeof what, "%s: get program details", "getMObjects");
    cJSON *it;
    cJSON_ArrayForEach(it, records) {
        int64_t id;
        cJSON *full = NULL;
        int rc;
        if (mk_rest_json_get_int64(it, "id", &id) != MK_REST_JSON_OK)
            continue;
        if ((rc = program_by_id(op, id, what, &full)) != SOAP_OK)
            return rc;
        if (full) {
            cJSON_ReplaceItemViaPointer(records, it, full);
            it = full;
        }
    }
    return SOAP_OK;
}

/* The Asset API's query may be wider than q: the rest is checked here. */
static int program_one(struct soap *soap, void *ctx, const cJSON *rec, struct ns1__MObject *o,
                       bool *keep)
{
    *keep = program_matches(soap, ctx, rec);
    return *keep ? program_mobject(soap, rec, o) : SOAP_OK;
}

int mk_mobj_get_programs(mk_op *op, const struct ns1__ParamsGetMObjects *p,
                        const char *digest, const cJSON *state, struct ns1__ResultGetMObjects *r)
{
    struct soap *soap = op->soap;
    const char *op_name = "getMObjects";
    progq q = {0};
    int rc = programs_validate(soap, p, &q);
    if (rc != SOAP_OK)
        return rc;
    bool details = p->includeDetails && *p->includeDetails == xsd__boolean__true_;
    bool listing = !q.has_id && !q.name && !q.tag_type;
    int page = listing && details ? PROGRAM_DETAIL_PAGE : PROGRAM_PAGE;
    int64_t offset = 0;
    if (state && mk_rest_json_get_int64(state, "o", &offset) != MK_REST_JSON_OK)
        return mk_fault(soap, MK_ERR_BAD_STREAM_POSITION, "%s: stream position has no offset", op_name);

    cJSON *records = NULL;
    bool has_more = false;
    rc = programs_fetch(op, &q, page, offset, &records);
    if (rc != SOAP_OK)
        goto out;
    if ((q.tag_type || listing) && cJSON_GetArraySize(records) > page) {
        has_more = true;
        cJSON_DeleteItemFromArray(records, page);
    }
    if (listing && details && (rc = program_details(op, records)) != SOAP_OK)
        goto out;
    cJSON *st = NULL;
    if (has_more) {
        st = cJSON_CreateObject();
        cJSON_AddNumberToObject(st, "o", (double)(offset + page));
    }
    rc = mk_mobj_answer(op, r, records, program_one, &q, st, "prog", digest);
out:
    cJSON_Delete(records);
    return rc;
}

/* ---- syncMObjects: programs ------------------------------------------------------
 *
 * Marketo's SOAP API updated a program's period costs and tags (UPDATE
 * only).  REST's Update Program takes costs (appended) and tags (set per
 * tag type) in one form-encoded call per program.  A SOAP cost Id (update
 * that cost line) has no REST equivalent — REST costs have no ids — and a
 * program's channel cannot be changed through REST: such an object FAILS
 * with the reason and nothing of it is sent. */

static const char *attr_value(const struct ns1__ArrayOfAttrib *l, const char *name)
{
    for (int i = 0; l && i < l->__sizeattrib; i++)
        if (l->attrib[i].name && !strcasecmp(l->attrib[i].name, name))
            return l->attrib[i].value ? l->attrib[i].value : "";
    return NULL;
}

/* Build costs and tags JSON for one program, or say why it cannot be done. */
static const char *program_update(const struct ns1__MObject *o, cJSON *costs, cJSON *tags)
{
    if (o->attribList && o->attribList->__sizeattrib > 0)
        return "only Cost and Tag typeAttribs of a Program can be synced";
    if (o->externalKey || (o->associationList && o->associationList->__sizemObjAssociation > 0))
        return "a Program is identified by its id alone";
    int n = o->typeAttribList ? o->typeAttribList->__sizetypeAttrib : 0;
    if (n == 0)
        return "nothing to update: give Cost or Tag typeAttribs";
    for (int i = 0; i < n; i++) {
        const struct ns1__TypeAttrib *ta = &o->typeAttribList->typeAttrib[i];
        const char *ty = ta->attrType ? ta->attrType : "";
        if (!strcasecmp(ty, "Cost")) {
            const char *month = attr_value(ta->attrList, "Month");
            const char *amount = attr_value(ta->attrList, "Amount");
            const char *note = attr_value(ta->attrList, "Note");
            if (attr_value(ta->attrList, "Id"))
                return "a Cost with an Id updates an existing cost line, which REST cannot do "
                       "(REST program costs have no ids; it appends costs or replaces them all)";
            if (!month || !amount)
                return "a Cost needs Month and Amount";
            int y, mo, d = 1;
            char date[16], tail;
            if (!(sscanf(month, "%4d-%2d%c", &y, &mo, &tail) == 2 ||
                  sscanf(month, "%4d-%2d-%2d%c", &y, &mo, &d, &tail) == 3) ||
                mo < 1 || mo > 12 || d < 1 || d > 31)
                return "Cost Month must be YYYY-MM or YYYY-MM-DD";
            snprintf(date, sizeof date, "%04d-%02d-%02d", y, mo, d);
            char *end;
            long long amt = strtoll(amount, &end, 10);
            if (!*amount || *end || amt < 0 || amt > INT_MAX)
                return "Cost Amount must be a whole number (REST program costs are integers)";
            cJSON *c = cJSON_CreateObject();
            cJSON_AddStringToObject(c, "startDate", date);
            cJSON_AddNumberToObject(c, "cost", (double)amt);
            if (note && *note)
                cJSON_AddStringToObject(c, "note", note);
            cJSON_AddItemToArray(costs, c);
        } else if (!strcasecmp(ty, "Tag")) {
            const char *type = attr_value(ta->attrList, "Type");
            const char *value = attr_value(ta->attrList, "Value");
            if (!type || !value || !*type || !*value)
                return "a Tag needs Type and Value";
            if (!strcasecmp(type, "Channel"))
                return "a program's channel cannot be changed through the REST API";
            cJSON *t = cJSON_CreateObject();
            cJSON_AddStringToObject(t, "tagType", type);
            cJSON_AddStringToObject(t, "tagValue", value);
            cJSON_AddItemToArray(tags, t);
        } else {
            return "a Program's typeAttrib is Cost or Tag";
        }
    }
    return NULL;
}

int mk_mobj_sync_program(mk_op *op, const struct ns1__MObject *o, bool update,
                        struct ns1__MObjStatus *st, int *written, int total)
{
    struct soap *soap = op->soap;
    st->status = ns1__MObjStatusEnum__FAILED;
    if (o->id)
        st->id = mk_obj_int_ptr(soap, *o->id);
    if (!update) {
        st->error = "a Program can only be updated (operation UPDATE), as in Marketo's SOAP API";
        return SOAP_OK;
    }
    if (!o->id || *o->id <= 0) {
        st->error = "a Program is identified by its id";
        return SOAP_OK;
    }
    cJSON *costs = cJSON_CreateArray(), *tags = cJSON_CreateArray();
    const char *why = program_update(o, costs, tags);
    int rc = SOAP_OK;
    if (why) {
        st->error = (char *)why;
        goto out;
    }
    char path[64], idtext[16];
    snprintf(idtext, sizeof idtext, "%d", *o->id);
    if (mk_rest_endpoint_path(MK_EP_PROGRAM_UPDATE, idtext, path, sizeof path) != 0) {
        rc = mk_fault(op->soap, MK_ERR_INTERNAL, "program path too long");
        goto out;
    }
    char *cj = cJSON_PrintUnformatted(costs), *tj = cJSON_PrintUnformatted(tags);
    mk_rest_param form[2];
    size_t nf = 0;
    if (cJSON_GetArraySize(costs) > 0)
        form[nf++] = (mk_rest_param){"costs", cj};
    if (cJSON_GetArraySize(tags) > 0)
        form[nf++] = (mk_rest_param){"tags", tj};
    mk_rest_req rr = {.ep = MK_EP_PROGRAM_UPDATE, .path = path, .form = form, .nform = nf};
    mk_rest_result res = {0};
    mk_rest_status rs;
    {
        struct mk_request *r = op->req;
        mk_rest_cred cred = op->cred;
        rr.deadline_ms = op->deadline_ms;
        rr.caller = &op->caller;
        rs = mk_rest_call(op->svc->rest, &cred, &rr, &res);
        const mk_rest_endpoint *row = mk_rest_endpoint_get(rr.ep);
        mk_request_note(r, mk_rest_method_name(row->method), row->path, res.attempts,
                        res.error_code);
    }
    if (rs == MK_REST_OK) {
        st->status = ns1__MObjStatusEnum__UPDATED;
        (*written)++;
    } else if (rs == MK_REST_ERR_API && res.error_code >= 700) {
        /* About this program (not found, tag value not allowed...): its own failure. */
        size_t n = strlen(res.error_message) + 16;
        char *e = soap_malloc(soap, n);
        if (e)
            snprintf(e, n, "%d - %s", res.error_code, res.error_message);
        st->error = e;
    } else {
        char what[64];
        snprintf(what, sizeof what, "syncMObjects: update program %d", *o->id);
        mk_ops_failure fail;   /* held: after a first program it says what was written */
        mk_ops_failure *outer = mk_ops_hold(op, &fail);
        mk_ops_rest_fault_in(op, "program", rs, &res, what);
        mk_ops_unhold(op, outer);
        rc = *written > 0 ? mk_ops_partial_fault(op, &fail, what, *written, total, "objects")
                          : mk_ops_raise(op, &fail);
    }
    mk_rest_result_free(&res);
    free(cj);
    free(tj);
out:
    cJSON_Delete(costs);
    cJSON_Delete(tags);
    return rc;
}
