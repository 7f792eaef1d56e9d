/*
 * admin.c — the emulator's own endpoints, which are never counted against
 * Marketo limits:
 *
 *   GET  /_emulator/stats   {"calls":{"GET /rest/v1/leads.json":N,…},
 *                            "unknownPathCalls":N, "rejections":{"606":N,…},
 *                            "maxInFlight":N, "countedCalls":N}
 *   POST /_emulator/reset   reload the seed; clear stats, tokens, limits, faults
 *   GET|POST /_emulator/faults
 *        {"latency_ms":200, "error_code":"606", "error_share":0.5,
 *         "drop_share":0.1, "expire_tokens_now":true, "clear":true}
 *        error_code: 602 604 606 608 611 615 (Marketo JSON errors) or
 *        500 502 (HTTP statuses).  Members left out keep their value.
 *
 * They sit on top of everything they read or reset, so that no lower file
 * has to know about them.
 */
#include "admin.h"

#include "auth.h"
#include "faults.h"
#include "limits.h"
#include "router.h"
#include "seed.h"
#include "stats.h"
#include "store.h"

#include <stdio.h>
#include <string.h>

static void admin_error(emu_resp *resp, const char *msg)
{
    cJSON *b = cJSON_CreateObject();
    cJSON_AddStringToObject(b, "error", msg);
    emu_resp_json(resp, 400, b);
}

static void admin_stats(const emu_req *req, emu_resp *resp)
{
    (void)req;
    cJSON *b = cJSON_CreateObject();
    cJSON *calls = cJSON_AddObjectToObject(b, "calls");
    char key[300];
    for (int i = 0; i < emu_route_count(); i++) {
        long n = emu_stats_route_calls(i);
        if (!n)
            continue;
        const emu_route *r = emu_route_at(i);
        snprintf(key, sizeof key, "%s %s", r->method, r->pattern);
        cJSON_AddNumberToObject(calls, key, (double)n);
    }
    cJSON_AddNumberToObject(b, "unknownPathCalls", (double)emu_stats_unknown_calls());
    emu_stats_rejections(cJSON_AddObjectToObject(b, "rejections"));
    cJSON_AddNumberToObject(b, "maxInFlight", emu_stats_max_in_flight());
    cJSON_AddNumberToObject(b, "countedCalls", (double)emu_stats_counted_calls());
    emu_resp_json(resp, 200, b);
}

static void admin_reset(const emu_req *req, emu_resp *resp)
{
    (void)req;
    char err[256] = "";
    emu_store_wrlock();
    int rc = emu_store_load(emu_seed(), err, sizeof err);
    emu_store_unlock();
    emu_stats_reset();
    emu_tokens_clear();
    emu_limits_reset();
    emu_faults_clear();
    cJSON *b = cJSON_CreateObject();
    cJSON_AddBoolToObject(b, "reset", rc == 0);
    if (rc)
        cJSON_AddStringToObject(b, "error", err);
    emu_resp_json(resp, rc ? 500 : 200, b);
}

static cJSON *faults_json(void)
{
    emu_faults f;
    emu_faults_get(&f);
    cJSON *b = cJSON_CreateObject();
    cJSON_AddNumberToObject(b, "latency_ms", f.latency_ms);
    cJSON_AddStringToObject(b, "error_code", f.error_code);
    cJSON_AddNumberToObject(b, "error_share", f.error_share);
    cJSON_AddNumberToObject(b, "drop_share", f.drop_share);
    return b;
}

static bool share(const cJSON *v, double *out)
{
    if (!cJSON_IsNumber(v) || v->valuedouble < 0 || v->valuedouble > 1)
        return false;
    *out = v->valuedouble;
    return true;
}

static void admin_faults(const emu_req *req, emu_resp *resp)
{
    if (!strcmp(req->method, "GET")) {
        emu_resp_json(resp, 200, faults_json());
        return;
    }
    const cJSON *j = req->json;
    if (!cJSON_IsObject(j)) {
        admin_error(resp, "body must be a JSON object (Content-Type: application/json)");
        return;
    }
    emu_faults f;
    emu_faults_get(&f);
    const cJSON *v;
    if (cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(j, "clear")))
        memset(&f, 0, sizeof f);
    if ((v = cJSON_GetObjectItemCaseSensitive(j, "latency_ms"))) {
        if (!cJSON_IsNumber(v) || v->valuedouble < 0 || v->valuedouble > 600000) {
            admin_error(resp, "latency_ms must be 0..600000");
            return;
        }
        f.latency_ms = (int)v->valuedouble;
    }
    if ((v = cJSON_GetObjectItemCaseSensitive(j, "error_code"))) {
        char code[16] = "";
        if (cJSON_IsNumber(v))
            snprintf(code, sizeof code, "%d", v->valueint);
        else if (cJSON_IsString(v))
            snprintf(code, sizeof code, "%s", v->valuestring);
        static const char *const ok[] = {"", "602", "604", "606", "608",
                                         "611", "615", "500", "502"};
        bool found = false;
        for (size_t i = 0; i < sizeof ok / sizeof *ok; i++)
            found |= !strcmp(ok[i], code);
        if (!found) {
            admin_error(resp, "error_code must be one of 602 604 606 608 611 615 500 502");
            return;
        }
        snprintf(f.error_code, sizeof f.error_code, "%s", code);
    }
    if ((v = cJSON_GetObjectItemCaseSensitive(j, "error_share")) && !share(v, &f.error_share)) {
        admin_error(resp, "error_share must be a number in 0..1");
        return;
    }
    if ((v = cJSON_GetObjectItemCaseSensitive(j, "drop_share")) && !share(v, &f.drop_share)) {
        admin_error(resp, "drop_share must be a number in 0..1");
        return;
    }
    if (cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(j, "expire_tokens_now")))
        emu_tokens_expire_all();
    emu_faults_set(&f);
    emu_resp_json(resp, 200, faults_json());
}

void emu_admin(const emu_req *req, emu_resp *resp)
{
    const char *url = req->path, *method = req->method;
    if (!strcmp(url, "/_emulator/stats") && !strcmp(method, "GET"))
        admin_stats(req, resp);
    else if (!strcmp(url, "/_emulator/reset") && !strcmp(method, "POST"))
        admin_reset(req, resp);
    else if (!strcmp(url, "/_emulator/faults") &&
             (!strcmp(method, "POST") || !strcmp(method, "GET")))
        admin_faults(req, resp);
    else {
        cJSON *b = cJSON_CreateObject();
        cJSON_AddStringToObject(b, "error", "no such emulator endpoint");
        emu_resp_json(resp, 404, b);
    }
}
