/*
 * seed.h — the emulator's start state (seed.c): the seed file plus any
 * synthetic leads, parsed once and kept so that /_emulator/reset can
 * restore it.  Lower middle layer, beside the store it fills.
 */
#ifndef EMU_SEED_H
#define EMU_SEED_H

#include <stddef.h>
#include <cjson/cJSON.h>

/* Read emu_cfg.seed_path and append emu_cfg.synthetic_leads leads.  0, or
 * -1 with a message in `err`. */
int emu_seed_init(char *err, size_t errsz);
const cJSON *emu_seed(void);
void emu_seed_free(void);

#endif
