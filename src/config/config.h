/*
 * config.h — the loaded configuration (definition of the opaque
 * mktows_config of include/mktows.h) for code inside the library.
 *
 * Immutable after mktows_config_load() returns, so every thread may read it
 * without locks.  Modules with keys of their own (REST retries, caches,
 * mapping paths) read them from mk_config_json(), the merged document.
 */
#ifndef MK_SERVER_CONFIG_H
#define MK_SERVER_CONFIG_H

#include <stddef.h>

#include "mktows.h"
#include "base/netaddr.h"
#include "base/xmllimits.h"

struct cJSON;

/* One entry of soap_users. */
struct mk_soap_user {
    char *user_id;
    char *encryption_key;
    char *client_id;      /* NULL: use rest.client_id */
    char *client_secret;  /* NULL: use rest.client_secret */
    char *partition;      /* NULL: default partition */
    int weight;           /* share of a contested REST budget, default 1 */
    int trace;            /* "trace": true — may ask for REST transcripts (X-Mktows-Trace) */
};

struct mktows_config {
    char *listen_host;           /* "127.0.0.1", "::1", "0.0.0.0" */
    unsigned listen_port;        /* 0: pick a free port */

    char *rest_endpoint;         /* "https://123-ABC-456.mktorest.com" */
    char *rest_identity;         /* default: rest_endpoint + "/identity" */
    char *rest_client_id;
    char *rest_client_secret;

    struct mk_soap_user *users;  /* sorted by user_id */
    size_t n_users;

    long timestamp_window;       /* seconds, default 900 */
    long receive_timeout;        /* seconds without progress while receiving / idle keep-alive */
    long send_timeout;           /* seconds without progress while sending */
    long request_timeout;        /* seconds a handler may take in total */
    size_t max_request_bytes;    /* request body limit */
    unsigned workers;            /* worker threads kept, default 32 */
    unsigned max_workers;        /* the pool grows to this with demand, default 4096 */
    unsigned worker_stack_kb;    /* stack per worker thread, default 256 */
    unsigned max_connections;    /* simultaneous HTTP connections */
    int access_log;              /* one stderr line per SOAP request, default on */
    struct mk_xml_limits xml_limits; /* xml.max_*: the gate before authentication */

    /* Connection budget (server/connguard.h): what slow, many or large
     * uploads may hold.  Zero turns a limit off where the README says so. */
    long receive_total_timeout;  /* seconds from request line to end of body */
    unsigned per_client_connections; /* connections per client address, 0: no limit */
    size_t min_receive_rate;     /* body bytes per second, 0: no minimum */
    long rate_window;            /* seconds over which that rate is measured */
    size_t max_buffered_bytes;   /* request bodies held at once, all connections */
    unsigned reserve_connections;/* slots only established clients may take */
    size_t reserve_buffered_bytes; /* bytes of the budget only they may take */
    long established_seconds;    /* how long an authenticated address counts */

    /* Proxies whose X-Forwarded-Host/-Proto are believed (none by default). */
    struct mk_netrange *trusted_proxies;
    size_t n_trusted_proxies;

    struct cJSON *json;          /* merged document (file + environment) */
};

/* The configured user with this id, or NULL. */
const struct mk_soap_user *mk_config_find_user(const struct mktows_config *cfg,
                                               const char *user_id);

/* The merged JSON document, for keys owned by other modules. */
const struct cJSON *mk_config_json(const struct mktows_config *cfg);

/* The member of a configuration document at a dotted path ("rest.retry.
 * base_ms"), or NULL when a step is missing or not an object.  Paths are
 * at most 127 bytes.  For the modules that read their own keys from
 * mk_config_json(). */
const struct cJSON *mk_config_get(const struct cJSON *root, const char *path);

/* Replace the member of a configuration document at a dotted path with
 * item (taken in every case), creating the objects on the way.  Returns 0,
 * or -1 when out of memory (or item is NULL). */
int mk_config_set(struct cJSON *root, const char *path, struct cJSON *item);

/* The whole file at path (malloc'd, NUL-terminated), or NULL with an
 * errno value in *err. */
char *mk_config_read_file(const char *path, int *err);

/* The whole number at `key` (a dotted path) of the merged document, `def`
 * when absent or null.  0, or MKTOWS_EINVAL with a message naming the key,
 * its MKTOWS_* variable and the range [min, max] (checked before the
 * conversion, which would be undefined out of range).  Every layer that
 * reads a number from the configuration reads it here. */
int mk_config_int(const struct cJSON *root, const char *key, long def, long min, long max,
                  long *out, char *errbuf, size_t errlen);

/* Parse "HOST:PORT" / "[v6]:PORT" into a malloc'd host and a port.
 * Returns 0 or -1. */
int mk_config_parse_hostport(const char *s, char **host, unsigned *port);

#endif
