/*
 * actrec.c — REST activity JSON → SOAP ActivityRecord / LeadChangeRecord
 * (the rules are in actrec.h).
 *
 * Both SOAP records share everything but the four person/org members and
 * the nil rules, so one builder fills a neutral record and two small
 * functions copy it into the generated structs.
 */
#include "ops/activities/actrec.h"

#include <ctype.h>
#include <inttypes.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ops/core/common.h"
#include "rest/json.h"
#include "soap/auth.h"

typedef struct rec {
    LONG64 *id;
    char *guid, *date, *type, *asset, *person;
    struct ns1__ArrayOfAttribute *attrs;
    int has_campaign;        /* REST named a campaign */
    char *campaign;          /* its name, NULL when unknown */
} rec;

/* ---- dates ---------------------------------------------------------------- */

char *mk_actrec_soap_date(struct soap *soap, const char *d)
{
    if (!d)
        return NULL;
    size_t n = strlen(d);
    /* "…Z+0000": the Asset API's UTC with a redundant offset. */
    if (n >= 6 && strcmp(d + n - 6, "Z+0000") == 0) {
        char *s = soap_malloc(soap, n - 4);
        if (s) {
            memcpy(s, d, n - 5);
            s[n - 5] = '\0';
        }
        return s;
    }
    /* "…:ss+0000" / "…:ss-0500": xs:dateTime wants "+hh:mm". */
    const char *t = strchr(d, 'T');
    bool compact = n >= 6 && t && t < d + n - 5 && (d[n - 5] == '+' || d[n - 5] == '-') &&
                   isdigit((unsigned char)d[n - 6]);
    for (size_t i = n - 4; compact && i < n; i++)
        compact = isdigit((unsigned char)d[i]);
    if (!compact)
        return soap_strdup(soap, d);
    char *s = soap_malloc(soap, n + 2);
    if (s) {
        memcpy(s, d, n - 2);          /* … through "+hh" */
        s[n - 2] = ':';
        memcpy(s + n - 1, d + n - 2, 2);
        s[n + 1] = '\0';
    }
    return s;
}

int mk_actrec_parse_date(const char *s, time_t *out)
{
    if (!s)
        return -1;
    char buf[64];
    size_t n = strlen(s);
    if (n >= sizeof buf)
        return -1;
    memcpy(buf, s, n + 1);
    if (n >= 6 && strcmp(buf + n - 6, "Z+0000") == 0)
        buf[n - 5] = '\0';
    return mk_auth_parse_timestamp(buf, out);
}

/* ---- values --------------------------------------------------------------- */

char *mk_actrec_value_text(struct soap *soap, const cJSON *v)
{
    if (!v || cJSON_IsNull(v))
        return soap_strdup(soap, "");
    if (cJSON_IsString(v) || cJSON_IsBool(v) || cJSON_IsNumber(v))
        return mk_ops_value_text(soap, v);
    char *json = cJSON_PrintUnformatted(v);
    char *out = json ? soap_strdup(soap, json) : NULL;
    free(json);
    return out;
}

/* ---- attributes ------------------------------------------------------------- */

typedef struct attrs {
    struct ns1__Attribute *v;
    int n, cap;
} attrs;

static int add(struct soap *soap, attrs *a, const char *name, char *value)
{
    if (!value)
        return MK_ACTREC_NOMEM;
    if (a->n == a->cap) {
        int cap = a->cap ? a->cap * 2 : 8;
        struct ns1__Attribute *v = soap_malloc(soap, sizeof *v * (size_t)cap);
        if (!v)
            return MK_ACTREC_NOMEM;
        if (a->n)
            memcpy(v, a->v, sizeof *v * (size_t)a->n);
        a->v = v;
        a->cap = cap;
    }
    struct ns1__Attribute *at = &a->v[a->n++];
    at->attrName = soap_strdup(soap, name);
    at->attrType = NULL;
    at->attrValue = value;
    return at->attrName ? MK_ACTREC_OK : MK_ACTREC_NOMEM;
}

static const cJSON *rest_attr(const cJSON *attributes, const char *name)
{
    const cJSON *a;
    cJSON_ArrayForEach(a, attributes) {
        const char *n = mk_rest_json_get_string(a, "name");
        if (n && strcmp(n, name) == 0)
            return a;
    }
    return NULL;
}

static int ends_with_id(const char *s)
{
    size_t n = strlen(s);
    return n >= 2 && (strcmp(s + n - 2, "ID") == 0 || strcmp(s + n - 2, "Id") == 0);
}

/* The display name of a REST lead field, else its SOAP name, else itself. */
static const char *field_label(const mk_fields *f, const char *rest_name)
{
    const mk_field *fd = f ? mk_fields_by_rest(f, rest_name) : NULL;
    if (fd && fd->display && *fd->display)
        return fd->display;
    if (fd && fd->soap && *fd->soap)
        return fd->soap;
    return rest_name;
}

static int build(struct soap *soap, const mk_actrec_ctx *c, const cJSON *act, rec *r)
{
    memset(r, 0, sizeof *r);
    char idtext[64], lead[64];
    int64_t id, type_id;

    /* Identity: the 64-bit id as digits and as LONG64, both exact. */
    const cJSON *idj = cJSON_GetObjectItemCaseSensitive(act, "id");
    if (mk_rest_json_as_int64(idj, &id) == MK_REST_JSON_OK) {
        r->id = soap_malloc(soap, sizeof *r->id);
        if (!r->id)
            return MK_ACTREC_NOMEM;
        *r->id = (LONG64)id;
    }
    const char *guid = mk_rest_json_get_string(act, "marketoGUID");
    if (guid && *guid)
        r->guid = soap_strdup(soap, guid);
    else if (mk_rest_json_id_text(idj, idtext, sizeof idtext) == MK_REST_JSON_OK)
        r->guid = soap_strdup(soap, idtext);
    else
        return MK_ACTREC_BAD;

    r->date = mk_actrec_soap_date(soap, mk_rest_json_get_date(act, "activityDate"));
    if (!r->date)
        return MK_ACTREC_BAD;
    if (mk_rest_json_id_text(cJSON_GetObjectItemCaseSensitive(act, "leadId"), lead, sizeof lead) !=
        MK_REST_JSON_OK)
        return MK_ACTREC_BAD;
    r->person = soap_strdup(soap, lead);

    if (mk_rest_json_get_int64(act, "activityTypeId", &type_id) != MK_REST_JSON_OK)
        return MK_ACTREC_BAD;
    const mk_acttype *t = mk_acttypes_by_id(c->types, type_id);
    if (!t)
        return MK_ACTREC_UNKNOWN_TYPE;
    r->type = soap_strdup(soap, t->name);

    const char *pv = mk_rest_json_get_string(act, "primaryAttributeValue");
    const cJSON *pvid = cJSON_GetObjectItemCaseSensitive(act, "primaryAttributeValueId");
    if (pv)
        r->asset = soap_strdup(soap, pv);

    const cJSON *ra = cJSON_GetObjectItemCaseSensitive(act, "attributes");
    const cJSON *fields = cJSON_GetObjectItemCaseSensitive(act, "fields");
    attrs a = {0};
    int rc = MK_ACTREC_OK;
    bool cdv = type_id == MK_ACT_CHANGE_DATA_VALUE;
    if (cdv && cJSON_GetArraySize(fields) > 0) {
        /* leadchanges.json: old and new values per changed field. */
        const cJSON *f;
        cJSON_ArrayForEach(f, fields) {
            const char *name = mk_rest_json_get_string(f, "name");
            const char *label = field_label(c->fields, name ? name : "");
            if (!r->asset)
                r->asset = soap_strdup(soap, label);
            if ((rc = add(soap, &a, "Attribute Name", soap_strdup(soap, label))) ||
                (rc = add(soap, &a, "Old Value",
                          mk_actrec_value_text(soap, cJSON_GetObjectItemCaseSensitive(f, "oldValue")))) ||
                (rc = add(soap, &a, "New Value",
                          mk_actrec_value_text(soap, cJSON_GetObjectItemCaseSensitive(f, "newValue")))))
                return rc;
        }
    } else if (cdv) {
        /* activities.json: the field's display name is the primary value. */
        const cJSON *ov = rest_attr(ra, "Old Value"), *nv = rest_attr(ra, "New Value");
        if ((rc = add(soap, &a, "Attribute Name", soap_strdup(soap, pv ? pv : ""))) ||
            (rc = add(soap, &a, "Old Value",
                      mk_actrec_value_text(soap, cJSON_GetObjectItemCaseSensitive(ov, "value")))) ||
            (rc = add(soap, &a, "New Value",
                      mk_actrec_value_text(soap, cJSON_GetObjectItemCaseSensitive(nv, "value")))))
            return rc;
    } else if (t->primary && !rest_attr(ra, t->primary)) {
        const cJSON *v = ends_with_id(t->primary)
                             ? pvid
                             : cJSON_GetObjectItemCaseSensitive(act, "primaryAttributeValue");
        if (v && !cJSON_IsNull(v) && (rc = add(soap, &a, t->primary, mk_actrec_value_text(soap, v))))
            return rc;
    }
    const cJSON *at;
    cJSON_ArrayForEach(at, ra) {
        const char *name = mk_rest_json_get_string(at, "name");
        if (!name)
            continue;
        if (cdv && (strcmp(name, "Old Value") == 0 || strcmp(name, "New Value") == 0))
            continue;
        if ((rc = add(soap, &a, name,
                      mk_actrec_value_text(soap, cJSON_GetObjectItemCaseSensitive(at, "value")))))
            return rc;
    }
    if (!rest_attr(ra, "Lead ID") && (rc = add(soap, &a, "Lead ID", soap_strdup(soap, lead))))
        return rc;
    r->attrs = soap_malloc(soap, sizeof *r->attrs);
    if (!r->attrs || !r->guid || !r->type || !r->person)
        return MK_ACTREC_NOMEM;
    r->attrs->__sizeattribute = a.n;
    r->attrs->attribute = a.v;

    const cJSON *cid = cJSON_GetObjectItemCaseSensitive(act, "campaignId");
    if (mk_rest_json_id_text(cid, idtext, sizeof idtext) == MK_REST_JSON_OK) {
        r->has_campaign = 1;
        const char *name = mk_rest_json_get_string(c->campaigns, idtext);
        if (name && !(r->campaign = soap_strdup(soap, name)))
            return MK_ACTREC_NOMEM;
    }
    return MK_ACTREC_OK;
}

int mk_actrec_to_activity(struct soap *soap, const mk_actrec_ctx *c, const cJSON *act,
                          struct ns1__ActivityRecord *out)
{
    rec r;
    int rc = build(soap, c, act, &r);
    if (rc != MK_ACTREC_OK)
        return rc;
    memset(out, 0, sizeof *out);
    out->id = r.id;
    out->marketoGUID = r.guid;
    out->activityDateTime = r.date;
    out->activityType = r.type;
    out->mktgAssetName = r.asset;
    out->activityAttributes = r.attrs;
    out->campaign = r.has_campaign ? r.campaign : soap_strdup(soap, "");
    out->mktPersonId = r.person;
    return out->campaign || r.has_campaign ? MK_ACTREC_OK : MK_ACTREC_NOMEM;
}

int mk_actrec_to_change(struct soap *soap, const mk_actrec_ctx *c, const cJSON *act,
                        struct ns1__LeadChangeRecord *out)
{
    rec r;
    int rc = build(soap, c, act, &r);
    if (rc != MK_ACTREC_OK)
        return rc;
    memset(out, 0, sizeof *out);
    out->id = r.id;
    out->marketoGUID = r.guid;
    out->activityDateTime = r.date;
    out->activityType = r.type;
    out->mktgAssetName = r.asset;
    out->activityAttributes = r.attrs;
    out->campaign = r.campaign;
    out->mktPersonId = r.person;
    return MK_ACTREC_OK;
}
