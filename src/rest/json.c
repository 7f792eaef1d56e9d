/*
 * json.c — big-integer-safe parsing and typed getters; see json.h for the
 * rules and their limits.
 */
#include "json.h"

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define TWO_POW_53 9007199254740992.0
static const char two_pow_53_text[] = "9007199254740992";

/* Does the integer literal digits[0..n) (no sign) exceed 2^53? */
static int beyond_2_53(const char *digits, size_t n)
{
    while (n > 1 && *digits == '0') { /* JSON forbids leading zeros; be lenient */
        digits++;
        n--;
    }
    size_t ref = sizeof two_pow_53_text - 1;
    if (n != ref)
        return n > ref;
    return memcmp(digits, two_pow_53_text, n) > 0;
}

/* Scan the text once; return the length of the rewritten text (0 when no
 * literal needs protecting), writing into out when out != NULL. */
static size_t protect_big_ints(const char *s, size_t len, char *out)
{
    size_t o = 0, i = 0;
    int changed = 0, in_str = 0;
    while (i < len) {
        char ch = s[i];
        if (in_str) {
            if (ch == '\\' && i + 1 < len) {
                if (out) { out[o] = ch; out[o + 1] = s[i + 1]; }
                o += 2;
                i += 2;
                continue;
            }
            if (ch == '"')
                in_str = 0;
        } else if (ch == '"') {
            in_str = 1;
        } else if (ch == '-' || (ch >= '0' && ch <= '9')) {
            size_t start = i, d0;
            if (ch == '-')
                i++;
            d0 = i;
            while (i < len && s[i] >= '0' && s[i] <= '9')
                i++;
            size_t dend = i;
            int is_int = !(i < len && (s[i] == '.' || s[i] == 'e' || s[i] == 'E'));
            /* copy the rest of a non-integer literal verbatim */
            while (i < len && (s[i] == '.' || s[i] == 'e' || s[i] == 'E' || s[i] == '+' ||
                               s[i] == '-' || (s[i] >= '0' && s[i] <= '9')))
                i++;
            int quote = is_int && dend > d0 && beyond_2_53(s + d0, dend - d0);
            if (quote) {
                changed = 1;
                if (out) out[o] = '"';
                o++;
            }
            if (out) memcpy(out + o, s + start, i - start);
            o += i - start;
            if (quote) {
                if (out) out[o] = '"';
                o++;
            }
            continue;
        }
        if (out) out[o] = ch;
        o++;
        i++;
    }
    return changed ? o : 0;
}

cJSON *mk_rest_json_parse(const char *text, size_t len)
{
    if (!text)
        return NULL;
    size_t n = protect_big_ints(text, len, NULL);
    if (n == 0)
        return cJSON_ParseWithLength(text, len);
    char *copy = malloc(n);
    if (!copy)
        return NULL;
    protect_big_ints(text, len, copy);
    cJSON *j = cJSON_ParseWithLength(copy, n);
    free(copy);
    return j;
}

/* A string of optional '-' and 1..n digits, nothing else. */
static int digit_string(const char *s)
{
    if (!s)
        return 0;
    if (*s == '-')
        s++;
    if (!*s)
        return 0;
    for (; *s; s++)
        if (*s < '0' || *s > '9')
            return 0;
    return 1;
}

mk_rest_json_rc mk_rest_json_as_int64(const cJSON *item, int64_t *out)
{
    if (!item || cJSON_IsNull(item))
        return MK_REST_JSON_MISSING;
    if (cJSON_IsNumber(item)) {
        double d = item->valuedouble;
        if (!(d >= -TWO_POW_53 && d <= TWO_POW_53))
            return MK_REST_JSON_RANGE;
        int64_t v = (int64_t)d;
        if ((double)v != d)
            return MK_REST_JSON_TYPE;
        *out = v;
        return MK_REST_JSON_OK;
    }
    if (cJSON_IsString(item) && digit_string(item->valuestring)) {
        errno = 0;
        char *end = NULL;
        long long v = strtoll(item->valuestring, &end, 10);
        if (errno == ERANGE)
            return MK_REST_JSON_RANGE;
        if (!end || *end)
            return MK_REST_JSON_TYPE;
        *out = (int64_t)v;
        return MK_REST_JSON_OK;
    }
    return MK_REST_JSON_TYPE;
}

mk_rest_json_rc mk_rest_json_get_int64(const cJSON *obj, const char *name, int64_t *out)
{
    if (!obj || !name)
        return MK_REST_JSON_MISSING;
    return mk_rest_json_as_int64(cJSON_GetObjectItemCaseSensitive(obj, name), out);
}

mk_rest_json_rc mk_rest_json_id_text(const cJSON *item, char *buf, size_t buflen)
{
    if (!item || cJSON_IsNull(item))
        return MK_REST_JSON_MISSING;
    if (cJSON_IsString(item)) {
        if (!digit_string(item->valuestring))
            return MK_REST_JSON_TYPE;
        size_t n = strlen(item->valuestring);
        if (n + 1 > buflen)
            return MK_REST_JSON_RANGE;
        memcpy(buf, item->valuestring, n + 1);
        return MK_REST_JSON_OK;
    }
    int64_t v;
    mk_rest_json_rc rc = mk_rest_json_as_int64(item, &v);
    if (rc != MK_REST_JSON_OK)
        return rc;
    int n = snprintf(buf, buflen, "%" PRId64, v);
    if (n < 0 || (size_t)n >= buflen)
        return MK_REST_JSON_RANGE;
    return MK_REST_JSON_OK;
}

const char *mk_rest_json_get_string(const cJSON *obj, const char *name)
{
    if (!obj || !name)
        return NULL;
    const cJSON *it = cJSON_GetObjectItemCaseSensitive(obj, name);
    return cJSON_IsString(it) ? it->valuestring : NULL;
}

mk_rest_json_rc mk_rest_json_get_bool(const cJSON *obj, const char *name, int *out)
{
    if (!obj || !name)
        return MK_REST_JSON_MISSING;
    const cJSON *it = cJSON_GetObjectItemCaseSensitive(obj, name);
    if (!it || cJSON_IsNull(it))
        return MK_REST_JSON_MISSING;
    if (!cJSON_IsBool(it))
        return MK_REST_JSON_TYPE;
    *out = cJSON_IsTrue(it) ? 1 : 0;
    return MK_REST_JSON_OK;
}

const char *mk_rest_json_get_date(const cJSON *obj, const char *name)
{
    return mk_rest_json_get_string(obj, name);
}
