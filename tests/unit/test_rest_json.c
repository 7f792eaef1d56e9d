/*
 * test_rest_json.c — JSON helpers: ids above 2^53 keep every digit, strings
 * and non-integers are left alone, getters report missing/type/range.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "rest/json.h"

static cJSON *parse(const char *s)
{
    cJSON *j = mk_rest_json_parse(s, strlen(s));
    assert_non_null(j);
    return j;
}

static void big_ids_keep_digits(void **st)
{
    (void)st;
    cJSON *j = parse("{\"id\":9007199254740993,\"neg\":-9007199254740993,"
                     "\"max\":9223372036854775807,\"min\":-9223372036854775808,"
                     "\"huge\":123456789012345678901234567890,\"p53\":9007199254740992,"
                     "\"small\":318581}");
    int64_t v = 0;
    assert_int_equal(mk_rest_json_get_int64(j, "id", &v), MK_REST_JSON_OK);
    assert_true(v == INT64_C(9007199254740993));
    assert_int_equal(mk_rest_json_get_int64(j, "neg", &v), MK_REST_JSON_OK);
    assert_true(v == -INT64_C(9007199254740993));
    assert_int_equal(mk_rest_json_get_int64(j, "max", &v), MK_REST_JSON_OK);
    assert_true(v == INT64_MAX);
    assert_int_equal(mk_rest_json_get_int64(j, "min", &v), MK_REST_JSON_OK);
    assert_true(v == INT64_MIN);
    assert_int_equal(mk_rest_json_get_int64(j, "huge", &v), MK_REST_JSON_RANGE);
    /* 2^53 itself is exact in a double and stays a number */
    assert_true(cJSON_IsNumber(cJSON_GetObjectItem(j, "p53")));
    assert_int_equal(mk_rest_json_get_int64(j, "p53", &v), MK_REST_JSON_OK);
    assert_true(v == INT64_C(9007199254740992));
    assert_true(cJSON_IsNumber(cJSON_GetObjectItem(j, "small")));
    assert_int_equal(mk_rest_json_get_int64(j, "small", &v), MK_REST_JSON_OK);
    assert_true(v == 318581);

    char buf[64];
    assert_int_equal(mk_rest_json_id_text(cJSON_GetObjectItem(j, "id"), buf, sizeof buf),
                     MK_REST_JSON_OK);
    assert_string_equal(buf, "9007199254740993");
    assert_int_equal(mk_rest_json_id_text(cJSON_GetObjectItem(j, "huge"), buf, sizeof buf),
                     MK_REST_JSON_OK);
    assert_string_equal(buf, "123456789012345678901234567890");
    assert_int_equal(mk_rest_json_id_text(cJSON_GetObjectItem(j, "small"), buf, sizeof buf),
                     MK_REST_JSON_OK);
    assert_string_equal(buf, "318581");
    assert_int_equal(mk_rest_json_id_text(cJSON_GetObjectItem(j, "id"), buf, 5),
                     MK_REST_JSON_RANGE);
    cJSON_Delete(j);
}

static void arrays_and_nesting(void **st)
{
    (void)st;
    cJSON *j = parse("{\"result\":[{\"id\":18446744073709551,\"activityDate\":\"2026-11-28T03:50:53Z\"},"
                     "{\"id\":9223372036854775000}],\"ids\":[9007199254740993,1,-2]}");
    const cJSON *r = cJSON_GetObjectItem(j, "result");
    int64_t v;
    assert_int_equal(mk_rest_json_get_int64(cJSON_GetArrayItem(r, 0), "id", &v), MK_REST_JSON_OK);
    assert_true(v == INT64_C(18446744073709551));
    assert_int_equal(mk_rest_json_get_int64(cJSON_GetArrayItem(r, 1), "id", &v), MK_REST_JSON_OK);
    assert_true(v == INT64_C(9223372036854775000));
    const cJSON *ids = cJSON_GetObjectItem(j, "ids");
    assert_int_equal(mk_rest_json_as_int64(cJSON_GetArrayItem(ids, 0), &v), MK_REST_JSON_OK);
    assert_true(v == INT64_C(9007199254740993));
    assert_int_equal(mk_rest_json_as_int64(cJSON_GetArrayItem(ids, 2), &v), MK_REST_JSON_OK);
    assert_true(v == -2);
    cJSON_Delete(j);
}

static void strings_and_floats_untouched(void **st)
{
    (void)st;
    cJSON *j = parse("{\"s\":\"a\\\"12345678901234567890\",\"t\":\"12345678901234567890\","
                     "\"f\":12345678901234567890.5,\"e\":1e300,\"x\":-0.25,"
                     "\"k12345678901234567890\":1}");
    assert_string_equal(mk_rest_json_get_string(j, "s"), "a\"12345678901234567890");
    /* a digit string is an id too (Marketo sends some ids quoted) */
    char buf[32];
    assert_int_equal(mk_rest_json_id_text(cJSON_GetObjectItem(j, "t"), buf, sizeof buf),
                     MK_REST_JSON_OK);
    assert_string_equal(buf, "12345678901234567890");
    assert_true(cJSON_IsNumber(cJSON_GetObjectItem(j, "f")));
    assert_true(cJSON_IsNumber(cJSON_GetObjectItem(j, "e")));
    assert_true(cJSON_IsNumber(cJSON_GetObjectItem(j, "k12345678901234567890")));
    int64_t v;
    assert_int_equal(mk_rest_json_get_int64(j, "x", &v), MK_REST_JSON_TYPE);
    assert_int_equal(mk_rest_json_get_int64(j, "e", &v), MK_REST_JSON_RANGE);
    assert_int_equal(mk_rest_json_get_int64(j, "s", &v), MK_REST_JSON_TYPE);
    cJSON_Delete(j);
}

static void getters(void **st)
{
    (void)st;
    cJSON *j = parse("{\"success\":true,\"no\":false,\"n\":null,\"s\":\"x\",\"i\":\"42\","
                     "\"updatedAt\":\"2017-07-27T01:38:33Z+0000\",\"d\":\"2015-05-07T11:47:30-08:00\"}");
    int b = -1;
    assert_int_equal(mk_rest_json_get_bool(j, "success", &b), MK_REST_JSON_OK);
    assert_int_equal(b, 1);
    assert_int_equal(mk_rest_json_get_bool(j, "no", &b), MK_REST_JSON_OK);
    assert_int_equal(b, 0);
    assert_int_equal(mk_rest_json_get_bool(j, "n", &b), MK_REST_JSON_MISSING);
    assert_int_equal(mk_rest_json_get_bool(j, "absent", &b), MK_REST_JSON_MISSING);
    assert_int_equal(mk_rest_json_get_bool(j, "s", &b), MK_REST_JSON_TYPE);
    int64_t v;
    assert_int_equal(mk_rest_json_get_int64(j, "n", &v), MK_REST_JSON_MISSING);
    assert_int_equal(mk_rest_json_get_int64(j, "absent", &v), MK_REST_JSON_MISSING);
    assert_int_equal(mk_rest_json_get_int64(j, "i", &v), MK_REST_JSON_OK);
    assert_true(v == 42);
    assert_int_equal(mk_rest_json_get_int64(NULL, "i", &v), MK_REST_JSON_MISSING);
    assert_string_equal(mk_rest_json_get_string(j, "s"), "x");
    assert_null(mk_rest_json_get_string(j, "success"));
    assert_null(mk_rest_json_get_string(j, "n"));
    /* dates come back exactly as sent, odd Asset-API suffix included */
    assert_string_equal(mk_rest_json_get_date(j, "updatedAt"), "2017-07-27T01:38:33Z+0000");
    assert_string_equal(mk_rest_json_get_date(j, "d"), "2015-05-07T11:47:30-08:00");
    cJSON_Delete(j);

    assert_null(mk_rest_json_parse("{\"a\":", 5));
    assert_null(mk_rest_json_parse("{\"a\":99999999999999999999", 25));
    assert_null(mk_rest_json_parse(NULL, 0));
    /* length is honoured: trailing bytes beyond len are not read */
    cJSON *k = mk_rest_json_parse("[1]garbage", 3);
    assert_non_null(k);
    cJSON_Delete(k);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(big_ids_keep_digits),
        cmocka_unit_test(arrays_and_nesting),
        cmocka_unit_test(strings_and_floats_untouched),
        cmocka_unit_test(getters),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
