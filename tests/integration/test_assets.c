/*
 * test_assets.c — getChannels and getTags end to end: signed SOAP requests
 * to a real mktows-shim in front of a real marketo-emulator.
 *
 * The emulator runs on the repository's seed (channels Webinar, Tradeshow,
 * Blog, … and tag types Region, Product, Cost Center, Campaign Owner) plus
 * 430 channels "Channel 0001"… (so the Asset API's 200-per-page paging is
 * walked to its empty end), a channel without statuses, and three tag types
 * (one with no allowed values).  Answers are compared with what the Asset
 * API itself returns.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>

#include "acts_support.h"

#define EXTRA_CHANNELS 430

static ss_stack stack;

static cJSON *status(const char *name, int step, bool success)
{
    cJSON *s = cJSON_CreateObject();
    cJSON_AddStringToObject(s, "name", name);
    cJSON_AddNumberToObject(s, "step", step);
    cJSON_AddStringToObject(s, "description", name);
    cJSON_AddBoolToObject(s, "hidden", false);
    cJSON_AddBoolToObject(s, "success", success);
    return s;
}

static cJSON *tag_type(const char *type, const char *values)
{
    cJSON *t = cJSON_CreateObject();
    cJSON_AddStringToObject(t, "tagType", type);
    cJSON_AddStringToObject(t, "applicableProgramTypes", "[program,event]");
    cJSON_AddBoolToObject(t, "required", false);
    cJSON_AddStringToObject(t, "allowableValues", values);
    return t;
}

static int setup(void **state)
{
    cJSON *seed = ss_default_seed();
    cJSON *channels = cJSON_GetObjectItemCaseSensitive(seed, "channels");
    for (int i = 1; i <= EXTRA_CHANNELS; i++) {
        char name[32];
        snprintf(name, sizeof name, "Channel %04d", i);
        cJSON *c = cJSON_CreateObject();
        cJSON_AddNumberToObject(c, "id", 1000 + i);
        cJSON_AddStringToObject(c, "name", name);
        cJSON_AddStringToObject(c, "applicableProgramType", "program");
        cJSON *st = cJSON_AddArrayToObject(c, "progressionStatuses");
        cJSON_AddItemToArray(st, status("Subscribed", 30, true));
        cJSON_AddItemToArray(st, status("Engaged", 20, true));
        cJSON_AddItemToArray(st, status("Visited", 10, false));
        cJSON_AddStringToObject(c, "createdAt", "2026-01-01T00:00:00Z+0000");
        cJSON_AddStringToObject(c, "updatedAt", "2026-01-01T00:00:00Z+0000");
        cJSON_AddItemToArray(channels, c);
    }
    cJSON *bare = cJSON_CreateObject();
    cJSON_AddNumberToObject(bare, "id", 5000);
    cJSON_AddStringToObject(bare, "name", "No Statuses");
    cJSON_AddStringToObject(bare, "applicableProgramType", "program");
    cJSON_AddArrayToObject(bare, "progressionStatuses");
    cJSON_AddItemToArray(channels, bare);
    cJSON *tags = cJSON_GetObjectItemCaseSensitive(seed, "tagTypes");
    cJSON_AddItemToArray(tags, tag_type("Content Channel", "[SEM, Email, Website]"));
    cJSON_AddItemToArray(tags, tag_type("Theme", "[Revenue Master, Revenue Power house]"));
    cJSON_AddItemToArray(tags, tag_type("Empty Type", "[]"));
    *state = &stack;
    return acts_start(&stack, seed, NULL);
}

/* Every record of a paged Asset API list, straight from the emulator. */
static cJSON *asset_truth(const char *path)
{
    cJSON *all = cJSON_CreateArray();
    for (int off = 0;; off += 200) {
        char *p = ts_fmt("%s?maxReturn=200&offset=%d", path, off);
        cJSON *r = ss_rest_result(&stack, p);
        free(p);
        int n = cJSON_GetArraySize(r);
        while (cJSON_GetArraySize(r) > 0)
            cJSON_AddItemToArray(all, cJSON_DetachItemFromArray(r, 0));
        cJSON_Delete(r);
        if (n < 200)
            return all;
    }
}

/* ---- getChannels ------------------------------------------------------------------ */

static void check_channel(const char *ts, const cJSON *rest)
{
    char *name = ss_xml_text(ts, "tagValue");
    assert_string_equal(name, cJSON_GetObjectItemCaseSensitive(rest, "name")->valuestring);
    free(name);
    assert_true(ss_xml_has(ts, "statusList"));
    int n;
    char **items = ss_xml_all(ts, "progressionStatus", &n);
    const cJSON *st = cJSON_GetObjectItemCaseSensitive(rest, "progressionStatuses");
    assert_int_equal(n, cJSON_GetArraySize(st));
    char prev[128] = "";
    for (int i = 0; i < n; i++) {
        int na;
        char **attrs = ss_xml_all(items[i], "attrib", &na);
        assert_int_equal(na, 3);
        char *k0 = ss_xml_text(attrs[0], "name"), *k1 = ss_xml_text(attrs[1], "name");
        char *k2 = ss_xml_text(attrs[2], "name");
        assert_string_equal(k0, "Status");
        assert_string_equal(k1, "Step");
        assert_string_equal(k2, "Success");
        char *sname = ss_xml_text(attrs[0], "value"), *step = ss_xml_text(attrs[1], "value");
        char *succ = ss_xml_text(attrs[2], "value");
        /* Ordered by status name, as Marketo's answers were. */
        assert_true(strcasecmp(prev, sname) <= 0);
        snprintf(prev, sizeof prev, "%s", sname);
        const cJSON *s, *match = NULL;
        cJSON_ArrayForEach(s, st)
            if (!strcmp(cJSON_GetObjectItemCaseSensitive(s, "name")->valuestring, sname))
                match = s;
        assert_non_null(match);
        char want[32];
        snprintf(want, sizeof want, "%d", cJSON_GetObjectItemCaseSensitive(match, "step")->valueint);
        assert_string_equal(step, want);
        assert_string_equal(succ, cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(match, "success"))
                                      ? "true" : "false");
        free(k0), free(k1), free(k2), free(sname), free(step), free(succ);
        ss_xml_free_all(attrs, na);
    }
    ss_xml_free_all(items, n);
}

static void test_channels_all_pages(void **state)
{
    (void)state;
    cJSON *truth = asset_truth("/rest/asset/v1/channels.json");
    int nt = cJSON_GetArraySize(truth);
    assert_int_equal(nt, 7 + EXTRA_CHANNELS + 1);
    char *resp = ss_call(&stack, "<ns1:paramsGetChannels/>");
    /* 438 channels: pages of 200, 200 and 38. */
    assert_int_equal(strtol(stack.rest_trace, NULL, 10), 3);
    assert_int_equal(ts_count(stack.rest_trace, "GET /rest/asset/v1/channels.json"), 3);
    int n;
    char **tags = ss_xml_all(resp, "tagStatus", &n);
    assert_int_equal(n, nt);
    for (int i = 0; i < n; i++)   /* in REST's order */
        check_channel(tags[i], cJSON_GetArrayItem(truth, i));
    /* A channel without statuses still has its (empty) statusList. */
    assert_non_null(strstr(resp, "<tagValue>No Statuses</tagValue><statusList></statusList>"));
    ss_xml_free_all(tags, n);
    free(resp);
    cJSON_Delete(truth);
}

static void test_channels_by_name(void **state)
{
    (void)state;
    cJSON *truth = asset_truth("/rest/asset/v1/channels.json");
    /* Several names: one paged list, kept to those names, REST's order. */
    char *resp = ss_call(&stack, "<ns1:paramsGetChannels><tag><values><stringItem>Webinar"
                             "</stringItem><stringItem>Blog</stringItem><stringItem>Tradeshow"
                             "</stringItem><stringItem>Blog</stringItem><stringItem>Nope"
                             "</stringItem></values></tag></ns1:paramsGetChannels>");
    assert_null(strstr(stack.rest_trace, "byName"));
    int n;
    char **tags = ss_xml_all(resp, "tagStatus", &n);
    assert_int_equal(n, 3);
    const char *want[] = {"Webinar", "Tradeshow", "Blog"};   /* the seed's order */
    for (int i = 0; i < n; i++) {
        char *v = ss_xml_text(tags[i], "tagValue");
        assert_string_equal(v, want[i]);
        const cJSON *c;
        cJSON_ArrayForEach(c, truth)
            if (!strcmp(cJSON_GetObjectItemCaseSensitive(c, "name")->valuestring, v))
                check_channel(tags[i], c);
        free(v);
    }
    ss_xml_free_all(tags, n);
    free(resp);

    /* One name: channel/byName.json, one call. */
    resp = ss_call(&stack, "<ns1:paramsGetChannels><tag><values><stringItem>Webinar</stringItem>"
                       "</values></tag></ns1:paramsGetChannels>");
    assert_string_equal(stack.rest_trace, "1; GET /rest/asset/v1/channel/byName.json");
    tags = ss_xml_all(resp, "tagStatus", &n);
    assert_int_equal(n, 1);
    const cJSON *c;
    cJSON_ArrayForEach(c, truth)
        if (!strcmp(cJSON_GetObjectItemCaseSensitive(c, "name")->valuestring, "Webinar"))
            check_channel(tags[0], c);
    /* Marketo's order of the Webinar statuses in its documentation. */
    char *p = strstr(tags[0], "No Show"), *q = strstr(tags[0], "Pending Approval");
    char *r = strstr(tags[0], "Registered"), *s = strstr(tags[0], "Wait Listed");
    assert_true(p && q && r && s && p < q && q < r && r < s);
    ss_xml_free_all(tags, n);
    free(resp);

    /* A name that is no channel: an empty answer, not a fault. */
    resp = ss_call(&stack, "<ns1:paramsGetChannels><tag><values><stringItem>Carrier Pigeon"
                     "</stringItem></values></tag></ns1:paramsGetChannels>");
    assert_true(ss_xml_has(resp, "tags"));
    assert_false(ss_xml_has(resp, "tagStatus"));
    free(resp);
    cJSON_Delete(truth);
}

/* ---- getTags ------------------------------------------------------------------------ */

/* The values of tag type `type` in a getTags answer, comma-joined. */
static char *values_of(const char *resp, const char *type)
{
    int n;
    char **tags = ss_xml_all(resp, "tag", &n);
    char *out = NULL;
    for (int i = 0; i < n && !out; i++) {
        char *t = ss_xml_text(tags[i], "type");
        if (t && !strcmp(t, type)) {
            int nv;
            char **vals = ss_xml_all(tags[i], "stringItem", &nv);
            char buf[1024] = "";
            for (int k = 0; k < nv; k++) {
                char *v = ss_xml_text(vals[k], "stringItem");
                size_t l = strlen(buf);
                snprintf(buf + l, sizeof buf - l, "%s%s", k ? "|" : "", v);
                free(v);
            }
            ss_xml_free_all(vals, nv);
            out = strdup(buf);
        }
        free(t);
    }
    ss_xml_free_all(tags, n);
    return out;
}

static void test_tags_all(void **state)
{
    (void)state;
    cJSON *truth = asset_truth("/rest/asset/v1/tagTypes.json");
    int nt = cJSON_GetArraySize(truth);
    assert_int_equal(nt, 7);
    long before = ss_emu_calls(&stack, "GET /rest/asset/v1/tagType/byName.json");
    char *resp = ss_call(&stack, "<ns1:paramsGetTags/>");
    assert_int_equal(strtol(stack.rest_trace, NULL, 10), 1 + nt);
    assert_int_equal(ss_emu_calls(&stack, "GET /rest/asset/v1/tagType/byName.json"), before + nt);
    int n;
    char **tags = ss_xml_all(resp, "tag", &n);
    assert_int_equal(n, nt);
    for (int i = 0; i < n; i++) {
        char *t = ss_xml_text(tags[i], "type");
        assert_string_equal(t, cJSON_GetObjectItemCaseSensitive(cJSON_GetArrayItem(truth, i),
                                                                 "tagType")->valuestring);
        free(t);
    }
    ss_xml_free_all(tags, n);
    char *v = values_of(resp, "Region");
    assert_string_equal(v, "North America|EMEA|APAC|LATAM");
    free(v);
    v = values_of(resp, "Theme");
    assert_string_equal(v, "Revenue Master|Revenue Power house");
    free(v);
    v = values_of(resp, "Empty Type");
    assert_string_equal(v, "");
    free(v);
    free(resp);

    /* Steady state: the tag types list only; values come from the cache. */
    resp = ss_call(&stack, "<ns1:paramsGetTags></ns1:paramsGetTags>");
    assert_string_equal(stack.rest_trace, "1; GET /rest/asset/v1/tagTypes.json");
    v = values_of(resp, "Cost Center");
    assert_string_equal(v, "Marketing|Sales|Partners");
    free(v);
    free(resp);
    cJSON_Delete(truth);
}

static void test_tags_by_type_and_value(void **state)
{
    (void)state;
    /* Marketo's documented request: Content Channel, values SEM and Email. */
    char *resp = ss_call(&stack, "<ns1:paramsGetTags><tagList><tag><type>Content Channel</type>"
                           "<values><stringItem>SEM</stringItem><stringItem>Email</stringItem>"
                           "</values></tag></tagList></ns1:paramsGetTags>");
    int n;
    char **tags = ss_xml_all(resp, "tag", &n);
    assert_int_equal(n, 1);
    ss_xml_free_all(tags, n);
    char *v = values_of(resp, "Content Channel");
    assert_string_equal(v, "SEM|Email");
    free(v);
    free(resp);

    /* Two types, one unknown (left out); a type in another case. */
    resp = ss_call(&stack, "<ns1:paramsGetTags><tagList><tag><type>region</type></tag>"
                     "<tag><type>Astrology</type></tag></tagList></ns1:paramsGetTags>");
    tags = ss_xml_all(resp, "tag", &n);
    assert_int_equal(n, 1);
    ss_xml_free_all(tags, n);
    v = values_of(resp, "Region");   /* Marketo's spelling of the type */
    assert_string_equal(v, "North America|EMEA|APAC|LATAM");
    free(v);
    free(resp);

    /* Values without a type: looked for in every type. */
    resp = ss_call(&stack, "<ns1:paramsGetTags><tagList><tag><values><stringItem>EMEA</stringItem>"
                     "<stringItem>Sales</stringItem></values></tag></tagList></ns1:paramsGetTags>");
    tags = ss_xml_all(resp, "tag", &n);
    assert_int_equal(n, 2);
    ss_xml_free_all(tags, n);
    v = values_of(resp, "Region");
    assert_string_equal(v, "EMEA");
    free(v);
    v = values_of(resp, "Cost Center");
    assert_string_equal(v, "Sales");
    free(v);
    free(resp);

    /* Nothing matches: an empty tagList, not a fault. */
    resp = ss_call(&stack, "<ns1:paramsGetTags><tagList><tag><type>Region</type><values>"
                     "<stringItem>Atlantis</stringItem></values></tag></tagList></ns1:paramsGetTags>");
    assert_true(ss_xml_has(resp, "tagList"));
    assert_false(ss_xml_has(resp, "tag"));
    assert_null(strstr(resp, "<tag>"));
    free(resp);
}

static void test_asset_rest_errors(void **state)
{
    (void)state;
    ss_emu_admin(&stack, "/_emulator/faults", "{\"error_code\": \"611\", \"error_share\": 1}");
    free(ss_call_fault(&stack, "<ns1:paramsGetChannels/>", 20011));
    free(ss_call_fault(&stack, "<ns1:paramsGetTags/>", 20011));
    ss_emu_admin(&stack, "/_emulator/faults", "{\"clear\": true}");
    char *resp = ss_call(&stack, "<ns1:paramsGetChannels/>");
    assert_true(ss_xml_has(resp, "tagStatus"));
    free(resp);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_channels_all_pages),
        cmocka_unit_test(test_channels_by_name),
        cmocka_unit_test(test_tags_all),
        cmocka_unit_test(test_tags_by_type_and_value),
        cmocka_unit_test(test_asset_rest_errors),
    };
    return ts_run_tests(tests, setup, ss_group_teardown);
}
