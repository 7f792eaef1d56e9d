/*
 * router.h — the route table (router.c): the identity routes and every
 * endpoint family's table, merged once at start-up.  Top layer: it knows
 * every family; nothing below it knows the table.
 */
#ifndef EMU_ROUTER_H
#define EMU_ROUTER_H

#include "emu.h"

int emu_routes_init(void);               /* 0, or -1 when out of memory */
void emu_routes_free(void);
void emu_routes_print(void);             /* --list-routes */

/* Look up method+path.  Returns the route index (>= 0) and fills the
 * captures; -1 if no route has this path (610), -2 if the path exists with
 * other methods only (605).  Captures point into `buf` (a copy of path). */
int emu_route_find(const char *method, const char *path, char *buf,
                   size_t bufsz, const char *captures[EMU_MAX_CAPTURES],
                   int *ncaptures);
const emu_route *emu_route_at(int idx);
int emu_route_count(void);

#endif
