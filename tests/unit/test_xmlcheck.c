/*
 * test_xmlcheck.c — the well-formedness gate in front of gSOAP: what real
 * clients send passes, what is not XML is refused with a reason.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "soap/xmlcheck.h"

static int check(const char *doc, char *why, size_t n)
{
    return mk_xml_check(doc, strlen(doc), 64, why, n);
}

static void accepts_what_clients_send(void **st)
{
    (void)st;
    const char *good[] = {
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<SOAP-ENV:Envelope xmlns:SOAP-ENV=\"http://schemas.xmlsoap.org/soap/envelope/\" "
        "xmlns:ns1=\"http://www.marketo.com/mktows/\"><SOAP-ENV:Body><ns1:paramsGetLead><leadKey><keyType>EMAIL</keyType>"
        "<keyValue>a&amp;b@example.com</keyValue></leadKey></ns1:paramsGetLead></SOAP-ENV:Body></SOAP-ENV:Envelope>",
        "\xEF\xBB\xBF<a/>",
        "<!-- lead --><a x='1' y = \"&lt;&#60;&#x3C;\"><b/><![CDATA[ <not a tag> ]]>t&#233;xt</a>\n<!-- end -->\n",
        "<a>\xC3\xA9t\xC3\xA9</a>",
        "<mkt:a xmlns:mkt='urn:x'><mkt:b\n   attr='v'\n></mkt:b ></mkt:a>",
        "<?xml version='1.0'?><?pi data?><a><?inner pi?></a>",
    };
    for (size_t i = 0; i < sizeof good / sizeof *good; i++) {
        char why[160] = "";
        if (check(good[i], why, sizeof why) != 0)
            fail_msg("refused good document %zu: %s", i, why);
    }
}

static void refuses_what_is_not_xml(void **st)
{
    (void)st;
    struct { const char *doc, *reason; } bad[] = {
        {"", "no root element"},
        {"   ", "no root element"},
        {"<<<", "'<' not starting a tag"},
        {"<a></b>", "end tag does not match"},
        {"<a><b></a></b>", "end tag does not match"},
        {"<a>", "document ends inside an element"},
        {"<a><b>text", "document ends inside an element"},
        {"<a></a>trailing", "content after the root element"},
        {"<a></a><b/>", "a second root element"},
        {"text<a/>", "text before the root element"},
        {"<a x=1/>", "attribute value not quoted"},
        {"<a x='1/>", "unterminated attribute value"},
        {"<a x='<'/>", "'<' in an attribute value"},
        {"<a x/>", "attribute without '='"},
        {"<a>&bogus</a>", "malformed character or entity reference"},
        {"<a>&#xZZ;</a>", "malformed character or entity reference"},
        {"<a><!-- open</a>", "unterminated comment"},
        {"<!DOCTYPE a [<!ENTITY x 'y'>]><a>&x;</a>", "a DTD is not allowed"},
        {"<a><![CDATA[ x </a>", "unterminated CDATA section"},
        {"<a", "unterminated start tag"},
        {"<a></a", "malformed end tag"},
        {"</a>", "end tag does not match"},
    };
    for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
        char why[160] = "";
        if (check(bad[i].doc, why, sizeof why) == 0)
            fail_msg("accepted bad document %zu: %s", i, bad[i].doc);
        if (!strstr(why, bad[i].reason))
            fail_msg("document %zu: want '%s', got '%s'", i, bad[i].reason, why);
    }
}

static void depth_is_bounded(void **st)
{
    (void)st;
    size_t n = 100;
    char *doc = malloc(n * 7 + 1), *p = doc;
    for (size_t i = 0; i < n; i++)
        p += sprintf(p, "<a>");
    for (size_t i = 0; i < n; i++)
        p += sprintf(p, "</a>");
    char why[160] = "";
    assert_int_equal(mk_xml_check(doc, strlen(doc), 64, why, sizeof why), -1);
    assert_non_null(strstr(why, "nested too deeply"));
    assert_int_equal(mk_xml_check(doc, strlen(doc), 100, why, sizeof why), 0);
    free(doc);
}

static void length_not_nul_terminated(void **st)
{
    (void)st;
    /* The check reads len bytes and no further. */
    const char doc[] = "<a></a>GARBAGE";
    char why[160] = "";
    assert_int_equal(mk_xml_check(doc, 7, 64, why, sizeof why), 0);
    assert_int_equal(mk_xml_check(doc, 6, 64, why, sizeof why), -1);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(accepts_what_clients_send),
        cmocka_unit_test(refuses_what_is_not_xml),
        cmocka_unit_test(depth_is_bounded),
        cmocka_unit_test(length_not_nul_terminated),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
