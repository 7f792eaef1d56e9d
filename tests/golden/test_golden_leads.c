/*
 * test_golden_leads.c — Marketo's own documented examples for the five lead
 * operations, sent to mktows-shim (backed by marketo-emulator).
 *
 * tests/golden/leads/<op>.request.xml holds the SOAP Body of the request
 * example of the operation's documentation page, <op>.response.xml the Body
 * of its response example (each file says where it comes from and what was
 * changed).  Each request is sent as documented — SOAP-ENV and ns1 prefixes,
 * the example's mktowsUserId — with the AuthenticationHeader re-signed for
 * a fresh timestamp, and must be answered with the element structure of the
 * documented response: the same element names, nested the same way, in the
 * same order of first appearance (values and how often an element repeats
 * are the data's business), children unqualified.
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

/* The SOAP users of the examples; demo17's key is the one of Marketo's
 * Java syncLead sample (synclead.md). */
#define BIGCORP "bigcorp1_461839624B16E06BA2D663"
#define BIGCORP_KEY "899756834129871744AAEE88DDCC77CDEEDEC1AAAD66"
#define DEMO17 "demo17_1_809934544BFABAE58E5D27"
#define DEMO17_KEY "27272727aa"

static ss_stack stack;

static char *read_golden(const char *name)
{
    char *path = ts_fmt("%s/tests/golden/leads/%s", ts_env("MKTOWS_SOURCE_DIR"), name);
    char *text = ts_read_file(path);
    free(path);
    return text;
}

/* ---- element structure ---------------------------------------------------------- */

typedef struct paths {
    char *v[256];
    int n;
    int qualified_children;   /* descendants of the root written with a prefix */
} paths;

static void paths_free(paths *p)
{
    for (int i = 0; i < p->n; i++)
        free(p->v[i]);
    p->n = 0;
}

/* The element paths under the first element named `root` (local names,
 * joined by '/', the root included), each once, in order of first
 * appearance.  Enough XML for SOAP documents: declarations, comments,
 * start, end and empty-element tags; attributes and text are skipped. */
static void structure(const char *xml, const char *root, paths *out)
{
    char stack[32][64];
    int depth = 0, root_depth = -1;
    memset(out, 0, sizeof *out);
    for (const char *p = xml; (p = strchr(p, '<'));) {
        if (strncmp(p, "<!--", 4) == 0) {
            const char *e = strstr(p, "-->");
            assert_non_null(e);
            p = e + 3;
            continue;
        }
        if (p[1] == '?' || p[1] == '!') {
            p = strchr(p, '>');
            assert_non_null(p);
            continue;
        }
        bool closing = p[1] == '/';
        const char *name = p + (closing ? 2 : 1);
        size_t len = strcspn(name, " \t\r\n/>");
        const char *gt = strchr(name, '>');
        assert_non_null(gt);
        bool empty = !closing && gt[-1] == '/';
        const char *colon = memchr(name, ':', len);
        const char *local = colon ? colon + 1 : name;
        size_t llen = len - (size_t)(local - name);
        if (closing) {
            assert_true(depth > 0);
            depth--;
            if (depth == root_depth)
                break;   /* the root closed */
            p = gt + 1;
            continue;
        }
        assert_true(depth < 32 && llen < 64);
        snprintf(stack[depth], sizeof stack[depth], "%.*s", (int)llen, local);
        if (root_depth < 0 && strcmp(stack[depth], root) == 0)
            root_depth = depth;
        if (root_depth >= 0) {
            char path[1024] = "";
            for (int i = root_depth; i <= depth; i++)
                snprintf(path + strlen(path), sizeof path - strlen(path), "%s%s",
                         i > root_depth ? "/" : "", stack[i]);
            bool seen = false;
            for (int i = 0; i < out->n && !seen; i++)
                seen = strcmp(out->v[i], path) == 0;
            if (!seen) {
                assert_true(out->n < 256);
                out->v[out->n++] = strdup(path);
            }
            if (depth > root_depth && colon)
                out->qualified_children++;
        }
        if (!empty)
            depth++;
        else if (depth == root_depth)
            break;
        p = gt + 1;
    }
    if (root_depth < 0)
        fail_msg("no <%s> in %s", root, xml);
}

/* ---- running the examples -------------------------------------------------------- */

static int group_setup(void **state)
{
    ss_options o = {
        .users = {{BIGCORP, BIGCORP_KEY}, {DEMO17, DEMO17_KEY}},
        .config = "{\"leads\": {\"foreign_sys_person_id_field\": \"foreignSysPersonId\"}}",
        .version = "2_3",
    };
    *state = &stack;
    return ss_start(&stack, &o);
}

/* Send the documented request of op as user, compare with the documented
 * response. */
static void run_example(const char *op, const char *user, const char *key)
{
    char name[128];
    snprintf(name, sizeof name, "%s.request.xml", op);
    char *request = read_golden(name);
    snprintf(name, sizeof name, "%s.response.xml", op);
    char *documented = read_golden(name);

    /* The body as documented, without the file's source note. */
    const char *body = strstr(request, "-->");
    assert_non_null(body);
    body += 3;
    ts_http_resp r;
    ss_post_as(&stack, user, key, NULL, body, &r);
    if (r.status != 200)
        fail_msg("%s: HTTP %ld\n%s", op, r.status, r.body);

    char root[64];
    snprintf(root, sizeof root, "success%c%s", op[0] - 'a' + 'A', op + 1);
    paths want, got;
    structure(documented, root, &want);
    structure(r.body, root, &got);
    for (int i = 0; i < want.n || i < got.n; i++) {
        const char *w = i < want.n ? want.v[i] : "(nothing)";
        const char *g = i < got.n ? got.v[i] : "(nothing)";
        if (strcmp(w, g) != 0)
            fail_msg("%s: element %d is %s, documented %s\nanswer: %s", op, i, g, w, r.body);
    }
    assert_int_equal(got.qualified_children, 0);
    /* The root is in the mktows namespace, the answer has no SOAP Header. */
    assert_non_null(strstr(r.body, "xmlns:ns1=\"http://www.marketo.com/mktows/\""));
    char qroot[80];
    snprintf(qroot, sizeof qroot, "<ns1:%s>", root);
    assert_non_null(strstr(r.body, qroot));
    assert_null(strstr(r.body, ":Header"));
    paths_free(&want);
    paths_free(&got);
    ts_http_free(&r);
    free(request);
    free(documented);
}

static void test_get_lead(void **state) { (void)state; run_example("getLead", BIGCORP, BIGCORP_KEY); }
static void test_get_multiple_leads(void **state)
{
    (void)state;
    run_example("getMultipleLeads", DEMO17, DEMO17_KEY);
}
static void test_sync_lead(void **state) { (void)state; run_example("syncLead", BIGCORP, BIGCORP_KEY); }
static void test_sync_multiple_leads(void **state)
{
    (void)state;
    run_example("syncMultipleLeads", DEMO17, DEMO17_KEY);
}
static void test_merge_leads(void **state) { (void)state; run_example("mergeLeads", DEMO17, DEMO17_KEY); }

/* The structure comparison itself must see a difference. */
static void test_structure_sees_differences(void **state)
{
    (void)state;
    paths a, b;
    structure("<x:r><result><a/><b>1</b></result></x:r>", "r", &a);
    structure("<x:r><result><b>1</b><a/><a/></result></x:r>", "r", &b);
    assert_int_equal(a.n, 4);
    assert_int_equal(b.n, 4);
    assert_string_equal(a.v[2], "r/result/a");
    assert_string_equal(b.v[2], "r/result/b");   /* order matters */
    paths_free(&a);
    paths_free(&b);
    structure("<x:r><result><x:a/></result></x:r>", "r", &a);
    assert_int_equal(a.qualified_children, 1);
    paths_free(&a);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_structure_sees_differences),
        cmocka_unit_test(test_get_lead),
        cmocka_unit_test(test_get_multiple_leads),
        cmocka_unit_test(test_sync_lead),
        cmocka_unit_test(test_sync_multiple_leads),
        cmocka_unit_test(test_merge_leads),   /* last: it merges away leads 15 and 16 */
    };
    return ts_run_tests(tests, group_setup, ss_group_teardown);
}
