/*
 * test_auth.c — AuthenticationHeader checks (src/soap/auth.c): the
 * signature, every timestamp form real clients send, and the edges of the
 * freshness window.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <time.h>

#include <cmocka.h>

#include "soap/auth.h"

#define USER "bigcorp1_461839624B16E06BA2D663"
#define KEY "899756834129871744AAEE88DDCC77CDEEDEC1AAAD66"
/* 2026-11-28T11:50:53Z */
#define T0 ((time_t)1795866653)

static void test_signature_vector(void **state)
{
    (void)state;
    char sig[MK_AUTH_SIG_HEX + 1];
    /* Reference values from an independent HMAC-SHA1 implementation. */
    assert_int_equal(mk_auth_signature(KEY, "2026-11-28T03:50:53-08:00", USER, sig), 0);
    assert_string_equal(sig, "da67a73469cc1bee6454f81ab4127f2fb5808153");
    assert_int_equal(mk_auth_signature(KEY, "2026-11-28 11:51:28 +0000", USER, sig), 0);
    assert_string_equal(sig, "d049678a1fd2ef1913a2d22b662a71f2337bef10");
    assert_int_equal(mk_auth_signature(NULL, "x", USER, sig), -1);

    /* RFC 2202's HMAC-SHA1 cases 2 and 6 (the message split between the
     * timestamp and the user id): a short key, and a key longer than
     * SHA-1's 64-byte block, which is hashed first. */
    assert_int_equal(mk_auth_signature("Jefe", "what do ya want ", "for nothing?", sig), 0);
    assert_string_equal(sig, "effcdf6ae5eb2fa2d27416d5f184df9c259a7c79");
    char long_key[81];
    memset(long_key, 0xaa, 80);
    long_key[80] = '\0';
    assert_int_equal(mk_auth_signature(long_key, "Test Using Larger Than Block-Size Key - ",
                                       "Hash Key First", sig), 0);
    assert_string_equal(sig, "aa4ae5e15272d00e95705637ce8a3b55ed402112");
    memset(long_key, 0xaa, 64);   /* exactly one block: used as it is */
    long_key[64] = '\0';
    char ref[MK_AUTH_SIG_HEX + 1];
    assert_int_equal(mk_auth_signature(long_key, "a", "b", ref), 0);
    assert_string_equal(ref, "c1a5e6ed092d862c77654c6d481622c678f891fe");  /* Python's hmac */
    assert_int_equal(mk_auth_signature(long_key, "", "ab", sig), 0);
    assert_string_equal(sig, ref);
}

static void expect_ts(const char *s, time_t want)
{
    time_t t = 0;
    assert_int_equal(mk_auth_parse_timestamp(s, &t), 0);
    assert_int_equal((long long)t, (long long)want);
}

static void test_timestamp_forms(void **state)
{
    (void)state;
    expect_ts("2026-11-28T03:50:53-08:00", T0);
    expect_ts("2026-11-28T11:50:53+00:00", T0);
    expect_ts("2026-11-28T11:50:53Z", T0);
    expect_ts("2026-11-28T11:50:53.123456", T0);      /* naive: UTC */
    expect_ts("2026-11-28T11:50:53", T0);
    expect_ts("2026-11-28T11:50:53.5Z", T0);
    expect_ts("2026-11-28 11:50:53 +0000", T0);
    expect_ts("2026-11-28 18:50:53 +0700", T0);
    expect_ts("2026-11-29T01:20:53+13:30", T0);
    expect_ts("2026-11-28T11:50:53-0000", T0);
    expect_ts("1970-01-01T00:00:00Z", 0);
    expect_ts("2024-02-29T00:00:00Z", 1709164800);
}

static void test_timestamp_rejects(void **state)
{
    (void)state;
    const char *bad[] = {"", "garbage", "2026-11-28", "2026-11-28T11:50", "2026-13-01T00:00:00Z",
                         "2026-02-30T00:00:00Z", "2026-11-28T24:00:00Z", "2026-11-28T11:50:53+0",
                         "2026-11-28T11:50:53Zjunk", "2026-11-28T11:50:53.", "26-11-28T11:50:53Z",
                         "2026-11-28X11:50:53Z", "2026-11-28T11:50:53+25:00"};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        time_t t;
        if (mk_auth_parse_timestamp(bad[i], &t) == 0)
            fail_msg("accepted bad timestamp '%s'", bad[i]);
    }
    time_t t;
    assert_int_equal(mk_auth_parse_timestamp(NULL, &t), -1);
}

/* Check a header signed with key for timestamp ts at time now. */
static int check(const char *key_signing, const char *key_config, const char *ts, time_t now,
                 long window, char *msg, size_t msglen)
{
    char sig[MK_AUTH_SIG_HEX + 1];
    assert_int_equal(mk_auth_signature(key_signing, ts, USER, sig), 0);
    return mk_auth_check(USER, sig, ts, key_config, now, window, msg, msglen);
}

static void test_every_form_verifies(void **state)
{
    (void)state;
    char msg[256];
    const char *forms[] = {"2026-11-28T03:50:53-08:00", "2026-11-28T11:50:53+00:00",
                           "2026-11-28T11:50:53Z", "2026-11-28T11:50:53.123456",
                           "2026-11-28 11:50:53 +0000"};
    for (size_t i = 0; i < sizeof forms / sizeof forms[0]; i++)
        assert_int_equal(check(KEY, KEY, forms[i], T0 + 5, 900, msg, sizeof msg), 0);
}

static void test_wrong_key_and_user(void **state)
{
    (void)state;
    char msg[256];
    assert_int_equal(check("other-key", KEY, "2026-11-28T11:50:53Z", T0, 900, msg, sizeof msg),
                     20014);
    assert_string_equal(msg, "Authentication failed");
    /* unknown user: no configured key */
    assert_int_equal(check(KEY, NULL, "2026-11-28T11:50:53Z", T0, 900, msg, sizeof msg), 20014);
    /* a signature over a different timestamp text, even if the same instant */
    char sig[MK_AUTH_SIG_HEX + 1];
    mk_auth_signature(KEY, "2026-11-28T11:50:53+00:00", USER, sig);
    assert_int_equal(mk_auth_check(USER, sig, "2026-11-28T11:50:53Z", KEY, T0, 900, msg,
                                   sizeof msg),
                     20014);
}

/* Issue 9, item 5: an unknown user must not be answered sooner than a known
 * user with a wrong signature.  Rather than time it, count the HMACs: each
 * case must compute exactly one and fail with the same code and message. */
static void test_unknown_user_same_path(void **state)
{
    (void)state;
    char msg_unknown[256], msg_wrong[256], sig[MK_AUTH_SIG_HEX + 1];
    const char *ts = "2026-11-28T11:50:53Z";
    assert_int_equal(mk_auth_signature("some-other-key", ts, USER, sig), 0);

    unsigned long before = mk_auth_hmac_count();
    assert_int_equal(mk_auth_check("nobody_1234", sig, ts, NULL, T0, 900, msg_unknown,
                                   sizeof msg_unknown),
                     20014);
    unsigned long unknown_cost = mk_auth_hmac_count() - before;

    before = mk_auth_hmac_count();
    assert_int_equal(mk_auth_check(USER, sig, ts, KEY, T0, 900, msg_wrong, sizeof msg_wrong),
                     20014);
    unsigned long wrong_cost = mk_auth_hmac_count() - before;

    assert_int_equal(unknown_cost, 1);
    assert_int_equal(wrong_cost, 1);
    assert_string_equal(msg_unknown, msg_wrong);

    /* Whatever an unknown user sends, it never passes: not even a signature
     * that is right for a configured key. */
    assert_int_equal(mk_auth_signature(KEY, ts, "nobody_1234", sig), 0);
    assert_int_equal(mk_auth_check("nobody_1234", sig, ts, NULL, T0, 900, msg_unknown,
                                   sizeof msg_unknown),
                     20014);
}

static void test_signature_case_and_length(void **state)
{
    (void)state;
    char msg[256], sig[MK_AUTH_SIG_HEX + 1];
    const char *ts = "2026-11-28T11:50:53Z";
    mk_auth_signature(KEY, ts, USER, sig);
    for (char *p = sig; *p; p++)
        if (*p >= 'a' && *p <= 'f')
            *p = (char)(*p - 'a' + 'A');
    assert_int_equal(mk_auth_check(USER, sig, ts, KEY, T0, 900, msg, sizeof msg), 0);
    sig[39] = '\0';
    assert_int_equal(mk_auth_check(USER, sig, ts, KEY, T0, 900, msg, sizeof msg), 20014);
}

static void test_missing_fields(void **state)
{
    (void)state;
    char msg[256];
    const char *ts = "2026-11-28T11:50:53Z";
    assert_int_equal(mk_auth_check(NULL, "x", ts, KEY, T0, 900, msg, sizeof msg), 20014);
    assert_non_null(strstr(msg, "mktowsUserId"));
    assert_int_equal(mk_auth_check(USER, NULL, ts, KEY, T0, 900, msg, sizeof msg), 20014);
    assert_non_null(strstr(msg, "requestSignature"));
    assert_int_equal(mk_auth_check(USER, "x", "", KEY, T0, 900, msg, sizeof msg), 20014);
    assert_non_null(strstr(msg, "requestTimestamp"));
}

static void test_unparseable_timestamp(void **state)
{
    (void)state;
    char msg[256];
    /* correctly signed, but not a date */
    assert_int_equal(check(KEY, KEY, "yesterday", T0, 900, msg, sizeof msg), 20014);
    assert_non_null(strstr(msg, "requestTimestamp"));
}

static void test_window_edges(void **state)
{
    (void)state;
    char msg[256];
    const char *ts = "2026-11-28T03:50:53-08:00"; /* == T0 */
    /* exactly at the window passes, one second past fails, both directions */
    assert_int_equal(check(KEY, KEY, ts, T0 + 900, 900, msg, sizeof msg), 0);
    assert_int_equal(check(KEY, KEY, ts, T0 - 900, 900, msg, sizeof msg), 0);
    assert_int_equal(check(KEY, KEY, ts, T0 + 901, 900, msg, sizeof msg), 20016);
    assert_non_null(strstr(msg, "901"));
    assert_int_equal(check(KEY, KEY, ts, T0 - 901, 900, msg, sizeof msg), 20016);
    /* a configured window */
    assert_int_equal(check(KEY, KEY, ts, T0 + 60, 60, msg, sizeof msg), 0);
    assert_int_equal(check(KEY, KEY, ts, T0 + 61, 60, msg, sizeof msg), 20016);
    /* stale but wrongly signed: the signature failure wins */
    assert_int_equal(check("bad", KEY, ts, T0 + 5000, 900, msg, sizeof msg), 20014);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_signature_vector),
        cmocka_unit_test(test_timestamp_forms),
        cmocka_unit_test(test_timestamp_rejects),
        cmocka_unit_test(test_every_form_verifies),
        cmocka_unit_test(test_wrong_key_and_user),
        cmocka_unit_test(test_unknown_user_same_path),
        cmocka_unit_test(test_signature_case_and_length),
        cmocka_unit_test(test_missing_fields),
        cmocka_unit_test(test_unparseable_timestamp),
        cmocka_unit_test(test_window_edges),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
