/*
 * test_emu_bulk.c — bulk lead import of marketo-emulator over real HTTP:
 * multipart upload in csv/tsv/ssv with quoting, the Queued → Importing →
 * Complete progression and its counters, the failures/warnings files, the
 * leads it really upserts and the list it fills (with their activities),
 * lookupField=id, the queue limits 1016/1019, and bad uploads.
 *
 * The emulator runs with MKTOWS_EMU_IMPORT_STEP_MS=200 so a whole import
 * completes in about 0.4 s; the limits test starts a second emulator with a
 * one-minute step so its imports stay queued.
 */
#include "famtest.h"

#include <time.h>
#include <unistd.h>

#define BOUNDARY "----famtestBoundary7MA4YWxkTrZu0gW"

/* POST /bulk/v1/leads.json?<query> with `file` as the multipart part "file"
 * (or under another part name). */
static cJSON *upload(ft_ctx *c, const char *query, const char *part, const char *file, size_t len)
{
    size_t cap = len + 1024;
    char *body = malloc(cap);
    int n = snprintf(body, cap,
                     "--" BOUNDARY "\r\nContent-Disposition: form-data; name=\"%s\"; "
                     "filename=\"leads.csv\"\r\nContent-Type: text/csv\r\n\r\n",
                     part);
    memcpy(body + n, file, len);
    size_t off = (size_t)n + len;
    off += (size_t)snprintf(body + off, cap - off, "\r\n--" BOUNDARY "--\r\n");
    char path[512];
    snprintf(path, sizeof path, "/bulk/v1/leads.json?%s", query);
    long st = 0;
    cJSON *j = ft_call(c, "POST", path, "multipart/form-data; boundary=" BOUNDARY, body, off, &st);
    free(body);
    assert_int_equal(st, 200);
    assert_non_null(j);
    return j;
}

static cJSON *upload_csv(ft_ctx *c, const char *query, const char *file)
{
    return upload(c, query, "file", file, strlen(file));
}

static int64_t batch_of(cJSON *j)
{
    const cJSON *r = cJSON_GetArrayItem(ft_ok(j), 0);
    assert_string_equal(emu_str(r, "status"), "Queued");
    int64_t id = ft_int(r, "batchId");
    char idtext[32];
    snprintf(idtext, sizeof idtext, "%lld", (long long)id);
    assert_string_equal(emu_str(r, "importId"), idtext);
    cJSON_Delete(j);
    return id;
}

/* Poll the status until Complete (at most 10 s); returns the last status
 * record (caller frees the envelope through *env) and which states were seen. */
static const cJSON *wait_complete(ft_ctx *c, int64_t batch, cJSON **env, bool *saw_queued,
                                  bool *saw_importing)
{
    for (int i = 0; i < 400; i++) {
        cJSON *j = emu_get(c, "/bulk/v1/leads/batch/%lld.json", (long long)batch);
        const cJSON *r = cJSON_GetArrayItem(ft_ok(j), 0);
        const char *st = emu_str(r, "status");
        assert_non_null(st);
        assert_non_null(emu_str(r, "message"));
        if (!strcmp(st, "Queued"))
            *saw_queued = true;
        else if (!strcmp(st, "Importing"))
            *saw_importing = true;
        else if (!strcmp(st, "Complete")) {
            *env = j;
            return r;
        } else
            fail_msg("unexpected status %s", st);
        cJSON_Delete(j);
        usleep(25 * 1000);
    }
    fail_msg("import %lld never completed", (long long)batch);
    return NULL;
}

static char *get_text(ft_ctx *c, const char *fmt, long long id, char **ctype)
{
    char path[256], url[512], auth[512];
    snprintf(path, sizeof path, fmt, id);
    snprintf(url, sizeof url, "%s%s", c->proc.url, path);
    snprintf(auth, sizeof auth, "Authorization: Bearer %s", c->token);
    const char *hdrs[] = {auth, NULL};
    ts_http_resp r;
    assert_int_equal(ts_http("GET", url, hdrs, NULL, 0, &r), 0);
    assert_int_equal(r.status, 200);
    char *body = strdup(r.body);
    if (ctype)
        *ctype = r.content_type ? strdup(r.content_type) : NULL;
    ts_http_free(&r);
    return body;
}

static void test_import_lifecycle(void **state)
{
    ft_ctx *c = *state;
    emu_reset(c);
    char *mark = ft_activity_mark(c);
    cJSON *j = upload_csv(c, "format=csv&listId=3005",
                          "firstName,lastName,email,company\n"
                          "Able,Baker,ablebaker@marketo.com,Marketo\n"
                          "John,Doe,jdoe@example.com,Acme Imported\n"
                          ",,,No Email Inc\n"
                          "Carla,Cruz,ccruz@example.org,\n");
    int64_t batch = batch_of(j);

    bool q = false, imp = false;
    cJSON *env = NULL;
    const cJSON *r = wait_complete(c, batch, &env, &q, &imp);
    assert_true(q);
    assert_int_equal(ft_int(r, "numOfLeadsProcessed"), 3);
    assert_int_equal(ft_int(r, "numOfRowsFailed"), 1);
    assert_int_equal(ft_int(r, "numOfRowsWithWarning"), 0);
    assert_non_null(strstr(emu_str(r, "message"), "completed with errors"));
    cJSON_Delete(env);

    char *ct = NULL;
    char *fail = get_text(c, "/bulk/v1/leads/batch/%lld/failures.json", (long long)batch, &ct);
    assert_non_null(strstr(fail, "firstName,lastName,email,company,Import Failure Reason\n"));
    assert_non_null(strstr(fail, ",,,No Email Inc,"));
    assert_non_null(ct);
    assert_non_null(strstr(ct, "text/csv"));
    free(fail);
    free(ct);
    char *warn = get_text(c, "/bulk/v1/leads/batch/%lld/warnings.json", (long long)batch, NULL);
    assert_string_equal(warn, "firstName,lastName,email,company,Import Warning Reason\n");
    free(warn);

    /* The leads are really there, and in the list. */
    j = emu_get(c, "/rest/v1/leads.json?filterType=email&filterValues=ablebaker@marketo.com"
                  "&fields=firstName,company");
    cJSON *res = ft_ok(j);
    assert_int_equal(ft_count(res), 1);
    int64_t able = ft_int(cJSON_GetArrayItem(res, 0), "id");
    assert_string_equal(emu_str(cJSON_GetArrayItem(res, 0), "company"), "Marketo");
    cJSON_Delete(j);
    j = emu_get(c, "/rest/v1/lead/1.json?fields=company");
    assert_string_equal(emu_str(cJSON_GetArrayItem(ft_ok(j), 0), "company"), "Acme Imported");
    cJSON_Delete(j);
    j = emu_get(c, "/rest/v1/lists/3005/leads.json");
    assert_int_equal(ft_count(ft_ok(j)), 3);
    cJSON_Delete(j);

    cJSON *acts = ft_activities_since(c, mark, "12,24");
    int new_lead = 0, add_list = 0;
    const cJSON *a;
    cJSON_ArrayForEach(a, acts) {
        if (ft_int(a, "activityTypeId") == 12 && ft_int(a, "leadId") == able)
            new_lead++;
        if (ft_int(a, "activityTypeId") == 24 && ft_int(a, "primaryAttributeValueId") == 3005)
            add_list++;
    }
    assert_int_equal(new_lead, 1);
    assert_int_equal(add_list, 3);
    cJSON_Delete(acts);
    free(mark);
}

static void test_formats_and_quoting(void **state)
{
    ft_ctx *c = *state;
    emu_reset(c);
    /* BOM, CRLF, a quoted cell with the delimiter, a doubled quote, a line break. */
    const char csv[] = "\xEF\xBB\xBF" "email,lastName,company\r\n"
                       "q1@example.com,\"O\"\"Brien\",\"Smith, Jones\nand Co\"\r\n";
    int64_t b1 = batch_of(upload(c, "format=csv", "file", csv, sizeof csv - 1));
    int64_t b2 = batch_of(upload_csv(c, "format=tsv", "email\tlastName\tcompany\nq2@example.com\tTab\tA;B\n"));
    int64_t b3 = batch_of(upload_csv(c, "format=SSV", "email;lastName;company\nq3@example.com;Semi;A,B\n"
                                                     "q4@example.com;Extra;X;too;many\n"));
    bool q, i;
    cJSON *env;
    const cJSON *r = wait_complete(c, b1, &env, &q, &i);
    assert_int_equal(ft_int(r, "numOfLeadsProcessed"), 1);
    assert_non_null(strstr(emu_str(r, "message"), "succeeded"));
    cJSON_Delete(env);
    r = wait_complete(c, b2, &env, &q, &i);
    assert_int_equal(ft_int(r, "numOfLeadsProcessed"), 1);
    cJSON_Delete(env);
    r = wait_complete(c, b3, &env, &q, &i);
    assert_int_equal(ft_int(r, "numOfLeadsProcessed"), 2);
    assert_int_equal(ft_int(r, "numOfRowsWithWarning"), 1);
    cJSON_Delete(env);

    char *warn = get_text(c, "/bulk/v1/leads/batch/%lld/warnings.json", (long long)b3, NULL);
    /* Reason in the reason column: the extra cells are not written. */
    assert_non_null(strstr(warn, "q4@example.com;Extra;X;Extra values in row ignored\n"));
    free(warn);

    cJSON *j = emu_get(c, "/rest/v1/leads.json?filterType=email&filterValues=q1@example.com,q2@example.com,q3@example.com"
                         "&fields=email,lastName,company");
    cJSON *res = ft_ok(j);
    assert_int_equal(ft_count(res), 3);
    const cJSON *it;
    cJSON_ArrayForEach(it, res) {
        const char *e = emu_str(it, "email");
        if (!strcmp(e, "q1@example.com")) {
            assert_string_equal(emu_str(it, "lastName"), "O\"Brien");
            assert_string_equal(emu_str(it, "company"), "Smith, Jones\nand Co");
        } else if (!strcmp(e, "q2@example.com")) {
            assert_string_equal(emu_str(it, "company"), "A;B");
        } else {
            assert_string_equal(emu_str(it, "company"), "A,B");
        }
    }
    cJSON_Delete(j);
}

static void test_lookup_id_and_unknown_columns(void **state)
{
    ft_ctx *c = *state;
    emu_reset(c);
    int64_t b = batch_of(upload_csv(c, "format=csv&lookupField=id",
                                    "id,title\n1,Chief Importer\n999999,Nobody\n"));
    bool q, i;
    cJSON *env;
    const cJSON *r = wait_complete(c, b, &env, &q, &i);
    assert_int_equal(ft_int(r, "numOfLeadsProcessed"), 1);
    assert_int_equal(ft_int(r, "numOfRowsFailed"), 1); /* id lookup only updates */
    cJSON_Delete(env);
    cJSON *j = emu_get(c, "/rest/v1/lead/1.json?fields=title");
    assert_string_equal(emu_str(cJSON_GetArrayItem(ft_ok(j), 0), "title"), "Chief Importer");
    cJSON_Delete(j);

    /* A header that is not a REST field name fails the rows that use it. */
    b = batch_of(upload_csv(c, "format=csv", "Email Address,First Name\nx@example.com,X\n"));
    r = wait_complete(c, b, &env, &q, &i);
    assert_int_equal(ft_int(r, "numOfLeadsProcessed"), 0);
    assert_int_equal(ft_int(r, "numOfRowsFailed"), 1);
    cJSON_Delete(env);
    char *fail = get_text(c, "/bulk/v1/leads/batch/%lld/failures.json", (long long)b, NULL);
    assert_non_null(strstr(fail, "Email Address,First Name,Import Failure Reason\n"));
    assert_non_null(strstr(fail, "x@example.com,X,"));
    free(fail);
}

static void test_bad_uploads(void **state)
{
    ft_ctx *c = *state;
    emu_reset(c);
    const char *ok = "email\na@example.com\n";
    emu_expect_error(upload_csv(c, "listId=3005", ok), "701");
    emu_expect_error(upload_csv(c, "format=xml", ok), "1003");
    emu_expect_error(upload_csv(c, "format=csv&listId=abc", ok), "1001");
    emu_expect_error(upload_csv(c, "format=csv&listId=9999", ok), "1013");
    emu_expect_error(upload(c, "format=csv", "upload", ok, strlen(ok)), "1002");
    emu_expect_error(upload_csv(c, "format=csv", ""), "1003");
    emu_expect_error(upload_csv(c, "format=csv", "\n\n"), "1003");
    long st;
    /* Not multipart at all, and multipart that never closes. */
    emu_expect_error(ft_call(c, "POST", "/bulk/v1/leads.json?format=csv", "text/csv", ok, strlen(ok), &st),
                    "613");
    const char *broken = "--" BOUNDARY "\r\nContent-Disposition: form-data; name=\"file\"\r\n\r\nemail\n";
    emu_expect_error(ft_call(c, "POST", "/bulk/v1/leads.json?format=csv",
                            "multipart/form-data; boundary=" BOUNDARY, broken, strlen(broken), &st),
                    "613");
    emu_expect_error(ft_call(c, "POST", "/bulk/v1/leads.json?format=csv", "multipart/form-data", ok,
                            strlen(ok), &st),
                    "613");
    /* Binary garbage as the file: rows fail, nothing crashes. */
    char garbage[2048];
    for (size_t i = 0; i < sizeof garbage; i++)
        garbage[i] = (char)((i * 131 + 7) & 0xff);
    cJSON *j = upload(c, "format=csv", "file", garbage, sizeof garbage);
    const cJSON *s = cJSON_GetObjectItemCaseSensitive(j, "success");
    assert_true(cJSON_IsBool(s));
    cJSON_Delete(j);

    emu_expect_error(emu_get(c, "/bulk/v1/leads/batch/424242.json"), "1013");
    emu_expect_error(emu_get(c, "/bulk/v1/leads/batch/424242/failures.json"), "1013");
    emu_expect_error(emu_get(c, "/bulk/v1/leads/batch/abc/warnings.json"), "1001");
}

/* Columns naming the same field (case-insensitively): the first non-empty
 * cell among them is the value.  At most 1000 columns: a header of a
 * million empty names must not cost the emulator gigabytes. */
static void test_columns(void **state)
{
    ft_ctx *c = *state;
    emu_reset(c);
    int64_t b = batch_of(upload_csv(c, "format=csv",
                                    "Email,company,EMAIL,Company,\n"
                                    ",First Co,dup@example.com,Second Co,ignored\n"
                                    "dup2@example.com,,other@example.com,Only Co,\n"));
    bool q, i;
    cJSON *env;
    const cJSON *r = wait_complete(c, b, &env, &q, &i);
    assert_int_equal(ft_int(r, "numOfLeadsProcessed"), 2);
    cJSON_Delete(env);
    cJSON *j = emu_get(c, "/rest/v1/leads.json?filterType=email"
                         "&filterValues=dup@example.com,dup2@example.com,other@example.com"
                         "&fields=email,company");
    cJSON *res = ft_ok(j);
    assert_int_equal(ft_count(res), 2);
    assert_string_equal(emu_str(cJSON_GetArrayItem(res, 0), "email"), "dup@example.com");
    assert_string_equal(emu_str(cJSON_GetArrayItem(res, 0), "company"), "First Co");
    assert_string_equal(emu_str(cJSON_GetArrayItem(res, 1), "email"), "dup2@example.com");
    assert_string_equal(emu_str(cJSON_GetArrayItem(res, 1), "company"), "Only Co");
    cJSON_Delete(j);

    /* 1000 columns are fine; 1001 are refused before anything is imported. */
    size_t cap = 1002 * 8 + 64;
    char *file = malloc(cap);
    size_t n = (size_t)snprintf(file, cap, "email");
    for (int k = 1; k < 1000; k++)
        n += (size_t)snprintf(file + n, cap - n, ",c%d", k);
    snprintf(file + n, cap - n, "\nwide@example.com\n");
    b = batch_of(upload_csv(c, "format=csv", file));
    r = wait_complete(c, b, &env, &q, &i);
    assert_int_equal(ft_int(r, "numOfLeadsProcessed"), 1);
    cJSON_Delete(env);
    snprintf(file + n, cap - n, ",c1000\nwider@example.com\n");
    cJSON *e = upload_csv(c, "format=csv", file);
    const cJSON *e0 = cJSON_GetArrayItem(cJSON_GetObjectItemCaseSensitive(e, "errors"), 0);
    assert_non_null(emu_str(e0, "message"));
    assert_non_null(strstr(emu_str(e0, "message"), "Too many columns"));
    emu_expect_error(e, "1003");
    j = emu_get(c, "/rest/v1/leads.json?filterType=email&filterValues=wider@example.com");
    assert_int_equal(ft_count(ft_ok(j)), 0);
    cJSON_Delete(j);
    free(file);
}

/* Import files may reach 10 MB (other calls stop at 1 MB); beyond is 413. */
static void test_body_limits(void **state)
{
    ft_ctx *c = *state;
    emu_reset(c);
    size_t big = 2 * 1024 * 1024;
    char *file = malloc(11 * 1024 * 1024 + 64);
    size_t n = (size_t)sprintf(file, "email,company\nbig@example.com,");
    memset(file + n, 'x', big);
    file[n + big] = '\n';
    cJSON *j = upload(c, "format=csv", "file", file, n + big + 1);
    ft_ok(j);
    cJSON_Delete(j);

    size_t huge = 10 * 1024 * 1024 + 1;
    memset(file + n, 'x', huge);
    long st = 0;
    cJSON *k = ft_call(c, "POST", "/bulk/v1/leads.json?format=csv",
                       "multipart/form-data; boundary=" BOUNDARY, file, n + huge, &st);
    assert_int_equal(st, 413);
    cJSON_Delete(k);
    free(file);
}

static void test_queue_limits(void **state)
{
    (void)state;
    void *slow = NULL;
    setenv("MKTOWS_EMU_IMPORT_STEP_MS", "60000", 1);
    assert_int_equal(ft_start(&slow, NULL), 0);
    setenv("MKTOWS_EMU_IMPORT_STEP_MS", "200", 1);
    ft_ctx *c = slow;
    const char *ok = "email\nlimit@example.com\n";
    batch_of(upload_csv(c, "format=csv&listId=3005", ok));
    /* The list is being imported to: a second import into it waits. */
    emu_expect_error(upload_csv(c, "format=csv&listId=3005", ok), "1019");
    for (int i = 2; i <= 10; i++)
        batch_of(upload_csv(c, "format=csv", ok));
    emu_expect_error(upload_csv(c, "format=csv", ok), "1016");
    assert_int_equal(ft_teardown(&slow), 0);
}

int main(void)
{
    setenv("MKTOWS_EMU_IMPORT_STEP_MS", "200", 1);
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_import_lifecycle),
        cmocka_unit_test(test_formats_and_quoting),
        cmocka_unit_test(test_lookup_id_and_unknown_columns),
        cmocka_unit_test(test_bad_uploads),
        cmocka_unit_test(test_columns),
        cmocka_unit_test(test_body_limits),
        cmocka_unit_test(test_queue_limits),
    };
    return ts_run_tests(tests, ft_setup, ft_teardown);
}
