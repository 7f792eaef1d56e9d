/*
 * test_coalesce.c — the coalescer (src/ops/core/coalesce.c) against an
 * in-process fake Marketo that records every call it gets:
 *   - concurrent syncs share calls, each caller gets exactly its own
 *     results in its own order, never a key value twice in one call;
 *   - a skipped record fails only its caller; a whole-call failure that a
 *     record may have caused (609) sends every member alone, so only the
 *     guilty caller fails;
 *   - concurrent getLeads by email/id share one filter call and get their
 *     own matches (no match, several matches, values differing by case);
 *   - with coalescing off every request makes its own call;
 *   - with a budget too large to pace, a request makes its own call while a
 *     concurrency slot is free, and shares one once none is;
 *   - retries: a 604 is retried for createOrUpdate (idempotent) but not for
 *     createDuplicate, a 606 is retried for both;
 *   - every waiting request keeps its own deadline (in a shared batch, or
 *     waiting for a batch whose key clashes with its own).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <microhttpd.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "ops/core/coalesce.h"
#include "rest/json.h"
#include "rest/rest.h"

/* ---- the fake Marketo ------------------------------------------------------ */

static struct fake {
    pthread_mutex_t mu;
    struct MHD_Daemon *d;
    int port;
    int sync_calls, get_calls;
    int max_sync_records, max_get_values;
    int dup_key_in_call;          /* a call carried one email twice */
    char fail_next[8];            /* answer the next sync with this error code */
    int delay_ms;                 /* every REST answer takes this long */
    int calls_hi[64];             /* per sync call: records with n >= 1000 */
    int calls_n[64];              /* per sync call: records */
} fk = {.mu = PTHREAD_MUTEX_INITIALIZER};

typedef struct upload {
    char *data;
    size_t len;
} upload;

static void sleep_ms(long ms)
{
    struct timespec ts = {ms / 1000, (ms % 1000) * 1000000L};
    while (nanosleep(&ts, &ts) != 0)
        ;
}

static enum MHD_Result send_json(struct MHD_Connection *c, cJSON *j)
{
    char *s = cJSON_PrintUnformatted(j);
    cJSON_Delete(j);
    struct MHD_Response *r = MHD_create_response_from_buffer(strlen(s), s, MHD_RESPMEM_MUST_COPY);
    cJSON_free(s);
    MHD_add_response_header(r, "Content-Type", "application/json");
    enum MHD_Result ret = MHD_queue_response(c, 200, r);
    MHD_destroy_response(r);
    return ret;
}

static cJSON *error_env(const char *code, const char *msg)
{
    cJSON *j = cJSON_CreateObject();
    cJSON_AddStringToObject(j, "requestId", "f#1");
    cJSON_AddFalseToObject(j, "success");
    cJSON *e = cJSON_CreateObject();
    cJSON_AddStringToObject(e, "code", code);
    cJSON_AddStringToObject(e, "message", msg);
    cJSON_AddItemToArray(cJSON_AddArrayToObject(j, "errors"), e);
    return j;
}

/* Sync: "updated" with id = the record's n; "skipme" records are skipped;
 * a "poison" record fails the whole call with 609. */
static enum MHD_Result fake_sync(struct MHD_Connection *c, const upload *up)
{
    cJSON *body = cJSON_Parse(up->data ? up->data : "");
    cJSON *input = cJSON_GetObjectItem(body, "input");
    int n = cJSON_GetArraySize(input);
    pthread_mutex_lock(&fk.mu);
    if (fk.sync_calls < 64) {
        fk.calls_n[fk.sync_calls] = n;
        fk.calls_hi[fk.sync_calls] = 0;
        cJSON *r;
        cJSON_ArrayForEach(r, input)
            fk.calls_hi[fk.sync_calls] += cJSON_GetObjectItem(r, "n")->valuedouble >= 1000;
    }
    fk.sync_calls++;
    if (n > fk.max_sync_records)
        fk.max_sync_records = n;
    for (int i = 0; i < n; i++)
        for (int k = i + 1; k < n; k++) {
            const char *a = cJSON_GetStringValue(cJSON_GetObjectItem(cJSON_GetArrayItem(input, i), "email"));
            const char *b = cJSON_GetStringValue(cJSON_GetObjectItem(cJSON_GetArrayItem(input, k), "email"));
            if (a && b && strcasecmp(a, b) == 0)
                fk.dup_key_in_call = 1;
        }
    char fail[8];
    memcpy(fail, fk.fail_next, sizeof fail);
    fk.fail_next[0] = '\0';
    int delay = fk.delay_ms;
    pthread_mutex_unlock(&fk.mu);
    if (delay)
        sleep_ms(delay);
    if (fail[0]) {
        cJSON_Delete(body);
        return send_json(c, error_env(fail, "injected"));
    }
    cJSON *it;
    cJSON_ArrayForEach(it, input) {
        if (cJSON_GetObjectItem(it, "poison")) {
            cJSON_Delete(body);
            return send_json(c, error_env("609", "Invalid JSON"));
        }
    }
    cJSON *j = cJSON_CreateObject();
    cJSON_AddStringToObject(j, "requestId", "f#2");
    cJSON_AddTrueToObject(j, "success");
    cJSON *res = cJSON_AddArrayToObject(j, "result");
    cJSON_ArrayForEach(it, input) {
        cJSON *r = cJSON_CreateObject();
        if (cJSON_GetObjectItem(it, "skipme")) {
            cJSON_AddStringToObject(r, "status", "skipped");
            cJSON *why = cJSON_CreateObject();
            cJSON_AddStringToObject(why, "code", "1006");
            cJSON_AddStringToObject(why, "message", "Field 'skipme' not found");
            cJSON_AddItemToArray(cJSON_AddArrayToObject(r, "reasons"), why);
        } else {
            cJSON_AddNumberToObject(r, "id", cJSON_GetObjectItem(it, "n")->valuedouble);
            cJSON_AddStringToObject(r, "status", "updated");
        }
        cJSON_AddItemToArray(res, r);
    }
    cJSON_Delete(body);
    return send_json(c, j);
}

/* Get by email: "none*" match nothing, "two*" match two leads, others one
 * lead whose stored email is the value upper-cased (Marketo matches
 * emails without case).  By id: one lead with that id. */
static enum MHD_Result fake_get(struct MHD_Connection *c)
{
    const char *ft = MHD_lookup_connection_value(c, MHD_GET_ARGUMENT_KIND, "filterType");
    const char *fv = MHD_lookup_connection_value(c, MHD_GET_ARGUMENT_KIND, "filterValues");
    char *vals = strdup(fv ? fv : "");
    int nvals = 0;
    cJSON *j = cJSON_CreateObject();
    cJSON_AddStringToObject(j, "requestId", "f#3");
    cJSON_AddTrueToObject(j, "success");
    cJSON *res = cJSON_AddArrayToObject(j, "result");
    char *save = NULL;
    for (char *v = strtok_r(vals, ",", &save); v; v = strtok_r(NULL, ",", &save)) {
        nvals++;
        if (ft && strcmp(ft, "id") == 0) {
            cJSON *l = cJSON_CreateObject();
            cJSON_AddNumberToObject(l, "id", atof(v));
            cJSON_AddItemToArray(res, l);
            continue;
        }
        if (strncmp(v, "none", 4) == 0)
            continue;
        int copies = strncmp(v, "two", 3) == 0 ? 2 : 1;
        for (int k = 0; k < copies; k++) {
            cJSON *l = cJSON_CreateObject();
            char up[128];
            snprintf(up, sizeof up, "%s", v);
            for (char *p = up; *p; p++)
                *p = (char)(*p >= 'a' && *p <= 'z' ? *p - 32 : *p);
            cJSON_AddNumberToObject(l, "id", 1000 * (k + 1) + (double)strlen(v));
            cJSON_AddStringToObject(l, "email", up);
            cJSON_AddItemToArray(res, l);
        }
    }
    free(vals);
    pthread_mutex_lock(&fk.mu);
    fk.get_calls++;
    if (nvals > fk.max_get_values)
        fk.max_get_values = nvals;
    int delay = fk.delay_ms;
    pthread_mutex_unlock(&fk.mu);
    if (delay)
        sleep_ms(delay);
    return send_json(c, j);
}

static enum MHD_Result handler(void *cls, struct MHD_Connection *c, const char *url,
                               const char *method, const char *version, const char *data,
                               size_t *data_size, void **con_cls)
{
    (void)cls;
    (void)version;
    upload *up = *con_cls;
    if (!up) {
        *con_cls = calloc(1, sizeof *up);
        return MHD_YES;
    }
    if (*data_size) {
        up->data = realloc(up->data, up->len + *data_size + 1);
        memcpy(up->data + up->len, data, *data_size);
        up->len += *data_size;
        up->data[up->len] = '\0';
        *data_size = 0;
        return MHD_YES;
    }
    if (strcmp(url, "/identity/oauth/token") == 0) {
        cJSON *j = cJSON_CreateObject();
        cJSON_AddStringToObject(j, "access_token", "tok");
        cJSON_AddNumberToObject(j, "expires_in", 3600);
        return send_json(c, j);
    }
    if (strcmp(url, "/rest/v1/leads.json") == 0)
        return strcmp(method, "POST") == 0 ? fake_sync(c, up) : fake_get(c);
    return send_json(c, error_env("610", "Requested resource not found"));
}

static void completed(void *cls, struct MHD_Connection *c, void **con_cls,
                      enum MHD_RequestTerminationCode toe)
{
    (void)cls;
    (void)c;
    (void)toe;
    upload *up = *con_cls;
    if (up) {
        free(up->data);
        free(up);
    }
    *con_cls = NULL;
}

static int fake_start(void **st)
{
    (void)st;
    fk.d = MHD_start_daemon(MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_THREAD_PER_CONNECTION, 0,
                            NULL, NULL, handler, NULL, MHD_OPTION_NOTIFY_COMPLETED, completed,
                            NULL, MHD_OPTION_END);
    if (!fk.d)
        return -1;
    fk.port = MHD_get_daemon_info(fk.d, MHD_DAEMON_INFO_BIND_PORT)->port;
    return 0;
}

static int fake_stop(void **st)
{
    (void)st;
    MHD_stop_daemon(fk.d);
    return 0;
}

/* ---- per test: a client and a coalescer ------------------------------------- */

static mk_rest_client *client;
static mk_coalescer *co;
static const mk_rest_cred cred = {"id", "secret"};

static int setup_limits(int disabled, int rate_limit, int max_concurrency)
{
    pthread_mutex_lock(&fk.mu);
    fk.sync_calls = fk.get_calls = fk.max_sync_records = fk.max_get_values = 0;
    fk.dup_key_in_call = 0;
    fk.fail_next[0] = '\0';
    fk.delay_ms = 30; /* time for companions to arrive while a call is out */
    pthread_mutex_unlock(&fk.mu);
    char base[64], ident[80], err[256];
    snprintf(base, sizeof base, "http://127.0.0.1:%d", fk.port);
    snprintf(ident, sizeof ident, "http://127.0.0.1:%d/identity", fk.port);
    mk_rest_config cfg = {.endpoint = base, .identity = ident, .timeout_ms = 20000,
                          .retry_base_ms = 20,
                          .limits = {.rate_limit = rate_limit, .max_concurrency = max_concurrency}};
    if (mk_rest_client_new(&cfg, &client, err, sizeof err) != MK_REST_OK)
        return -1;
    mk_coalesce_config cc = {.disabled = disabled, .wait_ms = 5};
    return mk_coalescer_new(client, &cc, &co);
}

static int setup_with(int disabled)
{
    return setup_limits(disabled, 0, 10);
}

/* Limits raised "off" (100,000 calls / 20 s: no pace), 16 or 1 in flight. */
static int setup_unpaced(void **st)
{
    (void)st;
    return setup_limits(0, 100000, 16);
}

static int setup_unpaced_one(void **st)
{
    (void)st;
    return setup_limits(0, 100000, 1);
}

static int setup(void **st)
{
    (void)st;
    return setup_with(0);
}

static int setup_disabled(void **st)
{
    (void)st;
    return setup_with(1);
}

static int teardown(void **st)
{
    (void)st;
    mk_coalescer_free(co);
    mk_rest_client_free(client);
    return 0;
}

/* ---- a crowd of concurrent callers -------------------------------------------- */

typedef struct caller {
    int i;
    int nrec;
    const char *action;
    const char *email;        /* shared key (clash test); NULL: own */
    int skip, poison;
    mk_rest_status st;
    mk_rest_result res;
    mk_coalesce_cost cost;
    /* get */
    const char *filter, *value;
    cJSON *leads;
    /* timing: start this long after the others, with this deadline (ms
     * from its start; 0: 15 s); how long its call took */
    long start_after_ms, deadline_ms, took_ms;
    const char *user;         /* SOAP user (fair shares); NULL: anonymous */
    int64_t deadline_at;      /* absolute deadline; 0: deadline_ms applies */
    int64_t answered_at;
    int no_gate;              /* starts at once, not with the others */
} caller;

static pthread_barrier_t gate;

static void *sync_caller(void *arg)
{
    caller *c = arg;
    cJSON *input = cJSON_CreateArray();
    for (int k = 0; k < c->nrec; k++) {
        cJSON *r = cJSON_CreateObject();
        char email[64];
        if (c->email)
            snprintf(email, sizeof email, "%s", c->email);
        else
            snprintf(email, sizeof email, "p%d-%d@x.io", c->i, k);
        cJSON_AddStringToObject(r, "email", email);
        cJSON_AddNumberToObject(r, "n", c->i * 10 + k);
        if (c->skip)
            cJSON_AddTrueToObject(r, "skipme");
        if (c->poison)
            cJSON_AddTrueToObject(r, "poison");
        cJSON_AddItemToArray(input, r);
    }
    if (!c->no_gate)
        pthread_barrier_wait(&gate);
    if (c->start_after_ms)
        sleep_ms(c->start_after_ms);
    int64_t t0 = mk_rest_now_ms();
    mk_rest_caller who = {c->user, 1};   /* key, weight */
    c->st = mk_coalesce_sync(co, &cred, c->user ? &who : NULL,
                             c->action ? c->action : "createOrUpdate", "email", NULL, input,
                             c->deadline_at ? c->deadline_at
                                            : t0 + (c->deadline_ms ? c->deadline_ms : 15000),
                             &c->res, &c->cost);
    c->took_ms = (long)(mk_rest_now_ms() - t0);
    c->answered_at = mk_rest_now_ms();
    cJSON_Delete(input);
    return NULL;
}

static void *get_caller(void *arg)
{
    caller *c = arg;
    pthread_barrier_wait(&gate);
    c->st = mk_coalesce_get(co, &cred, NULL, c->filter, c->value, NULL, 1000, mk_rest_now_ms() + 15000,
                            &c->leads, &c->res, &c->cost);
    return NULL;
}

static void run(caller *cs, int n, void *(*fn)(void *))
{
    pthread_t t[64];
    pthread_barrier_init(&gate, NULL, (unsigned)n);
    for (int i = 0; i < n; i++)
        pthread_create(&t[i], NULL, fn, &cs[i]);
    for (int i = 0; i < n; i++)
        pthread_join(t[i], NULL);
    pthread_barrier_destroy(&gate);
}

static const cJSON *result_of(const caller *c)
{
    return cJSON_GetObjectItem(c->res.json, "result");
}

static void syncs_share_calls(void **st)
{
    (void)st;
    enum { N = 40 };
    caller cs[N];
    memset(cs, 0, sizeof cs);
    for (int i = 0; i < N; i++) {
        cs[i].i = i + 1;
        cs[i].nrec = 1 + i % 3;
    }
    run(cs, N, sync_caller);
    double calls = 0;
    for (int i = 0; i < N; i++) {
        assert_int_equal(cs[i].st, MK_REST_OK);
        const cJSON *r = result_of(&cs[i]);
        assert_int_equal(cJSON_GetArraySize(r), cs[i].nrec);
        for (int k = 0; k < cs[i].nrec; k++) {
            int64_t id = 0;
            assert_int_equal(mk_rest_json_get_int64(cJSON_GetArrayItem(r, k), "id", &id),
                             MK_REST_JSON_OK);
            assert_int_equal(id, cs[i].i * 10 + k); /* its own record, in its order */
        }
        calls += cs[i].cost.rest_calls;
        mk_rest_result_free(&cs[i].res);
    }
    /* 40 callers arriving together need a handful of calls, not 40. */
    if (fk.sync_calls > 6)
        fail_msg("%d sync calls for %d concurrent callers", fk.sync_calls, N);
    assert_true(fk.max_sync_records > 1);
    assert_false(fk.dup_key_in_call);
    /* Their shares add up to the calls made. */
    assert_true(calls > fk.sync_calls - 0.01 && calls < fk.sync_calls + 0.01);
    cJSON *stats = cJSON_CreateObject();
    mk_coalescer_stats_json(co, stats);
    const cJSON *s = cJSON_GetObjectItem(stats, "sync");
    assert_int_equal(cJSON_GetObjectItem(s, "requests_batched")->valueint, N);
    assert_int_equal(cJSON_GetObjectItem(s, "batches")->valueint, fk.sync_calls);
    cJSON_Delete(stats);
}

static void same_key_never_twice_in_a_call(void **st)
{
    (void)st;
    enum { N = 12 };
    caller cs[N];
    memset(cs, 0, sizeof cs);
    for (int i = 0; i < N; i++) {
        cs[i].i = i + 1;
        cs[i].nrec = 1;
        cs[i].email = i % 2 ? "Same@X.io" : "same@x.io";
    }
    run(cs, N, sync_caller);
    for (int i = 0; i < N; i++) {
        assert_int_equal(cs[i].st, MK_REST_OK);
        int64_t id = 0;
        mk_rest_json_get_int64(cJSON_GetArrayItem(result_of(&cs[i]), 0), "id", &id);
        assert_int_equal(id, cs[i].i * 10);
        mk_rest_result_free(&cs[i].res);
    }
    assert_false(fk.dup_key_in_call);
    assert_int_equal(fk.sync_calls, N); /* one per caller: all share the key */
}

static void a_failing_record_fails_only_its_caller(void **st)
{
    (void)st;
    enum { N = 20 };
    caller cs[N];
    memset(cs, 0, sizeof cs);
    for (int i = 0; i < N; i++) {
        cs[i].i = i + 1;
        cs[i].nrec = 1;
        cs[i].skip = i == 7;
    }
    run(cs, N, sync_caller);
    for (int i = 0; i < N; i++) {
        assert_int_equal(cs[i].st, MK_REST_OK);
        const char *status =
            cJSON_GetStringValue(cJSON_GetObjectItem(cJSON_GetArrayItem(result_of(&cs[i]), 0), "status"));
        assert_string_equal(status, i == 7 ? "skipped" : "updated");
        mk_rest_result_free(&cs[i].res);
    }
    assert_true(fk.sync_calls < N);

    /* A record that makes the whole call fail (609): the batch is retried
     * member by member, so only its own caller sees the failure.  Whether
     * the poisoned caller shares a call depends on when the quota guard
     * grants it (a batch is sealed then, and early in the window it grants
     * at once), so the round is repeated until it did; every round checks
     * each caller's own answer. */
    int solo = 0;
    for (int round = 0; round < 8 && solo == 0; round++) {
        memset(cs, 0, sizeof cs);
        for (int i = 0; i < N; i++) {
            cs[i].i = i + 100 + 100 * round;
            cs[i].nrec = 1;
            cs[i].poison = i == 3;
        }
        run(cs, N, sync_caller);
        for (int i = 0; i < N; i++) {
            if (i == 3) {
                assert_int_equal(cs[i].st, MK_REST_ERR_API);
                assert_int_equal(cs[i].res.error_code, 609);
            } else {
                assert_int_equal(cs[i].st, MK_REST_OK);
                int64_t id = 0;
                mk_rest_json_get_int64(cJSON_GetArrayItem(result_of(&cs[i]), 0), "id", &id);
                assert_int_equal(id, cs[i].i * 10);
            }
            mk_rest_result_free(&cs[i].res);
        }
        cJSON *stats = cJSON_CreateObject();
        mk_coalescer_stats_json(co, stats);
        solo = cJSON_GetObjectItem(cJSON_GetObjectItem(stats, "sync"),
                                   "solo_after_batch_failure")->valueint;
        cJSON_Delete(stats);
    }
    assert_true(solo > 0);
}

static void gets_share_calls_and_split(void **st)
{
    (void)st;
    enum { N = 30 };
    caller cs[N];
    char vals[N][32];
    memset(cs, 0, sizeof cs);
    for (int i = 0; i < N; i++) {
        cs[i].filter = "email";
        switch (i % 6) {
        case 0: snprintf(vals[i], sizeof vals[i], "none%d@x.io", i); break;
        case 1: snprintf(vals[i], sizeof vals[i], "two%d@x.io", i); break;
        case 2: snprintf(vals[i], sizeof vals[i], "shared@x.io"); break;   /* same value */
        case 3: snprintf(vals[i], sizeof vals[i], "Shared@X.io"); break;   /* differs by case */
        case 4: snprintf(vals[i], sizeof vals[i], "%d", 500 + i); cs[i].filter = "id"; break;
        default: snprintf(vals[i], sizeof vals[i], "one%d@x.io", i); break;
        }
        cs[i].value = vals[i];
    }
    run(cs, N, get_caller);
    for (int i = 0; i < N; i++) {
        assert_int_equal(cs[i].st, MK_REST_OK);
        int want = i % 6 == 0 ? 0 : i % 6 == 1 ? 2 : 1;
        if (cJSON_GetArraySize(cs[i].leads) != want)
            fail_msg("caller %d (%s) got %d leads, want %d", i, cs[i].value,
                     cJSON_GetArraySize(cs[i].leads), want);
        const cJSON *l;
        cJSON_ArrayForEach(l, cs[i].leads) {
            if (strcmp(cs[i].filter, "id") == 0) {
                int64_t id;
                mk_rest_json_get_int64(l, "id", &id);
                assert_int_equal(id, atoi(cs[i].value));
            } else {
                assert_int_equal(strcasecmp(cJSON_GetStringValue(cJSON_GetObjectItem(l, "email")),
                                            cs[i].value), 0);
            }
        }
        cJSON_Delete(cs[i].leads);
        mk_rest_result_free(&cs[i].res);
    }
    /* Two filter types, and "shared"/"Shared" never in one call: a few calls. */
    if (fk.get_calls > 8)
        fail_msg("%d get calls for %d concurrent callers", fk.get_calls, N);
    assert_true(fk.max_get_values > 1);
}

/* n one-record syncs at once, each answered with its own record by a call
 * of its own (none shared): one REST call per request. */
static void syncs_each_alone(int n)
{
    caller cs[8];
    assert_true(n <= (int)(sizeof cs / sizeof cs[0]));
    memset(cs, 0, sizeof cs);
    for (int i = 0; i < n; i++) {
        cs[i].i = i + 1;
        cs[i].nrec = 1;
    }
    run(cs, n, sync_caller);
    for (int i = 0; i < n; i++) {
        assert_int_equal(cs[i].st, MK_REST_OK);
        assert_int_equal(cJSON_GetArraySize(result_of(&cs[i])), 1);
        assert_false(cs[i].cost.shared);
        mk_rest_result_free(&cs[i].res);
    }
    assert_int_equal(fk.sync_calls, n);
}

static void disabled_means_alone(void **st)
{
    (void)st;
    syncs_each_alone(8);
    assert_int_equal(fk.max_sync_records, 1);
}

/* Nothing to save by sharing: each request its own call, on its thread. */
static void unpaced_with_free_slots_goes_alone(void **st)
{
    (void)st;
    enum { N = 8 };
    syncs_each_alone(N);
    mk_coalesce_counters n[2];
    mk_coalescer_counters(co, n);
    assert_int_equal(n[0].alone + n[1].alone, N);
}

/* The only slot is taken: the requests that come meanwhile share the next
 * call instead of queueing one call each. */
static void unpaced_without_a_slot_shares(void **st)
{
    (void)st;
    enum { N = 8 };
    pthread_mutex_lock(&fk.mu);
    fk.delay_ms = 300;
    pthread_mutex_unlock(&fk.mu);
    caller cs[N];
    memset(cs, 0, sizeof cs);
    for (int i = 0; i < N; i++) {
        cs[i].i = i + 1;
        cs[i].nrec = 1;
        cs[i].start_after_ms = i ? 60 : 0; /* while the first call is out */
    }
    run(cs, N, sync_caller);
    for (int i = 0; i < N; i++) {
        assert_int_equal(cs[i].st, MK_REST_OK);
        assert_int_equal(cJSON_GetArraySize(result_of(&cs[i])), 1);
        mk_rest_result_free(&cs[i].res);
    }
    if (fk.sync_calls >= N || fk.max_sync_records < 2)
        fail_msg("%d sync calls, at most %d records in one, for %d requests", fk.sync_calls,
                 fk.max_sync_records, N);
}

static void retries_respect_idempotency(void **st)
{
    (void)st;
    fk.delay_ms = 0;
    caller c = {.i = 1, .nrec = 1};
    /* 604 on createOrUpdate (safe to repeat): retried, succeeds. */
    snprintf(fk.fail_next, sizeof fk.fail_next, "604");
    pthread_barrier_init(&gate, NULL, 1);
    sync_caller(&c);
    assert_int_equal(c.st, MK_REST_OK);
    assert_int_equal(c.res.retries, 1);
    assert_int_equal(fk.sync_calls, 2);
    mk_rest_result_free(&c.res);

    /* 604 on createDuplicate: Marketo may have created it; never resent. */
    c.action = "createDuplicate";
    snprintf(fk.fail_next, sizeof fk.fail_next, "604");
    sync_caller(&c);
    assert_int_equal(c.st, MK_REST_ERR_API);
    assert_int_equal(c.res.error_code, 604);
    assert_int_equal(c.res.retries, 0);
    assert_int_equal(fk.sync_calls, 3);
    mk_rest_result_free(&c.res);

    /* 606: Marketo did not execute it; resent even for createDuplicate. */
    snprintf(fk.fail_next, sizeof fk.fail_next, "606");
    sync_caller(&c);
    assert_int_equal(c.st, MK_REST_OK);
    assert_int_equal(c.res.retries, 1);
    assert_int_equal(fk.sync_calls, 5);
    mk_rest_result_free(&c.res);
    pthread_barrier_destroy(&gate);

    mk_rest_stats s;
    mk_rest_stats_get(client, &s);
    assert_int_equal(s.retries, 2);
    assert_int_equal(s.limiter.answers_606, 1);
    mk_rest_stats_free(&s);
}

/* The quota guard's refusals read like Marketo's own answers (606 rate,
 * 615 concurrency) so that errors.json maps them to 20023 / 20024, and
 * nothing reaches Marketo. */
static void *slow_call(void *arg)
{
    (void)arg;
    caller c = {.i = 7, .nrec = 1};
    sync_caller(&c); /* meets the main thread at the gate */
    mk_rest_result_free(&c.res);
    return NULL;
}

static void guard_refusals_read_like_marketo(void **st)
{
    (void)st;
    mk_coalescer_free(co);
    mk_rest_client_free(client);
    char base[64], ident[80], err[256];
    snprintf(base, sizeof base, "http://127.0.0.1:%d", fk.port);
    snprintf(ident, sizeof ident, "http://127.0.0.1:%d/identity", fk.port);
    mk_rest_config cfg = {.endpoint = base, .identity = ident, .timeout_ms = 20000,
                          .limits = {.rate_limit = 2, .rate_window_ms = 60000,
                                     .max_concurrency = 1, .burst = -1}};
    assert_int_equal(mk_rest_client_new(&cfg, &client, err, sizeof err), MK_REST_OK);
    mk_coalesce_config cc = {.disabled = 1};
    assert_int_equal(mk_coalescer_new(client, &cc, &co), 0);

    /* One call in flight for 400 ms holds the only concurrency slot. */
    fk.delay_ms = 400;
    pthread_t t;
    pthread_barrier_init(&gate, NULL, 2);
    pthread_create(&t, NULL, slow_call, NULL);
    pthread_barrier_wait(&gate);
    sleep_ms(100);
    mk_rest_req rr = {.method = MK_REST_GET, .path = "/rest/v1/leads.json",
                      .deadline_ms = mk_rest_now_ms() + 150};
    mk_rest_result res;
    assert_int_equal(mk_rest_call(client, &cred, &rr, &res), MK_REST_ERR_API);
    assert_int_equal(res.error_code, 615);
    assert_true(res.limited);
    assert_int_equal(res.attempts, 0);
    assert_non_null(strstr(res.error_message, "in flight"));
    mk_rest_result_free(&res);
    pthread_join(t, NULL);
    pthread_barrier_destroy(&gate);

    /* The window (2 per 60 s) now has one more: the third call is refused. */
    fk.delay_ms = 0;
    rr.deadline_ms = mk_rest_now_ms() + 1000;
    assert_int_equal(mk_rest_call(client, &cred, &rr, &res), MK_REST_OK);
    mk_rest_result_free(&res);
    int before = fk.get_calls;
    rr.deadline_ms = mk_rest_now_ms() + 150;
    assert_int_equal(mk_rest_call(client, &cred, &rr, &res), MK_REST_ERR_API);
    assert_int_equal(res.error_code, 606);
    assert_true(res.limited);
    /* At once: the window shows it cannot go before its deadline. */
    assert_true(res.limiter_wait_ms < 100);
    assert_non_null(strstr(res.error_message, "at the soonest"));
    mk_rest_result_free(&res);
    assert_int_equal(fk.get_calls, before);
}

/* While the only concurrency slot is busy, a crowd from a busy user (30)
 * and a quiet one (5) piles into one open batch of at most 10 records: the
 * call that goes next takes turns between them, so the quiet user's five
 * go together in it; the busy user's rest follows in arrival order.  A
 * caller whose deadline the queue ahead already shows it cannot meet gets
 * its refusal at once. */
static void a_full_batch_is_shared_fairly(void **st)
{
    (void)st;
    mk_coalescer_free(co);
    mk_rest_client_free(client);
    char base[64], ident[80], err[256];
    snprintf(base, sizeof base, "http://127.0.0.1:%d", fk.port);
    snprintf(ident, sizeof ident, "http://127.0.0.1:%d/identity", fk.port);
    /* 100 per 20 s: a 200 ms pace, so 3 calls of 10 take about 600 ms. */
    mk_rest_config cfg = {.endpoint = base, .identity = ident, .timeout_ms = 20000,
                          .limits = {.max_concurrency = 1, .burst = -1}};
    assert_int_equal(mk_rest_client_new(&cfg, &client, err, sizeof err), MK_REST_OK);
    mk_coalesce_config cc = {.wait_ms = 5, .max_records = 10};
    assert_int_equal(mk_coalescer_new(client, &cc, &co), 0);
    fk.delay_ms = 300;

    enum { BUSY = 30, QUIET = 5, LATE = 1, N = 1 + BUSY + QUIET + LATE };
    caller cs[N];
    memset(cs, 0, sizeof cs);
    /* The first goes alone (the kind is idle) and holds the slot 300 ms. */
    cs[0] = (caller){.i = 1, .nrec = 1, .no_gate = 1};
    for (int i = 1; i <= BUSY; i++)
        cs[i] = (caller){.i = 10 + i, .nrec = 1, .user = "busy"};
    for (int i = 0; i < QUIET; i++)
        cs[1 + BUSY + i] = (caller){.i = 100 + i, .nrec = 1, .user = "quiet"};
    /* The busy user's last: 29 of its own ahead, at 10 per call and one
     * call per 200 ms at the budget's pace, but only 300 ms to live. */
    cs[N - 1] = (caller){.i = 200, .nrec = 1, .user = "busy", .no_gate = 1};

    pthread_t t[N];
    pthread_create(&t[0], NULL, sync_caller, &cs[0]);
    sleep_ms(50);
    pthread_barrier_init(&gate, NULL, N - 2);
    for (int i = 1; i < N - 1; i++)
        pthread_create(&t[i], NULL, sync_caller, &cs[i]);
    sleep_ms(30);
    cs[N - 1].deadline_at = mk_rest_now_ms() + 300;
    pthread_create(&t[N - 1], NULL, sync_caller, &cs[N - 1]);
    for (int i = 0; i < N; i++)
        pthread_join(t[i], NULL);
    pthread_barrier_destroy(&gate);

    int quiet_call = -1;
    for (int k = 0; k < fk.sync_calls && k < 64; k++) {
        assert_true(fk.calls_n[k] <= 10);
        if (fk.calls_hi[k] == QUIET)
            quiet_call = k;
    }
    if (quiet_call < 0)
        fail_msg("the quiet user's %d requests were not carried by one call", QUIET);
    int64_t quiet_last = 0, busy_last = 0;
    for (int i = 0; i < N - 1; i++) {
        if (cs[i].st != MK_REST_OK)
            fail_msg("caller %d: status %d (%s)", cs[i].i, cs[i].st, cs[i].res.error_message);
        int64_t id = 0;
        mk_rest_json_get_int64(cJSON_GetArrayItem(result_of(&cs[i]), 0), "id", &id);
        assert_int_equal(id, cs[i].i * 10);  /* its own record */
        if (cs[i].user && strcmp(cs[i].user, "quiet") == 0 && cs[i].answered_at > quiet_last)
            quiet_last = cs[i].answered_at;
        if (cs[i].user && strcmp(cs[i].user, "busy") == 0 && cs[i].answered_at > busy_last)
            busy_last = cs[i].answered_at;
        mk_rest_result_free(&cs[i].res);
    }
    /* The quiet user is through before the busy one's last call. */
    assert_true(quiet_last < busy_last);
    /* The late caller: refused with the guard's 606, long before a call
     * could have carried it. */
    caller *late = &cs[N - 1];
    assert_int_equal(late->st, MK_REST_ERR_API);
    assert_int_equal(late->res.error_code, 606);
    assert_true(late->res.limited);
    assert_non_null(strstr(late->res.error_message, "before its deadline"));
    mk_rest_result_free(&late->res);
    cJSON *stats = cJSON_CreateObject();
    mk_coalescer_stats_json(co, stats);
    const cJSON *s = cJSON_GetObjectItem(stats, "sync");
    assert_true(cJSON_GetObjectItem(s, "moved_to_next_batch")->valueint > 0);
    assert_int_equal(cJSON_GetObjectItem(s, "refused_before_deadline")->valueint, 1);
    /* 35 requests waited in one open batch while it took members, and were
     * moved on from call to call: each woke once (answered, or to lead the
     * next batch), not at every join or split. */
    int wakeups = cJSON_GetObjectItem(s, "member_wakeups")->valueint;
    int batched = cJSON_GetObjectItem(s, "requests_batched")->valueint;
    if (wakeups < 1 || wakeups > batched)
        fail_msg("%d member wake-ups for %d requests batched", wakeups, batched);
    cJSON_Delete(stats);
}

/* Issue 9, item 4: every waiting request honours its own deadline.  A call
 * is in flight (1 s per REST answer), so the next batch lingers for
 * companions; its leader has 15 s.  Either a member that joins it has
 * 600 ms, or a request whose key clashes with it has 500 ms.  The short
 * one is answered (a timeout) by its own deadline, not when the others'
 * calls end, and the leader, whose shared call was cut at the member's
 * deadline, still gets its answer within its own. */
static void short_deadline_among_long(int clash)
{
    mk_coalescer_free(co);
    mk_coalesce_config cc = {.wait_ms = 5, .max_hold_ms = 3000, .send_reserve_ms = 100};
    assert_int_equal(mk_coalescer_new(client, &cc, &co), 0);
    fk.delay_ms = 1000;

    caller cs[3];
    memset(cs, 0, sizeof cs);
    for (int i = 0; i < 3; i++) {
        cs[i].i = i + 1;
        cs[i].nrec = 1;
    }
    cs[1].start_after_ms = 100;              /* the lingering batch's leader */
    cs[1].email = "shared@x.io";
    cs[2].start_after_ms = 200;
    cs[2].deadline_ms = clash ? 500 : 600;
    cs[2].email = clash ? "shared@x.io" : NULL;
    run(cs, 3, sync_caller);

    if (cs[2].st != MK_REST_ERR_TIMEOUT || cs[2].took_ms > cs[2].deadline_ms + 250)
        fail_msg("%s with a %ld ms deadline: status %d after %ld ms",
                 clash ? "a clashing request" : "a member", cs[2].deadline_ms, cs[2].st,
                 cs[2].took_ms);
    mk_rest_result_free(&cs[2].res);
    for (int i = 0; i < 2; i++) {
        if (cs[i].st != MK_REST_OK)
            fail_msg("caller %d (deadline 15 s): status %d after %ld ms: %s", i, cs[i].st,
                     cs[i].took_ms, cs[i].res.error_message);
        int64_t id = 0;
        mk_rest_json_get_int64(cJSON_GetArrayItem(result_of(&cs[i]), 0), "id", &id);
        assert_int_equal(id, cs[i].i * 10);
        mk_rest_result_free(&cs[i].res);
    }
}

static void waiting_requests_keep_their_own_deadline(void **st)
{
    (void)st;
    short_deadline_among_long(1);
    short_deadline_among_long(0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(syncs_share_calls, setup, teardown),
        cmocka_unit_test_setup_teardown(same_key_never_twice_in_a_call, setup, teardown),
        cmocka_unit_test_setup_teardown(a_failing_record_fails_only_its_caller, setup, teardown),
        cmocka_unit_test_setup_teardown(gets_share_calls_and_split, setup, teardown),
        cmocka_unit_test_setup_teardown(disabled_means_alone, setup_disabled, teardown),
        cmocka_unit_test_setup_teardown(unpaced_with_free_slots_goes_alone, setup_unpaced,
                                        teardown),
        cmocka_unit_test_setup_teardown(unpaced_without_a_slot_shares, setup_unpaced_one,
                                        teardown),
        cmocka_unit_test_setup_teardown(retries_respect_idempotency, setup, teardown),
        cmocka_unit_test_setup_teardown(guard_refusals_read_like_marketo, setup, teardown),
        cmocka_unit_test_setup_teardown(a_full_batch_is_shared_fairly, setup, teardown),
        cmocka_unit_test_setup_teardown(waiting_requests_keep_their_own_deadline, setup, teardown),
    };
    return cmocka_run_group_tests(tests, fake_start, fake_stop);
}
