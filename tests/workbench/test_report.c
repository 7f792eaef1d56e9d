/*
 * test_report.c — the usage log and `mktows-shim report`, end to end: three
 * SOAP users send known mixes of operations through a real shim (faults,
 * calls that cost no REST call, a burst of syncLeads the shim coalesces),
 * then the report's JSON is checked number by number against what was sent,
 * against the X-Mktows-Rest-Calls headers and against the emulator's own
 * counters (GET /_emulator/stats); the Markdown and HTML forms must carry
 * the same numbers.  Then log rotation: the log is moved, SIGHUP, the next
 * line goes to a new file; the old one gzipped and both reported together.
 */
#include <math.h>
#include <pthread.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "soapstack.h"

#define ALPHA "alpha_1", "alpha-key-00000000000000000001"
#define BETA "beta_1", "beta-key-000000000000000000002"
#define GAMMA "gamma_1", "gamma-key-00000000000000000003"
#define BURST 8

static ss_stack stack;
static char *log_path;

static int setup(void **state)
{
    log_path = ts_write_temp(".log", "");
    char *config = ts_fmt("{\"usage_log\": \"%s\", \"coalesce\": {\"wait_ms\": 150}}", log_path);
    ss_options o = {.users = {{ALPHA}, {BETA}, {GAMMA}}, .config = config,
                    .warmup = SS_GET_LEAD_1};
    *state = &stack;
    int rc = ss_start(&stack, &o);
    free(config);
    return rc;
}

static int teardown(void **state)
{
    int rc = ss_group_teardown(state);
    char *other = ts_fmt("%s.1", log_path);
    char *gz = ts_fmt("%s.1.gz", log_path);
    unlink(other);
    unlink(gz);
    unlink(log_path);
    free(other);
    free(gz);
    free(log_path);
    return rc;
}

/* ---- what is sent ---------------------------------------------------------------------- */

static char *get_lead(const char *type, const char *value)
{
    return ts_fmt("<ns1:paramsGetLead><leadKey><keyType>%s</keyType><keyValue>%s</keyValue>"
                  "</leadKey></ns1:paramsGetLead>", type, value);
}

static char *sync_lead(const char *email)
{
    return ts_fmt("<ns1:paramsSyncLead><leadRecord><Email>%s</Email><leadAttributeList>"
                  "<attribute><attrName>FirstName</attrName><attrValue>Report</attrValue>"
                  "</attribute></leadAttributeList></leadRecord><returnLead>false</returnLead>"
                  "</ns1:paramsSyncLead>", email);
}

static const char get_multiple[] =
    "<ns1:paramsGetMultipleLeads><leadSelector xsi:type=\"ns1:LeadKeySelector\">"
    "<keyType>EMAIL</keyType><keyValues><stringItem>jdoe@example.com</stringItem></keyValues>"
    "</leadSelector><batchSize>10</batchSize></ns1:paramsGetMultipleLeads>";

/* REST calls the headers announced, per user x operation, for the checks. */
typedef struct sent {
    const char *user, *op;
    int calls, faults, header_calls;
} sent;

static sent mix[8];
static int nmix;

static sent *row_of(const char *user, const char *op)
{
    for (int i = 0; i < nmix; i++)
        if (!strcmp(mix[i].user, user) && !strcmp(mix[i].op, op))
            return &mix[i];
    mix[nmix] = (sent){user, op, 0, 0, 0};
    return &mix[nmix++];
}

static void send_as(const char *user, const char *key, const char *op, char *body, int fault)
{
    ts_http_resp r;
    ss_post_as(&stack, user, key, NULL, body, &r);
    if (fault)
        ss_expect_fault(&r, fault);
    else
        assert_int_equal(r.status, 200);
    ts_http_free(&r);
    free(body);
    sent *s = row_of(user, op);
    s->calls++;
    s->faults += fault != 0;
    s->header_calls += stack.rest_calls;
}

typedef struct burst_arg {
    pthread_barrier_t *gate;
    int k;
    long status;
} burst_arg;

static void *burst_thread(void *arg)
{
    burst_arg *a = arg;
    char email[64], ts[40];
    snprintf(email, sizeof email, "report-burst-%d@example.com", a->k);
    char *body = sync_lead(email);
    ss_timestamp(ts, sizeof ts, 0);
    char *xml = ss_envelope("beta_1", "beta-key-000000000000000000002", ts, NULL, body);
    char *url = ts_fmt("%s/soap/mktows/3_1", stack.shim.url);
    const char *hdrs[] = {"Content-Type: text/xml;charset=UTF-8", "SOAPAction: \"\"", NULL};
    ts_http_resp r = {0};
    pthread_barrier_wait(a->gate);
    a->status = ts_http("POST", url, hdrs, xml, strlen(xml), &r) == 0 ? r.status : -1;
    ts_http_free(&r);
    free(url);
    free(xml);
    free(body);
    return NULL;
}

/* REST calls the emulator counted (identity calls are free in Marketo's count). */
static long emulator_rest_calls(void)
{
    cJSON *st = ts_get_json(stack.emu.url, "/_emulator/stats");
    assert_non_null(st);
    long n = 0;
    cJSON *c;
    cJSON_ArrayForEach(c, cJSON_GetObjectItem(st, "calls"))
        if (!strstr(c->string, "/oauth/token")) {
            n += (long)c->valuedouble;
            if (c->valuedouble)
                print_message("  emulator counted %s: %.0f\n", c->string, c->valuedouble);
        }
    cJSON_Delete(st);
    return n;
}

static int lines_in(const char *path)
{
    char *text = ts_read_file(path);
    assert_non_null(text);
    int n = ts_count(text, "\n");
    free(text);
    return n;
}

/* ---- the report ------------------------------------------------------------------------- */

static char *run_report(const char *format, const char *files)
{
    char *cmd = ts_fmt("'%s' report --format %s %s", ts_env("MKTOWS_SHIM"), format, files);
    FILE *p = popen(cmd, "r");
    assert_non_null(p);
    ts_buf b = {0};
    char chunk[4096];
    size_t n;
    while ((n = fread(chunk, 1, sizeof chunk, p)) > 0)
        ts_buf_add(&b, "%.*s", (int)n, chunk);
    assert_int_equal(pclose(p), 0);
    free(cmd);
    assert_non_null(b.s);
    return b.s;
}

static double num(const cJSON *o, const char *k)
{
    const cJSON *v = cJSON_GetObjectItem(o, k);
    if (!cJSON_IsNumber(v))
        fail_msg("no number '%s'", k);
    return v->valuedouble;
}

static const cJSON *find_named(const cJSON *arr, const char *key, const char *name)
{
    const cJSON *x;
    cJSON_ArrayForEach(x, arr)
    {
        const cJSON *n = cJSON_GetObjectItem(x, key);
        if (cJSON_IsString(n) && !strcmp(n->valuestring, name))
            return x;
    }
    fail_msg("no %s '%s' in the report", key, name);
    return NULL;
}

static void test_report_numbers(void **state)
{
    (void)state;
    /* the warm-up of setup is not part of the mix */
    assert_int_equal(truncate(log_path, 0), 0);
    long rest_before = emulator_rest_calls();

    for (int i = 0; i < 5; i++)
        send_as(ALPHA, "getLead", get_lead("IDNUM", "1"), 0);
    for (int i = 0; i < 2; i++)
        send_as(ALPHA, "getLead", get_lead("IDNUM", "999999"), 20103);
    for (int i = 0; i < 3; i++) {
        char email[64];
        snprintf(email, sizeof email, "report-alpha-%d@example.com", i);
        send_as(ALPHA, "syncLead", sync_lead(email), 0);
    }
    /* beta: a burst of syncLeads the coalescer shares, and calls that cost nothing */
    pthread_barrier_t gate;
    pthread_barrier_init(&gate, NULL, BURST);
    pthread_t t[BURST];
    burst_arg a[BURST];
    for (int i = 0; i < BURST; i++) {
        a[i] = (burst_arg){&gate, i, 0};
        pthread_create(&t[i], NULL, burst_thread, &a[i]);
    }
    for (int i = 0; i < BURST; i++) {
        pthread_join(t[i], NULL);
        assert_int_equal(a[i].status, 200);
    }
    pthread_barrier_destroy(&gate);
    for (int i = 0; i < 2; i++)
        send_as(BETA, "listMObjects", strdup("<ns1:paramsListMObjects/>"), 0);
    for (int i = 0; i < 3; i++)
        send_as(GAMMA, "getMultipleLeads", strdup(get_multiple), 0);
    send_as(GAMMA, "getLead", get_lead("LEADOWNEREMAIL", "x@example.com"), 20102);

    long rest_spent = emulator_rest_calls() - rest_before;
    const int total = 5 + 2 + 3 + BURST + 2 + 3 + 1;
    assert_int_equal(lines_in(log_path), total);
    ss_assert_usage_log_honest(log_path);

    char *text = run_report("json", log_path);
    cJSON *rep = cJSON_Parse(text);
    assert_non_null(rep);
    free(text);

    const cJSON *tot = cJSON_GetObjectItem(rep, "totals");
    assert_int_equal((long)num(tot, "calls"), total);
    assert_int_equal((long)num(tot, "faults"), 3);
    const cJSON *fbc = cJSON_GetObjectItem(tot, "faults_by_code");
    assert_int_equal((long)num(fbc, "20103"), 2);
    assert_int_equal((long)num(fbc, "20102"), 1);
    /* the sums are what Marketo counted: shared calls split 1/k */
    print_message("REST calls: emulator counted %ld, report says %.2f\n", rest_spent,
                  num(tot, "rest_calls"));
    assert_true(num(tot, "rest_calls") > rest_spent - 0.05 &&
                num(tot, "rest_calls") < rest_spent + 0.05);
    assert_string_equal(cJSON_GetObjectItem(cJSON_GetObjectItem(rep, "quota"), "source")
                            ->valuestring, "Marketo's default");
    assert_int_equal((long)num(cJSON_GetObjectItem(rep, "quota"), "daily"), 50000);

    const cJSON *users = cJSON_GetObjectItem(rep, "users");
    assert_int_equal(cJSON_GetArraySize(users), 3);
    for (int i = 0; i < nmix; i++) {
        const cJSON *u = find_named(users, "user", mix[i].user);
        const cJSON *o = find_named(cJSON_GetObjectItem(u, "operations"), "operation", mix[i].op);
        assert_int_equal((long)num(o, "calls"), mix[i].calls);
        assert_int_equal((long)num(o, "faults"), mix[i].faults);
        /* none of these was shared: the headers' counts are the calls */
        assert_true(num(o, "rest_calls") > mix[i].header_calls - 0.01 &&
                    num(o, "rest_calls") < mix[i].header_calls + 0.01);
    }
    const cJSON *alpha = find_named(users, "user", "alpha_1");
    const cJSON *ag = find_named(cJSON_GetObjectItem(alpha, "operations"), "operation", "getLead");
    assert_int_equal((long)num(ag, "records_in"), 7);
    assert_int_equal((long)num(ag, "records_out"), 5);
    assert_int_equal((long)num(cJSON_GetObjectItem(ag, "faults_by_code"), "20103"), 2);
    assert_int_equal((long)num(cJSON_GetObjectItem(ag, "rest"), "GET /rest/v1/leads.json"), 7);
    const cJSON *beta = find_named(users, "user", "beta_1");
    const cJSON *bs = find_named(cJSON_GetObjectItem(beta, "operations"), "operation", "syncLead");
    assert_int_equal((long)num(bs, "calls"), BURST);
    /* coalesced: fewer REST calls than requests, each shared call counted once */
    double burst_rest = num(bs, "rest_calls");
    print_message("burst of %d syncLeads: %.2f REST calls\n", BURST, burst_rest);
    assert_true(burst_rest < BURST && burst_rest >= 1 - 0.01);
    int headers = 0;
    for (int i = 0; i < nmix; i++)
        headers += mix[i].header_calls;
    assert_true(fabs(num(tot, "rest_calls") - (burst_rest + headers)) < 0.05);

    /* the 20 s peak: every call if the mix took less than 20 s */
    const cJSON *peak = cJSON_GetObjectItem(tot, "peak_20s");
    long peak_calls = (long)num(peak, "calls");
    assert_true(peak_calls >= BURST && peak_calls <= total);
    long per_day = 0;
    const cJSON *d;
    cJSON_ArrayForEach(d, cJSON_GetObjectItem(tot, "days"))
        per_day += (long)num(d, "calls");
    assert_int_equal(per_day, total);

    /* the plan: one row per user x operation, best first, score as documented */
    const cJSON *plan = cJSON_GetObjectItem(rep, "plan");
    assert_int_equal(cJSON_GetArraySize(plan), nmix + 1);
    double prev = 1e300;
    const cJSON *p;
    cJSON_ArrayForEach(p, plan)
    {
        double score = num(p, "score");
        assert_true(score <= prev + 1e-9);
        prev = score;
        double want = num(p, "rest_calls_per_day") * (1 + num(p, "fault_rate"));
        assert_true(score > want - 0.02 && score < want + 0.02);
        char *link = ts_fmt("MIGRATION.md#%s", cJSON_GetObjectItem(p, "operation")->valuestring);
        for (char *c = strchr(link, '#'); *c; c++)
            if (*c >= 'A' && *c <= 'Z')
                *c = (char)(*c - 'A' + 'a');
        assert_string_equal(cJSON_GetObjectItem(p, "migration")->valuestring, link);
        free(link);
    }
    /* the operations nobody called */
    const cJSON *unused = cJSON_GetObjectItem(rep, "unused_operations");
    assert_int_equal(cJSON_GetArraySize(unused), 23 - 4);
    const cJSON *u;
    cJSON_ArrayForEach(u, unused)
    {
        assert_string_not_equal(u->valuestring, "getLead");
        assert_string_not_equal(u->valuestring, "syncLead");
    }

    /* Markdown and HTML: the same numbers, row by row */
    char *md = run_report("md", log_path), *html = run_report("html", log_path);
    const cJSON *ux;
    cJSON_ArrayForEach(ux, users)
    {
        const char *uname = cJSON_GetObjectItem(ux, "user")->valuestring;
        const cJSON *o;
        cJSON_ArrayForEach(o, cJSON_GetObjectItem(ux, "operations"))
        {
            const char *op = cJSON_GetObjectItem(o, "operation")->valuestring;
            char *mrow = ts_fmt("| %s | %s | %ld | %ld |", uname, op, (long)num(o, "calls"),
                                (long)num(o, "faults"));
            char *hrow = ts_fmt("<td>%s</td><td>%s</td><td>%ld</td><td>%ld</td>", uname, op,
                                (long)num(o, "calls"), (long)num(o, "faults"));
            char *rest = ts_fmt(" %.2f |", num(o, "rest_calls"));
            char *hrest = ts_fmt("<td>%.2f</td>", num(o, "rest_calls"));
            const char *m = strstr(md, mrow), *h = strstr(html, hrow);
            if (!m || !h)
                fail_msg("row %s / %s missing:\n%s", uname, op, m ? html : md);
            assert_non_null(strstr(m, rest));
            assert_non_null(strstr(h, hrest));
            free(mrow);
            free(hrow);
            free(rest);
            free(hrest);
        }
    }
    char *all = ts_fmt("All users: %d SOAP calls, 3 faults, %.2f REST calls", total,
                       num(tot, "rest_calls"));
    assert_non_null(strstr(md, all));
    assert_non_null(strstr(html, all));
    assert_true(ts_count(html, "<svg") == 2 && ts_count(html, "<rect") >= 3);
    assert_null(strstr(html, "<script"));
    free(all);
    free(md);
    free(html);
    cJSON_Delete(rep);
}

/* logrotate's way: move the file, SIGHUP, the next line goes to a new one;
 * the moved file gzipped and both reported on together. */
static void test_rotation(void **state)
{
    (void)state;
    int before = lines_in(log_path);
    assert_true(before > 0);
    char *moved = ts_fmt("%s.1", log_path);
    assert_int_equal(rename(log_path, moved), 0);
    assert_int_equal(kill(stack.shim.pid, SIGHUP), 0);
    for (int i = 0; i < 100 && access(log_path, F_OK) != 0; i++)
        ts_sleep_ms(20);
    send_as(ALPHA, "getLead", get_lead("IDNUM", "1"), 0);
    assert_int_equal(lines_in(log_path), 1);
    assert_int_equal(lines_in(moved), before);

    char *cmd = ts_fmt("gzip -f '%s'", moved);
    assert_int_equal(system(cmd), 0);
    char *files = ts_fmt("'%s.gz' '%s'", moved, log_path);
    char *text = run_report("json", files);
    cJSON *rep = cJSON_Parse(text);
    assert_non_null(rep);
    assert_int_equal((long)num(cJSON_GetObjectItem(rep, "totals"), "calls"), before + 1);
    assert_int_equal((long)num(rep, "late_lines"), 0);
    cJSON_Delete(rep);
    free(text);
    free(files);
    free(cmd);
    free(moved);
}

/* A configuration the shim refuses to start with. */
static void expect_refused(const char *extra)
{
    char *cfg = ss_config_text(&stack, extra);
    char *path = ts_write_temp(".json", cfg);
    const char *argv[] = {ts_env("MKTOWS_SHIM"), "--config", path, NULL};
    ts_proc p;
    assert_int_not_equal(ts_proc_start(&p, argv), 0);
    unlink(path);
    free(path);
    free(cfg);
}

static void test_bad_configuration(void **state)
{
    (void)state;
    expect_refused("{\"usage_log\": \"/nonexistent-directory/usage.log\"}");
    expect_refused("{\"usage_log\": 5}");
    expect_refused("{\"soap_users\": {\"alpha_1\": {\"encryption_key\": \"k\", "
                   "\"trace\": \"yes\"}}}");
}

int main(void)
{
    /* This test reads a usage log of its own, which mk_rest_honesty's
     * MKTOWS_USAGE_LOG would move; the log is checked here instead. */
    unsetenv("MKTOWS_USAGE_LOG");
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_report_numbers),
        cmocka_unit_test(test_rotation),
        cmocka_unit_test(test_bad_configuration),
    };
    return ts_run_tests(tests, setup, teardown);
}
