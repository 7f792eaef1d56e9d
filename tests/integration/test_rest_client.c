/*
 * test_rest_client.c — the REST client against the real marketo-emulator:
 *
 *   - one token for many threads (one identity call in all);
 *   - bad credentials give MK_REST_ERR_AUTH, not a crash or a hang;
 *   - a token that lapses (short --token-ttl, and the emulator's
 *     expire_tokens_now fault) is renewed and the caller sees success;
 *   - a long filterValues list goes out as POST ?_method=GET and the
 *     emulator counts it as the GET it stands for;
 *   - calls made concurrently, up to max_concurrency, keep their
 *     connections alive: no connect per call once each is open.
 *
 * The emulator is started on a free port (ts_emulator_start); identity is
 * <url>/identity and REST is <url>.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "rest/rest.h"
#include "soapstack.h"
#include "testsupport.h"

static const mk_rest_cred cred = {"test-id", "test-secret"};

typedef struct world {
    ts_proc emu;
    mk_rest_client *client;
} world;

static int start(world *w, const char *const extra[])
{
    memset(w, 0, sizeof *w);
    if (ts_emulator_start(&w->emu, extra) != 0)
        return -1;
    if (ss_rest_client(&w->emu, 30000, &w->client) != 0) {
        ts_proc_stop(&w->emu);
        return -1;
    }
    return 0;
}

static void stop(world *w)
{
    mk_rest_client_free(w->client);
    ts_proc_stop(&w->emu);
}

static mk_rest_status get_lead_1(mk_rest_client *c, mk_rest_result *r)
{
    static const mk_rest_param q[] = {{"filterType", "id"}, {"filterValues", "1"}};
    mk_rest_req req = {.method = MK_REST_GET, .path = "/rest/v1/leads.json", .query = q,
                       .nquery = 2};
    return mk_rest_call(c, &cred, &req, r);
}

/* ---- many threads, one token ------------------------------------------- */

typedef struct worker {
    mk_rest_client *client;
    int ok;
    char last_error[320];
} worker;

static void *worker_main(void *arg)
{
    worker *wk = arg;
    for (int i = 0; i < 3; i++) {
        mk_rest_result r;
        mk_rest_status st = get_lead_1(wk->client, &r);
        if (st == MK_REST_OK)
            wk->ok++;
        else
            snprintf(wk->last_error, sizeof wk->last_error, "%s: %s", mk_rest_status_str(st),
                     r.error_message);
        mk_rest_result_free(&r);
    }
    return NULL;
}

static void token_shared_by_threads(void **st)
{
    (void)st;
    world w;
    /* enough headroom that the emulator's limits do not interfere */
    assert_int_equal(start(&w, (const char *const[]){"--rate-limit", "10000/20",
                                                     "--concurrency", "100", NULL}), 0);
    enum { N = 8 };
    pthread_t t[N];
    worker wk[N];
    for (int i = 0; i < N; i++) {
        memset(&wk[i], 0, sizeof wk[i]);
        wk[i].client = w.client;
        pthread_create(&t[i], NULL, worker_main, &wk[i]);
    }
    for (int i = 0; i < N; i++) {
        pthread_join(t[i], NULL);
        if (wk[i].ok != 3)
            fail_msg("thread %d: %d/3 calls ok; last error %s", i, wk[i].ok, wk[i].last_error);
    }
    mk_rest_stats s;
    assert_int_equal(mk_rest_stats_get(w.client, &s), MK_REST_OK);
    assert_int_equal(s.identity_calls, 1);
    assert_int_equal(s.calls, N * 3);
    assert_int_equal(s.token_replays, 0);
    mk_rest_stats_free(&s);
    assert_int_equal(ts_emulator_calls(&w.emu, "GET /rest/v1/leads.json"), N * 3);
    stop(&w);
}

/* ---- concurrent calls keep their connections ----------------------------- */

typedef struct looper {
    mk_rest_client *client;
    int calls, ok;
} looper;

static void *looper_main(void *arg)
{
    looper *lp = arg;
    for (int i = 0; i < lp->calls; i++) {
        mk_rest_result r;
        lp->ok += get_lead_1(lp->client, &r) == MK_REST_OK;
        mk_rest_result_free(&r);
    }
    return NULL;
}

/* 16 threads calling at once, 16 calls allowed in flight: each connection,
 * once open, is kept for the next call.  curl_easy_perform keeps only 5
 * idle connections unless told otherwise, so with more calls in flight
 * every return closed one and most calls connected anew. */
static void concurrent_calls_keep_connections(void **st)
{
    (void)st;
    world w;
    memset(&w, 0, sizeof w);
    assert_int_equal(ts_emulator_start(&w.emu, (const char *const[]){"--rate-limit", "off",
                                                                    "--concurrency", "off",
                                                                    NULL}),
                     0);
    char ident[200], err[256];
    snprintf(ident, sizeof ident, "%s/identity", w.emu.url);
    enum { N = 16, CALLS = 25 };
    mk_rest_config cfg = {.endpoint = w.emu.url, .identity = ident, .timeout_ms = 30000,
                          .limits = {.rate_limit = 100000, .max_concurrency = N}};
    assert_int_equal(mk_rest_client_new(&cfg, &w.client, err, sizeof err), MK_REST_OK);
    pthread_t t[N];
    looper lp[N];
    for (int i = 0; i < N; i++) {
        lp[i] = (looper){.client = w.client, .calls = CALLS};
        assert_int_equal(pthread_create(&t[i], NULL, looper_main, &lp[i]), 0);
    }
    for (int i = 0; i < N; i++) {
        pthread_join(t[i], NULL);
        assert_int_equal(lp[i].ok, CALLS);
    }
    mk_rest_stats s;
    assert_int_equal(mk_rest_stats_get(w.client, &s), MK_REST_OK);
    assert_int_equal(s.calls, N * CALLS);
    /* At most one per call in flight, and the identity call's. */
    if (s.connections_opened > N + 1)
        fail_msg("%llu connections opened for %d calls, %d at a time",
                 (unsigned long long)s.connections_opened, N * CALLS, N);
    assert_true(s.connections_opened >= 1);
    mk_rest_stats_free(&s);
    stop(&w);
}

/* ---- bad credentials ---------------------------------------------------- */

static void bad_credentials(void **st)
{
    (void)st;
    world w;
    assert_int_equal(start(&w, NULL), 0);
    mk_rest_cred bad = {"test-id", "not-the-secret"};
    static const mk_rest_param q[] = {{"filterType", "id"}, {"filterValues", "1"}};
    mk_rest_req req = {.method = MK_REST_GET, .path = "/rest/v1/leads.json", .query = q, .nquery = 2};
    mk_rest_result r;
    assert_int_equal(mk_rest_call(w.client, &bad, &req, &r), MK_REST_ERR_AUTH);
    assert_non_null(strstr(r.error_message, "401"));
    assert_int_equal(r.attempts, 0);
    mk_rest_result_free(&r);
    /* nothing reached the REST side */
    assert_int_equal(ts_emulator_calls(&w.emu, "GET /rest/v1/leads.json"), 0);
    stop(&w);
}

/* ---- tokens that lapse --------------------------------------------------- */

static void short_token_ttl(void **st)
{
    (void)st;
    world w;
    assert_int_equal(start(&w, (const char *const[]){"--token-ttl", "1", NULL}), 0);
    /* Calls across several token lifetimes: every one must succeed, whether
     * the client noticed the expiry itself or was told by a 602. */
    int64_t until = mk_rest_now_ms() + 3500;
    int calls = 0;
    while (mk_rest_now_ms() < until) {
        mk_rest_result r;
        mk_rest_status s = get_lead_1(w.client, &r);
        if (s != MK_REST_OK)
            fail_msg("call %d: %s (%d %s)", calls, mk_rest_status_str(s), r.error_code,
                     r.error_message);
        mk_rest_result_free(&r);
        calls++;
        usleep(150 * 1000);
    }
    mk_rest_stats s;
    mk_rest_stats_get(w.client, &s);
    assert_true(s.identity_calls >= 3);
    mk_rest_stats_free(&s);
    stop(&w);
}

static void forced_expiry_replays_once(void **st)
{
    (void)st;
    world w;
    assert_int_equal(start(&w, NULL), 0);
    mk_rest_result r;
    assert_int_equal(get_lead_1(w.client, &r), MK_REST_OK);
    mk_rest_result_free(&r);

    ts_emulator_admin(&w.emu, "/_emulator/faults", "{\"expire_tokens_now\":true}");

    /* The client still believes its token good for an hour: the emulator
     * answers 602, the client renews and replays, the caller sees success. */
    assert_int_equal(get_lead_1(w.client, &r), MK_REST_OK);
    assert_int_equal(r.attempts, 2);
    mk_rest_result_free(&r);

    mk_rest_stats s;
    mk_rest_stats_get(w.client, &s);
    assert_int_equal(s.token_replays, 1);
    assert_int_equal(s.identity_calls, 2);
    mk_rest_stats_free(&s);
    stop(&w);
}

/* ---- long queries ------------------------------------------------------- */

static void long_filter_values_as_post(void **st)
{
    (void)st;
    world w;
    assert_int_equal(start(&w, NULL), 0);
    size_t cap = 300 * 48;
    char *vals = malloc(cap);
    size_t o = 0;
    for (int i = 0; i < 300; i++)
        o += (size_t)snprintf(vals + o, cap - o, "%snobody.in.particular%03d@example.com",
                              i ? "," : "", i);
    mk_rest_param q[] = {{"filterType", "email"}, {"filterValues", vals},
                         {"fields", "id,email,firstName,lastName"}};
    mk_rest_req req = {.method = MK_REST_GET, .path = "/rest/v1/leads.json", .query = q, .nquery = 3};
    mk_rest_result r;
    mk_rest_status s = mk_rest_call(w.client, &cred, &req, &r);
    if (s != MK_REST_OK)
        fail_msg("%s: HTTP %ld, %d %s", mk_rest_status_str(s), r.http_status, r.error_code,
                 r.error_message);
    assert_int_equal(r.method_override, 1);
    assert_int_equal(r.success, 1);
    assert_true(cJSON_IsArray(cJSON_GetObjectItem(r.json, "result")));
    mk_rest_result_free(&r);
    free(vals);
    /* the emulator saw the GET the POST stands for */
    assert_int_equal(ts_emulator_calls(&w.emu, "GET /rest/v1/leads.json"), 1);
    stop(&w);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(token_shared_by_threads),
        cmocka_unit_test(concurrent_calls_keep_connections),
        cmocka_unit_test(bad_credentials),
        cmocka_unit_test(short_token_ttl),
        cmocka_unit_test(forced_expiry_replays_once),
        cmocka_unit_test(long_filter_values_as_post),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
