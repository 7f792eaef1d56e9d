/*
 * test_config.c — configuration loading (src/config/config.c): file keys,
 * MKTOWS_* overrides, defaults, and error messages that name the key and
 * never a secret.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <arpa/inet.h>
#include <netinet/in.h>

#include <cmocka.h>

#include "mktows.h"
#include "config/config.h"
#include "base/netaddr.h"
#include "soapstack.h"

static const char minimal[] =
    "{\"listen\": \"127.0.0.1:8080\","
    " \"rest\": {\"endpoint\": \"http://127.0.0.1:9090/\", \"client_id\": \"cid\","
    "            \"client_secret\": \"TOPSECRET-REST\"},"
    " \"soap_users\": {\"bigcorp1_461839624B16E06BA2D663\":"
    "      {\"encryption_key\": \"899756834129871744AAEE88DDCC77CDEEDEC1AAAD66\"},"
    "   \"other\": {\"encryption_key\": \"k2\", \"client_id\": \"own\","
    "               \"client_secret\": \"TOPSECRET-OWN\", \"partition\": \"P2\"}}}";

static char *write_temp(const char *text)
{
    char *path = strdup("/tmp/mktows-test-config-XXXXXX");
    int fd = mkstemp(path);
    assert_true(fd >= 0);
    size_t n = strlen(text);
    assert_int_equal(write(fd, text, n), (ssize_t)n);
    close(fd);
    return path;
}

/* Load text (NULL: no file) with envp; returns rc, fills err. */
static int load(const char *text, char *const envp[], mktows_config **cfg, char *err,
                size_t errlen)
{
    char *path = text ? write_temp(text) : NULL;
    int rc = mktows_config_load(path, envp, cfg, err, errlen);
    if (path) {
        unlink(path);
        free(path);
    }
    return rc;
}

static void test_minimal_and_defaults(void **state)
{
    (void)state;
    mktows_config *cfg;
    char err[256];
    assert_int_equal(load(minimal, NULL, &cfg, err, sizeof err), MKTOWS_OK);
    assert_string_equal(cfg->listen_host, "127.0.0.1");
    assert_int_equal(cfg->listen_port, 8080);
    assert_string_equal(cfg->rest_endpoint, "http://127.0.0.1:9090");
    assert_string_equal(cfg->rest_identity, "http://127.0.0.1:9090/identity");
    assert_int_equal(cfg->timestamp_window, 900);
    assert_int_equal(cfg->workers, 32);
    assert_int_equal(cfg->max_workers, 4096);
    assert_int_equal(cfg->worker_stack_kb, 256);
    assert_int_equal(cfg->users[0].weight, 1);
    assert_true(cfg->max_request_bytes > 0);
    assert_int_equal(cfg->n_users, 2);
    assert_int_equal(cfg->access_log, 1);

    const struct mk_soap_user *u = mk_config_find_user(cfg, "bigcorp1_461839624B16E06BA2D663");
    assert_non_null(u);
    assert_string_equal(u->encryption_key, "899756834129871744AAEE88DDCC77CDEEDEC1AAAD66");
    assert_null(u->client_id);
    u = mk_config_find_user(cfg, "other");
    assert_non_null(u);
    assert_string_equal(u->client_id, "own");
    assert_string_equal(u->partition, "P2");
    assert_null(mk_config_find_user(cfg, "nobody"));
    assert_null(mk_config_find_user(cfg, NULL));
    mktows_config_free(cfg);
}

static void test_env_overrides(void **state)
{
    (void)state;
    mktows_config *cfg;
    char err[256];
    char *envp[] = {
        "MKTOWS_LISTEN=0.0.0.0:0",
        "MKTOWS_REST_ENDPOINT=https://123-ABC-456.mktorest.com",
        "MKTOWS_REST_IDENTITY=https://123-ABC-456.mktorest.com/identity",
        "MKTOWS_REST_CLIENT_ID=env-id",
        "MKTOWS_REST_CLIENT_SECRET=env-secret",
        "MKTOWS_TIMESTAMP_WINDOW=60",
        "MKTOWS_WORKERS=4",
        "MKTOWS_MAX_REQUEST_BYTES=65536",
        "MKTOWS_RECEIVE_TIMEOUT=5",
        "MKTOWS_SEND_TIMEOUT=6",
        "MKTOWS_REQUEST_TIMEOUT=7",
        "MKTOWS_ACCESS_LOG=false",
        "UNRELATED=1",
        NULL,
    };
    assert_int_equal(load(minimal, envp, &cfg, err, sizeof err), MKTOWS_OK);
    assert_string_equal(cfg->listen_host, "0.0.0.0");
    assert_int_equal(cfg->listen_port, 0);
    assert_string_equal(cfg->rest_endpoint, "https://123-ABC-456.mktorest.com");
    assert_string_equal(cfg->rest_client_id, "env-id");
    assert_string_equal(cfg->rest_client_secret, "env-secret");
    assert_int_equal(cfg->timestamp_window, 60);
    assert_int_equal(cfg->workers, 4);
    assert_int_equal(cfg->max_request_bytes, 65536);
    assert_int_equal(cfg->receive_timeout, 5);
    assert_int_equal(cfg->send_timeout, 6);
    assert_int_equal(cfg->request_timeout, 7);
    assert_int_equal(cfg->access_log, 0);
    mktows_config_free(cfg);
}

static void test_env_only(void **state)
{
    (void)state;
    mktows_config *cfg;
    char err[256];
    char *envp[] = {
        "MKTOWS_REST_ENDPOINT=http://127.0.0.1:1",
        "MKTOWS_REST_CLIENT_ID=i",
        "MKTOWS_REST_CLIENT_SECRET=s",
        "MKTOWS_SOAP_USERS={\"u1\": {\"encryption_key\": \"k1\"}, \"u2\": \"k2\"}",
        "MKTOWS_SOAP_USER=u3",
        "MKTOWS_SOAP_ENCRYPTION_KEY=k3",
        NULL,
    };
    assert_int_equal(load(NULL, envp, &cfg, err, sizeof err), MKTOWS_OK);
    assert_int_equal(cfg->n_users, 3);
    assert_string_equal(mk_config_find_user(cfg, "u2")->encryption_key, "k2");
    assert_string_equal(mk_config_find_user(cfg, "u3")->encryption_key, "k3");
    assert_string_equal(cfg->listen_host, "127.0.0.1");
    mktows_config_free(cfg);
}

/* The load must fail with EINVAL, the message must contain want, and no
 * secret may appear in it. */
static void expect_error(const char *text, char *const envp[], const char *want)
{
    mktows_config *cfg = (mktows_config *)1;
    char err[512] = "";
    int rc = load(text, envp, &cfg, err, sizeof err);
    if (rc != MKTOWS_EINVAL)
        fail_msg("rc %d for expected error '%s' (message '%s')", rc, want, err);
    assert_null(cfg);
    if (!strstr(err, want))
        fail_msg("message '%s' does not name '%s'", err, want);
    assert_null(strstr(err, "TOPSECRET"));
    assert_null(strstr(err, "899756834129871744AAEE88DDCC77CDEEDEC1AAAD66"));
}

static void test_errors_name_the_key(void **state)
{
    (void)state;
    expect_error("{\"rest\": {\"client_id\": \"a\", \"client_secret\": \"TOPSECRET\"},"
                 " \"soap_users\": {\"u\": \"k\"}}",
                 NULL, "rest.endpoint");
    expect_error("{\"rest\": {\"endpoint\": \"http://x\", \"client_secret\": \"TOPSECRET\"},"
                 " \"soap_users\": {\"u\": \"k\"}}",
                 NULL, "MKTOWS_REST_CLIENT_ID");
    expect_error("{\"rest\": {\"endpoint\": \"ftp://x\", \"client_id\": \"a\","
                 " \"client_secret\": \"TOPSECRET\"}, \"soap_users\": {\"u\": \"k\"}}",
                 NULL, "rest.endpoint");
    expect_error("{\"rest\": {\"endpoint\": \"http://x\", \"client_id\": \"a\","
                 " \"client_secret\": \"TOPSECRET\"}}",
                 NULL, "soap_users");
    expect_error("{\"rest\": {\"endpoint\": \"http://x\", \"client_id\": \"a\","
                 " \"client_secret\": \"TOPSECRET\"}, \"soap_users\": {\"u\": {}}}",
                 NULL, "soap_users.u.encryption_key");
    expect_error("{\"rest\": {\"endpoint\": \"http://x\", \"client_id\": \"a\","
                 " \"client_secret\": \"TOPSECRET\"}, \"soap_users\": {\"u\":"
                 " {\"encryption_key\": \"k\", \"client_id\": \"only-id\"}}}",
                 NULL, "soap_users.u");
    char *bad_workers[] = {"MKTOWS_WORKERS=lots", NULL};
    expect_error(minimal, bad_workers, "MKTOWS_WORKERS");
    char *zero_workers[] = {"MKTOWS_WORKERS=0", NULL};
    expect_error(minimal, zero_workers, "workers");
    /* The pool may not be bounded below the threads it keeps. */
    char *few_max[] = {"MKTOWS_WORKERS=64", "MKTOWS_MAX_WORKERS=32", NULL};
    expect_error(minimal, few_max, "max_workers");
    char *tiny_stack[] = {"MKTOWS_WORKER_STACK_KB=8", NULL};
    expect_error(minimal, tiny_stack, "worker_stack_kb");
    expect_error("{\"rest\": {\"endpoint\": \"http://x\", \"client_id\": \"a\","
                 " \"client_secret\": \"TOPSECRET\"}, \"soap_users\": {\"u\":"
                 " {\"encryption_key\": \"k\", \"weight\": 0}}}",
                 NULL, "soap_users.u.weight");
    expect_error("{\"rest\": {\"endpoint\": \"http://x\", \"client_id\": \"a\","
                 " \"client_secret\": \"TOPSECRET\"}, \"soap_users\": {\"u\":"
                 " {\"encryption_key\": \"k\", \"weight\": \"2\"}}}",
                 NULL, "soap_users.u.weight");
    char *bad_listen[] = {"MKTOWS_LISTEN=localhost", NULL};
    expect_error(minimal, bad_listen, "listen");
    char *bad_log[] = {"MKTOWS_ACCESS_LOG=maybe", NULL};
    expect_error(minimal, bad_log, "MKTOWS_ACCESS_LOG");
    char *bad_users[] = {"MKTOWS_SOAP_USERS={nope", NULL};
    expect_error(minimal, bad_users, "MKTOWS_SOAP_USERS");
    expect_error("{\"listen\": \"127.0.0.1:8080\",\n  \"rest\": {,}}", NULL, "line 2");
    expect_error("[1, 2]", NULL, "top level");
    expect_error("{\"timestamp_window_seconds\": \"soon\", \"rest\": {\"endpoint\": \"http://x\","
                 " \"client_id\": \"a\", \"client_secret\": \"TOPSECRET\"},"
                 " \"soap_users\": {\"u\": \"k\"}}",
                 NULL, "timestamp_window_seconds");
}

/* Integers were converted before their range was checked: 1e300 was
 * undefined behaviour (float-cast-overflow) before it was refused. */
static void test_huge_numbers_are_refused(void **state)
{
    (void)state;
    expect_error("{\"workers\": 1e300, \"rest\": {\"endpoint\": \"http://x\","
                 " \"client_id\": \"a\", \"client_secret\": \"TOPSECRET\"},"
                 " \"soap_users\": {\"u\": \"k\"}}",
                 NULL, "workers");
    expect_error("{\"timeouts\": {\"request_seconds\": -1e300}, \"rest\": {\"endpoint\":"
                 " \"http://x\", \"client_id\": \"a\", \"client_secret\": \"TOPSECRET\"},"
                 " \"soap_users\": {\"u\": \"k\"}}",
                 NULL, "timeouts.request_seconds");
}

/* The gate's limits (xml.*): defaults, file keys, variables, ranges. */
static void test_xml_limits(void **state)
{
    (void)state;
    mktows_config *cfg;
    char err[256];
    assert_int_equal(load(minimal, NULL, &cfg, err, sizeof err), MKTOWS_OK);
    assert_int_equal(cfg->xml_limits.max_depth, MK_XML_DEFAULT_MAX_DEPTH);
    assert_int_equal(cfg->xml_limits.max_elements, MK_XML_DEFAULT_MAX_ELEMENTS);
    assert_int_equal(cfg->xml_limits.max_attributes, MK_XML_DEFAULT_MAX_ATTRIBUTES);
    assert_int_equal(cfg->xml_limits.max_name_bytes, MK_XML_DEFAULT_MAX_NAME_BYTES);
    assert_int_equal(cfg->xml_limits.max_value_bytes, MK_XML_DEFAULT_MAX_VALUE_BYTES);
    mktows_config_free(cfg);

    char *envp[] = {"MKTOWS_XML_MAX_ATTRIBUTES=100000", "MKTOWS_XML_MAX_VALUE_BYTES=4096", NULL};
    const char *text = "{\"xml\": {\"max_depth\": 32, \"max_elements\": 5000,"
                       " \"max_name_bytes\": 128}, \"rest\": {\"endpoint\": \"http://x\","
                       " \"client_id\": \"a\", \"client_secret\": \"s\"},"
                       " \"soap_users\": {\"u\": \"k\"}}";
    assert_int_equal(load(text, envp, &cfg, err, sizeof err), MKTOWS_OK);
    assert_int_equal(cfg->xml_limits.max_depth, 32);
    assert_int_equal(cfg->xml_limits.max_elements, 5000);
    assert_int_equal(cfg->xml_limits.max_attributes, 100000);
    assert_int_equal(cfg->xml_limits.max_name_bytes, 128);
    assert_int_equal(cfg->xml_limits.max_value_bytes, 4096);
    mktows_config_free(cfg);

    char *too_few[] = {"MKTOWS_XML_MAX_ATTRIBUTES=2", NULL};
    expect_error(minimal, too_few, "MKTOWS_XML_MAX_ATTRIBUTES");
    char *too_deep[] = {"MKTOWS_XML_MAX_DEPTH=1e300", NULL};
    expect_error(minimal, too_deep, "xml.max_depth");
}

static void test_missing_file(void **state)
{
    (void)state;
    mktows_config *cfg;
    char err[256];
    assert_int_equal(mktows_config_load("/nonexistent/mktows.json", NULL, &cfg, err, sizeof err),
                     MKTOWS_EIO);
    assert_non_null(strstr(err, "/nonexistent/mktows.json"));
}

static void test_hostport(void **state)
{
    (void)state;
    char *host;
    unsigned port;
    assert_int_equal(mk_config_parse_hostport("127.0.0.1:0", &host, &port), 0);
    assert_string_equal(host, "127.0.0.1");
    assert_int_equal(port, 0);
    free(host);
    assert_int_equal(mk_config_parse_hostport("[::1]:8443", &host, &port), 0);
    assert_string_equal(host, "::1");
    assert_int_equal(port, 8443);
    free(host);
    const char *bad[] = {"", "8080", ":8080", "host:", "host:65536", "host:-1", "::1:80",
                         "[::1]8080", "host:80x"};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
        if (mk_config_parse_hostport(bad[i], &host, &port) == 0)
            fail_msg("accepted '%s'", bad[i]);

    mktows_config *cfg;
    char err[256];
    assert_int_equal(load(minimal, NULL, &cfg, err, sizeof err), MKTOWS_OK);
    assert_int_equal(mktows_config_set_listen(cfg, "[::1]:0", err, sizeof err), MKTOWS_OK);
    assert_string_equal(cfg->listen_host, "::1");
    assert_int_equal(mktows_config_set_listen(cfg, "nope", err, sizeof err), MKTOWS_EINVAL);
    assert_non_null(strstr(err, "listen"));
    mktows_config_free(cfg);
}

/* The connection budget's keys: defaults, file and MKTOWS_* values, and
 * combinations that would leave nothing for anybody. */
static void test_connection_budget_keys(void **state)
{
    (void)state;
    mktows_config *cfg;
    char err[256];
    assert_int_equal(load(minimal, NULL, &cfg, err, sizeof err), MKTOWS_OK);
    assert_int_equal(cfg->receive_total_timeout, 120);
    assert_int_equal(cfg->per_client_connections, 256);
    assert_int_equal(cfg->min_receive_rate, 1024);
    assert_int_equal(cfg->rate_window, 10);
    assert_int_equal(cfg->max_buffered_bytes, 256u << 20);
    assert_int_equal(cfg->reserve_buffered_bytes, 32u << 20);
    assert_int_equal(cfg->reserve_connections, 4096 / 8);
    assert_int_equal(cfg->established_seconds, 3600);
    assert_int_equal(cfg->n_trusted_proxies, 0);
    mktows_config_free(cfg);

    char *env[] = {"MKTOWS_RECEIVE_TOTAL_TIMEOUT=7", "MKTOWS_PER_CLIENT_CONNECTIONS=0",
                   "MKTOWS_MIN_RECEIVE_RATE=0", "MKTOWS_RATE_WINDOW=3",
                   "MKTOWS_MAX_BUFFERED_BYTES=33554432", "MKTOWS_RESERVE_BUFFERED_BYTES=0",
                   "MKTOWS_RESERVE_CONNECTIONS=5", "MKTOWS_ESTABLISHED_SECONDS=60", NULL};
    assert_int_equal(load(minimal, env, &cfg, err, sizeof err), MKTOWS_OK);
    assert_int_equal(cfg->receive_total_timeout, 7);
    assert_int_equal(cfg->per_client_connections, 0);
    assert_int_equal(cfg->min_receive_rate, 0);
    assert_int_equal(cfg->rate_window, 3);
    assert_int_equal(cfg->max_buffered_bytes, 32u << 20);
    assert_int_equal(cfg->reserve_buffered_bytes, 0);
    assert_int_equal(cfg->reserve_connections, 5);
    assert_int_equal(cfg->established_seconds, 60);
    mktows_config_free(cfg);

    /* A budget smaller than one request could never serve that request. */
    char *small[] = {"MKTOWS_MAX_BUFFERED_BYTES=1048576", NULL};
    expect_error(minimal, small, "MKTOWS_MAX_BUFFERED_BYTES");
    /* Reserves must leave something for strangers. */
    char *all_reserved[] = {"MKTOWS_MAX_CONNECTIONS=10", "MKTOWS_RESERVE_CONNECTIONS=10", NULL};
    expect_error(minimal, all_reserved, "connections.reserve_connections");
    char *bytes_reserved[] = {"MKTOWS_MAX_BUFFERED_BYTES=33554432",
                              "MKTOWS_RESERVE_BUFFERED_BYTES=33554432", NULL};
    expect_error(minimal, bytes_reserved, "connections.reserve_buffered_bytes");
    char *neg_rate[] = {"MKTOWS_MIN_RECEIVE_RATE=-1", NULL};
    expect_error(minimal, neg_rate, "MKTOWS_MIN_RECEIVE_RATE");
}

static struct mk_netaddr addr_of(int family, const char *text)
{
    struct mk_netaddr a = {.family = family};
    assert_int_equal(inet_pton(family, text, a.bytes), 1);
    return a;
}

/* trusted_proxies: a list or a comma/blank separated string (the form the
 * environment variable gives), addresses and CIDR ranges, IPv4 and IPv6;
 * IPv4-mapped clients match IPv4 ranges. */
static void test_trusted_proxies(void **state)
{
    (void)state;
    mktows_config *cfg;
    char err[256];
    char *text = ss_json_merged(minimal, "{\"trusted_proxies\": [\"10.0.0.0/8\", \"::1\","
                                         " \"192.0.2.7\", \"2001:db8::/32\"]}");
    assert_int_equal(load(text, NULL, &cfg, err, sizeof err), MKTOWS_OK);
    free(text);
    assert_int_equal(cfg->n_trusted_proxies, 4);
    struct mk_netaddr in = addr_of(AF_INET, "10.200.3.4"), out = addr_of(AF_INET, "11.0.0.1");
    struct mk_netaddr one = addr_of(AF_INET, "192.0.2.7"), near = addr_of(AF_INET, "192.0.2.8");
    struct mk_netaddr v6 = addr_of(AF_INET6, "2001:db8:1::5"), v6out = addr_of(AF_INET6, "2001:db9::1");
    struct mk_netaddr lo6 = addr_of(AF_INET6, "::1");
    assert_true(mk_netrange_any(cfg->trusted_proxies, cfg->n_trusted_proxies, &in));
    assert_false(mk_netrange_any(cfg->trusted_proxies, cfg->n_trusted_proxies, &out));
    assert_true(mk_netrange_any(cfg->trusted_proxies, cfg->n_trusted_proxies, &one));
    assert_false(mk_netrange_any(cfg->trusted_proxies, cfg->n_trusted_proxies, &near));
    assert_true(mk_netrange_any(cfg->trusted_proxies, cfg->n_trusted_proxies, &v6));
    assert_false(mk_netrange_any(cfg->trusted_proxies, cfg->n_trusted_proxies, &v6out));
    assert_true(mk_netrange_any(cfg->trusted_proxies, cfg->n_trusted_proxies, &lo6));
    /* a client seen through a dual-stack socket as ::ffff:10.1.1.1 */
    struct sockaddr_in6 mapped = {.sin6_family = AF_INET6};
    assert_int_equal(inet_pton(AF_INET6, "::ffff:10.1.1.1", &mapped.sin6_addr), 1);
    struct mk_netaddr m;
    assert_int_equal(mk_netaddr_from_sockaddr((struct sockaddr *)&mapped, sizeof mapped, &m), 0);
    assert_int_equal(m.family, AF_INET);
    assert_true(mk_netrange_any(cfg->trusted_proxies, cfg->n_trusted_proxies, &m));
    mktows_config_free(cfg);

    char *env[] = {"MKTOWS_TRUSTED_PROXIES=127.0.0.1, 172.16.0.0/12 ::1", NULL};
    assert_int_equal(load(minimal, env, &cfg, err, sizeof err), MKTOWS_OK);
    assert_int_equal(cfg->n_trusted_proxies, 3);
    struct mk_netaddr priv = addr_of(AF_INET, "172.31.255.255"), pub = addr_of(AF_INET, "172.32.0.0");
    assert_true(mk_netrange_any(cfg->trusted_proxies, cfg->n_trusted_proxies, &priv));
    assert_false(mk_netrange_any(cfg->trusted_proxies, cfg->n_trusted_proxies, &pub));
    mktows_config_free(cfg);

    char *bad[] = {"MKTOWS_TRUSTED_PROXIES=10.0.0.0/33", NULL};
    expect_error(minimal, bad, "trusted_proxies");
    char *name[] = {"MKTOWS_TRUSTED_PROXIES=proxy.example.com", NULL};
    expect_error(minimal, name, "MKTOWS_TRUSTED_PROXIES");
    text = ss_json_merged(minimal, "{\"trusted_proxies\": [\"10.0.0.1\", 5]}");
    expect_error(text, NULL, "trusted_proxies");
    free(text);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_minimal_and_defaults),
        cmocka_unit_test(test_env_overrides),
        cmocka_unit_test(test_env_only),
        cmocka_unit_test(test_errors_name_the_key),
        cmocka_unit_test(test_huge_numbers_are_refused),
        cmocka_unit_test(test_xml_limits),
        cmocka_unit_test(test_missing_file),
        cmocka_unit_test(test_hostport),
        cmocka_unit_test(test_connection_budget_keys),
        cmocka_unit_test(test_trusted_proxies),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
