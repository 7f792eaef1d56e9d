/*
 * test_streampos.c — the stream position codec: round trip, and every way a
 * client could hand back something other than what it was given.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ops/core/streampos.h"

static const char *KEY = "899756834129871744AAEE88DDCC77CDEEDEC1AAAD66";

static cJSON *sample_state(void)
{
    cJSON *s = cJSON_CreateObject();
    cJSON_AddStringToObject(s, "k", "list");
    cJSON_AddNumberToObject(s, "list", 1042);
    cJSON_AddStringToObject(s, "t", "GIYDAOBNGEYS2MBWKQYDAORQGA5DAMBOGAYDAKZQGAYDALBQ");
    cJSON_AddNumberToObject(s, "o", 17);
    return s;
}

static void round_trip(void **st)
{
    (void)st;
    cJSON *s = sample_state();
    char *pos = NULL;
    assert_int_equal(mk_streampos_encode(KEY, s, &pos), MK_STREAMPOS_OK);
    assert_non_null(pos);
    /* Opaque and safe to carry in XML and URLs. */
    for (const char *p = pos; *p; p++)
        assert_true(strchr("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_.", *p));
    cJSON *back = NULL;
    assert_int_equal(mk_streampos_decode(KEY, pos, &back), MK_STREAMPOS_OK);
    assert_true(cJSON_Compare(s, back, 1));
    cJSON_Delete(back);
    cJSON_Delete(s);
    free(pos);
}

static void every_single_character_change_is_rejected(void **st)
{
    (void)st;
    cJSON *s = sample_state();
    char *pos = NULL;
    assert_int_equal(mk_streampos_encode(KEY, s, &pos), MK_STREAMPOS_OK);
    size_t n = strlen(pos);
    for (size_t i = 0; i < n; i++) {
        char saved = pos[i];
        pos[i] = saved == 'A' ? 'B' : 'A';
        cJSON *back = NULL;
        assert_int_equal(mk_streampos_decode(KEY, pos, &back), MK_STREAMPOS_BAD);
        assert_null(back);
        pos[i] = saved;
    }
    cJSON_Delete(s);
    free(pos);
}

static void truncated_and_extended_are_rejected(void **st)
{
    (void)st;
    cJSON *s = sample_state();
    char *pos = NULL;
    assert_int_equal(mk_streampos_encode(KEY, s, &pos), MK_STREAMPOS_OK);
    size_t n = strlen(pos);
    char *buf = malloc(n + 2);
    for (size_t cut = 0; cut < n; cut++) {
        memcpy(buf, pos, cut);
        buf[cut] = '\0';
        cJSON *back = NULL;
        assert_int_equal(mk_streampos_decode(KEY, buf, &back), MK_STREAMPOS_BAD);
    }
    snprintf(buf, n + 2, "%sA", pos);
    cJSON *back = NULL;
    assert_int_equal(mk_streampos_decode(KEY, buf, &back), MK_STREAMPOS_BAD);
    free(buf);
    cJSON_Delete(s);
    free(pos);
}

static void forged_payload_with_old_mac_is_rejected(void **st)
{
    (void)st;
    cJSON *s = sample_state();
    char *pos = NULL, *forged = NULL;
    assert_int_equal(mk_streampos_encode(KEY, s, &pos), MK_STREAMPOS_OK);
    cJSON_ReplaceItemInObject(s, "o", cJSON_CreateNumber(0));
    assert_int_equal(mk_streampos_encode(KEY, s, &forged), MK_STREAMPOS_OK);
    /* Graft the new payload onto the old MAC. */
    char *dot_old = strchr(pos, '.'), *dot_new = strchr(forged, '.');
    size_t plen = (size_t)(dot_new - forged);
    char *graft = malloc(plen + strlen(dot_old) + 1);
    memcpy(graft, forged, plen);
    strcpy(graft + plen, dot_old);
    cJSON *back = NULL;
    assert_int_equal(mk_streampos_decode(KEY, graft, &back), MK_STREAMPOS_BAD);
    free(graft);
    free(forged);
    free(pos);
    cJSON_Delete(s);
}

static void other_users_key_is_rejected(void **st)
{
    (void)st;
    cJSON *s = sample_state();
    char *pos = NULL;
    assert_int_equal(mk_streampos_encode(KEY, s, &pos), MK_STREAMPOS_OK);
    cJSON *back = NULL;
    assert_int_equal(mk_streampos_decode("another-users-key", pos, &back), MK_STREAMPOS_BAD);
    free(pos);
    cJSON_Delete(s);
}

static void garbage_is_rejected(void **st)
{
    (void)st;
    const char *bad[] = {"", ".", "..", "abc", "8UJZetaMb1V6uUZl+L7DcPP2jG+PMmtpF",
                         "e30.AAAAAAAAAAAAAAAAAAAAAA", "e30=.AAAAAAAAAAAAAAAAAAAAAA",
                         "\xff\xfe.\x01", "a.b.c"};
    for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
        cJSON *back = NULL;
        assert_int_equal(mk_streampos_decode(KEY, bad[i], &back), MK_STREAMPOS_BAD);
        assert_null(back);
    }
    cJSON *back = NULL;
    assert_int_equal(mk_streampos_decode(KEY, NULL, &back), MK_STREAMPOS_BAD);
    /* Oversized input is refused without being decoded. */
    char *huge = malloc(100001);
    memset(huge, 'A', 100000);
    huge[100000] = '\0';
    huge[50000] = '.';
    assert_int_equal(mk_streampos_decode(KEY, huge, &back), MK_STREAMPOS_BAD);
    free(huge);
}

/* A getLeadChanges over 1,000 leads and every activity type keeps a page
 * token per (lead group, type group) stream: a position of some 30 KB.
 * The decoder used to refuse anything over 16 KB, so the shim handed out
 * positions it would then answer 20122. */
static void big_positions_round_trip(void **st)
{
    (void)st;
    cJSON *s = cJSON_CreateObject();
    cJSON *streams = cJSON_AddArrayToObject(s, "s");
    for (int i = 0; i < 500; i++) {
        char tok[64];
        snprintf(tok, sizeof tok, "GIYDAOBNGEYS2MBWKQ3DOOBSGQ%06d======", i);
        cJSON *pair = cJSON_CreateArray();
        cJSON_AddItemToArray(pair, cJSON_CreateString(tok));
        cJSON_AddItemToArray(pair, cJSON_CreateNumber(i % 300));
        cJSON_AddItemToArray(streams, pair);
    }
    char *pos = NULL;
    assert_int_equal(mk_streampos_encode(KEY, s, &pos), MK_STREAMPOS_OK);
    assert_true(strlen(pos) > 16384);
    cJSON *back = NULL;
    assert_int_equal(mk_streampos_decode(KEY, pos, &back), MK_STREAMPOS_OK);
    assert_true(cJSON_Compare(s, back, 1));
    cJSON_Delete(back);
    free(pos);
    cJSON_Delete(s);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(round_trip),
        cmocka_unit_test(every_single_character_change_is_rejected),
        cmocka_unit_test(truncated_and_extended_are_rejected),
        cmocka_unit_test(forged_payload_with_old_mac_is_rejected),
        cmocka_unit_test(other_users_key_is_rejected),
        cmocka_unit_test(garbage_is_rejected),
        cmocka_unit_test(big_positions_round_trip),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
