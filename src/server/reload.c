/*
 * reload.c — generations of the configuration for live reloads (see
 * reload.h).
 *
 * A generation is a view: a copy of the server's own mktows_config whose
 * reloadable members (soap_users, access_log) point into the configuration
 * the reload loaded, which the generation owns.  Every other member still
 * points into the server's configuration, which outlives the server, so a
 * generation never has to copy or free those.
 */
#include "server/reload.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "config/config.h"

/* Top-level keys a reload applies.  Two ways to make a key reloadable:
 * a member of struct mktows_config that requests read is copied into the
 * view in mk_reloader_swap (as users and access_log are); a module that
 * keeps its own state (a log file) applies it in a reload hook (server.h).
 * Either way the key is listed here, so it is not reported as ignored. */
static const char *const reloadable_keys[] = {"soap_users", "access_log"};

struct mk_cfg_gen {
    struct mktows_config view;
    mktows_config *owned;     /* the reloaded configuration; NULL for the first */
    unsigned long refs;       /* pins + 1 while current */
};

struct mk_reloader {
    pthread_mutex_t mu;
    const mktows_config *base;
    mk_cfg_gen *current;
    unsigned long reloads;
};

static void gen_free(mk_cfg_gen *g)
{
    mktows_config_free(g->owned);
    free(g);
}

int mk_reloader_new(const mktows_config *initial, mk_reloader **out)
{
    mk_reloader *r = calloc(1, sizeof *r);
    mk_cfg_gen *g = calloc(1, sizeof *g);
    if (!r || !g) {
        free(r);
        free(g);
        return -1;
    }
    g->view = *initial;
    g->refs = 1;
    pthread_mutex_init(&r->mu, NULL);
    r->base = initial;
    r->current = g;
    *out = r;
    return 0;
}

void mk_reloader_free(mk_reloader *r)
{
    if (!r)
        return;
    gen_free(r->current);
    pthread_mutex_destroy(&r->mu);
    free(r);
}

const mktows_config *mk_reloader_acquire(mk_reloader *r, mk_cfg_gen **gen)
{
    pthread_mutex_lock(&r->mu);
    mk_cfg_gen *g = r->current;
    g->refs++;
    pthread_mutex_unlock(&r->mu);
    *gen = g;
    return &g->view;
}

void mk_reloader_release(mk_reloader *r, mk_cfg_gen *gen)
{
    if (!gen)
        return;
    pthread_mutex_lock(&r->mu);
    int last = --gen->refs == 0;
    pthread_mutex_unlock(&r->mu);
    if (last)
        gen_free(gen);
}

static int is_reloadable(const char *key)
{
    for (size_t i = 0; i < sizeof reloadable_keys / sizeof reloadable_keys[0]; i++)
        if (strcmp(reloadable_keys[i], key) == 0)
            return 1;
    return 0;
}

/* Append key to notice once: "a, b". */
static void note_key(char *notice, size_t len, const char *key)
{
    size_t used = strlen(notice);
    if (used + 1 >= len)
        return;
    snprintf(notice + used, len - used, "%s%.64s", used ? ", " : "", key);
}

/* Name the top-level keys of the two documents that differ and that a
 * reload does not apply. */
static void list_ignored(const cJSON *old, const cJSON *next, char *notice, size_t len)
{
    const cJSON *a, *b;
    cJSON_ArrayForEach(a, old)
    {
        if (is_reloadable(a->string))
            continue;
        b = cJSON_GetObjectItemCaseSensitive(next, a->string);
        if (!b || !cJSON_Compare(a, b, 1))
            note_key(notice, len, a->string);
    }
    cJSON_ArrayForEach(b, next)
    {
        if (!is_reloadable(b->string) && !cJSON_GetObjectItemCaseSensitive(old, b->string))
            note_key(notice, len, b->string);
    }
}

int mk_reloader_swap(mk_reloader *r, mktows_config *next, char *notice, size_t noticelen)
{
    char keys[400] = "";
    mk_cfg_gen *g = calloc(1, sizeof *g);
    if (!g) {
        mktows_config_free(next);
        return MKTOWS_ENOMEM;
    }
    list_ignored(mk_config_json(r->base), mk_config_json(next), keys, sizeof keys);
    if (notice && noticelen)
        snprintf(notice, noticelen, "%s%s%s", *keys ? "changed keys need a restart to apply: " : "",
                 keys, *keys && strlen(keys) + 1 >= sizeof keys ? ", ..." : "");

    g->view = *r->base;
    g->view.users = next->users;
    g->view.n_users = next->n_users;
    g->view.access_log = next->access_log;
    g->owned = next;
    g->refs = 1;

    pthread_mutex_lock(&r->mu);
    mk_cfg_gen *old = r->current;
    r->current = g;
    r->reloads++;
    int last = --old->refs == 0;
    pthread_mutex_unlock(&r->mu);
    if (last)
        gen_free(old);
    return MKTOWS_OK;
}

unsigned long mk_reloader_count(mk_reloader *r)
{
    pthread_mutex_lock(&r->mu);
    unsigned long n = r->reloads;
    pthread_mutex_unlock(&r->mu);
    return n;
}
