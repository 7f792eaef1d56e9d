/*
 * acts_support.h — what the activity and asset integration tests add to
 * soapstack.h: their stack (an emulator on a seed the test builds, run
 * without Marketo's rate limits, and a shim without its quota guard, so
 * that paging to the end never waits for call slots), the REST "truth"
 * read straight from the emulator to compare the shim's answers with, and
 * the collection of the records a client pages through (test_activities,
 * test_etl).
 */
#ifndef ACTS_SUPPORT_H
#define ACTS_SUPPORT_H

#include <stdbool.h>
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

/* ---- paging through the shim ------------------------------------------------------------ */

/* The newStartPosition of an answer, renamed so it can be sent back; and a
 * startPosition naming oldestCreatedAt t (both malloc'd). */
char *acts_resend(const char *body);
char *acts_since_start(time_t t);

/* The records a client has collected page by page: marketoGUID, date and
 * activityType of each, the pages read and how many of them were short
 * (fewer than batchSize while remainingCount > 0). */
typedef struct acts_seen {
    char **guid;
    time_t *at;
    char **type;
    int n, cap;
    int pages, short_pages;
} acts_seen;

/* Add one record; a marketoGUID seen before fails the test. */
void acts_seen_add(acts_seen *s, const char *guid, time_t at, const char *type);
bool acts_seen_has(const acts_seen *s, const char *guid);
void acts_seen_free(acts_seen *s);

/* One page's records (elements record_tag) into s, checking returnCount
 * and batch; returns the page's remainingCount. */
long acts_collect(acts_seen *s, const char *body, const char *record_tag, int batch);

/* s must hold exactly the marketoGUIDs of the REST truth (any order). */
void acts_same_as_truth(const acts_seen *s, cJSON *truth);

#endif
