/*
 * test_objcache.c — unit tests of what the object operations share
 * (src/ops/core/objcache.c, src/ops/objects/objects.c): the TTL cache of REST metadata
 * (copies, expiry, "0 disables", drop, eviction of the oldest, threads),
 * the grouping of records into REST write calls (a repeated key waits for
 * a later call so SOAP order holds; 300 per call), REST values as SOAP text
 * (every digit of big ids, shortest doubles) and Asset dates as xs:dateTime.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <pthread.h>
#include <time.h>

#include <cmocka.h>

#include "soapH.h"
#include "ops/core/objcache.h"
#include "ops/core/common.h"
#include "ops/objects/objects.h"
#include "rest/json.h"

static void sleep_ms(long ms)
{
    struct timespec ts = {ms / 1000, (ms % 1000) * 1000000L};
    nanosleep(&ts, NULL);
}

static void test_cache_copies_and_expires(void **state)
{
    (void)state;
    mk_objcache *c;
    assert_int_equal(mk_objcache_new(150, 0, &c), 0);
    cJSON *doc = cJSON_Parse("[{\"name\":\"roadshow_c\"}]");
    int64_t age;
    assert_null(mk_objcache_get(c, "k", &age));
    assert_int_equal(age, -1);
    mk_objcache_put(c, "k", doc);
    cJSON_Delete(doc);
    cJSON *a = mk_objcache_get(c, "k", &age);
    assert_non_null(a);
    assert_in_range(age, 0, 149);
    /* A private copy: changing it changes nothing in the cache. */
    cJSON_DeleteItemFromArray(a, 0);
    cJSON_Delete(a);
    cJSON *b = mk_objcache_get(c, "k", NULL);
    assert_int_equal(cJSON_GetArraySize(b), 1);
    cJSON_Delete(b);
    sleep_ms(200);
    assert_null(mk_objcache_get(c, "k", &age));   /* stale */
    assert_true(age >= 150);
    mk_objcache_stats st;
    mk_objcache_stats_get(c, &st);
    assert_int_equal(st.hits, 2);
    assert_int_equal(st.misses, 2);
    assert_int_equal(st.puts, 1);
    assert_int_equal(st.entries, 1);
    mk_objcache_free(c);
}

static void test_cache_zero_ttl_keeps_nothing(void **state)
{
    (void)state;
    mk_objcache *c;
    assert_int_equal(mk_objcache_new(0, 0, &c), 0);
    cJSON *doc = cJSON_CreateArray();
    mk_objcache_put(c, "k", doc);
    assert_null(mk_objcache_get(c, "k", NULL));
    cJSON_Delete(doc);
    mk_objcache_free(c);
    /* A NULL cache is a cache that always misses. */
    assert_null(mk_objcache_get(NULL, "k", NULL));
    mk_objcache_put(NULL, "k", NULL);
    mk_objcache_drop(NULL, "k");
}

static void test_cache_drop_replace_evict(void **state)
{
    (void)state;
    mk_objcache *c;
    assert_int_equal(mk_objcache_new(60000, 2, &c), 0);
    cJSON *one = cJSON_CreateNumber(1), *two = cJSON_CreateNumber(2), *three = cJSON_CreateNumber(3);
    mk_objcache_put(c, "a", one);
    sleep_ms(5);
    mk_objcache_put(c, "b", two);
    sleep_ms(5);
    mk_objcache_put(c, "a", three);   /* replaces, and is now the newest */
    cJSON *g = mk_objcache_get(c, "a", NULL);
    assert_int_equal(g->valueint, 3);
    cJSON_Delete(g);
    sleep_ms(5);
    mk_objcache_put(c, "c", one);     /* full: "b", the oldest, makes room */
    g = mk_objcache_get(c, "b", NULL);
    assert_null(g);
    g = mk_objcache_get(c, "c", NULL);
    assert_int_equal(g->valueint, 1);
    cJSON_Delete(g);
    mk_objcache_drop(c, "c");
    assert_null(mk_objcache_get(c, "c", NULL));
    mk_objcache_stats st;
    mk_objcache_stats_get(c, &st);
    assert_int_equal(st.entries, 1);
    assert_int_equal(st.drops, 1);
    cJSON_Delete(one);
    cJSON_Delete(two);
    cJSON_Delete(three);
    mk_objcache_free(c);
}

static mk_objcache *shared;

static void *hammer(void *arg)
{
    char key[8];
    snprintf(key, sizeof key, "k%d", (int)(intptr_t)arg % 3);
    cJSON *doc = cJSON_CreateString(key);
    for (int i = 0; i < 2000; i++) {
        if (i % 7 == 0)
            mk_objcache_put(shared, key, doc);
        cJSON *g = mk_objcache_get(shared, key, NULL);
        if (g && strcmp(g->valuestring, key) != 0)
            abort();
        cJSON_Delete(g);
        if (i % 97 == 0)
            mk_objcache_drop(shared, key);
    }
    cJSON_Delete(doc);
    return NULL;
}

static void test_cache_threads(void **state)
{
    (void)state;
    assert_int_equal(mk_objcache_new(60000, 2, &shared), 0);
    pthread_t t[8];
    for (int i = 0; i < 8; i++)
        assert_int_equal(pthread_create(&t[i], NULL, hammer, (void *)(intptr_t)i), 0);
    for (int i = 0; i < 8; i++)
        pthread_join(t[i], NULL);
    mk_objcache_stats st;
    mk_objcache_stats_get(shared, &st);
    assert_true(st.entries <= 2);
    assert_int_equal(st.hits + st.misses, 8 * 2000);
    mk_objcache_free(shared);
}

static void test_batches(void **state)
{
    (void)state;
    /* Keys A, B, A, C, A of one group, D of another, one record not sent. */
    const char *group[] = {"opp|createOrUpdate|dedupeFields", "opp|createOrUpdate|dedupeFields",
                           "opp|createOrUpdate|dedupeFields", "opp|createOrUpdate|dedupeFields",
                           "opp|createOrUpdate|dedupeFields", "opp|updateOnly|idField", NULL};
    const char *key[] = {"A", "B", "a", "C", "A", "D", "E"};
    int batch[7], slot[7];
    int nb = mk_obj_batches(7, group, key, batch, slot);
    assert_int_equal(nb, 4);
    assert_int_equal(batch[0], 0);
    assert_int_equal(batch[1], 0);
    assert_int_equal(batch[2], 1);   /* "a" repeats "A" (keys compare as Marketo does) */
    assert_int_equal(batch[3], 0);
    assert_int_equal(batch[4], 2);   /* after call 1, which holds the second A */
    assert_int_equal(batch[5], 3);
    assert_int_equal(batch[6], -1);
    assert_int_equal(slot[3], 2);
    assert_int_equal(slot[4], 0);

    /* 700 distinct keys of one group: calls of 300, 300, 100, in order. */
    enum { N = 700 };
    const char **g = malloc(sizeof *g * N), **k = malloc(sizeof *k * N);
    char (*keys)[8] = malloc(sizeof *keys * N);
    int *b = malloc(sizeof *b * N), *s = malloc(sizeof *s * N);
    for (int i = 0; i < N; i++) {
        snprintf(keys[i], sizeof keys[i], "%d", i);
        g[i] = "co|createOnly|dedupeFields";
        k[i] = keys[i];
    }
    assert_int_equal(mk_obj_batches(N, g, k, b, s), 3);
    assert_int_equal(b[299], 0);
    assert_int_equal(b[300], 1);
    assert_int_equal(s[300], 0);
    assert_int_equal(b[699], 2);
    assert_int_equal(s[699], 99);
    free(g);
    free(k);
    free(keys);
    free(b);
    free(s);
}

static void test_values_and_dates(void **state)
{
    (void)state;
    struct soap *soap = soap_new();
    const char *json = "{\"big\": 9007199254740993, \"id\": 1090177, \"amount\": 1604.47,"
                       " \"third\": 0.1, \"yes\": true, \"none\": null, \"s\": \"text\","
                       " \"obj\": {}}";
    cJSON *j = mk_rest_json_parse(json, strlen(json));
    assert_non_null(j);
    assert_string_equal(mk_ops_value_text(soap, cJSON_GetObjectItem(j, "big")), "9007199254740993");
    assert_string_equal(mk_ops_value_text(soap, cJSON_GetObjectItem(j, "id")), "1090177");
    assert_string_equal(mk_ops_value_text(soap, cJSON_GetObjectItem(j, "amount")), "1604.47");
    assert_string_equal(mk_ops_value_text(soap, cJSON_GetObjectItem(j, "third")), "0.1");
    assert_string_equal(mk_ops_value_text(soap, cJSON_GetObjectItem(j, "yes")), "true");
    assert_string_equal(mk_ops_value_text(soap, cJSON_GetObjectItem(j, "s")), "text");
    assert_null(mk_ops_value_text(soap, cJSON_GetObjectItem(j, "none")));
    assert_null(mk_ops_value_text(soap, cJSON_GetObjectItem(j, "obj")));
    assert_null(mk_ops_value_text(soap, NULL));
    cJSON_Delete(j);

    assert_string_equal(mk_obj_datetime(soap, "2026-01-05T09:00:00Z+0000"), "2026-01-05T09:00:00Z");
    assert_string_equal(mk_obj_datetime(soap, "2026-01-05T09:00:00-08:00"),
                        "2026-01-05T09:00:00-08:00");
    assert_null(mk_obj_datetime(soap, NULL));
    assert_true(mk_obj_text_equal("Decision Maker", "decision maker"));
    assert_false(mk_obj_text_equal("a", NULL));

    char d1[17], d2[17], d3[17];
    mk_obj_digest("[\"Opportunity\",0]", d1);
    mk_obj_digest("[\"Opportunity\",0]", d2);
    mk_obj_digest("[\"Opportunity\",1]", d3);
    assert_string_equal(d1, d2);
    assert_string_not_equal(d1, d3);
    assert_int_equal(strlen(d1), 16);
    soap_destroy(soap);
    soap_end(soap);
    soap_free(soap);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_cache_copies_and_expires),
        cmocka_unit_test(test_cache_zero_ttl_keeps_nothing),
        cmocka_unit_test(test_cache_drop_replace_evict),
        cmocka_unit_test(test_cache_threads),
        cmocka_unit_test(test_batches),
        cmocka_unit_test(test_values_and_dates),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
