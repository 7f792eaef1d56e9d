/*
 * clock.h — milliseconds, deadlines and timed waits, written once.
 *
 * The REST client, the quota guard, the token cache, the coalescer, the
 * field cache, the worker pool, the connection guard and Redis each turned
 * a clock reading into milliseconds, milliseconds into the timespec of a
 * pthread_cond_timedwait, or two timespecs into the milliseconds between
 * them, by hand.  Every wait of the library runs on CLOCK_MONOTONIC (a
 * wall-clock step must not shorten or stretch a deadline), so its condition
 * variables are made here too.
 */
#ifndef MK_BASE_CLOCK_H
#define MK_BASE_CLOCK_H

#include <pthread.h>
#include <stdint.h>
#include <time.h>

/* Now, in milliseconds: CLOCK_MONOTONIC (deadlines, waits) and
 * CLOCK_REALTIME (dates: Marketo's day, seeds). */
int64_t mk_clock_mono_ms(void);
int64_t mk_clock_real_ms(void);

/* A point `ms` milliseconds into a clock as the timespec of the same clock
 * (pthread_cond_timedwait on a mk_clock_cond_init() condition takes a
 * mk_clock_mono_ms() deadline this way). */
struct timespec mk_clock_ts(int64_t ms);

/* CLOCK_MONOTONIC now plus `ms`, to the nanosecond. */
struct timespec mk_clock_mono_in(int64_t ms);

/* Milliseconds from `a` to `b` (negative when b is earlier), truncated. */
int64_t mk_clock_ms_between(const struct timespec *a, const struct timespec *b);

/* Milliseconds from `t` (a CLOCK_MONOTONIC reading) to now; negative
 * while t is ahead (a deadline not reached yet). */
int64_t mk_clock_mono_since(const struct timespec *t);

/* Sleep `ms` milliseconds, resuming after signals. */
void mk_clock_sleep_ms(int64_t ms);

/* A condition variable whose timed waits run on CLOCK_MONOTONIC.  0, or
 * the pthread error. */
int mk_clock_cond_init(pthread_cond_t *cv);

#endif /* MK_BASE_CLOCK_H */
