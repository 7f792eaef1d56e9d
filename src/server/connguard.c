/*
 * connguard.c — the connection budget (see connguard.h for the rules).
 *
 * Everything is under one mutex: the MHD thread takes it a few times per
 * request and per body chunk, workers when a body is released or a client
 * authenticated, the sweeper ten times a second.  None of them holds it
 * for more than a walk of the connection list.
 */
#include "server/connguard.h"

#include <errno.h>
#include <pthread.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>

#include <cjson/cJSON.h>

#include "base/clock.h"
#include "config/config.h"

#define SWEEP_MS 100
/* Addresses remembered as established; the oldest is forgotten first.  A
 * flood of strangers cannot evict anybody: only authenticated requests
 * enter the table. */
#define ESTABLISHED_SLOTS 256

enum phase { PH_IDLE, PH_RECEIVING, PH_BUSY };

struct mk_conn {
    struct mk_conn *prev, *next;
    int fd;
    int shed;                 /* shutdown already done */
    struct mk_netaddr addr;
    enum phase phase;
    int in_body;              /* receiving the body: its rate is measured */
    struct timespec since;    /* start of the phase */
    struct timespec window;   /* start of the current rate window */
    size_t window_bytes;
};

struct established {
    struct mk_netaddr addr;
    time_t at;                /* CLOCK_MONOTONIC seconds; 0: free slot */
};

struct mk_connguard {
    pthread_mutex_t lock;
    pthread_cond_t wake;
    pthread_t thread;
    int stopping;

    /* limits, from the configuration */
    long idle_ms, total_ms, window_ms;
    size_t min_rate;
    unsigned max_connections, reserve_connections, per_client;
    size_t budget, reserve_bytes;
    long established_seconds;

    struct mk_conn *head;
    unsigned open;
    size_t buffered, buffered_peak;
    struct established est[ESTABLISHED_SLOTS];

    /* counters for /_shim/stats */
    unsigned long shed_idle, shed_deadline, shed_slow;
    unsigned long refused_reserve, refused_budget;
};

static void now_mono(struct timespec *t)
{
    clock_gettime(CLOCK_MONOTONIC, t);
}

/* ---- established addresses (caller holds the lock) ---------------------- */

static int is_established(const mk_connguard *g, const struct mk_netaddr *a, time_t now)
{
    for (size_t i = 0; i < ESTABLISHED_SLOTS; i++) {
        const struct established *e = &g->est[i];
        if (e->at && now - e->at <= g->established_seconds && e->addr.family == a->family &&
            memcmp(e->addr.bytes, a->bytes, sizeof a->bytes) == 0)
            return 1;
    }
    return 0;
}

void mk_connguard_established(mk_connguard *g, const struct mk_netaddr *addr)
{
    struct timespec t;
    if (!g || !addr || !addr->family)
        return;
    now_mono(&t);
    pthread_mutex_lock(&g->lock);
    struct established *slot = &g->est[0];
    for (size_t i = 0; i < ESTABLISHED_SLOTS; i++) {
        struct established *e = &g->est[i];
        if (e->at && e->addr.family == addr->family &&
            memcmp(e->addr.bytes, addr->bytes, sizeof addr->bytes) == 0) {
            slot = e;
            break;
        }
        if (e->at < slot->at)
            slot = e;   /* free (0) or the oldest */
    }
    slot->addr = *addr;
    slot->at = t.tv_sec ? t.tv_sec : 1;
    pthread_mutex_unlock(&g->lock);
}

/* ---- the sweeper -------------------------------------------------------------- */

static void shed(struct mk_conn *c, unsigned long *counter)
{
    if (c->shed)
        return;
    c->shed = 1;
    (*counter)++;
    /* MHD sees end-of-file and closes the connection in its own thread. */
    shutdown(c->fd, SHUT_RDWR);
}

static void sweep(mk_connguard *g)
{
    struct timespec now;
    now_mono(&now);
    for (struct mk_conn *c = g->head; c; c = c->next) {
        if (c->shed)
            continue;
        long age = mk_clock_ms_between(&c->since, &now);
        switch (c->phase) {
        case PH_IDLE:
            /* MHD closes a silent idle connection itself; this catches a
             * request line that trickles in a byte at a time. */
            if (age > g->idle_ms)
                shed(c, &g->shed_idle);
            break;
        case PH_RECEIVING:
            if (age > g->total_ms) {
                shed(c, &g->shed_deadline);
            } else if (c->in_body && g->min_rate) {
                long w = mk_clock_ms_between(&c->window, &now);
                if (w >= g->window_ms) {
                    if ((double)c->window_bytes < (double)g->min_rate * (double)w / 1000.0) {
                        shed(c, &g->shed_slow);
                    } else {
                        c->window = now;
                        c->window_bytes = 0;
                    }
                }
            }
            break;
        case PH_BUSY:
            break;
        }
    }
}

static void *sweeper_main(void *arg)
{
    mk_connguard *g = arg;
    pthread_mutex_lock(&g->lock);
    while (!g->stopping) {
        struct timespec until = mk_clock_mono_in(SWEEP_MS);
        int rc = pthread_cond_timedwait(&g->wake, &g->lock, &until);
        if (g->stopping)
            break;
        if (rc == ETIMEDOUT || rc == 0)
            sweep(g);
    }
    pthread_mutex_unlock(&g->lock);
    return NULL;
}

/* ---- lifecycle ------------------------------------------------------------------ */

mk_connguard *mk_connguard_start(const struct mktows_config *cfg)
{
    mk_connguard *g = calloc(1, sizeof *g);
    if (!g)
        return NULL;
    g->idle_ms = cfg->receive_timeout * 1000;
    g->total_ms = cfg->receive_total_timeout * 1000;
    g->window_ms = cfg->rate_window * 1000;
    g->min_rate = cfg->min_receive_rate;
    g->max_connections = cfg->max_connections;
    g->reserve_connections = cfg->reserve_connections;
    g->per_client = cfg->per_client_connections;
    g->budget = cfg->max_buffered_bytes;
    g->reserve_bytes = cfg->reserve_buffered_bytes;
    g->established_seconds = cfg->established_seconds;

    if (pthread_mutex_init(&g->lock, NULL) != 0) {
        free(g);
        return NULL;
    }
    if (mk_clock_cond_init(&g->wake) != 0) {
        pthread_mutex_destroy(&g->lock);
        free(g);
        return NULL;
    }
    if (pthread_create(&g->thread, NULL, sweeper_main, g) != 0) {
        pthread_cond_destroy(&g->wake);
        pthread_mutex_destroy(&g->lock);
        free(g);
        return NULL;
    }
    return g;
}

void mk_connguard_stop(mk_connguard *g)
{
    if (!g)
        return;
    pthread_mutex_lock(&g->lock);
    g->stopping = 1;
    pthread_cond_signal(&g->wake);
    pthread_mutex_unlock(&g->lock);
    pthread_join(g->thread, NULL);
    while (g->head) {
        struct mk_conn *c = g->head;
        g->head = c->next;
        free(c);
    }
    pthread_cond_destroy(&g->wake);
    pthread_mutex_destroy(&g->lock);
    free(g);
}

int mk_connguard_admit(mk_connguard *g, const struct mk_netaddr *addr)
{
    int ok = 1;
    if (!g)
        return 1;
    pthread_mutex_lock(&g->lock);
    if (g->reserve_connections && g->open + g->reserve_connections >= g->max_connections) {
        struct timespec t;
        now_mono(&t);
        if (!addr || !is_established(g, addr, t.tv_sec)) {
            ok = 0;
            g->refused_reserve++;
        }
    }
    pthread_mutex_unlock(&g->lock);
    return ok;
}

struct mk_conn *mk_connguard_open(mk_connguard *g, int fd, const struct mk_netaddr *addr)
{
    if (!g)
        return NULL;
    struct mk_conn *c = calloc(1, sizeof *c);
    if (!c)
        return NULL;
    c->fd = fd;
    if (addr)
        c->addr = *addr;
    c->phase = PH_IDLE;
    now_mono(&c->since);
    pthread_mutex_lock(&g->lock);
    c->next = g->head;
    if (g->head)
        g->head->prev = c;
    g->head = c;
    g->open++;
    pthread_mutex_unlock(&g->lock);
    return c;
}

void mk_connguard_close(mk_connguard *g, struct mk_conn *c)
{
    if (!g || !c)
        return;
    pthread_mutex_lock(&g->lock);
    if (c->prev)
        c->prev->next = c->next;
    else
        g->head = c->next;
    if (c->next)
        c->next->prev = c->prev;
    g->open--;
    pthread_mutex_unlock(&g->lock);
    free(c);
}

/* restart: the phase's clock starts now (headers → body keeps the
 * request's clock: the total deadline covers both). */
static void set_phase(mk_connguard *g, struct mk_conn *c, enum phase p, int in_body, int restart)
{
    if (!g || !c)
        return;
    pthread_mutex_lock(&g->lock);
    if (restart)
        now_mono(&c->since);
    c->phase = p;
    c->in_body = in_body;
    if (in_body) {
        now_mono(&c->window);
        c->window_bytes = 0;
    }
    pthread_mutex_unlock(&g->lock);
}

void mk_connguard_request(mk_connguard *g, struct mk_conn *c)
{
    set_phase(g, c, PH_RECEIVING, 0, 1);
}

void mk_connguard_headers_done(mk_connguard *g, struct mk_conn *c)
{
    set_phase(g, c, PH_RECEIVING, 1, 0);
}

void mk_connguard_received(mk_connguard *g, struct mk_conn *c, size_t n)
{
    if (!g || !c)
        return;
    pthread_mutex_lock(&g->lock);
    c->window_bytes += n;
    pthread_mutex_unlock(&g->lock);
}

void mk_connguard_busy(mk_connguard *g, struct mk_conn *c)
{
    set_phase(g, c, PH_BUSY, 0, 1);
}

void mk_connguard_idle(mk_connguard *g, struct mk_conn *c)
{
    set_phase(g, c, PH_IDLE, 0, 1);
}

const struct mk_netaddr *mk_connguard_addr(const struct mk_conn *c)
{
    return c ? &c->addr : NULL;
}

int mk_connguard_charge(mk_connguard *g, const struct mk_conn *c, size_t n)
{
    int rc = 0;
    if (!g)
        return 0;
    pthread_mutex_lock(&g->lock);
    size_t limit = g->budget - g->reserve_bytes;
    if (g->buffered + n > limit) {
        struct timespec t;
        now_mono(&t);
        if (c && is_established(g, &c->addr, t.tv_sec))
            limit = g->budget;
    }
    if (n > limit || g->buffered > limit - n) {
        g->refused_budget++;
        rc = -1;
    } else {
        g->buffered += n;
        if (g->buffered > g->buffered_peak)
            g->buffered_peak = g->buffered;
    }
    pthread_mutex_unlock(&g->lock);
    return rc;
}

void mk_connguard_release(mk_connguard *g, size_t n)
{
    if (!g || !n)
        return;
    pthread_mutex_lock(&g->lock);
    g->buffered = n > g->buffered ? 0 : g->buffered - n;
    pthread_mutex_unlock(&g->lock);
}

cJSON *mk_connguard_stats(mk_connguard *g)
{
    cJSON *o = cJSON_CreateObject();
    if (!o || !g)
        return o;
    struct timespec t;
    now_mono(&t);
    pthread_mutex_lock(&g->lock);
    unsigned receiving = 0, idle = 0, established = 0;
    for (struct mk_conn *c = g->head; c; c = c->next) {
        receiving += c->phase == PH_RECEIVING;
        idle += c->phase == PH_IDLE;
    }
    for (size_t i = 0; i < ESTABLISHED_SLOTS; i++)
        established += g->est[i].at && t.tv_sec - g->est[i].at <= g->established_seconds;
    cJSON_AddNumberToObject(o, "open", g->open);
    cJSON_AddNumberToObject(o, "receiving", receiving);
    cJSON_AddNumberToObject(o, "idle", idle);
    cJSON_AddNumberToObject(o, "max_connections", g->max_connections);
    cJSON_AddNumberToObject(o, "reserve_connections", g->reserve_connections);
    cJSON_AddNumberToObject(o, "per_client_limit", g->per_client);
    cJSON_AddNumberToObject(o, "established_addresses", established);
    cJSON_AddNumberToObject(o, "buffered_bytes", (double)g->buffered);
    cJSON_AddNumberToObject(o, "buffered_peak_bytes", (double)g->buffered_peak);
    cJSON_AddNumberToObject(o, "max_buffered_bytes", (double)g->budget);
    cJSON_AddNumberToObject(o, "reserve_buffered_bytes", (double)g->reserve_bytes);
    cJSON_AddNumberToObject(o, "receive_total_seconds", (double)(g->total_ms / 1000));
    cJSON_AddNumberToObject(o, "min_receive_rate", (double)g->min_rate);
    cJSON_AddNumberToObject(o, "rate_window_seconds", (double)(g->window_ms / 1000));
    cJSON_AddNumberToObject(o, "shed_idle", (double)g->shed_idle);
    cJSON_AddNumberToObject(o, "shed_deadline", (double)g->shed_deadline);
    cJSON_AddNumberToObject(o, "shed_slow", (double)g->shed_slow);
    cJSON_AddNumberToObject(o, "refused_reserve", (double)g->refused_reserve);
    cJSON_AddNumberToObject(o, "refused_budget", (double)g->refused_budget);
    pthread_mutex_unlock(&g->lock);
    return o;
}
