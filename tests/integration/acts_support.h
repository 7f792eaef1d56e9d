/*
 * acts_support.h — what the activity and asset integration tests share:
 * a marketo-emulator started on a seed the test builds, a mktows-shim in
 * front of it, signed SOAP calls, a few XML readers for the answers, and
 * the REST "truth" read straight from the emulator to compare with.
 *
 * The XML readers are deliberately simple (the shim's output has no
 * CDATA, comments or attributes on the elements read): find <tag>…</tag>,
 * tell xsi:nil from empty.
 */
#ifndef ACTS_SUPPORT_H
#define ACTS_SUPPORT_H

#include <stdbool.h>
#include <time.h>
#include <cjson/cJSON.h>

#include "testsupport.h"

#define ACTS_USER "bigcorp1_461839624B16E06BA2D663"
#define ACTS_KEY "899756834129871744AAEE88DDCC77CDEEDEC1AAAD66"

typedef struct acts_env {
    ts_proc emu, shim;
    char *seed_path, *config_path;
    char *token;      /* REST token for the emulator */
} acts_env;

/* printf into a new string. */
char *acts_fmt(const char *f, ...) __attribute__((format(printf, 1, 2)));

/* The repository's emulator seed (src/emulator/seed/default.json), parsed. */
cJSON *acts_default_seed(void);

/* Start an emulator on `seed` (taken) and a shim whose configuration is the
 * minimal one plus the members of `extra_config` (a JSON object text, may be
 * NULL).  Returns 0. */
int acts_start(acts_env *e, cJSON *seed, const char *extra_config);
/* Stop both; returns 0 when both exited cleanly (no sanitizer report). */
int acts_stop(acts_env *e);

/* POST a signed envelope around body (prefix ns1) to /soap/mktows/<version>. */
void acts_post(const acts_env *e, const char *version, const char *body, ts_http_resp *r);
/* A call that must answer HTTP 200; returns the body (caller frees). */
char *acts_call(const acts_env *e, const char *body);
/* Same, also returning the X-Mktows-Rest-Calls header (caller frees). */
char *acts_call_h(const acts_env *e, const char *body, char **rest_calls);
/* A call that must answer Marketo fault `code`; returns the body. */
char *acts_fault(const acts_env *e, const char *body, int code);

/* Text of the first <tag> inside xml (NULL when absent or xsi:nil). */
char *xml_text(const char *xml, const char *tag);
/* Is the first <tag> inside xml present with xsi:nil="true"? */
bool xml_is_nil(const char *xml, const char *tag);
/* Is there a <tag> (any form) inside xml? */
bool xml_has(const char *xml, const char *tag);
long xml_long(const char *xml, const char *tag);
/* Every <tag>…</tag> of xml as a new string; *n receives the count. */
char **xml_all(const char *xml, const char *tag, int *n);
void xml_free_all(char **v, int n);
/* attrValue of the activityAttributes attribute called name, NULL if none. */
char *xml_attr(const char *record, const char *name);

/* Seconds since the epoch of an xs:dateTime the shim wrote. */
time_t acts_time(const char *iso);
/* "2026-05-01T10:00:00Z" for t. */
char *acts_iso(time_t t);

/* Every activity REST has for these filters since `since` (types: comma
 * list, required; leads: comma list or NULL; list: list id or 0), read page
 * by page from the emulator: what the shim's answers are compared with. */
cJSON *acts_truth(acts_env *e, const char *types, const char *leads, long list, time_t since);
/* The comma list of every activity type id of the emulator. */
char *acts_all_type_ids(acts_env *e);
/* The emulator's per-endpoint call count ("GET /rest/v1/activities.json"). */
long acts_emu_calls(acts_env *e, const char *key);
/* Configure emulator faults (JSON body for /_emulator/faults). */
void acts_emu_faults(acts_env *e, const char *json);

#endif
