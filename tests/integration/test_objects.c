/*
 * test_objects.c — the MObject and custom object operations end to end:
 * signed SOAP requests to a real mktows-shim, which talks REST to a real
 * marketo-emulator.  What the shim wrote is read back through SOAP (read
 * after write) and, where SOAP cannot tell, through the emulator's REST
 * API; what each SOAP call cost in REST comes from the shim's
 * X-Mktows-Rest-Calls response header.
 *
 * The emulator runs on a seed made at start-up: emulator/seed/default.json
 * (opportunities OPP-1001..1003, roles of leads 1-3, programs 2001-2006,
 * custom object types car_c and roadshow_c) plus 230 programs 5001-5230 in
 * workspace "Bulk" (the first 150 tagged Region=LATAM) so that program
 * listings page.  Every test starts from that seed (POST /_emulator/reset).
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

#define USER "objects_user_0001"
#define KEY "5ec2e7a1objects"
#define USER2 "objects_user_0002"
#define KEY2 "another-key"
#define BULK_PROGRAMS 230
#define BULK_TAGGED 150

static ss_stack stack;

static char *call(const char *body) { return ss_call(&stack, body); }
/* A call that must fault with code, its message containing `says` (NULL: anything). */
static void call_fault(const char *body, int code, const char *says)
{
    ss_expect_call_fault(&stack, body, code, says);
}

static int rest_count(const char *path_and_query)
{
    cJSON *a = ss_rest_result(&stack, path_and_query);
    int n = cJSON_GetArraySize(a);
    cJSON_Delete(a);
    return n;
}

/* ---- fixtures ------------------------------------------------------------------- */

/* default.json plus the bulk programs. */
static cJSON *make_seed(void)
{
    cJSON *seed = ss_default_seed();
    cJSON *programs = cJSON_GetObjectItem(seed, "programs");
    for (int i = 1; i <= BULK_PROGRAMS; i++) {
        char name[64];
        snprintf(name, sizeof name, "Bulk Program %03d", i);
        cJSON *p = cJSON_CreateObject();
        cJSON_AddNumberToObject(p, "id", 5000 + i);
        cJSON_AddStringToObject(p, "name", name);
        cJSON_AddStringToObject(p, "description", "bulk");
        cJSON_AddStringToObject(p, "createdAt", "2026-03-01T09:00:00Z+0000");
        cJSON_AddStringToObject(p, "updatedAt", i <= 10 ? "2026-03-02T09:00:00Z+0000"
                                                        : "2026-03-05T09:00:00Z+0000");
        cJSON_AddStringToObject(p, "url", "https://app.marketo.com/#PG5000A1");
        cJSON_AddStringToObject(p, "type", "program");
        cJSON_AddStringToObject(p, "channel", "Blog");
        cJSON *folder = cJSON_AddObjectToObject(p, "folder");
        cJSON_AddStringToObject(folder, "type", "Folder");
        cJSON_AddNumberToObject(folder, "value", 99);
        cJSON_AddStringToObject(folder, "folderName", "Bulk");
        cJSON_AddStringToObject(p, "status", "");
        cJSON_AddStringToObject(p, "workspace", "Bulk");
        cJSON_AddNullToObject(p, "sfdcId");
        cJSON_AddNullToObject(p, "sfdcName");
        cJSON *tags = cJSON_AddArrayToObject(p, "tags");
        if (i <= BULK_TAGGED) {
            cJSON *t = cJSON_CreateObject();
            cJSON_AddStringToObject(t, "tagType", "Region");
            cJSON_AddStringToObject(t, "tagValue", "LATAM");
            cJSON_AddItemToArray(tags, t);
        }
        cJSON *costs = cJSON_AddArrayToObject(p, "costs");
        cJSON *c = cJSON_CreateObject();
        cJSON_AddStringToObject(c, "startDate", "2026-03-01");
        cJSON_AddNumberToObject(c, "cost", i);
        cJSON_AddItemToArray(costs, c);
        cJSON_AddItemToArray(programs, p);
    }
    return seed;
}

/* Every test starts from the seed, the shim's REST token renewed (ss_test_reset). */
static int group_setup(void **state)
{
    ss_options o = {
        .seed = make_seed(),
        .users = {{USER, KEY}, {USER2, KEY2}},
        .config = "{\"workers\": 4, \"timeouts\": {\"request_seconds\": 60}}",
        .version = "2_9",
        .warmup = "<ns1:paramsGetMObjects><type>Program</type><id>2001</id>"
                  "</ns1:paramsGetMObjects>",
    };
    *state = &stack;
    return ss_start(&stack, &o);
}

/* ---- request builders -------------------------------------------------------------- */

static char *get_by_criteria(const char *type, const char *name, const char *cmp,
                             const char *value)
{
    return ts_fmt("<ns1:paramsGetMObjects><type>%s</type><mObjCriteriaList><mObjCriteria>"
                  "<attrName>%s</attrName><comparison>%s</comparison><attrValue>%s</attrValue>"
                  "</mObjCriteria></mObjCriteriaList></ns1:paramsGetMObjects>",
                  type, name, cmp, value);
}

static char *get_opp_by_guid(const char *guid)
{
    return ts_fmt("<ns1:paramsGetMObjects><type>Opportunity</type><externalKey>"
                  "<name>marketoGUID</name><value>%s</value></externalKey></ns1:paramsGetMObjects>",
                  guid);
}

/* One opportunity mObject: externalKey (name may be NULL) and attribs "N=V|N=V". */
static void opp_object(ts_buf *b, const char *type, const char *key_name, const char *key_value,
                       const char *attrs)
{
    ts_buf_add(b, "<mObject><type>%s</type>", type);
    if (key_name)
        ts_buf_add(b, "<externalKey><name>%s</name><value>%s</value></externalKey>", key_name,
                   key_value);
    if (attrs && *attrs) {
        ts_buf_add(b, "<attribList>");
        char *copy = strdup(attrs), *save = NULL;
        for (char *kv = strtok_r(copy, "|", &save); kv; kv = strtok_r(NULL, "|", &save)) {
            char *eq = strchr(kv, '=');
            *eq = '\0';
            ts_buf_add(b, "<attrib><name>%s</name><value>%s</value></attrib>", kv, eq + 1);
        }
        free(copy);
        ts_buf_add(b, "</attribList>");
    }
    ts_buf_add(b, "</mObject>");
}

static char *sync_one(const char *op, const char *type, const char *key_name,
                      const char *key_value, const char *attrs)
{
    ts_buf b = {0};
    ts_buf_add(&b, "<ns1:paramsSyncMObjects><mObjectList>");
    opp_object(&b, type, key_name, key_value, attrs);
    ts_buf_add(&b, "</mObjectList><operation>%s</operation></ns1:paramsSyncMObjects>", op);
    return b.s;
}

/* ---- listMObjects / describeMObject -------------------------------------------------- */

static void test_list_mobjects(void **state)
{
    (void)state;
    char *r = call("<ns1:paramsListMObjects/>");
    assert_int_equal(ts_count(r, "<objects>"), 3);
    char *a = ss_xml_text_k(r, "objects", 0), *b = ss_xml_text_k(r, "objects", 1);
    char *c = ss_xml_text_k(r, "objects", 2);
    assert_string_equal(a, "LeadRecord");
    assert_string_equal(b, "Opportunity");
    assert_string_equal(c, "OpportunityPersonRole");
    assert_null(strstr(r, "ActivityRecord"));
    assert_int_equal(stack.rest_calls, 0);   /* the shim's own list: no REST call */
    free(a);
    free(b);
    free(c);
    free(r);
}

static char *field_k(const char *doc, const char *name)
{
    char *want = ts_fmt("<field><name>%s</name>", name);
    const char *p = strstr(doc, want);
    free(want);
    return p ? ss_xml_inner(p, "field", 0) : NULL;
}

static void test_describe_mobject(void **state)
{
    (void)state;
    /* Opportunity: REST names with a capital first letter; marketoGUID is the key. */
    char *r = call("<ns1:paramsDescribeMObject><objectName>Opportunity</objectName>"
                   "</ns1:paramsDescribeMObject>");
    ss_assert_text(r, "name", "Opportunity");
    ss_assert_text(r, "isVirtual", "false");
    assert_int_equal(ts_count(r, "<field>"), 21);   /* the emulator's opportunity describe */
    char *guid = field_k(r, "MarketoGUID"), *name = field_k(r, "Name"),
         *close = field_k(r, "CloseDate");
    assert_non_null(guid);
    assert_non_null(name);
    assert_non_null(close);
    ss_assert_text(guid, "isPrimaryKey", "true");
    ss_assert_text(guid, "isReadonly", "true");
    ss_assert_text(name, "isReadonly", "false");
    ss_assert_text(name, "size", "255");
    ss_assert_text(close, "dataType", "date");
    assert_non_null(strstr(close, "<size xsi:nil=\"true\"/>"));
    assert_non_null(strstr(close, "<description xsi:nil=\"true\"/>"));
    ss_assert_text(close, "displayName", "Close Date");
    assert_in_range(stack.rest_calls, 0, 1);   /* 0 if an earlier test cached it */
    free(guid);
    free(name);
    free(close);
    free(r);

    /* Cached: the same describe costs nothing the second time. */
    r = call("<ns1:paramsDescribeMObject><objectName>Opportunity</objectName>"
             "</ns1:paramsDescribeMObject>");
    assert_int_equal(stack.rest_calls, 0);
    free(r);

    /* Roles: leadId is PersonId. */
    r = call("<ns1:paramsDescribeMObject><objectName>OpportunityPersonRole</objectName>"
             "</ns1:paramsDescribeMObject>");
    char *person = field_k(r, "PersonId");
    assert_non_null(person);
    ss_assert_text(person, "dataType", "integer");
    assert_null(strstr(r, "<name>LeadId</name>"));
    free(person);
    free(r);

    /* LeadRecord: the SOAP names of leads/describe.json. */
    r = call("<ns1:paramsDescribeMObject><objectName>LeadRecord</objectName>"
             "</ns1:paramsDescribeMObject>");
    ss_assert_text(r, "isVirtual", "true");
    char *company = field_k(r, "Company");
    assert_non_null(company);
    ss_assert_text(company, "displayName", "Company Name");
    ss_assert_text(company, "size", "255");
    ss_assert_text(company, "updatedAt", "1970-01-01T00:00:00Z");
    assert_null(field_k(r, "company"));
    free(company);
    free(r);

    call_fault("<ns1:paramsDescribeMObject><objectName>ActivityRecord</objectName>"
               "</ns1:paramsDescribeMObject>", 20110, "ActivityRecord has no REST describe");
    call_fault("<ns1:paramsDescribeMObject><objectName>Program</objectName>"
               "</ns1:paramsDescribeMObject>", 20110, "cannot be described");
    call_fault("<ns1:paramsDescribeMObject><objectName>Nonsense</objectName>"
               "</ns1:paramsDescribeMObject>", 20110, "'Nonsense'");
}

/* ---- getMObjects: opportunities and roles --------------------------------------------- */

static void test_get_opportunities(void **state)
{
    (void)state;
    /* By an EQ criterion on a searchable field. */
    char *b = get_by_criteria("Opportunity", "ExternalOpportunityId", "EQ", "OPP-1002");
    char *r = call(b);
    assert_int_equal(ss_xml_num(r, "returnCount"), 1);
    ss_assert_text(r, "hasMore", "false");
    char *o = ss_xml_inner(r, "mObject", 0);
    ss_assert_text(o, "type", "Opportunity");
    assert_null(strstr(o, "<id>"));   /* no integer id is invented */
    assert_non_null(strstr(o, "<externalKey><name>marketoGUID</name>"
                              "<value>7d3c8f0e-2b1a-4c5d-9e8f-000000001002</value>"));
    ss_assert_attrib(o, "Name", "Globex Renewal");
    ss_assert_attrib(o, "Amount", "120000");
    ss_assert_attrib(o, "IsClosed", "false");
    ss_assert_attrib(o, "CloseDate", "2026-06-30");
    ss_assert_text(o, "updatedAt", "2026-02-04T10:00:00Z");
    assert_non_null(strstr(o, "<mObjType>Company</mObjType><externalKey>"
                              "<name>externalCompanyId</name><value>COMP-2</value>"));
    assert_in_range(stack.rest_calls, 1, 2);   /* + describe on first use */
    assert_non_null(strstr(stack.rest_trace, "GET /rest/v1/opportunities.json"));
    free(o);
    free(r);
    free(b);

    /* By externalKey marketoGUID; the describe is cached now. */
    b = get_opp_by_guid("7d3c8f0e-2b1a-4c5d-9e8f-000000001003");
    r = call(b);
    assert_int_equal(ss_xml_num(r, "returnCount"), 1);
    assert_non_null(strstr(r, "Initech Pilot"));
    assert_int_equal(stack.rest_calls, 1);
    free(r);
    free(b);

    /* By the Company association (externalCompanyId). */
    r = call("<ns1:paramsGetMObjects><type>Opportunity</type><mObjAssociationList>"
             "<mObjAssociation><mObjType>Company</mObjType><externalKey>"
             "<name>externalCompanyId</name><value>COMP-3</value></externalKey>"
             "</mObjAssociation></mObjAssociationList></ns1:paramsGetMObjects>");
    assert_int_equal(ss_xml_num(r, "returnCount"), 1);
    assert_non_null(strstr(r, "Initech Pilot"));
    free(r);

    /* Two criteria: one is REST's filter, the other is checked on the answer. */
    r = call("<ns1:paramsGetMObjects><type>Opportunity</type><mObjCriteriaList>"
             "<mObjCriteria><attrName>ExternalSalesPersonId</attrName><comparison>EQ"
             "</comparison><attrValue>SP-1</attrValue></mObjCriteria>"
             "<mObjCriteria><attrName>ExternalCompanyId</attrName><comparison>EQ"
             "</comparison><attrValue>COMP-3</attrValue></mObjCriteria>"
             "</mObjCriteriaList></ns1:paramsGetMObjects>");
    assert_int_equal(ss_xml_num(r, "returnCount"), 1);   /* SP-1 has OPP-1001 and OPP-1003 */
    assert_non_null(strstr(r, "OPP-1003"));
    assert_null(strstr(r, "OPP-1001"));
    free(r);

    /* Nothing matches: an empty list, the end of the stream. */
    b = get_by_criteria("Opportunity", "externalOpportunityId", "EQ", "OPP-NONE");
    r = call(b);
    assert_int_equal(ss_xml_num(r, "returnCount"), 0);
    ss_assert_text(r, "hasMore", "false");
    free(r);
    free(b);
}

static void test_get_roles(void **state)
{
    (void)state;
    /* Roles of lead 1 by the Lead association (REST leadId). */
    char *r = call("<ns1:paramsGetMObjects><type>OpportunityPersonRole</type>"
                   "<mObjAssociationList><mObjAssociation><mObjType>Lead</mObjType><id>1</id>"
                   "</mObjAssociation></mObjAssociationList></ns1:paramsGetMObjects>");
    assert_int_equal(ss_xml_num(r, "returnCount"), 1);
    char *o = ss_xml_inner(r, "mObject", 0);
    ss_assert_attrib(o, "PersonId", "1");
    ss_assert_attrib(o, "Role", "Decision Maker");
    ss_assert_attrib(o, "IsPrimary", "true");
    assert_non_null(strstr(o, "<mObjType>Lead</mObjType><id>1</id>"));
    free(o);
    free(r);

    /* Roles of an opportunity. */
    r = call("<ns1:paramsGetMObjects><type>OpportunityPersonRole</type>"
             "<mObjAssociationList><mObjAssociation><mObjType>Opportunity</mObjType>"
             "<externalKey><name>externalOpportunityId</name><value>OPP-1001</value>"
             "</externalKey></mObjAssociation></mObjAssociationList></ns1:paramsGetMObjects>");
    assert_int_equal(ss_xml_num(r, "returnCount"), 2);
    free(r);

    /* The whole compound key: POST ?_method=GET with a JSON body. */
    r = call("<ns1:paramsGetMObjects><type>OpportunityPersonRole</type><mObjCriteriaList>"
             "<mObjCriteria><attrName>ExternalOpportunityId</attrName><comparison>EQ"
             "</comparison><attrValue>OPP-1001</attrValue></mObjCriteria>"
             "<mObjCriteria><attrName>PersonId</attrName><comparison>EQ</comparison>"
             "<attrValue>2</attrValue></mObjCriteria>"
             "<mObjCriteria><attrName>Role</attrName><comparison>EQ</comparison>"
             "<attrValue>Influencer</attrValue></mObjCriteria>"
             "</mObjCriteriaList></ns1:paramsGetMObjects>");
    assert_int_equal(ss_xml_num(r, "returnCount"), 1);
    assert_non_null(strstr(r, "9a1b2c3d-4e5f-4a6b-8c7d-000000002002"));
    assert_non_null(strstr(stack.rest_trace, "POST /rest/v1/opportunities/roles.json"));
    free(r);

    /* Role alone is no REST filter. */
    char *b = get_by_criteria("OpportunityPersonRole", "Role", "EQ", "Influencer");
    call_fault(b, 20110, "REST cannot filter OpportunityPersonRole by Role");
    free(b);
}

static void test_get_mobjects_refused(void **state)
{
    (void)state;
    char *b;
    /* Marketo's own example: Id LE and Name NE on programs. */
    call_fault("<ns1:paramsGetMObjects><type>Program</type><mObjCriteriaList><mObjCriteria>"
               "<attrName>Id</attrName><comparison>LE</comparison><attrValue>1010</attrValue>"
               "</mObjCriteria><mObjCriteria><attrName>Name</attrName><comparison>NE"
               "</comparison><attrValue>elizprogramtest</attrValue></mObjCriteria>"
               "</mObjCriteriaList></ns1:paramsGetMObjects>",
               20110, "REST cannot filter programs by Id LE 1010");
    const char *cmps[] = {"NE", "LT", "LE", "GT", "GE"};
    for (int i = 0; i < 5; i++) {
        b = get_by_criteria("Opportunity", "ExternalOpportunityId", cmps[i], "OPP-1001");
        char *says = ts_fmt("REST cannot filter Opportunity by ExternalOpportunityId %s", cmps[i]);
        call_fault(b, 20110, says);
        free(says);
        free(b);
    }
    assert_int_equal(stack.rest_calls, 0);   /* refused before any query (describe is cached) */
    b = get_by_criteria("Opportunity", "Stage", "EQ", "Prospecting");
    call_fault(b, 20110, "REST cannot filter Opportunity by Stage");
    free(b);
    b = get_by_criteria("Opportunity", "Nonsense", "EQ", "x");
    call_fault(b, 20110, "has no attribute 'Nonsense'");
    free(b);
    call_fault("<ns1:paramsGetMObjects><type>Opportunity</type><id>4</id>"
               "</ns1:paramsGetMObjects>", 20110, "Opportunity id 4 cannot be looked up");
    b = get_by_criteria("OpportunityPersonRole", "OpportunityId", "EQ", "4");
    call_fault(b, 20110, "no integer ids for opportunities or roles");
    free(b);
    call_fault("<ns1:paramsGetMObjects><type>Opportunity</type></ns1:paramsGetMObjects>",
               20109, "REST cannot list every Opportunity");
    call_fault("<ns1:paramsGetMObjects><type>Opportunity</type><mObjAssociationList>"
               "<mObjAssociation><mObjType>Company</mObjType><id>7</id></mObjAssociation>"
               "</mObjAssociationList></ns1:paramsGetMObjects>", 20110, "Company id 7");
    call_fault("<ns1:paramsGetMObjects><type>Opportunity</type><mObjAssociationList>"
               "<mObjAssociation><mObjType>Lead</mObjType><id>1</id></mObjAssociation>"
               "</mObjAssociationList></ns1:paramsGetMObjects>", 20110,
               "REST cannot relate Opportunity to an associated Lead");
    call_fault("<ns1:paramsGetMObjects><type>Company</type></ns1:paramsGetMObjects>", 20110,
               "type 'Company' is not one REST serves");
    const char *program_refusals[][3] = {
        {"Created At", "GE", "the Asset API filters programs by update time"},
        {"Workspace Id", "EQ", "carry the workspace name, not its id"},
        {"CRM Id", "EQ", "CRM (SFDC campaign) id"},
        {"Include Archive", "EQ", "no archive switch"},
        {"Name", "NE", "REST cannot filter programs by Name NE"},
        {"Updated At", "NE", "cannot exclude one instant"},
    };
    for (size_t i = 0; i < sizeof program_refusals / sizeof program_refusals[0]; i++) {
        b = get_by_criteria("Program", program_refusals[i][0], program_refusals[i][1],
                            "2026-01-01T00:00:00Z");
        call_fault(b, 20110, program_refusals[i][2]);
        free(b);
    }
    b = get_by_criteria("Program", "Tag Type", "EQ", "Region");
    call_fault(b, 20109, "both Tag Type and Tag Value");
    free(b);
}

/* Make n opportunities of one company through syncMObjects (≤100 per call). */
static void make_opportunities(int n, const char *company)
{
    for (int start = 0; start < n; start += 100) {
        ts_buf b = {0};
        ts_buf_add(&b, "<ns1:paramsSyncMObjects><mObjectList>");
        for (int i = start; i < n && i < start + 100; i++) {
            char *a = ts_fmt("ExternalOpportunityId=PG-%s-%03d|Name=Paged %d|ExternalCompanyId=%s",
                             company, i, i, company);
            opp_object(&b, "Opportunity", NULL, NULL, a);
            free(a);
        }
        ts_buf_add(&b, "</mObjectList><operation>INSERT</operation></ns1:paramsSyncMObjects>");
        char *r = call(b.s);
        int k = start + 100 < n ? 100 : n - start;
        assert_int_equal(ts_count(r, "<status>CREATED</status>"), k);
        free(r);
        free(b.s);
    }
}

static void test_get_opportunities_paging(void **state)
{
    (void)state;
    make_opportunities(250, "COMP-PAGE");
    char *first = get_by_criteria("Opportunity", "ExternalCompanyId", "EQ", "COMP-PAGE");
    char *pos = NULL, *last_pos = NULL;
    int total = 0, pages = 0;
    char seen[250] = {0};
    for (;;) {
        char *b = pos ? ts_fmt("<ns1:paramsGetMObjects><type>Opportunity</type><mObjCriteriaList>"
                               "<mObjCriteria><attrName>ExternalCompanyId</attrName>"
                               "<comparison>EQ</comparison><attrValue>COMP-PAGE</attrValue>"
                               "</mObjCriteria></mObjCriteriaList><streamPosition>%s"
                               "</streamPosition></ns1:paramsGetMObjects>", pos)
                      : strdup(first);
        char *r = call(b);
        free(b);
        int n = (int)ss_xml_num(r, "returnCount");
        assert_int_equal(ts_count(r, "<mObject>"), n);
        assert_int_equal(stack.rest_calls, 1);
        for (int i = 0; i < n; i++) {
            char *o = ss_xml_inner(r, "mObject", i);
            char *ext = ss_xml_attrib(o, "ExternalOpportunityId");
            int k = atoi(ext + strlen("PG-COMP-PAGE-"));
            assert_in_range(k, 0, 249);
            assert_int_equal(seen[k], 0);   /* never twice */
            seen[k] = 1;
            free(ext);
            free(o);
        }
        total += n;
        pages++;
        char *more = ss_xml_text(r, "hasMore");
        free(pos);
        pos = ss_xml_inner(r, "newStreamPosition", 0);
        assert_non_null(pos);
        assert_true(strlen(pos) > 0);
        bool done = strcmp(more, "false") == 0;
        assert_int_equal(n, done ? 50 : 100);
        free(more);
        free(r);
        if (done)
            break;
        assert_true(pages < 10);
        free(last_pos);
        last_pos = strdup(pos);
    }
    assert_int_equal(total, 250);
    assert_int_equal(pages, 3);

    /* The last page's position marks the end of the stream. */
    char *again = ts_fmt("<ns1:paramsGetMObjects><type>Opportunity</type><mObjCriteriaList>"
                         "<mObjCriteria><attrName>ExternalCompanyId</attrName><comparison>EQ"
                         "</comparison><attrValue>COMP-PAGE</attrValue></mObjCriteria>"
                         "</mObjCriteriaList><streamPosition>%s</streamPosition>"
                         "</ns1:paramsGetMObjects>", pos);
    call_fault(again, 20123, "end of the stream");
    free(again);

    /* A position with another selection, forged, or for another user: 20122. */
    char *other = ts_fmt("<ns1:paramsGetMObjects><type>Opportunity</type><mObjCriteriaList>"
                         "<mObjCriteria><attrName>ExternalCompanyId</attrName><comparison>EQ"
                         "</comparison><attrValue>COMP-1</attrValue></mObjCriteria>"
                         "</mObjCriteriaList><streamPosition>%s</streamPosition>"
                         "</ns1:paramsGetMObjects>", last_pos);
    call_fault(other, 20122, "belongs to another request");
    free(other);
    char *forged = strdup(last_pos);
    forged[3] = forged[3] == 'A' ? 'B' : 'A';
    other = ts_fmt("<ns1:paramsGetMObjects><type>Opportunity</type><mObjCriteriaList>"
                   "<mObjCriteria><attrName>ExternalCompanyId</attrName><comparison>EQ"
                   "</comparison><attrValue>COMP-PAGE</attrValue></mObjCriteria>"
                   "</mObjCriteriaList><streamPosition>%s</streamPosition>"
                   "</ns1:paramsGetMObjects>", forged);
    call_fault(other, 20122, "not issued by this service");
    free(other);
    other = ts_fmt("<ns1:paramsGetMObjects><type>Opportunity</type><mObjCriteriaList>"
                   "<mObjCriteria><attrName>ExternalCompanyId</attrName><comparison>EQ"
                   "</comparison><attrValue>COMP-PAGE</attrValue></mObjCriteria>"
                   "</mObjCriteriaList><streamPosition>%s</streamPosition>"
                   "</ns1:paramsGetMObjects>", last_pos);
    free(ss_call_fault_as(&stack, USER2, KEY2, NULL, other, 20122));
    free(other);
    call_fault("<ns1:paramsGetMObjects><type>Opportunity</type><externalKey><name>marketoGUID"
               "</name><value>x</value></externalKey><streamPosition>garbage</streamPosition>"
               "</ns1:paramsGetMObjects>", 20122, NULL);
    free(forged);
    free(pos);
    free(last_pos);
    free(first);
}

/* ---- getMObjects: programs ---------------------------------------------------------- */

static void test_get_programs(void **state)
{
    (void)state;
    /* By id: tags, the channel as a Tag, costs without an Id. */
    char *r = call("<ns1:paramsGetMObjects><type>Program</type><id>2002</id>"
                   "</ns1:paramsGetMObjects>");
    assert_int_equal(ss_xml_num(r, "returnCount"), 1);
    char *o = ss_xml_inner(r, "mObject", 0);
    ss_assert_text(o, "id", "2002");
    ss_assert_attrib(o, "Name", "Trade Show - Dreamforce");
    ss_assert_attrib(o, "Type", "Marketing Event");
    ss_assert_attrib(o, "Workspace Name", "Default");
    ss_assert_text(o, "createdAt", "2026-01-05T09:00:00Z");   /* "Z+0000" made xs:dateTime */
    assert_non_null(strstr(o, "<attrType>Tag</attrType><attrList><attrib><name>Type</name>"
                              "<value>Channel</value></attrib><attrib><name>Value</name>"
                              "<value>Tradeshow</value>"));
    assert_non_null(strstr(o, "<value>Cost Center</value></attrib><attrib><name>Value</name>"
                              "<value>Sales</value>"));
    assert_int_equal(ts_count(o, "<attrType>Cost</attrType>"), 2);
    assert_non_null(strstr(o, "<name>Month</name><value>2026-02-01</value></attrib><attrib>"
                              "<name>Amount</name><value>3500</value>"));
    assert_null(strstr(o, "<name>Id</name>"));
    assert_int_equal(stack.rest_calls, 1);
    free(o);
    free(r);

    /* By name, by tag, nothing found. */
    char *b = get_by_criteria("Program", "Name", "EQ", "Spring Newsletter");
    r = call(b);
    assert_int_equal(ss_xml_num(r, "returnCount"), 1);
    ss_assert_text(r, "id", "2003");
    assert_non_null(strstr(stack.rest_trace, "program/byName.json"));
    free(r);
    free(b);
    r = call("<ns1:paramsGetMObjects><type>Program</type><mObjCriteriaList>"
             "<mObjCriteria><attrName>Tag Type</attrName><comparison>EQ</comparison>"
             "<attrValue>Region</attrValue></mObjCriteria><mObjCriteria><attrName>Tag Value"
             "</attrName><comparison>EQ</comparison><attrValue>North America</attrValue>"
             "</mObjCriteria></mObjCriteriaList></ns1:paramsGetMObjects>");
    assert_int_equal(ss_xml_num(r, "returnCount"), 2);
    assert_non_null(strstr(r, "<id>2001</id>"));
    assert_non_null(strstr(r, "<id>2002</id>"));
    assert_non_null(strstr(stack.rest_trace, "program/byTag.json"));
    free(r);
    b = get_by_criteria("Program", "Name", "EQ", "No Such Program");
    r = call(b);
    assert_int_equal(ss_xml_num(r, "returnCount"), 0);
    ss_assert_text(r, "hasMore", "false");
    free(r);
    free(b);

    /* Id and Name both: the second is checked on the answer. */
    r = call("<ns1:paramsGetMObjects><type>Program</type><id>2002</id><mObjCriteriaList>"
             "<mObjCriteria><attrName>Name</attrName><comparison>EQ</comparison>"
             "<attrValue>Spring Newsletter</attrValue></mObjCriteria></mObjCriteriaList>"
             "</ns1:paramsGetMObjects>");
    assert_int_equal(ss_xml_num(r, "returnCount"), 0);
    free(r);

    /* Workspace listing: the list call has no tags or costs; includeDetails reads them. */
    b = get_by_criteria("Program", "Workspace Name", "EQ", "Default");
    r = call(b);
    assert_int_equal(ss_xml_num(r, "returnCount"), 6);
    assert_int_equal(ts_count(r, "<attrType>Cost</attrType>"), 0);
    assert_int_equal(ts_count(r, "<value>Channel</value>"), 6);
    assert_int_equal(stack.rest_calls, 1);
    free(r);
    free(b);
    r = call("<ns1:paramsGetMObjects><type>Program</type><mObjCriteriaList><mObjCriteria>"
             "<attrName>Workspace Name</attrName><comparison>EQ</comparison><attrValue>Default"
             "</attrValue></mObjCriteria></mObjCriteriaList><includeDetails>true"
             "</includeDetails></ns1:paramsGetMObjects>");
    assert_int_equal(ss_xml_num(r, "returnCount"), 6);
    assert_int_equal(ts_count(r, "<attrType>Cost</attrType>"), 4);   /* 1 + 2 + 1 in the seed */
    assert_int_equal(stack.rest_calls, 7);   /* the list + one read per program */
    free(r);

    /* Updated At ranges become earliestUpdatedAt / latestUpdatedAt. */
    r = call("<ns1:paramsGetMObjects><type>Program</type><mObjCriteriaList>"
             "<mObjCriteria><attrName>Updated At</attrName><comparison>GE</comparison>"
             "<attrValue>2026-03-01T00:00:00Z</attrValue></mObjCriteria>"
             "<mObjCriteria><attrName>Updated At</attrName><comparison>LT</comparison>"
             "<attrValue>2026-03-04T00:00:00+00:00</attrValue></mObjCriteria>"
             "</mObjCriteriaList></ns1:paramsGetMObjects>");
    assert_int_equal(ss_xml_num(r, "returnCount"), 10);   /* bulk programs 5001-5010 */
    assert_int_equal(stack.rest_calls, 1);
    free(r);
}

static void page_programs(const char *criteria, bool details, int want_total, int page,
                          int calls_per_page)
{
    char *pos = NULL;
    int total = 0, pages = 0;
    for (;;) {
        char *b = ts_fmt("<ns1:paramsGetMObjects><type>Program</type>%s%s%s%s%s"
                         "</ns1:paramsGetMObjects>", criteria,
                         details ? "<includeDetails>true</includeDetails>" : "",
                         pos ? "<streamPosition>" : "", pos ? pos : "",
                         pos ? "</streamPosition>" : "");
        char *r = call(b);
        free(b);
        int n = (int)ss_xml_num(r, "returnCount");
        char *more = ss_xml_text(r, "hasMore");
        bool done = strcmp(more, "false") == 0;
        assert_int_equal(n, done ? want_total - total : page);
        if (details)
            assert_int_equal(ts_count(r, "<attrType>Cost</attrType>"), n);
        assert_int_equal(stack.rest_calls, calls_per_page ? calls_per_page : 1 + n);
        total += n;
        pages++;
        free(pos);
        pos = ss_xml_inner(r, "newStreamPosition", 0);
        free(more);
        free(r);
        if (done)
            break;
        assert_true(pages < 40);
    }
    assert_int_equal(total, want_total);
    char *b = ts_fmt("<ns1:paramsGetMObjects><type>Program</type>%s%s<streamPosition>%s"
                     "</streamPosition></ns1:paramsGetMObjects>", criteria,
                     details ? "<includeDetails>true</includeDetails>" : "", pos);
    call_fault(b, 20123, NULL);
    free(b);
    free(pos);
}

static void test_get_programs_paging(void **state)
{
    (void)state;
    const char *bulk = "<mObjCriteriaList><mObjCriteria><attrName>Workspace Name</attrName>"
                       "<comparison>EQ</comparison><attrValue>Bulk</attrValue></mObjCriteria>"
                       "</mObjCriteriaList>";
    page_programs(bulk, false, BULK_PROGRAMS, 100, 1);
    page_programs(bulk, true, BULK_PROGRAMS, 20, 0);
    page_programs("<mObjCriteriaList><mObjCriteria><attrName>Tag Type</attrName><comparison>EQ"
                  "</comparison><attrValue>Region</attrValue></mObjCriteria><mObjCriteria>"
                  "<attrName>Tag Value</attrName><comparison>EQ</comparison><attrValue>LATAM"
                  "</attrValue></mObjCriteria></mObjCriteriaList>",
                  false, BULK_TAGGED, 100, 1);
    /* Every program of the instance. */
    page_programs("", false, BULK_PROGRAMS + 6, 100, 1);
}

/* ---- syncMObjects / deleteMObjects ---------------------------------------------------- */

static void test_sync_opportunities(void **state)
{
    (void)state;
    /* INSERT: created, with REST's GUID as externalKey. */
    char *b = sync_one("INSERT", "Opportunity", "externalOpportunityId", "OPP-NEW",
                       "Name=Chairs|Amount=1604.47|Stage=Prospecting|IsWon=false");
    char *r = call(b);
    free(b);
    ss_assert_text(r, "status", "CREATED");
    assert_non_null(strstr(r, "<id xsi:nil=\"true\"/>"));
    char *key = ss_xml_inner(r, "externalKey", 0);
    char *guid = ss_xml_text(key, "value");
    assert_non_null(strstr(key, "<name>marketoGUID</name>"));
    assert_int_equal(strlen(guid), 36);
    assert_in_range(stack.rest_calls, 1, 2);   /* + describe on first use */
    assert_non_null(strstr(stack.rest_trace, "POST /rest/v1/opportunities.json"));
    free(key);
    free(r);

    /* Read after write, by the GUID the sync returned. */
    b = get_opp_by_guid(guid);
    r = call(b);
    free(b);
    assert_int_equal(ss_xml_num(r, "returnCount"), 1);
    ss_assert_attrib(r, "Name", "Chairs");
    ss_assert_attrib(r, "Amount", "1604.47");
    ss_assert_attrib(r, "ExternalOpportunityId", "OPP-NEW");
    free(r);

    /* INSERT again: SOAP's "skip existing objects". */
    b = sync_one("INSERT", "Opportunity", "externalOpportunityId", "OPP-NEW", "Name=Other");
    r = call(b);
    free(b);
    ss_assert_text(r, "status", "SKIPPED");
    assert_non_null(strstr(r, "<error>1017 - "));
    free(r);

    /* UPDATE by GUID (REST dedupeBy idField); UPDATE of a missing one is skipped. */
    b = sync_one("UPDATE", "Opportunity", "marketoGUID", guid, "Stage=Closed Won|IsWon=true");
    r = call(b);
    free(b);
    ss_assert_text(r, "status", "UPDATED");
    free(r);
    b = sync_one("UPDATE", "Opportunity", "marketoGUID", "00000000-0000-4000-8000-000000000000",
                 "Stage=Lost");
    r = call(b);
    free(b);
    ss_assert_text(r, "status", "SKIPPED");
    assert_non_null(strstr(r, "<error>1013 - "));
    free(r);
    b = get_opp_by_guid(guid);
    r = call(b);
    free(b);
    ss_assert_attrib(r, "Stage", "Closed Won");
    ss_assert_attrib(r, "IsWon", "true");
    ss_assert_attrib(r, "Name", "Chairs");
    free(r);

    /* UPSERT by the dedupe field among the attributes; a record REST skips; an
     * unknown attribute; the same key twice applies in order. */
    ts_buf s = {0};
    ts_buf_add(&s, "<ns1:paramsSyncMObjects><mObjectList>");
    opp_object(&s, "Opportunity", NULL, NULL, "ExternalOpportunityId=OPP-1001|Stage=Negotiation");
    opp_object(&s, "Opportunity", NULL, NULL, "ExternalOpportunityId=OPP-NAMELESS");
    opp_object(&s, "Opportunity", NULL, NULL, "ExternalOpportunityId=OPP-X|Colour=red");
    opp_object(&s, "Opportunity", NULL, NULL, "ExternalOpportunityId=OPP-TWICE|Name=First");
    opp_object(&s, "Opportunity", NULL, NULL, "ExternalOpportunityId=OPP-TWICE|Name=Second");
    ts_buf_add(&s, "</mObjectList><operation>UPSERT</operation></ns1:paramsSyncMObjects>");
    r = call(s.s);
    free(s.s);
    char *st0 = ss_xml_inner(r, "mObjStatus", 0), *st1 = ss_xml_inner(r, "mObjStatus", 1),
         *st2 = ss_xml_inner(r, "mObjStatus", 2), *st3 = ss_xml_inner(r, "mObjStatus", 3),
         *st4 = ss_xml_inner(r, "mObjStatus", 4);
    ss_assert_text(st0, "status", "UPDATED");
    assert_non_null(strstr(st0, "7d3c8f0e-2b1a-4c5d-9e8f-000000001001"));
    ss_assert_text(st1, "status", "FAILED");   /* name is required (REST 1002) */
    assert_non_null(strstr(st1, "<error>1002 - "));
    ss_assert_text(st2, "status", "FAILED");
    ss_assert_text(st2, "error", "Unknown attribute for Opportunity: Colour");
    ss_assert_text(st3, "status", "CREATED");
    ss_assert_text(st4, "status", "UPDATED");
    assert_int_equal(stack.rest_calls, 2);   /* the repeated key waits for a second call */
    free(st0);
    free(st1);
    free(st2);
    free(st3);
    free(st4);
    free(r);
    b = get_by_criteria("Opportunity", "ExternalOpportunityId", "EQ", "OPP-TWICE");
    r = call(b);
    free(b);
    ss_assert_attrib(r, "Name", "Second");
    free(r);
    b = get_by_criteria("Opportunity", "ExternalOpportunityId", "EQ", "OPP-1001");
    r = call(b);
    free(b);
    ss_assert_attrib(r, "Stage", "Negotiation");
    free(r);
    assert_int_equal(rest_count("/rest/v1/opportunities.json?filterType=externalOpportunityId"
                                "&filterValues=OPP-X"), 0);
    free(guid);
}

static void test_sync_roles(void **state)
{
    (void)state;
    /* A role keyed by its dedupe fields: ExternalOpportunityId, PersonId (lead id), Role. */
    char *b = sync_one("INSERT", "OpportunityPersonRole", NULL, NULL,
                       "ExternalOpportunityId=OPP-1002|PersonId=4|Role=Champion|IsPrimary=false");
    char *r = call(b);
    free(b);
    ss_assert_text(r, "status", "CREATED");
    free(r);
    r = call("<ns1:paramsGetMObjects><type>OpportunityPersonRole</type>"
             "<mObjAssociationList><mObjAssociation><mObjType>Lead</mObjType><id>4</id>"
             "</mObjAssociation></mObjAssociationList></ns1:paramsGetMObjects>");
    assert_int_equal(ss_xml_num(r, "returnCount"), 1);
    ss_assert_attrib(r, "Role", "Champion");
    ss_assert_attrib(r, "ExternalOpportunityId", "OPP-1002");
    free(r);

    /* Associations carry the keys too. */
    r = call("<ns1:paramsSyncMObjects><mObjectList><mObject><type>OpportunityPersonRole</type>"
             "<attribList><attrib><name>Role</name><value>Sponsor</value></attrib></attribList>"
             "<associationList><mObjAssociation><mObjType>Lead</mObjType><id>5</id>"
             "</mObjAssociation><mObjAssociation><mObjType>Opportunity</mObjType><externalKey>"
             "<name>externalOpportunityId</name><value>OPP-1003</value></externalKey>"
             "</mObjAssociation></associationList></mObject></mObjectList>"
             "<operation>UPSERT</operation></ns1:paramsSyncMObjects>");
    ss_assert_text(r, "status", "CREATED");
    free(r);
    assert_int_equal(rest_count("/rest/v1/opportunities/roles.json?filterType=leadId"
                                "&filterValues=5"), 1);

    /* A role of a lead that does not exist: REST's reason. */
    b = sync_one("UPSERT", "OpportunityPersonRole", NULL, NULL,
                 "ExternalOpportunityId=OPP-1002|PersonId=999999|Role=Champion");
    r = call(b);
    free(b);
    ss_assert_text(r, "status", "FAILED");
    assert_non_null(strstr(r, "<error>1004 - "));
    free(r);

    /* SOAP's OpportunityId (an integer id) cannot be mapped: nothing is written. */
    b = sync_one("INSERT", "OpportunityPersonRole", NULL, NULL,
                 "OpportunityId=4|PersonId=4|Role=Champion");
    call_fault(b, 20110, "has attribute OpportunityId, an integer id that cannot be mapped");
    free(b);

    /* An opportunity id in an association cannot be mapped. */
    call_fault("<ns1:paramsSyncMObjects><mObjectList><mObject><type>OpportunityPersonRole"
               "</type><associationList><mObjAssociation><mObjType>Opportunity</mObjType>"
               "<id>12</id></mObjAssociation></associationList></mObject></mObjectList>"
               "<operation>UPSERT</operation></ns1:paramsSyncMObjects>",
               20110, "Opportunity id 12 cannot be used");
}

static char *program_cost_body(const char *op, int id, const char *cost_attrs,
                               const char *tag_type, const char *tag_value)
{
    ts_buf b = {0};
    ts_buf_add(&b, "<ns1:paramsSyncMObjects><mObjectList><mObject><type>Program</type><id>%d</id>"
               "<typeAttribList>", id);
    if (cost_attrs)
        ts_buf_add(&b, "<typeAttrib><attrType>Cost</attrType><attrList>%s</attrList></typeAttrib>",
                   cost_attrs);
    if (tag_type)
        ts_buf_add(&b, "<typeAttrib><attrType>Tag</attrType><attrList><attrib><name>Type</name>"
                   "<value>%s</value></attrib><attrib><name>Value</name><value>%s</value>"
                   "</attrib></attrList></typeAttrib>", tag_type, tag_value);
    ts_buf_add(&b, "</typeAttribList></mObject></mObjectList><operation>%s</operation>"
               "</ns1:paramsSyncMObjects>", op);
    return b.s;
}

static void test_sync_programs(void **state)
{
    (void)state;
    const char *cost = "<attrib><name>Month</name><value>2026-06</value></attrib>"
                       "<attrib><name>Amount</name><value>2000</value></attrib>"
                       "<attrib><name>Note</name><value>Print run</value></attrib>";
    char *b = program_cost_body("UPDATE", 2003, cost, "Product", "Sales Insight");
    char *r = call(b);
    free(b);
    ss_assert_text(r, "id", "2003");
    ss_assert_text(r, "status", "UPDATED");
    assert_int_equal(stack.rest_calls, 1);
    assert_non_null(strstr(stack.rest_trace, "POST /rest/asset/v1/program/{programId}.json"));
    free(r);
    /* Read after write. */
    r = call("<ns1:paramsGetMObjects><type>Program</type><id>2003</id></ns1:paramsGetMObjects>");
    assert_non_null(strstr(r, "<name>Month</name><value>2026-06-01</value></attrib><attrib>"
                              "<name>Amount</name><value>2000</value></attrib><attrib>"
                              "<name>Note</name><value>Print run</value>"));
    assert_non_null(strstr(r, "<value>Product</value></attrib><attrib><name>Value</name>"
                              "<value>Sales Insight</value>"));
    free(r);

    /* What REST cannot do fails that object, and nothing of it is written. */
    const char *with_id = "<attrib><name>Month</name><value>2026-07</value></attrib>"
                          "<attrib><name>Amount</name><value>10</value></attrib>"
                          "<attrib><name>Id</name><value>153</value></attrib>";
    struct { const char *op; int id; const char *cost; const char *tt, *tv; const char *says; }
        failing[] = {
            {"UPDATE", 2003, with_id, NULL, NULL, "REST program costs have no ids"},
            {"UPDATE", 2003, NULL, "Channel", "Blog", "channel cannot be changed"},
            {"INSERT", 2003, cost, NULL, NULL, "can only be updated"},
            {"UPSERT", 2003, cost, NULL, NULL, "can only be updated"},
            {"UPDATE", 2003, "<attrib><name>Month</name><value>June</value></attrib><attrib>"
                             "<name>Amount</name><value>5</value></attrib>",
             NULL, NULL, "Cost Month must be"},
            {"UPDATE", 2003, "<attrib><name>Month</name><value>2026-08</value></attrib><attrib>"
                             "<name>Amount</name><value>5.5</value></attrib>",
             NULL, NULL, "whole number"},
            {"UPDATE", 9999, cost, NULL, NULL, "702 - "},
            {"UPDATE", 2003, NULL, "Product", "Not Allowed", "709 - "},
        };
    for (size_t i = 0; i < sizeof failing / sizeof failing[0]; i++) {
        b = program_cost_body(failing[i].op, failing[i].id, failing[i].cost, failing[i].tt,
                              failing[i].tv);
        r = call(b);
        free(b);
        ss_assert_text(r, "status", "FAILED");
        char *err = ss_xml_text(r, "error");
        if (!err || !strstr(err, failing[i].says))
            fail_msg("case %zu: error %s, want %s", i, err ? err : "(none)", failing[i].says);
        free(err);
        free(r);
    }
    cJSON *p = ss_rest_result(&stack, "/rest/asset/v1/program/2003.json");
    assert_int_equal(cJSON_GetArraySize(cJSON_GetObjectItem(cJSON_GetArrayItem(p, 0), "costs")), 1);
    cJSON_Delete(p);
}

static void test_sync_mobjects_refused(void **state)
{
    (void)state;
    int before = rest_count("/rest/v1/opportunities.json?filterType=externalCompanyId"
                            "&filterValues=COMP-R");
    /* An integer id anywhere: the whole call is refused, nothing written. */
    ts_buf s = {0};
    ts_buf_add(&s, "<ns1:paramsSyncMObjects><mObjectList>");
    opp_object(&s, "Opportunity", NULL, NULL, "ExternalOpportunityId=OPP-R1|Name=R|"
                                              "ExternalCompanyId=COMP-R");
    ts_buf_add(&s, "<mObject><type>Opportunity</type><id>7</id><attribList><attrib><name>Name"
               "</name><value>x</value></attrib></attribList></mObject>");
    ts_buf_add(&s, "</mObjectList><operation>UPSERT</operation></ns1:paramsSyncMObjects>");
    call_fault(s.s, 20110, "mObject 2 (Opportunity) has id 7, which cannot be mapped");
    free(s.s);
    assert_int_equal(rest_count("/rest/v1/opportunities.json?filterType=externalCompanyId"
                                "&filterValues=COMP-R"), before);
    call_fault("<ns1:paramsSyncMObjects><mObjectList/><operation>UPSERT</operation>"
               "</ns1:paramsSyncMObjects>", 20109, NULL);
    call_fault("<ns1:paramsSyncMObjects><mObjectList><mObject><type>Lead</type></mObject>"
               "</mObjectList><operation>UPSERT</operation></ns1:paramsSyncMObjects>",
               20110, "type 'Lead'");
    s = (ts_buf){0};
    ts_buf_add(&s, "<ns1:paramsSyncMObjects><mObjectList>");
    for (int i = 0; i < 101; i++)
        opp_object(&s, "Opportunity", NULL, NULL, "ExternalOpportunityId=OPP-MANY|Name=x");
    ts_buf_add(&s, "</mObjectList><operation>UPSERT</operation></ns1:paramsSyncMObjects>");
    call_fault(s.s, 20110, "at most 100 objects");
    free(s.s);
}

static void test_delete_mobjects(void **state)
{
    (void)state;
    /* Delete OPP-1002 by GUID, then once more: UNCHANGED (REST 1013). */
    const char *guid = "7d3c8f0e-2b1a-4c5d-9e8f-000000001002";
    char *body = ts_fmt("<ns1:paramsDeleteMObjects><mObjectList><mObject><type>Opportunity</type>"
                        "<externalKey><name>marketoGUID</name><value>%s</value></externalKey>"
                        "</mObject></mObjectList></ns1:paramsDeleteMObjects>", guid);
    char *r = call(body);
    ss_assert_text(r, "status", "DELETED");
    assert_non_null(strstr(r, guid));
    assert_non_null(strstr(stack.rest_trace, "POST /rest/v1/opportunities/delete.json"));
    free(r);
    r = call(body);
    ss_assert_text(r, "status", "UNCHANGED");
    assert_non_null(strstr(r, "<error>1013 - "));
    free(r);
    free(body);
    char *b = get_opp_by_guid(guid);
    r = call(b);
    free(b);
    assert_int_equal(ss_xml_num(r, "returnCount"), 0);
    free(r);
    /* Its role went with it (REST cascades). */
    assert_int_equal(rest_count("/rest/v1/opportunities/roles.json?filterType=leadId"
                                "&filterValues=3"), 0);

    /* A role by its compound key (attributes), an opportunity by its dedupe field. */
    r = call("<ns1:paramsDeleteMObjects><mObjectList><mObject><type>OpportunityPersonRole"
             "</type><attribList><attrib><name>ExternalOpportunityId</name><value>OPP-1001"
             "</value></attrib><attrib><name>PersonId</name><value>2</value></attrib><attrib>"
             "<name>Role</name><value>Influencer</value></attrib></attribList></mObject>"
             "<mObject><type>Opportunity</type><externalKey><name>externalOpportunityId</name>"
             "<value>OPP-1003</value></externalKey></mObject></mObjectList>"
             "</ns1:paramsDeleteMObjects>");
    assert_int_equal(ts_count(r, "<status>DELETED</status>"), 2);
    free(r);
    assert_int_equal(rest_count("/rest/v1/opportunities/roles.json?filterType=leadId"
                                "&filterValues=2"), 0);
    assert_int_equal(rest_count("/rest/v1/opportunities/roles.json?filterType=leadId"
                                "&filterValues=1"), 1);

    /* Marketo's own example (integer ids) and programs are refused. */
    call_fault("<ns1:paramsDeleteMObjects><mObjectList><mObject><type>Opportunity</type>"
               "<id>4</id></mObject><mObject><type>Opportunity</type><id>7</id></mObject>"
               "</mObjectList></ns1:paramsDeleteMObjects>", 20110, "has id 4");
    call_fault("<ns1:paramsDeleteMObjects><mObjectList><mObject><type>Program</type><id>2001"
               "</id></mObject></mObjectList></ns1:paramsDeleteMObjects>", 20110,
               "REST-backed deletes are Opportunity and OpportunityPersonRole");
    /* No key: FAILED. */
    r = call("<ns1:paramsDeleteMObjects><mObjectList><mObject><type>Opportunity</type>"
             "</mObject></mObjectList></ns1:paramsDeleteMObjects>");
    ss_assert_text(r, "status", "FAILED");
    assert_non_null(strstr(r, "needs its key"));
    free(r);
}

/* ---- custom objects ---------------------------------------------------------------- */

static char *co_get(const char *type, const char *keys, const char *include, int batch,
                    const char *pos)
{
    ts_buf b = {0};
    ts_buf_add(&b, "<ns1:paramsGetCustomObjects><objTypeName>%s</objTypeName>", type);
    if (pos)
        ts_buf_add(&b, "<streamPosition>%s</streamPosition>", pos);
    if (batch)
        ts_buf_add(&b, "<batchSize>%d</batchSize>", batch);
    if (keys)
        ts_buf_add(&b, "<customObjKeyList>%s</customObjKeyList>", keys);
    ts_buf_add(&b, "<includeAttributes>%s</includeAttributes></ns1:paramsGetCustomObjects>",
               include ? include : "");
    return b.s;
}

#define KEY_ATTR(n, v) "<attribute><attrName>" n "</attrName><attrValue>" v "</attrValue></attribute>"

static void test_get_custom_objects(void **state)
{
    (void)state;
    /* By the lead link (MKTOID, REST leadId): lead 1's two roadshows. */
    char *b = co_get("RoadShow", KEY_ATTR("MKTOID", "1"), NULL, 0, NULL);
    char *r = call(b);
    free(b);
    ss_assert_text(r, "objTypeName", "Roadshow");   /* the definition's spelling */
    assert_int_equal(ss_xml_num(r, "returnCount"), 2);
    assert_int_equal(ss_xml_num(r, "remainingCount"), 0);
    char *o = ss_xml_inner(r, "customObj", 1);
    char *keys = ss_xml_inner(o, "customObjKeyList", 0);
    ss_assert_attr(keys, "MKTOID", "1");
    ss_assert_attr(keys, "rid", "rid1");
    assert_non_null(strstr(keys, "<attrType xsi:nil=\"true\"/>"));
    char *attrs = ss_xml_inner(o, "customObjAttributeList", 0);
    ss_assert_attr(attrs, "city", "San Mateo");
    ss_assert_attr(attrs, "zip", "94404");
    ss_assert_attr(attrs, "marketoGUID", "d5b2f1c3-2222-4d2e-9f30-000000004002");
    assert_null(strstr(attrs, "<attrName>rid</attrName>"));
    assert_in_range(stack.rest_calls, 1, 3);   /* + type list and describe on first use */
    free(attrs);
    free(keys);
    free(o);
    free(r);

    /* Cached metadata: one REST call per SOAP call from now on. */
    b = co_get("roadshow_c", KEY_ATTR("leadId", "2"), "<stringItem>city</stringItem>", 0, NULL);
    r = call(b);
    free(b);
    assert_int_equal(stack.rest_calls, 1);
    ss_assert_text(r, "objTypeName", "roadshow_c");
    assert_int_equal(ss_xml_num(r, "returnCount"), 1);
    ss_assert_attr(r, "leadId", "2");
    ss_assert_attr(r, "city", "Chicago");
    assert_null(strstr(r, "<attrName>state</attrName>"));   /* includeAttributes: only city */
    free(r);

    /* The whole dedupe key: POST ?_method=GET with a JSON body. */
    b = co_get("ROADSHOW", KEY_ATTR("MKTOID", "1") KEY_ATTR("rid", "rid0"), NULL, 0, NULL);
    r = call(b);
    free(b);
    assert_int_equal(ss_xml_num(r, "returnCount"), 1);
    ss_assert_attr(r, "city", "Chicago");
    assert_non_null(strstr(stack.rest_trace, "POST /rest/v1/customobjects/{apiName}.json"));
    free(r);

    /* Refused: unknown type, no key, a key REST cannot filter on, unknown names. */
    b = co_get("Spaceship", KEY_ATTR("MKTOID", "1"), NULL, 0, NULL);
    call_fault(b, 20110, "Object name is not valid");
    free(b);
    b = co_get("Roadshow", NULL, NULL, 0, NULL);
    call_fault(b, 20109, "by key only");
    free(b);
    b = co_get("Roadshow", KEY_ATTR("state", "Illinois"), NULL, 0, NULL);
    call_fault(b, 20110, "REST cannot filter Roadshow by that key");
    free(b);
    b = co_get("Roadshow", KEY_ATTR("rid", "rid0"), NULL, 0, NULL);
    call_fault(b, 20110, "REST cannot filter");
    free(b);
    b = co_get("Roadshow", KEY_ATTR("planet", "Mars"), NULL, 0, NULL);
    call_fault(b, 20110, "has no field 'planet'");
    free(b);
    b = co_get("Roadshow", KEY_ATTR("MKTOID", "1"), "<stringItem>colour</stringItem>", 0, NULL);
    call_fault(b, 20110, "includeAttributes names 'colour'");
    free(b);

    /* Nothing found: an empty list. */
    b = co_get("Roadshow", KEY_ATTR("MKTOID", "17"), NULL, 0, NULL);
    r = call(b);
    free(b);
    assert_int_equal(ss_xml_num(r, "returnCount"), 0);
    assert_non_null(strstr(r, "<customObjList></customObjList>"));
    free(r);
}

static void test_get_custom_objects_paging(void **state)
{
    (void)state;
    /* 150 cars for lead 3, in two syncs of 100 and 50. */
    for (int start = 0; start < 150; start += 100) {
        ts_buf s = {0};
        ts_buf_add(&s, "<ns1:paramsSyncCustomObjects><objTypeName>Car</objTypeName><customObjList>");
        for (int i = start; i < 150 && i < start + 100; i++)
            ts_buf_add(&s, "<customObj><customObjKeyList>" KEY_ATTR("vin", "PAGEDVIN%05d")
                       "</customObjKeyList><customObjAttributeList>" KEY_ATTR("MKTOID", "3")
                       KEY_ATTR("make", "Make %d") "</customObjAttributeList></customObj>",
                       i, i);
        ts_buf_add(&s, "</customObjList><operation>INSERT</operation></ns1:paramsSyncCustomObjects>");
        char *r = call(s.s);
        free(s.s);
        assert_int_equal(ts_count(r, "<status>CREATED</status>"), start ? 50 : 100);
        free(r);
    }
    int sizes[][4] = {{0, 100, 50, -1}, {40, 40, 40, 40}};   /* batchSize, pages... */
    for (int t = 0; t < 2; t++) {
        char *pos = NULL;
        int total = 0, pages = 0;
        char seen[150] = {0};
        for (;;) {
            char *b = co_get("Car", KEY_ATTR("MKTOID", "3"), "<stringItem>make</stringItem>",
                             sizes[t][0], pos);
            char *r = call(b);
            free(b);
            assert_int_equal(stack.rest_calls, 1);
            int n = (int)ss_xml_num(r, "returnCount"), rem = (int)ss_xml_num(r, "remainingCount");
            for (int i = 0; i < n; i++) {
                char *o = ss_xml_inner(r, "customObj", i);
                char *vin = ss_xml_attr(o, "vin");
                int k = atoi(vin + strlen("PAGEDVIN"));
                assert_in_range(k, 0, 149);
                assert_int_equal(seen[k], 0);
                seen[k] = 1;
                free(vin);
                free(o);
            }
            total += n;
            pages++;
            free(pos);
            pos = ss_xml_inner(r, "newStreamPosition", 0);
            free(r);
            if (rem == 0)
                break;
            assert_int_equal(n, t == 0 ? 100 : 40);
            assert_true(pages < 10);
        }
        assert_int_equal(total, 150);
        assert_int_equal(pages, t == 0 ? 2 : 4);
        char *b = co_get("Car", KEY_ATTR("MKTOID", "3"), "<stringItem>make</stringItem>",
                         sizes[t][0], pos);
        call_fault(b, 20123, NULL);
        free(b);
        /* The position of one selection is refused for another. */
        b = co_get("Car", KEY_ATTR("MKTOID", "1"), "<stringItem>make</stringItem>",
                   sizes[t][0], pos);
        call_fault(b, 20122, NULL);
        free(b);
        free(pos);
    }
    /* batchSize above Marketo's 100 pages by 100. */
    char *b = co_get("Car", KEY_ATTR("MKTOID", "3"), NULL, 500, NULL);
    char *r = call(b);
    free(b);
    assert_int_equal(ss_xml_num(r, "returnCount"), 100);
    assert_int_equal(ss_xml_num(r, "remainingCount"), 100);
    free(r);
}

static char *co_sync(const char *op, const char *records)
{
    return ts_fmt("<ns1:paramsSyncCustomObjects><objTypeName>RoadShow</objTypeName>"
                  "<customObjList>%s</customObjList>%s%s%s</ns1:paramsSyncCustomObjects>",
                  records, op ? "<operation>" : "", op ? op : "", op ? "</operation>" : "");
}

#define CO_REC(keys, attrs) "<customObj><customObjKeyList>" keys "</customObjKeyList>" \
                            "<customObjAttributeList>" attrs "</customObjAttributeList></customObj>"

static void test_sync_custom_objects(void **state)
{
    (void)state;
    /* UPSERT (the default): created; the key list echoed as sent. */
    char *b = co_sync(NULL, CO_REC(KEY_ATTR("MKTOID", "2") KEY_ATTR("rid", "rid9"),
                                   KEY_ATTR("city", "Lyon") KEY_ATTR("zip", "69001")));
    char *r = call(b);
    free(b);
    ss_assert_text(r, "objTypeName", "Roadshow");
    ss_assert_text(r, "status", "CREATED");
    assert_non_null(strstr(r, "<customObjKeyList><attribute><attrName>MKTOID</attrName>"
                              "<attrType xsi:nil=\"true\"/><attrValue>2</attrValue></attribute>"
                              "<attribute><attrName>rid</attrName><attrType xsi:nil=\"true\"/>"
                              "<attrValue>rid9</attrValue></attribute></customObjKeyList>"));
    assert_non_null(strstr(r, "<error xsi:nil=\"true\"/>"));
    free(r);
    /* Read after write. */
    b = co_get("RoadShow", KEY_ATTR("MKTOID", "2") KEY_ATTR("rid", "rid9"), NULL, 0, NULL);
    r = call(b);
    free(b);
    assert_int_equal(ss_xml_num(r, "returnCount"), 1);
    ss_assert_attr(r, "city", "Lyon");
    free(r);

    /* UPDATE; INSERT of an existing record; unknown names; a missing lead;
     * the same key twice in one call (applied in order). */
    b = co_sync("UPDATE",
                CO_REC(KEY_ATTR("MKTOID", "2") KEY_ATTR("rid", "rid9"), KEY_ATTR("city", "Paris"))
                CO_REC(KEY_ATTR("MKTOID", "1") KEY_ATTR("rid", "rid-none"), KEY_ATTR("city", "X")));
    r = call(b);
    free(b);
    char *s0 = ss_xml_inner(r, "syncCustomObjStatus", 0);
    char *s1 = ss_xml_inner(r, "syncCustomObjStatus", 1);
    ss_assert_text(s0, "status", "UPDATED");
    ss_assert_text(s1, "status", "FAILED");
    assert_non_null(strstr(s1, "<error>1013 - "));
    free(s0);
    free(s1);
    free(r);
    b = co_sync("INSERT",
                CO_REC(KEY_ATTR("MKTOID", "2") KEY_ATTR("rid", "rid9"), KEY_ATTR("city", "Nice"))
                CO_REC(KEY_ATTR("MKTOID", "2") KEY_ATTR("rid", "rid8"),
                       KEY_ATTR("nameasdf", "x") KEY_ATTR("city", "x"))
                CO_REC(KEY_ATTR("MKTOID", "999999") KEY_ATTR("rid", "rid8"), KEY_ATTR("city", "x"))
                CO_REC(KEY_ATTR("MKTOID", "3") KEY_ATTR("rid", "twice"), KEY_ATTR("city", "One"))
                CO_REC(KEY_ATTR("city", "no key"), ""));
    r = call(b);
    free(b);
    char *s[5];
    for (int i = 0; i < 5; i++)
        s[i] = ss_xml_inner(r, "syncCustomObjStatus", i);
    ss_assert_text(s[0], "status", "FAILED");
    assert_non_null(strstr(s[0], "<error>1017 - "));
    ss_assert_text(s[1], "status", "FAILED");
    ss_assert_text(s[1], "error", "Unknown name attribute list: nameasdf");
    ss_assert_text(s[2], "status", "FAILED");
    assert_non_null(strstr(s[2], "<error>1004 - "));
    ss_assert_text(s[3], "status", "CREATED");
    ss_assert_text(s[4], "status", "FAILED");
    assert_non_null(strstr(s[4], "dedupe fields (MKTOID, rid) or marketoGUID"));
    for (int i = 0; i < 5; i++)
        free(s[i]);
    free(r);
    b = co_sync("UPSERT",
                CO_REC(KEY_ATTR("MKTOID", "3") KEY_ATTR("rid", "twice"), KEY_ATTR("city", "Two"))
                CO_REC(KEY_ATTR("MKTOID", "3") KEY_ATTR("rid", "twice"), KEY_ATTR("city", "Three")));
    r = call(b);
    free(b);
    assert_int_equal(ts_count(r, "<status>UPDATED</status>"), 2);
    assert_int_equal(stack.rest_calls, 2);
    free(r);
    b = co_get("RoadShow", KEY_ATTR("MKTOID", "3"), "<stringItem>city</stringItem>", 0, NULL);
    r = call(b);
    free(b);
    ss_assert_attr(r, "city", "Three");
    free(r);

    /* By marketoGUID (REST idField: update only). */
    b = co_sync("UPSERT", CO_REC(KEY_ATTR("marketoGUID", "d5b2f1c3-2222-4d2e-9f30-000000004003"),
                                 KEY_ATTR("city", "Evanston")));
    r = call(b);
    free(b);
    ss_assert_text(r, "status", "UPDATED");
    free(r);
    b = co_get("RoadShow", KEY_ATTR("MKTOID", "2") KEY_ATTR("rid", "rid0"), NULL, 0, NULL);
    r = call(b);
    free(b);
    ss_assert_attr(r, "city", "Evanston");
    free(r);

    b = ts_fmt("<ns1:paramsSyncCustomObjects><objTypeName>Spaceship</objTypeName><customObjList>"
               CO_REC(KEY_ATTR("a", "b"), "") "</customObjList></ns1:paramsSyncCustomObjects>");
    call_fault(b, 20110, "Object name is not valid");
    free(b);
    call_fault("<ns1:paramsSyncCustomObjects><objTypeName>RoadShow</objTypeName><customObjList/>"
               "</ns1:paramsSyncCustomObjects>", 20109, NULL);
}

static void test_delete_custom_objects(void **state)
{
    (void)state;
    const char *body = "<ns1:paramsDeleteCustomObjects><objTypeName>RoadShow</objTypeName>"
                       "<customObjKeyLists><keyList>" KEY_ATTR("MKTOID", "1")
                       KEY_ATTR("rid", "rid1") "</keyList><keyList>" KEY_ATTR("city", "Chicago")
                       "</keyList></customObjKeyLists></ns1:paramsDeleteCustomObjects>";
    char *r = call(body);
    char *s0 = ss_xml_inner(r, "syncCustomObjStatus", 0);
    char *s1 = ss_xml_inner(r, "syncCustomObjStatus", 1);
    ss_assert_text(s0, "objTypeName", "Roadshow");
    ss_assert_text(s0, "status", "DELETED");
    ss_assert_attr(s0, "rid", "rid1");
    ss_assert_text(s1, "status", "FAILED");
    assert_non_null(strstr(r, "<deleteCustomObjStatusList>"));
    assert_non_null(strstr(stack.rest_trace, "POST /rest/v1/customobjects/{apiName}/delete.json"));
    free(s0);
    free(s1);
    free(r);
    r = call(body);
    assert_non_null(strstr(r, "<status>FAILED</status><error>1013 - "));
    free(r);
    char *b = co_get("RoadShow", KEY_ATTR("MKTOID", "1"), NULL, 0, NULL);
    r = call(b);
    free(b);
    assert_int_equal(ss_xml_num(r, "returnCount"), 1);
    assert_null(strstr(r, "rid1"));
    free(r);
    /* By marketoGUID. */
    r = call("<ns1:paramsDeleteCustomObjects><objTypeName>Car</objTypeName><customObjKeyLists>"
             "<keyList>" KEY_ATTR("marketoGUID", "c4a1e0b2-1111-4c1d-8e2f-000000003002")
             "</keyList></customObjKeyLists></ns1:paramsDeleteCustomObjects>");
    ss_assert_text(r, "status", "DELETED");
    free(r);
    assert_int_equal(rest_count("/rest/v1/customobjects/car_c.json?filterType=leadId"
                                "&filterValues=2"), 0);
}

/* ---- REST failures -------------------------------------------------------------------- */

static void test_rest_errors(void **state)
{
    (void)state;
    /* Warm the metadata caches, then make every REST call fail with 611. */
    char *b = co_get("RoadShow", KEY_ATTR("MKTOID", "1"), NULL, 0, NULL);
    free(call(b));
    char *g = get_by_criteria("Opportunity", "ExternalOpportunityId", "EQ", "OPP-1001");
    free(call(g));
    ss_emu_admin(&stack, "/_emulator/faults", "{\"error_code\":\"611\",\"error_share\":1}");
    char *f = ss_call_fault(&stack, b, 20011);
    assert_non_null(strstr(f, "<faultcode>SOAP-ENV:Server</faultcode>"));
    assert_non_null(strstr(f, "Marketo REST error 611"));
    free(f);
    call_fault(g, 20011, "getMObjects: query Opportunity failed");
    call_fault("<ns1:paramsGetMObjects><type>Program</type><id>2001</id></ns1:paramsGetMObjects>",
               20011, NULL);
    char *s = sync_one("UPSERT", "Opportunity", "externalOpportunityId", "OPP-E", "Name=E");
    call_fault(s, 20011, NULL);
    free(s);
    char *pc = program_cost_body("UPDATE", 2003, "<attrib><name>Month</name><value>2026-01"
                                 "</value></attrib><attrib><name>Amount</name><value>1</value>"
                                 "</attrib>", NULL, NULL);
    call_fault(pc, 20011, "update program");
    free(pc);
    ss_emu_admin(&stack, "/_emulator/faults", "{\"clear\":true}");
    free(call(g));
    free(g);
    free(b);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup(test_list_mobjects, ss_test_reset),
        cmocka_unit_test_setup(test_describe_mobject, ss_test_reset),
        cmocka_unit_test_setup(test_get_opportunities, ss_test_reset),
        cmocka_unit_test_setup(test_get_roles, ss_test_reset),
        cmocka_unit_test_setup(test_get_mobjects_refused, ss_test_reset),
        cmocka_unit_test_setup(test_get_opportunities_paging, ss_test_reset),
        cmocka_unit_test_setup(test_get_programs, ss_test_reset),
        cmocka_unit_test_setup(test_get_programs_paging, ss_test_reset),
        cmocka_unit_test_setup(test_sync_opportunities, ss_test_reset),
        cmocka_unit_test_setup(test_sync_roles, ss_test_reset),
        cmocka_unit_test_setup(test_sync_programs, ss_test_reset),
        cmocka_unit_test_setup(test_sync_mobjects_refused, ss_test_reset),
        cmocka_unit_test_setup(test_delete_mobjects, ss_test_reset),
        cmocka_unit_test_setup(test_get_custom_objects, ss_test_reset),
        cmocka_unit_test_setup(test_get_custom_objects_paging, ss_test_reset),
        cmocka_unit_test_setup(test_sync_custom_objects, ss_test_reset),
        cmocka_unit_test_setup(test_delete_custom_objects, ss_test_reset),
        cmocka_unit_test_setup(test_rest_errors, ss_test_reset),
    };
    return ts_run_tests(tests, group_setup, ss_group_teardown);
}
