/*
 * test_endpoints.c — the REST endpoint catalogue (src/rest/endpoints.c)
 * against mapping/operations.json, which lists per SOAP operation the REST
 * calls it makes: every rest[] method + path is a catalogue row, and every
 * row is named by at least one operation, so the two cannot drift apart.
 * Also: rows are in enum order, paths are filled in, and a request naming
 * an endpoint is resolved to the row's method, template and idempotency.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "rest/endpoints.h"
#include "testsupport.h"

static cJSON *load_operations(void)
{
    char *path = ts_fmt("%s/mapping/operations.json", ts_env("MKTOWS_SOURCE_DIR"));
    char *text = ts_read_file(path);
    assert_non_null(text);
    cJSON *doc = cJSON_Parse(text);
    assert_non_null(doc);
    free(text);
    free(path);
    return doc;
}

static int method_of(const char *s)
{
    if (strcmp(s, "GET") == 0)
        return MK_REST_GET;
    if (strcmp(s, "POST") == 0)
        return MK_REST_POST;
    if (strcmp(s, "DELETE") == 0)
        return MK_REST_DELETE;
    return -1;
}

static void every_rest_call_is_catalogued_and_every_row_used(void **state)
{
    (void)state;
    cJSON *doc = load_operations();
    size_t n;
    const mk_rest_endpoint *rows = mk_rest_endpoint_all(&n);
    int *used = calloc(n, sizeof *used);
    int missing = 0, calls = 0;
    const cJSON *op, *call;
    cJSON_ArrayForEach(op, cJSON_GetObjectItemCaseSensitive(doc, "operations")) {
        cJSON_ArrayForEach(call, cJSON_GetObjectItemCaseSensitive(op, "rest")) {
            const char *m = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(call, "method"));
            const char *p = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(call, "path"));
            assert_non_null(m);
            assert_non_null(p);
            calls++;
            int mm = method_of(m);
            const mk_rest_endpoint *e = mm < 0 ? NULL : mk_rest_endpoint_find((mk_rest_method)mm, p);
            if (!e) {
                fprintf(stderr, "operations.json: %s %s is not in the catalogue\n", m, p);
                missing++;
                continue;
            }
            used[e - rows]++;
        }
    }
    assert_true(calls > 0);
    int unused = 0;
    for (size_t i = 0; i < n; i++)
        if (!used[i]) {
            fprintf(stderr, "catalogue: %s %s is named by no operation\n",
                    mk_rest_method_name(rows[i].method), rows[i].path);
            unused++;
        }
    free(used);
    cJSON_Delete(doc);
    assert_int_equal(missing, 0);
    assert_int_equal(unused, 0);
}

static void rows_are_in_enum_order_and_distinct(void **state)
{
    (void)state;
    size_t n;
    const mk_rest_endpoint *rows = mk_rest_endpoint_all(&n);
    assert_int_equal(n, MK_EP_COUNT - 1);
    assert_null(mk_rest_endpoint_get(MK_EP_NONE));
    assert_null(mk_rest_endpoint_get(MK_EP_COUNT));
    for (size_t i = 0; i < n; i++) {
        assert_ptr_equal(mk_rest_endpoint_get(rows[i].id), &rows[i]);
        assert_ptr_equal(mk_rest_endpoint_find(rows[i].method, rows[i].path), &rows[i]);
        assert_true(rows[i].path[0] == '/');
        /* A paged endpoint says how big a page may be and where records are. */
        if (rows[i].paging != MK_PAGING_NONE) {
            assert_true(rows[i].batch_max > 0);
            assert_non_null(rows[i].records);
        }
    }
    /* The one Lead-database batch fact, and the Asset API's own. */
    assert_int_equal(mk_rest_endpoint_get(MK_EP_LEADS_SYNC)->batch_max, MK_REST_BATCH_MAX);
    assert_int_equal(mk_rest_endpoint_get(MK_EP_CHANNELS)->batch_max, 200);
    /* POST ?_method=GET early only where Marketo documents it: the lead
     * database's queries, all GETs with token paging. */
    assert_true(mk_rest_endpoint_get(MK_EP_LEADS_QUERY)->query_in_body);
    assert_true(mk_rest_endpoint_get(MK_EP_OPPORTUNITIES_QUERY)->query_in_body);
    assert_false(mk_rest_endpoint_get(MK_EP_LIST_MEMBERS)->query_in_body);
    assert_false(mk_rest_endpoint_get(MK_EP_PROGRAMS)->query_in_body);
    for (size_t i = 0; i < n; i++)
        if (rows[i].query_in_body)
            assert_true(rows[i].method == MK_REST_GET && rows[i].paging == MK_PAGING_TOKEN);
    /* List membership calls are split by their rows' maximum (lists.c). */
    assert_int_equal(mk_rest_endpoint_get(MK_EP_LIST_ADD)->batch_max, MK_REST_BATCH_MAX);
    assert_int_equal(mk_rest_endpoint_get(MK_EP_LIST_REMOVE)->batch_max, MK_REST_BATCH_MAX);
    assert_int_equal(mk_rest_endpoint_get(MK_EP_LIST_ISMEMBER)->batch_max, MK_REST_BATCH_MAX);
    assert_int_equal(mk_rest_endpoint_get(MK_EP_ACTIVITIES)->paging, MK_PAGING_TOKEN);
    assert_int_equal(mk_rest_endpoint_get(MK_EP_PROGRAMS)->paging, MK_PAGING_OFFSET);
}

static void paths_are_filled_in(void **state)
{
    (void)state;
    char buf[64];
    assert_int_equal(mk_rest_endpoint_path(MK_EP_LIST_MEMBERS, "3001", buf, sizeof buf), 0);
    assert_string_equal(buf, "/rest/v1/lists/3001/leads.json");
    assert_int_equal(mk_rest_endpoint_path(MK_EP_LEADS_QUERY, NULL, buf, sizeof buf), 0);
    assert_string_equal(buf, "/rest/v1/leads.json");
    assert_int_equal(mk_rest_endpoint_path(MK_EP_LIST_MEMBERS, NULL, buf, sizeof buf), -1);
    assert_int_equal(mk_rest_endpoint_path(MK_EP_LIST_MEMBERS, "1", buf, 10), -1);
    assert_int_equal(mk_rest_endpoint_path(MK_EP_NONE, "1", buf, sizeof buf), -1);
}

static void requests_are_resolved_from_the_row(void **state)
{
    (void)state;
    mk_rest_req in = {.ep = MK_EP_LEADS_QUERY}, out;
    assert_int_equal(mk_rest_req_resolve(&in, &out), MK_REST_OK);
    assert_int_equal(out.method, MK_REST_GET);
    assert_string_equal(out.path, "/rest/v1/leads.json");
    assert_string_equal(out.path_template, "/rest/v1/leads.json");
    assert_int_equal(out.idempotent, MK_REST_IDEMPOTENT);

    /* A write is not replayed unless the call says it may be. */
    in = (mk_rest_req){.ep = MK_EP_LEADS_SYNC};
    assert_int_equal(mk_rest_req_resolve(&in, &out), MK_REST_OK);
    assert_int_equal(out.method, MK_REST_POST);
    assert_int_equal(out.idempotent, MK_REST_NOT_IDEMPOTENT);
    in.idempotent = MK_REST_IDEMPOTENT;
    assert_int_equal(mk_rest_req_resolve(&in, &out), MK_REST_OK);
    assert_int_equal(out.idempotent, MK_REST_IDEMPOTENT);

    /* A templated endpoint needs the concrete path; the template keys stats. */
    in = (mk_rest_req){.ep = MK_EP_LIST_REMOVE};
    assert_int_equal(mk_rest_req_resolve(&in, &out), MK_REST_ERR_INVALID);
    in.path = "/rest/v1/lists/7/leads.json";
    assert_int_equal(mk_rest_req_resolve(&in, &out), MK_REST_OK);
    assert_int_equal(out.method, MK_REST_DELETE);
    assert_string_equal(out.path_template, "/rest/v1/lists/{listId}/leads.json");
    assert_int_equal(out.idempotent, MK_REST_IDEMPOTENT);

    /* Without an endpoint the request is left as it is. */
    in = (mk_rest_req){.method = MK_REST_POST, .path = "/rest/v1/x.json"};
    assert_int_equal(mk_rest_req_resolve(&in, &out), MK_REST_OK);
    assert_int_equal(out.method, MK_REST_POST);
    assert_null(out.path_template);
    assert_int_equal(out.idempotent, MK_REST_IDEMPOTENT_AUTO);

    in = (mk_rest_req){.ep = MK_EP_COUNT};
    assert_int_equal(mk_rest_req_resolve(&in, &out), MK_REST_ERR_INVALID);
}

/* mk_obj_query sends a compound-key query (POST ?_method=GET) on the POST
 * row of the query's path template; each paged object query must have one,
 * and it must stay unreplayed, as that query was before it named a row. */
static void object_queries_have_a_post_row(void **state)
{
    (void)state;
    static const mk_rest_ep queries[] = {MK_EP_CUSTOM_OBJECTS_QUERY, MK_EP_OPPORTUNITIES_QUERY,
                                         MK_EP_OPPORTUNITY_ROLES_QUERY};
    for (size_t i = 0; i < sizeof queries / sizeof queries[0]; i++) {
        const mk_rest_endpoint *get = mk_rest_endpoint_get(queries[i]);
        assert_non_null(get);
        assert_int_equal(get->method, MK_REST_GET);
        const mk_rest_endpoint *post = mk_rest_endpoint_find(MK_REST_POST, get->path);
        assert_non_null(post);
        assert_int_equal(post->idempotent, MK_REST_NOT_IDEMPOTENT);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(every_rest_call_is_catalogued_and_every_row_used),
        cmocka_unit_test(rows_are_in_enum_order_and_distinct),
        cmocka_unit_test(paths_are_filled_in),
        cmocka_unit_test(requests_are_resolved_from_the_row),
        cmocka_unit_test(object_queries_have_a_post_row),
    };
    return ts_run_tests(tests, NULL, NULL);
}
