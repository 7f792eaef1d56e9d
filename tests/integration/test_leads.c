/*
 * test_leads.c — the five lead operations end to end: a signed SOAP request
 * to a real mktows-shim, which talks REST to a real marketo-emulator; what
 * the shim wrote is read back through the emulator's REST API, and how many
 * REST calls it made through /_emulator/stats.
 *
 * Every test starts from the emulator's seed (POST /_emulator/reset): leads
 * 1-20 of emulator/seed/default.json, static lists 3001-3007.  The seed
 * facts the tests rely on are named where they are used.
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

/* A second SOAP user (the user id of Marketo's getMultipleLeads example). */
#define USER2 "demo17_1_809934544BFABAE58E5D27"
#define KEY2 "27272727aa"
#define FSPI_FIELD "foreignSysPersonId"
/* Munchkin cookie of seed lead 14 (anonymous). */
#define COOKIE14 "id:287-GTJ-838&token:_mch-example.com-1700000000000-20002"
#define COOKIE14_XML "id:287-GTJ-838&amp;token:_mch-example.com-1700000000000-20002"

static ss_stack stack;

static char *call(const char *body) { return ss_call(&stack, body); }
static char *call_fault(const char *body, int code) { return ss_call_fault(&stack, body, code); }
/* The same with more SOAP header XML (a MktowsContextHeader). */
static char *call_h(const char *header, const char *body)
{
    return ss_call_as(&stack, SS_USER, SS_KEY, header, body);
}
static char *call_fault_h(const char *header, const char *body, int code)
{
    return ss_call_fault_as(&stack, SS_USER, SS_KEY, header, body, code);
}
static long stat_calls(const char *route) { return ss_emu_calls(&stack, route); }

/* ---- reading answers ---------------------------------------------------------------- */

/* The k-th <leadRecord> (malloc'd), NULL if none. */
static char *lead_k(const char *doc, int k) { return ss_xml_inner(doc, "leadRecord", k); }

/* The <Id>s of the lead records of an answer, in order. */
static int lead_ids(const char *doc, long long *ids, int max)
{
    int n = 0;
    for (char *rec; n < max && (rec = lead_k(doc, n)); n++) {
        char *id = ss_xml_text(rec, "Id");
        ids[n] = id ? atoll(id) : -1;
        free(id);
        free(rec);
    }
    return n;
}

/* ---- the emulator's REST side ------------------------------------------------------- */

/* REST leads matching filterType=value (JSON array, caller frees). */
static cJSON *rest_leads(const char *filter, const char *value, const char *fields)
{
    char *v = ts_urlenc(value);
    char *path = ts_fmt("/rest/v1/leads.json?filterType=%s&filterValues=%s&fields=%s", filter, v,
                        fields);
    cJSON *res = ss_rest_result(&stack, path);
    free(path);
    free(v);
    return res;
}

/* One lead by id, or NULL when it does not exist. */
static cJSON *rest_lead(long long id, const char *fields)
{
    char v[32];
    snprintf(v, sizeof v, "%lld", id);
    cJSON *a = rest_leads("id", v, fields);
    cJSON *l = cJSON_GetArraySize(a) ? cJSON_DetachItemFromArray(a, 0) : NULL;
    cJSON_Delete(a);
    return l;
}

static const char *jstr(const cJSON *o, const char *k)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, k);
    return cJSON_IsString(v) ? v->valuestring : NULL;
}

static long long jnum(const cJSON *o, const char *k)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, k);
    return cJSON_IsNumber(v) ? (long long)v->valuedouble : -1;
}

static void assert_lead_field(long long id, const char *field, const char *want)
{
    cJSON *l = rest_lead(id, field);
    if (!l)
        fail_msg("lead %lld does not exist", id);
    const char *got = jstr(l, field);
    if (!want ? got != NULL : !got || strcmp(got, want) != 0)
        fail_msg("lead %lld: %s = %s, want %s", id, field, got ? got : "null",
                 want ? want : "null");
    cJSON_Delete(l);
}

static int rest_count(const char *filter, const char *value)
{
    cJSON *a = rest_leads(filter, value, "id");
    int n = cJSON_GetArraySize(a);
    cJSON_Delete(a);
    return n;
}

#define SYNC_CALLS "POST /rest/v1/leads.json"
#define GET_CALLS "GET /rest/v1/leads.json"
#define MERGE_CALLS "POST /rest/v1/leads/{leadId}/merge.json"

/* ---- fixtures ------------------------------------------------------------------------ */

/* Every test starts from the seed, the shim's REST token renewed (ss_test_reset). */
static int group_setup(void **state)
{
    ss_options o = {
        .users = {{SS_USER, SS_KEY}, {USER2, KEY2}},
        .config = "{\"leads\": {\"foreign_sys_person_id_field\": \"" FSPI_FIELD "\"},"
                  " \"workspaces\": {\"Europe Workspace\": \"Europe\"},"
                  " \"workers\": 4, \"timeouts\": {\"request_seconds\": 30}}",
        .version = "2_9",
        .warmup = SS_GET_LEAD_1,
    };
    *state = &stack;
    return ss_start(&stack, &o);
}

/* ---- getLead ---------------------------------------------------------------------------- */

static char *get_lead_body(const char *type, const char *value)
{
    return ts_fmt("<ns1:paramsGetLead><leadKey><keyType>%s</keyType><keyValue>%s</keyValue>"
                  "</leadKey></ns1:paramsGetLead>", type, value);
}

/* One lead expected; returns its record (malloc'd). */
static char *get_one(const char *type, const char *value, long long want_id)
{
    char *body = get_lead_body(type, value);
    char *r = call(body);
    free(body);
    assert_int_equal(ss_xml_num(r, "count"), 1);
    assert_int_equal(ts_count(r, "<leadRecord>"), 1);
    char *rec = lead_k(r, 0);
    free(r);
    if (ss_xml_num(rec, "Id") != want_id)
        fail_msg("%s %s: want lead %lld, got %s", type, value, want_id, rec);
    return rec;
}

static void test_get_lead_every_key_type(void **state)
{
    (void)state;
    /* Lead 1: every attribute, as the seed has it. */
    char *rec = get_one("IDNUM", "1", 1);
    assert_non_null(strstr(rec, "<Email>jdoe@example.com</Email>"));
    assert_non_null(strstr(rec, "<ForeignSysPersonId>CRM-0001</ForeignSysPersonId>"));
    assert_non_null(strstr(rec, "<ForeignSysType>CUSTOM</ForeignSysType>"));
    ss_assert_attr(rec, "FirstName", "John");
    ss_assert_attr(rec, "LastName", "Doe");
    ss_assert_attr(rec, "Company", "Acme Corp");
    ss_assert_attr(rec, "LeadScore", "42");
    ss_assert_attr(rec, "AnnualRevenue", "12500000");
    ss_assert_attr(rec, "IsVIP", "true");
    ss_assert_attr(rec, "LastPurchaseDate", "2025-11-03");
    assert_non_null(strstr(rec, "<attrName>LeadScore</attrName><attrType>integer</attrType>"));
    /* Id, Email and the ForeignSysPersonId field are members, not attributes. */
    assert_null(strstr(rec, "<attrName>Email</attrName>"));
    assert_null(strstr(rec, "<attrName>ForeignSysPersonId</attrName>"));
    /* Attributes come sorted by name, as in Marketo's examples. */
    char *prev = NULL;
    for (int k = 0;; k++) {
        char *name = ss_xml_text_k(rec, "attrName", k);
        if (!name)
            break;
        if (prev && strcmp(prev, name) >= 0)
            fail_msg("attributes out of order: %s before %s", prev, name);
        free(prev);
        prev = name;
    }
    free(prev);
    free(rec);

    free(get_one("EMAIL", "jdoe@example.com", 1));
    free(get_one("EMAIL", "JDoe@Example.com", 1));   /* Marketo matched email ignoring case */
    free(get_one("COOKIE", COOKIE14_XML, 14));
    free(get_one("SFDCLEADID", "00Q5g000001AbCdEAK", 1));
    free(get_one("SFDCLEADOWNERID", "0055g000000XyZaAAK", 1));
    free(get_one("SFDCCONTACTID", "0035g00000AbCdEAAV", 2));
    free(get_one("SFDCACCOUNTID", "0015g00000AbCdEAAX", 2));
    free(get_one("SFDCOPPTYID", "0065g00000AbCdEAAZ", 2));

    /* Lead 14 is anonymous: no Email, and ForeignSysPersonId is nil. */
    rec = get_one("IDNUM", "14", 14);
    assert_null(strstr(rec, "<Email>"));
    assert_non_null(strstr(rec, "<ForeignSysPersonId xsi:nil=\"true\"/>"));
    ss_assert_attr(rec, "AnonymousIP", "203.0.113.7");
    free(rec);
}

static void test_get_lead_duplicate_email_counts_every_lead(void **state)
{
    (void)state;
    /* Seed leads 7 and 8 share shared@example.com. */
    char *body = get_lead_body("EMAIL", "shared@example.com");
    char *r = call(body);
    free(body);
    assert_int_equal(ss_xml_num(r, "count"), 2);
    long long ids[4];
    assert_int_equal(lead_ids(r, ids, 4), 2);
    assert_true((ids[0] == 7 && ids[1] == 8) || (ids[0] == 8 && ids[1] == 7));
    free(r);
}

static void test_get_lead_unsupported_key_and_not_found(void **state)
{
    (void)state;
    long before = stat_calls(GET_CALLS);
    char *body = get_lead_body("LEADOWNEREMAIL", "owner@example.com");
    char *r = call_fault(body, 20102);
    /* The message says why, and no REST call was wasted on it. */
    assert_non_null(strstr(r, "LEADOWNEREMAIL"));
    assert_non_null(strstr(r, "owner's email"));
    assert_int_equal(stat_calls(GET_CALLS), before);
    free(r);
    free(body);

    body = get_lead_body("EMAIL", "nobody@example.com");
    r = call_fault(body, 20103);
    assert_non_null(strstr(r, "nobody@example.com"));
    free(r);
    free(body);

    body = get_lead_body("IDNUM", "999999");
    free(call_fault(body, 20103));
    free(body);

    body = get_lead_body("IDNUM", "twelve");
    free(call_fault(body, 20102));
    free(body);

    /* keyType outside the enumeration: the request does not parse. */
    body = get_lead_body("PHONE", "1");
    free(call_fault(body, 20012));
    free(body);
}

/* ---- getMultipleLeads ------------------------------------------------------------------- */

/* Loop over a stream like a Marketo client: send newStreamPosition back
 * until remainingCount is 0.  Collects the lead ids; returns the pages. */
static int loop_stream(const char *selector, const char *extra_params, long long *ids, int max,
                       int *nids)
{
    char *pos = NULL;
    int pages = 0;
    *nids = 0;
    for (;;) {
        char *body = ts_fmt("<ns1:paramsGetMultipleLeads>%s%s%s%s%s</ns1:paramsGetMultipleLeads>",
                            selector, pos ? "<streamPosition>" : "", pos ? pos : "",
                            pos ? "</streamPosition>" : "", extra_params);
        char *r = call(body);
        free(body);
        pages++;
        if (pages > 50)
            fail_msg("the stream does not end: %s", r);
        int got = lead_ids(r, ids + *nids, max - *nids);
        assert_int_equal(ss_xml_num(r, "returnCount"), got);
        *nids += got;
        long long remaining = ss_xml_num(r, "remainingCount");
        free(pos);
        pos = ss_xml_inner(r, "newStreamPosition", 0);
        if (remaining == 0) {
            /* The end: an empty position, as Marketo sent it. */
            assert_non_null(strstr(r, "<newStreamPosition></newStreamPosition>") ?
                            strstr(r, "<newStreamPosition></newStreamPosition>") :
                            strstr(r, "<newStreamPosition/>"));
            free(r);
            break;
        }
        assert_true(pos && *pos);
        free(r);
    }
    free(pos);
    return pages;
}

static void assert_same_ids(const long long *got, int n, const long long *want, int m)
{
    if (n != m)
        fail_msg("%d leads, want %d", n, m);
    for (int i = 0; i < m; i++) {
        int seen = 0;
        for (int k = 0; k < n; k++)
            seen += got[k] == want[i];
        if (seen != 1)
            fail_msg("lead %lld returned %d times", want[i], seen);
    }
}

static void test_get_multiple_by_keys_batches_and_pages(void **state)
{
    (void)state;
    static const long long want[] = {1, 2, 3, 4, 5, 6};
    const char *sel =
        "<leadSelector xsi:type=\"ns1:LeadKeySelector\"><keyType>EMAIL</keyType><keyValues>"
        "<stringItem>jdoe@example.com</stringItem><stringItem>asmith@example.com</stringItem>"
        "<stringItem>bwayne@example.com</stringItem><stringItem>ckent@example.com</stringItem>"
        "<stringItem>dprince@example.com</stringItem><stringItem>hpotter@example.co.uk</stringItem>"
        "<stringItem>nobody@example.com</stringItem>"
        "</keyValues></leadSelector>";
    long long ids[64];
    int n;
    int pages = loop_stream(sel, "<batchSize>2</batchSize>", ids, 64, &n);
    assert_same_ids(ids, n, want, 6);
    assert_int_equal(pages, 3);

    /* One page holds them all with the default batch size. */
    long before = stat_calls(GET_CALLS);
    pages = loop_stream(sel, "", ids, 64, &n);
    assert_same_ids(ids, n, want, 6);
    assert_int_equal(pages, 1);
    assert_int_equal(stat_calls(GET_CALLS) - before, 1);
}

static void test_get_multiple_by_keys_reads_100_keys_only(void **state)
{
    (void)state;
    /* 100 keys (leads 1-3 and 97 ids that do not exist), then leads 4-8 as
     * keys 101-105: Marketo ignored keys beyond the 100th. */
    ts_buf b = {0};
    ts_buf_add(&b, "<leadSelector xsi:type=\"ns1:LeadKeySelector\"><keyType>IDNUM</keyType><keyValues>");
    for (int i = 1; i <= 3; i++)
        ts_buf_add(&b, "<stringItem>%d</stringItem>", i);
    for (int i = 0; i < 97; i++)
        ts_buf_add(&b, "<stringItem>%d</stringItem>", 900000 + i);
    for (int i = 4; i <= 8; i++)
        ts_buf_add(&b, "<stringItem>%d</stringItem>", i);
    ts_buf_add(&b, "</keyValues></leadSelector>");
    long long ids[64];
    int n;
    long before = stat_calls(GET_CALLS);
    loop_stream(b.s, "<batchSize>100</batchSize>", ids, 64, &n);
    static const long long want[] = {1, 2, 3};
    assert_same_ids(ids, n, want, 3);
    assert_int_equal(stat_calls(GET_CALLS) - before, 1);
    free(b.s);
}

/* A key selector REST cannot serve is refused before any REST call: an
 * unsupported key type, a value with a comma (REST filterValues are
 * comma-separated), only empty values. */
static void test_get_multiple_by_keys_refused(void **state)
{
    (void)state;
    long before = stat_calls(GET_CALLS);
    char *r = call_fault("<ns1:paramsGetMultipleLeads><leadSelector xsi:type=\"ns1:LeadKeySelector\">"
                         "<keyType>LEADOWNEREMAIL</keyType><keyValues><stringItem>o@example.com"
                         "</stringItem></keyValues></leadSelector></ns1:paramsGetMultipleLeads>",
                         20102);
    assert_non_null(strstr(r, "LEADOWNEREMAIL"));
    free(r);
    r = call_fault("<ns1:paramsGetMultipleLeads><leadSelector xsi:type=\"ns1:LeadKeySelector\">"
                   "<keyType>EMAIL</keyType><keyValues><stringItem>jdoe@example.com</stringItem>"
                   "<stringItem>a,b@example.com</stringItem></keyValues></leadSelector>"
                   "</ns1:paramsGetMultipleLeads>", 20102);
    assert_non_null(strstr(r, "a,b@example.com"));
    assert_non_null(strstr(r, "comma"));
    free(r);
    r = call_fault("<ns1:paramsGetMultipleLeads><leadSelector xsi:type=\"ns1:LeadKeySelector\">"
                   "<keyType>EMAIL</keyType><keyValues><stringItem></stringItem></keyValues>"
                   "</leadSelector></ns1:paramsGetMultipleLeads>", 20101);
    assert_non_null(strstr(r, "empty"));
    free(r);
    assert_int_equal(stat_calls(GET_CALLS), before);
}

static void test_get_multiple_by_static_list(void **state)
{
    (void)state;
    long long ids[64];
    int n;
    /* List 3001 "Webinar Registrants" (program "Spring Webinar") = leads 1-5. */
    static const long long l3001[] = {1, 2, 3, 4, 5};
    int pages = loop_stream("<leadSelector xsi:type=\"ns1:StaticListSelector\">"
                            "<staticListName>Webinar Registrants</staticListName></leadSelector>",
                            "<batchSize>2</batchSize>", ids, 64, &n);
    assert_same_ids(ids, n, l3001, 5);
    assert_int_equal(pages, 3);
    /* Marketo's samples name a list "<program>.<list>". */
    loop_stream("<leadSelector xsi:type=\"ns1:StaticListSelector\">"
                "<staticListName>Spring Webinar.Webinar Registrants</staticListName></leadSelector>",
                "<batchSize>4</batchSize>", ids, 64, &n);
    assert_same_ids(ids, n, l3001, 5);
    /* List 3004 "Newsletter Subscribers" = leads 1, 3, 5, 7, 9, by id. */
    static const long long l3004[] = {1, 3, 5, 7, 9};
    pages = loop_stream("<leadSelector xsi:type=\"ns1:StaticListSelector\">"
                        "<staticListId>3004</staticListId></leadSelector>",
                        "<batchSize>1</batchSize>", ids, 64, &n);
    assert_same_ids(ids, n, l3004, 5);
    assert_int_equal(pages, 5);

    free(call_fault("<ns1:paramsGetMultipleLeads><leadSelector xsi:type=\"ns1:StaticListSelector\">"
                    "<staticListName>No Such List</staticListName></leadSelector>"
                    "</ns1:paramsGetMultipleLeads>", 20111));
    free(call_fault("<ns1:paramsGetMultipleLeads><leadSelector xsi:type=\"ns1:StaticListSelector\">"
                    "<staticListId>999999</staticListId></leadSelector>"
                    "</ns1:paramsGetMultipleLeads>", 20111));
}

static void test_get_multiple_include_attributes(void **state)
{
    (void)state;
    const char *sel = "<leadSelector xsi:type=\"ns1:LeadKeySelector\"><keyType>IDNUM</keyType>"
                      "<keyValues><stringItem>1</stringItem></keyValues></leadSelector>";
    /* Two attributes asked: exactly those. */
    char *body = ts_fmt("<ns1:paramsGetMultipleLeads>%s<includeAttributes><stringItem>FirstName"
                        "</stringItem><stringItem>LeadScore</stringItem></includeAttributes>"
                        "</ns1:paramsGetMultipleLeads>", sel);
    char *r = call(body);
    free(body);
    assert_int_equal(ts_count(r, "<attribute>"), 2);
    ss_assert_attr(r, "FirstName", "John");
    ss_assert_attr(r, "LeadScore", "42");
    assert_non_null(strstr(r, "<Email>jdoe@example.com</Email>"));
    free(r);
    /* One attribute: still a list of one. */
    body = ts_fmt("<ns1:paramsGetMultipleLeads>%s<includeAttributes><stringItem>City</stringItem>"
                  "</includeAttributes></ns1:paramsGetMultipleLeads>", sel);
    r = call(body);
    free(body);
    assert_non_null(strstr(r, "<leadAttributeList><attribute><attrName>City</attrName>"
                              "<attrType>string</attrType><attrValue>San Francisco</attrValue>"
                              "</attribute></leadAttributeList>"));
    free(r);
    /* An attribute that does not exist: 20105, as Marketo answered. */
    body = ts_fmt("<ns1:paramsGetMultipleLeads>%s<includeAttributes><stringItem>NoSuchField"
                  "</stringItem></includeAttributes></ns1:paramsGetMultipleLeads>", sel);
    r = call_fault(body, 20105);
    assert_non_null(strstr(r, "NoSuchField"));
    free(r);
    free(body);
}

static char *sync_title_body(const char *email, const char *title)
{
    return ts_fmt("<ns1:paramsSyncLead><leadRecord><Email>%s</Email><leadAttributeList><attribute>"
                  "<attrName>Title</attrName><attrValue>%s</attrValue></attribute></leadAttributeList>"
                  "</leadRecord><returnLead>false</returnLead></ns1:paramsSyncLead>", email, title);
}

static void test_get_multiple_by_last_update(void **state)
{
    (void)state;
    char since[64], sel[256];
    ss_timestamp(since, sizeof since, -120);
    snprintf(sel, sizeof sel, "<leadSelector xsi:type=\"ns1:LastUpdateAtSelector\">"
             "<oldestUpdatedAt>%s</oldestUpdatedAt></leadSelector>", since);
    long long ids[64];
    int n;
    /* Nothing changed since the reset: an empty, final page. */
    loop_stream(sel, "", ids, 64, &n);
    assert_int_equal(n, 0);

    /* Three leads change; each appears exactly once even one per page. */
    const char *emails[] = {"bwayne@example.com", "ckent@example.com", "asmith@example.com"};
    for (int i = 0; i < 3; i++) {
        char *body = sync_title_body(emails[i], "Changed by test_leads");
        free(call(body));
        free(body);
    }
    static const long long want[] = {3, 4, 2};
    int pages = loop_stream(sel, "<batchSize>1</batchSize>", ids, 64, &n);
    assert_same_ids(ids, n, want, 3);
    assert_int_equal(pages, 3);
    loop_stream(sel, "<batchSize>2</batchSize>", ids, 64, &n);
    assert_same_ids(ids, n, want, 3);
    loop_stream(sel, "", ids, 64, &n);
    assert_same_ids(ids, n, want, 3);

    /* latestUpdatedAt before the changes: none of them. */
    char until[64];
    ss_timestamp(until, sizeof until, -60);
    char *s2 = ts_fmt("<leadSelector xsi:type=\"ns1:LastUpdateAtSelector\"><latestUpdatedAt>%s"
                      "</latestUpdatedAt><oldestUpdatedAt>%s</oldestUpdatedAt></leadSelector>",
                      until, since);
    loop_stream(s2, "", ids, 64, &n);
    assert_int_equal(n, 0);
    free(s2);

    /* As a Marketo blog example sent it: oldestUpdatedAt first (the schema
     * has it second), milliseconds and a numeric offset. */
    {
        char o8[64], l8[64];
        time_t t = time(NULL) - 120 - 8 * 3600, u = time(NULL) + 60 - 8 * 3600;
        struct tm tm;
        gmtime_r(&t, &tm);
        strftime(o8, sizeof o8, "%Y-%m-%dT%H:%M:%S.710-08:00", &tm);
        gmtime_r(&u, &tm);
        strftime(l8, sizeof l8, "%Y-%m-%dT%H:%M:%S.000-08:00", &tm);
        char *s3 = ts_fmt("<leadSelector xsi:type=\"ns1:LastUpdateAtSelector\"><oldestUpdatedAt>%s"
                          "</oldestUpdatedAt><latestUpdatedAt>%s</latestUpdatedAt></leadSelector>",
                          o8, l8);
        loop_stream(s3, "", ids, 64, &n);
        assert_same_ids(ids, n, want, 3);
        free(s3);
    }

    /* The deprecated top-level lastUpdatedAt means the same. */
    char *legacy = ts_fmt("<lastUpdatedAt>%s</lastUpdatedAt>", since);
    loop_stream(legacy, "", ids, 64, &n);
    assert_same_ids(ids, n, want, 3);
    free(legacy);

    /* More than 30 days between the two: 20022, as Marketo answered. */
    char *body = ts_fmt("<ns1:paramsGetMultipleLeads><leadSelector xsi:type=\"ns1:LastUpdateAtSelector\">"
                        "<latestUpdatedAt>2026-03-15T00:00:00Z</latestUpdatedAt>"
                        "<oldestUpdatedAt>2026-01-01T00:00:00Z</oldestUpdatedAt></leadSelector>"
                        "</ns1:paramsGetMultipleLeads>");
    free(call_fault(body, 20022));
    free(body);
}

/* A position from the first page of list 3001 in pages of 2. */
static char *first_position(const char *user, const char *key, const char *sel)
{
    char *body = ts_fmt("<ns1:paramsGetMultipleLeads>%s<batchSize>2</batchSize>"
                        "</ns1:paramsGetMultipleLeads>", sel);
    ts_http_resp r;
    ss_post_as(&stack, user, key, NULL, body, &r);
    free(body);
    assert_int_equal(r.status, 200);
    char *pos = ss_xml_inner(r.body, "newStreamPosition", 0);
    ts_http_free(&r);
    assert_non_null(pos);
    assert_true(strlen(pos) > 10);
    return pos;
}

static void test_get_multiple_bad_stream_position(void **state)
{
    (void)state;
    const char *list = "<leadSelector xsi:type=\"ns1:StaticListSelector\">"
                       "<staticListId>3001</staticListId></leadSelector>";
    char *pos = first_position(SS_USER, SS_KEY, list);
    /* The genuine position works. */
    char *body = ts_fmt("<ns1:paramsGetMultipleLeads>%s<streamPosition>%s</streamPosition>"
                        "<batchSize>2</batchSize></ns1:paramsGetMultipleLeads>", list, pos);
    free(call(body));
    free(body);

    /* Every way of handing back something else is 20122. */
    const size_t len = strlen(pos);
    const size_t at[] = {0, len / 3, len / 2, len - 1};
    for (size_t i = 0; i < sizeof at / sizeof at[0]; i++) {
        char *forged = strdup(pos);
        forged[at[i]] = forged[at[i]] == 'A' ? 'B' : 'A';
        body = ts_fmt("<ns1:paramsGetMultipleLeads>%s<streamPosition>%s</streamPosition>"
                      "</ns1:paramsGetMultipleLeads>", list, forged);
        free(call_fault(body, 20122));
        free(body);
        free(forged);
    }
    const char *junk[] = {"garbage", "eyJrIjoibGlzdCIsImxpc3QiOjMwMDF9", "a.b", "."};
    for (size_t i = 0; i < sizeof junk / sizeof junk[0]; i++) {
        body = ts_fmt("<ns1:paramsGetMultipleLeads>%s<streamPosition>%s</streamPosition>"
                      "</ns1:paramsGetMultipleLeads>", list, junk[i]);
        free(call_fault(body, 20122));
        free(body);
    }
    /* Truncated. */
    body = ts_fmt("<ns1:paramsGetMultipleLeads>%s<streamPosition>%.*s</streamPosition>"
                  "</ns1:paramsGetMultipleLeads>", list, (int)len - 4, pos);
    free(call_fault(body, 20122));
    free(body);
    /* A list position sent with a key selector. */
    body = ts_fmt("<ns1:paramsGetMultipleLeads><leadSelector xsi:type=\"ns1:LeadKeySelector\">"
                  "<keyType>IDNUM</keyType><keyValues><stringItem>1</stringItem></keyValues>"
                  "</leadSelector><streamPosition>%s</streamPosition></ns1:paramsGetMultipleLeads>",
                  pos);
    free(call_fault(body, 20122));
    free(body);
    /* Another SOAP user's position. */
    char *other = first_position(USER2, KEY2, list);
    body = ts_fmt("<ns1:paramsGetMultipleLeads>%s<streamPosition>%s</streamPosition>"
                  "</ns1:paramsGetMultipleLeads>", list, other);
    free(call_fault(body, 20122));
    free(body);
    free(other);
    free(pos);
}

/* ---- syncLead --------------------------------------------------------------------------- */

/* Sync one record; returns the response (asserted 200). */
static char *sync_lead(const char *record_xml, const char *more)
{
    char *body = ts_fmt("<ns1:paramsSyncLead><leadRecord>%s</leadRecord>%s</ns1:paramsSyncLead>",
                        record_xml, more ? more : "<returnLead>false</returnLead>");
    char *r = call(body);
    free(body);
    return r;
}

static void assert_sync(const char *r, const char *status, long long id)
{
    char want[64];
    snprintf(want, sizeof want, "<status>%s</status>", status);
    if (!strstr(r, want))
        fail_msg("want %s, got %s", status, r);
    if (id >= 0) {
        assert_int_equal(ss_xml_num(r, "leadId"), id);
        char *st = ss_xml_inner(r, "syncStatus", 0);
        assert_int_equal(ss_xml_num(st, "leadId"), id);
        free(st);
    }
}

static void test_sync_lead_created_and_updated(void **state)
{
    (void)state;
    long before = stat_calls(SYNC_CALLS);
    char *r = sync_lead("<Email>new.person@example.com</Email><leadAttributeList><attribute>"
                        "<attrName>FirstName</attrName><attrValue>New</attrValue></attribute>"
                        "<attribute><attrName>LeadScore</attrName><attrValue>17</attrValue>"
                        "</attribute></leadAttributeList>", NULL);
    assert_sync(r, "CREATED", -1);
    long long id = ss_xml_num(r, "leadId");
    assert_true(id > 20);
    /* The answer's shape: error and leadRecord are nil, as Marketo sent. */
    assert_non_null(strstr(r, "<error xsi:nil=\"true\"/>"));
    assert_non_null(strstr(r, "<leadRecord xsi:nil=\"true\"/>"));
    free(r);
    assert_int_equal(stat_calls(SYNC_CALLS) - before, 1);
    assert_lead_field(id, "firstName", "New");
    cJSON *l = rest_lead(id, "leadScore,email");
    assert_int_equal(jnum(l, "leadScore"), 17);
    cJSON_Delete(l);

    r = sync_lead("<Email>new.person@example.com</Email><leadAttributeList><attribute>"
                  "<attrName>LastName</attrName><attrValue>Person</attrValue></attribute>"
                  "</leadAttributeList>", NULL);
    assert_sync(r, "UPDATED", id);
    free(r);
    assert_lead_field(id, "lastName", "Person");
    assert_int_equal(rest_count("email", "new.person@example.com"), 1);
}

static void test_sync_lead_key_precedence(void **state)
{
    (void)state;
    /* Id beats ForeignSysPersonId and Email: lead 2 is updated and both of
     * them are written to it. */
    char *r = sync_lead("<Id>2</Id><Email>alice.new@example.com</Email>"
                        "<ForeignSysPersonId>CRM-0002-NEW</ForeignSysPersonId>"
                        "<ForeignSysType>CUSTOM</ForeignSysType><leadAttributeList><attribute>"
                        "<attrName>City</attrName><attrValue>Salem</attrValue></attribute>"
                        "</leadAttributeList>", NULL);
    assert_sync(r, "UPDATED", 2);
    free(r);
    assert_lead_field(2, "city", "Salem");
    assert_lead_field(2, FSPI_FIELD, "CRM-0002-NEW");
    assert_lead_field(2, "email", "alice.new@example.com");

    /* ForeignSysPersonId beats Email: lead 3 (CRM-0003) is updated and its
     * Email changed, although another lead (4) has that email. */
    r = sync_lead("<Email>ckent@example.com</Email><ForeignSysPersonId>CRM-0003</ForeignSysPersonId>"
                  "<leadAttributeList><attribute><attrName>City</attrName>"
                  "<attrValue>Gotham City</attrValue></attribute></leadAttributeList>", NULL);
    assert_sync(r, "UPDATED", 3);
    free(r);
    assert_lead_field(3, "city", "Gotham City");
    assert_lead_field(3, "email", "ckent@example.com");
    assert_lead_field(4, "city", "Metropolis");

    /* The cookie beats Email: anonymous lead 14 becomes known, no new lead. */
    char *more = ts_fmt("<returnLead>false</returnLead><marketoCookie>%s</marketoCookie>", COOKIE14_XML);
    r = sync_lead("<Email>jdoe@example.com</Email><leadAttributeList><attribute>"
                  "<attrName>LastName</attrName><attrValue>Known Now</attrValue></attribute>"
                  "</leadAttributeList>", more);
    free(more);
    assert_sync(r, "UPDATED", 14);
    free(r);
    assert_lead_field(14, "lastName", "Known Now");
    assert_lead_field(14, "email", "jdoe@example.com");
    assert_lead_field(1, "lastName", "Doe");

    /* Email alone: the lead with that email. */
    r = sync_lead("<Email>ghopper@example.com</Email><leadAttributeList><attribute>"
                  "<attrName>Title</attrName><attrValue>Admiral</attrValue></attribute>"
                  "</leadAttributeList>", NULL);
    assert_sync(r, "UPDATED", 11);
    free(r);
    assert_lead_field(11, "title", "Admiral");

    /* A new ForeignSysPersonId creates a lead that carries it. */
    r = sync_lead("<Email>fspi.new@example.com</Email><ForeignSysPersonId>CRM-9999</ForeignSysPersonId>",
                  NULL);
    assert_sync(r, "CREATED", -1);
    long long id = ss_xml_num(r, "leadId");
    free(r);
    assert_lead_field(id, FSPI_FIELD, "CRM-9999");
    assert_lead_field(id, "email", "fspi.new@example.com");
}

static void test_sync_lead_failed_with_rest_reason(void **state)
{
    (void)state;
    /* An Id that does not exist: REST cannot create by id, so FAILED with
     * REST's reason (1004), and nothing is created. */
    char *r = sync_lead("<Id>777777</Id><Email>ghost@example.com</Email>", NULL);
    assert_sync(r, "FAILED", -1);
    char *err = ss_xml_text(r, "error");
    assert_non_null(err);
    assert_non_null(strstr(err, "1004"));
    free(err);
    free(r);
    assert_int_equal(rest_count("email", "ghost@example.com"), 0);

    /* Email shared by leads 7 and 8: REST refuses to choose (1007). */
    r = sync_lead("<Email>shared@example.com</Email><leadAttributeList><attribute>"
                  "<attrName>City</attrName><attrValue>Nowhere</attrValue></attribute>"
                  "</leadAttributeList>", NULL);
    assert_sync(r, "FAILED", -1);
    assert_non_null(strstr(r, "1007"));
    free(r);

    /* No key at all. */
    free(call_fault("<ns1:paramsSyncLead><leadRecord><leadAttributeList><attribute><attrName>City"
                    "</attrName><attrValue>X</attrValue></attribute></leadAttributeList></leadRecord>"
                    "<returnLead>false</returnLead></ns1:paramsSyncLead>", 20101));
    /* An attribute that does not exist: 20105 before anything is written. */
    long before = stat_calls(SYNC_CALLS);
    r = call_fault("<ns1:paramsSyncLead><leadRecord><Email>jdoe@example.com</Email>"
                   "<leadAttributeList><attribute><attrName>NoSuchField</attrName>"
                   "<attrValue>1</attrValue></attribute></leadAttributeList></leadRecord>"
                   "<returnLead>false</returnLead></ns1:paramsSyncLead>", 20105);
    assert_non_null(strstr(r, "NoSuchField"));
    free(r);
    assert_int_equal(stat_calls(SYNC_CALLS), before);
    /* A value of the wrong type is REST's to judge: the record is FAILED
     * with REST's reason (1001), not the call. */
    r = sync_lead("<Email>jdoe@example.com</Email><leadAttributeList><attribute>"
                  "<attrName>LeadScore</attrName><attrValue>lots</attrValue></attribute>"
                  "</leadAttributeList>", NULL);
    assert_sync(r, "FAILED", -1);
    assert_non_null(strstr(r, "1001"));
    free(r);
    assert_int_equal(stat_calls(SYNC_CALLS), before + 1);
    /* A read-only field fails the record without a REST call. */
    r = sync_lead("<Email>jdoe@example.com</Email><leadAttributeList><attribute>"
                  "<attrName>InferredCompany</attrName><attrValue>Acme</attrValue></attribute>"
                  "</leadAttributeList>", NULL);
    assert_sync(r, "FAILED", -1);
    assert_non_null(strstr(r, "InferredCompany is read-only"));
    free(r);
    assert_int_equal(stat_calls(SYNC_CALLS), before + 1);
}

static void test_sync_lead_return_lead(void **state)
{
    (void)state;
    char *r = sync_lead("<Email>asmith@example.com</Email><leadAttributeList><attribute>"
                        "<attrName>Title</attrName><attrValue>CMO</attrValue></attribute>"
                        "</leadAttributeList>", "<returnLead>true</returnLead>");
    assert_sync(r, "UPDATED", 2);
    char *rec = ss_xml_inner(r, "leadRecord", 0);
    assert_non_null(rec);
    assert_int_equal(ss_xml_num(rec, "Id"), 2);
    assert_non_null(strstr(rec, "<Email>asmith@example.com</Email>"));
    ss_assert_attr(rec, "Title", "CMO");
    ss_assert_attr(rec, "FirstName", "Alice");
    ss_assert_attr(rec, "NPSScore", "9");
    free(rec);
    free(r);
}

static void test_sync_lead_cookie_then_get_by_cookie(void **state)
{
    (void)state;
    const char *cookie = "id:287-GTJ-838&amp;token:_mch-example.com-1764300000000-77777";
    char *more = ts_fmt("<returnLead>false</returnLead><marketoCookie>%s</marketoCookie>", cookie);
    long before = stat_calls("POST /rest/v1/leads/{leadId}/associate.json");
    char *r = sync_lead("<Email>cookie.person@example.com</Email>", more);
    free(more);
    assert_sync(r, "CREATED", -1);
    long long id = ss_xml_num(r, "leadId");
    free(r);
    assert_int_equal(stat_calls("POST /rest/v1/leads/{leadId}/associate.json") - before, 1);
    /* getLead by COOKIE finds the new lead. */
    char *rec = get_one("COOKIE", cookie, id);
    assert_non_null(strstr(rec, "<Email>cookie.person@example.com</Email>"));
    free(rec);
    /* A cookie Munchkin could not have written: with an Email key the cookie
     * lookup refuses it before anything is written (REST 1012 → 20102) ... */
    long syncs = stat_calls(SYNC_CALLS);
    r = call_fault("<ns1:paramsSyncLead><leadRecord><Email>cookie.person@example.com</Email>"
                   "</leadRecord><returnLead>false</returnLead><marketoCookie>not-a-cookie"
                   "</marketoCookie></ns1:paramsSyncLead>", 20102);
    free(r);
    assert_int_equal(stat_calls(SYNC_CALLS), syncs);
    /* ... with an Id key the lead is written first, and the fault says so. */
    r = call_fault("<ns1:paramsSyncLead><leadRecord><Id>4</Id><leadAttributeList><attribute>"
                   "<attrName>City</attrName><attrValue>Smallville</attrValue></attribute>"
                   "</leadAttributeList></leadRecord><returnLead>false</returnLead>"
                   "<marketoCookie>not-a-cookie</marketoCookie></ns1:paramsSyncLead>", 20110);
    assert_non_null(strstr(r, "lead 4 was updated"));
    free(r);
    assert_lead_field(4, "city", "Smallville");
}

static void test_sync_lead_workspace_partition(void **state)
{
    (void)state;
    const char *eu = "<ns1:MktowsContextHeader><targetWorkspace>Europe Workspace</targetWorkspace>"
                     "</ns1:MktowsContextHeader>";
    const char *body = "<ns1:paramsSyncLead><leadRecord><Email>eu.person@example.com</Email>"
                       "</leadRecord><returnLead>false</returnLead></ns1:paramsSyncLead>";
    /* A new lead goes to the workspace's partition (config: "Europe", id 2). */
    char *r = call_h(eu, body);
    assert_sync(r, "CREATED", -1);
    long long id = ss_xml_num(r, "leadId");
    free(r);
    cJSON *l = rest_lead(id, "leadPartitionId");
    assert_int_equal(jnum(l, "leadPartitionId"), 2);
    cJSON_Delete(l);
    /* An existing lead matched by Email is updated where it is: lead 1 stays
     * in partition 1 and no duplicate appears in Europe. */
    r = call_h(eu, "<ns1:paramsSyncLead><leadRecord><Email>jdoe@example.com</Email>"
                   "<leadAttributeList><attribute><attrName>City</attrName><attrValue>Lyon"
                   "</attrValue></attribute></leadAttributeList></leadRecord>"
                   "<returnLead>false</returnLead></ns1:paramsSyncLead>");
    assert_sync(r, "UPDATED", 1);
    free(r);
    assert_int_equal(rest_count("email", "jdoe@example.com"), 1);
    l = rest_lead(1, "leadPartitionId,city");
    assert_int_equal(jnum(l, "leadPartitionId"), 1);
    assert_string_equal(jstr(l, "city"), "Lyon");
    cJSON_Delete(l);
    /* "Default" needs no configuration. */
    r = call_h("<ns1:MktowsContextHeader><targetWorkspace>Default</targetWorkspace>"
               "</ns1:MktowsContextHeader>",
               "<ns1:paramsSyncLead><leadRecord><Email>default.ws@example.com</Email>"
               "</leadRecord><returnLead>false</returnLead></ns1:paramsSyncLead>");
    assert_sync(r, "CREATED", -1);
    l = rest_lead(ss_xml_num(r, "leadId"), "leadPartitionId");
    assert_int_equal(jnum(l, "leadPartitionId"), 1);
    cJSON_Delete(l);
    free(r);
    /* A workspace the configuration does not know: a fault naming it, and
     * nothing written. */
    long before = stat_calls(SYNC_CALLS);
    r = call_fault_h("<ns1:MktowsContextHeader><targetWorkspace>Asia</targetWorkspace>"
                     "</ns1:MktowsContextHeader>", body, 20110);
    assert_non_null(strstr(r, "Asia"));
    free(r);
    assert_int_equal(stat_calls(SYNC_CALLS), before);
}

/* ---- syncMultipleLeads ------------------------------------------------------------------ */

static char *sync_multiple(const char *records, const char *more)
{
    char *body = ts_fmt("<ns1:paramsSyncMultipleLeads><leadRecordList>%s</leadRecordList>%s"
                        "</ns1:paramsSyncMultipleLeads>", records, more ? more : "");
    char *r = call(body);
    free(body);
    return r;
}

/* status and leadId of the k-th syncStatus. */
static void nth_status(const char *r, int k, const char *status, long long id)
{
    char *st = ss_xml_inner(r, "syncStatus", k);
    if (!st)
        fail_msg("no syncStatus %d in %s", k, r);
    char *s = ss_xml_text(st, "status");
    if (strcmp(s, status) != 0)
        fail_msg("syncStatus %d: %s, want %s (%s)", k, s, status, st);
    if (id >= 0 && ss_xml_num(st, "leadId") != id)
        fail_msg("syncStatus %d: lead %lld, want %lld", k, ss_xml_num(st, "leadId"), id);
    free(s);
    free(st);
}

static void test_sync_multiple_groups_rest_calls(void **state)
{
    (void)state;
    /* Five records keyed by Email: one REST sync. */
    ts_buf b = {0};
    for (int i = 0; i < 5; i++)
        ts_buf_add(&b, "<leadRecord><Email>batch%d@example.com</Email><leadAttributeList><attribute>"
                   "<attrName>Company</attrName><attrValue>Batch %d</attrValue></attribute>"
                   "</leadAttributeList></leadRecord>", i, i);
    long before = stat_calls(SYNC_CALLS);
    char *r = sync_multiple(b.s, NULL);
    assert_int_equal(stat_calls(SYNC_CALLS) - before, 1);
    assert_int_equal(ts_count(r, "<syncStatus>"), 5);
    for (int i = 0; i < 5; i++)
        nth_status(r, i, "CREATED", -1);
    free(r);
    free(b.s);

    /* Id and Email keys mixed: one REST sync per key type. */
    before = stat_calls(SYNC_CALLS);
    r = sync_multiple("<leadRecord><Email>batch0@example.com</Email></leadRecord>"
                      "<leadRecord><Id>3</Id><leadAttributeList><attribute><attrName>City</attrName>"
                      "<attrValue>Star City</attrValue></attribute></leadAttributeList></leadRecord>"
                      "<leadRecord><Email>batch1@example.com</Email></leadRecord>"
                      "<leadRecord><Id>4</Id></leadRecord>", NULL);
    assert_int_equal(stat_calls(SYNC_CALLS) - before, 2);
    nth_status(r, 0, "UPDATED", -1);
    nth_status(r, 1, "UPDATED", 3);
    nth_status(r, 2, "UPDATED", -1);
    nth_status(r, 3, "UPDATED", 4);
    free(r);
    assert_lead_field(3, "city", "Star City");

    /* REST takes at most 300 records a call: 301 records are two calls. */
    b = (ts_buf){0};
    for (int i = 0; i < 301; i++)
        ts_buf_add(&b, "<leadRecord><Email>bulk%d@example.com</Email></leadRecord>", i);
    before = stat_calls(SYNC_CALLS);
    r = sync_multiple(b.s, NULL);
    assert_int_equal(stat_calls(SYNC_CALLS) - before, 2);
    assert_int_equal(ts_count(r, "<status>CREATED</status>"), 301);
    /* The last record's status is the last one's lead. */
    char *last = ss_xml_inner(r, "syncStatus", 300);
    cJSON *a = rest_leads("email", "bulk300@example.com", "id");
    assert_int_equal(jnum(cJSON_GetArrayItem(a, 0), "id"), ss_xml_num(last, "leadId"));
    cJSON_Delete(a);
    free(last);
    free(r);
    free(b.s);
}

static void test_sync_multiple_order_and_failures(void **state)
{
    (void)state;
    /* Results come back in the caller's order whatever the grouping, each
     * with its own status. */
    char *r = sync_multiple(
        "<leadRecord><Email>order.a@example.com</Email></leadRecord>"            /* 0 CREATED */
        "<leadRecord><Id>2</Id></leadRecord>"                                    /* 1 UPDATED 2 */
        "<leadRecord><Email>order.b@example.com</Email></leadRecord>"            /* 2 CREATED */
        "<leadRecord><Id>888888</Id></leadRecord>"                               /* 3 FAILED 1004 */
        "<leadRecord><Email>jdoe@example.com</Email></leadRecord>"               /* 4 UPDATED 1 */
        "<leadRecord><leadAttributeList><attribute><attrName>City</attrName>"
        "<attrValue>Keyless</attrValue></attribute></leadAttributeList></leadRecord>" /* 5 FAILED */
        "<leadRecord><Email>shared@example.com</Email></leadRecord>"             /* 6 FAILED 1007 */
        "<leadRecord><ForeignSysPersonId>CRM-0018</ForeignSysPersonId></leadRecord>", /* 7 UPDATED 18 */
        NULL);
    assert_int_equal(ts_count(r, "<syncStatus>"), 8);
    nth_status(r, 0, "CREATED", -1);
    nth_status(r, 1, "UPDATED", 2);
    nth_status(r, 2, "CREATED", -1);
    nth_status(r, 3, "FAILED", -1);
    nth_status(r, 4, "UPDATED", 1);
    nth_status(r, 5, "FAILED", -1);
    nth_status(r, 6, "FAILED", -1);
    nth_status(r, 7, "UPDATED", 18);
    char *s3 = ss_xml_inner(r, "syncStatus", 3), *s5 = ss_xml_inner(r, "syncStatus", 5),
         *s6 = ss_xml_inner(r, "syncStatus", 6), *s0 = ss_xml_inner(r, "syncStatus", 0),
         *s2 = ss_xml_inner(r, "syncStatus", 2);
    assert_non_null(strstr(s3, "1004"));
    assert_non_null(strstr(s5, "<error>"));
    assert_non_null(strstr(s6, "1007"));
    assert_non_null(strstr(s0, "<error xsi:nil=\"true\"/>"));
    /* The created ids are the leads with those emails. */
    cJSON *a = rest_leads("email", "order.a@example.com", "id");
    assert_int_equal(jnum(cJSON_GetArrayItem(a, 0), "id"), ss_xml_num(s0, "leadId"));
    cJSON_Delete(a);
    a = rest_leads("email", "order.b@example.com", "id");
    assert_int_equal(jnum(cJSON_GetArrayItem(a, 0), "id"), ss_xml_num(s2, "leadId"));
    cJSON_Delete(a);
    free(s0);
    free(s2);
    free(s3);
    free(s5);
    free(s6);
    free(r);
}

static void test_sync_multiple_dedup_disabled(void **state)
{
    (void)state;
    /* Marketo: "passing in false will create duplicates". */
    char *r = sync_multiple("<leadRecord><Email>jdoe@example.com</Email></leadRecord>"
                            "<leadRecord><Email>jdoe@example.com</Email></leadRecord>",
                            "<dedupEnabled>false</dedupEnabled>");
    nth_status(r, 0, "CREATED", -1);
    nth_status(r, 1, "CREATED", -1);
    free(r);
    assert_int_equal(rest_count("email", "jdoe@example.com"), 3);
    /* With dedup (the default) the same email twice updates one lead. */
    r = sync_multiple("<leadRecord><Email>bwayne@example.com</Email></leadRecord>"
                      "<leadRecord><Email>bwayne@example.com</Email></leadRecord>",
                      "<dedupEnabled>true</dedupEnabled>");
    nth_status(r, 0, "UPDATED", 3);
    nth_status(r, 1, "UPDATED", 3);
    free(r);
    assert_int_equal(rest_count("email", "bwayne@example.com"), 1);
}

static void test_sync_multiple_email_rule_with_id(void **state)
{
    (void)state;
    /* Keyed by Id, the Email member is not written ... */
    char *r = sync_multiple("<leadRecord><Id>4</Id><Email>clark@example.com</Email>"
                            "<leadAttributeList><attribute><attrName>Title</attrName>"
                            "<attrValue>Editor</attrValue></attribute></leadAttributeList>"
                            "</leadRecord>", NULL);
    nth_status(r, 0, "UPDATED", 4);
    free(r);
    assert_lead_field(4, "title", "Editor");
    assert_lead_field(4, "email", "ckent@example.com");
    /* ... unless Email is among the attributes. */
    r = sync_multiple("<leadRecord><Id>4</Id><leadAttributeList><attribute><attrName>Email"
                      "</attrName><attrValue>clark@example.com</attrValue></attribute>"
                      "</leadAttributeList></leadRecord>", NULL);
    nth_status(r, 0, "UPDATED", 4);
    free(r);
    assert_lead_field(4, "email", "clark@example.com");
    /* One record and one attribute are still lists in the answer. */
    r = sync_multiple("<leadRecord><Email>single@example.com</Email></leadRecord>", NULL);
    assert_non_null(strstr(r, "<syncStatusList><syncStatus><leadId>"));
    free(r);
    /* An attribute that does not exist faults the whole call before any write. */
    long before = stat_calls(SYNC_CALLS);
    char *body = ts_fmt("<ns1:paramsSyncMultipleLeads><leadRecordList><leadRecord><Email>ok@example.com"
                        "</Email></leadRecord><leadRecord><Email>bad@example.com</Email>"
                        "<leadAttributeList><attribute><attrName>Bogus</attrName><attrValue>1"
                        "</attrValue></attribute></leadAttributeList></leadRecord></leadRecordList>"
                        "</ns1:paramsSyncMultipleLeads>");
    free(call_fault(body, 20105));
    free(body);
    assert_int_equal(stat_calls(SYNC_CALLS), before);
    assert_int_equal(rest_count("email", "ok@example.com"), 0);
}

/* ---- mergeLeads --------------------------------------------------------------------------- */

static char *key_list(const char *type, long long id)
{
    return ts_fmt("<attribute><attrName>%s</attrName><attrValue>%lld</attrValue></attribute>", type, id);
}

static char *merge_body(long long winner, const long long *losers, int n, const char *more)
{
    ts_buf b = {0};
    char *w = key_list("IDNUM", winner);
    ts_buf_add(&b, "<ns1:paramsMergeLeads><winningLeadKeyList>%s</winningLeadKeyList><losingLeadKeyLists>", w);
    free(w);
    for (int i = 0; i < n; i++) {
        char *k = key_list("IDNUM", losers[i]);
        ts_buf_add(&b, "<keyList>%s</keyList>", k);
        free(k);
    }
    ts_buf_add(&b, "</losingLeadKeyLists>%s</ns1:paramsMergeLeads>", more ? more : "");
    return b.s;
}

static void test_merge_leads(void **state)
{
    (void)state;
    static const long long losers[] = {15, 16};
    char *body = merge_body(2, losers, 2, NULL);
    long before = stat_calls(MERGE_CALLS);
    char *r = call(body);
    free(body);
    assert_int_equal(stat_calls(MERGE_CALLS) - before, 1);
    assert_non_null(strstr(r, "<mergeStatus><winningLeadId>2</winningLeadId><losingLeadIdList>"
                              "<integerItem>15</integerItem><integerItem>16</integerItem>"
                              "</losingLeadIdList><status>MERGED</status>"
                              "<error xsi:nil=\"true\"/></mergeStatus>"));
    free(r);
    assert_null(rest_lead(15, "id"));
    assert_null(rest_lead(16, "id"));
    cJSON *l = rest_lead(2, "id");
    assert_non_null(l);
    cJSON_Delete(l);

    /* A loser named by email; one loser is still a list of one. */
    r = call("<ns1:paramsMergeLeads><winningLeadKeyList><attribute><attrName>IDNUM</attrName>"
             "<attrValue>17</attrValue></attribute></winningLeadKeyList><losingLeadKeyLists>"
             "<keyList><attribute><attrName>EMAIL</attrName><attrValue>ritchie@example.com"
             "</attrValue></attribute></keyList></losingLeadKeyLists></ns1:paramsMergeLeads>");
    assert_non_null(strstr(r, "<losingLeadIdList><integerItem>18</integerItem></losingLeadIdList>"));
    free(r);
    assert_null(rest_lead(18, "id"));
}

static void test_merge_leads_in_sales(void **state)
{
    (void)state;
    static const long long losers[] = {20};
    char *body = merge_body(19, losers, 1, "<mergeInSales>true</mergeInSales>");
    free(call(body));
    free(body);
    /* The emulator logs the Merge Leads activity with "Merged in Sales". */
    cJSON *t = ts_rest(&stack.emu, stack.token, "GET",
                       "/rest/v1/activities/pagingtoken.json?sinceDatetime=2026-01-01T00:00:00Z",
                       NULL, NULL);
    char *path = ts_fmt("/rest/v1/activities.json?activityTypeIds=32&leadIds=19&nextPageToken=%s",
                        jstr(t, "nextPageToken"));
    cJSON *acts = NULL;
    bool found = false;
    for (int page = 0; page < 20 && !found; page++) {
        acts = ts_rest(&stack.emu, stack.token, "GET", path, NULL, NULL);
        const cJSON *a;
        cJSON_ArrayForEach(a, cJSON_GetObjectItem(acts, "result")) {
            const cJSON *at;
            cJSON_ArrayForEach(at, cJSON_GetObjectItem(a, "attributes")) {
                if (jstr(at, "name") && strcmp(jstr(at, "name"), "Merged in Sales") == 0)
                    found = cJSON_IsTrue(cJSON_GetObjectItem(at, "value"));
            }
        }
        const char *next = jstr(acts, "nextPageToken");
        bool more = cJSON_IsTrue(cJSON_GetObjectItem(acts, "moreResult"));
        free(path);
        path = more && next ? ts_fmt("/rest/v1/activities.json?activityTypeIds=32&leadIds=19"
                                     "&nextPageToken=%s", next) : NULL;
        cJSON_Delete(acts);
        if (!path)
            break;
    }
    free(path);
    cJSON_Delete(t);
    assert_true(found);
}

static void test_merge_leads_more_than_25_losers(void **state)
{
    (void)state;
    /* 30 new leads to lose. */
    ts_buf b = {0};
    for (int i = 0; i < 30; i++)
        ts_buf_add(&b, "<leadRecord><Email>loser%d@example.com</Email></leadRecord>", i);
    char *r = sync_multiple(b.s, NULL);
    free(b.s);
    long long losers[30];
    for (int i = 0; i < 30; i++) {
        char *st = ss_xml_inner(r, "syncStatus", i);
        losers[i] = ss_xml_num(st, "leadId");
        free(st);
    }
    free(r);
    char *body = merge_body(1, losers, 30, NULL);
    long before = stat_calls(MERGE_CALLS), gets = stat_calls(GET_CALLS);
    r = call(body);
    free(body);
    /* REST merges at most 25 at a time: two merges, and one lookup that
     * checks all 31 ids. */
    assert_int_equal(stat_calls(MERGE_CALLS) - before, 2);
    assert_int_equal(stat_calls(GET_CALLS) - gets, 1);
    assert_int_equal(ts_count(r, "<integerItem>"), 30);
    assert_non_null(strstr(r, "<status>MERGED</status>"));
    free(r);
    for (int i = 0; i < 30; i++)
        assert_null(rest_lead(losers[i], "id"));
}

static void test_merge_leads_faults(void **state)
{
    (void)state;
    /* An unknown loser: 20103 and nothing merged. */
    static const long long losers[] = {5, 999999};
    char *body = merge_body(4, losers, 2, NULL);
    long before = stat_calls(MERGE_CALLS);
    char *r = call_fault(body, 20103);
    assert_non_null(strstr(r, "999999"));
    free(r);
    free(body);
    assert_int_equal(stat_calls(MERGE_CALLS), before);
    cJSON *l = rest_lead(5, "id");
    assert_non_null(l);
    cJSON_Delete(l);
    /* An unknown winner. */
    static const long long one[] = {5};
    body = merge_body(999998, one, 1, NULL);
    free(call_fault(body, 20103));
    free(body);
    /* A key naming two leads (7 and 8 share an email). */
    free(call_fault("<ns1:paramsMergeLeads><winningLeadKeyList><attribute><attrName>IDNUM"
                    "</attrName><attrValue>6</attrValue></attribute></winningLeadKeyList>"
                    "<losingLeadKeyLists><keyList><attribute><attrName>EMAIL</attrName>"
                    "<attrValue>shared@example.com</attrValue></attribute></keyList>"
                    "</losingLeadKeyLists></ns1:paramsMergeLeads>", 20110));
    /* The winner among the losers. */
    static const long long self[] = {6};
    body = merge_body(6, self, 1, NULL);
    free(call_fault(body, 20110));
    free(body);
    /* No loser. */
    free(call_fault("<ns1:paramsMergeLeads><winningLeadKeyList><attribute><attrName>IDNUM"
                    "</attrName><attrValue>6</attrValue></attribute></winningLeadKeyList>"
                    "</ns1:paramsMergeLeads>", 20101));
    assert_int_equal(stat_calls(MERGE_CALLS), before);
}

/* ---- error paths -------------------------------------------------------------------------- */

static void test_auth_faults(void **state)
{
    (void)state;
    char ts[64];
    const char *body = "<ns1:paramsGetLead><leadKey><keyType>IDNUM</keyType><keyValue>1"
                       "</keyValue></leadKey></ns1:paramsGetLead>";
    long before = stat_calls(GET_CALLS);
    /* Wrong key. */
    ss_timestamp(ts, sizeof ts, 0);
    char *xml = ss_envelope(SS_USER, "not-the-key", ts, NULL, body);
    ts_http_resp r;
    ss_post_xml(&stack, xml, &r);
    free(xml);
    ss_expect_fault(&r, 20014);
    ts_http_free(&r);
    /* Signed for another timestamp than the one sent (two seconds or more
     * apart, whenever the clock ticks). */
    char signed_ts[64];
    ss_timestamp(signed_ts, sizeof signed_ts, -1);
    ss_timestamp(ts, sizeof ts, 1);
    xml = ss_envelope(SS_USER, SS_KEY, signed_ts, NULL, body);
    memcpy(strstr(xml, signed_ts), ts, strlen(ts));   /* the same length: one fixed form */
    ss_post_xml(&stack, xml, &r);
    free(xml);
    ss_expect_fault(&r, 20014);
    ts_http_free(&r);
    /* Stale: 20 minutes old, correctly signed. */
    ss_timestamp(ts, sizeof ts, -20 * 60);
    xml = ss_envelope(SS_USER, SS_KEY, ts, NULL, body);
    ss_post_xml(&stack, xml, &r);
    free(xml);
    ss_expect_fault(&r, 20016);
    ts_http_free(&r);
    /* No REST call was made for any of them. */
    assert_int_equal(stat_calls(GET_CALLS), before);
}

static void test_malformed_envelope(void **state)
{
    (void)state;
    ts_http_resp r;
    char ts[64];
    ss_timestamp(ts, sizeof ts, 0);
    char *xml = ss_envelope(SS_USER, SS_KEY, ts, NULL,
                            "<ns1:paramsGetLead><leadKey><keyType>IDNUM</keyType><keyValue>1"
                            "</keyValue></leadKey>");   /* paramsGetLead never closed */
    ss_post_xml(&stack, xml, &r);
    free(xml);
    ss_expect_fault(&r, 20012);
    ts_http_free(&r);
    xml = ss_envelope(SS_USER, SS_KEY, ts, NULL,
                      "<ns1:paramsGetLead><leadKey></ns1:paramsGetLead>");
    ss_post_xml(&stack, xml, &r);
    free(xml);
    ss_expect_fault(&r, 20012);
    ts_http_free(&r);
    /* Cut off in the middle of a tag. */
    xml = ss_envelope(SS_USER, SS_KEY, ts, NULL,
                      "<ns1:paramsGetLead><leadKey><keyType>IDNUM</keyType>");
    xml[strlen(xml) - 60] = '\0';
    ss_post_xml(&stack, xml, &r);
    free(xml);
    ss_expect_fault(&r, 20012);
    ts_http_free(&r);
}

static void test_expired_token_mid_run(void **state)
{
    (void)state;
    free(call("<ns1:paramsGetLead><leadKey><keyType>IDNUM</keyType><keyValue>2</keyValue>"
              "</leadKey></ns1:paramsGetLead>"));
    long tokens = stat_calls("GET /identity/oauth/token");
    ss_emu_admin(&stack, "/_emulator/faults", "{\"expire_tokens_now\":true}");
    /* The shim's token is now expired: it renews it and the call succeeds. */
    char *rec = get_one("IDNUM", "3", 3);
    ss_assert_attr(rec, "FirstName", "Bruce");
    free(rec);
    assert_true(stat_calls("GET /identity/oauth/token") > tokens);
    /* A write, too. */
    ss_emu_admin(&stack, "/_emulator/faults", "{\"expire_tokens_now\":true}");
    char *r = sync_lead("<Email>after.expiry@example.com</Email>", NULL);
    assert_sync(r, "CREATED", -1);
    free(r);
    free(stack.token);   /* the test's own token expired as well */
    stack.token = ts_emulator_token(&stack.emu);
    assert_int_equal(rest_count("email", "after.expiry@example.com"), 1);
}

/* REST answers 1006 "field not found" when a field the shim's catalogue
 * names has gone from Marketo.  The emulator is restarted on its port with
 * the seed minus one field, under a shim that read describe before. */
static char *seed_without(const char *field)
{
    cJSON *seed = ss_default_seed();
    cJSON *fields = cJSON_GetObjectItem(seed, "leadFields");
    int before = cJSON_GetArraySize(fields);
    for (int i = before - 1; i >= 0; i--)
        if (strcmp(jstr(cJSON_GetArrayItem(fields, i), "name"), field) == 0)
            cJSON_DeleteItemFromArray(fields, i);
    assert_int_equal(cJSON_GetArraySize(fields), before - 1);
    cJSON *l;
    cJSON_ArrayForEach(l, cJSON_GetObjectItem(seed, "leads"))
        cJSON_DeleteItemFromObject(l, field);
    return ss_seed_file(seed);
}

static void restart_emulator(const char *seed) { ss_emulator_restart(&stack, seed); }

/* The restarted emulator knows no token: let the shim renew its own with a
 * call that reads no lead fields (a list lookup), so that the calls counted
 * next are the operation's own. */
static void renew_shim_token(void)
{
    free(call_fault("<ns1:paramsGetMultipleLeads><leadSelector xsi:type=\"ns1:StaticListSelector\">"
                    "<staticListName>No Such List</staticListName></leadSelector>"
                    "</ns1:paramsGetMultipleLeads>", 20111));
}

static void test_rest_1006_field_gone(void **state)
{
    (void)state;
    char *no_nps = seed_without("npsScore"), *no_tier = seed_without("customerTier");
    /* The shim's catalogue has NPSScore (lead 2's is 9). */
    char *rec = get_one("IDNUM", "2", 2);
    ss_assert_attr(rec, "NPSScore", "9");
    free(rec);

    /* Reads ask for every field: REST refuses NPSScore, the shim reads
     * describe again and answers from one retry. */
    restart_emulator(no_nps);
    rec = get_one("IDNUM", "2", 2);
    assert_null(strstr(rec, "<attrName>NPSScore</attrName>"));
    ss_assert_attr(rec, "FirstName", "Alice");
    free(rec);
    assert_int_equal(stat_calls("GET /rest/v1/leads/describe.json"), 1);

    /* The same with CustomerTier gone gives the shim a catalogue with
     * NPSScore again ... */
    restart_emulator(no_tier);
    rec = get_one("IDNUM", "2", 2);
    ss_assert_attr(rec, "NPSScore", "9");
    assert_null(strstr(rec, "<attrName>CustomerTier</attrName>"));
    free(rec);

    /* ... so that a write naming NPSScore passes the shim's validation and
     * REST answers 1006: fault 20105, with REST's reason. */
    restart_emulator(no_nps);
    renew_shim_token();
    const char *body = "<ns1:paramsSyncLead><leadRecord><Email>asmith@example.com</Email>"
                       "<leadAttributeList><attribute><attrName>NPSScore</attrName><attrValue>10"
                       "</attrValue></attribute></leadAttributeList></leadRecord>"
                       "<returnLead>false</returnLead></ns1:paramsSyncLead>";
    char *r = call_fault(body, 20105);
    assert_non_null(strstr(r, "1006"));
    assert_non_null(strstr(r, "npsScore"));
    free(r);
    assert_int_equal(stat_calls(SYNC_CALLS), 1);
    /* The shim has read describe again: the same write is refused by the
     * shim itself, with no REST sync. */
    r = call_fault(body, 20105);
    assert_non_null(strstr(r, "NPSScore"));
    free(r);
    assert_int_equal(stat_calls(SYNC_CALLS), 1);

    restart_emulator(NULL);
    unlink(no_nps);
    unlink(no_tier);
    free(no_nps);
    free(no_tier);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup(test_get_lead_every_key_type, ss_test_reset),
        cmocka_unit_test_setup(test_get_lead_duplicate_email_counts_every_lead, ss_test_reset),
        cmocka_unit_test_setup(test_get_lead_unsupported_key_and_not_found, ss_test_reset),
        cmocka_unit_test_setup(test_get_multiple_by_keys_batches_and_pages, ss_test_reset),
        cmocka_unit_test_setup(test_get_multiple_by_keys_reads_100_keys_only, ss_test_reset),
        cmocka_unit_test_setup(test_get_multiple_by_keys_refused, ss_test_reset),
        cmocka_unit_test_setup(test_get_multiple_by_static_list, ss_test_reset),
        cmocka_unit_test_setup(test_get_multiple_include_attributes, ss_test_reset),
        cmocka_unit_test_setup(test_get_multiple_by_last_update, ss_test_reset),
        cmocka_unit_test_setup(test_get_multiple_bad_stream_position, ss_test_reset),
        cmocka_unit_test_setup(test_sync_lead_created_and_updated, ss_test_reset),
        cmocka_unit_test_setup(test_sync_lead_key_precedence, ss_test_reset),
        cmocka_unit_test_setup(test_sync_lead_failed_with_rest_reason, ss_test_reset),
        cmocka_unit_test_setup(test_sync_lead_return_lead, ss_test_reset),
        cmocka_unit_test_setup(test_sync_lead_cookie_then_get_by_cookie, ss_test_reset),
        cmocka_unit_test_setup(test_sync_lead_workspace_partition, ss_test_reset),
        cmocka_unit_test_setup(test_sync_multiple_groups_rest_calls, ss_test_reset),
        cmocka_unit_test_setup(test_sync_multiple_order_and_failures, ss_test_reset),
        cmocka_unit_test_setup(test_sync_multiple_dedup_disabled, ss_test_reset),
        cmocka_unit_test_setup(test_sync_multiple_email_rule_with_id, ss_test_reset),
        cmocka_unit_test_setup(test_merge_leads, ss_test_reset),
        cmocka_unit_test_setup(test_merge_leads_in_sales, ss_test_reset),
        cmocka_unit_test_setup(test_merge_leads_more_than_25_losers, ss_test_reset),
        cmocka_unit_test_setup(test_merge_leads_faults, ss_test_reset),
        cmocka_unit_test_setup(test_auth_faults, ss_test_reset),
        cmocka_unit_test_setup(test_malformed_envelope, ss_test_reset),
        cmocka_unit_test_setup(test_expired_token_mid_run, ss_test_reset),
        cmocka_unit_test_setup(test_rest_1006_field_gone, ss_test_reset),
    };
    return ts_run_tests(tests, group_setup, ss_group_teardown);
}
