/*
 * test_activity_types.c — the pieces of the activity operations that need
 * no server: the ActivityType alias table (the real one loads; broken copies
 * are refused naming file and entry; the C token list is the WSDL's), the
 * activity type catalogue lookups, the REST activity → SOAP record codec
 * (64-bit ids exact, Change Data Value attributes, dates, values), and the
 * output filter that leaves out non-nillable empty elements.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "soapH.h"
#include "mapping/activity_types.h"
#include "ops/activities/actrec.h"
#include "ops/activities/acttypes.h"
#include "ops/core/fields.h"
#include "ops/core/nilfilter.h"
#include "rest/json.h"
#include "testsupport.h"

static char mapping_dir[4096];

/* ---- the alias table ------------------------------------------------------------ */

static void test_real_table_loads(void **state)
{
    (void)state;
    char err[512] = "";
    mk_acttype_aliases *a = NULL;
    if (mk_acttype_aliases_load(mapping_dir, &a, err, sizeof err) != 0)
        fail_msg("%s", err);
    size_t n = 0;
    const mk_acttype_alias *v = mk_acttype_aliases_all(a, &n);
    assert_true(n >= 7);
    for (size_t i = 0; i < n; i++) {
        assert_true(mk_acttype_is_wsdl_token(v[i].token));
        assert_false(mk_acttype_token_matches(v[i].token, v[i].name));
        assert_true(strlen(v[i].basis) > 10);
    }
    assert_string_equal(mk_acttype_alias_name(a, "PushLeadToSales"), "Sync Lead to SFDC");
    assert_string_equal(mk_acttype_alias_name(a, "NewSFDCOpprtnty"), "New SFDC Opportunity");
    assert_null(mk_acttype_alias_name(a, "VisitWebpage"));   /* the rule covers it */
    mk_acttype_aliases_free(a);
}

/* The C list of tokens is exactly the WSDL's ActivityType enumeration. */
static void test_tokens_are_the_wsdls(void **state)
{
    (void)state;
    char path[4200];
    snprintf(path, sizeof path, "%s/wsdl/mktows.wsdl", getenv("MKTOWS_SOURCE_DIR"));
    char *w = ts_read_file(path);
    char *start = strstr(w, "<xs:simpleType name=\"ActivityType\">");
    assert_non_null(start);
    char *end = strstr(start, "</xs:simpleType>");
    assert_non_null(end);
    size_t i = 0;
    for (char *p = strstr(start, "value=\""); p && p < end; p = strstr(p, "value=\"")) {
        p += 7;
        char *q = strchr(p, '"');
        char tok[64];
        snprintf(tok, sizeof tok, "%.*s", (int)(q - p), p);
        const char *mine = mk_acttype_wsdl_token(i++);
        if (!mine || strcmp(mine, tok) != 0)
            fail_msg("WSDL token %zu is %s, the C list has %s", i - 1, tok, mine ? mine : "(end)");
    }
    assert_int_equal(i, MK_ACTTYPE_TOKEN_COUNT);
    assert_null(mk_acttype_wsdl_token(i));
    free(w);
}

static void test_token_rule(void **state)
{
    (void)state;
    assert_true(mk_acttype_token_matches("VisitWebpage", "Visit Webpage"));
    assert_true(mk_acttype_token_matches("AddToList", "Add to List"));
    assert_true(mk_acttype_token_matches("AddtoSFDCCampaign", "Add to SFDC Campaign"));
    assert_true(mk_acttype_token_matches("EnrichWithDatacom", "Enrich with Data.com"));
    assert_false(mk_acttype_token_matches("AddToList", "Add to List Extra"));
    assert_false(mk_acttype_token_matches("AddToLists", "Add to List"));
    assert_false(mk_acttype_token_matches("PushLeadToSales", "Sync Lead to SFDC"));
    assert_false(mk_acttype_token_matches("", "Visit Webpage"));
    assert_false(mk_acttype_is_wsdl_token("visitwebpage"));   /* case-sensitive, as the schema */
    assert_false(mk_acttype_is_wsdl_token("Bogus"));
    assert_true(mk_acttype_is_wsdl_token("SmartCampaignTestTrigger"));
}

/* Write text as <dir>/activity_types.json and expect the load to fail with
 * every needle in the message. */
static void expect_refused(const char *text, const char *const needles[])
{
    char dir[] = "/tmp/mk_acttypes_XXXXXX";
    assert_non_null(mkdtemp(dir));
    char path[128];
    snprintf(path, sizeof path, "%s/activity_types.json", dir);
    if (text) {
        FILE *f = fopen(path, "wb");
        fputs(text, f);
        fclose(f);
    }
    char err[512] = "";
    mk_acttype_aliases *a = NULL;
    int rc = mk_acttype_aliases_load(dir, &a, err, sizeof err);
    unlink(path);
    rmdir(dir);
    if (rc == 0) {
        mk_acttype_aliases_free(a);
        fail_msg("accepted: %s", text ? text : "(no file)");
    }
    assert_null(a);
    assert_non_null(strstr(err, "activity_types.json"));
    for (size_t i = 0; needles[i]; i++)
        if (!strstr(err, needles[i]))
            fail_msg("message lacks '%s': %s", needles[i], err);
}

static void test_broken_tables(void **state)
{
    (void)state;
    expect_refused(NULL, (const char *const[]){"cannot open", NULL});
    expect_refused("{\"version\": 1, \"aliases\": [", (const char *const[]){"not valid JSON", NULL});
    expect_refused("{\"version\": 2, \"aliases\": []}", (const char *const[]){"version", NULL});
    expect_refused("{\"version\": 1, \"aliases\": [], \"extra\": 1}",
                   (const char *const[]){"unknown member \"extra\"", NULL});
    expect_refused("{\"version\": 1, \"aliases\": [{\"token\": \"Wait\", \"name\": \"Wait Step\"}]}",
                   (const char *const[]){"aliases[0] (Wait)", "missing member \"basis\"", NULL});
    expect_refused("{\"version\": 1, \"aliases\": [{\"token\": \"Bogus\", \"name\": \"X\", "
                   "\"basis\": \"b\"}]}",
                   (const char *const[]){"aliases[0] (Bogus)", "not a value of the WSDL", NULL});
    expect_refused("{\"version\": 1, \"aliases\": [{\"token\": \"Wait\", \"name\": \"X\", "
                   "\"basis\": \"b\"}, {\"token\": \"Wait\", \"name\": \"Y\", \"basis\": \"b\"}]}",
                   (const char *const[]){"aliases[1] (Wait)", "listed twice", NULL});
    expect_refused("{\"version\": 1, \"aliases\": [{\"token\": \"AddToList\", \"name\": \"Add to "
                   "List\", \"basis\": \"b\"}]}",
                   (const char *const[]){"aliases[0] (AddToList)", "not needed", NULL});
    expect_refused("{\"version\": 1, \"aliases\": [{\"token\": \"Wait\", \"name\": \"\", "
                   "\"basis\": \"b\"}]}",
                   (const char *const[]){"\"name\" must be a non-empty string", NULL});
    expect_refused("{\"version\": 1, \"aliases\": [{\"token\": \"Wait\", \"name\": \"X\", "
                   "\"basis\": \"b\", \"note\": \"n\"}]}",
                   (const char *const[]){"unknown member \"note\"", NULL});
}

/* ---- the activity type catalogue -------------------------------------------------------- */

static const char *TYPES_JSON =
    "[{\"id\":13,\"name\":\"Change Data Value\",\"primaryAttribute\":{\"name\":\"Attribute Name\"}},"
    " {\"id\":1,\"name\":\"Visit Webpage\",\"primaryAttribute\":{\"name\":\"Webpage ID\"}},"
    " {\"id\":19,\"name\":\"Sync Lead to SFDC\"},"
    " {\"id\":22,\"name\":\"Change Score\",\"primaryAttribute\":{\"name\":\"Score Name\"}},"
    " {\"id\":24,\"name\":\"Add to List\",\"primaryAttribute\":{\"name\":\"List ID\"}},"
    " {\"id\":12,\"name\":\"New Lead\"},"
    " {\"id\":100001,\"name\":\"Custom Thing\"}]";

static mk_acttypes *types_fixture(void)
{
    cJSON *j = mk_rest_json_parse(TYPES_JSON, strlen(TYPES_JSON));
    mk_acttypes *t = mk_acttypes_from_json(j);
    cJSON_Delete(j);
    assert_non_null(t);
    return t;
}

static void test_catalogue(void **state)
{
    (void)state;
    mk_acttypes *t = types_fixture();
    char err[512];
    mk_acttype_aliases *al = NULL;
    assert_int_equal(mk_acttype_aliases_load(mapping_dir, &al, err, sizeof err), 0);
    assert_int_equal(mk_acttypes_count(t), 7);
    assert_int_equal(mk_acttypes_at(t, 0)->id, 1);   /* sorted by id */
    assert_string_equal(mk_acttypes_by_id(t, 24)->name, "Add to List");
    assert_string_equal(mk_acttypes_by_id(t, 1)->primary, "Webpage ID");
    assert_null(mk_acttypes_by_id(t, 19)->primary);
    assert_null(mk_acttypes_by_id(t, 2));
    assert_int_equal(mk_acttypes_by_name(t, "  add TO   list ")->id, 24);
    assert_null(mk_acttypes_by_name(t, "Add to Lists"));
    assert_int_equal(mk_acttypes_by_token(t, al, "AddToList")->id, 24);
    assert_int_equal(mk_acttypes_by_token(t, al, "PushLeadToSales")->id, 19);  /* alias */
    assert_null(mk_acttypes_by_token(t, al, "NewSFDCOpprtnty"));   /* alias, absent type */
    assert_null(mk_acttypes_by_token(t, al, "Wait"));
    mk_acttype_aliases_free(al);
    mk_acttypes_free(t);

    /* Malformed answers are refused. */
    const char *bad[] = {"{}", "[{\"name\":\"x\"}]", "[{\"id\":1}]", "[{\"id\":\"a\",\"name\":\"x\"}]"};
    for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
        cJSON *j = cJSON_Parse(bad[i]);
        assert_null(mk_acttypes_from_json(j));
        cJSON_Delete(j);
    }
}

/* ---- the record codec ------------------------------------------------------------------- */

static const char *attr_value(const struct ns1__ArrayOfAttribute *a, const char *name)
{
    for (int i = 0; a && i < a->__sizeattribute; i++)
        if (strcmp(a->attribute[i].attrName, name) == 0)
            return a->attribute[i].attrValue;
    return NULL;
}

static int attr_index(const struct ns1__ArrayOfAttribute *a, const char *name)
{
    for (int i = 0; a && i < a->__sizeattribute; i++)
        if (strcmp(a->attribute[i].attrName, name) == 0)
            return i;
    return -1;
}

static void test_ids_beyond_2_53(void **state)
{
    (void)state;
    struct soap *soap = soap_new();
    mk_acttypes *t = types_fixture();
    mk_actrec_ctx ctx = {.types = t};
    /* 2^53 + 1 and int64's maximum: a double would change both. */
    const char *text[] = {
        "{\"id\":9007199254740993,\"leadId\":9007199254740995,\"activityDate\":\"2026-01-01T00:00:00Z\","
        "\"activityTypeId\":1,\"attributes\":[]}",
        "{\"id\":9223372036854775807,\"marketoGUID\":\"abc-1\",\"leadId\":5,"
        "\"activityDate\":\"2026-01-01T00:00:00Z\",\"activityTypeId\":1}",
    };
    struct ns1__ActivityRecord r;
    cJSON *j = mk_rest_json_parse(text[0], strlen(text[0]));
    assert_int_equal(mk_actrec_to_activity(soap, &ctx, j, &r), MK_ACTREC_OK);
    assert_non_null(r.id);
    assert_true(*r.id == 9007199254740993LL);
    assert_string_equal(r.marketoGUID, "9007199254740993");   /* from the id's digits */
    assert_string_equal(r.mktPersonId, "9007199254740995");
    assert_string_equal(attr_value(r.activityAttributes, "Lead ID"), "9007199254740995");
    cJSON_Delete(j);
    j = mk_rest_json_parse(text[1], strlen(text[1]));
    assert_int_equal(mk_actrec_to_activity(soap, &ctx, j, &r), MK_ACTREC_OK);
    assert_true(*r.id == INT64_MAX);
    assert_string_equal(r.marketoGUID, "abc-1");
    cJSON_Delete(j);

    /* No id at all: id nil, marketoGUID still required. */
    const char *noid = "{\"marketoGUID\":\"g-7\",\"leadId\":5,\"activityDate\":\"2026-01-01T00:00:00Z\","
                       "\"activityTypeId\":1}";
    j = mk_rest_json_parse(noid, strlen(noid));
    assert_int_equal(mk_actrec_to_activity(soap, &ctx, j, &r), MK_ACTREC_OK);
    assert_null(r.id);
    assert_string_equal(r.marketoGUID, "g-7");
    cJSON_Delete(j);
    const char *nothing = "{\"leadId\":5,\"activityDate\":\"2026-01-01T00:00:00Z\",\"activityTypeId\":1}";
    j = mk_rest_json_parse(nothing, strlen(nothing));
    assert_int_equal(mk_actrec_to_activity(soap, &ctx, j, &r), MK_ACTREC_BAD);
    cJSON_Delete(j);
    const char *unknown = "{\"id\":1,\"leadId\":5,\"activityDate\":\"2026-01-01T00:00:00Z\","
                          "\"activityTypeId\":2}";
    j = mk_rest_json_parse(unknown, strlen(unknown));
    assert_int_equal(mk_actrec_to_activity(soap, &ctx, j, &r), MK_ACTREC_UNKNOWN_TYPE);
    cJSON_Delete(j);
    mk_acttypes_free(t);
    soap_destroy(soap);
    soap_end(soap);
    soap_free(soap);
}

static void test_change_data_value(void **state)
{
    (void)state;
    struct soap *soap = soap_new();
    mk_acttypes *t = types_fixture();
    mk_field table[] = {
        {.rest = "leadScore", .soap = "LeadScore", .type = "integer", .display = "Lead Score"},
        {.rest = "firstName", .soap = "FirstName", .type = "string", .display = "First Name"},
    };
    mk_fields *f = mk_fields_from_table(table, 2);
    cJSON *camps = cJSON_Parse("{\"1001\":\"Score Keeper\",\"1002\":null}");
    mk_actrec_ctx ctx = {.types = t, .fields = f, .campaigns = camps};

    /* leadchanges.json: REST field name → display name; old/new first. */
    const char *lc = "{\"id\":1078,\"marketoGUID\":\"1078\",\"leadId\":775,"
                     "\"activityDate\":\"2014-09-17T22:31:49+0000\",\"activityTypeId\":13,"
                     "\"campaignId\":1001,"
                     "\"fields\":[{\"id\":35,\"name\":\"leadScore\",\"newValue\":\"403\",\"oldValue\":null}],"
                     "\"attributes\":[{\"name\":\"Reason\",\"value\":\"Changed by Smart Campaign\"},"
                     "{\"name\":\"Lead ID\",\"value\":775}]}";
    cJSON *j = mk_rest_json_parse(lc, strlen(lc));
    struct ns1__LeadChangeRecord c;
    assert_int_equal(mk_actrec_to_change(soap, &ctx, j, &c), MK_ACTREC_OK);
    assert_string_equal(c.activityType, "Change Data Value");
    assert_string_equal(c.activityDateTime, "2014-09-17T22:31:49+00:00");
    assert_string_equal(c.mktgAssetName, "Lead Score");
    assert_string_equal(c.campaign, "Score Keeper");
    const struct ns1__ArrayOfAttribute *a = c.activityAttributes;
    assert_int_equal(attr_index(a, "Attribute Name"), 0);
    assert_int_equal(attr_index(a, "Old Value"), 1);
    assert_int_equal(attr_index(a, "New Value"), 2);
    assert_string_equal(attr_value(a, "Attribute Name"), "Lead Score");
    assert_string_equal(attr_value(a, "Old Value"), "");
    assert_string_equal(attr_value(a, "New Value"), "403");
    assert_string_equal(attr_value(a, "Reason"), "Changed by Smart Campaign");
    assert_int_equal(a->__sizeattribute, 5);   /* Lead ID not repeated */
    assert_null(a->attribute[0].attrType);      /* nil, as in every SOAP example */
    cJSON_Delete(j);

    /* activities.json: the display name is the primary value; Old/New moved up. */
    const char *act = "{\"id\":5,\"leadId\":1,\"activityDate\":\"2017-07-27T01:38:33Z+0000\","
                      "\"activityTypeId\":13,\"campaignId\":1002,\"primaryAttributeValueId\":48,"
                      "\"primaryAttributeValue\":\"First Name\","
                      "\"attributes\":[{\"name\":\"New Value\",\"value\":\"Ann\"},"
                      "{\"name\":\"Old Value\",\"value\":\"Anne\"},{\"name\":\"Source\",\"value\":\"API\"}]}";
    j = mk_rest_json_parse(act, strlen(act));
    struct ns1__ActivityRecord r;
    assert_int_equal(mk_actrec_to_activity(soap, &ctx, j, &r), MK_ACTREC_OK);
    assert_string_equal(r.activityDateTime, "2017-07-27T01:38:33Z");
    a = r.activityAttributes;
    assert_int_equal(a->__sizeattribute, 5);
    assert_string_equal(a->attribute[0].attrName, "Attribute Name");
    assert_string_equal(a->attribute[0].attrValue, "First Name");
    assert_string_equal(a->attribute[1].attrValue, "Anne");
    assert_string_equal(a->attribute[2].attrValue, "Ann");
    assert_string_equal(a->attribute[3].attrName, "Source");
    assert_string_equal(a->attribute[4].attrName, "Lead ID");
    assert_null(r.campaign);                    /* campaign 1002 is gone: nil */
    assert_null(r.personName);
    cJSON_Delete(j);
    cJSON_Delete(camps);
    mk_fields_release(f);
    mk_acttypes_free(t);
    soap_destroy(soap);
    soap_end(soap);
    soap_free(soap);
}

static void test_primary_attribute_and_values(void **state)
{
    (void)state;
    struct soap *soap = soap_new();
    mk_acttypes *t = types_fixture();
    mk_actrec_ctx ctx = {.types = t};
    /* A name ending in "ID" takes primaryAttributeValueId. */
    const char *visit = "{\"id\":1,\"leadId\":1,\"activityDate\":\"2026-01-01T00:00:00-0500\","
                        "\"activityTypeId\":1,\"primaryAttributeValueId\":2547,"
                        "\"primaryAttributeValue\":\"ClickDemo\",\"attributes\":["
                        "{\"name\":\"Query Parameters\",\"value\":null},"
                        "{\"name\":\"Is Mobile\",\"value\":false},{\"name\":\"Score\",\"value\":1.25},"
                        "{\"name\":\"Count\",\"value\":12345678901234567890},"
                        "{\"name\":\"Obj\",\"value\":{\"a\":[1]}}]}";
    cJSON *j = mk_rest_json_parse(visit, strlen(visit));
    struct ns1__ActivityRecord r;
    assert_int_equal(mk_actrec_to_activity(soap, &ctx, j, &r), MK_ACTREC_OK);
    const struct ns1__ArrayOfAttribute *a = r.activityAttributes;
    assert_string_equal(a->attribute[0].attrName, "Webpage ID");
    assert_string_equal(a->attribute[0].attrValue, "2547");
    assert_string_equal(r.mktgAssetName, "ClickDemo");
    assert_string_equal(r.activityDateTime, "2026-01-01T00:00:00-05:00");
    assert_string_equal(attr_value(a, "Query Parameters"), "");
    assert_string_equal(attr_value(a, "Is Mobile"), "false");
    assert_string_equal(attr_value(a, "Score"), "1.25");
    assert_string_equal(attr_value(a, "Count"), "12345678901234567890");
    assert_string_equal(attr_value(a, "Obj"), "{\"a\":[1]}");
    assert_string_equal(r.campaign, "");        /* no campaign: Marketo's empty element */
    cJSON_Delete(j);
    /* Any other name takes the value itself. */
    const char *score = "{\"id\":2,\"leadId\":1,\"activityDate\":\"2026-01-01T00:00:00Z\","
                        "\"activityTypeId\":22,\"primaryAttributeValueId\":1,"
                        "\"primaryAttributeValue\":\"Lead Score\",\"attributes\":[]}";
    j = mk_rest_json_parse(score, strlen(score));
    assert_int_equal(mk_actrec_to_activity(soap, &ctx, j, &r), MK_ACTREC_OK);
    assert_string_equal(r.activityAttributes->attribute[0].attrName, "Score Name");
    assert_string_equal(r.activityAttributes->attribute[0].attrValue, "Lead Score");
    cJSON_Delete(j);

    time_t at;
    assert_int_equal(mk_actrec_parse_date("2014-09-17T22:31:49+0000", &at), 0);
    assert_int_equal((long long)at, 1410993109LL);
    assert_int_equal(mk_actrec_parse_date("2014-09-17T22:31:49Z+0000", &at), 0);
    assert_int_equal((long long)at, 1410993109LL);
    assert_int_equal(mk_actrec_parse_date("yesterday", &at), -1);
    assert_string_equal(mk_actrec_soap_date(soap, "2014-09-17T22:31:49Z"), "2014-09-17T22:31:49Z");
    assert_string_equal(mk_actrec_soap_date(soap, "2014-09-17"), "2014-09-17");
    mk_acttypes_free(t);
    soap_destroy(soap);
    soap_end(soap);
    soap_free(soap);
}

/* ---- the output filter ---------------------------------------------------------------- */

static char captured[4096];
static size_t ncaptured;

static int capture(struct soap *soap, const char *s, size_t n)
{
    (void)soap;
    assert_true(ncaptured + n < sizeof captured);
    memcpy(captured + ncaptured, s, n);
    ncaptured += n;
    captured[ncaptured] = '\0';
    return SOAP_OK;
}

static void test_nilfilter_any_split(void **state)
{
    (void)state;
    const char *in = "<r><campaign xsi:nil=\"true\"/><campaignX xsi:nil=\"true\"/><a>&lt;campaign"
                     " xsi:nil=\"true\"/&gt;</a><mktgAssetName xsi:nil=\"true\"/><campaign>c</campaign>"
                     "<campaign xsi:nil=\"true\"/></r>";
    const char *want = "<r><campaignX xsi:nil=\"true\"/><a>&lt;campaign xsi:nil=\"true\"/&gt;</a>"
                       "<mktgAssetName xsi:nil=\"true\"/><campaign>c</campaign></r>";
    size_t n = strlen(in);
    for (size_t cut1 = 0; cut1 <= n; cut1++) {
        for (size_t cut2 = cut1; cut2 <= n; cut2 += 7) {
            struct soap *soap = soap_new();
            soap->fsend = capture;
            ncaptured = 0;
            captured[0] = '\0';
            static const char *const names[] = {"campaign", NULL};
            assert_int_equal(mk_nilfilter_drop(soap, names), SOAP_OK);
            assert_int_equal(soap->fsend(soap, in, cut1), SOAP_OK);
            assert_int_equal(soap->fsend(soap, in + cut1, cut2 - cut1), SOAP_OK);
            assert_int_equal(soap->fsend(soap, in + cut2, n - cut2), SOAP_OK);
            if (strcmp(captured, want) != 0)
                fail_msg("cuts %zu/%zu: %s", cut1, cut2, captured);
            /* A second request on the same context starts clean. */
            soap->fsend = capture;
            ncaptured = 0;
            assert_int_equal(mk_nilfilter_drop(soap, names), SOAP_OK);
            assert_int_equal(soap->fsend(soap, "<campaign xsi:nil=\"true\"/><x/>", 30), SOAP_OK);
            assert_string_equal(captured, "<x/>");
            soap_free(soap);
        }
    }
}

int main(void)
{
    const char *src = getenv("MKTOWS_SOURCE_DIR");
    if (!src) {
        fprintf(stderr, "MKTOWS_SOURCE_DIR is not set\n");
        return 1;
    }
    snprintf(mapping_dir, sizeof mapping_dir, "%s/mapping", src);
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_real_table_loads),
        cmocka_unit_test(test_tokens_are_the_wsdls),
        cmocka_unit_test(test_token_rule),
        cmocka_unit_test(test_broken_tables),
        cmocka_unit_test(test_catalogue),
        cmocka_unit_test(test_ids_beyond_2_53),
        cmocka_unit_test(test_change_data_value),
        cmocka_unit_test(test_primary_attribute_and_values),
        cmocka_unit_test(test_nilfilter_any_split),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
