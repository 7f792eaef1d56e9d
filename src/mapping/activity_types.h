/*
 * activity_types.h — the WSDL's ActivityType tokens and how they name REST
 * activity types.
 *
 * getLeadActivity and getLeadChanges filter by the WSDL's ActivityType
 * enumeration ("VisitWebpage", "NewSFDCOpprtnty", ...); REST filters by the
 * integer ids of GET /rest/v1/activities/types.json, whose `name` is the
 * display name SOAP answers carried ("Visit Webpage").  Most tokens are the
 * display name without spaces (compared on letters and digits, ignoring
 * case: AddToList = "Add to List", EnrichWithDatacom = "Enrich with
 * Data.com"); the others are listed in mapping/activity_types.json, which
 * this module loads and validates at start-up (a broken table stops the
 * shim with a message naming the file and the entry).
 *
 * A loaded table is immutable and may be read from any thread.
 */
#ifndef MK_MAPPING_ACTIVITY_TYPES_H
#define MK_MAPPING_ACTIVITY_TYPES_H

#include <stddef.h>

/* Number of values of the WSDL's ActivityType enumeration (2_1 … 3_1). */
#define MK_ACTTYPE_TOKEN_COUNT 57

typedef struct mk_acttype_aliases mk_acttype_aliases;

/* One entry of the table. */
typedef struct mk_acttype_alias {
    const char *token;   /* "PushLeadToSales" */
    const char *name;    /* "Sync Lead to SFDC" */
    const char *basis;   /* why the token means that name */
} mk_acttype_alias;

/* Load and validate <dir>/activity_types.json (dir NULL: the mapping
 * directory compiled in, see mk_mapping_default_dir()).  Returns 0 and *out,
 * or -1 with a message in err such as
 *   "mapping/activity_types.json: aliases[2] (Wait): ..." */
int mk_acttype_aliases_load(const char *dir, mk_acttype_aliases **out, char *err, size_t errlen);

/* Free a table.  NULL is ignored. */
void mk_acttype_aliases_free(mk_acttype_aliases *a);

/* The display name the table gives token, or NULL when the token is not in
 * the table (then mk_acttype_token_matches decides). */
const char *mk_acttype_alias_name(const mk_acttype_aliases *a, const char *token);

/* Entries in table order; *n receives the count. */
const mk_acttype_alias *mk_acttype_aliases_all(const mk_acttype_aliases *a, size_t *n);

/* Is token one of the WSDL's ActivityType values (exact, case-sensitive)? */
int mk_acttype_is_wsdl_token(const char *token);

/* The i-th WSDL token (schema order), NULL past the end. */
const char *mk_acttype_wsdl_token(size_t i);

/* Does display name `name` spell `token`: the same letters and digits in
 * the same order, ignoring case and everything else? */
int mk_acttype_token_matches(const char *token, const char *name);

#endif
