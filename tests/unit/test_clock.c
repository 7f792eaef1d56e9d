/*
 * test_clock.c — src/base/clock.c: milliseconds to timespecs and back,
 * deadlines normalised past a second boundary, and a monotonic condition
 * variable whose timed wait ends at (not before) its deadline.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <errno.h>
#include <pthread.h>
#include <time.h>

#include "base/clock.h"

static void conversions(void **st)
{
    (void)st;
    struct timespec t = mk_clock_ts(12345);
    assert_int_equal(t.tv_sec, 12);
    assert_int_equal(t.tv_nsec, 345000000L);
    t = mk_clock_ts(999);
    assert_int_equal(t.tv_sec, 0);
    assert_int_equal(t.tv_nsec, 999000000L);

    struct timespec a = {.tv_sec = 10, .tv_nsec = 900000000L};
    struct timespec b = {.tv_sec = 12, .tv_nsec = 100000000L};
    assert_int_equal(mk_clock_ms_between(&a, &b), 1200);
    assert_int_equal(mk_clock_ms_between(&b, &a), -1200);
    /* truncated, not rounded: 1.9999 ms is 1 */
    struct timespec c = {.tv_sec = 10, .tv_nsec = 901999999L};
    assert_int_equal(mk_clock_ms_between(&a, &c), 1);
}

static void readings_agree(void **st)
{
    (void)st;
    struct timespec before;
    clock_gettime(CLOCK_MONOTONIC, &before);
    int64_t ms = mk_clock_mono_ms();
    int64_t from_ts = (int64_t)before.tv_sec * 1000 + before.tv_nsec / 1000000;
    assert_true(ms >= from_ts);
    assert_true(ms - from_ts < 1000);
    /* the wall clock is a date (after 2020), the monotonic one is not */
    assert_true(mk_clock_real_ms() > 1577836800000LL);
    assert_true(mk_clock_mono_since(&before) >= 0);

    /* "now + ms" carries the nanoseconds into the seconds */
    for (int i = 0; i < 200; i++) {
        struct timespec in = mk_clock_mono_in(999);
        assert_true(in.tv_nsec >= 0 && in.tv_nsec < 1000000000L);
        assert_true(mk_clock_ms_between(&before, &in) >= 999);
    }
    /* a deadline ahead reads as negative time since it */
    struct timespec ahead = mk_clock_mono_in(5000);
    int64_t since = mk_clock_mono_since(&ahead);
    assert_true(since <= -4000 && since >= -5000);
}

static void monotonic_wait_ends_at_its_deadline(void **st)
{
    (void)st;
    pthread_mutex_t mu = PTHREAD_MUTEX_INITIALIZER;
    pthread_cond_t cv;
    assert_int_equal(mk_clock_cond_init(&cv), 0);
    int64_t start = mk_clock_mono_ms();
    struct timespec until = mk_clock_ts(start + 50);
    pthread_mutex_lock(&mu);
    int rc;
    do
        rc = pthread_cond_timedwait(&cv, &mu, &until);
    while (rc == 0);   /* spurious wake-ups */
    pthread_mutex_unlock(&mu);
    /* a CLOCK_REALTIME condition would take the monotonic deadline as a
     * date decades ago and return at once */
    assert_int_equal(rc, ETIMEDOUT);
    assert_true(mk_clock_mono_ms() - start >= 49);
    pthread_cond_destroy(&cv);

    int64_t t0 = mk_clock_mono_ms();
    mk_clock_sleep_ms(20);
    assert_true(mk_clock_mono_ms() - t0 >= 19);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(conversions),
        cmocka_unit_test(readings_agree),
        cmocka_unit_test(monotonic_wait_ends_at_its_deadline),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
