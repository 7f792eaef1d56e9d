/*
 * test_leadrec.c — one lead both ways (src/ops/leads/leadrec.c), checked on the
 * wire: REST JSON → LeadRecord, serialised by the generated gSOAP code with
 * the shim's response settings, and SOAP attributes → REST JSON.
 *
 * The field catalogue is built from a describe.json answer in Marketo's
 * shape (rest-api.md d.1) holding fields of the emulator's seed, the date
 * field of Marketo's getMultipleLeads example (Date_of_purchase), and one
 * datetime field of the test's own (LastContacted: no seed field of that
 * type has a SOAP name) carrying the offset form of Marketo's SOAP examples.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ops/core/fields.h"
#include "ops/leads/leadrec.h"
#include "rest/json.h"
#include "soap/engine.h"

#define FSPI "foreignSysPersonId"

static const char DESCRIBE[] =
    "[{\"id\":1,\"displayName\":\"Id\",\"dataType\":\"integer\",\"rest\":{\"name\":\"id\",\"readOnly\":true}},"
    " {\"id\":2,\"displayName\":\"Company Name\",\"dataType\":\"string\",\"length\":255,"
    "  \"rest\":{\"name\":\"company\",\"readOnly\":false},\"soap\":{\"name\":\"Company\",\"readOnly\":false}},"
    " {\"id\":17,\"displayName\":\"First Name\",\"dataType\":\"string\",\"length\":255,"
    "  \"rest\":{\"name\":\"firstName\",\"readOnly\":false},\"soap\":{\"name\":\"FirstName\",\"readOnly\":false}},"
    " {\"id\":19,\"displayName\":\"Last Name\",\"dataType\":\"string\",\"length\":255,"
    "  \"rest\":{\"name\":\"lastName\",\"readOnly\":false},\"soap\":{\"name\":\"LastName\",\"readOnly\":false}},"
    " {\"id\":20,\"displayName\":\"Email Address\",\"dataType\":\"email\",\"length\":255,"
    "  \"rest\":{\"name\":\"email\",\"readOnly\":false},\"soap\":{\"name\":\"Email\",\"readOnly\":false}},"
    " {\"id\":11,\"displayName\":\"Annual Revenue\",\"dataType\":\"currency\","
    "  \"rest\":{\"name\":\"annualRevenue\",\"readOnly\":false},\"soap\":{\"name\":\"AnnualRevenue\",\"readOnly\":false}},"
    " {\"id\":35,\"displayName\":\"Lead Score\",\"dataType\":\"integer\","
    "  \"rest\":{\"name\":\"leadScore\",\"readOnly\":false},\"soap\":{\"name\":\"LeadScore\",\"readOnly\":false}},"
    " {\"id\":36,\"displayName\":\"Urgency\",\"dataType\":\"float\","
    "  \"rest\":{\"name\":\"urgency\",\"readOnly\":false},\"soap\":{\"name\":\"Urgency\",\"readOnly\":false}},"
    " {\"id\":39,\"displayName\":\"Unsubscribed\",\"dataType\":\"boolean\","
    "  \"rest\":{\"name\":\"unsubscribed\",\"readOnly\":false},\"soap\":{\"name\":\"Unsubscribed\",\"readOnly\":false}},"
    " {\"id\":47,\"displayName\":\"Inferred Company\",\"dataType\":\"string\",\"length\":255,"
    "  \"rest\":{\"name\":\"inferredCompany\",\"readOnly\":true},\"soap\":{\"name\":\"InferredCompany\",\"readOnly\":true}},"
    " {\"id\":9,\"displayName\":\"Website\",\"dataType\":\"url\",\"length\":255,"
    "  \"rest\":{\"name\":\"website\",\"readOnly\":false},\"soap\":{\"name\":\"Website\",\"readOnly\":false}},"
    " {\"id\":55,\"displayName\":\"Updated At\",\"dataType\":\"datetime\",\"rest\":{\"name\":\"updatedAt\",\"readOnly\":true}},"
    " {\"id\":58,\"displayName\":\"Facebook Id\",\"dataType\":\"string\",\"length\":255,"
    "  \"rest\":{\"name\":\"facebookId\",\"readOnly\":false}},"
    " {\"id\":66,\"displayName\":\"Foreign Sys Person Id\",\"dataType\":\"string\",\"length\":255,"
    "  \"rest\":{\"name\":\"foreignSysPersonId\",\"readOnly\":false},\"soap\":{\"name\":\"ForeignSysPersonId\",\"readOnly\":false}},"
    " {\"id\":68,\"displayName\":\"Account Number\",\"dataType\":\"integer\","
    "  \"rest\":{\"name\":\"accountNumber\",\"readOnly\":false},\"soap\":{\"name\":\"AccountNumber\",\"readOnly\":false}},"
    " {\"id\":200,\"displayName\":\"Date of purchase\",\"dataType\":\"date\","
    "  \"rest\":{\"name\":\"dateOfPurchase\",\"readOnly\":false},\"soap\":{\"name\":\"Date_of_purchase\",\"readOnly\":false}},"
    " {\"id\":201,\"displayName\":\"Last Contacted\",\"dataType\":\"datetime\","
    "  \"rest\":{\"name\":\"lastContacted\",\"readOnly\":false},\"soap\":{\"name\":\"LastContacted\",\"readOnly\":false}}]";

typedef struct fixture {
    struct soap *soap;
    mk_fields *fields;
} fixture;

static int setup(void **state)
{
    fixture *fx = calloc(1, sizeof *fx);
    cJSON *d = cJSON_Parse(DESCRIBE);
    assert_non_null(d);
    fx->fields = mk_fields_from_describe(d);
    cJSON_Delete(d);
    assert_non_null(fx->fields);
    fx->soap = soap_new1(SOAP_C_UTFSTRING);   /* as the engine: char * is UTF-8 */
    /* As every lead handler answers: nillable members as xsi:nil, and the
     * response namespace table (SOAP-ENV, xsi, ns1). */
    soap_set_omode(fx->soap, SOAP_XML_NIL);
    mk_engine_response_namespaces(fx->soap);
    *state = fx;
    return 0;
}

static int teardown(void **state)
{
    fixture *fx = *state;
    soap_destroy(fx->soap);
    soap_end(fx->soap);
    soap_free(fx->soap);
    mk_fields_release(fx->fields);
    free(fx);
    return 0;
}

/* REST lead text → LeadRecord (parsed the way the REST client parses). */
static struct ns1__LeadRecord *to_soap(fixture *fx, const char *json, const char *fspi)
{
    cJSON *lead = mk_rest_json_parse(json, strlen(json));
    assert_non_null(lead);
    struct ns1__LeadRecord *rec = soap_malloc(fx->soap, sizeof *rec);
    assert_int_equal(mk_leadrec_to_soap(fx->soap, fx->fields, lead, fspi, rec), 0);
    cJSON_Delete(lead);
    return rec;
}

/* getLead's answer around records, serialised; the XML stays valid until
 * soap_end. */
static const char *serialise(fixture *fx, struct ns1__LeadRecord *recs, int n)
{
    struct ns1__ArrayOfLeadRecord list = {n, recs};
    struct ns1__ResultGetLead result = {n, n ? &list : NULL};
    struct ns1__SuccessGetLead ok = {&result};
    const char *xml = NULL;
    fx->soap->os = &xml;
    assert_int_equal(soap_write_ns1__SuccessGetLead(fx->soap, &ok), SOAP_OK);
    fx->soap->os = NULL;
    assert_non_null(xml);
    return xml;
}

static const char *attr(const struct ns1__LeadRecord *r, const char *name)
{
    for (int i = 0; r->leadAttributeList && i < r->leadAttributeList->__sizeattribute; i++)
        if (strcmp(r->leadAttributeList->attribute[i].attrName, name) == 0)
            return r->leadAttributeList->attribute[i].attrValue;
    return NULL;
}

static const char *attr_type(const struct ns1__LeadRecord *r, const char *name)
{
    for (int i = 0; r->leadAttributeList && i < r->leadAttributeList->__sizeattribute; i++)
        if (strcmp(r->leadAttributeList->attribute[i].attrName, name) == 0)
            return r->leadAttributeList->attribute[i].attrType;
    return NULL;
}

static void values_as_marketo_sent_them(void **state)
{
    fixture *fx = *state;
    struct ns1__LeadRecord *r = to_soap(
        fx,
        "{\"id\":1089965,\"email\":\"rufus@marketo.com\",\"firstName\":\"Travis\","
        "\"lastName\":null,\"company\":\"\",\"leadScore\":62,\"annualRevenue\":12500000.5,"
        "\"urgency\":0.1,\"unsubscribed\":false,\"accountNumber\":9007199254740993,"
        "\"website\":\"gmail.com\",\"dateOfPurchase\":\"2012-04-04\","
        "\"lastContacted\":\"2013-07-09T16:44:28-05:00\",\"updatedAt\":\"2026-01-01T09:00:00Z\","
        "\"facebookId\":\"fb-1001\",\"foreignSysPersonId\":\"CRM-0001\"}",
        FSPI);
    assert_int_equal(*r->Id, 1089965);
    assert_string_equal(r->Email, "rufus@marketo.com");
    assert_string_equal(r->ForeignSysPersonId, "CRM-0001");
    assert_int_equal(*r->ForeignSysType, ns1__ForeignSysType__CUSTOM);
    /* Numbers from their exact digits; 2^53 + 1 survives. */
    assert_string_equal(attr(r, "LeadScore"), "62");
    assert_string_equal(attr(r, "AccountNumber"), "9007199254740993");
    assert_string_equal(attr(r, "AnnualRevenue"), "12500000.5");
    assert_string_equal(attr(r, "Urgency"), "0.1");
    assert_string_equal(attr(r, "Unsubscribed"), "false");
    /* Dates exactly as REST sent them, offsets kept. */
    assert_string_equal(attr(r, "Date_of_purchase"), "2012-04-04");
    assert_string_equal(attr(r, "LastContacted"), "2013-07-09T16:44:28-05:00");
    /* attrType is REST's dataType, as in Marketo's examples. */
    assert_string_equal(attr_type(r, "LeadScore"), "integer");
    assert_string_equal(attr_type(r, "Website"), "url");
    assert_string_equal(attr_type(r, "Date_of_purchase"), "date");
    /* Left out: null, empty strings, fields without a SOAP name, the keys. */
    assert_null(attr(r, "LastName"));
    assert_null(attr(r, "Company"));
    assert_null(attr(r, "facebookId"));
    assert_null(attr(r, "Email"));
    assert_null(attr(r, "ForeignSysPersonId"));
    assert_int_equal(r->leadAttributeList->__sizeattribute, 9);
    /* Sorted by name. */
    for (int i = 1; i < r->leadAttributeList->__sizeattribute; i++)
        assert_true(strcmp(r->leadAttributeList->attribute[i - 1].attrName,
                           r->leadAttributeList->attribute[i].attrName) < 0);
}

static void nil_members_on_the_wire(void **state)
{
    fixture *fx = *state;
    /* No ForeignSysPersonId field configured, no email (an anonymous lead). */
    struct ns1__LeadRecord *r = to_soap(fx, "{\"id\":14,\"firstName\":\"Anonymous\"}", NULL);
    assert_null(r->ForeignSysPersonId);
    const char *xml = serialise(fx, r, 1);
    assert_non_null(strstr(xml, "<Id>14</Id><Email xsi:nil=\"true\"/>"
                                "<ForeignSysPersonId xsi:nil=\"true\"/>"
                                "<ForeignSysType xsi:nil=\"true\"/><leadAttributeList>"));
    /* The configured field empty: nil too, and not an attribute. */
    r = to_soap(fx, "{\"id\":15,\"email\":\"a@b.c\",\"foreignSysPersonId\":null}", FSPI);
    xml = serialise(fx, r, 1);
    assert_non_null(strstr(xml, "<Email>a@b.c</Email><ForeignSysPersonId xsi:nil=\"true\"/>"
                                "<ForeignSysType xsi:nil=\"true\"/><leadAttributeList xsi:nil=\"true\"/>"));
    /* No records at all: the list is nil, the count says 0. */
    xml = serialise(fx, NULL, 0);
    assert_non_null(strstr(xml, "<count>0</count><leadRecordList xsi:nil=\"true\"/>"));
}

static void one_element_lists_stay_lists(void **state)
{
    fixture *fx = *state;
    struct ns1__LeadRecord *r = to_soap(fx, "{\"id\":2,\"email\":\"asmith@example.com\","
                                            "\"firstName\":\"Alice\"}", FSPI);
    const char *xml = serialise(fx, r, 1);
    assert_non_null(strstr(xml, "<count>1</count><leadRecordList><leadRecord><Id>2</Id>"));
    assert_non_null(strstr(xml, "<leadAttributeList><attribute><attrName>FirstName</attrName>"
                                "<attrType>string</attrType><attrValue>Alice</attrValue>"
                                "</attribute></leadAttributeList></leadRecord></leadRecordList>"));
    /* Children unqualified, as Marketo's documents have them. */
    assert_null(strstr(xml, "<ns1:leadRecord"));
    assert_null(strstr(xml, "<ns1:attribute"));

    /* mergeLeads' one loser and syncMultipleLeads' one status. */
    int one = 16, winner = 2;
    struct ns1__ArrayOfInteger losers = {1, &one};
    struct ns1__MergeStatus ms = {&winner, &losers, ns1__LeadMergeStatusEnum__MERGED, NULL};
    struct ns1__ResultMergeLeads mr = {&ms};
    struct ns1__SuccessMergeLeads mok = {&mr};
    const char *out = NULL;
    fx->soap->os = &out;
    assert_int_equal(soap_write_ns1__SuccessMergeLeads(fx->soap, &mok), SOAP_OK);
    assert_non_null(strstr(out, "<losingLeadIdList><integerItem>16</integerItem></losingLeadIdList>"
                                "<status>MERGED</status><error xsi:nil=\"true\"/>"));
    struct ns1__SyncStatus st = {7, ns1__LeadSyncStatus__UPDATED, NULL};
    struct ns1__ArrayOfSyncStatus sl = {1, &st};
    struct ns1__ResultSyncMultipleLeads sr = {&sl};
    struct ns1__SuccessSyncMultipleLeads sok = {&sr};
    assert_int_equal(soap_write_ns1__SuccessSyncMultipleLeads(fx->soap, &sok), SOAP_OK);
    assert_non_null(strstr(out, "<syncStatusList><syncStatus><leadId>7</leadId><status>UPDATED"
                                "</status><error xsi:nil=\"true\"/></syncStatus></syncStatusList>"));
    fx->soap->os = NULL;
}

static void escaping_on_the_wire(void **state)
{
    fixture *fx = *state;
    struct ns1__LeadRecord *r = to_soap(fx, "{\"id\":3,\"company\":\"Smith & Sons <Ltd>\","
                                            "\"firstName\":\"Zo\\u00eb\"}", NULL);
    const char *xml = serialise(fx, r, 1);
    assert_non_null(strstr(xml, "<attrValue>Smith &amp; Sons &lt;Ltd&gt;</attrValue>"));
    assert_non_null(strstr(xml, "<attrValue>Zo\xc3\xab</attrValue>"));
}

/* SOAP attributes → REST record. */
static int last_code;

static cJSON *to_rest(fixture *fx, const char *const *pairs, int n, const char **bad)
{
    struct ns1__Attribute *a = soap_malloc(fx->soap, sizeof *a * (size_t)(n ? n : 1));
    for (int i = 0; i < n; i++)
        a[i] = (struct ns1__Attribute){(char *)pairs[2 * i], NULL, (char *)pairs[2 * i + 1]};
    struct ns1__ArrayOfAttribute list = {n, a};
    cJSON *out = NULL;
    *bad = NULL;
    last_code = mk_leadrec_attrs_to_rest(fx->fields, &list, &out, bad);
    if (last_code != MK_LEADREC_OK)
        return NULL;
    return out;
}

static void attributes_to_rest(void **state)
{
    fixture *fx = *state;
    const char *bad;
    const char *ok[] = {"FirstName", "George", "lastname", "of the Jungle",   /* any case */
                        "LeadScore", "62", "AccountNumber", "9007199254740993",
                        "Unsubscribed", "True", "Urgency", "2.5", "Company", "",
                        "Date_of_purchase", "2012-04-04"};
    cJSON *o = to_rest(fx, ok, 8, &bad);
    assert_non_null(o);
    char *text = cJSON_PrintUnformatted(o);
    assert_string_equal(text, "{\"firstName\":\"George\",\"lastName\":\"of the Jungle\","
                              "\"leadScore\":62,\"accountNumber\":9007199254740993,"
                              "\"unsubscribed\":true,\"urgency\":2.5,\"company\":null,"
                              "\"dateOfPurchase\":\"2012-04-04\"}");
    free(text);
    cJSON_Delete(o);

    /* The forms legacy clients write become REST's types; what is not
     * recognised goes exactly as sent, for REST to judge record by record. */
    static const struct { const char *name, *value, *json; } forms[] = {
        {"LeadScore", "5", "{\"leadScore\":5}"},
        {"LeadScore", "5.0", "{\"leadScore\":5}"},
        {"LeadScore", " 5 ", "{\"leadScore\":5}"},
        {"LeadScore", "+0012.000", "{\"leadScore\":12}"},
        {"LeadScore", "-0", "{\"leadScore\":0}"},
        {"LeadScore", "null", "{\"leadScore\":null}"},
        {"LeadScore", "  ", "{\"leadScore\":null}"},
        {"LeadScore", "5.5", "{\"leadScore\":\"5.5\"}"},
        {"LeadScore", "abc", "{\"leadScore\":\"abc\"}"},
        {"AccountNumber", "9007199254740993.0", "{\"accountNumber\":9007199254740993}"},
        {"Urgency", " 2.50 ", "{\"urgency\":2.5}"},
        {"AnnualRevenue", "1e3", "{\"annualRevenue\":1000}"},
        {"AnnualRevenue", "nan", "{\"annualRevenue\":\"nan\"}"},
        {"AnnualRevenue", "0x10", "{\"annualRevenue\":\"0x10\"}"},
        {"Unsubscribed", "1", "{\"unsubscribed\":true}"},
        {"Unsubscribed", " TRUE", "{\"unsubscribed\":true}"},
        {"Unsubscribed", "0", "{\"unsubscribed\":false}"},
        {"Unsubscribed", "maybe", "{\"unsubscribed\":\"maybe\"}"},
        {"Date_of_purchase", "2012-04-04", "{\"dateOfPurchase\":\"2012-04-04\"}"},
        {"Date_of_purchase", "2026-11-28T23:30:00-08:00", "{\"dateOfPurchase\":\"2026-11-28\"}"},
        {"Date_of_purchase", "2026-02-30", "{\"dateOfPurchase\":\"2026-02-30\"}"},
        {"LastContacted", "2026-11-28T03:50:53-08:00", "{\"lastContacted\":\"2026-11-28T11:50:53Z\"}"},
        {"LastContacted", "2026-11-28 11:51:28 +0000", "{\"lastContacted\":\"2026-11-28T11:51:28Z\"}"},
        {"LastContacted", "2026-12-31T23:30:00.123456-01:00",
         "{\"lastContacted\":\"2027-01-01T00:30:00Z\"}"},
        {"LastContacted", "2026-11-28T11:51:28.123456", "{\"lastContacted\":\"2026-11-28T11:51:28\"}"},
        {"LastContacted", "2026-11-28T11:51:28Z", "{\"lastContacted\":\"2026-11-28T11:51:28Z\"}"},
        {"LastContacted", "yesterday", "{\"lastContacted\":\"yesterday\"}"},
        {"Company", " null ", "{\"company\":\" null \"}"},
        {"Company", " 5.0 ", "{\"company\":\" 5.0 \"}"},
    };
    for (size_t i = 0; i < sizeof forms / sizeof *forms; i++) {
        const char *pair[] = {forms[i].name, forms[i].value};
        o = to_rest(fx, pair, 1, &bad);
        assert_non_null(o);
        text = cJSON_PrintUnformatted(o);
        if (strcmp(text, forms[i].json) != 0)
            fail_msg("%s = '%s' became %s, not %s", forms[i].name, forms[i].value, text,
                     forms[i].json);
        free(text);
        cJSON_Delete(o);
    }

    /* Refused, naming the attribute: unknown (the whole call), read-only
     * (this record); an unknown name outranks a read-only one. */
    const char *unknown[] = {"FirstName", "x", "Nickname", "y"};
    assert_null(to_rest(fx, unknown, 2, &bad));
    assert_int_equal(last_code, MK_LEADREC_UNKNOWN);
    assert_string_equal(bad, "Nickname");
    const char *ro[] = {"InferredCompany", "Acme"};
    assert_null(to_rest(fx, ro, 1, &bad));
    assert_int_equal(last_code, MK_LEADREC_READONLY);
    assert_string_equal(bad, "InferredCompany");
    const char *both[] = {"InferredCompany", "Acme", "Nickname", "y"};
    assert_null(to_rest(fx, both, 2, &bad));
    assert_int_equal(last_code, MK_LEADREC_UNKNOWN);
    assert_string_equal(bad, "Nickname");
    /* No attributes: an empty record. */
    o = to_rest(fx, NULL, 0, &bad);
    assert_non_null(o);
    assert_int_equal(cJSON_GetArraySize(o), 0);
    cJSON_Delete(o);
}

/* Found by fuzz_records: a REST "lead" that is an array (or a scalar) was
 * walked by member name, and an array's members have none (strcmp on NULL:
 * the whole process).  Refused as a bad answer instead. */
static void a_lead_that_is_not_an_object_is_refused(void **state)
{
    fixture *fx = *state;
    static const char *const bad[] = {
        "[{\"id\": 34, \"name\": \"leadScore\", \"newValue\": \"42\"}]", "[1, 2]", "\"a\"", "7",
        "null", "[]",
    };
    for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
        cJSON *lead = mk_rest_json_parse(bad[i], strlen(bad[i]));
        assert_non_null(lead);
        struct ns1__LeadRecord rec;
        assert_int_equal(mk_leadrec_to_soap(fx->soap, fx->fields, lead, "fspi", &rec),
                         MK_LEADREC_BAD);
        cJSON_Delete(lead);
    }
    /* An object still converts. */
    struct ns1__LeadRecord *ok = to_soap(fx, "{\"id\": 5, \"email\": \"a@b.c\"}", NULL);
    assert_int_equal(*ok->Id, 5);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(values_as_marketo_sent_them, setup, teardown),
        cmocka_unit_test_setup_teardown(nil_members_on_the_wire, setup, teardown),
        cmocka_unit_test_setup_teardown(one_element_lists_stay_lists, setup, teardown),
        cmocka_unit_test_setup_teardown(escaping_on_the_wire, setup, teardown),
        cmocka_unit_test_setup_teardown(attributes_to_rest, setup, teardown),
        cmocka_unit_test_setup_teardown(a_lead_that_is_not_an_object_is_refused, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
