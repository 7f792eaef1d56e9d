/*
 * test_endpoint.c — mktows-shim over real HTTP: ?WSDL, routing, dispatch
 * whatever the prefixes and SOAPAction, authentication faults, malformed and
 * oversized requests, the exact fault shape, and 200 keep-alive clients at
 * once against a small worker pool.
 *
 * No REST back-end is needed: every operation is reached with a valid
 * signature and answers with a fault before any REST call (20019 until its
 * handler exists, or a REST connection failure after).  Tests accept either
 * where they only check that dispatch happened.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>
#include <curl/curl.h>

#include "soap/auth.h"
#include "soapstack.h"

#define ENV_NS "http://schemas.xmlsoap.org/soap/envelope/"
#define MAX_BYTES 65536

static ss_stack stack;   /* the shim alone: no REST back-end */

/* ---- helpers ---------------------------------------------------------------- */

static int setup(void **state)
{
    char *cfg = ts_fmt("{\"workers\": 4, \"max_request_bytes\": %d,"
                       " \"timeouts\": {\"request_seconds\": 5}}", MAX_BYTES);
    ss_options o = {.no_emulator = true, .config = cfg};
    *state = &stack;
    int rc = ss_start(&stack, &o);
    free(cfg);
    return rc;
}

/* An AuthenticationHeader element with prefix p for the mktows namespace
 * (declared on the Envelope). */
static void auth_header(char *buf, size_t len, const char *p, const char *user,
                        const char *key, const char *ts)
{
    char sig[MK_AUTH_SIG_HEX + 1];
    assert_int_equal(mk_auth_signature(key, ts, user, sig), 0);
    snprintf(buf, len,
             "<%s:AuthenticationHeader><mktowsUserId>%s</mktowsUserId>"
             "<requestSignature>%s</requestSignature><requestTimestamp>%s</requestTimestamp>"
             "</%s:AuthenticationHeader>",
             p, user, sig, ts, p);
}

/* A whole envelope: env prefix e, mktows prefix p, header XML, body XML. */
static char *envelope(const char *e, const char *p, const char *header, const char *body)
{
    size_t n = strlen(header) + strlen(body) + 512;
    char *s = malloc(n);
    snprintf(s, n,
             "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
             "<%s:Envelope xmlns:%s=\"" ENV_NS "\" xmlns:%s=\"" SS_NS "\""
             " xmlns:xsi=\"http://www.w3.org/2001/XMLSchema-instance\">"
             "<%s:Header>%s</%s:Header><%s:Body>%s</%s:Body></%s:Envelope>",
             e, e, p, e, header, e, e, body, e, e);
    return s;
}

static char *signed_get_lead(const char *e, const char *p)
{
    char ts[64], hdr[1024], body[512];
    ss_timestamp(ts, sizeof ts, 0);
    auth_header(hdr, sizeof hdr, p, SS_USER, SS_KEY, ts);
    snprintf(body, sizeof body,
             "<%s:paramsGetLead><leadKey><keyType>EMAIL</keyType>"
             "<keyValue>someone@example.com</keyValue></leadKey></%s:paramsGetLead>",
             p, p);
    return envelope(e, p, hdr, body);
}

static void post(const char *path, const char *soapaction, const char *body, ts_http_resp *r)
{
    char url[256], action[256];
    const char *headers[3] = {"Content-Type: text/xml;charset=UTF-8", NULL, NULL};
    snprintf(url, sizeof url, "%s%s", stack.shim.url, path);
    if (soapaction) {
        snprintf(action, sizeof action, "SOAPAction: %s", soapaction);
        /* curl drops a header with an empty value unless it ends in ';' */
        if (!*soapaction)
            snprintf(action, sizeof action, "SOAPAction;");
        headers[1] = action;
    }
    assert_int_equal(ts_http("POST", url, headers, body, strlen(body), r), 0);
}

/* Dispatch reached the handler of op: its 20019, or a later failure naming
 * nothing about parsing/auth. */
static void expect_dispatched(const ts_http_resp *r, const char *op)
{
    char want[128];
    snprintf(want, sizeof want, "%s is not ", op);
    if (strstr(r->body, want)) {
        ss_expect_fault(r, 20019);
        return;
    }
    assert_null(strstr(r->body, "<code>20012</code>"));
    assert_null(strstr(r->body, "<code>20014</code>"));
    assert_null(strstr(r->body, "<code>20016</code>"));
    assert_null(strstr(r->body, ":Header>"));
}

/* ---- tests ------------------------------------------------------------------ */

static void test_wsdl_on_every_version(void **state)
{
    (void)state;
    const char *paths[] = {"/soap/mktows/1_7?WSDL", "/soap/mktows/2_9?wsdl",
                           "/soap/mktows/3_1?Wsdl", "/soap/mktows/2_2?WSDL="};
    for (size_t i = 0; i < sizeof paths / sizeof paths[0]; i++) {
        char url[256], want[256];
        ts_http_resp r;
        snprintf(url, sizeof url, "%s%s", stack.shim.url, paths[i]);
        assert_int_equal(ts_http("GET", url, NULL, NULL, 0, &r), 0);
        assert_int_equal(r.status, 200);
        assert_non_null(strstr(r.content_type, "text/xml"));
        size_t plen = strcspn(paths[i], "?");
        snprintf(want, sizeof want, "<soap:address location=\"%s%.*s\"/>", stack.shim.url,
                 (int)plen, paths[i]);
        if (!strstr(r.body, want))
            fail_msg("%s: no %s", paths[i], want);
        assert_non_null(strstr(r.body, "name=\"MktMktowsApiService\""));
        assert_non_null(strstr(r.body, "targetNamespace=\"" SS_NS "\""));
        ts_http_free(&r);
    }
}

static void test_wsdl_address_follows_host(void **state)
{
    (void)state;
    char url[256];
    ts_http_resp r;
    /* No trusted_proxies configured: X-Forwarded-* from a client are not
     * believed (test_connbudget checks a configured proxy's are). */
    const char *hdrs[] = {"Host: shim.example.com:8443", "X-Forwarded-Proto: https",
                          "X-Forwarded-Host: evil.example.net", NULL};
    snprintf(url, sizeof url, "%s/soap/mktows/2_9?WSDL", stack.shim.url);
    assert_int_equal(ts_http("GET", url, hdrs, NULL, 0, &r), 0);
    assert_int_equal(r.status, 200);
    assert_non_null(
        strstr(r.body, "location=\"http://shim.example.com:8443/soap/mktows/2_9\""));
    assert_null(strstr(r.body, "evil.example.net"));
    ts_http_free(&r);
}

static void test_health_and_routes(void **state)
{
    (void)state;
    char url[256];
    ts_http_resp r;
    snprintf(url, sizeof url, "%s/health", stack.shim.url);
    assert_int_equal(ts_http("GET", url, NULL, NULL, 0, &r), 0);
    assert_int_equal(r.status, 200);
    ts_http_free(&r);

    char *body = signed_get_lead("SOAP-ENV", "ns1");
    post("/soap/other/3_1", NULL, body, &r);
    assert_int_equal(r.status, 404);
    ts_http_free(&r);
    post("/", NULL, body, &r);
    assert_int_equal(r.status, 404);
    ts_http_free(&r);
    free(body);

    snprintf(url, sizeof url, "%s/nothing", stack.shim.url);
    assert_int_equal(ts_http("GET", url, NULL, NULL, 0, &r), 0);
    assert_int_equal(r.status, 404);
    ts_http_free(&r);
}

static void test_prefixes_and_soapaction(void **state)
{
    (void)state;
    const char *prefixes[][2] = {{"SOAP-ENV", "ns1"}, {"soapenv", "mkt"}, {"S", "tns"},
                                 {"soap", "ns0"},     {"env", "ns2"}};
    const char *actions[] = {NULL, "", "\"\"", "\"http://www.marketo.com/mktows/getLead\"",
                             "http://www.marketo.com/mktows/getLead", "\"wrong\""};
    const char *versions[] = {"/soap/mktows/3_1", "/soap/mktows/2_9", "/soap/mktows/1_7"};
    for (size_t i = 0; i < sizeof prefixes / sizeof prefixes[0]; i++) {
        for (size_t j = 0; j < sizeof actions / sizeof actions[0]; j++) {
            char *body = signed_get_lead(prefixes[i][0], prefixes[i][1]);
            ts_http_resp r;
            post(versions[(i + j) % 3], actions[j], body, &r);
            expect_dispatched(&r, "getLead");
            ts_http_free(&r);
            free(body);
        }
    }
}

static void test_default_namespace_and_qualified_children(void **state)
{
    (void)state;
    char ts[64], hdr[1024];
    ss_timestamp(ts, sizeof ts, 0);
    auth_header(hdr, sizeof hdr, "m", SS_USER, SS_KEY, ts);
    /* mktows as the default namespace on the root, children reset to none;
     * and a client that qualifies children (Marketo's own Java sample). */
    const char *bodies[] = {
        "<paramsGetLead xmlns=\"" SS_NS "\"><leadKey xmlns=\"\"><keyType>IDNUM</keyType>"
        "<keyValue>1</keyValue></leadKey></paramsGetLead>",
        "<m:paramsGetLead><m:leadKey><m:keyType>IDNUM</m:keyType><m:keyValue>1</m:keyValue>"
        "</m:leadKey><unknownElement>ignored</unknownElement></m:paramsGetLead>",
    };
    for (size_t i = 0; i < 2; i++) {
        char *env = envelope("soapenv", "m", hdr, bodies[i]);
        ts_http_resp r;
        post("/soap/mktows/2_9", "", env, &r);
        expect_dispatched(&r, "getLead");
        ts_http_free(&r);
        free(env);
    }
}

static void test_other_operations_dispatch(void **state)
{
    (void)state;
    char ts[64], hdr[1024], full[2048];
    ss_timestamp(ts, sizeof ts, 0);
    auth_header(hdr, sizeof hdr, "ns1", SS_USER, SS_KEY, ts);
    const struct {
        const char *op, *body, *extra_header;
    } cases[] = {
        {"getMultipleLeads",
         "<ns1:paramsGetMultipleLeads><leadSelector xsi:type=\"ns1:LeadKeySelector\">"
         "<keyType>EMAIL</keyType><keyValues><stringItem>a@b.c</stringItem></keyValues>"
         "</leadSelector><batchSize>10</batchSize></ns1:paramsGetMultipleLeads>",
         ""},
        {"syncLead",
         "<ns1:paramsSyncLead><leadRecord><Email>a@b.c</Email><leadAttributeList>"
         "<attribute><attrName>FirstName</attrName><attrValue>A</attrValue></attribute>"
         "</leadAttributeList></leadRecord><returnLead>true</returnLead></ns1:paramsSyncLead>",
         "<ns1:MktowsContextHeader><targetWorkspace>Default</targetWorkspace>"
         "</ns1:MktowsContextHeader>"},
        {"getTags", "<ns1:paramsGetTags/>", ""},
        {"listMObjects", "<ns1:paramsListMObjects/>", ""},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        snprintf(full, sizeof full, "%s%s", hdr, cases[i].extra_header);
        char *env = envelope("SOAP-ENV", "ns1", full, cases[i].body);
        ts_http_resp r;
        post("/soap/mktows/3_1", NULL, env, &r);
        expect_dispatched(&r, cases[i].op);
        ts_http_free(&r);
        free(env);
    }
}

static void test_fault_shape_exact(void **state)
{
    (void)state;
    char ts[64], hdr[1024];
    ss_timestamp(ts, sizeof ts, 0);
    auth_header(hdr, sizeof hdr, "ns1", SS_USER, "not-the-key", ts);
    char *env = envelope("SOAP-ENV", "ns1", hdr, "<ns1:paramsGetLead/>");
    ts_http_resp r;
    post("/soap/mktows/2_9", NULL, env, &r);
    assert_int_equal(r.status, 500);
    assert_string_equal(r.content_type, "text/xml; charset=UTF-8");
    assert_string_equal(
        r.body,
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
        "<SOAP-ENV:Envelope xmlns:SOAP-ENV=\"http://schemas.xmlsoap.org/soap/envelope/\""
        " xmlns:xsi=\"http://www.w3.org/2001/XMLSchema-instance\""
        " xmlns:ns1=\"http://www.marketo.com/mktows/\"><SOAP-ENV:Body><SOAP-ENV:Fault>"
        "<faultcode>SOAP-ENV:Client</faultcode>"
        "<faultstring>20014 - Authentication failed</faultstring>"
        "<detail><ns1:serviceException xmlns:ns1=\"http://www.marketo.com/mktows/\">"
        "<name>mktServiceException</name><message>Authentication failed (20014)</message>"
        "<code>20014</code></ns1:serviceException></detail></SOAP-ENV:Fault>"
        "</SOAP-ENV:Body></SOAP-ENV:Envelope>");
    ts_http_free(&r);
    free(env);
}

static void test_auth_faults(void **state)
{
    (void)state;
    char ts[64], hdr[1024];
    ts_http_resp r;
    const char *body = "<ns1:paramsGetLead><leadKey><keyType>IDNUM</keyType>"
                       "<keyValue>1</keyValue></leadKey></ns1:paramsGetLead>";

    /* unknown user */
    ss_timestamp(ts, sizeof ts, 0);
    auth_header(hdr, sizeof hdr, "ns1", "nobody_1", SS_KEY, ts);
    char *env = envelope("SOAP-ENV", "ns1", hdr, body);
    post("/soap/mktows/3_1", NULL, env, &r);
    ss_expect_fault(&r, 20014);
    ts_http_free(&r);
    free(env);

    /* stale: signed correctly, 20 minutes old (window 15) */
    ss_timestamp(ts, sizeof ts, -1200);
    auth_header(hdr, sizeof hdr, "ns1", SS_USER, SS_KEY, ts);
    env = envelope("SOAP-ENV", "ns1", hdr, body);
    post("/soap/mktows/3_1", NULL, env, &r);
    ss_expect_fault(&r, 20016);
    assert_non_null(strstr(r.body, "<faultstring>20016 - Request Expired</faultstring>"));
    ts_http_free(&r);
    free(env);

    /* 10 minutes in the future is inside the window */
    ss_timestamp(ts, sizeof ts, 600);
    auth_header(hdr, sizeof hdr, "ns1", SS_USER, SS_KEY, ts);
    env = envelope("SOAP-ENV", "ns1", hdr, body);
    post("/soap/mktows/3_1", NULL, env, &r);
    expect_dispatched(&r, "getLead");
    ts_http_free(&r);
    free(env);

    /* no header at all */
    env = envelope("SOAP-ENV", "ns1", "", body);
    post("/soap/mktows/3_1", NULL, env, &r);
    ss_expect_fault(&r, 20014);
    assert_non_null(strstr(r.body, "AuthenticationHeader"));
    ts_http_free(&r);
    free(env);

    /* header without the signature */
    ss_timestamp(ts, sizeof ts, 0);
    snprintf(hdr, sizeof hdr,
             "<ns1:AuthenticationHeader><mktowsUserId>" SS_USER "</mktowsUserId>"
             "<requestTimestamp>%s</requestTimestamp></ns1:AuthenticationHeader>",
             ts);
    env = envelope("SOAP-ENV", "ns1", hdr, body);
    post("/soap/mktows/3_1", NULL, env, &r);
    ss_expect_fault(&r, 20014);
    assert_non_null(strstr(r.body, "requestSignature"));
    ts_http_free(&r);
    free(env);
}

static void test_malformed_and_unknown(void **state)
{
    (void)state;
    ts_http_resp r;
    char *good = signed_get_lead("SOAP-ENV", "ns1");

    /* truncated in the middle of the body */
    good[strlen(good) - 60] = '\0';
    post("/soap/mktows/3_1", NULL, good, &r);
    ss_expect_fault(&r, 20012);
    ts_http_free(&r);
    free(good);

    const char *bad[] = {"this is not XML", "", "<a><b>", "<<<"};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        post("/soap/mktows/3_1", NULL, bad[i], &r);
        ss_expect_fault(&r, 20012);
        ts_http_free(&r);
    }
    /* Well-formed but not valid for the schema, and not signed: the header
     * is checked before the body, so this is an authentication failure. */
    post("/soap/mktows/3_1", NULL,
         "<SOAP-ENV:Envelope xmlns:SOAP-ENV=\"" ENV_NS "\"><SOAP-ENV:Body>"
         "<x:paramsGetLead xmlns:x=\"" SS_NS "\"><leadKey><keyType>NOPE</keyType>"
         "</leadKey></x:paramsGetLead></SOAP-ENV:Body></SOAP-ENV:Envelope>", &r);
    ss_expect_fault(&r, 20014);
    ts_http_free(&r);

    /* Signed and otherwise valid, but not XML: a closing tag naming another
     * element, text after the root, a DTD.  gSOAP alone would accept the
     * first two. */
    char *valid = signed_get_lead("SOAP-ENV", "ns1");
    const char *swaps[][2] = {{"</leadKey>", "</leadKeyX>"},
                              {"</SOAP-ENV:Envelope>", "</SOAP-ENV:Envelope>trailing"},
                              {"<SOAP-ENV:Envelope", "<!DOCTYPE x [<!ENTITY e 'v'>]><SOAP-ENV:Envelope"}};
    for (size_t i = 0; i < sizeof swaps / sizeof swaps[0]; i++) {
        const char *at = strstr(valid, swaps[i][0]);
        assert_non_null(at);
        size_t head = (size_t)(at - valid);
        char *doc = malloc(strlen(valid) + strlen(swaps[i][1]) + 1);
        memcpy(doc, valid, head);
        strcpy(doc + head, swaps[i][1]);
        strcat(doc, at + strlen(swaps[i][0]));
        post("/soap/mktows/3_1", NULL, doc, &r);
        ss_expect_fault(&r, 20012);
        assert_non_null(strstr(r.body, "malformed XML"));
        ts_http_free(&r);
        free(doc);
    }

    /* signed, well-formed, an enumeration value the schema does not have */
    const char *at = strstr(valid, "<keyType>EMAIL<");
    assert_non_null(at);
    char *nope = strdup(valid);
    memcpy(nope + (at - valid), "<keyType>NOPE!<", 15);
    post("/soap/mktows/3_1", NULL, nope, &r);
    ss_expect_fault(&r, 20012);
    ts_http_free(&r);
    free(nope);
    free(valid);

    /* a well-formed envelope whose root names no operation: unsigned, the
     * header is refused first; signed, the operation */
    char *env = envelope("SOAP-ENV", "ns1", "", "<ns1:paramsSyncTags/>");
    post("/soap/mktows/3_1", NULL, env, &r);
    ss_expect_fault(&r, 20014);
    ts_http_free(&r);
    free(env);
    char ts[64], hdr[1024];
    ss_timestamp(ts, sizeof ts, 0);
    auth_header(hdr, sizeof hdr, "ns1", SS_USER, SS_KEY, ts);
    env = envelope("SOAP-ENV", "ns1", hdr, "<ns1:paramsSyncTags/>");
    post("/soap/mktows/3_1", NULL, env, &r);
    ss_expect_fault(&r, 20019);
    ts_http_free(&r);
    free(env);
}

static void test_oversized_body(void **state)
{
    (void)state;
    size_t n = MAX_BYTES + 100;
    char *big = malloc(n + 1);
    memset(big, ' ', n);
    big[n] = '\0';
    memcpy(big, "<x>", 3);
    ts_http_resp r;
    post("/soap/mktows/3_1", NULL, big, &r);
    ss_expect_fault(&r, 20012);
    assert_non_null(strstr(r.body, "exceeds"));
    ts_http_free(&r);

    /* chunked, so the size is only known while reading */
    char url[256];
    const char *hdrs[] = {"Content-Type: text/xml", "Transfer-Encoding: chunked", NULL};
    snprintf(url, sizeof url, "%s/soap/mktows/3_1", stack.shim.url);
    assert_int_equal(ts_http("POST", url, hdrs, big, n, &r), 0);
    ss_expect_fault(&r, 20012);
    ts_http_free(&r);
    free(big);

    /* the server is still fine */
    char *body = signed_get_lead("SOAP-ENV", "ns1");
    post("/soap/mktows/3_1", NULL, body, &r);
    expect_dispatched(&r, "getLead");
    ts_http_free(&r);
    free(body);
}

/* ---- 200 keep-alive clients ----------------------------------------------- */

#define CLIENTS 200

struct client {
    CURL *h;
    char *body;
    size_t len;
    struct curl_slist *hdrs;
};

static size_t client_data(char *p, size_t sz, size_t n, void *ud)
{
    struct client *c = ud;
    char *nb = realloc(c->body, c->len + sz * n + 1);
    if (!nb)
        return 0;
    c->body = nb;
    memcpy(c->body + c->len, p, sz * n);
    c->len += sz * n;
    c->body[c->len] = '\0';
    return sz * n;
}

static void test_200_keepalive_clients(void **state)
{
    (void)state;
    struct client cl[CLIENTS];
    char url[256], health[256];
    snprintf(url, sizeof url, "%s/soap/mktows/3_1", stack.shim.url);
    snprintf(health, sizeof health, "%s/health", stack.shim.url);
    char *body = signed_get_lead("soapenv", "mkt");

    /* One multi handle per client keeps each connection separate and alive. */
    CURLM *multi[CLIENTS];
    for (int i = 0; i < CLIENTS; i++) {
        memset(&cl[i], 0, sizeof cl[i]);
        cl[i].h = curl_easy_init();
        multi[i] = curl_multi_init();
        curl_easy_setopt(cl[i].h, CURLOPT_URL, health);
        curl_easy_setopt(cl[i].h, CURLOPT_WRITEFUNCTION, client_data);
        curl_easy_setopt(cl[i].h, CURLOPT_WRITEDATA, &cl[i]);
        curl_easy_setopt(cl[i].h, CURLOPT_NOSIGNAL, 1L);
        curl_easy_setopt(cl[i].h, CURLOPT_TIMEOUT, 60L);
        curl_multi_add_handle(multi[i], cl[i].h);
    }

    /* Phase 1: open 200 connections concurrently. */
    int running;
    for (;;) {
        int total = 0;
        for (int i = 0; i < CLIENTS; i++) {
            curl_multi_perform(multi[i], &running);
            total += running;
        }
        if (!total)
            break;
        usleep(1000);
    }
    int opened = 0;
    for (int i = 0; i < CLIENTS; i++) {
        long status = 0, conns = 0;
        curl_easy_getinfo(cl[i].h, CURLINFO_RESPONSE_CODE, &status);
        curl_easy_getinfo(cl[i].h, CURLINFO_NUM_CONNECTS, &conns);
        assert_int_equal(status, 200);
        opened += conns;
        curl_multi_remove_handle(multi[i], cl[i].h);
    }
    assert_int_equal(opened, CLIENTS);

    /* Hold them idle: with 4 workers, idle connections must not hold any. */
    sleep(1);
    ts_http_resp r;
    post("/soap/mktows/3_1", NULL, body, &r);  /* a newcomer still gets through */
    expect_dispatched(&r, "getLead");
    ts_http_free(&r);

    /* Phase 2: every held connection sends a SOAP request, all at once. */
    for (int i = 0; i < CLIENTS; i++) {
        free(cl[i].body);
        cl[i].body = NULL;
        cl[i].len = 0;
        cl[i].hdrs = curl_slist_append(NULL, "Content-Type: text/xml;charset=UTF-8");
        cl[i].hdrs = curl_slist_append(cl[i].hdrs, "SOAPAction: \"\"");
        curl_easy_setopt(cl[i].h, CURLOPT_URL, url);
        curl_easy_setopt(cl[i].h, CURLOPT_HTTPHEADER, cl[i].hdrs);
        curl_easy_setopt(cl[i].h, CURLOPT_POSTFIELDS, body);
        /* back into its own multi, whose connection cache holds the socket */
        curl_multi_add_handle(multi[i], cl[i].h);
    }
    for (;;) {
        int total = 0;
        for (int i = 0; i < CLIENTS; i++) {
            curl_multi_perform(multi[i], &running);
            total += running;
        }
        if (!total)
            break;
        usleep(1000);
    }
    int answered = 0, reused = 0;
    for (int i = 0; i < CLIENTS; i++) {
        long status = 0, conns = 1;
        curl_easy_getinfo(cl[i].h, CURLINFO_RESPONSE_CODE, &status);
        curl_easy_getinfo(cl[i].h, CURLINFO_NUM_CONNECTS, &conns);
        /* No REST back-end runs here: the handler answers "REST unreachable"
         * (20011), which proves the request was parsed, authenticated and
         * dispatched; 20019 if the operation is not served. */
        if (status == 500 && cl[i].body &&
            (strstr(cl[i].body, "<code>20011</code>") || strstr(cl[i].body, "<code>20019</code>")))
            answered++;
        reused += conns == 0;
        curl_multi_remove_handle(multi[i], cl[i].h);
        curl_multi_cleanup(multi[i]);
        curl_easy_cleanup(cl[i].h);
        curl_slist_free_all(cl[i].hdrs);
        free(cl[i].body);
    }
    free(body);
    assert_int_equal(answered, CLIENTS);
    assert_int_equal(reused, CLIENTS);  /* every request went over its held connection */
}

static void test_bad_config_exits_nonzero(void **state)
{
    (void)state;
    char cmd[1024];
    char *cfg = ts_write_temp(".json", "{\"rest\": {\"client_id\": \"x\"}}");
    snprintf(cmd, sizeof cmd, "'%s' --config '%s' 2>&1", ts_env("MKTOWS_SHIM"), cfg);
    FILE *f = popen(cmd, "r");
    assert_non_null(f);
    char out[1024] = "";
    size_t n = fread(out, 1, sizeof out - 1, f);
    out[n] = '\0';
    int st = pclose(f);
    unlink(cfg);
    free(cfg);
    assert_true(WIFEXITED(st) && WEXITSTATUS(st) != 0);
    if (!strstr(out, "rest.endpoint"))
        fail_msg("message does not name the key: %s", out);
}

int main(void)
{
    curl_global_init(CURL_GLOBAL_DEFAULT);
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_wsdl_on_every_version),
        cmocka_unit_test(test_wsdl_address_follows_host),
        cmocka_unit_test(test_health_and_routes),
        cmocka_unit_test(test_prefixes_and_soapaction),
        cmocka_unit_test(test_default_namespace_and_qualified_children),
        cmocka_unit_test(test_other_operations_dispatch),
        cmocka_unit_test(test_fault_shape_exact),
        cmocka_unit_test(test_auth_faults),
        cmocka_unit_test(test_malformed_and_unknown),
        cmocka_unit_test(test_oversized_body),
        cmocka_unit_test(test_200_keepalive_clients),
        cmocka_unit_test(test_bad_config_exits_nonzero),
    };
    int rc = ts_run_tests(tests, setup, ss_group_teardown);   /* a clean exit, no sanitizer report */
    curl_global_cleanup();
    return rc;
}
