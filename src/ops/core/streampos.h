/*
 * streampos.h — the SOAP stream position, made self-contained and
 * tamper-evident.
 *
 * Marketo's paged SOAP operations (getMultipleLeads, getMObjects,
 * getCustomObjects) hand the client an opaque `newStreamPosition` that it
 * sends back unchanged to get the next page.  The shim keeps no per-stream
 * state: everything needed to resume (the REST nextPageToken, the selector,
 * the offset inside a REST page, counts) travels inside the position itself.
 *
 * Format:  base64url(JSON state) "." base64url(first 16 bytes of
 *          HMAC-SHA256(key, JSON state))
 *
 * The key is derived from the SOAP user's encryption key, so a position is
 * valid across restarts and across shim instances sharing a configuration,
 * and a position issued to one SOAP user is rejected for another.  Any
 * change to the position — forged, truncated, re-encoded — fails the MAC
 * and the handler answers fault 20122 (Bad Stream Position).
 */
#ifndef MK_STREAMPOS_H
#define MK_STREAMPOS_H

#include <stddef.h>
#include <cjson/cJSON.h>

enum {
    MK_STREAMPOS_OK = 0,
    MK_STREAMPOS_BAD = -1,   /* malformed, forged or for another user */
    MK_STREAMPOS_NOMEM = -2
};

/* Encode `state` (any JSON object) into a position for the user whose
 * encryption key is `user_key`.  *out is malloc'd; the caller frees it.
 * MK_STREAMPOS_BAD when the position would be larger than decode accepts
 * (256 KB), so no position is issued that would be refused. */
int mk_streampos_encode(const char *user_key, const cJSON *state, char **out);

/* Verify and decode a position.  On success *state is a new cJSON object
 * owned by the caller.  Constant-time MAC comparison. */
int mk_streampos_decode(const char *user_key, const char *pos, cJSON **state);

#endif
