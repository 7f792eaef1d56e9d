/*
 * usageline.h — one usage log line (server/usagelog.c's format) read
 * without allocating: the report reads millions of them, and a general
 * JSON tree per line cost most of its time.  Any valid JSON object is
 * accepted; members the report does not use are skipped, strings are
 * decoded (\uXXXX included) and cut at 255 bytes.
 */
#ifndef MK_REPORT_USAGELINE_H
#define MK_REPORT_USAGELINE_H

#include <stddef.h>

#define UL_MAX_CALLS 16

typedef struct ul_call {
    char method[16];
    char path[112];
    double count;
} ul_call;

typedef struct ul_line {
    char time[40];
    char user[256];
    char operation[96];
    int has_user, has_operation;
    double fault, rest_cost, rest_calls, records_in, records_out, latency_ms, bytes_in,
        bytes_out;
    ul_call calls[UL_MAX_CALLS];
    int ncalls;
} ul_line;

/* 0 and *out filled, or -1 when the line is not a JSON object. */
int ul_parse(const char *s, size_t len, ul_line *out);

#endif
