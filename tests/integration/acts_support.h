/*
 * acts_support.h — what the activity and asset integration tests add to
 * soapstack.h: their stack (an emulator on a seed the test builds, run
 * without Marketo's rate limits, and a shim without its quota guard, so
 * that paging to the end never waits for call slots), and the REST "truth"
 * read straight from the emulator to compare the shim's answers with.
 */
#ifndef ACTS_SUPPORT_H
#define ACTS_SUPPORT_H

#include <time.h>

#include "soapstack.h"

/* Start s: the emulator on `seed` (taken) with --rate-limit off and
 * --concurrency off, the shim with rest.rate_limit 100000, the repository's
 * mapping tables and the members of extra_config (JSON object text, may be
 * NULL).  Returns 0 or -1, as ss_start. */
int acts_start(ss_stack *s, cJSON *seed, const char *extra_config);

/* Every activity REST has for these filters since `since` (types: comma
 * list, required; leads: comma list or NULL; list: list id or 0), read page
 * by page from the emulator: what the shim's answers are compared with. */
cJSON *acts_truth(ss_stack *s, const char *types, const char *leads, long list, time_t since);
/* The comma list of every activity type id of the emulator. */
char *acts_all_type_ids(ss_stack *s);

#endif
