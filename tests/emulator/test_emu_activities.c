/*
 * test_emu_activities.c — the activity endpoints of marketo-emulator over
 * real HTTP: types, paging token, activities (types, leadIds, assetIds,
 * listId, paging to the last page, 64-bit ids, empty pages with
 * moreResult:true), lead changes (fields filter), deleted leads, and every
 * documented parameter error.
 */
#include "emu_testutil.h"

#include <inttypes.h>

static emu_fixture g;

static int setup(void **state)
{
    (void)state;
    const char *opts[] = {"--rate-limit", "off", NULL};
    return emu_fixture_start(&g, opts);
}

static int teardown(void **state)
{
    (void)state;
    return emu_fixture_stop(&g) == 0 ? 0 : -1;
}

static char *token_since(const char *since)
{
    cJSON *j = emu_get(&g, "/rest/v1/activities/pagingtoken.json?sinceDatetime=%s", since);
    assert_ok(j);
    assert_null(emu_result(j));
    char *t = strdup(emu_str(j, "nextPageToken"));
    cJSON_Delete(j);
    return t;
}

static void test_types(void **state)
{
    (void)state;
    cJSON *j = emu_get(&g, "/rest/v1/activities/types.json");
    assert_ok(j);
    static const struct { int id; const char *name; } want[] = {
        {1, "Visit Webpage"}, {2, "Fill Out Form"}, {3, "Click Link"}, {6, "Send Email"},
        {7, "Email Delivered"}, {10, "Open Email"}, {11, "Click Email"}, {12, "New Lead"},
        {13, "Change Data Value"}, {22, "Change Score"}, {24, "Add to List"},
        {25, "Remove from List"}, {32, "Merge Leads"}, {34, "Add to Opportunity"},
        {37, "Delete Lead"}, {47, "Request Campaign"}, {104, "Change Status in Progression"}};
    for (size_t w = 0; w < sizeof want / sizeof *want; w++) {
        bool found = false;
        const cJSON *it;
        cJSON_ArrayForEach(it, emu_result(j)) {
            if ((int)emu_num(it, "id") != want[w].id)
                continue;
            found = true;
            assert_string_equal(emu_str(it, "name"), want[w].name);
            assert_non_null(emu_str(it, "description"));
            assert_true(cJSON_IsArray(cJSON_GetObjectItem(it, "attributes")));
        }
        if (!found)
            fail_msg("activity type %d missing", want[w].id);
    }
    cJSON_Delete(j);
}

static void test_paging_token(void **state)
{
    (void)state;
    cJSON *j = emu_get(&g, "/rest/v1/activities/pagingtoken.json");
    assert_code(j, "701");
    cJSON_Delete(j);
    emu_expect_error(emu_get(&g, "/rest/v1/activities/pagingtoken.json"
                                 "?sinceDatetime=yesterday"),
                     "704");
    const char *forms[] = {"2014-10-06T13:22:17-08:00", "2014-10-06T13:22:17%2B0000",
                           "2014-10-06", "2014-10-06T13:22:17Z", "2014-10-06T13:22:17.123Z"};
    for (size_t i = 0; i < sizeof forms / sizeof *forms; i++)
        free(token_since(forms[i]));
}

static void test_parameter_errors(void **state)
{
    (void)state;
    char *t = token_since("2020-01-01T00:00:00Z");
    static const struct { const char *query, *code; } cases[] = {
        {"activityTypeIds=1", "701"},                                    /* no token */
        {"activityTypeIds=1&nextPageToken=GARBAGE", "1003"},
        {"nextPageToken=%s", "701"},                                     /* no types */
        {"activityTypeIds=1,2,3,4,5,6,7,8,9,10,11&nextPageToken=%s", "1003"},
        {"activityTypeIds=x&nextPageToken=%s", "1001"},
        {"activityTypeIds=1&batchSize=301&nextPageToken=%s", "1003"},
        {"activityTypeIds=1,2&assetIds=71&nextPageToken=%s", "1003"},
        {"activityTypeIds=1&listId=987654&nextPageToken=%s", "1013"},
        {"activityTypeIds=1&leadIds=1,2,3,4,5,6,7,8,9,10,11,12,13,14,15,16,17,18,19,20,"
         "21,22,23,24,25,26,27,28,29,30,31&nextPageToken=%s", "1003"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
        char q[1024];
        snprintf(q, sizeof q, cases[i].query, t);
        cJSON *j = emu_get(&g, "/rest/v1/activities.json?%s", q);
        if (!emu_err(j) || strcmp(emu_err(j), cases[i].code))
            fail_msg("%s: expected %s, got %s", cases[i].query, cases[i].code,
                     emu_err(j) ? emu_err(j) : "success");
        cJSON_Delete(j);
    }
    /* 10 types and 30 leads are fine. */
    cJSON *j = emu_get(&g, "/rest/v1/activities.json?activityTypeIds=1,2,3,6,7,10,11,12,13,22"
                           "&leadIds=1,2,3,4,5,6,7,8,9,10,11,12,13,14,15,16,17,18,19,20,"
                           "21,22,23,24,25,26,27,28,29,30&nextPageToken=%s", t);
    assert_ok(j);
    cJSON_Delete(j);
    emu_expect_error(emu_get(&g, "/rest/v1/activities/leadchanges.json?nextPageToken=%s", t),
                     "701");
    emu_expect_error(emu_get(&g, "/rest/v1/activities/leadchanges.json?fields=nope"
                                 "&nextPageToken=%s", t),
                     "1006");
    emu_expect_error(emu_get(&g, "/rest/v1/activities/deletedleads.json"), "701");
    free(t);
}

static void test_paging_to_last_page(void **state)
{
    (void)state;
    emu_reset(&g);
    char *t = token_since("2020-01-01T00:00:00Z");
    int total = 0, pages = 0;
    bool more = true;
    while (more) {
        cJSON *j = emu_get(&g, "/rest/v1/activities.json?activityTypeIds=12&batchSize=7"
                               "&nextPageToken=%s", t);
        assert_ok(j);
        pages++;
        /* Always a token and moreResult on activity endpoints. */
        assert_non_null(emu_str(j, "nextPageToken"));
        const cJSON *m = cJSON_GetObjectItem(j, "moreResult");
        assert_true(cJSON_IsBool(m));
        more = cJSON_IsTrue(m);
        const cJSON *it;
        cJSON_ArrayForEach(it, emu_result(j)) {
            total++;
            assert_int_equal((int)emu_num(it, "activityTypeId"), 12);
            /* 64-bit ids above 2^32, marketoGUID is the same number as text. */
            const cJSON *id = cJSON_GetObjectItem(it, "id");
            assert_true(cJSON_IsNumber(id));
            assert_true(id->valuedouble > 4294967296.0);
            char buf[32];
            snprintf(buf, sizeof buf, "%" PRId64, (int64_t)id->valuedouble);
            assert_string_equal(emu_str(it, "marketoGUID"), buf);
            assert_non_null(emu_str(it, "activityDate"));
            assert_true(emu_num(it, "leadId") > 0);
            assert_true(cJSON_IsArray(cJSON_GetObjectItem(it, "attributes")));
        }
        free(t);
        t = strdup(emu_str(j, "nextPageToken"));
        cJSON_Delete(j);
        assert_true(pages < 10);
    }
    assert_int_equal(total, 20); /* one New Lead per seed lead */
    assert_int_equal(pages, 3);
    /* The last token keeps working and sees later activities. */
    cJSON_Delete(emu_post(&g, "/rest/v1/leads.json", "{\"input\":[{\"email\":\"later@example.com\"}]}"));
    cJSON *j = emu_get(&g, "/rest/v1/activities.json?activityTypeIds=12&nextPageToken=%s", t);
    assert_int_equal(emu_count(j), 1);
    assert_true(cJSON_IsFalse(cJSON_GetObjectItem(j, "moreResult")));
    cJSON_Delete(j);
    free(t);
}

static void test_filters(void **state)
{
    (void)state;
    emu_reset(&g);
    char *t = token_since("2026-01-31T00:00:00Z");
    cJSON *j = emu_get(&g, "/rest/v1/activities.json?activityTypeIds=1,2,6,7,10,11&leadIds=2"
                           "&nextPageToken=%s", t);
    assert_int_equal(emu_count(j), 4); /* lead 2's email activities */
    const cJSON *it;
    cJSON_ArrayForEach(it, emu_result(j)) {
        assert_int_equal((int)emu_num(it, "leadId"), 2);
        assert_int_equal((int)emu_num(it, "campaignId"), 1001);
    }
    cJSON_Delete(j);
    j = emu_get(&g, "/rest/v1/activities.json?activityTypeIds=1&assetIds=71&nextPageToken=%s", t);
    assert_int_equal(emu_count(j), 1);
    const cJSON *a = emu_item(j, 0);
    assert_int_equal((int)emu_num(a, "primaryAttributeValueId"), 71);
    assert_string_equal(emu_str(a, "primaryAttributeValue"), "www.example.com/pricing.html");
    assert_string_equal(emu_str(cJSON_GetArrayItem(cJSON_GetObjectItem(a, "attributes"), 0), "name"),
                        "Client IP Address");
    cJSON_Delete(j);
    free(t);
}

static void test_lead_changes(void **state)
{
    (void)state;
    emu_reset(&g);
    char *t = token_since("2026-06-01T00:00:00Z");
    cJSON_Delete(emu_post(&g, "/rest/v1/leads.json",
                          "{\"input\":[{\"email\":\"asmith@example.com\",\"firstName\":\"Alicia\","
                          "\"leadScore\":80},{\"email\":\"fresh@example.com\"}]}"));
    cJSON *j = emu_get(&g, "/rest/v1/activities/leadchanges.json?fields=firstName,department"
                           "&nextPageToken=%s", t);
    assert_ok(j);
    assert_non_null(emu_str(j, "nextPageToken"));
    assert_true(cJSON_IsBool(cJSON_GetObjectItem(j, "moreResult")));
    int changes = 0, news = 0;
    const cJSON *it;
    cJSON_ArrayForEach(it, emu_result(j)) {
        int ty = (int)emu_num(it, "activityTypeId");
        assert_true(ty == 12 || ty == 13);
        assert_non_null(emu_str(it, "marketoGUID"));
        if (ty == 13) {
            changes++;
            const cJSON *f = cJSON_GetObjectItem(it, "fields");
            assert_int_equal(cJSON_GetArraySize(f), 1);
            const cJSON *f0 = cJSON_GetArrayItem(f, 0);
            assert_string_equal(emu_str(f0, "name"), "firstName");
            assert_string_equal(emu_str(f0, "newValue"), "Alicia");
            assert_string_equal(emu_str(f0, "oldValue"), "Alice");
            assert_true(emu_num(f0, "id") > 0);
            assert_int_equal((int)emu_num(it, "leadId"), 2);
        } else
            news++;
    }
    assert_int_equal(changes, 1); /* leadScore not asked for */
    assert_int_equal(news, 1);
    cJSON_Delete(j);
    free(t);
}

/* A long text value is logged whole, old and new (it was cut at 511 bytes). */
static void test_lead_changes_long_values(void **state)
{
    (void)state;
    emu_reset(&g);
    char *t = token_since("2026-06-01T00:00:00Z");
    char v1[701], v2[901], body[2048];
    memset(v1, 'a', sizeof v1 - 1);
    v1[sizeof v1 - 1] = '\0';
    memset(v2, 'b', sizeof v2 - 1);
    v2[sizeof v2 - 1] = '\0';
    snprintf(body, sizeof body, "{\"input\":[{\"email\":\"asmith@example.com\",\"title\":\"%s\"}]}", v1);
    cJSON_Delete(emu_post(&g, "/rest/v1/leads.json", body));
    snprintf(body, sizeof body, "{\"input\":[{\"email\":\"asmith@example.com\",\"title\":\"%s\"}]}", v2);
    cJSON_Delete(emu_post(&g, "/rest/v1/leads.json", body));
    cJSON *j = emu_get(&g, "/rest/v1/activities/leadchanges.json?fields=title&nextPageToken=%s", t);
    assert_ok(j);
    assert_int_equal(emu_count(j), 2);
    const cJSON *f = cJSON_GetArrayItem(cJSON_GetObjectItem(emu_item(j, 1), "fields"), 0);
    assert_string_equal(emu_str(f, "oldValue"), v1);
    assert_string_equal(emu_str(f, "newValue"), v2);
    cJSON_Delete(j);
    /* The activities.json view carries them as New/Old Value attributes. */
    j = emu_get(&g, "/rest/v1/activities.json?activityTypeIds=13&nextPageToken=%s", t);
    const cJSON *attrs = cJSON_GetObjectItem(emu_item(j, 1), "attributes");
    assert_string_equal(emu_str(cJSON_GetArrayItem(attrs, 0), "value"), v2);
    assert_string_equal(emu_str(cJSON_GetArrayItem(attrs, 1), "value"), v1);
    cJSON_Delete(j);
    free(t);
}

static void test_deleted_leads(void **state)
{
    (void)state;
    emu_reset(&g);
    char *t = token_since("2026-06-01T00:00:00Z");
    cJSON_Delete(emu_post(&g, "/rest/v1/leads/delete.json?id=4", NULL));
    cJSON *j = emu_get(&g, "/rest/v1/activities/deletedleads.json?nextPageToken=%s", t);
    assert_ok(j);
    assert_int_equal(emu_count(j), 1);
    assert_int_equal((int)emu_num(emu_item(j, 0), "leadId"), 4);
    assert_int_equal((int)emu_num(emu_item(j, 0), "activityTypeId"), 37);
    assert_string_equal(emu_str(emu_item(j, 0), "primaryAttributeValue"), "Clark Kent");
    assert_true(cJSON_IsFalse(cJSON_GetObjectItem(j, "moreResult")));
    cJSON_Delete(j);
    free(t);
}

/* Marketo answers one scanned block per call: a page may be empty while
 * moreResult is true.  1,200 New Lead activities, then ask for visits. */
static void test_empty_pages_with_more(void **state)
{
    (void)state;
    emu_reset(&g);
    char *t = token_since("2026-06-01T00:00:00Z");
    for (int b = 0; b < 4; b++) {
        size_t cap = 300 * 48 + 64, k = 0;
        char *body = malloc(cap);
        k += (size_t)snprintf(body, cap, "{\"input\":[");
        for (int i = 0; i < 300; i++)
            k += (size_t)snprintf(body + k, cap - k, "%s{\"email\":\"blk%d-%d@example.com\"}",
                                  i ? "," : "", b, i);
        snprintf(body + k, cap - k, "]}");
        cJSON *j = emu_post(&g, "/rest/v1/leads.json", body);
        assert_int_equal(emu_count(j), 300);
        cJSON_Delete(j);
        free(body);
    }
    cJSON *j = emu_get(&g, "/rest/v1/activities.json?activityTypeIds=1&nextPageToken=%s", t);
    assert_ok(j);
    assert_int_equal(emu_count(j), 0);
    assert_true(cJSON_IsTrue(cJSON_GetObjectItem(j, "moreResult")));
    free(t);
    t = strdup(emu_str(j, "nextPageToken"));
    cJSON_Delete(j);
    j = emu_get(&g, "/rest/v1/activities.json?activityTypeIds=1&nextPageToken=%s", t);
    assert_int_equal(emu_count(j), 0);
    assert_true(cJSON_IsFalse(cJSON_GetObjectItem(j, "moreResult")));
    cJSON_Delete(j);
    free(t);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_types),
        cmocka_unit_test(test_paging_token),
        cmocka_unit_test(test_parameter_errors),
        cmocka_unit_test(test_paging_to_last_page),
        cmocka_unit_test(test_filters),
        cmocka_unit_test(test_lead_changes),
        cmocka_unit_test(test_lead_changes_long_values),
        cmocka_unit_test(test_deleted_leads),
        cmocka_unit_test(test_empty_pages_with_more),
    };
    return ts_run_tests(tests, setup, teardown);
}
