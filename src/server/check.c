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

#include "ops/services.h"
#include "server/config.h"
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

/* Replace every secret under parent by "********" (soap_users' shorthand
 * "userId": "encryptionKey" included); the copy's text is wiped first. */
static void mask(cJSON *parent, int in_users)
{
    cJSON *j = parent->child;
    while (j) {
        cJSON *next = j->next;
        if ((is_secret(j->string) || (in_users && cJSON_IsString(j))) && !cJSON_IsObject(j) &&
            !cJSON_IsArray(j)) {
            if (cJSON_IsString(j))
                memset(j->valuestring, 0, strlen(j->valuestring));
            cJSON *m = cJSON_CreateString("********");
            if (m && !cJSON_ReplaceItemInObjectCaseSensitive(parent, j->string, m))
                cJSON_Delete(m);
        } else if (j->child) {
            mask(j, parent == NULL ? 0 : (j->string && strcmp(j->string, "soap_users") == 0 &&
                                          !in_users && !parent->string));
        }
        j = next;
    }
}

/* Set a member at a dotted path, creating objects on the way. */
static void set_path(cJSON *root, const char *path, cJSON *v)
{
    char buf[128];
    snprintf(buf, sizeof buf, "%s", path);
    cJSON *obj = root;
    char *seg = buf, *dot;
    while ((dot = strchr(seg, '.'))) {
        *dot = '\0';
        cJSON *next = cJSON_GetObjectItemCaseSensitive(obj, seg);
        if (!cJSON_IsObject(next)) {
            cJSON_DeleteItemFromObjectCaseSensitive(obj, seg);
            next = cJSON_AddObjectToObject(obj, seg);
        }
        if (!next) {
            cJSON_Delete(v);
            return;
        }
        obj = next;
        seg = dot + 1;
    }
    cJSON_DeleteItemFromObjectCaseSensitive(obj, seg);
    if (v)
        cJSON_AddItemToObject(obj, seg, v);
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
    set_path(doc, "listen", cJSON_CreateString(listen));
    set_path(doc, "rest.endpoint", cJSON_CreateString(cfg->rest_endpoint));
    set_path(doc, "rest.identity", cJSON_CreateString(cfg->rest_identity));
    set_path(doc, "timestamp_window_seconds", cJSON_CreateNumber((double)cfg->timestamp_window));
    set_path(doc, "timeouts.receive_seconds", cJSON_CreateNumber((double)cfg->receive_timeout));
    set_path(doc, "timeouts.send_seconds", cJSON_CreateNumber((double)cfg->send_timeout));
    set_path(doc, "timeouts.request_seconds", cJSON_CreateNumber((double)cfg->request_timeout));
    set_path(doc, "max_request_bytes", cJSON_CreateNumber((double)cfg->max_request_bytes));
    set_path(doc, "workers", cJSON_CreateNumber(cfg->workers));
    set_path(doc, "max_connections", cJSON_CreateNumber(cfg->max_connections));
    set_path(doc, "access_log", cJSON_CreateBool(cfg->access_log));
    mk_metrics_config mc;
    char err[64];
    if (mk_metrics_config_load(mk_config_json(cfg), &mc, err, sizeof err) == 0) {
        set_path(doc, "metrics.enabled", cJSON_CreateBool(mc.enabled));
        mk_metrics_config_clear(&mc);
    }
    mask(doc, 0);
    char *text = cJSON_Print(doc);
    cJSON_Delete(doc);
    if (!text)
        return MKTOWS_ENOMEM;
    int rc = fprintf(out, "%s\n", text) < 0 ? MKTOWS_EIO : MKTOWS_OK;
    cJSON_free(text);
    return rc;
}
