/*
 * test_namecache.c — the name -> id cache (src/ops/core/namecache.h): hits within
 * the TTL and misses after it (on a clock the test moves), keys that differ
 * only in kind, scope or name, replacing, forgetting an id REST said is gone,
 * the bound on entries, a TTL of 0 that caches nothing, and many threads at
 * once (run under ASan/UBSan in the sanitizer build).
 */
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include <cmocka.h>

#include "ops/core/namecache.h"

static int64_t fake_now;
static int64_t fake_clock(void) { return fake_now; }

static mk_namecache *make(int64_t ttl_ms, size_t max)
{
    mk_namecache *c = NULL;
    fake_now = 1000;
    assert_int_equal(mk_namecache_new(ttl_ms, max, fake_clock, &c), 0);
    assert_non_null(c);
    return c;
}

static void test_hit_within_ttl_miss_after(void **state)
{
    (void)state;
    mk_namecache *c = make(5000, 0);
    int64_t id = 0;
    assert_false(mk_namecache_get(c, "list", "svc", "Webinar Registrants", &id));
    mk_namecache_put(c, "list", "svc", "Webinar Registrants", 3001);
    assert_true(mk_namecache_get(c, "list", "svc", "Webinar Registrants", &id));
    assert_int_equal(id, 3001);
    fake_now += 4999;
    assert_true(mk_namecache_get(c, "list", "svc", "Webinar Registrants", &id));
    fake_now += 1;
    assert_false(mk_namecache_get(c, "list", "svc", "Webinar Registrants", &id));
    mk_namecache_stats st;
    mk_namecache_stats_get(c, &st);
    assert_int_equal(st.hits, 2);
    assert_int_equal(st.misses, 2);
    assert_int_equal(st.entries, 0);   /* the expired entry went on the miss */
    mk_namecache_free(c);
}

static void test_keys_are_kind_scope_and_name(void **state)
{
    (void)state;
    mk_namecache *c = make(60000, 0);
    int64_t id = 0;
    mk_namecache_put(c, "list", "svc\x1eSpring Webinar", "Attendees", 1);
    mk_namecache_put(c, "list", "svc\x1eTrade Show", "Attendees", 2);
    mk_namecache_put(c, "campaign", "svc\x1eSpring Webinar", "Attendees", 3);
    mk_namecache_put(c, "list", "other\x1eSpring Webinar", "Attendees", 4);
    assert_true(mk_namecache_get(c, "list", "svc\x1eSpring Webinar", "Attendees", &id));
    assert_int_equal(id, 1);
    assert_true(mk_namecache_get(c, "list", "svc\x1eTrade Show", "Attendees", &id));
    assert_int_equal(id, 2);
    assert_true(mk_namecache_get(c, "campaign", "svc\x1eSpring Webinar", "Attendees", &id));
    assert_int_equal(id, 3);
    assert_true(mk_namecache_get(c, "list", "other\x1eSpring Webinar", "Attendees", &id));
    assert_int_equal(id, 4);
    /* Exact spelling: another case is another key (REST is asked again). */
    assert_false(mk_namecache_get(c, "list", "svc\x1eSpring Webinar", "attendees", &id));
    /* NULL scope is the empty scope. */
    mk_namecache_put(c, "list", NULL, "X", 9);
    assert_true(mk_namecache_get(c, "list", "", "X", &id));
    assert_int_equal(id, 9);
    mk_namecache_free(c);
}

static void test_put_replaces_and_refreshes(void **state)
{
    (void)state;
    mk_namecache *c = make(1000, 0);
    int64_t id = 0;
    mk_namecache_put(c, "list", "s", "L", 1);
    fake_now += 900;
    mk_namecache_put(c, "list", "s", "L", 2);
    fake_now += 900;   /* 1800 after the first put, 900 after the second */
    assert_true(mk_namecache_get(c, "list", "s", "L", &id));
    assert_int_equal(id, 2);
    mk_namecache_stats st;
    mk_namecache_stats_get(c, &st);
    assert_int_equal(st.entries, 1);
    mk_namecache_free(c);
}

static void test_forget_id(void **state)
{
    (void)state;
    mk_namecache *c = make(60000, 0);
    int64_t id = 0;
    mk_namecache_put(c, "list", "a", "Old Name", 3001);
    mk_namecache_put(c, "list", "b", "Same List Other Scope", 3001);
    mk_namecache_put(c, "list", "a", "Another", 3002);
    mk_namecache_put(c, "campaign", "a", "Same Id Other Kind", 3001);
    assert_int_equal(mk_namecache_forget_id(c, "list", 3001), 2);
    assert_false(mk_namecache_get(c, "list", "a", "Old Name", &id));
    assert_false(mk_namecache_get(c, "list", "b", "Same List Other Scope", &id));
    assert_true(mk_namecache_get(c, "list", "a", "Another", &id));
    assert_true(mk_namecache_get(c, "campaign", "a", "Same Id Other Kind", &id));
    assert_int_equal(mk_namecache_forget_id(c, "list", 3001), 0);
    /* "lis" is not a prefix match of "list". */
    assert_int_equal(mk_namecache_forget_id(c, "lis", 3002), 0);
    mk_namecache_free(c);
}

static void test_bounded(void **state)
{
    (void)state;
    mk_namecache *c = make(60000, 8);
    char name[32];
    int64_t id = 0;
    for (int i = 0; i < 20; i++) {
        fake_now++;
        snprintf(name, sizeof name, "list %d", i);
        mk_namecache_put(c, "list", "s", name, i);
    }
    mk_namecache_stats st;
    mk_namecache_stats_get(c, &st);
    assert_int_equal(st.entries, 8);
    assert_int_equal(st.evictions, 12);
    /* The oldest made room; the newest are there. */
    assert_false(mk_namecache_get(c, "list", "s", "list 0", &id));
    assert_true(mk_namecache_get(c, "list", "s", "list 19", &id));
    assert_int_equal(id, 19);
    assert_true(mk_namecache_get(c, "list", "s", "list 12", &id));
    mk_namecache_free(c);
}

static void test_ttl_zero_caches_nothing(void **state)
{
    (void)state;
    mk_namecache *c = make(0, 0);
    int64_t id = 0;
    mk_namecache_put(c, "list", "s", "L", 1);
    assert_false(mk_namecache_get(c, "list", "s", "L", &id));
    mk_namecache_free(c);
    /* A NULL cache is a cache that always misses. */
    assert_false(mk_namecache_get(NULL, "list", "s", "L", &id));
    mk_namecache_put(NULL, "list", "s", "L", 1);
    assert_int_equal(mk_namecache_forget_id(NULL, "list", 1), 0);
    mk_namecache_free(NULL);
}

static mk_namecache *shared;

static void *worker(void *arg)
{
    long t = (long)arg;
    char name[32];
    for (int i = 0; i < 2000; i++) {
        int64_t id;
        snprintf(name, sizeof name, "n%d", i % 50);
        if (!mk_namecache_get(shared, "list", "s", name, &id))
            mk_namecache_put(shared, "list", "s", name, i % 50);
        else if (id != i % 50)
            return (void *)1;
        if (i % 97 == (int)t)
            mk_namecache_forget_id(shared, "list", i % 50);
    }
    return NULL;
}

static void test_threads(void **state)
{
    (void)state;
    assert_int_equal(mk_namecache_new(60000, 32, NULL, &shared), 0);
    pthread_t th[8];
    for (long i = 0; i < 8; i++)
        assert_int_equal(pthread_create(&th[i], NULL, worker, (void *)i), 0);
    for (int i = 0; i < 8; i++) {
        void *rv;
        pthread_join(th[i], &rv);
        assert_null(rv);
    }
    mk_namecache_stats st;
    mk_namecache_stats_get(shared, &st);
    assert_true(st.entries <= 32);
    mk_namecache_free(shared);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_hit_within_ttl_miss_after),
        cmocka_unit_test(test_keys_are_kind_scope_and_name),
        cmocka_unit_test(test_put_replaces_and_refreshes),
        cmocka_unit_test(test_forget_id),
        cmocka_unit_test(test_bounded),
        cmocka_unit_test(test_ttl_zero_caches_nothing),
        cmocka_unit_test(test_threads),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
