/*
 * test_lists_campaigns.c — listOperation, importToList,
 * getImportToListStatus, requestCampaign, scheduleCampaign and
 * getCampaignsForSource end to end: signed SOAP requests to a real
 * mktows-shim that talks REST to a real marketo-emulator.  What the shim
 * wrote is read back through the emulator's REST API (membership, leads,
 * Add to List / Remove from List / Request Campaign activities, cloned
 * programs), and how many REST calls it made through /_emulator/stats.
 *
 * Every test starts from the emulator's seed (POST /_emulator/reset):
 * leads 1-20, static lists 3001-3007 with their members, campaigns
 * 1001-1007 of emulator/seed/default.json.  The seed facts a test
 * relies on are named where they are used.  Imports step Queued ->
 * Importing -> Complete every 300 ms (MKTOWS_EMU_IMPORT_STEP_MS).
 *
 * The restart test stops the shim between importToList and
 * getImportToListStatus and starts it again on the same import_db.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>

#include "soapstack.h"

/* Seed facts. */
#define LIST_REGISTRANTS 3001      /* "Webinar Registrants", Spring Webinar: 1,2,3,4,5 */
#define LIST_ATTENDEES 3002        /* "Webinar Attendees", Spring Webinar: 1,2 */
#define LIST_IMPORT 3005           /* "Import Target", Spring Newsletter: empty */
#define CAMPAIGN_CONFIRMATION 1002 /* "Webinar Confirmation", Spring Webinar, requestable */
#define CAMPAIGN_NEWSLETTER 1001   /* "Spring Newsletter Send", batch */

#define ADD_CALLS "POST /rest/v1/lists/{listId}/leads.json"
#define REMOVE_CALLS "DELETE /rest/v1/lists/{listId}/leads.json"
#define ISMEMBER_CALLS "GET /rest/v1/lists/{listId}/leads/ismember.json"
#define MEMBERS_CALLS "GET /rest/v1/lists/{listId}/leads.json"
#define LISTS_CALLS "GET /rest/v1/lists.json"
#define CAMPAIGNS_CALLS "GET /rest/v1/campaigns.json"
#define TRIGGER_CALLS "POST /rest/v1/campaigns/{campaignId}/trigger.json"
#define SCHEDULE_CALLS "POST /rest/v1/campaigns/{campaignId}/schedule.json"
#define BULK_CALLS "POST /bulk/v1/leads.json"
#define BATCH_CALLS "GET /bulk/v1/leads/batch/{batchId}.json"

static ss_stack stack;

static char *call(const char *body) { return ss_call(&stack, body); }
static char *call_fault(const char *body, int code) { return ss_call_fault(&stack, body, code); }
static void expect_fault_saying(const char *body, int code, const char *words)
{
    ss_expect_call_fault(&stack, body, code, words);
}
static long stat_calls(const char *route) { return ss_emu_calls(&stack, route); }

/* ---- the emulator's REST side ---------------------------------------------------- */

static cJSON *rest(const char *method, const char *path, const char *json)
{
    return ss_rest(&stack, method, path, json);
}

/* Is lead a member of list, per REST? */
static bool rest_member(long list, long long lead)
{
    char *p = ts_fmt("/rest/v1/lists/%ld/leads/ismember.json?id=%lld", list, lead);
    cJSON *j = rest("GET", p, NULL);
    free(p);
    const cJSON *st = cJSON_GetObjectItem(cJSON_GetArrayItem(cJSON_GetObjectItem(j, "result"), 0),
                                          "status");
    bool m = cJSON_IsString(st) && strcmp(st->valuestring, "memberof") == 0;
    cJSON_Delete(j);
    return m;
}

/* Number of members of list, paging REST to the end. */
static int rest_member_count(long list)
{
    int n = 0;
    char *tok = NULL;
    for (;;) {
        char *p = tok ? ts_fmt("/rest/v1/lists/%ld/leads.json?fields=id&batchSize=300&nextPageToken=%s",
                               list, tok)
                      : ts_fmt("/rest/v1/lists/%ld/leads.json?fields=id&batchSize=300", list);
        cJSON *j = rest("GET", p, NULL);
        free(p);
        free(tok);
        tok = NULL;
        n += cJSON_GetArraySize(cJSON_GetObjectItem(j, "result"));
        const cJSON *next = cJSON_GetObjectItem(j, "nextPageToken");
        const cJSON *more = cJSON_GetObjectItem(j, "moreResult");
        if (cJSON_IsTrue(more) && cJSON_IsString(next))
            tok = strdup(next->valuestring);
        cJSON_Delete(j);
        if (!tok)
            return n;
    }
}

/* Activities of one type for one lead whose primary attribute is asset_id. */
static int rest_activities(int type, long long lead, long asset_id)
{
    cJSON *j = rest("GET", "/rest/v1/activities/pagingtoken.json?sinceDatetime=2020-01-01T00:00:00Z",
                    NULL);
    char *tok = strdup(cJSON_GetObjectItem(j, "nextPageToken")->valuestring);
    cJSON_Delete(j);
    int n = 0;
    for (;;) {
        char *p = ts_fmt("/rest/v1/activities.json?nextPageToken=%s&activityTypeIds=%d&leadIds=%lld",
                         tok, type, lead);
        j = rest("GET", p, NULL);
        free(p);
        const cJSON *a;
        cJSON_ArrayForEach(a, cJSON_GetObjectItem(j, "result")) {
            const cJSON *pid = cJSON_GetObjectItem(a, "primaryAttributeValueId");
            if (cJSON_IsNumber(pid) && (long)pid->valuedouble == asset_id)
                n++;
        }
        free(tok);
        tok = NULL;
        const cJSON *next = cJSON_GetObjectItem(j, "nextPageToken");
        if (cJSON_IsTrue(cJSON_GetObjectItem(j, "moreResult")) && cJSON_IsString(next))
            tok = strdup(next->valuestring);
        cJSON_Delete(j);
        if (!tok)
            return n;
    }
}

static char *rest_lead_field(const char *email, const char *field)
{
    char *p = ts_fmt("/rest/v1/leads.json?filterType=email&filterValues=%s&fields=%s", email, field);
    cJSON *j = rest("GET", p, NULL);
    free(p);
    const cJSON *v = cJSON_GetObjectItem(cJSON_GetArrayItem(cJSON_GetObjectItem(j, "result"), 0),
                                         field);
    char *out = cJSON_IsString(v) ? strdup(v->valuestring) : NULL;
    cJSON_Delete(j);
    return out;
}

/* Create n leads lc-<tag>-<i>@example.com over REST; their ids into ids. */
static void rest_create_leads(const char *tag, int n, long long *ids)
{
    for (int start = 0; start < n; start += 300) {
        int cnt = n - start < 300 ? n - start : 300;
        ts_buf b = {0};
        ts_buf_add(&b, "{\"action\":\"createOnly\",\"input\":[");
        for (int i = 0; i < cnt; i++)
            ts_buf_add(&b, "%s{\"email\":\"lc-%s-%d@example.com\"}", i ? "," : "", tag, start + i);
        ts_buf_add(&b, "]}");
        cJSON *j = rest("POST", "/rest/v1/leads.json", b.s);
        free(b.s);
        int k = 0;
        const cJSON *it;
        cJSON_ArrayForEach(it, cJSON_GetObjectItem(j, "result")) {
            const cJSON *id = cJSON_GetObjectItem(it, "id");
            assert_true(cJSON_IsNumber(id));
            ids[start + k++] = (long long)id->valuedouble;
        }
        assert_int_equal(k, cnt);
        cJSON_Delete(j);
    }
}

/* ---- fixtures ----------------------------------------------------------------------- */

/* Every test starts from the seed, the shim's REST token renewed (ss_test_reset). */
static int group_setup(void **state)
{
    setenv("MKTOWS_EMU_IMPORT_STEP_MS", "300", 1);
    static const char *const no_rate_limit[] = {"--rate-limit", "off", NULL};
    ss_options o = {
        .emulator_args = no_rate_limit,
        .import_db = true,
        .config = "{\"workers\": 4, \"timeouts\": {\"request_seconds\": 60}}",
        .warmup = SS_GET_LEAD_1,
    };
    *state = &stack;
    return ss_start(&stack, &o);
}

/* ---- listOperation ------------------------------------------------------------------- */

static char *list_op(const char *op, const char *key_type, const char *list, const char *strict,
                     const long long *ids, int n)
{
    ts_buf b = {0};
    ts_buf_add(&b, "<ns1:paramsListOperation><listOperation>%s</listOperation>"
               "<listKey><keyType>%s</keyType><keyValue>%s</keyValue></listKey><listMemberList>",
               op, key_type, list);
    for (int i = 0; i < n; i++)
        ts_buf_add(&b, "<leadKey><keyType>IDNUM</keyType><keyValue>%lld</keyValue></leadKey>", ids[i]);
    ts_buf_add(&b, "</listMemberList>%s</ns1:paramsListOperation>", strict ? strict : "");
    return b.s;
}

/* The k-th leadStatus: its key value and status. */
static void assert_status(const char *doc, int k, const char *key, const char *status)
{
    char *ls = ss_xml_inner(doc, "leadStatus", k);
    if (!ls)
        fail_msg("no leadStatus %d in %s", k, doc);
    ss_assert_text(ls, "keyType", "IDNUM");
    ss_assert_text(ls, "keyValue", key);
    ss_assert_text(ls, "status", status);
    free(ls);
}

static void test_ismember_statuses_in_request_order(void **state)
{
    (void)state;
    /* 1 is a member, 9 is not, 99999 does not exist, "abc" is no id. */
    const char *body =
        "<ns1:paramsListOperation><listOperation>ISMEMBEROFLIST</listOperation>"
        "<listKey><keyType>MKTOLISTNAME</keyType><keyValue>Webinar Registrants</keyValue></listKey>"
        "<listMemberList>"
        "<leadKey><keyType>IDNUM</keyType><keyValue>9</keyValue></leadKey>"
        "<leadKey><keyType>IDNUM</keyType><keyValue>1</keyValue></leadKey>"
        "<leadKey><keyType>IDNUM</keyType><keyValue>99999</keyValue></leadKey>"
        "<leadKey><keyType>IDNUM</keyType><keyValue>abc</keyValue></leadKey>"
        "<leadKey><keyType>IDNUM</keyType><keyValue>1</keyValue></leadKey>"
        "</listMemberList><strict>false</strict></ns1:paramsListOperation>";
    char *r = call(body);
    ss_assert_text(r, "success", "false");
    assert_int_equal(ts_count(r, "<leadStatus>"), 5);
    assert_status(r, 0, "9", "false");
    assert_status(r, 1, "1", "true");
    assert_status(r, 2, "99999", "false");
    assert_status(r, 3, "abc", "false");
    assert_status(r, 4, "1", "true");
    free(r);
    /* One REST call for the three distinct ids, one for the name. */
    assert_int_equal(stat_calls(ISMEMBER_CALLS), 1);
    assert_int_equal(stat_calls(LISTS_CALLS), 1);

    /* All members: success true, and the statuses are still listed. */
    long long all[] = {1, 2, 3, 4, 5};
    char *b2 = list_op("ISMEMBEROFLIST", "MKTOLISTNAME", "Webinar Registrants", NULL, all, 5);
    r = call(b2);
    ss_assert_text(r, "success", "true");
    assert_int_equal(ts_count(r, "<leadStatus>"), 5);
    free(r);
    free(b2);
    /* The name was cached: still one lookup. */
    assert_int_equal(stat_calls(LISTS_CALLS), 1);
}

static void test_add_then_read_back(void **state)
{
    (void)state;
    long long ids[] = {9, 10};
    assert_false(rest_member(LIST_ATTENDEES, 9));
    char *b = list_op("ADDTOLIST", "MKTOLISTNAME", "Webinar Attendees", "<strict>false</strict>",
                      ids, 2);
    char *r = call(b);
    /* Marketo's captured answer to a fully successful ADDTOLIST. */
    ss_assert_text(r, "success", "true");
    assert_non_null(strstr(r, "<statusList xsi:nil=\"true\"/>"));
    free(r);
    free(b);
    assert_true(rest_member(LIST_ATTENDEES, 9));
    assert_true(rest_member(LIST_ATTENDEES, 10));
    assert_int_equal(rest_activities(24, 9, LIST_ATTENDEES), 1);   /* Add to List */
    assert_int_equal(stat_calls(ADD_CALLS), 1);

    /* ... and the shim sees it too. */
    b = list_op("ISMEMBEROFLIST", "MKTOLISTNAME", "Webinar Attendees", NULL, ids, 2);
    r = call(b);
    ss_assert_text(r, "success", "true");
    assert_status(r, 0, "9", "true");
    assert_status(r, 1, "10", "true");
    free(r);
    free(b);
}

static void test_add_with_unknown_lead_is_partial(void **state)
{
    (void)state;
    long long ids[] = {11, 99999};
    char *b = list_op("ADDTOLIST", "MKTOLISTID", "3002", NULL, ids, 2);
    char *r = call(b);
    ss_assert_text(r, "success", "false");
    assert_int_equal(ts_count(r, "<leadStatus>"), 2);
    assert_status(r, 0, "11", "true");
    assert_status(r, 1, "99999", "false");
    free(r);
    free(b);
    assert_true(rest_member(LIST_ATTENDEES, 11));
    assert_int_equal(stat_calls(LISTS_CALLS), 0);   /* by id: no lookup */
}

static void test_strict_add_changes_nothing(void **state)
{
    (void)state;
    long long ids[] = {12, 99999};
    char *b = list_op("ADDTOLIST", "MKTOLISTNAME", "Webinar Attendees", "<strict>true</strict>",
                      ids, 2);
    expect_fault_saying(b, 20103, "99999");
    free(b);
    assert_false(rest_member(LIST_ATTENDEES, 12));
    assert_int_equal(stat_calls(ADD_CALLS), 0);
    assert_int_equal(rest_activities(24, 12, LIST_ATTENDEES), 0);

    /* A member key that is no id: refused before any REST call. */
    b = "<ns1:paramsListOperation><listOperation>ADDTOLIST</listOperation><strict>true</strict>"
        "<listKey><keyType>MKTOLISTNAME</keyType><keyValue>Webinar Attendees</keyValue></listKey>"
        "<listMemberList><leadKey><keyType>IDNUM</keyType><keyValue>12</keyValue></leadKey>"
        "<leadKey><keyType>IDNUM</keyType><keyValue>x1</keyValue></leadKey></listMemberList>"
        "</ns1:paramsListOperation>";
    expect_fault_saying(b, 20102, "x1");
    assert_false(rest_member(LIST_ATTENDEES, 12));

    /* All good: strict succeeds and writes. */
    long long ok[] = {12, 13};
    b = list_op("ADDTOLIST", "MKTOLISTNAME", "Webinar Attendees", "<strict>true</strict>", ok, 2);
    char *r = call(b);
    free(b);
    ss_assert_text(r, "success", "true");
    free(r);
    assert_true(rest_member(LIST_ATTENDEES, 12));
    assert_true(rest_member(LIST_ATTENDEES, 13));
}

static void test_remove_strict_and_not(void **state)
{
    (void)state;
    /* 1 is a member of 3001, 9 is not. */
    long long ids[] = {1, 9};
    char *b = list_op("REMOVEFROMLIST", "MKTOLISTNAME", "Webinar Registrants",
                      "<strict>true</strict>", ids, 2);
    expect_fault_saying(b, 20110, "not members");
    free(b);
    assert_true(rest_member(LIST_REGISTRANTS, 1));
    assert_int_equal(stat_calls(REMOVE_CALLS), 0);

    b = list_op("REMOVEFROMLIST", "MKTOLISTNAME", "Webinar Registrants", "<strict>false</strict>",
                ids, 2);
    char *r = call(b);
    free(b);
    ss_assert_text(r, "success", "false");
    assert_status(r, 0, "1", "true");
    assert_status(r, 1, "9", "false");
    free(r);
    assert_false(rest_member(LIST_REGISTRANTS, 1));
    assert_int_equal(rest_activities(25, 1, LIST_REGISTRANTS), 1);   /* Remove from List */

    /* Removing what is there: success, statusList nil. */
    long long two[] = {2};
    b = list_op("REMOVEFROMLIST", "MKTOLISTNAME", "Webinar Registrants", NULL, two, 1);
    r = call(b);
    free(b);
    ss_assert_text(r, "success", "true");
    assert_non_null(strstr(r, "<statusList xsi:nil=\"true\"/>"));
    free(r);
}

/* 1,000 members (SOAP's limit) in REST calls of 300, read back to the end,
 * then CLEARLIST pages the members and removes them all. */
static void test_thousand_members_and_clearlist(void **state)
{
    (void)state;
    static long long ids[1001];
    rest_create_leads("k", 1001, ids);
    char *b = list_op("ADDTOLIST", "MKTOLISTNAME", "Import Target", NULL, ids, 1000);
    char *r = call(b);
    free(b);
    ss_assert_text(r, "success", "true");
    free(r);
    assert_int_equal(stat_calls(ADD_CALLS), 4);   /* 300 + 300 + 300 + 100 */
    assert_int_equal(rest_member_count(LIST_IMPORT), 1000);
    assert_false(rest_member(LIST_IMPORT, ids[1000]));   /* (one ismember call of its own) */

    b = list_op("ISMEMBEROFLIST", "MKTOLISTNAME", "Import Target", NULL, ids + 1, 1000);
    r = call(b);
    free(b);
    ss_assert_text(r, "success", "false");   /* ids[1000] is not a member */
    assert_int_equal(ts_count(r, "<status>true</status>"), 999);
    assert_int_equal(ts_count(r, "<status>false</status>"), 1);
    char last[32];
    snprintf(last, sizeof last, "%lld", ids[1000]);
    assert_status(r, 999, last, "false");
    free(r);
    assert_int_equal(stat_calls(ISMEMBER_CALLS), 1 + 4);

    /* 1,001 is over Marketo's limit. */
    b = list_op("ADDTOLIST", "MKTOLISTNAME", "Import Target", NULL, ids, 1001);
    expect_fault_saying(b, 20110, "1000");
    free(b);
    assert_int_equal(stat_calls(ADD_CALLS), 4);

    r = call("<ns1:paramsListOperation><listOperation>CLEARLIST</listOperation>"
             "<listKey><keyType>MKTOLISTNAME</keyType><keyValue>Import Target</keyValue></listKey>"
             "<listMemberList/></ns1:paramsListOperation>");
    ss_assert_text(r, "success", "true");
    assert_non_null(strstr(r, "<statusList xsi:nil=\"true\"/>"));
    free(r);
    assert_int_equal(rest_member_count(LIST_IMPORT), 0);
    assert_int_equal(stat_calls(MEMBERS_CALLS) >= 4, 1);   /* paged to the end */
    assert_int_equal(stat_calls(REMOVE_CALLS), 4);
    assert_int_equal(rest_activities(25, ids[999], LIST_IMPORT), 1);
}

static void test_list_faults(void **state)
{
    (void)state;
    long long one[] = {1};
    char *b = list_op("ISMEMBEROFLIST", "MKTOLISTNAME", "No Such List", NULL, one, 1);
    expect_fault_saying(b, 20111, "No Such List");
    free(b);
    b = list_op("ISMEMBEROFLIST", "MKTOLISTID", "999999", NULL, one, 1);
    expect_fault_saying(b, 20111, "999999");
    free(b);
    b = list_op("ISMEMBEROFLIST", "MKTOLISTID", "list-7", NULL, one, 1);
    expect_fault_saying(b, 20110, "list-7");
    free(b);
    b = list_op("ADDTOLIST", "MKTOSALESUSERID", "someone@example.com", NULL, one, 1);
    expect_fault_saying(b, 20110, "MKTOSALESUSERID");
    free(b);
    b = list_op("ADDTOLIST", "SFDCLEADOWNERID", "005000000000001", NULL, one, 1);
    expect_fault_saying(b, 20110, "SFDCLEADOWNERID");
    free(b);
    expect_fault_saying("<ns1:paramsListOperation><listOperation>ADDTOLIST</listOperation>"
                        "<listKey><keyType>MKTOLISTNAME</keyType><keyValue>Webinar Attendees"
                        "</keyValue></listKey><listMemberList><leadKey><keyType>EMAIL</keyType>"
                        "<keyValue>jdoe@example.com</keyValue></leadKey></listMemberList>"
                        "</ns1:paramsListOperation>", 20102, "IDNUM");
    expect_fault_saying("<ns1:paramsListOperation><listOperation>ADDTOLIST</listOperation>"
                        "<listKey><keyType>MKTOLISTNAME</keyType><keyValue>Webinar Attendees"
                        "</keyValue></listKey><listMemberList/></ns1:paramsListOperation>",
                        20101, NULL);
    expect_fault_saying("<ns1:paramsListOperation><listOperation>CLEARLIST</listOperation>"
                        "<listKey><keyType>MKTOLISTNAME</keyType><keyValue>Webinar Attendees"
                        "</keyValue></listKey><listMemberList><leadKey><keyType>IDNUM</keyType>"
                        "<keyValue>1</keyValue></leadKey></listMemberList>"
                        "</ns1:paramsListOperation>", 20110, "CLEARLIST");
    expect_fault_saying("<ns1:paramsListOperation><listOperation>ADDTOLIST</listOperation>"
                        "<listMemberList><leadKey><keyType>IDNUM</keyType><keyValue>1</keyValue>"
                        "</leadKey></listMemberList></ns1:paramsListOperation>", 20109, "listKey");
    /* Marketo 2_2's skipActivityLog: REST always logs, so true is refused;
     * false (or ISMEMBEROFLIST, which logs nothing) is fine. */
    expect_fault_saying("<ns1:paramsListOperation><listOperation>ADDTOLIST</listOperation>"
                        "<listKey><keyType>MKTOLISTNAME</keyType><keyValue>Webinar Attendees"
                        "</keyValue></listKey><listMemberList><leadKey><keyType>IDNUM</keyType>"
                        "<keyValue>9</keyValue></leadKey></listMemberList><strict>false</strict>"
                        "<skipActivityLog>true</skipActivityLog></ns1:paramsListOperation>",
                        20110, "skipActivityLog");
    free(call("<ns1:paramsListOperation><listOperation>ISMEMBEROFLIST</listOperation>"
              "<listKey><keyType>MKTOLISTNAME</keyType><keyValue>Webinar Attendees</keyValue>"
              "</listKey><listMemberList><leadKey><keyType>IDNUM</keyType><keyValue>9</keyValue>"
              "</leadKey></listMemberList><skipActivityLog>true</skipActivityLog>"
              "</ns1:paramsListOperation>"));
    /* Nothing was changed by any of them. */
    assert_int_equal(stat_calls(ADD_CALLS), 0);
    assert_int_equal(stat_calls(REMOVE_CALLS), 0);
    assert_true(rest_member(LIST_ATTENDEES, 1));
}

/* Marketo accepted <strict> before <listKey> (captured 2_4 traffic). */
static void test_elements_out_of_order(void **state)
{
    (void)state;
    char *r = call("<ns1:paramsListOperation><listOperation>ADDTOLIST</listOperation>"
                   "<strict>false</strict><listKey><keyType>MKTOLISTNAME</keyType>"
                   "<keyValue>Webinar Attendees</keyValue></listKey><listMemberList><leadKey>"
                   "<keyType>IDNUM</keyType><keyValue>14</keyValue></leadKey></listMemberList>"
                   "</ns1:paramsListOperation>");
    ss_assert_text(r, "success", "true");
    free(r);
    assert_true(rest_member(LIST_ATTENDEES, 14));
}

/* REST failures become the mapped fault and name REST's reason. */
static void test_rest_error_is_a_fault(void **state)
{
    (void)state;
    ss_emu_admin(&stack, "/_emulator/faults", "{\"error_code\":\"611\",\"error_share\":1.0}");
    long long one[] = {1};
    char *b = list_op("ISMEMBEROFLIST", "MKTOLISTID", "3001", NULL, one, 1);
    char *r = call_fault(b, 20011);
    assert_non_null(strstr(r, "611"));
    free(r);
    free(b);
    expect_fault_saying("<ns1:paramsGetCampaignsForSource><source>MKTOWS</source>"
                        "</ns1:paramsGetCampaignsForSource>", 20011, "611");
    expect_fault_saying("<ns1:paramsGetImportToListStatus><programName>Spring Webinar"
                        "</programName><listName>Webinar Attendees</listName>"
                        "</ns1:paramsGetImportToListStatus>", 20011, "611");
    ss_emu_admin(&stack, "/_emulator/faults", "{\"clear\":true}");
}

/* A seed where "Webinar Registrants" is list 3901 and "Webinar
 * Confirmation" campaign 1902 (malloc'd path). */
static char *seed_with_new_ids(void)
{
    cJSON *seed = ss_default_seed();
    cJSON *it;
    cJSON_ArrayForEach(it, cJSON_GetObjectItem(seed, "lists"))
        if ((long)cJSON_GetObjectItem(it, "id")->valuedouble == LIST_REGISTRANTS)
            cJSON_SetNumberValue(cJSON_GetObjectItem(it, "id"), 3901);
    cJSON_ArrayForEach(it, cJSON_GetObjectItem(seed, "listMembers"))
        if ((long)cJSON_GetObjectItem(it, "listId")->valuedouble == LIST_REGISTRANTS)
            cJSON_SetNumberValue(cJSON_GetObjectItem(it, "listId"), 3901);
    cJSON_ArrayForEach(it, cJSON_GetObjectItem(seed, "campaigns"))
        if ((long)cJSON_GetObjectItem(it, "id")->valuedouble == CAMPAIGN_CONFIRMATION)
            cJSON_SetNumberValue(cJSON_GetObjectItem(it, "id"), 1902);
    return ss_seed_file(seed);
}

static void restart_emulator(const char *seed) { ss_emulator_restart(&stack, seed); }

/* A cached name whose id REST no longer knows (1013) is looked up again,
 * and the call succeeds on the new id. */
static void test_cached_id_gone_is_looked_up_again(void **state)
{
    (void)state;
    long long one[] = {3};
    char *b = list_op("ISMEMBEROFLIST", "MKTOLISTNAME", "Webinar Registrants", NULL, one, 1);
    free(call(b));   /* caches 3001 */
    const char *req = "<ns1:paramsRequestCampaign><source>MKTOWS</source><leadList><leadKey>"
                      "<keyType>IDNUM</keyType><keyValue>3</keyValue></leadKey></leadList>"
                      "<programName>Spring Webinar</programName><campaignName>Webinar "
                      "Confirmation</campaignName></ns1:paramsRequestCampaign>";
    free(call(req));   /* caches 1002 */

    char *seed = seed_with_new_ids();
    restart_emulator(seed);
    /* Let the shim renew its token with a call that touches no list. */
    free(call_fault("<ns1:paramsGetLead><leadKey><keyType>EMAIL</keyType><keyValue>nobody@"
                    "example.com</keyValue></leadKey></ns1:paramsGetLead>", 20103));
    char *r = call(b);
    ss_assert_text(r, "success", "true");
    free(r);
    assert_int_equal(stat_calls(ISMEMBER_CALLS), 2);   /* 1013 on 3001, then 3901 */
    assert_int_equal(stat_calls(LISTS_CALLS), 1);
    free(call(b));
    assert_int_equal(stat_calls(LISTS_CALLS), 1);      /* 3901 is cached now */

    free(call(req));
    assert_int_equal(stat_calls(TRIGGER_CALLS), 2);    /* 1013 on 1002, then 1902 */
    assert_int_equal(stat_calls(CAMPAIGNS_CALLS), 1);
    assert_int_equal(rest_activities(47, 3, 1902), 1);

    restart_emulator(NULL);
    unlink(seed);
    free(seed);
    free(b);
}

/* ---- importToList / getImportToListStatus ---------------------------------------------- */

static char *import_body(const char *program, const char *list, const char *header,
                         const char *const *rows, const char *mode, bool clear,
                         const char *campaign)
{
    ts_buf b = {0};
    ts_buf_add(&b, "<ns1:paramsImportToList><programName>%s</programName>"
               "<importFileHeader>%s</importFileHeader><importFileRows>", program, header);
    for (int i = 0; rows && rows[i]; i++)
        ts_buf_add(&b, "<stringItem>%s</stringItem>", rows[i]);
    ts_buf_add(&b, "</importFileRows><importListMode>%s</importListMode><listName>%s</listName>"
               "<clearList>%s</clearList>%s</ns1:paramsImportToList>",
               mode, list, clear ? "true" : "false",
               campaign ? campaign : "<campaignName xsi:nil=\"true\"/>");
    return b.s;
}

static char *status_body(const char *program, const char *list)
{
    return ts_fmt("<ns1:paramsGetImportToListStatus><programName>%s</programName>"
                  "<listName>%s</listName></ns1:paramsGetImportToListStatus>", program, list);
}

/* Poll getImportToListStatus until it is not PROCESSING; the last answer. */
static char *wait_import(const char *program, const char *list)
{
    char *b = status_body(program, list);
    char *r = NULL;
    for (int i = 0; i < 100; i++) {
        free(r);
        r = call(b);
        if (!strstr(r, "<status>PROCESSING</status>"))
            break;
        ts_sleep_ms(100);
    }
    free(b);
    return r;
}

static void test_import_upsert_and_status(void **state)
{
    (void)state;
    /* Display names as Marketo's docs ask; a quoted cell with a comma; an
     * existing lead (jdoe, lead 1) updated and a new one created; a row
     * REST refuses (an integer field with a word). */
    const char *rows[] = {"Doe,John,\"VP, Sales\",jdoe@example.com,",
                          "Newman,Nina,Engineer,nnewman@example.com,",
                          "Broken,Bob,Tester,bbroken@example.com,lots", NULL};
    char *b = import_body("Spring Newsletter", "Import Target",
                          "Last Name,First Name,Job Title,Email Address,Num Employees",
                          rows, "UPSERTLEADS", false,
                          "<campaignName>Spring Newsletter Send</campaignName>");
    char *r = call(b);
    free(b);
    ss_assert_text(r, "importStatus", "PROCESSING");
    free(r);
    assert_int_equal(stat_calls(BULK_CALLS), 1);

    b = status_body("Spring Newsletter", "Import Target");
    r = call(b);
    free(b);
    ss_assert_text(r, "status", "PROCESSING");
    ss_assert_text(r, "estimatedRows", "3");
    assert_non_null(strstr(r, "<startedTime>20"));
    assert_non_null(strstr(r, "<endedTime xsi:nil=\"true\"/>"));
    assert_non_null(strstr(r, "<rowsIgnored xsi:nil=\"true\"/>"));
    free(r);

    r = wait_import("Spring Newsletter", "Import Target");
    ss_assert_text(r, "status", "COMPLETE");
    ss_assert_text(r, "rowsImported", "2");
    ss_assert_text(r, "rowsFailed", "1");
    assert_non_null(strstr(r, "<importSummary>Import completed with errors"));
    free(r);

    char *title = rest_lead_field("jdoe@example.com", "title");
    assert_string_equal(title, "VP, Sales");
    free(title);
    char *fn = rest_lead_field("nnewman@example.com", "firstName");
    assert_string_equal(fn, "Nina");
    free(fn);
    assert_true(rest_member(LIST_IMPORT, 1));
    assert_int_equal(rest_member_count(LIST_IMPORT), 2);
    assert_int_equal(rest_activities(24, 1, LIST_IMPORT), 1);

    /* Names match without regard to case, as Marketo's do. */
    b = status_body("spring newsletter", "IMPORT TARGET");
    r = call(b);
    free(b);
    ss_assert_text(r, "status", "COMPLETE");
    free(r);
}

/* The batch id lives in the SQLite store: a restarted shim still knows it. */
static void test_import_survives_restart(void **state)
{
    (void)state;
    const char *rows[] = {"restart@example.com,Rita", NULL};
    char *b = import_body("Spring Webinar", "Webinar Attendees", "Email Address,First Name",
                          rows, "UPSERTLEADS", false, NULL);
    char *r = call(b);
    free(b);
    ss_assert_text(r, "importStatus", "PROCESSING");
    free(r);

    assert_int_equal(ss_shim_stop(&stack), 0);
    assert_int_equal(ss_shim_start(&stack), 0);

    r = wait_import("Spring Webinar", "Webinar Attendees");
    ss_assert_text(r, "status", "COMPLETE");
    ss_assert_text(r, "rowsImported", "1");
    ss_assert_text(r, "estimatedRows", "1");
    free(r);
    assert_int_equal(stat_calls(BULK_CALLS), 1);
    assert_true(stat_calls(BATCH_CALLS) >= 1);

    /* A shim with another (empty) store does not know the import: the
     * store is what carried it across the restart. */
    assert_int_equal(ss_shim_stop(&stack), 0);
    char *other = ts_write_temp(".sqlite", "");
    unlink(other);
    char *db = ts_fmt("{\"import_db\": \"%s\"}", other);
    char *cfg = ss_config_text(&stack, db), *saved = stack.config_path;
    stack.config_path = ts_write_temp(".json", cfg);
    free(cfg);
    free(db);
    assert_int_equal(ss_shim_start(&stack), 0);
    b = status_body("Spring Webinar", "Webinar Attendees");
    expect_fault_saying(b, 20110, "known to this shim");
    assert_int_equal(ss_shim_stop(&stack), 0);
    unlink(stack.config_path);
    free(stack.config_path);
    stack.config_path = saved;
    char *wal = ts_fmt("%s-wal", other), *shm = ts_fmt("%s-shm", other);
    unlink(other);
    unlink(wal);
    unlink(shm);
    free(wal);
    free(shm);
    free(other);
    assert_int_equal(ss_shim_start(&stack), 0);
    r = call(b);
    free(b);
    ss_assert_text(r, "status", "COMPLETE");
    free(r);
}

static void test_import_listonly(void **state)
{
    (void)state;
    /* jdoe (lead 1) exists once; shared@ is leads 7 and 8; nobody@ is
     * unknown; one row has no email.  LISTONLY changes no lead data. */
    const char *rows[] = {"jdoe@example.com,Changed", "shared@example.com,Changed",
                          "nobody@example.com,Changed", ",Changed", NULL};
    char *b = import_body("Spring Newsletter", "Import Target", "Email Address,First Name", rows,
                          "LISTONLY", false, NULL);
    char *r = call(b);
    free(b);
    ss_assert_text(r, "importStatus", "COMPLETE");
    free(r);
    assert_int_equal(stat_calls(BULK_CALLS), 0);
    assert_true(rest_member(LIST_IMPORT, 1));
    assert_false(rest_member(LIST_IMPORT, 7));
    assert_false(rest_member(LIST_IMPORT, 8));
    assert_int_equal(rest_member_count(LIST_IMPORT), 1);
    char *fn = rest_lead_field("jdoe@example.com", "firstName");
    assert_string_not_equal(fn, "Changed");
    free(fn);

    b = status_body("Spring Newsletter", "Import Target");
    long before = stat_calls(BATCH_CALLS);
    r = call(b);
    free(b);
    ss_assert_text(r, "status", "COMPLETE");
    ss_assert_text(r, "rowsImported", "1");
    ss_assert_text(r, "rowsFailed", "3");
    ss_assert_text(r, "estimatedRows", "4");
    assert_non_null(strstr(r, "1 with no lead of that email, 1 with several leads"));
    free(r);
    assert_int_equal(stat_calls(BATCH_CALLS), before);   /* answered from the store */

    /* LISTONLY finds leads by email: the column is required. */
    const char *noemail[] = {"John", NULL};
    b = import_body("Spring Newsletter", "Import Target", "First Name", noemail, "LISTONLY",
                    false, NULL);
    expect_fault_saying(b, 20109, "Email");
    free(b);
}

static void test_import_clear_list(void **state)
{
    (void)state;
    /* Webinar Attendees (3002) has leads 1 and 2; after the import only
     * lead 3 (bwayne) is left. */
    const char *rows[] = {"bwayne@example.com", NULL};
    char *b = import_body("Spring Webinar", "Webinar Attendees", "Email Address", rows,
                          "UPSERTLEADS", true, NULL);
    char *r = call(b);
    free(b);
    ss_assert_text(r, "importStatus", "PROCESSING");
    free(r);
    r = wait_import("Spring Webinar", "Webinar Attendees");
    ss_assert_text(r, "status", "COMPLETE");
    free(r);
    assert_int_equal(rest_member_count(LIST_ATTENDEES), 1);
    assert_true(rest_member(LIST_ATTENDEES, 3));
    assert_false(rest_member(LIST_ATTENDEES, 1));
    assert_int_equal(stat_calls(REMOVE_CALLS), 1);

    /* While that list's import runs, a clearing import is refused before
     * anything is removed. */
    const char *rows2[] = {"ckent@example.com", NULL};
    b = import_body("Spring Webinar", "Webinar Attendees", "Email Address", rows2,
                    "UPSERTLEADS", false, NULL);
    free(call(b));
    free(b);
    b = import_body("Spring Webinar", "Webinar Attendees", "Email Address", rows2,
                    "UPSERTLEADS", true, NULL);
    expect_fault_saying(b, 20011, "still");
    free(b);
    assert_int_equal(stat_calls(REMOVE_CALLS), 1);
    /* And without clearList REST itself refuses a second import (1019). */
    b = import_body("Spring Webinar", "Webinar Attendees", "Email Address", rows2,
                    "UPSERTLEADS", false, NULL);
    expect_fault_saying(b, 20011, "1019");
    free(b);
    free(wait_import("Spring Webinar", "Webinar Attendees"));
}

static void test_import_faults(void **state)
{
    (void)state;
    const char *rows[] = {"a@example.com,A", NULL};
    char *b = import_body("Spring Newsletter", "No Such List", "Email Address,First Name", rows,
                          "UPSERTLEADS", false, NULL);
    expect_fault_saying(b, 20111, "No Such List");
    free(b);
    /* The list exists, but in another program. */
    b = import_body("Spring Newsletter", "Webinar Attendees", "Email Address,First Name", rows,
                    "UPSERTLEADS", false, NULL);
    expect_fault_saying(b, 20111, "Spring Newsletter");
    free(b);
    const char *tok_rows[] = {"a@example.com,Fish", NULL};
    b = import_body("Spring Newsletter", "Import Target", "Email Address,{{my.specialToken}}",
                    tok_rows, "UPSERTLEADS", false, "<campaignName>Spring Newsletter Send"
                    "</campaignName>");
    expect_fault_saying(b, 20110, "{{my.specialToken}}");
    free(b);
    b = import_body("Spring Newsletter", "Import Target", "Email Address,Shoe Size", rows,
                    "UPSERTLEADS", false, NULL);
    expect_fault_saying(b, 20105, "Shoe Size");
    free(b);
    b = import_body("Spring Newsletter", "Import Target", "Email Address,Email Address", rows,
                    "UPSERTLEADS", false, NULL);
    expect_fault_saying(b, 20110, "twice");
    free(b);
    b = import_body("", "Import Target", "Email Address", rows, "UPSERTLEADS", false, NULL);
    expect_fault_saying(b, 20109, "programName");
    free(b);
    b = import_body("Spring Newsletter", "Import Target", "Email Address", NULL, "UPSERTLEADS",
                    false, NULL);
    expect_fault_saying(b, 20109, "importFileRows");
    free(b);
    const char *bad[] = {"\"a@example.com,A", NULL};
    b = import_body("Spring Newsletter", "Import Target", "Email Address,First Name", bad,
                    "UPSERTLEADS", false, NULL);
    expect_fault_saying(b, 20110, "row 1");
    free(b);
    assert_int_equal(stat_calls(BULK_CALLS), 0);

    /* Status of a list with no import through the shim, of a list that
     * does not exist. */
    b = status_body("Content - Blog", "Blog Readers");
    expect_fault_saying(b, 20110, "Blog Readers");
    free(b);
    b = status_body("Content - Blog", "No Such List");
    expect_fault_saying(b, 20111, "No Such List");
    free(b);
    expect_fault_saying("<ns1:paramsGetImportToListStatus><programName>Content - Blog"
                        "</programName></ns1:paramsGetImportToListStatus>", 20109, NULL);
}

/* ---- campaigns ------------------------------------------------------------------------ */

static void test_get_campaigns_for_source(void **state)
{
    (void)state;
    /* Requestable in the seed: 1002 Webinar Confirmation (Spring Webinar),
     * 1004 Trade Show Follow-up Trigger, 1007 Nurture Entry Trigger; REST
     * says how many there are. */
    cJSON *j = rest("GET", "/rest/v1/campaigns.json?isTriggerable=true&batchSize=300", NULL);
    int want = cJSON_GetArraySize(cJSON_GetObjectItem(j, "result"));
    cJSON_Delete(j);
    assert_true(want >= 3);

    char *r = call("<ns1:paramsGetCampaignsForSource><source>MKTOWS</source>"
                   "</ns1:paramsGetCampaignsForSource>");
    char n[16];
    snprintf(n, sizeof n, "%d", want);
    ss_assert_text(r, "returnCount", n);
    assert_int_equal(ts_count(r, "<campaignRecord>"), want);
    assert_non_null(strstr(r, "<id>1002</id><name>Spring Webinar.Webinar Confirmation</name>"));
    assert_null(strstr(r, "<id>1001</id>"));   /* batch */
    assert_null(strstr(r, "<id>1005</id>"));   /* trigger, not requestable */
    free(r);

    /* exactName=false: substring, any case. */
    r = call("<ns1:paramsGetCampaignsForSource><source>MKTOWS</source><name>trigger</name>"
             "<exactName>false</exactName></ns1:paramsGetCampaignsForSource>");
    ss_assert_text(r, "returnCount", "2");
    assert_non_null(strstr(r, "<id>1004</id>"));
    assert_non_null(strstr(r, "<id>1007</id>"));
    free(r);
    /* exactName=true: the shown name or the campaign's own. */
    r = call("<ns1:paramsGetCampaignsForSource><source>MKTOWS</source><name>Webinar "
             "Confirmation</name><exactName>true</exactName></ns1:paramsGetCampaignsForSource>");
    ss_assert_text(r, "returnCount", "1");
    free(r);
    r = call("<ns1:paramsGetCampaignsForSource><source>MKTOWS</source><name>Spring Webinar."
             "Webinar Confirmation</name><exactName>true</exactName>"
             "</ns1:paramsGetCampaignsForSource>");
    ss_assert_text(r, "returnCount", "1");
    free(r);
    r = call("<ns1:paramsGetCampaignsForSource><source>MKTOWS</source><name>Webinar</name>"
             "<exactName>true</exactName></ns1:paramsGetCampaignsForSource>");
    ss_assert_text(r, "returnCount", "0");
    assert_non_null(strstr(r, "<campaignRecordList xsi:nil=\"true\"/>"));
    free(r);
    expect_fault_saying("<ns1:paramsGetCampaignsForSource><source>SALES</source>"
                        "</ns1:paramsGetCampaignsForSource>", 20110, "Sales Insight");

    /* The listing filled the name cache: requesting by name costs no lookup. */
    long before = stat_calls(CAMPAIGNS_CALLS);
    free(call("<ns1:paramsRequestCampaign><source>MKTOWS</source><programName>Spring Webinar"
              "</programName><campaignName>Webinar Confirmation</campaignName><leadList><leadKey>"
              "<keyType>IDNUM</keyType><keyValue>4</keyValue></leadKey></leadList>"
              "</ns1:paramsRequestCampaign>"));
    assert_int_equal(stat_calls(CAMPAIGNS_CALLS), before);
}

/* More than one REST page of requestable campaigns: every page is read. */
static void test_get_campaigns_pages_to_the_end(void **state)
{
    (void)state;
    /* A seed with 650 more requestable campaigns (copies of 1002). */
    cJSON *seed = ss_default_seed();
    cJSON *campaigns = cJSON_GetObjectItem(seed, "campaigns");
    for (int i = 0; i < 650; i++) {
        cJSON *c = cJSON_Duplicate(cJSON_GetArrayItem(campaigns, 1), 1);
        assert_int_equal((long)cJSON_GetObjectItem(c, "id")->valuedouble, CAMPAIGN_CONFIRMATION);
        cJSON_SetNumberValue(cJSON_GetObjectItem(c, "id"), 50000 + i);
        char name[64];
        snprintf(name, sizeof name, "Paged Trigger %03d", i);
        cJSON_SetValuestring(cJSON_GetObjectItem(c, "name"), name);
        cJSON_AddItemToArray(campaigns, c);
    }
    char *seedp = ss_seed_file(seed);
    restart_emulator(seedp);
    free(call_fault("<ns1:paramsGetLead><leadKey><keyType>EMAIL</keyType><keyValue>nobody@"
                    "example.com</keyValue></leadKey></ns1:paramsGetLead>", 20103));

    char *r = call("<ns1:paramsGetCampaignsForSource><source>MKTOWS</source><name>paged "
                   "trigger</name></ns1:paramsGetCampaignsForSource>");
    ss_assert_text(r, "returnCount", "650");
    assert_non_null(strstr(r, "<id>50649</id><name>Spring Webinar.Paged Trigger 649</name>"));
    free(r);
    assert_int_equal(stat_calls(CAMPAIGNS_CALLS), 3);   /* 300 + 300 + 53 */

    restart_emulator(NULL);
    unlink(seedp);
    free(seedp);
}

static const char *REQ_BY_ID =
    "<ns1:paramsRequestCampaign><source>MKTOWS</source><campaignId>1002</campaignId><leadList>"
    "<leadKey><keyType>IDNUM</keyType><keyValue>1</keyValue></leadKey>"
    "<leadKey><keyType>EMAIL</keyType><keyValue>asmith@example.com</keyValue></leadKey>"
    "<leadKey><keyType>EMAIL</keyType><keyValue>shared@example.com</keyValue></leadKey>"
    "<leadKey><keyType>EMAIL</keyType><keyValue>nobody@example.com</keyValue></leadKey>"
    "</leadList></ns1:paramsRequestCampaign>";

static void test_request_campaign(void **state)
{
    (void)state;
    long leads_before = stat_calls("GET /rest/v1/leads.json");
    char *r = call(REQ_BY_ID);
    ss_assert_text(r, "success", "true");
    free(r);
    /* Lead 1 by id, 2 by email, 7 and 8 share an email: four Request
     * Campaign activities; nobody@ matches no lead. */
    assert_int_equal(rest_activities(47, 1, CAMPAIGN_CONFIRMATION), 1);
    assert_int_equal(rest_activities(47, 2, CAMPAIGN_CONFIRMATION), 1);
    assert_int_equal(rest_activities(47, 7, CAMPAIGN_CONFIRMATION), 1);
    assert_int_equal(rest_activities(47, 8, CAMPAIGN_CONFIRMATION), 1);
    assert_int_equal(stat_calls(TRIGGER_CALLS), 1);
    assert_int_equal(stat_calls("GET /rest/v1/leads.json") - leads_before, 1); /* EMAIL keys */
    assert_int_equal(stat_calls(CAMPAIGNS_CALLS), 0);

    /* By name, with tokens; the second call needs no lookup. */
    const char *by_name =
        "<ns1:paramsRequestCampaign><source>MKTOWS</source><leadList><leadKey><keyType>IDNUM"
        "</keyType><keyValue>5</keyValue></leadKey></leadList><programName>Spring Webinar"
        "</programName><campaignName>Webinar Confirmation</campaignName><programTokenList>"
        "<attrib><name>{{my.message}}</name><value>Hello</value></attrib></programTokenList>"
        "</ns1:paramsRequestCampaign>";
    free(call(by_name));
    long lookups = stat_calls(CAMPAIGNS_CALLS);
    assert_true(lookups <= 1);   /* 0 when an earlier listing cached the name */
    free(call(by_name));
    assert_int_equal(stat_calls(CAMPAIGNS_CALLS), lookups);
    assert_int_equal(rest_activities(47, 5, CAMPAIGN_CONFIRMATION), 2);
}

/* Marketo read the first 100 lead keys and ignored the rest. */
static void test_request_campaign_first_100_keys(void **state)
{
    (void)state;
    static long long ids[150];
    rest_create_leads("rc", 150, ids);
    ts_buf b = {0};
    ts_buf_add(&b, "<ns1:paramsRequestCampaign><source>MKTOWS</source><campaignId>1002</campaignId>"
               "<leadList>");
    for (int i = 0; i < 150; i++)
        ts_buf_add(&b, "<leadKey><keyType>IDNUM</keyType><keyValue>%lld</keyValue></leadKey>", ids[i]);
    ts_buf_add(&b, "</leadList></ns1:paramsRequestCampaign>");
    free(call(b.s));
    free(b.s);
    assert_int_equal(rest_activities(47, ids[99], CAMPAIGN_CONFIRMATION), 1);
    assert_int_equal(rest_activities(47, ids[100], CAMPAIGN_CONFIRMATION), 0);
    assert_int_equal(stat_calls(TRIGGER_CALLS), 1);
}

static void test_request_campaign_faults(void **state)
{
    (void)state;
    const char *lead = "<leadList><leadKey><keyType>IDNUM</keyType><keyValue>1</keyValue>"
                       "</leadKey></leadList>";
    char *b = ts_fmt("<ns1:paramsRequestCampaign><source>MKTOWS</source><campaignId>999999"
                     "</campaignId>%s</ns1:paramsRequestCampaign>", lead);
    expect_fault_saying(b, 20113, "999999");
    free(b);
    b = ts_fmt("<ns1:paramsRequestCampaign><source>MKTOWS</source><programName>Spring Webinar"
               "</programName><campaignName>No Such Campaign</campaignName>%s"
               "</ns1:paramsRequestCampaign>", lead);
    expect_fault_saying(b, 20113, "No Such Campaign");
    free(b);
    /* A batch campaign cannot be requested (REST 1003). */
    b = ts_fmt("<ns1:paramsRequestCampaign><source>MKTOWS</source><campaignId>1001</campaignId>%s"
               "</ns1:paramsRequestCampaign>", lead);
    expect_fault_saying(b, 20110, "1003");
    free(b);
    b = ts_fmt("<ns1:paramsRequestCampaign><source>SALES</source><campaignId>1002</campaignId>%s"
               "</ns1:paramsRequestCampaign>", lead);
    expect_fault_saying(b, 20110, "SALES");
    free(b);
    b = ts_fmt("<ns1:paramsRequestCampaign><source>MKTOWS</source><campaignId>1002</campaignId>"
               "<campaignName>Webinar Confirmation</campaignName>%s</ns1:paramsRequestCampaign>",
               lead);
    expect_fault_saying(b, 20110, "campaignId");
    free(b);
    b = ts_fmt("<ns1:paramsRequestCampaign><source>MKTOWS</source><programName>Spring Webinar"
               "</programName>%s</ns1:paramsRequestCampaign>", lead);
    expect_fault_saying(b, 20110, "campaignName");
    free(b);
    b = ts_fmt("<ns1:paramsRequestCampaign><source>MKTOWS</source>%s</ns1:paramsRequestCampaign>",
               lead);
    expect_fault_saying(b, 20109, NULL);
    free(b);
    expect_fault_saying("<ns1:paramsRequestCampaign><source>MKTOWS</source><campaignId>1002"
                        "</campaignId><leadList><leadKey><keyType>LEADOWNEREMAIL</keyType>"
                        "<keyValue>owner@example.com</keyValue></leadKey></leadList>"
                        "</ns1:paramsRequestCampaign>", 20102, "LEADOWNEREMAIL");
    expect_fault_saying("<ns1:paramsRequestCampaign><source>MKTOWS</source><campaignId>1002"
                        "</campaignId></ns1:paramsRequestCampaign>", 20101, NULL);
    expect_fault_saying("<ns1:paramsRequestCampaign><source>MKTOWS</source><campaignId>1002"
                        "</campaignId><leadList><leadKey><keyType>EMAIL</keyType><keyValue>"
                        "nobody@example.com</keyValue></leadKey></leadList>"
                        "</ns1:paramsRequestCampaign>", 20103, NULL);
    assert_int_equal(stat_calls(TRIGGER_CALLS), 2);   /* 999999 and 1001 reached REST */
}

static void test_schedule_campaign(void **state)
{
    (void)state;
    /* Two days ahead, written with a -07:00 offset as Marketo's example. */
    char run[64];
    time_t t = time(NULL) + 2 * 86400 - 7 * 3600;
    struct tm tm;
    gmtime_r(&t, &tm);
    strftime(run, sizeof run, "%Y-%m-%dT%H:%M:%S-07:00", &tm);
    char *b = ts_fmt("<ns1:paramsScheduleCampaign><programName>Spring Newsletter</programName>"
                     "<campaignName>Spring Newsletter Send</campaignName><campaignRunAt>%s"
                     "</campaignRunAt><cloneToProgramName>Newsletter Clone From SOAP"
                     "</cloneToProgramName><programTokenList><attrib><name>{{my.message}}</name>"
                     "<value>Updated message</value></attrib></programTokenList>"
                     "</ns1:paramsScheduleCampaign>", run);
    char *r = call(b);
    free(b);
    ss_assert_text(r, "success", "true");
    free(r);
    assert_int_equal(stat_calls(SCHEDULE_CALLS), 1);
    /* The clone exists, with a copy of the campaign. */
    assert_int_equal(stat_calls(CAMPAIGNS_CALLS), 1);
    cJSON *j = rest("GET", "/rest/v1/campaigns.json?programName=Newsletter%20Clone%20From%20SOAP",
                    NULL);
    assert_int_equal(cJSON_GetArraySize(cJSON_GetObjectItem(j, "result")), 1);
    cJSON_Delete(j);

    /* No runAt, no clone. */
    r = call("<ns1:paramsScheduleCampaign><programName>Spring Newsletter</programName>"
             "<campaignName>Spring Newsletter Send</campaignName></ns1:paramsScheduleCampaign>");
    ss_assert_text(r, "success", "true");
    free(r);
    assert_int_equal(stat_calls(SCHEDULE_CALLS), 2);
    assert_int_equal(stat_calls(CAMPAIGNS_CALLS), 2);   /* the name was cached: only ours */

    /* runAt reaches REST: three years ahead is REST's 1042. */
    t = time(NULL) + 3 * 366 * 86400;
    gmtime_r(&t, &tm);
    strftime(run, sizeof run, "%Y-%m-%dT%H:%M:%SZ", &tm);
    b = ts_fmt("<ns1:paramsScheduleCampaign><programName>Spring Newsletter</programName>"
               "<campaignName>Spring Newsletter Send</campaignName><campaignRunAt>%s"
               "</campaignRunAt></ns1:paramsScheduleCampaign>", run);
    expect_fault_saying(b, 20110, "1042");
    free(b);
    expect_fault_saying("<ns1:paramsScheduleCampaign><programName>Spring Newsletter</programName>"
                        "<campaignName>Spring Newsletter Send</campaignName><campaignRunAt>"
                        "next tuesday</campaignRunAt></ns1:paramsScheduleCampaign>", 20110,
                        "next tuesday");
    /* A trigger campaign cannot be scheduled (REST 1003). */
    expect_fault_saying("<ns1:paramsScheduleCampaign><programName>Spring Webinar</programName>"
                        "<campaignName>Webinar Confirmation</campaignName>"
                        "</ns1:paramsScheduleCampaign>", 20110, "1003");
    expect_fault_saying("<ns1:paramsScheduleCampaign><programName>Spring Newsletter</programName>"
                        "<campaignName>No Such Campaign</campaignName>"
                        "</ns1:paramsScheduleCampaign>", 20113, "No Such Campaign");
    expect_fault_saying("<ns1:paramsScheduleCampaign><programName>Spring Newsletter</programName>"
                        "</ns1:paramsScheduleCampaign>", 20109, NULL);
}

/* A configured import_db that cannot be opened stops the shim at start-up
 * instead of failing the first importToList. */
static void test_bad_import_db_stops_startup(void **state)
{
    (void)state;
    char *cfg = ss_config_text(&stack,
                               "{\"import_db\": \"/nonexistent-dir-for-mktows/imports.sqlite\"}");
    char *path = ts_write_temp(".json", cfg);
    free(cfg);
    ts_proc other;
    const char *argv[] = {ts_env("MKTOWS_SHIM"), "--config", path, NULL};
    assert_int_equal(ts_proc_start(&other, argv), -1);
    unlink(path);
    free(path);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup(test_ismember_statuses_in_request_order, ss_test_reset),
        cmocka_unit_test_setup(test_add_then_read_back, ss_test_reset),
        cmocka_unit_test_setup(test_add_with_unknown_lead_is_partial, ss_test_reset),
        cmocka_unit_test_setup(test_strict_add_changes_nothing, ss_test_reset),
        cmocka_unit_test_setup(test_remove_strict_and_not, ss_test_reset),
        cmocka_unit_test_setup(test_thousand_members_and_clearlist, ss_test_reset),
        cmocka_unit_test_setup(test_list_faults, ss_test_reset),
        cmocka_unit_test_setup(test_elements_out_of_order, ss_test_reset),
        cmocka_unit_test_setup(test_rest_error_is_a_fault, ss_test_reset),
        cmocka_unit_test_setup(test_cached_id_gone_is_looked_up_again, ss_test_reset),
        cmocka_unit_test_setup(test_import_upsert_and_status, ss_test_reset),
        cmocka_unit_test_setup(test_import_survives_restart, ss_test_reset),
        cmocka_unit_test_setup(test_import_listonly, ss_test_reset),
        cmocka_unit_test_setup(test_import_clear_list, ss_test_reset),
        cmocka_unit_test_setup(test_import_faults, ss_test_reset),
        cmocka_unit_test_setup(test_get_campaigns_for_source, ss_test_reset),
        cmocka_unit_test_setup(test_get_campaigns_pages_to_the_end, ss_test_reset),
        cmocka_unit_test_setup(test_request_campaign, ss_test_reset),
        cmocka_unit_test_setup(test_request_campaign_first_100_keys, ss_test_reset),
        cmocka_unit_test_setup(test_request_campaign_faults, ss_test_reset),
        cmocka_unit_test_setup(test_schedule_campaign, ss_test_reset),
        cmocka_unit_test(test_bad_import_db_stops_startup),
    };
    return ts_run_tests(tests, group_setup, ss_group_teardown);
}
