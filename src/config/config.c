/*
 * config.c — loading and validating the mktows-shim configuration.
 *
 * The JSON file is parsed into a cJSON tree; each MKTOWS_* variable then
 * overwrites one key of that tree, so file and environment go through the
 * same validation and every error can name the key (and the variable).
 * Secret values never appear in messages.
 */
#include "config/config.h"

#include <errno.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <cjson/cJSON.h>

#include "base/buf.h"

/* Environment variable → JSON key path ("a.b") and kind. */
enum env_kind { ENV_STRING, ENV_INT, ENV_BOOL, ENV_JSON };
static const struct {
    const char *var;
    const char *key;
    enum env_kind kind;
} env_table[] = {
    {"MKTOWS_LISTEN", "listen", ENV_STRING},
    {"MKTOWS_REST_ENDPOINT", "rest.endpoint", ENV_STRING},
    {"MKTOWS_REST_IDENTITY", "rest.identity", ENV_STRING},
    {"MKTOWS_REST_CLIENT_ID", "rest.client_id", ENV_STRING},
    {"MKTOWS_REST_CLIENT_SECRET", "rest.client_secret", ENV_STRING},
    {"MKTOWS_SOAP_USERS", "soap_users", ENV_JSON},
    {"MKTOWS_TIMESTAMP_WINDOW", "timestamp_window_seconds", ENV_INT},
    {"MKTOWS_RECEIVE_TIMEOUT", "timeouts.receive_seconds", ENV_INT},
    {"MKTOWS_SEND_TIMEOUT", "timeouts.send_seconds", ENV_INT},
    {"MKTOWS_REQUEST_TIMEOUT", "timeouts.request_seconds", ENV_INT},
    {"MKTOWS_MAX_REQUEST_BYTES", "max_request_bytes", ENV_INT},
    {"MKTOWS_XML_MAX_DEPTH", "xml.max_depth", ENV_INT},
    {"MKTOWS_XML_MAX_ELEMENTS", "xml.max_elements", ENV_INT},
    {"MKTOWS_XML_MAX_ATTRIBUTES", "xml.max_attributes", ENV_INT},
    {"MKTOWS_XML_MAX_NAME_BYTES", "xml.max_name_bytes", ENV_INT},
    {"MKTOWS_XML_MAX_VALUE_BYTES", "xml.max_value_bytes", ENV_INT},
    {"MKTOWS_WORKERS", "workers", ENV_INT},
    {"MKTOWS_MAX_WORKERS", "max_workers", ENV_INT},
    {"MKTOWS_WORKER_STACK_KB", "worker_stack_kb", ENV_INT},
    {"MKTOWS_MAX_CONNECTIONS", "max_connections", ENV_INT},
    /* connection budget (server/connguard.h) */
    {"MKTOWS_RECEIVE_TOTAL_TIMEOUT", "timeouts.receive_total_seconds", ENV_INT},
    {"MKTOWS_PER_CLIENT_CONNECTIONS", "connections.per_client_limit", ENV_INT},
    {"MKTOWS_MIN_RECEIVE_RATE", "connections.min_receive_rate", ENV_INT},
    {"MKTOWS_RATE_WINDOW", "connections.rate_window_seconds", ENV_INT},
    {"MKTOWS_MAX_BUFFERED_BYTES", "connections.max_buffered_bytes", ENV_INT},
    {"MKTOWS_RESERVE_CONNECTIONS", "connections.reserve_connections", ENV_INT},
    {"MKTOWS_RESERVE_BUFFERED_BYTES", "connections.reserve_buffered_bytes", ENV_INT},
    {"MKTOWS_ESTABLISHED_SECONDS", "connections.established_seconds", ENV_INT},
    {"MKTOWS_TRUSTED_PROXIES", "trusted_proxies", ENV_STRING},
    {"MKTOWS_ACCESS_LOG", "access_log", ENV_BOOL},
    {"MKTOWS_USAGE_LOG", "usage_log", ENV_STRING},
    {"MKTOWS_MAPPING_DIR", "mapping_dir", ENV_STRING},
    {"MKTOWS_FSPI_FIELD", "leads.foreign_sys_person_id_field", ENV_STRING},
    {"MKTOWS_WORKSPACES", "workspaces", ENV_JSON},
    /* Marketo's limits, retries, coalescing, stats (ops/core/limits.h) */
    {"MKTOWS_REST_RATE_LIMIT", "rest.rate_limit", ENV_INT},
    {"MKTOWS_REST_RATE_WINDOW", "rest.rate_window_seconds", ENV_INT},
    {"MKTOWS_REST_RATE_BURST", "rest.rate_burst", ENV_INT},
    {"MKTOWS_REST_MAX_CONCURRENCY", "rest.max_concurrency", ENV_INT},
    {"MKTOWS_REST_DAILY_QUOTA", "rest.daily_quota", ENV_INT},
    {"MKTOWS_REST_RETRY_MAX", "rest.retry.max_retries", ENV_INT},
    {"MKTOWS_REST_RETRY_BASE_MS", "rest.retry.base_ms", ENV_INT},
    {"MKTOWS_REST_RETRY_MAX_DELAY_MS", "rest.retry.max_delay_ms", ENV_INT},
    {"MKTOWS_REST_BREAKER_FAILURES", "rest.breaker.failures", ENV_INT},
    {"MKTOWS_REST_BREAKER_PROBE_MS", "rest.breaker.probe_ms", ENV_INT},
    {"MKTOWS_COALESCE", "coalesce.enabled", ENV_BOOL},
    {"MKTOWS_COALESCE_WAIT_MS", "coalesce.wait_ms", ENV_INT},
    {"MKTOWS_COALESCE_MAX_HOLD_MS", "coalesce.max_hold_ms", ENV_INT},
    {"MKTOWS_STATS_ENDPOINT", "stats_endpoint", ENV_BOOL},
    {"MKTOWS_IMPORT_DB", "import_db", ENV_STRING},
    {"MKTOWS_NAME_CACHE_TTL", "name_cache_ttl_seconds", ENV_INT},
    /* Deploying: TLS and metrics (server/tls.h, server/metrics.h) */
    {"MKTOWS_TLS_CERT_FILE", "tls.cert_file", ENV_STRING},
    {"MKTOWS_TLS_KEY_FILE", "tls.key_file", ENV_STRING},
    {"MKTOWS_TLS_CLIENT_CA_FILE", "tls.client_ca_file", ENV_STRING},
    {"MKTOWS_METRICS_ENABLED", "metrics.enabled", ENV_BOOL},
    {"MKTOWS_METRICS_LISTEN", "metrics.listen", ENV_STRING},
    /* several replicas (ops/core/services.c) */
    {"MKTOWS_REDIS_URL", "cluster.redis", ENV_STRING},
    {"MKTOWS_CLUSTER_REPLICAS", "cluster.replicas", ENV_INT},
    {"MKTOWS_REDIS_TIMEOUT_MS", "cluster.timeout_ms", ENV_INT},
};

const char *mktows_strerror(int err)
{
    switch (err) {
    case MKTOWS_OK: return "success";
    case MKTOWS_ENOMEM: return "out of memory";
    case MKTOWS_EINVAL: return "invalid configuration or argument";
    case MKTOWS_EIO: return "cannot read file";
    case MKTOWS_ELISTEN: return "cannot start server";
    default: return "unknown error";
    }
}

static int fail(char *errbuf, size_t errlen, int rc, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));
static int fail(char *errbuf, size_t errlen, int rc, const char *fmt, ...)
{
    if (errbuf && errlen) {
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(errbuf, errlen, fmt, ap);
        va_end(ap);
    }
    return rc;
}

static const char *env_lookup(char *const envp[], const char *name)
{
    size_t n = strlen(name);
    if (!envp)
        return NULL;
    for (size_t i = 0; envp[i]; i++)
        if (strncmp(envp[i], name, n) == 0 && envp[i][n] == '=')
            return envp[i] + n + 1;
    return NULL;
}

/* The variable overriding key, for messages ("" if none). */
static const char *env_for_key(const char *key)
{
    for (size_t i = 0; i < sizeof env_table / sizeof env_table[0]; i++)
        if (strcmp(env_table[i].key, key) == 0)
            return env_table[i].var;
    return NULL;
}

int mk_config_set(cJSON *root, const char *path, cJSON *item)
{
    if (!item)
        return -1;
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
            if (!next) {
                cJSON_Delete(item);
                return -1;
            }
        }
        obj = next;
        seg = dot + 1;
    }
    if (cJSON_GetObjectItemCaseSensitive(obj, seg))
        return cJSON_ReplaceItemInObjectCaseSensitive(obj, seg, item) ? 0 : -1;
    return cJSON_AddItemToObject(obj, seg, item) ? 0 : -1;
}

const cJSON *mk_config_get(const cJSON *root, const char *path)
{
    char buf[128];
    snprintf(buf, sizeof buf, "%s", path);
    const cJSON *obj = root;
    char *seg = buf, *dot;
    while ((dot = strchr(seg, '.'))) {
        *dot = '\0';
        obj = cJSON_GetObjectItemCaseSensitive(obj, seg);
        if (!cJSON_IsObject(obj))
            return NULL;
        seg = dot + 1;
    }
    return cJSON_GetObjectItemCaseSensitive(obj, seg);
}

char *mk_config_read_file(const char *path, int *err)
{
    FILE *f = fopen(path, "rb");
    if (!f) {
        *err = errno;
        return NULL;
    }
    mk_buf b = {0};
    *err = mk_buf_read(&b, f);
    fclose(f);
    if (*err) {
        mk_buf_free(&b);
        return NULL;
    }
    char *text = mk_buf_take(&b);
    if (!text)
        *err = ENOMEM;
    return text;
}

/* Copy a string key: required → error if absent; returns 0 or an rc. */
static int get_string(const cJSON *root, const char *key, int required, char **out,
                      char *errbuf, size_t errlen)
{
    const cJSON *v = mk_config_get(root, key);
    const char *var = env_for_key(key);
    *out = NULL;
    if (!v || cJSON_IsNull(v)) {
        if (!required)
            return 0;
        return fail(errbuf, errlen, MKTOWS_EINVAL, "config: key '%s' is required%s%s%s", key,
                    var ? " (or set " : "", var ? var : "", var ? ")" : "");
    }
    if (!cJSON_IsString(v) || !v->valuestring[0])
        return fail(errbuf, errlen, MKTOWS_EINVAL, "config: key '%s' must be a non-empty string",
                    key);
    *out = strdup(v->valuestring);
    return *out ? 0 : fail(errbuf, errlen, MKTOWS_ENOMEM, "config: out of memory");
}

int mk_config_int(const cJSON *root, const char *key, long def, long min, long max, long *out,
                  char *errbuf, size_t errlen)
{
    const cJSON *v = mk_config_get(root, key);
    const char *var = env_for_key(key);
    if (!v || cJSON_IsNull(v)) {
        *out = def;
        return 0;
    }
    /* The range first: converting a double out of range (1e300) is undefined. */
    if (!cJSON_IsNumber(v) || !(v->valuedouble >= (double)min && v->valuedouble <= (double)max) ||
        v->valuedouble != (double)(long long)v->valuedouble)
        return fail(errbuf, errlen, MKTOWS_EINVAL,
                    "config: key '%s'%s%s%s must be an integer from %ld to %ld", key,
                    var ? " (" : "", var ? var : "", var ? ")" : "", min, max);
    *out = (long)v->valuedouble;
    return 0;
}

/* The gate's limits (soap/xmlcheck.h): each at least what a real request
 * needs, at most what keeps one request's parse bounded. */
static int load_xml_limits(struct mktows_config *cfg, char *errbuf, size_t errlen)
{
    static const struct {
        const char *key;
        long def, min, max;
        size_t offset;
    } keys[] = {
        {"xml.max_depth", MK_XML_DEFAULT_MAX_DEPTH, 16, 10000,
         offsetof(struct mk_xml_limits, max_depth)},
        {"xml.max_elements", MK_XML_DEFAULT_MAX_ELEMENTS, 1000, 100000000,
         offsetof(struct mk_xml_limits, max_elements)},
        {"xml.max_attributes", MK_XML_DEFAULT_MAX_ATTRIBUTES, 16, 10000000,
         offsetof(struct mk_xml_limits, max_attributes)},
        {"xml.max_name_bytes", MK_XML_DEFAULT_MAX_NAME_BYTES, 64, 1L << 20,
         offsetof(struct mk_xml_limits, max_name_bytes)},
        {"xml.max_value_bytes", MK_XML_DEFAULT_MAX_VALUE_BYTES, 1024, 1L << 30,
         offsetof(struct mk_xml_limits, max_value_bytes)},
    };
    for (size_t i = 0; i < sizeof keys / sizeof *keys; i++) {
        long v;
        int rc = mk_config_int(cfg->json, keys[i].key, keys[i].def, keys[i].min, keys[i].max, &v,
                         errbuf, errlen);
        if (rc)
            return rc;
        *(size_t *)((char *)&cfg->xml_limits + keys[i].offset) = (size_t)v;
    }
    return 0;
}

int mk_config_parse_hostport(const char *s, char **host, unsigned *port)
{
    const char *colon, *hs, *he;
    if (!s || !*s)
        return -1;
    if (s[0] == '[') {
        he = strchr(s, ']');
        if (!he || he[1] != ':')
            return -1;
        hs = s + 1;
        colon = he + 1;
    } else {
        colon = strrchr(s, ':');
        if (!colon || memchr(s, ':', (size_t)(colon - s)))
            return -1;
        hs = s;
        he = colon;
    }
    if (he == hs || !colon[1])
        return -1;
    char *end;
    errno = 0;
    unsigned long p = strtoul(colon + 1, &end, 10);
    if (errno || *end || p > 65535 || colon[1] == '-' || colon[1] == '+')
        return -1;
    *host = strndup(hs, (size_t)(he - hs));
    if (!*host)
        return -1;
    *port = (unsigned)p;
    return 0;
}

static int cmp_user(const void *a, const void *b)
{
    return strcmp(((const struct mk_soap_user *)a)->user_id,
                  ((const struct mk_soap_user *)b)->user_id);
}

static int load_users(struct mktows_config *cfg, char *errbuf, size_t errlen)
{
    const cJSON *users = cJSON_GetObjectItemCaseSensitive(cfg->json, "soap_users");
    if (!users)
        return fail(errbuf, errlen, MKTOWS_EINVAL,
                    "config: key 'soap_users' is required (or set MKTOWS_SOAP_USERS)");
    if (!cJSON_IsObject(users) || !users->child)
        return fail(errbuf, errlen, MKTOWS_EINVAL,
                    "config: key 'soap_users' must be a non-empty object {userId: {encryption_key: ...}}");
    size_t n = (size_t)cJSON_GetArraySize(users);
    cfg->users = calloc(n, sizeof *cfg->users);
    if (!cfg->users)
        return fail(errbuf, errlen, MKTOWS_ENOMEM, "config: out of memory");
    const cJSON *u;
    cJSON_ArrayForEach(u, users)
    {
        struct mk_soap_user *su = &cfg->users[cfg->n_users++];
        su->weight = 1;
        char key[300];
        if (!u->string || !u->string[0])
            return fail(errbuf, errlen, MKTOWS_EINVAL, "config: 'soap_users' has an empty user id");
        su->user_id = strdup(u->string);
        if (!su->user_id)
            return fail(errbuf, errlen, MKTOWS_ENOMEM, "config: out of memory");
        if (cJSON_IsString(u)) {
            /* shorthand: "userId": "encryptionKey" */
            if (!u->valuestring[0])
                return fail(errbuf, errlen, MKTOWS_EINVAL,
                            "config: key 'soap_users.%.200s' must be a non-empty string",
                            u->string);
            su->encryption_key = strdup(u->valuestring);
            if (!su->encryption_key)
                return fail(errbuf, errlen, MKTOWS_ENOMEM, "config: out of memory");
            continue;
        }
        if (!cJSON_IsObject(u))
            return fail(errbuf, errlen, MKTOWS_EINVAL,
                        "config: key 'soap_users.%.200s' must be an object", u->string);
        snprintf(key, sizeof key, "soap_users.%.200s", u->string);
        /* user ids with dots would confuse the path walk: read directly */
        const struct {
            const char *name;
            char **dst;
            int required;
        } fields[] = {{"encryption_key", &su->encryption_key, 1},
                      {"client_id", &su->client_id, 0},
                      {"client_secret", &su->client_secret, 0},
                      {"partition", &su->partition, 0}};
        for (size_t i = 0; i < sizeof fields / sizeof fields[0]; i++) {
            const cJSON *v = cJSON_GetObjectItemCaseSensitive(u, fields[i].name);
            if (!v || cJSON_IsNull(v)) {
                if (fields[i].required)
                    return fail(errbuf, errlen, MKTOWS_EINVAL, "config: key '%s.%s' is required",
                                key, fields[i].name);
                continue;
            }
            if (!cJSON_IsString(v) || !v->valuestring[0])
                return fail(errbuf, errlen, MKTOWS_EINVAL,
                            "config: key '%s.%s' must be a non-empty string", key,
                            fields[i].name);
            *fields[i].dst = strdup(v->valuestring);
            if (!*fields[i].dst)
                return fail(errbuf, errlen, MKTOWS_ENOMEM, "config: out of memory");
        }
        /* Shares of the REST budget when several users' requests wait
         * for one call (ops/core/coalesce.h). */
        const cJSON *w = cJSON_GetObjectItemCaseSensitive(u, "weight");
        if (w && !cJSON_IsNull(w)) {
            if (!cJSON_IsNumber(w) || !(w->valuedouble >= 1 && w->valuedouble <= 1000) ||
                w->valuedouble != (double)(int)w->valuedouble)
                return fail(errbuf, errlen, MKTOWS_EINVAL,
                            "config: key '%s.weight' must be an integer from 1 to 1000", key);
            su->weight = (int)w->valuedouble;
        }
        const cJSON *trace = cJSON_GetObjectItemCaseSensitive(u, "trace");
        if (trace && !cJSON_IsBool(trace) && !cJSON_IsNull(trace))
            return fail(errbuf, errlen, MKTOWS_EINVAL, "config: key '%s.trace' must be true or false",
                        key);
        su->trace = cJSON_IsTrue(trace);
        if (!su->client_id != !su->client_secret)
            return fail(errbuf, errlen, MKTOWS_EINVAL,
                        "config: key '%s' must give both client_id and client_secret, or neither",
                        key);
    }
    qsort(cfg->users, cfg->n_users, sizeof *cfg->users, cmp_user);
    for (size_t i = 1; i < cfg->n_users; i++)
        if (strcmp(cfg->users[i - 1].user_id, cfg->users[i].user_id) == 0)
            return fail(errbuf, errlen, MKTOWS_EINVAL, "config: soap user '%.200s' appears twice",
                        cfg->users[i].user_id);
    return 0;
}

static int apply_env(cJSON *root, char *const envp[], char *errbuf, size_t errlen)
{
    for (size_t i = 0; i < sizeof env_table / sizeof env_table[0]; i++) {
        const char *val = env_lookup(envp, env_table[i].var);
        cJSON *item = NULL;
        if (!val)
            continue;
        switch (env_table[i].kind) {
        case ENV_STRING:
            item = cJSON_CreateString(val);
            break;
        case ENV_INT: {
            char *end;
            errno = 0;
            long long v = strtoll(val, &end, 10);
            if (errno || end == val || *end)
                return fail(errbuf, errlen, MKTOWS_EINVAL, "config: %s must be an integer (key '%s')",
                            env_table[i].var, env_table[i].key);
            item = cJSON_CreateNumber((double)v);
            break;
        }
        case ENV_BOOL:
            if (!strcmp(val, "1") || !strcasecmp(val, "true") || !strcasecmp(val, "yes") ||
                !strcasecmp(val, "on"))
                item = cJSON_CreateTrue();
            else if (!strcmp(val, "0") || !strcasecmp(val, "false") || !strcasecmp(val, "no") ||
                     !strcasecmp(val, "off"))
                item = cJSON_CreateFalse();
            else
                return fail(errbuf, errlen, MKTOWS_EINVAL,
                            "config: %s must be true or false (key '%s')", env_table[i].var,
                            env_table[i].key);
            break;
        case ENV_JSON:
            item = cJSON_Parse(val);
            if (!item)
                return fail(errbuf, errlen, MKTOWS_EINVAL, "config: %s is not valid JSON (key '%s')",
                            env_table[i].var, env_table[i].key);
            break;
        }
        if (!item || mk_config_set(root, env_table[i].key, item) != 0)
            return fail(errbuf, errlen, MKTOWS_ENOMEM, "config: out of memory");
    }
    /* One user without writing JSON: MKTOWS_SOAP_USER + MKTOWS_SOAP_ENCRYPTION_KEY. */
    const char *uid = env_lookup(envp, "MKTOWS_SOAP_USER");
    const char *ukey = env_lookup(envp, "MKTOWS_SOAP_ENCRYPTION_KEY");
    if (!uid != !ukey)
        return fail(errbuf, errlen, MKTOWS_EINVAL,
                    "config: MKTOWS_SOAP_USER and MKTOWS_SOAP_ENCRYPTION_KEY must be set together");
    if (uid) {
        cJSON *users = cJSON_GetObjectItemCaseSensitive(root, "soap_users");
        if (!cJSON_IsObject(users)) {
            cJSON_DeleteItemFromObjectCaseSensitive(root, "soap_users");
            users = cJSON_AddObjectToObject(root, "soap_users");
        }
        cJSON *u = cJSON_CreateObject();
        if (!users || !u || !cJSON_AddStringToObject(u, "encryption_key", ukey)) {
            cJSON_Delete(u);
            return fail(errbuf, errlen, MKTOWS_ENOMEM, "config: out of memory");
        }
        cJSON_DeleteItemFromObjectCaseSensitive(users, uid);
        cJSON_AddItemToObject(users, uid, u);
    }
    return 0;
}

/* trusted_proxies: an array of addresses/ranges, or one string of them
 * separated by commas or blanks (the form MKTOWS_TRUSTED_PROXIES gives). */
static int load_trusted_proxies(struct mktows_config *cfg, char *errbuf, size_t errlen)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(cfg->json, "trusted_proxies");
    static const char what[] =
        "config: key 'trusted_proxies' (MKTOWS_TRUSTED_PROXIES) must be a list of addresses "
        "or CIDR ranges";
    if (!v || cJSON_IsNull(v))
        return 0;
    if (!cJSON_IsArray(v) && !cJSON_IsString(v))
        return fail(errbuf, errlen, MKTOWS_EINVAL, "%s", what);

    /* Collect the entries as strings first: one code path for both forms. */
    char *joined = NULL;
    if (cJSON_IsString(v)) {
        joined = strdup(v->valuestring);
    } else {
        size_t len = 1;
        const cJSON *e;
        cJSON_ArrayForEach(e, v)
        {
            if (!cJSON_IsString(e))
                return fail(errbuf, errlen, MKTOWS_EINVAL, "%s", what);
            len += strlen(e->valuestring) + 1;
        }
        joined = calloc(1, len);
        if (joined)
            cJSON_ArrayForEach(e, v)
            {
                strcat(joined, e->valuestring);
                strcat(joined, ",");
            }
    }
    if (!joined)
        return fail(errbuf, errlen, MKTOWS_ENOMEM, "config: out of memory");

    size_t cap = 1;
    for (const char *p = joined; *p; p++)
        cap += *p == ',' || *p == ' ' || *p == '\t';
    cfg->trusted_proxies = calloc(cap, sizeof *cfg->trusted_proxies);
    if (!cfg->trusted_proxies) {
        free(joined);
        return fail(errbuf, errlen, MKTOWS_ENOMEM, "config: out of memory");
    }
    int rc = 0;
    char *save = NULL;
    for (char *tok = strtok_r(joined, ", \t", &save); tok; tok = strtok_r(NULL, ", \t", &save)) {
        if (mk_netrange_parse(tok, &cfg->trusted_proxies[cfg->n_trusted_proxies]) != 0) {
            rc = fail(errbuf, errlen, MKTOWS_EINVAL, "%s; '%.60s' is neither", what, tok);
            break;
        }
        cfg->n_trusted_proxies++;
    }
    free(joined);
    return rc;
}

/* The connection budget's keys (see config.h and README's table): ranges,
 * defaults that follow the other limits, and the combinations that would
 * leave nothing for anybody. */
static int load_connection_budget(struct mktows_config *cfg, char *errbuf, size_t errlen)
{
    long v;
    int rc;
    if ((rc = mk_config_int(cfg->json, "timeouts.receive_total_seconds", 120, 1, 86400,
                      &cfg->receive_total_timeout, errbuf, errlen)) ||
        (rc = mk_config_int(cfg->json, "connections.rate_window_seconds", 10, 1, 3600,
                      &cfg->rate_window, errbuf, errlen)) ||
        (rc = mk_config_int(cfg->json, "connections.established_seconds", 3600, 0, 30L * 86400,
                      &cfg->established_seconds, errbuf, errlen)))
        return rc;
    if ((rc = mk_config_int(cfg->json, "connections.per_client_limit", 256, 0, 1000000, &v, errbuf,
                      errlen)))
        return rc;
    cfg->per_client_connections = (unsigned)v;
    if ((rc = mk_config_int(cfg->json, "connections.min_receive_rate", 1024, 0, 1L << 30, &v, errbuf,
                      errlen)))
        return rc;
    cfg->min_receive_rate = (size_t)v;
    if ((rc = mk_config_int(cfg->json, "connections.max_buffered_bytes", 256L << 20, 1024,
                      64L << 30, &v, errbuf, errlen)))
        return rc;
    cfg->max_buffered_bytes = (size_t)v;
    if (cfg->max_buffered_bytes < cfg->max_request_bytes)
        return fail(errbuf, errlen, MKTOWS_EINVAL,
                    "config: key 'connections.max_buffered_bytes' (MKTOWS_MAX_BUFFERED_BYTES) "
                    "must be at least max_request_bytes (%zu)", cfg->max_request_bytes);
    if ((rc = mk_config_int(cfg->json, "connections.reserve_buffered_bytes",
                      (long)(cfg->max_buffered_bytes / 8), 0,
                      (long)cfg->max_buffered_bytes - 1, &v, errbuf, errlen)))
        return rc;
    cfg->reserve_buffered_bytes = (size_t)v;
    if ((rc = mk_config_int(cfg->json, "connections.reserve_connections",
                      (long)(cfg->max_connections / 8), 0, (long)cfg->max_connections - 1, &v,
                      errbuf, errlen)))
        return rc;
    cfg->reserve_connections = (unsigned)v;
    return 0;
}

int mktows_config_load(const char *path, char *const envp[], mktows_config **out,
                       char *errbuf, size_t errlen)
{
    struct mktows_config *cfg;
    int rc;
    long v;

    *out = NULL;
    cfg = calloc(1, sizeof *cfg);
    if (!cfg)
        return fail(errbuf, errlen, MKTOWS_ENOMEM, "config: out of memory");

    if (path) {
        int err = 0;
        char *text = mk_config_read_file(path, &err);
        if (!text) {
            rc = fail(errbuf, errlen, err == ENOMEM ? MKTOWS_ENOMEM : MKTOWS_EIO,
                      "config: cannot read %s: %s", path, strerror(err));
            goto out;
        }
        const char *errptr = NULL;
        cfg->json = cJSON_ParseWithOpts(text, &errptr, 1);
        if (!cfg->json) {
            size_t line = 1;
            for (const char *p = text; errptr && p < errptr; p++)
                line += *p == '\n';
            rc = fail(errbuf, errlen, MKTOWS_EINVAL, "config: %s: invalid JSON near line %zu",
                      path, line);
            free(text);
            goto out;
        }
        free(text);
        if (!cJSON_IsObject(cfg->json)) {
            rc = fail(errbuf, errlen, MKTOWS_EINVAL, "config: %s: top level must be an object",
                      path);
            goto out;
        }
    } else {
        cfg->json = cJSON_CreateObject();
        if (!cfg->json) {
            rc = fail(errbuf, errlen, MKTOWS_ENOMEM, "config: out of memory");
            goto out;
        }
    }

    if ((rc = apply_env(cfg->json, envp, errbuf, errlen)))
        goto out;

    char *listen = NULL;
    if ((rc = get_string(cfg->json, "listen", 0, &listen, errbuf, errlen)))
        goto out;
    rc = mktows_config_set_listen(cfg, listen ? listen : "127.0.0.1:8080", errbuf, errlen);
    free(listen);
    if (rc)
        goto out;

    if ((rc = get_string(cfg->json, "rest.endpoint", 1, &cfg->rest_endpoint, errbuf, errlen)) ||
        (rc = get_string(cfg->json, "rest.identity", 0, &cfg->rest_identity, errbuf, errlen)) ||
        (rc = get_string(cfg->json, "rest.client_id", 1, &cfg->rest_client_id, errbuf, errlen)) ||
        (rc = get_string(cfg->json, "rest.client_secret", 1, &cfg->rest_client_secret, errbuf,
                         errlen)))
        goto out;
    if (strncmp(cfg->rest_endpoint, "http://", 7) && strncmp(cfg->rest_endpoint, "https://", 8)) {
        rc = fail(errbuf, errlen, MKTOWS_EINVAL,
                  "config: key 'rest.endpoint' must be an http:// or https:// URL");
        goto out;
    }
    /* Trailing slashes would double up when paths are appended. */
    for (size_t n = strlen(cfg->rest_endpoint); n > 8 && cfg->rest_endpoint[n - 1] == '/'; n--)
        cfg->rest_endpoint[n - 1] = '\0';
    if (!cfg->rest_identity) {
        size_t n = strlen(cfg->rest_endpoint) + sizeof "/identity";
        cfg->rest_identity = malloc(n);
        if (!cfg->rest_identity) {
            rc = fail(errbuf, errlen, MKTOWS_ENOMEM, "config: out of memory");
            goto out;
        }
        snprintf(cfg->rest_identity, n, "%s/identity", cfg->rest_endpoint);
    }

    if ((rc = load_users(cfg, errbuf, errlen)))
        goto out;

    if ((rc = mk_config_int(cfg->json, "timestamp_window_seconds", 900, 1, 7 * 86400,
                      &cfg->timestamp_window, errbuf, errlen)) ||
        (rc = mk_config_int(cfg->json, "timeouts.receive_seconds", 60, 1, 86400, &cfg->receive_timeout,
                      errbuf, errlen)) ||
        (rc = mk_config_int(cfg->json, "timeouts.send_seconds", 60, 1, 86400, &cfg->send_timeout,
                      errbuf, errlen)) ||
        (rc = mk_config_int(cfg->json, "timeouts.request_seconds", 120, 1, 86400,
                      &cfg->request_timeout, errbuf, errlen)))
        goto out;
    if ((rc = mk_config_int(cfg->json, "max_request_bytes", 16L << 20, 1024, 1L << 30, &v, errbuf,
                      errlen)))
        goto out;
    cfg->max_request_bytes = (size_t)v;
    if ((rc = load_xml_limits(cfg, errbuf, errlen)))
        goto out;
    if ((rc = mk_config_int(cfg->json, "workers", 32, 1, 1024, &v, errbuf, errlen)))
        goto out;
    cfg->workers = (unsigned)v;
    /* Waiting requests hold a thread each (server/pool.h): the bound on
     * threads is a bound on how many requests can share a REST call. */
    if ((rc = mk_config_int(cfg->json, "max_workers", 4096, (long)cfg->workers, 65536, &v, errbuf,
                      errlen)))
        goto out;
    cfg->max_workers = (unsigned)v;
    if ((rc = mk_config_int(cfg->json, "worker_stack_kb", 256, 64, 65536, &v, errbuf, errlen)))
        goto out;
    cfg->worker_stack_kb = (unsigned)v;
    if ((rc = mk_config_int(cfg->json, "max_connections", 4096, 1, 1000000, &v, errbuf, errlen)))
        goto out;
    cfg->max_connections = (unsigned)v;
    const cJSON *al = cJSON_GetObjectItemCaseSensitive(cfg->json, "access_log");
    if (al && !cJSON_IsBool(al)) {
        rc = fail(errbuf, errlen, MKTOWS_EINVAL,
                  "config: key 'access_log' (MKTOWS_ACCESS_LOG) must be true or false");
        goto out;
    }
    cfg->access_log = al ? cJSON_IsTrue(al) : 1;
    if ((rc = load_connection_budget(cfg, errbuf, errlen)) ||
        (rc = load_trusted_proxies(cfg, errbuf, errlen)))
        goto out;

    *out = cfg;
    return MKTOWS_OK;
out:
    mktows_config_free(cfg);
    return rc;
}

int mktows_config_set_listen(mktows_config *cfg, const char *hostport, char *errbuf,
                             size_t errlen)
{
    char *host;
    unsigned port;
    if (mk_config_parse_hostport(hostport, &host, &port) != 0)
        return fail(errbuf, errlen, MKTOWS_EINVAL,
                    "config: key 'listen' (MKTOWS_LISTEN, --listen) must be HOST:PORT, got '%.200s'",
                    hostport ? hostport : "");
    free(cfg->listen_host);
    cfg->listen_host = host;
    cfg->listen_port = port;
    return MKTOWS_OK;
}

static void free_secret(char *s)
{
    if (s) {
        volatile char *p = s;
        while (*p)
            *p++ = 0;
        free(s);
    }
}

/* cJSON keeps copies of every secret; wipe string values before freeing. */
static void json_wipe(cJSON *j)
{
    for (; j; j = j->next) {
        if (cJSON_IsString(j) && j->valuestring) {
            volatile char *p = j->valuestring;
            while (*p)
                *p++ = 0;
        }
        json_wipe(j->child);
    }
}

void mktows_config_free(mktows_config *cfg)
{
    if (!cfg)
        return;
    free(cfg->listen_host);
    free(cfg->rest_endpoint);
    free(cfg->rest_identity);
    free(cfg->rest_client_id);
    free_secret(cfg->rest_client_secret);
    for (size_t i = 0; i < cfg->n_users; i++) {
        free(cfg->users[i].user_id);
        free_secret(cfg->users[i].encryption_key);
        free(cfg->users[i].client_id);
        free_secret(cfg->users[i].client_secret);
        free(cfg->users[i].partition);
    }
    free(cfg->users);
    free(cfg->trusted_proxies);
    json_wipe(cfg->json);
    cJSON_Delete(cfg->json);
    free(cfg);
}

const struct mk_soap_user *mk_config_find_user(const struct mktows_config *cfg,
                                               const char *user_id)
{
    struct mk_soap_user key = {.user_id = (char *)user_id};
    if (!cfg || !user_id || !cfg->n_users)
        return NULL;
    return bsearch(&key, cfg->users, cfg->n_users, sizeof *cfg->users, cmp_user);
}

const struct cJSON *mk_config_json(const struct mktows_config *cfg)
{
    return cfg ? cfg->json : NULL;
}
