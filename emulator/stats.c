/*
 * stats.c — the counters behind GET /_emulator/stats (stats.h).
 *
 * Counters are atomics or a small mutex-guarded table so that the hot path
 * (one increment per request) never waits on the store lock.
 */
#include "stats.h"

#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static atomic_long *g_route_calls;
static int g_nroutes;
static atomic_long g_unknown_calls, g_counted;
static atomic_int g_max_in_flight;

#define MAX_CODES 64
static pthread_mutex_t g_mu = PTHREAD_MUTEX_INITIALIZER;
static struct { char code[8]; long n; } g_rej[MAX_CODES];
static int g_nrej;

int emu_stats_init(int nroutes)
{
    g_route_calls = calloc((size_t)nroutes + 1, sizeof *g_route_calls);
    if (!g_route_calls)
        return -1;
    g_nroutes = nroutes;
    return 0;
}

void emu_stats_free(void)
{
    free(g_route_calls);
    g_route_calls = NULL;
    g_nroutes = 0;
}

void emu_stats_route(int idx)
{
    if (idx >= 0 && idx < g_nroutes)
        atomic_fetch_add_explicit(&g_route_calls[idx], 1, memory_order_relaxed);
    else
        atomic_fetch_add_explicit(&g_unknown_calls, 1, memory_order_relaxed);
}

void emu_stats_counted(void) { atomic_fetch_add_explicit(&g_counted, 1, memory_order_relaxed); }

void emu_stats_inflight(int now)
{
    int max = atomic_load(&g_max_in_flight);
    while (now > max && !atomic_compare_exchange_weak(&g_max_in_flight, &max, now))
        ;
}

void emu_stats_reject(const char *code)
{
    pthread_mutex_lock(&g_mu);
    int i;
    for (i = 0; i < g_nrej; i++)
        if (!strcmp(g_rej[i].code, code))
            break;
    if (i == g_nrej && g_nrej < MAX_CODES) {
        snprintf(g_rej[i].code, sizeof g_rej[i].code, "%s", code);
        g_rej[i].n = 0;
        g_nrej++;
    }
    if (i < MAX_CODES)
        g_rej[i].n++;
    pthread_mutex_unlock(&g_mu);
}

void emu_stats_reset(void)
{
    for (int i = 0; i < g_nroutes; i++)
        atomic_store(&g_route_calls[i], 0);
    atomic_store(&g_unknown_calls, 0);
    atomic_store(&g_counted, 0);
    atomic_store(&g_max_in_flight, 0);
    pthread_mutex_lock(&g_mu);
    g_nrej = 0;
    pthread_mutex_unlock(&g_mu);
}

/* ---- reading ---------------------------------------------------------------- */

long emu_stats_route_calls(int idx)
{
    return idx >= 0 && idx < g_nroutes ? atomic_load(&g_route_calls[idx]) : 0;
}

long emu_stats_unknown_calls(void) { return atomic_load(&g_unknown_calls); }
int emu_stats_max_in_flight(void) { return atomic_load(&g_max_in_flight); }
long emu_stats_counted_calls(void) { return atomic_load(&g_counted); }

void emu_stats_rejections(cJSON *into)
{
    pthread_mutex_lock(&g_mu);
    for (int i = 0; i < g_nrej; i++)
        cJSON_AddNumberToObject(into, g_rej[i].code, (double)g_rej[i].n);
    pthread_mutex_unlock(&g_mu);
}
