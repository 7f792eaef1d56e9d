/*
 * limits.h — how the shim lives within Marketo's REST limits, as
 * configured: the quota guard and retry settings of the REST client, the
 * coalescer's settings, the retry classes of mapping/errors.json, and what
 * operators see at GET /_shim/stats.  services.c calls in here so that all
 * of it is configured, and documented, in one place.
 *
 * Configuration keys (JSON path, environment variable, default):
 *   rest.rate_limit              MKTOWS_REST_RATE_LIMIT          100 calls per window
 *   rest.rate_window_seconds     MKTOWS_REST_RATE_WINDOW         20
 *   rest.rate_burst              MKTOWS_REST_RATE_BURST          rate_limit / 2 calls in the
 *                                                                window, then the others paced
 *                                                                window / rate_limit apart
 *                                                                (= rate_limit: never paced)
 *   rest.max_concurrency         MKTOWS_REST_MAX_CONCURRENCY     10 calls in flight
 *   rest.daily_quota             MKTOWS_REST_DAILY_QUOTA         0: no local budget; Marketo's
 *                                                                607 is honoured either way
 *   rest.retry.max_retries       MKTOWS_REST_RETRY_MAX           8 (0: never retry)
 *   rest.retry.base_ms           MKTOWS_REST_RETRY_BASE_MS       200, doubled per retry
 *   rest.retry.max_delay_ms      MKTOWS_REST_RETRY_MAX_DELAY_MS  5000
 *   rest.breaker.failures        MKTOWS_REST_BREAKER_FAILURES    5 unanswered calls in a row mean
 *                                                                "REST down" (0: never)
 *   rest.breaker.probe_ms        MKTOWS_REST_BREAKER_PROBE_MS    1000 between probes while down
 *   coalesce.enabled             MKTOWS_COALESCE                 true
 *   coalesce.wait_ms             MKTOWS_COALESCE_WAIT_MS         5 (0: no lingering)
 *   coalesce.max_hold_ms         MKTOWS_COALESCE_MAX_HOLD_MS     200
 *   stats_endpoint               MKTOWS_STATS_ENDPOINT           true: GET /_shim/stats
 * Lower rate_limit / max_concurrency leave room for the other integrations
 * that share the Marketo instance (Adobe suggests 50 per 20 s and 5).
 */
#ifndef MK_OPS_LIMITS_H
#define MK_OPS_LIMITS_H

#include <stddef.h>
#include <cjson/cJSON.h>

#include "ops/core/coalesce.h"
#include "rest/rest.h"

struct mk_mapping;
struct mk_request;

/* Fill rc's limits and retry settings (rc->retry_class reads mapping's
 * errors.json) and *cc from the merged configuration document root.
 * Returns 0, or -1 with a message naming the key in err. */
int mk_limits_config(const cJSON *root, const struct mk_mapping *mapping, mk_rest_config *rc,
                     mk_coalesce_config *cc, char *err, size_t errlen);

/* Server hook: add a finished request to the per-operation table. */
void mk_limits_request_done(void *services, const struct mk_request *r, long elapsed_ms);

/* Server hook: the GET /_shim/stats document (malloc'd JSON text):
 * {"operations": {per SOAP operation}, "rest": {calls, retries, per
 * endpoint ...}, "limiter": {...}, "coalescing": {...}}.  NULL on error. */
char *mk_limits_stats_json(void *services);

#endif
