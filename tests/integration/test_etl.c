/*
 * test_etl.c — what ETL jobs (Talend's tMarketoInput/tMarketoOutput,
 * embulk's Marketo plugin, python3-zeep scripts) do at scale, end to end
 * against a real mktows-shim in front of a real marketo-emulator (issue 15):
 *
 *   - big syncs where one record carries an odd or bad value: every other
 *     record is written and reported in order, the odd forms legacy
 *     clients send are understood, a value REST refuses fails its own
 *     record, only an unknown attribute faults a lead call;
 *   - getMultipleLeads with Talend's default includeAttributes;
 *   - paging over windows whose first thousands of REST activities are of
 *     other types: no page is empty while it says more follows, and a
 *     client that stops at the first empty page (as Talend and embulk do)
 *     still gets every record.  Each page prints what it cost in REST calls.
 *
 * The emulator runs on the repository's seed plus what this file adds,
 * dated relative to now: a datetime lead field LastContactedAt, a custom
 * object type Subscription, static list 3950 "Talend Export" (leads 1-20),
 * lead 901 whose five Visit Webpage activities are 36-40 days old, and in
 * the last two days 17,000 Add to List activities around three lead
 * changes.  The emulator scans 1,000 activities per REST call, as Marketo
 * scans in blocks, so reaching the first change takes 13 REST pages.  Every
 * answer is compared with the emulator's own REST answers.
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

#include <cmocka.h>

#include "acts_support.h"

#define LEADS_N 300          /* syncMultipleLeads: one REST batch's worth */
#define OBJECTS_N 200        /* syncCustomObjects: two SOAP calls of Marketo's 100 */
#define ODD 150              /* the record carrying the value under test */
#define HISTORY_LEAD 901
#define TALEND_LIST 3950
#define OTHER_BEFORE 12000   /* Add to List activities before the first change */
#define OTHER_BETWEEN 3000
#define OTHER_AFTER 2000
#define SYNC_ROUTE "POST /rest/v1/leads.json"

static ss_stack stack;
static time_t NOW, W0;

/* ---- the seed ---------------------------------------------------------------------------- */

static void add_json(cJSON *arr, char *text)
{
    cJSON *j = cJSON_Parse(text);
    if (!j)
        fail_msg("bad seed JSON: %s", text);
    cJSON_AddItemToArray(arr, j);
    free(text);
}

/* An Add to List activity of one of the seed's leads 1-20. */
static void add_to_list(cJSON *acts, int i, time_t at)
{
    char *d = ss_iso(at);
    add_json(acts, ts_fmt("{\"leadId\": %d, \"activityTypeId\": 24, \"activityDate\": \"%s\","
                          " \"primaryAttributeValueId\": 3001, \"primaryAttributeValue\":"
                          " \"Webinar Registrants\", \"attributes\": [{\"name\": \"Source\","
                          " \"value\": \"API\"}]}", 1 + i % 20, d));
    free(d);
}

static void add_change(cJSON *acts, int lead, const char *field, const char *soap, time_t at)
{
    char *d = ss_iso(at);
    add_json(acts, ts_fmt("{\"leadId\": %d, \"activityTypeId\": 13, \"activityDate\": \"%s\","
                          " \"primaryAttributeValueId\": 35, \"primaryAttributeValue\": \"%s\","
                          " \"attributes\": [{\"name\": \"Reason\", \"value\": \"ETL\"}],"
                          " \"fields\": [{\"id\": 35, \"name\": \"%s\", \"newValue\": \"11\","
                          " \"oldValue\": \"10\"}]}", lead, d, soap, field));
    free(d);
}

static cJSON *build_seed(void)
{
    cJSON *seed = ss_default_seed();
    add_json(cJSON_GetObjectItemCaseSensitive(seed, "leadFields"),
             ts_fmt("{\"id\": 900, \"name\": \"lastContactedAt\", \"displayName\": \"Last "
                    "Contacted At\", \"dataType\": \"datetime\", \"readOnly\": false, "
                    "\"soapName\": \"LastContactedAt\"}"));
    add_json(cJSON_GetObjectItemCaseSensitive(seed, "customObjectTypes"), ts_fmt(
        "{\"name\": \"subscription_c\", \"displayName\": \"Subscription\", \"pluralName\": "
        "\"Subscriptions\", \"createdAt\": \"2025-06-01T12:00:00Z\", \"updatedAt\": "
        "\"2025-06-01T12:00:00Z\", \"idField\": \"marketoGUID\", \"dedupeFields\": [\"subId\"], "
        "\"searchableFields\": [[\"subId\"], [\"marketoGUID\"], [\"leadId\"]], \"relationships\":"
        " [{\"field\": \"leadId\", \"type\": \"parent\", \"relatedTo\": {\"name\": \"Lead\", "
        "\"field\": \"id\"}}], \"fields\": ["
        "{\"name\": \"marketoGUID\", \"dataType\": \"string\", \"updateable\": false},"
        "{\"name\": \"subId\", \"dataType\": \"string\", \"updateable\": true},"
        "{\"name\": \"leadId\", \"dataType\": \"link\", \"updateable\": true},"
        "{\"name\": \"plan\", \"dataType\": \"string\", \"updateable\": true},"
        "{\"name\": \"seats\", \"dataType\": \"integer\", \"updateable\": true},"
        "{\"name\": \"price\", \"dataType\": \"currency\", \"updateable\": true},"
        "{\"name\": \"active\", \"dataType\": \"boolean\", \"updateable\": true},"
        "{\"name\": \"renewal\", \"dataType\": \"date\", \"updateable\": true},"
        "{\"name\": \"lastUsed\", \"dataType\": \"datetime\", \"updateable\": true},"
        "{\"name\": \"createdAt\", \"dataType\": \"datetime\", \"updateable\": false},"
        "{\"name\": \"updatedAt\", \"dataType\": \"datetime\", \"updateable\": false}],"
        " \"state\": \"approved\", \"version\": \"approved\"}"));
    add_json(cJSON_GetObjectItemCaseSensitive(seed, "lists"),
             ts_fmt("{\"id\": %d, \"name\": \"Talend Export\", \"programName\": \"ETL\", "
                    "\"workspaceName\": \"Default\"}", TALEND_LIST));
    add_json(cJSON_GetObjectItemCaseSensitive(seed, "listMembers"),
             ts_fmt("{\"listId\": %d, \"leadIds\": [1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13,"
                    " 14, 15, 16, 17, 18, 19, 20]}", TALEND_LIST));
    char *created = ss_iso(NOW - 60 * 86400);
    add_json(cJSON_GetObjectItemCaseSensitive(seed, "leads"),
             ts_fmt("{\"id\": %d, \"email\": \"history@example.com\", \"lastName\": \"History\","
                    " \"createdAt\": \"%s\", \"updatedAt\": \"%s\", \"leadPartitionId\": 1}",
                    HISTORY_LEAD, created, created));
    free(created);

    cJSON *acts = cJSON_GetObjectItemCaseSensitive(seed, "activities");
    for (int k = 0; k < 5; k++) {
        char *d = ss_iso(NOW - (40 - k) * 86400);
        add_json(acts, ts_fmt("{\"leadId\": %d, \"activityTypeId\": 1, \"activityDate\": \"%s\","
                              " \"primaryAttributeValueId\": 71, \"primaryAttributeValue\": "
                              "\"www.example.com/old%d.html\", \"attributes\": []}",
                              HISTORY_LEAD, d, k));
        free(d);
    }
    int i = 0;
    for (; i < OTHER_BEFORE; i++)
        add_to_list(acts, i, W0 + 1 + i);
    add_change(acts, 3, "leadScore", "Lead Score", W0 + 20000);
    for (int k = 0; k < OTHER_BETWEEN; k++, i++)
        add_to_list(acts, i, W0 + 20001 + k);
    char *d = ss_iso(W0 + 30000);
    add_json(acts, ts_fmt("{\"leadId\": 11, \"activityTypeId\": 12, \"activityDate\": \"%s\","
                          " \"primaryAttributeValueId\": 11, \"primaryAttributeValue\": "
                          "\"ghopper@example.com\", \"attributes\": [{\"name\": \"Source Type\","
                          " \"value\": \"Web service API\"}]}", d));
    free(d);
    add_change(acts, 5, "firstName", "First Name", W0 + 30001);
    for (int k = 0; k < OTHER_AFTER; k++, i++)
        add_to_list(acts, i, W0 + 40000 + k);
    return seed;
}

static int group_setup(void **state)
{
    NOW = time(NULL);
    W0 = NOW - 2 * 86400;
    W0 -= W0 % 60;
    *state = &stack;
    return acts_start(&stack, build_seed(),
                      "{\"activities\": {\"max_rest_calls\": 6},"
                      " \"leads\": {\"foreign_sys_person_id_field\": \"foreignSysPersonId\"}}");
}

/* ---- REST ground truth ------------------------------------------------------------------- */

/* REST's leads for these emails (≤100), as {email: lead}. */
static void rest_leads_by_email(char **emails, int n, const char *fields, cJSON *into)
{
    ts_buf b = {0};
    for (int i = 0; i < n; i++) {
        char *e = ts_urlenc(emails[i]);
        ts_buf_add(&b, "%s%s", i ? "," : "", e);
        free(e);
    }
    char *path = ts_fmt("/rest/v1/leads.json?filterType=email&filterValues=%s&fields=%s", b.s,
                        fields);
    cJSON *leads = ss_rest_result(&stack, path);
    cJSON *l;
    while ((l = cJSON_DetachItemFromArray(leads, 0))) {
        const char *e = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(l, "email"));
        if (e)
            cJSON_AddItemToObject(into, e, l);
        else
            cJSON_Delete(l);
    }
    cJSON_Delete(leads);
    free(path);
    free(b.s);
}

static long long json_id(const cJSON *o)
{
    const cJSON *id = cJSON_GetObjectItemCaseSensitive(o, "id");
    return cJSON_IsNumber(id) ? (long long)id->valuedouble : -1;
}

/* ---- syncMultipleLeads ------------------------------------------------------------------- */

typedef struct form {
    const char *label;
    const char *attr;       /* SOAP attribute (record ODD only) */
    const char *value;      /* attrValue text; NULL: xsi:nil */
    const char *field;      /* REST field it lands in */
    const char *want;       /* the REST value expected, printed compact; NULL: refused */
} form;

static const form LEAD_FORMS[] = {
    {"integer", "LeadScore", "5", "leadScore", "5"},
    {"integer written as decimal", "LeadScore", "5.0", "leadScore", "5"},
    {"integer with spaces", "LeadScore", " 5 ", "leadScore", "5"},
    {"boolean true", "Unsubscribed", "true", "unsubscribed", "true"},
    {"boolean 1", "Unsubscribed", "1", "unsubscribed", "true"},
    {"date with offset", "LastPurchaseDate", "2026-11-28T23:30:00-08:00", "lastPurchaseDate",
     "\"2026-11-28\""},
    {"date-time with offset", "LastContactedAt", "2026-11-28T03:50:53-08:00", "lastContactedAt",
     "\"2026-11-28T11:50:53Z\""},
    {"date-time without offset", "LastContactedAt", "2026-11-28 11:51:28", "lastContactedAt",
     "\"2026-11-28T11:51:28\""},
    {"null", "LeadScore", "null", "leadScore", "null"},
    {"xsi:nil", "LeadScore", NULL, "leadScore", "null"},
    {"a value REST refuses", "LeadScore", "abc", "leadScore", NULL},
};

static char *sync_body(int round, const char *attr, const char *value)
{
    ts_buf b = {0};
    ts_buf_add(&b, "<ns1:paramsSyncMultipleLeads><leadRecordList>");
    for (int i = 0; i < LEADS_N; i++) {
        ts_buf_add(&b, "<leadRecord><Email>etl%d-%d@example.com</Email><leadAttributeList>"
                   "<attribute><attrName>LastName</attrName><attrValue>Row %d</attrValue>"
                   "</attribute>", round, i, i);
        if (i == ODD && value)
            ts_buf_add(&b, "<attribute><attrName>%s</attrName><attrValue>%s</attrValue>"
                       "</attribute>", attr, value);
        else if (i == ODD)
            ts_buf_add(&b, "<attribute><attrName>%s</attrName><attrValue xsi:nil=\"true\"/>"
                       "</attribute>", attr);
        ts_buf_add(&b, "</leadAttributeList></leadRecord>");
    }
    ts_buf_add(&b, "</leadRecordList></ns1:paramsSyncMultipleLeads>");
    return b.s;
}

/* Every status in order against REST: CREATED with REST's id for each
 * written lead; FAILED with REST's reason for a refused one.  Returns how
 * many leads REST holds. */
static int check_statuses(const char *resp, int round, const char *field, cJSON **odd_lead,
                          const char *refused_reason)
{
    char *emails[LEADS_N];
    cJSON *rest = cJSON_CreateObject();
    for (int i = 0; i < LEADS_N; i++)
        emails[i] = ts_fmt("etl%d-%d@example.com", round, i);
    char *fields = ts_fmt("id,email,%s", field);
    for (int i = 0; i < LEADS_N; i += 100)
        rest_leads_by_email(emails + i, 100, fields, rest);
    free(fields);
    int n;
    char **st = ss_xml_all(resp, "syncStatus", &n);
    assert_int_equal(n, LEADS_N);
    for (int i = 0; i < LEADS_N; i++) {
        char *status = ss_xml_text(st[i], "status"), *id = ss_xml_text(st[i], "leadId");
        cJSON *lead = cJSON_GetObjectItemCaseSensitive(rest, emails[i]);
        if (refused_reason && i == ODD) {
            assert_string_equal(status, "FAILED");
            char *err = ss_xml_text(st[i], "error");
            assert_non_null(err);
            if (!strstr(err, refused_reason))
                fail_msg("record %d: error '%s' does not give REST's reason %s", i, err,
                         refused_reason);
            free(err);
            assert_null(lead);
        } else {
            if (strcmp(status, "CREATED") != 0 || !lead || atoll(id) != json_id(lead))
                fail_msg("record %d: %s lead %s, REST has %lld", i, status, id,
                         lead ? json_id(lead) : -1LL);
        }
        free(status);
        free(id);
    }
    ss_xml_free_all(st, n);
    *odd_lead = cJSON_DetachItemFromObjectCaseSensitive(rest, emails[ODD]);
    int held = cJSON_GetArraySize(rest) + (*odd_lead ? 1 : 0);
    cJSON_Delete(rest);
    for (int i = 0; i < LEADS_N; i++)
        free(emails[i]);
    return held;
}

static void test_sync_multiple_leads_value_forms(void **state)
{
    (void)state;
    for (size_t f = 0; f < sizeof LEAD_FORMS / sizeof *LEAD_FORMS; f++) {
        const form *x = &LEAD_FORMS[f];
        char *body = sync_body((int)f, x->attr, x->value);
        long before = ss_emu_calls(&stack, SYNC_ROUTE);
        char *resp = ss_call(&stack, body);
        free(body);
        cJSON *odd = NULL;
        int held = check_statuses(resp, (int)f, x->field, &odd, x->want ? NULL : "1001");
        printf("syncMultipleLeads, record %d %s (%s = %s%s%s): %d of %d leads written, "
               "%ld REST sync call(s)\n", ODD, x->label, x->attr, x->value ? "'" : "",
               x->value ? x->value : "xsi:nil", x->value ? "'" : "", held, LEADS_N,
               ss_emu_calls(&stack, SYNC_ROUTE) - before);
        assert_int_equal(held, x->want ? LEADS_N : LEADS_N - 1);
        if (x->want) {
            const cJSON *v = cJSON_GetObjectItemCaseSensitive(odd, x->field);
            char *got = v ? cJSON_PrintUnformatted(v) : strdup("null");
            if (strcmp(got, x->want) != 0)
                fail_msg("%s: REST holds %s = %s, not %s", x->label, x->field, got, x->want);
            free(got);
        }
        cJSON_Delete(odd);
        free(resp);
    }
}

static void test_sync_multiple_leads_unknown_attribute(void **state)
{
    (void)state;
    char *body = sync_body(99, "ShoeSize", "44");
    long before = ss_emu_calls(&stack, SYNC_ROUTE);
    char *r = ss_call_fault(&stack, body, 20105);
    free(body);
    assert_non_null(strstr(r, "ShoeSize"));
    free(r);
    /* Nothing was written. */
    assert_int_equal(ss_emu_calls(&stack, SYNC_ROUTE), before);
    cJSON *rest = cJSON_CreateObject();
    char *emails[100];
    for (int i = 0; i < 100; i++)
        emails[i] = ts_fmt("etl99-%d@example.com", ODD - 50 + i);
    rest_leads_by_email(emails, 100, "id,email", rest);
    assert_int_equal(cJSON_GetArraySize(rest), 0);
    cJSON_Delete(rest);
    for (int i = 0; i < 100; i++)
        free(emails[i]);
}

/* syncLead: the same forms for its one record; a refused value is FAILED. */
static void test_sync_lead_value_forms(void **state)
{
    (void)state;
    static const struct { const char *value; const char *status; long long score; } cases[] = {
        {"5.0", "UPDATED", 5}, {" 7 ", "UPDATED", 7}, {"abc", "FAILED", 7}};
    for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
        char *body = ts_fmt("<ns1:paramsSyncLead><leadRecord><Email>jdoe@example.com</Email>"
                            "<leadAttributeList><attribute><attrName>LeadScore</attrName>"
                            "<attrValue>%s</attrValue></attribute></leadAttributeList>"
                            "</leadRecord><returnLead>false</returnLead></ns1:paramsSyncLead>",
                            cases[i].value);
        char *r = ss_call(&stack, body);
        free(body);
        ss_assert_text(r, "status", cases[i].status);
        if (strcmp(cases[i].status, "FAILED") == 0)
            assert_non_null(strstr(r, "1001"));
        free(r);
        cJSON *leads = ss_rest_result(&stack, "/rest/v1/leads.json?filterType=id&filterValues=1"
                                              "&fields=leadScore");
        const cJSON *v = cJSON_GetObjectItemCaseSensitive(cJSON_GetArrayItem(leads, 0),
                                                          "leadScore");
        assert_true(cJSON_IsNumber(v));
        assert_int_equal((long long)v->valuedouble, cases[i].score);
        cJSON_Delete(leads);
    }
}

/* ---- syncCustomObjects ------------------------------------------------------------------- */

static const form OBJECT_FORMS[] = {
    {"integer", "seats", "5", "seats", "5"},
    {"integer written as decimal", "seats", "5.0", "seats", "5"},
    {"integer with spaces", "seats", " 5 ", "seats", "5"},
    {"boolean true", "active", "true", "active", "true"},
    {"boolean 1", "active", "1", "active", "true"},
    {"date with offset", "renewal", "2026-11-28T23:30:00-08:00", "renewal", "\"2026-11-28\""},
    {"date-time with offset", "lastUsed", "2026-11-28T03:50:53-08:00", "lastUsed",
     "\"2026-11-28T11:50:53Z\""},
    {"currency null", "price", "null", "price", "null"},
    {"a value REST refuses", "seats", "abc", "seats", NULL},
    /* Marketo answered an unknown custom object attribute per object:
     * FAILED "Unknown name attribute list: …" (soap-api.md). */
    {"an unknown attribute", "colour", "red", "colour", NULL},
};

static char *objects_body(int round, int from, const form *x)
{
    ts_buf b = {0};
    ts_buf_add(&b, "<ns1:paramsSyncCustomObjects><objTypeName>Subscription</objTypeName>"
               "<customObjList>");
    for (int i = from; i < from + 100; i++) {
        ts_buf_add(&b, "<customObj><customObjKeyList><attribute><attrName>subId</attrName>"
                   "<attrValue>S%d-%d</attrValue></attribute></customObjKeyList>"
                   "<customObjAttributeList><attribute><attrName>MKTOID</attrName><attrValue>%d"
                   "</attrValue></attribute><attribute><attrName>plan</attrName><attrValue>"
                   "Team</attrValue></attribute>", round, i, 1 + i % 20);
        if (i == ODD)
            ts_buf_add(&b, "<attribute><attrName>%s</attrName><attrValue>%s</attrValue>"
                       "</attribute>", x->attr, x->value);
        ts_buf_add(&b, "</customObjAttributeList></customObj>");
    }
    ts_buf_add(&b, "</customObjList><operation>UPSERT</operation></ns1:paramsSyncCustomObjects>");
    return b.s;
}

static void test_sync_custom_objects_value_forms(void **state)
{
    (void)state;
    for (size_t f = 0; f < sizeof OBJECT_FORMS / sizeof *OBJECT_FORMS; f++) {
        const form *x = &OBJECT_FORMS[f];
        /* Statuses of both calls, in order. */
        char *st[OBJECTS_N];
        for (int from = 0; from < OBJECTS_N; from += 100) {
            char *body = objects_body((int)f, from, x);
            char *r = ss_call(&stack, body);
            free(body);
            int n;
            char **s = ss_xml_all(r, "syncCustomObjStatus", &n);
            assert_int_equal(n, 100);
            for (int i = 0; i < n; i++)
                st[from + i] = strdup(s[i]);
            ss_xml_free_all(s, n);
            free(r);
        }
        /* REST's records of this round. */
        ts_buf keys = {0};
        for (int i = 0; i < OBJECTS_N; i++)
            ts_buf_add(&keys, "%sS%zu-%d", i ? "," : "", f, i);
        char *path = ts_fmt("/rest/v1/customobjects/subscription_c.json?filterType=subId"
                            "&filterValues=%s&fields=subId,seats,active,renewal,lastUsed,price"
                            "&batchSize=300", keys.s);
        cJSON *rest = ss_rest_result(&stack, path);
        free(path);
        free(keys.s);
        int held = cJSON_GetArraySize(rest), failed = 0;
        const cJSON *odd = NULL, *o;
        char oddkey[32];
        snprintf(oddkey, sizeof oddkey, "S%zu-%d", f, ODD);
        cJSON_ArrayForEach(o, rest)
            if (strcmp(cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(o, "subId")),
                       oddkey) == 0)
                odd = o;
        for (int i = 0; i < OBJECTS_N; i++) {
            char want[32];
            snprintf(want, sizeof want, "S%zu-%d", f, i);
            char *status = ss_xml_text(st[i], "status"), *key = ss_xml_attr(st[i], "subId");
            assert_non_null(key);
            assert_string_equal(key, want);   /* the statuses are in request order */
            if (i == ODD && !x->want) {
                assert_string_equal(status, "FAILED");
                char *err = ss_xml_text(st[i], "error");
                assert_non_null(err);
                assert_non_null(strstr(err, strcmp(x->attr, "colour") == 0
                                                ? "Unknown name attribute list: colour"
                                                : "1001"));
                free(err);
                failed++;
            } else {
                assert_string_equal(status, "CREATED");
            }
            free(status);
            free(key);
            free(st[i]);
        }
        printf("syncCustomObjects, object %d %s (%s = '%s'): %d of %d objects written, "
               "%d FAILED\n", ODD, x->label, x->attr, x->value, held, OBJECTS_N, failed);
        assert_int_equal(held, x->want ? OBJECTS_N : OBJECTS_N - 1);
        if (x->want) {
            assert_non_null(odd);
            const cJSON *v = cJSON_GetObjectItemCaseSensitive(odd, x->field);
            char *got = v ? cJSON_PrintUnformatted(v) : strdup("null");
            if (strcmp(got, x->want) != 0)
                fail_msg("%s: REST holds %s = %s, not %s", x->label, x->field, got, x->want);
            free(got);
        } else {
            assert_null(odd);
        }
        cJSON_Delete(rest);
    }
}

/* ---- syncMObjects --------------------------------------------------------------------------- */

/* The same rule for opportunities: odd forms understood, a value REST
 * refuses fails its own object, the others are written. */
static void test_sync_mobjects_value_forms(void **state)
{
    (void)state;
    static const char *const attrs[] = {
        "<attrib><name>Probability</name><value> 40 </value></attrib><attrib><name>IsWon</name>"
        "<value>1</value></attrib><attrib><name>Amount</name><value>2000.0</value></attrib>"
        "<attrib><name>CloseDate</name><value>2026-12-31T10:00:00+01:00</value></attrib>",
        "<attrib><name>Probability</name><value>abc</value></attrib>",
        "<attrib><name>Probability</name><value>60.0</value></attrib>",
    };
    ts_buf b = {0};
    ts_buf_add(&b, "<ns1:paramsSyncMObjects><mObjectList>");
    for (int i = 0; i < 3; i++)
        ts_buf_add(&b, "<mObject><type>Opportunity</type><attribList><attrib><name>"
                   "ExternalOpportunityId</name><value>ETL-OPP-%d</value></attrib><attrib><name>"
                   "Name</name><value>Deal %d</value></attrib>%s</attribList></mObject>", i, i,
                   attrs[i]);
    ts_buf_add(&b, "</mObjectList><operation>UPSERT</operation></ns1:paramsSyncMObjects>");
    char *r = ss_call(&stack, b.s);
    free(b.s);
    int n;
    char **st = ss_xml_all(r, "mObjStatus", &n);
    assert_int_equal(n, 3);
    ss_assert_text(st[0], "status", "CREATED");
    ss_assert_text(st[1], "status", "FAILED");
    assert_non_null(strstr(st[1], "1001"));
    ss_assert_text(st[2], "status", "CREATED");
    ss_xml_free_all(st, n);
    free(r);
    cJSON *opps = ss_rest_result(&stack, "/rest/v1/opportunities.json?filterType="
                                         "externalOpportunityId&filterValues=ETL-OPP-0,ETL-OPP-1,"
                                         "ETL-OPP-2&fields=externalOpportunityId,probability,isWon,"
                                         "amount,closeDate");
    assert_int_equal(cJSON_GetArraySize(opps), 2);
    char *text = cJSON_PrintUnformatted(opps);
    printf("syncMObjects: REST holds %s\n", text);
    assert_non_null(strstr(text, "\"externalOpportunityId\":\"ETL-OPP-0\",\"probability\":40,"
                                 "\"isWon\":true,\"amount\":2000,\"closeDate\":\"2026-12-31\""));
    assert_non_null(strstr(text, "\"externalOpportunityId\":\"ETL-OPP-2\",\"probability\":60"));
    free(text);
    cJSON_Delete(opps);
}

/* ---- Talend's default schema --------------------------------------------------------------- */

static void test_talend_default_include_attributes(void **state)
{
    (void)state;
    static const char *const schemas[] = {
        "<stringItem>Id</stringItem><stringItem>Email</stringItem><stringItem>"
        "ForeignSysPersonId</stringItem><stringItem>ForeignSysType</stringItem><stringItem>"
        "Company</stringItem>",
        /* the same names as other clients spelled them */
        "<stringItem>ID</stringItem><stringItem>email</stringItem><stringItem>"
        "foreignsyspersonid</stringItem><stringItem>FOREIGNSYSTYPE</stringItem><stringItem>"
        "company</stringItem>",
    };
    cJSON *truth = ss_rest_result(&stack, "/rest/v1/lists/3950/leads.json?fields=id,email,"
                                          "company,foreignSysPersonId&batchSize=300");
    assert_int_equal(cJSON_GetArraySize(truth), 20);
    for (size_t s = 0; s < sizeof schemas / sizeof *schemas; s++) {
        char *pos = NULL;
        int total = 0;
        for (int page = 0;; page++) {
            char *body = ts_fmt("<ns1:paramsGetMultipleLeads><leadSelector xsi:type=\"ns1:"
                                "StaticListSelector\"><staticListId>%d</staticListId>"
                                "</leadSelector>%s%s%s<batchSize>7</batchSize><includeAttributes>"
                                "%s</includeAttributes></ns1:paramsGetMultipleLeads>",
                                TALEND_LIST, pos ? "<streamPosition>" : "", pos ? pos : "",
                                pos ? "</streamPosition>" : "", schemas[s]);
            char *r = ss_call(&stack, body);
            free(body);
            int n;
            char **recs = ss_xml_all(r, "leadRecord", &n);
            for (int i = 0; i < n; i++) {
                const cJSON *l = cJSON_GetArrayItem(truth, total + i);
                char *id = ss_xml_text(recs[i], "Id"), *email = ss_xml_text(recs[i], "Email");
                char *company = ss_xml_attr(recs[i], "Company");
                char *fspi = ss_xml_text(recs[i], "ForeignSysPersonId");
                char *fst = ss_xml_text(recs[i], "ForeignSysType");
                const char *we = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(l, "email"));
                const char *wc = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(l, "company"));
                const char *wf = cJSON_GetStringValue(
                    cJSON_GetObjectItemCaseSensitive(l, "foreignSysPersonId"));
                assert_non_null(id);
                assert_int_equal(atoll(id), json_id(l));
                if ((we || email) && (!we || !email || strcmp(we, email) != 0))
                    fail_msg("lead %s: Email %s, REST %s", id, email ? email : "nil",
                             we ? we : "null");
                if ((wc || company) && (!wc || !company || strcmp(wc, company) != 0))
                    fail_msg("lead %s: Company %s, REST %s", id, company ? company : "none",
                             wc ? wc : "null");
                if ((wf || fspi) && (!wf || !fspi || strcmp(wf, fspi) != 0))
                    fail_msg("lead %s: ForeignSysPersonId %s, REST %s", id, fspi ? fspi : "nil",
                             wf ? wf : "null");
                if (wf)
                    assert_string_equal(fst, "CUSTOM");
                else
                    assert_null(fst);
                free(id);
                free(email);
                free(company);
                free(fspi);
                free(fst);
            }
            ss_xml_free_all(recs, n);
            total += n;
            free(pos);
            pos = ss_xml_text(r, "newStreamPosition");
            long rem = ss_xml_num(r, "remainingCount");
            free(r);
            if (rem == 0 || n == 0)
                break;
        }
        free(pos);
        assert_int_equal(total, 20);
    }
    cJSON_Delete(truth);
}

/* ---- paging over sparse activity windows ------------------------------------------------------ */

/* One SOAP page: records, remainingCount and REST cost, printed; an empty
 * page that says more follows fails the test. */
static void page_seen(const char *op, int page, int n, long rem)
{
    printf("%s page %d: %d record(s), remainingCount %ld, %d REST call(s): %.160s\n", op, page, n,
           rem, stack.rest_calls, stack.rest_trace ? stack.rest_trace : "");
    if (n == 0 && rem > 0)
        fail_msg("%s page %d is empty but says %ld more follow", op, page, rem);
}

static void test_get_multiple_leads_sparse_window(void **state)
{
    (void)state;
    /* Truth: the leads REST's lead-change stream names in the window. */
    cJSON *changes = acts_truth(&stack, "12,13", NULL, 0, W0);
    cJSON *want = cJSON_CreateObject();
    const cJSON *a;
    cJSON_ArrayForEach(a, changes) {
        char id[24];
        snprintf(id, sizeof id, "%lld",
                 (long long)cJSON_GetObjectItemCaseSensitive(a, "leadId")->valuedouble);
        if (!cJSON_HasObjectItem(want, id))
            cJSON_AddTrueToObject(want, id);
    }
    assert_int_equal(cJSON_GetArraySize(want), 3);
    cJSON_Delete(changes);

    char *oldest = ss_iso(W0), *pos = NULL;
    cJSON *got = cJSON_CreateObject();
    for (int page = 1;; page++) {
        char *body = ts_fmt("<ns1:paramsGetMultipleLeads><leadSelector xsi:type=\"ns1:"
                            "LastUpdateAtSelector\"><oldestUpdatedAt>%s</oldestUpdatedAt>"
                            "</leadSelector>%s%s%s<batchSize>2</batchSize>"
                            "</ns1:paramsGetMultipleLeads>", oldest,
                            pos ? "<streamPosition>" : "", pos ? pos : "",
                            pos ? "</streamPosition>" : "");
        char *r = ss_call(&stack, body);
        free(body);
        int n;
        char **recs = ss_xml_all(r, "leadRecord", &n);
        long rem = ss_xml_num(r, "remainingCount");
        page_seen("getMultipleLeads (LastUpdateAtSelector)", page, n, rem);
        for (int i = 0; i < n; i++) {
            char *id = ss_xml_text(recs[i], "Id");
            if (!cJSON_HasObjectItem(want, id))
                fail_msg("lead %s was not changed in the window", id);
            if (!cJSON_HasObjectItem(got, id))
                cJSON_AddTrueToObject(got, id);
            free(id);
        }
        ss_xml_free_all(recs, n);
        free(pos);
        pos = ss_xml_text(r, "newStreamPosition");
        free(r);
        /* Talend and embulk stop at an empty page or remainingCount 0. */
        if (n == 0 || rem == 0)
            break;
        assert_true(page < 20);
    }
    assert_int_equal(cJSON_GetArraySize(got), cJSON_GetArraySize(want));
    free(pos);
    free(oldest);
    cJSON_Delete(got);
    cJSON_Delete(want);
}

static void test_get_lead_changes_sparse_window(void **state)
{
    (void)state;
    static const char *const filters[] = {
        /* lead changes only: GET activities/leadchanges.json */
        "<activityFilter><includeTypes><activityType>NewLead</activityType><activityType>"
        "ChangeDataValue</activityType></includeTypes></activityFilter>",
        /* with another type: GET activities.json */
        "<activityFilter><includeTypes><activityType>NewLead</activityType><activityType>"
        "ChangeDataValue</activityType><activityType>VisitWebpage</activityType>"
        "</includeTypes></activityFilter>",
    };
    static const char *const types[] = {"12,13", "1,12,13"};
    for (int f = 0; f < 2; f++) {
        cJSON *truth = acts_truth(&stack, types[f], NULL, 0, W0);
        assert_int_equal(cJSON_GetArraySize(truth), 3);
        acts_seen s = {0};
        char *start = acts_since_start(W0);
        for (int page = 1;; page++) {
            char *body = ts_fmt("<ns1:paramsGetLeadChanges>%s%s<batchSize>2</batchSize>"
                                "</ns1:paramsGetLeadChanges>", start, filters[f]);
            char *r = ss_call(&stack, body);
            free(body);
            int before = s.n;
            long rem = acts_collect(&s, r, "leadChangeRecord", 2);
            page_seen("getLeadChanges", page, s.n - before, rem);
            free(start);
            start = acts_resend(r);
            free(r);
            if (s.n == before || rem == 0)
                break;
            assert_true(page < 20);
        }
        free(start);
        acts_same_as_truth(&s, truth);
        acts_seen_free(&s);
        cJSON_Delete(truth);
    }
}

static void test_get_lead_activity_old_history(void **state)
{
    (void)state;
    cJSON *truth = acts_truth(&stack, "1", "901", 0, NOW - 60 * 86400);
    assert_int_equal(cJSON_GetArraySize(truth), 5);
    acts_seen s = {0};
    char *start = NULL;
    for (int page = 1;; page++) {
        char *body = ts_fmt("<ns1:paramsGetLeadActivity><leadKey><keyType>IDNUM</keyType>"
                            "<keyValue>%d</keyValue></leadKey><activityFilter><includeTypes>"
                            "<activityType>VisitWebpage</activityType></includeTypes>"
                            "</activityFilter>%s<batchSize>2</batchSize>"
                            "</ns1:paramsGetLeadActivity>", HISTORY_LEAD, start ? start : "");
        char *r = ss_call(&stack, body);
        free(body);
        int before = s.n;
        long rem = acts_collect(&s, r, "activityRecord", 2);
        page_seen("getLeadActivity", page, s.n - before, rem);
        free(start);
        start = acts_resend(r);
        free(r);
        if (s.n == before || rem == 0)
            break;
        assert_true(page < 20);
    }
    free(start);
    acts_same_as_truth(&s, truth);
    /* Newest first, as SOAP returned them. */
    for (int i = 1; i < s.n; i++)
        assert_true(s.at[i] <= s.at[i - 1]);
    acts_seen_free(&s);
    cJSON_Delete(truth);
}

/* ---- the deadline ----------------------------------------------------------------------------- */

/* Restart the shim on its configuration with `extra` merged in (NULL: the
 * suite's own).  Stream positions survive: they are sealed with the user's
 * key, not with anything of the process. */
static void restart_shim(const char *extra)
{
    char *text = ss_config_text(&stack, extra);
    FILE *f = fopen(stack.config_path, "w");
    assert_non_null(f);
    fputs(text, f);
    fclose(f);
    free(text);
    assert_int_equal(ss_shim_stop(&stack), 0);
    assert_int_equal(ss_shim_start(&stack), 0);
}

static int restore_shim(void **state)
{
    (void)state;
    ss_emu_admin(&stack, "/_emulator/faults", "{\"clear\": true}");
    restart_shim(NULL);
    return 0;
}

/* With REST slow (250 ms a call) and a 3 s request deadline, the walk to
 * the first change does not fit in one call: a page whose deadline came
 * before any record is the one empty page that says more follows, and its
 * position is past what was read, so a client looping on remainingCount
 * gets every record with each REST page read about once. */
static void test_deadline_keeps_progress(void **state)
{
    (void)state;
    restart_shim("{\"timeouts\": {\"request_seconds\": 3}}");
    cJSON *truth = acts_truth(&stack, "12,13", NULL, 0, W0);
    ss_emu_admin(&stack, "/_emulator/faults", "{\"latency_ms\": 250}");
    const char *route = "GET /rest/v1/activities/leadchanges.json";
    long before = ss_emu_calls(&stack, route);
    acts_seen s = {0};
    char *start = acts_since_start(W0);
    int pages = 0, cut = 0;
    for (long rem = 1; rem > 0;) {
        char *body = ts_fmt("<ns1:paramsGetLeadChanges>%s<activityFilter><includeTypes>"
                            "<activityType>NewLead</activityType><activityType>ChangeDataValue"
                            "</activityType></includeTypes></activityFilter><batchSize>2</batchSize>"
                            "</ns1:paramsGetLeadChanges>", start);
        char *r = ss_call(&stack, body);
        free(body);
        int n0 = s.n;
        rem = acts_collect(&s, r, "leadChangeRecord", 2);
        pages++;
        printf("getLeadChanges, 3 s deadline, page %d: %d record(s), remainingCount %ld, "
               "%d REST call(s)\n", pages, s.n - n0, rem, stack.rest_calls);
        cut += s.n == n0 && rem > 0;
        free(start);
        start = acts_resend(r);
        free(r);
        assert_true(pages < 40);
    }
    free(start);
    acts_same_as_truth(&s, truth);
    long reads = ss_emu_calls(&stack, route) - before;
    printf("%d pages, %d cut by the deadline, %ld REST lead-change pages read\n", pages, cut,
           reads);
    assert_true(cut > 0);   /* the deadline did cut pages */
    /* 17,003 activities are 18 REST pages; a resumed page may be read again. */
    assert_true(reads <= 18 + pages);
    acts_seen_free(&s);
    cJSON_Delete(truth);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup(test_sync_multiple_leads_value_forms, ss_test_reset),
        cmocka_unit_test_setup(test_sync_multiple_leads_unknown_attribute, ss_test_reset),
        cmocka_unit_test_setup(test_sync_lead_value_forms, ss_test_reset),
        cmocka_unit_test_setup(test_sync_custom_objects_value_forms, ss_test_reset),
        cmocka_unit_test_setup(test_sync_mobjects_value_forms, ss_test_reset),
        cmocka_unit_test_setup(test_talend_default_include_attributes, ss_test_reset),
        cmocka_unit_test_setup(test_get_multiple_leads_sparse_window, ss_test_reset),
        cmocka_unit_test_setup(test_get_lead_changes_sparse_window, ss_test_reset),
        cmocka_unit_test_setup(test_get_lead_activity_old_history, ss_test_reset),
        cmocka_unit_test_setup_teardown(test_deadline_keeps_progress, ss_test_reset,
                                        restore_shim),
    };
    return ts_run_tests(tests, group_setup, ss_group_teardown);
}
