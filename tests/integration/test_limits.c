/*
 * test_limits.c — mktows-shim living within Marketo's REST limits, against
 * marketo-emulator enforcing the real ones (100 calls / 20 s, 10 in
 * flight, daily quota):
 *   - 1,000 concurrent syncLead calls (one lead each, 50 client threads) all
 *     succeed; the emulator saw no 606 and no 615, never more than 10 calls
 *     in flight, and under 0.05 REST calls per SOAP call; every lead was
 *     written once and each caller got its own lead's id;
 *   - 500 concurrent getLeads share calls the same way, each gets its lead;
 *   - the same burst with the emulator answering 20 % of calls with
 *     606 / 615 / 604: every call succeeds, no record is written twice;
 *   - access tokens expired by the emulator in the middle of a burst: no
 *     caller sees a fault;
 *   - the REST endpoint down for 5 s in the middle of traffic: callers in
 *     that window get 20011 (or 10001) within their deadline, the server
 *     keeps answering, and traffic recovers without a restart;
 *   - daily quota spent in the emulator: 20015 at once, no further REST
 *     call; the shim's own daily budget: 20015, nothing written (read back);
 *   - GET /_shim/stats shows each operation's REST cost, retries and waits;
 *   - two SOAP users behind a paced budget: the second one's calls do not
 *     queue behind the first one's (the quota guard is fair between users).
 * Each test gets a fresh emulator and shim.  Figures (REST/SOAP ratios,
 * rejections, latencies) are printed for the record; time limits are
 * deadlines of correctness (the documented fault within the request
 * deadline), never speed goals.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <curl/curl.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>

#include "soapstack.h"

#define USER "limits_7D3A91C2E5B0F4"
#define KEY "4F1E2D3C4B5A69788796A5B4C3D2E1F0AABBCCDD"
#define USER2 "quiet_2B8E61D0C4A7F3"
#define KEY2 "A1B2C3D4E5F60718293A4B5C6D7E8F9001122334"
#define REQUEST_SECONDS 60

static ss_stack stack;
static int request_seconds = REQUEST_SECONDS;   /* the next shim's request deadline */

/* ---- small helpers ------------------------------------------------------------- */

static int64_t now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static long long num_after(const char *s, const char *tag)
{
    const char *p = s ? strstr(s, tag) : NULL;
    return p ? atoll(p + strlen(tag)) : -1;
}

static int fault_code(const char *body)
{
    return (int)num_after(body, "<code>");
}

/* ---- the programs ------------------------------------------------------------------ */

/* An emulator enforcing Marketo's limits (100 calls / 20 s, 10 in flight)
 * and these options, and a shim in front of it with 64 workers and the
 * members of config merged into its configuration (JSON object text). */
static int start(const char *const emulator_args[], const char *config)
{
    const char *args[16] = {"--rate-limit", "100/20", "--concurrency", "10"};
    for (int i = 0, n = 4; emulator_args && emulator_args[i] && n < 15; i++)
        args[n++] = emulator_args[i];
    char *base = ts_fmt("{\"workers\": 64, \"access_log\": false,"
                        " \"timeouts\": {\"request_seconds\": %d}}", request_seconds);
    char *merged = ss_json_merged(base, config);
    ss_options o = {.emulator_args = args, .users = {{USER, KEY}, {USER2, KEY2}}, .config = merged,
                    .version = "2_9"};
    int rc = ss_start(&stack, &o);
    free(merged);
    free(base);
    return rc;
}

static int teardown(void **state)
{
    (void)state;
    request_seconds = REQUEST_SECONDS;
    return ss_stop(&stack);   /* a sanitizer report or an unclean exit fails the test */
}

static int setup_real_limits(void **state)
{
    (void)state;
    return start(NULL, NULL);
}

static int setup_synthetic(void **state)
{
    (void)state;
    const char *extra[] = {"--synthetic-leads", "2000", NULL};
    return start(extra, NULL);
}

static double num_at(const cJSON *j, const char *a, const char *b)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(j, a);
    if (b)
        v = cJSON_GetObjectItemCaseSensitive(v, b);
    return cJSON_IsNumber(v) ? v->valuedouble : 0;
}

static void post_faults(const char *json) { ss_emu_admin(&stack, "/_emulator/faults", json); }

/* ---- a SOAP client per thread ------------------------------------------------------- */

typedef struct client {
    CURL *h;
    struct curl_slist *hdrs;
    char *url;
    char *buf;
    size_t len, cap;
} client;

static size_t on_data(char *p, size_t sz, size_t n, void *ud)
{
    client *c = ud;
    size_t len = sz * n;
    if (c->len + len + 1 > c->cap) {
        c->cap = (c->len + len + 1) * 2;
        c->buf = realloc(c->buf, c->cap);
    }
    memcpy(c->buf + c->len, p, len);
    c->len += len;
    c->buf[c->len] = '\0';
    return len;
}

static void client_init(client *c)
{
    memset(c, 0, sizeof *c);
    c->h = curl_easy_init();
    c->hdrs = curl_slist_append(NULL, "Content-Type: text/xml;charset=UTF-8");
    c->hdrs = curl_slist_append(c->hdrs, "SOAPAction: \"\"");
    c->url = ts_fmt("%s/soap/mktows/2_9", stack.shim.url);
}

static void client_free(client *c)
{
    curl_slist_free_all(c->hdrs);
    curl_easy_cleanup(c->h);
    free(c->url);
    free(c->buf);
}

/* POST an envelope around body signed by user/key; returns the HTTP
 * status (0: no answer) with the response in c->buf. */
static long soap_as(client *c, const char *user, const char *key, const char *body)
{
    char ts[64];
    ss_timestamp(ts, sizeof ts, 0);
    char *xml = ss_envelope(user, key, ts, NULL, body);
    if (!xml)
        return 0;
    c->len = 0;
    if (c->buf)
        c->buf[0] = '\0';
    curl_easy_setopt(c->h, CURLOPT_URL, c->url);
    curl_easy_setopt(c->h, CURLOPT_HTTPHEADER, c->hdrs);
    curl_easy_setopt(c->h, CURLOPT_POSTFIELDS, xml);
    curl_easy_setopt(c->h, CURLOPT_WRITEFUNCTION, on_data);
    curl_easy_setopt(c->h, CURLOPT_WRITEDATA, c);
    curl_easy_setopt(c->h, CURLOPT_TIMEOUT, (long)REQUEST_SECONDS + 30);
    curl_easy_setopt(c->h, CURLOPT_NOSIGNAL, 1L);
    long status = 0;
    if (curl_easy_perform(c->h) == CURLE_OK)
        curl_easy_getinfo(c->h, CURLINFO_RESPONSE_CODE, &status);
    free(xml);
    return status;
}

static long soap(client *c, const char *body) { return soap_as(c, USER, KEY, body); }

static char *sync_body(const char *email, const char *first)
{
    return ts_fmt("<ns1:paramsSyncLead><leadRecord><Email>%s</Email><leadAttributeList>"
                  "<attribute><attrName>FirstName</attrName><attrValue>%s</attrValue></attribute>"
                  "</leadAttributeList></leadRecord><returnLead>false</returnLead>"
                  "</ns1:paramsSyncLead>", email, first);
}

static char *get_body(const char *email)
{
    return ts_fmt("<ns1:paramsGetLead><leadKey><keyType>EMAIL</keyType><keyValue>%s</keyValue>"
                  "</leadKey></ns1:paramsGetLead>", email);
}

/* ---- a burst of syncLeads from many threads -------------------------------------------- */

#define MAX_CALLS 1000

typedef struct burst {
    int threads, per_thread;
    const char *tag;             /* in every email, so bursts never collide */
    pthread_barrier_t gate;
    atomic_int started;
    /* per call */
    long status[MAX_CALLS];
    int fault[MAX_CALLS];
    long long lead_id[MAX_CALLS];
    int64_t ms[MAX_CALLS];
} burst;

typedef struct burst_arg {
    burst *b;
    int t;
} burst_arg;

static void email_of(const burst *b, int k, char *buf, size_t len)
{
    snprintf(buf, len, "%s-%04d@example.com", b->tag, k);
}

static void *burst_thread(void *arg)
{
    burst_arg *a = arg;
    burst *b = a->b;
    client c;
    client_init(&c);
    pthread_barrier_wait(&b->gate);
    for (int i = 0; i < b->per_thread; i++) {
        int k = a->t * b->per_thread + i;
        char email[96], first[32];
        email_of(b, k, email, sizeof email);
        snprintf(first, sizeof first, "F%04d", k);
        char *body = sync_body(email, first);
        int64_t t0 = now_ms();
        atomic_fetch_add(&b->started, 1);
        b->status[k] = soap(&c, body);
        b->ms[k] = now_ms() - t0;
        b->fault[k] = b->status[k] == 200 ? 0 : fault_code(c.buf);
        b->lead_id[k] = num_after(c.buf, "<leadId>");
        if (b->status[k] == 200 && !strstr(c.buf, "<status>CREATED</status>"))
            b->fault[k] = -1;
        free(body);
    }
    client_free(&c);
    return NULL;
}

static void run_burst(burst *b)
{
    pthread_t t[64];
    burst_arg a[64];
    assert_true(b->threads <= 64 && b->threads * b->per_thread <= MAX_CALLS);
    pthread_barrier_init(&b->gate, NULL, (unsigned)b->threads);
    for (int i = 0; i < b->threads; i++) {
        a[i] = (burst_arg){b, i};
        pthread_create(&t[i], NULL, burst_thread, &a[i]);
    }
    for (int i = 0; i < b->threads; i++)
        pthread_join(t[i], NULL);
    pthread_barrier_destroy(&b->gate);
}

static int cmp_i64(const void *x, const void *y)
{
    int64_t a = *(const int64_t *)x, b = *(const int64_t *)y;
    return a < b ? -1 : a > b;
}

static void print_latency(const char *what, const int64_t *ms, int n)
{
    int64_t *s = malloc(sizeof *s * (size_t)n);
    memcpy(s, ms, sizeof *s * (size_t)n);
    qsort(s, (size_t)n, sizeof *s, cmp_i64);
    print_message("%s: latency p50 %lld ms, p99 %lld ms, max %lld ms\n", what,
                  (long long)s[n / 2], (long long)s[n * 99 / 100], (long long)s[n - 1]);
    free(s);
}

/* Every call succeeded with a lead created for it. */
static void assert_all_created(const burst *b)
{
    int n = b->threads * b->per_thread;
    for (int k = 0; k < n; k++)
        if (b->status[k] != 200 || b->fault[k] != 0 || b->lead_id[k] <= 0)
            fail_msg("call %d: HTTP %ld fault %d lead %lld", k, b->status[k], b->fault[k],
                     b->lead_id[k]);
}

/* Read every email of the burst back over REST: exactly one lead each,
 * with the id its caller was told and the FirstName its caller sent. */
static void assert_written_once(const burst *b)
{
    int n = b->threads * b->per_thread;
    char *token = ts_emulator_token(&stack.emu);
    assert_non_null(token);
    int found = 0;
    for (int start = 0; start < n; start += 100) {
        size_t cap = 100 * 64 + 256, o = 0;
        char *path = malloc(cap);
        o += (size_t)snprintf(path, cap,
                              "/rest/v1/leads.json?fields=id,email,firstName&filterType=email"
                              "&filterValues=");
        for (int k = start; k < n && k < start + 100; k++) {
            char email[96];
            email_of(b, k, email, sizeof email);
            char *at = strchr(email, '@');
            *at = '\0';
            o += (size_t)snprintf(path + o, cap - o, "%s%s%%40%s", k > start ? "," : "", email,
                                  at + 1);
        }
        long status = 0;
        cJSON *j = ts_rest(&stack.emu, token, "GET", path, NULL, &status);
        free(path);
        assert_int_equal(status, 200);
        const cJSON *l;
        cJSON_ArrayForEach(l, cJSON_GetObjectItem(j, "result")) {
            const char *em = cJSON_GetStringValue(cJSON_GetObjectItem(l, "email"));
            assert_non_null(em);
            const char *dash = strrchr(em, '-');
            int k = atoi(dash + 1);
            assert_true(k >= start && k < start + 100);
            long long id = (long long)cJSON_GetObjectItem(l, "id")->valuedouble;
            if (id != b->lead_id[k])
                fail_msg("%s: lead %lld in Marketo, caller was told %lld", em, id, b->lead_id[k]);
            char first[32];
            snprintf(first, sizeof first, "F%04d", k);
            assert_string_equal(cJSON_GetStringValue(cJSON_GetObjectItem(l, "firstName")), first);
            found++;
        }
        cJSON_Delete(j);
    }
    free(token);
    /* n distinct emails, each matched at most by itself: n means once each. */
    if (found != n)
        fail_msg("%d leads found for %d emails (duplicates or missing)", found, n);
}

static burst burst_store;

static burst *new_burst(const char *tag, int threads, int per_thread)
{
    burst *b = &burst_store;
    memset(b, 0, sizeof *b);
    b->tag = tag;
    b->threads = threads;
    b->per_thread = per_thread;
    return b;
}

/* ---- 1,000 concurrent syncLeads ------------------------------------------------------------ */

static void burst_of_1000_sync_leads(void **state)
{
    (void)state;
    burst *b = new_burst("burst", 50, 20);
    int64_t t0 = now_ms();
    run_burst(b);
    int64_t took = now_ms() - t0;
    assert_all_created(b);

    cJSON *st = ts_get_json(stack.emu.url, "/_emulator/stats");
    assert_non_null(st);
    double r606 = num_at(st, "rejections", "606"), r615 = num_at(st, "rejections", "615");
    double inflight = num_at(st, "maxInFlight", NULL), rest = num_at(st, "countedCalls", NULL);
    print_message("1000 syncLeads (50 threads) in %lld ms: %.0f REST calls, %.4f REST calls per "
                  "SOAP call; emulator: 606=%.0f 615=%.0f maxInFlight=%.0f\n",
                  (long long)took, rest, rest / 1000.0, r606, r615, inflight);
    print_latency("syncLead", b->ms, 1000);
    assert_true(r606 == 0);
    assert_true(r615 == 0);
    assert_true(inflight >= 1 && inflight <= 10);
    assert_true(rest >= 1);

    /* The shim's own account of it (GET /_shim/stats). */
    cJSON *ss = ts_get_json(stack.shim.url, "/_shim/stats");
    assert_non_null(ss);
    const cJSON *op = cJSON_GetObjectItem(cJSON_GetObjectItem(ss, "operations"), "syncLead");
    assert_int_equal((int)num_at(op, "soap_calls", NULL), 1000);
    assert_int_equal((int)num_at(op, "faults", NULL), 0);
    double per = num_at(op, "rest_calls_per_soap_call", NULL);
    const cJSON *cs = cJSON_GetObjectItem(cJSON_GetObjectItem(ss, "coalescing"), "sync");
    print_message("shim stats: syncLead rest_calls_per_soap_call %.4f, shared_requests %.0f; "
                  "%.0f batches, mean %.1f requests, largest %.0f\n", per,
                  num_at(op, "shared_requests", NULL), num_at(cs, "batches", NULL),
                  num_at(cs, "mean_batch", NULL), num_at(cs, "largest_batch", NULL));
    assert_true(per > 0 && per < 0.05);
    assert_true(rest / 1000.0 < 0.05);
    /* How long the shared calls took: grant to REST answer, answer to
     * members woken (a batch of 50 syncs takes the emulator some ms). */
    print_message("shared calls: %.1f ms mean (max %.0f), answers handed out in %.1f ms mean "
                  "(max %.0f)\n", num_at(cs, "call_ms_mean", NULL), num_at(cs, "call_ms_max", NULL),
                  num_at(cs, "answer_ms_mean", NULL), num_at(cs, "answer_ms_max", NULL));
    assert_non_null(cJSON_GetObjectItem(cs, "call_ms_mean"));
    assert_non_null(cJSON_GetObjectItem(cs, "answer_ms_max"));
    assert_true(num_at(cs, "call_ms_max", NULL) >= 1);
    assert_true(num_at(cs, "call_ms_mean", NULL) <= num_at(cs, "call_ms_max", NULL));
    assert_true(num_at(cs, "answer_ms_mean", NULL) <= num_at(cs, "answer_ms_max", NULL));
    cJSON_Delete(st);
    const cJSON *lim = cJSON_GetObjectItem(ss, "limiter");
    assert_true(num_at(lim, "max_in_flight", NULL) <= 10);
    assert_int_equal((int)num_at(lim, "marketo_answers", "606"), 0);
    cJSON_Delete(ss);

    assert_written_once(b);
}

/* ---- 500 concurrent getLeads -------------------------------------------------------------------- */

typedef struct get_arg {
    int t;
    int ok;
    int64_t ms[10];
    pthread_barrier_t *gate;
} get_arg;

static void *get_thread(void *arg)
{
    get_arg *a = arg;
    client c;
    client_init(&c);
    pthread_barrier_wait(a->gate);
    for (int i = 0; i < 10; i++) {
        int k = 1 + a->t * 10 + i;   /* synthetic lead k has email synthetic-k@example.com */
        char email[64], want[96];
        snprintf(email, sizeof email, "synthetic-%d@example.com", k);
        snprintf(want, sizeof want, "<Email>%s</Email>", email);
        char *body = get_body(email);
        int64_t t0 = now_ms();
        long status = soap(&c, body);
        a->ms[i] = now_ms() - t0;
        if (status == 200 && strstr(c.buf, want) && num_after(c.buf, "<count>") == 1)
            a->ok++;
        else
            print_message("getLead %s: HTTP %ld %.300s\n", email, status, c.buf);
        free(body);
    }
    client_free(&c);
    return NULL;
}

static void burst_of_500_get_leads(void **state)
{
    (void)state;
    pthread_t t[50];
    get_arg a[50];
    pthread_barrier_t gate;
    pthread_barrier_init(&gate, NULL, 50);
    for (int i = 0; i < 50; i++) {
        a[i] = (get_arg){.t = i, .gate = &gate};
        pthread_create(&t[i], NULL, get_thread, &a[i]);
    }
    int ok = 0;
    int64_t ms[500];
    for (int i = 0; i < 50; i++) {
        pthread_join(t[i], NULL);
        ok += a[i].ok;
        memcpy(ms + i * 10, a[i].ms, sizeof a[i].ms);
    }
    pthread_barrier_destroy(&gate);
    assert_int_equal(ok, 500);
    cJSON *st = ts_get_json(stack.emu.url, "/_emulator/stats");
    double rest = num_at(st, "countedCalls", NULL);
    print_message("500 getLeads (50 threads): %.0f REST calls, %.4f per SOAP call; 606=%.0f "
                  "615=%.0f maxInFlight=%.0f\n", rest, rest / 500.0,
                  num_at(st, "rejections", "606"), num_at(st, "rejections", "615"),
                  num_at(st, "maxInFlight", NULL));
    print_latency("getLead", ms, 500);
    assert_true(num_at(st, "rejections", "606") == 0 && num_at(st, "rejections", "615") == 0);
    assert_true(num_at(st, "maxInFlight", NULL) <= 10);
    /* The 0.05 aim is for syncLead; reads share calls the same way, but
     * each getLead answer is heavier to build, so batches come a bit smaller. */
    assert_true(rest / 500.0 < 0.1);
    cJSON_Delete(st);
}

/* ---- the same burst with 20 % of REST calls failing ------------------------------------------- */

typedef struct injector {
    atomic_int stop;
    int rounds;
} injector;

static void *inject_thread(void *arg)
{
    injector *in = arg;
    static const char *const codes[] = {"606", "615", "604"};
    while (!atomic_load(&in->stop)) {
        char *j = ts_fmt("{\"error_code\": \"%s\", \"error_share\": 0.2}", codes[in->rounds % 3]);
        post_faults(j);
        free(j);
        in->rounds++;
        ts_sleep_ms(60);
    }
    return NULL;
}

static void burst_with_injected_failures(void **state)
{
    (void)state;
    /* With coalescing a burst costs only a few dozen REST calls, so 20 %
     * may by chance hit very few of them: repeat the burst (new leads each
     * time) until the failures have really been injected a few times. */
    static const char *const tags[] = {"faulty-a", "faulty-b", "faulty-c", "faulty-d"};
    double hits = 0;
    for (int round = 0; round < 4 && hits < 3; round++) {
        injector in = {0};
        pthread_t it;
        pthread_create(&it, NULL, inject_thread, &in);
        burst *b = new_burst(tags[round], 50, 20);
        run_burst(b);
        atomic_store(&in.stop, 1);
        pthread_join(it, NULL);
        post_faults("{\"clear\": true}");
        assert_all_created(b);

        cJSON *st = ts_get_json(stack.emu.url, "/_emulator/stats");
        double i606 = num_at(st, "rejections", "606"), i615 = num_at(st, "rejections", "615"),
               i604 = num_at(st, "rejections", "604"), rest = num_at(st, "countedCalls", NULL);
        cJSON *ss = ts_get_json(stack.shim.url, "/_shim/stats");
        const cJSON *op = cJSON_GetObjectItem(cJSON_GetObjectItem(ss, "operations"), "syncLead");
        double retries = num_at(cJSON_GetObjectItem(ss, "rest"), "retries", NULL);
        print_message("%d000 syncLeads so far with 20%% injected failures: %.0f REST calls, "
                      "answered 606=%.0f 615=%.0f 604=%.0f, %.0f retries, %d fault rounds\n",
                      round + 1, rest, i606, i615, i604, retries, in.rounds);
        print_latency("syncLead under failures", b->ms, 1000);
        hits = i606 + i615 + i604;
        /* Every injected failure was retried through: nobody saw a fault. */
        assert_int_equal((int)num_at(op, "faults", NULL), 0);
        assert_true(retries >= hits - 0.5);
        cJSON_Delete(ss);
        cJSON_Delete(st);
        assert_written_once(b);
    }
    assert_true(hits >= 3);
}

/* ---- tokens expiring in the middle of a burst ---------------------------------------------------- */

static void *expire_thread(void *arg)
{
    injector *in = arg;
    while (!atomic_load(&in->stop)) {
        ts_sleep_ms(40);
        post_faults("{\"expire_tokens_now\": true}");
        in->rounds++;
    }
    return NULL;
}

static void token_expiry_mid_burst(void **state)
{
    (void)state;
    injector in = {0};
    pthread_t it;
    burst *b = new_burst("expiry", 50, 10);
    pthread_create(&it, NULL, expire_thread, &in);
    run_burst(b);
    atomic_store(&in.stop, 1);
    pthread_join(it, NULL);
    assert_all_created(b);
    cJSON *st = ts_get_json(stack.emu.url, "/_emulator/stats");
    cJSON *ss = ts_get_json(stack.shim.url, "/_shim/stats");
    double r602 = num_at(st, "rejections", "602");
    double replays = num_at(cJSON_GetObjectItem(ss, "rest"), "token_replays", NULL);
    print_message("500 syncLeads, tokens expired %d times: %.0f calls answered 602, %.0f "
                  "replays, 0 faults\n", in.rounds, r602, replays);
    assert_true(in.rounds >= 2);
    assert_true(r602 >= 1);  /* the expiry did hit calls in flight */
    assert_true(replays >= 1);
    cJSON_Delete(ss);
    cJSON_Delete(st);
    assert_written_once(b);
}

/* ---- REST down for 5 seconds ------------------------------------------------------------------------ */

#define DOWN_THREADS 8
#define DOWN_MAX 4000

typedef struct traffic {
    atomic_int stop;
    atomic_int n;
    int64_t start[DOWN_MAX], end[DOWN_MAX];
    int code[DOWN_MAX];    /* 0 ok, fault code, -1 anything else */
} traffic;

typedef struct traffic_arg {
    traffic *tr;
    int t;
} traffic_arg;

static void *traffic_thread(void *arg)
{
    traffic_arg *a = arg;
    client c;
    client_init(&c);
    for (int i = 0; !atomic_load(&a->tr->stop); i++) {
        int k = atomic_fetch_add(&a->tr->n, 1);
        if (k >= DOWN_MAX)
            break;
        char email[64];
        snprintf(email, sizeof email, "down-%d-%d@example.com", a->t, i);
        char *body = sync_body(email, "Down");
        a->tr->start[k] = now_ms();
        long status = soap(&c, body);
        a->tr->end[k] = now_ms();
        a->tr->code[k] = status == 200 && strstr(c.buf, "<status>CREATED</status>") ? 0
                         : status == 500 ? fault_code(c.buf) : -1;
        free(body);
        ts_sleep_ms(20);
    }
    client_free(&c);
    return NULL;
}

static void rest_down_for_5_seconds(void **state)
{
    (void)state;
    static traffic store;
    traffic *tr = &store;
    memset(tr, 0, sizeof *tr);
    pthread_t t[DOWN_THREADS];
    traffic_arg a[DOWN_THREADS];
    for (int i = 0; i < DOWN_THREADS; i++) {
        a[i] = (traffic_arg){tr, i};
        pthread_create(&t[i], NULL, traffic_thread, &a[i]);
    }
    ts_sleep_ms(1500);
    int64_t down_at = now_ms();
    assert_int_equal(ss_emulator_stop(&stack), 0);
    ts_sleep_ms(2500);
    /* The server keeps answering while REST is away. */
    char *hurl = ts_fmt("%s/health", stack.shim.url);
    ts_http_resp hr;
    int64_t h0 = now_ms();
    assert_int_equal(ts_http("GET", hurl, NULL, NULL, 0, &hr), 0);
    int64_t health_ms = now_ms() - h0;
    assert_int_equal(hr.status, 200);
    ts_http_free(&hr);
    free(hurl);
    int down_seen = 0;
    for (int i = 0; i < 10; i++) {
        cJSON *mid = ts_get_json(stack.shim.url, "/_shim/stats");
        down_seen |= cJSON_IsTrue(cJSON_GetObjectItem(cJSON_GetObjectItem(mid, "limiter"), "rest_down"));
        cJSON_Delete(mid);
        ts_sleep_ms(250);
    }
    assert_int_equal(ss_emulator_start(&stack, NULL), 0);   /* on the port the shim knows */
    int64_t up_at = now_ms();
    ts_sleep_ms(4000);
    atomic_store(&tr->stop, 1);
    for (int i = 0; i < DOWN_THREADS; i++)
        pthread_join(t[i], NULL);

    int n = atomic_load(&tr->n);
    if (n > DOWN_MAX)
        n = DOWN_MAX;
    int ok_before = 0, ok_after = 0, faults = 0, late_fault = 0;
    int64_t max_fault_ms = 0, recovered_at = 0;
    for (int k = 0; k < n; k++) {
        int c = tr->code[k];
        if (c != 0 && c != 20011 && c != 10001)
            fail_msg("call %d: neither success nor 20011/10001 but %d", k, c);
        if (tr->end[k] <= down_at) {
            if (c != 0)
                fail_msg("call %d failed (%d) before REST went down", k, c);
            ok_before++;
        }
        if (c != 0) {
            faults++;
            if (tr->end[k] - tr->start[k] > max_fault_ms)
                max_fault_ms = tr->end[k] - tr->start[k];
            /* Faults only for calls that overlapped the outage. */
            if (tr->end[k] < down_at || tr->start[k] > up_at + 2000)
                late_fault++;
        } else if (tr->start[k] >= up_at) {
            ok_after++;
            if (!recovered_at || tr->end[k] < recovered_at)
                recovered_at = tr->end[k];
        }
    }
    print_message("REST down %lld ms: %d calls, %d ok before, %d faults (20011/10001, slowest "
                  "answered in %lld ms), %d ok after restart, first success %lld ms after it; "
                  "/health answered in %lld ms during the outage\n",
                  (long long)(up_at - down_at), n, ok_before, faults, (long long)max_fault_ms,
                  ok_after, (long long)(recovered_at - up_at), (long long)health_ms);
    assert_true(ok_before > 0);
    assert_true(faults > 0);
    assert_true(down_seen);
    assert_int_equal(late_fault, 0);
    assert_true(max_fault_ms < REQUEST_SECONDS * 1000);
    assert_true(health_ms < 2000);
    assert_true(ok_after > 0);
    cJSON *ss = ts_get_json(stack.shim.url, "/_shim/stats");
    const cJSON *lim = cJSON_GetObjectItem(ss, "limiter");
    assert_false(cJSON_IsTrue(cJSON_GetObjectItem(lim, "rest_down")));
    assert_true(num_at(lim, "breaker_opens", NULL) >= 1);
    cJSON_Delete(ss);
}

/* ---- daily quota ---------------------------------------------------------------------------------- */

static int setup_emulator_quota(void **state)
{
    (void)state;
    const char *extra[] = {"--daily-quota", "8", NULL};
    return start(extra, NULL);
}

static char *multi_body(const char *e1, const char *e2)
{
    return ts_fmt("<ns1:paramsSyncMultipleLeads><leadRecordList>"
                  "<leadRecord><Email>%s</Email></leadRecord>"
                  "<leadRecord><Email>%s</Email></leadRecord>"
                  "</leadRecordList><dedupEnabled>true</dedupEnabled></ns1:paramsSyncMultipleLeads>",
                  e1, e2);
}

static void emulator_daily_quota_spent(void **state)
{
    (void)state;
    client c;
    client_init(&c);
    int ok = 0, first_fault = 0;
    for (int i = 0; i < 20 && !first_fault; i++) {
        char email[64];
        snprintf(email, sizeof email, "quota-%d@example.com", i);
        char *body = sync_body(email, "Q");
        long status = soap(&c, body);
        free(body);
        if (status == 200)
            ok++;
        else
            first_fault = fault_code(c.buf);
    }
    assert_int_equal(first_fault, 20015);
    assert_true(ok >= 3);
    cJSON *st = ts_get_json(stack.emu.url, "/_emulator/stats");
    double counted = num_at(st, "countedCalls", NULL);
    assert_int_equal((int)num_at(st, "rejections", "607"), 1);
    cJSON_Delete(st);

    /* Now every caller hears 20015 at once, and Marketo hears nothing. */
    const char *bodies[3];
    char *b0 = sync_body("quota-late@example.com", "Q"), *b1 = get_body("quota-0@example.com"),
         *b2 = multi_body("quota-m1@example.com", "quota-m2@example.com");
    bodies[0] = b0;
    bodies[1] = b1;
    bodies[2] = b2;
    for (int i = 0; i < 3; i++) {
        int64_t t0 = now_ms();
        assert_int_equal(soap(&c, bodies[i]), 500);
        assert_int_equal(fault_code(c.buf), 20015);
        assert_true(now_ms() - t0 < 5000);
    }
    free(b0);
    free(b1);
    free(b2);
    st = ts_get_json(stack.emu.url, "/_emulator/stats");
    /* No call after the 607: nothing was even attempted, so nothing written;
     * the one call Marketo refused was not executed (6xx). */
    assert_true(num_at(st, "countedCalls", NULL) == counted);
    assert_int_equal((int)num_at(st, "rejections", "607"), 1);
    print_message("emulator quota 8: %d syncLeads written, then 20015; %.0f counted calls, one "
                  "607, later callers refused by the shim without a REST call\n", ok, counted);
    cJSON_Delete(st);
    cJSON *ss = ts_get_json(stack.shim.url, "/_shim/stats");
    const cJSON *lim = cJSON_GetObjectItem(ss, "limiter");
    assert_true(cJSON_IsTrue(cJSON_GetObjectItem(lim, "daily_blocked")));
    assert_int_equal((int)num_at(lim, "marketo_answers", "607"), 1);
    assert_true(num_at(lim, "refused", "daily") >= 3);
    cJSON_Delete(ss);
    client_free(&c);
}

static int setup_local_budget(void **state)
{
    (void)state;
    return start(NULL, "{\"rest\": {\"daily_quota\": 6}}");
}

static int lead_count(const char *token, const char *email)
{
    char *path = ts_fmt("/rest/v1/leads.json?filterType=email&filterValues=%s", email);
    char *at = strchr(path, '@');
    char *p2 = ts_fmt("%.*s%%40%s", (int)(at - path), path, at + 1);
    long status = 0;
    cJSON *j = ts_rest(&stack.emu, token, "GET", p2, NULL, &status);
    int n = status == 200 ? cJSON_GetArraySize(cJSON_GetObjectItem(j, "result")) : -1;
    cJSON_Delete(j);
    free(path);
    free(p2);
    return n;
}

static void shim_daily_budget_spent(void **state)
{
    (void)state;
    client c;
    client_init(&c);
    int ok = 0, fault_at = -1, fault = 0;
    for (int i = 0; i < 20 && fault_at < 0; i++) {
        char email[64];
        snprintf(email, sizeof email, "budget-%d@example.com", i);
        char *body = sync_body(email, "B");
        long status = soap(&c, body);
        free(body);
        if (status == 200) {
            ok++;
        } else {
            fault_at = i;
            fault = fault_code(c.buf);
            assert_non_null(strstr(c.buf, "daily REST budget"));
        }
    }
    assert_int_equal(fault, 20015);
    assert_true(ok >= 3);
    char *multi = multi_body("budget-m1@example.com", "budget-m2@example.com");
    assert_int_equal(soap(&c, multi), 500);
    assert_int_equal(fault_code(c.buf), 20015);
    free(multi);
    cJSON *st = ts_get_json(stack.emu.url, "/_emulator/stats");
    assert_int_equal((int)num_at(st, "countedCalls", NULL), 6); /* exactly the budget */
    cJSON_Delete(st);

    /* Read back: the accepted leads once each, the refused ones not at all. */
    char *token = ts_emulator_token(&stack.emu);
    for (int i = 0; i < fault_at; i++) {
        char email[64];
        snprintf(email, sizeof email, "budget-%d@example.com", i);
        assert_int_equal(lead_count(token, email), 1);
    }
    char refused[64];
    snprintf(refused, sizeof refused, "budget-%d@example.com", fault_at);
    assert_int_equal(lead_count(token, refused), 0);
    assert_int_equal(lead_count(token, "budget-m1@example.com"), 0);
    assert_int_equal(lead_count(token, "budget-m2@example.com"), 0);
    free(token);
    print_message("shim budget 6: %d syncLeads written, then 20015; refused records absent\n", ok);
    client_free(&c);
}

/* ---- a caller the window cannot serve before its deadline: 20023 at once ------------ */

static int setup_tiny_window(void **state)
{
    (void)state;
    /* 3 calls per minute, never paced; requests may take 3 s. */
    request_seconds = 3;
    return start(NULL, "{\"rest\": {\"rate_limit\": 3, \"rate_window_seconds\": 60,"
                       " \"rate_burst\": 3}}");
}

static void rate_guard_answers_20023_in_time(void **state)
{
    (void)state;
    client c;
    client_init(&c);
    /* The field catalogue (1 call) and two syncs fill the window. */
    for (int i = 0; i < 2; i++) {
        char email[64];
        snprintf(email, sizeof email, "window-%d@example.com", i);
        char *body = sync_body(email, "W");
        assert_int_equal(soap(&c, body), 200);
        free(body);
    }
    char *body = sync_body("window-late@example.com", "W");
    int64_t t0 = now_ms();
    assert_int_equal(soap(&c, body), 500);
    int64_t took = now_ms() - t0;
    free(body);
    assert_int_equal(fault_code(c.buf), 20023);
    assert_non_null(strstr(c.buf, "quota guard"));
    print_message("window full: 20023 after %lld ms (request deadline 3000 ms)\n",
                  (long long)took);
    /* The window frees in a minute, the deadline is in 3 s: no use waiting. */
    assert_true(took < 1000);
    assert_non_null(strstr(c.buf, "at the soonest"));
    client_free(&c);

    /* REST state unchanged: nothing was sent for it. */
    cJSON *st = ts_get_json(stack.emu.url, "/_emulator/stats");
    assert_int_equal((int)num_at(st, "countedCalls", NULL), 3);
    cJSON_Delete(st);
    char *token = ts_emulator_token(&stack.emu);
    assert_int_equal(lead_count(token, "window-late@example.com"), 0);
    free(token);
    cJSON *ss = ts_get_json(stack.shim.url, "/_shim/stats");
    const cJSON *op = cJSON_GetObjectItem(cJSON_GetObjectItem(ss, "operations"), "syncLead");
    assert_int_equal((int)num_at(op, "faults_by_code", "20023"), 1);
    assert_true(num_at(cJSON_GetObjectItem(ss, "limiter"), "refused", "rate") >= 1);
    assert_true(num_at(cJSON_GetObjectItem(ss, "limiter"), "refused", "rate_before_deadline") >= 1);
    cJSON_Delete(ss);
}

/* ---- the quota guard is fair between SOAP users ------------------------------------ */

static int setup_paced(void **state)
{
    (void)state;
    /* One call every 200 ms once the first is made. */
    return start(NULL, "{\"rest\": {\"rate_limit\": 10, \"rate_window_seconds\": 2,"
                       " \"rate_burst\": 1}}");
}

#define FAIR_BUSY 16
#define FAIR_QUIET 2

typedef struct fair_call {
    const char *user, *key;
    int n;
    long status;
    int rank;                  /* 1 = answered first */
} fair_call;

static atomic_int fair_answered;

static void *fair_thread(void *arg)
{
    fair_call *f = arg;
    client c;
    client_init(&c);
    /* getMultipleLeads by one email: one REST call, never shared */
    char *body = ts_fmt("<ns1:paramsGetMultipleLeads><leadSelector xsi:type=\"ns1:LeadKeySelector\">"
                        "<keyType>EMAIL</keyType><keyValues><stringItem>fair-%d@example.com"
                        "</stringItem></keyValues></leadSelector><batchSize>10</batchSize>"
                        "</ns1:paramsGetMultipleLeads>", f->n);
    f->status = soap_as(&c, f->user, f->key, body);
    f->rank = atomic_fetch_add(&fair_answered, 1) + 1;
    free(body);
    client_free(&c);
    return NULL;
}

static int limiter_waiting(void)
{
    cJSON *ss = ts_get_json(stack.shim.url, "/_shim/stats");
    int n = (int)num_at(cJSON_GetObjectItem(ss, "limiter"), "waiting", NULL);
    cJSON_Delete(ss);
    return n;
}

static void quota_guard_fair_between_users(void **state)
{
    (void)state;
    atomic_store(&fair_answered, 0);
    fair_call warm = {USER, KEY, 999, 0, 0};
    fair_thread(&warm);                 /* token and field catalogue */
    assert_int_equal(warm.status, 200);
    atomic_store(&fair_answered, 0);

    fair_call calls[FAIR_BUSY + FAIR_QUIET];
    pthread_t t[FAIR_BUSY + FAIR_QUIET];
    for (int i = 0; i < FAIR_BUSY; i++) {
        calls[i] = (fair_call){USER, KEY, i, 0, 0};
        pthread_create(&t[i], NULL, fair_thread, &calls[i]);
    }
    /* The busy user's calls are queued in the guard before the quiet
     * user's arrive. */
    int64_t until = now_ms() + 10000;
    while (limiter_waiting() < FAIR_BUSY / 2 && now_ms() < until)
        usleep(20000);
    assert_true(limiter_waiting() >= FAIR_BUSY / 2);
    for (int i = FAIR_BUSY; i < FAIR_BUSY + FAIR_QUIET; i++) {
        calls[i] = (fair_call){USER2, KEY2, i, 0, 0};
        pthread_create(&t[i], NULL, fair_thread, &calls[i]);
    }
    for (int i = 0; i < FAIR_BUSY + FAIR_QUIET; i++)
        pthread_join(t[i], NULL);
    for (int i = 0; i < FAIR_BUSY + FAIR_QUIET; i++)
        assert_int_equal(calls[i].status, 200);
    /* First come, first served would answer the quiet user last (ranks 17
     * and 18); shared fairly, its calls alternate with the busy user's
     * from their arrival on. */
    int worst = 0;
    for (int i = FAIR_BUSY; i < FAIR_BUSY + FAIR_QUIET; i++)
        if (calls[i].rank > worst)
            worst = calls[i].rank;
    print_message("quiet user's calls answered at ranks %d and %d of %d\n",
                  calls[FAIR_BUSY].rank, calls[FAIR_BUSY + 1].rank, FAIR_BUSY + FAIR_QUIET);
    assert_true(worst <= FAIR_BUSY);
}

/* ---- operators can turn the stats endpoint off; bad limits stop start-up -------------- */

static int setup_stats_off(void **state)
{
    (void)state;
    return start(NULL, "{\"stats_endpoint\": false}");
}

static void stats_endpoint_off_and_bad_config(void **state)
{
    (void)state;
    char *url = ts_fmt("%s/_shim/stats", stack.shim.url);
    ts_http_resp r;
    assert_int_equal(ts_http("GET", url, NULL, NULL, 0, &r), 0);
    assert_int_equal(r.status, 404);
    ts_http_free(&r);
    free(url);

    static const char *const bad[][2] = {
        {"\"rest\": {\"endpoint\": \"http://127.0.0.1:9\", \"client_id\": \"a\", "
         "\"client_secret\": \"b\", \"rate_limit\": 0}", "rest.rate_limit"},
        {"\"rest\": {\"endpoint\": \"http://127.0.0.1:9\", \"client_id\": \"a\", "
         "\"client_secret\": \"b\", \"max_concurrency\": \"ten\"}", "rest.max_concurrency"},
        {"\"rest\": {\"endpoint\": \"http://127.0.0.1:9\", \"client_id\": \"a\", "
         "\"client_secret\": \"b\"}, \"coalesce\": {\"wait_ms\": -1}", "coalesce.wait_ms"},
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        char *cfg = ts_fmt("{\"listen\": \"127.0.0.1:0\", %s, \"soap_users\": {\"u\": \"k\"}}",
                           bad[i][0]);
        char *path = ts_write_temp(".json", cfg);
        char *cmd = ts_fmt("'%s' --config '%s' 2>&1", ts_env("MKTOWS_SHIM"), path);
        FILE *p = popen(cmd, "r");
        char out[2048] = "";
        size_t n = fread(out, 1, sizeof out - 1, p);
        out[n] = '\0';
        int rc = pclose(p);
        if (rc == 0 || !strstr(out, bad[i][1]))
            fail_msg("config %s: exit %d, output %s", bad[i][0], rc, out);
        unlink(path);
        free(path);
        free(cmd);
        free(cfg);
    }
    /* The environment variable is named too. */
    char *cfg = ts_fmt("{\"listen\": \"127.0.0.1:0\", \"rest\": {\"endpoint\": \"http://127.0.0.1:9\","
                       " \"client_id\": \"a\", \"client_secret\": \"b\"}, \"soap_users\": {\"u\": \"k\"}}");
    char *path = ts_write_temp(".json", cfg);
    char *cmd = ts_fmt("MKTOWS_REST_DAILY_QUOTA=-5 '%s' --config '%s' 2>&1", ts_env("MKTOWS_SHIM"), path);
    FILE *p = popen(cmd, "r");
    char out[2048] = "";
    size_t n = fread(out, 1, sizeof out - 1, p);
    out[n] = '\0';
    assert_true(pclose(p) != 0);
    assert_non_null(strstr(out, "MKTOWS_REST_DAILY_QUOTA"));
    unlink(path);
    free(path);
    free(cmd);
    free(cfg);
}

int main(void)
{
    curl_global_init(CURL_GLOBAL_DEFAULT);
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(burst_of_1000_sync_leads, setup_real_limits, teardown),
        cmocka_unit_test_setup_teardown(burst_of_500_get_leads, setup_synthetic, teardown),
        cmocka_unit_test_setup_teardown(burst_with_injected_failures, setup_real_limits, teardown),
        cmocka_unit_test_setup_teardown(token_expiry_mid_burst, setup_real_limits, teardown),
        cmocka_unit_test_setup_teardown(rest_down_for_5_seconds, setup_real_limits, teardown),
        cmocka_unit_test_setup_teardown(emulator_daily_quota_spent, setup_emulator_quota, teardown),
        cmocka_unit_test_setup_teardown(shim_daily_budget_spent, setup_local_budget, teardown),
        cmocka_unit_test_setup_teardown(rate_guard_answers_20023_in_time, setup_tiny_window,
                                        teardown),
        cmocka_unit_test_setup_teardown(stats_endpoint_off_and_bad_config, setup_stats_off,
                                        teardown),
        cmocka_unit_test_setup_teardown(quota_guard_fair_between_users, setup_paced, teardown),
    };
    int rc = cmocka_run_group_tests(tests, NULL, NULL);
    curl_global_cleanup();
    return rc;
}
