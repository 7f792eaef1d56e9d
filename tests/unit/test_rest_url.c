/*
 * test_rest_url.c — the pure parts of the REST client: percent-encoding,
 * query strings, the GET -> POST ?_method=GET switch at MK_REST_MAX_URI, and the
 * path templates that key the call statistics.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "rest/url.h"

static char *encode(const char *s)
{
    mk_buf b = {0};
    assert_int_equal(mk_rest_url_encode(&b, s, strlen(s)), 0);
    return mk_buf_take(&b);
}

static void url_encoding(void **st)
{
    (void)st;
    char *e = encode("a b&c=d/\xc3\xa9~._-+%?#");
    assert_string_equal(e, "a%20b%26c%3Dd%2F%C3%A9~._-%2B%25%3F%23");
    free(e);
    e = encode("");
    assert_string_equal(e, "");
    free(e);
    /* every byte outside the unreserved set is escaped, NUL included */
    mk_buf b = {0};
    assert_int_equal(mk_rest_url_encode(&b, "a\0b", 3), 0);
    assert_string_equal(b.data, "a%00b");
    mk_buf_free(&b);
    /* a Munchkin cookie value survives as one parameter */
    e = encode("id:561-HYG-937&token:_mch-marketo.com-1374552656411-90718");
    assert_string_equal(e, "id%3A561-HYG-937%26token%3A_mch-marketo.com-1374552656411-90718");
    free(e);
}

static void query_building(void **st)
{
    (void)st;
    mk_rest_param q[] = {
        {"filterType", "email"},
        {"filterValues", "a@b.com,c d@e.com"},
        {"id", "1"},
        {"id", "2"},
        {"empty", NULL},
    };
    mk_buf b = {0};
    assert_int_equal(mk_rest_query_build(&b, q, 5), 0);
    assert_string_equal(b.data,
                        "filterType=email&filterValues=a%40b.com%2Cc%20d%40e.com&id=1&id=2&empty=");
    mk_buf_free(&b);
    assert_int_equal(mk_rest_query_build(&b, q, 0), 0);
    assert_null(b.data);
}

static void plan_short_get(void **st)
{
    (void)st;
    mk_rest_param q[] = {{"filterType", "id"}, {"filterValues", "318581,318592"}};
    mk_rest_req req = {.method = MK_REST_GET, .path = "/rest/v1/leads.json", .query = q, .nquery = 2};
    mk_rest_plan p;
    /* a trailing slash on the base is never doubled */
    assert_int_equal(mk_rest_plan_build("http://h:1/", &req, 0, &p), MK_REST_OK);
    assert_string_equal(p.method, "GET");
    assert_string_equal(p.url,
                        "http://h:1/rest/v1/leads.json?filterType=id&filterValues=318581%2C318592");
    assert_null(p.body);
    assert_null(p.content_type);
    assert_int_equal(p.method_override, 0);
    mk_rest_plan_free(&p);

    mk_rest_req bare = {.method = MK_REST_GET, .path = "/rest/v1/leads/describe.json"};
    assert_int_equal(mk_rest_plan_build("http://h:1", &bare, 0, &p), MK_REST_OK);
    assert_string_equal(p.url, "http://h:1/rest/v1/leads/describe.json");
    mk_rest_plan_free(&p);
}

/* A GET of exactly max bytes stays a GET; one byte more becomes POST. */
static void plan_switch_at_max_uri(void **st)
{
    (void)st;
    const char *base = "http://127.0.0.1:9";
    const char *path = "/rest/v1/leads.json";
    /* url = base + path + "?v=" + value */
    size_t fixed = strlen(base) + strlen(path) + strlen("?v=");
    size_t n = MK_REST_MAX_URI - fixed;
    char *value = malloc(n + 2);
    memset(value, 'x', n + 1);
    value[n] = '\0';
    mk_rest_param q[] = {{"v", value}};
    mk_rest_req req = {.method = MK_REST_GET, .path = path, .query = q, .nquery = 1};
    mk_rest_plan p;
    assert_int_equal(mk_rest_plan_build(base, &req, 0, &p), MK_REST_OK);
    assert_string_equal(p.method, "GET");
    assert_int_equal(strlen(p.url), MK_REST_MAX_URI);
    mk_rest_plan_free(&p);

    value[n] = 'x';
    value[n + 1] = '\0';
    assert_int_equal(mk_rest_plan_build(base, &req, 0, &p), MK_REST_OK);
    assert_string_equal(p.method, "POST");
    assert_int_equal(p.method_override, 1);
    assert_string_equal(p.url, "http://127.0.0.1:9/rest/v1/leads.json?_method=GET");
    assert_string_equal(p.content_type, "application/x-www-form-urlencoded");
    assert_int_equal(p.body_len, 2 + n + 1);
    assert_int_equal(strncmp(p.body, "v=xxx", 5), 0);
    mk_rest_plan_free(&p);
    free(value);
}

/* The typical case: 300 e-mail addresses in filterValues. */
static void plan_long_filter_values(void **st)
{
    (void)st;
    char *vals = malloc(300 * 40);
    size_t o = 0;
    for (int i = 0; i < 300; i++)
        o += (size_t)sprintf(vals + o, "%sfirstname.lastname%03d@example.com", i ? "," : "", i);
    mk_rest_param q[] = {{"filterType", "email"}, {"filterValues", vals}, {"fields", "id,email"}};
    mk_rest_req req = {.method = MK_REST_GET, .path = "/rest/v1/leads.json", .query = q, .nquery = 3};
    mk_rest_plan p;
    assert_int_equal(mk_rest_plan_build("https://284-RPR-133.mktorest.com", &req, 0, &p), MK_REST_OK);
    assert_int_equal(p.method_override, 1);
    assert_non_null(strstr(p.body, "filterType=email&filterValues=firstname.lastname000%40example.com%2Cfirstname.lastname001"));
    assert_non_null(strstr(p.body, "&fields=id%2Cemail"));
    assert_null(strchr(p.url + strlen("https://"), '&'));
    mk_rest_plan_free(&p);
    /* a lower limit can be forced (used by tests of the server side) */
    mk_rest_param small[] = {{"a", "b"}};
    mk_rest_req r2 = {.method = MK_REST_GET, .path = "/x.json", .query = small, .nquery = 1};
    assert_int_equal(mk_rest_plan_build("http://h", &r2, 10, &p), MK_REST_OK);
    assert_int_equal(p.method_override, 1);
    assert_string_equal(p.body, "a=b");
    mk_rest_plan_free(&p);
    free(vals);
}

static void plan_bodies(void **st)
{
    (void)st;
    mk_rest_plan p;
    cJSON *j = cJSON_CreateObject();
    cJSON_AddStringToObject(j, "action", "createOrUpdate");
    mk_rest_param q[] = {{"id", "7"}};
    mk_rest_req post = {.method = MK_REST_POST, .path = "/rest/v1/leads.json", .json = j,
                        .query = q, .nquery = 1};
    assert_int_equal(mk_rest_plan_build("http://h", &post, 0, &p), MK_REST_OK);
    assert_string_equal(p.method, "POST");
    assert_string_equal(p.url, "http://h/rest/v1/leads.json?id=7");
    assert_string_equal(p.body, "{\"action\":\"createOrUpdate\"}");
    assert_string_equal(p.content_type, "application/json");
    mk_rest_plan_free(&p);

    mk_rest_param form[] = {{"name", "My List"}, {"folder", "{\"id\":1034,\"type\":\"Program\"}"}};
    mk_rest_req fpost = {.method = MK_REST_POST, .path = "/rest/asset/v1/staticLists.json",
                         .form = form, .nform = 2};
    assert_int_equal(mk_rest_plan_build("http://h", &fpost, 0, &p), MK_REST_OK);
    assert_string_equal(p.body, "name=My%20List&folder=%7B%22id%22%3A1034%2C%22type%22%3A%22Program%22%7D");
    assert_string_equal(p.content_type, "application/x-www-form-urlencoded");
    mk_rest_plan_free(&p);

    mk_rest_req del = {.method = MK_REST_DELETE, .path = "/rest/v1/lists/5/leads.json",
                       .query = q, .nquery = 1};
    assert_int_equal(mk_rest_plan_build("http://h", &del, 0, &p), MK_REST_OK);
    assert_string_equal(p.method, "DELETE");
    assert_null(p.body);
    mk_rest_plan_free(&p);

    mk_rest_req raw = {.method = MK_REST_POST, .path = "/bulk/v1/leads.json",
                       .raw_body = "a,b\n1,2\n", .raw_len = 8,
                       .raw_content_type = "multipart/form-data; boundary=x"};
    assert_int_equal(mk_rest_plan_build("http://h", &raw, 0, &p), MK_REST_OK);
    assert_int_equal(p.body_len, 8);
    assert_string_equal(p.content_type, "multipart/form-data; boundary=x");
    mk_rest_plan_free(&p);

    /* impossible requests */
    mk_rest_req bad = {.method = MK_REST_GET, .path = "/rest/v1/leads.json", .json = j};
    assert_int_equal(mk_rest_plan_build("http://h", &bad, 0, &p), MK_REST_ERR_INVALID);
    mk_rest_req two = {.method = MK_REST_POST, .path = "/x.json", .json = j, .form = form, .nform = 1};
    assert_int_equal(mk_rest_plan_build("http://h", &two, 0, &p), MK_REST_ERR_INVALID);
    mk_rest_req noslash = {.method = MK_REST_GET, .path = "rest/v1/leads.json"};
    assert_int_equal(mk_rest_plan_build("http://h", &noslash, 0, &p), MK_REST_ERR_INVALID);
    mk_rest_req rawnoct = {.method = MK_REST_POST, .path = "/x.json", .raw_body = "x", .raw_len = 1};
    assert_int_equal(mk_rest_plan_build("http://h", &rawnoct, 0, &p), MK_REST_ERR_INVALID);
    cJSON_Delete(j);
}

static void path_templates(void **st)
{
    (void)st;
    static const char *cases[][2] = {
        {"/rest/v1/lists/12/leads.json", "/rest/v1/lists/{id}/leads.json"},
        {"/rest/v1/lead/318581.json", "/rest/v1/lead/{id}.json"},
        {"/rest/v1/leads.json", "/rest/v1/leads.json"},
        {"/bulk/v1/leads/batch/3404.json", "/bulk/v1/leads/batch/{id}.json"},
        {"/rest/v1/customobjects/car_c.json", "/rest/v1/customobjects/car_c.json"},
        {"/rest/v1/campaigns/1001/trigger.json", "/rest/v1/campaigns/{id}/trigger.json"},
        {"/rest/v1/v2x/12a.json", "/rest/v1/v2x/12a.json"},
    };
    char out[128];
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        mk_rest_path_template(cases[i][0], out, sizeof out);
        assert_string_equal(out, cases[i][1]);
    }
    mk_rest_path_template("/rest/v1/lists/12/leads.json", out, 10);
    assert_string_equal(out, "/rest/v1/");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(url_encoding),
        cmocka_unit_test(query_building),
        cmocka_unit_test(plan_short_get),
        cmocka_unit_test(plan_switch_at_max_uri),
        cmocka_unit_test(plan_long_filter_values),
        cmocka_unit_test(plan_bodies),
        cmocka_unit_test(path_templates),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
