/*
 * values.h — SOAP attribute text → the REST JSON value of a field, by the
 * field's REST dataType (from describe).  Shared by every write that
 * carries SOAP name/value pairs: syncLead, syncMultipleLeads (leadrec.c),
 * syncCustomObjects and syncMObjects (objects.c).
 *
 * SOAP sent every value as text, and legacy clients wrote the same value
 * in many ways (Talend writes "5.0" for an integer column, others " 5 ",
 * "1" for true, dates with or without an offset).  REST wants JSON types.
 * The rule, so that one odd value never costs a whole batch:
 *
 *   - a form the shim recognises becomes the JSON value REST documents
 *     (integers with every digit kept, decimals, true/false, ISO dates);
 *   - anything else goes to REST as it was sent, and REST judges it: a
 *     value REST refuses skips only its own record (reason 1001), which
 *     the handler reports as that record's FAILED status;
 *   - nothing here faults a call.
 *
 * Text types (string, email, phone, url, text, …) are never changed.
 */
#ifndef MK_OPS_VALUES_H
#define MK_OPS_VALUES_H

#include <cjson/cJSON.h>

/* The JSON value for `text` (NULL: xsi:nil) of a field of REST dataType
 * `type` (NULL: string):
 *   nil, "" → null; for a non-text type also blank text and "null" (any case);
 *   integer, score:  [+-]digits with an optional all-zero fraction ("5",
 *                    " 5 ", "5.0", "+5") → the integer, digits kept exactly;
 *   link, reference: the same for an integer; otherwise the text (a link by
 *                    a string key);
 *   float, currency, percent, double: a finite decimal number → a number;
 *   boolean: true/false (any case), 1/0 → true/false;
 *   date:     YYYY-MM-DD, or a date-time (its date as written) → YYYY-MM-DD;
 *   datetime: a date-time with an offset (Z, ±hh:mm, ±hhmm) → the same
 *             instant in UTC, "YYYY-MM-DDThh:mm:ssZ"; without an offset →
 *             "YYYY-MM-DDThh:mm:ss" (REST reads it in the instance's zone,
 *             as Marketo read SOAP's);
 *   anything not recognised: the text exactly as sent, for REST to judge.
 * Returns a new value the caller owns; NULL only when out of memory. */
cJSON *mk_value_to_rest(const char *type, const char *text);

#endif
