/*
 * test_emu_customobjects.c — custom objects of marketo-emulator over real
 * HTTP: the type list and describe, queries by single and compound keys with
 * paging, sync (actions, dedupeBy idField, lead links), delete, unknown
 * types, and bad input.
 *
 * Seed facts: car_c (dedupe vin; cars of leads 1, 2, 1) and roadshow_c
 * (compound dedupe leadId+rid; (1,rid0), (1,rid1), (2,rid0)).
 */
#include "famtest.h"

static void test_list_and_describe(void **state)
{
    ft_ctx *c = *state;
    emu_reset(c);
    cJSON *j = emu_get(c, "/rest/v1/customobjects.json");
    cJSON *res = ft_ok(j);
    assert_int_equal(ft_count(res), 2);
    const cJSON *t = cJSON_GetArrayItem(res, 0);
    assert_string_equal(emu_str(t, "name"), "car_c");
    assert_string_equal(emu_str(t, "idField"), "marketoGUID");
    assert_non_null(cJSON_GetObjectItemCaseSensitive(t, "relationships"));
    assert_null(cJSON_GetObjectItemCaseSensitive(t, "fields")); /* describe only */
    cJSON_Delete(j);

    j = emu_get(c, "/rest/v1/customobjects.json?names=roadshow_c,nope_c");
    res = ft_ok(j);
    assert_int_equal(ft_count(res), 1);
    assert_int_equal(cJSON_GetArraySize(cJSON_GetObjectItemCaseSensitive(cJSON_GetArrayItem(res, 0),
                                                                         "dedupeFields")),
                     2);
    cJSON_Delete(j);

    j = emu_get(c, "/rest/v1/customobjects/car_c/describe.json");
    t = cJSON_GetArrayItem(ft_ok(j), 0);
    assert_true(cJSON_GetArraySize(cJSON_GetObjectItemCaseSensitive(t, "fields")) >= 8);
    assert_string_equal(emu_str(t, "state"), "approved");
    assert_string_equal(emu_str(t, "version"), "approved");
    cJSON_Delete(j);

    emu_expect_error(emu_get(c, "/rest/v1/customobjects/nope_c/describe.json"), "1013");
    emu_expect_error(emu_get(c, "/rest/v1/customobjects/nope_c.json?filterType=x&filterValues=y"), "1013");
    emu_expect_error(ft_post(c, "/rest/v1/customobjects/nope_c.json", "{\"input\":[{}]}"), "1013");
    emu_expect_error(ft_post(c, "/rest/v1/customobjects/nope_c/delete.json", "{\"input\":[{}]}"), "1013");
}

static void test_query(void **state)
{
    ft_ctx *c = *state;
    emu_reset(c);
    cJSON *j = emu_get(c, "/rest/v1/customobjects/car_c.json?filterType=vin&filterValues=19UYA31581L000000");
    cJSON *res = ft_ok(j);
    const cJSON *r = cJSON_GetArrayItem(res, 0);
    /* Default fields: marketoGUID, dedupeFields, updatedAt, createdAt. */
    assert_non_null(emu_str(r, "marketoGUID"));
    assert_string_equal(emu_str(r, "vin"), "19UYA31581L000000");
    assert_non_null(emu_str(r, "createdAt"));
    assert_null(cJSON_GetObjectItemCaseSensitive(r, "make"));
    cJSON_Delete(j);

    int seen = 0;
    char *tok = NULL;
    do {
        j = tok ? emu_get(c, "/rest/v1/customobjects/car_c.json?filterType=leadId&filterValues=1,2"
                            "&fields=make,model,year&batchSize=2&nextPageToken=%s", tok)
                : emu_get(c, "/rest/v1/customobjects/car_c.json?filterType=leadId&filterValues=1,2"
                            "&fields=make,model,year&batchSize=2");
        res = ft_ok(j);
        const cJSON *it;
        cJSON_ArrayForEach(it, res) {
            assert_non_null(emu_str(it, "make"));
            assert_true(cJSON_IsNumber(cJSON_GetObjectItemCaseSensitive(it, "year")));
        }
        seen += ft_count(res);
        free(tok);
        tok = ft_token(j);
        cJSON_Delete(j);
    } while (tok);
    assert_int_equal(seen, 3);

    /* Compound key: POST ?_method=GET with a JSON input. */
    j = ft_post(c, "/rest/v1/customobjects/roadshow_c.json?_method=GET",
                "{\"filterType\":\"dedupeFields\",\"fields\":[\"marketoGUID\",\"leadId\",\"rid\",\"city\"],"
                "\"input\":[{\"leadId\":1,\"rid\":\"rid1\"},{\"leadId\":2,\"rid\":\"rid9\"},"
                "{\"leadId\":\"2\",\"rid\":\"RID0\"}]}");
    res = ft_ok(j);
    assert_int_equal(ft_count(res), 2);
    assert_string_equal(emu_str(cJSON_GetArrayItem(res, 0), "city"), "San Mateo");
    assert_int_equal(ft_int(cJSON_GetArrayItem(res, 1), "seq"), 2);
    cJSON_Delete(j);

    j = emu_get(c, "/rest/v1/customobjects/roadshow_c.json?filterType=city&filterValues=Chicago");
    assert_int_equal(ft_count(ft_ok(j)), 2);
    cJSON_Delete(j);

    emu_expect_error(emu_get(c, "/rest/v1/customobjects/roadshow_c.json?filterType=dedupeFields&filterValues=1"),
                    "1003");
    emu_expect_error(emu_get(c, "/rest/v1/customobjects/car_c.json?filterType=make&filterValues=BMW"), "1011");
    emu_expect_error(emu_get(c, "/rest/v1/customobjects/car_c.json?filterType=vin&filterValues=x&fields=color"),
                    "1006");
    emu_expect_error(emu_get(c, "/rest/v1/customobjects/car_c.json?filterType=vin"), "701");
}

static void test_sync(void **state)
{
    ft_ctx *c = *state;
    emu_reset(c);
    cJSON *j = ft_post(c, "/rest/v1/customobjects/car_c.json",
                       "{\"action\":\"updateOnly\",\"dedupeBy\":\"dedupeFields\",\"input\":["
                       "{\"vin\":\"19UYA31581L000000\",\"make\":\"BMW\",\"model\":\"3-Series 330i\",\"year\":2003},"
                       "{\"vin\":\"NOPE\",\"make\":\"x\"}]}");
    cJSON *res = ft_ok(j);
    ft_expect_item(res, 0, "updated", NULL);
    assert_string_equal(emu_str(cJSON_GetArrayItem(res, 0), "marketoGUID"),
                        "c4a1e0b2-1111-4c1d-8e2f-000000003001");
    ft_expect_item(res, 1, "skipped", "1013");
    cJSON_Delete(j);

    j = ft_post(c, "/rest/v1/customobjects/car_c.json",
                "{\"input\":[{\"vin\":\"NEW-1\",\"leadId\":5,\"make\":\"Volvo\",\"purchaseDate\":\"2026-05-01\"},"
                "{\"vin\":\"NEW-2\",\"leadId\":55555},"
                "{\"vin\":\"NEW-3\",\"leadId\":5,\"year\":\"MMXX\"},"
                "{\"vin\":\"NEW-4\",\"leadId\":5,\"purchaseDate\":\"soon\"},"
                "{\"vin\":\"NEW-5\",\"color\":\"red\"}]}");
    res = ft_ok(j);
    ft_expect_item(res, 0, "created", NULL);
    ft_expect_item(res, 1, "skipped", "1004"); /* the lead link must exist */
    ft_expect_item(res, 2, "skipped", "1001");
    ft_expect_item(res, 3, "skipped", "1001");
    ft_expect_item(res, 4, "skipped", "1006");
    cJSON_Delete(j);

    j = ft_post(c, "/rest/v1/customobjects/car_c.json",
                "{\"action\":\"createOnly\",\"input\":[{\"vin\":\"NEW-1\"}]}");
    ft_expect_item(ft_ok(j), 0, "skipped", "1017");
    cJSON_Delete(j);

    /* Compound-key records; then update one by marketoGUID. */
    j = ft_post(c, "/rest/v1/customobjects/roadshow_c.json",
                "{\"input\":[{\"leadId\":3,\"rid\":\"rid7\",\"city\":\"Austin\"},"
                "{\"leadId\":3,\"rid\":\"rid7\",\"city\":\"Dallas\"},{\"rid\":\"rid8\"}]}");
    res = ft_ok(j);
    ft_expect_item(res, 0, "created", NULL);
    ft_expect_item(res, 1, "skipped", "1036");
    ft_expect_item(res, 2, "skipped", "1002");
    char body[256];
    snprintf(body, sizeof body,
             "{\"action\":\"updateOnly\",\"dedupeBy\":\"idField\",\"input\":[{\"marketoGUID\":\"%s\",\"city\":\"Houston\"}]}",
             emu_str(cJSON_GetArrayItem(res, 0), "marketoGUID"));
    cJSON_Delete(j);
    j = ft_post(c, "/rest/v1/customobjects/roadshow_c.json", body);
    ft_expect_item(ft_ok(j), 0, "updated", NULL);
    cJSON_Delete(j);
    j = ft_post(c, "/rest/v1/customobjects/roadshow_c.json?_method=GET",
                "{\"fields\":[\"city\"],\"input\":[{\"leadId\":3,\"rid\":\"rid7\"}]}");
    assert_string_equal(emu_str(cJSON_GetArrayItem(ft_ok(j), 0), "city"), "Houston");
    cJSON_Delete(j);
}

static void test_delete(void **state)
{
    ft_ctx *c = *state;
    emu_reset(c);
    cJSON *j = ft_post(c, "/rest/v1/customobjects/roadshow_c/delete.json",
                       "{\"deleteBy\":\"dedupeFields\",\"input\":[{\"leadId\":1,\"rid\":\"rid0\"},"
                       "{\"leadId\":1,\"rid\":\"none\"},{\"leadId\":1}]}");
    cJSON *res = ft_ok(j);
    ft_expect_item(res, 0, "deleted", NULL);
    ft_expect_item(res, 1, "skipped", "1013");
    ft_expect_item(res, 2, "skipped", "1002");
    cJSON_Delete(j);
    j = ft_post(c, "/rest/v1/customobjects/car_c/delete.json",
                "{\"deleteBy\":\"idField\",\"input\":[{\"marketoGUID\":\"c4a1e0b2-1111-4c1d-8e2f-000000003002\"}]}");
    ft_expect_item(ft_ok(j), 0, "deleted", NULL);
    cJSON_Delete(j);
    j = emu_get(c, "/rest/v1/customobjects/car_c.json?filterType=leadId&filterValues=2");
    assert_int_equal(ft_count(ft_ok(j)), 0);
    cJSON_Delete(j);
    j = emu_get(c, "/rest/v1/customobjects/roadshow_c.json?filterType=leadId&filterValues=1");
    assert_int_equal(ft_count(ft_ok(j)), 1);
    cJSON_Delete(j);
}

static void test_bad_input(void **state)
{
    ft_ctx *c = *state;
    emu_reset(c);
    ft_expect_bad_bodies(c, "/rest/v1/customobjects/car_c.json");
    emu_expect_error(ft_post(c, "/rest/v1/customobjects/car_c.json", "{\"action\":1,\"input\":[{}]}"), "1003");
    /* Names with odd characters are simply unknown types; a path that no
     * longer has the route's shape is an unknown resource. */
    emu_expect_error(emu_get(c, "/rest/v1/customobjects/bad%%20name%%ff/describe.json"), "1013");
    emu_expect_error(emu_get(c, "/rest/v1/customobjects/%%2e%%2e%%2fx/describe.json"), "610");
    cJSON *j = ft_post(c, "/rest/v1/customobjects/car_c.json",
                       "{\"input\":[{\"vin\":\"ODD\",\"leadId\":1,\"make\":\"\\u0000\\u00e9\\ud83d\\ude00\"}]}");
    ft_expect_item(ft_ok(j), 0, "created", NULL);
    cJSON_Delete(j);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_list_and_describe),
        cmocka_unit_test(test_query),
        cmocka_unit_test(test_sync),
        cmocka_unit_test(test_delete),
        cmocka_unit_test(test_bad_input),
    };
    return ts_run_tests(tests, ft_setup, ft_teardown);
}
