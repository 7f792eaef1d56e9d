/*
 * test_rest_client.c — the REST client against an in-process fake Marketo
 * (libmicrohttpd), so the call path can be tested without the emulator:
 * Bearer header (never access_token), envelope reading, token reuse across
 * threads (single flight), bad credentials, 601/602 replay, expires_in 0,
 * POST ?_method=GET for long queries, HTTP/API/parse/transport/deadline
 * failures and the call statistics.
 *
 * The fake keeps one token; tests make it "expire" by flipping
 * token_valid, after which calls bearing it get 602 and the identity
 * endpoint issues a new one.
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
#include <time.h>

#include "rest/json.h"
#include "rest/rest.h"
#include "rest/ep.h"

/* ---- the fake server ---------------------------------------------------- */

static struct fake {
    pthread_mutex_t mu;
    struct MHD_Daemon *d;
    int port;
    int identity_calls;
    int rest_calls;
    int token_seq;
    int token_valid;
    char token[64];
    int zero_ttl_left;       /* identity answers expires_in 0 this many times */
    int identity_delay_ms;
} fk = {.mu = PTHREAD_MUTEX_INITIALIZER};

static void sleep_ms(int ms)
{
    struct timespec ts = {ms / 1000, (long)(ms % 1000) * 1000000L};
    nanosleep(&ts, NULL);
}

typedef struct upload {
    char *data;
    size_t len;
} upload;

static enum MHD_Result reply(struct MHD_Connection *c, unsigned status, const char *ctype,
                             const char *body)
{
    struct MHD_Response *r =
        MHD_create_response_from_buffer(strlen(body), (void *)body, MHD_RESPMEM_MUST_COPY);
    MHD_add_response_header(r, "Content-Type", ctype);
    enum MHD_Result ret = MHD_queue_response(c, status, r);
    MHD_destroy_response(r);
    return ret;
}

static enum MHD_Result reply_json(struct MHD_Connection *c, unsigned status, cJSON *j)
{
    char *s = cJSON_PrintUnformatted(j);
    cJSON_Delete(j);
    enum MHD_Result ret = reply(c, status, "application/json;charset=UTF-8", s);
    cJSON_free(s);
    return ret;
}

static enum MHD_Result collect_arg(void *cls, enum MHD_ValueKind kind, const char *k,
                                   const char *v)
{
    (void)kind;
    cJSON *obj = cls;
    cJSON *prev = cJSON_GetObjectItem(obj, k);
    cJSON *val = cJSON_CreateString(v ? v : "");
    if (!prev) {
        cJSON_AddItemToObject(obj, k, val);
    } else if (cJSON_IsArray(prev)) {
        cJSON_AddItemToArray(prev, val);
    } else {
        cJSON *arr = cJSON_CreateArray();
        cJSON_AddItemToArray(arr, cJSON_Duplicate(prev, 1));
        cJSON_AddItemToArray(arr, val);
        cJSON_ReplaceItemInObject(obj, k, arr);
    }
    return MHD_YES;
}

static enum MHD_Result identity(struct MHD_Connection *c)
{
    const char *id = MHD_lookup_connection_value(c, MHD_GET_ARGUMENT_KIND, "client_id");
    const char *secret = MHD_lookup_connection_value(c, MHD_GET_ARGUMENT_KIND, "client_secret");
    const char *grant = MHD_lookup_connection_value(c, MHD_GET_ARGUMENT_KIND, "grant_type");
    pthread_mutex_lock(&fk.mu);
    fk.identity_calls++;
    int delay = fk.identity_delay_ms;
    pthread_mutex_unlock(&fk.mu);
    if (delay)
        sleep_ms(delay);
    if (!id || !secret || !grant || strcmp(id, "id-1") != 0 ||
        strcmp(secret, "s&cret =/") != 0 || strcmp(grant, "client_credentials") != 0)
        return reply(c, 401, "application/json",
                     "{\"error\":\"invalid_client\",\"error_description\":\"Bad client credentials\"}");
    pthread_mutex_lock(&fk.mu);
    if (!fk.token_valid) {
        fk.token_seq++;
        snprintf(fk.token, sizeof fk.token, "tok-%d:int", fk.token_seq);
        fk.token_valid = 1;
    }
    int ttl = 3599;
    if (fk.zero_ttl_left > 0) {
        fk.zero_ttl_left--;
        ttl = 0;
    }
    cJSON *j = cJSON_CreateObject();
    cJSON_AddStringToObject(j, "access_token", fk.token);
    cJSON_AddStringToObject(j, "token_type", "bearer");
    cJSON_AddNumberToObject(j, "expires_in", ttl);
    cJSON_AddStringToObject(j, "scope", "apis@example.com");
    pthread_mutex_unlock(&fk.mu);
    return reply_json(c, 200, j);
}

static cJSON *envelope_error(const char *code, const char *msg)
{
    cJSON *j = cJSON_CreateObject();
    cJSON_AddStringToObject(j, "requestId", "e42b#14272d07d78");
    cJSON_AddBoolToObject(j, "success", 0);
    cJSON *errs = cJSON_AddArrayToObject(j, "errors");
    cJSON *e = cJSON_CreateObject();
    cJSON_AddStringToObject(e, "code", code);
    cJSON_AddStringToObject(e, "message", msg);
    cJSON_AddItemToArray(errs, e);
    return j;
}

static enum MHD_Result rest(struct MHD_Connection *c, const char *url, const char *method,
                            const upload *up)
{
    pthread_mutex_lock(&fk.mu);
    fk.rest_calls++;
    char want[96];
    snprintf(want, sizeof want, "Bearer %s", fk.token);
    int valid = fk.token_valid;
    pthread_mutex_unlock(&fk.mu);

    if (MHD_lookup_connection_value(c, MHD_GET_ARGUMENT_KIND, "access_token"))
        return reply(c, 400, "text/plain", "access_token parameter is gone");
    const char *auth = MHD_lookup_connection_value(c, MHD_HEADER_KIND, "Authorization");
    if (!auth || strncmp(auth, "Bearer ", 7) != 0)
        return reply_json(c, 200, envelope_error("601", "Access token invalid"));
    if (strcmp(auth, want) != 0 || !valid)
        return reply_json(c, 200, envelope_error(valid ? "601" : "602",
                                                 valid ? "Access token invalid"
                                                       : "Access token expired"));

    if (strcmp(url, "/rest/v1/fail.json") == 0)
        return reply_json(c, 200, envelope_error("1004", "Lead not found"));
    if (strcmp(url, "/rest/v1/http500.json") == 0)
        return reply(c, 500, "text/html", "oops");
    if (strcmp(url, "/rest/v1/notjson.json") == 0)
        return reply(c, 200, "application/json", "nope");
    if (strcmp(url, "/rest/v1/slow.json") == 0)
        sleep_ms(1500);
    if (strcmp(url, "/rest/v1/bigid.json") == 0)
        return reply(c, 200, "application/json",
                     "{\"requestId\":\"1#2\",\"success\":true,\"result\":"
                     "[{\"id\":9007199254740993,\"marketoGUID\":\"123\"}]}");

    cJSON *j = cJSON_CreateObject();
    cJSON_AddStringToObject(j, "requestId", "10226#14d3049e51b");
    cJSON_AddBoolToObject(j, "success", 1);
    cJSON *res = cJSON_AddArrayToObject(j, "result");
    cJSON *echo = cJSON_CreateObject();
    cJSON_AddStringToObject(echo, "method", method);
    cJSON_AddStringToObject(echo, "path", url);
    cJSON *args = cJSON_AddObjectToObject(echo, "args");
    MHD_get_connection_values(c, MHD_GET_ARGUMENT_KIND, collect_arg, args);
    cJSON_AddStringToObject(echo, "body", up->data ? up->data : "");
    const char *ct = MHD_lookup_connection_value(c, MHD_HEADER_KIND, "Content-Type");
    cJSON_AddStringToObject(echo, "contentType", ct ? ct : "");
    cJSON_AddItemToArray(res, echo);
    return reply_json(c, 200, j);
}

static enum MHD_Result handler(void *cls, struct MHD_Connection *c, const char *url,
                               const char *method, const char *version,
                               const char *data, size_t *data_size, void **con_cls)
{
    (void)cls;
    (void)version;
    upload *up = *con_cls;
    if (!up) {
        up = calloc(1, sizeof *up);
        *con_cls = up;
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
    if (strcmp(url, "/identity/oauth/token") == 0)
        return identity(c);
    if (strncmp(url, "/rest/", 6) == 0)
        return rest(c, url, method, up);
    return reply(c, 404, "text/plain", "not found");
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
    fk.d = MHD_start_daemon(MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_THREAD_PER_CONNECTION |
                                MHD_USE_INTERNAL_POLLING_THREAD,
                            0, NULL, NULL, handler, NULL, MHD_OPTION_NOTIFY_COMPLETED,
                            completed, NULL, MHD_OPTION_CONNECTION_TIMEOUT, 30u,
                            MHD_OPTION_END);
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

/* Each test starts with a fresh token world and a fresh client. */
static mk_rest_client *client;
static const mk_rest_cred good = {"id-1", "s&cret =/"};

static int per_test_setup(void **st)
{
    (void)st;
    pthread_mutex_lock(&fk.mu);
    fk.identity_calls = fk.rest_calls = 0;
    fk.token_valid = 0;
    fk.zero_ttl_left = 0;
    fk.identity_delay_ms = 0;
    pthread_mutex_unlock(&fk.mu);
    char base[64], ident[80], err[256];
    snprintf(base, sizeof base, "http://127.0.0.1:%d", fk.port);
    snprintf(ident, sizeof ident, "http://127.0.0.1:%d/identity", fk.port);
    mk_rest_config cfg = {.endpoint = base, .identity = ident, .timeout_ms = 10000};
    return mk_rest_client_new(&cfg, &client, err, sizeof err) == MK_REST_OK ? 0 : -1;
}

static int per_test_teardown(void **st)
{
    (void)st;
    mk_rest_client_free(client);
    client = NULL;
    return 0;
}

static int identity_calls(void)
{
    pthread_mutex_lock(&fk.mu);
    int n = fk.identity_calls;
    pthread_mutex_unlock(&fk.mu);
    return n;
}

static const cJSON *echo_of(const mk_rest_result *r)
{
    return cJSON_GetArrayItem(cJSON_GetObjectItem(r->json, "result"), 0);
}

/* ---- tests --------------------------------------------------------------- */

static void plain_call(void **st)
{
    (void)st;
    mk_rest_param q[] = {{"filterType", "email"}, {"filterValues", "a b&c=d/\xc3\xa9"}};
    mk_rest_req req = {.method = MK_REST_GET, .path = "/rest/v1/echo.json", .query = q, .nquery = 2};
    mk_rest_result r;
    assert_int_equal(mk_rest_call(client, &good, &req, &r), MK_REST_OK);
    assert_int_equal(r.http_status, 200);
    assert_int_equal(r.success, 1);
    assert_int_equal(r.attempts, 1);
    assert_string_equal(r.request_id, "10226#14d3049e51b");
    const cJSON *e = echo_of(&r);
    assert_string_equal(cJSON_GetObjectItem(e, "method")->valuestring, "GET");
    const cJSON *args = cJSON_GetObjectItem(e, "args");
    assert_string_equal(cJSON_GetObjectItem(args, "filterValues")->valuestring, "a b&c=d/\xc3\xa9");
    mk_rest_result_free(&r);

    /* second call reuses the token */
    assert_int_equal(mk_rest_call(client, &good, &req, &r), MK_REST_OK);
    mk_rest_result_free(&r);
    assert_int_equal(identity_calls(), 1);

    mk_rest_stats s;
    assert_int_equal(mk_rest_stats_get(client, &s), MK_REST_OK);
    assert_int_equal(s.calls, 2);
    assert_int_equal(s.identity_calls, 1);
    assert_int_equal(s.nendpoints, 1);
    assert_string_equal(s.endpoints[0].key, "GET /rest/v1/echo.json");
    assert_int_equal(s.endpoints[0].calls, 2);
    mk_rest_stats_free(&s);
}

static void json_body_and_big_id(void **st)
{
    (void)st;
    cJSON *body = cJSON_Parse("{\"action\":\"createOrUpdate\",\"input\":[{\"email\":\"x@y.z\"}]}");
    mk_rest_req req = {.method = MK_REST_POST, .path = "/rest/v1/echo.json", .json = body,
                       .path_template = "/rest/v1/leads.json"};
    mk_rest_result r;
    assert_int_equal(mk_rest_call(client, &good, &req, &r), MK_REST_OK);
    const cJSON *e = echo_of(&r);
    assert_string_equal(cJSON_GetObjectItem(e, "method")->valuestring, "POST");
    assert_string_equal(cJSON_GetObjectItem(e, "contentType")->valuestring, "application/json");
    assert_string_equal(cJSON_GetObjectItem(e, "body")->valuestring,
                        "{\"action\":\"createOrUpdate\",\"input\":[{\"email\":\"x@y.z\"}]}");
    mk_rest_result_free(&r);
    cJSON_Delete(body);

    mk_rest_req big = {.method = MK_REST_GET, .path = "/rest/v1/bigid.json"};
    assert_int_equal(mk_rest_call(client, &good, &big, &r), MK_REST_OK);
    int64_t id = 0;
    assert_int_equal(mk_rest_json_get_int64(echo_of(&r), "id", &id), MK_REST_JSON_OK);
    assert_true(id == INT64_C(9007199254740993));
    mk_rest_result_free(&r);

    mk_rest_stats s;
    mk_rest_stats_get(client, &s);
    assert_int_equal(s.nendpoints, 2);
    assert_string_equal(s.endpoints[0].key, "GET /rest/v1/bigid.json");
    assert_string_equal(s.endpoints[1].key, "POST /rest/v1/leads.json");
    mk_rest_stats_free(&s);
}

struct worker {
    int ok;
};

static void *worker_main(void *arg)
{
    struct worker *w = arg;
    mk_rest_req req = {.method = MK_REST_GET, .path = "/rest/v1/echo.json"};
    for (int i = 0; i < 5; i++) {
        mk_rest_result r;
        if (mk_rest_call(client, &good, &req, &r) == MK_REST_OK)
            w->ok++;
        mk_rest_result_free(&r);
    }
    return NULL;
}

static void single_flight(void **st)
{
    (void)st;
    fk.identity_delay_ms = 200; /* every thread arrives while the renewal is in flight */
    enum { N = 16 };
    pthread_t t[N];
    struct worker w[N] = {{0}};
    for (int i = 0; i < N; i++)
        pthread_create(&t[i], NULL, worker_main, &w[i]);
    for (int i = 0; i < N; i++) {
        pthread_join(t[i], NULL);
        assert_int_equal(w[i].ok, 5);
    }
    assert_int_equal(identity_calls(), 1);
    mk_rest_stats s;
    mk_rest_stats_get(client, &s);
    assert_int_equal(s.calls, N * 5);
    assert_int_equal(s.identity_calls, 1);
    mk_rest_stats_free(&s);
}

static void bad_credentials(void **st)
{
    (void)st;
    mk_rest_cred bad = {"id-1", "wrong"};
    mk_rest_req req = {.method = MK_REST_GET, .path = "/rest/v1/echo.json"};
    mk_rest_result r;
    assert_int_equal(mk_rest_call(client, &bad, &req, &r), MK_REST_ERR_AUTH);
    assert_non_null(strstr(r.error_message, "401"));
    assert_non_null(strstr(r.error_message, "invalid_client"));
    assert_null(strstr(r.error_message, "wrong")); /* never echo the secret */
    assert_int_equal(r.attempts, 0);
    mk_rest_result_free(&r);

    mk_rest_cred none = {NULL, NULL};
    assert_int_equal(mk_rest_call(client, &none, &req, &r), MK_REST_ERR_INVALID);
    mk_rest_result_free(&r);
    assert_int_equal(mk_rest_call(client, NULL, &req, &r), MK_REST_ERR_INVALID);
    mk_rest_result_free(&r);
}

static void replay_after_602(void **st)
{
    (void)st;
    mk_rest_req req = {.method = MK_REST_GET, .path = "/rest/v1/echo.json"};
    mk_rest_result r;
    assert_int_equal(mk_rest_call(client, &good, &req, &r), MK_REST_OK);
    mk_rest_result_free(&r);

    pthread_mutex_lock(&fk.mu);
    fk.token_valid = 0; /* Marketo lets the token lapse */
    pthread_mutex_unlock(&fk.mu);

    assert_int_equal(mk_rest_call(client, &good, &req, &r), MK_REST_OK);
    assert_int_equal(r.attempts, 2);
    assert_int_equal(r.error_code, 0);
    mk_rest_result_free(&r);
    assert_int_equal(identity_calls(), 2);

    mk_rest_stats s;
    mk_rest_stats_get(client, &s);
    assert_int_equal(s.token_replays, 1);
    assert_int_equal(s.calls, 3);
    assert_int_equal(s.endpoints[0].failures, 1);
    mk_rest_stats_free(&s);

    /* a forgotten token is fetched again (Marketo returns the same one) */
    mk_rest_forget_token(client, "id-1");
    assert_int_equal(mk_rest_call(client, &good, &req, &r), MK_REST_OK);
    assert_int_equal(r.attempts, 1);
    mk_rest_result_free(&r);
    assert_int_equal(identity_calls(), 3);
}

static void zero_expires_in(void **st)
{
    (void)st;
    fk.zero_ttl_left = 1;
    mk_rest_req req = {.method = MK_REST_GET, .path = "/rest/v1/echo.json"};
    mk_rest_result r;
    assert_int_equal(mk_rest_call(client, &good, &req, &r), MK_REST_OK);
    mk_rest_result_free(&r);
    assert_int_equal(identity_calls(), 2); /* asked again after expires_in 0 */
    assert_int_equal(mk_rest_call(client, &good, &req, &r), MK_REST_OK);
    mk_rest_result_free(&r);
    assert_int_equal(identity_calls(), 2); /* and the good answer is cached */
}

static void failures(void **st)
{
    (void)st;
    mk_rest_result r;
    mk_rest_req fail = {.method = MK_REST_GET, .path = "/rest/v1/fail.json"};
    assert_int_equal(mk_rest_call(client, &good, &fail, &r), MK_REST_ERR_API);
    assert_int_equal(r.error_code, 1004);
    assert_string_equal(r.error_message, "Lead not found");
    assert_int_equal(r.success, 0);
    assert_string_equal(r.request_id, "e42b#14272d07d78");
    mk_rest_result_free(&r);

    mk_rest_req h500 = {.method = MK_REST_GET, .path = "/rest/v1/http500.json"};
    assert_int_equal(mk_rest_call(client, &good, &h500, &r), MK_REST_ERR_HTTP);
    assert_int_equal(r.http_status, 500);
    assert_string_equal(r.body, "oops");
    assert_null(r.json);
    mk_rest_result_free(&r);

    mk_rest_req nj = {.method = MK_REST_GET, .path = "/rest/v1/notjson.json"};
    assert_int_equal(mk_rest_call(client, &good, &nj, &r), MK_REST_ERR_PARSE);
    mk_rest_result_free(&r);

    cJSON *j = cJSON_CreateObject();
    mk_rest_req bad = {.method = MK_REST_GET, .path = "/rest/v1/echo.json", .json = j};
    assert_int_equal(mk_rest_call(client, &good, &bad, &r), MK_REST_ERR_INVALID);
    mk_rest_result_free(&r);
    cJSON_Delete(j);

    mk_rest_req slow = {.method = MK_REST_GET, .path = "/rest/v1/slow.json",
                        .deadline_ms = mk_rest_now_ms() + 300};
    assert_int_equal(mk_rest_call(client, &good, &slow, &r), MK_REST_ERR_TIMEOUT);
    mk_rest_result_free(&r);
    mk_rest_req late = {.method = MK_REST_GET, .path = "/rest/v1/echo.json",
                        .deadline_ms = mk_rest_now_ms() - 1};
    assert_int_equal(mk_rest_call(client, &good, &late, &r), MK_REST_ERR_TIMEOUT);
    mk_rest_result_free(&r);
}

static void long_query_becomes_post(void **st)
{
    (void)st;
    size_t cap = 300 * 40;
    char *vals = malloc(cap);
    size_t o = 0;
    for (int i = 0; i < 300; i++)
        o += (size_t)snprintf(vals + o, cap - o, "%sfirstname.lastname%03d@example.com",
                              i ? "," : "", i);
    mk_rest_param q[] = {{"filterType", "email"}, {"filterValues", vals}};
    mk_rest_req req = {.method = MK_REST_GET, .path = "/rest/v1/echo.json", .query = q, .nquery = 2};
    mk_rest_result r;
    assert_int_equal(mk_rest_call(client, &good, &req, &r), MK_REST_OK);
    assert_int_equal(r.method_override, 1);
    const cJSON *e = echo_of(&r);
    assert_string_equal(cJSON_GetObjectItem(e, "method")->valuestring, "POST");
    assert_string_equal(cJSON_GetObjectItem(e, "contentType")->valuestring,
                        "application/x-www-form-urlencoded");
    const cJSON *args = cJSON_GetObjectItem(e, "args");
    assert_string_equal(cJSON_GetObjectItem(args, "_method")->valuestring, "GET");
    assert_null(cJSON_GetObjectItem(args, "filterValues"));
    const char *body = cJSON_GetObjectItem(e, "body")->valuestring;
    assert_int_equal(strncmp(body, "filterType=email&filterValues=firstname.lastname000%40", 54), 0);
    mk_rest_result_free(&r);
    free(vals);

    mk_rest_stats s;
    mk_rest_stats_get(client, &s);
    assert_int_equal(s.method_overrides, 1);
    assert_string_equal(s.endpoints[0].key, "GET /rest/v1/echo.json");
    mk_rest_stats_free(&s);

    /* A 2 KB query: a GET where Marketo does not document the POST form,
     * POST ?_method=GET for a lead-database query (catalogue's
     * query_in_body, from MK_REST_BODY_QUERY_URI on). */
    char fields[2049];
    memset(fields, 'f', sizeof fields - 1);
    fields[sizeof fields - 1] = '\0';
    mk_rest_param fq[] = {{"filterType", "email"}, {"filterValues", "a@example.com"},
                          {"fields", fields}};
    mk_rest_req plain = {.method = MK_REST_GET, .path = "/rest/v1/echo.json", .query = fq,
                         .nquery = 3};
    assert_int_equal(mk_rest_call(client, &good, &plain, &r), MK_REST_OK);
    assert_int_equal(r.method_override, 0);
    assert_string_equal(cJSON_GetObjectItem(echo_of(&r), "method")->valuestring, "GET");
    mk_rest_result_free(&r);
    mk_rest_req lead_query = {.ep = MK_EP_LEADS_QUERY, .query = fq, .nquery = 3};
    assert_int_equal(mk_rest_call(client, &good, &lead_query, &r), MK_REST_OK);
    assert_int_equal(r.method_override, 1);
    e = echo_of(&r);
    assert_string_equal(cJSON_GetObjectItem(e, "method")->valuestring, "POST");
    assert_string_equal(cJSON_GetObjectItem(cJSON_GetObjectItem(e, "args"), "_method")->valuestring,
                        "GET");
    mk_rest_result_free(&r);
}

static void transport_and_config_errors(void **st)
{
    (void)st;
    char err[256];
    mk_rest_client *c = NULL;
    mk_rest_config none = {0};
    assert_int_equal(mk_rest_client_new(&none, &c, err, sizeof err), MK_REST_ERR_INVALID);
    assert_null(c);

    /* port 1 on loopback: connection refused, reported not printed */
    mk_rest_config cfg = {.endpoint = "http://127.0.0.1:1", .identity = "http://127.0.0.1:1/identity",
                          .connect_timeout_ms = 2000, .timeout_ms = 3000};
    assert_int_equal(mk_rest_client_new(&cfg, &c, err, sizeof err), MK_REST_OK);
    mk_rest_req req = {.method = MK_REST_GET, .path = "/rest/v1/leads.json"};
    mk_rest_result r;
    assert_int_equal(mk_rest_call(c, &good, &req, &r), MK_REST_ERR_TRANSPORT);
    assert_non_null(strstr(r.error_message, "identity"));
    mk_rest_result_free(&r);
    mk_rest_client_free(c);

    assert_string_equal(mk_rest_status_str(MK_REST_OK), "ok");
    assert_string_equal(mk_rest_status_str(MK_REST_ERR_API), "API error");
    mk_rest_result_free(NULL);
    mk_rest_stats_free(NULL);
    mk_rest_client_free(NULL);
}

int main(void)
{
#define T(f) cmocka_unit_test_setup_teardown(f, per_test_setup, per_test_teardown)
    const struct CMUnitTest tests[] = {
        T(plain_call),
        T(json_body_and_big_id),
        T(single_flight),
        T(bad_credentials),
        T(replay_after_602),
        T(zero_expires_in),
        T(failures),
        T(long_query_becomes_post),
        T(transport_and_config_errors),
    };
#undef T
    return cmocka_run_group_tests(tests, fake_start, fake_stop);
}
