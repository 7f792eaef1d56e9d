/*
 * test_emu_lists.c — static lists of marketo-emulator over real HTTP: list
 * queries and paging, members by list (both paths), add/remove/ismember with
 * every per-record and request-level outcome, a lead's lists, the Asset API
 * views, the activities the writes log, and bad input.
 *
 * Seed facts used (emulator/seed/default.json): lists 3001–3007; 3001
 * has leads 1–5, 3002 leads 1–2, 3004 leads 1,3,5,7,9, 3005 is empty; leads
 * 1–20 exist.
 */
#include "famtest.h"

static void test_lists_paging_to_last_page(void **state)
{
    ft_ctx *c = *state;
    emu_reset(c);
    int seen = 0, pages = 0;
    char *tok = NULL;
    do {
        cJSON *j = tok ? emu_get(c, "/rest/v1/lists.json?batchSize=3&nextPageToken=%s", tok)
                       : emu_get(c, "/rest/v1/lists.json?batchSize=3");
        cJSON *res = ft_ok(j);
        seen += ft_count(res);
        pages++;
        /* SPEC: lists carry nextPageToken but no moreResult. */
        assert_null(cJSON_GetObjectItemCaseSensitive(j, "moreResult"));
        const cJSON *first = cJSON_GetArrayItem(res, 0);
        assert_non_null(emu_str(first, "name"));
        assert_non_null(emu_str(first, "programName"));
        assert_string_equal(emu_str(first, "workspaceName"), "Default");
        free(tok);
        tok = ft_token(j);
        cJSON_Delete(j);
    } while (tok);
    assert_int_equal(seen, 7);
    assert_int_equal(pages, 3);
}

static void test_lists_filters(void **state)
{
    ft_ctx *c = *state;
    emu_reset(c);
    cJSON *j = emu_get(c, "/rest/v1/lists.json?name=webinar%%20registrants");
    cJSON *res = ft_ok(j);
    assert_int_equal(ft_count(res), 1);
    assert_int_equal(ft_int(cJSON_GetArrayItem(res, 0), "id"), 3001);
    cJSON_Delete(j);

    j = emu_get(c, "/rest/v1/lists.json?programName=Spring%%20Webinar");
    assert_int_equal(ft_count(ft_ok(j)), 2);
    cJSON_Delete(j);

    j = emu_get(c, "/rest/v1/lists.json?id=3001&id=3003,3007");
    assert_int_equal(ft_count(ft_ok(j)), 3);
    cJSON_Delete(j);

    j = emu_get(c, "/rest/v1/lists.json?workspaceName=Default&name=Nope");
    assert_int_equal(ft_count(ft_ok(j)), 0);
    cJSON_Delete(j);

    emu_expect_error(emu_get(c, "/rest/v1/lists.json?id=abc"), "1001");
    emu_expect_error(emu_get(c, "/rest/v1/lists.json?batchSize=301"), "1003");
    emu_expect_error(emu_get(c, "/rest/v1/lists.json?batchSize=0"), "1003");
    emu_expect_error(emu_get(c, "/rest/v1/lists.json?nextPageToken=garbage!!"), "1003");
}

static void test_list_by_id(void **state)
{
    ft_ctx *c = *state;
    emu_reset(c);
    cJSON *j = emu_get(c, "/rest/v1/lists/3004.json");
    cJSON *res = ft_ok(j);
    assert_int_equal(ft_count(res), 1);
    const cJSON *l = cJSON_GetArrayItem(res, 0);
    assert_string_equal(emu_str(l, "name"), "Newsletter Subscribers");
    assert_non_null(emu_str(l, "createdAt"));
    assert_null(cJSON_GetObjectItemCaseSensitive(l, "folder")); /* REST v1 shape only */
    cJSON_Delete(j);
    emu_expect_error(emu_get(c, "/rest/v1/lists/9999.json"), "1013");
    emu_expect_error(emu_get(c, "/rest/v1/lists/abc.json"), "1001");
}

static void test_leads_by_list_paging_and_fields(void **state)
{
    ft_ctx *c = *state;
    emu_reset(c);
    int64_t ids[8];
    int n = 0, pages = 0;
    char *tok = NULL;
    do {
        cJSON *j = tok ? emu_get(c, "/rest/v1/lists/3001/leads.json?batchSize=2&nextPageToken=%s", tok)
                       : emu_get(c, "/rest/v1/lists/3001/leads.json?batchSize=2");
        cJSON *res = ft_ok(j);
        const cJSON *it;
        cJSON_ArrayForEach(it, res) {
            assert_true(n < 8);
            ids[n++] = ft_int(it, "id");
            /* Default fields (SPEC): email, updatedAt, createdAt, lastName, firstName, id. */
            assert_non_null(emu_str(it, "email"));
            assert_non_null(cJSON_GetObjectItemCaseSensitive(it, "firstName"));
            assert_non_null(emu_str(it, "updatedAt"));
        }
        free(tok);
        tok = ft_token(j);
        /* moreResult is documented on this path and agrees with the token. */
        assert_int_equal(cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(j, "moreResult")),
                         tok != NULL);
        pages++;
        cJSON_Delete(j);
    } while (tok);
    assert_int_equal(n, 5);
    assert_int_equal(pages, 3);
    for (int i = 0; i < 5; i++)
        assert_int_equal(ids[i], i + 1);

    cJSON *j = emu_get(c, "/rest/v1/list/3002/leads.json?fields=email,LEADSCORE");
    cJSON *res = ft_ok(j);
    assert_int_equal(ft_count(res), 2);
    const cJSON *l = cJSON_GetArrayItem(res, 0);
    assert_non_null(cJSON_GetObjectItemCaseSensitive(l, "leadScore")); /* REST spelling */
    assert_null(cJSON_GetObjectItemCaseSensitive(l, "firstName"));
    assert_null(cJSON_GetObjectItemCaseSensitive(j, "moreResult")); /* legacy path */
    cJSON_Delete(j);

    j = emu_get(c, "/rest/v1/lists/3005/leads.json");
    assert_int_equal(ft_count(ft_ok(j)), 0);
    assert_null(emu_str(j, "nextPageToken"));
    cJSON_Delete(j);

    emu_expect_error(emu_get(c, "/rest/v1/lists/3001/leads.json?fields=email,noSuchField"), "1006");
    emu_expect_error(emu_get(c, "/rest/v1/lists/9999/leads.json"), "1013");
    emu_expect_error(emu_get(c, "/rest/v1/lists/3001/leads.json?batchSize=1000"), "1003");
    emu_expect_error(emu_get(c, "/rest/v1/lists/3001/leads.json?nextPageToken=%%ff%%fe"), "1003");
}

static void test_add_remove_ismember(void **state)
{
    ft_ctx *c = *state;
    emu_reset(c);
    cJSON *j = ft_post(c, "/rest/v1/lists/3005/leads.json?id=10&id=11,999999", NULL);
    cJSON *res = ft_ok(j);
    assert_int_equal(ft_count(res), 3);
    ft_expect_item(res, 0, "added", NULL);
    ft_expect_item(res, 1, "added", NULL);
    ft_expect_item(res, 2, "skipped", "1004");
    assert_int_equal(ft_int(cJSON_GetArrayItem(res, 2), "id"), 999999);
    cJSON_Delete(j);

    /* JSON body form; adding a member again still answers "added". */
    j = ft_post(c, "/rest/v1/lists/3005/leads.json", "{\"input\":[{\"id\":10},{\"id\":12}]}");
    res = ft_ok(j);
    ft_expect_item(res, 0, "added", NULL);
    ft_expect_item(res, 1, "added", NULL);
    cJSON_Delete(j);

    j = emu_get(c, "/rest/v1/lists/3005/leads/ismember.json?id=10&id=13&id=999999");
    res = ft_ok(j);
    ft_expect_item(res, 0, "memberof", NULL);
    ft_expect_item(res, 1, "notmemberof", NULL);
    ft_expect_item(res, 2, "skipped", "1004");
    cJSON_Delete(j);

    j = ft_send(c, "DELETE", "/rest/v1/lists/3005/leads.json?id=10,13,999999", NULL);
    res = ft_ok(j);
    ft_expect_item(res, 0, "removed", NULL);
    ft_expect_item(res, 1, "skipped", "1015");
    ft_expect_item(res, 2, "skipped", "1004");
    cJSON_Delete(j);

    /* Remove with the JSON body the SPEC also declares. */
    j = ft_send(c, "DELETE", "/rest/v1/lists/3005/leads.json", "{\"input\":[{\"id\":11}]}");
    ft_expect_item(ft_ok(j), 0, "removed", NULL);
    cJSON_Delete(j);

    j = emu_get(c, "/rest/v1/lists/3005/leads.json");
    res = ft_ok(j);
    assert_int_equal(ft_count(res), 1);
    assert_int_equal(ft_int(cJSON_GetArrayItem(res, 0), "id"), 12);
    cJSON_Delete(j);
}

static void test_list_op_errors(void **state)
{
    ft_ctx *c = *state;
    emu_reset(c);
    emu_expect_error(ft_post(c, "/rest/v1/lists/9999/leads.json?id=1", NULL), "1013");
    emu_expect_error(ft_post(c, "/rest/v1/lists/3005/leads.json", NULL), "701");
    emu_expect_error(ft_post(c, "/rest/v1/lists/3005/leads.json?id=1,x", NULL), "1001");
    emu_expect_error(emu_get(c, "/rest/v1/lists/3005/leads/ismember.json"), "701");
    emu_expect_error(ft_send(c, "DELETE", "/rest/v1/lists/3005/leads.json?id=1.5", NULL), "1001");

    /* 301 ids: over the documented 300. */
    size_t cap = 301 * 8 + 64;
    char *path = malloc(cap);
    size_t off = (size_t)snprintf(path, cap, "/rest/v1/lists/3005/leads.json?id=");
    for (int i = 1; i <= 301; i++)
        off += (size_t)snprintf(path + off, cap - off, i > 1 ? ",%d" : "%d", i);
    emu_expect_error(ft_post(c, path, NULL), "1003");
    free(path);

    /* 300 is fine: lead 1 is added, ids no seed uses are skipped per record. */
    cJSON *body = cJSON_CreateObject();
    cJSON *in = cJSON_AddArrayToObject(body, "input");
    for (int i = 0; i < 300; i++) {
        cJSON *o = cJSON_CreateObject();
        cJSON_AddNumberToObject(o, "id", i == 0 ? 1 : 900000 + i);
        cJSON_AddItemToArray(in, o);
    }
    char *txt = cJSON_PrintUnformatted(body);
    cJSON *j = ft_post(c, "/rest/v1/lists/3005/leads.json", txt);
    cJSON *res = ft_ok(j);
    assert_int_equal(ft_count(res), 300);
    ft_expect_item(res, 0, "added", NULL);
    ft_expect_item(res, 299, "skipped", "1004");
    cJSON_Delete(j);
    free(txt);
    cJSON_Delete(body);
}

static void test_lead_list_membership(void **state)
{
    ft_ctx *c = *state;
    emu_reset(c);
    cJSON *j = emu_get(c, "/rest/v1/leads/1/listMembership.json");
    cJSON *res = ft_ok(j);
    assert_int_equal(ft_count(res), 3);
    assert_int_equal(ft_int(cJSON_GetArrayItem(res, 0), "listId"), 3001);
    assert_int_equal(ft_int(cJSON_GetArrayItem(res, 2), "listId"), 3004);
    assert_non_null(emu_str(cJSON_GetArrayItem(res, 0), "createdAt"));
    cJSON_Delete(j);

    int seen = 0;
    char *tok = NULL;
    do {
        j = tok ? emu_get(c, "/rest/v1/leads/1/listMembership.json?batchSize=1&nextPageToken=%s", tok)
                : emu_get(c, "/rest/v1/leads/1/listMembership.json?batchSize=1");
        seen += ft_count(ft_ok(j));
        free(tok);
        tok = ft_token(j);
        cJSON_Delete(j);
    } while (tok);
    assert_int_equal(seen, 3);

    j = emu_get(c, "/rest/v1/leads/987654/listMembership.json");
    assert_int_equal(ft_count(ft_ok(j)), 0);
    cJSON_Delete(j);
}

/* Add to List → ismember → activities show Add to List (24), Remove (25). */
static void test_read_after_write_activities(void **state)
{
    ft_ctx *c = *state;
    emu_reset(c);
    char *mark = ft_activity_mark(c);
    cJSON *j = ft_post(c, "/rest/v1/lists/3005/leads.json?id=15", NULL);
    ft_expect_item(ft_ok(j), 0, "added", NULL);
    cJSON_Delete(j);
    j = emu_get(c, "/rest/v1/lists/3005/leads/ismember.json?id=15");
    ft_expect_item(ft_ok(j), 0, "memberof", NULL);
    cJSON_Delete(j);
    /* A second add changes nothing and logs nothing. */
    cJSON_Delete(ft_post(c, "/rest/v1/lists/3005/leads.json?id=15", NULL));
    cJSON_Delete(ft_send(c, "DELETE", "/rest/v1/lists/3005/leads.json?id=15", NULL));

    cJSON *acts = ft_activities_since(c, mark, "24,25");
    int adds = 0, removes = 0;
    const cJSON *a;
    cJSON_ArrayForEach(a, acts) {
        assert_int_equal(ft_int(a, "leadId"), 15);
        assert_int_equal(ft_int(a, "primaryAttributeValueId"), 3005);
        assert_string_equal(emu_str(a, "primaryAttributeValue"), "Import Target");
        if (ft_int(a, "activityTypeId") == 24)
            adds++;
        else if (ft_int(a, "activityTypeId") == 25)
            removes++;
    }
    assert_int_equal(adds, 1);
    assert_int_equal(removes, 1);
    cJSON_Delete(acts);
    free(mark);
}

/* Deleting a lead through the core removes it from its lists (hook). */
static void test_deleted_lead_leaves_lists(void **state)
{
    ft_ctx *c = *state;
    emu_reset(c);
    cJSON *j = ft_post(c, "/rest/v1/leads/delete.json", "{\"input\":[{\"id\":2}]}");
    ft_ok(j);
    cJSON_Delete(j);
    j = emu_get(c, "/rest/v1/lists/3002/leads.json");
    cJSON *res = ft_ok(j);
    assert_int_equal(ft_count(res), 1);
    assert_int_equal(ft_int(cJSON_GetArrayItem(res, 0), "id"), 1);
    cJSON_Delete(j);
}

static void test_asset_static_lists(void **state)
{
    ft_ctx *c = *state;
    emu_reset(c);
    cJSON *j = emu_get(c, "/rest/asset/v1/staticList/byName.json?name=Blog%%20Readers");
    cJSON *res = ft_ok(j);
    const cJSON *l = cJSON_GetArrayItem(res, 0);
    assert_int_equal(ft_int(l, "id"), 3006);
    assert_string_equal(emu_str(l, "workspace"), "Default");
    assert_int_equal(ft_int(cJSON_GetObjectItemCaseSensitive(l, "folder"), "id"), 2005);
    assert_non_null(emu_str(l, "url"));
    cJSON_Delete(j);

    j = emu_get(c, "/rest/asset/v1/staticList/3001.json");
    assert_string_equal(emu_str(cJSON_GetArrayItem(ft_ok(j), 0), "name"), "Webinar Registrants");
    cJSON_Delete(j);

    ft_expect_no_assets(emu_get(c, "/rest/asset/v1/staticList/byName.json?name=Nope"));
    ft_expect_no_assets(emu_get(c, "/rest/asset/v1/staticList/42.json"));
    emu_expect_error(emu_get(c, "/rest/asset/v1/staticList/byName.json"), "701");

    j = emu_get(c, "/rest/asset/v1/staticLists.json?maxReturn=5");
    assert_int_equal(ft_count(ft_ok(j)), 5);
    cJSON_Delete(j);
    j = emu_get(c, "/rest/asset/v1/staticLists.json?maxReturn=5&offset=5");
    assert_int_equal(ft_count(ft_ok(j)), 2);
    cJSON_Delete(j);
    ft_expect_no_assets(emu_get(c, "/rest/asset/v1/staticLists.json?offset=7"));
    j = emu_get(c, "/rest/asset/v1/staticLists.json?folder=%%7B%%22id%%22:2001,%%22type%%22:%%22Program%%22%%7D");
    assert_int_equal(ft_count(ft_ok(j)), 2);
    cJSON_Delete(j);
    emu_expect_error(emu_get(c, "/rest/asset/v1/staticLists.json?folder=notjson"), "1003");
    emu_expect_error(emu_get(c, "/rest/asset/v1/staticLists.json?maxReturn=201"), "1003");
}

/* Malformed and unexpected input gets a documented error, never a crash. */
static void test_bad_input(void **state)
{
    ft_ctx *c = *state;
    emu_reset(c);
    long st;
    ft_expect_bad_bodies(c, "/rest/v1/lists/3005/leads.json");
    /* Wrong JSON shapes. */
    emu_expect_error(ft_post(c, "/rest/v1/lists/3005/leads.json", "{\"input\":{\"id\":1}}"), "1003");
    emu_expect_error(ft_post(c, "/rest/v1/lists/3005/leads.json", "{\"input\":[{\"id\":\"x\"}]}"),
                    "1001");
    /* Unknown members in the body are ignored, as Marketo does. */
    cJSON *j = ft_post(c, "/rest/v1/lists/3005/leads.json",
                       "{\"input\":[{\"id\":3,\"bogus\":true}],\"extra\":1}");
    ft_expect_item(ft_ok(j), 0, "added", NULL);
    cJSON_Delete(j);
    /* POST ?_method=GET with a form body, as clients do for long queries. */
    const char *form = "id=1&id=4";
    j = ft_call(c, "POST", "/rest/v1/lists/3001/leads/ismember.json?_method=GET",
                "application/x-www-form-urlencoded", form, strlen(form), &st);
    assert_int_equal(st, 200);
    cJSON *res = ft_ok(j);
    ft_expect_item(res, 0, "memberof", NULL);
    ft_expect_item(res, 1, "memberof", NULL);
    cJSON_Delete(j);
    /* A negative id is a per-record miss; ids no store can hold are invalid. */
    j = emu_get(c, "/rest/v1/lists/3001/leads/ismember.json?id=-5");
    ft_expect_item(ft_ok(j), 0, "skipped", "1004");
    cJSON_Delete(j);
    emu_expect_error(emu_get(c, "/rest/v1/lists/3001/leads/ismember.json?id=9223372036854775807"),
                    "1001");
    emu_expect_error(emu_get(c, "/rest/v1/lists/3001/leads/ismember.json?id=99999999999999999999"),
                    "1001");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_lists_paging_to_last_page),
        cmocka_unit_test(test_lists_filters),
        cmocka_unit_test(test_list_by_id),
        cmocka_unit_test(test_leads_by_list_paging_and_fields),
        cmocka_unit_test(test_add_remove_ismember),
        cmocka_unit_test(test_list_op_errors),
        cmocka_unit_test(test_lead_list_membership),
        cmocka_unit_test(test_read_after_write_activities),
        cmocka_unit_test(test_deleted_lead_leaves_lists),
        cmocka_unit_test(test_asset_static_lists),
        cmocka_unit_test(test_bad_input),
    };
    return ts_run_tests(tests, ft_setup, ft_teardown);
}
