/*
 * clock.c — wall-clock time and the ISO-8601 forms Marketo prints and
 * accepts (clock.h).  Apart from the store so that the bottom layer (the
 * envelope's requestId) and the server's latency timer can tell the time
 * without depending on the data.
 */
#include "clock.h"

#include <ctype.h>
#include <string.h>
#include <time.h>

int64_t emu_now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

void emu_format_iso(int64_t ms, char out[32])
{
    time_t t = (time_t)(ms / 1000);
    struct tm tm;
    gmtime_r(&t, &tm);
    strftime(out, 32, "%Y-%m-%dT%H:%M:%SZ", &tm);
}

void emu_now_iso(char out[32]) { emu_format_iso(emu_now_ms(), out); }

static int digits(const char **p, int n, int *out)
{
    int v = 0;
    for (int i = 0; i < n; i++) {
        if (!isdigit((unsigned char)**p))
            return -1;
        v = v * 10 + (**p - '0');
        (*p)++;
    }
    *out = v;
    return 0;
}

bool emu_parse_iso(const char *s, int64_t *ms)
{
    if (!s)
        return false;
    const char *p = s;
    struct tm tm = {0};
    int y, mo, d, h = 0, mi = 0, sec = 0, frac = 0;
    if (digits(&p, 4, &y) || *p++ != '-' || digits(&p, 2, &mo) || *p++ != '-' ||
        digits(&p, 2, &d))
        return false;
    if (*p == 'T' || *p == ' ') {
        p++;
        if (digits(&p, 2, &h) || *p++ != ':' || digits(&p, 2, &mi))
            return false;
        if (*p == ':') {
            p++;
            if (digits(&p, 2, &sec))
                return false;
            if (*p == '.') {
                p++;
                int n = 0, scale = 100;
                while (isdigit((unsigned char)*p)) {
                    if (n++ < 3) {
                        frac += (*p - '0') * scale;
                        scale /= 10;
                    }
                    p++;
                }
                if (n == 0)
                    return false;
            }
        }
    }
    if (mo < 1 || mo > 12 || d < 1 || d > 31 || h > 23 || mi > 59 || sec > 60)
        return false;
    int off = 0;
    if (*p == ' ')
        p++;
    if (*p == 'Z') {
        p++;
        if (!strcmp(p, "+0000")) /* "Z+0000", as some Asset APIs print */
            p += 5;
    } else if (*p == '+' || *p == '-') {
        int sign = *p++ == '-' ? -1 : 1, oh, om = 0;
        if (digits(&p, 2, &oh))
            return false;
        if (*p == ':')
            p++;
        if (*p && digits(&p, 2, &om))
            return false;
        if (oh > 23 || om > 59)
            return false;
        off = sign * (oh * 60 + om);
    }
    if (*p)
        return false;
    tm.tm_year = y - 1900;
    tm.tm_mon = mo - 1;
    tm.tm_mday = d;
    tm.tm_hour = h;
    tm.tm_min = mi;
    tm.tm_sec = sec;
    time_t t = timegm(&tm);
    *ms = ((int64_t)t - (int64_t)off * 60) * 1000 + frac;
    return true;
}
