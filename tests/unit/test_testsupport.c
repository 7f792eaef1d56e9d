/*
 * test_testsupport.c — the shared test helpers every end-to-end suite leans
 * on (tests/support/testsupport.h, soapstack.h), checked without a server:
 * if a reader found the wrong element or a fault check let a wrong answer
 * through, every suite built on it would pass for the wrong reason.
 *
 *   - ts_run_group fails a run whose group teardown fails (cmocka 1.1 did
 *     not: a sanitizer report at a program's exit went unnoticed);
 *   - the XML readers: k-th element, with or without attributes, empty and
 *     xsi:nil elements, entities decoded in text and kept in inner XML,
 *     similar names never confused, attributes and attribs by name;
 *   - ss_expect_fault accepts a fault as Marketo sent it;
 *   - configuration merging, response headers, counting, URL encoding.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "soapstack.h"

/* ---- ts_run_group ------------------------------------------------------------------ */

static void passes(void **state) { (void)state; }
static int teardown_fails(void **state) { (void)state; return -1; }

/* Run from main, before the real group: cmocka runs one group at a time. */
static int group_teardown_failure_counts(void)
{
    const struct CMUnitTest inner[] = {cmocka_unit_test(passes)};
    printf("(a group whose teardown fails, on purpose:)\n");
    int failed = ts_run_tests(inner, NULL, teardown_fails);
    int clean = ts_run_tests(inner, NULL, NULL);
    return failed == 1 && clean == 0 ? 0 : 1;
}

/* ---- XML readers ------------------------------------------------------------------- */

static const char *DOC =
    "<ns1:successGetLead><result><count>2</count><leadRecordList>"
    "<leadRecord><Id>1</Id><Email>a&amp;b@example.com</Email>"
    "<leadAttributeList><attribute><attrName>FirstName</attrName><attrType>string</attrType>"
    "<attrValue>A &lt;1&gt;</attrValue></attribute>"
    "<attribute><attrName>Title</attrName><attrValue xsi:nil=\"true\"/></attribute>"
    "<attribute><attrName>City</attrName><attrValue>Lyon</attrValue></attribute>"
    "</leadAttributeList></leadRecord>"
    "<leadRecord xsi:type=\"ns1:LeadRecord\"><Id>2</Id><Email/></leadRecord>"
    "</leadRecordList><leadRecords>x</leadRecords><newStreamPosition>a&amp;b</newStreamPosition>"
    "</result></ns1:successGetLead>";

static void test_xml_elements(void **state)
{
    (void)state;
    char *rec = ss_xml_inner(DOC, "leadRecord", 1);   /* with an attribute */
    assert_string_equal(rec, "<Id>2</Id><Email/>");
    char *email = ss_xml_text(rec, "Email");          /* empty element */
    assert_string_equal(email, "");
    free(email);
    free(rec);
    assert_null(ss_xml_inner(DOC, "leadRecord", 2));
    assert_int_equal(ss_xml_num(DOC, "count"), 2);
    /* leadRecords is not leadRecord, nor the other way round. */
    char *x = ss_xml_text(DOC, "leadRecords");
    assert_string_equal(x, "x");
    free(x);
    int n;
    char **all = ss_xml_all(DOC, "leadRecord", &n);
    assert_int_equal(n, 2);
    assert_true(strncmp(all[1], "<leadRecord xsi:type=", 21) == 0);
    assert_string_equal(all[1] + strlen(all[1]) - 13, "</leadRecord>");
    ss_xml_free_all(all, n);
    /* Text is decoded, inner XML is as written (a position goes back as is). */
    char *t = ss_xml_text(DOC, "Email"), *pos = ss_xml_inner(DOC, "newStreamPosition", 0);
    assert_string_equal(t, "a&b@example.com");
    assert_string_equal(pos, "a&amp;b");
    free(t);
    free(pos);
    t = ss_xml_text_k(DOC, "attrName", 2);
    assert_string_equal(t, "City");
    free(t);
}

static void test_xml_nil_and_attributes(void **state)
{
    (void)state;
    char *rec = ss_xml_inner(DOC, "leadRecord", 0);
    assert_true(ss_xml_has(rec, "attrValue"));
    assert_false(ss_xml_has(rec, "attr"));
    assert_false(ss_xml_is_nil(rec, "attrValue"));
    char *v = ss_xml_attr(rec, "FirstName");
    assert_string_equal(v, "A <1>");
    free(v);
    /* A nil value reads as absent, never as the next attribute's. */
    assert_null(ss_xml_attr(rec, "Title"));
    assert_null(ss_xml_attr(rec, "Phone"));
    ss_assert_attr(rec, "City", "Lyon");
    free(rec);
    assert_true(ss_xml_is_nil("<a><b xsi:nil=\"true\"/><b>1</b></a>", "b"));
    assert_null(ss_xml_text("<a><b xsi:nil=\"true\"/><b>1</b></a>", "b"));
    /* MObject attribs: only inside <attrib>, not an externalKey's name/value. */
    const char *obj = "<mObject><externalKey><name>Name</name><value>key</value></externalKey>"
                      "<attribList><attrib><name>Name</name><value>Acme</value></attrib>"
                      "</attribList></mObject>";
    ss_assert_attrib(obj, "Name", "Acme");
    assert_null(ss_xml_attrib(obj, "Stage"));
    ss_assert_text(obj, "value", "key");
}

/* ---- faults ------------------------------------------------------------------------ */

static void test_marketo_fault_accepted(void **state)
{
    (void)state;
    char body[] = "<SOAP-ENV:Envelope xmlns:SOAP-ENV=\"http://schemas.xmlsoap.org/soap/envelope/\">"
                  "<SOAP-ENV:Body><SOAP-ENV:Fault><faultcode>SOAP-ENV:Client</faultcode>"
                  "<faultstring>20103 - Lead not found</faultstring><detail>"
                  "<ns1:serviceException xmlns:ns1=\"http://www.marketo.com/mktows/\">"
                  "<name>mktServiceException</name><message>Lead not found</message>"
                  "<code>20103</code></ns1:serviceException></detail></SOAP-ENV:Fault>"
                  "</SOAP-ENV:Body></SOAP-ENV:Envelope>";
    char type[] = "text/xml; charset=utf-8";
    ts_http_resp r = {.status = 500, .body = body, .len = strlen(body), .content_type = type};
    ss_expect_fault(&r, 20103);
}

/* ---- the rest ---------------------------------------------------------------------- */

static void test_config_merge(void **state)
{
    (void)state;
    char *m = ss_json_merged("{\"rest\": {\"endpoint\": \"e\", \"rate_limit\": 1}, \"workers\": 4}",
                             "{\"rest\": {\"rate_limit\": 5}, \"workers\": 8, \"x\": [1]}");
    assert_string_equal(m, "{\"rest\":{\"endpoint\":\"e\",\"rate_limit\":5},\"workers\":8,"
                           "\"x\":[1]}");
    free(m);
    m = ss_json_merged("{\"a\": 1}", NULL);
    assert_string_equal(m, "{\"a\":1}");
    free(m);
}

static void test_strings_and_headers(void **state)
{
    (void)state;
    char headers[] = "HTTP/1.1 200 OK\r\nContent-Type: text/xml\r\n"
                     "x-mktows-rest-calls: 2; GET /a; GET /b\r\n\r\n";
    ts_http_resp r = {.status = 200, .headers = headers};
    char *h = ts_http_header(&r, "X-Mktows-Rest-Calls");
    assert_string_equal(h, "2; GET /a; GET /b");
    free(h);
    assert_null(ts_http_header(&r, "X-Mktows"));
    assert_int_equal(ts_count("<a><a><a>", "<a>"), 3);
    assert_int_equal(ts_count("aaaa", "aa"), 2);
    char *u = ts_urlenc("2026-01-01T00:00:00+00:00 a,b~");
    assert_string_equal(u, "2026-01-01T00%3A00%3A00%2B00%3A00%20a%2Cb~");
    free(u);
    ts_buf b = {0};
    ts_buf_add(&b, "%s-%d", "x", 1);
    ts_buf_add(&b, "%s", "");
    ts_buf_add(&b, "/%03d", 7);
    assert_string_equal(b.s, "x-1/007");
    assert_int_equal(b.n, 7);
    free(b.s);
}

int main(void)
{
    if (group_teardown_failure_counts() != 0) {
        fprintf(stderr, "ts_run_tests let a failing group teardown pass\n");
        return 1;
    }
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_xml_elements),
        cmocka_unit_test(test_xml_nil_and_attributes),
        cmocka_unit_test(test_marketo_fault_accepted),
        cmocka_unit_test(test_config_merge),
        cmocka_unit_test(test_strings_and_headers),
    };
    return ts_run_tests(tests, NULL, NULL);
}
