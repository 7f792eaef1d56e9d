/*
 * fuzz_records.c — libFuzzer target: the JSON → SOAP record builders
 * (ops/leads/leadrec.c, ops/activities/actrec.c) on any JSON a REST endpoint could send,
 * with the field list and activity types of the emulator's seed; each
 * record built is then serialised, so a dangling or half-filled member
 * shows up too.  Seeds: the leads and activities of the emulator's and the
 * golden documents' seeds, one record per file.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "soapH.h"
#include "ops/activities/actrec.h"
#include "ops/leads/leadrec.h"

static mk_fields *fields;
static mk_acttypes *types;
static struct soap *soap;

static int discard(struct soap *s, const char *buf, size_t n)
{
    (void)s;
    (void)buf;
    (void)n;
    return SOAP_OK;
}

static int setup(void)
{
    const char *path = getenv("MKTOWS_FUZZ_SEED");
    char buf[1 << 20];
    FILE *f = fopen(path ? path : MKTOWS_DEFAULT_SEED, "r");
    if (!f)
        return -1;
    size_t n = fread(buf, 1, sizeof buf - 1, f);
    fclose(f);
    buf[n] = '\0';
    cJSON *seed = cJSON_Parse(buf);
    if (!seed)
        return -1;
    /* The seed lists fields as the emulator stores them; the shim reads
     * them as REST's describe answers them (rest and soap names). */
    cJSON *describe = cJSON_CreateArray();
    const cJSON *lf;
    cJSON_ArrayForEach(lf, cJSON_GetObjectItemCaseSensitive(seed, "leadFields")) {
        cJSON *d = cJSON_CreateObject(), *rest = cJSON_CreateObject(), *sp = cJSON_CreateObject();
        cJSON_AddItemToObject(d, "id", cJSON_Duplicate(cJSON_GetObjectItem(lf, "id"), 1));
        cJSON_AddItemToObject(d, "displayName",
                              cJSON_Duplicate(cJSON_GetObjectItem(lf, "displayName"), 1));
        cJSON_AddItemToObject(d, "dataType", cJSON_Duplicate(cJSON_GetObjectItem(lf, "dataType"), 1));
        cJSON_AddItemToObject(rest, "name", cJSON_Duplicate(cJSON_GetObjectItem(lf, "name"), 1));
        cJSON_AddBoolToObject(rest, "readOnly", cJSON_IsTrue(cJSON_GetObjectItem(lf, "readOnly")));
        cJSON_AddItemToObject(sp, "name", cJSON_Duplicate(cJSON_GetObjectItem(lf, "displayName"), 1));
        cJSON_AddBoolToObject(sp, "readOnly", cJSON_IsTrue(cJSON_GetObjectItem(lf, "readOnly")));
        cJSON_AddItemToObject(d, "rest", rest);
        cJSON_AddItemToObject(d, "soap", sp);
        cJSON_AddItemToArray(describe, d);
    }
    fields = mk_fields_from_describe(describe);
    cJSON_Delete(describe);
    types = mk_acttypes_from_json(cJSON_GetObjectItemCaseSensitive(seed, "activityTypes"));
    cJSON_Delete(seed);
    soap = soap_new1(SOAP_C_UTFSTRING);
    return fields && types && soap ? 0 : -1;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static int ready = -2;
    if (ready == -2)
        ready = setup();
    if (ready != 0)
        abort();
    cJSON *j = cJSON_ParseWithLength((const char *)data, size);
    if (!j)
        return 0;
    soap_begin(soap);
    soap->fsend = discard;
    cJSON *campaigns = cJSON_CreateObject();
    cJSON_AddStringToObject(campaigns, "1001", "Campaign");
    cJSON_AddNullToObject(campaigns, "1002");
    mk_actrec_ctx ctx = {.types = types, .fields = fields, .campaigns = campaigns};

    struct ns1__LeadRecord lead;
    struct ns1__ActivityRecord act;
    struct ns1__LeadChangeRecord change;
    soap_default_ns1__LeadRecord(soap, &lead);
    soap_default_ns1__ActivityRecord(soap, &act);
    soap_default_ns1__LeadChangeRecord(soap, &change);
    if (mk_leadrec_to_soap(soap, fields, j, NULL, &lead) == 0)
        soap_out_ns1__LeadRecord(soap, "leadRecord", 0, &lead, NULL);
    if (mk_actrec_to_activity(soap, &ctx, j, &act) == MK_ACTREC_OK)
        soap_out_ns1__ActivityRecord(soap, "activityRecord", 0, &act, NULL);
    if (mk_actrec_to_change(soap, &ctx, j, &change) == MK_ACTREC_OK)
        soap_out_ns1__LeadChangeRecord(soap, "leadChangeRecord", 0, &change, NULL);
    const cJSON *v;
    cJSON_ArrayForEach(v, j) {
        mk_actrec_value_text(soap, v);
        if (cJSON_IsString(v)) {
            time_t t;
            mk_actrec_parse_date(v->valuestring, &t);
            mk_actrec_soap_date(soap, v->valuestring);
            cJSON *o = cJSON_CreateObject();
            mk_leadrec_set_typed(o, "f", "integer", v->valuestring);
            mk_leadrec_set_typed(o, "g", "boolean", v->valuestring);
            mk_leadrec_set_typed(o, "h", "float", v->valuestring);
            cJSON_Delete(o);
        }
    }
    cJSON_Delete(campaigns);
    cJSON_Delete(j);
    soap_destroy(soap);
    soap_end(soap);
    return 0;
}
