/*
 * services.c — the long-lived services behind every operation handler:
 * the REST client, the mapping tables and the lead field catalogue, made
 * once from the configuration when the server starts.
 *
 * Configuration keys read here (beside the core ones of config/config.c):
 *   mapping_dir                        MKTOWS_MAPPING_DIR   the mapping/ tables
 *   leads.foreign_sys_person_id_field  MKTOWS_FSPI_FIELD    REST custom field that
 *                                                           holds ForeignSysPersonId
 *   workspaces                         MKTOWS_WORKSPACES    {"<workspace>": "<partition>"}
 *   leads.describe_ttl_seconds                              field catalogue TTL
 *   objects.cache_ttl_seconds                               describes and custom object types of
 *                                                           the object operations (default 3600;
 *                                                           0 disables the cache)
 *   import_db                          MKTOWS_IMPORT_DB     SQLite file remembering each
 *                                                           importToList batch (default
 *                                                           ./mktows-imports.sqlite, opened
 *                                                           on first use)
 *   name_cache_ttl_seconds             MKTOWS_NAME_CACHE_TTL  list/campaign name -> id
 *                                                           cache TTL (default 300, 0 off)
 *   cluster.redis                      MKTOWS_REDIS_URL     redis://… shared by the replicas:
 *                                                           one REST budget, importToList
 *                                                           batches (default: none)
 *   cluster.replicas                   MKTOWS_CLUSTER_REPLICAS  replicas sharing the budget;
 *                                                           each keeps to limit / replicas
 *                                                           while Redis is unreachable (2)
 *   cluster.timeout_ms                 MKTOWS_REDIS_TIMEOUT_MS  connect and reply bound (250)
 *
 *   rest.rate_limit, rest.max_concurrency, rest.daily_quota, rest.retry.*,
 *   rest.breaker.*, coalesce.*, stats_endpoint: Marketo's limits, retries,
 *   coalescing and GET /_shim/stats (ops/core/limits.h lists them)
 *
 * The mapping's operation table decides which operations are served: one
 * marked "unsupported" answers fault 20019 whatever code exists for it.
 */
#include "ops/core/services.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cluster/budget.h"
#include "cluster/redis.h"
#include "mapping/mapping.h"
#include "ops/core/coalesce.h"
#include "ops/core/common.h"
#include "ops/core/limits.h"
#include "ops/core/monitor.h"
#include "ops/core/opstats.h"
#include "ops/core/objcache.h"
#include "ops/core/actsvc.h"
#include "ops/core/importstore.h"
#include "ops/core/namecache.h"
#include "config/config.h"

/* config/config.c has already merged the MKTOWS_* variables into the
 * document, so every key is read from it alone. */
static const char *json_str(const cJSON *root, const char *path)
{
    const cJSON *v = mk_config_get(root, path);
    return cJSON_IsString(v) && *v->valuestring ? v->valuestring : NULL;
}

struct mk_services_impl {
    mk_services pub;
    mk_budget *budget;   /* the REST budget shared through pub.redis */
    mk_mapping *mapping;
    char *fspi;
    cJSON *workspaces;   /* owned copy */
};

/* cluster.*: Redis and the shared REST budget, when configured.  Redis
 * being down at start-up is logged, not fatal: the replica starts on its
 * local share and joins the shared budget when Redis answers. */
static int start_cluster(const cJSON *root, const mktows_config *cfg,
                         struct mk_services_impl *s, mk_rest_config *rc, char *err,
                         size_t errlen)
{
    const char *url = json_str(root, "cluster.redis");
    long replicas, timeout;
    if (!url)
        return 0;
    if (mk_config_int(root, "cluster.replicas", 2, 1, 1000, &replicas, err, errlen) ||
        mk_config_int(root, "cluster.timeout_ms", 250, 10, 60000, &timeout, err, errlen))
        return -1;
    if (mk_redis_new(url, timeout, &s->pub.redis, err, errlen) != 0)
        return -1;
    if (mk_budget_new(s->pub.redis, cfg->rest_endpoint, (int)replicas, &s->budget) != 0) {
        snprintf(err, errlen, "out of memory");
        return -1;
    }
    rc->limits.shared = mk_budget_iface(s->budget);
    char why[256];
    if (mk_redis_ping(s->pub.redis, why, sizeof why) != 0)
        fprintf(stderr, "mktows-shim: %s: starting on this replica's share of the REST "
                "budget (1/%ld)\n", why, replicas);
    return 0;
}

int mk_services_start(const mktows_config *cfg, void **out, char *err, size_t errlen)
{
    const cJSON *root = mk_config_json(cfg);
    struct mk_services_impl *s = calloc(1, sizeof *s);
    if (!s) {
        snprintf(err, errlen, "out of memory");
        return -1;
    }
    const char *dir = json_str(root, "mapping_dir");
    if (mk_mapping_load(dir, &s->mapping, err, errlen) != 0)
        goto fail;

    mk_rest_config rc = {.endpoint = cfg->rest_endpoint, .identity = cfg->rest_identity};
    mk_coalesce_config cc;
    if (mk_limits_config(root, s->mapping, &rc, &cc, err, errlen) != 0 ||
        start_cluster(root, cfg, s, &rc, err, errlen) != 0)
        goto fail;
    if (mk_rest_client_new(&rc, &s->pub.rest, err, errlen) != MK_REST_OK)
        goto fail;
    if (mk_coalescer_new(s->pub.rest, &cc, &s->pub.coalesce) != 0 ||
        mk_opstats_new(&s->pub.opstats) != 0) {
        snprintf(err, errlen, "out of memory");
        goto fail;
    }

    size_t nf = 0;
    const mk_mapping_field *mf = mk_mapping_fields(s->mapping, &nf);
    mk_field *fb = calloc(nf + 1, sizeof *fb);
    if (!fb) {
        snprintf(err, errlen, "out of memory");
        goto fail;
    }
    for (size_t i = 0; i < nf; i++)
        fb[i] = (mk_field){.rest = (char *)mf[i].rest, .soap = (char *)mf[i].soap,
                           .type = (char *)mf[i].type, .display = (char *)mf[i].display,
                           .soap_readonly = mf[i].readonly, .rest_readonly = mf[i].readonly};
    const cJSON *ttl = mk_config_get(root, "leads.describe_ttl_seconds");
    int rcf = mk_fields_cache_new(s->pub.rest, fb, nf, cJSON_IsNumber(ttl) ? ttl->valueint : 0,
                                  &s->pub.fields);
    free(fb);
    if (rcf != 0) {
        snprintf(err, errlen, "out of memory");
        goto fail;
    }

    const char *fspi = json_str(root, "leads.foreign_sys_person_id_field");
    if (fspi && !(s->fspi = strdup(fspi))) {
        snprintf(err, errlen, "out of memory");
        goto fail;
    }
    s->pub.fspi_field = s->fspi;

    const cJSON *ws = mk_config_get(root, "workspaces");
    s->workspaces = ws ? cJSON_Duplicate(ws, 1) : NULL;
    if (s->workspaces && !cJSON_IsObject(s->workspaces)) {
        snprintf(err, errlen, "config: key 'workspaces' (MKTOWS_WORKSPACES) must be a JSON object "
                 "{\"<workspace name>\": \"<lead partition name>\"}");
        goto fail;
    }
    const cJSON *w;
    cJSON_ArrayForEach(w, s->workspaces) {
        if (!cJSON_IsString(w)) {
            snprintf(err, errlen, "config: workspaces.%s must be a partition name (string)", w->string);
            goto fail;
        }
    }
    /* Name -> id lookups (lists, campaigns): one REST call saved per SOAP call. */
    const cJSON *nttl = mk_config_get(root, "name_cache_ttl_seconds");
    if (nttl && (!cJSON_IsNumber(nttl) || nttl->valuedouble < 0 || nttl->valuedouble > 86400)) {
        snprintf(err, errlen, "config: key 'name_cache_ttl_seconds' (MKTOWS_NAME_CACHE_TTL) "
                 "must be a number of seconds from 0 (off) to 86400");
        goto fail;
    }
    int64_t ttl_ms = nttl ? (int64_t)nttl->valuedouble * 1000 : 300000;
    if (mk_namecache_new(ttl_ms, 0, NULL, &s->pub.names) != 0) {
        snprintf(err, errlen, "out of memory");
        goto fail;
    }
    /* An import_db named in the configuration is opened now, so a bad path
     * stops start-up; the default file is created only when first needed. */
    const char *db = json_str(root, "import_db");
    if (mk_importstore_new(db, db != NULL, &s->pub.imports, err, errlen) != 0) {
        if (db) {
            size_t n = strlen(err);
            snprintf(err + n, errlen > n ? errlen - n : 0, " (config key 'import_db', MKTOWS_IMPORT_DB)");
        }
        goto fail;
    }
    if (s->pub.redis)
        mk_importstore_share(s->pub.imports, s->pub.redis, mk_budget_prefix(s->budget));

    /* Bounded, so the milliseconds below cannot overflow (1e300 did). */
    const cJSON *ottl = mk_config_get(root, "objects.cache_ttl_seconds");
    if (ottl && (!cJSON_IsNumber(ottl) || ottl->valuedouble < 0 ||
                 ottl->valuedouble > 30.0 * 86400)) {
        snprintf(err, errlen, "config: objects.cache_ttl_seconds must be a number of seconds "
                 "from 0 (off) to 2592000 (30 days)");
        goto fail;
    }
    if (mk_objcache_new(ottl ? (int64_t)ottl->valuedouble * 1000 : 3600 * 1000, 0,
                        &s->pub.objects) != 0) {
        snprintf(err, errlen, "out of memory");
        goto fail;
    }
    /* Activity and asset operations: the ActivityType alias table (validated
     * now, so a broken table stops start-up) and their caches (actsvc.h). */
    if (mk_actsvc_new(root, dir, &s->pub.acts, err, errlen) != 0)
        goto fail;
    s->pub.mapping = s->mapping;
    s->pub.workspaces = s->workspaces;
    *out = s;
    return 0;
fail:
    mk_services_stop(s);
    return -1;
}

void mk_services_stop(void *p)
{
    struct mk_services_impl *s = p;
    if (!s)
        return;
    mk_importstore_free(s->pub.imports);
    mk_namecache_free(s->pub.names);
    mk_fields_cache_free(s->pub.fields);
    mk_objcache_free(s->pub.objects);
    mk_actsvc_free(s->pub.acts);
    mk_coalescer_free(s->pub.coalesce);
    mk_opstats_free(s->pub.opstats);
    mk_rest_client_free(s->pub.rest);
    mk_budget_free(s->budget);
    mk_redis_free(s->pub.redis);
    mk_mapping_free(s->mapping);
    cJSON_Delete(s->workspaces);
    free(s->fspi);
    free(s);
}
