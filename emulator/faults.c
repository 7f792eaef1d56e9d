/*
 * faults.c — the injected faults (faults.h).  Every call reads them, so the
 * hot path only loads an atomic flag while no fault is configured.
 */
#include "faults.h"

#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>
#include <string.h>
#include <time.h>

static pthread_mutex_t g_mu = PTHREAD_MUTEX_INITIALIZER;
static emu_faults g_faults;
/* Lets the hot path skip the mutex when no fault is configured. */
static atomic_bool g_faults_on;

void emu_faults_get(emu_faults *out)
{
    if (!atomic_load_explicit(&g_faults_on, memory_order_acquire)) {
        memset(out, 0, sizeof *out);
        return;
    }
    pthread_mutex_lock(&g_mu);
    *out = g_faults;
    pthread_mutex_unlock(&g_mu);
}

void emu_faults_set(const emu_faults *f)
{
    pthread_mutex_lock(&g_mu);
    g_faults = *f;
    atomic_store(&g_faults_on, f->latency_ms > 0 || f->error_share > 0 || f->drop_share > 0);
    pthread_mutex_unlock(&g_mu);
}

void emu_faults_clear(void)
{
    pthread_mutex_lock(&g_mu);
    memset(&g_faults, 0, sizeof g_faults);
    atomic_store(&g_faults_on, false);
    pthread_mutex_unlock(&g_mu);
}

double emu_random01(void)
{
    static _Thread_local uint64_t s;
    if (!s) {
        struct timespec ts;
        clock_gettime(CLOCK_MONOTONIC, &ts);
        s = (uint64_t)ts.tv_nsec ^ ((uint64_t)(uintptr_t)&s << 16) ^ 0x9e3779b97f4a7c15ULL;
    }
    s ^= s >> 12;
    s ^= s << 25;
    s ^= s >> 27;
    return (double)((s * 0x2545F4914F6CDD1DULL) >> 11) / 9007199254740992.0;
}
