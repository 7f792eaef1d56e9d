/*
 * test_emu_campaigns.c — campaigns of marketo-emulator over real HTTP: get
 * with every filter and paging to the last page, by id, Request Campaign
 * (trigger) with its activities and every refusal, Schedule Campaign (runAt,
 * cloneToProgramName and its daily allotment, tokens), the Asset API smart
 * campaign calls, and bad input.
 *
 * Seed facts: campaigns 1001–1008; 1001 and 1003 are batch; requestable
 * (active, Campaign is Requested: Web Service API) are 1002, 1004, 1007,
 * 1008; 1005 is active but not requestable, 1006 inactive.
 */
#include "famtest.h"

static void test_campaigns_paging_and_filters(void **state)
{
    ft_ctx *c = *state;
    emu_reset(c);
    int seen = 0, pages = 0;
    char *tok = NULL;
    do {
        cJSON *j = tok ? emu_get(c, "/rest/v1/campaigns.json?batchSize=3&nextPageToken=%s", tok)
                       : emu_get(c, "/rest/v1/campaigns.json?batchSize=3");
        cJSON *res = ft_ok(j);
        const cJSON *it;
        cJSON_ArrayForEach(it, res) {
            assert_non_null(emu_str(it, "type"));
            assert_non_null(emu_str(it, "programName"));
            assert_true(cJSON_IsBool(cJSON_GetObjectItemCaseSensitive(it, "active")));
        }
        seen += ft_count(res);
        pages++;
        free(tok);
        tok = ft_token(j);
        cJSON_Delete(j);
    } while (tok);
    assert_int_equal(seen, 8);
    assert_int_equal(pages, 3);

    cJSON *j = emu_get(c, "/rest/v1/campaigns.json?isTriggerable=true");
    cJSON *res = ft_ok(j);
    assert_int_equal(ft_count(res), 4);
    assert_int_equal(ft_int(cJSON_GetArrayItem(res, 0), "id"), 1002);
    assert_int_equal(ft_int(cJSON_GetArrayItem(res, 3), "id"), 1008);
    cJSON_Delete(j);

    j = emu_get(c, "/rest/v1/campaigns.json?programName=Spring%%20Webinar&name=Webinar%%20Reminder");
    res = ft_ok(j);
    assert_int_equal(ft_count(res), 1);
    assert_int_equal(ft_int(cJSON_GetArrayItem(res, 0), "id"), 1003);
    assert_string_equal(emu_str(cJSON_GetArrayItem(res, 0), "type"), "batch");
    cJSON_Delete(j);

    j = emu_get(c, "/rest/v1/campaigns.json?id=1001,1005&workspaceName=Default");
    assert_int_equal(ft_count(ft_ok(j)), 2);
    cJSON_Delete(j);

    emu_expect_error(emu_get(c, "/rest/v1/campaigns.json?isTriggerable=maybe"), "1001");
    emu_expect_error(emu_get(c, "/rest/v1/campaigns.json?id=x"), "1001");
    emu_expect_error(emu_get(c, "/rest/v1/campaigns.json?batchSize=500"), "1003");
}

static void test_campaign_by_id(void **state)
{
    ft_ctx *c = *state;
    emu_reset(c);
    cJSON *j = emu_get(c, "/rest/v1/campaigns/1007.json");
    const cJSON *cp = cJSON_GetArrayItem(ft_ok(j), 0);
    assert_string_equal(emu_str(cp, "name"), "Nurture Entry Trigger");
    assert_int_equal(ft_int(cp, "programId"), 2004);
    cJSON_Delete(j);
    emu_expect_error(emu_get(c, "/rest/v1/campaigns/4242.json"), "1013");
    emu_expect_error(emu_get(c, "/rest/v1/campaigns/x1.json"), "1001");
}

static void test_trigger_logs_request_campaign(void **state)
{
    ft_ctx *c = *state;
    emu_reset(c);
    char *mark = ft_activity_mark(c);
    cJSON *j = ft_post(c, "/rest/v1/campaigns/1002/trigger.json",
                       "{\"input\":{\"leads\":[{\"id\":1},{\"id\":2},{\"id\":424242}],"
                       "\"tokens\":[{\"name\":\"{{my.message}}\",\"value\":\"Hello\"}]}}");
    cJSON *res = ft_ok(j);
    assert_int_equal(ft_count(res), 1);
    assert_int_equal(ft_int(cJSON_GetArrayItem(res, 0), "id"), 1002);
    cJSON_Delete(j);

    cJSON *acts = ft_activities_since(c, mark, "47");
    /* The two existing leads ran; the unknown one is passed over. */
    assert_int_equal(ft_count(acts), 2);
    const cJSON *a = cJSON_GetArrayItem(acts, 0);
    assert_int_equal(ft_int(a, "leadId"), 1);
    assert_int_equal(ft_int(a, "campaignId"), 1002);
    assert_int_equal(ft_int(a, "primaryAttributeValueId"), 1002);
    assert_string_equal(emu_str(a, "primaryAttributeValue"), "Webinar Confirmation");
    cJSON_Delete(acts);
    free(mark);
}

static void test_trigger_refusals(void **state)
{
    ft_ctx *c = *state;
    emu_reset(c);
    const char *one = "{\"input\":{\"leads\":[{\"id\":1}]}}";
    emu_expect_error(ft_post(c, "/rest/v1/campaigns/1001/trigger.json", one), "1003"); /* batch */
    emu_expect_error(ft_post(c, "/rest/v1/campaigns/1005/trigger.json", one), "1003"); /* not requestable */
    emu_expect_error(ft_post(c, "/rest/v1/campaigns/1006/trigger.json", one), "1003"); /* inactive */
    emu_expect_error(ft_post(c, "/rest/v1/campaigns/9999/trigger.json", one), "1013");
    emu_expect_error(ft_post(c, "/rest/v1/campaigns/1002/trigger.json", "{\"input\":{}}"), "701");
    emu_expect_error(ft_post(c, "/rest/v1/campaigns/1002/trigger.json", "{}"), "701");
    emu_expect_error(ft_post(c, "/rest/v1/campaigns/1002/trigger.json", NULL), "701");
    emu_expect_error(ft_post(c, "/rest/v1/campaigns/1002/trigger.json",
                            "{\"input\":{\"leads\":[{\"id\":\"one\"}]}}"),
                    "1001");
    emu_expect_error(ft_post(c, "/rest/v1/campaigns/1002/trigger.json",
                            "{\"input\":{\"leads\":[{\"id\":1}],\"tokens\":[{\"value\":\"x\"}]}}"),
                    "1003");

    /* 101 leads / 101 tokens: over the documented 100. */
    for (int which = 0; which < 2; which++) {
        cJSON *b = cJSON_CreateObject();
        cJSON *in = cJSON_AddObjectToObject(b, "input");
        cJSON *leads = cJSON_AddArrayToObject(in, "leads");
        cJSON *tokens = cJSON_AddArrayToObject(in, "tokens");
        for (int i = 1; i <= 101; i++) {
            if (which == 0 || i == 1) {
                cJSON *o = cJSON_CreateObject();
                cJSON_AddNumberToObject(o, "id", i);
                cJSON_AddItemToArray(leads, o);
            }
            if (which == 1) {
                cJSON *t = cJSON_CreateObject();
                char name[32];
                snprintf(name, sizeof name, "{{my.t%d}}", i);
                cJSON_AddStringToObject(t, "name", name);
                cJSON_AddStringToObject(t, "value", "v");
                cJSON_AddItemToArray(tokens, t);
            }
        }
        char *txt = cJSON_PrintUnformatted(b);
        emu_expect_error(ft_post(c, "/rest/v1/campaigns/1002/trigger.json", txt), "1003");
        free(txt);
        cJSON_Delete(b);
    }
}

static void test_schedule(void **state)
{
    ft_ctx *c = *state;
    emu_reset(c);
    /* No body: runs five minutes from now. */
    cJSON *j = ft_post(c, "/rest/v1/campaigns/1001/schedule.json", NULL);
    assert_int_equal(ft_int(cJSON_GetArrayItem(ft_ok(j), 0), "id"), 1001);
    cJSON_Delete(j);
    j = ft_post(c, "/rest/v1/campaigns/1003/schedule.json",
                "{\"input\":{\"runAt\":\"2027-03-28T18:05:00+0000\","
                "\"tokens\":[{\"name\":\"{{my.message}}\",\"value\":\"Updated message\"}]}}");
    assert_int_equal(ft_int(cJSON_GetArrayItem(ft_ok(j), 0), "id"), 1003);
    cJSON_Delete(j);

    emu_expect_error(ft_post(c, "/rest/v1/campaigns/1001/schedule.json",
                            "{\"input\":{\"runAt\":\"2099-01-01T00:00:00Z\"}}"),
                    "1042");
    emu_expect_error(ft_post(c, "/rest/v1/campaigns/1001/schedule.json",
                            "{\"input\":{\"runAt\":\"next tuesday\"}}"),
                    "704");
    emu_expect_error(ft_post(c, "/rest/v1/campaigns/1002/schedule.json", NULL), "1003"); /* trigger */
    emu_expect_error(ft_post(c, "/rest/v1/campaigns/9999/schedule.json", NULL), "1013");
    emu_expect_error(ft_post(c, "/rest/v1/campaigns/1001/schedule.json", "{\"input\":[1]}"), "1003");
}

static void test_schedule_clone_allotment(void **state)
{
    ft_ctx *c = *state;
    emu_reset(c);
    int64_t first_clone = 0;
    for (int i = 1; i <= 20; i++) {
        char body[128];
        snprintf(body, sizeof body, "{\"input\":{\"cloneToProgramName\":\"Newsletter Clone %d\"}}", i);
        cJSON *j = ft_post(c, "/rest/v1/campaigns/1001/schedule.json", body);
        int64_t id = ft_int(cJSON_GetArrayItem(ft_ok(j), 0), "id");
        assert_true(id > 1008); /* the cloned campaign is the one scheduled */
        if (i == 1)
            first_clone = id;
        cJSON_Delete(j);
    }
    emu_expect_error(ft_post(c, "/rest/v1/campaigns/1001/schedule.json",
                            "{\"input\":{\"cloneToProgramName\":\"Newsletter Clone 21\"}}"),
                    "1020");

    /* The clone exists as a program (under the parent) and a campaign in it. */
    cJSON *j = emu_get(c, "/rest/asset/v1/program/byName.json?name=Newsletter%%20Clone%%201");
    const cJSON *p = cJSON_GetArrayItem(ft_ok(j), 0);
    assert_string_equal(emu_str(p, "channel"), "Email Send");
    cJSON_Delete(j);
    j = emu_get(c, "/rest/v1/campaigns.json?programName=Newsletter%%20Clone%%201");
    cJSON *res = ft_ok(j);
    assert_int_equal(ft_count(res), 1);
    assert_int_equal(ft_int(cJSON_GetArrayItem(res, 0), "id"), first_clone);
    cJSON_Delete(j);

    /* Reset restores the allotment; a taken program name is refused. */
    emu_reset(c);
    emu_expect_error(ft_post(c, "/rest/v1/campaigns/1001/schedule.json",
                            "{\"input\":{\"cloneToProgramName\":\"Spring Webinar\"}}"),
                    "709");
    j = ft_post(c, "/rest/v1/campaigns/1001/schedule.json",
                "{\"input\":{\"cloneToProgramName\":\"Fresh\"}}");
    ft_ok(j);
    cJSON_Delete(j);
}

static void test_asset_smart_campaigns(void **state)
{
    ft_ctx *c = *state;
    emu_reset(c);
    int seen = 0;
    for (int off = 0;; off += 3) {
        cJSON *j = emu_get(c, "/rest/asset/v1/smartCampaigns.json?maxReturn=3&offset=%d", off);
        if (!cJSON_GetObjectItemCaseSensitive(j, "result")) {
            ft_expect_no_assets(j);
            break;
        }
        cJSON *res = ft_ok(j);
        const cJSON *it;
        cJSON_ArrayForEach(it, res) {
            assert_true(cJSON_IsBool(cJSON_GetObjectItemCaseSensitive(it, "isRequestable")));
            assert_non_null(emu_str(it, "status"));
            assert_non_null(cJSON_GetObjectItemCaseSensitive(it, "parentProgramId"));
        }
        seen += ft_count(res);
        cJSON_Delete(j);
    }
    assert_int_equal(seen, 8);

    cJSON *j = emu_get(c, "/rest/asset/v1/smartCampaigns.json?isActive=true");
    assert_int_equal(ft_count(ft_ok(j)), 6);
    cJSON_Delete(j);
    j = emu_get(c, "/rest/asset/v1/smartCampaigns.json?folder=%%7B%%22id%%22:2002,%%22type%%22:%%22Program%%22%%7D");
    assert_int_equal(ft_count(ft_ok(j)), 2);
    cJSON_Delete(j);
    j = emu_get(c, "/rest/asset/v1/smartCampaigns.json?earliestUpdatedAt=2030-01-01T00:00:00Z");
    ft_expect_no_assets(j);

    j = emu_get(c, "/rest/asset/v1/smartCampaign/byName.json?name=lead%%20routing");
    const cJSON *sc = cJSON_GetArrayItem(ft_ok(j), 0);
    assert_int_equal(ft_int(sc, "id"), 1008);
    assert_true(cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(sc, "isRequestable")));
    cJSON_Delete(j);
    j = emu_get(c, "/rest/asset/v1/smartCampaign/1005.json");
    sc = cJSON_GetArrayItem(ft_ok(j), 0);
    assert_true(cJSON_IsFalse(cJSON_GetObjectItemCaseSensitive(sc, "isRequestable")));
    cJSON_Delete(j);

    ft_expect_no_assets(emu_get(c, "/rest/asset/v1/smartCampaign/77.json"));
    ft_expect_no_assets(emu_get(c, "/rest/asset/v1/smartCampaign/byName.json?name=nope"));
    emu_expect_error(emu_get(c, "/rest/asset/v1/smartCampaign/byName.json"), "701");
    emu_expect_error(emu_get(c, "/rest/asset/v1/smartCampaigns.json?maxReturn=201"), "1003");
    emu_expect_error(emu_get(c, "/rest/asset/v1/smartCampaigns.json?offset=-1"), "1003");
    emu_expect_error(emu_get(c, "/rest/asset/v1/smartCampaigns.json?latestUpdatedAt=yesterday"), "704");
}

static void test_bad_input(void **state)
{
    ft_ctx *c = *state;
    emu_reset(c);
    long st;
    ft_expect_bad_bodies(c, "/rest/v1/campaigns/1002/trigger.json");
    ft_expect_bad_bodies(c, "/rest/v1/campaigns/1001/schedule.json");
    emu_expect_error(ft_post(c, "/rest/v1/campaigns/1002/trigger.json",
                            "{\"input\":{\"leads\":{\"id\":1}}}"),
                    "701");
    emu_expect_error(ft_post(c, "/rest/v1/campaigns/1001/schedule.json",
                            "{\"input\":{\"runAt\":12345}}"),
                    "704");
    emu_expect_error(ft_post(c, "/rest/v1/campaigns/1001/schedule.json",
                            "{\"input\":{\"cloneToProgramName\":42}}"),
                    "1003");
    /* Unknown members are ignored. */
    cJSON *j = ft_post(c, "/rest/v1/campaigns/1002/trigger.json",
                       "{\"input\":{\"leads\":[{\"id\":3,\"x\":1}],\"other\":true},\"more\":[]}");
    ft_ok(j);
    cJSON_Delete(j);
    /* 605: the path exists, the method does not. */
    j = ft_call(c, "GET", "/rest/v1/campaigns/1002/trigger.json", NULL, NULL, 0, &st);
    assert_int_equal(st, 200);
    emu_expect_error(j, "605");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_campaigns_paging_and_filters),
        cmocka_unit_test(test_campaign_by_id),
        cmocka_unit_test(test_trigger_logs_request_campaign),
        cmocka_unit_test(test_trigger_refusals),
        cmocka_unit_test(test_schedule),
        cmocka_unit_test(test_schedule_clone_allotment),
        cmocka_unit_test(test_asset_smart_campaigns),
        cmocka_unit_test(test_bad_input),
    };
    return ts_run_tests(tests, ft_setup, ft_teardown);
}
