/*
 * auth.h — verification of the mktows AuthenticationHeader.
 *
 * Pure functions (no I/O, no globals): the signature is lower-case hex
 * HMAC-SHA1 keyed with the encryption key's bytes over
 * requestTimestamp + mktowsUserId, computed over the timestamp string
 * exactly as the client sent it; the timestamp is parsed leniently only for
 * the freshness check.
 */
#ifndef MK_SOAP_AUTH_H
#define MK_SOAP_AUTH_H

#include <stddef.h>
#include <time.h>

/* Length of a signature in hex characters (HMAC-SHA1). */
#define MK_AUTH_SIG_HEX 40

/* Default freshness window, seconds either side of now. */
#define MK_AUTH_DEFAULT_WINDOW 900

/* Compute the expected signature: lower-case hex, NUL-terminated into
 * out[MK_AUTH_SIG_HEX + 1].  Returns 0, or -1 if an argument is NULL or
 * the HMAC could not be computed. */
int mk_auth_signature(const char *encryption_key, const char *timestamp,
                      const char *user_id, char out[MK_AUTH_SIG_HEX + 1]);

/* Parse a client timestamp into seconds since the epoch (UTC).  Accepted:
 *   2026-11-28T03:50:53-08:00   2026-11-28T11:50:53+00:00   ...Z
 *   2026-11-28T11:50:53.123456  (no offset: taken as UTC)
 *   2026-11-28 11:51:28 +0000   (space separated, offset without colon)
 * Fractions of a second are ignored.  Returns 0, or -1 if s is not one of
 * these forms or a field is out of range. */
int mk_auth_parse_timestamp(const char *s, time_t *out);

/* Verify one header.  user_id, signature, timestamp: as received (NULL when
 * the element was absent).  encryption_key: the configured key of user_id,
 * NULL if the user is unknown.  now: current time; window: allowed skew in
 * seconds (|now - timestamp| <= window passes).
 *
 * Returns 0 when valid, 20014 for a missing field, unknown user, bad
 * signature or unreadable timestamp, 20016 for a correctly signed but stale
 * (or too far future) timestamp.  On failure a message for the fault detail
 * is written into msg (never the key or the expected signature).
 *
 * An unknown user (encryption_key NULL) is checked exactly as a known one,
 * against a stand-in key, so the answer's timing does not tell whether a
 * user id exists; the fault and its message are the same too. */
int mk_auth_check(const char *user_id, const char *signature,
                  const char *timestamp, const char *encryption_key,
                  time_t now, long window, char *msg, size_t msglen);

/* How many HMACs mk_auth_signature has computed in this process (every
 * thread).  For tests: an unknown user costs one, as a known one does. */
unsigned long mk_auth_hmac_count(void);

#endif
