/*
 * famtest.h — what the endpoint-family tests of marketo-emulator share
 * (test_emu_lists.c, _campaigns, _objects, _customobjects, _bulk, _assets):
 * one emulator per test group started on a free port without rate limits,
 * a fresh seed before every test (/_emulator/reset, which also drops tokens),
 * and short ways to call it and check Marketo envelopes.
 *
 * Built on emu_testutil.h (the fixture, emu_get, emu_str, emu_reset…);
 * what is here is the families' own way of checking answers.  Header-only
 * (static functions) so each test program stays one source file; marked
 * unused because no test program needs all of them.
 */
#ifndef FAMTEST_H
#define FAMTEST_H

#include "emu_testutil.h"

#define FT_UNUSED __attribute__((unused))

/* A family test group's emulator: emu_testutil.h's fixture. */
typedef emu_fixture ft_ctx;

/* Start the emulator with the limits off (these tests are about endpoint
 * behaviour, and make many calls) plus `extra` options. */
FT_UNUSED static int ft_start(void **state, const char *const extra[])
{
    ft_ctx *c = calloc(1, sizeof *c);
    const char *argv[32];
    int n = 0;
    argv[n++] = "--rate-limit";
    argv[n++] = "off";
    argv[n++] = "--daily-quota";
    argv[n++] = "off";
    argv[n++] = "--concurrency";
    argv[n++] = "off";
    for (int i = 0; extra && extra[i] && n < 31; i++)
        argv[n++] = extra[i];
    argv[n] = NULL;
    if (!c || emu_fixture_start(c, argv) != 0) {
        if (c && c->proc.pid > 0)
            emu_fixture_stop(c);
        free(c);
        return -1;
    }
    *state = c;
    return 0;
}

FT_UNUSED static int ft_setup(void **state) { return ft_start(state, NULL); }

FT_UNUSED static int ft_teardown(void **state)
{
    ft_ctx *c = *state;
    if (!c)
        return 0;
    int rc = emu_fixture_stop(c);
    free(c);
    /* Exit status 0 means a clean shutdown (and, under ASan, no leaks). */
    return rc == 0 ? 0 : -1;
}

/* Any request: method, path+query, content type (NULL: none), body; the
 * HTTP status in *status. */
FT_UNUSED static cJSON *ft_call(ft_ctx *c, const char *method, const char *path, const char *ctype,
                                const char *body, size_t len, long *status)
{
    cJSON *j = NULL;
    long st = emu_raw(c, method, path, ctype, body, len, &j);
    assert_int_not_equal(st, 0); /* the emulator answered */
    if (status)
        *status = st;
    return j;
}

/* POST/DELETE a JSON body; expects HTTP 200 and a JSON answer. */
FT_UNUSED static cJSON *ft_send(ft_ctx *c, const char *method, const char *path, const char *json)
{
    long st = 0;
    cJSON *j = ft_call(c, method, path, json ? "application/json" : NULL, json,
                       json ? strlen(json) : 0, &st);
    assert_int_equal(st, 200);
    assert_non_null(j);
    return j;
}

FT_UNUSED static cJSON *ft_post(ft_ctx *c, const char *path, const char *json)
{
    return ft_send(c, "POST", path, json);
}

/* success:true; returns `result` (may be NULL when absent). */
FT_UNUSED static cJSON *ft_ok(const cJSON *j)
{
    const cJSON *s = cJSON_GetObjectItemCaseSensitive(j, "success");
    if (!cJSON_IsTrue(s)) {
        char *txt = cJSON_PrintUnformatted(j);
        fprintf(stderr, "expected success, got %s\n", txt ? txt : "?");
        free(txt);
    }
    assert_true(cJSON_IsTrue(s));
    return cJSON_GetObjectItemCaseSensitive(j, "result");
}

FT_UNUSED static int ft_count(const cJSON *result) { return cJSON_GetArraySize(result); }

FT_UNUSED static int64_t ft_int(const cJSON *o, const char *name)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, name);
    assert_true(cJSON_IsNumber(v));
    return (int64_t)v->valuedouble;
}

/* Record i of result: its status, and the first reason's code when skipped. */
FT_UNUSED static void ft_expect_item(const cJSON *result, int i, const char *status, const char *code)
{
    const cJSON *it = cJSON_GetArrayItem(result, i);
    assert_non_null(it);
    assert_non_null(emu_str(it, "status"));
    assert_string_equal(emu_str(it, "status"), status);
    if (code) {
        const cJSON *r = cJSON_GetArrayItem(cJSON_GetObjectItemCaseSensitive(it, "reasons"), 0);
        assert_non_null(emu_str(r, "code"));
        assert_string_equal(emu_str(r, "code"), code);
        assert_non_null(emu_str(r, "message"));
    } else {
        assert_null(cJSON_GetObjectItemCaseSensitive(it, "reasons"));
    }
}

/* The Asset API's "nothing found": success, no result, the warning. */
FT_UNUSED static void ft_expect_no_assets(cJSON *j)
{
    assert_null(ft_ok(j));
    const cJSON *w = cJSON_GetArrayItem(cJSON_GetObjectItemCaseSensitive(j, "warnings"), 0);
    assert_true(cJSON_IsString(w));
    assert_string_equal(w->valuestring, "No assets found for the given search criteria.");
    cJSON_Delete(j);
}

/* A POST endpoint that takes a JSON object answers malformed bodies with
 * the documented codes, never a crash: 609 for JSON that does not parse
 * (truncated, trailing garbage, binary bytes) or is not an object, 612 for
 * a body of another content type. */
FT_UNUSED static void ft_expect_bad_bodies(ft_ctx *c, const char *path)
{
    static const char *const not_json[] = {"{\"input\":[{\"id\":1},", "{\"input\":[]}}}", "not json"};
    static const char *const not_objects[] = {"[1,2,3]", "[{}]", "null", "\"just a string\"", "7"};
    static const char *const other_types[] = {"text/plain", "text/csv", "text/xml"};
    long st;
    for (size_t i = 0; i < sizeof not_json / sizeof *not_json; i++)
        emu_expect_error(ft_call(c, "POST", path, "application/json", not_json[i],
                                strlen(not_json[i]), &st),
                        "609");
    char garbage[512];
    for (size_t i = 0; i < sizeof garbage; i++)
        garbage[i] = (char)(0xff - i * 37);
    emu_expect_error(ft_call(c, "POST", path, "application/json", garbage, sizeof garbage, &st),
                    "609");
    for (size_t i = 0; i < sizeof not_objects / sizeof *not_objects; i++)
        emu_expect_error(ft_post(c, path, not_objects[i]), "609");
    for (size_t i = 0; i < sizeof other_types / sizeof *other_types; i++)
        emu_expect_error(ft_call(c, "POST", path, other_types[i], "input=1", 7, &st), "612");
}

/* nextPageToken of a response, copied (NULL when absent). */
FT_UNUSED static char *ft_token(const cJSON *j)
{
    const char *t = emu_str(j, "nextPageToken");
    return t ? strdup(t) : NULL;
}

/* Activities of `type` logged after the test's start mark: pages through
 * activities.json from a paging token taken before the writes, as a client
 * would, and returns all matching items (caller frees). */
FT_UNUSED static char *ft_activity_mark(ft_ctx *c)
{
    cJSON *j = emu_get(c, "/rest/v1/activities/pagingtoken.json?sinceDatetime=2000-01-01T00:00:00Z");
    ft_ok(j);
    char *t = ft_token(j);
    cJSON_Delete(j);
    assert_non_null(t);
    /* Walk to the end, so the mark is "now". */
    for (int guard = 0; guard < 1000; guard++) {
        j = emu_get(c, "/rest/v1/activities.json?activityTypeIds=1,2,6,12,13&nextPageToken=%s", t);
        ft_ok(j);
        free(t);
        t = ft_token(j);
        bool more = cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(j, "moreResult"));
        cJSON_Delete(j);
        assert_non_null(t);
        if (!more)
            break;
    }
    return t;
}

FT_UNUSED static cJSON *ft_activities_since(ft_ctx *c, const char *mark, const char *type_ids)
{
    cJSON *all = cJSON_CreateArray();
    char *t = strdup(mark);
    for (int guard = 0; guard < 1000; guard++) {
        cJSON *j = emu_get(c, "/rest/v1/activities.json?activityTypeIds=%s&nextPageToken=%s",
                          type_ids, t);
        cJSON *res = ft_ok(j);
        cJSON *it;
        cJSON_ArrayForEach(it, res) cJSON_AddItemToArray(all, cJSON_Duplicate(it, 1));
        free(t);
        t = ft_token(j);
        bool more = cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(j, "moreResult"));
        cJSON_Delete(j);
        if (!more || !t)
            break;
    }
    free(t);
    return all;
}

#endif
