/*
 * test_emu_assets.c — the Asset API's channels, tag types and programs in
 * marketo-emulator over real HTTP: offset/maxReturn paging to the empty page
 * (which answers the "No assets found" warning, not a result), by-name
 * lookups, program filters, by id / name / tag, and bad parameters.
 *
 * Seed facts: 7 channels (Webinar has 9 progression statuses), 4 tag types
 * (Region: "[North America, EMEA, APAC, LATAM]"), programs 2001–2006 (Region
 * North America on 2001 and 2002).
 */
#include "famtest.h"

static void test_channels(void **state)
{
    ft_ctx *c = *state;
    emu_reset(c);
    int seen = 0;
    for (int off = 0;; off += 3) {
        cJSON *j = emu_get(c, "/rest/asset/v1/channels.json?maxReturn=3&offset=%d", off);
        if (!cJSON_GetObjectItemCaseSensitive(j, "result")) {
            ft_expect_no_assets(j);
            break;
        }
        seen += ft_count(ft_ok(j));
        cJSON_Delete(j);
    }
    assert_int_equal(seen, 7);

    cJSON *j = emu_get(c, "/rest/asset/v1/channels.json");
    assert_int_equal(ft_count(ft_ok(j)), 7); /* default maxReturn 20 */
    cJSON_Delete(j);

    j = emu_get(c, "/rest/asset/v1/channel/byName.json?name=webinar");
    const cJSON *ch = cJSON_GetArrayItem(ft_ok(j), 0);
    assert_string_equal(emu_str(ch, "name"), "Webinar");
    assert_string_equal(emu_str(ch, "applicableProgramType"), "event");
    const cJSON *ps = cJSON_GetObjectItemCaseSensitive(ch, "progressionStatuses");
    assert_int_equal(cJSON_GetArraySize(ps), 9);
    const cJSON *s0 = cJSON_GetArrayItem(ps, 0);
    assert_true(cJSON_IsNumber(cJSON_GetObjectItemCaseSensitive(s0, "step")));
    assert_true(cJSON_IsBool(cJSON_GetObjectItemCaseSensitive(s0, "success")));
    assert_true(cJSON_IsBool(cJSON_GetObjectItemCaseSensitive(s0, "hidden")));
    assert_non_null(emu_str(s0, "description"));
    cJSON_Delete(j);

    /* The SPEC spells the parameter "Name". */
    j = emu_get(c, "/rest/asset/v1/channel/byName.json?Name=Tradeshow");
    assert_int_equal(ft_int(cJSON_GetArrayItem(ft_ok(j), 0), "id"), 2);
    cJSON_Delete(j);

    ft_expect_no_assets(emu_get(c, "/rest/asset/v1/channel/byName.json?name=Carrier%%20Pigeon"));
    emu_expect_error(emu_get(c, "/rest/asset/v1/channel/byName.json"), "701");
    emu_expect_error(emu_get(c, "/rest/asset/v1/channels.json?maxReturn=0"), "1003");
    emu_expect_error(emu_get(c, "/rest/asset/v1/channels.json?maxReturn=201"), "1003");
    emu_expect_error(emu_get(c, "/rest/asset/v1/channels.json?offset=x"), "1003");
    j = emu_get(c, "/rest/asset/v1/channels.json?maxReturn=200");
    assert_int_equal(ft_count(ft_ok(j)), 7);
    cJSON_Delete(j);
}

static void test_tag_types(void **state)
{
    ft_ctx *c = *state;
    emu_reset(c);
    cJSON *j = emu_get(c, "/rest/asset/v1/tagTypes.json");
    cJSON *res = ft_ok(j);
    assert_int_equal(ft_count(res), 4);
    const cJSON *t;
    cJSON_ArrayForEach(t, res) {
        assert_non_null(emu_str(t, "tagType"));
        assert_non_null(emu_str(t, "applicableProgramTypes"));
        assert_true(cJSON_IsBool(cJSON_GetObjectItemCaseSensitive(t, "required")));
        assert_null(cJSON_GetObjectItemCaseSensitive(t, "allowableValues"));
    }
    cJSON_Delete(j);

    j = emu_get(c, "/rest/asset/v1/tagTypes.json?maxReturn=3&offset=3");
    assert_int_equal(ft_count(ft_ok(j)), 1);
    cJSON_Delete(j);
    ft_expect_no_assets(emu_get(c, "/rest/asset/v1/tagTypes.json?offset=4"));

    j = emu_get(c, "/rest/asset/v1/tagType/byName.json?name=Region");
    t = cJSON_GetArrayItem(ft_ok(j), 0);
    /* One string, as Marketo sends it; clients parse the brackets. */
    assert_string_equal(emu_str(t, "allowableValues"), "[North America, EMEA, APAC, LATAM]");
    assert_string_equal(emu_str(t, "applicableProgramTypes"), "[program,email_batch,nurture,event,webinar]");
    cJSON_Delete(j);
    ft_expect_no_assets(emu_get(c, "/rest/asset/v1/tagType/byName.json?name=Channel"));
    emu_expect_error(emu_get(c, "/rest/asset/v1/tagType/byName.json?name="), "701");
}

static void test_programs_browse(void **state)
{
    ft_ctx *c = *state;
    emu_reset(c);
    cJSON *j = emu_get(c, "/rest/asset/v1/programs.json?maxReturn=4");
    cJSON *res = ft_ok(j);
    assert_int_equal(ft_count(res), 4);
    const cJSON *p = cJSON_GetArrayItem(res, 0);
    assert_int_equal(ft_int(p, "id"), 2001);
    assert_non_null(emu_str(p, "channel"));
    assert_non_null(emu_str(p, "workspace"));
    assert_true(cJSON_IsObject(cJSON_GetObjectItemCaseSensitive(p, "folder")));
    assert_null(cJSON_GetObjectItemCaseSensitive(p, "tags")); /* browse omits tags and costs */
    cJSON_Delete(j);
    j = emu_get(c, "/rest/asset/v1/programs.json?maxReturn=4&offset=4");
    assert_int_equal(ft_count(ft_ok(j)), 2);
    cJSON_Delete(j);
    ft_expect_no_assets(emu_get(c, "/rest/asset/v1/programs.json?offset=6"));

    j = emu_get(c, "/rest/asset/v1/programs.json?filterType=id&filterValues=2003,2005,9");
    assert_int_equal(ft_count(ft_ok(j)), 2);
    cJSON_Delete(j);
    j = emu_get(c, "/rest/asset/v1/programs.json?filterType=programId&filterValues=2006");
    assert_string_equal(emu_str(cJSON_GetArrayItem(ft_ok(j), 0), "name"), "Operational");
    cJSON_Delete(j);
    j = emu_get(c, "/rest/asset/v1/programs.json?filterType=folderId&filterValues=13");
    assert_int_equal(ft_int(cJSON_GetArrayItem(ft_ok(j), 0), "id"), 2002);
    cJSON_Delete(j);
    j = emu_get(c, "/rest/asset/v1/programs.json?filterType=workspace&filterValues=Default");
    assert_int_equal(ft_count(ft_ok(j)), 6);
    cJSON_Delete(j);
    /* Asset dates carry Marketo's "Z+0000" suffix and still filter. */
    j = emu_get(c, "/rest/asset/v1/programs.json?earliestUpdatedAt=2026-01-01T00:00:00Z"
                  "&latestUpdatedAt=2026-12-31T00:00:00-05:00");
    assert_int_equal(ft_count(ft_ok(j)), 6);
    cJSON_Delete(j);
    ft_expect_no_assets(emu_get(c, "/rest/asset/v1/programs.json?earliestUpdatedAt=2027-01-01"));

    emu_expect_error(emu_get(c, "/rest/asset/v1/programs.json?filterType=name&filterValues=x"), "1003");
    emu_expect_error(emu_get(c, "/rest/asset/v1/programs.json?filterType=id"), "701");
    emu_expect_error(emu_get(c, "/rest/asset/v1/programs.json?earliestUpdatedAt=31/12/2026"), "704");
}

static void test_program_lookups(void **state)
{
    ft_ctx *c = *state;
    emu_reset(c);
    cJSON *j = emu_get(c, "/rest/asset/v1/program/2002.json");
    const cJSON *p = cJSON_GetArrayItem(ft_ok(j), 0);
    assert_string_equal(emu_str(p, "name"), "Trade Show - Dreamforce");
    assert_string_equal(emu_str(p, "type"), "event");
    const cJSON *costs = cJSON_GetObjectItemCaseSensitive(p, "costs");
    assert_int_equal(cJSON_GetArraySize(costs), 2);
    assert_int_equal(ft_int(cJSON_GetArrayItem(costs, 0), "cost"), 42000);
    assert_int_equal(cJSON_GetArraySize(cJSON_GetObjectItemCaseSensitive(p, "tags")), 2);
    cJSON_Delete(j);
    ft_expect_no_assets(emu_get(c, "/rest/asset/v1/program/4.json"));
    emu_expect_error(emu_get(c, "/rest/asset/v1/program/x.json"), "1001");

    j = emu_get(c, "/rest/asset/v1/program/byName.json?name=Spring%%20Webinar");
    p = cJSON_GetArrayItem(ft_ok(j), 0);
    assert_null(cJSON_GetObjectItemCaseSensitive(p, "tags"));
    assert_null(cJSON_GetObjectItemCaseSensitive(p, "costs"));
    cJSON_Delete(j);
    j = emu_get(c, "/rest/asset/v1/program/byName.json?name=Spring%%20Webinar&includeTags=true&includeCosts=true");
    p = cJSON_GetArrayItem(ft_ok(j), 0);
    const cJSON *tag = cJSON_GetArrayItem(cJSON_GetObjectItemCaseSensitive(p, "tags"), 0);
    assert_string_equal(emu_str(tag, "tagType"), "Region");
    assert_string_equal(emu_str(tag, "tagValue"), "North America");
    assert_int_equal(cJSON_GetArraySize(cJSON_GetObjectItemCaseSensitive(p, "costs")), 1);
    cJSON_Delete(j);
    ft_expect_no_assets(emu_get(c, "/rest/asset/v1/program/byName.json?name=Nope"));
    emu_expect_error(emu_get(c, "/rest/asset/v1/program/byName.json"), "701");

    j = emu_get(c, "/rest/asset/v1/program/byTag.json?tagType=region&tagValue=North%%20America");
    cJSON *res = ft_ok(j);
    assert_int_equal(ft_count(res), 2);
    assert_int_equal(ft_int(cJSON_GetArrayItem(res, 1), "id"), 2002);
    cJSON_Delete(j);
    j = emu_get(c, "/rest/asset/v1/program/byTag.json?tagType=Region&tagValue=North%%20America&maxReturn=1&offset=1");
    assert_int_equal(ft_int(cJSON_GetArrayItem(ft_ok(j), 0), "id"), 2002);
    cJSON_Delete(j);
    ft_expect_no_assets(emu_get(c, "/rest/asset/v1/program/byTag.json?tagType=Region&tagValue=Mars"));
    emu_expect_error(emu_get(c, "/rest/asset/v1/program/byTag.json?tagType=Region"), "701");
    emu_expect_error(emu_get(c, "/rest/asset/v1/program/byTag.json?tagValue=x"), "701");
}

/* Update Program: a form body. */
static cJSON *update_program(ft_ctx *c, const char *path, const char *form)
{
    long st = 0;
    cJSON *j = ft_call(c, "POST", path, "application/x-www-form-urlencoded", form, strlen(form),
                       &st);
    assert_int_equal(st, 200);
    assert_non_null(j);
    return j;
}

static void test_program_update(void **state)
{
    ft_ctx *c = *state;
    emu_reset(c);
    cJSON *j = update_program(c, "/rest/asset/v1/program/2001.json",
                              "name=Spring%20Webinar%202&description=Renamed"
                              "&costs=%5B%7B%22startDate%22:%222026-04-01%22,%22cost%22:300%7D%5D"
                              "&tags=%5B%7B%22tagType%22:%22region%22,%22tagValue%22:%22EMEA%22%7D%5D");
    const cJSON *p = cJSON_GetArrayItem(ft_ok(j), 0);
    assert_string_equal(emu_str(p, "name"), "Spring Webinar 2");
    assert_string_equal(emu_str(p, "description"), "Renamed");
    const cJSON *costs = cJSON_GetObjectItemCaseSensitive(p, "costs");
    assert_int_equal(cJSON_GetArraySize(costs), 2); /* appended */
    assert_int_equal(ft_int(cJSON_GetArrayItem(costs, 1), "cost"), 300);
    const cJSON *tag = cJSON_GetArrayItem(cJSON_GetObjectItemCaseSensitive(p, "tags"), 0);
    assert_string_equal(emu_str(tag, "tagValue"), "EMEA");
    assert_non_null(strstr(emu_str(p, "updatedAt"), "Z+0000"));
    cJSON_Delete(j);
    j = update_program(c, "/rest/asset/v1/program/2001.json",
                       "costsDestructiveUpdate=TRUE"
                       "&costs=%5B%7B%22startDate%22:%222026-05-01%22,%22cost%22:7%7D%5D");
    costs = cJSON_GetObjectItemCaseSensitive(cJSON_GetArrayItem(ft_ok(j), 0), "costs");
    assert_int_equal(cJSON_GetArraySize(costs), 1); /* replaced */
    cJSON_Delete(j);

    emu_expect_error(update_program(c, "/rest/asset/v1/program/4.json", "name=X"), "702");
    emu_expect_error(update_program(c, "/rest/asset/v1/program/x.json", "name=X"), "1001");
    emu_expect_error(update_program(c, "/rest/asset/v1/program/2001.json", "costs=%7B%7D"), "1003");
    emu_expect_error(update_program(c, "/rest/asset/v1/program/2001.json",
                                   "tags=%5B%7B%22tagType%22:%22Region%22,%22tagValue%22:%22Mars%22%7D%5D"),
                    "709");
    /* A boolean that is not one is refused, and changes nothing (it used to
     * mean false and append). */
    emu_expect_error(update_program(c, "/rest/asset/v1/program/2001.json",
                                   "costsDestructiveUpdate=yes&name=Changed"),
                    "1001");
    j = emu_get(c, "/rest/asset/v1/program/2001.json");
    assert_string_equal(emu_str(cJSON_GetArrayItem(ft_ok(j), 0), "name"), "Spring Webinar 2");
    cJSON_Delete(j);
}

static void test_bad_input(void **state)
{
    ft_ctx *c = *state;
    emu_reset(c);
    /* Parameters full of odd bytes never crash a lookup. */
    ft_expect_no_assets(emu_get(c, "/rest/asset/v1/channel/byName.json?name=%%ff%%fe%%00%%01"));
    ft_expect_no_assets(emu_get(c, "/rest/asset/v1/tagType/byName.json?name=%%22%%5C%%27"));
    emu_expect_error(emu_get(c, "/rest/asset/v1/programs.json?maxReturn=99999999999999999999"), "1003");
    emu_expect_error(emu_get(c, "/rest/asset/v1/programs.json?offset=-5"), "1003");
    /* Booleans are true or false (anything else used to mean false). */
    emu_expect_error(emu_get(c, "/rest/asset/v1/program/byName.json?name=Spring%%20Webinar"
                              "&includeTags=yes"), "1001");
    emu_expect_error(emu_get(c, "/rest/asset/v1/program/byName.json?name=Spring%%20Webinar"
                              "&includeCosts=1"), "1001");
    emu_expect_error(emu_get(c, "/rest/asset/v1/smartCampaigns.json?isActive=maybe"), "1001");
    cJSON *k = emu_get(c, "/rest/asset/v1/smartCampaigns.json?isActive=FALSE&maxReturn=200");
    assert_int_equal(ft_count(ft_ok(k)), 8);
    cJSON_Delete(k);
    /* A POST where only GET exists. */
    long st;
    cJSON *j = ft_call(c, "POST", "/rest/asset/v1/channels.json", "application/json", "{}", 2, &st);
    assert_int_equal(st, 200);
    emu_expect_error(j, "605");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_channels),
        cmocka_unit_test(test_tag_types),
        cmocka_unit_test(test_programs_browse),
        cmocka_unit_test(test_program_lookups),
        cmocka_unit_test(test_program_update),
        cmocka_unit_test(test_bad_input),
    };
    return ts_run_tests(tests, ft_setup, ft_teardown);
}
