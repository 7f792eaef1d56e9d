/*
 * test_emu_core.c — marketo-emulator's cross-cutting behaviour over real
 * HTTP: identity and tokens (601/602, expiry), the envelope, routing
 * (605/610), every limit (606, 607, 615, 414, 413), content types (612, 609),
 * POST ?_method=GET, bad input, each fault-injection knob, stats, reset and
 * the command line.
 *
 * Tests that need special options start their own emulator; the rest share
 * one started in the group setup.
 */
#include "emu_testutil.h"

#include <pthread.h>
#include <stdatomic.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <regex.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/wait.h>

static emu_fixture g;

static int setup(void **state)
{
    (void)state;
    /* The shared emulator runs without a rate limit: these tests make many
     * calls; test_rate_limit checks the limit on its own emulator. */
    const char *opts[] = {"--rate-limit", "off", NULL};
    return emu_fixture_start(&g, opts);
}

static int teardown(void **state)
{
    (void)state;
    return emu_fixture_stop(&g) == 0 ? 0 : -1;
}

static long identity(emu_fixture *f, const char *method, const char *query, cJSON **out)
{
    char url[600];
    snprintf(url, sizeof url, "%s/identity/oauth/token?%s", f->proc.url, query);
    ts_http_resp r;
    assert_int_equal(ts_http(method, url, NULL, NULL, 0, &r), 0);
    *out = ts_json(&r);
    long st = r.status;
    ts_http_free(&r);
    return st;
}

/* ---- identity and tokens ---------------------------------------------------- */

static void test_identity(void **state)
{
    (void)state;
    cJSON *a, *b;
    assert_int_equal(identity(&g, "GET",
                              "grant_type=client_credentials&client_id=test-id&client_secret=test-secret",
                              &a), 200);
    assert_non_null(emu_str(a, "access_token"));
    assert_string_equal(emu_str(a, "token_type"), "bearer");
    assert_true(emu_num(a, "expires_in") > 3590 && emu_num(a, "expires_in") <= 3600);
    assert_non_null(emu_str(a, "scope"));
    assert_int_equal(cJSON_GetArraySize(a), 4);
    /* Asking again before expiry gives the same token (POST works too). */
    assert_int_equal(identity(&g, "POST",
                              "grant_type=client_credentials&client_id=test-id&client_secret=test-secret",
                              &b), 200);
    assert_string_equal(emu_str(a, "access_token"), emu_str(b, "access_token"));
    assert_true(emu_num(b, "expires_in") <= emu_num(a, "expires_in"));
    cJSON_Delete(a);
    cJSON_Delete(b);

    assert_int_equal(identity(&g, "GET",
                              "grant_type=client_credentials&client_id=test-id&client_secret=wrong",
                              &a), 401);
    assert_string_equal(emu_str(a, "error"), "unauthorized");
    assert_non_null(emu_str(a, "error_description"));
    cJSON_Delete(a);
    assert_int_equal(identity(&g, "GET", "grant_type=client_credentials", &a), 401);
    cJSON_Delete(a);
}

static void test_auth_errors(void **state)
{
    (void)state;
    char *saved = g.token;
    cJSON *j;
    g.token = NULL; /* no header */
    assert_int_equal(emu_raw(&g, "GET", "/rest/v1/lead/1.json", NULL, NULL, 0, &j), 200);
    assert_code(j, "601");
    cJSON_Delete(j);
    g.token = "not-a-token:int";
    assert_int_equal(emu_raw(&g, "GET", "/rest/v1/lead/1.json", NULL, NULL, 0, &j), 200);
    assert_code(j, "601");
    assert_string_equal(emu_err_msg(j), "Access token invalid");
    cJSON_Delete(j);
    /* The access_token query parameter is refused, as Marketo now does. */
    char path[300];
    snprintf(path, sizeof path, "/rest/v1/lead/1.json?access_token=%s", saved);
    g.token = NULL;
    assert_int_equal(emu_raw(&g, "GET", path, NULL, NULL, 0, &j), 200);
    assert_code(j, "601");
    cJSON_Delete(j);
    g.token = saved;
    j = emu_get(&g, "/rest/v1/lead/1.json");
    assert_ok(j);
    cJSON_Delete(j);
}

static void test_token_expiry(void **state)
{
    (void)state;
    emu_fixture f;
    const char *opts[] = {"--token-ttl", "1", NULL};
    assert_int_equal(emu_fixture_start(&f, opts), 0);
    cJSON *j = emu_get(&f, "/rest/v1/lead/1.json");
    assert_ok(j);
    cJSON_Delete(j);
    char *old = strdup(f.token);
    emu_sleep_ms(1300);
    j = emu_get(&f, "/rest/v1/lead/1.json");
    assert_code(j, "602");
    assert_string_equal(emu_err_msg(j), "Access token expired");
    cJSON_Delete(j);
    emu_refresh_token(&f);
    assert_string_not_equal(old, f.token);
    j = emu_get(&f, "/rest/v1/lead/1.json");
    assert_ok(j);
    cJSON_Delete(j);
    free(old);
    /* 601/602 are not counted against the limits. */
    cJSON *s = emu_admin(&f, "GET", "/_emulator/stats", NULL);
    assert_int_equal((int)emu_num(s, "countedCalls"), 2);
    assert_int_equal((int)emu_num(cJSON_GetObjectItem(s, "rejections"), "602"), 1);
    cJSON_Delete(s);
    assert_int_equal(emu_fixture_stop(&f), 0);
}

/* ---- envelope and routing ---------------------------------------------------------- */

static void test_envelope(void **state)
{
    (void)state;
    cJSON *j = emu_get(&g, "/rest/v1/lead/1.json");
    regex_t re;
    assert_int_equal(regcomp(&re, "^[0-9a-f]+#[0-9a-f]+$", REG_EXTENDED | REG_NOSUB), 0);
    assert_int_equal(regexec(&re, emu_str(j, "requestId"), 0, NULL, 0), 0);
    regfree(&re);
    assert_true(cJSON_IsTrue(cJSON_GetObjectItem(j, "success")));
    assert_true(cJSON_IsArray(emu_result(j)));
    assert_null(cJSON_GetObjectItem(j, "errors"));
    cJSON_Delete(j);
    j = emu_get(&g, "/rest/v1/nothing/here.json");
    assert_code(j, "610");
    assert_null(emu_result(j));
    assert_string_equal(emu_str(cJSON_GetArrayItem(cJSON_GetObjectItem(j, "errors"), 0), "message"),
                        "Requested resource not found");
    cJSON_Delete(j);
    cJSON *s0 = emu_admin(&g, "GET", "/_emulator/stats", NULL);
    assert_int_equal(emu_raw(&g, "DELETE", "/rest/v1/leads.json", NULL, NULL, 0, &j), 200);
    assert_code(j, "605");
    cJSON_Delete(j);
    assert_int_equal(emu_raw(&g, "GET", "/rest/v1/leads/delete.json", NULL, NULL, 0, &j), 200);
    assert_code(j, "605");
    cJSON_Delete(j);
    cJSON *s1 = emu_admin(&g, "GET", "/_emulator/stats", NULL);
    /* 605 is not counted. */
    assert_int_equal(emu_num(s0, "countedCalls"), emu_num(s1, "countedCalls"));
    cJSON_Delete(s0);
    cJSON_Delete(s1);
}

static void test_method_get_override(void **state)
{
    (void)state;
    cJSON *j;
    const char *form = "filterType=email&filterValues=jdoe%40example.com&fields=email,company";
    assert_int_equal(emu_raw(&g, "POST", "/rest/v1/leads.json?_method=GET",
                             "application/x-www-form-urlencoded", form, strlen(form), &j), 200);
    assert_ok(j);
    assert_int_equal(emu_count(j), 1);
    assert_string_equal(emu_str(emu_item(j, 0), "company"), "Acme Corp");
    cJSON_Delete(j);
}

/* ---- limits ------------------------------------------------------------------------- */

static void test_rate_limit(void **state)
{
    (void)state;
    emu_fixture f;
    const char *opts[] = {"--rate-limit", "5/2", NULL};
    assert_int_equal(emu_fixture_start(&f, opts), 0);
    for (int i = 0; i < 5; i++) {
        cJSON *j = emu_get(&f, "/rest/v1/lead/1.json");
        assert_ok(j);
        cJSON_Delete(j);
    }
    cJSON *j = emu_get(&f, "/rest/v1/lead/1.json");
    assert_code(j, "606");
    assert_string_equal(emu_err_msg(j), "Max rate limit '5' exceeded with in '2' secs");
    cJSON_Delete(j);
    /* Identity calls are never limited. */
    emu_refresh_token(&f);
    emu_sleep_ms(2100);
    j = emu_get(&f, "/rest/v1/lead/1.json");
    assert_ok(j);
    cJSON_Delete(j);
    cJSON *s = emu_admin(&f, "GET", "/_emulator/stats", NULL);
    assert_int_equal((int)emu_num(s, "countedCalls"), 7);
    assert_int_equal((int)emu_num(cJSON_GetObjectItem(s, "rejections"), "606"), 1);
    cJSON_Delete(s);
    assert_int_equal(emu_fixture_stop(&f), 0);

    /* Default is Marketo's 100 per 20 s. */
    const char *none[] = {NULL};
    assert_int_equal(emu_fixture_start(&f, none), 0);
    int refused = 0;
    for (int i = 0; i < 101; i++) {
        j = emu_get(&f, "/rest/v1/leads/partitions.json");
        refused += emu_err(j) != NULL;
        if (i == 100) {
            assert_code(j, "606");
            assert_string_equal(emu_err_msg(j), "Max rate limit '100' exceeded with in '20' secs");
        }
        cJSON_Delete(j);
    }
    assert_int_equal(refused, 1);
    assert_int_equal(emu_fixture_stop(&f), 0);
}

static void test_daily_quota(void **state)
{
    (void)state;
    emu_fixture f;
    const char *opts[] = {"--daily-quota", "3", "--rate-limit", "off", NULL};
    assert_int_equal(emu_fixture_start(&f, opts), 0);
    for (int i = 0; i < 3; i++) {
        cJSON *j = emu_get(&f, "/rest/v1/lead/1.json");
        assert_ok(j);
        cJSON_Delete(j);
    }
    cJSON *j = emu_get(&f, "/rest/v1/lead/1.json");
    assert_code(j, "607");
    assert_string_equal(emu_err_msg(j), "Daily quota reached");
    cJSON_Delete(j);
    assert_int_equal(emu_fixture_stop(&f), 0);
}

typedef struct { emu_fixture *f; cJSON *j; } call_arg;

static void *call_thread(void *p)
{
    call_arg *a = p;
    long st = 0;
    a->j = ts_rest(&a->f->proc, a->f->token, "GET", "/rest/v1/lead/1.json", NULL, &st);
    return NULL;
}

static void test_concurrency(void **state)
{
    (void)state;
    emu_fixture f;
    const char *opts[] = {"--concurrency", "2", NULL};
    assert_int_equal(emu_fixture_start(&f, opts), 0);
    cJSON_Delete(emu_admin(&f, "POST", "/_emulator/faults", "{\"latency_ms\":400}"));
    enum { N = 6 };
    pthread_t t[N];
    call_arg a[N];
    for (int i = 0; i < N; i++) {
        a[i] = (call_arg){&f, NULL};
        pthread_create(&t[i], NULL, call_thread, &a[i]);
    }
    int ok = 0, refused = 0;
    for (int i = 0; i < N; i++) {
        pthread_join(t[i], NULL);
        assert_non_null(a[i].j);
        const char *e = emu_err(a[i].j);
        if (!e)
            ok++;
        else {
            assert_string_equal(e, "615");
            assert_string_equal(emu_err_msg(a[i].j), "Concurrent access limit reached");
            refused++;
        }
        cJSON_Delete(a[i].j);
    }
    assert_true(ok >= 1);
    assert_true(refused >= 1);
    cJSON *s = emu_admin(&f, "GET", "/_emulator/stats", NULL);
    assert_true(emu_num(s, "maxInFlight") >= 3);
    cJSON_Delete(s);
    assert_int_equal(emu_fixture_stop(&f), 0);
}

static void test_uri_and_body_size(void **state)
{
    (void)state;
    size_t n = 9000;
    char *path = malloc(n + 100);
    int k = snprintf(path, n + 100, "/rest/v1/leads.json?filterType=id&filterValues=1");
    while ((size_t)k < n)
        k += snprintf(path + k, n + 100 - (size_t)k, ",1");
    assert_int_equal(emu_raw(&g, "GET", path, NULL, NULL, 0, NULL), 414);
    free(path);

    size_t big = 1024 * 1024 + 10;
    char *body = malloc(big);
    memset(body, ' ', big);
    body[0] = '{';
    body[big - 1] = '}';
    assert_int_equal(emu_raw(&g, "POST", "/rest/v1/leads.json", "application/json", body, big,
                             NULL), 413);
    /* Bulk import may carry up to 10 MB. */
    cJSON *j = NULL;
    long st = emu_raw(&g, "POST", "/bulk/v1/leads.json?format=csv",
                      "multipart/form-data; boundary=xyz", body, big, &j);
    assert_int_not_equal(st, 413);
    cJSON_Delete(j);
    free(body);
    /* The server is still fine. */
    j = emu_get(&g, "/rest/v1/lead/1.json");
    assert_ok(j);
    cJSON_Delete(j);
}

/* The emulator's peak resident memory (VmHWM), in kB. */
static long peak_kb(const emu_fixture *f)
{
    char path[64], line[256];
    snprintf(path, sizeof path, "/proc/%d/status", (int)f->proc.pid);
    FILE *fp = fopen(path, "r");
    long kb = -1;
    while (fp && fgets(line, sizeof line, fp))
        if (!strncmp(line, "VmHWM:", 6))
            kb = atol(line + 6);
    if (fp)
        fclose(fp);
    return kb;
}

/* Only bulk uploads may exceed 1 MB, and they are multipart: a 10 MB body
 * sent there as a form or as JSON is not parsed into parameters or nodes
 * (it cost the emulator hundreds of MB, 40 bytes or more per input byte). */
static void test_big_bodies_not_parsed(void **state)
{
    (void)state;
    size_t big = 8 * 1024 * 1024;
    char *body = malloc(big);
    /* [0,0,…,0] */
    body[0] = '[';
    for (size_t i = 1; i + 1 < big; i += 2) {
        body[i] = '0';
        body[i + 1] = ',';
    }
    body[big - 2] = '0';
    body[big - 1] = ']';
    static const char *const types[] = {"application/json", "application/x-www-form-urlencoded"};
    for (size_t t = 0; t < 2; t++) {
        long before = peak_kb(&g);
        if (t == 1)
            for (size_t i = 0; i < big; i += 2)
                body[i] = 'a', body[i + 1] = '&';
        cJSON *j = NULL;
        long st = emu_raw(&g, "POST", "/bulk/v1/leads.json?format=csv", types[t], body, big, &j);
        assert_int_equal(st, 200);
        assert_non_null(j);
        assert_non_null(emu_err(j));
        cJSON_Delete(j);
        long grew = peak_kb(&g) - before;
        if (grew > 96 * 1024)
            fail_msg("a %zu-byte %s body raised the peak RSS by %ld kB", big, types[t], grew);
    }
    free(body);
    cJSON *j = emu_get(&g, "/rest/v1/lead/1.json");
    assert_ok(j);
    cJSON_Delete(j);
}

static void test_content_type_and_json(void **state)
{
    (void)state;
    cJSON *j;
    const char *good = "{\"input\":[{\"email\":\"ct@example.com\"}]}";
    assert_int_equal(emu_raw(&g, "POST", "/rest/v1/leads.json", "text/plain", good, strlen(good),
                             &j), 200);
    assert_code(j, "612");
    cJSON_Delete(j);
    assert_int_equal(emu_raw(&g, "POST", "/rest/v1/leads.json", "application/x-www-form-urlencoded",
                             "input=1", 7, &j), 200);
    assert_code(j, "612");
    cJSON_Delete(j);
    const char *bad[] = {"{\"input\":[", "not json", "{\"input\":[{\"email\":\"a\"}]}}}", "\"\\u12\""};
    for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
        assert_int_equal(emu_raw(&g, "POST", "/rest/v1/leads.json", "application/json", bad[i],
                                 strlen(bad[i]), &j), 200);
        assert_code(j, "609");
        cJSON_Delete(j);
    }
    /* Garbage bytes, NULs included. */
    unsigned char garbage[4096];
    unsigned x = 12345;
    for (size_t i = 0; i < sizeof garbage; i++)
        garbage[i] = (unsigned char)((x = x * 1103515245u + 12345u) >> 16);
    assert_int_equal(emu_raw(&g, "POST", "/rest/v1/leads.json", "application/json",
                             (const char *)garbage, sizeof garbage, &j), 200);
    assert_code(j, "609");
    cJSON_Delete(j);
    assert_int_equal(emu_raw(&g, "POST", "/rest/v1/leads.json", "application/octet-stream",
                             (const char *)garbage, sizeof garbage, &j), 200);
    assert_code(j, "612");
    cJSON_Delete(j);
    /* Valid JSON of the wrong shape. */
    const char *shapes[] = {"[]", "{\"input\":{}}", "{\"input\":\"x\"}", "{\"input\":[1,2]}",
                            "{\"action\":5,\"input\":[]}", "{}"};
    for (size_t i = 0; i < sizeof shapes / sizeof *shapes; i++) {
        assert_int_equal(emu_raw(&g, "POST", "/rest/v1/leads.json", "application/json", shapes[i],
                                 strlen(shapes[i]), &j), 200);
        assert_non_null(j);
        if (!emu_err(j)) { /* input [1,2]: each record skipped */
            assert_string_equal(emu_str(emu_item(j, 0), "status"), "skipped");
        }
        cJSON_Delete(j);
    }
}

/* Raw bytes straight onto the socket: malformed HTTP must not hurt. */
static void test_garbage_http(void **state)
{
    (void)state;
    const char *payloads[] = {"\x01\x02\x03\xff\xfe garbage\r\n\r\n",
                              "GET /rest/v1/lead/1.json HTTP/9.9\r\nHost: x\r\n\r\n",
                              "POST /rest/v1/leads.json HTTP/1.1\r\nContent-Length: -5\r\n\r\n",
                              "GET /rest/v1/lead/%zz.json HTTP/1.1\r\nHost: x\r\n\r\n",
                              "POST /rest/v1/leads.json HTTP/1.1\r\nHost: x\r\n"
                              "Transfer-Encoding: chunked\r\n\r\nzz\r\n"};
    for (size_t i = 0; i < sizeof payloads / sizeof *payloads; i++) {
        int s = socket(AF_INET, SOCK_STREAM, 0);
        struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = htons((uint16_t)g.proc.port)};
        inet_pton(AF_INET, "127.0.0.1", &a.sin_addr);
        assert_int_equal(connect(s, (struct sockaddr *)&a, sizeof a), 0);
        assert_true(write(s, payloads[i], strlen(payloads[i])) > 0);
        struct timeval tv = {2, 0};
        setsockopt(s, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
        char buf[512];
        (void)!read(s, buf, sizeof buf);
        close(s);
    }
    cJSON *j = emu_get(&g, "/rest/v1/lead/1.json");
    assert_ok(j);
    cJSON_Delete(j);
}

/* ---- faults --------------------------------------------------------------------------- */

static void test_fault_latency(void **state)
{
    (void)state;
    cJSON_Delete(emu_admin(&g, "POST", "/_emulator/faults", "{\"latency_ms\":300}"));
    struct timespec t0, t1;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    cJSON *j = emu_get(&g, "/rest/v1/lead/1.json");
    clock_gettime(CLOCK_MONOTONIC, &t1);
    assert_ok(j);
    cJSON_Delete(j);
    long ms = (t1.tv_sec - t0.tv_sec) * 1000 + (t1.tv_nsec - t0.tv_nsec) / 1000000;
    assert_true(ms >= 290);
    /* The emulator's own endpoints are never delayed or failed. */
    clock_gettime(CLOCK_MONOTONIC, &t0);
    cJSON_Delete(emu_admin(&g, "GET", "/_emulator/stats", NULL));
    clock_gettime(CLOCK_MONOTONIC, &t1);
    ms = (t1.tv_sec - t0.tv_sec) * 1000 + (t1.tv_nsec - t0.tv_nsec) / 1000000;
    assert_true(ms < 250);
    cJSON_Delete(emu_admin(&g, "POST", "/_emulator/faults", "{\"clear\":true}"));
}

static void test_fault_codes(void **state)
{
    (void)state;
    const char *codes[] = {"606", "615", "602", "604", "608", "611"};
    for (size_t i = 0; i < sizeof codes / sizeof *codes; i++) {
        char body[128];
        snprintf(body, sizeof body, "{\"error_code\":\"%s\",\"error_share\":1}", codes[i]);
        cJSON_Delete(emu_admin(&g, "POST", "/_emulator/faults", body));
        cJSON *j = emu_get(&g, "/rest/v1/lead/1.json");
        assert_code(j, codes[i]);
        assert_true(strlen(emu_err_msg(j)) > 0);
        cJSON_Delete(j);
    }
    cJSON_Delete(emu_admin(&g, "POST", "/_emulator/faults", "{\"error_code\":502,\"error_share\":1}"));
    assert_int_equal(emu_raw(&g, "GET", "/rest/v1/lead/1.json", NULL, NULL, 0, NULL), 502);
    cJSON_Delete(emu_admin(&g, "POST", "/_emulator/faults", "{\"error_code\":\"500\"}"));
    assert_int_equal(emu_raw(&g, "GET", "/rest/v1/lead/1.json", NULL, NULL, 0, NULL), 500);
    /* A share of 0.5 fails some calls, not all. */
    cJSON_Delete(emu_admin(&g, "POST", "/_emulator/faults",
                           "{\"error_code\":\"608\",\"error_share\":0.5}"));
    int failed = 0;
    for (int i = 0; i < 60; i++) {
        cJSON *j = emu_get(&g, "/rest/v1/lead/1.json");
        failed += emu_err(j) != NULL;
        cJSON_Delete(j);
    }
    assert_true(failed > 5 && failed < 55);
    cJSON_Delete(emu_admin(&g, "POST", "/_emulator/faults", "{\"clear\":true}"));
    cJSON *j = emu_get(&g, "/rest/v1/lead/1.json");
    assert_ok(j);
    cJSON_Delete(j);
    /* Bad fault requests are refused. */
    char url[300];
    snprintf(url, sizeof url, "%s/_emulator/faults", g.proc.url);
    const char *hdrs[] = {"Content-Type: application/json", NULL};
    ts_http_resp r;
    const char *bad = "{\"error_code\":\"123\"}";
    assert_int_equal(ts_http("POST", url, hdrs, bad, strlen(bad), &r), 0);
    assert_int_equal(r.status, 400);
    ts_http_free(&r);
    /* Reset the rate window the loops above used. */
    emu_reset(&g);
}

static void test_fault_drop_and_expire(void **state)
{
    (void)state;
    cJSON_Delete(emu_admin(&g, "POST", "/_emulator/faults", "{\"drop_share\":1}"));
    assert_int_equal(emu_raw(&g, "GET", "/rest/v1/lead/1.json", NULL, NULL, 0, NULL), 0);
    cJSON_Delete(emu_admin(&g, "POST", "/_emulator/faults",
                           "{\"drop_share\":0,\"expire_tokens_now\":true}"));
    cJSON *j = emu_get(&g, "/rest/v1/lead/1.json");
    assert_code(j, "602");
    cJSON_Delete(j);
    emu_refresh_token(&g);
    j = emu_get(&g, "/rest/v1/lead/1.json");
    assert_ok(j);
    cJSON_Delete(j);
    cJSON *s = emu_admin(&g, "GET", "/_emulator/stats", NULL);
    assert_true(emu_num(cJSON_GetObjectItem(s, "rejections"), "drop") >= 1);
    cJSON_Delete(s);
}

/* ---- stats and reset -------------------------------------------------------------------- */

static void test_stats_and_reset(void **state)
{
    (void)state;
    emu_reset(&g);
    cJSON *j = emu_post(&g, "/rest/v1/leads.json",
                        "{\"action\":\"createOnly\",\"input\":[{\"email\":\"reset@example.com\"}]}");
    assert_ok(j);
    cJSON_Delete(j);
    j = emu_get(&g, "/rest/v1/leads.json?filterType=email&filterValues=reset@example.com");
    assert_int_equal(emu_count(j), 1);
    cJSON_Delete(j);
    j = emu_get(&g, "/rest/v1/nope.json");
    cJSON_Delete(j);
    cJSON *s = emu_admin(&g, "GET", "/_emulator/stats", NULL);
    const cJSON *calls = cJSON_GetObjectItem(s, "calls");
    assert_int_equal((int)emu_num(calls, "POST /rest/v1/leads.json"), 1);
    assert_int_equal((int)emu_num(calls, "GET /rest/v1/leads.json"), 1);
    assert_int_equal((int)emu_num(calls, "GET /identity/oauth/token"), 1);
    assert_int_equal((int)emu_num(s, "unknownPathCalls"), 1);
    assert_int_equal((int)emu_num(cJSON_GetObjectItem(s, "rejections"), "610"), 1);
    assert_int_equal((int)emu_num(s, "countedCalls"), 3);
    assert_true(emu_num(s, "maxInFlight") >= 1);
    cJSON_Delete(s);

    char *old = strdup(g.token);
    char url[300];
    snprintf(url, sizeof url, "%s/_emulator/reset", g.proc.url);
    ts_http_resp r;
    assert_int_equal(ts_http("POST", url, NULL, NULL, 0, &r), 0);
    ts_http_free(&r);
    j = emu_get(&g, "/rest/v1/lead/1.json");
    assert_code(j, "601"); /* tokens were forgotten */
    cJSON_Delete(j);
    emu_refresh_token(&g);
    assert_string_not_equal(old, g.token);
    free(old);
    j = emu_get(&g, "/rest/v1/leads.json?filterType=email&filterValues=reset@example.com");
    assert_ok(j);
    assert_int_equal(emu_count(j), 0);
    cJSON_Delete(j);
    s = emu_admin(&g, "GET", "/_emulator/stats", NULL);
    assert_int_equal((int)emu_num(s, "countedCalls"), 1);
    cJSON_Delete(s);
}

/* Resets racing with reads: every handler must look lead fields up under
 * the store lock, since a reset frees and reloads them.  Reads whose fields
 * were resolved before taking the lock used freed memory (ASan aborts the
 * emulator, so its exit status fails the test). */
typedef struct { emu_fixture *f; atomic_bool *stop; int ok; } reader_arg;

static void *reader_thread(void *p)
{
    reader_arg *a = p;
    static const char *const paths[] = {
        "/rest/v1/leads.json?filterType=id&filterValues=1,2,3&fields=email,company,firstName,city",
        "/rest/v1/lead/2.json?fields=email,company,title,leadScore",
        "/rest/v1/leads.json?filterType=email&filterValues=jdoe@example.com&fields=company",
    };
    for (int i = 0; !atomic_load(a->stop); i++) {
        char *tok = ts_emulator_token(&a->f->proc);
        if (!tok)
            continue;
        long st = 0;
        cJSON *j = ts_rest(&a->f->proc, tok, "GET", paths[i % 3], NULL, &st);
        if (st == 200 && j) {
            const char *e = emu_err(j);
            a->ok += !e;
            if (e && strcmp(e, "601"))
                a->ok = -1000000; /* anything but success or a forgotten token */
        }
        cJSON_Delete(j);
        free(tok);
    }
    return NULL;
}

static void test_reset_under_load(void **state)
{
    (void)state;
    emu_fixture f;
    /* A larger store makes each reset hold the write lock longer. */
    const char *opts[] = {"--rate-limit", "off", "--concurrency", "off",
                          "--synthetic-leads", "5000", NULL};
    assert_int_equal(emu_fixture_start(&f, opts), 0);
    atomic_bool stop = false;
    enum { N = 3 };
    pthread_t t[N];
    reader_arg a[N];
    for (int i = 0; i < N; i++) {
        a[i] = (reader_arg){&f, &stop, 0};
        pthread_create(&t[i], NULL, reader_thread, &a[i]);
    }
    char url[300];
    snprintf(url, sizeof url, "%s/_emulator/reset", f.proc.url);
    for (int i = 0; i < 15; i++) {
        ts_http_resp r;
        if (ts_http("POST", url, NULL, NULL, 0, &r) != 0)
            break; /* the emulator died */
        ts_http_free(&r);
    }
    atomic_store(&stop, true);
    int ok = 0;
    for (int i = 0; i < N; i++) {
        pthread_join(t[i], NULL);
        assert_true(a[i].ok >= 0);
        ok += a[i].ok;
    }
    assert_true(ok > 0);
    emu_refresh_token(&f);
    cJSON *j = emu_get(&f, "/rest/v1/lead/1.json");
    assert_ok(j);
    cJSON_Delete(j);
    assert_int_equal(emu_fixture_stop(&f), 0);
}

/* ---- command line ------------------------------------------------------------------------- */

/* Run the program to its end (at most 30 s: one that keeps running, as an
 * emulator that accepted what it should refuse would, is killed) and
 * return its exit status with its output in `out`. */
static int run(const char *const argv[], char *out, size_t outsz)
{
    int fds[2];
    assert_int_equal(pipe(fds), 0);
    pid_t pid = fork();
    if (pid == 0) {
        dup2(fds[1], 1);
        dup2(fds[1], 2);
        close(fds[0]);
        execv(argv[0], (char *const *)argv);
        _exit(127);
    }
    close(fds[1]);
    size_t n = 0;
    struct timespec t0;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    for (;;) {
        struct timespec now;
        clock_gettime(CLOCK_MONOTONIC, &now);
        long left = 30000 - ((now.tv_sec - t0.tv_sec) * 1000 + (now.tv_nsec - t0.tv_nsec) / 1000000);
        struct pollfd pfd = {fds[0], POLLIN, 0};
        if (left <= 0 || poll(&pfd, 1, (int)left) <= 0) {
            kill(pid, SIGKILL);
            break;
        }
        ssize_t r = n + 1 < outsz ? read(fds[0], out + n, outsz - n - 1) : 0;
        if (r <= 0)
            break;
        n += (size_t)r;
    }
    out[n] = '\0';
    close(fds[0]);
    int st;
    waitpid(pid, &st, 0);
    return WIFEXITED(st) ? WEXITSTATUS(st) : 128;
}

static void test_command_line(void **state)
{
    (void)state;
    const char *emu = ts_env("MKTOWS_EMULATOR");
    char out[65536];
    const char *bad[][12] = {
        {emu, NULL},
        {emu, "--listen", "nohostport", "--client-id", "a", "--client-secret", "b", NULL},
        {emu, "--listen", "127.0.0.1:99999", "--client-id", "a", "--client-secret", "b", NULL},
        {emu, "--listen", "127.0.0.1:0", "--client-secret", "b", NULL},
        {emu, "--listen", "127.0.0.1:0", "--client-id", "a", "--client-secret", "b",
         "--rate-limit", "abc", NULL},
        {emu, "--listen", "127.0.0.1:0", "--client-id", "a", "--client-secret", "b",
         "--token-ttl", "0", NULL},
        {emu, "--listen", "127.0.0.1:0", "--client-id", "a", "--client-secret", "b",
         "--bogus", NULL},
        {emu, "--listen", "127.0.0.1:0", "--client-id", "a", "--client-secret", "b",
         "--seed", "/nonexistent/seed.json", NULL},
    };
    for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
        assert_int_not_equal(run(bad[i], out, sizeof out), 0);
        assert_non_null(strstr(out, "marketo-emulator: "));
    }
    const char *list[] = {emu, "--list-routes", NULL};
    assert_int_equal(run(list, out, sizeof out), 0);
    assert_non_null(strstr(out, "GET /rest/v1/leads.json\n"));
    assert_non_null(strstr(out, "GET /identity/oauth/token\n"));

    /* A seed that is not JSON is refused clearly. */
    char *path = ts_write_temp(".json", "{\"leads\": [");
    const char *badseed[] = {emu, "--listen", "127.0.0.1:0", "--client-id", "a",
                             "--client-secret", "b", "--seed", path, NULL};
    assert_int_not_equal(run(badseed, out, sizeof out), 0);
    assert_non_null(strstr(out, "invalid JSON"));
    unlink(path);
    free(path);

    /* Options with their 'off' forms, and --synthetic-leads. */
    emu_fixture f;
    const char *opts[] = {"--rate-limit", "off", "--concurrency", "off", "--daily-quota", "0",
                          "--synthetic-leads", "50", NULL};
    assert_int_equal(emu_fixture_start(&f, opts), 0);
    cJSON *j = emu_get(&f, "/rest/v1/leads.json?filterType=email&filterValues=synthetic-50@example.com");
    assert_int_equal(emu_count(j), 1);
    cJSON_Delete(j);
    assert_int_equal(emu_fixture_stop(&f), 0);
}

/* Numbers in a seed are checked, not cast: a lead id that is not an exact
 * integer is refused with a message, and far-future activity dates or huge
 * attribute ids load (both were undefined conversions: UBSan aborted). */
static void test_seed_numbers(void **state)
{
    (void)state;
    const char *emu = ts_env("MKTOWS_EMULATOR");
    char out[65536];
    static const char *const bad_ids[] = {"1e300", "1.5", "1e19"};
    for (size_t i = 0; i < sizeof bad_ids / sizeof *bad_ids; i++) {
        char seed[512];
        snprintf(seed, sizeof seed,
                 "{\"leadFields\":[{\"id\":1,\"name\":\"id\",\"displayName\":\"Id\","
                 "\"dataType\":\"integer\"}],\"leads\":[{\"id\":%s}]}", bad_ids[i]);
        char *path = ts_write_temp(".json", seed);
        const char *argv[] = {emu, "--listen", "127.0.0.1:0", "--client-id", "a",
                              "--client-secret", "b", "--seed", path, NULL};
        assert_int_not_equal(run(argv, out, sizeof out), 0);
        if (!strstr(out, "a positive integer id is required"))
            fail_msg("lead id %s: %s", bad_ids[i], out);
        unlink(path);
        free(path);
    }

    char *path = ts_write_temp(".json",
        "{\"leadFields\":[{\"id\":1,\"name\":\"id\",\"displayName\":\"Id\","
        "\"dataType\":\"integer\"},{\"id\":2,\"name\":\"email\",\"displayName\":\"Email\","
        "\"dataType\":\"email\",\"searchable\":true}],"
        "\"leads\":[{\"id\":1,\"email\":\"a@example.com\"}],"
        "\"imports\":[{\"id\":1e300}],"
        "\"activities\":[{\"leadId\":1,\"activityTypeId\":1,\"activityDate\":\"9999-12-31T00:00:00Z\","
        "\"primaryAttributeValueId\":1e300},"
        "{\"leadId\":1,\"activityTypeId\":1,\"activityDate\":\"2026-01-01T00:00:00Z\"}]}");
    emu_fixture f;
    const char *opts[] = {"--seed", path, NULL};
    assert_int_equal(emu_fixture_start(&f, opts), 0);
    cJSON *j = emu_get(&f, "/rest/v1/activities/pagingtoken.json?sinceDatetime=2000-01-01");
    char *tok = strdup(emu_str(j, "nextPageToken"));
    cJSON_Delete(j);
    j = emu_get(&f, "/rest/v1/activities.json?activityTypeIds=1&nextPageToken=%s", tok);
    assert_ok(j);
    assert_int_equal(emu_count(j), 2);
    assert_string_equal(emu_str(emu_item(j, 1), "activityDate"), "9999-12-31T00:00:00Z");
    cJSON_Delete(j);
    free(tok);
    /* A lead created next gets the next id. */
    j = emu_post(&f, "/rest/v1/leads.json", "{\"input\":[{\"email\":\"b@example.com\"}]}");
    assert_int_equal((int)emu_num(emu_item(j, 0), "id"), 2);
    cJSON_Delete(j);
    assert_int_equal(emu_fixture_stop(&f), 0);
    unlink(path);
    free(path);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_identity),
        cmocka_unit_test(test_auth_errors),
        cmocka_unit_test(test_token_expiry),
        cmocka_unit_test(test_envelope),
        cmocka_unit_test(test_method_get_override),
        cmocka_unit_test(test_rate_limit),
        cmocka_unit_test(test_daily_quota),
        cmocka_unit_test(test_concurrency),
        cmocka_unit_test(test_uri_and_body_size),
        cmocka_unit_test(test_big_bodies_not_parsed),
        cmocka_unit_test(test_content_type_and_json),
        cmocka_unit_test(test_garbage_http),
        cmocka_unit_test(test_fault_latency),
        cmocka_unit_test(test_fault_codes),
        cmocka_unit_test(test_fault_drop_and_expire),
        cmocka_unit_test(test_stats_and_reset),
        cmocka_unit_test(test_reset_under_load),
        cmocka_unit_test(test_command_line),
        cmocka_unit_test(test_seed_numbers),
    };
    return ts_run_tests(tests, setup, teardown);
}
