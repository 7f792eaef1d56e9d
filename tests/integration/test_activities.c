/*
 * test_activities.c — getLeadActivity and getLeadChanges end to end: signed
 * SOAP requests to a real mktows-shim in front of a real marketo-emulator.
 *
 * The emulator runs on the repository's seed plus data this test adds, all
 * dated relative to the current time (so the test means the same whatever
 * day it runs):
 *   lead 501 "walker@example.com", created T0 = now − 200 days: a New Lead
 *     and 233 more activities of six types, one every 70,000 s, every tenth
 *     at the same second as the one before it; Send Email activities name
 *     campaign 1001 ("Spring Newsletter Send") or 424242 (no such campaign);
 *   leads 601–640 "fan<id>@example.com": New Lead, Visit Webpage, Click Link;
 *   static list 3901 "Fans To Watch" = leads 601–612.
 * What the shim answers is compared with what REST itself has (read from
 * the emulator page by page), so every page-to-the-end test checks that no
 * record is lost, duplicated or out of order.
 *
 * The shim runs with activities.window_seconds = 5 days and
 * activities.max_rest_calls = 20, so getLeadActivity walks several slices
 * per page and some pages end early on the budget.
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

#include "acts_support.h"

#define WALKER 501
#define WALKER_MORE 233
#define STEP 70000

static ss_stack stack;
static time_t T0;
static char *all_types;

/* ---- the seed ------------------------------------------------------------------------ */

static cJSON *activity(long lead, int type, time_t at)
{
    cJSON *a = cJSON_CreateObject();
    cJSON_AddNumberToObject(a, "leadId", (double)lead);
    cJSON_AddNumberToObject(a, "activityTypeId", type);
    char *iso = ss_iso(at);
    cJSON_AddStringToObject(a, "activityDate", iso);
    free(iso);
    cJSON_AddItemToObject(a, "attributes", cJSON_CreateArray());
    return a;
}

static void attr(cJSON *a, const char *name, const char *value)
{
    cJSON *x = cJSON_CreateObject();
    cJSON_AddStringToObject(x, "name", name);
    cJSON_AddStringToObject(x, "value", value);
    cJSON_AddItemToArray(cJSON_GetObjectItemCaseSensitive(a, "attributes"), x);
}

static void primary(cJSON *a, long id, const char *value)
{
    cJSON_AddNumberToObject(a, "primaryAttributeValueId", (double)id);
    cJSON_AddStringToObject(a, "primaryAttributeValue", value);
}

static cJSON *lead(long id, const char *email, const char *first, const char *last, time_t created)
{
    cJSON *l = cJSON_CreateObject();
    cJSON_AddNumberToObject(l, "id", (double)id);
    cJSON_AddStringToObject(l, "email", email);
    cJSON_AddStringToObject(l, "firstName", first);
    cJSON_AddStringToObject(l, "lastName", last);
    char *iso = ss_iso(created);
    cJSON_AddStringToObject(l, "createdAt", iso);
    cJSON_AddStringToObject(l, "updatedAt", iso);
    free(iso);
    cJSON_AddNumberToObject(l, "leadPartitionId", 1);
    return l;
}

static time_t walker_at(int i)
{
    if (i % 10 == 9)
        i--;   /* a tie with the one before */
    return T0 + 60 + (time_t)i * STEP;
}

static cJSON *build_seed(void)
{
    cJSON *seed = ss_default_seed();
    cJSON *leads = cJSON_GetObjectItemCaseSensitive(seed, "leads");
    cJSON *acts = cJSON_GetObjectItemCaseSensitive(seed, "activities");
    cJSON_AddItemToArray(leads, lead(WALKER, "walker@example.com", "Walker", "Activity", T0));
    cJSON *a = activity(WALKER, 12, T0);
    attr(a, "Source Type", "Web service API");
    cJSON_AddItemToArray(acts, a);
    static const int cycle[] = {1, 3, 6, 24, 22, 2};
    for (int i = 0; i < WALKER_MORE; i++) {
        char buf[64];
        a = activity(WALKER, cycle[i % 6], walker_at(i));
        switch (cycle[i % 6]) {
        case 1:
            snprintf(buf, sizeof buf, "www.example.com/p%d.html", i);
            primary(a, 71, buf);
            snprintf(buf, sizeof buf, "/p%d.html", i);
            attr(a, "Webpage URL", buf);
            break;
        case 3:
            snprintf(buf, sizeof buf, "https://x.example/l%d", i);
            primary(a, 9, buf);
            break;
        case 6:
            primary(a, 5001, "Spring Newsletter");
            cJSON_AddNumberToObject(a, "campaignId", i % 12 == 2 ? 424242 : 1001);
            break;
        case 24:
            primary(a, 3001, "Webinar Registrants");
            attr(a, "Source", "API");
            break;
        case 22:
            primary(a, 1, "Lead Score");
            attr(a, "Change Value", "+1");
            break;
        default:
            primary(a, 1029, "Contact Us Form");
            break;
        }
        cJSON_AddItemToArray(acts, a);
    }
    for (long k = 601; k <= 640; k++) {
        char email[64], last[16];
        snprintf(email, sizeof email, "fan%ld@example.com", k);
        snprintf(last, sizeof last, "%ld", k);
        cJSON_AddItemToArray(leads, lead(k, email, "Fan", last, T0 + 3600 + (k - 600)));
        a = activity(k, 12, T0 + 3600 + (k - 600));
        attr(a, "Source Type", "Web service API");
        cJSON_AddItemToArray(acts, a);
        a = activity(k, 1, T0 + 7200 + (k - 600) * 600);
        primary(a, 72, "www.example.com/fans.html");
        cJSON_AddItemToArray(acts, a);
        a = activity(k, 3, T0 + 7500 + (k - 600) * 600);
        primary(a, 10, "https://x.example/fans");
        cJSON_AddItemToArray(acts, a);
    }
    cJSON *list = cJSON_CreateObject();
    cJSON_AddNumberToObject(list, "id", 3901);
    cJSON_AddStringToObject(list, "name", "Fans To Watch");
    cJSON_AddStringToObject(list, "programName", "Spring Webinar");
    cJSON_AddStringToObject(list, "workspaceName", "Default");
    cJSON_AddItemToArray(cJSON_GetObjectItemCaseSensitive(seed, "lists"), list);
    cJSON *mem = cJSON_CreateObject();
    cJSON_AddNumberToObject(mem, "listId", 3901);
    cJSON *ids = cJSON_AddArrayToObject(mem, "leadIds");
    for (int k = 601; k <= 612; k++)
        cJSON_AddItemToArray(ids, cJSON_CreateNumber(k));
    cJSON_AddItemToArray(cJSON_GetObjectItemCaseSensitive(seed, "listMembers"), mem);
    return seed;
}

static int setup(void **state)
{
    (void)state;
    time_t now = time(NULL);
    T0 = now - 200 * 86400;
    T0 -= T0 % 60;
    if (acts_start(&stack, build_seed(),
                   "{\"activities\": {\"window_seconds\": 432000, \"max_rest_calls\": 20},"
                   " \"timeouts\": {\"request_seconds\": 6}}") != 0)
        return -1;
    all_types = acts_all_type_ids(&stack);
    return 0;
}

static int teardown(void **state)
{
    (void)state;
    free(all_types);
    return ss_stop(&stack);
}

/* ---- request bodies ------------------------------------------------------------------ */

static char *gla(const char *kt, const char *kv, const char *filter, const char *start, int batch)
{
    char b[32] = "";
    if (batch)
        snprintf(b, sizeof b, "<batchSize>%d</batchSize>", batch);
    return ts_fmt("<ns1:paramsGetLeadActivity><leadKey><keyType>%s</keyType><keyValue>%s"
                  "</keyValue></leadKey>%s%s%s</ns1:paramsGetLeadActivity>",
                  kt, kv, filter ? filter : "", start ? start : "", b);
}

static char *glc(const char *start, const char *filter, const char *selector, int batch)
{
    char b[32] = "";
    if (batch)
        snprintf(b, sizeof b, "<batchSize>%d</batchSize>", batch);
    return ts_fmt("<ns1:paramsGetLeadChanges>%s%s%s%s</ns1:paramsGetLeadChanges>",
                  start ? start : "", filter ? filter : "", b, selector ? selector : "");
}

static int cmp_guid(const char *a, const char *b)
{
    size_t la = strlen(a), lb = strlen(b);
    return la != lb ? (la < lb ? -1 : 1) : strcmp(a, b);
}

/* Page getLeadActivity for lead `key` to the end; returns the last body. */
static char *gla_all(acts_seen *s, const char *kt, const char *kv, const char *filter, int batch)
{
    char *body = gla(kt, kv, filter, NULL, batch);
    char *resp = ss_call(&stack, body);
    free(body);
    while (acts_collect(s, resp, "activityRecord", batch) > 0) {
        char *start = acts_resend(resp);
        body = gla(kt, kv, filter, start, batch);
        free(resp);
        resp = ss_call(&stack, body);
        free(body);
        free(start);
        assert_true(s->pages < 200);
    }
    /* Newest first; within one second, the higher id first. */
    for (int i = 1; i < s->n; i++) {
        assert_true(s->at[i] <= s->at[i - 1]);
        if (s->at[i] == s->at[i - 1])
            assert_true(cmp_guid(s->guid[i], s->guid[i - 1]) < 0);
    }
    return resp;
}

/* ---- getLeadActivity ------------------------------------------------------------------- */

static void test_gla_pages_newest_first_to_the_end(void **state)
{
    (void)state;
    cJSON *truth = acts_truth(&stack, all_types, "501", 0, T0 - 1);
    assert_int_equal(cJSON_GetArraySize(truth), 1 + WALKER_MORE);
    const int batches[] = {100, 25};
    for (size_t b = 0; b < sizeof batches / sizeof *batches; b++) {
        acts_seen s = {0};
        char *last = gla_all(&s, "EMAIL", "walker@example.com", NULL, batches[b]);
        acts_same_as_truth(&s, truth);
        assert_string_equal(s.type[s.n - 1], "New Lead");          /* the oldest */
        assert_true(s.pages >= (1 + WALKER_MORE) / batches[b]);
        /* The end: remainingCount 0, and the position sent back is 20123. */
        char *start = acts_resend(last);
        char *body = gla("EMAIL", "walker@example.com", NULL, start, batches[b]);
        free(ss_call_fault(&stack, body, 20123));
        free(body);
        free(start);
        free(last);
        acts_seen_free(&s);
    }
    cJSON_Delete(truth);
}

static void test_gla_type_filters(void **state)
{
    (void)state;
    /* includeTypes: two WSDL tokens → Visit Webpage (1) and Click Link (3). */
    acts_seen s = {0};
    char *last = gla_all(&s, "IDNUM", "501",
                         "<activityFilter><includeTypes><activityType>VisitWebpage</activityType>"
                         "<activityType>ClickLink</activityType></includeTypes></activityFilter>",
                         30);
    cJSON *truth = acts_truth(&stack, "1,3", "501", 0, T0 - 1);
    acts_same_as_truth(&s, truth);
    for (int i = 0; i < s.n; i++)
        assert_true(!strcmp(s.type[i], "Visit Webpage") || !strcmp(s.type[i], "Click Link"));
    cJSON_Delete(truth);
    free(last);
    acts_seen_free(&s);

    /* excludeTypes VisitWebpage: everything else. */
    last = gla_all(&s, "IDNUM", "501",
                   "<activityFilter><excludeTypes><activityType>VisitWebpage</activityType>"
                   "</excludeTypes></activityFilter>", 100);
    truth = acts_truth(&stack, all_types, "501", 0, T0 - 1);
    int visits = 0;
    const cJSON *a;
    cJSON_ArrayForEach(a, truth)
        visits += cJSON_GetObjectItemCaseSensitive(a, "activityTypeId")->valueint == 1;
    assert_true(visits > 30);
    assert_int_equal(s.n, cJSON_GetArraySize(truth) - visits);
    for (int i = 0; i < s.n; i++)
        assert_string_not_equal(s.type[i], "Visit Webpage");
    cJSON_Delete(truth);
    free(last);
    acts_seen_free(&s);

    /* Excluding a token REST has no type for changes nothing; a blank
     * includeTypes entry means all types, as Marketo documented. */
    char *body = gla("IDNUM", "501",
                     "<activityFilter><excludeTypes><activityType>Wait</activityType>"
                     "</excludeTypes></activityFilter>", NULL, 100);
    char *resp = ss_call(&stack, body);
    assert_int_equal(ss_xml_num(resp, "returnCount"), 100);
    free(body);
    free(resp);
    body = gla("IDNUM", "501", "<activityFilter><includeTypes><activityType></activityType>"
               "</includeTypes></activityFilter>", NULL, 10);
    resp = ss_call(&stack, body);
    assert_int_equal(ss_xml_num(resp, "returnCount"), 10);
    free(body);
    free(resp);

    /* An alias: PushLeadToSales is "Sync Lead to SFDC" (type 19); the lead has none. */
    body = gla("IDNUM", "501", "<activityFilter><includeTypes><activityType>PushLeadToSales"
               "</activityType></includeTypes></activityFilter>", NULL, 10);
    resp = ss_call(&stack, body);
    assert_int_equal(ss_xml_num(resp, "returnCount"), 0);
    assert_int_equal(ss_xml_num(resp, "remainingCount"), 0);
    assert_false(ss_xml_has(resp, "activityRecord"));
    free(body);
    free(resp);
}

static void test_gla_record_shape(void **state)
{
    (void)state;
    char *body = gla("IDNUM", "501", "<activityFilter><includeTypes><activityType>SendEmail"
                     "</activityType><activityType>NewLead</activityType><activityType>"
                     "VisitWebpage</activityType></includeTypes></activityFilter>", NULL, 100);
    char *resp = ss_call(&stack, body);
    free(body);
    int n;
    char **recs = ss_xml_all(resp, "activityRecord", &n);
    assert_true(n > 50);
    bool named = false, gone = false, none = false;
    for (int i = 0; i < n; i++) {
        const char *r = recs[i];
        char *type = ss_xml_text(r, "activityType"), *id = ss_xml_text(r, "id");
        char *guid = ss_xml_text(r, "marketoGUID"), *pid = ss_xml_text(r, "mktPersonId");
        /* 64-bit ids: the emulator's start above 2^32, printed exactly. */
        assert_non_null(id);
        assert_true(strtoll(id, NULL, 10) > 4294967296LL);
        assert_string_equal(guid, id);
        assert_string_equal(pid, "501");
        char *leadattr = ss_xml_attr(r, "Lead ID");
        assert_string_equal(leadattr, "501");
        free(leadattr);
        assert_true(ss_xml_is_nil(r, "personName") && ss_xml_is_nil(r, "foreignSysId") &&
                    ss_xml_is_nil(r, "orgName") && ss_xml_is_nil(r, "foreignSysOrgId"));
        assert_true(ss_xml_is_nil(r, "attrType"));
        if (!strcmp(type, "Send Email")) {
            char *c = ss_xml_text(r, "campaign");
            if (c && !strcmp(c, "Spring Newsletter Send"))
                named = true;
            else if (!c && ss_xml_is_nil(r, "campaign"))
                gone = true;   /* campaign 424242 does not exist */
            else
                fail_msg("unexpected campaign in %s", r);
            free(c);
            char *mid = ss_xml_attr(r, "Mailing ID");
            assert_string_equal(mid, "5001");   /* the type's primary attribute */
            free(mid);
            char *asset = ss_xml_text(r, "mktgAssetName");
            assert_string_equal(asset, "Spring Newsletter");
            free(asset);
        } else if (!strcmp(type, "Visit Webpage")) {
            char *c = ss_xml_text(r, "campaign");
            assert_string_equal(c, "");   /* no campaign: Marketo's empty element */
            free(c);
            none = true;
            char *wp = ss_xml_attr(r, "Webpage ID");
            assert_string_equal(wp, "71");
            free(wp);
        } else if (!strcmp(type, "New Lead")) {
            /* No primary value: mktgAssetName (not nillable) is left out. */
            assert_false(ss_xml_has(r, "mktgAssetName"));
        }
        free(type);
        free(id);
        free(guid);
        free(pid);
    }
    assert_true(named && gone && none);
    /* Schema order of the 3_1 ActivityRecord. */
    const char *order[] = {"<id>", "<marketoGUID>", "<activityDateTime>", "<activityType>",
                           "<activityAttributes>", "<campaign", "<personName", "<mktPersonId>",
                           "<foreignSysId", "<orgName", "<foreignSysOrgId"};
    const char *prev = recs[0];
    for (size_t i = 0; i < sizeof order / sizeof *order; i++) {
        const char *p = strstr(recs[0], order[i]);
        assert_non_null(p);
        assert_true(p >= prev);
        prev = p;
    }
    ss_xml_free_all(recs, n);
    free(resp);
}

static void test_gla_faults(void **state)
{
    (void)state;
    char *body;
#define FAULT(code, b)                               \
    do {                                             \
        body = (b);                                  \
        free(ss_call_fault(&stack, body, code));          \
        free(body);                                  \
    } while (0)
    FAULT(20103, gla("EMAIL", "nobody@example.com", NULL, NULL, 10));
    FAULT(20103, gla("IDNUM", "999999", NULL, NULL, 10));
    FAULT(20102, gla("IDNUM", "abc", NULL, NULL, 10));
    FAULT(20102, gla("LEADOWNEREMAIL", "owner@example.com", NULL, NULL, 10));
    FAULT(20101, ts_fmt("<ns1:paramsGetLeadActivity><batchSize>5</batchSize></ns1:paramsGetLeadActivity>"));
    FAULT(20110, gla("IDNUM", "501", NULL, NULL, -1));
    FAULT(20107, gla("IDNUM", "501", "<activityFilter><includeTypes><activityType>Bogus"
                     "</activityType></includeTypes></activityFilter>", NULL, 10));
    FAULT(20107, gla("IDNUM", "501", "<activityFilter><excludeTypes><activityType>visitwebpage"
                     "</activityType></excludeTypes></activityFilter>", NULL, 10));
    /* A WSDL token with no REST activity type cannot be included. */
    FAULT(20107, gla("IDNUM", "501", "<activityFilter><includeTypes><activityType>Wait"
                     "</activityType></includeTypes></activityFilter>", NULL, 10));
    FAULT(20110, gla("IDNUM", "501", "<activityFilter><includeTypes><activityType>VisitWebpage"
                     "</activityType></includeTypes><excludeTypes><activityType>ClickLink"
                     "</activityType></excludeTypes></activityFilter>", NULL, 10));
    FAULT(20110, gla("IDNUM", "501", NULL, "<startPosition><oldestCreatedAt>yesterday"
                     "</oldestCreatedAt></startPosition>", 10));
    FAULT(20110, gla("IDNUM", "501", NULL, "<startPosition><oldestCreatedAt>2026-02-01T00:00:00Z"
                     "</oldestCreatedAt><latestCreatedAt>2026-01-01T00:00:00Z</latestCreatedAt>"
                     "</startPosition>", 10));
    FAULT(20122, gla("IDNUM", "501", NULL, "<startPosition><offset>ID:1024814</offset>"
                     "</startPosition>", 10));

    /* Positions: tampered, for another lead, with a changed date or filter. */
    body = gla("IDNUM", "501", NULL, NULL, 5);
    char *resp = ss_call(&stack, body);
    free(body);
    char *start = acts_resend(resp), *off = ss_xml_text(resp, "offset");
    char *bad = strdup(off);
    size_t k = strlen(bad) / 2;
    bad[k] = bad[k] == 'A' ? 'B' : 'A';
    char *sp = ts_fmt("<startPosition><offset>%s</offset></startPosition>", bad);
    FAULT(20122, gla("IDNUM", "501", NULL, sp, 5));
    free(sp);
    FAULT(20122, gla("IDNUM", "601", NULL, start, 5));
    FAULT(20122, gla("IDNUM", "501", "<activityFilter><includeTypes><activityType>NewLead"
                     "</activityType></includeTypes></activityFilter>", start, 5));
    char *latest = ss_xml_text(resp, "latestCreatedAt");
    char *moved = ss_iso(ss_time(latest) - 3600);
    sp = ts_fmt("<startPosition><latestCreatedAt>%s</latestCreatedAt><offset>%s</offset>"
                "</startPosition>", moved, off);
    FAULT(20122, gla("IDNUM", "501", NULL, sp, 5));
    free(sp);
    /* The untouched position still works, with or without its dates. */
    body = gla("IDNUM", "501", NULL, start, 5);
    free(ss_call(&stack, body));
    free(body);
    sp = ts_fmt("<startPosition><offset>%s</offset></startPosition>", off);
    body = gla("IDNUM", "501", NULL, sp, 5);
    free(ss_call(&stack, body));
    free(body);
    free(sp);
    free(latest);
    free(moved);
    free(bad);
    free(off);
    free(start);
    free(resp);

#undef FAULT
}

/* Steady state: no types.json, no campaign lookups on the second call. */
static void test_gla_caches(void **state)
{
    (void)state;
    char *body = gla("IDNUM", "501", "<activityFilter><includeTypes><activityType>SendEmail"
                     "</activityType></includeTypes></activityFilter>", NULL, 20);
    free(ss_call(&stack, body));
    long types = ss_emu_calls(&stack, "GET /rest/v1/activities/types.json");
    long camps = ss_emu_calls(&stack, "GET /rest/v1/campaigns/{campaignId}.json");
    char *resp = ss_call(&stack, body);
    const char *calls = stack.rest_trace;
    assert_null(strstr(calls, "types.json"));
    assert_null(strstr(calls, "/campaigns/"));
    /* IDNUM with a filter of one type: the lead lookup, then per slice one
     * paging token and one activities.json. */
    assert_non_null(strstr(calls, "GET /rest/v1/leads.json"));
    assert_int_equal(ss_emu_calls(&stack, "GET /rest/v1/activities/types.json"), types);
    assert_int_equal(ss_emu_calls(&stack, "GET /rest/v1/campaigns/{campaignId}.json"), camps);
    assert_non_null(strstr(resp, "<campaign>Spring Newsletter Send</campaign>"));
    free(resp);
    free(body);
}

/* ---- getLeadChanges -------------------------------------------------------------------- */

/* Page getLeadChanges to the end; returns the last body. */
static char *glc_all(acts_seen *s, const char *start0, const char *filter, const char *selector,
                     int batch)
{
    char *body = glc(start0, filter, selector, batch);
    char *resp = ss_call(&stack, body);
    free(body);
    while (acts_collect(s, resp, "leadChangeRecord", batch) > 0) {
        char *start = acts_resend(resp);
        body = glc(start, filter, selector, batch);
        free(resp);
        resp = ss_call(&stack, body);
        free(body);
        free(start);
        assert_true(s->pages < 300);
    }
    for (int i = 1; i < s->n; i++)
        assert_true(s->at[i] >= s->at[i - 1]);   /* oldest first */
    return resp;
}

static void test_glc_pages_to_the_end(void **state)
{
    (void)state;
    char *start = acts_since_start(T0 - 1);
    const char *names = "<activityNameFilter><stringItem>Visit Webpage</stringItem>"
                        "<stringItem>Click Link</stringItem></activityNameFilter>";
    acts_seen s = {0};
    char *last = glc_all(&s, start, names, NULL, 25);
    cJSON *truth = acts_truth(&stack, "1,3", NULL, 0, T0 - 1);
    acts_same_as_truth(&s, truth);
    assert_true(s.pages > 4);
    /* Caught up: the position sent back now has nothing new → 20123. */
    char *again = acts_resend(last);
    assert_non_null(strstr(again, "<oldestCreatedAt>"));   /* echoed */
    char *body = glc(again, names, NULL, 25);
    free(ss_call_fault(&stack, body, 20123));
    free(body);
    free(again);
    free(last);
    cJSON_Delete(truth);
    acts_seen_free(&s);

    /* All types (more than 10 ids: several REST streams merged by date). */
    last = glc_all(&s, start, NULL, NULL, 300);
    truth = acts_truth(&stack, all_types, NULL, 0, T0 - 1);
    acts_same_as_truth(&s, truth);
    cJSON_Delete(truth);
    free(last);
    acts_seen_free(&s);
    free(start);
}

static void test_glc_read_after_write(void **state)
{
    (void)state;
    /* A caught-up position over lead changes (New Lead + Change Data Value,
     * i.e. REST's leadchanges.json). */
    const char *filter = "<activityFilter><includeTypes><activityType>ChangeDataValue</activityType>"
                         "<activityType>NewLead</activityType></includeTypes></activityFilter>";
    char *start = acts_since_start(time(NULL) - 5);
    char *body = glc(start, filter, NULL, 100);
    char *resp = ss_call(&stack, body);
    assert_non_null(strstr(stack.rest_trace, "leadchanges.json"));
    assert_null(strstr(stack.rest_trace, "/rest/v1/activities.json"));
    free(body);
    acts_seen s = {0};
    while (acts_collect(&s, resp, "leadChangeRecord", 100) > 0) {
        char *st = acts_resend(resp);
        body = glc(st, filter, NULL, 100);
        free(resp);
        resp = ss_call(&stack, body);
        free(body);
        free(st);
    }
    acts_seen_free(&s);
    char *pos = acts_resend(resp);
    free(resp);

    /* Write through REST: lead 601's first name, and a new lead. */
    long st;
    cJSON *j = ts_rest(&stack.emu, stack.token, "POST", "/rest/v1/leads.json",
                       "{\"action\":\"updateOnly\",\"lookupField\":\"id\",\"input\":"
                       "[{\"id\":601,\"firstName\":\"Renamed\"}]}", &st);
    assert_int_equal(st, 200);
    cJSON_Delete(j);
    j = ts_rest(&stack.emu, stack.token, "POST", "/rest/v1/leads.json",
                "{\"action\":\"createOnly\",\"input\":[{\"email\":\"brand.new@example.com\"}]}", &st);
    assert_int_equal(st, 200);
    cJSON_Delete(j);

    body = glc(pos, filter, NULL, 100);
    resp = ss_call(&stack, body);
    free(body);
    int n;
    char **recs = ss_xml_all(resp, "leadChangeRecord", &n);
    assert_int_equal(n, 2);
    assert_int_equal(ss_xml_num(resp, "remainingCount"), 0);
    char *t0 = ss_xml_text(recs[0], "activityType"), *t1 = ss_xml_text(recs[1], "activityType");
    assert_string_equal(t0, "Change Data Value");
    assert_string_equal(t1, "New Lead");
    /* Change Data Value as Marketo showed it: the field's display name. */
    char *an = ss_xml_attr(recs[0], "Attribute Name"), *ov = ss_xml_attr(recs[0], "Old Value");
    char *nv = ss_xml_attr(recs[0], "New Value"), *asset = ss_xml_text(recs[0], "mktgAssetName");
    char *who = ss_xml_text(recs[0], "mktPersonId");
    assert_string_equal(an, "First Name");
    assert_string_equal(ov, "Fan");
    assert_string_equal(nv, "Renamed");
    assert_string_equal(asset, "First Name");
    assert_string_equal(who, "601");
    assert_true(strstr(recs[0], "<attrName>Attribute Name</attrName>") <
                strstr(recs[0], "<attrName>Old Value</attrName>"));
    assert_true(strstr(recs[0], "<attrName>Old Value</attrName>") <
                strstr(recs[0], "<attrName>New Value</attrName>"));
    /* LeadChangeRecord has no person/org members, and no campaign here. */
    assert_false(ss_xml_has(recs[0], "personName"));
    assert_false(ss_xml_has(recs[0], "campaign"));
    free(t0), free(t1), free(an), free(ov), free(nv), free(asset), free(who);
    ss_xml_free_all(recs, n);

    /* And the SOAP write path: syncLead, then the change shows up. */
    char *pos2 = acts_resend(resp);
    free(resp);
    body = ts_fmt("<ns1:paramsSyncLead><leadRecord><Id>602</Id><leadAttributeList><attribute>"
                  "<attrName>LastName</attrName><attrValue>Synced</attrValue></attribute>"
                  "</leadAttributeList></leadRecord><returnLead>false</returnLead>"
                  "</ns1:paramsSyncLead>");
    free(ss_call(&stack, body));
    free(body);
    body = glc(pos2, filter, NULL, 100);
    resp = ss_call(&stack, body);
    free(body);
    recs = ss_xml_all(resp, "leadChangeRecord", &n);
    assert_int_equal(n, 1);
    an = ss_xml_attr(recs[0], "Attribute Name");
    ov = ss_xml_attr(recs[0], "Old Value");
    nv = ss_xml_attr(recs[0], "New Value");
    assert_string_equal(an, "Last Name");
    assert_string_equal(ov, "602");
    assert_string_equal(nv, "Synced");
    free(an), free(ov), free(nv);
    ss_xml_free_all(recs, n);

    /* Nothing newer: 20123, and the position stays usable. */
    char *pos3 = acts_resend(resp);
    body = glc(pos3, filter, NULL, 100);
    free(ss_call_fault(&stack, body, 20123));
    free(body);
    free(pos3);
    free(pos2);
    free(resp);
    free(pos);
    free(start);
}

static void test_glc_selectors(void **state)
{
    (void)state;
    char *start = acts_since_start(T0 - 1);
    /* 35 EMAIL keys → 35 lead ids → two REST groups (30 + 5), all types
     * (several type groups): every stream merged by date. */
    char keys[4096] = "";
    for (int k = 601; k <= 635; k++) {
        size_t l = strlen(keys);
        snprintf(keys + l, sizeof keys - l, "<stringItem>fan%d@example.com</stringItem>", k);
    }
    char *sel = ts_fmt("<leadSelector xsi:type=\"ns1:LeadKeySelector\"><keyType>EMAIL</keyType>"
                       "<keyValues>%s</keyValues></leadSelector>", keys);
    acts_seen s = {0};
    char *last = glc_all(&s, start, NULL, sel, 40);
    char a30[512] = "", a5[64] = "";
    for (int k = 601; k <= 635; k++) {
        char *dst = k <= 630 ? a30 : a5;
        size_t l = strlen(dst);
        snprintf(dst + l, (k <= 630 ? sizeof a30 : sizeof a5) - l, "%s%d", l ? "," : "", k);
    }
    cJSON *truth = acts_truth(&stack, all_types, a30, 0, T0 - 1);
    cJSON *more = acts_truth(&stack, all_types, a5, 0, T0 - 1);
    while (cJSON_GetArraySize(more) > 0)
        cJSON_AddItemToArray(truth, cJSON_DetachItemFromArray(more, 0));
    cJSON_Delete(more);
    assert_true(cJSON_GetArraySize(truth) >= 35 * 3);   /* + changes other tests made */
    acts_same_as_truth(&s, truth);
    cJSON_Delete(truth);
    free(last);
    acts_seen_free(&s);
    free(sel);

    /* More than 100 keys: Marketo's bad-parameter fault. */
    char *many = malloc(200 * 40 + 1);
    many[0] = '\0';
    for (int k = 0; k < 101; k++)
        sprintf(many + strlen(many), "<stringItem>%d</stringItem>", 700 + k);
    sel = ts_fmt("<leadSelector xsi:type=\"ns1:LeadKeySelector\"><keyType>IDNUM</keyType>"
                 "<keyValues>%s</keyValues></leadSelector>", many);
    char *body = glc(start, NULL, sel, 10);
    free(ss_call_fault(&stack, body, 20110));
    free(body);
    free(sel);
    free(many);

    /* StaticListSelector by name and by id: list 3901's members (601-612). */
    const char *byname = "<leadSelector xsi:type=\"ns1:StaticListSelector\"><staticListName>"
                         "Fans To Watch</staticListName></leadSelector>";
    const char *byid = "<leadSelector xsi:type=\"ns1:StaticListSelector\"><staticListId>3901"
                       "</staticListId></leadSelector>";
    const char *sels[] = {byname, byid};
    for (int i = 0; i < 2; i++) {
        last = glc_all(&s, start, "<activityNameFilter><stringItem>Visit Webpage</stringItem>"
                       "</activityNameFilter>", sels[i], 5);
        truth = acts_truth(&stack, "1", NULL, 3901, T0 - 1);
        assert_int_equal(cJSON_GetArraySize(truth), 12);
        acts_same_as_truth(&s, truth);
        cJSON_Delete(truth);
        free(last);
        acts_seen_free(&s);
    }
    /* The list name was looked up once and is cached: no lists.json now. */
    body = glc(start, NULL, byname, 5);
    free(ss_call(&stack, body));
    assert_null(strstr(stack.rest_trace, "lists.json"));
    free(body);
    body = glc(start, NULL, "<leadSelector xsi:type=\"ns1:StaticListSelector\"><staticListName>"
               "No Such List</staticListName></leadSelector>", 10);
    free(ss_call_fault(&stack, body, 20111));
    free(body);

    /* LastUpdateAtSelector: a window; the stream ends at its end for good. */
    char *o = ss_iso(T0 + 7200), *l = ss_iso(T0 + 7200 + 10 * 600);
    sel = ts_fmt("<leadSelector xsi:type=\"ns1:LastUpdateAtSelector\"><oldestUpdatedAt>%s"
                 "</oldestUpdatedAt><latestUpdatedAt>%s</latestUpdatedAt></leadSelector>", o, l);
    char *ostart = acts_since_start(T0 + 7200);
    last = glc_all(&s, ostart, "<activityNameFilter><stringItem>Visit Webpage</stringItem>"
                   "</activityNameFilter>", sel, 4);
    assert_int_equal(s.n, 10);   /* fans 601-610: one visit each, 600 s apart from T0 + 7800 */
    for (int i = 0; i < s.n; i++)
        assert_true(s.at[i] >= T0 + 7200 && s.at[i] <= T0 + 7200 + 6000);
    char *again = acts_resend(last);
    body = glc(again, "<activityNameFilter><stringItem>Visit Webpage</stringItem>"
               "</activityNameFilter>", sel, 4);
    free(ss_call_fault(&stack, body, 20123));
    free(body);
    free(again);
    free(last);
    acts_seen_free(&s);
    free(sel);
    free(ostart);
    char *far = ss_iso(T0 + 7200 + 31 * 86400);
    sel = ts_fmt("<leadSelector xsi:type=\"ns1:LastUpdateAtSelector\"><oldestUpdatedAt>%s"
                 "</oldestUpdatedAt><latestUpdatedAt>%s</latestUpdatedAt></leadSelector>", o, far);
    body = glc(start, NULL, sel, 10);
    free(ss_call_fault(&stack, body, 20022));
    free(body);
    free(sel);
    free(far);
    free(o);
    free(l);

    /* Only New Lead, through leadchanges.json. */
    last = glc_all(&s, start, "<activityFilter><includeTypes><activityType>NewLead</activityType>"
                   "</includeTypes></activityFilter>", NULL, 500);
    truth = acts_truth(&stack, "12", NULL, 0, T0 - 1);
    acts_same_as_truth(&s, truth);
    cJSON_Delete(truth);
    free(last);
    acts_seen_free(&s);
    free(start);
}

static void test_glc_faults(void **state)
{
    (void)state;
    char *start = acts_since_start(T0);
    char *body;
#define FAULT(code, b)                               \
    do {                                             \
        body = (b);                                  \
        free(ss_call_fault(&stack, body, code));          \
        free(body);                                  \
    } while (0)
    FAULT(20109, glc("<startPosition></startPosition>", NULL, NULL, 10));
    FAULT(20109, glc(NULL, NULL, NULL, 10));
    FAULT(20107, glc(start, "<activityNameFilter><stringItem>Visit Web Page</stringItem>"
                     "</activityNameFilter>", NULL, 10));
    FAULT(20107, glc(start, "<activityFilter><includeTypes><activityType>NotAType</activityType>"
                     "</includeTypes></activityFilter>", NULL, 10));
    FAULT(20110, glc(start, NULL, NULL, -1));
    FAULT(20122, glc("<startPosition><offset>not-a-position</offset></startPosition>", NULL, NULL, 10));
    FAULT(20102, glc(start, NULL, "<leadSelector xsi:type=\"ns1:LeadKeySelector\"><keyType>"
                     "LEADOWNEREMAIL</keyType><keyValues><stringItem>a@b.c</stringItem></keyValues>"
                     "</leadSelector>", 10));
    /* A position from getLeadActivity is not a getLeadChanges position. */
    char *g = gla("IDNUM", "501", NULL, NULL, 5);
    char *resp = ss_call(&stack, g);
    char *off = ss_xml_text(resp, "offset");
    char *sp = ts_fmt("<startPosition><offset>%s</offset></startPosition>", off);
    FAULT(20122, glc(sp, NULL, NULL, 10));
    free(sp);
    free(off);
    free(resp);
    free(g);
    /* Same request, other selector: refused. */
    resp = ss_call(&stack, (body = glc(start, NULL, NULL, 5)));
    free(body);
    char *pos = acts_resend(resp);
    FAULT(20122, glc(pos, NULL, "<leadSelector xsi:type=\"ns1:StaticListSelector\"><staticListId>"
                     "3901</staticListId></leadSelector>", 5));
    free(pos);
    free(resp);
    free(start);
#undef FAULT
}

/* REST failures become the Marketo faults mapping/errors.json names.  Last:
 * the shim's quota guard rightly slows down after Marketo said 606/615. */
static void test_rest_errors(void **state)
{
    (void)state;
    char *start = acts_since_start(T0);
    struct { const char *code; int fault; } cases[] = {{"611", 20011}, {"615", 20024}, {"606", 20023}};
    for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
        char *f = ts_fmt("{\"error_code\": \"%s\", \"error_share\": 1}", cases[i].code);
        ss_emu_admin(&stack, "/_emulator/faults", f);
        free(f);
        char *body = gla("IDNUM", "501", NULL, NULL, 5);
        free(ss_call_fault(&stack, body, cases[i].fault));
        free(body);
        body = glc(start, NULL, NULL, 10);
        free(ss_call_fault(&stack, body, cases[i].fault));
        free(body);
        ss_emu_admin(&stack, "/_emulator/faults", "{\"clear\": true}");
    }
    free(start);
}

/* The smallest call budget (3) still pages everything to the end: the
 * first slice of getLeadActivity always completes, and getLeadChanges may
 * always read one page of each of its streams. */
static void test_tiny_budget_still_progresses(void **state)
{
    (void)state;
    ss_stack saved = stack;   /* the page helpers talk to stack: a second one stands in */
    assert_int_equal(acts_start(&stack, build_seed(),
                                "{\"activities\": {\"window_seconds\": 86400, \"max_rest_calls\": 3}}"),
                     0);
    acts_seen s = {0};
    char *last = gla_all(&s, "IDNUM", "501", NULL, 50);
    cJSON *truth = acts_truth(&stack, all_types, "501", 0, T0 - 1);
    acts_same_as_truth(&s, truth);
    assert_true(s.short_pages > 0);   /* the budget did cut pages short */
    cJSON_Delete(truth);
    free(last);
    acts_seen_free(&s);
    char *start = acts_since_start(T0 - 1);
    last = glc_all(&s, start, NULL, NULL, 50);
    truth = acts_truth(&stack, all_types, NULL, 0, T0 - 1);
    acts_same_as_truth(&s, truth);
    cJSON_Delete(truth);
    free(last);
    free(start);
    acts_seen_free(&s);
    assert_int_equal(ss_stop(&stack), 0);
    stack = saved;
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_gla_pages_newest_first_to_the_end),
        cmocka_unit_test(test_gla_type_filters),
        cmocka_unit_test(test_gla_record_shape),
        cmocka_unit_test(test_gla_faults),
        cmocka_unit_test(test_gla_caches),
        cmocka_unit_test(test_glc_pages_to_the_end),
        cmocka_unit_test(test_glc_read_after_write),
        cmocka_unit_test(test_glc_selectors),
        cmocka_unit_test(test_glc_faults),
        cmocka_unit_test(test_tiny_budget_still_progresses),
        cmocka_unit_test(test_rest_errors),
    };
    return ts_run_tests(tests, setup, teardown);
}
