/*
 * routes_stub.c — weak stand-ins for what the other endpoint families
 * (h_lists.c, h_campaigns.c, h_objects.c, h_customobjects.c, h_bulk.c,
 * h_assets.c) define: their route tables and the lead hooks of emu.h.
 *
 * They let marketo-emulator link and run while those files are missing or
 * incomplete; a strong definition in a family file replaces each one.
 */
#include "emu.h"

#define WEAK __attribute__((weak))

WEAK const emu_route emu_routes_lists[] = {{NULL, NULL, NULL, false}};
WEAK const emu_route emu_routes_campaigns[] = {{NULL, NULL, NULL, false}};
WEAK const emu_route emu_routes_objects[] = {{NULL, NULL, NULL, false}};
WEAK const emu_route emu_routes_customobjects[] = {{NULL, NULL, NULL, false}};
WEAK const emu_route emu_routes_bulk[] = {{NULL, NULL, NULL, false}};
WEAK const emu_route emu_routes_assets[] = {{NULL, NULL, NULL, false}};

WEAK void emu_on_lead_deleted(int64_t lead_id) { (void)lead_id; }

WEAK void emu_on_leads_merged(int64_t winner_id, int64_t loser_id)
{
    (void)winner_id;
    (void)loser_id;
}

WEAK void emu_on_reset(void) {}

WEAK int emu_list_member_ids(int64_t list_id, int64_t **ids, size_t *n)
{
    (void)list_id;
    *ids = NULL;
    *n = 0;
    return -1;
}
