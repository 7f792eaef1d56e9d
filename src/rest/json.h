/*
 * json.h — reading Marketo JSON without losing digits.
 *
 * cJSON 1.7.15 keeps every number only as a double, so an integer above
 * 2^53 (activity ids are 64-bit) would silently change.  Two rules fix that:
 *
 *   1. Parse with mk_rest_json_parse(): before cJSON sees the text, every
 *      integer literal whose magnitude exceeds 2^53 (9007199254740992) is
 *      wrapped in quotes, so cJSON stores it as a string with its exact
 *      digits.  Integers up to 2^53 and all non-integers stay numbers (a
 *      double holds them exactly or they are not ids).
 *   2. Read ids with mk_rest_json_as_int64()/mk_rest_json_get_int64(), which
 *      accept a number only when it is exactly integral and within +-2^53,
 *      and a string of decimal digits (Marketo sends some ids as strings,
 *      e.g. importId, and rule 1 produces strings) up to the int64 range.
 *      mk_rest_json_id_text() gives the decimal text of either form with no
 *      conversion at all, for ids that go straight into XML.
 *
 * Limit: an integer beyond int64 survives as text (mk_rest_json_id_text)
 * but mk_rest_json_as_int64 reports MK_REST_JSON_RANGE for it.  Numbers
 * written with a fraction or exponent ("1.0", "1e3") are parsed by cJSON
 * as doubles; they are accepted as ids only when exactly integral and
 * <= 2^53.
 *
 * Dates are passed through as the strings Marketo sent ("...Z", "...Z+0000",
 * "...-08:00"); nothing here parses or reformats them.
 */
#ifndef MK_REST_JSON_H
#define MK_REST_JSON_H

#include <stddef.h>
#include <stdint.h>
#include <cjson/cJSON.h>

/* Result of a getter. */
typedef enum mk_rest_json_rc {
    MK_REST_JSON_OK = 0,
    MK_REST_JSON_MISSING = -1, /* member absent or JSON null */
    MK_REST_JSON_TYPE = -2,    /* present with another type / not an integer */
    MK_REST_JSON_RANGE = -3    /* an integer that does not fit (see above) */
} mk_rest_json_rc;

/* Parse len bytes of JSON text, protecting big integers as described above.
 * Returns a tree the caller frees with cJSON_Delete(), or NULL when the
 * text is not valid JSON or memory ran out. */
cJSON *mk_rest_json_parse(const char *text, size_t len);

/* The id held by item (number or digit string) as int64. */
mk_rest_json_rc mk_rest_json_as_int64(const cJSON *item, int64_t *out);

/* obj[name] as int64 (see mk_rest_json_as_int64).  obj may be NULL. */
mk_rest_json_rc mk_rest_json_get_int64(const cJSON *obj, const char *name, int64_t *out);

/* The decimal text of an integer item (number or digit string) written into
 * buf; never goes through printf("%g").  MK_REST_JSON_RANGE if buf is too
 * small (24 bytes always suffice for int64; digit strings are copied as is). */
mk_rest_json_rc mk_rest_json_id_text(const cJSON *item, char *buf, size_t buflen);

/* obj[name] as a string, or NULL when absent, null or not a string.  The
 * pointer lives as long as the tree. */
const char *mk_rest_json_get_string(const cJSON *obj, const char *name);

/* obj[name] as a boolean (true/false only). */
mk_rest_json_rc mk_rest_json_get_bool(const cJSON *obj, const char *name, int *out);

/* obj[name] as a date string, unchanged (same rules as get_string; named
 * separately so call sites say that the value is a date passed through). */
const char *mk_rest_json_get_date(const cJSON *obj, const char *name);

#endif /* MK_REST_JSON_H */
