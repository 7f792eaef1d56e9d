/*
 * wiring.c — the operation layer's services, plugged into the server.
 *
 * The server knows services only through struct mk_server_hooks (server.h);
 * ops/ knows nothing of the server.  This table is the one place that
 * joins the two, so the include graph points down only (ARCHITECTURE.md).
 */
#include "server/server.h"

#include "ops/core/limits.h"
#include "ops/core/monitor.h"
#include "ops/core/op.h"
#include "ops/core/services.h"

const struct mk_server_hooks mk_services_hooks = {
    .services_start = mk_services_start,
    .services_stop = mk_services_stop,
    .request_done = mk_limits_request_done,
    .stats_json = mk_limits_stats_json,
    .metrics = mk_services_metrics,   /* GET /metrics, GET /ready (monitor.h) */
    .ready = mk_services_ready,
};

const mk_engine_hooks mk_ops_engine_hooks = {
    .authenticate = mk_op_authenticate,
    .operation = mk_op_name,
};
