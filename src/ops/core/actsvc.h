/*
 * actsvc.h — the long-lived state of the activity and asset operations
 * (getLeadActivity, getLeadChanges, getChannels, getTags), made once with
 * the other services (services.c) and shared by every request.
 *
 * What lives here and why:
 *   - the WSDL ActivityType alias table (mapping/activity_types.json),
 *     validated at start-up so a broken table stops the shim;
 *   - TTL caches of REST answers that every call would otherwise repeat:
 *     the activity types (types.json), campaign id → name and tag type →
 *     allowable values (static list names are the name cache's,
 *     namecache.h).  Marketo's REST quota is
 *     shared by every integration of an instance, so in steady state a SOAP
 *     call costs only the REST calls that do its work;
 *   - the knobs of getLeadActivity's newest-first walk.
 *
 * Configuration (all optional; a TTL of 0 turns that cache off):
 *   activities.types_ttl_seconds     activity types        default 3600
 *   activities.campaign_ttl_seconds  campaign id -> name   default 3600
 *   activities.window_seconds        getLeadActivity's first backward
 *                                    window                default 604800 (7 days)
 *   activities.max_rest_calls        REST calls one activity SOAP call may
 *                                    make before answering with what it
 *                                    has (remainingCount > 0), once it has
 *                                    a record (until then the deadline
 *                                    bounds the walk)  default 50
 *   assets.cache_ttl_seconds         tag type -> allowable values  default 300
 */
#ifndef MK_OPS_ACTSVC_H
#define MK_OPS_ACTSVC_H

#include <stddef.h>
#include <stdint.h>
#include <cjson/cJSON.h>

#include "mapping/activity_types.h"
#include "ops/core/objcache.h"

typedef struct mk_actsvc {
    mk_acttype_aliases *aliases;
    mk_objcache *types;       /* "<client id>" -> types.json result array */
    mk_objcache *campaigns;   /* "<client id>/<campaign id>" -> {"name": ...} or {} */
    mk_objcache *tags;        /* "<client id>/<tag type>" -> byName result[0] or {} */
    int64_t window_s;
    int max_calls;
} mk_actsvc;

/* Make the state from the configuration document (the JSON mktows_config
 * holds) and the mapping directory (NULL: the default one).  Returns 0 and
 * *out, or -1 with a message naming the bad key or table in err. */
int mk_actsvc_new(const cJSON *config, const char *mapping_dir, mk_actsvc **out, char *err,
                  size_t errlen);

/* Free it.  NULL is ignored. */
void mk_actsvc_free(mk_actsvc *s);

#endif
