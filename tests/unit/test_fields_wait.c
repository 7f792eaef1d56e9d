/*
 * test_fields_wait.c — the lead field cache (src/ops/core/fields.c) against a
 * real marketo-emulator made slow with its fault injection: requests that
 * arrive while the first describe is still being fetched wait for it, but
 * only until their own deadline (issue 9, item 4: every waiting request
 * honours its own deadline); then they go on with the built-in table.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <pthread.h>
#include <stdio.h>
#include <string.h>

#include "ops/core/fields.h"
#include "rest/rest.h"
#include "soapstack.h"
#include "testsupport.h"

static ts_proc emu;
static mk_rest_client *client;
static mk_fields_cache *cache;
static const mk_rest_cred cred = {"test-id", "test-secret"};

typedef struct waiter {
    long start_after_ms, deadline_ms, took_ms;
    const mk_fields *f;
    int rc;
} waiter;

static void *acquire(void *arg)
{
    waiter *w = arg;
    ts_sleep_ms(w->start_after_ms);
    int64_t t0 = mk_rest_now_ms();
    w->rc = mk_fields_acquire(cache, &cred, t0 + w->deadline_ms, &w->f);
    w->took_ms = (long)(mk_rest_now_ms() - t0);
    return NULL;
}

/* The first caller fetches describe (token and describe, 1.2 s each); a
 * second caller with 400 ms left is answered by its deadline with the
 * built-in fields, not after the first caller's fetch. */
static void a_waiter_keeps_its_own_deadline(void **state)
{
    (void)state;
    ts_emulator_admin(&emu, "/_emulator/faults", "{\"latency_ms\": 1200}");
    waiter w[2] = {{0, 15000, 0, NULL, -1}, {200, 400, 0, NULL, -1}};
    pthread_t t[2];
    for (int i = 0; i < 2; i++)
        pthread_create(&t[i], NULL, acquire, &w[i]);
    for (int i = 0; i < 2; i++)
        pthread_join(t[i], NULL);
    assert_int_equal(w[1].rc, 0);
    if (w[1].took_ms > w[1].deadline_ms + 250)
        fail_msg("the waiter with %ld ms was answered after %ld ms", w[1].deadline_ms,
                 w[1].took_ms);
    assert_true(mk_fields_is_fallback(w[1].f));
    assert_int_equal(w[0].rc, 0);
    assert_false(mk_fields_is_fallback(w[0].f));   /* the describe came back */
    assert_true(w[0].took_ms >= 2000);
    for (int i = 0; i < 2; i++)
        mk_fields_release(w[i].f);
}

static int setup(void **state)
{
    (void)state;
    static const char *const extra[] = {"--rate-limit", "off", "--concurrency", "off", NULL};
    if (ts_emulator_start(&emu, extra) != 0 || ss_rest_client(&emu, 20000, &client) != 0)
        return -1;
    static const mk_field fallback[] = {
        {"email", "Email", "email", "Email Address", false, false},
    };
    return mk_fields_cache_new(client, fallback, 1, 0, &cache);
}

static int teardown(void **state)
{
    (void)state;
    mk_fields_cache_free(cache);
    mk_rest_client_free(client);
    return ts_proc_stop(&emu) == 0 ? 0 : -1;
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(a_waiter_keeps_its_own_deadline),
    };
    return ts_run_tests(tests, setup, teardown);
}
