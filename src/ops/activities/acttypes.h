/*
 * acttypes.h — one instance's activity types (GET /rest/v1/activities/types.json)
 * as the activity operations need them: id → display name and primary
 * attribute, and SOAP's two ways of naming a type (a WSDL ActivityType
 * token, or a display name in getLeadChanges' activityNameFilter) → id.
 *
 * A table is built from a types.json "result" array for one request and
 * freed with it; the JSON itself is what the services cache for a TTL
 * (actsvc.h), so a steady-state SOAP call costs no types.json call.
 */
#ifndef MK_OPS_ACTTYPES_H
#define MK_OPS_ACTTYPES_H

#include <stddef.h>
#include <stdint.h>
#include <cjson/cJSON.h>

#include "mapping/activity_types.h"

typedef struct mk_acttype {
    int64_t id;
    const char *name;      /* display name, e.g. "Visit Webpage" */
    const char *primary;   /* primaryAttribute.name ("Webpage ID"), NULL if none */
} mk_acttype;

typedef struct mk_acttypes mk_acttypes;

/* Build a table from a types.json "result" array.  The table keeps a copy
 * of what it needs.  NULL when the array is malformed (an entry without an
 * integer id or a name) or memory ran out. */
mk_acttypes *mk_acttypes_from_json(const cJSON *result);
void mk_acttypes_free(mk_acttypes *t);

size_t mk_acttypes_count(const mk_acttypes *t);
/* Entries sorted by id. */
const mk_acttype *mk_acttypes_at(const mk_acttypes *t, size_t i);
const mk_acttype *mk_acttypes_by_id(const mk_acttypes *t, int64_t id);

/* By display name, ignoring case and runs of white space ("add to  list"). */
const mk_acttype *mk_acttypes_by_name(const mk_acttypes *t, const char *name);

/* By WSDL token: the alias table's name first, else the type whose name the
 * token spells (mk_acttype_token_matches).  NULL when no type of this
 * instance is that token. */
const mk_acttype *mk_acttypes_by_token(const mk_acttypes *t, const mk_acttype_aliases *aliases,
                                       const char *token);

#endif
