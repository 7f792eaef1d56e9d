/*
 * mobjects.c — the five MObject operations: describeMObject, listMObjects,
 * getMObjects, syncMObjects, deleteMObjects, and the lead-database objects
 * (opportunities and their person roles) they read and write.  Programs, an
 * Asset API family with rules of its own, are programs.c.
 *
 * SOAP's MObjects are three REST families:
 *
 *   Opportunity            /rest/v1/opportunities.json        (lead database)
 *   OpportunityPersonRole  /rest/v1/opportunities/roles.json  (lead database)
 *   Program                /rest/asset/v1/program...          (Asset API)
 *
 * Identity.  SOAP addressed opportunities and roles by an integer Marketo
 * id; REST has none for them: its idField is the string marketoGUID and its
 * dedupe key externalOpportunityId (roles: externalOpportunityId + leadId +
 * role).  The shim never invents an integer for a GUID.  It answers with
 * externalKey {name: marketoGUID, value: <guid>} and takes either
 * externalKey (marketoGUID, or a dedupe/searchable field) or the dedupe
 * fields among the attributes; an integer id on an opportunity or a role is
 * refused with fault 20110 that says what to send instead.  Programs and
 * leads keep their integer ids, which REST shares.
 *
 * Names.  SOAP attribute names are the REST field names with a capital
 * first letter (Amount/amount, CloseDate/closeDate, as Marketo's SOAP docs
 * list them); input names match case-insensitively.  The one documented
 * exception is OpportunityPersonRole's PersonId, the lead id (REST leadId).
 *
 * Filters.  REST filters the lead database only by equality on a searchable
 * field (describe's searchableFields) or on the compound dedupe key, and the
 * Asset API filters programs by id, name, tag, workspace and update time.
 * Anything else (NE/LT/LE/GT/GE, non-searchable fields, Created At,
 * Workspace Id, CRM Id, Include Archive) is refused with fault 20110 that
 * says REST cannot filter that way; a request is never answered with a
 * result its filters did not select.
 *
 * Requests that cannot be expressed at all are refused before anything is
 * written; what one object carries that REST cannot take (an unknown
 * attribute, a program cost with an Id, a channel change) makes that object
 * FAILED with the reason, as Marketo reported per-object failures.
 */
#include <ctype.h>
#include <inttypes.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "mapping/mapping.h"
#include "ops/core/common.h"
#include "ops/objects/mobjects.h"
#include "ops/objects/objects.h"
#include "ops/core/op.h"
#include "mk_handlers.h"
#include "rest/endpoints.h"
#include "rest/json.h"
#include "soap/auth.h"
#include "soap/fault.h"

/* Required xs:dateTime members that REST has no value for (field
 * metadata): the epoch says "unknown" rather than a plausible fake. */
#define UNKNOWN_TIME "1970-01-01T00:00:00Z"
#define SOAP_SYNC_MAX 100

typedef enum kind { K_OPP, K_ROLE, K_PROGRAM } kind;

typedef struct objtype {
    kind k;
    const char *name;           /* the SOAP type name */
    mk_rest_ep query, sync, delete, describe;
    const char *cache_key;      /* objcache key of the describe */
} objtype;

static const objtype TYPES[] = {
    {K_OPP, "Opportunity", MK_EP_OPPORTUNITIES_QUERY, MK_EP_OPPORTUNITIES_SYNC,
     MK_EP_OPPORTUNITIES_DELETE, MK_EP_OPPORTUNITIES_DESCRIBE, "describe:opportunities"},
    {K_ROLE, "OpportunityPersonRole", MK_EP_OPPORTUNITY_ROLES_QUERY, MK_EP_OPPORTUNITY_ROLES_SYNC,
     MK_EP_OPPORTUNITY_ROLES_DELETE, MK_EP_OPPORTUNITY_ROLES_DESCRIBE,
     "describe:opportunities/roles"},
    {K_PROGRAM, "Program", MK_EP_NONE, MK_EP_NONE, MK_EP_NONE, MK_EP_NONE, NULL},
};

/* SOAP attribute names that are not "REST name with a capital letter". */
static const struct {
    kind k;
    const char *soap;
    const char *rest;
} ALIASES[] = {
    /* "PersonId ... corresponds to the person/contact ID in Marketo" (syncMObjects docs). */
    {K_ROLE, "PersonId", "leadId"},
};

static const objtype *type_by_name(const char *name)
{
    for (size_t i = 0; name && i < sizeof TYPES / sizeof TYPES[0]; i++)
        if (strcasecmp(TYPES[i].name, name) == 0)
            return &TYPES[i];
    return NULL;
}

/* Attributes that carry a SOAP integer id REST does not have: an
 * opportunity's or role's own Id, and a role's OpportunityId. */
static bool soap_id_attribute(const objtype *t, const char *name)
{
    return name && t->k != K_PROGRAM &&
           (!strcasecmp(name, "Id") || (t->k == K_ROLE && !strcasecmp(name, "OpportunityId")));
}

/* ---- describe metadata ------------------------------------------------------ */

typedef struct meta {
    cJSON *all;                 /* describe result (owned) */
    const cJSON *d;             /* result[0] */
    const cJSON *fields;
    const char *id_field;
    const cJSON *dedupe;
    const cJSON *searchable;
} meta;

static int load_meta(mk_op *op, const objtype *t, const char *op_name, meta *m)
{
    struct soap *soap = op->soap;
    char what[128];
    memset(m, 0, sizeof *m);
    snprintf(what, sizeof what, "%s: describe %s", op_name, t->name);
    mk_rest_req rr = {.ep = t->describe};
    int rc = mk_obj_metadata(op, t->cache_key, &rr, "mobject", what, &m->all);
    if (rc != SOAP_OK)
        return rc;
    m->d = cJSON_GetArrayItem(m->all, 0);
    m->fields = cJSON_GetObjectItemCaseSensitive(m->d, "fields");
    if (!cJSON_IsArray(m->fields)) {
        cJSON_Delete(m->all);
        m->all = NULL;
        mk_obj_metadata_drop(op, t->cache_key);
        return mk_fault(soap, MK_ERR_API_INTERNAL, "%s: Marketo's describe of %s has no fields",
                        op_name, t->name);
    }
    m->id_field = mk_rest_json_get_string(m->d, "idField");
    if (!m->id_field)
        m->id_field = "marketoGUID";
    m->dedupe = cJSON_GetObjectItemCaseSensitive(m->d, "dedupeFields");
    m->searchable = cJSON_GetObjectItemCaseSensitive(m->d, "searchableFields");
    return SOAP_OK;
}

static const cJSON *meta_field(const meta *m, const char *rest)
{
    const cJSON *f;
    cJSON_ArrayForEach(f, m->fields) {
        const char *n = mk_rest_json_get_string(f, "name");
        if (n && rest && strcasecmp(n, rest) == 0)
            return f;
    }
    return NULL;
}

/* SOAP attribute name → the describe's spelling of the REST field, or NULL. */
static const char *rest_name(const objtype *t, const meta *m, const char *soap_name)
{
    if (!soap_name)
        return NULL;
    for (size_t i = 0; i < sizeof ALIASES / sizeof ALIASES[0]; i++)
        if (ALIASES[i].k == t->k && strcasecmp(ALIASES[i].soap, soap_name) == 0)
            soap_name = ALIASES[i].rest;
    const cJSON *f = meta_field(m, soap_name);
    return f ? mk_rest_json_get_string(f, "name") : NULL;
}

/* REST field name → SOAP attribute name. */
static char *soap_name(struct soap *soap, const objtype *t, const char *rest)
{
    for (size_t i = 0; i < sizeof ALIASES / sizeof ALIASES[0]; i++)
        if (ALIASES[i].k == t->k && strcasecmp(ALIASES[i].rest, rest) == 0)
            return (char *)ALIASES[i].soap;
    char *s = soap_strdup(soap, rest);
    if (s && *s)
        s[0] = (char)toupper((unsigned char)s[0]);
    return s;
}

/* "ExternalOpportunityId, MarketoGUID, ..." for messages. */
static char *searchable_text(struct soap *soap, const objtype *t, const meta *m)
{
    char buf[1024] = "";
    size_t used = 0;
    const cJSON *e;
    cJSON_ArrayForEach(e, m->searchable) {
        const cJSON *f;
        int i = 0, n = cJSON_GetArraySize(e);
        used += (size_t)snprintf(buf + used, used < sizeof buf ? sizeof buf - used : 0, "%s%s",
                                 used ? ", " : "", n > 1 ? "(" : "");
        cJSON_ArrayForEach(f, e) {
            if (cJSON_IsString(f) && used < sizeof buf)
                used += (size_t)snprintf(buf + used, sizeof buf - used, "%s%s", i++ ? " + " : "",
                                         soap_name(soap, t, f->valuestring));
        }
        if (n > 1 && used < sizeof buf)
            used += (size_t)snprintf(buf + used, sizeof buf - used, ")");
    }
    return soap_strdup(soap, buf);
}

/* The REST value for a field: integer fields as JSON numbers (digits kept),
 * everything else as the string the client sent. */
static cJSON *rest_value(const meta *m, const char *field, const char *value)
{
    return mk_obj_rest_value(mk_rest_json_get_string(meta_field(m, field), "dataType"), value);
}

/* ---- statuses ---------------------------------------------------------------- */

static enum ns1__MObjStatusEnum status_enum(const char *s)
{
    static const char *const names[] = {"CREATED", "UPDATED", "DELETED", "FAILED", "UNCHANGED",
                                        "SKIPPED"};
    for (int i = 0; s && i < 6; i++)
        if (strcmp(names[i], s) == 0)
            return (enum ns1__MObjStatusEnum)i;
    return ns1__MObjStatusEnum__FAILED;
}

static struct ns1__Attrib *attrib(struct soap *soap, const char *name, const char *value)
{
    struct ns1__Attrib *a = soap_malloc(soap, sizeof *a);
    if (a) {
        a->name = soap_strdup(soap, name);
        a->value = soap_strdup(soap, value ? value : "");
    }
    return a;
}

/* ---- describeMObject ---------------------------------------------------------- */

static struct ns1__MObjFieldMetadata *new_fields(struct soap *soap, int n)
{
    struct ns1__MObjFieldMetadata *f = soap_malloc(soap, sizeof *f * (size_t)(n ? n : 1));
    if (f)
        memset(f, 0, sizeof *f * (size_t)(n ? n : 1));
    return f;
}

/* What both describes (leads, objects) say alike of a field: its display
 * name, data type and length. */
static void field_basics(struct soap *soap, const cJSON *it, struct ns1__MObjFieldMetadata *x)
{
    const cJSON *l = cJSON_GetObjectItemCaseSensitive(it, "length");
    const char *dt = mk_rest_json_get_string(it, "dataType");
    int len;
    x->displayName = soap_strdup(soap, mk_rest_json_get_string(it, "displayName"));
    x->dataType = soap_strdup(soap, dt ? dt : "string");
    x->size = cJSON_IsNumber(l) && (len = l->valueint) > 0 ? mk_obj_int_ptr(soap, len) : NULL;
}

/* LeadRecord from leads/describe.json: the fields that have a SOAP name,
 * under it, as getLead and syncLead use them. */
static int describe_leads(mk_op *op, struct ns1__MObjectMetadata *md)
{
    struct soap *soap = op->soap;
    cJSON *all = NULL;
    mk_rest_req rr = {.ep = MK_EP_LEADS_DESCRIBE};
    int rc = mk_obj_metadata(op, "describe:leads", &rr, "mobject",
                             "describeMObject: describe leads", &all);
    if (rc != SOAP_OK)
        return rc;
    struct ns1__MObjFieldMetadata *f = new_fields(soap, cJSON_GetArraySize(all));
    int n = 0;
    const cJSON *it;
    cJSON_ArrayForEach(it, all) {
        const cJSON *sp = cJSON_GetObjectItemCaseSensitive(it, "soap");
        const cJSON *rp = cJSON_GetObjectItemCaseSensitive(it, "rest");
        const char *name = mk_rest_json_get_string(sp, "name");
        if (!name || !f)
            continue;
        int ro = 0;
        mk_rest_json_get_bool(sp, "readOnly", &ro);
        const char *rest = mk_rest_json_get_string(rp, "name");
        struct ns1__MObjFieldMetadata *x = &f[n++];
        x->name = soap_strdup(soap, name);
        field_basics(soap, it, x);
        x->isReadonly = x->isUpdateBlocked = ro ? xsd__boolean__true_ : xsd__boolean__false_;
        x->isPrimaryKey = rest && strcmp(rest, "id") == 0 ? xsd__boolean__true_
                                                          : xsd__boolean__false_;
        x->isCustom = x->isDynamic = xsd__boolean__false_;
        x->updatedAt = UNKNOWN_TIME;
    }
    cJSON_Delete(all);
    if (!f)
        return mk_fault(soap, MK_ERR_INTERNAL, "describeMObject: out of memory");
    md->name = "LeadRecord";
    md->description = NULL;
    md->isVirtual = xsd__boolean__true_;   /* "Virtual Objects, such as LeadRecord" */
    md->updatedAt = UNKNOWN_TIME;
    md->fieldList->__sizefield = n;
    md->fieldList->field = f;
    return SOAP_OK;
}

static int describe_object(mk_op *op, const objtype *t, struct ns1__MObjectMetadata *md)
{
    struct soap *soap = op->soap;
    meta m;
    int rc = load_meta(op, t, "describeMObject", &m);
    if (rc != SOAP_OK)
        return rc;
    int nf = cJSON_GetArraySize(m.fields);
    struct ns1__MObjFieldMetadata *f = new_fields(soap, nf);
    int n = 0;
    const cJSON *it;
    cJSON_ArrayForEach(it, m.fields) {
        const char *rest = mk_rest_json_get_string(it, "name");
        if (!rest || !f)
            continue;
        int upd = 1;
        mk_rest_json_get_bool(it, "updateable", &upd);
        struct ns1__MObjFieldMetadata *x = &f[n++];
        x->name = soap_name(soap, t, rest);
        field_basics(soap, it, x);
        x->isReadonly = x->isUpdateBlocked = upd ? xsd__boolean__false_ : xsd__boolean__true_;
        x->isPrimaryKey = strcasecmp(rest, m.id_field) == 0 ? xsd__boolean__true_
                                                            : xsd__boolean__false_;
        x->isCustom = x->isDynamic = xsd__boolean__false_;
        x->updatedAt = mk_obj_datetime(soap, mk_rest_json_get_date(m.d, "updatedAt"));
        if (!x->updatedAt)
            x->updatedAt = UNKNOWN_TIME;
    }
    md->name = (char *)t->name;
    md->description = soap_strdup(soap, mk_rest_json_get_string(m.d, "description"));
    md->isVirtual = xsd__boolean__false_;
    md->updatedAt = mk_obj_datetime(soap, mk_rest_json_get_date(m.d, "updatedAt"));
    if (!md->updatedAt)
        md->updatedAt = UNKNOWN_TIME;
    md->fieldList->__sizefield = n;
    md->fieldList->field = f;
    cJSON_Delete(m.all);
    return f ? SOAP_OK : mk_fault(soap, MK_ERR_INTERNAL, "describeMObject: out of memory");
}

int mk_op_describe_mobject(mk_op *op, struct ns1__ParamsDescribeMObject *in,
                           struct ns1__SuccessDescribeMObject *out)
{
    struct soap *soap = op->soap;
    int rc = SOAP_OK;
    const char *name = in->objectName ? in->objectName : "";
    const objtype *t = type_by_name(name);
    bool leads = strcasecmp(name, "LeadRecord") == 0;
    if (!leads && (!t || t->k == K_PROGRAM))
        return mk_fault(soap, MK_ERR_BAD_PARAMETER,
                        "describeMObject: objectName '%s' cannot be described: the REST API "
                        "describes LeadRecord (leads/describe.json), Opportunity and "
                        "OpportunityPersonRole only%s",
                        name,
                        strcasecmp(name, "ActivityRecord") == 0
                            ? "; ActivityRecord has no REST describe (activity types are "
                              "GET /rest/v1/activities/types.json)"
                            : "");
    struct ns1__ResultDescribeMObject *r = soap_malloc(soap, sizeof *r);
    struct ns1__MObjectMetadata *md = soap_malloc(soap, sizeof *md);
    struct ns1__ArrayOfMObjFieldMetadata *fl = soap_malloc(soap, sizeof *fl);
    if (!r || !md || !fl)
        return mk_fault(soap, MK_ERR_INTERNAL, "describeMObject: out of memory");
    memset(md, 0, sizeof *md);
    md->fieldList = fl;
    md->isCustom = xsd__boolean__false_;
    rc = leads ? describe_leads(op, md) : describe_object(op, t, md);
    if (rc != SOAP_OK)
        return rc;
    r->metadata = md;
    out->result = r;
    return SOAP_OK;
}

/* ---- listMObjects -------------------------------------------------------------
 *
 * Marketo's own list (ActivityRecord, LeadRecord, Opportunity,
 * OpportunityPersonRole) was "the objects describeMObject can describe".
 * REST has no such list: this one is the shim's, the objects it can
 * describe through REST.  No REST call. */

int mk_op_list_mobjects(mk_op *op, struct ns1__ParamsListMObjects *in,
                        struct ns1__SuccessListMObjects *out)
{
    (void)in;
    struct soap *soap = op->soap;
    static char *const names[] = {"LeadRecord", "Opportunity", "OpportunityPersonRole"};
    struct ns1__ResultListMObjects *r = soap_malloc(soap, sizeof *r);
    if (!r)
        return mk_fault(soap, MK_ERR_INTERNAL, "listMObjects: out of memory");
    r->__sizeobjects = 3;
    r->objects = (char **)names;
    out->result = r;
    return SOAP_OK;
}

/* ---- getMObjects: opportunities and roles ------------------------------------ */

typedef struct cond {
    const char *field;   /* REST name */
    const char *value;
} cond;

static char *int_text(struct soap *soap, long long v)
{
    char *s = soap_malloc(soap, 24);
    if (s)
        snprintf(s, 24, "%lld", v);
    return s;
}

/* One association of getMObjects / syncMObjects → a REST field and value. */
static int association_cond(struct soap *soap, const objtype *t, const meta *m,
                            const struct ns1__MObjAssociation *a, const char *op, cond *c)
{
    const char *ty = a->mObjType ? a->mObjType : "";
    const char *want = NULL;
    if (t->k == K_OPP && strcasecmp(ty, "Company") == 0)
        want = "externalCompanyId";
    else if (t->k == K_ROLE && strcasecmp(ty, "Opportunity") == 0)
        want = "externalOpportunityId";
    else if (t->k == K_ROLE && strcasecmp(ty, "Lead") == 0)
        want = "leadId";
    else
        return mk_fault(soap, MK_ERR_BAD_PARAMETER,
                        "%s: REST cannot relate %s to an associated %s (associations it knows: "
                        "Opportunity-Company by externalCompanyId, OpportunityPersonRole-Lead by "
                        "lead id, OpportunityPersonRole-Opportunity by externalOpportunityId)",
                        op, t->name, ty);
    const char *field = rest_name(t, m, want);
    if (!field)
        return mk_fault(soap, MK_ERR_BAD_PARAMETER, "%s: Marketo's describe of %s has no %s",
                        op, t->name, want);
    if (strcmp(want, "leadId") == 0) {
        if (!a->id)
            return mk_fault(soap, MK_ERR_BAD_PARAMETER,
                            "%s: a Lead association needs the lead's id (REST links roles to "
                            "leads by lead id only)", op);
        *c = (cond){field, int_text(soap, *a->id)};
        return SOAP_OK;
    }
    if (a->id)
        return mk_fault(soap, MK_ERR_BAD_PARAMETER,
                        "%s: %s id %d cannot be used: REST has no integer %s ids and never "
                        "receives one from this shim; give the association's externalKey "
                        "with name %s",
                        op, ty, *a->id, ty, want);
    if (!a->externalKey || !a->externalKey->name ||
        strcasecmp(a->externalKey->name, want) != 0)
        return mk_fault(soap, MK_ERR_BAD_PARAMETER,
                        "%s: the %s association needs externalKey name=%s (REST relates the "
                        "two by that field)", op, ty, want);
    *c = (cond){field, a->externalKey->value ? a->externalKey->value : ""};
    return SOAP_OK;
}

/* Does record match every condition (text, case-insensitively, as Marketo
 * compares keys)? */
static bool record_matches(struct soap *soap, const cJSON *rec, const cond *cs, int nc)
{
    for (int i = 0; i < nc; i++) {
        char *have = mk_ops_value_text(soap, cJSON_GetObjectItem(rec, cs[i].field));
        if (!mk_obj_text_equal(have, cs[i].value))
            return false;
    }
    return true;
}

static bool is_system(const char *name)
{
    return !strcasecmp(name, "marketoGUID") || !strcasecmp(name, "createdAt") ||
           !strcasecmp(name, "updatedAt") || !strcasecmp(name, "seq");
}

static int leaddb_mobject(struct soap *soap, const objtype *t, const meta *m, const cJSON *rec,
                          struct ns1__MObject *o)
{
    memset(o, 0, sizeof *o);
    o->type = (char *)t->name;
    const char *guid = mk_rest_json_get_string(rec, m->id_field);
    if (guid)
        o->externalKey = attrib(soap, m->id_field, guid);
    o->createdAt = mk_obj_datetime(soap, mk_rest_json_get_date(rec, "createdAt"));
    o->updatedAt = mk_obj_datetime(soap, mk_rest_json_get_date(rec, "updatedAt"));
    int n = cJSON_GetArraySize(rec), k = 0;
    struct ns1__Attrib *as = soap_malloc(soap, sizeof *as * (size_t)(n ? n : 1));
    struct ns1__MObjAssociation *links = soap_malloc(soap, sizeof *links * 2);
    int nl = 0;
    if (!as || !links)
        return mk_fault(soap, MK_ERR_INTERNAL, "getMObjects: out of memory");
    /* In describe order, so every record lists its attributes alike. */
    const cJSON *f;
    cJSON_ArrayForEach(f, m->fields) {
        const char *name = mk_rest_json_get_string(f, "name");
        const cJSON *v = name ? cJSON_GetObjectItem(rec, name) : NULL;
        char *text = mk_ops_value_text(soap, v);
        if (!name || is_system(name) || !text)
            continue;
        as[k].name = soap_name(soap, t, name);
        as[k++].value = text;
        /* The associated objects, as SOAP listed them (at most two per type). */
        struct ns1__MObjAssociation link = {0};
        int64_t id;
        if (t->k == K_OPP && !strcasecmp(name, "externalCompanyId")) {
            link.mObjType = "Company";
            link.externalKey = attrib(soap, "externalCompanyId", text);
        } else if (t->k == K_ROLE && !strcasecmp(name, "externalOpportunityId")) {
            link.mObjType = "Opportunity";
            link.externalKey = attrib(soap, "externalOpportunityId", text);
        } else if (t->k == K_ROLE && !strcasecmp(name, "leadId") &&
                   mk_rest_json_as_int64(v, &id) == MK_REST_JSON_OK && id > 0 && id <= INT_MAX) {
            link.mObjType = "Lead";
            link.id = mk_obj_int_ptr(soap, (int)id);
        }
        if (link.mObjType && nl < 2)
            links[nl++] = link;
    }
    o->attribList = soap_malloc(soap, sizeof *o->attribList);
    if (!o->attribList)
        return mk_fault(soap, MK_ERR_INTERNAL, "getMObjects: out of memory");
    o->attribList->__sizeattrib = k;
    o->attribList->attrib = as;
    if (nl) {
        o->associationList = soap_malloc(soap, sizeof *o->associationList);
        if (!o->associationList)
            return mk_fault(soap, MK_ERR_INTERNAL, "getMObjects: out of memory");
        o->associationList->__sizemObjAssociation = nl;
        o->associationList->mObjAssociation = links;
    }
    return SOAP_OK;
}

/* Fill r with the page objs[0..k) and the position of the next page:
 * next_state (taken), or the end of the stream when NULL. */
static int answer_page(mk_op *op, struct ns1__ResultGetMObjects *r,
                       struct ns1__MObject *objs, int k, cJSON *next_state, const char *kind,
                       const char *digest)
{
    struct soap *soap = op->soap;
    bool has_more = next_state != NULL;
    if (!has_more) {
        next_state = cJSON_CreateObject();
        cJSON_AddTrueToObject(next_state, "end");
    }
    r->newStreamPosition = mk_obj_pos_encode(op, next_state, kind, digest);
    if (!r->newStreamPosition)
        return soap->error;
    r->returnCount = k;
    r->hasMore = has_more ? xsd__boolean__true_ : xsd__boolean__false_;
    r->mObjectList = soap_malloc(soap, sizeof *r->mObjectList);
    if (!r->mObjectList)
        return mk_fault(soap, MK_ERR_INTERNAL, "getMObjects: out of memory");
    r->mObjectList->__sizemObject = k;
    r->mObjectList->mObject = objs;
    return SOAP_OK;
}

/* Fill r with the MObjects of records (those one keeps) and the position
 * of the next page: next_state (taken), or the end of the stream when NULL. */
int mk_mobj_answer(mk_op *op, struct ns1__ResultGetMObjects *r,
                          const cJSON *records, mk_mobj_fn one, void *ctx, cJSON *next_state,
                          const char *kind, const char *digest)
{
    struct soap *soap = op->soap;
    int n = cJSON_GetArraySize(records), k = 0;
    struct ns1__MObject *objs = soap_malloc(soap, sizeof *objs * (size_t)(n ? n : 1));
    int rc = objs ? SOAP_OK : mk_fault(soap, MK_ERR_INTERNAL, "getMObjects: out of memory");
    const cJSON *rec;
    cJSON_ArrayForEach(rec, records) {
        bool keep = true;
        if (rc == SOAP_OK && (rc = one(soap, ctx, rec, &objs[k], &keep)) == SOAP_OK && keep)
            k++;
    }
    if (rc == SOAP_OK)
        return answer_page(op, r, objs, k, next_state, kind, digest);
    cJSON_Delete(next_state);
    return rc;
}

/* getMObjects' selection of opportunities or roles as REST field = value
 * conditions: externalKey, EQ criteria on a field, associations. */
static int leaddb_conditions(struct soap *soap, const objtype *t, const meta *m,
                             const struct ns1__ParamsGetMObjects *p, const char *searchable,
                             cond *cs, int *ncs)
{
    const char *op = "getMObjects";
    int ncrit = p->mObjCriteriaList ? p->mObjCriteriaList->__sizemObjCriteria : 0;
    int nassoc = p->mObjAssociationList ? p->mObjAssociationList->__sizemObjAssociation : 0;
    int nc = 0;
    if (p->externalKey) {
        const char *f = rest_name(t, m, p->externalKey->name);
        if (!f)
            return mk_fault(soap, MK_ERR_BAD_PARAMETER, "%s: externalKey name '%s' is not a field "
                            "of %s", op, p->externalKey->name ? p->externalKey->name : "", t->name);
        cs[nc++] = (cond){f, p->externalKey->value ? p->externalKey->value : ""};
    }
    for (int i = 0; i < ncrit; i++) {
        const struct ns1__MObjCriteria *c = &p->mObjCriteriaList->mObjCriteria[i];
        const char *f = rest_name(t, m, c->attrName);
        const char *cmp = soap_ns1__ComparisonEnum2s(soap, c->comparison);
        if (!f && soap_id_attribute(t, c->attrName))
            return mk_fault(soap, MK_ERR_BAD_PARAMETER,
                            "%s: %s cannot be filtered by %s: REST has no integer ids for "
                            "opportunities or roles (they are identified by marketoGUID and "
                            "externalOpportunityId)", op, t->name, c->attrName);
        if (!f)
            return mk_fault(soap, MK_ERR_BAD_PARAMETER, "%s: %s has no attribute '%s'", op,
                            t->name, c->attrName ? c->attrName : "");
        if (c->comparison != ns1__ComparisonEnum__EQ)
            return mk_fault(soap, MK_ERR_BAD_PARAMETER,
                            "%s: REST cannot filter %s by %s %s %s: Marketo's REST API filters "
                            "records only by equality (EQ) on a searchable field (%s)",
                            op, t->name, c->attrName, cmp ? cmp : "?",
                            c->attrValue ? c->attrValue : "", searchable);
        cs[nc++] = (cond){f, c->attrValue ? c->attrValue : ""};
    }
    for (int i = 0; i < nassoc; i++) {
        int rc = association_cond(soap, t, m, &p->mObjAssociationList->mObjAssociation[i], op,
                                  &cs[nc]);
        if (rc != SOAP_OK)
            return rc;
        nc++;
    }
    if (nc == 0)
        return mk_fault(soap, MK_ERR_PARAMETER_REQUIRED,
                        "%s: REST cannot list every %s: give externalKey, an EQ criterion or an "
                        "association on a searchable field (%s)", op, t->name, searchable);
    *ncs = nc;
    return SOAP_OK;
}

/* The REST filter for the conditions: one searchable field, or the whole
 * compound dedupe key (roles) when all of it is given; every condition
 * must be one of those. */
static int leaddb_filter(struct soap *soap, const objtype *t, const meta *m, const cond *cs,
                         int nc, const char *searchable, cJSON **key)
{
    bool compound = cJSON_GetArraySize(m->dedupe) > 1;
    const cJSON *dk;
    cJSON_ArrayForEach(dk, m->dedupe) {
        bool have = false;
        for (int i = 0; i < nc && !have; i++)
            have = cJSON_IsString(dk) && !strcasecmp(cs[i].field, dk->valuestring);
        compound = compound && have;
    }
    for (int i = 0; i < nc; i++) {
        if (!mk_obj_is_searchable(m->searchable, cs[i].field) &&
            !(compound && mk_obj_in_list(m->dedupe, cs[i].field)))
            return mk_fault(soap, MK_ERR_BAD_PARAMETER,
                            "%s: REST cannot filter %s by %s: it filters only on a searchable "
                            "field (%s)", "getMObjects", t->name, soap_name(soap, t, cs[i].field),
                            searchable);
    }
    *key = cJSON_CreateObject();
    if (compound) {
        cJSON_ArrayForEach(dk, m->dedupe) {
            for (int i = 0; i < nc; i++) {
                if (!strcasecmp(cs[i].field, dk->valuestring)) {
                    cJSON_AddItemToObject(*key, dk->valuestring,
                                          rest_value(m, dk->valuestring, cs[i].value));
                    break;
                }
            }
        }
    } else {
        cJSON_AddStringToObject(*key, cs[0].field, cs[0].value);
    }
    return SOAP_OK;
}

/* What leaddb_one needs beside the record. */
typedef struct leaddb_ctx {
    const objtype *t;
    const meta *m;
    const cond *cs;
    int nc;
} leaddb_ctx;

/* REST filters by one field; the other conditions are checked here. */
static int leaddb_one(struct soap *soap, void *ctx, const cJSON *rec, struct ns1__MObject *o,
                      bool *keep)
{
    const leaddb_ctx *c = ctx;
    *keep = record_matches(soap, rec, c->cs, c->nc);
    return *keep ? leaddb_mobject(soap, c->t, c->m, rec, o) : SOAP_OK;
}

static int get_leaddb(mk_op *op, const objtype *t, const struct ns1__ParamsGetMObjects *p,
                      const char *digest, const cJSON *state, struct ns1__ResultGetMObjects *r)
{
    struct soap *soap = op->soap;
    const char *op_name = "getMObjects";
    if (p->id)
        return mk_fault(soap, MK_ERR_BAD_PARAMETER,
                        "%s: %s id %d cannot be looked up: REST has no integer ids for %s "
                        "records (they are identified by marketoGUID, or by "
                        "externalOpportunityId); ask with externalKey name=marketoGUID or "
                        "an EQ criterion on a searchable field",
                        op_name, t->name, *p->id, t->name);
    meta m;
    int rc = load_meta(op, t, op_name, &m);
    if (rc != SOAP_OK)
        return rc;
    int ncrit = p->mObjCriteriaList ? p->mObjCriteriaList->__sizemObjCriteria : 0;
    int nassoc = p->mObjAssociationList ? p->mObjAssociationList->__sizemObjAssociation : 0;
    cond *cs = soap_malloc(soap, sizeof *cs * (size_t)(ncrit + nassoc + 1));
    int nc = 0;
    cJSON *key = NULL, *fields = NULL, *records = NULL;
    char *searchable = searchable_text(soap, t, &m);
    if (!cs) {
        rc = mk_fault(soap, MK_ERR_INTERNAL, "%s: out of memory", op_name);
        goto out;
    }
    if ((rc = leaddb_conditions(soap, t, &m, p, searchable, cs, &nc)) != SOAP_OK ||
        (rc = leaddb_filter(soap, t, &m, cs, nc, searchable, &key)) != SOAP_OK)
        goto out;
    const char *token = mk_rest_json_get_string(state, "t");
    char what[96];
    snprintf(what, sizeof what, "%s: query %s", op_name, t->name);
    /* Every described field. */
    fields = cJSON_CreateArray();
    const cJSON *f;
    cJSON_ArrayForEach(f, m.fields) {
        const char *n = mk_rest_json_get_string(f, "name");
        if (n)
            cJSON_AddItemToArray(fields, cJSON_CreateString(n));
    }
    char *next = NULL;
    int rest_code = 0;
    rc = mk_obj_query(op, t->query, NULL, key, fields, MK_OBJ_SOAP_PAGE_MAX, token, "mobject",
                      what, &records, &next, &rest_code);
    if (rc != SOAP_OK)
        goto out;
    cJSON *st = NULL;
    if (next) {
        st = cJSON_CreateObject();
        cJSON_AddStringToObject(st, "t", next);
    }
    leaddb_ctx ctx = {t, &m, cs, nc};
    rc = mk_mobj_answer(op, r, records, leaddb_one, &ctx, st, "mobj", digest);
out:
    cJSON_Delete(key);
    cJSON_Delete(fields);
    cJSON_Delete(records);
    cJSON_Delete(m.all);
    return rc;
}

/* The request's selection as text, for the stream position's digest. */
static void selection_digest(const objtype *t, const struct ns1__ParamsGetMObjects *p,
                             char out[17])
{
    cJSON *sel = cJSON_CreateArray();
    cJSON_AddItemToArray(sel, cJSON_CreateString(t->name));
    cJSON_AddItemToArray(sel, cJSON_CreateNumber(p->id ? *p->id : 0));
    if (p->externalKey) {
        cJSON_AddItemToArray(sel, cJSON_CreateString(p->externalKey->name ? p->externalKey->name : ""));
        cJSON_AddItemToArray(sel, cJSON_CreateString(p->externalKey->value ? p->externalKey->value : ""));
    }
    for (int i = 0; p->mObjCriteriaList && i < p->mObjCriteriaList->__sizemObjCriteria; i++) {
        const struct ns1__MObjCriteria *c = &p->mObjCriteriaList->mObjCriteria[i];
        cJSON_AddItemToArray(sel, cJSON_CreateString(c->attrName ? c->attrName : ""));
        cJSON_AddItemToArray(sel, cJSON_CreateNumber((int)c->comparison));
        cJSON_AddItemToArray(sel, cJSON_CreateString(c->attrValue ? c->attrValue : ""));
    }
    for (int i = 0; p->mObjAssociationList && i < p->mObjAssociationList->__sizemObjAssociation;
         i++) {
        const struct ns1__MObjAssociation *a = &p->mObjAssociationList->mObjAssociation[i];
        cJSON_AddItemToArray(sel, cJSON_CreateString(a->mObjType ? a->mObjType : ""));
        cJSON_AddItemToArray(sel, cJSON_CreateNumber(a->id ? *a->id : 0));
        const struct ns1__Attrib *k = a->externalKey;
        cJSON_AddItemToArray(sel, cJSON_CreateString(k && k->name ? k->name : ""));
        cJSON_AddItemToArray(sel, cJSON_CreateString(k && k->value ? k->value : ""));
    }
    cJSON_AddItemToArray(sel, cJSON_CreateBool(p->includeDetails &&
                                               *p->includeDetails == xsd__boolean__true_));
    char *text = cJSON_PrintUnformatted(sel);
    mk_obj_digest(text ? text : "", out);
    free(text);
    cJSON_Delete(sel);
}

int mk_op_get_mobjects(mk_op *op, struct ns1__ParamsGetMObjects *p,
                       struct ns1__SuccessGetMObjects *out)
{
    struct soap *soap = op->soap;
    int rc = SOAP_OK;
    const objtype *t = type_by_name(p->type);
    if (!t)
        return mk_fault(soap, MK_ERR_BAD_PARAMETER,
                        "getMObjects: type '%s' is not one REST serves: Opportunity, "
                        "OpportunityPersonRole or Program", p->type ? p->type : "");
    char digest[17];
    selection_digest(t, p, digest);
    cJSON *state = NULL;
    if (p->streamPosition && *p->streamPosition) {
        rc = mk_obj_pos_decode(op, p->streamPosition, t->k == K_PROGRAM ? "prog" : "mobj",
                               digest, &state);
        if (rc != SOAP_OK)
            return rc;
    }
    struct ns1__ResultGetMObjects *r = soap_malloc(soap, sizeof *r);
    if (!r) {
        cJSON_Delete(state);
        return mk_fault(soap, MK_ERR_INTERNAL, "getMObjects: out of memory");
    }
    memset(r, 0, sizeof *r);
    rc = t->k == K_PROGRAM ? mk_mobj_get_programs(op, p, digest, state, r)
                           : get_leaddb(op, t, p, digest, state, r);
    cJSON_Delete(state);
    if (rc == SOAP_OK)
        out->result = r;
    return rc;
}

/* ---- syncMObjects / deleteMObjects: opportunities and roles -------------------- */

/* What a write keeps per object beside its REST record (objects.h's
 * mk_obj_write, group "<type>|<action>|<by>"). */
typedef struct wobj {
    const objtype *t;
    struct ns1__Attrib *echo;  /* the key the client sent, echoed back */
    bool update;               /* SOAP UPDATE: a missing object is SKIPPED */
} wobj;

/* Translate one opportunity/role object into a REST record.  Returns
 * SOAP_OK with either w->group set, or w->error (the object FAILED). */
static int leaddb_record(struct soap *soap, const objtype *t, const meta *m,
                         const struct ns1__MObject *o, const char *action, bool for_delete,
                         const char *op, mk_obj_write *w, wobj *x)
{
    w->rec = cJSON_CreateObject();
    w->ep = for_delete ? t->delete : t->sync;
    x->echo = o->externalKey;
    x->update = action && !strcmp(action, "updateOnly");
    if (!w->rec)
        return mk_fault(soap, MK_ERR_INTERNAL, "%s: out of memory", op);
    if (o->externalKey) {
        const char *f = rest_name(t, m, o->externalKey->name);
        if (!f) {
            w->error = soap_strdup(soap, "externalKey names no field of this object");
            return SOAP_OK;
        }
        cJSON_AddItemToObject(w->rec, f, rest_value(m, f, o->externalKey->value));
    }
    for (int i = 0; !for_delete && o->attribList && i < o->attribList->__sizeattrib; i++) {
        const struct ns1__Attrib *a = &o->attribList->attrib[i];
        const char *f = rest_name(t, m, a->name);
        if (!f) {
            size_t n = strlen(a->name ? a->name : "") + 64;
            char *e = soap_malloc(soap, n);
            if (e)
                snprintf(e, n, "Unknown attribute for %s: %s", t->name, a->name ? a->name : "");
            w->error = e;
            return SOAP_OK;
        }
        cJSON_DeleteItemFromObject(w->rec, f);
        cJSON_AddItemToObject(w->rec, f, rest_value(m, f, a->value));
    }
    /* Roles are deleted by their dedupe key, which may be in the attributes. */
    for (int i = 0; for_delete && o->attribList && i < o->attribList->__sizeattrib; i++) {
        const struct ns1__Attrib *a = &o->attribList->attrib[i];
        const char *f = rest_name(t, m, a->name);
        if (f && (mk_obj_in_list(m->dedupe, f) || !strcasecmp(f, m->id_field))) {
            cJSON_DeleteItemFromObject(w->rec, f);
            cJSON_AddItemToObject(w->rec, f, rest_value(m, f, a->value));
        }
    }
    for (int i = 0; o->associationList && i < o->associationList->__sizemObjAssociation; i++) {
        cond c;
        int rc = association_cond(soap, t, m, &o->associationList->mObjAssociation[i], op, &c);
        if (rc != SOAP_OK)
            return rc;
        cJSON_DeleteItemFromObject(w->rec, c.field);
        cJSON_AddItemToObject(w->rec, c.field, rest_value(m, c.field, c.value));
    }
    /* Key: marketoGUID (REST idField) or the dedupe fields. */
    char key[1024] = "";
    size_t used = 0;
    const char *guid = mk_rest_json_get_string(w->rec, m->id_field);
    if (guid && *guid) {
        if (!for_delete && !strcmp(action, "createOnly")) {
            w->error = soap_strdup(soap, "INSERT cannot be keyed by marketoGUID (Marketo assigns "
                                         "it): give the dedupe fields");
            return SOAP_OK;
        }
        w->by = "idField";
        /* REST takes idField only with updateOnly; an UPSERT by GUID can only update. */
        w->action = for_delete ? NULL : "updateOnly";
        snprintf(key, sizeof key, "%s", guid);
    } else {
        w->by = "dedupeFields";
        w->action = action;
        const cJSON *dk;
        cJSON_ArrayForEach(dk, m->dedupe) {
            if (!cJSON_IsString(dk))
                continue;   /* a describe REST should not send; not a key we can use */
            char *v = mk_ops_value_text(soap, cJSON_GetObjectItem(w->rec, dk->valuestring));
            if (!v || !*v) {
                size_t n = 160;
                char *e = soap_malloc(soap, n);
                if (e)
                    snprintf(e, n, "%s needs its key: externalKey marketoGUID, or %s",
                             t->name, soap_name(soap, t, dk->valuestring));
                w->error = e;
                return SOAP_OK;
            }
            if (used < sizeof key)
                used += (size_t)snprintf(key + used, sizeof key - used, "%s\x1f", v);
        }
    }
    w->key = soap_strdup(soap, key);
    size_t n = strlen(t->name) + 64;
    char *g = soap_malloc(soap, n);
    if (g)
        snprintf(g, n, "%s|%s|%s", t->name, w->action ? w->action : "delete", w->by);
    w->group = g;
    return SOAP_OK;
}

typedef struct mobj_status_ctx {
    struct ns1__MObjStatus *st;
    const wobj *x;
    bool for_delete;
} mobj_status_ctx;

static void take_status(mk_op *op, void *ctx, int i, const cJSON *item)
{
    struct soap *soap = op->soap;
    mobj_status_ctx *c = ctx;
    const char *rs = mk_rest_json_get_string(item, "status");
    int code = 0;
    char *err = NULL;
    if (!item)
        err = "Marketo returned no status for this object";
    else if (rs && !strcmp(rs, "skipped"))
        err = mk_obj_reason(soap, item, &code);
    const char *soapst =
        rs ? mk_mapping_status_to_soap(op->svc->mapping,
                                       c->for_delete ? "mobject_delete" : "mobject_sync", rs, code)
           : NULL;
    c->st[i].status = status_enum(soapst);
    /* UPDATE "skips new objects": updateOnly's 1013 is that skip (a role's
     * links cannot be the cause: they are part of its key). */
    if (!c->for_delete && code == 1013 && c->x[i].update)
        c->st[i].status = ns1__MObjStatusEnum__SKIPPED;
    c->st[i].error = err;
    const char *guid = mk_rest_json_get_string(item, "marketoGUID");
    if (guid)
        c->st[i].externalKey = attrib(soap, "marketoGUID", guid);
}

/* ---- syncMObjects / deleteMObjects ------------------------------------------------ */

static int write_mobjects(mk_op *op, const struct ns1__ArrayOfMObject *list,
                          const char *action, bool update, bool for_delete, const char *op_name,
                          struct ns1__ArrayOfMObjStatus **out)
{
    struct soap *soap = op->soap;
    int n = list ? list->__sizemObject : 0;
    if (n <= 0)
        return mk_fault(soap, MK_ERR_PARAMETER_REQUIRED, "%s needs mObjectList/mObject", op_name);
    if (n > SOAP_SYNC_MAX)
        return mk_fault(soap, MK_ERR_BAD_PARAMETER, "%s takes at most %d objects per call, not %d",
                        op_name, SOAP_SYNC_MAX, n);
    /* Everything that makes the call inexpressible is refused before any write. */
    for (int i = 0; i < n; i++) {
        const struct ns1__MObject *o = &list->mObject[i];
        const objtype *t = type_by_name(o->type);
        if (!t || (for_delete && t->k == K_PROGRAM))
            return mk_fault(soap, MK_ERR_BAD_PARAMETER,
                            "%s: mObject %d has type '%s'; %s", op_name, i + 1, o->type ? o->type : "",
                            for_delete ? "REST-backed deletes are Opportunity and "
                                         "OpportunityPersonRole, as in Marketo's SOAP API"
                                       : "types are Opportunity, OpportunityPersonRole and "
                                         "Program");
        for (int a = 0; t->k != K_PROGRAM && o->attribList && a < o->attribList->__sizeattrib; a++)
            if (soap_id_attribute(t, o->attribList->attrib[a].name))
                return mk_fault(soap, MK_ERR_BAD_PARAMETER,
                                "%s: mObject %d (%s) has attribute %s, an integer id that cannot be "
                                "mapped: REST has no integer ids for opportunities or roles; name "
                                "the opportunity by ExternalOpportunityId (or externalKey "
                                "marketoGUID)", op_name, i + 1, t->name, o->attribList->attrib[a].name);
        if (t->k != K_PROGRAM && o->id)
            return mk_fault(soap, MK_ERR_BAD_PARAMETER,
                            "%s: mObject %d (%s) has id %d, which cannot be mapped: REST has no "
                            "integer ids for %s records; key it by externalKey name=marketoGUID "
                            "(as getMObjects and syncMObjects return it) or by its dedupe fields",
                            op_name, i + 1, t->name, *o->id, t->name);
    }
    struct ns1__MObjStatus *st = soap_malloc(soap, sizeof *st * (size_t)n);
    mk_obj_write *w = calloc((size_t)n, sizeof *w);
    wobj *x = calloc((size_t)n, sizeof *x);
    meta metas[2] = {{0}, {0}};
    bool loaded[2] = {false, false}, used[2] = {false, false};
    int rc = SOAP_OK, written = 0;
    if (!st || !w || !x) {
        free(w);
        free(x);
        return mk_fault(soap, MK_ERR_INTERNAL, "%s: out of memory", op_name);
    }
    memset(st, 0, sizeof *st * (size_t)n);
    for (int i = 0; i < n && rc == SOAP_OK; i++) {
        const struct ns1__MObject *o = &list->mObject[i];
        const objtype *t = type_by_name(o->type);
        x[i].t = t;
        st[i].status = ns1__MObjStatusEnum__FAILED;
        if (t->k == K_PROGRAM)
            continue;
        used[t->k] = true;
        if (!loaded[t->k] && (rc = load_meta(op, t, op_name, &metas[t->k])) == SOAP_OK)
            loaded[t->k] = true;
        if (rc == SOAP_OK)
            rc = leaddb_record(soap, t, &metas[t->k], o, action, for_delete, op_name, &w[i], &x[i]);
        st[i].externalKey = x[i].echo;
        st[i].error = (char *)w[i].error;
    }
    if (rc == SOAP_OK) {
        char what[96];
        snprintf(what, sizeof what, "%s: %s %s", op_name, for_delete ? "delete" : "sync",
                 used[K_OPP] && used[K_ROLE] ? "Opportunity and OpportunityPersonRole"
                 : used[K_ROLE]              ? "OpportunityPersonRole"
                                             : "Opportunity");
        mobj_status_ctx ctx = {st, x, for_delete};
        rc = mk_obj_write_all(op, w, n, for_delete ? "deleteBy" : "dedupeBy", "mobject", what,
                              take_status, &ctx, &written, NULL);
    }
    for (int i = 0; i < n && rc == SOAP_OK; i++)
        if (x[i].t->k == K_PROGRAM)
            rc = mk_mobj_sync_program(op, &list->mObject[i], update, &st[i], &written, n);
    for (int i = 0; i < n; i++)
        cJSON_Delete(w[i].rec);
    free(w);
    free(x);
    for (int k = 0; k < 2; k++)
        cJSON_Delete(metas[k].all);
    if (rc != SOAP_OK)
        return rc;
    *out = soap_malloc(soap, sizeof **out);
    if (!*out)
        return mk_fault(soap, MK_ERR_INTERNAL, "%s: out of memory", op_name);
    (*out)->__sizemObjStatus = n;
    (*out)->mObjStatus = st;
    return SOAP_OK;
}

int mk_op_sync_mobjects(mk_op *op, struct ns1__ParamsSyncMObjects *in,
                        struct ns1__SuccessSyncMObjects *out)
{
    struct soap *soap = op->soap;
    int rc = SOAP_OK;
    const char *opname = soap_ns1__SyncOperationEnum2s(soap, in->operation);
    const char *action = mk_mapping_status_to_rest(op->svc->mapping,
                                                   "sync_operation", opname ? opname : "");
    if (!action)
        return mk_fault(soap, MK_ERR_BAD_PARAMETER, "syncMObjects: operation must be INSERT, "
                        "UPDATE or UPSERT");
    struct ns1__ResultSyncMObjects *r = soap_malloc(soap, sizeof *r);
    if (!r)
        return mk_fault(soap, MK_ERR_INTERNAL, "syncMObjects: out of memory");
    rc = write_mobjects(op, in->mObjectList, action,
                        in->operation == ns1__SyncOperationEnum__UPDATE, false, "syncMObjects",
                        &r->mObjStatusList);
    if (rc == SOAP_OK)
        out->result = r;
    return rc;
}

int mk_op_delete_mobjects(mk_op *op, struct ns1__ParamsDeleteMObjects *in,
                          struct ns1__SuccessDeleteMObjects *out)
{
    struct soap *soap = op->soap;
    int rc = SOAP_OK;
    struct ns1__ResultDeleteMObjects *r = soap_malloc(soap, sizeof *r);
    if (!r)
        return mk_fault(soap, MK_ERR_INTERNAL, "deleteMObjects: out of memory");
    rc = write_mobjects(op, in->mObjectList, NULL, false, true, "deleteMObjects",
                        &r->mObjStatusList);
    if (rc == SOAP_OK)
        out->result = r;
    return rc;
}
