/*
 * check.c — mktows-shim --check-config: every check a start runs short of
 * binding a port, and the effective configuration with its secrets masked
 * (see include/mktows.h).
 *
 * The checks are the start-up code itself (TLS, metrics, the services with
 * their mapping tables and limits), called and released, so the two can
 * never disagree about what is valid.
 */
#include "mktows.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "ops/core/services.h"
#include "server/server.h"
#include "config/config.h"
#include "server/metrics.h"
#include "server/tls.h"

int mktows_config_check(const mktows_config *cfg, char *errbuf, size_t errlen)
{
    const cJSON *root = mk_config_json(cfg);
    mk_tls *tls = NULL;
    mk_metrics_config mc;
    void *services = NULL;
    if (mk_tls_load(root, &tls, errbuf, errlen) != 0)
        return MKTOWS_EINVAL;
    mk_tls_free(tls);
    if (mk_metrics_config_load(root, &mc, errbuf, errlen) != 0)
        return MKTOWS_EINVAL;
    mk_metrics_config_clear(&mc);
    if (mk_services_hooks.services_start(cfg, &services, errbuf, errlen) != 0)
        return MKTOWS_EINVAL;
    mk_services_hooks.services_stop(services);
    return MKTOWS_OK;
}

/* A member name that holds a secret: client secrets, encryption keys,
 * passwords, tokens. */
static int is_secret(const char *name)
{
    return name && (strstr(name, "secret") || strstr(name, "password") ||
                    strcmp(name, "encryption_key") == 0 || strcmp(name, "token") == 0);
}

/* Replace every secret below obj by "********" (the copy's text wiped
 * first).  users: obj is soap_users, whose shorthand members
 * ("userId": "encryptionKey") are secrets whatever their name. */
static void mask(cJSON *obj, int is_root, int users)
{
    cJSON *j = obj->child;
    while (j) {
        cJSON *next = j->next;
        if ((is_secret(j->string) || (users && cJSON_IsString(j))) && !cJSON_IsObject(j) &&
            !cJSON_IsArray(j)) {
            if (cJSON_IsString(j))
                memset(j->valuestring, 0, strlen(j->valuestring));
            cJSON *m = cJSON_CreateString("********");
            if (m && !cJSON_ReplaceItemInObjectCaseSensitive(obj, j->string, m))
                cJSON_Delete(m);
        } else if (j->child) {
            mask(j, 0, is_root && j->string && strcmp(j->string, "soap_users") == 0);
        }
        j = next;
    }
}

int mktows_config_print(const mktows_config *cfg, FILE *out)
{
    cJSON *doc = cJSON_Duplicate(mk_config_json(cfg), 1);
    if (!doc)
        return MKTOWS_ENOMEM;
    /* The values in force, defaults included, for the keys read at load. */
    char listen[300];
    int v6 = strchr(cfg->listen_host, ':') != NULL;
    snprintf(listen, sizeof listen, "%s%s%s:%u", v6 ? "[" : "", cfg->listen_host, v6 ? "]" : "",
             cfg->listen_port);
    mk_config_set(doc, "listen", cJSON_CreateString(listen));
    mk_config_set(doc, "rest.endpoint", cJSON_CreateString(cfg->rest_endpoint));
    mk_config_set(doc, "rest.identity", cJSON_CreateString(cfg->rest_identity));
    const struct {
        const char *path;
        double value;
    } numbers[] = {
        {"timestamp_window_seconds", (double)cfg->timestamp_window},
        {"timeouts.receive_seconds", (double)cfg->receive_timeout},
        {"timeouts.send_seconds", (double)cfg->send_timeout},
        {"timeouts.request_seconds", (double)cfg->request_timeout},
        {"max_request_bytes", (double)cfg->max_request_bytes},
        {"workers", cfg->workers},
        {"max_connections", cfg->max_connections},
    };
    for (size_t i = 0; i < sizeof numbers / sizeof numbers[0]; i++)
        mk_config_set(doc, numbers[i].path, cJSON_CreateNumber(numbers[i].value));
    mk_config_set(doc, "access_log", cJSON_CreateBool(cfg->access_log));
    mk_metrics_config mc;
    char err[64];
    if (mk_metrics_config_load(mk_config_json(cfg), &mc, err, sizeof err) == 0) {
        mk_config_set(doc, "metrics.enabled", cJSON_CreateBool(mc.enabled));
        mk_metrics_config_clear(&mc);
    }
    mask(doc, 1, 0);
    char *text = cJSON_Print(doc);
    cJSON_Delete(doc);
    if (!text)
        return MKTOWS_ENOMEM;
    int rc = fprintf(out, "%s\n", text) < 0 ? MKTOWS_EIO : MKTOWS_OK;
    cJSON_free(text);
    return rc;
}
