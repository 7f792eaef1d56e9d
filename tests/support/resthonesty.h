/*
 * resthonesty.h — the REST honesty check every test that drives the shim
 * runs (issue 10): the REST calls the shim reports for one SOAP request
 * must be among that operation's rest[] entries in mapping/operations.json,
 * and there must be no more of them than its calls.max (null: unbounded).
 *
 * What counts as a call is what operations.json's "about" says calls.max
 * counts: one REST request the handler makes (one mk_rest_call, or one
 * coalesced call it shares), however often the REST client sends it — a
 * retry after 606/615/5xx or the replay after a 601/602 token renewal is
 * the same call.  Identity (token) calls are not REST data calls and the
 * shim lists none.  Two sources report the calls, and both are checked:
 *
 *   X-Mktows-Rest-Calls  "<sends>; GET /p, POST /q (shared), ..." — one
 *                        entry per call; the trace may end in "..." when it
 *                        is too long, and a truncated header is then not
 *                        judged here (the usage log holds every call).
 *   the usage log        one JSON line per request with "rest" rows
 *                        (method, path, count = sends, calls) and
 *                        "rest_other" for sends past the last row; a line
 *                        with rest_other could hide a call and fails.
 *
 * tests/support/soapstack.c checks the header of every answer it reads;
 * the program mk_rest_honesty (resthonesty_main.c) wraps every test
 * command, points the shim's usage log (MKTOWS_USAGE_LOG) at a file of its
 * own and checks every line of it when the command ends, so zeep, PHP,
 * mono, Axis, SOAP::Lite, soap4r, the golden runner, ETL, workbench and
 * cluster tests are judged the same way.  Nothing here needs cmocka.
 */
#ifndef RESTHONESTY_H
#define RESTHONESTY_H

#include <stdbool.h>
#include <stddef.h>

typedef struct rh_table rh_table;

/* One REST call as reported: method, path (a template, "{x}" segments, or
 * a concrete path; " (shared)" already removed) and how many calls of it
 * (1 from the header, the row's "calls" from the usage log). */
typedef struct rh_call {
    char method[8];
    char path[160];
    int calls;
} rh_call;

/* Load operations.json.  0, or -1 with a message in err. */
int rh_table_load(const char *path, rh_table **out, char *err, size_t errlen);
void rh_table_free(rh_table *t);

/* Judge one request's calls (operation NULL: the shim named none).  0 when
 * honest; -1 with why ("getLead: GET /rest/v1/x.json is not among its
 * rest[] entries ...", "getLead: 3 REST calls ..., more than calls.max 2"). */
int rh_check_request(const rh_table *t, const char *operation, const rh_call *calls, int n,
                     char *why, size_t len);

/* Judge an X-Mktows-Rest-Calls value (NULL or "": no REST call).  0 honest,
 * -1 not (why says so), 1 the trace is truncated and cannot be judged. */
int rh_check_header(const rh_table *t, const char *operation, const char *value, char *why,
                    size_t len);

/* The operation a SOAP envelope calls, from its Body's first element
 * (<ns1:paramsGetLead> -> "getLead") into op; -1 when there is none. */
int rh_operation_of(const char *envelope, char *op, size_t len);

/* Judge every line of a usage log.  Returns how many lines are dishonest
 * or unreadable (their reasons, one a line, in why, as many as fit), or -1
 * when the file cannot be read (a missing file is no line: 0).  *lines
 * (may be NULL) gets the number of lines read. */
int rh_check_usage_log(const rh_table *t, const char *path, char *why, size_t len, int *lines);

#endif
