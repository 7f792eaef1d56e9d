/*
 * leadrec.c — REST lead JSON ↔ SOAP LeadRecord (see leadrec.h).
 */
#include "ops/leads/leadrec.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ops/core/common.h"
#include "ops/core/values.h"
#include "rest/json.h"

static bool is_key_field(const char *rest, const char *fspi_field)
{
    return strcmp(rest, "id") == 0 || strcmp(rest, "email") == 0 ||
           (fspi_field && strcmp(rest, fspi_field) == 0);
}

static int attr_cmp(const void *a, const void *b)
{
    return strcmp(((const struct ns1__Attribute *)a)->attrName,
                  ((const struct ns1__Attribute *)b)->attrName);
}

int mk_leadrec_to_soap(struct soap *soap, const mk_fields *f, const cJSON *lead,
                       const char *fspi_field, struct ns1__LeadRecord *out)
{
    memset(out, 0, sizeof *out);
    /* Its members are walked by name: an array's have none. */
    if (!cJSON_IsObject(lead))
        return MK_LEADREC_BAD;
    int64_t id;
    if (mk_rest_json_get_int64(lead, "id", &id) == MK_REST_JSON_OK && id >= 0 && id <= INT32_MAX) {
        out->Id = soap_malloc(soap, sizeof *out->Id);
        if (!out->Id)
            return -1;
        *out->Id = (int)id;
    }
    const char *email = mk_rest_json_get_string(lead, "email");
    if (email && *email)
        out->Email = soap_strdup(soap, email);
    if (fspi_field) {
        const cJSON *v = cJSON_GetObjectItemCaseSensitive(lead, fspi_field);
        char *t = mk_ops_value_text(soap, v);
        if (t && *t) {
            out->ForeignSysPersonId = t;
            out->ForeignSysType = soap_malloc(soap, sizeof *out->ForeignSysType);
            if (!out->ForeignSysType)
                return -1;
            *out->ForeignSysType = ns1__ForeignSysType__CUSTOM;
        }
    }

    int n = 0;
    const cJSON *it;
    cJSON_ArrayForEach(it, lead) n++;
    struct ns1__Attribute *attrs = n ? soap_malloc(soap, sizeof *attrs * (size_t)n) : NULL;
    if (n && !attrs)
        return -1;
    int k = 0;
    cJSON_ArrayForEach(it, lead) {
        if (is_key_field(it->string, fspi_field))
            continue;
        const mk_field *fd = mk_fields_by_rest(f, it->string);
        /* A field REST returns but SOAP never knew stays invisible to SOAP
         * clients, as it was when they were written. */
        if (!fd || !fd->soap)
            continue;
        char *val = mk_ops_value_text(soap, it);
        if (!val || !*val)
            continue;
        attrs[k].attrName = soap_strdup(soap, fd->soap);
        attrs[k].attrType = soap_strdup(soap, fd->type);
        attrs[k].attrValue = val;
        k++;
    }
    /* Marketo listed attributes sorted by name (both documented response
     * examples, getLead and getMultipleLeads, are in that order); REST
     * returns them in its own field order. */
    if (k > 1)
        qsort(attrs, (size_t)k, sizeof *attrs, attr_cmp);
    if (k > 0) {
        out->leadAttributeList = soap_malloc(soap, sizeof *out->leadAttributeList);
        if (!out->leadAttributeList)
            return -1;
        out->leadAttributeList->__sizeattribute = k;
        out->leadAttributeList->attribute = attrs;
    }
    return 0;
}

int mk_leadrec_set_typed(cJSON *obj, const char *name, const char *type, const char *text)
{
    cJSON *v = mk_value_to_rest(type, text);
    if (!v)
        return -1;
    cJSON_DeleteItemFromObjectCaseSensitive(obj, name);
    cJSON_AddItemToObject(obj, name, v);
    return 0;
}

int mk_leadrec_attrs_to_rest(const mk_fields *f, const struct ns1__ArrayOfAttribute *attrs,
                             cJSON **out, const char **bad)
{
    *bad = NULL;
    *out = NULL;
    cJSON *o = cJSON_CreateObject();
    if (!o)
        return MK_LEADREC_NOMEM;
    int rc = MK_LEADREC_OK;
    for (int i = 0; attrs && i < attrs->__sizeattribute; i++) {
        const struct ns1__Attribute *a = &attrs->attribute[i];
        const mk_field *fd = mk_fields_by_soap(f, a->attrName);
        if (!fd) {
            *bad = a->attrName ? a->attrName : "(no attrName)";
            cJSON_Delete(o);
            return MK_LEADREC_UNKNOWN;   /* the whole call: nothing is checked further */
        }
        if (fd->soap_readonly || fd->rest_readonly) {
            if (!*bad)
                *bad = a->attrName;
            rc = MK_LEADREC_READONLY;    /* keep looking: an unknown name outranks it */
            continue;
        }
        if (mk_leadrec_set_typed(o, fd->rest, fd->type, a->attrValue) != 0) {
            cJSON_Delete(o);
            return MK_LEADREC_NOMEM;
        }
    }
    if (rc != MK_LEADREC_OK) {
        cJSON_Delete(o);
        return rc;
    }
    *out = o;
    return MK_LEADREC_OK;
}
