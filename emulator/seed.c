/*
 * seed.c — the emulator's initial data: the seed JSON file (default: the
 * repository's emulator/seed/default.json, installed as
 * share/marketo-emulator/seed.json and found by main.c) plus, on request,
 * N synthetic leads for benchmarks.
 *
 * The parsed seed is kept for the life of the process so that
 * POST /_emulator/reset can restore exactly the start state.
 *
 * Synthetic lead k (1-based) has email "synthetic-<k>@example.com"; the wrk
 * benchmark script relies on that pattern.
 */
#include "seed.h"

#include "buf.h"
#include "clock.h"
#include "config.h"
#include "store.h"

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static cJSON *g_seed;

const cJSON *emu_seed(void) { return g_seed; }

void emu_seed_free(void)
{
    cJSON_Delete(g_seed);
    g_seed = NULL;
}

static const char *const FIRST[] = {"Ada", "Grace", "Alan", "Edsger", "Barbara",
                                    "Donald", "Frances", "Ken", "Radia", "Niklaus"};
static const char *const LAST[] = {"Lovelace", "Hopper", "Turing", "Dijkstra", "Liskov",
                                   "Knuth", "Allen", "Thompson", "Perlman", "Wirth"};
static const char *const COMPANY[] = {"Acme Corp", "Globex", "Initech", "Umbrella",
                                      "Hooli", "Vandelay Industries"};

static void add_synthetic(cJSON *leads, long n)
{
    int64_t max = 0;
    const cJSON *l;
    cJSON_ArrayForEach(l, leads) {
        int64_t id = emu_lead_id(l);
        if (id > max)
            max = id;
    }
    for (long k = 1; k <= n; k++) {
        cJSON *lead = cJSON_CreateObject();
        char email[64], first[32], date[32];
        snprintf(email, sizeof email, "synthetic-%ld@example.com", k);
        snprintf(first, sizeof first, "%s%ld", FIRST[k % 10], k);
        /* Spread creation over 2025 so date filters have something to do. */
        emu_format_iso(1735689600000LL + (int64_t)(k % 365) * 86400000LL, date);
        emu_add_i64(lead, "id", max + k);
        cJSON_AddStringToObject(lead, "email", email);
        cJSON_AddStringToObject(lead, "firstName", first);
        cJSON_AddStringToObject(lead, "lastName", LAST[(k / 10) % 10]);
        cJSON_AddStringToObject(lead, "company", COMPANY[k % 6]);
        cJSON_AddNumberToObject(lead, "leadScore", (double)(k % 100));
        cJSON_AddStringToObject(lead, "createdAt", date);
        cJSON_AddStringToObject(lead, "updatedAt", date);
        cJSON_AddNumberToObject(lead, "leadPartitionId", 1);
        cJSON_AddItemToArray(leads, lead);
    }
}

int emu_seed_init(char *err, size_t errsz)
{
    emu_buf file = {0};
    int rc = emu_buf_read_file(&file, emu_cfg.seed_path);
    if (rc) {
        if (rc == ENOMEM)
            snprintf(err, errsz, "out of memory reading %s", emu_cfg.seed_path);
        else
            snprintf(err, errsz, "cannot open seed %s: %s", emu_cfg.seed_path, strerror(rc));
        emu_buf_free(&file);
        return -1;
    }
    const char *text = file.s ? file.s : "";
    size_t len = file.n;
    const char *end = NULL;
    g_seed = cJSON_ParseWithLengthOpts(text, len, &end, 0);
    if (!g_seed || !cJSON_IsObject(g_seed)) {
        snprintf(err, errsz, "seed %s: invalid JSON near byte %ld", emu_cfg.seed_path,
                 end ? (long)(end - text) : 0L);
        emu_buf_free(&file);
        cJSON_Delete(g_seed);
        g_seed = NULL;
        return -1;
    }
    emu_buf_free(&file);
    cJSON *leads = cJSON_GetObjectItemCaseSensitive(g_seed, "leads");
    if (!leads) {
        leads = cJSON_CreateArray();
        cJSON_AddItemToObject(g_seed, "leads", leads);
    }
    if (!cJSON_IsArray(leads)) {
        snprintf(err, errsz, "seed %s: \"leads\" must be an array", emu_cfg.seed_path);
        return -1;
    }
    if (!cJSON_IsArray(cJSON_GetObjectItemCaseSensitive(g_seed, "leadFields"))) {
        snprintf(err, errsz, "seed %s: \"leadFields\" (array) is required", emu_cfg.seed_path);
        return -1;
    }
    add_synthetic(leads, emu_cfg.synthetic_leads);
    return 0;
}
