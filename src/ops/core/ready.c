/*
 * ready.c — the readiness check behind GET /ready (see monitor.h).
 *
 * /health says the process answers; /ready says whether a SOAP call would
 * get anywhere: a load balancer or an orchestrator takes an instance out of
 * rotation while Marketo refuses its credentials, is unreachable, or has no
 * daily quota left.  Tokens come from the REST client's cache, so a ready
 * instance costs no identity call per check; none is a REST API call.
 */
#include "ops/core/monitor.h"

#include <stdio.h>
#include <string.h>

#include "ops/core/common.h"
#include "config/config.h"

/* Longest an identity call made for a readiness check may take. */
#define READY_TOKEN_MS 5000

static int check_cred(mk_rest_client *rest, const char *id, const char *secret, char *why,
                      size_t len)
{
    char err[256] = "";
    mk_rest_cred cred = {id, secret};
    if (mk_rest_token_check(rest, &cred, mk_rest_now_ms() + READY_TOKEN_MS, err, sizeof err) ==
        MK_REST_OK)
        return 0;
    snprintf(why, len, "no REST token for client id %.100s: %.200s", id, err);
    return -1;
}

int mk_services_ready(void *services, const mktows_config *cfg, char *why, size_t len)
{
    mk_services *s = services;
    mk_rest_stats st;
    if (!s || !s->rest) {
        snprintf(why, len, "no REST client");
        return -1;
    }
    if (mk_rest_stats_get(s->rest, &st) != MK_REST_OK) {
        snprintf(why, len, "out of memory");
        return -1;
    }
    const mk_rest_limiter_stats l = st.limiter;
    mk_rest_stats_free(&st);
    if (l.breaker_open) {
        snprintf(why, len, "REST endpoint %.200s is down (no answer to the last calls)",
                 cfg->rest_endpoint);
        return -1;
    }
    if (l.daily_blocked) {
        if (l.daily_quota > 0)
            snprintf(why, len, "daily REST quota exhausted (%ld of %ld calls used)", l.daily_used,
                     l.daily_quota);
        else
            snprintf(why, len, "daily REST quota exhausted (Marketo answered 607)");
        return -1;
    }
    if (check_cred(s->rest, cfg->rest_client_id, cfg->rest_client_secret, why, len))
        return -1;
    size_t own = 0;
    for (size_t i = 0; i < cfg->n_users; i++) {
        const struct mk_soap_user *u = &cfg->users[i];
        if (!u->client_id || strcmp(u->client_id, cfg->rest_client_id) == 0)
            continue;
        own++;
        if (check_cred(s->rest, u->client_id, u->client_secret, why, len))
            return -1;
    }
    if (l.daily_quota > 0)
        snprintf(why, len, "ready: %zu REST service(s) have tokens; %ld of %ld daily calls used",
                 own + 1, l.daily_used, l.daily_quota);
    else
        snprintf(why, len, "ready: %zu REST service(s) have tokens; %ld calls used today",
                 own + 1, l.daily_used);
    return 0;
}
