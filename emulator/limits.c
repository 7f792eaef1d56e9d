/*
 * limits.c — Marketo's three call limits (rest-api.md §c): a sliding window
 * of N calls per S seconds (606), the number of calls in flight (615) and
 * the daily quota, which resets at midnight US Central time (607).
 *
 * Every counted call is recorded, including calls that are refused with a
 * counted code (606, 607, 615 are not asterisked in Marketo's error table),
 * so a client that keeps hammering stays limited, as it would in Marketo.
 * The window is a ring of the last N call times: the call is refused when
 * the oldest of the last N is still inside the window.
 */
#include "limits.h"

#include "clock.h"
#include "config.h"
#include "stats.h"

#include <pthread.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

static pthread_mutex_t g_mu = PTHREAD_MUTEX_INITIALIZER;
static int64_t *g_ring;
static int g_ring_n, g_ring_pos, g_ring_fill;
static long g_day_calls;
static int64_t g_day;
static atomic_int g_in_flight;

/* Marketo's day starts at 12:00 AM CST (UTC-6, no daylight saving). */
static int64_t quota_day(int64_t ms) { return (ms - 6LL * 3600 * 1000) / 86400000LL; }

const char *emu_limits_admit(char *msg, size_t msgsz)
{
    int64_t now = emu_now_ms();
    const char *code = NULL;
    pthread_mutex_lock(&g_mu);
    emu_stats_counted();
    int64_t day = quota_day(now);
    if (day != g_day) {
        g_day = day;
        g_day_calls = 0;
    }
    g_day_calls++;
    if (emu_cfg.daily_quota > 0 && g_day_calls > emu_cfg.daily_quota) {
        code = "607";
        snprintf(msg, msgsz, "Daily quota reached");
    }
    if (emu_cfg.rate_n > 0) {
        if (!g_ring || g_ring_n != emu_cfg.rate_n) {
            free(g_ring);
            g_ring_n = emu_cfg.rate_n;
            g_ring = calloc((size_t)g_ring_n, sizeof *g_ring);
            g_ring_pos = g_ring_fill = 0;
        }
        /* g_ring_pos is the oldest of the last N calls once the ring is full. */
        if (!code && g_ring_fill == g_ring_n &&
            now - g_ring[g_ring_pos] < (int64_t)emu_cfg.rate_secs * 1000) {
            code = "606";
            snprintf(msg, msgsz, "Max rate limit '%d' exceeded with in '%d' secs",
                     emu_cfg.rate_n, emu_cfg.rate_secs);
        }
        g_ring[g_ring_pos] = now;
        g_ring_pos = (g_ring_pos + 1) % g_ring_n;
        if (g_ring_fill < g_ring_n)
            g_ring_fill++;
    }
    pthread_mutex_unlock(&g_mu);
    return code;
}

int emu_inflight_enter(void) { return atomic_fetch_add(&g_in_flight, 1) + 1; }
void emu_inflight_leave(void) { atomic_fetch_sub(&g_in_flight, 1); }

void emu_limits_reset(void)
{
    pthread_mutex_lock(&g_mu);
    free(g_ring);
    g_ring = NULL;
    g_ring_n = g_ring_pos = g_ring_fill = 0;
    g_day_calls = 0;
    pthread_mutex_unlock(&g_mu);
}

void emu_limits_free(void) { emu_limits_reset(); }
