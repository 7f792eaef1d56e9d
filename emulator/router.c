/*
 * router.c — the route table: the identity route plus every family's
 * NULL-terminated table (emu_routes_*), merged once at start-up.
 *
 * Patterns are paths with {name} segments, possibly with a literal suffix
 * ("{id}.json").  When several patterns match a path, the one with the
 * fewest captures wins, so "/rest/asset/v1/program/byName.json" beats
 * "/rest/asset/v1/program/{id}.json" whatever the table order.
 *
 * The merged table is also what `marketo-emulator --list-routes` prints,
 * which the conformance test compares with the OpenAPI files.
 */
#include "router.h"

#include "auth.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const emu_route *g_routes;
static int g_nroutes;

int emu_routes_init(void)
{
    const emu_route *tables[] = {emu_routes_identity,  emu_routes_leads,
                                 emu_routes_activities, emu_routes_lists,
                                 emu_routes_campaigns,  emu_routes_objects,
                                 emu_routes_customobjects, emu_routes_bulk,
                                 emu_routes_assets};
    int n = 0;
    for (size_t t = 0; t < sizeof tables / sizeof *tables; t++)
        for (const emu_route *r = tables[t]; r && r->method; r++)
            n++;
    emu_route *all = calloc((size_t)n + 1, sizeof *all);
    if (!all)
        return -1;
    n = 0;
    for (size_t t = 0; t < sizeof tables / sizeof *tables; t++)
        for (const emu_route *r = tables[t]; r && r->method; r++)
            all[n++] = *r;
    g_routes = all;
    g_nroutes = n;
    return 0;
}

void emu_routes_free(void)
{
    free((void *)g_routes);
    g_routes = NULL;
    g_nroutes = 0;
}

const emu_route *emu_route_at(int idx) { return &g_routes[idx]; }
int emu_route_count(void) { return g_nroutes; }

void emu_routes_print(void)
{
    for (int i = 0; i < g_nroutes; i++)
        printf("%s %s\n", g_routes[i].method, g_routes[i].pattern);
}

typedef struct { size_t off, len; } span;

/* Match one pattern; returns the number of captures or -1. */
static int match(const char *pat, const char *path, span caps[EMU_MAX_CAPTURES])
{
    const char *p = pat, *s = path;
    int n = 0;
    while (*p) {
        if (*p == '{') {
            const char *close = strchr(p, '}');
            if (!close || n == EMU_MAX_CAPTURES)
                return -1;
            const char *lit = close + 1;
            size_t litlen = strcspn(lit, "/");
            size_t seglen = strcspn(s, "/");
            if (seglen <= litlen || memcmp(s + seglen - litlen, lit, litlen))
                return -1;
            caps[n].off = (size_t)(s - path);
            caps[n].len = seglen - litlen;
            n++;
            s += seglen;
            p = lit + litlen;
        } else {
            if (*p != *s)
                return -1;
            p++;
            s++;
        }
    }
    return *s ? -1 : n;
}

int emu_route_find(const char *method, const char *path, char *buf, size_t bufsz,
                   const char *captures[EMU_MAX_CAPTURES], int *ncaptures)
{
    int best = -1, best_caps = EMU_MAX_CAPTURES + 1;
    bool path_known = false;
    span caps[EMU_MAX_CAPTURES], best_spans[EMU_MAX_CAPTURES];
    for (int i = 0; i < g_nroutes; i++) {
        int n = match(g_routes[i].pattern, path, caps);
        if (n < 0)
            continue;
        path_known = true;
        if (strcmp(g_routes[i].method, method) || n >= best_caps)
            continue;
        best = i;
        best_caps = n;
        memcpy(best_spans, caps, sizeof caps);
    }
    if (best < 0)
        return path_known ? -2 : -1;
    size_t used = 0;
    *ncaptures = best_caps;
    for (int c = 0; c < best_caps; c++) {
        if (used + best_spans[c].len + 1 > bufsz)
            return -1;
        memcpy(buf + used, path + best_spans[c].off, best_spans[c].len);
        buf[used + best_spans[c].len] = '\0';
        captures[c] = buf + used;
        used += best_spans[c].len + 1;
    }
    return best;
}
