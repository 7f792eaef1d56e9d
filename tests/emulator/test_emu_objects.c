/*
 * test_emu_objects.c — opportunities and opportunity roles of
 * marketo-emulator over real HTTP: describe, query by every filter form
 * (query string, compound key POST ?_method=GET, paging to the last page),
 * sync with each action and dedupeBy and every per-record skip, delete with
 * the cascade to roles, the Add/Remove from Opportunity activities, and bad
 * input.
 *
 * Seed facts: opportunities OPP-1001..OPP-1003; roles (OPP-1001, 1, Decision
 * Maker), (OPP-1001, 2, Influencer), (OPP-1002, 3, Decision Maker).
 */
#include "famtest.h"

static void test_describe(void **state)
{
    ft_ctx *c = *state;
    emu_reset(c);
    cJSON *j = emu_get(c, "/rest/v1/opportunities/describe.json");
    const cJSON *d = cJSON_GetArrayItem(ft_ok(j), 0);
    assert_string_equal(emu_str(d, "idField"), "marketoGUID");
    const cJSON *dd = cJSON_GetObjectItemCaseSensitive(d, "dedupeFields");
    assert_int_equal(cJSON_GetArraySize(dd), 1);
    assert_string_equal(cJSON_GetArrayItem(dd, 0)->valuestring, "externalOpportunityId");
    const cJSON *f = cJSON_GetArrayItem(cJSON_GetObjectItemCaseSensitive(d, "fields"), 0);
    assert_non_null(emu_str(f, "dataType"));
    assert_true(cJSON_IsBool(cJSON_GetObjectItemCaseSensitive(f, "updateable")));
    assert_null(cJSON_GetObjectItemCaseSensitive(f, "required"));
    cJSON_Delete(j);

    j = emu_get(c, "/rest/v1/opportunities/roles/describe.json");
    d = cJSON_GetArrayItem(ft_ok(j), 0);
    assert_int_equal(cJSON_GetArraySize(cJSON_GetObjectItemCaseSensitive(d, "dedupeFields")), 3);
    assert_true(cJSON_IsArray(cJSON_GetArrayItem(cJSON_GetObjectItemCaseSensitive(d, "searchableFields"), 0)));
    cJSON_Delete(j);
}

static void test_query(void **state)
{
    ft_ctx *c = *state;
    emu_reset(c);
    cJSON *j = emu_get(c, "/rest/v1/opportunities.json?filterType=externalOpportunityId"
                         "&filterValues=OPP-1003,nope,OPP-1001");
    cJSON *res = ft_ok(j);
    assert_int_equal(ft_count(res), 2);
    const cJSON *o = cJSON_GetArrayItem(res, 0);
    assert_int_equal(ft_int(o, "seq"), 0); /* seq = index of the filter value */
    assert_string_equal(emu_str(o, "externalOpportunityId"), "OPP-1003");
    assert_non_null(emu_str(o, "marketoGUID"));
    assert_non_null(emu_str(o, "updatedAt"));
    assert_null(cJSON_GetObjectItemCaseSensitive(o, "name")); /* not a default field */
    assert_int_equal(ft_int(cJSON_GetArrayItem(res, 1), "seq"), 2);
    cJSON_Delete(j);

    /* idField alias, fields with Marketo's own loose spelling. */
    j = emu_get(c, "/rest/v1/opportunities.json?filterType=idField"
                  "&filterValues=7d3c8f0e-2b1a-4c5d-9e8f-000000001002&fields=marketoGuid,name,amount");
    o = cJSON_GetArrayItem(ft_ok(j), 0);
    assert_string_equal(emu_str(o, "name"), "Globex Renewal");
    assert_int_equal(ft_int(o, "amount"), 120000);
    assert_non_null(emu_str(o, "marketoGUID"));
    cJSON_Delete(j);

    /* Paging to the last page. */
    int seen = 0;
    char *tok = NULL;
    do {
        j = tok ? emu_get(c, "/rest/v1/opportunities.json?filterType=externalSalesPersonId"
                            "&filterValues=SP-1,SP-2&batchSize=1&nextPageToken=%s", tok)
                : emu_get(c, "/rest/v1/opportunities.json?filterType=externalSalesPersonId"
                            "&filterValues=SP-1,SP-2&batchSize=1");
        seen += ft_count(ft_ok(j));
        free(tok);
        tok = ft_token(j);
        assert_int_equal(cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(j, "moreResult")), tok != NULL);
        cJSON_Delete(j);
    } while (tok);
    assert_int_equal(seen, 3);

    /* Form body of POST ?_method=GET. */
    long st;
    const char *form = "filterType=externalOpportunityId&filterValues=OPP-1002";
    j = ft_call(c, "POST", "/rest/v1/opportunities.json?_method=GET",
                "application/x-www-form-urlencoded", form, strlen(form), &st);
    assert_int_equal(ft_count(ft_ok(j)), 1);
    cJSON_Delete(j);

    emu_expect_error(emu_get(c, "/rest/v1/opportunities.json?filterValues=x"), "701");
    emu_expect_error(emu_get(c, "/rest/v1/opportunities.json?filterType=externalOpportunityId"), "701");
    emu_expect_error(emu_get(c, "/rest/v1/opportunities.json?filterType=stage&filterValues=x"), "1011");
    emu_expect_error(emu_get(c, "/rest/v1/opportunities.json?filterType=externalOpportunityId"
                              "&filterValues=x&fields=name,bogus"),
                    "1006");
    emu_expect_error(emu_get(c, "/rest/v1/opportunities.json?filterType=externalOpportunityId"
                              "&filterValues=x&batchSize=301"),
                    "1003");
    /* 301 filter values. */
    char *path = malloc(8192);
    size_t off = (size_t)snprintf(path, 8192, "/rest/v1/opportunities.json?filterType=marketoGUID&filterValues=");
    for (int i = 0; i < 301; i++)
        off += (size_t)snprintf(path + off, 8192 - off, i ? ",v%d" : "v%d", i);
    emu_expect_error(emu_get(c, "%s", path), "1003");
    free(path);
}

static void test_roles_compound_query(void **state)
{
    ft_ctx *c = *state;
    emu_reset(c);
    cJSON *j = ft_post(c, "/rest/v1/opportunities/roles.json?_method=GET",
                       "{\"filterType\":\"dedupeFields\",\"fields\":[\"marketoGuid\","
                       "\"externalOpportunityId\",\"leadId\",\"role\",\"isPrimary\"],"
                       "\"input\":[{\"externalOpportunityId\":\"OPP-1001\",\"leadId\":2,"
                       "\"role\":\"influencer\"},{\"externalOpportunityId\":\"OPP-1002\","
                       "\"leadId\":\"3\",\"role\":\"Decision Maker\"},{\"externalOpportunityId\":"
                       "\"OPP-1002\",\"leadId\":1,\"role\":\"Decision Maker\"}]}");
    cJSON *res = ft_ok(j);
    assert_int_equal(ft_count(res), 2);
    assert_int_equal(ft_int(cJSON_GetArrayItem(res, 0), "seq"), 0);
    assert_int_equal(ft_int(cJSON_GetArrayItem(res, 0), "leadId"), 2);
    assert_true(cJSON_IsFalse(cJSON_GetObjectItemCaseSensitive(cJSON_GetArrayItem(res, 0), "isPrimary")));
    assert_int_equal(ft_int(cJSON_GetArrayItem(res, 1), "seq"), 1);
    cJSON_Delete(j);

    /* filterType defaults to dedupeFields in the JSON form; paging there too. */
    j = ft_post(c, "/rest/v1/opportunities/roles.json?_method=GET",
                "{\"batchSize\":1,\"input\":[{\"externalOpportunityId\":\"OPP-1001\",\"leadId\":1,"
                "\"role\":\"Decision Maker\"},{\"externalOpportunityId\":\"OPP-1001\",\"leadId\":2,"
                "\"role\":\"Influencer\"}]}");
    assert_int_equal(ft_count(ft_ok(j)), 1);
    char *tok = ft_token(j);
    assert_non_null(tok);
    cJSON_Delete(j);
    char body[512];
    snprintf(body, sizeof body,
             "{\"batchSize\":1,\"nextPageToken\":\"%s\",\"input\":[{\"externalOpportunityId\":"
             "\"OPP-1001\",\"leadId\":1,\"role\":\"Decision Maker\"},{\"externalOpportunityId\":"
             "\"OPP-1001\",\"leadId\":2,\"role\":\"Influencer\"}]}", tok);
    free(tok);
    j = ft_post(c, "/rest/v1/opportunities/roles.json?_method=GET", body);
    res = ft_ok(j);
    assert_int_equal(ft_int(cJSON_GetArrayItem(res, 0), "leadId"), 2);
    assert_null(emu_str(j, "nextPageToken"));
    cJSON_Delete(j);

    j = emu_get(c, "/rest/v1/opportunities/roles.json?filterType=leadId&filterValues=1,3");
    assert_int_equal(ft_count(ft_ok(j)), 2);
    cJSON_Delete(j);

    /* A compound key cannot travel in a query string. */
    emu_expect_error(emu_get(c, "/rest/v1/opportunities/roles.json?filterType=dedupeFields&filterValues=x"),
                    "1003");
    emu_expect_error(ft_post(c, "/rest/v1/opportunities/roles.json?_method=GET",
                            "{\"filterType\":\"dedupeFields\",\"input\":[{\"leadId\":1}]}"),
                    "1003");
}

static void test_sync_opportunities(void **state)
{
    ft_ctx *c = *state;
    emu_reset(c);
    cJSON *j = ft_post(c, "/rest/v1/opportunities.json",
                       "{\"action\":\"createOrUpdate\",\"dedupeBy\":\"dedupeFields\",\"input\":["
                       "{\"externalOpportunityId\":\"OPP-1001\",\"amount\":\"1604.47\",\"stage\":\"Closed Won\"},"
                       "{\"externalOpportunityId\":\"OPP-2000\",\"name\":\"Chairs\",\"source\":\"Email\",\"isWon\":\"true\"},"
                       "{\"externalOpportunityId\":\"OPP-2001\"},"
                       "{\"externalOpportunityId\":\"OPP-2000\",\"name\":\"again\"},"
                       "{\"externalOpportunityId\":\"OPP-2002\",\"name\":\"x\",\"bogus\":1},"
                       "{\"externalOpportunityId\":\"OPP-2003\",\"name\":\"x\",\"probability\":\"high\"},"
                       "{\"name\":\"no key\"},"
                       "42]}");
    cJSON *res = ft_ok(j);
    assert_int_equal(ft_count(res), 8);
    ft_expect_item(res, 0, "updated", NULL);
    ft_expect_item(res, 1, "created", NULL);
    ft_expect_item(res, 2, "skipped", "1002"); /* name is required on create */
    ft_expect_item(res, 3, "skipped", "1036");
    ft_expect_item(res, 4, "skipped", "1006");
    ft_expect_item(res, 5, "skipped", "1001");
    ft_expect_item(res, 6, "skipped", "1002");
    ft_expect_item(res, 7, "skipped", "1003");
    for (int i = 0; i < 8; i++)
        assert_int_equal(ft_int(cJSON_GetArrayItem(res, i), "seq"), i);
    char guid[64];
    snprintf(guid, sizeof guid, "%s", emu_str(cJSON_GetArrayItem(res, 1), "marketoGUID"));
    assert_int_equal(strlen(guid), 36);
    cJSON_Delete(j);

    j = emu_get(c, "/rest/v1/opportunities.json?filterType=externalOpportunityId&filterValues=OPP-1001,OPP-2000"
                  "&fields=amount,stage,isWon,name");
    res = ft_ok(j);
    const cJSON *o = cJSON_GetArrayItem(res, 0);
    assert_true(cJSON_GetObjectItemCaseSensitive(o, "amount")->valuedouble == 1604.47);
    assert_string_equal(emu_str(o, "stage"), "Closed Won");
    assert_true(cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(cJSON_GetArrayItem(res, 1), "isWon")));
    cJSON_Delete(j);

    j = ft_post(c, "/rest/v1/opportunities.json",
                "{\"action\":\"createOnly\",\"input\":[{\"externalOpportunityId\":\"OPP-1002\",\"name\":\"x\"}]}");
    ft_expect_item(ft_ok(j), 0, "skipped", "1017");
    cJSON_Delete(j);
    j = ft_post(c, "/rest/v1/opportunities.json",
                "{\"action\":\"updateOnly\",\"input\":[{\"externalOpportunityId\":\"OPP-9999\",\"name\":\"x\"}]}");
    ft_expect_item(ft_ok(j), 0, "skipped", "1013");
    cJSON_Delete(j);

    /* dedupeBy idField updates by marketoGUID; empty strings become null. */
    char body[256];
    snprintf(body, sizeof body,
             "{\"action\":\"updateOnly\",\"dedupeBy\":\"idField\",\"input\":[{\"marketoGUID\":\"%s\","
             "\"description\":\"\"},{\"marketoGUID\":\"00000000-0000-4000-8000-000000000000\"}]}", guid);
    j = ft_post(c, "/rest/v1/opportunities.json", body);
    res = ft_ok(j);
    ft_expect_item(res, 0, "updated", NULL);
    assert_string_equal(emu_str(cJSON_GetArrayItem(res, 0), "marketoGUID"), guid);
    ft_expect_item(res, 1, "skipped", "1013");
    cJSON_Delete(j);

    emu_expect_error(ft_post(c, "/rest/v1/opportunities.json",
                            "{\"action\":\"createOnly\",\"dedupeBy\":\"idField\",\"input\":[{\"marketoGUID\":\"x\"}]}"),
                    "1003");
    emu_expect_error(ft_post(c, "/rest/v1/opportunities.json", "{\"action\":\"upsert\",\"input\":[{}]}"), "1003");
    emu_expect_error(ft_post(c, "/rest/v1/opportunities.json", "{\"dedupeBy\":\"name\",\"input\":[{}]}"), "1003");
    emu_expect_error(ft_post(c, "/rest/v1/opportunities.json", "{\"input\":[]}"), "701");
    emu_expect_error(ft_post(c, "/rest/v1/opportunities.json", "{\"input\":{}}"), "1003");
    emu_expect_error(ft_post(c, "/rest/v1/opportunities.json", "{}"), "701");

    cJSON *b = cJSON_CreateObject();
    cJSON *in = cJSON_AddArrayToObject(b, "input");
    for (int i = 0; i < 301; i++)
        cJSON_AddItemToArray(in, cJSON_CreateObject());
    char *txt = cJSON_PrintUnformatted(b);
    emu_expect_error(ft_post(c, "/rest/v1/opportunities.json", txt), "1003");
    free(txt);
    cJSON_Delete(b);
}

/* Long values are kept and compared whole: a text field beyond 4095 bytes
 * was refused (1001), and a key beyond 511 bytes never matched, so each
 * sync of it made a duplicate. */
static void test_long_values(void **state)
{
    ft_ctx *c = *state;
    emu_reset(c);
    char key[601], body[1024];
    /* Long text values are kept whole (beyond 4095 bytes they were refused, 1001). */
    size_t dn = 5000, cap = dn + 256;
    char *big = malloc(cap);
    int k = snprintf(big, cap, "{\"input\":[{\"externalOpportunityId\":\"OPP-1001\",\"description\":\"");
    memset(big + k, 'd', dn);
    snprintf(big + k + dn, cap - (size_t)k - dn, "\"}]}");
    cJSON *j = ft_post(c, "/rest/v1/opportunities.json", big);
    ft_expect_item(ft_ok(j), 0, "updated", NULL);
    cJSON_Delete(j);
    free(big);
    j = emu_get(c, "/rest/v1/opportunities.json?filterType=externalOpportunityId&filterValues=OPP-1001"
                  "&fields=description");
    const char *d = emu_str(cJSON_GetArrayItem(ft_ok(j), 0), "description");
    assert_non_null(d);
    assert_int_equal(strlen(d), dn);
    cJSON_Delete(j);

    memset(key, 'k', sizeof key - 1);
    key[sizeof key - 1] = '\0';
    snprintf(body, sizeof body, "{\"input\":[{\"externalOpportunityId\":\"%s\",\"name\":\"Long\"}]}",
             key);
    j = ft_post(c, "/rest/v1/opportunities.json", body);
    ft_expect_item(ft_ok(j), 0, "created", NULL);
    cJSON_Delete(j);
    j = ft_post(c, "/rest/v1/opportunities.json", body);
    ft_expect_item(ft_ok(j), 0, "updated", NULL);
    cJSON_Delete(j);
    j = emu_get(c, "/rest/v1/opportunities.json?filterType=externalOpportunityId&filterValues=%s", key);
    assert_int_equal(ft_count(ft_ok(j)), 1);
    cJSON_Delete(j);
}

static void test_roles_sync_delete_and_activities(void **state)
{
    ft_ctx *c = *state;
    emu_reset(c);
    char *mark = ft_activity_mark(c);
    cJSON *j = ft_post(c, "/rest/v1/opportunities/roles.json",
                       "{\"input\":[{\"externalOpportunityId\":\"OPP-1003\",\"leadId\":4,\"role\":\"Champion\",\"isPrimary\":true},"
                       "{\"externalOpportunityId\":\"OPP-4040\",\"leadId\":4,\"role\":\"Champion\"},"
                       "{\"externalOpportunityId\":\"OPP-1003\",\"leadId\":40404,\"role\":\"Champion\"},"
                       "{\"externalOpportunityId\":\"OPP-1001\",\"leadId\":1,\"role\":\"Decision Maker\",\"isPrimary\":false},"
                       "{\"externalOpportunityId\":\"OPP-1003\",\"leadId\":4}]}");
    cJSON *res = ft_ok(j);
    ft_expect_item(res, 0, "created", NULL);
    ft_expect_item(res, 1, "skipped", "1013"); /* no such opportunity */
    ft_expect_item(res, 2, "skipped", "1004"); /* no such lead */
    ft_expect_item(res, 3, "updated", NULL);
    ft_expect_item(res, 4, "skipped", "1002"); /* incomplete compound key */
    cJSON_Delete(j);

    /* Deleting an opportunity takes its roles along. */
    j = ft_post(c, "/rest/v1/opportunities/delete.json",
                "{\"deleteBy\":\"dedupeFields\",\"input\":[{\"externalOpportunityId\":\"OPP-1003\"},"
                "{\"externalOpportunityId\":\"nope\"},{}]}");
    res = ft_ok(j);
    ft_expect_item(res, 0, "deleted", NULL);
    assert_string_equal(emu_str(cJSON_GetArrayItem(res, 0), "marketoGUID"),
                        "7d3c8f0e-2b1a-4c5d-9e8f-000000001003");
    ft_expect_item(res, 1, "skipped", "1013");
    ft_expect_item(res, 2, "skipped", "1002");
    cJSON_Delete(j);
    j = emu_get(c, "/rest/v1/opportunities/roles.json?filterType=externalOpportunityId&filterValues=OPP-1003");
    assert_int_equal(ft_count(ft_ok(j)), 0);
    cJSON_Delete(j);

    j = ft_post(c, "/rest/v1/opportunities/roles/delete.json",
                "{\"deleteBy\":\"idField\",\"input\":[{\"marketoGUID\":\"9a1b2c3d-4e5f-4a6b-8c7d-000000002002\"}]}");
    ft_expect_item(ft_ok(j), 0, "deleted", NULL);
    cJSON_Delete(j);

    cJSON *acts = ft_activities_since(c, mark, "34,35");
    int add4 = 0, rem4 = 0, rem2 = 0;
    const cJSON *a;
    cJSON_ArrayForEach(a, acts) {
        int64_t lead = ft_int(a, "leadId"), type = ft_int(a, "activityTypeId");
        if (lead == 4 && type == 34)
            add4++;
        if (lead == 4 && type == 35)
            rem4++;
        if (lead == 2 && type == 35)
            rem2++;
    }
    assert_int_equal(add4, 1);
    assert_int_equal(rem4, 1);
    assert_int_equal(rem2, 1);
    cJSON_Delete(acts);
    free(mark);
}

static void test_bad_input(void **state)
{
    ft_ctx *c = *state;
    emu_reset(c);
    ft_expect_bad_bodies(c, "/rest/v1/opportunities.json");
    ft_expect_bad_bodies(c, "/rest/v1/opportunities/delete.json");
    emu_expect_error(ft_post(c, "/rest/v1/opportunities/delete.json", "{\"deleteBy\":7,\"input\":[{}]}"),
                    "1003");
    emu_expect_error(ft_post(c, "/rest/v1/opportunities/roles.json?_method=GET", "{\"input\":7}"), "1003");
    /* Deeply nested values are refused per record, not crashed on. */
    cJSON *j = ft_post(c, "/rest/v1/opportunities.json",
                       "{\"input\":[{\"externalOpportunityId\":{\"a\":[1,[2,[3]]]},\"name\":\"x\"},"
                       "{\"externalOpportunityId\":\"OPP-3000\",\"name\":[\"x\"]}]}");
    cJSON *res = ft_ok(j);
    ft_expect_item(res, 0, "skipped", "1002");
    ft_expect_item(res, 1, "skipped", "1001");
    cJSON_Delete(j);
    /* A very long key value still matches nothing and answers cleanly. */
    char *longv = malloc(5000);
    memset(longv, 'k', 4999);
    longv[4999] = '\0';
    j = emu_get(c, "/rest/v1/opportunities.json?filterType=externalOpportunityId&filterValues=%s", longv);
    assert_int_equal(ft_count(ft_ok(j)), 0);
    cJSON_Delete(j);
    free(longv);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_describe),
        cmocka_unit_test(test_query),
        cmocka_unit_test(test_roles_compound_query),
        cmocka_unit_test(test_sync_opportunities),
        cmocka_unit_test(test_long_values),
        cmocka_unit_test(test_roles_sync_delete_and_activities),
        cmocka_unit_test(test_bad_input),
    };
    return ts_run_tests(tests, ft_setup, ft_teardown);
}
