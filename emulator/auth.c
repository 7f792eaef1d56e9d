/*
 * auth.c — the Identity endpoint (/identity/oauth/token) and the token store.
 *
 * Marketo hands out one token per custom service and, when asked again
 * before it lapses, returns the same token with its remaining lifetime
 * (rest-api.md §a).  Expired tokens are remembered so that using one gives
 * 602 rather than 601; a bounded history is enough for that.
 *
 * Identity answers are OAuth-shaped JSON, not the REST envelope, and do not
 * count against any limit.
 */
#include "auth.h"

#include "clock.h"
#include "config.h"
#include "h_family.h"
#include "stats.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define TOKEN_HISTORY 256

typedef struct {
    char value[64];
    int64_t expires_ms;
} token;

static pthread_mutex_t g_mu = PTHREAD_MUTEX_INITIALIZER;
static token g_tokens[TOKEN_HISTORY]; /* ring; g_cur is the newest */
static int g_count, g_cur = -1;

/* Tokens look like Marketo's: a UUID with the pod suffix. */
static void new_token_value(char out[64])
{
    char guid[37];
    fam_new_guid(guid);
    snprintf(out, 64, "%s:int", guid);
}

static void unauthorized(emu_resp *resp, const char *desc)
{
    cJSON *b = cJSON_CreateObject();
    cJSON_AddStringToObject(b, "error", "unauthorized");
    cJSON_AddStringToObject(b, "error_description", desc);
    emu_stats_reject("401");
    emu_resp_json(resp, 401, b);
}

static void identity(const emu_req *req, emu_resp *resp)
{
    const char *grant = emu_param(req, "grant_type");
    const char *id = emu_param(req, "client_id");
    const char *secret = emu_param(req, "client_secret");
    if (!grant || strcmp(grant, "client_credentials")) {
        cJSON *b = cJSON_CreateObject();
        cJSON_AddStringToObject(b, "error", "unsupported_grant_type");
        cJSON_AddStringToObject(b, "error_description",
                                grant ? "Unsupported grant type" : "Missing grant type");
        emu_stats_reject("400");
        emu_resp_json(resp, 400, b);
        return;
    }
    if (!id || !secret) {
        unauthorized(resp, "Bad client credentials");
        return;
    }
    if (strcmp(id, emu_cfg.client_id) || strcmp(secret, emu_cfg.client_secret)) {
        unauthorized(resp, "Bad client credentials");
        return;
    }
    int64_t now = emu_now_ms();
    pthread_mutex_lock(&g_mu);
    token *t = g_cur >= 0 ? &g_tokens[g_cur] : NULL;
    if (!t || t->expires_ms <= now) {
        g_cur = (g_cur + 1) % TOKEN_HISTORY;
        t = &g_tokens[g_cur];
        new_token_value(t->value);
        t->expires_ms = now + (int64_t)emu_cfg.token_ttl * 1000;
        if (g_count < TOKEN_HISTORY)
            g_count++;
    }
    char value[64];
    memcpy(value, t->value, sizeof value);
    int64_t remaining = (t->expires_ms - now) / 1000;
    pthread_mutex_unlock(&g_mu);

    cJSON *b = cJSON_CreateObject();
    cJSON_AddStringToObject(b, "access_token", value);
    cJSON_AddStringToObject(b, "token_type", "bearer");
    cJSON_AddNumberToObject(b, "expires_in", (double)remaining);
    cJSON_AddStringToObject(b, "scope", "apis@marketo-emulator.local");
    emu_resp_json(resp, 200, b);
}

const emu_route emu_routes_identity[] = {
    {"GET", "/identity/oauth/token", identity, false},
    {"POST", "/identity/oauth/token", identity, false},
    {NULL, NULL, NULL, false},
};

emu_token_state emu_token_check(const char *value)
{
    if (!value || !*value)
        return EMU_TOKEN_UNKNOWN;
    int64_t now = emu_now_ms();
    emu_token_state st = EMU_TOKEN_UNKNOWN;
    pthread_mutex_lock(&g_mu);
    /* Newest first: the live token is almost always the one asked for. */
    for (int i = 0, k = g_cur; i < g_count; i++, k = (k + TOKEN_HISTORY - 1) % TOKEN_HISTORY)
        if (!strcmp(g_tokens[k].value, value)) {
            st = g_tokens[k].expires_ms > now ? EMU_TOKEN_OK : EMU_TOKEN_EXPIRED;
            break;
        }
    pthread_mutex_unlock(&g_mu);
    return st;
}

void emu_tokens_expire_all(void)
{
    int64_t now = emu_now_ms();
    pthread_mutex_lock(&g_mu);
    for (int i = 0; i < g_count; i++)
        if (g_tokens[i].expires_ms > now)
            g_tokens[i].expires_ms = now;
    pthread_mutex_unlock(&g_mu);
}

void emu_tokens_clear(void)
{
    pthread_mutex_lock(&g_mu);
    memset(g_tokens, 0, sizeof g_tokens);
    g_count = 0;
    g_cur = -1;
    pthread_mutex_unlock(&g_mu);
}
