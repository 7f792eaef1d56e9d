/*
 * actsvc.c — making and freeing the activity and asset operations'
 * long-lived state (actsvc.h): read the configuration keys, load the
 * ActivityType alias table, create the caches.
 */
#include "ops/core/actsvc.h"

#include <stdio.h>
#include <stdlib.h>

#include "config/config.h"

int mk_actsvc_new(const cJSON *config, const char *mapping_dir, mk_actsvc **out, char *err,
                  size_t errlen)
{
    static const struct {
        const char *path;
        long def, min, max;
    } keys[] = {
        {"activities.types_ttl_seconds", 3600, 0, 7 * 86400},
        {"activities.campaign_ttl_seconds", 3600, 0, 7 * 86400},
        {"activities.window_seconds", 7 * 86400, 60, 3650L * 86400},
        {"activities.max_rest_calls", 50, 3, 10000},
        {"assets.cache_ttl_seconds", 300, 0, 7 * 86400},
    };
    long v[sizeof keys / sizeof keys[0]];
    *out = NULL;
    for (size_t i = 0; i < sizeof keys / sizeof keys[0]; i++)
        if (mk_config_int(config, keys[i].path, keys[i].def, keys[i].min, keys[i].max, &v[i], err,
                          errlen) != 0)
            return -1;
    mk_actsvc *s = calloc(1, sizeof *s);
    if (!s) {
        snprintf(err, errlen, "out of memory");
        return -1;
    }
    if (mk_acttype_aliases_load(mapping_dir, &s->aliases, err, errlen) != 0)
        goto fail;
    if (mk_objcache_new((int64_t)v[0] * 1000, 16, &s->types) != 0 ||
        mk_objcache_new((int64_t)v[1] * 1000, 4096, &s->campaigns) != 0 ||
        mk_objcache_new((int64_t)v[4] * 1000, 1024, &s->tags) != 0) {
        snprintf(err, errlen, "out of memory");
        goto fail;
    }
    s->window_s = v[2];
    s->max_calls = (int)v[3];
    *out = s;
    return 0;
fail:
    mk_actsvc_free(s);
    return -1;
}

void mk_actsvc_free(mk_actsvc *s)
{
    if (!s)
        return;
    mk_acttype_aliases_free(s->aliases);
    mk_objcache_free(s->types);
    mk_objcache_free(s->campaigns);
    mk_objcache_free(s->tags);
    free(s);
}
