/*
 * stats.h — the counters behind GET /_emulator/stats (stats.c): calls per
 * route, calls to unknown paths, rejections per error code, the most
 * requests seen in flight at once, calls counted against the limits.
 *
 * Lower middle layer: counters know routes only by index, so that the
 * server, the limits and the identity endpoint can count without knowing
 * the route table; admin.c (top) puts names on them.
 */
#ifndef EMU_STATS_H
#define EMU_STATS_H

#include <cjson/cJSON.h>

int emu_stats_init(int nroutes);          /* 0, or -1 when out of memory */
void emu_stats_free(void);
void emu_stats_reset(void);

void emu_stats_route(int route_idx);      /* -1, -2: no route for the call */
void emu_stats_reject(const char *code);  /* response-level error / HTTP error */
void emu_stats_inflight(int now_in_flight);
void emu_stats_counted(void);

long emu_stats_route_calls(int route_idx);
long emu_stats_unknown_calls(void);
/* Adds one member per error code seen, {"606": N, …}, to `into`. */
void emu_stats_rejections(cJSON *into);
int emu_stats_max_in_flight(void);
long emu_stats_counted_calls(void);

#endif
