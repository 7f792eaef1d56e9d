/*
 * test_deploy.c — the pieces of issue 12's server side that need no
 * network: the Prometheus text writer (src/ops/core/promtext.c: label escaping,
 * exact integers, cumulative histogram buckets) and the configuration
 * generations of a reload (src/server/reload.c: a pinned generation
 * outlives a swap, the last release frees it, keys a reload cannot apply
 * are named; many threads pinning while the main thread swaps, under
 * ASan/UBSan in the sanitizer build), and the reload hooks of a running
 * server (called with the new configuration, and also when the file did
 * not load; a failing hook reported).
 */
#include <pthread.h>
#include <setjmp.h>
#include <stdatomic.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "testsupport.h"
#include "ops/core/promtext.h"
#include "config/config.h"
#include "server/reload.h"
#include "server/server.h"

/* ---- promtext -------------------------------------------------------------------- */

static void test_labels_are_escaped(void **state)
{
    (void)state;
    mk_prom p = {0};
    mk_prom_family(&p, "mktows_x_total", "counter", "Things.");
    const char *labels[] = {"user", "a\"b\\c\nd", "op", "getLead", NULL};
    mk_prom_u64(&p, "mktows_x_total", labels, 18446744073709551615ULL);
    mk_prom_f64(&p, "mktows_y", NULL, 0.25);
    mk_prom_f64(&p, "mktows_z", NULL, 1e6);
    size_t len = 0;
    char *text = mk_prom_finish(&p, &len);
    assert_non_null(text);
    assert_int_equal(len, strlen(text));
    assert_string_equal(text,
                        "# HELP mktows_x_total Things.\n"
                        "# TYPE mktows_x_total counter\n"
                        "mktows_x_total{user=\"a\\\"b\\\\c\\nd\",op=\"getLead\"} "
                        "18446744073709551615\n"
                        "mktows_y 0.25\n"
                        "mktows_z 1000000\n");
    free(text);
}

static void test_histogram_is_cumulative(void **state)
{
    (void)state;
    mk_prom p = {0};
    const double bounds[] = {5, 100, 2500};
    const uint64_t counts[] = {2, 0, 3, 1};   /* per bucket; the last is above 2500 */
    const char *labels[] = {"operation", "getLead", NULL};
    mk_prom_histogram(&p, "mktows_d_seconds", labels, bounds, 3, counts, 7500.0, 0.001);
    char *text = mk_prom_finish(&p, NULL);
    assert_non_null(text);
    assert_string_equal(text,
                        "mktows_d_seconds_bucket{operation=\"getLead\",le=\"0.005\"} 2\n"
                        "mktows_d_seconds_bucket{operation=\"getLead\",le=\"0.1\"} 2\n"
                        "mktows_d_seconds_bucket{operation=\"getLead\",le=\"2.5\"} 5\n"
                        "mktows_d_seconds_bucket{operation=\"getLead\",le=\"+Inf\"} 6\n"
                        "mktows_d_seconds_sum{operation=\"getLead\"} 7.5\n"
                        "mktows_d_seconds_count{operation=\"getLead\"} 6\n");
    free(text);
}

static void test_large_document_grows(void **state)
{
    (void)state;
    mk_prom p = {0};
    for (int i = 0; i < 5000; i++) {
        char v[16];
        snprintf(v, sizeof v, "%d", i);
        const char *labels[] = {"i", v, NULL};
        mk_prom_u64(&p, "mktows_many", labels, (uint64_t)i);
    }
    size_t len = 0;
    char *text = mk_prom_finish(&p, &len);
    assert_non_null(text);
    assert_int_equal(ts_count(text, "\n"), 5000);
    assert_non_null(strstr(text, "mktows_many{i=\"4999\"} 4999\n"));
    free(text);
}

/* ---- reload generations ------------------------------------------------------------ */

static mktows_config *load(const char *users, const char *more)
{
    char *json = ts_fmt("{\"listen\": \"127.0.0.1:0\", \"rest\": {\"endpoint\": "
                        "\"http://127.0.0.1:9\", \"client_id\": \"a\", \"client_secret\": \"b\"}, "
                        "\"soap_users\": %s%s}", users, more ? more : "");
    char *path = ts_write_temp(".json", json);
    mktows_config *cfg = NULL;
    char err[256];
    int rc = mktows_config_load(path, NULL, &cfg, err, sizeof err);
    remove(path);
    free(path);
    free(json);
    assert_int_equal(rc, MKTOWS_OK);
    return cfg;
}

static void test_pinned_generation_outlives_a_swap(void **state)
{
    (void)state;
    mktows_config *base = load("{\"u1\": \"k1\"}", NULL);
    mk_reloader *r = NULL;
    assert_int_equal(mk_reloader_new(base, &r), 0);

    mk_cfg_gen *g1;
    const mktows_config *c1 = mk_reloader_acquire(r, &g1);
    assert_non_null(mk_config_find_user(c1, "u1"));

    char notice[200];
    assert_int_equal(mk_reloader_swap(r, load("{\"u2\": \"k2\"}", ", \"access_log\": false"),
                                      notice, sizeof notice),
                     MKTOWS_OK);
    assert_string_equal(notice, "");
    assert_int_equal(mk_reloader_count(r), 1);
    /* The pinned view is untouched: its user and key are still readable. */
    const struct mk_soap_user *u1 = mk_config_find_user(c1, "u1");
    assert_non_null(u1);
    assert_string_equal(u1->encryption_key, "k1");
    assert_int_equal(c1->access_log, 1);

    mk_cfg_gen *g2;
    const mktows_config *c2 = mk_reloader_acquire(r, &g2);
    assert_null(mk_config_find_user(c2, "u1"));
    assert_string_equal(mk_config_find_user(c2, "u2")->encryption_key, "k2");
    assert_int_equal(c2->access_log, 0);
    /* Not reloadable: still the server's. */
    assert_ptr_equal(c2->rest_client_secret, base->rest_client_secret);

    /* A second swap while both are pinned; then release in any order. */
    assert_int_equal(mk_reloader_swap(r, load("{\"u3\": \"k3\"}", ", \"workers\": 3, "
                                              "\"tls\": {\"cert_file\": \"x\"}"),
                                      notice, sizeof notice),
                     MKTOWS_OK);
    assert_string_equal(notice, "changed keys need a restart to apply: workers, tls");
    mk_reloader_release(r, g1);
    assert_string_equal(mk_config_find_user(c2, "u2")->encryption_key, "k2");
    mk_reloader_release(r, g2);
    mk_reloader_free(r);
    mktows_config_free(base);
}

struct reader {
    mk_reloader *r;
    atomic_int *stop;
    long reads;
};

static void *read_loop(void *arg)
{
    struct reader *rd = arg;
    while (!atomic_load(rd->stop)) {
        mk_cfg_gen *g;
        const mktows_config *c = mk_reloader_acquire(rd->r, &g);
        /* Touch everything a request reads of a user. */
        for (size_t i = 0; i < c->n_users; i++)
            if (strlen(c->users[i].user_id) == 0 || strlen(c->users[i].encryption_key) == 0)
                abort();
        mk_reloader_release(rd->r, g);
        rd->reads++;
    }
    return NULL;
}

static void test_many_readers_while_swapping(void **state)
{
    (void)state;
    mktows_config *base = load("{\"u0\": \"k0\"}", NULL);
    mk_reloader *r = NULL;
    assert_int_equal(mk_reloader_new(base, &r), 0);
    atomic_int stop = 0;
    struct reader rd[4];
    pthread_t th[4];
    for (int i = 0; i < 4; i++) {
        rd[i] = (struct reader){r, &stop, 0};
        assert_int_equal(pthread_create(&th[i], NULL, read_loop, &rd[i]), 0);
    }
    for (int i = 0; i < 200; i++) {
        char *users = ts_fmt("{\"u%d\": \"key-%d\", \"v%d\": {\"encryption_key\": \"x%d\"}}", i,
                             i, i, i);
        assert_int_equal(mk_reloader_swap(r, load(users, NULL), NULL, 0), MKTOWS_OK);
        free(users);
    }
    atomic_store(&stop, 1);
    long reads = 0;
    for (int i = 0; i < 4; i++) {
        pthread_join(th[i], NULL);
        reads += rd[i].reads;
    }
    assert_true(reads > 0);
    assert_int_equal(mk_reloader_count(r), 200);
    mk_reloader_free(r);
    mktows_config_free(base);
}

/* ---- reload hooks ---------------------------------------------------------------- */

struct hook_calls {
    int calls, with_null, fail;
    char last_user_seen[32];
};

static int count_hook(void *arg, const mktows_config *next, char *err, size_t len)
{
    struct hook_calls *h = arg;
    h->calls++;
    if (!next)
        h->with_null++;
    else if (next->n_users)
        snprintf(h->last_user_seen, sizeof h->last_user_seen, "%s", next->users[0].user_id);
    if (h->fail) {
        snprintf(err, len, "cannot reopen the log");
        return -1;
    }
    return 0;
}

static void test_reload_hooks(void **state)
{
    (void)state;
    mktows_config *cfg = load("{\"u1\": \"k1\"}", NULL);
    mktows_server *srv = NULL;
    char err[256];
    assert_int_equal(mk_server_start(cfg, NULL, &srv, err, sizeof err), MKTOWS_OK);
    struct hook_calls h = {0};
    assert_int_equal(mk_server_on_reload(srv, count_hook, &h), MKTOWS_OK);

    assert_int_equal(mktows_server_reload(srv, load("{\"u2\": \"k2\"}", NULL), err, sizeof err),
                     MKTOWS_OK);
    assert_int_equal(h.calls, 1);
    assert_string_equal(h.last_user_seen, "u2");
    assert_string_equal(err, "");
    /* The file did not load: settings stay, the hooks still run (a rotated
     * log is reopened). */
    assert_int_equal(mktows_server_reload(srv, NULL, err, sizeof err), MKTOWS_EINVAL);
    assert_int_equal(h.calls, 2);
    assert_int_equal(h.with_null, 1);
    assert_non_null(strstr(err, "did not load"));
    /* A failing hook is reported; the users are applied all the same. */
    h.fail = 1;
    assert_int_equal(mktows_server_reload(srv, load("{\"u3\": \"k3\"}", ", \"workers\": 2"),
                                          err, sizeof err),
                     MKTOWS_EIO);
    assert_non_null(strstr(err, "cannot reopen the log"));
    assert_non_null(strstr(err, "need a restart to apply: workers"));
    mktows_server_stop(srv);
    mktows_config_free(cfg);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_labels_are_escaped),
        cmocka_unit_test(test_histogram_is_cumulative),
        cmocka_unit_test(test_large_document_grows),
        cmocka_unit_test(test_pinned_generation_outlives_a_swap),
        cmocka_unit_test(test_many_readers_while_swapping),
        cmocka_unit_test(test_reload_hooks),
    };
    return ts_run_tests(tests, NULL, NULL);
}
