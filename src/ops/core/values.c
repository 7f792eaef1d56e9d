/*
 * values.c — SOAP attribute text → REST JSON value by dataType (values.h).
 *
 * Every parser here answers "is this one of the forms we know?"; a "no"
 * is never an error, it only means the text goes to REST unchanged.
 */
#include "ops/core/values.h"

#include <ctype.h>
#include <errno.h>
#include <math.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

static bool is_type(const char *type, const char *name)
{
    return type && strcasecmp(type, name) == 0;
}

static bool integer_type(const char *type)
{
    return is_type(type, "integer") || is_type(type, "score");
}

static bool link_type(const char *type)
{
    return is_type(type, "link") || is_type(type, "reference");
}

static bool decimal_type(const char *type)
{
    return is_type(type, "float") || is_type(type, "currency") || is_type(type, "percent") ||
           is_type(type, "double");
}

static bool date_type(const char *type)
{
    return is_type(type, "date") || is_type(type, "datetime");
}

/* The types whose values the shim converts; every other type is text. */
static bool typed(const char *type)
{
    return integer_type(type) || link_type(type) || decimal_type(type) ||
           is_type(type, "boolean") || date_type(type);
}

/* text without leading and trailing white space, in buf (NULL if it does
 * not fit: such text is no number, boolean or date anyway). */
static const char *trimmed(const char *text, char *buf, size_t size)
{
    while (isspace((unsigned char)*text))
        text++;
    size_t n = strlen(text);
    while (n > 0 && isspace((unsigned char)text[n - 1]))
        n--;
    if (n >= size)
        return NULL;
    memcpy(buf, text, n);
    buf[n] = '\0';
    return buf;
}

/* [+-]digits[.0*]: the integer as exact JSON digits ("-0" is "0"). */
static cJSON *integer_value(const char *t)
{
    const char *p = t;
    bool neg = *p == '-';
    if (*p == '-' || *p == '+')
        p++;
    const char *digits = p;
    while (isdigit((unsigned char)*p))
        p++;
    size_t nd = (size_t)(p - digits);
    if (nd == 0)
        return NULL;
    if (*p == '.') {
        p++;
        while (*p == '0')
            p++;
    }
    if (*p)
        return NULL;
    while (nd > 1 && *digits == '0') {   /* JSON has no leading zeros */
        digits++;
        nd--;
    }
    /* 19 digits cover every int64; REST's own range check decides beyond. */
    if (nd > 19)
        return NULL;
    char buf[24];
    bool zero = nd == 1 && *digits == '0';
    snprintf(buf, sizeof buf, "%s%.*s", neg && !zero ? "-" : "", (int)nd, digits);
    return cJSON_CreateRaw(buf);
}

/* A plain decimal (digits, one point, an exponent): no hex, inf or nan,
 * which strtod would take. */
static cJSON *decimal_value(const char *t)
{
    if (!*t || strspn(t, "0123456789+-.eE") != strlen(t) || !strpbrk(t, "0123456789"))
        return NULL;
    char *end;
    errno = 0;
    double d = strtod(t, &end);
    if (*end || errno == ERANGE || !isfinite(d))
        return NULL;
    return cJSON_CreateNumber(d);
}

static cJSON *boolean_value(const char *t)
{
    if (strcasecmp(t, "true") == 0 || strcmp(t, "1") == 0)
        return cJSON_CreateTrue();
    if (strcasecmp(t, "false") == 0 || strcmp(t, "0") == 0)
        return cJSON_CreateFalse();
    return NULL;
}

static bool digits(const char **p, int n, int *out)
{
    int v = 0;
    for (int i = 0; i < n; i++, (*p)++) {
        if (!isdigit((unsigned char)**p))
            return false;
        v = v * 10 + (**p - '0');
    }
    *out = v;
    return true;
}

static int days_in_month(int y, int m)
{
    static const int d[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    bool leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
    return m == 2 && leap ? 29 : d[m - 1];
}

typedef struct when {
    int y, mo, d, h, mi, s;
    bool has_time, has_offset;
    int offset_min;   /* east of UTC */
} when;

/* YYYY-MM-DD, optionally [T ]hh:mm[:ss[.f+]], optionally [ ](Z|±hh[[:]mm]):
 * the forms of xs:date / xs:dateTime and the ones legacy clients wrote
 * ("2026-11-28 11:51:28 +0000", naive ISO with microseconds). */
static bool parse_when(const char *s, when *w)
{
    const char *p = s;
    memset(w, 0, sizeof *w);
    if (!digits(&p, 4, &w->y) || *p++ != '-' || !digits(&p, 2, &w->mo) || *p++ != '-' ||
        !digits(&p, 2, &w->d))
        return false;
    if (w->mo < 1 || w->mo > 12 || w->d < 1 || w->d > days_in_month(w->y, w->mo))
        return false;
    if (*p == 'T' || *p == 't' || (*p == ' ' && isdigit((unsigned char)p[1]))) {
        p++;
        if (!digits(&p, 2, &w->h) || *p++ != ':' || !digits(&p, 2, &w->mi))
            return false;
        if (*p == ':') {
            p++;
            if (!digits(&p, 2, &w->s))
                return false;
            if (*p == '.' || *p == ',') {
                p++;
                if (!isdigit((unsigned char)*p))
                    return false;
                while (isdigit((unsigned char)*p))
                    p++;   /* Marketo keeps seconds */
            }
        }
        if (w->h > 23 || w->mi > 59 || w->s > 59)
            return false;
        w->has_time = true;
    }
    if (*p == ' ' && w->has_time)
        p++;
    if (*p == 'Z' || *p == 'z') {
        p++;
        w->has_offset = true;
    } else if ((*p == '+' || *p == '-') && w->has_time) {
        int sign = *p++ == '-' ? -1 : 1, oh, om = 0;
        if (!digits(&p, 2, &oh))
            return false;
        if (*p == ':')
            p++;
        if (*p && !digits(&p, 2, &om))
            return false;
        if (oh > 23 || om > 59)
            return false;
        w->has_offset = true;
        w->offset_min = sign * (oh * 60 + om);
    }
    return *p == '\0';
}

static cJSON *date_value(const char *type, const char *t)
{
    when w;
    if (!parse_when(t, &w))
        return NULL;
    char buf[32];
    if (is_type(type, "date")) {
        /* The calendar date the client wrote, whatever its offset. */
        snprintf(buf, sizeof buf, "%04d-%02d-%02d", w.y, w.mo, w.d);
    } else if (!w.has_time) {
        return NULL;   /* a bare date for a date-time: REST reads it as it is */
    } else if (w.has_offset) {
        struct tm tm = {.tm_year = w.y - 1900, .tm_mon = w.mo - 1, .tm_mday = w.d,
                        .tm_hour = w.h, .tm_min = w.mi, .tm_sec = w.s};
        time_t at = timegm(&tm) - (time_t)w.offset_min * 60;
        if (!gmtime_r(&at, &tm))
            return NULL;
        strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%SZ", &tm);
    } else {
        snprintf(buf, sizeof buf, "%04d-%02d-%02dT%02d:%02d:%02d", w.y, w.mo, w.d, w.h, w.mi,
                 w.s);
    }
    return cJSON_CreateString(buf);
}

cJSON *mk_value_to_rest(const char *type, const char *text)
{
    if (!text || !*text)
        return cJSON_CreateNull();
    if (!typed(type))
        return cJSON_CreateString(text);
    char buf[64];
    const char *t = trimmed(text, buf, sizeof buf);
    if (t && (!*t || strcasecmp(t, "null") == 0))
        return cJSON_CreateNull();
    cJSON *v = NULL;
    if (t && (integer_type(type) || link_type(type)))
        v = integer_value(t);
    else if (t && decimal_type(type))
        v = decimal_value(t);
    else if (t && is_type(type, "boolean"))
        v = boolean_value(t);
    else if (t && date_type(type))
        v = date_value(type, t);
    return v ? v : cJSON_CreateString(text);
}
