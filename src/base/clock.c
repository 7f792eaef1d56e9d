/*
 * clock.c — clock readings in milliseconds, deadlines as timespecs and
 * monotonic condition variables (see clock.h).
 */
#include "base/clock.h"

#include <errno.h>

static int64_t ms_of(clockid_t id)
{
    struct timespec ts;
    clock_gettime(id, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

int64_t mk_clock_mono_ms(void)
{
    return ms_of(CLOCK_MONOTONIC);
}

int64_t mk_clock_real_ms(void)
{
    return ms_of(CLOCK_REALTIME);
}

struct timespec mk_clock_ts(int64_t ms)
{
    return (struct timespec){.tv_sec = (time_t)(ms / 1000),
                             .tv_nsec = (long)(ms % 1000) * 1000000L};
}

struct timespec mk_clock_mono_in(int64_t ms)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    ts.tv_sec += (time_t)(ms / 1000);
    ts.tv_nsec += (long)(ms % 1000) * 1000000L;
    if (ts.tv_nsec >= 1000000000L) {
        ts.tv_sec++;
        ts.tv_nsec -= 1000000000L;
    }
    return ts;
}

int64_t mk_clock_ms_between(const struct timespec *a, const struct timespec *b)
{
    return (int64_t)(b->tv_sec - a->tv_sec) * 1000 + (b->tv_nsec - a->tv_nsec) / 1000000;
}

int64_t mk_clock_mono_since(const struct timespec *t)
{
    struct timespec now;
    clock_gettime(CLOCK_MONOTONIC, &now);
    return mk_clock_ms_between(t, &now);
}

void mk_clock_sleep_ms(int64_t ms)
{
    struct timespec ts = mk_clock_ts(ms);
    while (nanosleep(&ts, &ts) != 0 && errno == EINTR)
        ;
}

int mk_clock_cond_init(pthread_cond_t *cv)
{
    pthread_condattr_t ca;
    int rc = pthread_condattr_init(&ca);
    if (rc != 0)
        return rc;
    rc = pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
    if (rc == 0)
        rc = pthread_cond_init(cv, &ca);
    pthread_condattr_destroy(&ca);
    return rc;
}
