/*
 * test_gate.c — the gate in front of gSOAP (src/soap/xmlcheck.c) seen over
 * real HTTP by mktows-shim with marketo-emulator behind it: the forms of a
 * request legacy stacks send are all answered as the documented form is;
 * the header is authenticated before the body can fault; two SOAP Bodies
 * are refused, not half executed; duplicate id attributes (which made
 * libgsoap's multi-reference code abort under ASan) are harmless; the
 * configured limits hold before authentication.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "soap/auth.h"
#include "soapstack.h"

#define ENV_NS "http://schemas.xmlsoap.org/soap/envelope/"
#define XSI_NS "http://www.w3.org/2001/XMLSchema-instance"
#define XSD_NS "http://www.w3.org/2001/XMLSchema"

static ss_stack stack;

/* A limit low enough to reach with a small request. */
#define MAX_ATTRIBUTES 40

static int setup(void **state)
{
    ss_options o = {.config = "{\"xml\": {\"max_attributes\": 40}}"};
    if (ss_start(&stack, &o) != 0)
        return -1;
    *state = &stack;
    return 0;
}

/* The AuthenticationHeader's three children for now, qualified with prefix
 * (NULL: unqualified), signed with key. */
static char *auth_children(const char *prefix, const char *key, long offset)
{
    char ts[64], sig[MK_AUTH_SIG_HEX + 1];
    ss_timestamp(ts, sizeof ts, offset);
    assert_int_equal(mk_auth_signature(key, ts, SS_USER, sig), 0);
    const char *p = prefix ? prefix : "", *c = prefix ? ":" : "";
    return ts_fmt("<%s%smktowsUserId>%s</%s%smktowsUserId><%s%srequestSignature>%s"
                  "</%s%srequestSignature><%s%srequestTimestamp>%s</%s%srequestTimestamp>",
                  p, c, SS_USER, p, c, p, c, sig, p, c, p, c, ts, p, c);
}

static void post(const char *xml, ts_http_resp *r)
{
    ss_post_xml(&stack, xml, r);
}

/* getLead of lead 1 by IDNUM, its keyType element given whole. */
static char *get_lead(const char *children, const char *key_type)
{
    return ts_fmt("<soapenv:Envelope xmlns:soapenv=\"" ENV_NS "\" xmlns:xsi=\"" XSI_NS "\" "
                  "xmlns:xsd=\"" XSD_NS "\"><soapenv:Header><ns1:AuthenticationHeader "
                  "xmlns:ns1=\"" SS_NS "\">%s</ns1:AuthenticationHeader></soapenv:Header>"
                  "<soapenv:Body><ns2:paramsGetLead xmlns:ns2=\"" SS_NS "\"><leadKey>%s"
                  "<keyValue>1</keyValue></leadKey></ns2:paramsGetLead></soapenv:Body>"
                  "</soapenv:Envelope>",
                  children, key_type);
}

static void expect_lead_1(const ts_http_resp *r)
{
    if (r->status != 200)
        fail_msg("HTTP %ld: %s", r->status, r->body);
    assert_non_null(strstr(r->body, "<Id>1</Id>"));
}

/* Issue 8: what Axis 1.4, soap4r and SOAP::Lite send is answered. */
static void test_legacy_forms_answered(void **state)
{
    (void)state;
    ts_http_resp r;
    const char *key_types[] = {
        "<keyType>IDNUM</keyType>",
        /* SOAP::Lite autotyping an enumeration */
        "<keyType xsi:type=\"xsd:string\">IDNUM</keyType>",
        /* soap4r: the enumeration's own type, any prefix */
        "<keyType xmlns:m=\"" SS_NS "\" xsi:type=\"m:LeadKeyRef\">IDNUM</keyType>",
        /* qualified where the schema says unqualified */
        "<q:keyType xmlns:q=\"" SS_NS "\">IDNUM</q:keyType>",
    };
    const char *prefixes[] = {NULL, "ns1"};
    for (size_t p = 0; p < 2; p++) {
        for (size_t k = 0; k < sizeof key_types / sizeof *key_types; k++) {
            char *ch = auth_children(prefixes[p], SS_KEY, 0);
            char *xml = get_lead(ch, key_types[k]);
            post(xml, &r);
            expect_lead_1(&r);
            ts_http_free(&r);
            free(xml);
            free(ch);
        }
    }
}

/* Issue 8: a bad signature is 20014 (a stale one 20016) whatever the body
 * holds; with a good one the body's fault is answered. */
static void test_authenticated_before_the_body(void **state)
{
    (void)state;
    ts_http_resp r;
    const char *bodies[] = {
        "<keyType>NOT-A-KEY-TYPE</keyType>",                 /* gSOAP refuses it */
        "<keyType xsi:type=\"xsd:strin\">IDNUM</keyType>",  /* the gate refuses it */
        /* a built-in xsi:type leaves the check to the declared type */
        "<keyType xsi:type=\"xsd:string\">NOT-A-KEY-TYPE</keyType>",
    };
    for (size_t i = 0; i < sizeof bodies / sizeof *bodies; i++) {
        struct {
            const char *key;
            long offset;
            int code;
        } cases[] = {
            {"not-the-key", 0, 20014},
            {SS_KEY, -7200, 20016},
            {SS_KEY, 0, 20012},
        };
        for (size_t c = 0; c < 3; c++) {
            char *ch = auth_children(NULL, cases[c].key, cases[c].offset);
            char *xml = get_lead(ch, bodies[i]);
            post(xml, &r);
            ss_expect_fault(&r, cases[c].code);
            if (cases[c].code == 20012 && !strstr(r.body, "keyType"))
                fail_msg("the fault does not name the element: %s", r.body);
            ts_http_free(&r);
            free(xml);
            free(ch);
        }
    }
}

/* Issue 9 item 6: a second Body is refused, and nothing of the first runs. */
static void test_two_bodies_refused(void **state)
{
    (void)state;
    ts_http_resp r;
    char ts[64];
    ss_timestamp(ts, sizeof ts, 0);
    const char *sync = "<ns1:paramsSyncLead><leadRecord><Email>twobodies@example.com</Email>"
                       "</leadRecord><returnLead>false</returnLead></ns1:paramsSyncLead>";
    char *one = ss_envelope(SS_USER, SS_KEY, ts, NULL, sync);
    const char *close = strstr(one, "</SOAP-ENV:Body>");
    assert_non_null(close);
    char *two = ts_fmt("%.*s</SOAP-ENV:Body><SOAP-ENV:Body>%s%s", (int)(close - one), one,
                       SS_GET_LEAD_1, close);
    post(two, &r);
    ss_expect_fault(&r, 20012);
    assert_non_null(strstr(r.body, "a second SOAP Body"));
    assert_int_equal(stack.rest_calls, 0);
    ts_http_free(&r);
    cJSON *found = ss_rest_result(&stack, "/rest/v1/leads.json?filterType=email&filterValues="
                                          "twobodies@example.com");
    assert_int_equal(cJSON_GetArraySize(found), 0);
    cJSON_Delete(found);
    free(two);
    free(one);
}

/* Issue 9 item 6: duplicate id attributes, and href/ref pointing at them,
 * are not processed (document/literal has no multi-references). */
static void test_duplicate_ids_harmless(void **state)
{
    (void)state;
    ts_http_resp r;
    char *ch = auth_children(NULL, SS_KEY, 0);
    char *xml = get_lead(ch, "<keyType id=\"a\" xmlns:enc=\"http://schemas.xmlsoap.org/soap/"
                             "encoding/\" enc:id=\"b\">IDNUM</keyType><x id=\"a\"/><y id=\"a\"/>"
                             "<z xmlns:enc=\"http://www.w3.org/2003/05/soap-encoding\" href=\"#a\" "
                             "enc:ref=\"#b\"/>");
    for (int i = 0; i < 3; i++) {
        post(xml, &r);
        expect_lead_1(&r);
        ts_http_free(&r);
    }
    free(xml);
    /* ids on every element, also unsigned */
    char *bad = auth_children(NULL, "wrong", 0);
    xml = get_lead(bad, "<keyType id=\"a\">IDNUM</keyType><k id=\"a\"/>");
    post(xml, &r);
    ss_expect_fault(&r, 20014);
    ts_http_free(&r);
    free(xml);
    free(bad);
    free(ch);
}

/* Issue 9 item 2: the configured limit holds before authentication, and a
 * huge attribute list is refused quickly. */
static void test_limits_before_authentication(void **state)
{
    (void)state;
    ts_http_resp r;
    for (int n = MAX_ATTRIBUTES; n <= MAX_ATTRIBUTES + 1; n++) {
        char *attrs = calloc((size_t)n, 16);
        for (int i = 0; i < n; i++)
            sprintf(attrs + strlen(attrs), " a%d=\"1\"", i);
        char kt[1024];
        snprintf(kt, sizeof kt, "<keyType%s>IDNUM</keyType>", attrs);
        char *ch = auth_children(NULL, "wrong", 0);
        char *xml = get_lead(ch, kt);
        post(xml, &r);
        if (n == MAX_ATTRIBUTES) {
            ss_expect_fault(&r, 20014);
        } else {
            ss_expect_fault(&r, 20012);
            assert_non_null(strstr(r.body, "more than 40 attributes"));
        }
        ts_http_free(&r);
        free(xml);
        free(ch);
        free(attrs);
    }
    /* 160,000 attributes (issue 9: 140 s in libgsoap): refused at the 41st */
    size_t n = 160000;
    char *big = malloc(n * 16 + 64), *p = big;
    p += sprintf(p, "<keyType");
    for (size_t i = 0; i < n; i++)
        p += sprintf(p, " a%zu=\"1\"", i);
    sprintf(p, ">IDNUM</keyType>");
    char *ch = auth_children(NULL, "wrong", 0);
    char *xml = get_lead(ch, big);
    post(xml, &r);
    ss_expect_fault(&r, 20012);
    ts_http_free(&r);
    free(xml);
    free(ch);
    free(big);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_legacy_forms_answered),
        cmocka_unit_test(test_authenticated_before_the_body),
        cmocka_unit_test(test_two_bodies_refused),
        cmocka_unit_test(test_duplicate_ids_harmless),
        cmocka_unit_test(test_limits_before_authentication),
    };
    return cmocka_run_group_tests(tests, setup, ss_group_teardown);
}
