/*
 * test_rest_honesty.c — the REST honesty check (tests/support/resthonesty.h)
 * must be able to fail.  A real shim answers a getLead; its
 * X-Mktows-Rest-Calls header and its usage-log line pass against
 * mapping/operations.json, and fail — naming getLead and the call — against
 * copies of the table that lie: getLead without the rest[] entry of the
 * call it makes, and getLead with a calls.max too small.  A truncated
 * header is not judged, and a usage-log line whose calls were not all
 * itemised fails rather than pass.  The wrapper every test runs under
 * (mk_rest_honesty) gives the same verdicts on the same log, and on a
 * command that fails keeps the command's exit status.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cmocka.h>

#include "resthonesty.h"
#include "soapstack.h"

static ss_stack stack;
static char *log_path;

static int setup(void **state)
{
    log_path = ts_write_temp(".log", "");
    char *config = ts_fmt("{\"usage_log\": \"%s\"}", log_path);
    ss_options o = {.config = config};
    *state = &stack;
    int rc = ss_start(&stack, &o);
    free(config);
    return rc;
}

static int teardown(void **state)
{
    int rc = ss_group_teardown(state);
    unlink(log_path);
    free(log_path);
    return rc;
}

static char *table_path(void)
{
    return ts_fmt("%s/mapping/operations.json", ts_env("MKTOWS_SOURCE_DIR"));
}

static cJSON *operation(cJSON *doc, const char *name)
{
    cJSON *o;
    cJSON_ArrayForEach(o, cJSON_GetObjectItem(doc, "operations"))
        if (strcmp(cJSON_GetObjectItem(o, "name")->valuestring, name) == 0)
            return o;
    fail_msg("no %s in operations.json", name);
    return NULL;
}

/* A copy of operations.json with getLead changed: without its rest[] entry
 * for GET path (path not NULL), or with calls.max = max (max >= 0).  The
 * path of the copy (malloc'd; the caller removes it). */
static char *lying_table(const char *path, int max)
{
    char *p = table_path(), *text = ts_read_file(p);
    free(p);
    cJSON *doc = cJSON_Parse(text);
    free(text);
    cJSON *op = operation(doc, "getLead");
    if (path) {
        cJSON *rest = cJSON_GetObjectItem(op, "rest");
        int n = cJSON_GetArraySize(rest), removed = 0;
        for (int i = n - 1; i >= 0; i--)
            if (strcmp(cJSON_GetObjectItem(cJSON_GetArrayItem(rest, i), "path")->valuestring,
                       path) == 0) {
                cJSON_DeleteItemFromArray(rest, i);
                removed++;
            }
        assert_int_equal(removed, 1);
    }
    if (max >= 0)
        cJSON_ReplaceItemInObject(cJSON_GetObjectItem(op, "calls"), "max", cJSON_CreateNumber(max));
    char *out = cJSON_PrintUnformatted(doc);
    cJSON_Delete(doc);
    char *file = ts_write_temp(".json", out);
    free(out);
    return file;
}

static rh_table *load(const char *path)
{
    rh_table *t;
    char err[300];
    if (rh_table_load(path, &t, err, sizeof err) != 0)
        fail_msg("%s", err);
    return t;
}

/* mk_rest_honesty with these arguments; its exit status, its stderr into
 * *err (malloc'd). */
static int honesty_program(const char *args, char **err)
{
    char *errfile = ts_write_temp(".err", "");
    char *cmd = ts_fmt("'%s' %s 2>'%s'", ts_env("MKTOWS_REST_HONESTY"), args, errfile);
    int st = system(cmd);
    free(cmd);
    *err = ts_read_file(errfile);
    unlink(errfile);
    free(errfile);
    assert_true(WIFEXITED(st));
    return WEXITSTATUS(st);
}

static void test_lying_tables_fail(void **state)
{
    ss_stack *s = *state;
    /* A getLead whose REST call is the lead query (the warm-up before it
     * read the field catalogue) */
    free(ss_call(s, SS_GET_LEAD_1));
    free(ss_call(s, SS_GET_LEAD_1));
    char *header = strdup(s->rest_trace);
    assert_non_null(strstr(header, "GET /rest/v1/leads.json"));
    char op[64];
    char *envelope = ss_envelope(SS_USER, SS_KEY, "2026-01-01T00:00:00+00:00", NULL,
                                 SS_GET_LEAD_1);
    assert_int_equal(rh_operation_of(envelope, op, sizeof op), 0);
    assert_string_equal(op, "getLead");
    free(envelope);

    char why[2048], *p = table_path();
    rh_table *truth = load(p);
    assert_int_equal(rh_check_header(truth, "getLead", header, why, sizeof why), 0);
    int lines = 0;
    assert_int_equal(rh_check_usage_log(truth, log_path, why, sizeof why, &lines), 0);
    assert_int_equal(lines, 2);

    /* getLead without the entry of the call it makes */
    char *no_entry = lying_table("/rest/v1/leads.json", -1);
    rh_table *t = load(no_entry);
    assert_int_equal(rh_check_header(t, "getLead", header, why, sizeof why), -1);
    assert_non_null(strstr(why, "getLead: GET /rest/v1/leads.json is not among its rest[]"));
    assert_int_equal(rh_check_usage_log(t, log_path, why, sizeof why, &lines), 2);
    assert_non_null(strstr(why, "getLead: GET /rest/v1/leads.json is not among its rest[]"));
    rh_table_free(t);

    /* getLead allowed no call at all */
    char *no_calls = lying_table(NULL, 0);
    t = load(no_calls);
    assert_int_equal(rh_check_header(t, "getLead", header, why, sizeof why), -1);
    assert_non_null(strstr(why, "getLead: 1 REST calls (GET /rest/v1/leads.json x1), more than "
                                "its calls.max 0"));
    assert_int_equal(rh_check_usage_log(t, log_path, why, sizeof why, &lines), 2);
    assert_non_null(strstr(why, "more than its calls.max 0"));
    rh_table_free(t);

    /* The same verdicts from the program every test runs under. */
    char *err, *args = ts_fmt("--table '%s' check '%s'", p, log_path);
    assert_int_equal(honesty_program(args, &err), 0);
    free(args);
    free(err);
    args = ts_fmt("--table '%s' check '%s'", no_entry, log_path);
    assert_int_equal(honesty_program(args, &err), 1);
    assert_non_null(strstr(err, "2 of 2 SOAP requests"));
    assert_non_null(strstr(err, "getLead: GET /rest/v1/leads.json is not among its rest[]"));
    free(args);
    free(err);
    /* run: the command's usage log (here the shim's lines, copied) is judged
     * after it; a failing command keeps its own status */
    args = ts_fmt("--table '%s' run -- sh -c 'cat \"%s\" >> \"$MKTOWS_USAGE_LOG\"'", no_calls,
                  log_path);
    assert_int_equal(honesty_program(args, &err), 1);
    assert_non_null(strstr(err, "more than its calls.max 0"));
    free(args);
    free(err);
    args = ts_fmt("--table '%s' run -- sh -c 'cat \"%s\" >> \"$MKTOWS_USAGE_LOG\"'", p, log_path);
    assert_int_equal(honesty_program(args, &err), 0);
    free(args);
    free(err);
    args = ts_fmt("--table '%s' run -- sh -c 'exit 3'", p);
    assert_int_equal(honesty_program(args, &err), 3);
    free(args);
    free(err);

    unlink(no_entry);
    unlink(no_calls);
    free(no_entry);
    free(no_calls);
    rh_table_free(truth);
    free(header);
    free(p);
}

static void test_hidden_calls_are_not_passed(void **state)
{
    (void)state;
    char why[1024], *p = table_path();
    rh_table *t = load(p);
    /* a truncated trace cannot be judged from the header ... */
    assert_int_equal(rh_check_header(t, "getLead", "40; GET /rest/v1/leads.json, GET /rest/v...",
                                     why, sizeof why),
                     1);
    /* ... but a complete one with a call not listed, or more sends claimed
     * than the count, fails */
    assert_int_equal(rh_check_header(t, "getLead", "1; GET /rest/v1/lists.json", why, sizeof why),
                     -1);
    assert_non_null(strstr(why, "getLead: GET /rest/v1/lists.json is not among"));
    assert_int_equal(rh_check_header(t, "getLead",
                                     "1; GET /rest/v1/leads.json, GET /rest/v1/leads.json", why,
                                     sizeof why),
                     -1);
    /* a coalesced call is the operation's own call */
    assert_int_equal(rh_check_header(t, "syncLead", "1; POST /rest/v1/leads.json (shared)", why,
                                     sizeof why),
                     0);
    /* the usage log: sends past its last row hide calls, so the line fails */
    char *log = ts_write_temp(".log",
                              "{\"operation\":\"getMultipleLeads\",\"rest\":[{\"method\":\"GET\","
                              "\"path\":\"/rest/v1/lists/{listId}/leads.json\",\"count\":2,"
                              "\"calls\":2,\"code\":0}],\"rest_other\":3}\n"
                              "{\"operation\":null,\"rest\":[{\"method\":\"GET\",\"path\":"
                              "\"/rest/v1/leads.json\",\"count\":1,\"calls\":1,\"code\":0}]}\n"
                              "{\"operation\":\"getLead\",\"rest\":[{\"method\":\"GET\",\"path\":"
                              "\"/rest/v1/leads.json\",\"count\":3,\"calls\":1,\"code\":0}]}\n");
    int lines;
    assert_int_equal(rh_check_usage_log(t, log, why, sizeof why, &lines), 2);
    assert_int_equal(lines, 3);
    assert_non_null(strstr(why, "getMultipleLeads: 3 REST sends not itemised"));
    assert_non_null(strstr(why, "(no operation): GET /rest/v1/leads.json made for an operation"));
    unlink(log);
    free(log);
    rh_table_free(t);
    free(p);
}

int main(void)
{
    /* This test reads a usage log of its own (see mk_rest_honesty). */
    unsetenv("MKTOWS_USAGE_LOG");
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_lying_tables_fail),
        cmocka_unit_test(test_hidden_calls_are_not_passed),
    };
    return ts_run_tests(tests, setup, teardown);
}
